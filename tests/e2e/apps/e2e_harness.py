"""Drives one run of an end-to-end app, the way a small web server would.

Copied next to each app's ``app_runner.py``.  A run is a list of requests with an
idle gap after the first one (the server closes idle connections meanwhile); it
prints one JSON object: for each request, its value, the exception it raised and
the exceptions it logged.  The database comes from ``E2E_DATABASE_URL`` (the app's
own URL) and ``E2E_SETUP_URL`` (a synchronous URL of the same database, to create
the tables before the app starts).
"""
import argparse
import asyncio
import json
import logging
import os
import sys
import time

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


class _Captured(logging.Handler):
    """Keeps the exceptions that the app logs (logger.exception and friends)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.errors = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(describe(record.exc_info[1]))


CAPTURED = _Captured()
logging.getLogger().addHandler(CAPTURED)
logging.getLogger().setLevel(logging.INFO)


def describe(exc):
    """An exception as the tests compare it: its class and its first line."""
    return {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc).split("\n", 1)[0],
    }


def arguments(modes=()):
    parser = argparse.ArgumentParser()
    parser.add_argument("--gap", type=float, default=0.0, help="idle seconds after the first request")
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--remove-at-request-end", action="store_true")
    if modes:
        parser.add_argument("--mode", choices=modes, required=True)
    return parser.parse_args()


def create_tables(metadata, rows=None):
    """The app's tables (and rows), through a connection of its own that nothing pools."""
    engine = create_engine(os.environ["E2E_SETUP_URL"], poolclass=NullPool)
    with engine.begin() as connection:
        metadata.create_all(connection)
        for table, values in (rows or {}).items():
            connection.execute(table.insert(), values)
    engine.dispose()


def _result(index, value, raised):
    logged = list(CAPTURED.errors)
    CAPTURED.errors.clear()
    return {"request": index, "value": value, "raised": raised, "logged": logged}


def serve(handler, *, requests, gap, end_request=None):
    """Call `handler` once per request, in this thread; sleep `gap` seconds after the first."""
    results = []
    for index in range(requests):
        if index == 1:
            time.sleep(gap)
        value = raised = None
        try:
            value = handler()
        except Exception as exc:
            raised = describe(exc)
        finally:
            if end_request is not None:
                end_request()
        results.append(_result(index, value, raised))
    report(results)


def serve_async(handler, *, requests, gap, end_request=None):
    """The same with coroutines: one event loop, each request in a task of its own."""

    async def one_request():
        try:
            return await handler()
        finally:
            if end_request is not None:
                await end_request()

    async def main():
        results = []
        for index in range(requests):
            if index == 1:
                await asyncio.sleep(gap)
            value = raised = None
            try:
                value = await asyncio.create_task(one_request())
            except Exception as exc:
                raised = describe(exc)
            results.append(_result(index, value, raised))
        return results

    report(asyncio.run(main()))


def report(results):
    json.dump({"requests": results}, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
