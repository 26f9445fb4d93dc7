"""The seed's report, async: every request runs it through the shared session."""
import logging

from sqlalchemy import text

from asyncshop import settings

logger = logging.getLogger(__name__)


async def top_customers(limit=10):
    try:
        result = await settings.SESSION.execute(
            text("SELECT name, total FROM customers ORDER BY total DESC LIMIT :limit"),
            {"limit": limit},
        )
        rows = result.fetchall()
    except Exception:
        # A report is optional: log the failure and show an empty table.
        logger.exception("top_customers query failed")
        return []
    return [dict(row._mapping) for row in rows]
