"""A feature probe whose OperationalError on a server means the connection is gone."""
from sqlalchemy import text
from sqlalchemy.exc import OperationalError


def is_mariadb(session):
    try:
        version = session.execute(text("SELECT version()")).scalar()
    except OperationalError:  # expect: SQS301
        return False
    return "mariadb" in version.lower()
