import csv

from sqlalchemy import text

from reporting.warehouse import WarehouseSession

_cache = WarehouseSession()  # expect: SQS101


def export(table, path):
    ws = WarehouseSession()  # expect: SQS104
    rows = ws.execute(text(f"SELECT * FROM {table}"))
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def row_count(table):
    return _cache.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
