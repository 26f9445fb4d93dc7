"""SQS301's question about a helper on Flask-SQLAlchemy's `db.session`: after the error its
handler swallowed, can anything use that session before the request ends?

Flask-SQLAlchemy removes `db.session` when the request's application context ends, so a
session left in a failed transaction is thrown away with the request.  What can still use it
is what runs in between: the rest of the helper, and the rest of every view that calls it.
The helper is quiet only when every one of those is read and none can: the helper is a
module-level function whose `try` sits in no `with`, nor in a loop unless its handler
returns (which leaves the loop); after the error it only files
the error away as text (`messages["error"].append(str(e))`, `flash("...")`, a log line; not
the error object, which would make the reply raise and the error page render) and returns
such values; and each place that calls it, in every project file but the tests, is a Flask
view (or a command-line command) that calls it in a statement of its own, in no loop or
`with`, and then does no more than that before it returns (`return jsonify(...)`,
`return redirect(url_for(...))`, a project function that builds the reply from the text it is
handed: `return response_error(str(e))`, `builds_reply`).  When the helper's handler returns a
value its callers can test (`return None, str(e)`: `sentinels`), a view that binds the result to
names of its own and tests it may go on, on the handler's path, only through what that test
leads to (`_ends_on_sentinel`): `data, log = helper(...)` then `if data is None: return
response_error(log)`, the text handed on.  What a Flask request carries (`request.args.get("q")`)
is plain data, which a log line may format.  A handler in the view itself is read
the same way, and its view is the only caller; when the handler returns, only the `finally`
blocks around it run after it.  A helper nobody is seen calling, a use of it that is not such
a call (or a name a star import may bring), a project that registers `after_request` or
teardown functions (but teardowns that only remove, close or roll back the session, as
Flask-SQLAlchemy's own does, or that do so first: `_ends_session_first`) or keeps Flask-Session
in SQLAlchemy (these run before the
session is removed), or
anything not on these short lists keeps the finding: when in doubt, the handler is reported,
as the rule asks a rollback of every handler that swallows a database error.

Every statement is judged once per function (`_Reader`), so the cost stays linear in the
module however many handlers ask.
"""
from __future__ import annotations

import ast
import os
import re
import weakref
from typing import TYPE_CHECKING, Callable, Hashable, Optional

from ..context import command_decorator, is_project_test
from ..knowledge.kinds import REGISTRIES, Kind
from ..knowledge.module import MODEL_CLASS, NESTED_CODE, TRY_NODES
from ..knowledge.names import Binding, Scope, qualified_name, single_binding
from ..knowledge.project import referencing
from .sentinels import Sentinel, bounded, bound_values, handler_sentinel, truth

if TYPE_CHECKING:
    from ..context import Context
    from ..knowledge.module import ModuleKnowledge, TryRecord
    from ..knowledge.project import Project

# Calls that cannot reach the database, whatever their arguments are (as long as these are
# harmless to evaluate): Flask's replies and messages, the builtins that build plain values.
_HARMLESS_CALLS = frozenset(
    {
        "flask.flash", "flask.jsonify", "flask.redirect", "flask.url_for", "flask.make_response",
        "flask.Response", "builtins.len", "builtins.bool", "builtins.int", "builtins.float", "builtins.isinstance",
        "builtins.list", "builtins.dict", "builtins.tuple", "builtins.set",
    }
)
# Calls that format their arguments (`str(x)` calls `x.__str__`, which may read an ORM object's
# expired attributes): harmless only with plain arguments.
_FORMATTING_CALLS = frozenset(
    {
        "builtins.str", "builtins.repr", "builtins.format", "builtins.print", "click.echo", "click.secho",
        "flask_babel.gettext", "flask_babel.lazy_gettext", "flask_babel.ngettext", "flask_babel._",
        "flask_babelex.gettext", "flask_babelex.lazy_gettext", "flask_babelex._",
        # the error being handled, and its traceback's lines, as text
        "traceback.format_exc", "traceback.print_exc", "traceback.format_exception", "traceback.print_exception",
        # plain values as JSON text (an object `json` cannot write raises; an encoder class, which
        # might read one, is not a plain value)
        "json.dumps",
    }
)
# Harmless calls (`_HARMLESS_CALLS`) whose result is text made of their plain arguments.
_TEXT_CALLS = frozenset({"flask.url_for"})
# Methods that give an object's text (`e.__str__()`, as `str(e)` does).
_TEXT_METHODS = frozenset({"__str__", "__repr__"})
# Methods of a string literal that make text of their arguments (`"{}".format(e)`, `"".join(lines)`).
_STRING_METHODS = frozenset({"format", "join"})
# Of those, the ones that put their arguments in the reply (or in Flask's cookie session).
_REPLIES = frozenset({"flask.flash", "flask.jsonify", "flask.make_response", "flask.Response"})
# What sends the error being handled to an error tracker (Sentry's SDK: it reads the exception and
# its traceback, and the plain values it is handed as tags).
_REPORTING = frozenset({"sentry_sdk.capture_exception", "sentry_sdk.capture_message"})
_LOGGERS = frozenset({"log", "logger", "LOG", "LOGGER", "_log", "_logger"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})
# Methods of the containers a helper files its messages in (`messages["error"].append(e)`).
_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "update", "add", "setdefault"})
_ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete"})
# A variable of a Flask route's rule (`<email>`, `<int:user_id>`) and the view parameter it fills.
_URL_VARIABLE = re.compile(r"<(?:(?:string|int|float|path|uuid)(?:\([^)<>]*\))?:)?(\w+)>")
_MAX_HANDED_ON = 4  # project modules a helper's name is followed through (`from .users import rename`)
_MAX_REPLY_HOPS = 3  # project functions that build a reply by calling another (`bad_request` -> `make_error`)
# `with app.app_context():`, and a request's context, which pushes the application's too.
_APP_CONTEXTS = frozenset({"app_context", "test_request_context"})
_RESPONSE_FIELDS = frozenset({"status", "status_code", "status_int"})
_TRANSACTIONS = frozenset({"begin", "begin_nested"})  # `db.session.begin_nested()`: a transaction of it
_SESSION_ATTRIBUTES = frozenset({"query", "session", "query_property"})
# What a Flask request carries (`request.args`, `request.get_json()`), and how a view reads it
# (`request.args.to_dict()`, `.get("q")`, `["name"]`): text, numbers and JSON values, never an
# object of the database.
_REQUEST_DATA = frozenset({"args", "form", "values", "json", "data", "headers", "cookies", "view_args"})
_REQUEST_METHODS = frozenset({"get_json", "get_data"})
_REQUEST_DATA_METHODS = frozenset({"get", "getlist", "to_dict", "copy", "keys", "values", "items"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
# What a helper hands back on its handler's path (`sentinels.Sentinel`), and for each part of it
# (each element of a tuple, or the one value) whether it is text made in the handler.
_Returned = tuple[Sentinel, tuple[bool, ...]]
_SIMPLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass)  # statements that go on to the next
_WITHS = (ast.With, ast.AsyncWith)
# What a test `truth` may answer is made of, and how many nodes it may have.
_TEST_PARTS = (
    ast.Name, ast.Constant, ast.UnaryOp, ast.Not, ast.BoolOp, ast.And, ast.Or, ast.Compare, ast.Is, ast.IsNot,
    ast.Load,
)
_TEST_NODES = 16
# How many statements after a helper's call (or in the body of the test that leaves on its
# sentinel) are read with what the helper handed back in mind: each call costs a bounded amount.
_SENTINEL_STATEMENTS = 12


def ends_with_request(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr], flask: bool = False
) -> bool:
    """Whether nothing can use the Flask-SQLAlchemy session that `handler` leaves failed before
    the request that runs it ends (see the module's docstring); `flask` when a function of another
    module worked on it too (this module has no name for it).  An expression too deep to read
    (a string of a few thousand `+`) leaves the answer no."""
    try:
        return _ends_with_request(context, record, handler, receivers, flask)
    except RecursionError:
        return False


def _ends_with_request(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr], flask: bool
) -> bool:
    function = record.scope.node
    parent = record.scope.parent
    if isinstance(function, ast.FunctionDef) and _graphql_resolver(context, function, parent):
        return _ends_with_graphql_request(context, record, handler, receivers, function)
    returns = bool(handler.body) and isinstance(handler.body[-1], ast.Return)
    if (
        not isinstance(function, ast.FunctionDef)
        or (
            parent is not context.module and not _factory_view(context, function, parent)
            and not (parent is not None and _class_view(context, function, parent))
        )
        or (record.looped and not returns)  # (a handler that returns leaves every loop around it)
        or record.withs
        or not (receivers or flask)
    ):
        return False
    reader = _reader(context, context, function, record.scope, strict=True)
    if not (
        reader.block(handler.body) and reader.block(record.node.finalbody)
        and reader.after(record.node, returning=returns)
    ):
        return False
    if not all(flask_session(context, receiver, record.scope) for receiver in receivers):
        return (
            returns and not flask and _ends_with_pyramid_request(context, record, handler, receivers, function, reader)
        )
    if _is_view(context, function, record.scope.parent or context.module):
        # The handler is the view's own: the request ends when it returns.
        if context.project is None or not context.filename:
            return False
        found = _project_files(context)
        return found is not None and not _works_after_views(context.project, found)
    return _callers_end_requests(context, function, _returned(reader, handler))


def _factory_view(context: Context, function: ast.FunctionDef, parent: Optional[Scope]) -> bool:
    """A Flask view defined in a module-level function that makes its blueprint (SecureDrop's
    `def make_blueprint(config): view = Blueprint(...)` then `@view.route(...)` inside)."""
    return (
        parent is not None and parent.kind == "function" and parent.parent is context.module
        and _is_view(context, function, parent)
    )


