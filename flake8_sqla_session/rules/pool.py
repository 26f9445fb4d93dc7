"""SQS2xx: engines whose pooled connections outlive the server's idle timeout."""
from __future__ import annotations

import ast
import os
import re
import weakref
from typing import Iterator

from ..context import Context, is_test_path
from ..finding import Finding, Fix, SetKeyword, Span
from ..knowledge.kinds import ENGINES
from ..knowledge.module import parameter_of, returns_and_yields
from ..knowledge.names import Scope, sa_name, single_binding
from ..knowledge.project import Project
from ..settings import Settings
from .base import Invalid, Rule, Valid

DISCONNECT_DOCS = "https://docs.sqlalchemy.org/en/20/core/pooling.html#dealing-with-disconnects"
RECYCLE_DOCS = "https://docs.sqlalchemy.org/en/20/core/pooling.html#setting-pool-recycle"
MYSQL_DOCS = "https://docs.sqlalchemy.org/en/20/dialects/mysql.html#connection-timeouts-and-disconnects"

# Pools that hold no idle connection the server could close under them.
NON_POOLING = frozenset({"NullPool", "StaticPool", "SingletonThreadPool", "AssertionPool"})
_ENGINE_FUNCTIONS = frozenset({"create_engine", "create_async_engine"})


def _sqlalchemy_engine_calls(context: Context) -> Iterator[tuple[ast.Call, Scope]]:
    """SQLAlchemy's (or SQLModel's) `create_engine(...)` / `create_async_engine(...)` calls."""
    for call, scope in context.calls_named(_ENGINE_FUNCTIONS):
        if sa_name(context.qualified(call.func, scope)) in _ENGINE_FUNCTIONS:
            yield call, scope


def engine_calls(context: Context) -> Iterator[tuple[ast.Call, Scope]]:
    """`create_engine(...)` / `create_async_engine(...)` calls whose arguments can all be seen."""
    for call, scope in _sqlalchemy_engine_calls(context):
        if context.classify(call, scope) not in ENGINES:
            continue
        if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        yield call, scope


def _url_argument(call: ast.Call) -> ast.expr | None:
    """The URL an engine call is given: its first argument, or `url=`."""
    return call.args[0] if call.args else keyword(call, "url")


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def literal_number(expr: ast.expr, depth: int = 0) -> float | None:
    """The value of a numeric literal or constant arithmetic (`8 * 3600`), else None."""
    if depth > 16:
        return None  # no timeout is written as a deeper expression than that
    if isinstance(expr, ast.Constant) and isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool):
        return float(expr.value)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        value = literal_number(expr.operand, depth + 1)
        if value is None:
            return None
        return -value if isinstance(expr.op, ast.USub) else value
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub, ast.Mult)):
        left, right = literal_number(expr.left, depth + 1), literal_number(expr.right, depth + 1)
        if left is None or right is None:
            return None
        if isinstance(expr.op, ast.Add):
            return left + right
        if isinstance(expr.op, ast.Sub):
            return left - right
        return left * right
    return None


def string_prefix(expr: ast.expr) -> str | None:
    """The literal text an expression's string value starts with (`f"sqlite:///{p}"` -> `sqlite:///`)."""
    while True:  # a loop, not recursion: `"a" + b + c + ...` can be thousands deep
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr) and expr.values:
            expr = expr.values[0]
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
            expr = expr.left  # `"sqlite:///" + p`, `"sqlite:///%s" % p`
        elif (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "format"
            and isinstance(expr.func.value, ast.Constant)
        ):
            expr = expr.func.value  # `"sqlite:///{}".format(p)`
        else:
            return None


# Dialects of servers that close idle connections; a literal URL of any other
# (`sqlite://`, `duckdb://`, `gsheets://`) keeps no idle server connection in the pool.
SERVER_DIALECTS = frozenset(
    {
        "mysql", "mariadb", "postgresql", "postgres", "psycopg", "psycopg2", "asyncpg", "pg8000",
        "cockroachdb", "redshift", "mssql", "oracle", "db2", "ibm_db_sa", "sybase", "firebird",
        "teradatasql", "vertica", "hana", "snowflake", "exa", "clickhouse", "starrocks", "doris",
        "tidb", "singlestoredb", "yugabytedb", "informix", "sqlanywhere", "access", "mysqldb",
        "pymysql", "aiomysql", "asyncmy",
    }
)


def literal_url_prefix(context: Context, url: ast.expr, scope: Scope) -> str | None:
    """The literal start of a URL, also through a name bound once to a literal
    (`DB_URL = "sqlite://"`), a key of a dict literal (`self.config["db_url"]`), or an
    attribute of `self` that only methods of this class assign, each the same literal start
    (`self.db_path = "sqlite:///%s" % path`)."""
    prefix = _value_prefix(context, url, scope)
    if prefix is not None:
        return prefix
    if isinstance(url, ast.Name):
        value = _single_value(context, url, scope)
        return _value_prefix(context, value, scope) if value is not None else None
    if isinstance(url, ast.Attribute) and isinstance(url.value, ast.Name) and url.value.id == "self":
        owner = scope.parent
        if scope.kind != "function" or owner is None or owner.kind != "class":
            return None
        memo = _ATTRIBUTE_STARTS.setdefault(context, {})
        where_set = (url.attr, id(owner))
        if where_set not in memo:
            values = context.self_attributes.get(url.attr, [])
            context.steps += len(values)
            starts = {string_prefix(value) for value, _ in values}
            # Assigned by another class of the module, or in a nested function: unknown.
            known = values and len(starts) == 1 and all(where.parent is owner for _, where in values)
            memo[where_set] = starts.pop() if known else None
        return memo[where_set]
    if isinstance(url, ast.Subscript) and isinstance(url.slice, ast.Constant) and isinstance(url.slice.value, str):
        prefixes = set()
        for mapping in _assigned_values(context, url.value, scope):
            if not isinstance(mapping, ast.Dict):
                return None
            key = url.slice.value
            found = [v for k, v in zip(mapping.keys, mapping.values) if isinstance(k, ast.Constant) and k.value == key]
            prefixes.add(string_prefix(found[0]) if len(found) == 1 else None)
        if len(prefixes) == 1:
            return prefixes.pop()  # the same literal start in every assignment (or None)
    return None


