"""Background job runner: a thread that polls the jobs table.

Started from a separate process (`python -m app.worker`): no request, so no
teardown ever calls db_session.remove() here.
"""
import logging
import time

from .database import db_session, engine, get_session
from .models import Job

log = logging.getLogger(__name__)

session = db_session()  # expect: SQS101
heartbeat = engine.connect()  # expect: SQS102


def next_job():
    return session.query(Job).filter_by(state="queued").first()


def queued():
    """The registry's session through a helper: the registry keeps it, nothing to close here."""
    work = get_session()
    return work.query(Job).filter_by(state="queued").count()


def run_forever(handlers):
    while True:
        work = db_session()
        job = work.query(Job).filter_by(state="queued").with_for_update().first()
        if job is None:
            time.sleep(1)
            continue
        try:
            handlers[job.kind](job)
            job.state = "done"
            work.commit()
        except Exception:  # expect: SQS301
            log.exception("job %s failed", job.id)
            job.state = "failed"


if __name__ == "__main__":
    run_forever({})
