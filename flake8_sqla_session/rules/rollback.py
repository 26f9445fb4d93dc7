"""SQS3xx: database errors swallowed without rolling the session back."""
from __future__ import annotations

import ast
import re
from typing import Iterator

from ..checker import SESSIONS, Context, TextFacts, TryRecord
from ..finding import Finding, Fix, InsertFirstStatement, Span
from ..names import Scope, dotted
from ..settings import Settings
from .base import Invalid, Rule, Valid

ROLLBACK_DOCS = "https://docs.sqlalchemy.org/en/20/faq/sessions.html#this-session-s-transaction-has-been-rolled-back-due-to-a-previous-exception-during-flush-or-similar"  # noqa: E501
FRAMING_DOCS = "https://docs.sqlalchemy.org/en/20/orm/session_basics.html#framing-out-a-begin-commit-rollback-block"

WORK_METHODS = frozenset(
    {"commit", "flush", "execute", "add", "add_all", "delete", "merge", "query", "scalar", "scalars", "get", "refresh"}
)
CLEANUP_METHODS = frozenset({"rollback", "close", "remove"})
SELF_CLEANING = frozenset({"begin", "begin_nested"})
# Calls that never return: the handler does not swallow the error.
NO_RETURN = frozenset(
    {
        "builtins.exit", "builtins.quit", "sys.exit", "os._exit", "flask.abort", "quart.abort",
        "werkzeug.exceptions.abort", "pytest.fail", "pytest.skip", "pytest.exit",
    }
)
_NESTED_CODE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


# `.commit(`, `\n    .execute(`: a call of a work method (the receiver's name comes before).
_WORK_CALL = re.compile(r"\.\s*(?:" + "|".join(sorted(WORK_METHODS)) + r"|bulk_\w+)\s*\(")

# Session methods that never talk to the database: work made of these alone cannot
# leave the session in a failed transaction.
NO_IO_METHODS = frozenset({"add", "add_all"})


class Work:
    """Session work on one receiver in a `try` body."""

    __slots__ = ("receiver", "text", "awaited", "io")

    def __init__(self, receiver: ast.expr, text: str) -> None:
        self.receiver = receiver
        self.text = text
        self.awaited = False
        self.io = False  # whether any of the work may reach the database


