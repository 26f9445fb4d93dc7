"""Business code: every request runs its report through the shared session."""
import logging

from sqlalchemy import text

from seedapp import settings

logger = logging.getLogger(__name__)


def top_customers(limit=10):
    try:
        rows = settings.BASE_DB_SESSION.execute(
            text("SELECT name, total FROM customers ORDER BY total DESC LIMIT :limit"),
            {"limit": limit},
        ).fetchall()
    except Exception:
        # A report is optional: log the failure and show an empty table.
        logger.exception("top_customers query failed")
        return []
    return [dict(row._mapping) for row in rows]
