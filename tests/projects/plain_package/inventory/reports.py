from sqlalchemy import text

from inventory import db

conn = db.engine.connect()  # expect: SQS102


def low_stock(threshold=5):
    with db.engine.connect() as c:
        return c.execute(text("SELECT sku FROM stock WHERE quantity < :t"), {"t": threshold}).all()


def totals():
    return conn.execute(text("SELECT SUM(quantity) FROM stock")).scalar()
