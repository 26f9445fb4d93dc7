"""What the rules may ask about the module being checked.

`Context` is the module's `ModuleKnowledge` (its names and what they are, with
the project's modules behind its imports) plus the queries the rules share:
the calls of the module, how a local is used, whether an expression holds a
session, whether an `except` clause catches database errors.
"""
from __future__ import annotations

import ast
import bisect
import itertools
import os
import re
from typing import Optional, Sequence

from .finding import Import
from .knowledge.kinds import NOT_DATABASE_ERRORS, REGISTRIES, SESSIONS
from .knowledge.module import CLI_COMMANDS, ModuleKnowledge
from .knowledge.names import DBAPI_ROOTS, SA_ROOTS, Scope, qualified_name, root_of, sa_name
from .knowledge.project import Project, one_line_end
from .settings import Settings


ASYNCIO = "sqlalchemy.ext.asyncio"


class Context(ModuleKnowledge):
    """Everything the rules may ask about one module, built by a single statement walk."""

    def __init__(
        self,
        tree: ast.Module,
        settings: Settings,
        filename: str = "",
        project: Optional[Project] = None,
        module_name: str = "",
        source: Optional[str] = None,
    ) -> None:
        super().__init__(tree, settings, filename, project, module_name)
        self.source = source
        self._line_starts: list[int] | None = None
        self._named_calls: dict[frozenset[str], list[tuple[ast.Call, Scope]]] = {}
        self._calls: list[tuple[ast.Call, Scope]] | None = None
        self._raisers: dict[tuple[str, str], bool] | None = None
        # id of a call whose result is only used to call a method on it -> that method's
        # name (filled with `calls`).
        self.chained_calls: dict[int, str] = {}
        self._uses: dict[int, UseIndex] = {}  # id(outermost function) -> its index
        self._assigned: dict[int, dict[int, list[str]]] = {}
        self._commands: dict[int, bool] = {}  # id(function) -> whether it is a command
        self._entered_calls: dict[int, frozenset[int]] = {}  # id(function) -> `entered_calls`
        self._in_command: dict[int, bool] = {}  # id(scope's node) -> whether it runs within one
        self._test_file: bool | None = None
        self._naming: dict[str, list[int]] = {}  # name -> the lines that name it (`lines_naming`)

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

    def calls_named(self, wanted: frozenset[str]) -> list[tuple[ast.Call, Scope]]:
        """The calls, with their scopes, whose callee ends in one of the SQLAlchemy names `wanted`
        (`create_engine(...)`, `sa.create_engine(...)`) or in a name imported as one of them.

        Only the top-level statements whose text holds one of those names are walked.
        """
        if not self.imports_sqlalchemy:
            return []
        if wanted in self._named_calls:
            return self._named_calls[wanted]
        names = set(wanted)
        for scope in {id(scope): scope for scope in self.scopes.values()}.values():
            for name, bindings in scope.names.items():
                if any(b.kind == "import" and sa_name(str(b.value)) in wanted for b in bindings):
                    names.add(name)
        pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names))) + r")\b")
        calls: list[tuple[ast.Call, Scope]] = []
        saved, self._calls = self._calls, calls
        try:
            stack: list[tuple[ast.AST, Scope]] = [(stmt, self.module) for stmt in reversed(self.tree.body)]
            while stack:
                node, scope = stack.pop()
                if isinstance(node, ast.stmt) and not self.text_may_hold(node, pattern):
                    continue
                scope = self.scopes.get(node, scope)
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, _BLOCKS):
                        stack.append((child, scope))  # statements: only those whose text holds a name
                    else:
                        self._collect_calls(child, self.scopes.get(child, scope), include=True)
        finally:
            self._calls = saved
        found = self._named_calls[wanted] = [
            (call, scope)
            for call, scope in calls
            if (call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)) in names
        ]
        return found

    def _collect_calls(self, node: ast.AST, scope: Scope, include: bool = False) -> None:
        """Every call below `node` (and `node` itself, if `include` and it is one)."""
        calls = self._calls
        assert calls is not None
        if include and isinstance(node, ast.Call):
            calls.append((node, scope))
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
                self.chained_calls[id(node.func.value)] = node.func.attr
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

    def text_may_hold(self, node: ast.stmt, pattern: re.Pattern[str]) -> bool:
        """Whether the text of the lines `node` spans matches `pattern` (True without the text):
        a cheap look before a walk of the node."""
        span = self._span(node)
        if span is None:
            return True
        source, start, end = span
        return pattern.search(source, start, end) is not None

    def text_matches(self, node: ast.stmt, pattern: re.Pattern[str]) -> list[re.Match[str]] | None:
        """Every match of `pattern` in the text of the lines `node` spans (None without the text)."""
        span = self._span(node)
        if span is None:
            return None
        source, start, end = span
        return list(pattern.finditer(source, start, end))

    def _span(self, node: ast.stmt) -> tuple[str, int, int] | None:
        """The module's text and where the lines `node` spans (its decorators too) start and end."""
        source = self.source
        if source is None:
            return None
        starts = self._line_starts
        if starts is None:
            starts = self._line_starts = line_starts(source)
        return (source, *lines_span(node, starts, len(source)))

    def never_returns(self, func: ast.expr, scope: Scope) -> bool:
        """Whether `func` names a function of this module (or `self.method`) that always raises.

        `handle_database_error()` defined above as `...; raise X from exc`: its last
        statement raises and it has no `return`.
        """
        if isinstance(func, ast.Name):
            bindings = scope.lookup(func.id)
            if not bindings or any(b.kind not in ("other", "def") for b in bindings):
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

    def is_command(self, scope: Scope) -> bool:
        """Whether `scope` is a command-line command's function (click, Typer, Flask's
        `AppGroup` or `app.cli`): the process ends when it returns, and with it whatever it
        left open or broken."""
        node = scope.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or scope.parent is None:
            return False
        found = self._commands.get(id(node))
        if found is None:
            found = self._commands[id(node)] = any(
                self._command_decorator(decorator, scope.parent) for decorator in node.decorator_list
            )
        return found

    def in_command(self, scope: Scope) -> bool:
        """Whether code of `scope` runs within a command (`is_command` of it or a function around it)."""
        found = self._in_command.get(id(scope.node))
        if found is None:
            self.steps += 1
            found = self.is_command(scope) or (scope.parent is not None and self.in_command(scope.parent))
            self._in_command[id(scope.node)] = found
        return found

    def _command_decorator(self, decorator: ast.expr, scope: Scope) -> bool:
        return command_decorator(self, decorator, scope)

    @property
    def is_test_file(self) -> bool:
        """Whether the checked file is one of the project's tests (`is_test_path` of its path
        from the project's folder, else from the current folder, else of its name)."""
        if self._test_file is None:
            self._test_file = bool(self.filename) and is_test_path(self._project_path(self.filename))
        return self._test_file

    def _project_path(self, filename: str) -> str:
        path = os.path.abspath(filename)
        folder = self.project.folder() if self.project is not None else None
        for base in (folder, os.getcwd()):
            if base and path.startswith(os.path.join(base, "")):
                return os.path.relpath(path, base)
        return os.path.basename(path)

    def kept_local(self, function: ast.AST, name: str, release: str) -> bool | None:
        """How the local `name` is used in `function`: see `UseIndex.kept_local`."""
        self.steps += 1
        outermost = self._outermost_function(function)
        uses = self._uses.get(id(outermost))
        if uses is None:
            uses = self._uses[id(outermost)] = UseIndex(outermost)
            self.steps += uses.size
        return uses.kept_local(function, name, release)

    def _outermost_function(self, function: ast.AST) -> ast.AST:
        """The function that holds `function` and is held by no other (itself, for most)."""
        scope = self.scopes.get(function)
        outermost = function
        while scope is not None:
            if scope.kind == "function":
                outermost = scope.node
            scope = scope.parent
        return outermost

    def entered_calls(self, function: ast.AST) -> frozenset[int]:
        """The ids of the calls that a `with` or `async with` in `function` enters (`with
        Session(engine) as session:`), found once per function."""
        found = self._entered_calls.get(id(function))
        if found is None:
            found = frozenset(
                id(item.context_expr)
                for node in ast.walk(function) if isinstance(node, (ast.With, ast.AsyncWith))
                for item in node.items if isinstance(item.context_expr, ast.Call)
            )
            self._entered_calls[id(function)] = found
            self.steps += 1
        return found

    def lines_naming(self, name: str) -> list[int]:
        """The lines (ascending, each once) where the identifier `name` appears on its own (not
        as `x.name`), found once per name: from the text when the module has one (comments and
        strings count, which only ever makes a name look used), else from the tree."""
        found = self._naming.get(name)
        if found is None:
            lines: set[int] = set()
            if self.source is not None:
                starts = self._line_starts
                if starts is None:
                    starts = self._line_starts = line_starts(self.source)
                pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
                for match in pattern.finditer(self.source):
                    lines.add(bisect.bisect_right(starts, match.start()) - 1)
                self.steps += 1 + len(lines)
            else:
                for node in ast.walk(self.tree):
                    self.steps += 1
                    if isinstance(node, ast.Name) and node.id == name:
                        lines.add(node.lineno)
            found = self._naming[name] = sorted(lines)
        return found

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

    def is_database_error(self, expr: ast.expr | None, scope: Scope, dbapi: bool = True) -> bool:
        """Whether an `except` clause with this type catches database errors; without `dbapi`,
        errors that a session raises: SQLAlchemy wraps the driver's (`psycopg2.errors.UniqueViolation`
        reaches the code as `sqlalchemy.exc.IntegrityError`), so a clause naming the driver's
        classes alone never catches them."""
        if expr is None:
            return True
        if isinstance(expr, ast.Tuple):
            return any(self.is_database_error(e, scope, dbapi) for e in expr.elts)
        qualified = qualified_name(expr, scope)
        if qualified is None:
            return False
        if qualified in ("builtins.Exception", "builtins.BaseException"):
            return True
        root = root_of(qualified)
        if root in SA_ROOTS:
            return sa_name(qualified) not in NOT_DATABASE_ERRORS
        return dbapi and root in DBAPI_ROOTS

    def sa_import_for(self, name: str, like: ast.expr, scope: Scope) -> tuple[str, tuple[Import, ...]]:
        """How to spell SQLAlchemy's `name` here, in the style `like` (a callee) is spelled.

        `sa.orm.sessionmaker` -> `sa.orm.<name>`, no import; a bare `sessionmaker`
        -> `<name>` with `from <module> import <name>` (unless already bound).
        """
        module = ASYNCIO if name.startswith("async") or name == "AsyncSession" else "sqlalchemy.orm"
        if isinstance(like, ast.Attribute):
            prefix = like.value
            qualified = qualified_name(prefix, scope)
            if qualified is not None and root_of(qualified) in SA_ROOTS and (qualified == module or module != ASYNCIO):
                return f"{ast.unparse(prefix)}.{name}", ()
        bindings = self.module.names.get(name)
        if bindings:
            if all(b.kind == "import" and isinstance(b.value, str) and sa_name(b.value) == name for b in bindings):
                return name, ()
        else:
            return name, (Import(module, name),)
        return f"{module}.{name}", (Import(module),)


