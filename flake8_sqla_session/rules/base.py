"""The shape of a rule: its code, message, documentation and examples in one unit."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterator, Mapping

from ..finding import Finding, Fix

if TYPE_CHECKING:
    from ..checker import Context


@dataclass(frozen=True)
class Valid:
    """Code the rule must stay quiet on."""

    code: str
    options: Mapping[str, str] = field(default_factory=dict)
    filename: str = "example.py"


@dataclass(frozen=True)
class Invalid:
    """Code the rule reports at `at` (line, ast column); `fixed` is the fixer's output."""

    code: str
    at: tuple[int, int]
    fixed: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    filename: str = "example.py"


class Rule:
    """A rule; subclasses set the class attributes and implement `check`.

    The class docstring is the rule's documentation, in sections
    ``## What it does`` and ``## Why is this bad?``.
    """

    code: ClassVar[str]
    message: ClassVar[str]  # a format string; the code is prepended
    fix_title: ClassVar[str | None] = None
    fix_safe: ClassVar[bool] = True
    references: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[str, ...]] = ()
    opt_in: ClassVar[bool] = False
    valid: ClassVar[list[Valid]] = []
    invalid: ClassVar[list[Invalid]] = []

    @classmethod
    def name(cls) -> str:
        """`EngineWithoutPrePing` -> `engine-without-pre-ping`."""
        return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()

    def check(self, context: Context) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, node: ast.expr | ast.stmt | ast.excepthandler, fix: Fix | None = None, **details: object) -> Finding:
        return Finding(self.code, f"{self.code} {self.message.format(**details)}", node.lineno, node.col_offset, fix)
