"""Scenario 2: a handler swallows an IntegrityError without rolling back and the
request keeps using the session.  Unfixed, the next statement raises
PendingRollbackError; with SQS301's fix (rollback first), the request carries on."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Server
from .support import DRIVERS, App, assert_rollback_cures, fixed_codes

pytestmark = pytest.mark.e2e

CODES = [("signup/accounts.py", "SQS301")]


def test_rollback(server: Server, tmp_path: Path) -> None:
    driver = DRIVERS[server.sync_driver]
    unfixed = App.copy("rollback", tmp_path / "unfixed")
    fixed = App.copy("rollback", tmp_path / "fixed")

    def start(app: App):
        url = server.url(server.create_database())
        return app.start(url, url, "--requests", "1")

    broken_run = start(unfixed)  # runs while the copy is linted and fixed
    assert unfixed.flake8() == CODES
    assert fixed_codes(fixed.fix()) == CODES
    assert fixed.flake8() == []
    # The handler's first statement (after its comment) is now the rollback.
    handler = r"\n    except IntegrityError:\n(        #.*\n)*        session\.rollback\(\)\n"
    assert re.search(handler, fixed.source("signup/accounts.py"))
    fixed_run = start(fixed)

    assert_rollback_cures(broken_run.requests(), fixed_run.requests(), driver)
