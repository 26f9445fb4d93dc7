import logging
import os

from app.apiclient import Session
from app.orm import engine
from app.tenancy import TenantSession

log = logging.getLogger(__name__)

session = Session(os.environ["CRM_TOKEN"])


def push_invoice(invoice):
    try:
        session.delete(f"https://crm.example.com/api/invoices/{invoice.id}/draft")
    except Exception:
        log.info("no draft to drop")


def tenant_invoices(tenant_id):
    tenant_session = TenantSession(tenant_id, bind=engine)  # expect: SQS104
    return tenant_session.execute("SELECT * FROM invoices").all()


def tenant_total(tenant_id):
    with TenantSession(tenant_id, bind=engine) as tenant_session:
        return tenant_session.execute("SELECT SUM(total) FROM invoices").scalar()
