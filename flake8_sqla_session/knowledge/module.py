"""One module's names and what they are: the statement walk and the classification.

`ModuleKnowledge` walks a module's statements once, binds names per scope (the
way pyflakes does) and answers `classify(expr, scope)`: what an expression
evaluates to, as far as the rules care.  It serves the module being checked (as
the base of the rules' `Context`) and, through the project layer, every project
module that one imports: the same question gets the same answer everywhere.
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, cast

from ..settings import Settings
from .kinds import ENGINES, REGISTRIES, SA_CALLS, SA_TYPES, Kind, Known, Maker
from .names import (
    ANNOTATED,
    FLASK_SQLALCHEMY,
    SA_ROOTS,
    Binding,
    Scope,
    dotted,
    is_foreign,
    qualified_name,
    sa_name,
    single_binding,
)

if TYPE_CHECKING:
    from .project import Project

_LITERALS = (
    ast.Constant, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.JoinedStr, ast.ListComp,
    ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.Lambda, ast.Compare, ast.BinOp,
)
# How deep classification may recurse (through expressions and names alike) before
# it answers "unknown": far beyond real code, far below Python's recursion limit.
MAX_DEPTH = 100


# Decorators that make a function hand out what it yields through `with` (or a dependency).
CONTEXT_DECORATORS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})
# Decorators that keep what a call gives.
TRANSPARENT_DECORATORS = frozenset(
    {"functools.lru_cache", "functools.cache", "builtins.staticmethod", "builtins.classmethod"}
)
# Code that runs apart from the statements around it, and the `try` statements (`except*` too).
NESTED_CODE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
TRY_NODES = (ast.Try, getattr(ast, "TryStar", ast.Try))
# Statements with no statements inside (or whose inside is another function's).
_STATEMENT_ONLY = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Assert,
     ast.Delete, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal}
)


def called(kind: Known | None) -> Known | None:
    """What calling something of `kind` gives (a factory gives a session, a maker its result)."""
    if kind is Kind.FOREIGN:
        return Kind.FOREIGN  # `requests.Session()`, also through a project module
    if kind is Kind.FACTORY or kind is Kind.REGISTRY:
        return Kind.SESSION
    if kind is Kind.ASYNC_FACTORY or kind is Kind.ASYNC_REGISTRY:
        return Kind.ASYNC_SESSION
    if isinstance(kind, Maker) and not kind.context:
        return kind.returns
    return None


# What makes a command-line command: `@click.command()`, or `@<group>.command()` on a group
# that one of these made (`manager = AppGroup("users")`, `@click.group() def cli():`).
CLI_COMMANDS = frozenset({"click.command", "asyncclick.command", "rich_click.command"})
CLI_GROUP_MAKERS = frozenset({
    "click.group", "click.Group", "click.core.Group", "asyncclick.group", "asyncclick.Group", "rich_click.group",
    "rich_click.RichGroup", "typer.Typer", "flask.cli.AppGroup", "flask.cli.FlaskGroup",
})
MAX_GROUP_DEPTH = 4  # `@cli.group()` over `@cli.group()` over ..., across modules: followed this deep


MODEL_CLASS = Maker(Kind.MODEL)  # `db.Model`, and a class of the project that subclasses it


def class_call_binds(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Optional[bool]:
    """For a method run through its class (`User.by_uuid(uuid)`): True for a `@classmethod`
    (the call binds `cls`), False for a `@staticmethod`, None for any other method."""
    decorators = {decorator.id for decorator in function.decorator_list if isinstance(decorator, ast.Name)}
    if decorators == {"classmethod"}:
        return True
    return False if decorators == {"staticmethod"} else None


def parameter_of(
    function: ast.FunctionDef | ast.AsyncFunctionDef, where: int | str, bound: bool = False
) -> str | None:
    """The parameter of `function` that a call's argument binds: the one at position `where`, or
    the keyword `where` (not a positional-only one); `bound` when the call binds the first
    parameter (a method).  None when there is no such parameter."""
    args = function.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if bound:
        positional = positional[1:]
    if isinstance(where, int):
        return positional[where] if where < len(positional) else None
    if where in positional[max(len(args.posonlyargs) - bound, 0):] or where in (a.arg for a in args.kwonlyargs):
        return where
    return None


class Callee:
    """A function a call runs: where it is (`path:line`, a key for what is found of it), its
    definition, whether the call binds its first parameter (a method), and the knowledge of
    its module (what the names of its body are)."""

    __slots__ = ("key", "node", "bound", "owner")

    def __init__(
        self, key: str, node: ast.FunctionDef | ast.AsyncFunctionDef, bound: bool, owner: ModuleKnowledge
    ) -> None:
        self.key = key
        self.node = node
        self.bound = bound
        self.owner = owner

    @property
    def scope(self) -> Optional[Scope]:
        """The scope of the function's own names."""
        return self.owner.scopes.get(self.node)


