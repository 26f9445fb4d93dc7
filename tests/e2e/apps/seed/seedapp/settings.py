"""Settings of the seed app: the SQLAlchemy set-up that every request shares.

The same three lines as examples/seedapp, with the URL from the environment (the
end-to-end tests point it at a real server).
"""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

# Reporting queries go straight to the database through SQLAlchemy.
BASE_DB_ENGINE = create_engine(os.environ["E2E_DATABASE_URL"])
BASE_DB_SESSION_MAKER = sessionmaker(bind=BASE_DB_ENGINE)
BASE_DB_SESSION = BASE_DB_SESSION_MAKER()
