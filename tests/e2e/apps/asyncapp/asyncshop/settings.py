"""The async app's set-up: the seed's three lines, with asyncio."""
import os

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

ENGINE = create_async_engine(os.environ["E2E_DATABASE_URL"])
SESSION_MAKER = async_sessionmaker(ENGINE)
SESSION = SESSION_MAKER()
