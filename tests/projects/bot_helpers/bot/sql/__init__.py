"""The bot's one session registry, made at import and never removed: one session for the process."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

BASE = declarative_base()


def start() -> scoped_session:
    engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    BASE.metadata.bind = engine
    return scoped_session(sessionmaker(bind=engine, autoflush=False))


SESSION = start()
