import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

DATABASE_URL = os.environ.get("BILLING_DATABASE_URL", "mysql+pymysql://billing@localhost/billing")
POOL_SIZE = int(os.environ.get("BILLING_POOL_SIZE", "5"))

engine = create_engine(DATABASE_URL, pool_size=POOL_SIZE, pool_recycle=3600)
SessionLocal = sessionmaker(bind=engine)
