"""Monthly CSV exports, run from a management command."""
import csv

from django.conf import settings
from sqlalchemy import text


def export_month(month, path):
    reporting = settings.BASE_DB_SESSION_MAKER()  # expect: SQS104
    rows = reporting.execute(text("SELECT * FROM orders WHERE month = :m"), {"m": month})
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def export_customers(path):
    with settings.BASE_DB_SESSION_MAKER() as reporting:
        rows = reporting.execute(text("SELECT id, name FROM customers"))
        with open(path, "w", newline="") as fh:
            csv.writer(fh).writerows(rows)
