import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ["INVENTORY_DB_URL"], pool_size=10)  # expect: SQS201
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)