class HandlerWithoutRollback(Rule):
    """## What it does
    Finds an `except` handler that catches database errors after session work
    in its `try` body, and neither rolls the session back (or closes it) nor
    re-raises.

    ## Why is this bad?
    When a statement fails, the session's transaction is dead but still open.
    Until `rollback()` is called, every later use of that session fails:
    `Can't reconnect until invalid transaction is rolled back` after a lost
    connection, `PendingRollbackError` after a failed flush. A handler that
    logs and carries on leaves the session (and, if it is shared, every later
    request) broken.
    """

    code = "SQS301"
    message = (
        "except handler swallows a database error after session work without {receiver}.rollback(): "
        "the session stays in a failed transaction (\"Can't reconnect until invalid transaction is "
        "rolled back\"); call {receiver}.rollback() or re-raise"
    )
    fix_title = "Call `rollback()` first in the handler"
    references = (ROLLBACK_DOCS, FRAMING_DOCS)
    options = ("--sqla-session-names",)
    valid = [
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n"
              "        session.rollback()\n        log()\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n"
              "        raise\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception as e:\n"
              "        raise AppError() from e\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n"
              "    finally:\n        session.close()\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except (KeyError, ValueError):\n"
              "        log()\n"),
        Valid("def f(session):\n    try:\n        with session.begin():\n            session.add(obj)\n"
              "    except Exception:\n        log()\n"),
        Valid(
            "from sqlalchemy.orm import Session\n\ndef f():\n    with Session(engine) as session:\n        try:\n"
            "            session.commit()\n        except Exception:\n            log()\n            return None\n"
            "        session.execute(q)\n"
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\ndef f():\n    with Session(engine) as session:\n"
            "        session.add(x)\n        try:\n"
            "            session.commit()\n        except Exception:\n            log()\n"
        ),
        Valid("import requests\n\ndef f():\n    session = requests.Session()\n    try:\n        session.get(url)\n"
              "    except Exception:\n        pass\n"),
        Valid("from flask import session\n\ndef f():\n    try:\n        session.get('cart')\n    except Exception:\n"
              "        pass\n"),
        Valid("def view(request):\n    try:\n        request.session.get('cart')\n    except Exception:\n"
              "        pass\n"),
        Valid("def f(conn):\n    try:\n        conn.execute(q)\n    except Exception:\n        pass\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n"
              "        handle_error(session)\n"),
        Valid("import sys\n\ndef f(session):\n    try:\n        session.commit()\n    except Exception:\n"
              "        sys.exit(1)\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except MyError:\n        pass\n"),
        Valid("def f(db):\n    try:\n        db.commit()\n    except Exception:\n        pass\n"),
        Valid(
            "def f(db):\n    try:\n        db.commit()\n    except Exception:\n        pass\n",
            options={"session_names": "session"},
        ),
        # The `with` block inside the try ends the session before the handler runs
        # (Airflow's `create_session()`, Prefect's `session_context()`).
        Valid(
            "from sqlalchemy.exc import OperationalError\n\ndef beat():\n    try:\n"
            "        with create_session() as session:\n            session.merge(job)\n"
            "            session.commit()\n    except OperationalError:\n        log.exception('heartbeat failed')\n"
        ),
        Valid(
            "async def persist(db, batch):\n    try:\n        async with db.session_context() as session:\n"
            "            await write(session, batch)\n            await session.commit()\n    except Exception:\n"
            "        requeue(batch)\n"
        ),
        # A savepoint rolled back in the handler.
        Valid(
            "from sqlalchemy.exc import IntegrityError\n\ndef f(session):\n"
            "    with session.begin_nested() as nested:\n        try:\n            session.add(run)\n"
            "            session.flush()\n        except IntegrityError:\n            log.info('exists')\n"
            "            nested.rollback()\n"
        ),
        # Exceptions raised after the query succeeded leave the transaction alone.
        Valid(
            "from sqlalchemy.orm.exc import NoResultFound\n\ndef validate(session, model, value):\n    try:\n"
            "        session.query(model).filter(model.name == value).one()\n    except NoResultFound:\n        pass\n"
        ),
        Valid(
            "from sqlalchemy.exc import MultipleResultsFound\n\ndef find(self, name):\n    try:\n"
            "        return self.session.query(User).filter_by(name=name).one_or_none()\n"
            "    except MultipleResultsFound:\n        return None\n"
        ),
        # `add()` alone never reaches the database; `x.get("key")` is a mapping's get.
        Valid(
            "def f(db, cache):\n    try:\n        cache.set(key, value)\n        db.session.add(CacheKey(key))\n"
            "    except Exception:\n        log.warning('no cache')\n"
        ),
        Valid(
            "def notebook(sessions, kernel):\n    try:\n        for session in sessions:\n"
            "            if session.get('kernel', {}).get('id') == kernel:\n"
            "                return session.get('path')\n"
            "    except Exception:\n        pass\n"
        ),
        # The handler calls a function of this module that always raises.
        Valid(
            "from sqlalchemy.exc import DatabaseError\n\ndef handle_database_error():\n"
            "    exc = sys.exc_info()[1]\n    if not exc.orig.pgcode:\n        raise\n"
            "    raise ConstraintViolated(exc) from exc\n\n"
            "class Db:\n    def enforce_constraints(self):\n        try:\n"
            "            self.session.execute(text('SET CONSTRAINTS ALL IMMEDIATE'))\n        except DatabaseError:\n"
            "            handle_database_error()\n"
        ),
        # Committing in the handler ends the transaction (or raises): nothing is left pending.
        Valid(
            "from sqlalchemy.exc import OperationalError\n\ndef encrypt_fields(session):\n    try:\n"
            "        session.query(exists().where(Settings.mail_password_e)).scalar()\n    except OperationalError:\n"
            "        add_columns(session.bind)\n        session.commit()\n"
        ),
        # An HTTP client's session: `get(url)`, not `Session.get(Entity, ident)`.
        Valid(
            "async def voices(url):\n    try:\n        session = await get_session()\n"
            "        async with session.get(url, timeout=5) as resp:\n            return await resp.json()\n"
            "    except Exception:\n        return {}\n"
        ),
        Valid("def probe(url):\n    try:\n        session.get(url=url, stream=True)\n    except Exception:\n"
              "        pass\n"),
        Valid(
            "def lazy_load(self):\n    for path in self.paths:\n        try:\n"
            "            with self.session.get(path, **self.requests_kwargs) as response:\n"
            "                yield parse(response.text)\n        except Exception as e:\n            log.exception(e)\n"
        ),
        # The handler is the last thing in a `with` block that hands out the session.
        Valid(
            "from sqlalchemy.exc import IntegrityError\n\ndef create(self, name):\n"
            "    with self.ManagedSessionMaker() as session:\n        try:\n"
            "            session.add(Model(name=name))\n            session.flush()\n        except IntegrityError:\n"
            "            already_exists(name)\n"
        ),
        # SQLAlchemy 1.4 style: engine.execute() holds no session transaction
        Valid(
            "def count(engine):\n    try:\n        return engine.execute('SELECT COUNT(*) FROM users').scalar()\n"
            "    except Exception:\n        return 0\n"
        ),
    ]
    invalid = [
        Invalid(
            "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n",
            at=(4, 4),
            fixed="def f(session):\n    try:\n        session.commit()\n"
            "    except Exception:\n        session.rollback()\n"
            "        log()\n",
        ),
        Invalid(
            "from myproject import settings\n\ndef users():\n    try:\n"
            "        return settings.BASE_DB_SESSION.execute(q).fetchall()\n"
            "    except Exception:\n        # the database is down: show nothing\n"
            "        logger.exception('query failed')\n        return []\n",
            at=(6, 4),
            fixed="from myproject import settings\n\ndef users():\n    try:\n"
            "        return settings.BASE_DB_SESSION.execute(q).fetchall()\n"
            "    except Exception:\n        # the database is down: show nothing\n"
            "        settings.BASE_DB_SESSION.rollback()\n        logger.exception('query failed')\n"
            "        return []\n",
        ),
        Invalid(
            "from sqlalchemy.exc import IntegrityError\n\ndef f(session):\n    try:\n        session.add(obj)\n"
            "        session.flush()\n    except IntegrityError:\n        pass\n",
            at=(7, 4),
            fixed="from sqlalchemy.exc import IntegrityError\n\ndef f(session):\n    try:\n        session.add(obj)\n"
            "        session.flush()\n    except IntegrityError:\n        session.rollback()\n",
        ),
        Invalid(
            "import sqlalchemy as sa\n\ndef f(db_session):\n    try:\n        db_session.commit()\n"
            "    except sa.exc.SQLAlchemyError: log()\n",
            at=(6, 4),
            fixed="import sqlalchemy as sa\n\ndef f(db_session):\n    try:\n        db_session.commit()\n"
            "    except sa.exc.SQLAlchemyError:\n        db_session.rollback()\n        log()\n",
        ),
        Invalid(
            "async def f(session):\n    try:\n        await session.execute(q)\n    except:\n        log()\n",
            at=(4, 4),
            fixed="async def f(session):\n    try:\n        await session.execute(q)\n    except:\n"
            "        await session.rollback()\n        log()\n",
        ),
        Invalid(
            "from sqlalchemy.orm import Session\n\ndef f(db: Session):\n    try:\n        db.add(x)\n"
            "        db.commit()\n"
            "    except Exception:\n        log()\n",
            at=(7, 4),
            fixed="from sqlalchemy.orm import Session\n\ndef f(db: Session):\n    try:\n        db.add(x)\n"
            "        db.commit()\n"
            "    except Exception:\n        db.rollback()\n        log()\n",
        ),
        Invalid(
            "import pymysql\n\nclass Repo:\n    def save(self, obj):\n        try:\n"
            "            self.session.merge(obj)\n"
            "        except (ValueError, pymysql.err.OperationalError):\n            return False\n",
            at=(7, 8),
            fixed="import pymysql\n\nclass Repo:\n    def save(self, obj):\n        try:\n"
            "            self.session.merge(obj)\n"
            "        except (ValueError, pymysql.err.OperationalError):\n            self.session.rollback()\n"
            "            return False\n",
        ),
        Invalid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef f():\n    try:\n"
            "        db.session.commit()\n"
            "    except Exception:\n        pass\n",
            at=(7, 4),
            fixed="from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef f():\n    try:\n"
            "        db.session.commit()\n"
            "    except Exception:\n        db.session.rollback()\n",
        ),
        Invalid(
            "from sqlalchemy.orm import Session\n\ndef f():\n    with Session(engine) as session:\n        try:\n"
            "            session.commit()\n        except Exception:\n            log()\n        session.execute(q)\n",
            at=(7, 8),
            fixed="from sqlalchemy.orm import Session\n\ndef f():\n    with Session(engine) as session:\n        try:\n"
            "            session.commit()\n        except Exception:\n            session.rollback()\n"
            "            log()\n        session.execute(q)\n",
        ),
        Invalid(
            "def f(s):\n    try:\n        s.commit()\n    except Exception:\n        pass\n",
            at=(4, 4),
            options={"session_names": "s"},
            fixed="def f(s):\n    try:\n        s.commit()\n    except Exception:\n        s.rollback()\n",
        ),
        # SQLAlchemy 1.4 style: session.query()
        Invalid(
            "def find(session, email):\n    try:\n"
            "        return session.query(User).filter_by(email=email).first()\n    except Exception:\n"
            "        log.exception('lookup failed')\n",
            at=(4, 4),
            fixed="def find(session, email):\n    try:\n"
            "        return session.query(User).filter_by(email=email).first()\n    except Exception:\n"
            "        session.rollback()\n        log.exception('lookup failed')\n",
        ),
        # SQLAlchemy 1.4 style: an autocommit=True session's explicit begin(): nothing ends it when commit() fails
        Invalid(
            "def add(session, user):\n    try:\n        session.begin()\n        session.add(user)\n"
            "        session.commit()\n    except Exception:\n        log.exception('not added')\n",
            at=(6, 4),
            fixed="def add(session, user):\n    try:\n        session.begin()\n        session.add(user)\n"
            "        session.commit()\n    except Exception:\n        session.rollback()\n"
            "        log.exception('not added')\n",
        ),
    ]

    @classmethod
    def may_apply(cls, text: TextFacts, settings: Settings) -> bool:
        # Without SQLAlchemy imported, a receiver is session-like by its name alone.
        if super().may_apply(text, settings):
            return True
        return any(settings.is_session_name(name) for name in text.names_before(_WORK_CALL))

    def check(self, context: Context) -> Iterator[Finding]:
        for record in context.tries:
            work = _session_work(context, record.node.body, record.scope)
            if not work:
                continue
            if _cleans_up(context, record.node.finalbody, record.scope, work):
                continue
            for handler in record.node.handlers:
                if not context.is_database_error(handler.type, record.scope):
                    continue
                if _cleans_up(context, handler.body, record.scope, work):
                    continue
                left = [w for w in work.values() if not _closed_by_with(context, record, handler, w)]
                if not left:
                    continue
                awaits = record.scope.is_async
                code = tuple(f"{'await ' if awaits and w.awaited else ''}{w.text}.rollback()" for w in left)
                fix = Fix(InsertFirstStatement(Span.of(handler), code), safe=True)
                yield self.finding(handler, fix, receiver=left[0].text)


