import os

from sqlalchemy import create_engine
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

engine = create_engine(os.environ.get("DATABASE_URL", "mysql+pymysql://web@db/blog"), pool_pre_ping=True)
db_session = scoped_session(sessionmaker(autocommit=False, autoflush=False, bind=engine))
Base = declarative_base()
Base.query = db_session.query_property()


def init_db():
    from . import models  # noqa: F401

    Base.metadata.create_all(bind=engine)


def get_session():
    """The registry's session of this thread (Kallithea's helper): the registry keeps it."""
    session = db_session()
    return session
