"""Copy customers from the CRM replica into the warehouse."""
from sqlalchemy import text

from config import engine, make_session


def run():
    s = make_session()  # expect: SQS104
    try:
        with engine.connect() as crm:
            for row in crm.execute(text("SELECT id, name, email FROM crm.customers")):
                s.execute(text("REPLACE INTO customers VALUES (:id, :name, :email)"), dict(row._mapping))
        s.commit()
    except Exception as exc:  # expect: SQS301
        print("customer sync failed:", exc)


if __name__ == "__main__":
    run()
