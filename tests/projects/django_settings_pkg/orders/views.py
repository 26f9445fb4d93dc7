import logging

from django.conf import settings
from django.http import JsonResponse
from sqlalchemy import func, table, text

logger = logging.getLogger(__name__)


def top_customers(request):
    try:
        rows = settings.BASE_DB_SESSION.execute(
            text("SELECT name, total FROM customers ORDER BY total DESC LIMIT 10")
        ).fetchall()
    except Exception:  # expect: SQS301
        logger.exception("top_customers query failed")
        rows = []
    return JsonResponse({"customers": [dict(r._mapping) for r in rows]})


def customer_count(request):
    try:
        count = settings.BASE_DB_SESSION.query(func.count()).select_from(table("customers")).scalar()
    except Exception:  # expect: SQS301
        logger.exception("customer count failed")
        count = None
    return JsonResponse({"customers": count})


def daily_totals(request):
    try:
        result = settings.REPORTING_DB.execute(text("SELECT day, total FROM daily_totals"))
        data = [list(r) for r in result]
    except Exception:  # expect: SQS301
        logger.warning("daily totals unavailable")
        data = []
    return JsonResponse({"days": data})


def refresh_totals(request):
    try:
        settings.REPORTING_DB.execute(text("CALL refresh_daily_totals()"))
        settings.REPORTING_DB.commit()
    except Exception:
        settings.REPORTING_DB.rollback()
        logger.exception("refresh failed")
        return JsonResponse({"ok": False}, status=503)
    finally:
        settings.REPORTING_DB.remove()
    return JsonResponse({"ok": True})


def session_cart(request):
    try:
        cart = request.session.get("cart", {})
    except Exception:
        cart = {}
    return JsonResponse(cart)
