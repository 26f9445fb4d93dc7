"""SQS1xx: sessions and connections that live longer than one unit of work."""
from __future__ import annotations

import ast
from typing import Iterator

from ..context import Context
from ..finding import Finding, Fix, Import, Span, WrapCall
from ..knowledge.kinds import ASYNC_KINDS, FACTORIES, REGISTRIES, SESSIONS, Kind, Maker
from ..knowledge.module import NESTED_CODE
from ..knowledge.names import Scope, sa_name
from .base import Invalid, Rule, Valid

SESSION_DOCS = "https://docs.sqlalchemy.org/en/20/orm/session_basics.html#when-do-i-construct-a-session-when-do-i-commit-it-and-when-do-i-close-it"  # noqa: E501
CONTEXTUAL_DOCS = "https://docs.sqlalchemy.org/en/20/orm/contextual.html"
CONNECT_DOCS = "https://docs.sqlalchemy.org/en/20/core/connections.html#basic-usage"


def calls_in(expr: ast.AST) -> Iterator[ast.Call]:
    """Calls evaluated when `expr` is: not those inside lambdas."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def statement_value(stmt: ast.stmt) -> ast.expr | None:
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr)):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value
    return None


def assigned_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


class ModuleLevelSession(Rule):
    """## What it does
    Finds a SQLAlchemy `Session` (or `AsyncSession`) created at module scope,
    directly or by calling a `sessionmaker`.

    ## Why is this bad?
    A module-level session is created once, at import, and then shared by every
    request and thread of the process. When the server closes its idle
    connection (MySQL's `wait_timeout`), the next query fails with
    `OperationalError (2006, 'MySQL server has gone away')`, the session is left
    in a failed transaction, and every later query fails with
    `Can't reconnect until invalid transaction is rolled back` until the process
    restarts. Create a session per unit of work, or make the module-level name a
    `scoped_session` registry and call its `remove()` when a request ends.

    Not reported in the project's tests (`tests/`, `test_*.py`, `*_test.py`,
    `conftest.py`, `tests.py`, `testing.py`): a test run is one short process.

    ## Fix safety
    The fix makes the name a `scoped_session` registry (`async_scoped_session` with
    `scopefunc=asyncio.current_task` for an `AsyncSession`): `NAME = F(...)()`
    becomes `scoped_session(F(...))`, `NAME = Session(...)` becomes
    `scoped_session(sessionmaker(...))`, and `NAME = registry()` becomes
    `registry`. It is unsafe: `--fix` applies it only with `--unsafe-fixes`,
    because the name no longer holds a session. Every known consequence:

    - each thread (each asyncio task) gets its own session: work added in one is
      not seen by another, and an object loaded in one thread is detached in the
      others (`DetachedInstanceError` on lazy loads);
    - a thread keeps its session until `NAME.remove()`: without a call at the end
      of each request or task, a long-lived worker keeps its session and its
      failed transaction as before (the fix adds a `TODO` comment saying so);
    - `with NAME:` and `async with NAME:` raise `TypeError` (`AttributeError`
      before Python 3.11): a registry is not a context manager;
    - `isinstance(NAME, Session)` and `type(NAME) is Session` are false, here and
      in every module that imports `NAME`; annotations such as `NAME: Session`
      no longer type-check;
    - setting an attribute on `NAME` that `scoped_session` does not proxy
      (anything but the session's own properties such as `autoflush`) sets it on
      the registry, not on the sessions;
    - an import the rewrite leaves unused (`Session`, `AsyncSession`) is removed:
      a module that imported that name from this one must import it from
      SQLAlchemy instead.
    """

    code = "SQS101"
    needs_words = ("ession",)  # Session, sessionmaker, db.session
    message = (
        "{what} created at module scope is shared by every request and thread: "
        "after a dropped connection it stays in a failed transaction; "
        "create a session per unit of work or use scoped_session"
    )
    fix_title = "Make it a `scoped_session` registry (call `remove()` when a request ends)"
    fix_safe = False
    references = (SESSION_DOCS, CONTEXTUAL_DOCS)
    options = ("--sqla-session-factories",)
    valid = [
        Valid("from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(bind=engine)\n"),
        Valid("from sqlalchemy.orm import scoped_session, sessionmaker\n"
              "Session = scoped_session(sessionmaker(bind=engine))\n"),
        Valid("from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker\nimport asyncio\n"
              "Session = async_scoped_session(async_sessionmaker(engine), scopefunc=asyncio.current_task)\n"),
        Valid("from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n"),
        Valid("import requests\nsession = requests.Session()\n"),
        Valid("from requests import Session\nsession = Session()\n"),
        Valid("class Session:\n    pass\nsession = Session()\n"),
        Valid(
            "from sqlalchemy.orm import Session\n\n"
            'if __name__ == "__main__":\n    session = Session(engine)\n    session.execute(query)\n'
        ),
        Valid("from sqlalchemy.orm import Session\n\ndef handler():\n    with Session(engine) as session:\n"
              "        session.execute(query)\n"),
        Valid("from sqlalchemy.orm import Session\nmake = lambda: Session(engine)\n"),
        Valid("from app.db import SessionLocal\nsession = SessionLocal()\n"),
        Valid("from sqlalchemy.orm import Session\nwith Session(engine) as session:\n    session.execute(query)\n"),
        # A global that holds a factory or a registry, not a session.
        Valid(
            "from sqlalchemy.orm import scoped_session, sessionmaker\nSession = None\n\ndef init(engine):\n"
            "    global Session\n    Session = scoped_session(sessionmaker(bind=engine))\n"
        ),
        # A local that shadows nothing global.
        Valid("from sqlalchemy.orm import Session\n\ndef init(engine):\n    with Session(engine) as session:\n"
              "        session.execute(query)\n"),
        # SQLAlchemy 1.4 style: declarative_base from sqlalchemy.ext.declarative, an autocommit registry
        Valid(
            "from sqlalchemy.ext.declarative import declarative_base\n"
            "from sqlalchemy.orm import scoped_session, sessionmaker\n\nBase = declarative_base()\n"
            "Session = scoped_session(sessionmaker(bind=engine, autocommit=True))\n"
        ),
        # The project's tests: a test run is one short process, long gone before a server drops an
        # idle connection.
        Valid("from sqlalchemy.orm import Session\nsession = Session(bind=engine)\n",
              filename="test_fixtures.py"),
        Valid("from sqlalchemy.orm import sessionmaker\nsession = sessionmaker(bind=engine)()\n",
              filename="conftest.py"),
    ]
    invalid = [
        Invalid(
            "from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import sessionmaker\n"
            "\n"
            'engine = create_engine("mysql://db/app", pool_pre_ping=True)\n'
            "BASE_DB_SESSION_MAKER = sessionmaker(bind=engine)\n"
            "BASE_DB_SESSION = BASE_DB_SESSION_MAKER()\n",
            at=(6, 18),
            fixed="from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import scoped_session, sessionmaker\n"
            "\n"
            'engine = create_engine("mysql://db/app", pool_pre_ping=True)\n'
            "BASE_DB_SESSION_MAKER = sessionmaker(bind=engine)\n"
            "# TODO(sqla-session): call BASE_DB_SESSION.remove() when a request ends\n"
            "BASE_DB_SESSION = scoped_session(BASE_DB_SESSION_MAKER)\n",
        ),
        Invalid(
            "from sqlalchemy.orm import sessionmaker\n\nsession = sessionmaker(bind=engine)()\n",
            at=(3, 10),
            fixed="from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "# TODO(sqla-session): call session.remove() when a request ends\n"
            "session = scoped_session(sessionmaker(bind=engine))\n",
        ),
        Invalid(
            "import sqlalchemy as sa\nimport sqlalchemy.orm\n\nsession = sa.orm.Session(bind=engine)\n",
            at=(4, 10),
            fixed="import sqlalchemy as sa\nimport sqlalchemy.orm\n\n"
            "# TODO(sqla-session): call session.remove() when a request ends\n"
            "session = sa.orm.scoped_session(sa.orm.sessionmaker(bind=engine))\n",
        ),
        Invalid(
            "from sqlalchemy import orm\n\nif DEBUG:\n    session = orm.Session(engine)\n",
            at=(4, 14),
            fixed="from sqlalchemy import orm\n\nif DEBUG:\n"
            "    # TODO(sqla-session): call session.remove() when a request ends\n"
            "    session = orm.scoped_session(orm.sessionmaker(engine))\n",
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
            "session = async_sessionmaker(engine)()\n",
            at=(3, 10),
            fixed="import asyncio\n\nfrom sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker\n\n"
            "# TODO(sqla-session): call session.remove() when a request ends\n"
            "session = async_scoped_session(async_sessionmaker(engine), scopefunc=asyncio.current_task)\n",
        ),
        Invalid(
            "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "registry = scoped_session(sessionmaker(bind=engine))\nsession = registry()\n",
            at=(4, 10),
            fixed="from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "registry = scoped_session(sessionmaker(bind=engine))\n"
            "# TODO(sqla-session): call session.remove() when a request ends\nsession = registry\n",
        ),
        Invalid(
            "from app.db import SessionLocal\nsession = SessionLocal()\n",
            at=(2, 10),
            options={"session_factories": "app.db.SessionLocal"},
            fixed="from app.db import SessionLocal\nfrom sqlalchemy.orm import scoped_session\n"
            "# TODO(sqla-session): call session.remove() when a request ends\n"
            "session = scoped_session(SessionLocal)\n",
        ),
        Invalid(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\nsession = None\n\n"
            "def init_db(url):\n    global session\n    engine = create_engine(url, pool_pre_ping=True)\n"
            "    session = sessionmaker(bind=engine)()\n",
            at=(9, 14),
        ),
        Invalid(
            "from sqlalchemy.orm import Session\ntry:\n    session = Session(engine)\nexcept ImportError:\n"
            "    session = None\n",
            at=(3, 14),
            fixed="from sqlalchemy.orm import scoped_session, sessionmaker\ntry:\n"
            "    # TODO(sqla-session): call session.remove() when a request ends\n"
            "    session = scoped_session(sessionmaker(engine))\nexcept ImportError:\n    session = None\n",
        ),
        # SQLAlchemy 1.4 style: an autocommit=True factory's session is shared all the same
        Invalid(
            "from sqlalchemy.orm import sessionmaker\n\nSession = sessionmaker(bind=engine, autocommit=True)\n"
            "session = Session()\n",
            at=(4, 10),
            fixed="from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "Session = sessionmaker(bind=engine, autocommit=True)\n"
            "# TODO(sqla-session): call session.remove() when a request ends\nsession = scoped_session(Session)\n",
        ),
        # SQLAlchemy 1.4 style: no async_sessionmaker (new in 2.0), sessionmaker(class_=AsyncSession)
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession\nfrom sqlalchemy.orm import sessionmaker\n\n"
            "SessionLocal = sessionmaker(engine, class_=AsyncSession)\nsession = SessionLocal()\n",
            at=(5, 10),
            fixed="import asyncio\n\nfrom sqlalchemy.ext.asyncio import AsyncSession, async_scoped_session\n"
            "from sqlalchemy.orm import sessionmaker\n\n"
            "SessionLocal = sessionmaker(engine, class_=AsyncSession)\n"
            "# TODO(sqla-session): call session.remove() when a request ends\n"
            "session = async_scoped_session(SessionLocal, scopefunc=asyncio.current_task)\n",
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        if context.is_test_file:
            return  # a test run ends long before a server closes an idle connection
        module = context.module
        for stmt in context.module_statements:
            value = statement_value(stmt)
            if value is None:
                continue
            for call in calls_in(value):
                if context.classify(call, module) in SESSIONS:
                    name = assigned_name(stmt) if value is call else None
                    what = f"Session {name!r}" if name else "Session"
                    fix = scoped_fix(context, call, module, name) if name else None
                    yield self.finding(call, fix, what=what)
        # `global session` then `session = Session(engine)` in an init function: the
        # same module-scoped session, by another road (no fix: the call sites vary).
        for name, binding, scope in context.global_assignments:
            if isinstance(binding.value, ast.Call) and context.classify(binding.value, scope) in SESSIONS:
                yield self.finding(binding.value, what=f"Session {name!r} (a module global)")


def scoped_fix(context: Context, call: ast.Call, scope: Scope, name: str) -> Fix | None:
    """`NAME = F(...)()`, `NAME = Factory()` or `NAME = Session(...)` as a scoped_session registry;
    `NAME = registry()` as the registry itself."""
    func = call.func
    if context.classify(func, scope) in REGISTRIES:
        if call.args or call.keywords:
            return None  # a registry called with arguments makes a new session each time
        return Fix(
            WrapCall(Span.of(call), "", unwrap=True),
            safe=False,
            comment=f"TODO(sqla-session): call {name}.remove() when a request ends",
        )
    if context.classify(func, scope) in FACTORIES or _is_factory_name(context, func, scope):
        if call.args or call.keywords:
            return None  # per-call configuration: no registry takes it
        is_async = context.classify(func, scope) is Kind.ASYNC_FACTORY or context.classify(call, scope) in ASYNC_KINDS
        like = _factory_callee(context, func, scope)
        return _registry_fix(context, call, scope, name, is_async, like, unwrap=True, new_func=None)
    kind = context.classify(call, scope)
    if kind in SESSIONS and context.qualified(func, scope) is not None:
        is_async = kind is Kind.ASYNC_SESSION
        maker, imports = context.sa_import_for("async_sessionmaker" if is_async else "sessionmaker", func, scope)
        fix = _registry_fix(context, call, scope, name, is_async, func, unwrap=False, new_func=maker)
        return Fix(fix.edit, fix.safe, fix.imports + imports, fix.comment)
    return None


def _is_factory_name(context: Context, func: ast.expr, scope: Scope) -> bool:
    qualified = context.qualified(func, scope)
    return qualified is not None and context.is_configured_factory(qualified)


def _factory_callee(context: Context, func: ast.expr, scope: Scope) -> ast.expr:
    """The `sessionmaker` callee that built the factory `func`, for spelling the registry alike."""
    if isinstance(func, ast.Call):
        return func.func
    if isinstance(func, ast.Name):
        for binding in scope.lookup(func.id) or ():
            if binding.kind == "assign" and isinstance(binding.value, ast.Call):
                return binding.value.func
    return ast.Name("sessionmaker")


def _registry_fix(
    context: Context,
    call: ast.Call,
    scope: Scope,
    name: str,
    is_async: bool,
    like: ast.expr,
    unwrap: bool,
    new_func: str | None,
) -> Fix:
    wrapper, imports = context.sa_import_for("async_scoped_session" if is_async else "scoped_session", like, scope)
    extra: tuple[str, ...] = ()
    if is_async:
        extra = ("scopefunc=asyncio.current_task",)
        imports += (Import("asyncio"),)
    return Fix(
        WrapCall(Span.of(call), wrapper, unwrap, new_func, extra),
        safe=False,
        imports=imports,
        comment=f"TODO(sqla-session): call {name}.remove() when a request ends",
    )


class ModuleLevelConnection(Rule):
    """## What it does
    Finds a connection opened at module scope: `engine.connect()`,
    `engine.raw_connection()` or `create_engine(...).connect()`.

    ## Why is this bad?
    A module-level connection is opened at import and held for the life of the
    process. It is shared by every request and thread, and it dies for good
    when the server closes idle connections; the pool cannot replace it.
    Check a connection out per unit of work: `with engine.connect() as conn:`.
    Not reported in the project's tests (see SQS101).
    """

    code = "SQS102"
    needs_words = ("connect",)  # connect(), raw_connection()
    message = (
        "connection opened at module scope is held for the life of the process and dies when the "
        "server closes idle connections; open one per unit of work with 'with engine.connect() as conn:'"
    )
    references = (CONNECT_DOCS,)
    valid = [
        Valid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n\n"
            "def rows():\n    with engine.connect() as conn:\n        return conn.execute(query).all()\n"
        ),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"
              "with engine.connect() as conn:\n    conn.execute(query)\n"),
        Valid("import socket\nsock = socket.socket()\nconn = sock.connect(('localhost', 80))\n"),
        Valid("import sqlite3\nconn = sqlite3.connect('app.db')\n"),
        Valid("from app.db import engine\nconn = engine.connect()\n"),
        # A connectivity check at import: the connection is not kept.
        Valid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\ntry:\n"
            "    engine.connect()\nexcept Exception:\n    engine.dispose()\n"
        ),
        # SQLAlchemy 1.4 style: engine.execute() checks a connection out and returns it once the result is read
        Valid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"
            "VERSION = engine.execute('SELECT VERSION()').scalar()\n"
        ),
        # The project's tests (see SQS101).
        Valid("from sqlalchemy import create_engine\nconnection = create_engine(url).connect()\n",
              filename="tests/test_reports.py"),
    ]
    invalid = [
        Invalid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"
            "conn = engine.connect()\n",
            at=(3, 7),
        ),
        Invalid(
            "import sqlalchemy as sa\nengine = sa.create_engine(url, pool_pre_ping=True)\n"
            "raw = engine.raw_connection()\n",
            at=(3, 6),
        ),
        Invalid(
            "from sqlalchemy import create_engine\nconn = create_engine(url, pool_pre_ping=True).connect()\n", at=(2, 7)
        ),
        # SQLAlchemy 1.4 style: a string statement on the shared connection
        Invalid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"
            "conn = engine.connect()\nrows = conn.execute('SELECT id FROM users').fetchall()\n",
            at=(3, 7),
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        if context.is_test_file:
            return  # a test run ends long before a server closes an idle connection
        module = context.module
        for stmt in context.module_statements:
            value = statement_value(stmt)
            if value is None:
                continue
            if isinstance(stmt, ast.Expr) and value is not None and isinstance(value, ast.Call):
                if context.classify(value, module) is Kind.CONNECTION:
                    continue  # `engine.connect()` alone: a connectivity check, the connection is dropped at once
            for call in calls_in(value):
                if context.classify(call, module) is Kind.CONNECTION:
                    yield self.finding(call)


class SharedSessionDefault(Rule):
    """## What it does
    Finds a session created as a default argument value or as a class attribute.

    ## Why is this bad?
    Both are evaluated once, when the `def` or `class` statement runs, so every
    call or instance shares that one session, with the same failure as a
    module-level session. Default to `None` and create the session inside.
    """

    code = "SQS103"
    needs_words = ("ession",)
    message = (
        "Session created as {where} is shared by every {sharer}: "
        "after a dropped connection it stays in a failed transaction; "
        "default to None and create the session per call"
    )
    references = (SESSION_DOCS,)
    valid = [
        Valid("from sqlalchemy.orm import Session\n\ndef f(session=None):\n    session = session or Session(engine)\n"),
        Valid("from sqlalchemy.orm import Session\n\nclass Repo:\n    def __init__(self):\n"
              "        self.session = Session(engine)\n"),
        Valid("from sqlalchemy.orm import Session\n\nclass Repo:\n    session_class = Session\n"),
        Valid("import requests\n\ndef fetch(session=requests.Session()):\n    pass\n"),
        # Airflow's sentinel: typed as a Session, but None (a decorator hands the real one).
        Valid(
            "from typing import cast\nfrom sqlalchemy.orm import Session\n\n"
            "NEW_SESSION: Session = cast(Session, None)\n\n"
            "def dag_runs(dag_id, session: Session = NEW_SESSION):\n    pass\n"
        ),
    ]
    invalid = [
        Invalid("from sqlalchemy.orm import Session\n\ndef f(session=Session(engine)):\n    pass\n", at=(3, 14)),
        Invalid(
            "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n\n"
            "async def f(*, session=SessionLocal()):\n    pass\n",
            at=(4, 23),
        ),
        Invalid(
            "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n\nclass Repo:\n"
            "    session = SessionLocal()\n",
            at=(5, 14),
        ),
        # SQLAlchemy 1.4 style: session.query() on a default session
        Invalid(
            "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker(bind=engine, autocommit=True)\n\n\n"
            "def users(session=Session()):\n    return session.query(User).all()\n",
            at=(5, 18),
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        for function, scope in context.functions:
            outer = scope.parent
            assert outer is not None
            args = function.args
            for default in (*args.defaults, *args.kw_defaults):
                if default is not None and context.classify(default, outer) in SESSIONS:
                    yield self.finding(default, where="a default argument value", sharer="call")
        for stmt, scope in context.class_statements:
            value = statement_value(stmt)
            if value is None:
                continue
            for call in calls_in(value):
                if context.classify(call, scope) in SESSIONS:
                    yield self.finding(call, where="a class attribute", sharer="instance")


class UnclosedSession(Rule):
    """## What it does
    Finds a session created in a function and never closed: not used as a
    context manager, no `.close()`, and not handed on (returned, yielded,
    stored, or passed to another function, or read by nested code that may
    outlive this function: a lambda, a class, a decorated function, or a
    function returned, stored or passed).

    ## Why is this bad?
    An unclosed session keeps its connection checked out, and its transaction
    open, until the garbage collector gets to it; under load the pool runs dry
    (`QueuePool limit ... overflow ... reached`) and the server sees idle
    transactions. Use `with Session(engine) as session:` or close it in a
    `finally` block.

    Not reported in a command-line command (a click command, a Typer app's,
    Flask's `AppGroup` or `app.cli`): its process ends with it, and closes
    what it left open.
    """

    code = "SQS104"
    needs_words = ("ession",)
    message = (
        "Session {name!r} is never closed: its connection and transaction stay open until garbage "
        "collection; use 'with Session(...) as {name}:' or close it in a finally block"
    )
    references = (SESSION_DOCS,)
    valid = [
        Valid("from sqlalchemy.orm import Session\n\ndef f():\n    with Session(engine) as session:\n"
              "        session.execute(q)\n"),
        Valid(
            "from sqlalchemy.orm import Session\n\ndef f():\n    session = Session(engine)\n    try:\n"
            "        session.execute(q)\n    finally:\n        session.close()\n"
        ),
        Valid(
            "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n\n"
            "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n"
        ),
        Valid("from sqlalchemy.orm import Session\n\ndef make():\n    session = Session(engine)\n    return session\n"),
        Valid("from sqlalchemy.orm import Session\n\nclass Repo:\n    def __init__(self):\n"
              "        self.session = Session(engine)\n"),
        Valid("from sqlalchemy.orm import Session\n\ndef f(items):\n    session = Session(engine)\n"
              "    items.append(session)\n"),
        # Handed on inside a function that outlives this one (arlo's progress callback).
        Valid(
            "from sqlalchemy.orm import Session\n\ndef progress_for(task_id):\n    session = Session(engine)\n\n"
            "    def emit(done):\n        session.get(Task, task_id).done = done\n        session.commit()\n\n"
            "    return emit\n"
        ),
        Valid("from sqlalchemy.orm import Session\n\ndef f():\n    session = Session(engine)\n    run(session)\n"),
        Valid("import requests\n\ndef f():\n    session = requests.Session()\n    session.get(url)\n"),
        # A command-line command: the process ends with it, and closes what it left open (warehouse's).
        Valid(
            "import click\nfrom sqlalchemy.orm import Session\n\n@click.group()\ndef classifiers():\n    pass\n\n"
            "@classifiers.command()\n@click.pass_obj\ndef sync(config):\n"
            "    session = Session(bind=config.registry['sqlalchemy.engine'])\n"
            "    session.add_all(missing())\n    session.commit()\n"
        ),
        # A scoped_session registry keeps the session it hands out; remove() ends it elsewhere.
        Valid(
            "from sqlalchemy import orm\nSession = orm.scoped_session(orm.sessionmaker())\n\n"
            "def test_population():\n    session = Session()\n    session.add(user)\n    session.flush()\n"
        ),
        # ... also through a helper that binds it to a name first (Kallithea's `get_session()`).
        Valid(
            "from sqlalchemy import orm\nSession = orm.scoped_session(orm.sessionmaker())\n\n"
            "def get_session():\n    sa = Session()\n    return sa\n\n"
            "def stats():\n    dbs = get_session()\n    return dbs.query(Row).count()\n"
        ),
        # A session joined to Alembic's migration connection: Alembic owns and closes it.
        Valid(
            "from alembic import op\nfrom sqlalchemy import orm\n\ndef upgrade():\n    bind = op.get_bind()\n"
            "    session = orm.Session(bind=bind)\n    session.query(Run).delete()\n    session.commit()\n"
        ),
        Valid(
            "import sqlalchemy as sa\nfrom alembic import op\n\nSession = sa.orm.sessionmaker(future=True)\n\n"
            "def upgrade():\n    session = Session(bind=op.get_bind())\n    for job in session.query(Job):\n"
            "        job.run_id = new_id()\n    session.commit()\n"
        ),
        Valid(
            "import sqlalchemy as sa\n\ndef duplicate_quotas(connection):\n"
            "    session = sa.orm.Session(bind=connection)\n"
            "    return session.query(quotas.c.project_id).all()\n"
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\ndef version_for_migration(op):\n"
            "    session = Session(bind=op.get_bind())\n"
            "    return session.query(Version).first()\n"
        ),
        Valid(
            "from sqlalchemy.engine import Connection\nfrom sqlalchemy.orm import Session\n\n"
            "def migrate(connection: Connection):\n    session = Session(connection)\n    session.execute(q)\n"
        ),
        # Joined to another session's connection (in its `after_flush` hook): that session owns it.
        Valid(
            "from sqlalchemy import orm\n\n@event.listens_for(orm.Session, 'after_flush')\n"
            "def touch(session: orm.Session, _):\n    local_session = orm.Session(bind=session.connection())\n"
            "    local_session.execute(q)\n    local_session.commit()\n"
        ),
        # No bind: the session can never check out a connection.
        Valid(
            "from sqlalchemy.orm import Session\n\ndef new_instances(instance):\n    session = Session()\n"
            "    session.add(instance)\n    relations = list(session.new)\n    session.expunge_all()\n"
            "    return relations\n"
        ),
        # SQLAlchemy 1.4 style: session.query(), closed in finally
        Valid(
            "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker(bind=engine)\n\n\ndef users():\n"
            "    session = Session()\n    try:\n        return session.query(User).all()\n    finally:\n"
            "        session.close()\n"
        ),
    ]
    invalid = [
        # A chat bot's command is no command-line command: the bot runs on.
        Invalid(
            "from discord.ext import commands\nfrom sqlalchemy.orm import Session\n\n"
            "bot = commands.Bot(command_prefix='!')\n\n@bot.command()\nasync def score(ctx):\n"
            "    session = Session(engine)\n    await ctx.send(str(session.execute(q).scalar()))\n",
            at=(8, 14),
        ),
        Invalid(
            "from sqlalchemy.orm import Session\n\ndef f():\n    session = Session(engine)\n"
            "    session.add(obj)\n    session.commit()\n",
            at=(4, 14),
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import async_sessionmaker\nmaker = async_sessionmaker(engine)\n\n"
            "async def f():\n    session = maker()\n    await session.execute(q)\n",
            at=(5, 14),
        ),
        # A helper's new session from a sessionmaker (not a registry's): the caller must close it.
        Invalid(
            "from sqlalchemy import orm\nSession = orm.sessionmaker()\n\n"
            "def get_session():\n    sa = Session()\n    return sa\n\n"
            "def stats():\n    dbs = get_session()\n    return dbs.query(Row).count()\n",
            at=(9, 10),
        ),
        # SQLAlchemy 1.4 style: session.query() on a session that nothing closes
        Invalid(
            "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker(bind=engine, autocommit=True)\n\n\n"
            "def users():\n    session = Session()\n    return session.query(User).all()\n",
            at=(6, 14),
        ),
        # A nested function only called here hands nothing on.
        Invalid(
            "from sqlalchemy.orm import Session\n\ndef count_all(kinds):\n    session = Session(engine)\n\n"
            "    def count(kind):\n        return session.query(kind).count()\n\n"
            "    return [count(kind) for kind in kinds]\n",
            at=(4, 14),
        ),
        # A session lent to a query runs it, and stays this function's to close.
        Invalid(
            "from sqlalchemy.orm import Session\n\ndef instance(address):\n    session = Session(engine)\n"
            "    return Instance.get(address).with_session(session).one()\n",
            at=(4, 14),
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        for function, scope in context.functions:
            candidates = [
                (name, binding.value)
                for name, bindings in scope.names.items()
                if name not in scope.declared
                for binding in bindings
                if binding.kind == "assign" and isinstance(binding.value, ast.Call)
            ]
            if not candidates or context.in_command(scope):
                continue  # a command's process ends with it, and closes what it left open
            escaping: frozenset[str] | None = None  # `_read_by_escaping_code`, when first needed
            for name, value in candidates:
                assert isinstance(value, ast.Call)
                if context.classify(value, scope) not in SESSIONS:
                    continue
                if _owned_elsewhere(context, value, scope) or context.kept_local(function, name, "close") is not True:
                    continue
                if escaping is None:
                    escaping = _read_by_escaping_code(context, function)
                if name in escaping:
                    continue  # handed on inside a function that may outlive this one
                yield self.finding(value, name=name)


def _read_by_escaping_code(context: Context, function: ast.AST) -> frozenset[str]:
    """The names read by code nested in `function` that may outlive the call: a lambda, a
    class, a decorated function, or a function whose name is used otherwise than called
    (`return emit_progress`, `callbacks.append(emit_progress)`).  The function's own code is
    walked once, and what escapes once more (a function nested in another walks it again
    only when both hold a session about to be reported)."""
    nested: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda] = []
    own: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        own.append(node)
        if isinstance(node, NESTED_CODE):
            nested.append(node)
            continue
        stack.extend(ast.iter_child_nodes(node))
    callees = {id(node.func) for node in own if isinstance(node, ast.Call)}
    handed = {
        node.id for node in own
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and id(node) not in callees
    }
    names: set[str] = set()
    for inner in nested:
        if isinstance(inner, (ast.Lambda, ast.ClassDef)) or inner.decorator_list or inner.name in handed:
            names.update(
                node.id for node in ast.walk(inner) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            )
            context.steps += 1
    context.steps += len(own)
    return frozenset(names)


def _owned_elsewhere(context: Context, call: ast.Call, scope: Scope) -> bool:
    """Sessions whose connection this function does not own.

    - `registry()`: a `scoped_session` registry hands out its current session and
      keeps it; `registry.remove()` ends it, elsewhere.  So does a project function
      that returns a registry's session, or one it also stores (a cached session).
    - `Session(bind=connection)`, e.g. `Session(bind=op.get_bind())` in an Alembic
      migration: the session joins a connection that its owner closes.
    - `Session()` with no arguments: no bind, so no connection to leave open.
    """
    func = call.func
    maker = context.classify(func, scope)
    if maker in REGISTRIES or (isinstance(maker, Maker) and maker.owned):
        return True  # a registry's session, or one a project function keeps (caches, stores)
    is_class = sa_name(context.qualified(func, scope)) in ("Session", "AsyncSession")
    if is_class and not call.args and not call.keywords:
        return True
    bind = call.args[0] if is_class and call.args else None  # a factory takes keywords only
    for kw in call.keywords:
        if kw.arg == "bind":
            bind = kw.value
    return bind is not None and _is_connection(context, bind, scope, 0)


_CONNECTION_PARAMETERS = frozenset({"conn", "connection", "connectable", "db_conn", "db_connection"})


def _is_connection(context: Context, expr: ast.expr, scope: Scope, depth: int) -> bool:
    """`op.get_bind()` (Alembic's connection), a name bound to it, a known `Connection`,
    or a parameter named like one (`def check(connection): Session(bind=connection)`)."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get_bind":
        base = expr.func.value
        from_alembic = context.qualified(expr.func, scope) == "alembic.op.get_bind"
        if from_alembic or (isinstance(base, ast.Name) and base.id == "op"):
            return True
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "connection":
        if not expr.args and not expr.keywords and context.classify(expr.func.value, scope) in SESSIONS:
            return True  # `Session.connection()`: the connection of another session, which owns it
    if isinstance(expr, ast.Name) and expr.id in _CONNECTION_PARAMETERS:
        bindings = scope.lookup(expr.id) or ()
        if bindings and all(b.kind == "param" and b.value is None for b in bindings):
            return True
    if context.classify(expr, scope) is Kind.CONNECTION:
        return True
    if isinstance(expr, ast.Name) and depth < 2:
        bindings = scope.lookup(expr.id) or ()
        return bool(bindings) and all(
            b.kind == "assign" and isinstance(b.value, ast.expr) and _is_connection(context, b.value, scope, depth + 1)
            for b in bindings
        )
    return False