def _session_work(context: Context, body: list[ast.stmt], scope: Scope) -> dict[str, Work]:
    """Receivers of session work in `body`, outside blocks that roll back by themselves.

    Work on a name bound by a `with ... as name:` inside `body` is left out: that
    block's exit ends the session (Airflow's `create_session()`, a sessionmaker's
    `begin()`) before any handler runs.  So is work that never reaches the
    database (`add()` alone) and a `get` that is not `Session.get()`.
    """
    work: dict[str, Work] = {}
    verdicts: dict[str, bool] = {}
    awaited: set[int] = set()
    none: frozenset[str] = frozenset()
    stack: list[tuple[ast.AST, frozenset[str]]] = [(stmt, none) for stmt in reversed(body)]
    while stack:
        node, scoped = stack.pop()
        if isinstance(node, _NESTED_CODE):
            continue
        if isinstance(node, (ast.With, ast.AsyncWith)):
            if _self_cleaning(context, node, scope):
                continue
            targets = [item.optional_vars.id for item in node.items if isinstance(item.optional_vars, ast.Name)]
            if targets:
                inner = scoped.union(targets)
                for with_item in node.items:
                    stack.append((with_item.context_expr, scoped))
                stack.extend((stmt, inner) for stmt in node.body)
                continue
        if isinstance(node, ast.Await):
            awaited.add(id(node.value))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and (func.attr in WORK_METHODS or func.attr.startswith("bulk_")):
                text = dotted(func.value)
                if text is not None and text.partition(".")[0] not in scoped and not _foreign_get(node):
                    if text not in verdicts:
                        verdicts[text] = context.is_receiver(func.value, scope)
                    if verdicts[text]:
                        item = work.setdefault(text, Work(func.value, text))
                        item.awaited = item.awaited or id(node) in awaited
                        item.io = item.io or func.attr not in NO_IO_METHODS
        stack.extend((child, scoped) for child in ast.iter_child_nodes(node))
    return {text: item for text, item in work.items() if item.io}


