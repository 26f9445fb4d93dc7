"""SQS301's question of what can run after a handler that swallowed an error, before a block
around its `try` ends (the `with` that owns the session, or the function that was handed it).

Read as the statements that follow the `try`, block by block up to that outer block: the
statements after it in its own block, up to the first that surely leaves (`return`, `raise`,
`continue`, `break`); then those after the statement that holds that block, and so on.  The
other branch of an `if` whose branch holds the `try` does not run; what follows the body of a
`try` around it (its handlers, `else:` and `finally:`) may.  A loop between the two blocks
leaves the answer unknown: its next round may run anything.

On the handler's path a name may hold a known value: `agent = None` right before a `try` whose
body is the one statement `agent = session.query(...).first()`, whose handler and `finally:`
do not bind `agent`, leaves `agent` None.  An `if` right after the `try` whose test that value
decides (`if agent is None: return`, `if agent is not None: ...`) runs only the branch it
takes.

Each block's statement starts and first leaving statements are listed once per check, and a
`try` more than `MAX_LEVELS` blocks deep is not read, so the cost stays linear however many
`try` statements ask.
"""
from __future__ import annotations

import ast
import bisect
import weakref
from typing import TYPE_CHECKING, Optional

from ..knowledge.module import TRY_NODES
from .sentinels import Value, truth

if TYPE_CHECKING:
    from ..context import Context

Lines = tuple[int, int]  # a range of lines, first and last included
_EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
# How many blocks deep a `try` may sit in the outer block for its way out to be read; deeper, the
# answer is unknown (and the caller reads the lines below the `try`, as it did before): each `try`
# costs a bounded number of steps, however deep the nesting.
MAX_LEVELS = 16
_CONSTANTS = (type(None), bool, int, str)
_Frame = tuple[list[ast.stmt], int]  # a block and the index of the statement that holds the `try` (or is it)


class _Blocks:
    def __init__(self) -> None:
        self.starts: dict[int, list[tuple[int, int]]] = {}
        self.exits: dict[int, list[int]] = {}


_MEMOS: weakref.WeakKeyDictionary[Context, _Blocks] = weakref.WeakKeyDictionary()


def _blocks(context: Context) -> _Blocks:
    found = _MEMOS.get(context)
    if found is None:
        found = _MEMOS[context] = _Blocks()
    return found


def after_handler(
    context: Context, outer: list[ast.stmt], statement: ast.Try, handler: ast.ExceptHandler
) -> Optional[list[Lines]]:
    """The line ranges of what may run after `handler` of `statement` (a `try` held by the block
    `outer`) falls through, before `outer` ends: empty when nothing does; None when it cannot be
    told (a loop between the two, or the `try` not found in `outer`)."""
    last = handler.body[-1] if handler.body else None
    frames = _path(context, outer, statement)
    if frames is None:
        return None
    ranges: list[Lines] = []
    innermost = len(frames) - 1
    if isinstance(last, _EXITS) and _stops(frames, innermost, last):
        return _ancestors(frames, innermost, ranges)
    for level in range(innermost, -1, -1):
        block, index = frames[level]
        start = index + 1
        if level == innermost and start < len(block):
            values = _error_values(block, index, statement, handler)
            taken = _taken(block[start], values) if values else None
            if taken is not None:
                if taken:
                    ranges.append(_span(taken))
                    if isinstance(taken[-1], _EXITS) and _stops(frames, level, taken[-1]):
                        return _ancestors(frames, level, ranges)
                start += 1
        if start < len(block):
            leaving = _first_exit(context, block, start)
            if leaving < len(block) and _stops(frames, level, block[leaving]):
                ranges.append((block[start].lineno, _end_line(block[leaving])))
                return _ancestors(frames, level, ranges)
            ranges.append((block[start].lineno, _end_line(block[-1])))
        if level == 0:
            return ranges
        parent = frames[level - 1][0][frames[level - 1][1]]
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)) and block is parent.body:
            return None  # its next round may run anything
        _rest_of_try(parent, block, ranges)
    return ranges


def _stops(frames: list[_Frame], level: int, leaving: ast.stmt) -> bool:
    """Whether `leaving`, in the block of `level`, leaves the outer block: a `raise` in the body
    of a `try` around it that has handlers may be caught, and what follows that `try` run."""
    if not isinstance(leaving, ast.Raise):
        return True
    return not any(
        isinstance(parent, TRY_NODES) and parent.handlers and frames[upper][0] is parent.body
        for upper in range(level, 0, -1)
        for parent in (frames[upper - 1][0][frames[upper - 1][1]],)
    )


