import logging

from sqlalchemy import text

from shop import session
from shop.cart import CartSession
from shop.db import SessionLocal
from shop.http_client import API_URL, Session, mount_retries

log = logging.getLogger(__name__)

api_session = Session()
mount_retries(api_session)
payments_session = Session()


def cancel_payment(payment_id):
    try:
        api_session.delete(f"{API_URL}/payments/{payment_id}", timeout=10)
    except Exception:
        log.warning("could not cancel payment %s", payment_id)


def add_to_cart(redis, user_id, sku):
    cart_session = CartSession(redis, user_id)
    try:
        cart_session.add(sku)
        cart_session.commit()
    except Exception:
        log.exception("cart update failed")


def remove_from_cart(redis, user_id, sku):
    cart_session = CartSession(redis, user_id)
    try:
        cart_session.delete(sku)
        cart_session.execute(len)
    except Exception:
        pass


def forget_visitor(cookie):
    try:
        session.delete(cookie)
    except Exception:
        log.debug("no session for %s", cookie)


def save_visitor(cookie, data, secret):
    try:
        session.flush(cookie, data, secret)
    except Exception:
        pass


def refund(payment_id, amount):
    http_session = Session()
    try:
        http_session.delete(f"{API_URL}/payments/{payment_id}", json={"amount": amount})
    except Exception:
        return False
    return True


def record_order(order_id, total):
    db_session = SessionLocal()  # expect: SQS104
    try:
        db_session.execute(text("INSERT INTO orders (id, total) VALUES (:i, :t)"), {"i": order_id, "t": total})
        db_session.commit()
    except Exception:  # expect: SQS301
        log.exception("order %s not recorded", order_id)
