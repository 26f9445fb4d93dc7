import logging

from shop.extensions import db
from shop.models import Customer, Search


def rename_all(names):
    for name in names:
        try:
            customer = Customer.query.filter_by(name=name).first()
            customer.name = name.upper()
        except Exception:  # expect: SQS301
            logging.exception("lookup failed")
    db.session.commit()


def count():
    try:
        return Customer.query.count()
    except Exception:
        db.session.rollback()
        return 0


def built_only():
    # Building a query does not reach the database.
    try:
        query = Customer.query.filter_by(active=True)
    except Exception:
        query = None
    return query


def not_a_model():
    try:
        return Search.query.count("*")
    except Exception:
        return None
