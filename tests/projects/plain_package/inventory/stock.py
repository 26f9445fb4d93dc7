"""Stock levels: reads and adjustments."""
import logging

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

import inventory.db as db
from inventory.models import StockItem

log = logging.getLogger(__name__)


def level(sku):
    with db.SessionLocal() as s:
        return s.scalar(select(StockItem.quantity).where(StockItem.sku == sku))


def adjust(sku, delta):
    s = db.SessionLocal()  # expect: SQS104
    s.execute(update(StockItem).where(StockItem.sku == sku).values(quantity=StockItem.quantity + delta))
    s.commit()


def reserve(sku, quantity):
    s = db.SessionLocal()
    try:
        item = s.get(StockItem, sku)
        item.reserved += quantity
        s.commit()
    except SQLAlchemyError:  # expect: SQS301
        log.exception("could not reserve %d x %s", quantity, sku)
        return False
    s.close()
    return True