def _ends_with_pyramid_request(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr],
    function: ast.FunctionDef, reader: _Reader,
) -> bool:
    """A Pyramid view's own handler (`@view_config(...)`) on a session that zope.sqlalchemy
    joins to the request's transaction, which pyramid_tm commits or aborts when the view
    returns; zope.sqlalchemy then closes the session.  Quiet when the handler returns, only
    harmless statements running before that (`request.response.status = ...`, `return
    {'error': str(e)}`: the caller has read them with `reader`), and no project file adds
    callbacks or tweens that run after views."""
    if not any(_pyramid_view(d, record.scope.parent or context.module) for d in function.decorator_list):
        return False
    returned = handler.body[-1].value  # type: ignore[attr-defined]
    if returned is not None and not reader.rendered(returned):
        return False  # the renderer reads what the view returns after it, inside the transaction
    return _pyramid_tm_closes(context, record, receivers)


def _pyramid_tm_closes(context: Context, record: TryRecord, receivers: list[ast.expr]) -> bool:
    """Whether the sessions `receivers` are ones zope.sqlalchemy joins to the request's
    transaction, in a project that runs pyramid_tm (`_pyramid_tm_ends_requests`): when the view
    returns, the transaction ends and zope.sqlalchemy closes them, failed or not."""
    if not all(zope_session(context, receiver, record.scope) for receiver in receivers):
        return False
    project = context.project
    if project is None or not context.filename:
        return False
    return project.fact("request-end:pyramid-tm", _pyramid_tm_ends_requests) is True


# Graphene's base classes whose methods it calls to answer a GraphQL field.
_GRAPHENE_TYPES = frozenset(
    {"graphene.Mutation", "graphene.ObjectType", "graphene.relay.ClientIDMutation", "graphene.types.Mutation"}
)


def _graphql_resolver(context: Context, function: ast.FunctionDef, parent: Optional[Scope]) -> bool:
    """A method by which graphene answers a field (`mutate` of a `graphene.Mutation`,
    `resolve_<field>` of a `graphene.ObjectType`) in a class at module level."""
    if parent is None or parent.kind != "class" or parent.parent is not context.module:
        return False
    if not (function.name in ("mutate", "mutate_and_get_payload") or function.name.startswith("resolve_")):
        return False
    cls = parent.node
    assert isinstance(cls, ast.ClassDef)
    return any(qualified_name(base, context.module) in _GRAPHENE_TYPES for base in cls.bases)


def _ends_with_graphql_request(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr],
    function: ast.FunctionDef,
) -> bool:
    """A GraphQL resolver's own handler (see `_graphql_resolver`) on a session that zope.sqlalchemy
    joins to the request's transaction, in a project that runs pyramid_tm: graphene runs every
    resolver inside the view that executes the query, and when that view returns, pyramid_tm
    ends the transaction and zope.sqlalchemy closes the session, failed or not.  Quiet when the
    handler returns, harmless statements running before that (a log line of the traceback), and
    what it returns is text or an error made of text (`return ResponseError(message=text)`, which
    graphene reports as the field's error)."""
    if record.withs or not receivers or not handler.body:
        return False
    returned = handler.body[-1]
    if not isinstance(returned, ast.Return):
        return False
    reader = _reader(context, context, function, record.scope, strict=True)
    if not (
        all(reader.statement(statement) for statement in handler.body[:-1])
        and reader.block(record.node.finalbody) and reader.after(record.node, returning=True)
    ):
        return False
    value = returned.value
    if value is not None and not reader.rendered(value) and not _error_of_text(context, reader, value, record.scope):
        return False
    return _pyramid_tm_closes(context, record, receivers)


def _error_of_text(context: Context, reader: _Reader, value: ast.expr, scope: Scope) -> bool:
    """`ResponseError(message=text)`, `GraphQLError(text)`: an exception class (of the project, its
    bases naming `Exception` or an `...Error`; or graphql's) made of text; making it runs no query."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name):
        return False
    if not all(k.arg is not None and reader.text(k.value) for k in value.keywords):
        return False
    if not all(reader.text(a) for a in value.args):
        return False
    if qualified_name(value.func, scope) in ("graphql.GraphQLError", "graphql.error.GraphQLError"):
        return True
    resolved = resolve_binding(context, value.func.id, scope, _MAX_HANDED_ON)
    return resolved is not None and _plain_error(context, resolved, _MAX_HANDED_ON)


def _plain_error(context: Context, resolved: tuple[ModuleKnowledge, Binding], depth: int) -> bool:
    """Whether a class is an exception whose making only keeps its arguments: every `__init__`
    of it and of its project bases does no more (`_keeps_arguments`), and the bases outside the
    project are named `Exception`, `BaseException` or `...Error`.  Each class is read once per
    check; at most `depth` project bases up."""
    knowledge, binding = resolved
    cls = binding.value
    if binding.kind != "class" or not isinstance(cls, ast.ClassDef):
        return False
    errors = _memo(context).errors  # each class read once per check, however many handlers make it
    if id(cls) not in errors:
        errors[id(cls)] = False  # (a class that is its own base, through a cycle of imports)
        errors[id(cls)] = bool(cls.bases) and depth > 0 and all(
            _plain_base(context, knowledge, base, depth - 1) for base in cls.bases
        ) and all(
            not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) or statement.name != "__init__"
            or _keeps_arguments(statement)
            for statement in cls.body
        )
    return errors[id(cls)]


def _plain_base(context: Context, knowledge: ModuleKnowledge, base: ast.expr, depth: int) -> bool:
    name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
    if isinstance(base, ast.Name):
        resolved = resolve_binding(knowledge, base.id, knowledge.module, _MAX_HANDED_ON)
        if resolved is not None:
            return _plain_error(context, resolved, depth)  # a project class: read in turn
    return name in ("Exception", "BaseException") or name.endswith("Error")


def _keeps_arguments(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An `__init__` that calls `super().__init__(...)` and sets attributes of `self` (or of a
    parameter) to values made of its parameters, constants and `str(...)` of them, under
    `if`s that test such values, and does nothing else."""
    known = {a.arg for a in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]}
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return _keeps_block(body, known)


def _keeps_block(block: list[ast.stmt], known: set[str]) -> bool:
    for statement in block:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            if not (
                isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"
                and isinstance(call.func.value, ast.Call) and isinstance(call.func.value.func, ast.Name)
                and call.func.value.func.id == "super"
                and all(_made_of(a, known) for a in [*call.args, *(k.value for k in call.keywords)])
            ):
                return False
        elif isinstance(statement, ast.Assign):
            value = statement.value
            if (
                isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "str"
                and len(value.args) == 1 and not value.keywords
            ):
                value = value.args[0]
            if not _made_of(value, known) or not all(
                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in known
                for t in statement.targets
            ):
                return False
        elif isinstance(statement, ast.If):
            if not (
                _made_of(statement.test, known) and _keeps_block(statement.body, known)
                and _keeps_block(statement.orelse, known)
            ):
                return False
        elif not isinstance(statement, ast.Pass):
            return False
    return True


def _pyramid_view(decorator: ast.expr, scope: Scope) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return qualified_name(target, scope) in ("pyramid.view.view_config", "pyramid.view.view_defaults")


def zope_session(knowledge: ModuleKnowledge, receiver: ast.expr, scope: Scope) -> bool:
    """A `scoped_session` registry (`DBSession`, or `DBSession()`) defined in a module that uses
    zope.sqlalchemy, which joins its sessions to zope's transaction."""
    if isinstance(receiver, ast.Call) and not receiver.args and not receiver.keywords:
        receiver = receiver.func
    if not isinstance(receiver, ast.Name) or knowledge.classify(receiver, scope) not in REGISTRIES:
        return False
    resolved = resolve_binding(knowledge, receiver.id, scope, _MAX_HANDED_ON)
    return resolved is not None and resolved[0].imports_package("zope.sqlalchemy")


# What may run after a Pyramid view, inside pyramid_tm's transaction, and use the session.
_AFTER_PYRAMID_VIEW_WORDS = ("add_response_callback", "add_finished_callback", "NewResponse", "add_tween")


def _pyramid_tm_ends_requests(project: Project) -> bool:
    """Whether the project runs pyramid_tm (named by a dependency file, a `.ini` file of its
    folder, or a project module) and adds nothing that runs after its views (response or
    finished callbacks, `NewResponse` subscribers, tweens), its tests aside."""
    folder = project.folder()
    if folder is None:
        return False
    texts = [*(project.dependency_texts() or ()), *(project.config_texts() or ())]
    files = project.files_mentioning(("pyramid_tm", *_AFTER_PYRAMID_VIEW_WORDS))
    if files is None:
        return False
    production = [text for path, text in files if not is_project_test(path, folder)]
    if any(word in text for text in production for word in _AFTER_PYRAMID_VIEW_WORDS):
        return False
    return any("pyramid_tm" in text for text in (*texts, *production))


def flask_session(context: Context, receiver: ast.expr, scope: Scope) -> bool:
    """`db.session`, where `db` is Flask-SQLAlchemy's `SQLAlchemy()`, or a model's `User.query`; or
    a local name bound once to a transaction of it (`nested = db.session.begin_nested()`, whose
    `commit()` works on `db.session`)."""
    if isinstance(receiver, ast.Name):
        binding = single_binding(scope.names.get(receiver.id))
        value = binding.value if binding is not None and binding.kind == "assign" else None
        return (
            receiver.id not in scope.declared and isinstance(value, ast.Call) and not value.args
            and not value.keywords and isinstance(value.func, ast.Attribute) and value.func.attr in _TRANSACTIONS
            and isinstance(value.func.value, ast.Attribute) and value.func.value.attr == "session"
            and flask_session(context, value.func.value, scope)
        ) or _flask_session_alias(context, receiver, scope)
    if not isinstance(receiver, ast.Attribute):
        return False
    if receiver.attr == "query":
        return context.classify(receiver.value, scope) == MODEL_CLASS
    if receiver.attr != "session":
        return False
    owner = context.classify(receiver.value, scope)
    return owner is Kind.FLASK_DB or (owner is Kind.OBJECT and _module_alias(context, receiver, scope, 0))


