import os

from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

engine = create_engine(os.environ["LEDGER_DSN"], pool_pre_ping=True, pool_size=5)
SessionFactory = sessionmaker(bind=engine)
Session = scoped_session(SessionFactory)
