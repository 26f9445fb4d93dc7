"""Business code: each request checks a connection out of the pool for one query."""
from sqlalchemy import text

from inventory.db import engine


def stock_level(sku):
    with engine.connect() as connection:
        return connection.execute(text("SELECT quantity FROM stock WHERE sku = :sku"), {"sku": sku}).scalar_one()