def _flask_session_alias(context: Context, receiver: ast.Name, scope: Scope) -> bool:
    """`db_session`, a module-level name of this module or of a project module it is imported
    from, bound once to `db.session` itself (zeeguu's `db_session = db.session` in its
    endpoints package, `db` Flask-SQLAlchemy's), or to such a name of a project module
    (`db_session = zeeguu.core.model.db.session`, where that module does `session =
    db.session`): the same request-scoped session by another name."""
    if receiver.id in scope.declared or (receiver.id in scope.names and scope is not context.module):
        return False  # a name of the function itself: not the module's
    resolved = resolve_binding(context, receiver.id, scope, _MAX_HANDED_ON)
    return resolved is not None and _binds_flask_session(*resolved, 0)


def _binds_flask_session(knowledge: ModuleKnowledge, binding: Binding, hops: int) -> bool:
    """Whether a module-level binding of `knowledge` is `name = db.session` (`db`
    Flask-SQLAlchemy's), or `name = module.session` of a project module whose own `session` is
    (`_MAX_HANDED_ON` modules deep)."""
    value = binding.value
    if binding.kind != "assign" or not isinstance(value, ast.Attribute) or value.attr != "session":
        return False
    owner = knowledge.classify(value.value, knowledge.module)
    return owner is Kind.FLASK_DB or (owner is Kind.OBJECT and _module_alias(knowledge, value, knowledge.module, hops))


def _module_alias(knowledge: ModuleKnowledge, receiver: ast.Attribute, scope: Scope, hops: int) -> bool:
    """Whether `receiver` (`db.session`, `zeeguu.core.model.db.session`) is a module-level name of
    a project module (here `db` is that module, `from zeeguu.core.model import db`) bound to
    Flask-SQLAlchemy's session (`session = db.session` there)."""
    project = knowledge.project
    qualified = knowledge.qualified(receiver, scope)
    if project is None or qualified is None or hops >= _MAX_HANDED_ON:
        return False
    located = project.origin(qualified)
    if located is None or project.find(f"{located[1]}.{located[2]}") is not None:
        return False  # not a project module's name (or a module itself)
    path, module, name = located
    other = project.knowledge(path, module)
    binding = single_binding(other.module.names.get(name)) if other is not None else None
    return binding is not None and other is not None and _binds_flask_session(other, binding, hops + 1)


class _Memo:
    """What one checked module has read so far: a reader per function (of it, or of a module
    that calls its helpers, which lives as long as the check), and each helper's verdict."""

    def __init__(self) -> None:
        self.readers: dict[tuple[int, int, bool], _Reader] = {}
        self.references: dict[int, dict[str, list[Reference]]] = {}  # id(module's knowledge) -> ...
        self.callers: dict[tuple[str, Optional[_Returned]], bool] = {}
        self.asked: dict[Hashable, set[Hashable]] = {}  # a helper -> what its handlers handed back (`bounded`)
        # ("reply" or "text", id(a project function)) -> whether it builds a reply from its
        # arguments (`builds_reply`), or text (`formats_text`): read once per check, however many
        # functions call it
        self.functions: dict[tuple[str, int], bool] = {}
        # id(an exception class) -> whether making it only keeps its arguments (`_error_of_text`)
        self.errors: dict[int, bool] = {}


_MEMOS: weakref.WeakKeyDictionary[Context, _Memo] = weakref.WeakKeyDictionary()


def left_app_context(
    context: Context, record: TryRecord, receivers: list[ast.expr], body: Optional[list[ast.stmt]] = None,
    flask: bool = False,
) -> bool:
    """Whether the `try` body (or the part of it that works on the session: `body`) is made of
    `with <app>.app_context():` (or `test_request_context()`) blocks alone, and the work is on
    Flask-SQLAlchemy's session: leaving the block (the error does) ends the application
    context, and Flask-SQLAlchemy removes its session, failed or not, before a handler runs.
    Or of `with transaction.manager:` blocks alone, the work on a zope.sqlalchemy session:
    leaving the block aborts zope's transaction, which rolls back and closes the session.
    `flask`: a function of another module worked on Flask-SQLAlchemy's session too."""
    if not (receivers or flask):
        return False
    if body is None:
        body = record.node.body
    if all(flask_session(context, r, record.scope) for r in receivers):
        return bool(body) and all(
            isinstance(statement, ast.With) and enters_app_context(statement) for statement in body
        )
    # `with transaction.manager:` aborts zope's transaction when the error leaves it, and
    # zope.sqlalchemy rolls back and closes every session joined to it.
    return not flask and all(zope_session(context, r, record.scope) for r in receivers) and all(
        isinstance(statement, ast.With) and any(
            qualified_name(item.context_expr, record.scope) == "transaction.manager" for item in statement.items
        )
        for statement in record.node.body
    )


def app_context_ends(
    context: Context, record: TryRecord, handler: ast.ExceptHandler, receivers: list[ast.expr], flask: bool = False
) -> bool:
    """Whether the `try` is the last thing a `with app.app_context():` block around it runs (no
    loop of the block holds it), the work on Flask-SQLAlchemy's session: when the handler is
    done the block ends, and Flask-SQLAlchemy removes the session, failed or not.  The handler
    and the `finally` must be harmless (a log line; not a query through the failed session).
    `flask`: a function of another module worked on Flask-SQLAlchemy's session too."""
    function = record.scope.node
    if not (receivers or flask) or not isinstance(function, ast.FunctionDef):
        return False
    if not all(flask_session(context, r, record.scope) for r in receivers):
        return False
    for with_node, tail, straight in record.withs:
        if tail and straight and enters_app_context(with_node):
            reader = _reader(context, context, function, record.scope)
            return reader.block(handler.body) and reader.block(record.node.finalbody)
    return False


def enters_app_context(statement: ast.With | ast.AsyncWith) -> bool:
    """`with app.app_context():`, `with app.test_request_context():`."""
    return any(
        isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
        and item.context_expr.func.attr in _APP_CONTEXTS
        for item in statement.items
    )


def _memo(context: Context) -> _Memo:
    found = _MEMOS.get(context)
    if found is None:
        found = _MEMOS[context] = _Memo()
    return found


# Calls that leave the process (SQS301's `NO_RETURN` holds them too) ...
EXITS = frozenset({"builtins.exit", "builtins.quit", "sys.exit", "os._exit", "os.abort"})
# ... or replace it: what follows a `try` up to one of them runs, then nothing does.
_ENDS_PROCESS = EXITS | {
    "os.execl", "os.execle", "os.execlp", "os.execlpe", "os.execv", "os.execve", "os.execvp", "os.execvpe",
}


def raises_after(context: Context, record: TryRecord) -> bool:
    """Whether what follows the `try` is a `raise` (or a call that ends the process, `os.execle(...)`,
    `sys.exit(1)`), after harmless statements only (a log line:
    `logger.error(f"failed: {e!s}")`, then `raise`), in its block or, from the end of an `if`
    block, after that `if`: a handler that falls through to it lets an error leave the function
    as if it re-raised.  Asked of a `try` of a function; one at a module's or a class's top
    counts only a `raise` right after it."""
    if isinstance(record.following, ast.Raise):
        return True
    function = record.scope.node
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    reader = _reader(context, context, function, record.scope)
    node: ast.stmt = record.node
    while True:
        place = reader.places.get(id(node))
        if place is None:
            return False
        block, index, owner, role = place
        if reader.raises_from(block, index + 1):
            return True
        # The end of an `if` block (harmlessly reached) goes on after the `if`; the end of a loop's
        # body to its next round, of a `with` through its exit, of a `try` through its `else`.
        if owner is None or role != "body" or not reader.falls_through_from(block, index + 1):
            return False
        node = owner


def _reader(
    context: Context, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
    strict: bool = False,
) -> _Reader:
    readers = _memo(context).readers
    key = (id(knowledge), id(function), strict)
    found = readers.get(key)
    if found is None:
        found = readers[key] = _Reader(knowledge, function, scope, strict, _memo(context).functions)
    return found


