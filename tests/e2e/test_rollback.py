"""Scenario 2: a handler swallows an IntegrityError without rolling back and the
request keeps using the session.  Unfixed, the next statement raises
PendingRollbackError; with SQS301's fix (rollback first), the request carries on."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Server
from .support import DRIVERS, FLUSH_FAILED, App, fixed_codes, ok

pytestmark = pytest.mark.e2e

CODES = [("signup/accounts.py", "SQS301")]
SIGNED_UP = {"registered": ["ada@example.com", "bob@example.com", "cy@example.com"], "users": 3}


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

    [broken] = broken_run.requests()
    assert broken["value"] is None and broken["logged"] == []
    assert broken["raised"]["type"] == "sqlalchemy.exc.PendingRollbackError"
    message = broken["raised"]["message"]
    assert message.startswith(FLUSH_FAILED), message
    assert re.fullmatch(driver.duplicate_key, message[len(FLUSH_FAILED):]), message

    [cured] = fixed_run.requests()
    assert cured["value"] == SIGNED_UP and ok(cured), cured
