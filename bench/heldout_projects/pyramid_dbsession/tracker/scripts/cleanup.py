"""Close stale tickets: run daily from cron."""
import logging

from sqlalchemy import text

from tracker.settings import make_session

log = logging.getLogger(__name__)

SESSION = make_session()  # expect: SQS101


def close_stale(days=90):
    sess = make_session()  # expect: SQS104
    sess.execute(text("UPDATE tickets SET state = 'closed' WHERE updated_at < NOW() - :d"), {"d": days})
    sess.commit()


def count_open():
    with make_session() as sess:
        return sess.execute(text("SELECT COUNT(*) FROM tickets WHERE state = 'open'")).scalar()


if __name__ == "__main__":
    close_stale()
