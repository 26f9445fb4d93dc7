"""Audit trail of stock movements, written by a background thread."""
import inventory.db
from inventory.models import Movement

AUDIT_SESSION = inventory.db.SessionLocal()  # expect: SQS101


def record(sku, delta, user):
    AUDIT_SESSION.add(Movement(sku=sku, delta=delta, user=user))
    AUDIT_SESSION.commit()


def movements_since(moment):
    session = inventory.db.SessionLocal()
    try:
        return session.query(Movement).filter(Movement.at >= moment).all()
    finally:
        session.close()
