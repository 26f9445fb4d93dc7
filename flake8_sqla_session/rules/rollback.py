"""SQS3xx: database errors swallowed without rolling the session back."""
from __future__ import annotations

import ast
import bisect
import re
from typing import Callable, Iterator, cast

from ..context import Context, TextFacts, count_in, line_starts, lines_span
from ..finding import Finding, Fix, InsertFirstStatement, Span
from ..knowledge.kinds import NOT_DATABASE_ERRORS, REGISTRIES, SESSIONS, Kind, Known
from ..knowledge.module import (
    MODEL_CLASS, NESTED_CODE, TRY_NODES, Callee, ModuleKnowledge, TryRecord, class_call_binds, is_main_guard,
    parameter_of,
)
from ..knowledge.names import SA_ROOTS, Scope, dotted, single_binding
from ..knowledge.project import Project, one_line_end
from ..settings import Settings
from .base import Invalid, Rule, Valid
from .flow import after_handler
from .reuse import ReuseReader
from .pool import declares_server_driver, sqlite_only
from .request_end import (
    EXITS, app_context_ends, ends_with_request, enters_app_context, flask_session, left_app_context, raises_after,
)
from .unit_end import carried_on, dropped_in_try, opens_own_session, owner_ends_unit

ROLLBACK_DOCS = "https://docs.sqlalchemy.org/en/20/faq/sessions.html#this-session-s-transaction-has-been-rolled-back-due-to-a-previous-exception-during-flush-or-similar"  # noqa: E501
FRAMING_DOCS = "https://docs.sqlalchemy.org/en/20/orm/session_basics.html#framing-out-a-begin-commit-rollback-block"

WORK_METHODS = frozenset(
    {
        "commit", "flush", "execute", "add", "add_all", "delete", "merge", "query", "scalar", "scalars", "get",
        "refresh", "exec",  # (`exec`: SQLModel's `session.exec(select(...))`)
    }
)
CLEANUP_METHODS = frozenset({"rollback", "close", "remove"})
SELF_CLEANING = frozenset({"begin", "begin_nested"})
# Calls that never return: the handler does not swallow the error.
NO_RETURN = EXITS | {
    "flask.abort", "quart.abort", "werkzeug.exceptions.abort", "flask_restful.abort", "flask_restx.abort",
    "flask_restplus.abort", "flask_smorest.abort", "apiflask.abort", "bottle.abort", "pytest.fail", "pytest.skip",
    "pytest.exit",
}


# `.commit(`, `\n    .execute(`: a call of a work method (the receiver's name comes before).
_WORK_CALL = re.compile(r"\.\s*(?:" + "|".join(sorted(WORK_METHODS)) + r"|bulk_\w+)\s*\(")
# ... or a call handed something named like a session (`helper(session, x)`, `f(x, db=self.db)`):
# work that the called function does on it (`_WorkWalker._handed_work`).  Only a prefilter: what
# is handed is then told by its kind, as any receiver is.
_WORK_OR_HANDED = re.compile(
    _WORK_CALL.pattern + r"|[(,]\s*(?:\w+\s*=\s*)?(?:[A-Za-z_]\w*\.)*(?:\w*_)?(?:session|sess|db)\s*[,)]"
    + r"|\.\s*query\s*\.",  # `User.query.filter_by(...).first()`: a Flask-SQLAlchemy model's query
    re.IGNORECASE,
)
# What runs a Flask-SQLAlchemy model's query (`User.query.filter_by(name=n).first()`); building
# one (`filter`, `order_by`) does not reach the database.
QUERY_RUNS = frozenset({
    "all", "first", "one", "one_or_none", "scalar", "count", "get", "get_or_404", "first_or_404",
    "one_or_404", "paginate", "delete", "update",
})

# Session methods that never talk to the database: work made of these alone cannot
# leave the session in a failed transaction.
NO_IO_METHODS = frozenset({"add", "add_all"})


# Session methods that flush, or leave changes pending that the next statement's autoflush
# flushes: a failed flush leaves the session needing `rollback()` on every backend.
FLUSHING_METHODS = frozenset({"commit", "flush", "add", "add_all", "delete", "merge"})
PENDING_METHODS = frozenset({"add", "add_all", "delete", "merge"})  # what they change, the next flush writes


class Work:
    """Session work on one receiver in a `try` body."""

    __slots__ = ("receiver", "text", "awaited", "model_only", "io", "flushes", "elsewhere", "helped", "flask")

    def __init__(self, receiver: ast.expr, text: str, elsewhere: str = "") -> None:
        self.receiver = receiver
        self.text = text
        # The called project function (`pkg.helpers.approve`) that worked on a module-level
        # session of its module: the `try` may have no name for that session.
        self.elsewhere = elsewhere
        self.awaited = False
        # Whether all of it is running Flask-SQLAlchemy models' queries (`User.query.first()`)
        self.model_only = True
        self.io = False  # whether any of the work may reach the database
        self.flushes = False  # whether any of it may flush (`FLUSHING_METHODS`, `bulk_*`)
        # Whether all of it is a project function's work on Flask-SQLAlchemy's session (`track()`)
        self.helped = True
        # Whether it is Flask-SQLAlchemy's session that a function of another module works on, which
        # this module has no name for (`persons_service.count_active_users()`)
        self.flask = False


# The head of two examples: a Flask application, its `db.session` by another name, and a
# project function that builds a reply and sets its status.
_FLASK_VIEW_HEAD = (
    "from flask import Flask, jsonify\nfrom flask_sqlalchemy import SQLAlchemy\n\napp = Flask(__name__)\n"
    "db = SQLAlchemy(app)\ndb_session = db.session\n\n\n"
    "def make_error(status, message):\n    response = jsonify({'message': message})\n"
    "    response.status_code = status\n    return response\n\n\n"
)


