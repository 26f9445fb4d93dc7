"""Seed app run: each request shows the top-customers report."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sqlalchemy import Column, Integer, MetaData, String, Table  # noqa: E402

import e2e_harness  # noqa: E402

metadata = MetaData()
customers = Table(
    "customers",
    metadata,
    Column("name", String(50), nullable=False),
    Column("total", Integer, nullable=False),
)


def main():
    args = e2e_harness.arguments()
    e2e_harness.create_tables(
        metadata, {customers: [{"name": "ada", "total": 30}, {"name": "bob", "total": 20}, {"name": "cy", "total": 10}]}
    )

    from seedapp import settings
    from shop import reports

    def request():
        return [row["name"] for row in reports.top_customers()]

    # What the README recommends once the fix made BASE_DB_SESSION a scoped_session registry.
    end = settings.BASE_DB_SESSION.remove if args.remove_at_request_end else None
    e2e_harness.serve(request, requests=args.requests, gap=args.gap, end_request=end)


if __name__ == "__main__":
    main()
