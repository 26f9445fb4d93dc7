"""Settlement worker: a long-running process, one loop per minute."""
import logging
import time

from sqlalchemy import text

from ledger import Session

log = logging.getLogger(__name__)

session = Session()  # expect: SQS101


def settle_once():
    current = Session()
    try:
        current.execute(text("CALL settle_pending()"))
        current.commit()
    except Exception:  # expect: SQS301
        log.exception("settlement failed; retrying in a minute")


def main():
    while True:
        settle_once()
        time.sleep(60)
