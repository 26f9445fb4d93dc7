import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ["WORKER_DATABASE_URL"], pool_pre_ping=True, pool_size=2)
Session = sessionmaker(bind=engine)
