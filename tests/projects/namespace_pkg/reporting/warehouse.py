"""Connection to the analytics warehouse (read replica)."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ["WAREHOUSE_URL"], pool_recycle=1800)
WarehouseSession = sessionmaker(bind=engine)