# What `literal_url_prefix` found for `self.<attribute>` in a class: (attribute, id(class scope)) -> it.
_ATTRIBUTE_STARTS: weakref.WeakKeyDictionary[Context, dict[tuple[str, int], str | None]] = weakref.WeakKeyDictionary()


def _value_prefix(context: Context, expr: ast.expr, scope: Scope) -> str | None:
    """The literal start of a string expression (`"sqlite:///{}".format(p)` is a call too), else of
    what `self.get_url()` returns."""
    prefix = string_prefix(expr)
    if prefix is None and isinstance(expr, ast.Call):
        prefix = _method_url_prefix(context, expr, scope)
    return prefix


def _method_url_prefix(context: Context, call: ast.Call, scope: Scope) -> str | None:
    """The literal start of every URL `self.get_url()` returns, where `get_url` is a method of the
    class whose method makes the call (`return f"sqlite:///{path}"`), and none of them is unknown."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"):
        return None
    owner = scope.parent
    if scope.kind != "function" or owner is None or owner.kind != "class":
        return None
    bindings = owner.names.get(func.attr, [])
    if len(bindings) != 1 or bindings[0].kind != "def":
        return None
    method = bindings[0].value
    assert isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef))
    method_scope = context.scopes.get(method)
    returns, yields = returns_and_yields(method)
    if method_scope is None or yields or not returns:
        return None
    prefixes = set()
    for value in returns:
        if isinstance(value, ast.Name):
            value = _single_value(context, value, method_scope) or value
        prefixes.add(string_prefix(value))
    return prefixes.pop() if len(prefixes) == 1 else None  # the same literal start in every return (or None)


def _single_value(context: Context, expr: ast.expr, scope: Scope) -> ast.expr | None:
    """The one value a name (or `self.attr`) is ever assigned in this module, if there is just one."""
    values = _assigned_values(context, expr, scope)
    return values[0] if len(values) == 1 else None


def _assigned_values(context: Context, expr: ast.expr, scope: Scope) -> list[ast.expr]:
    """Every value a name (or `self.attr`) is assigned in this module; empty when one is not an assignment."""
    if isinstance(expr, ast.Name):
        bindings = scope.lookup(expr.id) or ()
        values = [b.value for b in bindings if b.kind == "assign" and isinstance(b.value, ast.expr)]
        return values if len(values) == len(bindings) else []
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        return [value for value, _ in context.self_attributes.get(expr.attr, ())]
    return []


def string_suffix(expr: ast.expr) -> str | None:
    """The literal text an expression's string value ends with (`f"{base}/app.db"` -> `/app.db`)."""
    while True:
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr) and expr.values:
            expr = expr.values[-1]
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            expr = expr.right
        else:
            return None


def literal_url_suffix(context: Context, url: ast.expr, scope: Scope) -> str | None:
    """The literal end of a URL, also through a name bound once in this module."""
    suffix = string_suffix(url)
    if suffix is None and isinstance(url, ast.Name):
        value = _single_value(context, url, scope)
        suffix = string_suffix(value) if value is not None else None
    return suffix


_SQLITE_FILE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")


def _sqlite_file(suffix: str | None) -> bool:
    """A URL ending in a SQLite file name (`.../app.db`, `.../data.sqlite3`)."""
    return suffix is not None and suffix.lower().endswith(_SQLITE_FILE_SUFFIXES)


def _sqlite_only_arguments(connect_args: ast.expr | None) -> bool:
    """`connect_args={"check_same_thread": False}`: only SQLite's driver accepts that key."""
    return isinstance(connect_args, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "check_same_thread" for key in connect_args.keys
    )


def _plainly_sqlite(context: Context, call: ast.Call, scope: Scope) -> bool:
    """An engine call that can only be SQLite's: `connect_args={"check_same_thread": ...}`, a URL
    that starts with `sqlite`, or one that ends in a SQLite file name."""
    if _sqlite_only_arguments(keyword(call, "connect_args")):
        return True
    url = _url_argument(call)
    if url is None:
        return False
    prefix = literal_url_prefix(context, url, scope)
    if prefix is not None:
        return prefix.lstrip().lower().startswith("sqlite")
    return _sqlite_file(literal_url_suffix(context, url, scope))


# Engines made where the URL cannot be seen: from a configuration, or by Flask-SQLAlchemy.
_HIDDEN_ENGINE_WORDS = ("engine_from_config", "flask_sqlalchemy", "SQLALCHEMY_DATABASE_URI")


def sqlite_only(context: Context) -> bool:
    """Whether every engine of the checked file's project is plainly SQLite (`_plainly_sqlite`).

    The project's folder is read whole (`Project.files_mentioning`).  At least one
    SQLAlchemy engine outside the tests must be made in it, every `create_engine(...)` call
    anywhere (tests included) must be SQLAlchemy's and plainly SQLite, and none may be made
    from a configuration or by Flask-SQLAlchemy: a `create_engine` of another library
    (OpenStack's `oslo_db.sqlalchemy.session.create_engine`) makes an engine whose URL cannot
    be seen.  Worked out once per project and process; False whenever the whole cannot be read.
    """
    project = context.project
    if project is None:
        return False
    return project.fact("sqlite-only", lambda project: _sqlite_only(project, context.settings))


