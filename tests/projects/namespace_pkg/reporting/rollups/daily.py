import logging

from sqlalchemy import text

from ..warehouse import WarehouseSession, engine

log = logging.getLogger(__name__)

probe = engine.connect()  # expect: SQS102


def rollup(day):
    with WarehouseSession() as ws:
        try:
            ws.execute(text("CALL rollup_day(:d)"), {"d": day})
            ws.commit()
        except Exception:  # expect: SQS301
            log.exception("rollup of %s failed", day)
        ws.execute(text("INSERT INTO rollup_log (day) VALUES (:d)"), {"d": day})
        ws.commit()
