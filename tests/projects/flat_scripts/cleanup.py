"""Purge expired carts and stale password-reset tokens."""
import datetime
import logging

from sqlalchemy import delete, text

import db

log = logging.getLogger("cleanup")


def purge_carts(days=14):
    cutoff = datetime.datetime.utcnow() - datetime.timedelta(days=days)
    session = db.SessionLocal()  # expect: SQS104
    session.execute(text("DELETE FROM carts WHERE updated_at < :cutoff"), {"cutoff": cutoff})
    session.commit()


def purge_tokens(tokens_table):
    with db.SessionLocal() as session:
        session.execute(delete(tokens_table).where(tokens_table.c.expires_at < datetime.datetime.utcnow()))
        session.commit()


def vacuum_stats():
    work = db.SessionLocal()  # expect: SQS104
    try:
        work.execute(text("ANALYZE TABLE orders"))
    except Exception:  # expect: SQS301
        log.warning("ANALYZE failed, statistics may be stale")


if __name__ == "__main__":
    # A one-shot script: the session lives as long as the process.
    script_session = db.SessionLocal()
    script_session.execute(text("SELECT 1"))
    purge_carts()
