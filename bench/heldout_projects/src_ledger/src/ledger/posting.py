from decimal import Decimal

from sqlalchemy import text

from ledger import SessionFactory


class Poster:
    session = SessionFactory()  # expect: SQS103

    def post(self, debit, credit, amount: Decimal):
        self.session.execute(
            text("INSERT INTO entries (account, amount) VALUES (:a, :m)"), [{"a": debit, "m": -amount}, {"a": credit, "m": amount}]
        )
        self.session.commit()


def post_batch(entries):
    s = SessionFactory()  # expect: SQS104
    for debit, credit, amount in entries:
        s.execute(text("INSERT INTO entries (account, amount) VALUES (:a, :m)"), {"a": debit, "m": -amount})
        s.execute(text("INSERT INTO entries (account, amount) VALUES (:a, :m)"), {"a": credit, "m": amount})
    s.commit()


def balance(account):
    with SessionFactory() as s:
        return s.execute(text("SELECT SUM(amount) FROM entries WHERE account = :a"), {"a": account}).scalar()
