"""Schema upgrades: statements that may fail on an old file, whose failure SQLite survives."""
import logging

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


def upgrade(ver, session):
    if ver == 3:
        try:
            session.execute(text("DROP INDEX ix_series_name"))
        except OperationalError:
            # SQLite: "no such index" fails the statement, not the transaction; nothing was flushed
            log.debug("There was no ix_series_name index to remove.")
        ver = 4
    return ver


def migrate_rows(session, table, rows):
    failures = 0
    for row in rows:
        try:
            session.execute(table.update().where(table.c.id == row.id).values(json=row.value))
        except Exception:
            failures += 1
    return failures


def add_marker(session, marker):
    try:
        session.add(marker)
        session.commit()
    except Exception:  # expect: SQS301
        # a failed flush leaves the session needing rollback() on SQLite too
        log.exception("marker not saved")
