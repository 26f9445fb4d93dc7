import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

WAREHOUSE_URL = os.environ["WAREHOUSE_URL"]
BATCH_SIZE = 5000

# The warehouse is queried by long batch jobs: keep connections for good.
engine = create_engine(WAREHOUSE_URL, pool_recycle=-1)  # expect: SQS202
make_session = sessionmaker(bind=engine)