class HandlerWithoutRollback(Rule):
    """## What it does
    Finds an `except` handler that catches database errors after session work
    in its `try` body, and neither rolls the session back (or closes it) nor
    re-raises. A handler re-raises only when every way through it raises (or
    calls what never returns): `if stream: raise e` swallows the error on the
    other path.

    ## Why is this bad?
    When a statement fails, the session's transaction is dead but still open.
    Until `rollback()` is called, every later use of that session fails:
    `Can't reconnect until invalid transaction is rolled back` after a lost
    connection, `PendingRollbackError` after a failed flush. A handler that
    logs and carries on leaves the session (and, if it is shared, every later
    request) broken.

    On a project whose every engine is plainly SQLite, work that cannot flush
    (`execute()`, SQLModel's `exec()`, `query()`, `get()`, ... with no `add()`, `delete()`, `merge()`,
    `flush()` or `commit()` on that session in the `try`, and no `add()`,
    `delete()` or `merge()` anywhere in the function, whose pending changes an
    autoflush would flush) is not reported: SQLite loses no
    connection, and a failed statement leaves its transaction usable (a schema
    upgrade's `DROP INDEX` that finds no index). The whole project folder is read
    for its engines: one at least outside the tests, each (tests included) made by
    SQLAlchemy's `create_engine` with a `sqlite` URL, a SQLite file name or
    `check_same_thread`, none by another library's `create_engine`, from a
    configuration (`engine_from_config`) or by Flask-SQLAlchemy. Work that may
    flush is reported on every backend: a failed flush needs `rollback()`.

    A clause that names only a driver's exception classes
    (`psycopg2.errors.UniqueViolation`, `pymysql.err.OperationalError`) never
    catches a session's errors, which SQLAlchemy raises wrapped in its own
    (`sqlalchemy.exc.IntegrityError`, with the driver's in `.orig`): it is
    not read as catching database errors.

    A commit in the handler counts as ending the failed transaction only when
    nothing in the `try` may flush: after a failed flush it raises
    `PendingRollbackError`, and whatever the handler meant to record is lost.

    Session work in the `try` includes what a function or method of the
    project does with a session the `try` hands it (`save(session, obj)`,
    `seat_service.assign(session, seat)`, `pagure.lib.git.mirror(session, p)`
    after `import pagure.lib.git`): work methods it calls on that parameter
    itself, outside its own `try` statements and `with session.begin():`
    blocks, when it neither rolls back nor closes it. A `try` of its own
    counts as its own only when a handler of it may catch what a session
    raises: one that catches only other errors (`except
    subprocess.CalledProcessError:`, `except (KeyError, ValueError):`) lets a
    failed commit reach the caller's handler, and its `finally` is read with
    the rest (one that closes the session ends the work). It
    also includes what a module-level function, or a `@classmethod` or
    `@staticmethod` of a module-level class (of this module or of a project
    module), does on a session of its own module that everything shares
    (`approve(chat_id)` with `def approve(chat_id): SESSION.add(...);
    SESSION.commit()`; a model's `User.by_uuid(uuid)` querying the module's
    `dbsession`): a module-level `Session`, or a `scoped_session`
    registry that no project file `remove()`s (one removed when each request
    ends holds that request's session). Only its work outside its own `try`
    statements counts (those with a `finally`, or a handler that may catch a
    session's errors), and a rollback elsewhere in it does not undo that work
    when it fails (the error leaves before it runs). Such a function may be
    called through its module too (`import bot.sql.feds as sql` ...
    `sql.un_fban_user(...)`), from a module that imports nothing of
    SQLAlchemy. Where the `try` has no name for that
    session, the finding names it by its module (`helpers.SESSION`) and comes
    without a fix; where it imports a session of that name, the fix rolls that
    one back and needs `--unsafe-fixes` (the two are taken to be the same).
    Such a function's work on Flask-SQLAlchemy's session (`def track(msg):
    db.session.add(...); db.session.commit()`, `db` the module's
    `SQLAlchemy()`) is work on the caller's own `db.session`, where the
    caller's module binds a name to Flask-SQLAlchemy's object (one per
    application): it is judged, and fixed, as if the `try` had called
    `db.session.commit()` itself. A caller with no such name, even one that
    imports nothing of SQLAlchemy (newspipe's views calling `import_opml()`),
    is reported all the same (its prefilter reads which names its `try`
    bodies call), the session named by the helper's module
    (`activity.db.session`), without a fix. A handler that returns after
    such work alone, calling no method of the session itself, stays quiet
    (most often with a reply the project builds from the error, which ends
    the request).

    Running a Flask-SQLAlchemy model's query (`User.query.filter_by(...).first()`,
    `.all()`, `.get()`, `.count()`, `.paginate()`, ...; building one is no work)
    is work on `db.session`, whose rollback the finding asks for, wherever the
    model is defined in the project (a subclass of `db.Model`, its mixins
    aside). It is read in a module that names Flask-SQLAlchemy's object itself
    (`db.session`, `db.Model`): elsewhere nothing could roll it back by name.
    Such a read alone (nothing in the `try` or the function that flushes) is
    reported only where the project's dependency files (`requirements*.txt`,
    `pyproject.toml`, `setup.cfg`, `setup.py`, `Pipfile`, lock files) name a
    server database's driver (`psycopg2`, `PyMySQL`, `mysqlclient`,
    `asyncpg`, ...): a Flask-SQLAlchemy application's database is chosen in
    its configuration, and on SQLite a failed read leaves the session usable.

    Nor is a handler reported in a helper of Flask-SQLAlchemy's `db.session`
    (or of a transaction of it: `nested = db.session.begin_nested()`, or of a
    module-level name bound to it, here or in a project module it is imported
    from: `db_session = db.session`) whose
    every caller ends its request without touching the session again
    (Flask-SQLAlchemy removes the session when the request ends): the helper is
    a module-level function whose `try` is in no `with`, nor in a loop unless
    the handler returns, and after the
    error it only files the error away as text and returns such values
    (`messages["error"].append(str(e))`, `e.__str__()`, `flash("...")`, a log
    line, `traceback.format_exc()`; a reply of text or of dicts and lists of
    it; not the error object, which makes the view's `jsonify()` raise and the
    error page render); every call of it in the project, outside the tests, is a
    statement of its own in a Flask view (or a command-line command), in no
    loop or `with`, and the view does no more than that before it returns
    (`return jsonify(...)`, `return redirect(url_for(...))`, or a project
    function that builds the reply from the text it is handed, such as
    `return response_error(str(e))`, even through another such function or
    by setting a field of the reply it made (`response.status_code =
    status`); reading an attribute, `current_user` or a template is more;
    formatting what the request carries, `request.args.get("q")`, or a value
    of the view's URL, `<email>`, is not; nor are an import, a report to
    Sentry, JSON text of text, or a project function that only hands its
    arguments to a logger, `log(msg)`). When the helper's handler returns a
    value the view can test (`return None, str(e)`), the view may bind it to
    names it binds nowhere else (`data, log = helper(...)`) and, on that path,
    go past harmless statements and tests then surely false (`if not
    has_error:` with no `else`) to a test then surely true whose body returns
    (`if data is None: logger.error(log); return response_error(log)`), the
    text the handler made handed on; a few statements are read so, the rest as
    on any path. And no project file registers `after_request` or
    teardown functions (but teardowns that only remove or close the session,
    as Flask-SQLAlchemy's own does, or that do so first, alone or in a `try`,
    before a log line) or keeps Flask-Session in SQLAlchemy. A
    handler in a view itself is read the same way (a view may be defined in a
    module-level function that makes its blueprint); when it returns, what
    follows its `try` does not run after it. A helper no view is seen calling
    is reported. Nor is a handler reported whose `try` body is made of
    `with app.app_context():` (or `app.test_request_context()`) blocks alone,
    after statements that do no session work (`app = create_app()`), working
    on Flask-SQLAlchemy's session: the error leaves the block, and the
    application context's end removes that session before the handler runs;
    nor one whose `try` is the last thing such a block runs (no loop of the
    block holding it) and whose handler and `finally` do nothing that may
    reach the database (a log line): the context ends right after them; nor one whose `try` body is
    made of `with transaction.manager:` blocks alone, working on a
    `scoped_session` of a module that uses zope.sqlalchemy: leaving the block
    aborts zope's transaction, which rolls back and closes the session.

    Nor is a Pyramid view's own handler reported (`@view_config(...)`) on
    such a zope.sqlalchemy session, in a project that runs pyramid_tm (named
    in a dependency file, a `.ini` file of its folder or a module) and adds
    no response or finished callbacks, `NewResponse` subscribers or tweens:
    when the handler returns, after harmless statements only
    (`request.response.status = HTTPBadRequest.code`, a log line), text or
    dicts and lists of text (`return {'error': str(e)}`), pyramid_tm ends the
    request's transaction and zope.sqlalchemy closes the session.  The same
    holds for a GraphQL resolver's own handler (`mutate` of a
    `graphene.Mutation`, `resolve_<field>` of a `graphene.ObjectType`), which
    graphene runs inside the view executing the query, when it returns text
    or an error made of text (`return ResponseError(message=text)`, the
    `__init__` of the error and of its project bases keeping their arguments
    only). The traceback counts as
    text (`''.join(traceback.format_exception(e, e, e.__traceback__))[:-1]`),
    and so do a name bound only to a string, wherever it was bound
    (`language = '{0}/{1}'.format(ids[0], ids[1])` before the `try`), and
    what a project function returns that only makes text of the text it is
    handed (`message(text)`, which puts the caller's place from
    `traceback.extract_stack()` before it).

    Rolling back through a `scoped_session` registry counts as rolling back
    the session it hands out (`DBSession().rollback()`), and removing the
    registry a local session was made from closes it (`session =
    session_maker()` in the `try`, `session_maker.remove()` in the
    `finally`, `session_maker` a parameter).

    Aborting zope's transaction counts as rolling back: `transaction.abort()`
    (also `transaction.get().abort()`, `transaction.manager.abort()`) or
    pyramid_tm's `request.tm.abort()` rolls back and closes every session
    zope.sqlalchemy joined to it.

    Nor is a handler reported after which a `with Session(...) as session:`
    block (or any context manager handing out the session) closes the
    session before anything uses it again: the `try` is the block's last
    statement, or the handler returns; or no loop inside the block holds the
    `try`, and the handler ends in `continue` or `break`, or nothing below the
    `try` in the block names the session, neither the handler nor the
    `finally` calls a method of it, and the function uses it only as
    `session.<attribute>` (what a call was handed the session may live on
    in what the call made); or the statement right after the `try` is the
    first to name it, a `with` that binds the name to a session it opens
    (`with get_session() as session:`, not a registry's), the handler and
    the `finally` do not name it, and nothing below the `try` calls a method
    of what a call made of it.

    Nor is a handler reported that falls through to a `raise` after its `try`,
    harmless statements only before it (a log line of the error; from the end
    of an `if` block, after that `if`): the error leaves the function as if
    re-raised; nor one that falls through to a call that ends the process
    (`os.execv(...)`, `sys.exit(1)`).

    Nor is a handler reported that falls through when the first statement
    below its `try`, in the `try`'s own block, to name the session closes it
    (or rolls it back, or removes it), alone or as the first statement of a
    `try` of its own: `self.edb_session.close()` right after a handler that
    logs ends the failed transaction before anything uses it.

    Nor is a handler reported whose session is made in the `try` body (by a
    session factory, SQLAlchemy's `Session` class, or a project function that
    makes one and keeps it nowhere; not a `scoped_session` registry, whose
    session is the thread's; bound to an engine or to nothing, not to a
    connection it is handed, such as Alembic's `op.get_bind()`, which keeps
    the failed transaction) and used nowhere but there after that: nothing
    can reach the failed session once the error leaves the body (SQS104
    reports a session that is never closed).

    Nor is a handler reported whose session a framework hands to the function
    for one request and closes after it, when the handler is the function's
    last use of that session: a FastAPI route (`@router.post(...)`) whose
    parameter comes from `Depends(get_db)` (as its default, in
    `Annotated[Session, Depends(get_db)]`, or through an alias of one such as
    `SessionDep`, here or in a project module), where `get_db` yields the
    session inside `with SessionLocal() as session:` or in a `try` whose
    `finally` closes it; or an aiogram handler (`@router.message(...)`, or
    registered by `dp.callback_query.register(handler, ...)` in any project
    module but the tests) whose parameter's name is a key that the project's
    middlewares (subclasses of `BaseMiddleware`) set only to a session opened
    around the handler (`async with factory() as db: data["db"] = db`). The
    `try` must sit in no loop; nothing may name the session after the `try`
    body where it can run after the handler (below the `try`, unless the
    handler returns; a `finally` around it), nor in a nested function, nor
    through what a call handed it made (`service = Service(db)` ...
    `service.save()`); and the session must not be bound to another name,
    stored, or handed to a class whose instance no local name holds or to a
    task (`Service(db).start()`, `tasks.add_task(audit, db)`). Closing the
    session ends its failed transaction with the request. A helper such a
    function calls is read the same way when it is a module-level function,
    or a method of a module-level class (a service object's
    `user_service.rename(db, ...)`: then every attribute of its name in the
    project counts as a use of it, in at most 16 modules), handed the
    session as a parameter, and every use of its name in the
    project (its tests aside) is a call, a statement of its own, by a route,
    a handler, or such a helper in turn (three levels up), that hands it its
    own session in no loop and uses the session no more after the call; or
    by a function that opens the session around the call (`async with
    SessionLocal() as db:`, or a project context manager that closes it) and
    uses it no more in that block, even in a loop around that block (each
    round opens its own). When the
    handler returns a value its callers can test (`return None, e`, `return
    False`, `return None, schema.Error(...)`), a caller may go on with the
    session after the call if it tests that value at once and leaves on it:
    `user, error = rename_user(db, ...)` then `if error: raise
    HTTPException(400)` (or `return`, with what it returns tested in turn by
    its own callers), outside any `try` of its own; what follows the test
    runs only when the helper succeeded. A
    dependency (`current_user(db = Depends(get_db))`) is not a route: the
    route goes on with the same session, and its handlers are reported.

    Nor is a handler reported in such a helper (its session a parameter,
    used no more after the handler, in no loop) that nothing in the project
    uses, its tests aside: an API another program calls, a function only
    imported or listed in `__all__`. Whether its caller goes on with the
    failed session cannot be read, and a false alarm costs more than a miss;
    a helper in a file of its own is one such. One whose session comes from
    `Depends(...)`, a FastAPI route, or an aiogram handler is still read as
    above: a framework calls those, and a dependency's session is the
    route's.

    Nor is a handler reported that is the last thing a command-line command
    does (a click command, a Typer app's, Flask's `AppGroup` or `app.cli`),
    outside a loop, or whose `try` is a statement of the command's own body
    followed by statements that do no session work (CTFd's `import_ctf`,
    which then deletes a file), when the handler itself does not use the
    session: the process ends with the command, and nothing uses the session
    again.

    ## Fix safety
    The fix inserts `<session>.rollback()` as the handler's first statement. It is
    safe, and `--fix` applies it, only where a rollback cannot change what the
    program does beyond ending the failed transaction; it needs
    `--unsafe-fixes` in two shapes:

    - the session's name is bound inside the `try` (`session = Session(...)` as
      its first line) or rebound there: when the constructor raises, the name is
      unbound (or still holds something else) and the inserted rollback raises
      `UnboundLocalError` in a handler that used to log and go on;
    - the `try` is inside a loop and its body does not commit: earlier
      iterations' uncommitted work, to be committed after the loop, would be
      thrown away by a rollback for one item's error (often not a database error
      at all, when the handler catches `Exception`). There, give each item a
      savepoint instead: `with session.begin_nested():` around the item's work
      rolls back only that item.

    Outside these shapes the rollback still ends the whole transaction since its
    last commit. After a database error that work is lost anyway (the
    transaction has failed); after another error that the handler catches
    (`except Exception`), work left pending before the `try` (earlier in the
    function, or by a caller that passed the session in) is discarded with it,
    where the program used to commit it later.
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
        # A helper nothing in the project calls (seafevents' API for seahub): what its caller does
        # with the session after the error cannot be read.
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n"),
        Valid("from sqlalchemy.exc import SQLAlchemyError\n\n__all__ = ['get_virus_files']\n\n"
              "def get_virus_files(session, repo_id):\n    try:\n"
              "        return session.query(VirusFile).filter_by(repo_id=repo_id).all()\n"
              "    except SQLAlchemyError:\n        logger.exception('virus files')\n        return []\n"),
        # A Flask view's own handler that logs a value of its URL and answers through a project
        # function that sets the reply's status (zeeguu's accounts): the request ends, and
        # Flask-SQLAlchemy removes `db.session` (here by another name).
        Valid(_FLASK_VIEW_HEAD
              + "@app.route('/users/<email>', methods=['POST'])\ndef add_user(email):\n    try:\n"
              "        db_session.add(User(email=email))\n        db_session.commit()\n    except Exception as e:\n"
              "        app.logger.error(f'not added: {email}')\n        return make_error(400, str(e))\n"
              "    return 'ok'\n"),
        # The `finally` removes the registry the session came from (SQLBot's `session_maker` parameter).
        Valid("def fill(session_maker):\n    try:\n        session = session_maker()\n"
              "        session.execute(stmt)\n        session.commit()\n    except Exception:\n"
              "        traceback.print_exc()\n    finally:\n        session_maker.remove()\n"),
        # The next thing below the `try` to name the session closes it (seafevents' storage counter).
        Valid("class Counter:\n    def run(self, rows):\n        try:\n            for row in rows:\n"
              "                self.edb_session.add(Stat(row))\n            self.edb_session.commit()\n"
              "        except Exception as e:\n            logging.warning('failed: %s', e)\n\n"
              "        self.seafdb_session.close()\n        self.edb_session.close()\n"),
        # ... or a `try` around that close (advanced-alchemy's session dependency).
        Valid("async def provide(db_session, exc_info):\n    try:\n        await db_session.commit()\n"
              "    except Exception:\n        if exc_info is not None:\n            log()\n        else:\n"
              "            raise\n    try:\n        await db_session.close()\n    except Exception:\n"
              "        pass\n"),
        # A handler that raises on every path of its test leaves.
        Valid("def run(session, charts, stream):\n    for chart in charts:\n        try:\n"
              "            session.add(Log(chart))\n            session.commit()\n        except Exception as e:\n"
              "            if stream:\n                raise e\n            else:\n"
              "                raise Failed(chart) from e\n"),
        # The handler falls through to a call that replaces the process (catuserbot's restart).
        Valid("import os\nimport sys\n\ndef restart(session):\n    try:\n        session.commit()\n"
              "    except Exception:\n        log()\n    os.execv(sys.executable, [sys.executable])\n"),
        # A helper's `finally` that closes the session ends its work, whatever its handlers catch.
        Valid("def save(session, obj):\n    try:\n        session.add(obj)\n        session.commit()\n"
              "    except KeyError:\n        log()\n    finally:\n        session.close()\n\n"
              "def run(session, objs):\n    for obj in objs:\n        try:\n            save(session, obj)\n"
              "        except Exception:\n            log(obj)\n"),
        # A helper's own `try` that may catch a session's errors judges its work (here it rolls back).
        Valid("def save(session, obj):\n    try:\n        session.add(obj)\n        session.commit()\n"
              "    except (KeyError, Exception):\n        session.rollback()\n        raise\n\n"
              "def run(session, objs):\n    for obj in objs:\n        try:\n            save(session, obj)\n"
              "        except Exception:\n            log(obj)\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n"
              "        raise\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception as e:\n"
              "        raise AppError() from e\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n"
              "    finally:\n        session.close()\n"),
        Valid("def f(session):\n    try:\n        session.commit()\n    except (KeyError, ValueError):\n"
              "        log()\n"),
        # Flask-RESTful's abort() raises an HTTPException, as Flask's does (redash's handlers).
        Valid("from flask_restful import abort\nfrom sqlalchemy.orm.exc import StaleDataError\n\n"
              "def post(session, dashboard):\n    session.add(dashboard)\n    try:\n        session.commit()\n"
              "    except StaleDataError:\n        abort(409)\n"),
        # ... and so does APIFlask's (hiddify-panel's parent API), after a log line.
        Valid("from apiflask import abort\n\n"
              "def post(session, data):\n    try:\n        session.add(Node(**data))\n        session.commit()\n"
              "    except Exception as err:\n        logger.error('not registered')\n        abort(400, str(err))\n"),
        Valid("def f(session):\n    try:\n        with session.begin():\n            session.add(obj)\n"
              "    except Exception:\n        log()\n"),
        # A Flask-SQLAlchemy model's query that is only built, not run; a class's `query` that is
        # not a model's.
        Valid("from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\nclass User(db.Model):\n"
              "    pass\n\ndef active():\n    try:\n        query = User.query.filter_by(active=True)\n"
              "    except Exception:\n        query = None\n    return query\n"),
        Valid("from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\nclass Search:\n"
              "    query = db.text('*')\n\ndef first():\n    try:\n        return Search.query.first()\n"
              "    except Exception:\n        return None\n"),
        # zope.sqlalchemy joins the session to zope's transaction, whose abort() rolls it back and
        # closes it: pyramid_tm's `request.tm`, or the `transaction` module (AppEnlight's views).
        Valid("def view(request, session):\n    try:\n"
              "        session.execute(q)\n    except Exception:\n        request.tm.abort()\n"
              "    return session.execute(q2)\n"),
        Valid("import transaction\n\ndef job(session):\n    try:\n        session.flush()\n    except Exception:\n"
              "        transaction.abort()\n    session.execute(q)\n"),
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
        # The `with` block that owns the session ends it before anything else uses it: on the
        # handler's path the row stays None and the `if` leaves; the other branch never runs after
        # the handler; a `return` right after the `try` leaves.
        Valid(
            "from sqlalchemy.exc import SQLAlchemyError\n\ndef show(agent_id):\n"
            "    with session_context() as session:\n        agent = None\n        try:\n"
            "            agent = session.query(Agent).filter_by(agent_id=agent_id).first()\n"
            "        except SQLAlchemyError:\n            log.error('no agent')\n        if agent is None:\n"
            "            return reply(404)\n        session.delete(agent)\n        session.commit()\n"
        ),
        Valid(
            "from sqlalchemy.exc import SQLAlchemyError\n\ndef remove(agent_id, push):\n"
            "    with session_context() as session:\n        if push:\n            try:\n"
            "                session.execute(delete(Agent).where(Agent.id == agent_id))\n"
            "                session.commit()\n            except SQLAlchemyError:\n"
            "                reply(500)\n            return\n        else:\n"
            "            session.get(Agent, agent_id).state = 'TERMINATED'\n            session.commit()\n"
        ),
        # The transaction the `try` is the last statement of ends with its block.
        Valid(
            "async def register(session, blocks):\n    for block in blocks:\n        async with session.begin():\n"
            "            try:\n                await session.execute(insert_schema(block))\n"
            "            except Exception:\n                logger.exception('not registered')\n"
        ),
        # A script's main block: after the handler the process only prints and ends, and the session
        # with it.
        Valid(
            "from app.db import SessionLocal\n\nif __name__ == '__main__':\n    session = SessionLocal()\n"
            "    try:\n        session.execute(update_usernames)\n        session.commit()\n"
            "    except Exception as e:\n        print(f'failed: {e}')\n    print('done')\n"
        ),
        # `refresh()` of a row deleted meanwhile: InvalidRequestError (and its kin) never wraps a
        # database error.
        Valid(
            "from sqlalchemy.exc import InvalidRequestError\n\ndef fresh(session, agents):\n"
            "    for agent in agents:\n        try:\n            session.refresh(agent)\n"
            "        except InvalidRequestError:\n            continue\n        yield agent\n"
        ),
        Valid(
            "from sqlalchemy.exc import MultipleResultsFound\n\ndef find(self, name):\n    try:\n"
            "        return self.session.query(User).filter_by(name=name).one_or_none()\n"
            "    except MultipleResultsFound:\n        return None\n"
        ),
        # `add()` alone never reaches the database, nor does `merge(..., load=False)` (a cached copy put
        # back: no SELECT, no autoflush); `x.get("key")` is a mapping's get.
        Valid(
            "def cached(db, redis, key):\n    try:\n        setting = pickle.loads(redis.get(key))\n"
            "        return db.session.merge(setting, load=False)\n    except Exception:\n        return None\n"
        ),
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
        # The owner of the session (`db` of `db.session`) handed to a helper that rolls back.
        Valid(
            "def update(db, user):\n    try:\n        db.session.commit()\n    except Exception as e:\n"
            "        return handle_error_and_return_response(e, db=db)\n"
        ),
        # Flask-SQLAlchemy's session of an application context the error has left: removed already.
        Valid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef load_plugins(app):\n    try:\n"
            "        with app.app_context():\n            return db.session.execute(q).scalars().all()\n"
            "    except Exception:\n        return []\n"
        ),
        # SQLAlchemy's savepoint get-or-create: the savepoint rolls back what raised.
        Valid(
            "from sqlalchemy.exc import IntegrityError\n\ndef get_or_create(session, name):\n    try:\n"
            "        tag = session.query(Tag).filter_by(name=name).first()\n        if tag is None:\n"
            "            with session.begin_nested():\n                tag = Tag(name=name)\n"
            "                session.add(tag)\n    except IntegrityError:\n"
            "        tag = session.query(Tag).filter_by(name=name).one()\n    return tag\n"
        ),
        # An inner handler that rolls back keeps the error from the outer one.
        Valid(
            "def f(session):\n    try:\n        try:\n            session.commit()\n        except Exception:\n"
            "            session.rollback()\n        notify()\n    except Exception:\n        log()\n"
        ),
        # ... and one that rolls back and re-raises hands it on with the session clean.
        Valid(
            "def f(db_session, story):\n    try:\n        compute()\n        try:\n            db_session.add(story)\n"
            "            db_session.commit()\n        except Exception:\n            db_session.rollback()\n"
            "            raise\n    except Exception:\n        log()\n"
        ),
        Valid(
            "def f(session):\n    try:\n        try:\n            session.commit()\n        finally:\n"
            "            session.close()\n    except Exception:\n        log()\n"
        ),
        # The last thing a command-line command does: the process ends with it (redash, FitTrackee).
        Valid(
            "from flask.cli import AppGroup\nfrom sqlalchemy.exc import IntegrityError\nfrom app import db\n\n"
            "manager = AppGroup(help='users')\n\n@manager.command()\ndef invite(email):\n"
            "    db.session.add(User(email=email))\n    try:\n        db.session.commit()\n"
            "    except IntegrityError:\n        print('already invited')\n"
        ),
        Valid(
            "import click\nfrom app import app, db\n\n@click.group(name='users')\ndef users_cli():\n    pass\n\n"
            "@users_cli.command('create')\ndef create(name):\n    with app.app_context():\n        try:\n"
            "            db.session.add(User(name=name))\n            db.session.commit()\n"
            "        except Exception as e:\n            click.echo(f'Error: {e}', err=True)\n"
        ),
        Valid(
            "import typer\nfrom sqlalchemy.orm import Session\n\ncli = typer.Typer()\n\n@cli.command()\n"
            "def ping():\n    session = Session(engine)\n    try:\n        session.execute(q)\n"
            "    except Exception:\n        typer.echo('down')\n"
        ),
        # ... or what it does after that reaches no session (CTFd's `import_ctf`, which deletes a file).
        Valid(
            "import os\n\nimport click\nfrom sqlalchemy.orm import Session\n\n@click.command()\n"
            "@click.option('--delete', is_flag=True)\ndef load(path, delete):\n    session = Session(engine)\n"
            "    try:\n        session.add(Row(path))\n        session.commit()\n    except Exception as e:\n"
            "        print(e)\n    if delete:\n        os.remove(path)\n"
        ),
        # A function handed the session that guards its own work, or does none on it.
        Valid(
            "def save(session, obj):\n    session.add(obj)\n    try:\n        session.commit()\n"
            "    except Exception:\n        session.rollback()\n        raise\n\n"
            "def create(session, obj):\n    try:\n        save(session, obj)\n    except Exception:\n        log()\n"
        ),
        Valid(
            "def audit(session, message):\n    log(message, session.info)\n\n"
            "def create(session, obj):\n    try:\n        audit(session, 'create')\n"
            "    except Exception:\n        pass\n"
        ),
        Valid(
            "def save(session, obj):\n    with session.begin():\n        session.add(obj)\n\n"
            "def create(session, obj):\n    try:\n        save(session, obj)\n    except Exception:\n        log()\n"
        ),
        Valid(
            "from toolbox import save\n\ndef create(session, obj):\n    try:\n        save(session, obj)\n"
            "    except Exception:\n        log()\n"
        ),
        # A function of the module that works on its module-level session and closes it itself.
        Valid(
            "from sqlalchemy.exc import IntegrityError\nfrom sqlalchemy.orm import Session\n\n"
            "SESSION = Session(engine)\n\ndef approve(chat_id):\n    try:\n        SESSION.add(Approval(chat_id))\n"
            "        SESSION.commit()\n    finally:\n        SESSION.close()\n\ndef on_approve(chat_id):\n"
            "    try:\n        approve(chat_id)\n    except IntegrityError:\n        return 'already approved'\n"
        ),
        # ... or whose session is the function's own.
        Valid(
            "from sqlalchemy.exc import IntegrityError\nfrom sqlalchemy.orm import Session\n\n"
            "def approve(chat_id):\n    session = Session(engine)\n    session.add(Approval(chat_id))\n"
            "    session.commit()\n\ndef on_approve(chat_id):\n"
            "    try:\n        approve(chat_id)\n    except IntegrityError:\n        return 'already approved'\n"
        ),
        # SQLAlchemy 1.4 style: engine.execute() holds no session transaction
        Valid(
            "def count(engine):\n    try:\n        return engine.execute('SELECT COUNT(*) FROM users').scalar()\n"
            "    except Exception:\n        return 0\n"
        ),
        # The handler's is the last use of a session that a `with` then closes: nothing below the
        # `try` in the block names it (skyportal's services) ...
        Valid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "def ingest(engine, skymap):\n    with Session(engine) as session:\n        try:\n"
            "            session.add(skymap)\n            session.commit()\n        except SQLAlchemyError:\n"
            "            log.exception('ingest failed')\n        post_notification(skymap.id)\n"
        ),
        # ... or its `continue` leaves the block for the next turn of a loop around it.
        Valid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "def drain(engine, queue):\n    while True:\n        item = queue.get()\n"
            "        with Session(engine) as session:\n            try:\n                session.add(item)\n"
            "                session.commit()\n            except SQLAlchemyError:\n"
            "                log.exception('failed')\n                continue\n"
            "            notify(session.info)\n"
        ),
        # ... or the next statement binds the name to a session it opens, which is all the block
        # goes on with (onyx's extraction loop: the failed session is left to the outer exit).
        Valid(
            "from sqlalchemy.orm import Session\n\n"
            "def load(engine, rows):\n    for row in rows:\n        with Session(engine) as db:\n            try:\n"
            "                upsert_type(db_session=db, row=row)\n                db.commit()\n"
            "            except Exception as e:\n                log.error('type %s: %s', row, e)\n"
            "            with Session(engine) as db:\n                upsert_row(db_session=db, row=row)\n"
            "                db.commit()\n"
        ),
        # A commit in the handler after a failed statement that flushed nothing ends the transaction.
        Valid(
            "from sqlalchemy import text\nfrom sqlalchemy.exc import SQLAlchemyError\n\ndef count(session):\n"
            "    try:\n        return session.execute(text('SELECT count(*) FROM t')).scalar()\n"
            "    except SQLAlchemyError:\n        session.commit()\n        return 0\n"
        ),
        # The driver's classes alone: SQLAlchemy wraps them (`psycopg2.errors.UniqueViolation` reaches
        # the code as `sqlalchemy.exc.IntegrityError`), so this clause never catches the session's errors.
        Valid(
            "import pymysql\n\nclass Repo:\n    def save(self, obj):\n        try:\n"
            "            self.session.merge(obj)\n"
            "        except (ValueError, pymysql.err.OperationalError):\n            return False\n"
        ),
        # The handler falls through to a `raise`: a compensation inside a handler that then raises
        # an HTTP error (the error leaves as if re-raised).
        Valid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "async def pay(db: AsyncSession, user, amount):\n    try:\n"
            "        await charge(user, amount)\n    except PaymentError:\n        try:\n"
            "            db.add(Refund(user, amount))\n            await db.commit()\n"
            "        except SQLAlchemyError:\n            log.exception('refund not recorded')\n"
            "        raise HTTPException(status_code=402)\n"
        ),
        # A FastAPI route's session, from a dependency that closes it after the request: the handler
        # is the route's last use of it, and closing it ends the failed transaction.
        Valid(
            "from fastapi import APIRouter, Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.orm import Session\n\nrouter = APIRouter()\n\ndef get_db():\n"
            "    with SessionLocal() as session:\n        yield session\n\n@router.post('/items')\n"
            "def create_item(name: str, db: Session = Depends(get_db)):\n    db.add(Item(name=name))\n"
            "    try:\n        db.commit()\n    except SQLAlchemyError:\n        return {'ok': False}\n"
            "    return {'ok': True}\n"
        ),
        # ... also through an `Annotated` alias, with a dependency that closes it in `finally`, and
        # uses below the `try` that a handler ending in `return` never reaches.
        Valid(
            "from typing import Annotated\nfrom fastapi import APIRouter, Depends\n"
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\n\nasync def get_session():\n    session = factory()\n    try:\n"
            "        yield session\n    finally:\n        await session.close()\n\n"
            "SessionDep = Annotated[AsyncSession, Depends(get_session)]\n\n@router.delete('/items/{key}')\n"
            "async def remove(key: int, db: SessionDep):\n    try:\n        await db.execute(delete_item(key))\n"
            "        await db.commit()\n    except SQLAlchemyError:\n        return {'ok': False}\n"
            "    await db.refresh(Item)\n    return {'ok': True}\n"
        ),
        # An aiogram handler's session, opened for the update by the project's middleware around the
        # handler: the handler is its last use.
        Valid(
            "from aiogram import BaseMiddleware, Router\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\nclass DbMiddleware(BaseMiddleware):\n"
            "    async def __call__(self, handler, event, data):\n        async with factory() as session:\n"
            "            data['session'] = session\n            return await handler(event, data)\n\n"
            "router = Router()\n\n@router.message()\nasync def save(message, session: AsyncSession):\n"
            "    session.add(Note(text=message.text))\n    try:\n        await session.commit()\n"
            "    except SQLAlchemyError:\n        await message.answer('not saved')\n"
        ),
        # ... or registered by the module (`dp.callback_query.register(handler, ...)`).
        Valid(
            "from aiogram import BaseMiddleware, F\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "class DbMiddleware(BaseMiddleware):\n    async def __call__(self, handler, event, data):\n"
            "        async with factory() as db:\n            data['db'] = db\n"
            "            return await handler(event, data)\n\nasync def pay(callback, db: AsyncSession):\n    try:\n"
            "        await charge(db, callback.from_user.id)\n        await db.commit()\n"
            "    except SQLAlchemyError:\n        await callback.answer('failed')\n\n"
            "def register_handlers(dp):\n    dp.callback_query.register(pay, F.data == 'pay')\n"
        ),
        # The handler rolls back through the `scoped_session` registry: `DBSession()` is the
        # thread's session, the one the work used.
        Valid(
            "from sqlalchemy.orm import scoped_session, sessionmaker\n\nDBSession = scoped_session(sessionmaker())\n\n"
            "def notify(users):\n    with DBSession() as session:\n        for user in users:\n            try:\n"
            "                session.add(Notification(user))\n                session.commit()\n"
            "            except Exception:\n                DBSession().rollback()\n                continue\n"
        ),
        # A session made in the `try` and used nowhere else: once the error leaves the body
        # nothing can reach it (SQS104 reports that it is never closed).
        Valid(
            "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\ndef load_tags(rows):\n"
            "    for row in rows:\n        try:\n            db = SessionLocal()\n            db.add(Tag(row))\n"
            "            db.commit()\n        except Exception:\n            log.exception('skipped')\n"
        ),
        # The last thing an application context runs: it ends after the handler logs, and
        # Flask-SQLAlchemy removes the session with it (Aleph's worker).
        Valid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef periodic(app):\n"
            "    with app.app_context():\n        try:\n            update_roles()\n"
            "            db.session.commit()\n        except Exception:\n            log.exception('periodic')\n"
        ),
        # The application is made first, then the work runs in a request's context, which the
        # error leaves: Flask-SQLAlchemy removes the session before the handler runs.
        Valid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef load(path):\n    try:\n"
            "        app = create_app('cli')\n        with app.test_request_context():\n"
            "            db.session.add(Server(path))\n            db.session.commit()\n"
            "    except Exception as e:\n        print(str(e))\n    audit(path)\n"
        ),
        # What follows the `try` logs the outer error and raises it: the inner handler falls
        # through to that `raise` (from the end of an `if` block too), and the error leaves.
        Valid(
            "from sqlalchemy.orm import Session\n\nasync def process(session: Session, note):\n    try:\n"
            "        await index(note)\n    except Exception as e:\n        if note:\n            try:\n"
            "                await session.refresh(note)\n                await session.commit()\n"
            "            except Exception as inner:\n                logger.error(f'not marked: {inner!s}')\n"
            "        logger.error(f'failed: {e!s}')\n        raise\n"
        ),
    ]
    invalid = [
        Invalid(
            "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        log()\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
            at=(4, 4),
            fixed="def f(session):\n    try:\n        session.commit()\n"
            "    except Exception:\n        session.rollback()\n"
            "        log()\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
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
            "        session.flush()\n    except IntegrityError:\n        pass\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
            at=(7, 4),
            fixed="from sqlalchemy.exc import IntegrityError\n\ndef f(session):\n    try:\n        session.add(obj)\n"
            "        session.flush()\n    except IntegrityError:\n        session.rollback()\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
        ),
        Invalid(
            "import sqlalchemy as sa\n\ndef f(db_session):\n    try:\n        db_session.commit()\n"
            "    except sa.exc.SQLAlchemyError: log()\n"
            "\ndef main(db_session):\n    f(db_session)\n    db_session.commit()\n",
            at=(6, 4),
            fixed="import sqlalchemy as sa\n\ndef f(db_session):\n    try:\n        db_session.commit()\n"
            "    except sa.exc.SQLAlchemyError:\n        db_session.rollback()\n        log()\n"
            "\ndef main(db_session):\n    f(db_session)\n    db_session.commit()\n",
        ),
        Invalid(
            "async def f(session):\n    try:\n        await session.execute(q)\n    except:\n        log()\n"
            "\nasync def main(session):\n    await f(session)\n    await session.commit()\n",
            at=(4, 4),
            fixed="async def f(session):\n    try:\n        await session.execute(q)\n    except:\n"
            "        await session.rollback()\n        log()\n"
            "\nasync def main(session):\n    await f(session)\n    await session.commit()\n",
        ),
        Invalid(
            "from sqlalchemy.orm import Session\n\ndef f(db: Session):\n    try:\n        db.add(x)\n"
            "        db.commit()\n"
            "    except Exception:\n        log()\n"
            "\ndef main(db):\n    f(db)\n    db.commit()\n",
            at=(7, 4),
            fixed="from sqlalchemy.orm import Session\n\ndef f(db: Session):\n    try:\n        db.add(x)\n"
            "        db.commit()\n"
            "    except Exception:\n        db.rollback()\n        log()\n"
            "\ndef main(db):\n    f(db)\n    db.commit()\n",
        ),
        Invalid(
            "import pymysql\nfrom sqlalchemy import exc\n\nclass Repo:\n    def save(self, obj):\n        try:\n"
            "            self.session.merge(obj)\n"
            "        except (pymysql.err.OperationalError, exc.OperationalError):\n            return False\n",
            at=(8, 8),
            fixed="import pymysql\nfrom sqlalchemy import exc\n\nclass Repo:\n    def save(self, obj):\n        try:\n"
            "            self.session.merge(obj)\n"
            "        except (pymysql.err.OperationalError, exc.OperationalError):\n"
            "            self.session.rollback()\n            return False\n",
        ),
        Invalid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef load_plugins(app):\n    try:\n"
            "        with app.app_context():\n            plugins = db.session.execute(q).scalars().all()\n"
            "        db.session.commit()\n    except Exception:\n        plugins = []\n    return plugins\n",
            at=(9, 4),
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
        # Reported once, on the inner handler that swallows the error first.
        Invalid(
            "def f(session, items):\n    try:\n        for item in items:\n            try:\n"
            "                session.merge(item)\n                session.flush()\n"
            "            except Exception:\n                log(item)\n    except Exception:\n        log()\n",
            at=(7, 12),
        ),
        # The inner handler re-raises without rolling back: the outer one swallows a dead transaction.
        Invalid(
            "def f(session):\n    try:\n        try:\n            session.commit()\n        except Exception:\n"
            "            log()\n            raise\n    except Exception:\n        notify()\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
            at=(8, 4),
        ),
        # The inner handler rolls back only after an IntegrityError: any other error reaches the outer one.
        Invalid(
            "from sqlalchemy.exc import IntegrityError\n\ndef f(session):\n    try:\n        try:\n"
            "            session.commit()\n        except IntegrityError:\n            session.rollback()\n"
            "            raise\n    except Exception:\n        notify()\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
            at=(10, 4),
        ),
        # An earlier handler lets an IntegrityError go on untidied, before the one that rolls back.
        Invalid(
            "from sqlalchemy.exc import IntegrityError\n\ndef f(session):\n    try:\n        try:\n"
            "            session.commit()\n        except IntegrityError:\n            raise DuplicateError()\n"
            "        except Exception:\n            session.rollback()\n            raise\n"
            "    except Exception:\n        notify()\n"
            "\ndef main(session):\n    f(session)\n    session.commit()\n",
            at=(12, 4),
        ),
        # IntegrityError without a savepoint: the session's transaction is dead.
        Invalid(
            "from sqlalchemy.exc import IntegrityError\n\ndef create(session, name):\n    try:\n"
            "        session.add(Tag(name=name))\n        session.commit()\n    except IntegrityError:\n"
            "        log(name)\n"
            "\ndef main(session, *args):\n    create(session, *args)\n    session.commit()\n",
            at=(7, 4),
        ),
        Invalid(
            "def f(s):\n    try:\n        s.commit()\n    except Exception:\n        pass\n"
            "\ndef main(s):\n    f(s)\n    s.commit()\n",
            at=(4, 4),
            options={"session_names": "s"},
            fixed="def f(s):\n    try:\n        s.commit()\n    except Exception:\n        s.rollback()\n"
            "\ndef main(s):\n    f(s)\n    s.commit()\n",
        ),
        # SQLAlchemy 1.4 style: session.query()
        Invalid(
            "def find(session, email):\n    try:\n"
            "        return session.query(User).filter_by(email=email).first()\n    except Exception:\n"
            "        log.exception('lookup failed')\n"
            "\ndef main(session, *args):\n    find(session, *args)\n    session.commit()\n",
            at=(4, 4),
            fixed="def find(session, email):\n    try:\n"
            "        return session.query(User).filter_by(email=email).first()\n    except Exception:\n"
            "        session.rollback()\n        log.exception('lookup failed')\n"
            "\ndef main(session, *args):\n    find(session, *args)\n    session.commit()\n",
        ),
        # The work done by a function of the module that the session is handed to.
        Invalid(
            "def save(session, obj):\n    session.add(obj)\n    session.commit()\n\n"
            "def create(session, obj):\n    try:\n        save(session, obj)\n    except Exception:\n"
            "        log()\n    return session.query(Obj).count()\n",
            at=(8, 4),
            fixed="def save(session, obj):\n    session.add(obj)\n    session.commit()\n\n"
            "def create(session, obj):\n    try:\n        save(session, obj)\n    except Exception:\n"
            "        session.rollback()\n        log()\n    return session.query(Obj).count()\n",
        ),
        # A close below the `try` that may not run, or that comes after a use, ends nothing first.
        Invalid(
            "def run(session, rows, done):\n    try:\n        session.add_all(rows)\n        session.commit()\n"
            "    except Exception:\n        log()\n    if done:\n        session.close()\n"
            "    session.add(Mark())\n",
            at=(5, 4),
        ),
        Invalid(
            "def run(session, rows):\n    try:\n        session.add_all(rows)\n        session.commit()\n"
            "    except Exception:\n        log()\n    session.add(Mark())\n    session.close()\n",
            at=(5, 4),
        ),
        # `expunge_all()` detaches the objects and leaves the failed transaction as it is.
        Invalid(
            "def run(session, rows):\n    try:\n        session.add_all(rows)\n        session.commit()\n"
            "    except Exception:\n        log()\n    session.expunge_all()\n    session.add(Mark())\n",
            at=(5, 4),
        ),
        # A `finally` that removes another registry than the one the session came from closes nothing.
        Invalid(
            "def fill(session_maker, other):\n    try:\n        session = session_maker()\n"
            "        session.execute(stmt)\n        session.commit()\n    except Exception:\n"
            "        traceback.print_exc()\n    finally:\n        other.remove()\n    session.commit()\n",
            at=(6, 4),
        ),
        # A handler that raises only under a test swallows the error on the other path (SQLBot's tasks).
        Invalid(
            "def run(session, charts, stream):\n    for chart in charts:\n        try:\n"
            "            session.add(Log(chart))\n            session.commit()\n        except Exception as e:\n"
            "            if stream:\n                raise e\n            log(chart)\n",
            at=(6, 8),
        ),
        # SQLModel's `session.exec()` is work.
        Invalid(
            "from sqlmodel import Session, select\n\ndef names(session: Session, teams):\n    rows = []\n"
            "    for team in teams:\n        try:\n"
            "            rows.append(session.exec(select(Hero).where(Hero.team == team)).all())\n"
            "        except Exception:\n            log(team)\n    return rows\n",
            at=(8, 8),
        ),
        # The helper's own `try` catches only what no session raises: a failed commit reaches the caller.
        Invalid(
            "import subprocess\n\ndef mirror(session, project):\n    try:\n"
            "        subprocess.check_call(['git', 'fetch'])\n        session.add(project)\n"
            "        session.commit()\n    except subprocess.CalledProcessError:\n        log()\n\n"
            "def mirror_all(session, projects):\n    for project in projects:\n        try:\n"
            "            mirror(session, project)\n        except Exception:\n            log(project)\n",
            at=(15, 8),
        ),
        # ... and its `finally` cleans up something else (pagure's `mirror_pull_project`).
        Invalid(
            "import shutil\nimport subprocess\n\ndef mirror(session, project, path):\n    try:\n"
            "        subprocess.check_call(['git', 'fetch'], cwd=path)\n        session.add(project)\n"
            "        session.commit()\n    except subprocess.CalledProcessError:\n        log()\n"
            "    finally:\n        shutil.rmtree(path)\n\n"
            "def mirror_all(session, projects):\n    for project in projects:\n        try:\n"
            "            mirror(session, project, '/tmp/m')\n        except Exception:\n            log(project)\n",
            at=(18, 8),
        ),
        Invalid(
            "class Sync:\n    def _write(self, row, *, session):\n        session.merge(row)\n"
            "        session.flush()\n\n"
            "    def run(self, session, rows):\n        for row in rows:\n            try:\n"
            "                self._write(row, session=session)\n            except Exception:\n"
            "                log(row)\n",
            at=(10, 12),
        ),
        # A command goes on after the handler, or loops: the broken session is used again.
        Invalid(
            "import click\nfrom sqlalchemy.orm import Session\n\n@click.command()\ndef load():\n"
            "    session = Session(engine)\n    try:\n        session.execute(q)\n    except Exception:\n"
            "        click.echo('no')\n    session.commit()\n",
            at=(9, 4),
        ),
        # ... in a `try` of its own, whose handler swallows what the broken session raises there.
        Invalid(
            "import click\nfrom sqlalchemy.orm import Session\n\n@click.command()\ndef load():\n"
            "    session = Session(engine)\n    try:\n        session.execute(q)\n    except Exception:\n"
            "        click.echo('no')\n    try:\n        session.commit()\n    except Exception:\n"
            "        session.rollback()\n",
            at=(9, 4),
        ),
        Invalid(
            "import click\nfrom sqlalchemy.orm import Session\n\n@click.command()\ndef load(rows):\n"
            "    session = Session(engine)\n    for row in rows:\n        try:\n            session.merge(row)\n"
            "            session.commit()\n        except Exception:\n            click.echo('skipped')\n",
            at=(11, 8),
        ),
        # A chat bot's command: the process (and the session) lives on.
        Invalid(
            "from discord.ext import commands\nfrom sqlalchemy.orm import Session\n\n"
            "bot = commands.Bot(command_prefix='!')\nsession = Session(engine)\n\n@bot.command()\n"
            "async def score(ctx):\n    try:\n        session.execute(q)\n    except Exception:\n"
            "        await ctx.send('no')\n",
            at=(11, 4),
        ),
        # A function that works on its module's shared session: the session stays broken for
        # every later user of the module (a chat bot's helpers over one `SESSION`).
        Invalid(
            "from sqlalchemy.exc import IntegrityError\nfrom sqlalchemy.orm import Session\n\n"
            "SESSION = Session(engine)\n\ndef approve(chat_id):\n    SESSION.add(Approval(chat_id))\n"
            "    SESSION.commit()\n\ndef on_approve(chat_id):\n"
            "    try:\n        approve(chat_id)\n    except IntegrityError:\n        return 'already approved'\n",
            at=(13, 4),
            # (with SQS101's fix: the shared session becomes a registry)
            fixed="from sqlalchemy.exc import IntegrityError\n"
            "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "# TODO(sqla-session): call SESSION.remove() when a request ends\n"
            "SESSION = scoped_session(sessionmaker(engine))\n\ndef approve(chat_id):\n"
            "    SESSION.add(Approval(chat_id))\n"
            "    SESSION.commit()\n\ndef on_approve(chat_id):\n"
            "    try:\n        approve(chat_id)\n    except IntegrityError:\n        SESSION.rollback()\n"
            "        return 'already approved'\n",
        ),
        # SQLAlchemy 1.4 style: an autocommit=True session's explicit begin(): nothing ends it when commit() fails
        Invalid(
            "def add(session, user):\n    try:\n        session.begin()\n        session.add(user)\n"
            "        session.commit()\n    except Exception:\n        log.exception('not added')\n"
            "\ndef main(session, *args):\n    add(session, *args)\n    session.commit()\n",
            at=(6, 4),
            fixed="def add(session, user):\n    try:\n        session.begin()\n        session.add(user)\n"
            "        session.commit()\n    except Exception:\n        session.rollback()\n"
            "        log.exception('not added')\n"
            "\ndef main(session, *args):\n    add(session, *args)\n    session.commit()\n",
        ),
        # A Flask-SQLAlchemy model's query works on `db.session` (its mixins aside): here its
        # autoflush flushes the new user.
        Invalid(
            "from flask_login import UserMixin\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n"
            "class User(UserMixin, db.Model):\n    pass\n\n"
            "def add(name):\n    db.session.add(User(name=name))\n    try:\n"
            "        return User.query.filter_by(name=name).first()\n    except Exception:\n        log()\n",
            at=(13, 4),
            fixed="from flask_login import UserMixin\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n"
            "class User(UserMixin, db.Model):\n    pass\n\n"
            "def add(name):\n    db.session.add(User(name=name))\n    try:\n"
            "        return User.query.filter_by(name=name).first()\n    except Exception:\n"
            "        db.session.rollback()\n        log()\n",
        ),
        # An abort() of anything else (a job, a task) is no rollback.
        Invalid(
            "def f(session, job):\n    try:\n        session.commit()\n    except Exception:\n        job.abort()\n"
            "\ndef main(session, *args):\n    f(session, *args)\n    session.commit()\n",
            at=(4, 4),
        ),
        # `dbsession` is a session's name too (RootTheBox's handlers, Pyramid's cookiecutter).
        Invalid(
            "def reset(dbsession, user):\n    try:\n        dbsession.delete(user)\n        dbsession.commit()\n"
            "    except Exception:\n        log()\n"
            "\ndef main(dbsession, *args):\n    reset(dbsession, *args)\n    dbsession.commit()\n",
            at=(5, 4),
            fixed="def reset(dbsession, user):\n    try:\n        dbsession.delete(user)\n        dbsession.commit()\n"
            "    except Exception:\n        dbsession.rollback()\n        log()\n"
            "\ndef main(dbsession, *args):\n    reset(dbsession, *args)\n    dbsession.commit()\n",
        ),
        # A classmethod of a model that queries its module's shared session (RootTheBox's `User.by_uuid`).
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "dbsession = Session(engine)\n\nclass User(Base):\n    @classmethod\n    def by_uuid(cls, uuid):\n"
            "        return dbsession.query(cls).filter_by(uuid=uuid).first()\n\ndef current_user(uuid):\n"
            "    try:\n        return User.by_uuid(uuid)\n    except SQLAlchemyError:\n        return None\n",
            at=(14, 4),
        ),
        # The `with` block goes on using the session after the handler ...
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "def ingest(engine, skymap):\n    with Session(engine) as session:\n        try:\n"
            "            session.add(skymap)\n            session.commit()\n        except SQLAlchemyError:\n"
            "            log.exception('ingest failed')\n        session.add(Log('ingested'))\n"
            "        session.commit()\n",
            at=(9, 8),
        ),
        # ... or a loop of the block runs the `try` again on it.
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "def ingest_all(engine, skymaps):\n    with Session(engine) as session:\n        for skymap in skymaps:\n"
            "            try:\n                session.add(skymap)\n                session.commit()\n"
            "            except SQLAlchemyError:\n                log.exception('ingest failed')\n"
            "        notify(len(skymaps))\n",
            at=(10, 12),
        ),
        # A commit in the handler after a commit failed in the `try`: it raises PendingRollbackError,
        # and the failure it was to record is lost (aleph's `load_mapping`).
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\n\ndef load(session, mapping):\n    try:\n"
            "        mapping.run()\n        session.commit()\n    except SQLAlchemyError as exc:\n"
            "        mapping.status = 'failed'\n        session.commit()\n",
            at=(7, 4),
            fixed="from sqlalchemy.exc import SQLAlchemyError\n\ndef load(session, mapping):\n    try:\n"
            "        mapping.run()\n        session.commit()\n    except SQLAlchemyError as exc:\n"
            "        session.rollback()\n        mapping.status = 'failed'\n        session.commit()\n",
        ),
        # ... or something handed the session above the `try` goes on using it below (fides' erasure task).
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "def erase(engine, request):\n    with Session(engine) as session:\n"
            "        graph = create_graph_task(session, request)\n        try:\n"
            "            session.add(Log(request))\n            session.commit()\n"
            "        except SQLAlchemyError:\n            log.exception('failed')\n        graph.erasure_request()\n",
            at=(10, 8),
        ),
        # A `with` after the `try` that binds the name again leaves the failed session in use: it
        # opens the new one on the failed one's connection, or gets a registry's (the same
        # session), or what a call made of the failed one goes on inside it.
        *(
            Invalid(
                "from sqlalchemy.orm import Session, scoped_session, sessionmaker\n\n"
                "Registry = scoped_session(sessionmaker())\n\n"
                "def load(engine, row):\n    with Session(engine) as db:\n        graph = make_graph(db)\n"
                "        try:\n            upsert_type(db_session=db, row=row)\n            db.commit()\n"
                "        except Exception as e:\n            log.error('failed: %s', e)\n"
                f"        with {opened} as db:\n            upsert_row(db_session=db, row=row)\n"
                f"            {used}\n",
                at=(11, 8),
            )
            for opened, used in (
                ("Session(bind=db.connection())", "db.commit()"), ("Registry()", "db.commit()"),
                ("Session(engine)", "graph.run()"),
            )
        ),
        # ... but not when it leaves by `return` before reaching it.
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\n\ndef pay(session, user, amount):\n    try:\n"
            "        session.add(Payment(user, amount))\n        session.commit()\n    except SQLAlchemyError:\n"
            "        return None\n    raise Unreachable()\n"
            "\ndef main(session, *args):\n    pay(session, *args)\n    session.commit()\n",
            at=(7, 4),
        ),
        # A FastAPI route that goes on with its session after the handler.
        Invalid(
            "from fastapi import APIRouter, Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.orm import Session\n\nrouter = APIRouter()\n\ndef get_db():\n"
            "    with SessionLocal() as session:\n        yield session\n\n@router.post('/items')\n"
            "def create_item(name: str, db: Session = Depends(get_db)):\n    try:\n        db.commit()\n"
            "    except SQLAlchemyError:\n        pass\n    db.add(Item(name=name))\n    db.commit()\n",
            at=(15, 4),
        ),
        # A dependency is not a route: the route it serves goes on with the same session.
        Invalid(
            "from fastapi import Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.orm import Session\n\ndef get_db():\n    with SessionLocal() as session:\n"
            "        yield session\n\ndef current_user(token: str, db: Session = Depends(get_db)):\n"
            "    user = db.get(User, token)\n    try:\n        user.seen = now()\n        db.commit()\n"
            "    except SQLAlchemyError:\n        pass\n    return user\n",
            at=(14, 4),
        ),
        # A dependency that hands out a module-level session and never closes it: the next request
        # gets the failed session.
        Invalid(
            "from fastapi import APIRouter, Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.orm import Session\n\nrouter = APIRouter()\nSESSION = Session(engine)\n\n"
            "def get_db():\n    yield SESSION\n\n@router.post('/items')\n"
            "def create_item(name: str, db: Session = Depends(get_db)):\n    db.add(Item(name=name))\n"
            "    try:\n        db.commit()\n    except SQLAlchemyError:\n        return {'ok': False}\n",
            at=(16, 4),
        ),
        # A route that hands its session to a background task, which runs after the handler.
        Invalid(
            "from fastapi import APIRouter, BackgroundTasks, Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.orm import Session\n\nrouter = APIRouter()\n\ndef get_db():\n"
            "    with SessionLocal() as session:\n        yield session\n\n@router.post('/items')\n"
            "def create_item(tasks: BackgroundTasks, db: Session = Depends(get_db)):\n"
            "    tasks.add_task(audit, db)\n    try:\n        db.commit()\n    except SQLAlchemyError:\n"
            "        return {'ok': False}\n",
            at=(16, 4),
        ),
        # A parameter annotated `Annotated[Session, ...]` (FastAPI's `Depends`), here through a
        # module-level alias, is a session; this function is a dependency, not a route.
        Invalid(
            "from typing import Annotated\nfrom fastapi import Depends\n"
            "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n"
            "SessionDep = Annotated[Session, Depends(get_session)]\n\n"
            "def current_user(token: str, session: SessionDep):\n    try:\n"
            "        session.execute(touch(token))\n    except SQLAlchemyError:\n        pass\n"
            "    return session.get(User, token)\n",
            at=(11, 4),
        ),
        # An aiogram middleware that hands every update the same module-level session.
        Invalid(
            "from aiogram import BaseMiddleware, Router\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\nSESSION = AsyncSession(engine)\n\n"
            "class DbMiddleware(BaseMiddleware):\n    async def __call__(self, handler, event, data):\n"
            "        data['session'] = SESSION\n        return await handler(event, data)\n\n"
            "router = Router()\n\n@router.message()\nasync def save(message, session: AsyncSession):\n"
            "    try:\n        await session.commit()\n    except SQLAlchemyError:\n"
            "        await message.answer('not saved')\n",
            at=(18, 4),
        ),
        # A route that goes on with what it made of its session (`graph` holds it).
        Invalid(
            "from fastapi import APIRouter, Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
            "from sqlalchemy.orm import Session\n\nrouter = APIRouter()\n\ndef get_db():\n"
            "    with SessionLocal() as session:\n        yield session\n\n@router.post('/erase')\n"
            "def erase(db: Session = Depends(get_db)):\n    graph = make_graph(db)\n    try:\n"
            "        db.add(Log())\n        db.commit()\n    except SQLAlchemyError:\n"
            "        log.exception('failed')\n    graph.run()\n",
            at=(17, 4),
        ),
        # ... but a registry's session made in the `try` is the thread's: its next user gets it failed.
        Invalid(
            "from sqlalchemy.orm import scoped_session, sessionmaker\n\nRegistry = scoped_session(sessionmaker())\n\n"
            "def save(x):\n    try:\n        s = Registry()\n        s.add(x)\n        s.commit()\n"
            "    except Exception:\n        pass\n",
            at=(10, 4),
        ),
        # A session made in the `try` on a connection it is handed (Alembic's, pgAdmin's
        # `db_version.py`): the failed transaction stays on that connection.
        Invalid(
            "from sqlalchemy.orm.session import Session\n\ndef get_version_for_migration(op):\n    try:\n"
            "        session = Session(bind=op.get_bind())\n"
            "        version = session.query(Version).filter_by(name='ConfigDB').first()\n"
            "    except Exception:\n        return -1\n    return version.value\n",
            at=(7, 4),
        ),
        # A session made in the `try` and stored away before the error is not dropped.
        Invalid(
            "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\nOPEN = []\n\n"
            "def save(x):\n    try:\n        s = SessionLocal()\n        OPEN.append(s)\n        s.add(x)\n"
            "        s.commit()\n    except Exception:\n        pass\n",
            at=(12, 4),
        ),
        # The handler queries through the failed session before the context ends; or the try is
        # in a loop of the block, whose next round uses it.
        Invalid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef periodic(app):\n"
            "    with app.app_context():\n        try:\n            db.session.commit()\n"
            "        except Exception:\n            db.session.execute(MARK_FAILED)\n",
            at=(8, 8),
        ),
        Invalid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef periodic(app, jobs):\n"
            "    with app.app_context():\n        for job in jobs:\n            try:\n"
            "                db.session.add(job)\n                db.session.commit()\n"
            "            except Exception:\n                log.exception('job')\n",
            at=(10, 12),
        ),
        # Work before the application's context: it stays failed after the block is left.
        Invalid(
            "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef load(app, path):\n    try:\n"
            "        db.session.commit()\n        with app.test_request_context():\n"
            "            db.session.add(Server(path))\n"
            "    except Exception as e:\n        print(str(e))\n    audit(path)\n",
            at=(9, 4),
        ),
        # ... but a `return` before the `raise` leaves the function with the session failed, and
        # so does a statement that may reach the database before it.
        Invalid(
            "from sqlalchemy.orm import Session\n\nasync def process(session: Session, note, denied):\n"
            "    if denied:\n        try:\n            await session.commit()\n        except Exception:\n"
            "            logger.warning('not saved')\n        return {'status': 'denied'}\n    raise Denied()\n"
            "\nasync def main(session, *args):\n    await process(session, *args)\n    await session.commit()\n",
            at=(7, 8),
        ),
        Invalid(
            "from sqlalchemy.orm import Session\n\nasync def process(session: Session, note):\n    try:\n"
            "        await index(note)\n    except Exception as e:\n        try:\n"
            "            await session.commit()\n        except Exception:\n            logger.error('not marked')\n"
            "        logger.error(f'failed: {note.title}')\n        raise\n"
            "\nasync def main(session, *args):\n    await process(session, *args)\n    await session.commit()\n",
            at=(9, 8),
        ),
        # ... and an `if` on the way that may return leaves before the `raise`.
        Invalid(
            "from sqlalchemy.orm import Session\n\nasync def process(session: Session, denied):\n    try:\n"
            "        await session.commit()\n    except Exception:\n        logger.warning('not saved')\n"
            "    if denied:\n        return {'status': 'denied'}\n    raise Boom()\n"
            "\nasync def main(session, *args):\n    await process(session, *args)\n    await session.commit()\n",
            at=(6, 4),
        ),
        # A Flask view like the valid one, but its `email` is no value of its URL: whatever hands it over may hand an
        # object, whose formatting may load through the failed session.
        Invalid(
            _FLASK_VIEW_HEAD
            + "@app.route('/users', methods=['POST'])\ndef add_user(email):\n    try:\n"
            "        db_session.add(User(email=email))\n        db_session.commit()\n    except Exception as e:\n"
            "        app.logger.error(f'not added: {email}')\n        return make_error(400, str(e))\n"
            "    return 'ok'\n",
            at=(20, 4),
        ),
        # ... but not before the `try`'s last statement: the block goes on in the failed transaction.
        Invalid(
            "async def register(session, blocks):\n    for block in blocks:\n        async with session.begin():\n"
            "            try:\n                await session.execute(insert_schema(block))\n"
            "            except Exception:\n                logger.exception('not registered')\n"
            "            await session.execute(mark_registered(block))\n",
            at=(6, 12),
        ),
        # ... but a main block that goes on with the session after the handler is reported.
        Invalid(
            "from app.db import SessionLocal\n\nif __name__ == '__main__':\n    session = SessionLocal()\n"
            "    try:\n        session.execute(update_usernames)\n        session.commit()\n"
            "    except Exception as e:\n        print(f'failed: {e}')\n    print(session.query(User).count())\n",
            at=(8, 4),
        ),
        # The work two helpers away: `outer` hands the session to `inner`, which queries it.
        Invalid(
            "def inner(session, tx):\n    return session.query(Tx).filter_by(hash=tx).one_or_none()\n\n"
            "def outer(session, tx):\n    return inner(session, tx)\n\n"
            "def lookup(session, txs):\n    for tx in txs:\n        try:\n            outer(session, tx)\n"
            "        except Exception:\n            log('no such transaction')\n    session.commit()\n",
            at=(11, 8),
        ),
        # The `with` block that owns the session goes on with it after the handler: the `if` on the
        # handler's path (the row stays None) does not leave.
        Invalid(
            "from sqlalchemy.exc import SQLAlchemyError\n\ndef show(agent_id):\n"
            "    with session_context() as session:\n        agent = None\n        try:\n"
            "            agent = session.query(Agent).filter_by(agent_id=agent_id).first()\n"
            "        except SQLAlchemyError:\n            log.error('no agent')\n        if agent is None:\n"
            "            agent = Agent(agent_id=agent_id)\n        session.add(agent)\n        session.commit()\n",
            at=(8, 8),
        ),
    ]

    @classmethod
    def may_apply(cls, text: TextFacts, settings: Settings) -> bool:
        # Without SQLAlchemy imported, a receiver is session-like by its name alone.
        if super().may_apply(text, settings):
            return True
        return any(settings.is_session_name(name) for name in text.names_before(_WORK_CALL)) or (
            _imports_global_worker(text)
        )

    def check(self, context: Context) -> Iterator[Finding]:
        walker = _WorkWalker(context)
        for record in context.tries:
            if not any(context.is_database_error(h.type, record.scope, dbapi=False) for h in record.node.handlers):
                continue
            if not context.text_may_hold(record.node, _WORK_OR_HANDED) and not walker.may_call_global_worker(record):
                continue  # no `.commit(`, `.execute(`, ... nor a call handed a name, nor one of a function
                # that works on a session of its module: no session work
            work = walker.body_work(record.node, record.scope)
            if not work:
                continue
            summaries = walker.summaries
            if summaries.tidies(record.node.finalbody, record.scope, work, leaving=True):
                continue
            for handler in record.node.handlers:
                if not context.is_database_error(handler.type, record.scope, dbapi=False):
                    continue
                if _integrity_only(context, handler.type, record.scope):
                    if summaries.of_block(record.node.body, record.scope).savepoint:
                        continue  # the savepoint's exit rolled back what raised IntegrityError
                    if all(w.model_only and not w.flushes for w in work.values()) and walker.pending(
                        record.scope
                    ).isdisjoint(work):
                        continue  # a model's query writes nothing (nor does its autoflush, with nothing
                        # added here): no IntegrityError comes from it
                # A commit in the handler after a failed flush raises PendingRollbackError: no tidying.
                flushed = any(w.flushes for w in work.values())
                if summaries.tidies(handler.body, record.scope, work, leaving=True, commits=not flushed):
                    continue
                if raises_after(context, record) and not (
                    handler.body and isinstance(handler.body[-1], (ast.Return, ast.Continue, ast.Break))
                ):
                    continue  # the handler falls through to a `raise`: the error leaves as if re-raised
                left = [
                    w for w in work.values()
                    if not _closed_by_with(context, summaries, record, handler, w)
                    and not (not w.elsewhere and dropped_in_try(context, record, w.receiver))
                ]
                if not left:
                    continue
                if (
                    all(w.helped for w in left) and handler.body and isinstance(handler.body[-1], ast.Return)
                    and summaries.of_block(handler.body, record.scope).called.isdisjoint(w.text for w in left)
                ):
                    continue  # it answers after a helper's work: most often a reply the project builds from the
                    # error, which ends the request (and the session) before anything uses it again
                if not record.node.finalbody and (
                    (context.is_command(record.scope) and (record.last or walker.idle_after(record)))
                    or walker.ends_script(record)
                ):
                    used = summaries.of_block(handler.body, record.scope).called
                    if used.isdisjoint(w.text for w in left):
                        continue  # the command ends, and the process with it: nothing uses the session again
                # Flask-SQLAlchemy's session worked on by another module's function (`flask`) is the
                # request's, though this module has no name for it: judged as the session of its views.
                flask = any(w.elsewhere and w.flask for w in left)
                receivers = [] if any(w.elsewhere and not w.flask for w in left) else [
                    w.receiver for w in left if not w.elsewhere
                ]
                if left_app_context(
                    context, record, receivers, walker.working_part(record.node.body, record.scope), flask=flask
                ):
                    continue  # the application context the work ran in has ended: its session is gone
                if app_context_ends(context, record, handler, receivers, flask=flask):
                    continue  # the application context it runs in ends after it: its session is removed
                if ends_with_request(context, record, handler, receivers, flask=flask):
                    continue  # a helper of Flask-SQLAlchemy's session whose every caller ends its request
                receivers = [] if flask else receivers
                if owner_ends_unit(context, record, handler, receivers):
                    continue  # a FastAPI route's or aiogram handler's session, which its owner closes after it
                if (
                    not any(w.elsewhere for w in left)
                    and summaries.of_block(handler.body, record.scope).called.isdisjoint(w.text for w in left)
                    and all(walker.reuse.ended_below(record, handler, w.text) for w in left)
                ):
                    continue  # the next thing to name the session below the `try` closes it (or rolls it back)
                if not any(w.flushes for w in left) and walker.pending(record.scope).isdisjoint(w.text for w in left):
                    if sqlite_only(context):
                        continue  # on SQLite a failed statement leaves the transaction usable: no flush failed
                    if all(w.model_only for w in left) and not declares_server_driver(context):
                        continue  # a model's read, on a database not known to be a server's
                awaits = record.scope.is_async
                code = tuple(f"{'await ' if awaits and w.awaited else ''}{w.text}.rollback()" for w in left)
                safe = all(rollback_is_safe(summaries, record, w.text) for w in left)
                fix = None
                named = [not w.elsewhere or _names_here(context, w, record.scope) for w in left]
                if all(named):
                    # A session named here by the name of the one another module's function used
                    # is taken to be that one: `--unsafe-fixes` only.
                    safe = safe and not any(w.elsewhere for w in left)
                    fix = Fix(InsertFirstStatement(Span.of(handler), code), safe=safe)
                receiver = left[0].text
                if not named[0]:  # the session of the called function's module: `helpers.SESSION`
                    receiver = f"{left[0].elsewhere.rpartition('.')[0].rpartition('.')[2]}.{receiver}"
                yield self.finding(handler, fix, receiver=receiver)


class _WorkWalker:
    """Session work in `try` bodies, each statement walked once per module.

    A `try` nested in another's body is summed up once (the work whose errors
    can leave it) and that summary is reused by every enclosing `try`, so nested
    `try` statements cost linear time.  An inner `try` whose handler catches any
    database error and does not re-raise keeps its body's errors to itself: the
    outer handler never sees them (and the inner one is the one reported).  One
    whose handler catches any database error and rolls back before re-raising
    (or whose `finally` rolls back or closes) hands them on with the session
    already clean: the outer handler may swallow them.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.verdicts: dict[tuple[str, int], bool] = {}
        # (callee, parameter, how many functions deep) -> `_parameter_work`
        self.callees: dict[tuple[str, str, int], bool | None] = {}
        # Functions that work on a module-level session of their module (`_functions_global_work`):
        # those of this module, and the local names that may call one (None until asked).
        self.own_global_work: GlobalWork | None = None
        self.global_names: dict[tuple[str, int], bool] = {}  # (name, id(scope)) -> `_may_work_globally`
        self.escaping: dict[int, dict[str, Work]] = {}
        self.flask_db: str | None = None  # `_flask_db_name`, once asked
        self.flask_alias: str | None = None  # `_flask_alias_name`, once asked
        self.summaries = _Summaries(context)
        self.idle: dict[int, dict[int, bool]] = {}  # id(a function) -> id(each statement of its body) -> `idle_after`
        self.main_guard: tuple[int, ast.If | None] | None = None  # `ends_script`: where the main block is
        self.reuse = ReuseReader(context)

    def idle_after(self, record: TryRecord) -> bool:
        """Whether the `try` is a statement of its function's own body and nothing after it there
        does session work, nor holds a `try` (CTFd's `import_ctf` command, which then only deletes
        a file): each function's statements are walked once, however many `try` statements ask."""
        function = record.scope.node
        body = getattr(function, "body", None)
        if not isinstance(body, list):
            return False
        found = self.idle.get(id(function))
        if found is None:
            found = self.idle[id(function)] = self._idle_after_each(body, len(body), record.scope)
        return found.get(id(record.node), False)

    def ends_script(self, record: TryRecord) -> bool:
        """Whether the `try` is a statement of a script's `if __name__ == "__main__":` block and
        nothing after it, in that block or below it in the module, does session work or holds a
        `try`: the process ends, and with it the session (each such block walked once)."""
        if record.scope.kind != "module":
            return False
        module = self.context.tree.body
        if self.main_guard is None:  # the module's first `if __name__ == "__main__":`, found once
            self.main_guard = next(
                ((i, top) for i, top in enumerate(module) if isinstance(top, ast.If) and is_main_guard(top.test)),
                (-1, None),
            )
        index, guard = self.main_guard
        if guard is None:
            return False
        found = self.idle.get(id(guard))
        if found is None:
            found = self.idle[id(guard)] = self._idle_after_each(
                [*guard.body, *module[index + 1:]], len(guard.body), record.scope
            )
        return found.get(id(record.node), False)

    def _idle_after_each(self, statements: list[ast.stmt], count: int, scope: Scope) -> dict[int, bool]:
        """For each of the first `count` statements, whether none of the statements after it does
        session work or holds a `try` (by the statement's id): each statement walked once."""
        idle = [True] * (len(statements) + 1)
        for index in range(len(statements) - 1, -1, -1):
            # (a `try` keeps its body's errors to its handlers, not its work: one is taken for work)
            idle[index] = idle[index + 1] and not any(
                isinstance(node, TRY_NODES) for node in ast.walk(statements[index])
            ) and not any(item.io for item in self._walk([statements[index]], scope).values())
        return {id(statement): idle[i + 1] for i, statement in enumerate(statements[:count])}

    def working_part(self, body: list[ast.stmt], scope: Scope) -> list[ast.stmt]:
        """`body` from its first `with` statement on, when what comes before it does no session
        work (`app = create_app()` before `with app.app_context():`); else the whole of it."""
        for index, statement in enumerate(body):
            if isinstance(statement, (ast.With, ast.AsyncWith)):
                if index and any(item.io for item in self._walk(body[:index], scope).values()):
                    return body
                return body[index:]
        return body

    def body_work(self, node: ast.Try, scope: Scope) -> dict[str, Work]:
        """Receivers of session work in the `try` body that may reach the database."""
        return {text: item for text, item in self._walk(node.body, scope).items() if item.io}

    def _escaping(self, node: ast.Try, scope: Scope) -> dict[str, Work]:
        found = self.escaping.get(id(node))
        if found is None:
            found = {} if self._absorbs(node, scope) else self._walk(node.body, scope)
            if found and self._tidies_before_leaving(node, scope, found):
                found = {}
            for part in (*(h.body for h in node.handlers), node.orelse, node.finalbody):
                _merge(found, self._walk(part, scope), frozenset())
            self.escaping[id(node)] = found
        return found

    def pending(self, scope: Scope) -> frozenset[str]:
        """The receivers of `add()`, `add_all()`, `delete()` or `merge()` anywhere in `scope`'s own
        code: an autoflush in a `try` may flush what they left pending before it (a commit or a
        flush leaves nothing pending)."""
        return self.summaries.of_block(getattr(scope.node, "body", []), scope).pending

    def _absorbs(self, node: ast.Try, scope: Scope) -> bool:
        """Whether a handler of `node` catches every database error of its body and does not re-raise."""
        for handler in node.handlers:
            if _broad(self.context, handler.type, scope) and not self.summaries.surely_leaves(handler.body, scope):
                return True
        return False

    def _tidies_before_leaving(self, node: ast.Try, scope: Scope, work: dict[str, Work]) -> bool:
        """Whether every database error of `node`'s body leaves it after the session was tidied:
        `finally` rolls back, closes or hands the session on, or a handler that catches any of
        them does, and no handler before it lets one go on untidied (`except IntegrityError:
        raise Duplicate()`)."""
        summaries = self.summaries
        if summaries.tidies(node.finalbody, scope, work):
            return True
        for handler in node.handlers:
            if not self.context.is_database_error(handler.type, scope, dbapi=False):
                continue
            tidied = summaries.tidies(handler.body, scope, work)
            if not tidied and summaries.of_block(handler.body, scope).leaves:
                return False
            if _broad(self.context, handler.type, scope):
                return tidied
        return False

    def _walk(self, body: list[ast.stmt], scope: Scope) -> dict[str, Work]:
        """Work on session receivers in `body`, outside blocks that roll back by themselves.

        Work on a name bound by a `with ... as name:` inside `body` is left out: that
        block's exit ends the session (Airflow's `create_session()`, a sessionmaker's
        `begin()`) before any handler runs.  So is a `get` that is not `Session.get()`.
        """
        context = self.context
        work: dict[str, Work] = {}
        awaited: set[int] = set()
        none: frozenset[str] = frozenset()
        stack: list[tuple[ast.AST, frozenset[str]]] = [(stmt, none) for stmt in reversed(body)]
        while stack:
            node, scoped = stack.pop()
            context.steps += 1
            if isinstance(node, NESTED_CODE):
                continue
            if isinstance(node, TRY_NODES):
                _merge(work, self._escaping(node, scope), scoped)
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
                if isinstance(func, ast.Attribute) and func.attr in QUERY_RUNS and self._model_query(node, scope, work):
                    pass  # `User.query.filter_by(...).first()`: work on `db.session`
                elif isinstance(func, ast.Attribute) and _is_work_method(func.attr) and self._on_receiver(
                    node, func, scope, scoped, work, id(node) in awaited
                ):
                    pass  # `session.commit()`
                else:  # (`jobs.refresh(app)`, `persons.get(key)`: a function named like a session's method)
                    if node.args or node.keywords:
                        self._handed_work(node, scope, scoped, work, id(node) in awaited)
                    self._global_work(node, scope, work, id(node) in awaited)
            stack.extend((child, scoped) for child in ast.iter_child_nodes(node))
        return work

    def _on_receiver(
        self, call: ast.Call, func: ast.Attribute, scope: Scope, scoped: frozenset[str], work: dict[str, Work],
        awaited: bool,
    ) -> bool:
        """Whether `call` (`x.commit()`, ...) is a session's work method called on a session, noted;
        False when `x` is no session (a module's function named like one: `jobs.refresh(app)`)."""
        text = dotted(func.value)
        if text is None or text.partition(".")[0] in scoped:
            return True  # (a session a `with` inside the body ends: not this body's work)
        key = (text, id(scope))
        if key not in self.verdicts:
            self.verdicts[key] = self.context.is_receiver(func.value, scope)
        if not self.verdicts[key]:
            return False
        done = _work_call(call)
        if done is not None:
            _note_work(work, text, func.value, awaited, done[0], done[1])
        return True

    def _model_query(self, call: ast.Call, scope: Scope, work: dict[str, Work]) -> bool:
        """Whether `call` runs a Flask-SQLAlchemy model's query (`User.query.filter_by(...).first()`,
        `Post.query.get(id)`): work on `db.session`, noted under the name this module has for
        Flask-SQLAlchemy's `db` (none: not noted, as nothing here could roll it back by name)."""
        chain = _query_attribute(call.func)
        if chain is None or dotted(chain.value) is None:
            return False
        if self.context.classify(chain.value, scope) != MODEL_CLASS:
            return False
        if self.flask_db is None:
            self.flask_db = _flask_db_name(self.context)
        if not self.flask_db:
            return False
        _note_work(work, f"{self.flask_db}.session", chain, False, True, False, model=True)
        return True

    def _handed_work(
        self, call: ast.Call, scope: Scope, scoped: frozenset[str], work: dict[str, Work], awaited: bool
    ) -> None:
        """Work a function of the project does on a session the call hands it: `helper(session)`,
        `seat_service.assign(session, seat)`, where that function calls a work method on the
        parameter itself, outside its own `try` statements (whose errors are its handlers' to judge)."""
        context = self.context
        arguments: list[tuple[int, str | None, ast.expr]] = [(index, None, a) for index, a in enumerate(call.args)]
        arguments += [(-1, k.arg, k.value) for k in call.keywords if k.arg is not None]
        callee: Callee | None = None
        resolved = False
        for index, keyword, argument in arguments:
            text = dotted(argument)
            if text is None or text.partition(".")[0] in scoped:
                continue
            key = (text, id(scope))
            if key not in self.verdicts:
                self.verdicts[key] = context.is_receiver(argument, scope)
            if not self.verdicts[key]:
                continue
            if not resolved:
                callee, resolved = context.callee(call.func, scope), True
            if callee is None:
                return
            found = self._callee_work(callee, index, keyword)
            if found is not None:
                _note_work(work, text, argument, awaited, True, found)

    def may_call_global_worker(self, record: TryRecord) -> bool:
        """Whether the `try`'s text calls a name (`approve(`, `helpers.approve(`) that may run a
        function working on a session of its own module (`_global_work`): a function of this
        module, or one imported from (or through) a project module.  Each name is asked once."""
        calls = self.context.text_matches(record.node, _CALLED_NAME)
        if calls is None:
            return True  # no text: the walk will tell
        scope = record.scope
        for match in calls:
            name = match.group(1)
            key = (name, id(scope))
            found = self.global_names.get(key)
            if found is None:
                found = self.global_names[key] = self._may_work_globally(name, scope)
            if found:
                return True
        return False

    def _may_work_globally(self, name: str, scope: Scope) -> bool:
        binding = single_binding(scope.lookup(name))
        if binding is None:
            return False
        if binding.kind == "def":
            return bool(self._own_global_work()) and self.context.module.names.get(name) == [binding]
        if binding.kind == "class":  # `User.by_uuid(`: a classmethod of a class of this module
            prefix = f"{name}."
            return self.context.module.names.get(name) == [binding] and any(
                key.startswith(prefix) for key in self._own_global_work()
            )
        if binding.kind == "import" and isinstance(binding.value, str):
            # a function (`from helpers import approve`) or a module (`import helpers`)
            return bool(self._imported_global_work(binding.value) or self._imported_global_work(binding.value + ".*"))
        return False

    def _own_global_work(self) -> GlobalWork:
        if self.own_global_work is None:
            context = self.context
            if context.source is None:
                shared, flask = _shared_globals_of_tree(context), _flask_globals_of_tree(context)
            else:
                def classify(name: str) -> Known | None:
                    return context.classify_name(name, context.module)

                shared = _shared_globals(context.source, classify, context.project)
                flask = _flask_globals(context.source, classify)
            queries = context.source is None or _MODEL_QUERY.search(context.source) is not None
            self.own_global_work = (
                _functions_global_work(context, shared, context.source, flask) if shared or flask or queries else {}
            )
        return self.own_global_work

    def _imported_global_work(self, qualified: str) -> tuple[tuple[str, bool], ...]:
        """The module-level sessions that the project function `qualified` (`pkg.mod.f`; `pkg.mod.*`
        for any function of that module) works on, with whether that work may flush."""
        context = self.context
        project = context.project
        if project is None:
            return ()
        found = _defined(project, project.function_module(qualified, context))
        within = ""  # the class, for `pkg.mod.Class.method` (a classmethod run through its class)
        if found is None or (found[2] != "*" and "." in found[2]):
            head, _, method = qualified.rpartition(".")
            found = _defined(project, project.function_module(head, context) if head else None)
            if found is None or "." in found[2]:
                return ()
            within = f"{found[2]}."
            found = (found[0], found[1], within + method)
        path, module, name = found
        work = module_global_work(project, path, module)
        if name.endswith("*"):
            prefix = name[:-1]
            return tuple(item for key, items in work.items() if key.startswith(prefix) for item in items)
        return work.get(name, ())

    def _global_work(self, call: ast.Call, scope: Scope, work: dict[str, Work], awaited: bool) -> None:
        """Work that a called function does on a module-level session of its own module, which
        stays broken for everything that uses that session after the swallowed error:
        `approve(uid)` with `def approve(chat_id): SESSION.add(...); SESSION.commit()` and
        `SESSION = scoped_session(...)` in that module (or imported there)."""
        func = call.func
        context = self.context
        found: tuple[tuple[str, bool], ...] = ()
        elsewhere = ""
        if isinstance(func, ast.Name):
            binding = single_binding(scope.lookup(func.id))
            if binding is None:
                return
            if binding.kind == "def" and context.module.names.get(func.id) == [binding]:
                found = self._own_global_work().get(func.id, ())
            elif binding.kind == "import" and isinstance(binding.value, str):
                found, elsewhere = self._imported_global_work(binding.value), binding.value
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            binding = single_binding(scope.lookup(func.value.id))
            if binding is not None and binding.kind == "import" and isinstance(binding.value, str):
                qualified = f"{binding.value}.{func.attr}"
                found, elsewhere = self._imported_global_work(qualified), qualified
            elif (binding is not None and binding.kind == "class"
                  and context.module.names.get(func.value.id) == [binding]):
                found = self._own_global_work().get(f"{func.value.id}.{func.attr}", ())
        for name, flushes in found:
            model = name.endswith(MODEL_READ)
            name = name[: -len(MODEL_READ)] if model else name
            if name.endswith(".session"):
                # Flask-SQLAlchemy's session, which this module knows by its own name for `db`
                # (one `SQLAlchemy()` per application): work on it here.
                if self.flask_db is None:
                    self.flask_db = _flask_db_name(context)
                owner = name.partition(".")[0]  # (the helper's name for it, imported here but not used so)
                local = self.flask_db or (owner if _is_flask_db(context, owner) else "")
                if not local:
                    if self.flask_alias is None:
                        self.flask_alias = _flask_alias_name(context)
                    if self.flask_alias:  # `db_session = db.session`, here or imported: the same session
                        alias = ast.copy_location(ast.Name(id=self.flask_alias, ctx=ast.Load()), call)
                        _note_work(work, self.flask_alias, alias, awaited, True, flushes, model=model, helped=True)
                        continue
                if local:
                    receiver = ast.Attribute(value=ast.Name(id=local, ctx=ast.Load()), attr="session", ctx=ast.Load())
                    _note_work(work, f"{local}.session", ast.copy_location(receiver, call), awaited, True, flushes,
                               model=model, helped=True)
                else:  # no name for it here: the finding names it by the helper's module, with no fix
                    _note_work(work, name, ast.Name(id=name, ctx=ast.Load()), awaited, True, flushes, elsewhere,
                               model=model, helped=True, flask=True)
                continue
            _note_work(work, name, ast.Name(id=name, ctx=ast.Load()), awaited, True, flushes, elsewhere)

    def _callee_work(self, callee: Callee, index: int, keyword: str | None, depth: int = 0) -> bool | None:
        """`_parameter_work` of the callee's parameter that receives argument `index` (or
        `keyword`), once per callee, parameter and depth; None when there is no such parameter.
        What the callee hands that parameter to in turn (`inner(session)`) is read the same way,
        `_MAX_HANDED` functions deep in all."""
        node = callee.node
        parameter = parameter_of(node, index if keyword is None else keyword, callee.bound)
        if parameter is None:
            return None
        memo = (callee.key, parameter, depth)
        if memo not in self.callees:
            self.callees[memo] = None  # a helper that hands the session back to itself adds nothing
            scope = callee.scope
            deeper = depth + 1 < _MAX_HANDED and scope is not None

            def follow(call: ast.Call, position: int, name: str | None) -> bool | None:
                inner = callee.owner.callee(call.func, scope) if scope is not None else None
                return None if inner is None else self._callee_work(inner, position, name, depth + 1)

            self.callees[memo] = _parameter_work(self.context, node, parameter, follow if deeper else None)
        return self.callees[memo]


