"""Scenario 3: an engine without pool_pre_ping, used after the idle gap.  Unfixed,
the first checkout after the gap hands out the connection the server closed and
the query fails; with SQS201's fix (pool_pre_ping=True) it succeeds."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Server
from .support import DRIVERS, App, assert_pre_ping_cures, fixed_codes

pytestmark = pytest.mark.e2e

CODES = [("inventory/db.py", "SQS201")]


def test_prepping(server: Server, tmp_path: Path) -> None:
    driver = DRIVERS[server.sync_driver]
    unfixed = App.copy("prepping", tmp_path / "unfixed")
    fixed = App.copy("prepping", tmp_path / "fixed")

    def start(app: App):
        url = server.url(server.create_database())
        return app.start(url, url, "--gap", str(server.gap), "--requests", "4")

    broken_run = start(unfixed)  # runs while the copy is linted and fixed
    assert unfixed.flake8() == CODES
    assert fixed_codes(fixed.fix()) == CODES
    assert fixed.flake8() == []
    assert 'create_engine(os.environ["E2E_DATABASE_URL"], pool_pre_ping=True)' in fixed.source("inventory/db.py")
    fixed_run = start(fixed)

    assert_pre_ping_cures(broken_run.requests(), fixed_run.requests(), driver)