def declares_server_driver(context: Context) -> bool:
    """Whether the project's dependency files (`Project.dependency_texts`) name a driver of a
    server database (`psycopg2`, `PyMySQL`, `mysqlclient`, `asyncpg`, ...): its sessions may talk
    to a server whose lost connection leaves them in a failed transaction.  Once per project."""
    project = context.project
    if project is None:
        return False
    return project.fact("server-driver", _declares_server_driver)


def _declares_server_driver(project: Project) -> bool:
    texts = project.dependency_texts()
    return texts is not None and any(_SERVER_DRIVER.search(text) for text in texts)


# The distributions of server databases' drivers, as dependency files name them.
_SERVER_DRIVER = re.compile(
    r"(?<![\w-])(?:psycopg2?|psycopg2-binary|psycopg-binary|psycopg-c|pg8000|asyncpg|aiopg|pymysql|mysqlclient"
    r"|mysql-connector(?:-python)?|aiomysql|asyncmy|mariadb|cx[_-]oracle|oracledb|pyodbc|aioodbc|pymssql"
    r"|ibm[_-]db(?:[_-]sa)?|sqlalchemy-redshift|snowflake-sqlalchemy|clickhouse-sqlalchemy)(?![\w-])",
    re.IGNORECASE,
)


def _sqlite_only(project: Project, settings: Settings) -> bool:
    files = project.files_mentioning(("create_engine", "create_async_engine", *_HIDDEN_ENGINE_WORDS))
    folder = project.folder()
    if files is None or folder is None:
        return False
    engines = 0
    for path, text in files:
        if any(word in text for word in _HIDDEN_ENGINE_WORDS):
            return False
        try:
            tree = ast.parse(text, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        context = Context(tree, settings, path, project, project.module_name_of(path), text)
        seen = set()
        for call, scope in _sqlalchemy_engine_calls(context):
            if not _plainly_sqlite(context, call, scope):
                return False
            seen.add(id(call))
            if not is_test_path(os.path.relpath(path, folder)):
                engines += 1
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee_name(node) in _ENGINE_FUNCTIONS and id(node) not in seen:
                return False  # another library's `create_engine`, or one whose name cannot be told
    return engines > 0


def _server_url(prefix: str) -> bool:
    """Whether a URL's literal start may name a server database (unknown: treated as one)."""
    scheme, sep, _ = prefix.partition("://")
    if not sep:
        scheme, sep, _ = prefix.partition(":")
        if not sep:
            return not prefix.startswith("sqlite")  # `"sqlite" + ...` and friends
    dialect = scheme.partition("+")[0].strip().lower()
    return dialect in SERVER_DIALECTS


_SCHEMA_METHODS = frozenset({"create_all", "drop_all", "reflect"})


def _fallback_engines(context: Context) -> set[int]:
    """Engines made in a handler of a `try` whose own engine sets pool_pre_ping or pool_recycle:
    `try: create_engine(url, pool_size=5, pool_recycle=3600)` / `except TypeError: create_engine(url)`
    (only SQLite's pools refuse `pool_size`, so the fallback is SQLite's)."""
    found: set[int] = set()
    for record in context.tries:
        guarded = any(
            isinstance(node, ast.Call)
            and (keyword(node, "pool_recycle") is not None or keyword(node, "pool_pre_ping") is not None)
            and sa_name(context.qualified(node.func, record.scope)) in _ENGINE_FUNCTIONS
            for statement in record.node.body
            for node in ast.walk(statement)
        )
        if guarded:
            for handler in record.node.handlers:
                found.update(id(node) for statement in handler.body for node in ast.walk(statement))
    return found


def _short_lived(context: Context, call: ast.Call, scope: Scope) -> bool:
    """An engine that lives no longer than the function that made it.

    Bound to a local name that is only used as `engine.<attribute>` (`connect()`,
    `begin()`, `dialect`, ...), handed to `sqlalchemy.inspect()`, to a session
    opened by a `with` (`async with AsyncSession(engine) as session:`), or to a
    function of this module that uses its parameter in the same ways
    (`asyncio.run(create_tables(engine))`): never returned, stored or passed on
    otherwise, so its pool goes away when the function returns (a CLI command, a
    connectivity check, a migration helper).  Or disposed there.
    """
    if scope.kind != "function":
        return False
    names = context.bound_to(call, scope)
    if len(names) != 1 or names[0] in scope.declared:
        return False

    def keeps_nothing(node: ast.Call, where: int | str, function: ast.AST, inner: Scope) -> bool:
        """`inspect(engine)`, `metadata.create_all(engine)`, `with Session(engine) as s:`: they use
        the engine and keep nothing once done."""
        func = node.func
        if where == 0 and len(node.args) == 1:
            if isinstance(func, ast.Attribute) and func.attr in _SCHEMA_METHODS:
                return True
            if sa_name(context.qualified(func, inner)) == "inspect":
                return True
        if where not in (0, "bind") or sa_name(context.qualified(func, inner)) not in ("Session", "AsyncSession"):
            return False
        return id(node) in context.entered_calls(function)

    def handed_locally(node: ast.Call, where: int | str) -> bool:
        """Kept nothing (`keeps_nothing`), or a function of this module whose parameter for the
        engine is used as the engine is here (not followed further: what it hands on counts as
        kept)."""
        if keeps_nothing(node, where, scope.node, scope):
            return True
        if isinstance(where, int) and any(isinstance(argument, ast.Starred) for argument in node.args[:where]):
            return False  # `f(*args, engine)`: which parameter it is bound to cannot be told
        function = _module_function(context, node.func, scope)
        if function is None:
            return False
        parameter = parameter_of(function, where)
        inner = context.scopes.get(function)
        if parameter is None or inner is None:
            return False
        return context.kept_local(
            function, parameter, "dispose", lambda call, at: keeps_nothing(call, at, function, inner)
        ) is not False

    return context.kept_local(scope.node, names[0], "dispose", handed_locally) is not False  # disposed, or kept local


def _alembic_revision(context: Context) -> bool:
    """An Alembic revision script: module-level `revision` and `down_revision`, and an import of
    Alembic (`from alembic import op`)."""
    names = context.module.names
    if "revision" not in names or "down_revision" not in names:
        return False
    return any(
        binding.kind == "import" and isinstance(binding.value, str) and binding.value.partition(".")[0] == "alembic"
        for bindings in names.values() for binding in bindings
    )


def _module_function(
    context: Context, func: ast.expr, scope: Scope
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function of this module a call of the name `func` runs (not one decorated: a
    decorator may keep what it is handed), or None."""
    if not isinstance(func, ast.Name):
        return None
    binding = single_binding(scope.lookup(func.id))
    if binding is None or binding.kind != "def":
        return None
    function = binding.value
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function.decorator_list:
        return None
    return function


class _EngineHelpers:
    """Module-level functions that only make and return an engine (`def _get_engine(url): return
    create_engine(url)`), whose every caller keeps the engine for as long as it runs.

    Such an engine is as short-lived as one made in the caller: each call of the helper binds
    its result to a local of a function that `_short_lived` would accept (only used as
    `engine.<attribute>`, inspected, or disposed), the helper's name is used nowhere else in
    the module, and the helper is the module's own (`_module_own`: private, or imported by no
    other project file but its tests).  Every name of the module is read once, when the first
    helper is asked about.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.uses: dict[str, list[tuple[ast.Name, Scope]]] | None = None  # name -> its loads
        self.called: dict[int, ast.Call] = {}  # id(name) -> the call it is the callee of
        self.loads: dict[tuple[int, str], int] = {}  # (id(function), name) -> how often it is read there
        self.verdicts: dict[int, bool] = {}  # id(helper) -> whether its engines are short-lived

    def short_lived(self, call: ast.Call, scope: Scope) -> bool:
        function = scope.node
        if scope.kind != "function" or scope.parent is not self.context.module:
            return False
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        if not self._returns_only(call, scope, function):
            return False
        found = self.verdicts.get(id(function))
        if found is None:
            found = self.verdicts[id(function)] = self._callers_keep_it_local(function)
        return found

    def _returns_only(self, call: ast.Call, scope: Scope, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether the function returns the engine `call` makes (itself, or through one local
        that is only returned) and nothing else."""
        returns, yields = returns_and_yields(function)
        if yields or not returns or function.decorator_list:
            return False
        if all(value is call for value in returns):
            return True
        names = self.context.bound_to(call, scope)
        if len(names) != 1 or names[0] in scope.declared:
            return False
        name = names[0]
        if not all(isinstance(value, ast.Name) and value.id == name for value in returns):
            return False
        key = (id(function), name)
        loads = self.loads.get(key)
        if loads is None:
            loads = self.loads[key] = sum(
                1 for node in ast.walk(function) if isinstance(node, ast.Name) and node.id == name
                and isinstance(node.ctx, ast.Load)
            )
        return loads == len(returns)

    def _callers_keep_it_local(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        context = self.context
        uses = self._uses().get(function.name, [])
        if not uses:
            return False  # called from elsewhere, or not at all: where the engine goes cannot be told
        for name, scope in uses:
            binding = single_binding(scope.lookup(name.id))
            if binding is None or binding.kind != "def" or binding.value is not function:
                return False
            call = self.called.get(id(name))
            if call is None or scope.kind != "function" or not _short_lived(context, call, scope):
                return False
        return self._module_own(function.name)

    def _uses(self) -> dict[str, list[tuple[ast.Name, Scope]]]:
        """Every loaded name of the module with its scope (and, in `called`, the call of each
        name that is a callee)."""
        if self.uses is None:
            context = self.context
            uses: dict[str, list[tuple[ast.Name, Scope]]] = {}
            stack: list[tuple[ast.AST, Scope]] = [(context.tree, context.module)]
            while stack:
                node, scope = stack.pop()
                context.steps += 1
                scope = context.scopes.get(node, scope)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    self.called[id(node.func)] = node
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    uses.setdefault(node.id, []).append((node, scope))
                stack.extend((child, scope) for child in ast.iter_child_nodes(node))
            self.uses = uses
        return self.uses

    def _module_own(self, name: str) -> bool:
        """Whether the helper `name` is the module's own: private, or public and no project file
        but this module and the project's tests imports it or uses it as an attribute of a
        module (`utils.helper(...)`)."""
        if name.startswith("_"):
            return True  # private to its module (the project's tests may still import it)
        context = self.context
        project = context.project
        if project is None or not context.filename:
            return False  # a file alone: where else the helper is called cannot be told
        files = project.referencing(name)
        if files is None:
            return False
        here = os.path.abspath(context.filename)
        folder = project.folder() or ""
        return all(
            os.path.abspath(path) == here or is_test_path(os.path.relpath(path, folder) if folder else path)
            for path, _ in files
        )


_CONNECTING_METHODS = frozenset({"connect", "raw_connection", "begin"})


class EngineWithoutPrePing(Rule):
    """## What it does
    Finds `create_engine()` / `create_async_engine()` for a pooled server
    database without `pool_pre_ping=True` and without `pool_recycle`.

    ## Why is this bad?
    The pool keeps connections open between requests. The server closes the
    ones that sit idle longer than its timeout (MySQL's `wait_timeout`,
    PostgreSQL's `idle_session_timeout`), and the pool hands the dead
    connection to the next request, which fails with
    `OperationalError (2006, 'MySQL server has gone away')`. With
    `pool_pre_ping=True` the pool tests each connection on checkout and
    replaces dead ones transparently.

    Not reported in the project's tests (`tests/`, `test_*.py`, `*_test.py`,
    `conftest.py`, `tests.py`, `testing.py`), in an Alembic revision script
    (module-level `revision` and `down_revision`, and an import of Alembic),
    nor for an engine made by a command-line command (a click command, a
    Typer app's, Flask's `AppGroup` or `app.cli`): none lives long enough for a
    server to close an idle connection. Nor for an engine that goes away with the function that made
    it (only used as `engine.connect()`, `engine.begin()`, ..., inspected,
    handed to `metadata.create_all()`, to a session a `with` opens, or to a
    function of the module that uses it no otherwise, or disposed), made there
    or by a module-level helper that only returns it and whose every caller, in
    the module, keeps it so (a private helper; a public one that no other file
    of the project but its tests imports or calls through its module).
    """

    code = "SQS201"
    needs_sqlalchemy = True
    needs_words = ("create_engine", "create_async_engine")
    message = (
        "{func}() without pool_pre_ping=True or pool_recycle: pooled connections die when the "
        "server closes idle ones (MySQL wait_timeout); add pool_pre_ping=True"
    )
    fix_title = "Add `pool_pre_ping=True`"
    references = (DISCONNECT_DOCS, MYSQL_DOCS)
    valid = [
        Valid('from sqlalchemy import create_engine\nengine = create_engine("mysql://db/app", pool_pre_ping=True)\n'),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=3600)\n"),
        Valid("from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n"
              "engine = create_engine(url, poolclass=NullPool)\n"),
        Valid("import sqlalchemy as sa\nengine = sa.create_engine(url, poolclass=sa.pool.StaticPool)\n"),
        Valid('from sqlalchemy import create_engine\nengine = create_engine("sqlite:///app.db")\n'),
        Valid("import sqlalchemy\n\ndef dump_schema(url):\n"
              "    engine = sqlalchemy.create_engine(url, strategy='mock', executor=dump)\n"
              "    BASE.metadata.create_all(engine)\n    return engine\n"),
        Valid('from sqlalchemy import create_engine\nengine = create_engine(f"sqlite:///{path}")\n'),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, **options)\n"),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(*args)\n"),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=settings.PRE_PING)\n"),
        Valid("from mylib import create_engine\nengine = create_engine(url)\n"),
        Valid('from sqlalchemy.ext.asyncio import create_async_engine\n'
              'engine = create_async_engine("sqlite+aiosqlite://")\n'),
        # Literal URLs of databases that are no server closing idle connections.
        Valid('from sqlalchemy import create_engine\n\ndef check(info):\n'
              '    engine = create_engine("gsheets://", service_account_info=info)\n    return engine.connect()\n'),
        Valid('from sqlalchemy import create_engine\nDB_URL = "sqlite:///app.db"\nengine = create_engine(DB_URL)\n'),
        Valid('from sqlalchemy import create_engine\nengine = create_engine("sqlite:///%s" % dbfile, echo=True)\n'),
        Valid('from sqlalchemy import create_engine\nengine = create_engine("sqlite:///{}".format(dbfile))\n'),
        Valid(
            "import sqlalchemy\n\nclass TestMigration:\n    def setUp(self):\n"
            "        self.config = {'alembic_ini_path': '.', 'db_url': 'sqlite://'}\n"
            "        self.engine = sqlalchemy.create_engine(self.config['db_url'])\n\n"
            "class TestManager:\n    def setUp(self):\n        self.config = {'db_url': 'sqlite://'}\n"
            "        self.manager = Manager(self.config, sqlalchemy.create_engine(self.config['db_url']))\n"
        ),
        # A test's engine: the test run ends long before any server closes an idle connection.
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url)\n", filename="tests/test_db.py"),
        Valid("from sqlalchemy import create_engine\n\ndef engine(url):\n    return create_engine(url)\n",
              filename="conftest.py"),
        Valid("import sqlalchemy\n\nclass DatabaseTestCase(unittest.TestCase):\n    def setUp(self):\n"
              "        self.engine = sqlalchemy.create_engine(self.db_uri)\n", filename="shop/testing.py"),
        # An engine made by a command-line command: the process ends with the command (privacyIDEA's `audit rotate`).
        Valid(
            "import click\nfrom sqlalchemy import create_engine\n\n@click.group()\ndef cli():\n    pass\n\n"
            "@cli.command()\n@click.argument('url')\ndef createdb(url):\n    engine = create_engine(url)\n"
            "    Base.metadata.create_all(engine)\n    seed(engine)\n"
        ),
        # An Alembic revision script runs in `alembic upgrade`, which ends with it (Artemis's).
        Valid(
            'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "40355237ae7c"\n'
            'down_revision = "99b5570a348e"\nengine = sa.create_engine(DATABASE_URL)\n\n'
            "def upgrade():\n    op.create_table('tag', sa.Column('id', sa.Integer()))\n"
        ),
        # Plainly SQLite, though the URL is not a literal.
        Valid(
            "from sqlalchemy import create_engine\n\nclass BotManager:\n    def __init__(self, path):\n"
            "        self.db_path = 'sqlite:///%s' % path\n        self.engine = create_engine(self.db_path)\n"
        ),
        Valid('from sqlalchemy import create_engine\n'
              'engine = create_engine(DATABASE_URL, connect_args={"check_same_thread": False})\n'),
        Valid("from sqlalchemy import create_engine\nfrom sqlalchemy.pool import SingletonThreadPool\n"
              "engine = create_engine(url, poolclass=SingletonThreadPool)\n"),
        Valid('from sqlalchemy import create_engine\nengine = create_engine(f"{prefix}{BASE_DIR}/app.db")\n'),
        Valid('from sqlalchemy import create_engine\nDB = SCHEME + ":///" + str(path) + "/data.sqlite3"\n'
              'engine = create_engine(DB)\n'),
        Valid('import sqlalchemy as sa\nengine = sa.create_engine("sqlite" + suffix)\n'),
        Valid('from sqlalchemy import create_engine\nDB = "sqlite:///{}".format(path)\nengine = create_engine(DB)\n'),
        # A URL from a method of the same class that only ever returns a SQLite one.
        Valid(
            "from sqlalchemy import create_engine\n\nclass SQLiteStore(Store):\n    def get_url(self):\n"
            "        db_file = os.path.join(self.path, self.name)\n        return f'sqlite:///{db_file}'\n\n"
            "    def get_engine(self):\n        url = self.get_url()\n        return create_engine(url)\n"
        ),
        # A throwaway engine: only its one connection is kept.
        Valid(
            "import sqlalchemy\n\ndef read_sql(sql, url):\n    def factory():\n"
            "        return sqlalchemy.create_engine(url).raw_connection()\n"
            "    return ray.data.read_sql(sql, factory)\n"
        ),
        # An engine that never leaves the function that made it.
        Valid(
            "from sqlalchemy import create_engine, inspect\n\ndef has_config_db(uri):\n"
            "    engine = create_engine(uri)\n"
            "    with engine.connect():\n        return inspect(engine).has_table('server')\n"
        ),
        # An engine handed to a function of this module that uses it no otherwise: a one-off
        # script's (Tickets-Plus's `toolbox/migrate.py`).
        Valid(
            "import asyncio\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "async def create_tables(engine, schema):\n    async with engine.begin() as conn:\n"
            "        await conn.run_sync(Base.metadata.create_all)\n\n"
            "def main(url):\n    engine = create_async_engine(url)\n"
            "    asyncio.run(create_tables(engine, schema='app'))\n"
        ),
        # ... or to a session that a `with` opens and closes.
        Valid(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import Session\n\ndef seed(url):\n"
            "    engine = create_engine(url)\n    with Session(engine) as session:\n        session.add(Admin())\n"
            "        session.commit()\n"
        ),
        # A one-off engine disposed in the function that made it.
        Valid(
            "import sqlalchemy\n\ndef upgrade(url, revision):\n    engine = sqlalchemy.create_engine(url)\n"
            "    migrate(engine, revision)\n    engine.dispose()\n"
        ),
        # The fallback for pools that refuse pool_size (SQLite's) of an engine that recycles.
        Valid(
            "from sqlalchemy import create_engine\n\ndef make(url):\n    try:\n"
            "        return create_engine(url, pool_size=10, pool_recycle=3600)\n    except TypeError:\n"
            "        return create_engine(url)\n"
        ),
        # An engine handed only to metadata.create_all() in the function that made it.
        Valid(
            "from sqlalchemy import create_engine\n\ndef init_db(url):\n    engine = create_engine(url)\n"
            "    metadata.create_all(engine)\n"
        ),
        # An engine only asked about its dialect never opens a connection.
        Valid(
            "from sqlalchemy import create_engine\n\ndef needs_escape(uri):\n    engine = create_engine(uri)\n"
            "    return engine.dialect.identifier_preparer._double_percents\n"
        ),
        # SQLAlchemy 1.4 style: 1.x-only arguments beside pool_recycle
        Valid(
            "from sqlalchemy import create_engine\n"
            "engine = create_engine('mysql://db/app', pool_recycle=3600, convert_unicode=True)\n"
        ),
        # A helper that makes the engine, each of whose callers keeps it for one block (gramps-web-api's).
        Valid(
            "from sqlalchemy import create_engine, text\n\ndef _metadata_engine(url):\n"
            "    return create_engine(url)\n\n"
            "def ensure_table(url):\n    engine = _metadata_engine(url)\n    with engine.begin() as conn:\n"
            "        conn.execute(text('CREATE TABLE IF NOT EXISTS t (x int)'))\n\n"
            "def stored(url):\n    ensure_table(url)\n    engine = _metadata_engine(url)\n"
            "    with engine.connect() as conn:\n        return conn.execute(text('SELECT x FROM t')).all()\n"
        ),
    ]
    invalid = [
        Invalid(
            'from sqlalchemy import create_engine\nengine = create_engine("mysql://db/app")\n',
            at=(2, 9),
            fixed='from sqlalchemy import create_engine\n'
            'engine = create_engine("mysql://db/app", pool_pre_ping=True)\n',
        ),
        Invalid(
            "import sqlalchemy as sa\n\nengine = sa.create_engine(\n    url,\n    echo=True,\n)\n",
            at=(3, 9),
            fixed="import sqlalchemy as sa\n\nengine = sa.create_engine(\n    url,\n    echo=True,\n"
            "    pool_pre_ping=True,\n)\n",
        ),
        Invalid(
            "from sqlalchemy import create_engine as ce\n\nengine = ce(url,  # primary\n            echo=True)\n",
            at=(3, 9),
            fixed="from sqlalchemy import create_engine as ce\n\nengine = ce(url,  # primary\n            echo=True,\n"
            "            pool_pre_ping=True)\n",
        ),
        # The same class's method returns a server URL in one branch.
        Invalid(
            "from sqlalchemy import create_engine\n\nclass Store:\n    def get_url(self):\n"
            "        if self.local:\n            return 'sqlite://'\n        return f'postgresql://{self.host}/db'\n\n"
            "    def get_engine(self):\n        return create_engine(self.get_url())\n",
            at=(10, 15),
            fixed="from sqlalchemy import create_engine\n\nclass Store:\n    def get_url(self):\n"
            "        if self.local:\n            return 'sqlite://'\n        return f'postgresql://{self.host}/db'\n\n"
            "    def get_engine(self):\n        return create_engine(self.get_url(), pool_pre_ping=True)\n",
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            'engine = create_async_engine("postgresql+asyncpg://db/app")\n',
            at=(3, 9),
            fixed="from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            'engine = create_async_engine("postgresql+asyncpg://db/app", pool_pre_ping=True)\n',
        ),
        Invalid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=False)\n",
            at=(2, 9),
            fixed="from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n",
        ),
        Invalid(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import QueuePool\n"
            "engine = create_engine(url, poolclass=QueuePool)\n",
            at=(3, 9),
            fixed="from sqlalchemy import create_engine\nfrom sqlalchemy.pool import QueuePool\n"
            "engine = create_engine(url, poolclass=QueuePool, pool_pre_ping=True)\n",
        ),
        # A server URL whose file-like ending is not a SQLite file.
        Invalid(
            'from sqlalchemy import create_engine\nengine = create_engine(f"mysql://{host}/app")\n',
            at=(2, 9),
            fixed='from sqlalchemy import create_engine\n'
            'engine = create_engine(f"mysql://{host}/app", pool_pre_ping=True)\n',
        ),
        Invalid(
            "def make():\n    from sqlmodel import create_engine\n    return create_engine(url)\n",
            at=(3, 11),
            fixed="def make():\n    from sqlmodel import create_engine\n"
            "    return create_engine(url, pool_pre_ping=True)\n",
        ),
        # SQLAlchemy 1.4 style: 1.x-only arguments, engine.execute()
        Invalid(
            "from sqlalchemy import create_engine\n"
            "engine = create_engine('mysql://db/app', convert_unicode=True, encoding='utf8')\n"
            "count = engine.execute('SELECT COUNT(*) FROM users').scalar()\n",
            at=(2, 9),
            fixed="from sqlalchemy import create_engine\n"
            "engine = create_engine('mysql://db/app', convert_unicode=True, encoding='utf8', pool_pre_ping=True)\n"
            "count = engine.execute('SELECT COUNT(*) FROM users').scalar()\n",
        ),
        # ... but one caller keeps it: at module level, in an attribute.
        Invalid(
            "from sqlalchemy import create_engine\n\ndef _get_engine(url):\n    return create_engine(url)\n\n"
            "def ping(url):\n    with _get_engine(url).connect():\n        pass\n\n"
            "engine = _get_engine('postgresql://db/app')\n",
            at=(4, 11),
            fixed="from sqlalchemy import create_engine\n\ndef _get_engine(url):\n"
            "    return create_engine(url, pool_pre_ping=True)\n\n"
            "def ping(url):\n    with _get_engine(url).connect():\n        pass\n\n"
            "engine = _get_engine('postgresql://db/app')\n",
        ),
        Invalid(
            "from sqlalchemy import create_engine\n\ndef _get_engine(url):\n    engine = create_engine(url)\n"
            "    return engine\n\nclass Store:\n    def __init__(self, url):\n        self.engine = _get_engine(url)\n",
            at=(4, 13),
            fixed="from sqlalchemy import create_engine\n\ndef _get_engine(url):\n"
            "    engine = create_engine(url, pool_pre_ping=True)\n"
            "    return engine\n\nclass Store:\n    def __init__(self, url):\n        self.engine = _get_engine(url)\n",
        ),
        # Handed after a starred argument: which parameter it lands in cannot be told.
        Invalid(
            "from sqlalchemy import create_engine\n\ndef use(name, engine):\n    engine.connect()\n\n"
            "def setup(url, names):\n    engine = create_engine(url)\n    use(*names, engine)\n",
            at=(7, 13),
        ),
        # A function of this module that keeps the engine it is handed: long-lived.
        Invalid(
            "from sqlalchemy import create_engine\n\nENGINES = []\n\ndef keep(engine):\n    ENGINES.append(engine)\n\n"
            "def setup(url):\n    engine = create_engine(url)\n    keep(engine)\n",
            at=(9, 13),
            fixed="from sqlalchemy import create_engine\n\nENGINES = []\n\n"
            "def keep(engine):\n    ENGINES.append(engine)\n\n"
            "def setup(url):\n    engine = create_engine(url, pool_pre_ping=True)\n    keep(engine)\n",
        ),
        # An attribute of `self` that a method may set to a server's URL.
        Invalid(
            "from sqlalchemy import create_engine\n\nclass Store:\n    def __init__(self, path):\n"
            "        self.url = 'sqlite:///%s' % path\n\n    def use_server(self, host):\n"
            "        self.url = 'mysql://%s/app' % host\n\n    def engine(self):\n"
            "        return create_engine(self.url)\n",
            at=(11, 15),
        ),
        # A module that only looks like a revision script (no Alembic import): reported.
        Invalid(
            'import sqlalchemy as sa\n\nrevision = "40355237ae7c"\ndown_revision = None\n'
            "engine = sa.create_engine(DATABASE_URL)\n",
            at=(5, 9),
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        if context.is_test_file:
            return  # a test run ends long before a server closes an idle connection
        if _alembic_revision(context):
            return  # run by `alembic upgrade`, a process that ends with the migration
        fallbacks: set[int] | None = None
        helpers = _EngineHelpers(context)
        for call, scope in engine_calls(context):
            if keyword(call, "pool_recycle") is not None:
                continue
            pre_ping = keyword(call, "pool_pre_ping")
            if pre_ping is not None and not (isinstance(pre_ping, ast.Constant) and pre_ping.value in (False, None, 0)):
                continue
            strategy = keyword(call, "strategy")
            if isinstance(strategy, ast.Constant) and strategy.value == "mock":
                continue  # SQLAlchemy 1.3's mock engine (`executor=dump`): no pool, no connection
            poolclass = keyword(call, "poolclass")
            if poolclass is not None:
                name = sa_name(context.qualified(poolclass, scope))
                if name is None or name in NON_POOLING:
                    continue  # a pool we cannot see, or one that keeps nothing idle
            if _sqlite_only_arguments(keyword(call, "connect_args")):
                continue  # `check_same_thread` is a keyword of sqlite3.connect() alone
            url = _url_argument(call)
            prefix = literal_url_prefix(context, url, scope) if url is not None else None
            if prefix is not None and not _server_url(prefix):
                continue
            if url is not None and _sqlite_file(literal_url_suffix(context, url, scope)):
                continue
            if _short_lived(context, call, scope) or context.in_command(scope) or helpers.short_lived(call, scope):
                continue  # the engine goes away with its function, or the process with its command
            if fallbacks is None:
                fallbacks = _fallback_engines(context) if context.tries else set()
            if id(call) in fallbacks:
                continue  # the SQLite fallback of a pooled engine that is set up
            if context.chained_calls.get(id(call)) in _CONNECTING_METHODS:
                continue  # `create_engine(url).raw_connection()`: the engine is thrown away
            func = "create_async_engine" if "async" in (_callee_name(call) or "") else "create_engine"
            fix = Fix(SetKeyword(Span.of(call), "pool_pre_ping", "True"), safe=True)
            yield self.finding(call, fix, func=func)


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


class PoolRecycleTooLong(Rule):
    """## What it does
    Finds `pool_recycle` set to `-1` (recycling disabled) or to a value not
    below the server's idle timeout (`--sqla-max-pool-recycle`, default
    28800 seconds, MySQL's default `wait_timeout`).

    ## Why is this bad?
    `pool_recycle` replaces connections older than the given age before the
    server can close them. A value at or above the server's timeout never
    fires in time: the server closes the idle connection first, and the next
    checkout gets a dead one.

    Not reported in the project's tests, nor in a command-line command (see
    SQS201).
    """

    code = "SQS202"
    needs_sqlalchemy = True
    needs_words = ("create_engine", "create_async_engine")
    message = (
        "pool_recycle={value} {problem}: the server closes idle connections first; "
        "set it below the server timeout, e.g. pool_recycle={suggested}"
    )
    fix_title = "Set `pool_recycle` to `--sqla-pool-recycle` (default 3600)"
    references = (RECYCLE_DOCS, MYSQL_DOCS)
    options = ("--sqla-max-pool-recycle", "--sqla-pool-recycle")
    valid = [
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=3600)\n"),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=settings.RECYCLE)\n"),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=7 * 3600)\n"),
        Valid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=30000)\n",
            options={"max_pool_recycle": "86400"},
        ),
    ]
    invalid = [
        Invalid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=-1)\n",
            at=(2, 9),
            fixed="from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=3600)\n",
        ),
        Invalid(
            "from sqlalchemy import create_engine\nengine = create_engine(\n    url,\n"
            "    pool_recycle=8 * 3600,  # a day's shift\n)\n",
            at=(2, 9),
            fixed="from sqlalchemy import create_engine\nengine = create_engine(\n    url,\n"
            "    pool_recycle=3600,  # a day's shift\n)\n",
        ),
        Invalid(
            "from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=900)\n",
            at=(2, 9),
            options={"max_pool_recycle": "600", "pool_recycle": "300"},
            fixed="from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=300)\n",
        ),
        # SQLAlchemy 1.4 style: 1.x-only arguments
        Invalid(
            "from sqlalchemy import create_engine\n"
            "engine = create_engine('mysql+mysqldb://db/app', pool_recycle=-1, convert_unicode=True)\n",
            at=(2, 9),
            fixed="from sqlalchemy import create_engine\n"
            "engine = create_engine('mysql+mysqldb://db/app', pool_recycle=3600, convert_unicode=True)\n",
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        if context.is_test_file:
            return
        limit = context.settings.max_pool_recycle
        suggested = context.settings.pool_recycle
        for call, scope in engine_calls(context):
            value_node = keyword(call, "pool_recycle")
            if value_node is None or context.in_command(scope):
                continue
            value = literal_number(value_node)
            if value is None:
                continue
            if value < 0:
                problem = "disables recycling"
            elif value >= limit:
                problem = f"is not below the server's idle timeout ({limit} s)"
            else:
                continue
            fix = (
                Fix(SetKeyword(Span.of(call), "pool_recycle", str(suggested)), safe=True)
                if suggested < limit
                else None
            )
            shown = int(value) if value == int(value) else value
            if suggested >= limit:
                suggested = limit // 2
            yield self.finding(call, fix, value=shown, problem=problem, suggested=suggested)
