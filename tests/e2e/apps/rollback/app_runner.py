"""Rollback app run: one request signs up a batch in which one address comes twice."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2e_harness  # noqa: E402

BATCH = ["ada@example.com", "bob@example.com", "ada@example.com", "cy@example.com"]


def main():
    args = e2e_harness.arguments()
    from signup import accounts
    from signup.models import Base

    e2e_harness.create_tables(Base.metadata)
    e2e_harness.serve(lambda: accounts.signup(BATCH), requests=args.requests, gap=args.gap)


if __name__ == "__main__":
    main()