def module_global_work(project: Project, path: str, module: str) -> GlobalWork:
    """What the functions of the project module at `path` do on a session of that module that
    everything shares (`_functions_global_work`): worked out once per process, and saved with
    the answers."""
    def compute() -> GlobalWork:
        # The text first, then what its candidate names are (read in part), then the whole
        # module only when one of them is a shared session.
        if not project.related(path, module):
            return {}  # no name of a module unrelated to SQLAlchemy is a session
        text = project.text(path)

        def classify(name: str) -> Known | None:
            return project.lookup_absolute(f"{module}.{name}")

        shared = _shared_globals(text, classify, project)
        flask = _flask_globals(text, classify)
        queries = text is not None and _MODEL_QUERY.search(text) is not None
        knowledge = project.knowledge(path, module) if shared or flask or queries else None
        return _functions_global_work(knowledge, shared, text, flask) if knowledge is not None else {}

    return project.module_fact("global-work:", path, compute, saved=_decode_global_work)


def _defined(project: Project, found: tuple[str, str, str] | None) -> tuple[str, str, str] | None:
    """Where a name of a project module (`found`: path, module, name) is defined, when that module
    imports it from another (`from .language import Language` in a package's `__init__.py`);
    `found` itself otherwise (and for `*`, any name of that module)."""
    if found is None or found[2] == "*":
        return found
    return project.origin(f"{found[1]}.{found[2]}") or found


