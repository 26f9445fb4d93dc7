"""Command line: report, --fix, --diff, --check.  (Filled in by the fixer work.)"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("flake8-sqla-session: the command line is not built yet", file=sys.stderr)
    return 2
