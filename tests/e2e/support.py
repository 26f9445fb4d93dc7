"""The end-to-end apps as the tests use them: copy, lint, fix, run.

Each app under ``apps/`` is copied (with ``apps/e2e_harness.py``) into a temporary
folder; the copy is linted with flake8, fixed with ``flake8-sqla-session --fix
--unsafe-fixes`` (the real command line, in a subprocess) and run with
``python app_runner.py`` against a real server, which prints one JSON object.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy

APPS = Path(__file__).resolve().parent / "apps"
# The SQLAlchemy series the apps run on here: (1, 4), (2, 0) or (2, 1).  Where the
# series behave differently, the expectations below say how.
SQLALCHEMY = (int(sqlalchemy.__version__.split(".")[0]), int(sqlalchemy.__version__.split(".")[1]))
# PostgreSQL's synchronous driver: the psycopg (3) dialect is new in SQLAlchemy 2.0.
PG_SYNC_DRIVER = "psycopg" if SQLALCHEMY >= (2, 0) else "psycopg2"
TIMEOUT = 60
STARTED: list[subprocess.Popen[str]] = []  # app runs, stopped after each test (conftest)

# PendingRollbackError, once a disconnect was raised inside the session's transaction.
# 2.0 and 2.1 add "Please rollback() fully before proceeding"; 1.4 says it in one
# sentence.  (1.3, the blog post's era, raised StatementError wrapping an
# InvalidRequestError with the same sentence; 1.4 introduced PendingRollbackError.)
CANT_RECONNECT = {
    (1, 4): "Can't reconnect until invalid transaction is rolled back. (Background on this error at: "
            "https://sqlalche.me/e/14/8s2b)",
    (2, 0): "Can't reconnect until invalid transaction is rolled back.  Please rollback() fully before proceeding",
    (2, 1): "Can't reconnect until invalid transaction is rolled back.  Please rollback() fully before proceeding",
}[SQLALCHEMY]
# PendingRollbackError, once a flush failed and the handler swallowed the error (the same on 1.4, 2.0, 2.1).
FLUSH_FAILED = (
    "This Session's transaction has been rolled back due to a previous exception during flush. "
    "To begin a new transaction with this Session, first issue Session.rollback(). Original exception was: "
)


@dataclass(frozen=True)
class Driver:
    """What one DBAPI driver raises when the server has closed the connection."""

    name: str
    # The first query on a connection that the server closed while the session
    # held it in a transaction (idle in transaction).
    gone_in_transaction: tuple[str, str]  # (exception class, regular expression for its first line)
    # The first query on a pooled connection that the server closed while it was idle.
    gone_idle: tuple[str, str]
    duplicate_key: str  # regular expression: the IntegrityError of a duplicate e-mail address


_MYSQL_GONE = (
    "sqlalchemy.exc.OperationalError",
    r"\(pymysql\.err\.OperationalError\) "
    r"\((2006, \"MySQL server has gone away \(.*\)\""
    r"|2013, 'Lost connection to (MySQL|MariaDB) server during query.*')\)",
)
_PG_DUPLICATE = r"duplicate key value violates unique constraint \"users_email_key\""
_PG_GONE_IN_TRANSACTION = (
    "sqlalchemy.exc.InternalError",
    r"\(psycopg\.errors\.IdleInTransactionSessionTimeout\) terminating connection due to idle-in-transaction timeout",
)
_PG_GONE_IDLE = (
    "sqlalchemy.exc.OperationalError",
    r"\(psycopg\.errors\.IdleSessionTimeout\) terminating connection due to idle-session timeout",
)
# psycopg2 (PostgreSQL's synchronous driver on 1.4) does not read the server's last
# message: both closed connections are the same OperationalError.
_PSYCOPG2_GONE = (
    "sqlalchemy.exc.OperationalError",
    r"\(psycopg2\.OperationalError\) server closed the connection unexpectedly",
)
# SQLAlchemy's asyncpg adapter names asyncpg's exception: 2.1 maps it to an adapter class
# of the same name; 1.4 and 2.0 map it to the DBAPI class and name asyncpg's in the text.
if SQLALCHEMY >= (2, 1):
    _ASYNCPG_CLOSED = r"\(sqlalchemy\.dialects\.postgresql\.asyncpg\.InterfaceError\) "
    _ASYNCPG_DUPLICATE = r"\(sqlalchemy\.dialects\.postgresql\.asyncpg\.UniqueViolationError\) "
else:
    _ASYNCPG_CLOSED = (
        r"\(sqlalchemy\.dialects\.postgresql\.asyncpg\.InterfaceError\) "
        r"<class 'asyncpg\.exceptions\._base\.InterfaceError'>: "
    )
    _ASYNCPG_DUPLICATE = (
        r"\(sqlalchemy\.dialects\.postgresql\.asyncpg\.IntegrityError\) "
        r"<class 'asyncpg\.exceptions\.UniqueViolationError'>: "
    )
DRIVERS = {
    "psycopg": Driver(
        "psycopg",
        _PG_GONE_IN_TRANSACTION,
        _PG_GONE_IDLE,
        r"\(psycopg\.errors\.UniqueViolation\) " + _PG_DUPLICATE,
    ),
    "psycopg2": Driver(
        "psycopg2",
        _PSYCOPG2_GONE,
        _PSYCOPG2_GONE,
        r"\(psycopg2\.errors\.UniqueViolation\) " + _PG_DUPLICATE,
    ),
    "psycopg_async": Driver(
        "psycopg_async",
        _PG_GONE_IN_TRANSACTION,
        _PG_GONE_IDLE,
        r"\(psycopg\.errors\.UniqueViolation\) " + _PG_DUPLICATE,
    ),
    "asyncpg": Driver(
        "asyncpg",
        ("sqlalchemy.exc.InterfaceError",
         _ASYNCPG_CLOSED
         + r"(cannot call PreparedStatement\.fetch\(\): the underlying connection is closed|connection is closed)"),
        ("sqlalchemy.exc.InterfaceError", _ASYNCPG_CLOSED + "connection is closed"),
        _ASYNCPG_DUPLICATE + _PG_DUPLICATE,
    ),
    "pymysql": Driver(
        "pymysql",
        _MYSQL_GONE,
        _MYSQL_GONE,
        r"\(pymysql\.err\.IntegrityError\) \(1062, \"Duplicate entry 'ada@example\.com' for key 'email'\"\)",
    ),
}
# Drivers that this SQLAlchemy has no dialect for, and why.
MISSING_DIALECTS = {
    "psycopg_async": "SQLAlchemy 1.4 has no psycopg (3) dialect: postgresql+psycopg_async is new in 2.0",
} if SQLALCHEMY < (2, 0) else {}


def matches(error: dict[str, str] | None, expected: tuple[str, str]) -> bool:
    """`error` (as the harness describes it) is of the expected class and first line."""
    if error is None or error["type"] != expected[0]:
        return False
    return re.fullmatch(expected[1], error["message"]) is not None


def _display(process: subprocess.CompletedProcess[str] | subprocess.Popen[str], out: str, err: str) -> str:
    return f"command: {process.args}\nexit code: {process.returncode}\nstdout:\n{out}\nstderr:\n{err}"


@dataclass
class App:
    """A copy of one app, in a folder of its own."""

    path: Path

    @classmethod
    def copy(cls, name: str, destination: Path, overlay: str | None = None) -> "App":
        """A copy of apps/NAME; the files of apps/OVERLAY, if given, replace theirs."""
        target = destination / name
        shutil.copytree(APPS / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if overlay is not None:
            shutil.copytree(
                APPS / overlay, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True
            )
        shutil.copy2(APPS / "e2e_harness.py", target / "e2e_harness.py")
        return cls(target)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )

    def flake8(self) -> list[tuple[str, str]]:
        """(file, code) of every SQS finding of the real flake8 with the plugin, sorted."""
        result = self._run("-m", "flake8", "--isolated", "--select", "SQS", ".")
        problem = result.returncode not in (0, 1) or result.stderr.strip()
        assert not problem, _display(result, result.stdout, result.stderr)
        found = []
        for line in result.stdout.splitlines():
            path, _line, _col, rest = line.split(":", 3)
            found.append((os.path.normpath(path), rest.split()[0]))
        return sorted(found)

    def report(self) -> list[tuple[str, str]]:
        """`flake8-sqla-session .` (no fix): (file, code) of its `path:line:col: CODE message` lines, sorted.

        It must exit 1 (findings) and write nothing into the files."""
        before = {path: path.read_bytes() for path in self.path.rglob("*.py")}
        result = self._run("-m", "flake8_sqla_session", ".")
        assert result.returncode == 1, _display(result, result.stdout, result.stderr)
        assert {path: path.read_bytes() for path in self.path.rglob("*.py")} == before
        found = []
        for line in result.stdout.splitlines():
            match = re.match(r"(.+?):\d+:\d+: (SQS\d+) ", line)
            if match:
                found.append((os.path.normpath(match.group(1)), match.group(2)))
        return sorted(found)

    def fix(self) -> list[dict[str, Any]]:
        """`flake8-sqla-session --fix --unsafe-fixes --format json .`: its findings; it must exit 0."""
        result = self._run("-m", "flake8_sqla_session", "--fix", "--unsafe-fixes", "--format", "json", ".")
        assert result.returncode == 0, _display(result, result.stdout, result.stderr)
        return parse_json_findings(result.stdout)

    def source(self, relative: str) -> str:
        return (self.path / relative).read_text()

    def start(self, url: str, setup_url: str, *args: str) -> "Run":
        """Start `python app_runner.py ARGS` against the database at `url`."""
        env = {**os.environ, "E2E_DATABASE_URL": url, "E2E_SETUP_URL": setup_url}
        process = subprocess.Popen(
            [sys.executable, "app_runner.py", *args], cwd=self.path, env=env, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        STARTED.append(process)
        driver = url.split("://", 1)[0]
        return Run(process, f"{self.path.parent.name}/{self.path.name} ({driver}) app_runner.py {' '.join(args)}")


@dataclass
class Run:
    """One app run in progress."""

    process: subprocess.Popen[str]
    label: str

    def requests(self) -> list[dict[str, Any]]:
        """Wait for the run; its requests as the harness reports them."""
        try:
            out, err = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        assert self.process.returncode == 0, _display(self.process, out, err)
        try:
            requests: list[dict[str, Any]] = json.loads(out)["requests"]
        except (ValueError, KeyError) as error:
            raise AssertionError(f"no JSON report ({error}):\n{_display(self.process, out, err)}") from None
        # Shown by pytest when the test fails (and with -s): what the app went through.
        print(f"$ {self.label}")
        for request in requests:
            outcome = [f"{e['type']}: {e['message']}" for e in errors(request)] or [f"ok {request['value']!r}"]
            print(f"  request {request['request']}: " + "\n    ".join(outcome))
        return requests


def stop_started() -> None:
    """Kill the app runs that a failed test left running."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.communicate()


