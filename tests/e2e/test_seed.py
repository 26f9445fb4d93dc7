"""Scenario 1, the seed: a module-level session, its engine without pre-ping, and a
report whose handler swallows the error.  Unfixed, one idle gap breaks every later
request; fixed by ``flake8-sqla-session --fix --unsafe-fixes``, it recovers."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Server
from .support import DRIVERS, App, assert_seed_breaks, assert_seed_recovers, fixed_codes, ok

pytestmark = pytest.mark.e2e

CODES = [("seedapp/settings.py", "SQS101"), ("seedapp/settings.py", "SQS201"), ("shop/reports.py", "SQS301")]
REPORT = ["ada", "bob", "cy"]  # what top_customers() shows when the query works
REQUESTS = 5  # one, the idle gap, four more


def test_seed(server: Server, tmp_path: Path) -> None:
    driver = DRIVERS[server.sync_driver]
    unfixed = App.copy("seed", tmp_path / "unfixed")
    fixed = App.copy("seed", tmp_path / "fixed")

    def start(app: App, *args: str):
        url = server.url(server.create_database())
        return app.start(url, url, "--gap", str(server.gap), "--requests", str(REQUESTS), *args)

    broken_run = start(unfixed)  # runs while the copy is linted and fixed
    assert unfixed.flake8() == CODES
    assert unfixed.report() == CODES  # the command line, without --fix, agrees with flake8

    assert fixed_codes(fixed.fix()) == CODES
    assert fixed.flake8() == []
    settings = fixed.source("seedapp/settings.py")
    assert "BASE_DB_SESSION = scoped_session(BASE_DB_SESSION_MAKER)" in settings
    assert "# TODO(sqla-session): call BASE_DB_SESSION.remove() when a request ends" in settings
    assert 'create_engine(os.environ["E2E_DATABASE_URL"], pool_pre_ping=True)' in settings
    assert "settings.BASE_DB_SESSION.rollback()" in fixed.source("shop/reports.py")
    fixed_run = start(fixed)
    removed_run = start(fixed, "--remove-at-request-end")

    assert_seed_breaks(broken_run.requests(), driver, REPORT)
    # Fixed: the rollback lets every request after the first failed one work.
    assert_seed_recovers(fixed_run.requests(), driver, REPORT)

    # Fixed, with the remove() at the end of each request that the README recommends:
    # every request starts a new session, whose connection the pool pre-pings.
    for request in removed_run.requests():
        assert request["value"] == REPORT and ok(request), request
