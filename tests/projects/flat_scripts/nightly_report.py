"""Nightly revenue report, run by cron: python nightly_report.py"""
import csv
import logging
import sys

from sqlalchemy import text

from db import SessionLocal, engine

log = logging.getLogger("nightly_report")

session = SessionLocal()  # expect: SQS101
conn = engine.connect()  # expect: SQS102


def revenue_by_day(days):
    rows = session.execute(
        text("SELECT day, SUM(total) FROM orders GROUP BY day ORDER BY day DESC LIMIT :n"),
        {"n": days},
    )
    return rows.fetchall()


def write_report(path, days=30):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        for day, total in revenue_by_day(days):
            writer.writerow([day, total])


if __name__ == "__main__":
    write_report(sys.argv[1])
