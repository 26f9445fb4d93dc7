"""Name resolution: what a local name refers to, computed once per file.

A `Scope` maps each name bound in it (imports, assignments, parameters,
`with ... as` targets, definitions) to its bindings, the way pyflakes does.
`qualified_name` turns `sa.orm.Session` into `sqlalchemy.orm.Session` through
those bindings; anything it cannot follow resolves to ``None`` so that the
rules stay quiet.
"""
from __future__ import annotations

import ast
from typing import Callable, Optional, Union

# Packages whose `Session` and `create_engine` are SQLAlchemy's (SQLModel re-exports them).
SA_ROOTS = frozenset({"sqlalchemy", "sqlmodel"})
# `Annotated[T, ...]`: an annotation of `T` with metadata (FastAPI's `Depends(...)`).
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
FLASK_SQLALCHEMY = "flask_sqlalchemy.SQLAlchemy"

# Names that `from sqlalchemy... import *` may bring in and that the rules care about.
SA_STAR_NAMES = frozenset(
    {
        "Session", "AsyncSession", "sessionmaker", "async_sessionmaker", "scoped_session",
        "async_scoped_session", "create_engine", "create_async_engine", "engine_from_config",
        "NullPool", "StaticPool", "SingletonThreadPool", "AssertionPool",
    }
)

# Libraries whose "sessions" and "connections" are not SQLAlchemy's: a session-like
# name bound to one of these is never a receiver.
FOREIGN_ROOTS = frozenset(
    {
        "aiobotocore", "aiohttp", "aioredis", "asyncssh", "azure", "boto3", "botocore",
        "cassandra", "django", "fastapi", "flask", "ftplib", "google", "grpc", "http",
        "httpx", "imaplib", "keras", "kombu", "ldap3", "motor", "neo4j", "nox", "onnxruntime",
        "openai", "paramiko", "pika", "poplib", "py2neo", "pymongo", "pyspark", "pytest",
        "quart", "redis", "requests", "requests_cache", "requests_oauthlib", "scrapy",
        "selenium", "smtplib", "snowflake", "socket", "starlette", "tensorflow", "tornado",
        "urllib", "urllib3", "websockets", "werkzeug", "zeep",
    }
)

# Objects of those libraries whose attributes are the user's own: `django.conf.settings.X`.
OPEN_NAMESPACES = ("django.conf.settings",)


def is_foreign(qualified: str) -> bool:
    """Whether a qualified name is known to be some other library's, not SQLAlchemy's."""
    if qualified.partition(".")[0] not in FOREIGN_ROOTS:
        return False
    return not any(qualified == ns or qualified.startswith(ns + ".") for ns in OPEN_NAMESPACES)


# Drivers whose exceptions are database errors when they reach an `except`.
DBAPI_ROOTS = frozenset(
    {
        "MySQLdb", "aiomysql", "aiosqlite", "asyncmy", "asyncpg", "cx_Oracle", "ibm_db",
        "mariadb", "mysql", "oracledb", "pg8000", "psycopg", "psycopg2", "pymssql",
        "pymysql", "pyodbc", "sqlite3",
    }
)

BindingValue = Union[ast.AST, str, None]


class Binding:
    """One way a name gets bound in a scope.

    kind is one of: "import" (value: qualified name), "assign" (value: the
    assigned expression), "annotated" (value: the annotation), "with" (value:
    the context expression), "param" (value: the annotation or None), "def" and
    "class" (value: the function or class definition) or "other" (loop targets,
    handler names, ...; value None).
    """

    __slots__ = ("kind", "value", "where")

    def __init__(self, kind: str, value: BindingValue = None, where: Optional[Scope] = None) -> None:
        self.kind = kind
        self.value = value
        # The scope the value is evaluated in, when it is not the one the name is bound
        # in: `global session` then `session = Session(bind)` in a function.
        self.where = where


class Scope:
    """A module, class or function body and the names bound in it."""

    __slots__ = ("node", "kind", "parent", "names", "star_imports", "is_async", "declared", "globals", "loader")

    def __init__(self, node: ast.AST, kind: str, parent: Optional[Scope], is_async: bool = False) -> None:
        self.node = node
        self.kind = kind  # "module" | "class" | "function"
        self.parent = parent
        self.names: dict[str, list[Binding]] = {}
        self.star_imports: list[str] = []
        self.is_async = is_async
        self.declared: set[str] = set()  # global / nonlocal names
        self.globals: set[str] = set()  # global names only
        # For a module read in part: binds what its statements bind to a name (once per name).
        self.loader: Optional[Callable[[str], bool]] = None

    def bind(self, name: str, binding: Binding) -> None:
        self.names.setdefault(name, []).append(binding)

    def bind_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.bind(alias.asname, Binding("import", alias.name))
                else:
                    top = alias.name.partition(".")[0]
                    self.bind(top, Binding("import", top))
            return
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append(module)
                continue
            prefix = module if module.endswith(".") else module + "."
            self.bind(alias.asname or alias.name, Binding("import", prefix + alias.name))

    def lookup(self, name: str) -> list[Binding] | None:
        """The bindings `name` has where this scope's code runs (classes don't enclose)."""
        scope: Optional[Scope] = self
        first = True
        while scope is not None:
            if scope.loader is not None:
                scope.loader(name)  # a module read in part: bind what its statements bind to `name`
            if (first or scope.kind != "class") and name in scope.names:
                return scope.names[name]
            if scope.kind == "module" and name in SA_STAR_NAMES:
                for module in scope.star_imports:
                    if module.partition(".")[0] in SA_ROOTS:
                        return [Binding("import", f"{module}.{name}")]
            first = False
            scope = scope.parent
        return None


def qualified_name(expr: ast.expr, scope: Scope) -> str | None:
    """`sa.orm.Session` -> `sqlalchemy.orm.Session` when `sa` is an import; else None."""
    attrs: list[str] = []
    while isinstance(expr, ast.Attribute):
        attrs.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    bindings = scope.lookup(expr.id)
    if bindings is None:
        # An unbound name is a builtin (or comes from somewhere we cannot see).
        return None if attrs else f"builtins.{expr.id}"
    qualified = None
    for binding in bindings:
        if binding.kind != "import" or not isinstance(binding.value, str):
            return None
        if qualified is not None and sa_name(qualified) != sa_name(binding.value) and qualified != binding.value:
            return None  # bound to different things on different paths
        qualified = binding.value
    if qualified is None:
        return None
    return ".".join([qualified, *reversed(attrs)])


def sa_name(qualified: str | None) -> str | None:
    """The public SQLAlchemy name behind a qualified name (`sqlalchemy.orm.session.Session` -> `Session`)."""
    if qualified is None:
        return None
    root, _, rest = qualified.partition(".")
    if root not in SA_ROOTS or not rest:
        return None
    return rest.rpartition(".")[2]


def single_binding(bindings: Optional[list[Binding]]) -> Optional[Binding]:
    """The one binding of a name, or None when it has none or several."""
    return bindings[0] if bindings and len(bindings) == 1 else None


def root_of(qualified: str) -> str:
    return qualified.partition(".")[0]


def called_name(func: ast.expr) -> str | None:
    """The name a callee is spelled with (`f` of `f()` and of `obj.f()`)."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def dotted(expr: ast.expr) -> str | None:
    """`a.b.c` for a chain of plain attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))