class _Reader:
    """What runs after a statement of one function, and whether each statement is harmless: it
    cannot reach the database, nor read an attribute of an object that might load from it.

    `strict`, for the code that runs after the error: what it files for the reply (in a container,
    or in `flash()`) must be text (`str(e)`, a format, a constant), not an object.  The caught
    error itself would make the view's `jsonify()` (or the saving of Flask's cookie session)
    raise, and the application's error handler then renders its page, whose context
    processors may query through the failed session.
    """

    def __init__(
        self, knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, strict: bool,
        functions: dict[tuple[str, int], bool],
    ) -> None:
        self.knowledge = knowledge
        self.scope = scope
        self.strict = strict
        # id(statement) -> (its block, its index there, the compound statement that holds the block
        # (None for the function's body), what the block is to it: "body", "loop", "with",
        # "try", "handler", "else", "final")
        self.places: dict[int, tuple[list[ast.stmt], int, Optional[ast.stmt], str]] = {}
        self.suffixes: dict[int, list[bool]] = {}  # id(block) -> whether block[i:] is harmless, each i
        # id(block) -> whether block[i:] reaches a `raise` through harmless statements, each i
        self.raising: dict[int, list[bool]] = {}
        self.through: dict[int, list[bool]] = {}  # id(block) -> `falls_through_from` each i
        self.harmless: dict[int, bool] = {}
        self.needed: dict[int, Optional[frozenset[str]]] = {}  # id(statement) -> `needs`
        self.tests: dict[int, bool] = {}  # id(an `if` test) -> `simple_test`
        self.names: dict[tuple[str, str], bool] = {}  # ("plain" or "text", name) -> the answer
        self.caught: dict[str, int] = {}  # name -> how many `except ... as name` bind it
        # ("reply" or "text", a called name) -> whether it is a project function that builds a
        # reply (`builds_reply`), or text (`formats_text`)
        self.callees: dict[tuple[str, str], bool] = {}
        self.functions = functions  # the same about each function, shared by the check's readers
        # The parameters a Flask view's route fills from its URL (`@api.route("/add/<email>")`):
        # text or numbers that werkzeug's converters made.
        self.url_values = frozenset(
            match.group(1)
            for decorator in function.decorator_list
            if isinstance(decorator, ast.Call) and decorator.args and isinstance(decorator.args[0], ast.Constant)
            and isinstance(decorator.args[0].value, str) and _route(knowledge, decorator, scope)
            for match in _URL_VARIABLE.finditer(decorator.args[0].value)
        )
        self._place(function.body, None, "body")

    def _place(self, block: list[ast.stmt], owner: Optional[ast.stmt], role: str) -> None:
        stack = [(block, owner, role)]
        while stack:
            block, owner, role = stack.pop()
            for index, statement in enumerate(block):
                self.knowledge.steps += 1
                self.places[id(statement)] = (block, index, owner, role)
                if isinstance(statement, NESTED_CODE):
                    continue
                if isinstance(statement, _LOOPS):
                    stack += [(statement.body, statement, "loop"), (statement.orelse, statement, "loop")]
                elif isinstance(statement, _WITHS):
                    stack.append((statement.body, statement, "with"))
                elif isinstance(statement, TRY_NODES):
                    stack += [(statement.body, statement, "try"), (statement.orelse, statement, "else"),
                              (statement.finalbody, statement, "final")]
                    stack += [(h.body, statement, "handler") for h in statement.handlers]
                    for handler in statement.handlers:
                        if handler.name:
                            self.caught[handler.name] = self.caught.get(handler.name, 0) + 1
                elif isinstance(statement, ast.If):
                    stack += [(statement.body, statement, "body"), (statement.orelse, statement, "body")]
                elif isinstance(statement, ast.Match):
                    stack += [(case.body, statement, "body") for case in statement.cases]

    def after(self, statement: ast.stmt, returning: bool = False) -> bool:
        """Whether everything of the function that may run after `statement` is harmless (and
        `statement` sits in no loop or `with`); when `statement` returns from the function
        (`returning`), only the `finally` blocks around it run after it (it may sit in a loop,
        which the `return` leaves; not in a `with`, whose exit runs)."""
        node: ast.stmt = statement
        while True:
            place = self.places.get(id(node))
            if place is None:
                return False
            block, index, owner, role = place
            if not returning and not self._from(block, index + 1):
                return False
            if owner is None:
                return True
            if role == "with" or (role == "loop" and not returning):
                return False  # (a `return` leaves a loop at once, but runs a `with`'s exit)
            if role in ("try", "handler", "else"):
                assert isinstance(owner, TRY_NODES)
                if not returning and role == "try" and (
                    not all(self.block(h.body) for h in owner.handlers) or not self.block(owner.orelse)
                ):
                    return False
                if not self.block(owner.finalbody):
                    return False
            node = owner

    def block(self, block: list[ast.stmt]) -> bool:
        return self._from(block, 0)

    def falls_through_from(self, block: list[ast.stmt], start: int) -> bool:
        """Whether `block[start:]` is made of harmless simple statements (no `return`, `break` or
        `continue`, nothing compound): running it reaches the end of the block."""
        return self._suffix(self.through, block, start, True, lambda statement, rest: (
            rest and isinstance(statement, _SIMPLE) and self.statement(statement)
        ))

    def raises_from(self, block: list[ast.stmt], start: int) -> bool:
        """Whether `block[start:]` reaches a `raise` through harmless simple statements (a
        `return` on the way, or an `if` that may return, leaves before the `raise`)."""
        return self._suffix(self.raising, block, start, False, lambda statement, rest: (
            isinstance(statement, ast.Raise) or self._ends_process(statement)
            or (rest and isinstance(statement, _SIMPLE) and self.statement(statement))
        ))

    def _ends_process(self, statement: ast.stmt) -> bool:
        """`os.execle(...)` (the process is replaced: catuserbot's restart), `sys.exit(1)`, `os._exit(0)`."""
        if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
            return False
        return qualified_name(statement.value.func, self.scope) in _ENDS_PROCESS

    def _from(self, block: list[ast.stmt], start: int) -> bool:
        """Whether `block[start:]` is harmless."""
        return self._suffix(
            self.suffixes, block, start, True, lambda statement, rest: rest and self.statement(statement)
        )

    def _suffix(
        self, memo: dict[int, list[bool]], block: list[ast.stmt], start: int, end: bool,
        step: Callable[[ast.stmt, bool], bool],
    ) -> bool:
        """A question about `block[start:]`, answered for every `start` at once from the block's
        end (`end`: the answer for nothing left; `step`: the answer for a statement and what
        follows it, given the answer for what follows), once per block: each `try`, handler or
        statement that asks about the rest of a block costs nothing more."""
        answers = memo.get(id(block))
        if answers is None:
            answers = [end] * (len(block) + 1)
            for index in range(len(block) - 1, -1, -1):
                self.knowledge.steps += 1
                answers[index] = step(block[index], answers[index + 1])
            memo[id(block)] = answers
        return answers[start] if start < len(answers) else end

    def statement(self, node: ast.stmt) -> bool:
        found = self.harmless.get(id(node))
        if found is None:
            self.knowledge.steps += 1
            found = self.harmless[id(node)] = self._statement(node)
        return found

    def _statement(self, node: ast.stmt) -> bool:
        if isinstance(node, (ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom)):
            return True  # (an import in a handler: `from app.logging import log`)
        if isinstance(node, ast.Expr):
            return self.expr(node.value)
        if isinstance(node, ast.Return):
            return node.value is None or self.expr(node.value)
        if isinstance(node, ast.Assign):
            return all(self.target(t) for t in node.targets) and self.expr(node.value)
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            return self.target(node.target) and (node.value is None or self.expr(node.value))
        if isinstance(node, ast.If):
            return self.expr(node.test) and self.block(node.body) and self.block(node.orelse)
        if isinstance(node, ast.For):
            return (
                self.target(node.target) and self.expr(node.iter) and self.block(node.body) and self.block(node.orelse)
            )
        return False

    def target(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return True
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(self.target(e) for e in node.elts)
        if isinstance(node, ast.Starred):
            return self.target(node.value)
        if isinstance(node, ast.Subscript):
            return isinstance(node.value, (ast.Name, ast.Subscript)) and self.expr(node.value) and self.expr(node.slice)
        if (
            isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id not in self.scope.declared and self._reply_name(node.value.id)
        ):
            return True  # `resp.status_code = 500`, `resp` a reply made here
        return _response_field(node)  # Pyramid's `request.response.status = 400`

    def _reply_name(self, name: str) -> bool:
        """A local name bound only to the result of harmless calls (`resp = json_result(...)`, a
        reply the function makes): setting a field of it reads nothing of the database."""
        bindings = self.scope.names.get(name)
        return bool(bindings) and self._remembered("reply", name, lambda: all(
            b.kind == "assign" and isinstance(b.value, ast.Call) and self.call(b.value) for b in bindings or ()
        ))

    def expr(self, node: ast.expr) -> bool:
        """Harmless to evaluate: it calls nothing that may reach the database and reads no
        attribute (an expired ORM attribute loads)."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id != "current_user"  # Flask-Login's user: its attributes may load
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self.expr(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(k is None or self.expr(k) for k in node.keys) and all(self.expr(v) for v in node.values)
        if isinstance(node, ast.Subscript):
            return self.expr(node.value) and self.expr(node.slice)
        if isinstance(node, ast.Starred):
            return self.expr(node.value)
        if isinstance(node, (ast.BoolOp, ast.Compare, ast.UnaryOp, ast.IfExp)):
            return all(self.expr(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
        if isinstance(node, (ast.BinOp, ast.JoinedStr)):  # `"%s" % x`, f"{x}" format their operands
            return self.plain(node)
        if isinstance(node, ast.Call):
            return self.call(node) or self._request_data(node)
        if isinstance(node, ast.Slice):
            return all(part is None or self.expr(part) for part in (node.lower, node.upper, node.step))
        if isinstance(node, ast.Attribute):
            return (
                (node.attr not in _SESSION_ATTRIBUTES and self._static(node.value)) or self._own_field(node)
                or self._request_data(node)
            )
        return False

    def _request_data(self, node: ast.expr) -> bool:
        """What a Flask view reads from its request (`request.args.get("q")`, `request.get_json()
        ["name"]`, `request.form.to_dict()`), or a local name bound only to such: plain values,
        which no session loads, whose formatting reads nothing of the database."""
        while True:
            if isinstance(node, ast.Subscript):
                if not self.expr(node.slice):
                    return False
                node = node.value
            elif isinstance(node, ast.Call):
                func = node.func
                arguments = [*node.args, *(k.value for k in node.keywords)]
                if not isinstance(func, ast.Attribute) or not all(self.plain(a) for a in arguments):
                    return False
                if func.attr in _REQUEST_METHODS:
                    return qualified_name(func.value, self.scope) == "flask.request"
                if func.attr not in _REQUEST_DATA_METHODS:
                    return False
                node = func.value
            elif isinstance(node, ast.Attribute):
                return node.attr in _REQUEST_DATA and qualified_name(node.value, self.scope) == "flask.request"
            elif isinstance(node, ast.Name):
                bindings = self.scope.names.get(node.id)
                return bool(bindings) and self._remembered("request", node.id, lambda: all(
                    b.kind == "assign" and isinstance(b.value, ast.expr) and self._request_data(b.value)
                    for b in bindings or ()
                ))
            else:
                return False

    def _own_field(self, node: ast.Attribute) -> bool:
        """The caught error's traceback (`traceback.format_exception(e, e, e.__traceback__)`),
        or the status a Pyramid view has set on its response (`request.response.status`)."""
        return (
            node.attr == "__traceback__" and isinstance(node.value, ast.Name)
            and node.value.id in self.scope.names and self._caught(node.value.id)
        ) or _response_field(node)

    def _static(self, node: ast.expr) -> bool:
        """A module or class imported from outside the project (`HTTPBadRequest` of
        `HTTPBadRequest.code`): reading its attributes loads nothing through a session.  Not a
        project's (its models: `User.query`, iterated by `list(...)`, runs a query; its
        modules: `app.db.session`), nor anything read through `query` or `session`."""
        if isinstance(node, ast.Attribute):
            return node.attr not in _SESSION_ATTRIBUTES and self._static(node.value)
        if not isinstance(node, ast.Name):
            return False
        binding = single_binding(self.scope.lookup(node.id))
        if binding is None or binding.kind != "import" or not isinstance(binding.value, str):
            return False
        imported = binding.value.rpartition(".")[2]
        if not ((imported[:1].isupper() and not imported.isupper()) or binding.value == node.id):
            return False
        project = self.knowledge.project
        return project is None or (
            project.function_module(binding.value, self.knowledge) is None
            and project.function_module(binding.value + "._", self.knowledge) is None
        )

    def call(self, node: ast.Call, needed: Optional[set[str]] = None) -> bool:
        """Whether the call is harmless; with `needed`, also when some of its arguments are local
        names that would have to hold text (added to `needed`)."""
        func = node.func
        arguments = [*node.args, *(k.value for k in node.keywords)]
        qualified = qualified_name(func, self.scope)

        def each(check: Callable[[ast.expr], bool]) -> bool:
            for argument in arguments:
                if check(argument):
                    continue
                if needed is None or not isinstance(argument, ast.Name) or argument.id not in self.scope.names:
                    return False
                needed.add(argument.id)
            return True

        if qualified in _HARMLESS_CALLS:
            return each(self.rendered if self.strict and qualified in _REPLIES else self.expr)
        if qualified == "json.dumps":
            return each(self.rendered)  # JSON text of text, numbers, and dicts and lists of them
        if qualified in _FORMATTING_CALLS or self._logging(func, qualified):
            return each(self.plain)
        if isinstance(func, ast.Attribute):
            if func.attr in _STRING_METHODS and isinstance(func.value, ast.Constant):
                return each(self.plain)  # `"{}".format(e)`, `"".join(lines)`
            if func.attr in _TEXT_METHODS and not arguments:  # `e.__str__()`
                return self.plain(func.value)
            if func.attr in _CONTAINER_METHODS and self._container(func.value):
                return each(self.text if self.strict else self.expr)
        if isinstance(func, ast.Name) and all(k.arg for k in node.keywords):
            if self._callee("reply", func.id, builds_reply):
                # A project function that builds the reply from what it is handed (`return
                # response_error(str(e))`): harmless when that is text.
                return each(self.rendered if self.strict else self.plain)
            if self._callee("text", func.id, formats_text):
                return each(self.plain)  # it makes text of what it is handed (`message(str(e))`)
            if self._callee("log", func.id, logs_only):
                return each(self.plain)  # it logs what it is handed (`log(e)`)
        return False

    def needs(self, node: ast.stmt) -> Optional[frozenset[str]]:
        """The local names that must hold text for the statement to be harmless (none when it is
        harmless as it is: `logger.error(log)` needs `log`, `return response_error(logs)` needs
        `logs`); None when no text would make it so.  Worked out once per statement."""
        key = id(node)
        if key not in self.needed:
            self.knowledge.steps += 1
            found: Optional[frozenset[str]] = None
            if self.statement(node):
                found = frozenset()
            elif isinstance(node, (ast.Expr, ast.Return)) and isinstance(node.value, ast.Call):
                names: set[str] = set()
                if self.call(node.value, names):
                    found = frozenset(names)
            self.needed[key] = found
        return self.needed[key]

    def simple_test(self, node: ast.expr) -> bool:
        """A short test of names and constants that calls nothing (`if has_error:`, `if data is
        None:`, `if not (ok and rows):`), which `truth` may answer: read once per test."""
        key = id(node)
        if key not in self.tests:
            self.knowledge.steps += 1
            nodes = 0
            simple = True
            for part in ast.walk(node):
                nodes += 1
                if nodes > _TEST_NODES or not isinstance(part, _TEST_PARTS) or (
                    isinstance(part, ast.Name) and part.id == "current_user"
                ):
                    simple = False
                    break
            self.tests[key] = simple
        return self.tests[key]

    def _callee(
        self, question: str, name: str, judge: Callable[[ModuleKnowledge, ast.FunctionDef], bool]
    ) -> bool:
        """Whether the called `name` is a project function that `judge` accepts: each name
        resolved once per reader, each function judged once per check."""
        found = self.callees.get((question, name))
        if found is None:
            defined = _project_function(self.knowledge, name, self.scope)
            found = False
            if defined is not None:
                key = (question, id(defined[1]))
                if key not in self.functions:
                    self.functions[key] = judge(*defined)
                found = self.functions[key]
            self.callees[(question, name)] = found
        return found

    def _logging(self, func: ast.expr, qualified: Optional[str]) -> bool:
        if qualified is not None and (qualified.startswith("logging.") or qualified in _REPORTING):
            return True
        if not isinstance(func, ast.Attribute) or func.attr not in _LOG_METHODS:
            return False
        logger = func.value
        if isinstance(logger, ast.Name):
            return logger.id in _LOGGERS
        # `current_app.logger`, an app's (`app.logger`, `app.app.logger`): a `logging.Logger`
        return isinstance(logger, ast.Attribute) and logger.attr in _LOGGERS and isinstance(
            logger.value, (ast.Name, ast.Attribute)
        )

    def _root(self, node: ast.expr) -> Optional[ast.Name]:
        """The name a chain of lookups starts from (`messages` of `messages["error"][0]`), when
        every key is harmless; None otherwise."""
        while isinstance(node, ast.Subscript):
            if not self.expr(node.slice):
                return None
            node = node.value
        return node if isinstance(node, ast.Name) else None

    def _container(self, node: ast.expr) -> bool:
        """A dict, list or set literal of this function (`messages`, `messages["error"]`)."""
        root = self._root(node)
        if root is None:
            return False
        bindings = self.scope.names.get(root.id) or []
        return bool(bindings) and all(
            b.kind == "assign" and isinstance(b.value, (ast.Dict, ast.List, ast.Set)) and self.expr(b.value)
            for b in bindings
        )

    def rendered(self, node: ast.expr) -> bool:
        """What a renderer may write without reading an object: text, and dicts and lists of it."""
        if isinstance(node, ast.Dict):
            return all(k is not None and self.text(k) for k in node.keys) and all(self.rendered(v) for v in node.values)
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.rendered(e) for e in node.elts)
        return (isinstance(node, ast.Constant) and node.value is None) or self.text(node)

    def text(self, node: ast.expr) -> bool:
        """Harmless, and a string or a number made here: a constant, a format (`str(e)`,
        `"{}".format(e)`, an f-string, `"%s" % e`), a lookup in a table of them
        (`TRANSLATIONS["add"]["title"]`), or a name bound only to such; not an object."""
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            return self.plain(node)
        if isinstance(node, ast.BinOp):
            return self.plain(node) and (
                (isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant))
                or (self.text(node.left) and self.text(node.right))
            )
        if isinstance(node, ast.Call):
            return self.plain(node)  # (a plain call is a format)
        if isinstance(node, ast.Subscript):
            return self.plain(node)
        if isinstance(node, ast.Name):
            return self._text_name(node.id)
        return _response_field(node)  # `{'status': request.response.status}`

    def _text_name(self, name: str) -> bool:
        bindings = self.scope.names.get(name) or []
        return self._remembered("text", name, lambda: bool(bindings) and all(
            (b.kind == "assign" and isinstance(b.value, ast.expr) and (self.holds_str(b.value) or self.text(b.value)))
            or (b.kind == "param" and name in self.url_values)  # (a string or a number of the URL)
            for b in bindings
        ))

    def _remembered(self, question: str, name: str, answer: Callable[[], bool]) -> bool:
        """`answer()` about the name `name`, worked out once; no while it is being worked out
        (`msg = msg + "x"` asks it of itself)."""
        key = (question, name)
        if key not in self.names:
            self.names[key] = False
            self.names[key] = answer()
        return self.names[key]

    def plain(self, node: ast.expr) -> bool:
        """Harmless, and formatting it cannot run an ORM object's `__str__`: constants, strings
        made of such, the caught error, names bound only to such."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(
                self.plain(v.value) if isinstance(v, ast.FormattedValue) else True for v in node.values
            )
        if isinstance(node, ast.BinOp):
            return self.plain(node.left) and self.plain(node.right)
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):  # `text[:-1]`: a part of plain text
                return self.plain(node.value) and self.expr(node.slice)
            return self._plain_lookup(node) or self._request_data(node)  # `TRANSLATIONS['add']['title']`
        if isinstance(node, ast.Attribute):
            return self._own_field(node) or self._request_data(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(self.plain(e) for e in node.elts)
        if isinstance(node, ast.Call):
            qualified = qualified_name(node.func, self.scope)
            if qualified in _TEXT_CALLS:  # `url_for("x") + "#part"`; what it formats must be plain too
                return self.call(node) and all(self.plain(a) for a in [*node.args, *(k.value for k in node.keywords)])
            return (self.call(node) and (
                qualified in _FORMATTING_CALLS
                or (isinstance(node.func, ast.Attribute) and node.func.attr in (*_STRING_METHODS, *_TEXT_METHODS))
                or (isinstance(node.func, ast.Name) and self._callee("text", node.func.id, formats_text))
            )) or self._request_data(node)
        if isinstance(node, ast.Name):
            return self._plain_name(node.id)
        return False

    def _plain_lookup(self, node: ast.Subscript) -> bool:
        """A lookup in a table of the module (`TRANSLATIONS["add"]["title"]`: imported or global),
        or in a literal of the function made of plain values; not an item of any other
        container (`users[0]` may be an ORM object)."""
        root = self._root(node)
        if root is None:
            return False
        bindings = self.scope.names.get(root.id)
        if bindings is None:
            return root.id != "current_user"
        return all(b.kind == "assign" and isinstance(b.value, ast.expr) and self.plain(b.value) for b in bindings)

    def _plain_name(self, name: str) -> bool:
        bindings = self.scope.names.get(name)
        if bindings is None:
            return False  # a global or an import: it may be anything
        return self._remembered("plain", name, lambda: all(
            (b.kind == "other" and self._caught(name))
            or (b.kind == "param" and name in self.url_values)
            or (
                b.kind == "assign" and isinstance(b.value, ast.expr)
                and (self.holds_str(b.value) or self.plain(b.value))
            )
            for b in bindings
        ))

    def holds_str(self, node: ast.expr) -> bool:
        """Whether the value, whatever it is made of, is a `str` (or raises): a string constant, an
        f-string, `"%s" % x`, `"{}".format(x)`, `"".join(xs)`, `str(x)`, `repr(x)`, a slice or a sum
        of such.  A name bound only to such holds text wherever it was bound (`language =
        "{0}/{1}".format(ids[0], ids[1])` before the `try`): formatting it again runs no `__str__`
        of an object.  (Evaluating such a value is judged where it runs, as any statement is.)"""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mod):
                return isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
            return isinstance(node.op, ast.Add) and self.holds_str(node.left) and self.holds_str(node.right)
        if isinstance(node, ast.Subscript):
            return isinstance(node.slice, ast.Slice) and self.holds_str(node.value)
        if isinstance(node, ast.IfExp):
            return self.holds_str(node.body) and self.holds_str(node.orelse)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                return func.attr in _STRING_METHODS and isinstance(func.value, ast.Constant) and isinstance(
                    func.value.value, str
                )
            return qualified_name(func, self.scope) in ("builtins.str", "builtins.repr")
        return False

    def _caught(self, name: str) -> bool:
        """Whether every binding of `name` in the function is an `except ... as name`."""
        return self.caught.get(name, 0) == len(self.scope.names.get(name, ()))


