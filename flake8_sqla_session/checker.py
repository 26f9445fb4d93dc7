"""The detection core: one walk over a module's statements, then the rules.

`check(tree, settings, filename)` is the single entry point used by the flake8
plugin, the command line and the codemods.  The walk visits statements only
(expressions are looked at where a rule needs them), binds names per scope and
records what the rules ask about: module-scope statements, class bodies,
functions and `try` statements with the `with` blocks around them.
"""
from __future__ import annotations

import ast
import bisect
import enum
import re
from typing import Callable, Iterable, Optional, Sequence, cast

from .finding import Finding, Import
from .names import (
    DBAPI_ROOTS,
    FLASK_SQLALCHEMY,
    SA_ROOTS,
    Binding,
    Scope,
    is_foreign,
    qualified_name,
    root_of,
    sa_name,
)
from .settings import Settings


class Kind(enum.Enum):
    """What an expression evaluates to, as far as the rules are concerned."""

    SESSION = "Session"
    ASYNC_SESSION = "AsyncSession"
    FACTORY = "sessionmaker"
    ASYNC_FACTORY = "async_sessionmaker"
    REGISTRY = "scoped_session"
    ASYNC_REGISTRY = "async_scoped_session"
    ENGINE = "Engine"
    ASYNC_ENGINE = "AsyncEngine"
    CONNECTION = "Connection"
    FLASK_DB = "SQLAlchemy"
    FOREIGN = "foreign"  # something that is known not to be SQLAlchemy's


SESSIONS = frozenset({Kind.SESSION, Kind.ASYNC_SESSION})
FACTORIES = frozenset({Kind.FACTORY, Kind.ASYNC_FACTORY})
REGISTRIES = frozenset({Kind.REGISTRY, Kind.ASYNC_REGISTRY})
ENGINES = frozenset({Kind.ENGINE, Kind.ASYNC_ENGINE})
ASYNC_KINDS = frozenset({Kind.ASYNC_SESSION, Kind.ASYNC_FACTORY, Kind.ASYNC_REGISTRY, Kind.ASYNC_ENGINE})

# SQLAlchemy's public names, by what a call of them (or an annotation with them) gives.
_SA_CALLS = {
    "Session": Kind.SESSION,
    "AsyncSession": Kind.ASYNC_SESSION,
    "sessionmaker": Kind.FACTORY,
    "async_sessionmaker": Kind.ASYNC_FACTORY,
    "scoped_session": Kind.REGISTRY,
    "async_scoped_session": Kind.ASYNC_REGISTRY,
    "create_engine": Kind.ENGINE,
    "engine_from_config": Kind.ENGINE,
    "create_async_engine": Kind.ASYNC_ENGINE,
    "async_engine_from_config": Kind.ASYNC_ENGINE,
}
_SA_TYPES = {
    "Session": Kind.SESSION,
    "AsyncSession": Kind.ASYNC_SESSION,
    "scoped_session": Kind.REGISTRY,
    "async_scoped_session": Kind.ASYNC_REGISTRY,
    "sessionmaker": Kind.FACTORY,
    "async_sessionmaker": Kind.ASYNC_FACTORY,
    "Engine": Kind.ENGINE,
    "AsyncEngine": Kind.ASYNC_ENGINE,
    "Connection": Kind.CONNECTION,
    "AsyncConnection": Kind.CONNECTION,
}
_LITERALS = (
    ast.Constant, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.JoinedStr, ast.ListComp,
    ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.Lambda, ast.Compare, ast.BinOp,
)
# How deep classification may recurse (through expressions and names alike) before
# it answers "unknown": far beyond real code, far below Python's recursion limit.
_MAX_DEPTH = 100

# SQLAlchemy exceptions raised after the database answered (or before it was asked):
# catching one does not mean the session's transaction failed.
NOT_DATABASE_ERRORS = frozenset(
    {
        "NoResultFound", "MultipleResultsFound", "ObjectDeletedError", "DetachedInstanceError",
        "UnmappedInstanceError", "UnmappedClassError", "UnmappedColumnError", "NoInspectionAvailable",
        "NoSuchModuleError", "ArgumentError", "CompileError", "UnsupportedCompilationError",
        "NoSuchTableError", "NoSuchColumnError", "NoReferenceError", "NoReferencedTableError",
        "NoReferencedColumnError", "NoForeignKeysError", "AmbiguousForeignKeysError",
        "CircularDependencyError", "ObjectNotExecutableError", "UnboundExecutionError",
    }
)


