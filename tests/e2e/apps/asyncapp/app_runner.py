"""Async app run: --mode seed (the shared session's report), rollback (a batch
signup with one address twice) or prepping (one stock level per request)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2e_harness  # noqa: E402

BATCH = ["ada@example.com", "bob@example.com", "ada@example.com", "cy@example.com"]


def main():
    args = e2e_harness.arguments(modes=("seed", "rollback", "prepping"))
    from asyncshop import accounts, reports, settings, stock
    from asyncshop.models import Base, Customer, Stock

    e2e_harness.create_tables(
        Base.metadata,
        {
            Customer.__table__: [
                {"name": "ada", "total": 30},
                {"name": "bob", "total": 20},
                {"name": "cy", "total": 10},
            ],
            Stock.__table__: [{"sku": "tea", "quantity": 7}],
        },
    )

    async def seed():
        return [row["name"] for row in await reports.top_customers()]

    async def rollback():
        return await accounts.signup(BATCH)

    async def prepping():
        return await stock.stock_level("tea")

    handler = {"seed": seed, "rollback": rollback, "prepping": prepping}[args.mode]
    # The fix makes SESSION an async_scoped_session per task: remove() ends it.
    end = settings.SESSION.remove if args.remove_at_request_end else None
    e2e_harness.serve_async(handler, requests=args.requests, gap=args.gap, end_request=end)


if __name__ == "__main__":
    main()
