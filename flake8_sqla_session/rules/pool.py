"""SQS2xx: engines whose pooled connections outlive the server's idle timeout."""
from __future__ import annotations

import ast
import os
import re
import weakref
from typing import Callable, Iterator, Union

from ..context import Context, is_project_test
from ..finding import Finding, Fix, SetKeyword, Span
from ..knowledge.kinds import ENGINES
from ..knowledge.module import NESTED_CODE, parameter_of, returns_and_yields
from ..knowledge.names import Scope, called_name, sa_name, single_binding
from ..knowledge.project import Project, one_line_end
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
            if not is_project_test(path, folder):
                engines += 1
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called_name(node.func) in _ENGINE_FUNCTIONS and id(node) not in seen:
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


def _alembic_revision(context: Context) -> bool:
    """An Alembic revision script: module-level `revision` and `down_revision`, and an import of
    Alembic (`from alembic import op`)."""
    names = context.module.names
    if "revision" not in names or "down_revision" not in names:
        return False
    return context.imports_package("alembic")


# Calls that make something holding the engine: kept as long as what they make is.
_ENGINE_HOLDERS = frozenset({
    "sessionmaker", "async_sessionmaker", "scoped_session", "async_scoped_session", "Session", "AsyncSession",
})
# Methods that store their argument in their receiver (`ENGINES.append(engine)`,
# `Session.configure(bind=engine)`, `registry.register(engine)`).
_STORING_METHODS = frozenset({
    "append", "add", "extend", "insert", "setdefault", "update", "configure", "register", "set", "put",
})
# Decorators that keep what the function returns (`@lru_cache def get_engine(): ...`).
_CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached", "memoize", "memoized", "cached_property", "reify"})
_MAX_HOPS = 3  # functions, methods and classes followed from the engine's own function
# Where a value goes, one step on: kept (True), not kept (False), or the expressions it goes on to.
_Next = Union[bool, list[tuple[ast.AST, int]]]


class _Local(ast.AST):
    """A local name of a function, as one step of `_EngineLifetime._kept`'s search: every value
    bound to it goes where its loads go."""

    def __init__(self, function: ast.AST, name: str) -> None:
        super().__init__()
        self.function = function
        self.name = name