def _imports_global_worker(text: TextFacts) -> bool:
    """Whether a module that imports no SQLAlchemy name calls, in a `try` body, a function it
    imports from a project module that works on a session its own module shares (`from
    app.lib.data import import_opml`, which commits `db.session`), or such a function of a
    project module it imports (`import app.sql.feds as sql` ... `sql.un_fban_user(...)`, on the
    bot's one `SESSION`), or a classmethod of such a class: session work."""
    project = text.project
    if project is None or "except" not in text.source:
        return False
    imported, modules = project.imported(text.source, text.filename)
    if not imported and not modules:
        return False
    for called in _called_in_tries(text.source, {*imported, *modules}):
        local, _, attribute = called.partition(".")
        if local in modules:
            if attribute and attribute in module_global_work(project, *modules[local]):
                return True
            continue
        path, module, name = _defined(project, imported[local]) or imported[local]
        if (f"{name}.{attribute}" if attribute else name) in module_global_work(project, path, module):
            return True
    return False


_TRY = re.compile(r"try[ \t]*:")
_INDENT = re.compile(r"[ \t]*")
# `name(` or `name.attribute(`, from an identifier's start (no backtracking into it)
_CALLED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)?)[ \t]*\(")


def _called_in_tries(source: str, names: set[str]) -> set[str]:
    """Which of `names` the text calls in `try` bodies (`name(`; `name.attribute(` as
    "name.attribute"), told apart by their indentation alone: a line (not a comment) indented no
    deeper than the `try` ends its body.
    A `try` inside a body already read is not read again, and each line's start is found once,
    so each character is read a bounded number of times."""
    called: set[str] = set()
    if not names:
        return called
    source = one_line_end(source)  # lines end with "\n" alone (CR files too)
    size = len(source)
    read_to = 0
    line_start = line_end = code_start = -1
    for opening in _TRY.finditer(source):
        found = opening.start()
        if found < read_to:
            continue  # nested in a body already read
        if found > line_end:  # the first `try:` met on its line
            line_start = source.rfind("\n", 0, found) + 1
            line_end = source.find("\n", found)
            line_end = size if line_end < 0 else line_end
            code_start = _INDENT.match(source, line_start).end()  # type: ignore[union-attr]
        if found != code_start:
            continue  # not at the start of its line
        # Its body ends at the next line (not blank, not a comment) indented no deeper (one
        # pattern per indentation, kept in `re`'s own bounded cache).
        ends = re.compile(r"\n[ \t]{0,%d}[^ \t\n#]" % (found - line_start))
        after = ends.search(source, opening.end())
        read_to = size if after is None else after.start()
        # (with `try: f()` on its own line)
        for text in _CALLED.findall(source, opening.end(), read_to):
            if "." in text:
                head, _, attribute = text.partition(".")
                if head.rstrip() in names:
                    called.add(f"{head.rstrip()}.{attribute.strip()}")
            elif text in names:
                called.add(text)
    return called


def _flask_alias_name(context: Context) -> str:
    """The module-level name this module works on as Flask-SQLAlchemy's session itself (`db_session`
    of `db_session.commit()`, bound to `db.session` here or in the project module it is imported
    from: `flask_session`); "" when it has none."""
    if context.source is not None:
        candidates = dict.fromkeys(match.group(1) for match in _WORK_RECEIVER.finditer(context.source))
    else:
        candidates = dict.fromkeys(
            node.func.value.id for node in ast.walk(context.tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and _is_work_method(node.func.attr) and isinstance(node.func.value, ast.Name)
        )
    for name in candidates:
        if name in context.module.names and flask_session(
            context, ast.Name(id=name, ctx=ast.Load()), context.module
        ):
            return name
    return ""


# `name.commit(`, `name.add(`, ...: the receiver of a session work method, by its name.
_WORK_RECEIVER = re.compile(r"\b([A-Za-z_]\w*)[ \t]*" + _WORK_CALL.pattern)


def _flask_db_name(context: Context) -> str:
    """The module-level name this module has for Flask-SQLAlchemy's `SQLAlchemy()` object, among
    the names it uses as `<name>.session` or `<name>.Model` (`db`); "" when it has none."""
    if context.source is not None:
        candidates = dict.fromkeys(match.group(1) for match in _FLASK_DB_USE.finditer(context.source))
    else:
        candidates = dict.fromkeys(
            node.value.id for node in ast.walk(context.tree)
            if isinstance(node, ast.Attribute) and node.attr in ("session", "Model")
            and isinstance(node.value, ast.Name)
        )
    for name in candidates:
        if _is_flask_db(context, name):
            return name
    return ""


def _is_flask_db(context: Context, name: str) -> bool:
    """Whether this module binds `name` at its top to Flask-SQLAlchemy's `SQLAlchemy()` object."""
    return name in context.module.names and context.classify_name(name, context.module) is Kind.FLASK_DB


# `db.session`, `db.Model`: where a module names Flask-SQLAlchemy's object.
_FLASK_DB_USE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)[ \t]*\.[ \t]*(?:session|Model)\b")


def _note_work(
    work: dict[str, Work], text: str, receiver: ast.expr, awaited: bool, io: bool, flushes: bool, elsewhere: str = "",
    model: bool = False, helped: bool = False, flask: bool = False,
) -> None:
    """Add work on the receiver `text` to `work` (the first receiver node and `elsewhere` kept)."""
    item = work.get(text)
    if item is None:
        item = work[text] = Work(receiver, text, elsewhere)
        item.flask = flask
    elif item.elsewhere and not elsewhere:  # the name is one of this scope's too: the one to roll back
        item.receiver, item.elsewhere = receiver, ""
    item.awaited = item.awaited or awaited
    item.model_only = item.model_only and model
    item.helped = item.helped and helped
    item.io = item.io or io
    item.flushes = item.flushes or flushes


# A name called in a `try` (`approve(`, `helpers.approve(`): the name, or the module it is called through.
_CALLED_NAME = re.compile(r"\b([A-Za-z_]\w*)\s*(?:\.\s*[A-Za-z_]\w*\s*)?\(")

# What each module-level function of a module does on a module-level session of that module:
# function name -> ((session name, whether the work may flush), ...).
GlobalWork = dict[str, tuple[tuple[str, bool], ...]]


def _decode_global_work(value: object) -> GlobalWork:
    """A module's `GlobalWork` from what JSON reads of it (saved with the project's answers);
    ValueError for anything else."""
    if not isinstance(value, dict):
        raise ValueError(value)
    found: GlobalWork = {}
    for function, items in value.items():
        if not isinstance(items, list):
            raise ValueError(value)
        work = []
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                    and isinstance(item[1], bool)):
                raise ValueError(value)
            work.append((item[0], item[1]))
        found[str(function)] = tuple(work)
    return found