def command_decorator(knowledge: ModuleKnowledge, decorator: ast.expr, scope: Scope) -> bool:
    """Whether `decorator`, seen from `scope` of `knowledge`'s module, makes its function a
    command-line command (click, Typer, Flask's `AppGroup` or `app.cli`)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if knowledge.qualified(target, scope) in CLI_COMMANDS:
        return True
    if isinstance(target, ast.Attribute) and target.attr == "command":
        return knowledge.cli_group(target.value, scope)
    return False


def is_test_path(relative: str) -> bool:
    """A path of a project's tests, from the project's folder (`tests/...`, `test_x.py`,
    `x_test.py`, `conftest.py`, a Django app's `tests.py`, a package's `testing.py` helpers)."""
    parts = relative.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(part in ("test", "tests", "testing") for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("conftest.py", "tests.py", "testing.py")
    )


def is_project_test(path: str, folder: str) -> bool:
    """`is_test_path` of a project file's `path`, relative to the project's `folder` ("" when
    the folder is not known: the path as it is)."""
    return is_test_path(os.path.relpath(path, folder) if folder else path)


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
    """Where each name is used in a function (nested functions included), from one walk.

    Every node gets its preorder number, so the nodes inside a nested function
    are the numbers from the function's own to the last of its body: how a name
    is used in any of them is a few binary searches.  Built for the outermost
    function that holds a local the rules ask about, so asking about every local
    of every function costs at most one walk of the module.
    """

    __slots__ = ("span", "loads", "attributes", "releases", "size")

    def __init__(self, tree: ast.AST) -> None:
        self.span: dict[int, tuple[int, int]] = {}  # id(function) -> (first, last) preorder number
        self.loads: dict[str, list[int]] = {}
        self.attributes: dict[str, list[int]] = {}  # name -> numbers of `name.<attr>` nodes
        self.releases: dict[tuple[str, str], list[int]] = {}  # (name, attr) -> numbers
        functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        # A name lent to a query (`Model.query.with_session(session)`): used by it, not handed on.
        lent: set[int] = set()
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
                if id(node) in lent:
                    self.attributes.setdefault(node.id, []).append(number)
            elif (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_session"
                and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name)
            ):
                lent.add(id(node.args[0]))
            stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(node))))
        self.size = number

    def kept_local(self, function: ast.AST, name: str, release: str) -> bool | None:
        """How the local `name` is used in `function`.

        None when `name.<release>` appears (`session.close`, `engine.dispose`);
        True when `name` is only used as `name.<attribute>` (or lent to a query:
        `query.with_session(name)`); False when it is handed
        on in any other way (returned, yielded, stored, passed, aliased), so it may be
        released elsewhere.
        """
        first, last = self.span[id(function)]
        if count_in(self.releases.get((name, release), ()), first, last):
            return None
        return count_in(self.loads.get(name, ()), first, last) == count_in(self.attributes.get(name, ()), first, last)


def count_in(numbers: Sequence[int], first: int, last: int) -> int:
    """How many of the sorted `numbers` lie in [first, last]."""
    return bisect.bisect_right(numbers, last) - bisect.bisect_left(numbers, first)


# Nodes that hold statements: walked only when their text holds what is looked for.
_BLOCKS = (ast.stmt, ast.excepthandler, getattr(ast, "match_case", ast.excepthandler))  # match_case: 3.10+
_LINE_END = re.compile(r"\r\n?|\n")  # where Python's lines end (not str.splitlines' form feeds)

# An absolute import of SQLAlchemy, SQLModel or Flask-SQLAlchemy, at any indentation.
_SA_IMPORT = re.compile(r"(?:^|;)[ \t]*(?:from|import)[ \t]+(?:sqlalchemy|sqlmodel|flask_sqlalchemy)\b", re.MULTILINE)


def line_starts(source: str) -> list[int]:
    """Where each line of `source` starts, as Python ends lines (`[0, 0, ...]`: lines count from 1)."""
    starts = [0, 0]
    if "\r" in source:
        starts.extend(match.end() for match in _LINE_END.finditer(source))
    else:
        starts.extend(itertools.accumulate(map((1).__add__, map(len, source.split("\n")))))
    return starts


def lines_span(node: ast.stmt, starts: list[int], size: int) -> tuple[int, int]:
    """Where the lines `node` spans (its decorators too) start and end in a text of `size`
    characters whose lines start at `starts`."""
    first, last = node.lineno, node.end_lineno or node.lineno
    for decorator in getattr(node, "decorator_list", ()):  # above a `def` or `class` line
        first = min(first, decorator.lineno)
    if last + 1 >= len(starts):
        return starts[min(first, len(starts) - 1)], size
    return starts[first], starts[last + 1]


class TextFacts:
    """Cheap facts about a module's text, for the rules' prefilters (`Rule.may_apply`).

    Each is a superset test: when it says no, the rule cannot report anything here.
    """

    __slots__ = ("source", "filename", "project", "_imports_sqlalchemy", "_imports_project")

    def __init__(self, source: str, filename: str = "", project: Optional[Project] = None) -> None:
        self.source = source
        self.filename = filename
        self.project = project
        self._imports_sqlalchemy: bool | None = None
        self._imports_project: bool | None = None

    @property
    def imports_sqlalchemy(self) -> bool:
        """An absolute import of sqlalchemy, sqlmodel or flask_sqlalchemy in the text."""
        if self._imports_sqlalchemy is None:
            source = self.source
            self._imports_sqlalchemy = ("sqlalchemy" in source or "sqlmodel" in source) and bool(
                _SA_IMPORT.search(one_line_end(source))
            )
        return self._imports_sqlalchemy

    @property
    def imports_project(self) -> bool:
        """An import of a project name that is SQLAlchemy's (`Project.uses_sqlalchemy_names`)."""
        if self._imports_project is None:
            self._imports_project = self.project is not None and self.project.uses_sqlalchemy_names(
                self.source, self.filename
            )
        return self._imports_project

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
