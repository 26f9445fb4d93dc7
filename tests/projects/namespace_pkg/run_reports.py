"""Entry point for the nightly report job."""
import sys

from reporting.exports import export, row_count

if __name__ == "__main__":
    for table in sys.argv[1:]:
        print(table, row_count(table))
        export(table, f"/tmp/{table}.csv")
