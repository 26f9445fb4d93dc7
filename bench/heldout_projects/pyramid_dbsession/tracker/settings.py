"""Plain configuration for scripts (not Django: there is no DATABASES here)."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

DATABASE_URL = os.environ.get("TRACKER_DB", "postgresql+psycopg2://tracker@db/tracker")
PAGE_SIZE = 50

engine = create_engine(DATABASE_URL, pool_pre_ping=True)
make_session = sessionmaker(bind=engine)