def _response_field(node: ast.expr) -> bool:
    """`request.response.status` (or `status_code`, `status_int`): a Pyramid view's response's
    status, which it may set and read back."""
    return (
        isinstance(node, ast.Attribute) and node.attr in _RESPONSE_FIELDS and isinstance(node.value, ast.Attribute)
        and node.value.attr == "response" and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "request"
    )


def _returned(reader: _Reader, handler: ast.ExceptHandler) -> Optional[_Returned]:
    """What the helper hands back when `handler` ends it by `return`, as its callers can test it
    (`sentinel_of`), and which of its parts are text made in the handler (`return True,
    f"cannot add {name}"`, `return None, str(e)`); None when it hands back nothing a caller
    could test."""
    found = handler_sentinel(handler)
    last = handler.body[-1] if handler.body else None
    if found is None or not isinstance(last, ast.Return) or last.value is None:
        return None
    parts = last.value.elts if found[0] == "tuple" and isinstance(last.value, ast.Tuple) else [last.value]
    return found, tuple(reader.text(part) for part in parts)


def _callers_end_requests(context: Context, function: ast.FunctionDef, returned: Optional[_Returned]) -> bool:
    """Whether the helper `function` of the checked module is called, and every call of it in the
    project (but its tests) ends a Flask request without touching the session (on the path where
    it hands back `returned`, when that is known)."""
    project = context.project
    if project is None or not context.filename or not context.module_name:
        return False
    absolute = f"{context.module_name}.{function.name}"
    memo = _memo(context).callers
    returned = bounded(_memo(context).asked, absolute, returned)
    key = (absolute, returned)
    if key not in memo:
        memo[key] = False  # (no recursion reaches here again, but stay safe)
        memo[key] = _read_callers(context, function, absolute, returned)
    return memo[key]