def parse_json_findings(out: str) -> list[dict[str, Any]]:
    """`--format json`: a JSON array of findings, or one JSON object per line."""
    text = out.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return data if isinstance(data, list) else [data]


def fixed_codes(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(file, code) of the findings that the fixer reports as fixed, sorted."""
    return sorted((os.path.normpath(f["path"]), f["code"]) for f in findings if f.get("fix_applied"))


def errors(request: dict[str, Any]) -> list[dict[str, str]]:
    """What went wrong in one request: the exception it raised and those it logged."""
    return ([request["raised"]] if request["raised"] else []) + request["logged"]


def ok(request: dict[str, Any]) -> bool:
    return not errors(request)


def assert_seed_breaks(requests: list[dict[str, Any]], driver: Driver, report: Any) -> None:
    """Unfixed seed: the query after the gap fails on the dead connection, and every
    later one on the session's invalid transaction, for as long as the process lives."""
    assert requests[0]["value"] == report and ok(requests[0])
    assert requests[1]["value"] == [] and len(errors(requests[1])) == 1
    assert matches(errors(requests[1])[0], driver.gone_in_transaction), requests[1]
    for request in requests[2:]:
        assert request["value"] == []
        assert [(e["type"], e["message"].startswith(CANT_RECONNECT)) for e in errors(request)] == [
            ("sqlalchemy.exc.PendingRollbackError", True)
        ], request


def assert_seed_recovers(requests: list[dict[str, Any]], driver: Driver, report: Any) -> None:
    """Fixed seed: at most the first query after the gap fails (the session still held
    the dead connection in its open transaction); every later one works."""
    assert requests[0]["value"] == report and ok(requests[0])
    if not ok(requests[1]):
        assert requests[1]["value"] == [] and len(errors(requests[1])) == 1
        assert matches(errors(requests[1])[0], driver.gone_in_transaction), requests[1]
    for request in requests[2:]:
        assert request["value"] == report and ok(request), request


SIGNED_UP = {"registered": ["ada@example.com", "bob@example.com", "cy@example.com"], "users": 3}
QUANTITY = 7  # what the prepping app's stock query returns


def assert_rollback_cures(broken: list[dict[str, Any]], cured: list[dict[str, Any]], driver: Driver) -> None:
    """Unfixed, the swallowed IntegrityError makes the next flush raise PendingRollbackError;
    with the rollback in the handler, the sign-ups carry on."""
    [failed] = broken
    assert failed["value"] is None and failed["logged"] == []
    assert failed["raised"]["type"] == "sqlalchemy.exc.PendingRollbackError"
    message = failed["raised"]["message"]
    assert message.startswith(FLUSH_FAILED), message
    assert re.fullmatch(driver.duplicate_key, message[len(FLUSH_FAILED):]), message
    [done] = cured
    assert done["value"] == SIGNED_UP and ok(done), done


def assert_pre_ping_cures(broken: list[dict[str, Any]], cured: list[dict[str, Any]], driver: Driver) -> None:
    """Unfixed, the first checkout after the gap gets the dead connection; with pre-ping, none fails."""
    assert broken[0]["value"] == QUANTITY and ok(broken[0])
    assert broken[1]["value"] is None and len(errors(broken[1])) == 1
    assert matches(broken[1]["raised"], driver.gone_idle), broken[1]
    # The failure invalidated the whole pool: the next checkouts connect afresh.
    for request in broken[2:]:
        assert request["value"] == QUANTITY and ok(request), request
    for request in cured:
        assert request["value"] == QUANTITY and ok(request), request
