"""What the code below a `try` does with a session whose error its handler swallowed.

SQS301 stays quiet when the first statement below the `try`, in the `try`'s own block, to name
the session only ends its transaction: `self.edb_session.close()` right after a handler that
logs (seafevents' storage counter), or a `try` whose first statement does (advanced-alchemy's
`try: await db_session.close()`).  Each function is walked once for the lines that name each
name (and each `a.b` and `a.b.c` chain), and each block's statements placed once: every `try`
then asks in logarithmic time, so the cost stays linear in the size of the module.
"""
from __future__ import annotations

import ast
import bisect
from typing import Optional

from ..context import Context
from ..knowledge.module import TRY_NODES, TryRecord
from ..knowledge.names import dotted

# A call that ends the failed transaction: what follows it starts a new one.
ENDING_METHODS = frozenset({"rollback", "close", "remove", "invalidate", "reset"})

_BLOCKS = ("body", "orelse", "finalbody")


class ReuseReader:
    """The question above, for one module."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._places: dict[int, tuple[list[ast.stmt], int]] = {}  # id(statement) -> (its block, its index)
        self._starts: dict[int, list[int]] = {}  # id(block) -> the first line of each of its statements
        self._naming: dict[int, dict[str, list[int]]] = {}  # id(function or module) -> name or chain -> lines

    def ended_below(self, record: TryRecord, handler: ast.ExceptHandler, text: str) -> bool:
        """Whether the handler falls through and the first statement below the `try`, in its own
        block, to name the session `text` is `text.close()` (or `.rollback()`, `.remove()`)."""
        last = handler.body[-1] if handler.body else None
        if isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)) or record.node.finalbody:
            return False
        owner, node = record.scope.node, record.node
        lines = self._lines(owner).get(text)
        place = self._places.get(id(node))
        if not lines or place is None:
            return False
        block, index = place
        below = bisect.bisect_right(lines, node.end_lineno or node.lineno)
        if below == len(lines):
            return False
        line = lines[below]  # the first line below the `try` to name the session
        starts = self._starts[id(block)]
        at = bisect.bisect_right(starts, line) - 1
        first = block[at] if at > index else None
        if first is None or line > (first.end_lineno or first.lineno):
            return False  # outside the block: it ended first
        if isinstance(first, TRY_NODES) and first.body and line <= (first.body[0].end_lineno or first.body[0].lineno):
            first = first.body[0]  # `try: await db_session.close()`, its own errors kept (advanced-alchemy)
        if not isinstance(first, ast.Expr):
            return False  # no call of its own
        call = first.value.value if isinstance(first.value, ast.Await) else first.value
        return (
            isinstance(call, ast.Call) and not call.args and not call.keywords
            and isinstance(call.func, ast.Attribute) and call.func.attr in ENDING_METHODS
            and dotted(call.func.value) == text
        )

    def _lines(self, owner: ast.AST) -> dict[str, list[int]]:
        """The lines of `owner` (a function or the module) naming each name, `a.b` and `a.b.c`
        chain, from one walk of it; each of its blocks placed on the way."""
        found = self._naming.get(id(owner))
        if found is not None:
            return found
        naming: dict[str, set[int]] = {}
        for node in ast.walk(owner):
            self.context.steps += 1
            if isinstance(node, ast.Name):
                naming.setdefault(node.id, set()).add(node.lineno)
            elif isinstance(node, ast.Attribute):
                value = node.value
                if isinstance(value, ast.Name):
                    naming.setdefault(f"{value.id}.{node.attr}", set()).add(node.lineno)
                elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
                    naming.setdefault(f"{value.value.id}.{value.attr}.{node.attr}", set()).add(node.lineno)
            if node is owner or isinstance(node, ast.stmt):
                for field in _BLOCKS:
                    self._place(getattr(node, field, None))
                for inner in getattr(node, "handlers", ()):
                    self._place(inner.body)
                for case in getattr(node, "cases", ()):
                    self._place(case.body)
        found = self._naming[id(owner)] = {name: sorted(lines) for name, lines in naming.items()}
        return found

    def _place(self, block: Optional[list[ast.stmt]]) -> None:
        if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
            return
        self._starts[id(block)] = [statement.lineno for statement in block]
        for index, statement in enumerate(block):
            self._places[id(statement)] = (block, index)
