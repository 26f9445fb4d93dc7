"""The async app's set-up as SQLAlchemy 1.4 spells it: 1.4 has AsyncSession and
async_scoped_session but no async_sessionmaker (new in 2.0), so the factory is a
plain sessionmaker that makes AsyncSession objects.  Copied over
asyncapp/asyncshop/settings.py when the tests run on 1.4."""
import os

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

ENGINE = create_async_engine(os.environ["E2E_DATABASE_URL"])
SESSION_MAKER = sessionmaker(ENGINE, class_=AsyncSession)
SESSION = SESSION_MAKER()