def _foreign_get(call: ast.Call) -> bool:
    """A `get` that is not `Session.get(Entity, ident)`.

    `session.get("key")` is a mapping's, `session.get(url)` / `session.get(url=...)`
    an HTTP client's: SQLAlchemy's takes a mapped class first and the identity
    second (positionally or as `ident=`).
    """
    func = call.func
    assert isinstance(func, ast.Attribute)
    if func.attr != "get":
        return False
    args = call.args
    if any(isinstance(a, ast.Starred) for a in args):
        return False  # cannot tell
    names = {k.arg for k in call.keywords}  # `**kwargs` (None) is not taken for an identity
    if args and isinstance(args[0], (ast.Constant, ast.JoinedStr)):
        return True
    if len(args) >= 2 or "entity" in names:
        return False
    return not (len(args) == 1 and "ident" in names)


def _self_cleaning(context: Context, node: ast.With | ast.AsyncWith, scope: Scope) -> bool:
    """`with session.begin():`, `with Session() as s:`, `with session:` end their transaction."""
    for item in node.items:
        expr = item.context_expr
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in SELF_CLEANING:
            if context.is_receiver(expr.func.value, scope):
                return True
        elif context.classify(expr, scope) in SESSIONS or (
            dotted(expr) is not None and context.is_receiver(expr, scope)
        ):
            return True
    return False