# An indented call of a work method on a bare name, as a statement or after `return` or `await`
# (`    SESSION.commit(`, `    return dbsession.query(`): a function of the module may work on a
# module-level session.  (Assignments are left out: each optional prefix slows the scan of
# every line, and this one is read for every module that may hold such a session.)
_GLOBAL_WORK_CALL = re.compile(
    r"^[ \t]+(?:return[ \t]+|await[ \t]+)?([A-Za-z_]\w*)\s*\.\s*(?:" + "|".join(sorted(WORK_METHODS)) + r")\s*\(",
    re.MULTILINE,
)
# A name bound at a module's top by an assignment (`SESSION = ...`, `SESSION: Session = ...`), and
# an import statement's text (at any indentation).
# What follows `.session` in a call of a work method on it (`db.session.commit(`, `x =
# db.session.query(`): a function of the module may work on Flask-SQLAlchemy's session.
_SESSION_WORK_CALL = re.compile(r"[ \t]*\.[ \t]*(?:" + "|".join(sorted(WORK_METHODS)) + r")[ \t]*\(")
_TOP_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)[ \t]*[:=]", re.MULTILINE)
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from|import)\b([^\n]*)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _shared_globals(
    text: str | None, classify: Callable[[str], Known | None], project: Project | None
) -> frozenset[str]:
    """The names a module binds at its top (`SESSION = ...`, or an import of it) that its functions
    call work methods on (`    SESSION.commit(`, found in the text) and that are sessions every
    user of the module shares (`_shared_session`)."""
    if not text:
        return frozenset()
    text = one_line_end(text)  # `^` is a line's start after "\n" only (CR files too)
    candidates = {match.group(1) for match in _GLOBAL_WORK_CALL.finditer(text)}
    if not candidates:
        return frozenset()
    shared = set()
    for name in candidates & _top_names(text):  # bound at the module's top, not a parameter or a local
        if _shared_session(classify(name), project, name):
            shared.add(name)
    return frozenset(shared)


