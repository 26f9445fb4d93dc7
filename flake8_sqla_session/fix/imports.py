"""Imports after a fix: add what the fixes need where an import sorter would put them,
and drop the names whose last use a fix removed.

The rules isort applies by default (and ruff's `I` rules alike): sections in the
order `__future__`, standard library, everything else, a blank line between two
sections; within a section `import x` lines before `from x import y` lines, each
sorted by module, case-insensitively; the names of a `from` import sorted
CONSTANTS, then Classes, then the rest.  Only what the fix adds is placed by
these rules: the user's own imports keep their order.
"""
from __future__ import annotations

import ast
import sys
from typing import Iterable, Sequence

import libcst as cst

from ..finding import Import

_STDLIB_FALLBACK = frozenset(  # Python 3.9 has no sys.stdlib_module_names
    """__future__ abc argparse array ast asyncio base64 bisect builtins calendar collections concurrent
    contextlib contextvars copy csv dataclasses datetime decimal enum errno fnmatch functools glob gzip
    hashlib heapq hmac html http importlib inspect io ipaddress itertools json logging math multiprocessing
    operator os pathlib pickle platform pprint queue random re secrets select shutil signal socket sqlite3
    ssl stat statistics string struct subprocess sys tempfile textwrap threading time timeit traceback
    types typing unittest urllib uuid warnings weakref xml zipfile zoneinfo""".split()
)
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) or _STDLIB_FALLBACK


def name_key(name: str) -> tuple[int, str]:
    """isort's default order of the names in `from x import ...`: CONSTANTS, Classes, functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


# ---- which names a fix left unused ------------------------------------------------------------

def used_names(tree: ast.Module) -> set[str]:
    """Names the module reads: loads, string annotations and `__all__`, as pyflakes counts them."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.arg, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef)):
            for annotation in (getattr(node, "annotation", None), getattr(node, "returns", None)):
                if annotation is not None:
                    names.update(_string_annotation_names(annotation))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                names.update(
                    e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                )
    return names


def _string_annotation_names(annotation: ast.expr) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value.strip(), mode="eval")
            except (SyntaxError, ValueError):
                continue
            names.update(n.id for n in ast.walk(inner) if isinstance(n, ast.Name))
    return names


# ---- editing the top-level imports ----------------------------------------------------------

def fix_imports(code: str, needed: Sequence[Import], lost: Iterable[str] = ()) -> str:
    """`code` (a module, or the import block that opens one) with `needed` added and `lost` names dropped."""
    lost = set(lost)
    module = cst.parse_module(code)
    body: list[cst.BaseStatement] = list(module.body)
    if lost:
        body = _drop(body, lost)
    for imp in dict.fromkeys(needed):
        if imp.name:
            _add_from(body, imp.module, imp.name)
        else:
            _add_import(body, imp.module)
    return module.with_changes(body=body).code


def _import_of(statement: cst.CSTNode) -> cst.Import | cst.ImportFrom | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _bound(alias: cst.ImportAlias, from_import: bool) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = _dotted(alias.name)
    return name if from_import else name.partition(".")[0]


def _drop(body: list[cst.BaseStatement], lost: set[str]) -> list[cst.BaseStatement]:
    result: list[cst.BaseStatement] = []
    carried: Sequence[cst.EmptyLine] = ()
    for statement in body:
        assert isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        imp = _import_of(statement)
        if imp is not None and not isinstance(imp.names, cst.ImportStar):
            from_import = isinstance(imp, cst.ImportFrom)
            names = list(imp.names)
            kept = [a for a in names if _bound(a, from_import) not in lost]
            if not kept:
                carried = [*carried, *statement.leading_lines]  # its comments and blank lines stay
                continue
            if len(kept) != len(names):
                kept[-1] = kept[-1].with_changes(comma=names[-1].comma)
                imp = imp.with_changes(names=kept)
                assert isinstance(statement, cst.SimpleStatementLine)
                statement = statement.with_changes(body=[imp])
        if carried:
            statement = statement.with_changes(leading_lines=[*_dedupe(carried), *statement.leading_lines])
            carried = ()
        result.append(statement)
    return result