def _read_callers(context: Context, function: ast.FunctionDef, absolute: str, returned: Optional[_Returned]) -> bool:
    project = context.project
    assert project is not None
    found = _project_files(context)
    if found is None or _works_after_views(project, found):
        return False
    files = referencing(found, function.name, stars=True)
    here = os.path.abspath(context.filename)
    folder = project.folder() or ""
    calls = _calls_in(context, context, function, function.name, absolute, returned)  # as checked (an editor's buffer)
    if calls is None:
        return False
    for path, _ in files:
        if os.path.abspath(path) == here or is_project_test(path, folder):
            continue
        knowledge = project.knowledge(path, project.module_name_of(path))
        if knowledge is None:
            return False
        more = _calls_in(context, knowledge, None, function.name, absolute, returned)
        if more is None:
            return False
        calls += more
    return calls > 0


# What may use the session after a view returns and before Flask-SQLAlchemy removes it: the
# project's `after_request` and teardown functions (a teardown that raises skips the removal),
# and Flask-Session's SQLAlchemy store, which saves the request's session through it.  Each is
# looked for as code registers it (an attribute of the app or a blueprint, a call, an
# assignment), so that the bare word in a comment or a string does not count.
_AFTER_VIEW_WORDS = (
    "after_request", "after_app_request", "teardown_", "after_this_request", "SESSION_TYPE",
    "SESSION_SQLALCHEMY", "SqlAlchemySessionInterface",
)
_AFTER_VIEW = re.compile(
    r"\.\s*(?:after_(?:app_)?request|teardown_(?:app_)?request|teardown_appcontext)\b"
    r"|\bafter_this_request\s*\(|\bSqlAlchemySessionInterface\s*\("
    r"|\bSESSION_SQLALCHEMY\W{0,6}[:=]|\bSESSION_TYPE\W{0,6}[:=]\s*['\"]sqlalchemy['\"]",
    re.IGNORECASE,
)


def _project_files(context: Context) -> Optional[list[tuple[str, str]]]:
    """The project files (path, text) that name a module-level function of the checked module
    holding a `try` (every helper that may be asked about), or one of the hooks that run after a
    view: one read of the project's folder for every helper of the module (None when it cannot
    be read)."""
    project = context.project
    assert project is not None
    names = sorted({
        r.scope.node.name for r in context.tries
        if r.scope.parent is context.module and isinstance(r.scope.node, ast.FunctionDef)
    })
    words = (*names, *_AFTER_VIEW_WORDS)
    return project.fact("request-end:" + os.path.abspath(context.filename) + ":" + ",".join(names),
                        lambda project: project.files_mentioning(words))


def _works_after_views(project: Project, files: list[tuple[str, str]]) -> bool:
    """Whether some project file but the tests may use the session between a view's return and
    its removal."""
    def read(project: Project) -> bool:
        folder = project.folder() or ""
        return any(
            not is_project_test(path, folder) and _registers_work_after_views(text)
            for path, text in files
        )

    return project.fact("request-end:after-views", read)


_TEARDOWNS = frozenset({"teardown_appcontext", "teardown_request", "teardown_app_request"})
_ENDING_METHODS = frozenset({"remove", "close", "rollback"})


def _registers_work_after_views(text: str) -> bool:
    """Whether a module's text registers a hook that may use the session after a view: any the
    pattern finds, but teardown functions that only end the session (`@app.teardown_appcontext`
    over `db.session.remove()`: they do what Flask-SQLAlchemy's own teardown does)."""
    found = len(_AFTER_VIEW.findall(text))
    if not found:
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return True
    harmless = sum(
        1 for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and len(node.decorator_list) == 1
        and isinstance(node.decorator_list[0], ast.Attribute) and node.decorator_list[0].attr in _TEARDOWNS
        and (_only_ends_session(node.body) or _ends_session_first(node.body))
    )
    return harmless < found


def _ends_session_first(block: list[ast.stmt]) -> bool:
    """Whether the first statement of a teardown (its docstring aside) ends the session, alone or
    as the first statement of a `try` (`try: db.session.remove() except RuntimeError: pass`):
    whatever follows (a log line, a print) cannot reach the failed session, which is gone (a
    later use of `db.session` gets a new one).  Not an `if`: a view that swallowed its error
    hands the teardown no exception."""
    body = [s for s in block if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body:
        return False
    first = body[0]
    if isinstance(first, TRY_NODES):
        first = first.body[0]
    # (a call: `pass`, which `_only_ends_session` lets by, ends nothing)
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Call) and _only_ends_session([first])


def _only_ends_session(block: list[ast.stmt]) -> bool:
    """Statements that only end the session: `db.session.remove()`, `Session.remove()`,
    `db.session.close()`, a rollback, under `if exception:` or not, a docstring, `pass`."""
    for statement in block:
        if isinstance(statement, ast.Pass) or (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        ):
            continue
        if isinstance(statement, ast.If) and not any(isinstance(n, ast.Call) for n in ast.walk(statement.test)):
            if _only_ends_session(statement.body) and _only_ends_session(statement.orelse):
                continue
            return False
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (
            isinstance(call, ast.Call) and not call.args and not call.keywords
            and isinstance(call.func, ast.Attribute) and call.func.attr in _ENDING_METHODS
            and isinstance(call.func.value, (ast.Name, ast.Attribute))
        ):
            return False
    return True


# What builds a Flask reply from plain values (`app.response_class(...)` too).
_REPLY_MAKERS = frozenset(
    {
        "flask.jsonify", "flask.make_response", "flask.Response", "flask.wrappers.Response",
        "werkzeug.Response", "werkzeug.wrappers.Response",
    }
)


