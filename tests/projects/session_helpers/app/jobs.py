import logging

from sqlalchemy import text

from app.helpers import get_engine, get_session, session_scope

log = logging.getLogger(__name__)

legacy = get_session()  # expect: SQS101
raw = get_engine().connect()  # expect: SQS102


def rebuild_totals():
    s = get_session()  # expect: SQS104
    s.execute(text("CALL rebuild_totals()"))
    s.commit()


def prune(days):
    with session_scope() as s:
        s.execute(text("DELETE FROM events WHERE created_at < NOW() - INTERVAL :d DAY"), {"d": days})


def touch(ids):
    with session_scope() as s:
        try:
            s.execute(text("UPDATE items SET touched = NOW() WHERE id IN :ids"), {"ids": tuple(ids)})
        except Exception:
            log.warning("touch failed")


def reindex():
    s = get_session()
    try:
        s.execute(text("OPTIMIZE TABLE events"))
    except Exception:  # expect: SQS301
        log.warning("optimize failed")
    s.execute(text("ANALYZE TABLE events"))  # the failed session, used again
    s.close()
