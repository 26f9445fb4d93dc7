"""Scenario 4: the same three failures and cures with asyncio (create_async_engine,
AsyncSession), on PostgreSQL through asyncpg and through psycopg's async mode.

One app (apps/asyncapp) holds the three patterns; the runner's --mode picks the
request: ``seed`` (the module-level AsyncSession's report), ``rollback`` (a batch
signup that swallows an IntegrityError) or ``prepping`` (a pooled connection after
the idle gap)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import Server
from .support import (
    DRIVERS,
    MISSING_DIALECTS,
    SQLALCHEMY,
    App,
    Run,
    assert_pre_ping_cures,
    assert_rollback_cures,
    assert_seed_breaks,
    assert_seed_recovers,
    fixed_codes,
    ok,
)

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("driver_name", ["asyncpg", "psycopg_async"])]

CODES = [
    ("asyncshop/accounts.py", "SQS301"),
    ("asyncshop/reports.py", "SQS301"),
    ("asyncshop/settings.py", "SQS101"),
    ("asyncshop/settings.py", "SQS201"),
]
REPORT = ["ada", "bob", "cy"]
# SQLAlchemy 1.4 has no async_sessionmaker (new in 2.0): there the app's settings make
# AsyncSession objects with sessionmaker(engine, class_=AsyncSession), as 1.4 apps do.
ASYNC_OVERLAY = "asyncapp-sa14" if SQLALCHEMY < (2, 0) else None


@pytest.fixture(autouse=True)
def _dialect(driver_name: str) -> None:
    """Where this SQLAlchemy lacks the driver's dialect, the test is skipped and says so."""
    if driver_name in MISSING_DIALECTS:
        pytest.skip(MISSING_DIALECTS[driver_name])


def _start(server: Server, driver_name: str, app: App, *args: str) -> Run:
    database = server.create_database()
    return app.start(server.url(database, driver_name), server.url(database), *args)


def _broken_and_fixed(tmp_path: Path, server: Server, driver_name: str, *args: str) -> tuple[Run, App]:
    """Start the app as written; meanwhile lint it and fix a copy with the command line."""
    unfixed = App.copy("asyncapp", tmp_path / "unfixed", ASYNC_OVERLAY)
    fixed = App.copy("asyncapp", tmp_path / "fixed", ASYNC_OVERLAY)
    broken_run = _start(server, driver_name, unfixed, *args)
    assert unfixed.flake8() == CODES
    assert fixed_codes(fixed.fix()) == CODES
    assert fixed.flake8() == []
    return broken_run, fixed


def test_async_seed(postgresql: Server, driver_name: str, tmp_path: Path) -> None:
    driver = DRIVERS[driver_name]
    args = ("--mode", "seed", "--gap", str(postgresql.gap), "--requests", "5")
    broken_run, fixed = _broken_and_fixed(tmp_path, postgresql, driver_name, *args)
    settings = fixed.source("asyncshop/settings.py")
    assert "SESSION = async_scoped_session(SESSION_MAKER, scopefunc=asyncio.current_task)" in settings
    assert 'create_async_engine(os.environ["E2E_DATABASE_URL"], pool_pre_ping=True)' in settings
    assert "await settings.SESSION.rollback()" in fixed.source("asyncshop/reports.py")
    fixed_run = _start(postgresql, driver_name, fixed, *args)
    removed_run = _start(postgresql, driver_name, fixed, *args, "--remove-at-request-end")

    assert_seed_breaks(broken_run.requests(), driver, REPORT)
    # Fixed: each request is a task, and async_scoped_session gives each task a
    # session of its own, whose connection the pool pre-pings: at most the first
    # request after the gap may fail, the others all work.
    assert_seed_recovers(fixed_run.requests(), driver, REPORT)
    for request in removed_run.requests():
        assert request["value"] == REPORT and ok(request), request


def test_async_rollback(postgresql: Server, driver_name: str, tmp_path: Path) -> None:
    driver = DRIVERS[driver_name]
    broken_run, fixed = _broken_and_fixed(tmp_path, postgresql, driver_name, "--mode", "rollback", "--requests", "1")
    handler = r"\n    except IntegrityError:\n(        #.*\n)*        await session\.rollback\(\)\n"
    assert re.search(handler, fixed.source("asyncshop/accounts.py"))
    fixed_run = _start(postgresql, driver_name, fixed, "--mode", "rollback", "--requests", "1")

    assert_rollback_cures(broken_run.requests(), fixed_run.requests(), driver)


def test_async_prepping(postgresql: Server, driver_name: str, tmp_path: Path) -> None:
    driver = DRIVERS[driver_name]
    args = ("--mode", "prepping", "--gap", str(postgresql.gap), "--requests", "4")
    broken_run, fixed = _broken_and_fixed(tmp_path, postgresql, driver_name, *args)
    fixed_run = _start(postgresql, driver_name, fixed, *args)

    assert_pre_ping_cures(broken_run.requests(), fixed_run.requests(), driver)