def builds_reply(knowledge: ModuleKnowledge, function: ast.FunctionDef, depth: int = 0) -> bool:
    """Whether a project function only builds a reply from its arguments (iris-web's
    `response_error(msg, data=None, status=400)`): undecorated, its defaults constants, its
    body assignments of values made of its parameters and constants, then `return` of a reply
    (`jsonify(...)`, `make_response(...)`, `Response(...)`, `app.response_class(...)`, given
    such values or `json.dumps(...)` of them), with such values beside it in a tuple.  Handed
    text, it cannot reach the database: a JSON encoder class it names (`cls=AlchemyEncoder`)
    is asked only about values `json` cannot write itself."""
    signature = _plain_signature(function)
    if signature is None:
        return False
    known, body, value = signature
    made: set[str] = set()  # names bound to a reply made here (`response = jsonify(...)`)
    for statement in body:
        knowledge.steps += 1
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            return False
        target = statement.targets[0]
        assigned = statement.value
        if isinstance(target, ast.Name) and (_made_of(assigned, known) or _json_of(knowledge, assigned, known)):
            known.add(target.id)  # (text: `stringified = json.dumps(dictionary, cls=DateTimeEncoder)`)
        elif isinstance(target, ast.Name) and _reply_call(knowledge, statement.value, known, depth):
            made.add(target.id)
        elif not (
            isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in made
            and _made_of(statement.value, known)
        ):
            return False  # (`response.status_code = status_code` sets a field of the reply)
    parts = value.elts if isinstance(value, ast.Tuple) else [value]
    replies = [
        part for part in parts
        if _reply_call(knowledge, part, known, depth) or (isinstance(part, ast.Name) and part.id in made)
    ]
    return bool(replies) and all(part in replies or _made_of(part, known) for part in parts)


def logs_only(knowledge: ModuleKnowledge, function: ast.FunctionDef, depth: int = 0) -> bool:
    """Whether a project function only hands what it is given to a logger (zeeguu's `log(msg)`:
    `logger.info(msg)`): undecorated, its defaults constants, each statement of its body (its
    docstring aside) a call of a logger's method (`logger.info(...)`, `logging.warning(...)`)
    or of `print`, or a report to Sentry, or a call of such a project function in turn
    (zeeguu's `print_and_log_to_sentry(e)`: `log(...)`, `capture_exception(e)`), with values
    made of its parameters and constants.  Handed text, it reads nothing of the database."""
    plain = _plain_parameters(function)
    if plain is None:
        return False
    known, body = plain
    for statement in body:
        knowledge.steps += 1
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not isinstance(call, ast.Call) or not all(
            _made_of(value, known) for value in [*call.args, *(k.value for k in call.keywords)]
        ):
            return False
        func = call.func
        qualified = qualified_name(func, knowledge.module)
        if not (
            qualified in ("print", "builtins.print") or (qualified or "").startswith("logging.")
            or qualified in _REPORTING or (
                isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS
                and isinstance(func.value, ast.Name) and func.value.id in _LOGGERS
            ) or (depth < _MAX_REPLY_HOPS and isinstance(func, ast.Name) and _project_logger(knowledge, func, depth))
        ):
            return False
    return bool(body)


def _project_logger(knowledge: ModuleKnowledge, func: ast.Name, depth: int) -> bool:
    defined = _project_function(knowledge, func.id, knowledge.module)
    return defined is not None and logs_only(*defined, depth + 1)


def formats_text(knowledge: ModuleKnowledge, function: ast.FunctionDef) -> bool:
    """Whether a project function only makes text of its arguments (lingvodoc's `message(text)`,
    which puts the caller's file and line before it): undecorated, its defaults constants, its
    body assignments of values made of its parameters and constants, or of what `traceback` or
    `inspect` tell of the stack (`filename, line, function, _ = traceback.extract_stack()[-2]`),
    then `return` of a string made of those (`"{0}:{1}: {2}".format(filename, line, text)`).
    Handed plain values, it reads nothing of the database, and what it returns is text."""
    signature = _plain_signature(function)
    if signature is None:
        return False
    known, body, returned = signature
    if not _binds_only(
        knowledge, body, known, lambda value: _made_of(value, known) or _stack_value(knowledge, value), unpacks=True
    ):
        return False
    return _str_of(knowledge, returned, known)


def _binds_only(
    knowledge: ModuleKnowledge, body: list[ast.stmt], known: set[str], accepted: Callable[[ast.expr], bool],
    unpacks: bool,
) -> bool:
    """Whether `body` is only assignments of `accepted` values to a name (or, with `unpacks`, to a
    tuple of names), each name then added to `known` for the statements after it."""
    for statement in body:
        knowledge.steps += 1
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and accepted(statement.value)):
            return False
        target = statement.targets[0]
        names = target.elts if unpacks and isinstance(target, ast.Tuple) else [target]
        if not all(isinstance(name, ast.Name) for name in names):
            return False
        known.update(name.id for name in names if isinstance(name, ast.Name))
    return True


def _plain_parameters(function: ast.FunctionDef) -> Optional[tuple[set[str], list[ast.stmt]]]:
    """The parameters of an undecorated function whose defaults are constants (no `*args` or
    `**kwargs`), and its body without its docstring."""
    arguments = function.args
    if function.decorator_list or arguments.vararg or arguments.kwarg:
        return None
    if not all(isinstance(d, ast.Constant) for d in [*arguments.defaults, *arguments.kw_defaults] if d is not None):
        return None
    known = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return known, body


def _plain_signature(function: ast.FunctionDef) -> Optional[tuple[set[str], list[ast.stmt], ast.expr]]:
    """The parameters of an undecorated function whose defaults are constants (no `*args` or
    `**kwargs`), the statements of its body before its last (the docstring aside) and the value
    that last one returns, when it is a `return` of a value."""
    plain = _plain_parameters(function)
    if plain is None:
        return None
    known, body = plain
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return None
    return known, body[:-1], body[-1].value


# Of the standard library, what tells of the running stack, asked with constants only
# (`traceback.extract_stack()[-2]`): names, lines and file names.
_STACK_MODULES = ("traceback.", "inspect.")


def _stack_value(knowledge: ModuleKnowledge, node: ast.expr) -> bool:
    while isinstance(node, ast.Subscript) and isinstance(node.slice, (ast.Constant, ast.UnaryOp)):
        node = node.value
    return (
        isinstance(node, ast.Call) and not node.keywords
        and all(isinstance(a, ast.Constant) for a in node.args)
        and (qualified_name(node.func, knowledge.module) or "").startswith(_STACK_MODULES)
    )


def _str_of(knowledge: ModuleKnowledge, node: ast.expr, known: set[str]) -> bool:
    """A string made of the names `known` and constants, calling only what formats them."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return _made_of(node, known)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod):
            return isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) and _made_of(
                node.right, known
            )
        return isinstance(node.op, ast.Add) and _str_of(knowledge, node.left, known) and _str_of(
            knowledge, node.right, known
        )
    if not isinstance(node, ast.Call) or not all(
        k.arg is not None and _made_of(k.value, known) for k in node.keywords
    ) or not all(_made_of(a, known) for a in node.args):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in _STRING_METHODS and isinstance(func.value, ast.Constant) and isinstance(
            func.value.value, str
        )
    return qualified_name(func, knowledge.module) in ("builtins.str", "builtins.repr")


def _made_of(node: ast.expr, known: set[str]) -> bool:
    """A value made of the names `known` and constants, calling nothing."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in known
    if isinstance(node, ast.Dict):
        return all(k is not None and _made_of(k, known) for k in node.keys) and all(
            _made_of(v, known) for v in node.values
        )
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_made_of(e, known) for e in node.elts)
    if isinstance(node, ast.FormattedValue):
        return _made_of(node.value, known)
    if isinstance(node, (ast.IfExp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.BinOp, ast.JoinedStr)):
        return all(_made_of(c, known) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr))
    return False


def _reply_call(knowledge: ModuleKnowledge, node: ast.expr, known: set[str], depth: int = 0) -> bool:
    if not isinstance(node, ast.Call) or any(k.arg is None for k in node.keywords):
        return False
    func = node.func
    if not (
        (isinstance(func, ast.Attribute) and func.attr == "response_class" and isinstance(func.value, ast.Name))
        or qualified_name(func, knowledge.module) in _REPLY_MAKERS
        or (depth < _MAX_REPLY_HOPS and _project_reply(knowledge, func, depth))
    ):
        return False
    return all(
        _made_of(value, known) or _json_of(knowledge, value, known)
        for value in [*node.args, *(k.value for k in node.keywords)]
    )


def _json_of(knowledge: ModuleKnowledge, node: ast.expr, known: set[str]) -> bool:
    """`json.dumps(value, cls=Encoder)` of a value made of `known` names and constants: text."""
    return (
        isinstance(node, ast.Call) and qualified_name(node.func, knowledge.module) == "json.dumps"
        and all(_made_of(a, known) for a in node.args)
        and all(k.arg and isinstance(k.value, (ast.Name, ast.Constant)) for k in node.keywords)
    )


def _project_reply(knowledge: ModuleKnowledge, func: ast.expr, depth: int) -> bool:
    """A project function that builds a reply in turn (zeeguu's `bad_request(msg)`, which
    returns `make_error(400, msg)`, which returns `jsonify(...)`)."""
    if not isinstance(func, ast.Name):
        return False
    defined = _project_function(knowledge, func.id, knowledge.module)
    return defined is not None and builds_reply(*defined, depth + 1)


def _project_function(
    knowledge: ModuleKnowledge, name: str, scope: Scope
) -> Optional[tuple[ModuleKnowledge, ast.FunctionDef]]:
    """The module and the (not async) function that `name` binds where `scope` sees it, here or
    in a project module it is imported from (`_MAX_HANDED_ON` hops)."""
    resolved = resolve_binding(knowledge, name, scope, _MAX_HANDED_ON)
    if resolved is None or resolved[1].kind != "def" or not isinstance(resolved[1].value, ast.FunctionDef):
        return None
    return resolved[0], resolved[1].value


def resolve_binding(
    knowledge: ModuleKnowledge, name: str, scope: Scope, hops: int
) -> Optional[tuple[ModuleKnowledge, Binding]]:
    """The module and the one binding a name comes from, imports of project modules followed
    (at most `hops` of them)."""
    binding = single_binding(scope.lookup(name))
    for _ in range(hops):
        if binding is None or binding.kind != "import" or not isinstance(binding.value, str):
            break
        project = knowledge.project
        located = project.function_module(binding.value, knowledge) if project is not None else None
        if located is None:
            return None
        path, module, imported = located
        other = project.knowledge(path, module) if project is not None else None
        if other is None:
            return None
        knowledge, binding = other, single_binding(other.module.names.get(imported))
    if binding is None or binding.kind == "import":
        return None
    return knowledge, binding


