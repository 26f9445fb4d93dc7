"""Monthly charge run."""
import logging

from sqlalchemy.exc import OperationalError

from ..core import db
from ..models import Invoice, Subscription

log = logging.getLogger(__name__)


def charge_all(gateway):
    ledger = db.SessionLocal()  # expect: SQS104
    for sub in ledger.query(Subscription).filter_by(active=True):
        ledger.add(Invoice(subscription_id=sub.id, amount=sub.price))
        try:
            ledger.flush()
            gateway.charge(sub.customer_id, sub.price)
        except OperationalError:  # expect: SQS301
            log.error("database went away during charge of %s", sub.id)
    ledger.commit()


def retry_failed(gateway, batch_size=100):
    with db.SessionLocal() as ledger:
        failed = ledger.query(Invoice).filter_by(status="failed").limit(batch_size).all()
        for invoice in failed:
            gateway.charge(invoice.customer_id, invoice.amount)
        ledger.commit()


def connection_for_reports():
    return db.engine.connect()
