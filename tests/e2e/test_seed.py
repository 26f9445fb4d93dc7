"""Scenario 1, the seed: a module-level session, its engine without pre-ping, and a
report whose handler swallows the error.  Unfixed, one idle gap breaks every later
request; fixed by ``flake8-sqla-session --fix --unsafe-fixes``, it recovers."""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Server
from .support import CANT_RECONNECT, DRIVERS, App, errors, fixed_codes, matches, ok

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

    # Unfixed: the query after the gap fails on the dead connection, and every
    # later one on the session's invalid transaction, for as long as the process lives.
    broken = broken_run.requests()
    assert broken[0]["value"] == REPORT and ok(broken[0])
    assert broken[1]["value"] == [] and len(errors(broken[1])) == 1
    assert matches(errors(broken[1])[0], driver.gone_in_transaction), broken[1]
    for request in broken[2:]:
        assert request["value"] == []
        assert [(e["type"], e["message"].startswith(CANT_RECONNECT)) for e in errors(request)] == [
            ("sqlalchemy.exc.PendingRollbackError", True)
        ], request

    # Fixed: at most the first query after the gap fails (the session still held the
    # dead connection in its open transaction); the rollback lets every later one work.
    cured = fixed_run.requests()
    assert cured[0]["value"] == REPORT and ok(cured[0])
    if not ok(cured[1]):
        assert cured[1]["value"] == [] and len(errors(cured[1])) == 1
        assert matches(errors(cured[1])[0], driver.gone_in_transaction), cured[1]
    for request in cured[2:]:
        assert request["value"] == REPORT and ok(request), request

    # Fixed, with the remove() at the end of each request that the README recommends:
    # every request starts a new session, whose connection the pool pre-pings.
    for request in removed_run.requests():
        assert request["value"] == REPORT and ok(request), request