class TryRecord:
    """A `try` statement, its scope, and the `with` blocks around it in that scope."""

    __slots__ = ("node", "scope", "withs", "looped", "last", "following")

    def __init__(
        self,
        node: ast.Try,
        scope: Scope,
        withs: tuple[tuple[ast.With | ast.AsyncWith, bool, bool], ...],
        looped: bool = False,
        last: bool = False,
        following: Optional[ast.stmt] = None,
    ):
        self.node = node
        self.scope = scope
        # (with statement, whether nothing in that block runs after this try, whether no loop of
        # that block holds the try: what runs after it in the block is the text below it)
        self.withs = withs
        # Whether the try sits in the body of a loop of its scope (not in an `else:` block,
        # which runs once): what a fix that rolls back in its handlers must know.
        self.looped = looped
        # Whether nothing of its function runs after it (its handlers aside): the last
        # statement of the function, or of blocks that are each the last of theirs.
        self.last = last
        self.following = following  # the statement after it in its block, if any


class ModuleKnowledge:
    """The names of one module and what they are, built by a single statement walk."""

    def __init__(
        self,
        tree: ast.Module,
        settings: Settings,
        filename: str = "",
        project: Optional[Project] = None,
        module_name: str = "",
    ) -> None:
        self.tree = tree
        self.settings = settings
        self.filename = filename
        self.project = project
        self._packages: dict[str, bool] = {}  # `imports_package`, by package
        # Dotted name of the module (`app.db`, `app` for app/__init__.py), for relative imports.
        self.module_name = module_name
        self.is_package = filename.endswith("__init__.py")
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
        # Memos of `classify`, and a count of the classification steps taken (for the
        # tests that prove the cost linear).
        self._kinds: dict[tuple[int, int], Known | None] = {}
        self._name_kinds: dict[tuple[str, int], Known | None] = {}
        self._attribute_kinds: dict[str, Known | None] = {}
        self._makers: dict[int, Known | None] = {}
        self.steps = 0
        # Of a project module: every project file what it answered so far depended on (its memos
        # carry them into later answers; the project saves them with the answers).
        self.deps: set[str] = set()
        self._walk(tree.body, self.module, (), False)

    def add_statements(self, statements: list[ast.stmt]) -> None:
        """Walk more module-level statements (of a module read in part) into this knowledge."""
        for statement in statements:
            if isinstance(statement, (ast.Import, ast.ImportFrom)) and not self.imports_sqlalchemy:
                self.imports_sqlalchemy = _imports_sqlalchemy(statement)
        self._walk(statements, self.module, (), False)

    # ---- the walk -------------------------------------------------------------------------

    def _walk(
        self,
        body: list[ast.stmt],
        scope: Scope,
        withs: tuple[tuple[ast.With | ast.AsyncWith, bool, bool], ...],
        under_main: bool,
        looped: bool = False,
        ending: bool = False,
    ) -> None:
        """`ending`: nothing of the function runs after `body` (it is the function's, or the
        last block of statements that are each the last of theirs)."""
        at_module = scope.kind == "module"
        last = body[-1] if body else None
        tail_withs = withs
        not_tail = tuple((w, False, straight) for w, _, straight in tail_withs) if tail_withs else tail_withs
        in_loop = tuple((w, False, False) for w, _, _ in tail_withs) if tail_withs else tail_withs
        for index, stmt in enumerate(body):
            # Code after a statement that is not the last still runs inside the blocks.
            withs = tail_withs if stmt is last else not_tail
            ends = ending and stmt is last
            kind = type(stmt)
            if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign or kind is ast.Expr:
                self._simple(stmt, scope, at_module, under_main)
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self._function(stmt, scope)  # type: ignore[arg-type]
            elif kind is ast.ClassDef:
                assert isinstance(stmt, ast.ClassDef)
                scope.bind(stmt.name, Binding("class", stmt))
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
                main = under_main or (at_module and is_main_guard(stmt.test))
                self._walk(stmt.body, scope, withs, main, looped, ends)
                self._walk(stmt.orelse, scope, withs, under_main, looped, ends)
            elif kind is ast.With or kind is ast.AsyncWith:
                assert isinstance(stmt, (ast.With, ast.AsyncWith))
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self._bind_target(item.optional_vars, scope, Binding("with", item.context_expr))
                inner_withs = withs + ((stmt, True, True),) if scope.kind != "class" else withs
                self._walk(stmt.body, scope, inner_withs, under_main, looped, ends)
            elif kind is ast.Try or kind is getattr(ast, "TryStar", None):  # TryStar: 3.11+
                stmt = cast(ast.Try, stmt)  # ast.TryStar has the same fields
                following = body[index + 1] if stmt is not last else None
                self.tries.append(TryRecord(stmt, scope, withs, looped, ends, following))
                ends_before = ends and not stmt.finalbody  # `finally:` runs after the rest
                self._walk(stmt.body, scope, withs, under_main, looped, ends_before and not stmt.orelse)
                for handler in stmt.handlers:
                    if handler.name:
                        scope.bind(handler.name, Binding("other"))
                    self._walk(handler.body, scope, withs, under_main, looped, ends_before)
                self._walk(stmt.orelse, scope, withs, under_main, looped, ends_before)
                self._walk(stmt.finalbody, scope, withs, under_main, looped, ends)
            elif kind is ast.For or kind is ast.AsyncFor:
                assert isinstance(stmt, (ast.For, ast.AsyncFor))
                self._bind_target(stmt.target, scope, Binding("other"))
                self._walk(stmt.body, scope, in_loop, under_main, True)
                self._walk(stmt.orelse, scope, withs, under_main, looped, ends)  # runs once, after the loop
            elif kind is ast.While:
                assert isinstance(stmt, ast.While)
                self._walk(stmt.body, scope, in_loop, under_main, True)
                self._walk(stmt.orelse, scope, withs, under_main, looped, ends)
            elif kind is ast.Global or kind is ast.Nonlocal:
                assert isinstance(stmt, (ast.Global, ast.Nonlocal))
                scope.declared.update(stmt.names)
                if kind is ast.Global and scope.kind != "module":
                    scope.globals.update(stmt.names)
            elif kind is getattr(ast, "Match", None):
                for case in stmt.cases:  # type: ignore[attr-defined]
                    self._walk(case.body, scope, withs, under_main, looped, ends)

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
        scope.bind(node.name, Binding("def", node))
        inner = Scope(node, "function", scope, isinstance(node, ast.AsyncFunctionDef))
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            inner.bind(arg.arg, Binding("param", arg.annotation))
        for star in (args.vararg, args.kwarg):
            if star is not None:
                inner.bind(star.arg, Binding("other"))
        self.functions.append((node, inner))
        self.scopes[node] = inner
        self._walk(node.body, inner, (), False, ending=True)

    # ---- queries for the rules -------------------------------------------------------------

    def cli_group(self, expr: ast.expr, scope: Scope, depth: int = 0) -> bool:
        """Whether `expr` is a click group, a Typer app or Flask's `app.cli` (an `AppGroup`):
        made here, or imported from a project module that makes it."""
        if depth > MAX_GROUP_DEPTH:
            return False
        if isinstance(expr, ast.Attribute):
            # `app.cli`, `blueprint.cli`: what Flask gives every app and blueprint.
            return expr.attr == "cli" and self.imports_package("flask")
        if not isinstance(expr, ast.Name):
            return False
        binding = single_binding(scope.lookup(expr.id))
        if binding is None:
            return False
        value = binding.value
        if binding.kind == "import" and isinstance(value, str):
            return self.project is not None and self.project.cli_group(value, self, depth + 1)
        if binding.kind == "assign" and isinstance(value, ast.Call):
            return self.qualified(value.func, binding.where or scope) in CLI_GROUP_MAKERS  # `AppGroup("users")`
        if binding.kind == "def" and isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in value.decorator_list:  # `@click.group()` or `@cli.group()` over `def users():`
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if self.qualified(target, scope) in CLI_GROUP_MAKERS:
                    return True
                if isinstance(target, ast.Attribute) and target.attr == "group":
                    if self.cli_group(target.value, scope, depth + 1):
                        return True
        return False

    def callee(self, func: ast.expr, scope: Scope) -> Optional[Callee]:
        """The function a call runs, when it can be read: a function of this module or of a
        project module (`helper(...)`, `services.helper(...)`), a method of the enclosing class
        (`self.save(...)`), or of a module-level instance of a class (`seat_service.assign(...)`
        with `seat_service = SeatService()`, here or in a project module)."""
        if isinstance(func, ast.Name):
            binding = single_binding(scope.lookup(func.id))
            if binding is None:
                return None
            if binding.kind == "def" and isinstance(binding.value, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return Callee(f"{self.filename}:{binding.value.lineno}", binding.value, False, self)
            if binding.kind == "import" and isinstance(binding.value, str) and self.project is not None:
                return self.project.definition(binding.value, None, self)
            return None
        if not isinstance(func, ast.Attribute):
            return None
        if isinstance(func.value, ast.Attribute):  # `pagure.lib.git.helper(...)` after `import pagure.lib.git`
            chain = dotted(func.value)
            root, _, rest = (chain or "").partition(".")
            # (`import pagure.config` and `import pagure.lib.query` each bind `pagure`, alike)
            values = {(b.kind, b.value) for b in (scope.lookup(root) or ()) if chain}
            if len(values) != 1 or self.project is None:
                return None
            ((kind, value),) = values
            if kind != "import" or not isinstance(value, str):
                return None
            return self.project.definition(f"{value}.{rest}", func.attr, self)
        if not isinstance(func.value, ast.Name):
            return None
        owner, method = func.value.id, func.attr
        if owner == "self":
            holder: Optional[Scope] = scope
            while holder is not None and holder.kind == "function" and holder.parent is not None:
                if holder.parent.kind == "class":
                    return self.method_of(holder.parent, method)
                holder = holder.parent
            return None
        binding = single_binding(scope.lookup(owner))
        if binding is None:
            return None
        if binding.kind == "import" and isinstance(binding.value, str) and self.project is not None:
            return self.project.definition(binding.value, method, self)
        value = binding.value
        if binding.kind == "class" and isinstance(value, ast.ClassDef):  # `User.by_uuid(...)`
            inner = self.scopes.get(value)
            return self.class_method_of(inner, method) if inner is not None else None
        if binding.kind == "assign" and isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            made = single_binding(self.module.lookup(value.func.id))  # `svc = Service()` at module level
            if made is not None and made.kind == "class" and isinstance(made.value, ast.ClassDef):
                inner = self.scopes.get(made.value)
                return self.method_of(inner, method) if inner is not None else None
        return None

    def class_method_of(self, class_scope: Scope, name: str) -> Optional[Callee]:
        """The class's own `@classmethod` (the call binds `cls`) or `@staticmethod` `name`, run
        through the class (`User.by_uuid(uuid)`); None for any other method."""
        binding = single_binding(class_scope.names.get(name))
        value = binding.value if binding is not None and binding.kind == "def" else None
        if not isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        binds = class_call_binds(value)
        return None if binds is None else Callee(f"{self.filename}:{value.lineno}", value, binds, self)

    def method_of(self, class_scope: Scope, name: str) -> Optional[Callee]:
        binding = single_binding(class_scope.names.get(name))
        value = binding.value if binding is not None and binding.kind == "def" else None
        if isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return Callee(f"{self.filename}:{value.lineno}", value, True, self)
        return None

    def imports_package(self, package: str) -> bool:
        """Whether the module's top imports `package` or one of its modules (`flask`, `aiogram`,
        `zope.sqlalchemy`): looked for once per package."""
        found = self._packages.get(package)
        if found is None:
            self.steps += len(self.module.names)
            found = self._packages[package] = any(
                binding.kind == "import" and isinstance(binding.value, str)
                and (binding.value == package or binding.value.startswith(package + "."))
                for bindings in self.module.names.values()
                for binding in bindings
            )
        return found

    # ---- classification -------------------------------------------------------------------

    def qualified(self, expr: ast.expr, scope: Scope) -> str | None:
        return qualified_name(expr, scope)

    def classify_name(self, name: str, scope: Scope) -> Known | None:
        """What the name `name` is where `scope` sees it (`classify` of a `Name`, without a node:
        a node made for the question would leave its id in the memo of `classify`, and a later
        node given the same id would get this answer)."""
        self.steps += 1
        return self._classify_name(name, scope, 0)

    def classify(self, expr: ast.expr, scope: Scope, depth: int = 0) -> Known | None:
        """What `expr` evaluates to, or None when that cannot be told.

        Each (expression, scope), each name in the scope that binds it and each
        `self` attribute is classified once and remembered, so the cost is linear
        in the module however names are reassigned.  A name whose value depends
        on itself (`stmt = stmt.where(...)`, `a = b; b = a`) is unknown while it
        is being classified, which makes every value built on it unknown too.
        `depth` counts the recursion, which stops (unknown) past `MAX_DEPTH`.
        """
        self.steps += 1
        key = (id(expr), id(scope))
        memo = self._kinds
        if key in memo:
            return memo[key]
        kind = None if depth > MAX_DEPTH else self._classify(expr, scope, depth)
        memo[key] = kind
        return kind

    def _classify(self, expr: ast.expr, scope: Scope, depth: int) -> Known | None:
        if isinstance(expr, ast.Call):
            return self._classify_call(expr, scope, depth)
        if isinstance(expr, ast.Name):
            return self._classify_name(expr.id, scope, depth)
        if isinstance(expr, ast.Attribute):
            qualified = qualified_name(expr, scope)
            if qualified is not None:  # a module attribute: `flask.session`, `settings.DB_SESSION`
                return self.imported(qualified, depth)
            if isinstance(expr.value, ast.Name) and expr.value.id == "self":
                return self._classify_self_attribute(expr.attr, depth)
            base = self.classify(expr.value, scope, depth + 1)
            if base is Kind.FLASK_DB and expr.attr in ("session", "Model"):
                return Kind.REGISTRY if expr.attr == "session" else Maker(Kind.MODEL)
            if base is Kind.FOREIGN:
                return Kind.FOREIGN
            return None
        if isinstance(expr, ast.Await):
            return self.classify(expr.value, scope, depth + 1)
        if isinstance(expr, _LITERALS):
            return Kind.FOREIGN
        return None

    def _classify_call(self, call: ast.Call, scope: Scope, depth: int) -> Known | None:
        func = call.func
        qualified = qualified_name(func, scope)
        if qualified is not None:
            name = sa_name(qualified)
            if name in SA_CALLS:
                if SA_CALLS[name] is Kind.FACTORY and _makes_async_sessions(call, scope):
                    return Kind.ASYNC_FACTORY  # 1.4's spelling: sessionmaker(engine, class_=AsyncSession)
                return SA_CALLS[name]
            if qualified == FLASK_SQLALCHEMY:
                return Kind.FLASK_DB
            if self.is_configured_factory(qualified):
                return Kind.SESSION
            if is_foreign(qualified):
                return Kind.FOREIGN
            if isinstance(func, ast.Attribute):  # `db.SessionLocal()`, `app.db.get_engine()`
                made = called(self.imported(qualified, depth))
                if made is not None:
                    return made
        if isinstance(func, ast.Attribute):
            base = self.classify(func.value, scope, depth + 1)
            if base in ENGINES and func.attr in ("connect", "raw_connection"):
                return Kind.CONNECTION
            if base is Kind.FOREIGN:
                return Kind.FOREIGN
            return None
        return called(self.classify(func, scope, depth + 1))

    def _classify_name(self, name: str, scope: Scope, depth: int) -> Known | None:
        bindings = scope.lookup(name)
        if not bindings:
            return self._star_imported(name, depth)
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

    def _classify_bindings(self, bindings: list[Binding], owner: Scope, depth: int) -> Known | None:
        kinds: list[Known | None] = []
        for binding in bindings:
            if binding.kind == "import":
                assert isinstance(binding.value, str)
                if self.is_configured_factory(binding.value):
                    kinds.append(Kind.FACTORY)
                    continue
                kind = self.imported(binding.value, depth)
                if kind is None:
                    return None  # a class or function we cannot see, or a module
                kinds.append(kind)
            elif binding.kind == "assign":
                assert isinstance(binding.value, ast.expr)
                kind = self.classify(binding.value, binding.where or owner, depth + 1)
                if kind is None:
                    return None
                kinds.append(kind)
            elif binding.kind == "with":
                assert isinstance(binding.value, ast.expr)
                kinds.append(self._entered(binding.value, binding.where or owner, depth + 1))
            elif binding.kind == "annotated" and any(b.kind == "assign" for b in bindings):
                continue  # the values tell: `NEW_SESSION: Session = cast(Session, None)` is a sentinel
            elif binding.kind in ("annotated", "param"):
                if binding.value is None:
                    return None
                assert isinstance(binding.value, ast.expr)
                return self.classify_annotation(binding.value, binding.where or owner, depth + 1)
            elif binding.kind == "def":
                assert isinstance(binding.value, (ast.FunctionDef, ast.AsyncFunctionDef))
                kinds.append(self._function_maker(binding.value, depth + 1))
            elif binding.kind == "class":
                assert isinstance(binding.value, ast.ClassDef)
                kinds.append(self._class_maker(binding.value, owner, depth + 1))
            else:
                return None
        return self._agree(kinds)

    def _entered(self, expr: ast.expr, scope: Scope, depth: int) -> Known | None:
        """What `with expr as name:` binds to name."""
        if isinstance(expr, ast.Call):
            maker = self.classify(expr.func, scope, depth + 1)
            if isinstance(maker, Maker) and maker.context:
                return maker.returns  # `with session_scope() as session:`
        return self.classify(expr, scope, depth)  # `with Session(engine) as session:` (enter returns self)

    def imported(self, qualified: str, depth: int = 0) -> Known | None:
        """What an imported name (`app.db.SessionLocal`, `.db.engine`) is; None when unknown."""
        if is_foreign(qualified):
            return Kind.FOREIGN
        if self.project is None or sa_name(qualified) is not None:
            return None
        self.steps += 1
        return self.project.lookup(qualified, self, depth + 1)

    def export(self, name: str, depth: int = 0) -> Known | None:
        """What the module-level `name` of this module is, for the modules that import it.

        `depth` is the recursion so far, in the modules that asked: it goes on counting here.
        """
        if depth > MAX_DEPTH:
            return None
        if self.module.lookup(name) is not None and name in self.module.names:  # lookup may load it
            return self._classify_name(name, self.module, depth)
        return self._star_imported(name, depth)

    def _star_imported(self, name: str, depth: int) -> Known | None:
        """A name no statement binds, through `from <project module> import *`."""
        if self.project is None or not self.module.star_imports:
            return None
        key = ("*" + name, 0)
        if key in self._name_kinds:
            return self._name_kinds[key]
        self._name_kinds[key] = None
        found = None
        for module in self.module.star_imports:
            found = self.project.lookup_star(module, name, self, depth + 1)
            if found is not None:
                break
        self._name_kinds[key] = found
        return found

    def public_names(self) -> frozenset[str] | None:
        """What `from this_module import *` hands on: `__all__` when it is a literal, else its public
        names; None when that cannot be listed."""
        for binding in self.module.names.get("__all__", ()):
            if binding.kind == "assign" and isinstance(binding.value, (ast.List, ast.Tuple)):
                names = [e.value for e in binding.value.elts if isinstance(e, ast.Constant)]
                strings = [n for n in names if isinstance(n, str)]
                if len(strings) == len(binding.value.elts):
                    return frozenset(strings)
            return None
        if self.module.star_imports:
            return None  # it hands on what its own star imports bring: every name may be there
        return frozenset(name for name in self.module.names if not name.startswith("_"))

    def _function_maker(self, node: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> Known | None:
        """What calling a function of this module gives: what it returns (or yields, or is annotated to)."""
        memo = self._makers
        if id(node) in memo:
            return memo[id(node)]
        memo[id(node)] = None  # recursion: unknown
        self.steps += 1
        maker = self._summarize_function(node, depth)
        memo[id(node)] = maker
        return maker

    def _summarize_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> Known | None:
        scope = self.scopes[node]
        context = False
        for decorator in node.decorator_list:
            qualified = qualified_name(decorator, scope.parent or self.module)
            if qualified in CONTEXT_DECORATORS:
                context = True
            elif qualified not in TRANSPARENT_DECORATORS:
                return None  # a decorator may change what a call gives
        returns, yields = returns_and_yields(node)
        if yields:
            context = True
            values = yields
        elif context:
            return None
        else:
            values = returns
        kinds = [self.classify(value, scope, depth + 1) for value in values]
        kind = self._agree(kinds) if kinds else None
        # Whether the caller gets a session someone else keeps: a registry's, one only the
        # annotation tells of (a cached one, say), or one the function also stores away.
        owned = bool(values) and all(self._registry_call(value, scope, depth) for value in values)
        if kind is None and not yields and node.returns is not None:
            kind = self.classify_annotation(node.returns, scope.parent or self.module, depth + 1)
            owned = True
        if not isinstance(kind, Kind):
            return None
        if not owned and not context:
            owned = _stored(node, {value.id for value in values if isinstance(value, ast.Name)})
        return Maker(kind, context=context, owned=owned)

    def _registry_call(self, value: ast.expr, scope: Scope, depth: int) -> bool:
        """Whether `value` is a call of a `scoped_session` registry (`Session()`), or a name of the
        function bound once, to one (`sa = meta.Session()` ... `return sa`)."""
        if isinstance(value, ast.Name):
            binding = single_binding(scope.names.get(value.id))
            if binding is None or binding.kind != "assign" or not isinstance(binding.value, ast.expr):
                return False
            value = binding.value
        return isinstance(value, ast.Call) and self.classify(value.func, scope, depth + 1) in REGISTRIES

    def _class_maker(self, node: ast.ClassDef, scope: Scope, depth: int) -> Known | None:
        """What instantiating a class of this module gives: a session for a Session subclass,
        an object known not to be SQLAlchemy's when every base is known, else unknown."""
        memo = self._makers
        if id(node) in memo:
            return memo[id(node)]
        memo[id(node)] = None
        self.steps += 1
        result: Known | None = Maker(Kind.OBJECT)
        for base in node.bases:  # a Flask-SQLAlchemy model whatever its mixins are
            if isinstance(base, (ast.Name, ast.Attribute)) and self.classify(base, scope, depth + 1) == MODEL_CLASS:
                memo[id(node)] = MODEL_CLASS
                return MODEL_CLASS
        for base in node.bases:
            qualified = qualified_name(base, scope)
            if qualified == "builtins.object":
                continue
            name = sa_name(qualified)
            if name in ("Session", "AsyncSession"):
                result = Maker(Kind.SESSION if name == "Session" else Kind.ASYNC_SESSION)
                break
            if name is not None or (qualified is not None and qualified.startswith("builtins.")):
                continue  # a model or another SQLAlchemy class; a builtin
            kind = self.classify(base, scope, depth + 1)
            if kind is Kind.FOREIGN:
                result = Maker(Kind.FOREIGN)
            elif isinstance(kind, Maker) and kind.returns in (Kind.SESSION, Kind.ASYNC_SESSION):
                result = kind
                break
            elif not (isinstance(kind, Maker) and kind.returns in (Kind.OBJECT, Kind.FOREIGN)):
                result = None  # a base we cannot see might be a Session
                break
            elif kind.returns is Kind.FOREIGN:
                result = Maker(Kind.FOREIGN)
        memo[id(node)] = result
        return result

    def _classify_self_attribute(self, attr: str, depth: int) -> Known | None:
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
    def _agree(kinds: Iterable[Known | None]) -> Known | None:
        result: Known | None = None
        for kind in kinds:
            if kind is None or (result is not None and kind != result):
                return None
            result = kind
        return result

    def classify_annotation(self, annotation: ast.expr, scope: Scope, depth: int = 0) -> Known | None:
        """`Session`, `Optional[Session]`, `"Session"`, `Session | None`, `Annotated[Session, ...]` (or an
        alias of one, here or in a project module) -> Kind.SESSION."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except (SyntaxError, ValueError):
                return None
        if isinstance(annotation, ast.Subscript):
            inner = annotation.slice
            elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if qualified_name(annotation.value, scope) in ANNOTATED:
                elements = elements[:1]  # `Annotated[Session, Depends(get_db)]`: the rest is metadata
            found = [self.classify_annotation(e, scope, depth + 1) for e in elements if not _is_none(e)]
            return self._agree(found) if len(found) == 1 else None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
            return self.classify_annotation(sides[0], scope, depth + 1) if len(sides) == 1 else None
        if isinstance(annotation, ast.Name):
            binding = single_binding(scope.lookup(annotation.id))
            if (
                binding is not None and binding.kind == "assign" and isinstance(binding.value, ast.Subscript)
                and qualified_name(binding.value.value, self.module) in ANNOTATED
            ):  # `SessionDep = Annotated[Session, Depends(get_db)]` at module level
                return self.classify_annotation(binding.value, self.module, depth + 1)
        qualified = qualified_name(annotation, scope)
        if qualified is None:
            return None
        name = sa_name(qualified)
        if name is not None:
            return SA_TYPES.get(name)
        kind = self.imported(qualified, depth) if qualified.partition(".")[0] != "builtins" else None
        if isinstance(kind, Maker) and kind.returns in (Kind.SESSION, Kind.ASYNC_SESSION, Kind.OBJECT, Kind.FOREIGN):
            return kind.returns  # an annotation names a class: its instances
        if kind is None and self.project is not None:
            aliased = sa_name(self.project.annotated_alias(qualified, self))  # `from app.deps import SessionDep`
            if aliased is not None:
                return SA_TYPES.get(aliased)
        return kind if kind is Kind.FOREIGN else None

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


def _imports_sqlalchemy(stmt: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(stmt, ast.Import):
        return any(alias.name.partition(".")[0] in SA_ROOTS for alias in stmt.names)
    return stmt.level == 0 and (stmt.module or "").partition(".")[0] in SA_ROOTS


def is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _makes_async_sessions(call: ast.Call, scope: Scope) -> bool:
    """`sessionmaker(..., class_=AsyncSession)`: how SQLAlchemy 1.4 (without async_sessionmaker) makes them."""
    return any(
        keyword.arg == "class_" and sa_name(qualified_name(keyword.value, scope)) == "AsyncSession"
        for keyword in call.keywords
    )


def _statements(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.stmt]:
    """Every statement of a function, nested blocks included, not those of nested functions or classes."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, ast.stmt):
            yield child
        if type(child) not in _STATEMENT_ONLY:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(child, field, None)
                if inner:
                    stack.extend(inner)


def returns_and_yields(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[ast.expr], list[ast.expr]]:
    """The values a function returns and yields (not those of nested functions).

    Statements only, for speed: a `yield` counts as a statement of its own
    (`yield session`) or as the value of an assignment (`x = yield session`).
    """
    returns: list[ast.expr] = []
    yields: list[ast.expr] = []
    for child in _statements(node):
        kind = type(child)
        if kind is ast.Return:
            value = cast(ast.Return, child).value
            if value is not None:
                returns.append(value)
        elif kind is ast.Expr or kind is ast.Assign:
            value = cast(ast.Expr, child).value
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, (ast.Yield, ast.YieldFrom)) and value.value is not None:
                yields.append(value.value)
    return returns, yields


def _stored(node: ast.FunctionDef | ast.AsyncFunctionDef, names: set[str]) -> bool:
    """Whether the function also stores one of `names` in an attribute or an item
    (`store[key] = session`, `g.session = session`): then it is kept, and shared."""
    return bool(names) and any(
        isinstance(child, ast.Assign)
        and isinstance(child.value, ast.Name)
        and child.value.id in names
        and any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in child.targets)
        for child in _statements(node)
    )
