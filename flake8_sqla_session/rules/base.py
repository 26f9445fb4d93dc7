"""The shape of a rule: its code, message, documentation and examples in one unit."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterator, Mapping

from ..finding import Finding, Fix

if TYPE_CHECKING:
    from ..context import Context, TextFacts
    from ..settings import Settings


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
    needs_words: ClassVar[tuple[str, ...]] = ()  # for `may_apply`: one must be in the text
    needs_sqlalchemy: ClassVar[bool] = False  # only where SQLAlchemy itself is imported
    valid: ClassVar[list[Valid]] = []
    invalid: ClassVar[list[Invalid]] = []

    @classmethod
    def name(cls) -> str:
        """`EngineWithoutPrePing` -> `engine-without-pre-ping`."""
        return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()

    def check(self, context: Context) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def may_apply(cls, text: TextFacts, settings: Settings) -> bool:
        """A cheap look at the text: False only when the rule cannot report anything in it.

        By default a rule needs SQLAlchemy (or SQLModel, or Flask-SQLAlchemy) to be
        imported, and one of its `needs_words` in the text; or a configured session
        factory; or an import of the project's own modules, whose names may be
        sessions whatever they are called (unless `needs_sqlalchemy`).
        """
        if settings.session_factories:
            return True
        if text.imports_sqlalchemy and (not cls.needs_words or text.has(*cls.needs_words)):
            return True
        return not cls.needs_sqlalchemy and text.imports_project  # names from the project's modules

    def finding(
        self, node: ast.expr | ast.stmt | ast.excepthandler, fix: Fix | None = None, **details: object
    ) -> Finding:
        message = f"{self.code} {self.message.format(**details)}"
        return Finding(self.code, message, node.lineno, node.col_offset, fix, node.end_lineno, node.end_col_offset)
