import logging

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from .celery_app import app
from .db import Session

log = logging.getLogger(__name__)


@app.task(bind=True, max_retries=3)
def send_invoice(self, invoice_id):
    db = Session()  # expect: SQS104
    invoice = db.execute(text("SELECT * FROM invoices WHERE id = :id"), {"id": invoice_id}).one()
    try:
        db.execute(text("UPDATE invoices SET sent = 1 WHERE id = :id"), {"id": invoice.id})
        db.commit()
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=30)


@app.task
def rebuild_search_index():
    db = Session()  # expect: SQS104
    for row in db.execute(text("SELECT id, title FROM products")):
        log.debug("indexing %s", row.id)


@app.task
def expire_coupons():
    with Session() as db:
        db.execute(text("UPDATE coupons SET active = 0 WHERE expires_at < NOW()"))
        db.commit()


@app.task
def sync_stock(levels):
    db = Session()
    try:
        for sku, qty in levels.items():
            db.execute(text("UPDATE stock SET qty = :q WHERE sku = :s"), {"q": qty, "s": sku})
        db.commit()
    except Exception:  # expect: SQS301
        log.exception("stock sync failed; will retry on the next beat")
    finally:
        log.info("stock sync finished")
    db.close()
