from sqlalchemy import text

from utils import new_session, timed


@timed
def dedupe_customers():
    s = new_session()  # expect: SQS104
    s.execute(text("DELETE c1 FROM customers c1 JOIN customers c2 ON c1.email = c2.email AND c1.id > c2.id"))
    s.commit()


@timed
def dedupe_orders():
    s = new_session()
    try:
        s.execute(text("DELETE FROM orders_raw WHERE id IN (SELECT id FROM dupes)"))
        s.commit()
    finally:
        s.close()
