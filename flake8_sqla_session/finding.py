"""What a rule reports: a finding, where it is, and the fix it carries as data.

The detection core produces these; the flake8 plugin turns them into flake8's
4-tuples and the fixer turns their fixes into libcst edits.  Positions are the
`ast` ones: 1-based lines, columns in UTF-8 bytes.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Span:
    """An `ast` node's extent: (line, col) to (end_line, end_col), cols in UTF-8 bytes."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def of(cls, node: ast.expr | ast.stmt | ast.excepthandler) -> Span:
        end_line = node.end_lineno if node.end_lineno is not None else node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return cls(node.lineno, node.col_offset, end_line, end_col)


@dataclass(frozen=True)
class Import:
    """`from module import name` (or `import module` when name is empty)."""

    module: str
    name: str = ""


@dataclass(frozen=True)
class SetKeyword:
    """Give the call at `call` the keyword `name=value`, replacing it if present."""

    call: Span
    name: str
    value: str


@dataclass(frozen=True)
class InsertFirstStatement:
    """Insert `code` (one statement per item) as the first statements of a handler."""

    handler: Span
    code: tuple[str, ...]


@dataclass(frozen=True)
class WrapCall:
    """Turn the call at `call` into `wrapper(<inner>, *extra_args)`.

    With `unwrap` the call must take no arguments and `<inner>` is its callee
    (`F(...)()` -> `wrapper(F(...))`); otherwise `<inner>` is the call itself,
    its callee renamed to `new_func` when given
    (`Session(bind=e)` -> `wrapper(sessionmaker(bind=e))`).  With `unwrap` and an
    empty `wrapper` the call becomes its callee alone (`registry()` -> `registry`).
    """

    call: Span
    wrapper: str
    unwrap: bool
    new_func: str | None = None
    extra_args: tuple[str, ...] = ()


Edit = Union[SetKeyword, InsertFirstStatement, WrapCall]


@dataclass(frozen=True)
class Fix:
    """A fix: one edit, the imports it needs, an optional comment for the statement."""

    edit: Edit
    safe: bool
    imports: tuple[Import, ...] = ()
    comment: str | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int
    col: int
    fix: Fix | None = None
    end_line: int | None = None  # the reported node's end, when known (ast columns)
    end_col: int | None = None

    @property
    def fix_label(self) -> str:
        if self.fix is None:
            return "no autofix"
        return "fix available" if self.fix.safe else "fix available with --unsafe-fixes"