def _dedupe(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """Blank lines of a removed statement, without doubling the ones around it."""
    out: list[cst.EmptyLine] = []
    for line in lines:
        if line.comment is None and out and out[-1].comment is None:
            continue
        out.append(line)
    return out


def _section(imp: cst.Import | cst.ImportFrom) -> int:
    """0 `__future__`, 1 the standard library, 2 everything else."""
    if isinstance(imp, cst.ImportFrom):
        if imp.relative:
            return 2
        module = _dotted(imp.module)
    else:
        module = _dotted(imp.names[0].name)
    top = module.partition(".")[0]
    if top == "__future__":
        return 0
    return 1 if top in STDLIB else 2


def _module_of(imp: cst.Import | cst.ImportFrom) -> str:
    if isinstance(imp, cst.ImportFrom):
        return "." * len(imp.relative) + _dotted(imp.module)
    return _dotted(imp.names[0].name)


def _add_from(body: list[cst.BaseStatement], module: str, name: str) -> None:
    imports = [(i, imp) for i, s in enumerate(body) if (imp := _import_of(s)) is not None]
    for index, imp in imports:
        if (
            isinstance(imp, cst.ImportFrom)
            and not imp.relative
            and _dotted(imp.module) == module
            and not isinstance(imp.names, cst.ImportStar)
        ):
            names = list(imp.names)
            if any(alias.asname is None and _dotted(alias.name) == name for alias in names):
                return
            statement = body[index]
            assert isinstance(statement, cst.SimpleStatementLine)
            body[index] = statement.with_changes(body=[imp.with_changes(names=_insert_alias(names, name))])
            return
    new = cst.parse_statement(f"from {module} import {name}")
    _insert_statement(body, new, _section_of_module(module), is_from=True, module=module)


def _insert_alias(names: list[cst.ImportAlias], name: str) -> list[cst.ImportAlias]:
    keys = [name_key(_dotted(a.name)) for a in names]
    ordered = keys == sorted(keys)
    position = len(names)
    if ordered:
        position = next((i for i, key in enumerate(keys) if key > name_key(name)), len(names))
    separator = next((a.comma for a in names[:-1] if isinstance(a.comma, cst.Comma)), None)
    separator = separator or cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    alias = cst.ImportAlias(name=cst.Name(name))
    if position == len(names):  # the new last name takes the old last one's (trailing) comma
        alias = alias.with_changes(comma=names[-1].comma)
        names = [*names[:-1], names[-1].with_changes(comma=separator)]
    else:
        alias = alias.with_changes(comma=separator)
    return [*names[:position], alias, *names[position:]]


def _section_of_module(module: str) -> int:
    top = module.partition(".")[0]
    return 0 if top == "__future__" else 1 if top in STDLIB else 2


def _add_import(body: list[cst.BaseStatement], module: str) -> None:
    for statement in body:
        imp = _import_of(statement)
        if isinstance(imp, cst.Import) and any(
            alias.asname is None and _dotted(alias.name) == module for alias in imp.names
        ):
            return
    _insert_statement(body, cst.parse_statement(f"import {module}"), _section_of_module(module), False, module)


def _insert_statement(
    body: list[cst.BaseStatement], new: cst.BaseStatement, section: int, is_from: bool, module: str
) -> None:
    """Put `new` where isort would: in its section, plain imports before `from` ones, by module."""
    imports = [(i, imp) for i, s in enumerate(body) if (imp := _import_of(s)) is not None]
    same = [(i, imp) for i, imp in imports if _section(imp) == section]
    key = (is_from, module.lower())
    if same:
        after = [i for i, imp in same if (isinstance(imp, cst.ImportFrom), _module_of(imp).lower()) <= key]
        if after:
            body.insert(after[-1] + 1, new)
            return
        first = same[0][0]
        _insert_before(body, first, new, blank_between=False)
        return
    later = [i for i, imp in imports if _section(imp) > section]
    if later:
        _insert_before(body, later[0], new, blank_between=True)
        return
    earlier = [i for i, imp in imports if _section(imp) < section]
    if earlier:
        new = new.with_changes(leading_lines=[cst.EmptyLine()])
        body.insert(earlier[-1] + 1, new)
        return
    start = 1 if body and _is_docstring(body[0]) else 0
    if start < len(body):
        _insert_before(body, start, new, blank_between=_import_of(body[start]) is None)
    else:
        body.append(new)


def _insert_before(body: list[cst.BaseStatement], index: int, new: cst.BaseStatement, blank_between: bool) -> None:
    """`new` before `body[index]`, taking over its leading comments and blank lines."""
    old = body[index]
    assert isinstance(old, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    new = new.with_changes(leading_lines=old.leading_lines)
    body[index] = old.with_changes(leading_lines=[cst.EmptyLine()] if blank_between else [])
    body.insert(index, new)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
