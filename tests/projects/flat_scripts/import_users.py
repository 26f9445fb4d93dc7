"""Import users from a CSV export of the old CRM."""
import csv
import logging
import sys

from sqlalchemy.exc import IntegrityError

from db import SessionLocal
from models import User

log = logging.getLogger("import_users")


def import_file(path):
    created = 0
    with SessionLocal() as session, open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            session.add(User(email=row["email"], name=row["name"]))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                log.info("already imported: %s", row["email"])
                continue
            created += 1
        session.commit()
    return created


def import_one(email, name):
    user_db = SessionLocal()
    try:
        user_db.add(User(email=email, name=name))
        user_db.commit()
    except IntegrityError:  # closed in finally: the failed transaction goes with the session
        log.info("duplicate %s", email)
    finally:
        user_db.close()


if __name__ == "__main__":
    print(import_file(sys.argv[1]))
