"""Pre-ping app run: each request reads one stock level."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import Column, Integer, MetaData, String, Table  # noqa: E402

import e2e_harness  # noqa: E402

metadata = MetaData()
stock = Table(
    "stock",
    metadata,
    Column("sku", String(20), primary_key=True),
    Column("quantity", Integer, nullable=False),
)


def main():
    args = e2e_harness.arguments()
    e2e_harness.create_tables(metadata, {stock: [{"sku": "tea", "quantity": 7}]})
    from inventory.stock import stock_level

    e2e_harness.serve(lambda: stock_level("tea"), requests=args.requests, gap=args.gap)


if __name__ == "__main__":
    main()
