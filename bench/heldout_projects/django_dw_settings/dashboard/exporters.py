"""Spreadsheet exports: an export session collects rows, then writes one file."""
import csv


class ExportSession:
    def __init__(self, path):
        self.path = path
        self.rows = []

    def execute(self, row):
        self.rows.append(row)

    def commit(self):
        with open(self.path, "w", newline="") as fh:
            csv.writer(fh).writerows(self.rows)