def _top_names(text: str) -> set[str]:
    """What a module's text may bind at its top: assigned names at column 0, and every word of an
    import statement (a superset)."""
    top = {match.group(1) for match in _TOP_ASSIGNED.finditer(text)}
    for line in _IMPORT_LINE.finditer(text):
        top.update(_WORD.findall(line.group(1)))
    return top


def _session_work_owners(text: str) -> set[str]:
    """The names whose session a work method is called on in `text` (`db` of `db.session.commit(`),
    found from each `.session` (a search of the whole text with a pattern that may start
    anywhere costs far more)."""
    names = set()
    start = text.find(".session")
    while start >= 0:
        if _SESSION_WORK_CALL.match(text, start + len(".session")):
            end = start
            while end and text[end - 1] in " \t":
                end -= 1
            begin = end
            while begin and (text[begin - 1].isalnum() or text[begin - 1] == "_"):
                begin -= 1
            if begin < end and not text[begin].isdigit() and (not begin or text[begin - 1] != "."):
                names.add(text[begin:end])
        start = text.find(".session", start + 1)
    return names


# A Flask-SQLAlchemy model's query in a text (`User.query.filter_by(`, `cls.query.get(`; not a
# session's `session.query(User)`).
_MODEL_QUERY = re.compile(r"\.[ \t]*query[ \t]*\.")
_MODEL_BASE = re.compile(r"\b([A-Za-z_]\w*)[ \t]*\.[ \t]*Model\b")


