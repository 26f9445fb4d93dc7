"""The engine: a plain pool, as most apps create it."""
import os

from sqlalchemy import create_engine

engine = create_engine(os.environ["E2E_DATABASE_URL"])