class TryRecord:
    """A `try` statement, its scope, and the `with` blocks around it in that scope."""

    __slots__ = ("node", "scope", "withs")

    def __init__(self, node: ast.Try, scope: Scope, withs: tuple[tuple[ast.With | ast.AsyncWith, bool], ...]):
        self.node = node
        self.scope = scope
        # (with statement, whether nothing in that block runs after this try)
        self.withs = withs


class Context:
    """Everything the rules may ask about one module, built by a single statement walk."""

    def __init__(self, tree: ast.Module, settings: Settings, filename: str = "") -> None:
        self.tree = tree
        self.settings = settings
        self.filename = filename
        self.module = Scope(tree, "module", None)
        # Module-scope simple statements outside `if __name__ == "__main__":`.
        self.module_statements: list[ast.stmt] = []
        # Simple statements of class bodies, with the class scope.
        self.class_statements: list[tuple[ast.stmt, Scope]] = []
        # Every function with its own scope (whose parent is where its defaults run).
        self.functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, Scope]] = []
        self.scopes: dict[ast.AST, Scope] = {tree: self.module}
        self.tries: list[TryRecord] = []
        # Assignments in functions to names declared `global`: (name, binding, function scope).
        self.global_assignments: list[tuple[str, Binding, Scope]] = []
        # Values assigned to `self.<attr>` anywhere in the module, by attribute name.
        self.self_attributes: dict[str, list[tuple[ast.expr, Scope]]] = {}
        self.imports_sqlalchemy = False
        self._calls: list[tuple[ast.Call, Scope]] | None = None
        self._raisers: dict[tuple[str, str], bool] | None = None
        # id of a call whose result is only used to call a method on it -> that method's
        # name (filled with `calls`).
        self.chained_calls: dict[int, str] = {}
        # Memos of `classify`, and a count of the classification steps taken (for the
        # tests that prove the cost linear).
        self._kinds: dict[tuple[int, int], Kind | None] = {}
        self._name_kinds: dict[tuple[str, int], Kind | None] = {}
        self._attribute_kinds: dict[str, Kind | None] = {}
        self.steps = 0
        self._uses: UseIndex | None = None
        self._assigned: dict[int, dict[int, list[str]]] = {}
        self._walk(tree.body, self.module, (), False)

    # ---- the walk -------------------------------------------------------------------------

    def _walk(
        self,
        body: list[ast.stmt],
        scope: Scope,
        withs: tuple[tuple[ast.With | ast.AsyncWith, bool], ...],
        under_main: bool,
    ) -> None:
        at_module = scope.kind == "module"
        last = body[-1] if body else None
        tail_withs = withs
        not_tail = tuple((w, False) for w, _ in tail_withs) if tail_withs else tail_withs
        for stmt in body:
            # Code after a statement that is not the last still runs inside the blocks.
            withs = tail_withs if stmt is last else not_tail
            kind = type(stmt)
            if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign or kind is ast.Expr:
                self._simple(stmt, scope, at_module, under_main)
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self._function(stmt, scope)  # type: ignore[arg-type]
            elif kind is ast.ClassDef:
                assert isinstance(stmt, ast.ClassDef)
                scope.bind(stmt.name, Binding("other"))
                inner = Scope(stmt, "class", scope)
                self.scopes[stmt] = inner
                self._walk(stmt.body, inner, (), False)
            elif kind is ast.Import or kind is ast.ImportFrom:
                assert isinstance(stmt, (ast.Import, ast.ImportFrom))
                scope.bind_import(stmt)
                if not self.imports_sqlalchemy:
                    self.imports_sqlalchemy = _imports_sqlalchemy(stmt)
            elif kind is ast.If:
                assert isinstance(stmt, ast.If)
                main = under_main or (at_module and _is_main_guard(stmt.test))
                self._walk(stmt.body, scope, withs, main)
                self._walk(stmt.orelse, scope, withs, under_main)
            elif kind is ast.With or kind is ast.AsyncWith:
                assert isinstance(stmt, (ast.With, ast.AsyncWith))
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self._bind_target(item.optional_vars, scope, Binding("with", item.context_expr))
                inner_withs = withs + ((stmt, True),) if scope.kind == "function" else withs
                self._walk(stmt.body, scope, inner_withs, under_main)
            elif kind is ast.Try or kind is getattr(ast, "TryStar", None):  # TryStar: 3.11+
                stmt = cast(ast.Try, stmt)  # ast.TryStar has the same fields
                self.tries.append(TryRecord(stmt, scope, withs))
                self._walk(stmt.body, scope, withs, under_main)
                for handler in stmt.handlers:
                    if handler.name:
                        scope.bind(handler.name, Binding("other"))
                    self._walk(handler.body, scope, withs, under_main)
                self._walk(stmt.orelse, scope, withs, under_main)
                self._walk(stmt.finalbody, scope, withs, under_main)
            elif kind is ast.For or kind is ast.AsyncFor:
                assert isinstance(stmt, (ast.For, ast.AsyncFor))
                self._bind_target(stmt.target, scope, Binding("other"))
                self._walk(stmt.body, scope, not_tail, under_main)
                self._walk(stmt.orelse, scope, withs, under_main)
            elif kind is ast.While:
                assert isinstance(stmt, ast.While)
                self._walk(stmt.body, scope, not_tail, under_main)
                self._walk(stmt.orelse, scope, withs, under_main)
            elif kind is ast.Global or kind is ast.Nonlocal:
                assert isinstance(stmt, (ast.Global, ast.Nonlocal))
                scope.declared.update(stmt.names)
                if kind is ast.Global and scope.kind != "module":
                    scope.globals.update(stmt.names)
            elif kind is getattr(ast, "Match", None):
                for case in stmt.cases:  # type: ignore[attr-defined]
                    self._walk(case.body, scope, withs, under_main)

    def _simple(self, stmt: ast.stmt, scope: Scope, at_module: bool, under_main: bool) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._bind_target(target, scope, Binding("assign", stmt.value))
        elif isinstance(stmt, ast.AnnAssign):
            self._bind_target(stmt.target, scope, Binding("annotated", stmt.annotation))
            if stmt.value is not None:
                self._bind_target(stmt.target, scope, Binding("assign", stmt.value))
        if at_module:
            if not under_main:
                self.module_statements.append(stmt)
        elif scope.kind == "class":
            self.class_statements.append((stmt, scope))

    def _bind_target(self, target: ast.expr, scope: Scope, binding: Binding) -> None:
        if isinstance(target, ast.Name):
            if target.id in scope.globals:  # `global session` in a function: a module name
                binding.where = scope
                self.module.bind(target.id, binding)
                if binding.kind == "assign":
                    self.global_assignments.append((target.id, binding, scope))
                return
            scope.bind(target.id, binding)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_target(element, scope, Binding("other"))
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, scope, Binding("other"))
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and binding.kind == "assign"
            and isinstance(binding.value, ast.expr)
        ):
            self.self_attributes.setdefault(target.attr, []).append((binding.value, scope))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        scope.bind(node.name, Binding("other"))
        inner = Scope(node, "function", scope, isinstance(node, ast.AsyncFunctionDef))
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            inner.bind(arg.arg, Binding("param", arg.annotation))
        for star in (args.vararg, args.kwarg):
            if star is not None:
                inner.bind(star.arg, Binding("other"))
        self.functions.append((node, inner))
        self.scopes[node] = inner
        self._walk(node.body, inner, (), False)

    # ---- queries for the rules -------------------------------------------------------------

    @property
    def calls(self) -> list[tuple[ast.Call, Scope]]:
        """Every call, with its scope, in a module that imports SQLAlchemy (else none).

        Engines are only built where SQLAlchemy is imported, so other modules
        are never walked expression by expression.
        """
        if self._calls is None:
            self._calls = []
            if self.imports_sqlalchemy:
                self._collect_calls(self.tree, self.module)
        return self._calls

    def _collect_calls(self, node: ast.AST, scope: Scope) -> None:
        calls = self._calls
        assert calls is not None
        scopes = self.scopes
        chained = self.chained_calls
        stack = [(node, scope)]
        while stack:
            node, scope = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Call):
                    calls.append((child, scope))
                    func = child.func
                    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
                        chained[id(func.value)] = func.attr  # `create_engine(url).connect()`
                stack.append((child, scopes.get(child, scope)))

    def qualified(self, expr: ast.expr, scope: Scope) -> str | None:
        return qualified_name(expr, scope)

    def classify(self, expr: ast.expr, scope: Scope, depth: int = 0) -> Kind | None:
        """What `expr` evaluates to, or None when that cannot be told.

        Each (expression, scope), each name in the scope that binds it and each
        `self` attribute is classified once and remembered, so the cost is linear
        in the module however names are reassigned.  A name whose value depends
        on itself (`stmt = stmt.where(...)`, `a = b; b = a`) is unknown while it
        is being classified, which makes every value built on it unknown too.
        `depth` counts the recursion, which stops (unknown) past `_MAX_DEPTH`.
        """
        self.steps += 1
        key = (id(expr), id(scope))
        memo = self._kinds
        if key in memo:
            return memo[key]
        kind = None if depth > _MAX_DEPTH else self._classify(expr, scope, depth)
        memo[key] = kind
        return kind

    def _classify(self, expr: ast.expr, scope: Scope, depth: int) -> Kind | None:
        if isinstance(expr, ast.Call):
            return self._classify_call(expr, scope, depth)
        if isinstance(expr, ast.Name):
            return self._classify_name(expr.id, scope, depth)
        if isinstance(expr, ast.Attribute):
            qualified = qualified_name(expr, scope)
            if qualified is not None:  # a module attribute: `flask.session`, `settings.DB_SESSION`
                return Kind.FOREIGN if is_foreign(qualified) else None
            if isinstance(expr.value, ast.Name) and expr.value.id == "self":
                return self._classify_self_attribute(expr.attr, depth)
            base = self.classify(expr.value, scope, depth + 1)
            if base is Kind.FLASK_DB and expr.attr == "session":
                return Kind.REGISTRY
            if base is Kind.FOREIGN:
                return Kind.FOREIGN
            return None
        if isinstance(expr, ast.Await):
            return self.classify(expr.value, scope, depth + 1)
        if isinstance(expr, _LITERALS):
            return Kind.FOREIGN
        return None

    def _classify_call(self, call: ast.Call, scope: Scope, depth: int) -> Kind | None:
        func = call.func
        qualified = qualified_name(func, scope)
        if qualified is not None:
            name = sa_name(qualified)
            if name in _SA_CALLS:
                return _SA_CALLS[name]
            if qualified == FLASK_SQLALCHEMY:
                return Kind.FLASK_DB
            if self.is_configured_factory(qualified):
                return Kind.SESSION
            if is_foreign(qualified):
                return Kind.FOREIGN
        if isinstance(func, ast.Attribute):
            base = self.classify(func.value, scope, depth + 1)
            if base in ENGINES and func.attr in ("connect", "raw_connection"):
                return Kind.CONNECTION
            if base is Kind.FOREIGN:
                return Kind.FOREIGN
            return None
        inner = self.classify(func, scope, depth + 1)
        if inner is Kind.FACTORY or inner is Kind.REGISTRY:
            return Kind.SESSION
        if inner is Kind.ASYNC_FACTORY or inner is Kind.ASYNC_REGISTRY:
            return Kind.ASYNC_SESSION
        return None

    def _classify_name(self, name: str, scope: Scope, depth: int) -> Kind | None:
        bindings = scope.lookup(name)
        if not bindings:
            return None
        owner = self._owner(name, scope)
        key = (name, id(owner))
        memo = self._name_kinds
        if key in memo:
            return memo[key]
        memo[key] = None  # while it is being classified: a cycle back to it is unknown
        self.steps += 1
        kind = self._classify_bindings(bindings, owner, depth)
        memo[key] = kind
        return kind

    def _classify_bindings(self, bindings: list[Binding], owner: Scope, depth: int) -> Kind | None:
        kinds = []
        for binding in bindings:
            if binding.kind == "import":
                assert isinstance(binding.value, str)
                if self.is_configured_factory(binding.value):
                    kinds.append(Kind.FACTORY)
                elif is_foreign(binding.value):
                    kinds.append(Kind.FOREIGN)
                else:
                    return None  # a class or function, or something we cannot see
            elif binding.kind in ("assign", "with"):
                assert isinstance(binding.value, ast.expr)
                kind = self.classify(binding.value, binding.where or owner, depth + 1)
                if kind is None:
                    return None
                kinds.append(kind)
            elif binding.kind in ("annotated", "param"):
                if binding.value is None:
                    return None
                assert isinstance(binding.value, ast.expr)
                return self.classify_annotation(binding.value, binding.where or owner)
            else:
                return None
        return self._agree(kinds)

    def _classify_self_attribute(self, attr: str, depth: int) -> Kind | None:
        memo = self._attribute_kinds
        if attr in memo:
            return memo[attr]
        memo[attr] = None  # `self.a = self.b; self.b = self.a`
        self.steps += 1
        kind = self._agree(
            self.classify(value, where, depth + 1) for value, where in self.self_attributes.get(attr, ())
        )
        memo[attr] = kind
        return kind

    def _owner(self, name: str, scope: Scope) -> Scope:
        current: Optional[Scope] = scope
        first = True
        while current is not None:
            if (first or current.kind != "class") and name in current.names:
                return current
            first = False
            current = current.parent
        return self.module

    @staticmethod
    def _agree(kinds: Iterable[Kind | None]) -> Kind | None:
        result: Kind | None = None
        for kind in kinds:
            if kind is None or (result is not None and kind is not result):
                return None
            result = kind
        return result

    def classify_annotation(self, annotation: ast.expr, scope: Scope) -> Kind | None:
        """`Session`, `Optional[Session]`, `"Session"`, `Session | None` -> Kind.SESSION."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except (SyntaxError, ValueError):
                return None
        if isinstance(annotation, ast.Subscript):
            inner = annotation.slice
            elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            found = [self.classify_annotation(e, scope) for e in elements if not _is_none(e)]
            return self._agree(found) if len(found) == 1 else None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
            return self.classify_annotation(sides[0], scope) if len(sides) == 1 else None
        qualified = qualified_name(annotation, scope)
        if qualified is None:
            return None
        name = sa_name(qualified)
        if name is not None:
            return _SA_TYPES.get(name)
        if is_foreign(qualified):
            return Kind.FOREIGN
        return None

    def is_configured_factory(self, qualified: str) -> bool:
        """Whether `qualified` is one of --sqla-session-factories (relative imports match by suffix)."""
        for factory in self.settings.session_factories:
            if qualified == factory:
                return True
            if qualified.startswith("."):
                relative = qualified.lstrip(".")
                if factory == relative or factory.endswith("." + relative):
                    return True
        return False

    def never_returns(self, func: ast.expr, scope: Scope) -> bool:
        """Whether `func` names a function of this module (or `self.method`) that always raises.

        `handle_database_error()` defined above as `...; raise X from exc`: its last
        statement raises and it has no `return`.
        """
        if isinstance(func, ast.Name):
            bindings = scope.lookup(func.id)
            if not bindings or any(b.kind != "other" for b in bindings):
                return False
            name, wanted = func.id, "module"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            name, wanted = func.attr, "class"
        else:
            return False
        if self._raisers is None:
            self._raisers = {}
            for node, inner in self.functions:
                parent = inner.parent
                assert parent is not None
                if node.body and isinstance(node.body[-1], ast.Raise) and not _has_return(node):
                    self._raisers.setdefault((parent.kind, node.name), True)
                else:
                    self._raisers[(parent.kind, node.name)] = False
        return self._raisers.get((wanted, name), False)

    def kept_local(
        self, function: ast.AST, name: str, release: str, local_call: Callable[[ast.Call], bool] | None = None
    ) -> bool | None:
        """How the local `name` is used in `function`: see `UseIndex.kept_local`."""
        self.steps += 1
        if self._uses is None:
            self._uses = UseIndex(self.tree)
            self.steps += self._uses.size
        return self._uses.kept_local(function, name, release, local_call)

    def bound_to(self, value: ast.expr, scope: Scope) -> list[str]:
        """The names of `scope` that an assignment binds to `value` (an expression node)."""
        index = self._assigned.get(id(scope))
        if index is None:
            index = self._assigned[id(scope)] = {}
            for name, bindings in scope.names.items():
                for binding in bindings:
                    if binding.kind == "assign" and binding.value is not None:
                        names = index.setdefault(id(binding.value), [])
                        if name not in names:
                            names.append(name)
        return index.get(id(value), [])

    def is_receiver(self, expr: ast.expr, scope: Scope) -> bool:
        """Whether `expr` (a name or attribute chain) holds a SQLAlchemy session."""
        if isinstance(expr, ast.Name):
            last = expr.id
        elif isinstance(expr, ast.Attribute):
            last = expr.attr
            if isinstance(expr.value, ast.Attribute):
                owner = expr.value.attr
            elif isinstance(expr.value, ast.Name):
                owner = expr.value.id
            else:
                return False
            if owner in ("request", "req", "client"):
                return False  # web framework and test client sessions are dicts
        else:
            return False
        kind = self.classify(expr, scope)
        if kind in SESSIONS or kind in REGISTRIES:
            return True
        if kind is not None:
            return False
        return self.settings.is_session_name(last)

    def is_database_error(self, expr: ast.expr | None, scope: Scope) -> bool:
        """Whether an `except` clause with this type catches database errors."""
        if expr is None:
            return True
        if isinstance(expr, ast.Tuple):
            return any(self.is_database_error(e, scope) for e in expr.elts)
        qualified = qualified_name(expr, scope)
        if qualified is None:
            return False
        if qualified in ("builtins.Exception", "builtins.BaseException"):
            return True
        root = root_of(qualified)
        if root in SA_ROOTS:
            return sa_name(qualified) not in NOT_DATABASE_ERRORS
        return root in DBAPI_ROOTS

    def sa_import_for(self, name: str, like: ast.expr, scope: Scope) -> tuple[str, tuple[Import, ...]]:
        """How to spell SQLAlchemy's `name` here, in the style `like` (a callee) is spelled.

        `sa.orm.sessionmaker` -> `sa.orm.<name>`, no import; a bare `sessionmaker`
        -> `<name>` with `from <module> import <name>` (unless already bound).
        """
        module = "sqlalchemy.ext.asyncio" if name.startswith("async") or name == "AsyncSession" else "sqlalchemy.orm"
        if isinstance(like, ast.Attribute):
            prefix = like.value
            qualified = qualified_name(prefix, scope)
            if qualified is not None and root_of(qualified) in SA_ROOTS:
                return f"{ast.unparse(prefix)}.{name}", ()
        bindings = self.module.names.get(name)
        if bindings:
            if all(b.kind == "import" and isinstance(b.value, str) and sa_name(b.value) == name for b in bindings):
                return name, ()
        else:
            return name, (Import(module, name),)
        return f"{module}.{name}", (Import(module),)


def _imports_sqlalchemy(stmt: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(stmt, ast.Import):
        return any(alias.name.partition(".")[0] in SA_ROOTS for alias in stmt.names)
    return stmt.level == 0 and (stmt.module or "").partition(".")[0] in SA_ROOTS


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _has_return(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


class UseIndex:
    """Where each name is used in a module, from a single depth-first walk.

    Every node gets its preorder number, so the nodes inside a function are the
    numbers from the function's own to the last of its body: how a name is used
    in any function (nested functions included) is a few binary searches, and
    asking about every local of every function costs one walk of the module.
    """

    __slots__ = ("span", "loads", "attributes", "releases", "sole_arguments", "size")

    def __init__(self, tree: ast.AST) -> None:
        self.span: dict[int, tuple[int, int]] = {}  # id(function) -> (first, last) preorder number
        self.loads: dict[str, list[int]] = {}
        self.attributes: dict[str, list[int]] = {}  # name -> numbers of `name.<attr>` nodes
        self.releases: dict[tuple[str, str], list[int]] = {}  # (name, attr) -> numbers
        self.sole_arguments: dict[str, list[tuple[int, ast.Call]]] = {}  # calls with `name` as only argument
        functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        number = 0
        stack: list[tuple[ast.AST, bool]] = [(tree, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.span[id(node)] = (self.span[id(node)][0], number)
                continue
            number += 1
            if isinstance(node, functions):
                self.span[id(node)] = (number, number)
                stack.append((node, True))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                self.attributes.setdefault(node.value.id, []).append(number)
                self.releases.setdefault((node.value.id, node.attr), []).append(number)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self.loads.setdefault(node.id, []).append(number)
            elif isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.args[0], ast.Name):
                self.sole_arguments.setdefault(node.args[0].id, []).append((number, node))
            stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(node))))
        self.size = number

    def kept_local(
        self, function: ast.AST, name: str, release: str, local_call: Callable[[ast.Call], bool] | None = None
    ) -> bool | None:
        """How the local `name` is used in `function`.

        None when `name.<release>` appears (`session.close`, `engine.dispose`);
        True when `name` is only used as `name.<attribute>`, or as the argument of a
        call that `local_call` accepts; False when it is handed on in any other way
        (returned, yielded, stored, passed, aliased), so it may be released elsewhere.
        """
        first, last = self.span[id(function)]
        if _count(self.releases.get((name, release), ()), first, last):
            return None
        local = _count(self.attributes.get(name, ()), first, last)
        if local_call is not None:
            calls = self.sole_arguments.get(name, ())
            start = bisect.bisect_left(calls, (first,))
            for number, call in calls[start:]:
                if number > last:
                    break
                if local_call(call):
                    local += 1
        return _count(self.loads.get(name, ()), first, last) == local


def _count(numbers: Sequence[int], first: int, last: int) -> int:
    """How many of the sorted `numbers` lie in [first, last]."""
    return bisect.bisect_right(numbers, last) - bisect.bisect_left(numbers, first)


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


# An absolute import of SQLAlchemy, SQLModel or Flask-SQLAlchemy, at any indentation.
_SA_IMPORT = re.compile(r"(?:^|;)[ \t]*(?:from|import)[ \t]+(?:sqlalchemy|sqlmodel|flask_sqlalchemy)\b", re.MULTILINE)


class TextFacts:
    """Cheap facts about a module's text, for the rules' prefilters (`Rule.may_apply`).

    Each is a superset test: when it says no, the rule cannot report anything here.
    """

    __slots__ = ("source", "filename", "_imports_sqlalchemy")

    def __init__(self, source: str, filename: str = "") -> None:
        self.source = source
        self.filename = filename
        self._imports_sqlalchemy: bool | None = None

    @property
    def imports_sqlalchemy(self) -> bool:
        """An absolute import of sqlalchemy, sqlmodel or flask_sqlalchemy in the text."""
        if self._imports_sqlalchemy is None:
            source = self.source
            self._imports_sqlalchemy = ("sqlalchemy" in source or "sqlmodel" in source) and bool(
                _SA_IMPORT.search(source)
            )
        return self._imports_sqlalchemy

    def has(self, *words: str) -> bool:
        return any(word in self.source for word in words)

    def names_before(self, pattern: re.Pattern[str]) -> set[str]:
        """The identifier just before each match of `pattern` (`session` in `session\n  .commit(`)."""
        source = self.source
        names = set()
        for match in pattern.finditer(source):
            end = match.start()
            while end and source[end - 1] in " \t\r\n\\":
                end -= 1
            start = end
            while start and (source[start - 1].isalnum() or source[start - 1] == "_"):
                start -= 1
            if start < end:
                names.add(source[start:end])
        return names


def check(tree: ast.Module, settings: Settings, filename: str = "", source: str | None = None) -> list[Finding]:
    """Every finding of every rule in `tree`, sorted by position.

    With the module's `source`, rules whose prefilter says the text cannot hold
    their pattern are skipped, and a module no rule can apply to is not walked.
    """
    from .rules import RULES

    if source is None:
        rules = RULES
    else:
        facts = TextFacts(source, filename)
        rules = tuple(rule for rule in RULES if rule.may_apply(facts, settings))
        if not rules:
            return []
    context = Context(tree, settings, filename)
    findings = [finding for rule in rules for finding in rule.check(context)]
    findings.sort(key=lambda f: (f.line, f.col, f.code))
    return findings
