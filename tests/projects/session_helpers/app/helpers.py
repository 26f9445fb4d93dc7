"""Small helpers around the session factory, used all over the code base."""
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.db import SessionLocal, engine


def get_session():
    return SessionLocal()


def get_engine():
    return engine


@contextmanager
def session_scope():
    """Provide a transactional scope around a series of operations."""
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def make_factory(url) -> sessionmaker:
    return sessionmaker(bind=create_engine(url, pool_pre_ping=True))