def _flask_globals(text: str | None, classify: Callable[[str], Known | None]) -> frozenset[str]:
    """The names a module binds at its top to Flask-SQLAlchemy's `SQLAlchemy()` (`db`) whose
    session its functions call work methods on (`db.session.commit(`, found in the text), or
    whose models it defines and queries (`class User(db.Model):` and `.query`)."""
    if not text:
        return frozenset()
    candidates = _session_work_owners(text) if ".session" in text else set()
    if _MODEL_QUERY.search(text):  # the `db` of its models (`class User(db.Model):`), whose queries run on it
        candidates.update(match.group(1) for match in _MODEL_BASE.finditer(text))
    if not candidates:
        return frozenset()
    return frozenset(
        name for name in candidates & _top_names(one_line_end(text)) if classify(name) is Kind.FLASK_DB
    )


def _flask_globals_of_tree(context: Context) -> frozenset[str]:
    """`_flask_globals` of a module checked without its text: every name of its top is asked."""
    return frozenset(name for name in context.module.names if _is_flask_db(context, name))


def _shared_globals_of_tree(context: Context) -> frozenset[str]:
    """`_shared_globals` of a module checked without its text: every name of its top is asked."""
    return frozenset(
        name for name in context.module.names
        if _shared_session(context.classify_name(name, context.module), context.project, name)
    )


def _functions_global_work(
    knowledge: ModuleKnowledge, shared: frozenset[str], text: str | None = None, flask: frozenset[str] = frozenset()
) -> GlobalWork:
    """`GlobalWork` of a module: its module-level functions (and the classmethods and
    staticmethods of its module-level classes) that call work methods on one of the `shared`
    sessions of the module, or on the session of one of its `flask` names for Flask-SQLAlchemy's
    `db` (noted as "db.session"), outside their own `try` statements and `with
    <session>.begin():` blocks; or run a query of a Flask-SQLAlchemy model (`cls.query.filter(...)
    .one()` in a classmethod of a model, `User.query.get(id)`: noted as "db.session" with
    `MODEL_READ`, a read on the session of the one `flask` name); or call such a function of
    the module (`cls.find(code)`, `by_name(name)`), followed `_MAX_MODULE_CALLS` calls deep.

    A rollback, close or remove elsewhere in the function (in a handler of its own `try`, or
    after the work) does not run when that work fails: its error leaves the function with the
    session broken (SaitamaRobot's `un_fban_user` queries its `SESSION`, then commits in a `try`
    whose handler rolls back).  A `try` whose handlers catch no database error (`except
    NoResultFound:`) keeps none of its work's.  Only the functions whose text names one of the
    sessions, a model's `query`, or (in the next rounds) a function found working are walked,
    each once."""
    found: dict[str, dict[str, bool]] = {}
    depth: dict[str, int] = {}  # how many calls of the module away from the work each function is
    calls: dict[str, set[str]] = {}
    names = [re.escape(name) for name in sorted(shared)]
    names += [re.escape(name) + r"[ \t]*\.[ \t]*session" for name in sorted(flask)]
    if text is None or _MODEL_QUERY.search(text):
        names.append(r"query[ \t]*\.")  # a model's `query.filter(`, not a session's `query(`
    # What the work of a model's query is noted on: this module's name for Flask-SQLAlchemy's `db`,
    # else the name applications give it (the module only imports the model).
    db = min(flask) if flask else "db"
    lines = line_starts(text) if text is not None else None
    walked: set[str] = set()
    searched: set[str] = set()
    for _ in range(_MAX_MODULE_CALLS + 1):
        pattern = re.compile(r"\b(?:" + "|".join(names) + r")\b")
        for function, scope in knowledge.functions:
            key = _global_function_key(knowledge, function, scope)
            if key is None or key in walked or not _holds(knowledge, function, pattern, lines, text):
                continue
            walked.add(key)
            worked, called = _global_work_of(knowledge, function, scope, shared, flask, db)
            if worked:
                found[key], depth[key] = worked, 0
            if called:
                calls[key] = called
        _through_calls(found, depth, calls)
        working = {key.rpartition(".")[2] for key in found} - searched
        searched |= working
        names = [re.escape(name) for name in sorted(working)]
        if not names:
            break
    return {key: tuple(sorted(worked.items())) for key, worked in found.items() if worked}


def _through_calls(found: dict[str, dict[str, bool]], depth: dict[str, int], calls: dict[str, set[str]]) -> None:
    """Add to what each function of `calls` does the work of the functions it calls, at most
    `_MAX_MODULE_CALLS` calls away from the work (`depth`), a call deeper each pass."""
    for _ in range(_MAX_MODULE_CALLS):
        grown = False
        for key, called in calls.items():
            for callee in called:
                if callee not in found or depth[callee] >= _MAX_MODULE_CALLS:
                    continue
                worked = found.setdefault(key, {})
                for name, flushes in found[callee].items():
                    if worked.get(name) is None or (flushes and not worked[name]):
                        worked[name] = flushes
                        grown = True
                if depth.get(key, _MAX_MODULE_CALLS + 1) > depth[callee] + 1:
                    depth[key] = depth[callee] + 1
                    grown = True
        if not grown:
            return


# How many calls deep `_functions_global_work` follows the functions of a module that call each
# other (`find_or_create` -> `cls.find` -> `cls.query...one()`).
_MAX_MODULE_CALLS = 3
# Noted after "db.session" for a Flask-SQLAlchemy model's query run by a function: a read only, which
# on a database not known to be a server's leaves the transaction usable (`Work.model_only`).
MODEL_READ = ":model"


def _global_work_of(
    knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
    shared: frozenset[str], flask: frozenset[str], db: str,
) -> tuple[dict[str, bool], set[str]]:
    """What one function of `_functions_global_work` does itself: the sessions it works on (each
    with whether that work may flush), and the functions of its module it calls outside its own
    `try` statements (by their `GlobalWork` key)."""
    worked: dict[str, bool] = {}
    called: set[str] = set()
    parent = scope.parent
    owner = parent.node.name if parent is not None and isinstance(parent.node, ast.ClassDef) else ""
    bound = class_call_binds(function) if owner else None
    first = function.args.posonlyargs + function.args.args
    cls = first[0].arg if bound and first else ""
    model = bool(cls) and knowledge.classify(ast.Name(id=owner, ctx=ast.Load()), knowledge.module) == MODEL_CLASS
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        knowledge.steps += 1
        if isinstance(node, NESTED_CODE):
            continue
        if isinstance(node, TRY_NODES) and keeps_its_errors(node):
            continue  # its handlers judge its work
        if isinstance(node, (ast.With, ast.AsyncWith)) and (any(
            isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
            and item.context_expr.func.attr in SELF_CLEANING for item in node.items
        ) or (flask and enters_app_context(node))):
            continue  # `with app.app_context():` removes Flask-SQLAlchemy's session, failed or not, as an error leaves
        func = node.func if isinstance(node, ast.Call) else None
        name = _global_receiver(func, shared, flask)
        if name is not None and isinstance(func, ast.Attribute):
            assert isinstance(node, ast.Call)
            holder = name.partition(".")[0]
            if _is_work_method(func.attr) and (holder not in scope.names or holder in scope.globals):
                done = _work_call(node)
                if done is not None and done[0]:
                    worked[name] = worked.get(name, False) or done[1]
        elif isinstance(func, ast.Attribute) and func.attr in QUERY_RUNS:
            query = _query_attribute(func)
            base = query.value if query is not None else None
            if base is not None and (
                (model and isinstance(base, ast.Name) and base.id == cls)
                or knowledge.classify(base, scope) == MODEL_CLASS
            ):
                worked.setdefault(f"{db}.session{MODEL_READ}", False)
        if func is not None:
            callee = _module_callee(knowledge, func, scope, owner, cls)
            if callee is not None:
                called.add(callee)
        stack.extend(ast.iter_child_nodes(node))
    return worked, called


def _query_attribute(func: ast.expr) -> ast.Attribute | None:
    """The `.query` of a query chain (`cls.query` of `cls.query.filter(...).one`), if there is one."""
    chain = func
    while isinstance(chain, (ast.Attribute, ast.Call)):
        if isinstance(chain, ast.Attribute) and chain.attr == "query":
            return chain
        chain = chain.func if isinstance(chain, ast.Call) else chain.value
    return None


def _module_callee(
    knowledge: ModuleKnowledge, func: ast.expr, scope: Scope, owner: str, cls: str
) -> str | None:
    """The `GlobalWork` key of a function of the module that a call runs: `helper(...)` (a
    module-level function the scope does not bind otherwise), `cls.find(...)` (in a classmethod of
    `owner`), `Model.find(...)` (a module-level class)."""
    module = knowledge.module
    if isinstance(func, ast.Name):
        binding = single_binding(scope.lookup(func.id))
        if binding is not None and binding.kind == "def" and module.names.get(func.id) == [binding]:
            return func.id
        return None
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    base = func.value.id
    if cls and base == cls:
        return f"{owner}.{func.attr}"
    binding = single_binding(scope.lookup(base))
    if binding is not None and binding.kind == "class" and module.names.get(base) == [binding]:
        return f"{base}.{func.attr}"
    return None


# Exceptions that no session raises, by their last name: a `try` of a helper that catches only
# these (`except subprocess.CalledProcessError:`) lets a database error of its work reach the caller.
NOT_DATABASE_ERRORS_BY_NAME = frozenset({
    "ArithmeticError", "AssertionError", "AttributeError", "BrokenPipeError", "CalledProcessError",
    "ChildProcessError", "FileExistsError", "FileNotFoundError", "ImportError", "IndexError",
    "IsADirectoryError", "JSONDecodeError", "KeyError", "LookupError", "ModuleNotFoundError",
    "NameError", "NotADirectoryError", "NotImplementedError", "OverflowError", "PermissionError",
    "ProcessLookupError", "StopAsyncIteration", "StopIteration", "TimeoutExpired", "TypeError",
    "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "ValueError", "ZeroDivisionError",
})


def keeps_its_errors(node: ast.Try | ast.stmt) -> bool:
    """Whether a `try` judges the session work in it itself: it has a `finally`, or a handler that
    may catch what a session raises (`catches_database_errors`)."""
    return bool(getattr(node, "finalbody", None)) or catches_database_errors(node)


def catches_database_errors(node: ast.Try | ast.stmt) -> bool:
    """Whether a handler of the `try` may catch a database error: any handler but one whose every
    class is named in `NOT_DATABASE_ERRORS_BY_NAME` or is one of SQLAlchemy's that no failed
    statement raises (`NoResultFound`; read from the text alone: when unsure, yes)."""
    for handler in getattr(node, "handlers", ()):
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for expr in types:
            name = dotted(expr) if expr is not None else None
            last = name.rpartition(".")[2] if name is not None else None
            if last is None or last not in NOT_DATABASE_ERRORS_BY_NAME and last not in NOT_DATABASE_ERRORS:
                return True
    return False


def _global_receiver(func: ast.expr | None, shared: frozenset[str], flask: frozenset[str]) -> str | None:
    """The session a method call is on, when it is a module-level one: `SESSION` (`SESSION.commit`,
    a name of `shared`), or `db.session` (`db.session.commit`, `db` a name of `flask`)."""
    if not isinstance(func, ast.Attribute):
        return None
    value = func.value
    if isinstance(value, ast.Name):
        return value.id if value.id in shared else None
    if isinstance(value, ast.Attribute) and value.attr == "session" and isinstance(value.value, ast.Name):
        return f"{value.value.id}.session" if value.value.id in flask else None
    return None


def _global_function_key(
    knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope
) -> str | None:
    """How `GlobalWork` names a function run from outside its module: a module-level function by
    its name, a `@classmethod` or `@staticmethod` of a module-level class as `Class.method`
    (`User.by_uuid(uuid)`, a model's query on the module's session); None for others."""
    parent = scope.parent
    if parent is knowledge.module:
        return function.name
    if parent is None or parent.kind != "class" or parent.parent is not knowledge.module:
        return None
    if class_call_binds(function) is None:
        return None
    assert isinstance(parent.node, ast.ClassDef)
    return f"{parent.node.name}.{function.name}"


def _holds(
    knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, pattern: re.Pattern[str],
    lines: list[int] | None, text: str | None,
) -> bool:
    """Whether the text of `function` matches `pattern` (True when the module's text is not known);
    `lines` holds where each line of `text` starts."""
    if isinstance(knowledge, Context):
        return knowledge.text_may_hold(function, pattern)
    if text is None or lines is None:
        return True
    return pattern.search(text, *lines_span(function, lines, len(text))) is not None


def _made_by(text: str, scope: Scope) -> str | None:
    """What makes the function's local `text`, when every binding of it there calls the same
    name (`session = session_maker()`): `session_maker`, whose `remove()` ends that session."""
    bindings = scope.names.get(text) if "." not in text and scope.kind == "function" else None
    made: set[str | None] = set()
    for binding in bindings or ():
        value = binding.value
        made.add(dotted(value.func) if binding.kind == "assign" and isinstance(value, ast.Call) else None)
    if len(made) != 1:
        return None
    return made.pop()


def _shared_session(kind: Known | None, project: Project | None, name: str) -> bool:
    """Whether the module-level `name`, of `kind`, is a session every user of the module shares: a
    `Session`, or a registry whose `remove()` no project file calls (a registry removed when each
    request ends holds the request's session, which nothing uses after it)."""
    if kind in SESSIONS:
        return True
    if kind not in REGISTRIES:
        return False
    if project is None:
        return False
    files = project.mentions(name + ".remove(")
    return files is not None and not files


def _names_here(context: Context, work: Work, scope: Scope) -> bool:
    """Whether the `try`'s scope binds the session a called function worked on to the same name
    (`from helpers import SESSION, approve`): the fix's `SESSION.rollback()` can name it."""
    binding = single_binding(scope.lookup(work.text))
    if binding is None or binding.kind != "import" or not isinstance(binding.value, str):
        return False
    return binding.value.rpartition(".")[2] == work.text and context.classify_name(work.text, scope) in (
        SESSIONS | REGISTRIES
    )


# How many functions deep the work on a session handed to a function is followed (`helper(session)`,
# which does `inner(session)`, which does `session.query(...)`).
_MAX_HANDED = 3


def _parameter_work(
    context: Context, function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str,
    follow: Callable[[ast.Call, int, str | None], bool | None] | None = None,
) -> bool | None:
    """What `function` does with its `parameter`, outside its own `try` statements and `with
    <parameter>...` blocks: True when it calls a work method on it that may flush, False when
    only ones that read; None when none that reach the database, or when it rolls back or
    closes it, or binds the parameter anew: then the caller's handler is not judged by it.
    With `follow`, what a call it hands the parameter to (`inner(session)`, as argument `index`
    or keyword) does with it counts too (`follow` tells, as this function does)."""
    reads = flushes = False
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        context.steps += 1
        if isinstance(node, NESTED_CODE) or isinstance(node, TRY_NODES) and catches_database_errors(node):
            continue  # what a `try` of its own does with its errors is its own handlers' to judge
            # (a `finally` is walked with the rest: one that closes the session ends the work)
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(
            _root(item.context_expr) == parameter for item in node.items
        ):
            continue  # `with session.begin():` ends its own work (commit, or rollback on error)
        if isinstance(node, ast.Name) and node.id == parameter and not isinstance(node.ctx, ast.Load):
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) == parameter:
            if node.func.attr in CLEANUP_METHODS or node.func.attr in SELF_CLEANING:
                return None
            done = _work_call(node)
            if done is not None:
                reads = reads or done[0]
                flushes = flushes or done[1]
        elif follow is not None and isinstance(node, ast.Call):
            handed: list[tuple[int, str | None]] = [
                (i, None) for i, a in enumerate(node.args) if isinstance(a, ast.Name) and a.id == parameter
            ]
            handed += [(-1, k.arg) for k in node.keywords if isinstance(k.value, ast.Name) and k.value.id == parameter]
            for position, keyword in handed:
                found = follow(node, position, keyword)
                if found is not None:
                    reads, flushes = True, flushes or found
        stack.extend(ast.iter_child_nodes(node))
    if not reads:
        return None
    return flushes


def _work_call(call: ast.Call) -> tuple[bool, bool] | None:
    """For a call of a session work method (`x.commit()`, `x.bulk_save_objects()`, a `get` that
    may be `Session.get()`): whether it may reach the database, and whether it may flush."""
    func = call.func
    if not isinstance(func, ast.Attribute) or not _is_work_method(func.attr) or _foreign_get(call):
        return None
    if func.attr == "merge" and any(
        k.arg == "load" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords
    ):
        return False, True  # `merge(obj, load=False)`: no SELECT and no autoflush; its change waits for a flush
    return func.attr not in NO_IO_METHODS, func.attr in FLUSHING_METHODS or func.attr.startswith("bulk_")