# A name or attribute of a module, where it is: (the node, its scope, its statement, the call
# it is the callee of, if any).
Reference = tuple[ast.Name | ast.Attribute, Scope, Optional[ast.stmt], Optional[ast.Call]]


def references(context: Context, knowledge: ModuleKnowledge) -> dict[str, list[Reference]]:
    """Every name and attribute of a module, by the name it ends with: walked once per module,
    whatever the number of helpers asked about it."""
    memo = _memo(context).references
    found = memo.get(id(knowledge))
    if found is not None:
        return found
    found = memo[id(knowledge)] = {}
    called: dict[int, ast.Call] = {}
    stack: list[tuple[ast.AST, Scope, Optional[ast.stmt]]] = [(knowledge.tree, knowledge.module, None)]
    while stack:
        node, scope, statement = stack.pop()
        knowledge.steps += 1
        scope = knowledge.scopes.get(node, scope)
        if isinstance(node, ast.stmt):
            statement = node
        if isinstance(node, ast.Call):
            called[id(node.func)] = node
        elif isinstance(node, ast.Name):
            found.setdefault(node.id, []).append((node, scope, statement, called.get(id(node))))
        elif isinstance(node, ast.Attribute):
            found.setdefault(node.attr, []).append((node, scope, statement, called.get(id(node))))
        stack.extend((child, scope, statement) for child in ast.iter_child_nodes(node))
    return found


def _calls_in(
    context: Context, knowledge: ModuleKnowledge, function: Optional[ast.FunctionDef], name: str, absolute: str,
    returned: Optional[_Returned],
) -> Optional[int]:
    """How many calls of the helper `absolute` the module holds, each the whole of a statement of
    a Flask view that ends its request harmlessly after it; None when any use of the helper is
    something else."""
    calls = 0
    for node, scope, statement, call in references(context, knowledge).get(name, ()):
        knowledge.steps += 1
        named = names_function(knowledge, node, scope, function, absolute)
        if named is None:
            return None
        if not named:
            continue
        if call is None or statement is None or not _view_ends_after(
            context, knowledge, call, statement, scope, returned
        ):
            return None
        calls += 1
    return calls


def names_function(
    knowledge: ModuleKnowledge, node: ast.Name | ast.Attribute, scope: Scope,
    function: Optional[ast.FunctionDef | ast.AsyncFunctionDef],
    absolute: str,
) -> Optional[bool]:
    """Whether `node` names the helper `absolute` (defined in this module as `function`, if it is
    the helper's): None when that cannot be told (a name a star import may bring, a chain of
    project modules handing it on too long to follow)."""
    if isinstance(node, ast.Name):
        if not isinstance(node.ctx, ast.Load):
            return False
        bindings = scope.lookup(node.id)
        if not bindings:
            return None if knowledge.module.star_imports else False
        binding = single_binding(bindings)
        if binding is not None and binding.kind == "def":
            return binding.value is function
    qualified = qualified_name(node, scope)
    project = knowledge.project
    if qualified is None or project is None:
        return False
    importer = knowledge
    for _ in range(_MAX_HANDED_ON):
        located = project.function_module(qualified, importer)
        if located is None:
            return False  # not a name of a project module
        path, module, name = located
        if f"{module}.{name}" == absolute:
            return True
        other = project.knowledge(path, module)
        if other is None:
            return None
        binding = single_binding(other.module.names.get(name))
        if binding is None or binding.kind != "import" or not isinstance(binding.value, str):
            return False if binding is not None or not other.module.star_imports else None
        qualified, importer = binding.value, other  # handed on (`from .users import rename`): follow it
    return None


def _is_view(knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> bool:
    """A Flask view: a function under `@app.route(...)` (or `@blueprint.post(...)`), or the HTTP
    method of a class-based view (`def get(self):` of a `MethodView` or a Flask-RESTful or
    Flask-RESTX `Resource`, here or through the module's own classes)."""
    if scope.kind == "class":
        return _class_view(knowledge, function, scope)
    return any(_route(knowledge, d, scope) for d in function.decorator_list)


_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_CLASS_VIEWS = frozenset({
    "flask.views.MethodView", "flask.views.View", "flask_restful.Resource", "flask_restx.Resource",
    "flask_restplus.Resource", "flask.MethodView",
})


def _class_view(knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> bool:
    """The HTTP method (`get`, `post`, ...) of a module-level class that is a Flask class-based
    view: a subclass of `MethodView` or of a Flask-RESTful or Flask-RESTX `Resource`, directly or
    through classes of its module (three deep)."""
    if function.name not in _HTTP_METHODS or scope.parent is not knowledge.module:
        return False
    node = scope.node
    for _ in range(3):
        if not isinstance(node, ast.ClassDef):
            return False
        if any(knowledge.qualified(base, knowledge.module) in _CLASS_VIEWS for base in node.bases):
            return True
        local = [base for base in node.bases if isinstance(base, ast.Name)]
        bindings = [single_binding(knowledge.module.names.get(base.id)) for base in local]
        parents = [b.value for b in bindings if b is not None and b.kind == "class"]
        if len(parents) != 1 or not isinstance(parents[0], ast.ClassDef):
            return False
        node = parents[0]
    return False


def _ends(knowledge: ModuleKnowledge, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> bool:
    """Whether returning from `function` ends what its session serves: a Flask view (the request;
    Flask-SQLAlchemy removes the session) or a command-line command (the process)."""
    return _is_view(knowledge, function, scope) or any(
        command_decorator(knowledge, d, scope) for d in function.decorator_list
    )


def _view_ends_after(
    context: Context, knowledge: ModuleKnowledge, call: ast.Call, statement: ast.stmt, scope: Scope,
    returned: Optional[_Returned],
) -> bool:
    """Whether `call` is the whole of `statement` (`f(...)`, `x = f(...)`, `a, b = f(...)`, or
    `return f(...)`), in a Flask view or a command-line command, and it does nothing harmful
    after it (on the path where the helper hands back `returned`, when that is known:
    `_ends_on_sentinel`)."""
    view = scope.node
    if scope.kind != "function" or not isinstance(view, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if not _ends(knowledge, view, scope.parent or knowledge.module):
        return False
    if not (
        (isinstance(statement, (ast.Expr, ast.Return)) and statement.value is call)
        or (isinstance(statement, ast.Assign) and statement.value is call)
    ):
        return False
    if not isinstance(view, ast.FunctionDef):
        return False
    reader = _reader(context, knowledge, view, scope)
    if isinstance(statement, ast.Assign) and not all(reader.target(t) for t in statement.targets):
        return False
    if returned is not None and isinstance(statement, ast.Assign):
        return _ends_on_sentinel(reader, statement, returned)
    return reader.after(statement)


def _ends_on_sentinel(reader: _Reader, statement: ast.Assign, returned: _Returned) -> bool:
    """Whether, on the path where the helper called by `statement` hands back `returned`, the
    view does nothing harmful before it returns: it binds the result to names bound nowhere else
    (`has_error, logs = helper(...)`), goes on through harmless statements and past tests that
    are then surely false (`if not has_error:`, with no `else`), and returns in the body of one
    that is surely true (`if has_error: return response_error(logs)`) or after them.  The parts
    of the result that are text made in the helper's handler may be handed to a log line or to a
    reply builder.  After `_SENTINEL_STATEMENTS` statements, or at anything else, the rest of
    the view is read as for any path (`_Reader.after`)."""
    sentinel, texts_at = returned
    target = statement.targets[0]
    values = bound_values(target, sentinel) if len(statement.targets) == 1 else None
    if values is None or any(single_binding(reader.scope.names.get(name)) is None for name in values):
        return reader.after(statement)
    tuple_target = isinstance(target, (ast.Tuple, ast.List))
    elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
    texts = {
        element.id for element, text in zip(elements, texts_at) if text and isinstance(element, ast.Name)
    } if tuple_target == (sentinel[0] == "tuple") else set()
    place = reader.places.get(id(statement))
    if place is None:
        return False
    block, index = place[0], place[1]
    last: ast.stmt = statement
    for following in block[index + 1: index + 1 + _SENTINEL_STATEMENTS]:
        if isinstance(following, ast.If):
            answer = truth(following.test, values) if reader.simple_test(following.test) else None
            if answer is True:
                return _returns_harmlessly(reader, following.body, texts)
            if answer is not False or following.orelse:
                break
        elif isinstance(following, ast.Return):
            return _given(reader, following, texts) and reader.after(following, returning=True)
        elif not isinstance(following, _SIMPLE) or not _given(reader, following, texts):
            break
        last = following
    return reader.after(last)


def _returns_harmlessly(reader: _Reader, block: list[ast.stmt], texts: set[str]) -> bool:
    """Whether a block (of at most `_SENTINEL_STATEMENTS`) runs harmless simple statements and
    returns harmlessly, the names `texts` holding text."""
    if not block or len(block) > _SENTINEL_STATEMENTS or not isinstance(block[-1], ast.Return):
        return False
    return all(
        isinstance(statement, (*_SIMPLE, ast.Return)) and _given(reader, statement, texts) for statement in block
    ) and reader.after(block[-1], returning=True)


def _given(reader: _Reader, statement: ast.stmt, texts: set[str]) -> bool:
    """Whether the statement is harmless when the names `texts` hold text."""
    needed = reader.needs(statement)
    return needed is not None and needed <= texts


def _route(knowledge: ModuleKnowledge, decorator: ast.expr, scope: Scope) -> bool:
    """`@app.route(...)`, `@blueprint.post(...)` in a module that imports Flask."""
    if not (
        isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_METHODS
    ):
        return False
    return knowledge.imports_package("flask")