class _EngineLifetime:
    """Whether an engine made in a function visibly outlives it, read in its module only.

    An engine at module level (or in a class body) lives as long as the process.  One made in a
    function is long-lived only where its module shows it kept:

    * bound to a `global` (or `nonlocal`) name, or stored in an attribute or item of anything
      but a local that is not kept (`config.registry["engine"] = engine`, `app.engine = engine`,
      `cls.engine = engine`), or handed to a storing method (`ENGINES.append(engine)`,
      `Session.configure(bind=engine)`);
    * stored on `self` in a class of which an instance is kept (bound at module level here,
      or, for a public class, in another project module: `db = Database(URL)`);
    * made into a `scoped_session` registry (one session per thread or task: made to outlive
      the function; but not one the function only returns to callers that drop it, each call
      seen a statement of its own: a setup script's `create_tables(url)`), or into a factory
      that is kept (`Session = sessionmaker(bind=engine)`);
    * returned by a function or method of which a call is kept (`engine = make_engine()` at
      module level, `_db = get_new_db()` under `global _db`; a public function's result bound
      at module level by another project module, or stored there in a web application's state,
      `app.state.db_engine = engine`), or by a cached one (`@lru_cache`);
    * handed to a function or class of this module that keeps its parameter so.

    Anything else (used in place, returned to callers that are not seen, stored on an object
    of unknown lifetime, handed to another module's function) is not known to outlive its
    function, and is not reported: when unsure, stay quiet.  Each expression is asked once;
    at most `_MAX_HOPS` functions or classes are followed from the engine's own function.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.memo: dict[int, bool] = {}
        self.visiting: set[int] = set()
        self.parents: dict[int, ast.AST] = {}  # id(node) -> parent, for the functions indexed
        self.owners: dict[int, ast.AST] = {}  # id(node) -> the innermost function or class holding it
        self.loads: dict[tuple[int, str], list[ast.Name]] = {}  # (id(function), name) -> its loads there
        self.dropped: dict[int, bool] = {}  # id(a function) -> `_calls_drop`
        self.statements: set[int] | None = None  # ids of the calls that are statements of their own
        self.indexed: set[int] = set()  # ids of the outermost functions indexed
        self.calls: dict[str, list[ast.Call]] | None = None  # callee name or method -> calls in the module
        self.module_calls: set[int] = set()  # ids of the calls outside every function and class
        self.holders: dict[int, ast.AST] = {}  # id(call) -> the top-level function or class holding it
        self.locals: dict[tuple[int, str], _Local] = {}  # (id(function), name) -> the local searched

    # ---- the index of the module ---------------------------------------------------------

    def _index(self, node: ast.AST) -> None:
        """Parents, owners and loads of the outermost function (or class) holding `node`."""
        context = self.context
        outermost: ast.AST | None = None
        scope = context.scopes.get(node)
        while scope is not None and scope.kind != "module":
            outermost = scope.node
            scope = scope.parent
        if outermost is None or id(outermost) in self.indexed:
            return
        self.indexed.add(id(outermost))
        # (node, the function or class its code runs in): a body runs in its function or class, its
        # decorators, defaults and bases in the code around it (the module's for the outermost).
        stack: list[tuple[ast.AST, ast.AST]] = [(outermost, context.tree)]
        while stack:
            parent, owner = stack.pop()
            context.steps += 1
            body: set[int] = set()
            if isinstance(parent, NESTED_CODE):
                code = parent.body
                body = {id(statement) for statement in code} if isinstance(code, list) else {id(code)}
            for child in ast.iter_child_nodes(parent):
                inner = parent if id(child) in body else owner
                self.parents[id(child)] = parent
                self.owners[id(child)] = inner
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                    self.loads.setdefault((id(inner), child.id), []).append(child)
                stack.append((child, inner))

    def _calls_by_name(self) -> dict[str, list[ast.Call]]:
        """Every call of the module by its callee's last name (`f(...)`, `x.f(...)`), from one walk;
        `holders` gets the top-level function or class holding each call, `module_calls` those
        outside any function or class."""
        if self.calls is None:
            context = self.context
            calls: dict[str, list[ast.Call]] = {}
            stack: list[tuple[ast.AST, ast.AST | None]] = [(context.tree, None)]
            while stack:
                node, holder = stack.pop()
                context.steps += 1
                if isinstance(node, ast.Call):
                    name = called_name(node.func)
                    if name is not None:
                        calls.setdefault(name, []).append(node)
                    if holder is None:
                        self.module_calls.add(id(node))
                    else:
                        self.holders[id(node)] = holder
                if holder is None and isinstance(node, NESTED_CODE):
                    holder = node
                stack.extend((child, holder) for child in ast.iter_child_nodes(node))
            self.calls = calls
        return self.calls

    # ---- the questions -------------------------------------------------------------------

    def long_lived(self, call: ast.Call, scope: Scope) -> bool:
        """Whether the engine `call` makes (in `scope`) outlives the function that makes it."""
        if scope.kind != "function":
            return True
        self._index(scope.node)
        return self._kept(call, 0)

    def _kept(self, start: ast.AST, hops: int) -> bool:
        """Whether the value of the expression `start` is kept beyond the function running it.

        A search over where the value goes (`_where_it_goes`: a verdict, or the expressions it
        goes on to, such as the loads of the name it is bound to), without recursion: a chain of
        thousands of names assigned from each other is a loop, not a stack.  A search that finds
        nothing kept marks every expression it met, so none is searched again.
        """
        found = self.memo.get(id(start))
        if found is not None:
            return found
        stack: list[tuple[ast.AST, int]] = [(start, hops)]
        seen: list[ast.AST] = []
        seen_ids: set[int] = set()
        while stack:
            node, at = stack.pop()
            key = id(node)
            if key in seen_ids or self.memo.get(key) is False or key in self.visiting:
                continue  # met already, searched before, or being searched further out: a cycle
            if self.memo.get(key):
                found = True
                break
            seen_ids.add(key)
            seen.append(node)
            self.context.steps += 1
            step = self._where_it_goes(node, at)
            if step is True:
                found = True
                break
            if step is not False:
                stack.extend(step)
        if found:
            self.memo[id(start)] = True
            return True
        for node in seen:
            self.memo[id(node)] = False
        return False

    def _where_it_goes(self, node: ast.AST, hops: int) -> _Next:
        if isinstance(node, _Local):
            return self._loads_of(node, hops)
        owner = self.owners.get(id(node))
        parent = self.parents.get(id(node))
        if owner is None or parent is None:
            return id(node) in self.module_calls  # made outside every function: module level
        if owner is self.context.tree:
            return True  # a decorator or default of a top-level function: run at module level
        if isinstance(owner, ast.ClassDef) or isinstance(owner, ast.Lambda):
            return isinstance(owner, ast.ClassDef) and self._scope_of(owner).parent is self.context.module
        scope = self._scope_of(owner)
        if isinstance(parent, ast.Return):
            return self._function_kept(owner, hops)
        if isinstance(parent, (ast.Await, ast.IfExp, ast.BoolOp, ast.List, ast.Tuple, ast.Set, ast.Dict)):
            return [(parent, hops)]
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and parent.value is node:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            following: list[tuple[ast.AST, int]] = []
            for target in targets:
                step = self._stored_by(target, owner, scope, hops)
                if step is True:
                    return True
                if step is not False:
                    following.extend(step)
            return following
        if isinstance(parent, ast.keyword):
            call = self.parents.get(id(parent))
            if isinstance(call, ast.Call) and parent.arg is not None:
                return self._handed_to(call, parent.arg, owner, scope, hops)
            return False
        if isinstance(parent, ast.Call) and node is not parent.func:
            position = next((i for i, argument in enumerate(parent.args) if argument is node), None)
            if position is None or any(isinstance(a, ast.Starred) for a in parent.args[:position]):
                return False
            return self._handed_to(parent, position, owner, scope, hops)
        return False

    def _scope_of(self, owner: ast.AST) -> Scope:
        return self.context.scopes.get(owner, self.context.module)

    def _stored_by(self, target: ast.expr, function: ast.AST, scope: Scope, hops: int) -> _Next:
        """Whether assigning to `target` in `function` keeps the value beyond it."""
        if isinstance(target, ast.Name):
            if target.id in scope.declared:
                return True  # `global engine`
            return self._name_kept(target.id, function, hops)
        if not isinstance(target, (ast.Attribute, ast.Subscript)):
            return False
        base = target.value
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if not isinstance(base, ast.Name):
            return False
        return self._receiver_kept(base.id, function, scope, hops)

    def _receiver_kept(self, name: str, function: ast.AST, scope: Scope, hops: int) -> _Next:
        """Whether what the name `name` holds in `function` outlives it (what is stored in it is
        kept as long)."""
        first = _first_parameter(function, scope)
        if first is not None and name == first[0]:
            if first[1] == "cls":
                return True  # stored on the class
            return self._class_kept(first[2], hops)
        binding = single_binding(scope.names.get(name)) if name in scope.names else None
        if name in scope.names and name not in scope.declared:
            if binding is not None and binding.kind == "param":
                return True  # stored in what the caller hands in: the app, its config or registry
            return self._name_kept(name, function, hops)  # a local: kept as long as it is
        return True  # a module-level or global object

    def _name_kept(self, name: str, function: ast.AST, hops: int) -> _Next:
        """Where a value bound to the local `name` of `function` goes: the name itself, searched
        once however many values are bound to it (`_loads_of`)."""
        key = (id(function), name)
        local = self.locals.get(key)
        if local is None:
            local = self.locals[key] = _Local(function, name)
        return [(local, hops)]

    def _loads_of(self, local: _Local, hops: int) -> _Next:
        """The loads of a local (not kept when it is disposed: `engine.dispose()`)."""
        loads = self.loads.get((id(local.function), local.name), ())
        self.context.steps += len(loads)
        for load in loads:
            parent = self.parents.get(id(load))
            if isinstance(parent, ast.Attribute) and parent.attr == "dispose":
                return False
        return [(load, hops) for load in loads]

    def _handed_to(self, call: ast.Call, where: int | str, function: ast.AST, scope: Scope, hops: int) -> _Next:
        """Whether the argument at `where` of `call` (in `function`) is kept by what the call runs."""
        context = self.context
        func = call.func
        holder = sa_name(context.qualified(func, scope))
        if holder in _ENGINE_HOLDERS:
            if id(call) in context.entered_calls(function):
                return False  # `with Session(engine) as session:`
            if holder in ("scoped_session", "async_scoped_session"):
                # a registry of sessions per thread or task: made to outlive its function, unless
                # the function only returns it to callers that drop it
                return not self._registry_dropped(call, function, scope)
            return [(call, hops)]
        if isinstance(func, ast.Attribute):
            if func.attr not in _STORING_METHODS:
                return False
            base = func.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            return isinstance(base, ast.Name) and self._receiver_kept(base.id, function, scope, hops)
        if hops >= _MAX_HOPS or not isinstance(func, ast.Name):
            return False
        binding = single_binding(scope.lookup(func.id))
        if binding is None or binding.kind not in ("def", "class"):
            return False
        target = binding.value
        bound = False
        if isinstance(target, ast.ClassDef):
            target = next((node for node in target.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and node.name == "__init__"), None)
            bound = True
        if not isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)) or target.decorator_list:
            return False
        parameter = parameter_of(target, where, bound)
        if parameter is None:
            return False
        self._index(target)
        return self._name_kept(parameter, target, hops + 1)

    def _registry_dropped(self, registry: ast.Call, function: ast.AST, scope: Scope) -> bool:
        """Whether the registry `registry` makes is only returned by `function`, a module-level
        function whose every call seen (outside the tests; at least one) is a statement of its
        own, the result dropped (elections' `create_tables(url)`, which a one-shot script runs
        as `create_tables(APP.config["DB_URL"])`).  Read once per function."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or scope.parent is not self.context.module:
            return False
        parent = self.parents.get(id(registry))
        if isinstance(parent, ast.Assign) and parent.value is registry and len(parent.targets) == 1:
            target = parent.targets[0]
            if not isinstance(target, ast.Name):
                return False
            loads = self.loads.get((id(function), target.id), ())
            if not loads or not all(isinstance(self.parents.get(id(load)), ast.Return) for load in loads):
                return False
        elif not isinstance(parent, ast.Return):
            return False
        key = id(function)
        if key not in self.dropped:
            self.dropped[key] = self._calls_drop(function)
        return self.dropped[key]

    def _calls_drop(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether every call of the module-level `function` seen here and in the other project
        modules but the tests is a statement of its own (`create_tables(url)`), and there is one."""
        seen = 0
        if self.statements is None:  # the calls that are statements of their own, once per module
            self.statements = {
                id(node.value.value if isinstance(node.value, ast.Await) else node.value)
                for node in ast.walk(self.context.tree) if isinstance(node, ast.Expr)
            }
            self.context.steps += len(self.statements)
        for call in self._calls_by_name().get(function.name, ()):
            self.context.steps += 1
            caller = self._caller_scope(call)
            binding = single_binding(caller.lookup(function.name)) if caller is not None else None
            if binding is None or binding.value is not function:
                continue
            if id(call) not in self.statements:
                return False
            seen += 1
        called = re.compile(rf"(?<![\w]){re.escape(function.name)}[ \t]*\(")
        dropped = re.compile(rf"[ \t]*{_call_of(function.name)}")
        for text in self._other_modules(function.name):
            for match in called.finditer(text):
                start = text.rfind("\n", 0, match.start()) + 1
                if not dropped.fullmatch(text, start, match.end()):
                    return False  # its result is used: where it goes there is not followed
                seen += 1
        return seen > 0

    def _once(self, node: ast.AST, hops: int, answer: Callable[[ast.AST, int], bool]) -> bool:
        """`answer(node, hops)`, worked out once per function or class (False while it is being
        worked out: a cycle keeps nothing new)."""
        if hops >= _MAX_HOPS:
            return False
        key = id(node)
        found = self.memo.get(key)
        if found is None:
            if key in self.visiting:
                return False
            self.visiting.add(key)
            found = self.memo[key] = answer(node, hops)
            self.visiting.discard(key)
        return found

    def _function_kept(self, function: ast.AST, hops: int) -> bool:
        return self._once(function, hops, self._function_kept_once)

    def _class_kept(self, cls: ast.ClassDef, hops: int) -> bool:
        return self._once(cls, hops, self._class_kept_once)

    def _function_kept_once(self, function: ast.AST, hops: int) -> bool:
        """Whether a call of `function` (which returns the value) is kept, or the function caches it."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        if any(_decorator_name(decorator) in _CACHING_DECORATORS for decorator in function.decorator_list):
            return True
        scope = self._scope_of(function)
        parent = scope.parent
        if parent is None or parent.kind == "function":
            return False  # a nested function: where it goes is not followed
        method = parent.kind == "class"
        for call in self._calls_by_name().get(function.name, ()):
            self.context.steps += 1
            func = call.func
            if method != isinstance(func, ast.Attribute):
                continue
            caller = self._caller_scope(call)
            if caller is None:
                continue
            if not method:
                binding = single_binding(caller.lookup(function.name))
                if binding is None or binding.value is not function:
                    continue
            if self._kept(call, hops + 1):
                return True
        return not method and self._kept_elsewhere(function.name)

    def _class_kept_once(self, cls: ast.AST, hops: int) -> bool:
        """Whether an instance of the class `cls` is kept: one made in the module and kept, or,
        for a public class, one bound at module level by another project module."""
        if not isinstance(cls, ast.ClassDef) or self._scope_of(cls).parent is not self.context.module:
            return False
        for call in self._calls_by_name().get(cls.name, ()):
            self.context.steps += 1
            if isinstance(call.func, ast.Name):
                caller = self._caller_scope(call)
                binding = single_binding(caller.lookup(cls.name)) if caller is not None else None
                if binding is None or binding.value is not cls:
                    continue
                if self._kept(call, hops + 1):
                    return True
        return self._kept_elsewhere(cls.name)

    def _caller_scope(self, call: ast.Call) -> Scope | None:
        """The scope of a call found by `_calls_by_name` (its function indexed); None in a lambda."""
        if id(call) in self.module_calls:
            return self.context.module
        holder = self.holders.get(id(call))
        if holder is not None:
            self._index(holder)
        owner = self.owners.get(id(call))
        if owner is None or isinstance(owner, ast.Lambda):
            return None
        return self._scope_of(owner)

    def _kept_elsewhere(self, name: str) -> bool:
        """Whether another project module, not a test, binds a call of the public `name` at module
        level (`engine = make_engine()`, `db = meta.Database(URL)`), or stores one in its
        application's state (`app.state.db_engine = create_engine()`, or a local bound to such a
        call and stored so: AgentGPT's `_setup_db(app)`), read from its text."""
        call = _call_of(name)
        binding = re.compile(rf"^[A-Za-z_][\w.]*[ \t]*(?::[^=\n]*)?=[ \t]*{call}", re.MULTILINE)
        local = re.compile(rf"^[ \t]+([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*{call}", re.MULTILINE)
        for text in self._other_modules(name):
            if binding.search(text):
                return True
            if _APP_STATE.search(text) and (
                re.search(rf"^{_APP_STORE}{call}", text, re.MULTILINE)
                or any(
                    re.search(rf"^{_APP_STORE}{re.escape(bound)}[ \t]*(?:#[^\n]*)?$", text, re.MULTILINE)
                    for bound in set(local.findall(text))
                )
            ):
                return True
        return False

    def _other_modules(self, name: str) -> Iterator[str]:
        """The text (lines ended by "\n" alone) of each project module that names the public `name`,
        but this one and the tests (whose process ends with them)."""
        context = self.context
        project = context.project
        if name.startswith("_") or project is None or not context.filename:
            return
        here = os.path.abspath(context.filename)
        folder = project.folder() or ""
        for path, text in project.referencing(name) or ():
            context.steps += 1
            if os.path.abspath(path) != here and not is_project_test(path, folder):
                yield one_line_end(text)


def _call_of(name: str) -> str:
    """A pattern of a call of `name`, maybe awaited, maybe through its module (`meta.get_engine(`)."""
    return rf"(?:await[ \t]+)?(?:[A-Za-z_][\w.]*\.)?{re.escape(name)}[ \t]*\("


# An attribute of a web application object (`app.state.db_engine = `, `app.engine = `,
# `request.app.state.x = `), which lives as long as the process: what is stored there is kept.
_APP_STATE = re.compile(r"(?<![\w.])app\.")
_APP_STORE = r"[ \t]+(?:[A-Za-z_]\w*\.)*app(?:\.[A-Za-z_]\w*)+[ \t]*(?::[^=\n]*)?=[ \t]*"


def _first_parameter(function: ast.AST, scope: Scope) -> tuple[str, str, ast.ClassDef] | None:
    """The first parameter of a method (`self` or `cls`, by its decorators), its kind, and its class."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    parent = scope.parent
    if parent is None or parent.kind != "class" or not isinstance(parent.node, ast.ClassDef):
        return None
    names = [_decorator_name(decorator) for decorator in function.decorator_list]
    if "staticmethod" in names:
        return None
    args = (*function.args.posonlyargs, *function.args.args)
    if not args:
        return None
    return args[0].arg, "cls" if "classmethod" in names else "self", parent.node


def _decorator_name(decorator: ast.expr) -> str | None:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute):
        return decorator.attr
    return decorator.id if isinstance(decorator, ast.Name) else None


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
    server to close an idle connection.

    An engine made at module level lives as long as the process. One made in
    a function is reported only where its module shows it outliving the
    function: bound to a `global`; stored in an attribute or item of the app,
    config or registry a function is handed, of a module-level object or of
    the class (`config.registry["engine"] = engine`, `ENGINES.append(engine)`,
    `Session.configure(bind=engine)`); on `self` in a class of which an
    instance is kept; in a `scoped_session` registry (made to outlive its
    function, unless the function only returns it to callers that drop it:
    a setup script's `create_tables(url)`), or a session factory that is
    kept; or
    returned by a function whose call is kept (`SESSION = start()`, a cached
    function, a public function whose result another project module binds at
    module level or stores in its application's state: `app.state.db_engine =
    engine` in a startup function). An engine used in place, disposed, returned to callers the
    module does not show, or kept on an object of unknown lifetime (a
    connector made for one task) may well go away with its work: when unsure,
    the rule stays quiet.
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
        # Handed after a starred argument: which parameter it lands in cannot be told.
        Valid(
            "from sqlalchemy import create_engine\n\ndef use(name, engine):\n    engine.connect()\n\n"
            "def setup(url, names):\n    engine = create_engine(url)\n    use(*names, engine)\n"
        ),
        # Kept on an object whose lifetime the module does not show: a connector made for one
        # task and closed by it (fides').
        Valid(
            "from sqlalchemy import create_engine\n\nclass PostgresConnector:\n    def create_client(self):\n"
            "        return create_engine(self.url)\n\n    def client(self):\n        if self._client is None:\n"
            "            self._client = self.create_client()\n        return self._client\n\n"
            "    def close(self):\n        self._client.dispose()\n"
        ),
        # Handed to another module's function, or returned to callers that are not seen.
        Valid(
            "import sqlalchemy\nfrom .utils import query_with_time_filter\n\ndef to_dataframe(url, table):\n"
            "    engine = sqlalchemy.create_engine(url)\n    with engine.connect() as conn:\n"
            "        query = query_with_time_filter(table, engine=engine)\n        return conn.execute(query).all()\n"
        ),
        Valid(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
            "def get_session_from_config():\n    engine = create_engine(Config.DATABASE_URI)\n"
            "    return sessionmaker(bind=engine)()\n"
        ),
        # A registry returned only to callers that drop it (fedora elections' `create_tables`, which
        # its setup script runs once as a statement of its own).
        Valid(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "def create_tables(url):\n    engine = create_engine(url)\n    BASE.metadata.create_all(engine)\n"
            "    registry = scoped_session(sessionmaker(bind=engine))\n    return registry\n\n\n"
            "create_tables(URL)\n"
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
            "    def get_engine(self):\n        return create_engine(self.get_url())\n\n\n"
            "ENGINE = Store().get_engine()\n",
            at=(10, 15),
            fixed="from sqlalchemy import create_engine\n\nclass Store:\n    def get_url(self):\n"
            "        if self.local:\n            return 'sqlite://'\n        return f'postgresql://{self.host}/db'\n\n"
            "    def get_engine(self):\n        return create_engine(self.get_url(), pool_pre_ping=True)\n\n\n"
            "ENGINE = Store().get_engine()\n",
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
            "def make():\n    from sqlmodel import create_engine\n    return create_engine(url)\n\nengine = make()\n",
            at=(3, 11),
            fixed="def make():\n    from sqlmodel import create_engine\n"
            "    return create_engine(url, pool_pre_ping=True)\n\nengine = make()\n",
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
            "    return engine\n\nclass Store:\n    def __init__(self, url):\n"
            "        self.engine = _get_engine(url)\n\n"
            "STORE = Store(URL)\n",
            at=(4, 13),
            fixed="from sqlalchemy import create_engine\n\ndef _get_engine(url):\n"
            "    engine = create_engine(url, pool_pre_ping=True)\n"
            "    return engine\n\nclass Store:\n    def __init__(self, url):\n"
            "        self.engine = _get_engine(url)\n\n"
            "STORE = Store(URL)\n",
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
            "        return create_engine(self.url)\n\n\nENGINE = Store(PATH).engine()\n",
            at=(11, 15),
        ),
        # A module that only looks like a revision script (no Alembic import): reported.
        Invalid(
            'import sqlalchemy as sa\n\nrevision = "40355237ae7c"\ndown_revision = None\n'
            "engine = sa.create_engine(DATABASE_URL)\n",
            at=(5, 9),
        ),
        # Made in a function, and kept: in a global (koschei's) ...
        Invalid(
            "from sqlalchemy import create_engine\n\n_engine = None\n\ndef get_engine():\n    global _engine\n"
            "    if _engine is None:\n        _engine = create_engine(get_config('db_url'), pool_size=10)\n"
            "    return _engine\n",
            at=(8, 18),
        ),
        # ... in the registry of the app a startup hook is handed (h's and warehouse's `includeme`) ...
        Invalid(
            "import sqlalchemy\n\ndef create_engine(database_url):\n"
            "    return sqlalchemy.create_engine(database_url)\n\n"
            "def includeme(config):\n    engine = create_engine(config.registry.settings['sqlalchemy.url'])\n"
            "    config.registry['sqlalchemy.engine'] = engine\n",
            at=(4, 11),
        ),
        # ... in a factory kept at module level (a bot's `SESSION = start()`) ...
        Invalid(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "def start() -> scoped_session:\n    engine = create_engine(DB_URI)\n"
            "    return scoped_session(sessionmaker(bind=engine, autoflush=False))\n\nSESSION = start()\n",
            at=(5, 13),
        ),
        # ... on an instance a function keeps in a global (dstack's `Database`).
        Invalid(
            "from sqlalchemy.ext.asyncio import create_async_engine\n\nclass Database:\n"
            "    def __init__(self, url):\n        self.engine = create_async_engine(url, pool_size=20)\n\n"
            "_db = None\n\ndef get_db():\n    global _db\n    if _db is None:\n        _db = Database(URL)\n"
            "    return _db\n",
            at=(5, 22),
        ),
        # ... or in a `scoped_session` registry (Home Assistant's SQL sensor).
        Invalid(
            "import sqlalchemy\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n"
            "def session_maker_for(db_url):\n    engine = sqlalchemy.create_engine(db_url)\n"
            "    sessmaker = scoped_session(sessionmaker(bind=engine))\n    return sessmaker\n",
            at=(5, 13),
        ),
        # ... which a caller keeps, or whose result a caller uses.
        *(
            Invalid(
                "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n"
                "def create_tables(url):\n    engine = create_engine(url)\n"
                f"    return scoped_session(sessionmaker(bind=engine))\n\n\ncreate_tables(URL)\n{use}\n",
                at=(5, 13),
            )
            for use in ("SESSION = create_tables(URL)", "def serve():\n    run(create_tables(URL))")
        ),
    ]

    def check(self, context: Context) -> Iterator[Finding]:
        if context.is_test_file:
            return  # a test run ends long before a server closes an idle connection
        if _alembic_revision(context):
            return  # run by `alembic upgrade`, a process that ends with the migration
        fallbacks: set[int] | None = None
        lifetime = _EngineLifetime(context)
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
            if context.in_command(scope) or not lifetime.long_lived(call, scope):
                continue  # the engine may go away with its function, or the process with its command
            if fallbacks is None:
                fallbacks = _fallback_engines(context) if context.tries else set()
            if id(call) in fallbacks:
                continue  # the SQLite fallback of a pooled engine that is set up
            if context.chained_calls.get(id(call)) in _CONNECTING_METHODS:
                continue  # `create_engine(url).raw_connection()`: the engine is thrown away
            func = "create_async_engine" if "async" in (called_name(call.func) or "") else "create_engine"
            fix = Fix(SetKeyword(Span.of(call), "pool_pre_ping", "True"), safe=True)
            yield self.finding(call, fix, func=func)


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