def _is_work_method(name: str) -> bool:
    return name in WORK_METHODS or name.startswith("bulk_")


def _root(expr: ast.expr) -> str | None:
    """The name a chain of calls and attributes starts from (`session` of `session.begin()`)."""
    while isinstance(expr, (ast.Call, ast.Attribute)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _merge(into: dict[str, Work], work: dict[str, Work], scoped: frozenset[str]) -> None:
    for text, found in work.items():
        if text.partition(".")[0] in scoped:
            continue  # closed by a `with ... as` block inside the outer body
        item = into.setdefault(text, Work(found.receiver, text))
        item.awaited = item.awaited or found.awaited
        item.model_only = item.model_only and found.model_only
        item.io = item.io or found.io
        item.flushes = item.flushes or found.flushes
        item.helped = item.helped and found.helped


# Exception classes that any error a session raises is an instance of.
_BROAD_ERRORS = frozenset({"builtins.Exception", "builtins.BaseException"})
_BROAD_SA_ERRORS = frozenset({"SQLAlchemyError", "DBAPIError", "DatabaseError", "Error"})


def _broad(context: Context, expr: ast.expr | None, scope: Scope) -> bool:
    if expr is None:
        return True
    if isinstance(expr, ast.Tuple):
        return any(_broad(context, e, scope) for e in expr.elts)
    qualified = context.qualified(expr, scope)
    if qualified is None:
        return False
    return qualified in _BROAD_ERRORS or (
        qualified.partition(".")[0] in SA_ROOTS and qualified.rpartition(".")[2] in _BROAD_SA_ERRORS
    )


def _never_returns(context: Context, func: ast.expr, scope: Scope) -> bool:
    """`sys.exit`, `flask.abort`, ... or a function of this module that always raises."""
    return context.qualified(func, scope) in NO_RETURN or context.never_returns(func, scope)


def _aborts_transaction(context: Context, func: ast.Attribute, scope: Scope) -> bool:
    """`transaction.abort()`, `transaction.get().abort()`, `transaction.manager.abort()`, or
    pyramid_tm's `request.tm.abort()`: zope's transaction manager, which ends the transaction of
    every session zope.sqlalchemy joined to it (and which is the only way out for them)."""
    receiver = func.value
    if isinstance(receiver, ast.Call):
        receiver = receiver.func  # `transaction.get().abort()`
    text = dotted(receiver)
    if text is not None and (text == "tm" or text.endswith(".tm")):
        return True
    qualified = context.qualified(receiver, scope)
    return qualified is not None and qualified.partition(".")[0] == "transaction"


def _integrity_only(context: Context, expr: ast.expr | None, scope: Scope) -> bool:
    """An `except` clause that catches IntegrityError and nothing else."""
    if expr is None:
        return False
    elements = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    for element in elements:
        qualified = context.qualified(element, scope)
        if qualified is None or qualified.rpartition(".")[2] != "IntegrityError":
            return False
    return bool(elements)


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


def _closed_by_with(
    context: Context, summaries: _Summaries, record: TryRecord, handler: ast.ExceptHandler, work: Work
) -> bool:
    """Whether the handler leaves a `with Session(...) as <receiver>:` block, which closes the
    session, with nothing using the session before it does: the `try` is the block's last
    statement, or the handler ends in `return`; or no loop of the block holds the `try`, and
    the handler ends in `continue` or `break` (which leave the block) or nothing below the `try`
    in the block names the session, nor does the handler or the `finally` call a method of it.
    Or the handler leaves a `with <receiver>.begin():` block right away (the `try` is its last
    statement, or the handler returns): the block's end commits or rolls back the transaction,
    and the session begins a new one for what follows (Prefect's registration of each block
    schema in a transaction of its own)."""
    last = handler.body[-1] if handler.body else None
    leaves = isinstance(last, ast.Return)
    for with_node, tail, straight in record.withs:
        if not (tail or leaves or straight):
            continue
        for item in with_node.items:
            target = item.optional_vars
            expr = item.context_expr
            if (
                (tail or leaves) and isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
                and expr.func.attr == "begin" and dotted(expr.func.value) == work.text
            ):
                return True  # `async with session.begin():` ends the transaction (commit, or rollback) next
            if not isinstance(target, ast.Name) or target.id != work.text:
                continue
            # `with Session(...) as s:`, or any context manager handing out the
            # session (`with self.ManagedSessionMaker() as s:`): its exit ends it.
            kind = context.classify(item.context_expr, record.scope)
            if kind is not None and kind not in SESSIONS:
                continue
            if tail or leaves or isinstance(last, (ast.Continue, ast.Break)):
                return True
            if _unused_below(context, summaries, record, handler, with_node, work.text):
                return True
    return False


def _unused_below(
    context: Context, summaries: _Summaries, record: TryRecord, handler: ast.ExceptHandler,
    with_node: ast.With | ast.AsyncWith, name: str,
) -> bool:
    """Whether neither the handler nor the `finally` calls a method of `name`, and either
    nothing after the `try` (to the end of `with_node`) names it, and its function only ever
    uses the session as `name.<attribute>` (one handed to a call may live on in what the call
    made: `task = create_graph_task(session)` above the `try`, `task.run()` below it); or the
    first that names it is the statement right after the `try`, a `with` that binds `name` to a
    session of its own (`_rebound`), the handler and the `finally` do not name it, and below
    the `try` the function calls no method of what a call handed `name` made, nor hands `name`
    on anywhere (`carried_on`)."""
    function = record.scope.node
    if record.scope.kind != "function" or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if name in summaries.of_block(handler.body, record.scope).called:
        return False
    if record.node.finalbody and name in summaries.of_block(record.node.finalbody, record.scope).called:
        return False
    lines = context.lines_naming(name)
    below = record.node.end_lineno or record.node.lineno
    end = with_node.end_lineno or with_node.lineno
    ranges = after_handler(context, with_node.body, record.node, handler)
    if ranges is None:
        ranges = [(below + 1, end)]
    first = next(
        (lines[index] for start, stop in ranges for index in (bisect.bisect_left(lines, start),)
         if index < len(lines) and lines[index] <= stop),
        None,
    )
    if first is None:
        return context.kept_local(function, name, "") is True or not any(
            carried_on(context, function, name, start - 1, stop) for start, stop in ranges
        )
    return (
        _rebound(context, record, name, first)
        and not any(
            block and count_in(lines, block[0].lineno, block[-1].end_lineno or block[-1].lineno)
            for block in (handler.body, record.node.finalbody)
        )
        and not carried_on(context, function, name, below, end)
    )


def _rebound(context: Context, record: TryRecord, name: str, first: int) -> bool:
    """Whether the statement after the `try` is a `with` that binds `name` to a session it opens
    (`with get_session_with_current_tenant() as db_session:`, onyx's extraction loop), and no
    line before it names `name` (`first` is the first that does): from there on the name is the
    new session, and the failed one is left to the exit of the block around both."""
    following = record.following
    if not isinstance(following, (ast.With, ast.AsyncWith)) or first < following.lineno:
        return False
    for item in following.items:
        target = item.optional_vars
        if any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(item.context_expr)):
            return False  # `with Session(bind=db_session.bind) as db_session:` reads the failed one first
        if isinstance(target, ast.Name) and target.id == name:
            return opens_own_session(context, item.context_expr, record.scope)
        if target is not None and any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(target)):
            return False
    return False


# ---- what a block does, each statement read once -------------------------------------------


_SURE_DEPTH = 24  # how deep `_Summaries.surely_leaves` reads nested blocks


class _Summary:
    """What a statement (or a block) does when it runs, nested functions, classes and lambdas aside:
    the questions asked of a `try`'s handlers and `finally`, answered for every handler of every
    nested `try` from one reading of each statement."""

    __slots__ = ("leaves", "tidies", "texts", "commits", "handed", "savepoint", "bound", "pending", "called")

    def __init__(self) -> None:
        self.leaves = False  # a `raise`, or a call that never returns
        # Rolls something back (`x.rollback()`: a savepoint, a transaction), closes a session
        # receiver, or fails a test (`self.fail()`): tidy, whatever the session is.
        self.tidies = False
        self.texts: frozenset[str] = frozenset()  # receivers of a rollback, close or remove
        self.commits: frozenset[str] = frozenset()  # receivers of a commit
        self.handed: frozenset[str] = frozenset()  # dotted arguments of calls: what is handed on
        # `with x.begin_nested():` among the statements (not under a handler of a nested `try`).
        self.savepoint = False
        self.bound: frozenset[str] = frozenset()  # names bound or deleted (nested definitions by name)
        self.pending: frozenset[str] = frozenset()  # receivers of an add, delete or merge
        self.called: frozenset[str] = frozenset()  # receivers of any method call: what is used

    def add(self, other: _Summary, savepoint: bool = True) -> None:
        self.leaves = self.leaves or other.leaves
        self.tidies = self.tidies or other.tidies
        self.savepoint = self.savepoint or (savepoint and other.savepoint)
        if other.texts:
            self.texts = self.texts | other.texts
        if other.commits:
            self.commits = self.commits | other.commits
        if other.handed:
            self.handed = self.handed | other.handed
        if other.bound:
            self.bound = self.bound | other.bound
        if other.pending:
            self.pending = self.pending | other.pending
        if other.called:
            self.called = self.called | other.called


class _Summaries:
    """The `_Summary` of each statement, made once and kept (one per module).

    A statement's summary is made from its own expressions and the summaries of the
    statements inside it, so a `try` nested in a handler of a `try` nested in a handler ...
    costs each statement one reading, not one per enclosing `try`.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.memo: dict[int, _Summary] = {}
        self.blocks: dict[int, _Summary] = {}  # by the block's list, which the tree keeps

    def of_block(self, body: list[ast.stmt], scope: Scope) -> _Summary:
        if len(body) == 1:
            return self.of(body[0], scope)
        summary = self.blocks.get(id(body))
        if summary is None:
            summary = self.blocks[id(body)] = _Summary()
            for stmt in body:
                summary.add(self.of(stmt, scope))
        return summary

    def tidies(
        self, body: list[ast.stmt], scope: Scope, work: dict[str, Work], leaving: bool = False,
        commits: bool = True,
    ) -> bool:
        """Whether `body` rolls back or closes, or hands the session on (its receiver, or what it
        hangs from: `db` of `db.session`); with `leaving`, or re-raises or never returns.  With
        `commits`, a commit of the session counts: after a failed statement that flushed nothing
        it ends the transaction (an aborted one, on PostgreSQL)."""
        summary = self.of_block(body, scope)
        if summary.tidies or (leaving and summary.leaves and self.surely_leaves(body, scope)):
            return True
        if any(text in summary.texts or (commits and text in summary.commits) for text in work):
            return True
        if summary.texts and any(_made_by(text, scope) in summary.texts for text in work):
            return True  # `session = registry()` ... `registry.remove()` (SQLBot's `session_maker`, a parameter)
        handed = summary.handed
        if handed:
            for text in work:
                parts = text.split(".")
                if any(".".join(parts[:end]) in handed for end in range(1, len(parts) + 1)):
                    return True
        return False

    def surely_leaves(self, body: list[ast.stmt], scope: Scope, depth: int = 0) -> bool:
        """Whether every way through `body` ends in a `raise` (or a call that never returns): a
        `raise` under an `if` leaves only on that path (SQLBot's `if stream: raise e`), and one
        after an `if` that may `return`, `continue` or `break` only on the others.  Deeper than
        `_SURE_DEPTH` blocks, taken to leave: when unsure, quiet."""
        if depth > _SURE_DEPTH:
            return True
        for stmt in body:
            self.context.steps += 1
            if self._raises(stmt, scope, depth):
                return True
            if isinstance(stmt, (ast.Return, ast.Continue, ast.Break)) or any(
                isinstance(inner, (ast.Return, ast.Continue, ast.Break))
                for field in ("body", "orelse") for inner in getattr(stmt, field, ())
                if not isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)) or field == "orelse"
            ):
                return False
        return False

    def _raises(self, stmt: ast.stmt, scope: Scope, depth: int) -> bool:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Expr):
            value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            return isinstance(value, ast.Call) and _never_returns(self.context, value.func, scope)
        if isinstance(stmt, ast.If):
            return self.surely_leaves(stmt.body, scope, depth + 1) and self.surely_leaves(stmt.orelse, scope, depth + 1)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            return self.surely_leaves(stmt.body, scope, depth + 1)
        if isinstance(stmt, TRY_NODES):
            try_node = cast(ast.Try, stmt)
            return self.surely_leaves(try_node.finalbody, scope, depth + 1) or (
                self.surely_leaves(try_node.body, scope, depth + 1)
                and all(self.surely_leaves(h.body, scope, depth + 1) for h in try_node.handlers)
            )
        return False

    def of(self, stmt: ast.stmt, scope: Scope) -> _Summary:
        found = self.memo.get(id(stmt))
        if found is None:
            found = self.memo[id(stmt)] = self._summarise(stmt, scope)
        return found

    def _summarise(self, stmt: ast.stmt, scope: Scope) -> _Summary:
        context = self.context
        summary = _Summary()
        context.steps += 1
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            summary.bound = frozenset((stmt.name,))  # what runs is the definition, not its body
            return summary
        texts: set[str] = set()
        commits: set[str] = set()
        handed: set[str] = set()
        bound: set[str] = set()
        pending: set[str] = set()
        called: set[str] = set()
        if isinstance(stmt, ast.Raise):
            summary.leaves = True
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            summary.savepoint = any(
                isinstance(item.context_expr, ast.Call)
                and isinstance(item.context_expr.func, ast.Attribute)
                and item.context_expr.func.attr == "begin_nested"
                for item in stmt.items
            )
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound.update(alias.asname or alias.name.partition(".")[0] for alias in stmt.names)
        # (node, whether a savepoint under it is one of this statement's)
        stack: list[tuple[ast.AST, bool]] = [(child, True) for child in ast.iter_child_nodes(stmt)]
        while stack:
            node, direct = stack.pop()
            if isinstance(node, ast.stmt):
                summary.add(self.of(node, scope), direct)
                continue
            context.steps += 1
            if isinstance(node, ast.Lambda):
                continue
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, (ast.Store, ast.Del)):
                    bound.add(node.id)
                continue
            if isinstance(node, ast.ExceptHandler):
                if node.name:
                    bound.add(node.name)
                stack.extend((child, False) for child in ast.iter_child_nodes(node))
                continue
            if isinstance(node, ast.Call):
                self._call(node, scope, summary, texts, commits, handed, pending, called)
            below = direct and not isinstance(node, ast.match_case)  # a case's body is not the statement's own
            stack.extend((child, below) for child in ast.iter_child_nodes(node))
        if texts:
            summary.texts = summary.texts | texts
        if commits:
            summary.commits = summary.commits | commits
        if handed:
            summary.handed = summary.handed | handed
        if bound:
            summary.bound = summary.bound | bound
        if pending:
            summary.pending = summary.pending | pending
        if called:
            summary.called = summary.called | called
        return summary

    def _call(
        self, node: ast.Call, scope: Scope, summary: _Summary, texts: set[str], commits: set[str], handed: set[str],
        pending: set[str], called: set[str],
    ) -> None:
        context = self.context
        func = node.func
        if _never_returns(context, func, scope):
            summary.leaves = True
        if isinstance(func, ast.Attribute):
            receiver = dotted(func.value)
            if receiver is not None:
                called.add(receiver)
            if func.attr in CLEANUP_METHODS or func.attr == "commit":
                text = dotted(func.value)
                if text is not None:
                    if func.attr == "rollback" or (func.attr != "commit" and context.is_receiver(func.value, scope)):
                        summary.tidies = True  # `nested = session.begin_nested()` ... `nested.rollback()`
                    elif func.attr == "commit":
                        commits.add(text)
                    else:
                        texts.add(text)
                elif (
                    func.attr == "rollback" and isinstance(func.value, ast.Call)
                    and context.classify(func.value.func, scope) in REGISTRIES
                ):
                    summary.tidies = True  # `DBSession().rollback()`: the registry's session, which the work used
            elif isinstance(func.value, ast.Name) and func.value.id == "self" and func.attr in ("fail", "skipTest"):
                summary.tidies = True
            elif func.attr == "abort" and _aborts_transaction(context, func, scope):
                summary.tidies = True  # zope.sqlalchemy rolls back and closes the sessions joined to it
            elif func.attr in PENDING_METHODS:
                text = dotted(func.value)
                if text is not None:
                    pending.add(text)
        for argument in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(argument, ast.Starred):
                argument = argument.value
            text = dotted(argument)
            if text is not None:
                handed.add(text)


# ---- fix safety ------------------------------------------------------------------------------

def rollback_is_safe(summaries: _Summaries, record: TryRecord, receiver: str) -> bool:
    """Whether `receiver.rollback()` first in the try's handlers changes nothing but the failed transaction.

    Not when the receiver's name may be unbound (or another object) in the handler,
    nor when it would cross a loop's commit boundary (see the rule's Fix safety).
    """
    root = receiver.partition(".")[0]
    if root in summaries.of_block(record.node.body, record.scope).bound:
        return False
    if record.looped and not _commits(record.node.body, receiver):
        return False
    return True


def _commits(body: list[ast.stmt], receiver: str) -> bool:
    """Whether `body` ends every pass through it with `receiver.commit()` (a statement of its own)."""
    for stmt in body:
        value = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(value, ast.Await):
            value = value.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "commit"
            and dotted(value.func.value) == receiver
        ):
            return True
    return False
