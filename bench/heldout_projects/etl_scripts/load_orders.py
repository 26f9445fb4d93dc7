"""Load the day's orders from the shop's CSV dump."""
import csv
import sys

from sqlalchemy import text

import config
from utils import timed

session = config.make_session()  # expect: SQS101


@timed
def load(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for start in range(0, len(rows), config.BATCH_SIZE):
        session.execute(text("INSERT INTO orders_raw VALUES (:id, :total, :day)"), rows[start:start + config.BATCH_SIZE])
    session.commit()


if __name__ == "__main__":
    load(sys.argv[1])
