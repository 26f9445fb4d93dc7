"""flake8-sqla-session: find and fix the SQLAlchemy session patterns behind
"MySQL server has gone away" and "Can't reconnect until invalid transaction is rolled back"."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flake8-sqla-session")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
