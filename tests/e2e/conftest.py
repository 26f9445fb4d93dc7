"""Real database servers for the end-to-end tests, one of each per test session.

* PostgreSQL from the ``pgserver`` wheel, on a unix socket in a temporary folder,
  with ``idle_session_timeout`` and ``idle_in_transaction_session_timeout`` at 1 s:
  the server closes idle pooled connections (in a transaction or not) as MySQL
  does after ``wait_timeout``.
* MariaDB from the ``mariadbd`` binary, in a temporary data directory made by
  ``mariadb-install-db``, on a unix socket in that folder, with ``wait_timeout``
  and ``interactive_timeout`` at 2 s.  Without the binary, its tests skip and say
  how to install it.

Every test gets a fresh database of its own (``Server.create_database``).
"""
from __future__ import annotations

import itertools
import os
import shutil
import socket as socket_module
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

from .support import PG_SYNC_DRIVER, stop_started

PG_IDLE_TIMEOUT = 1  # seconds: idle_session_timeout, idle_in_transaction_session_timeout
MARIADB_IDLE_TIMEOUT = 2  # seconds: wait_timeout, interactive_timeout
INSTALL_MARIADB = "install MariaDB to run them: apt-get install mariadb-server (Debian/Ubuntu)"


@dataclass
class Server:
    """A running database server that the tests may create databases on."""

    name: str
    idle_timeout: float
    _url: Callable[[str, str], str]
    _execute: Callable[[str], None]
    sync_driver: str
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def gap(self) -> float:
        """An idle gap after which the server has surely closed an idle connection."""
        return self.idle_timeout + 1.0

    def url(self, database: str, driver: str | None = None) -> str:
        return self._url(database, driver or self.sync_driver)

    def create_database(self) -> str:
        name = f"e2e_{os.getpid()}_{next(self._names)}"
        self._execute(f"CREATE DATABASE {name}")
        return name


def _which(program: str) -> str | None:
    """`program` on PATH, or in the sbin folders that a non-root PATH leaves out."""
    found = shutil.which(program)
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/sbin"):
        candidate = Path(folder, program)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def postgresql() -> Iterator[Server]:
    pgserver = pytest.importorskip("pgserver", reason="the pgserver wheel is not installed (pip install pgserver)")
    import psycopg

    # Not under pytest's basetemp: pgserver (as root) runs the server as another user and opens
    # the folders above the data for it, but every pytest that starts meanwhile (another run on
    # the machine) closes /tmp/pytest-of-<user> again, and the server's initdb fails.
    folder = tempfile.mkdtemp(prefix="e2e-postgresql-")
    server = pgserver.get_server(Path(folder, "data"), cleanup_mode="stop")
    try:
        admin_uri = server.get_uri()  # postgresql://postgres:@/postgres?host=SOCKET_DIR
        socket_dir = admin_uri.rsplit("host=", 1)[1]

        def execute(sql: str) -> None:
            # A fresh connection each time: the server closes idle ones after a second.
            with psycopg.connect(admin_uri, autocommit=True) as connection:
                connection.execute(sql)  # type: ignore[arg-type]

        for setting in ("idle_session_timeout", "idle_in_transaction_session_timeout"):
            execute(f"ALTER SYSTEM SET {setting} = '{PG_IDLE_TIMEOUT}s'")
        # A throwaway server: no fsync (its shutdown checkpoint would otherwise sync
        # thousands of files, some 15 s on a busy disk).
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            execute(f"ALTER SYSTEM SET {setting} = off")
        execute("SELECT pg_reload_conf()")
        with psycopg.connect(admin_uri, autocommit=True) as connection:
            for setting in ("idle_session_timeout", "idle_in_transaction_session_timeout"):
                value = connection.execute(f"SHOW {setting}").fetchone()  # type: ignore[arg-type]
                assert value == (f"{PG_IDLE_TIMEOUT}s",), (setting, value)

        def url(database: str, driver: str) -> str:
            return f"postgresql+{driver}://postgres@/{database}?host={socket_dir}"

        yield Server("postgresql", PG_IDLE_TIMEOUT, url, execute, PG_SYNC_DRIVER)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    mariadbd = _which("mariadbd")
    install_db = _which("mariadb-install-db")
    if mariadbd is None or install_db is None:
        pytest.skip(f"the MariaDB end-to-end tests need mariadbd and mariadb-install-db; {INSTALL_MARIADB}")
    import pymysql

    folder = tmp_path_factory.mktemp("mariadb")
    datadir = folder / "data"
    socket = folder / "mysqld.sock"
    short_folder = None
    if len(str(socket)) > 100:  # unix socket paths are limited to about 108 bytes
        short_folder = tempfile.mkdtemp(prefix="e2e-mariadb-")
        socket = Path(short_folder, "mysqld.sock")
    log = folder / "mariadbd.log"
    as_root = ["--user=root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []

    installed = subprocess.run(
        [install_db, "--no-defaults", f"--datadir={datadir}", "--auth-root-authentication-method=normal",
         "--skip-test-db", *as_root],
        capture_output=True, text=True, timeout=120,
    )
    if installed.returncode != 0:
        pytest.fail(f"mariadb-install-db failed ({installed.returncode}):\n{installed.stdout}\n{installed.stderr}")

    process = None
    try:
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [mariadbd, "--no-defaults", f"--datadir={datadir}", f"--socket={socket}", "--skip-networking",
                 f"--pid-file={folder / 'mariadbd.pid'}", f"--log-error={log}", "--skip-log-bin",
                 "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
                 f"--wait-timeout={MARIADB_IDLE_TIMEOUT}", f"--interactive-timeout={MARIADB_IDLE_TIMEOUT}", *as_root],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            )

        def connect() -> pymysql.connections.Connection:
            return pymysql.connect(unix_socket=str(socket), user="root", autocommit=True)

        # Ready once its socket accepts connections (probed with a socket of our own:
        # a failed pymysql.connect() leaves its socket unclosed).
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM) as probe:
                    probe.connect(str(socket))
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mariadbd did not start (exit {process.poll()}):\n{log.read_text(errors='replace')}")
                time.sleep(0.1)

        def execute(sql: str) -> None:
            connection = connect()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
            finally:
                connection.close()

        connection = connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@wait_timeout, @@interactive_timeout")
                assert cursor.fetchone() == (MARIADB_IDLE_TIMEOUT, MARIADB_IDLE_TIMEOUT)
        finally:
            connection.close()

        def url(database: str, driver: str) -> str:
            return f"mysql+{driver}://root@localhost/{database}?unix_socket={socket}"

        yield Server("mariadb", MARIADB_IDLE_TIMEOUT, url, execute, "pymysql")
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if short_folder is not None:
            shutil.rmtree(short_folder, ignore_errors=True)


@pytest.fixture(params=["postgresql", "mariadb"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each server in turn (MariaDB's tests skip where mariadbd is missing)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(autouse=True)
def _stop_app_runs() -> Iterator[None]:
    """No app run outlives its test, even when an assertion stopped the test early."""
    yield
    stop_started()
