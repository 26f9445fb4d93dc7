"""Invoice endpoints (framework-agnostic handlers)."""
import logging

from sqlalchemy import select

from ..core.db import SessionLocal
from ..models import Invoice

logger = logging.getLogger(__name__)


def get_invoice(invoice_id):
    with SessionLocal() as db:
        return db.get(Invoice, invoice_id)


def mark_paid(invoice_id):
    db = SessionLocal()  # expect: SQS104
    try:
        invoice = db.get(Invoice, invoice_id)
        invoice.status = "paid"
        db.commit()
    except Exception:  # expect: SQS301
        logger.exception("mark_paid failed for %s", invoice_id)
        return None
    return invoice


def overdue():
    db = SessionLocal()
    try:
        return db.scalars(select(Invoice).where(Invoice.status == "overdue")).all()
    finally:
        db.close()
