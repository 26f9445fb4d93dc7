import logging

from django.conf import settings
from django.http import JsonResponse
from sqlalchemy import text

from .queries import funnel_steps

logger = logging.getLogger(__name__)


def kpis(request):
    try:
        revenue = settings.DW_SESSION.execute(text("SELECT SUM(total) FROM fact_orders")).scalar()
    except Exception:  # expect: SQS301
        logger.exception("warehouse unavailable")
        revenue = None
    return JsonResponse({"revenue": revenue})


def funnel(request):
    return JsonResponse({"steps": funnel_steps()})