def _ancestors(frames: list[_Frame], level: int, ranges: list[Lines]) -> list[Lines]:
    """`ranges` and, for each `try` around the block of `level` (within the outer block), what
    of it may still run on the way out: its handlers and `finally:`."""
    for upper in range(level, 0, -1):
        parent = frames[upper - 1][0][frames[upper - 1][1]]
        _rest_of_try(parent, frames[upper][0], ranges)
    return ranges


def _rest_of_try(parent: ast.stmt, block: list[ast.stmt], ranges: list[Lines]) -> None:
    """What of `parent`, when it is a `try`, may run after its sub-block `block`: after its body,
    its handlers, `else:` and `finally:`; after a handler or `else:`, its `finally:`."""
    if not isinstance(parent, TRY_NODES):
        return
    if block is parent.body:
        ranges.append((_end_line(parent.body[-1]) + 1, _end_line(parent)))
    elif block is not parent.finalbody and parent.finalbody:
        ranges.append(_span(parent.finalbody))


def _path(context: Context, outer: list[ast.stmt], target: ast.stmt) -> Optional[list[_Frame]]:
    """The blocks from `outer` down to the one that holds `target`, each with the index of the
    statement on the way (found by position, each block's starts listed once)."""
    frames: list[_Frame] = []
    block = outer
    key = (target.lineno, target.col_offset)
    for _ in range(MAX_LEVELS):
        starts = _blocks(context).starts.get(id(block))
        if starts is None:
            starts = _blocks(context).starts[id(block)] = [(s.lineno, s.col_offset) for s in block]
            context.steps += len(block)
        index = bisect.bisect_right(starts, key) - 1
        if index < 0:
            return None
        frames.append((block, index))
        holder = block[index]
        if holder is target:
            return frames
        inner = next((part for part in _parts(holder) if part and _holds(part, target)), None)
        if inner is None:
            return None
        block = inner
        context.steps += 1
    return None


def _parts(statement: ast.stmt) -> list[list[ast.stmt]]:
    parts: list[list[ast.stmt]] = []
    if isinstance(statement, TRY_NODES):
        parts = [statement.body, *(h.body for h in statement.handlers), statement.orelse, statement.finalbody]
    elif isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While)):
        parts = [statement.body, statement.orelse]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        parts = [statement.body]
    elif isinstance(statement, getattr(ast, "Match", ())):
        parts = [case.body for case in statement.cases]  # type: ignore[attr-defined]
    return parts


def _holds(block: list[ast.stmt], target: ast.stmt) -> bool:
    return (block[0].lineno, block[0].col_offset) <= (target.lineno, target.col_offset) and (
        target.end_lineno or target.lineno
    ) <= _end_line(block[-1])


def _first_exit(context: Context, block: list[ast.stmt], start: int) -> int:
    """The index of the first statement of `block` from `start` on that surely leaves it
    (`len(block)` when none does)."""
    exits = _blocks(context).exits.get(id(block))
    if exits is None:
        exits = [len(block)] * (len(block) + 1)
        for index in range(len(block) - 1, -1, -1):
            exits[index] = index if isinstance(block[index], _EXITS) else exits[index + 1]
        _blocks(context).exits[id(block)] = exits
        context.steps += len(block)
    return exits[start]


def _error_values(
    block: list[ast.stmt], index: int, statement: ast.Try, handler: ast.ExceptHandler
) -> dict[str, Value]:
    """What a name holds after `handler`: `x = <constant>` right before the `try`, whose body is
    the one statement `x = ...` (which did not finish), and whose handler and `finally:` do not
    bind `x`."""
    if index == 0 or len(statement.body) != 1:
        return {}
    before, inside = block[index - 1], statement.body[0]
    name = _assigned(inside)
    if name is None or _assigned(before) != name:
        return {}
    value = before.value  # type: ignore[attr-defined]
    if not isinstance(value, ast.Constant) or not isinstance(value.value, _CONSTANTS):
        return {}
    if handler.name == name or any(
        isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load)
        for after in (handler.body, statement.finalbody) for part in after for node in ast.walk(part)
    ):
        return {}
    return {name: ("=", value.value)}


def _assigned(statement: ast.stmt) -> Optional[str]:
    """The name a plain assignment binds (`x = ...`, `x: T = ...`)."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _taken(statement: ast.stmt, values: dict[str, Value]) -> Optional[list[ast.stmt]]:
    """The branch an `if` surely takes when the names hold `values` (its body or its `else:`,
    perhaps empty); None when it is not an `if` or its test cannot be told."""
    if not isinstance(statement, ast.If):
        return None
    decided = truth(statement.test, values)
    if decided is None:
        return None
    return statement.body if decided else statement.orelse


def _span(block: list[ast.stmt]) -> Lines:
    return (block[0].lineno, _end_line(block[-1]))


def _end_line(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno
