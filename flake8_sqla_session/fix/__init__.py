"""The fixer: libcst edits for the fixes that findings carry.

Public API (stable; the CLI, the codemods and the tests use it):

    fix_source(source, settings, *, filename="", unsafe=False, select=None) -> FixResult

`source` is the text of a module; the result holds the new text (equal to
`source` when nothing changed), every finding reported after `select` and
`# noqa`, and the findings whose fix was applied.
"""
from __future__ import annotations

from .api import FixResult, fix_source

__all__ = ["FixResult", "fix_source"]
