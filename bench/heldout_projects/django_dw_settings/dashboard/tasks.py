import logging

from django.conf import settings as conf
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)


def refresh_funnel():
    dw = conf.DW_MAKER()
    try:
        dw.execute(text("REFRESH MATERIALIZED VIEW funnel"))
        dw.commit()
    except OperationalError:  # expect: SQS301
        log.warning("warehouse went away; funnel not refreshed")
    dw.close()


def export_kpis(path, rows):
    from .exporters import ExportSession

    export_session = ExportSession(path)
    try:
        for row in rows:
            export_session.execute(row)
        export_session.commit()
    except Exception:
        log.exception("export to %s failed", path)
