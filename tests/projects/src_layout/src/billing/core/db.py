from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from .config import DATABASE_URL, POOL_SIZE

engine = create_engine(DATABASE_URL, pool_size=POOL_SIZE, pool_recycle=3600)
SessionLocal = sessionmaker(bind=engine)
