"""One engine (pre-pinged: this app is about the handler, not the pool) and a session factory."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ["E2E_DATABASE_URL"], pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine)