def _cleans_up(context: Context, body: list[ast.stmt], scope: Scope, work: dict[str, Work]) -> bool:
    """Whether `body` re-raises, never returns, rolls back or closes, or hands the session on."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED_CODE):
            continue
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CLEANUP_METHODS:
                text = dotted(func.value)
                if text in work or (text is not None and context.is_receiver(func.value, scope)):
                    return True
                if func.attr == "rollback" and text is not None:
                    return True  # a savepoint or transaction: `nested = session.begin_nested()`
            if isinstance(func, ast.Attribute) and func.attr == "commit" and dotted(func.value) in work:
                return True  # ends the transaction, or raises PendingRollbackError: not silent
            if context.qualified(func, scope) in NO_RETURN or context.never_returns(func, scope):
                return True
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "self"
                and func.attr in ("fail", "skipTest")
            ):
                return True
            for argument in (*node.args, *(k.value for k in node.keywords)):
                if isinstance(argument, ast.Starred):
                    argument = argument.value
                if dotted(argument) in work:
                    return True  # handed to a function that may roll it back
        stack.extend(ast.iter_child_nodes(node))
    return False


def _closed_by_with(context: Context, record: TryRecord, handler: ast.ExceptHandler, work: Work) -> bool:
    """Whether the handler leaves a `with Session(...) as <receiver>:` block, which closes the session."""
    leaves = bool(handler.body) and isinstance(handler.body[-1], ast.Return)
    for with_node, tail in record.withs:
        if not (tail or leaves):
            continue
        for item in with_node.items:
            target = item.optional_vars
            if isinstance(target, ast.Name) and target.id == work.text:
                # `with Session(...) as s:`, or any context manager handing out the
                # session (`with self.ManagedSessionMaker() as s:`): its exit ends it.
                kind = context.classify(item.context_expr, record.scope)
                if kind is None or kind in SESSIONS:
                    return True
    return False
