"""What a function hands back on its way out of a handler that swallowed an error, as far as a
caller's test of it can tell: SQS301's sentinels.

A helper whose handler returns a value its callers test (`return None`, `return False, str(e)`,
`return None, e`) lets a caller that tests the result at once (`user, error = helper(db)` then
`if error: ...`) know which branch runs on the handler's path.  Both the FastAPI and aiogram
callers (`unit_end`) and the Flask views (`request_end`) read a helper's handler so.
"""
from __future__ import annotations

import ast
from typing import Hashable, Optional, TypeVar

from ..knowledge.names import called_name

_T = TypeVar("_T", bound=Hashable)
# How many different values one helper's handlers may be asked about, each read through all its
# callers; past that, a handler is asked about as one whose value is unknown (one more question
# for the helper): the cost stays linear however many handlers return something different.
MAX_VALUES = 4


def bounded(asked: dict[Hashable, set[Hashable]], helper: Hashable, value: Optional[_T]) -> Optional[_T]:
    """`value`, the sentinel a question about `helper` is asked with, or None once `MAX_VALUES`
    others were (`asked` records them)."""
    if value is None:
        return None
    values = asked.setdefault(helper, set())
    if value not in values:
        if len(values) >= MAX_VALUES:
            return None
        values.add(value)
    return value


# What a function returns on its way out of a swallowing handler, as far as a caller's test can
# tell: a constant (`("=", None)`, `("=", False)`, `("=", 0)`), a value surely true and not None
# (`("true",)`: the caught exception, a non-empty string, f-string or display, an instance of a
# class: `schema.Error(messages=[...])`), or anything else (`("?",)`); a sentinel is one such
# value (`("value", v)`) or a tuple of them (`("tuple", (v, ...))`).  An instance counts as true
# because an object is unless its class defines `__bool__` or `__len__`, which error and result
# classes rarely do; were one to, the finding would be missed, not raised wrongly.
Value = tuple[object, ...]
Sentinel = tuple[str, object]
UNKNOWN: Value = ("?",)
TRUE: Value = ("true",)


def handler_sentinel(handler: ast.ExceptHandler) -> Optional[Sentinel]:
    """What the function hands back when `handler` ends it by `return` (None when it does not,
    or when a caller could not test it)."""
    last = handler.body[-1] if handler.body else None
    if not isinstance(last, ast.Return):
        return None
    return sentinel_of(last.value, handler.name, assigned_once(handler.body[:-1]))


def sentinel_of(
    value: Optional[ast.expr], caught: Optional[str], assigned: dict[str, ast.expr],
    known: Optional[dict[str, Value]] = None,
) -> Optional[Sentinel]:
    """What `return value` hands back, `caught` being the handler's exception's name,
    `assigned` the names the block bound before, and `known` what other names hold on this
    path (None when the value tells a caller nothing it could test)."""
    if isinstance(value, ast.Tuple) and value.elts and not any(isinstance(e, ast.Starred) for e in value.elts):
        return ("tuple", tuple(_value(element, caught, assigned, known or {}) for element in value.elts))
    found = _value(value, caught, assigned, known or {})
    return None if found == UNKNOWN else ("value", found)


def assigned_once(block: list[ast.stmt]) -> dict[str, ast.expr]:
    """The names a block binds once, each by a plain assignment of its own (`error =
    schema.Error(...)`), to the value bound."""
    found: dict[str, ast.expr] = {}
    again: set[str] = set()
    for statement in block:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
            statement.targets[0], ast.Name
        ):
            name = statement.targets[0].id
            if name in found:
                again.add(name)
            found[name] = statement.value
            continue
        again.update(
            node.id for node in ast.walk(statement) if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)
        )
    return {name: value for name, value in found.items() if name not in again}


def _value(
    node: Optional[ast.expr], caught: Optional[str], assigned: dict[str, ast.expr], known: dict[str, Value]
) -> Value:
    if node is None:
        return ("=", None)
    if isinstance(node, ast.Constant) and isinstance(node.value, (type(None), bool, int, str)):
        return ("=", node.value)
    if isinstance(node, ast.Name) and caught is not None and node.id == caught:
        return TRUE  # an exception is true (BaseException defines neither __bool__ nor __len__)
    if isinstance(node, ast.Name) and node.id in assigned:
        return _value(assigned[node.id], caught, {}, {})
    if isinstance(node, ast.Name) and node.id in known:
        return known[node.id]
    if isinstance(node, ast.Call) and (called_name(node.func) or "")[:1].isupper():
        return TRUE  # an instance of a class
    if isinstance(node, ast.JoinedStr) and any(
        isinstance(part, ast.Constant) and part.value for part in node.values
    ):
        return TRUE
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and not any(
        isinstance(e, ast.Starred) for e in node.elts
    ):
        return TRUE
    if isinstance(node, ast.Dict) and node.keys and None not in node.keys:
        return TRUE
    return UNKNOWN


def bound_values(target: ast.expr, sentinel: Sentinel) -> Optional[dict[str, Value]]:
    """What each name of an assignment's target holds when the value is `sentinel`."""
    kind, held = sentinel
    if isinstance(target, ast.Name):
        return {target.id: held if kind == "value" else TRUE}  # type: ignore[dict-item]
    if kind != "tuple" or not isinstance(target, (ast.Tuple, ast.List)):
        return None
    values: tuple[Value, ...] = held  # type: ignore[assignment]
    if len(target.elts) != len(values) or not all(isinstance(e, ast.Name) for e in target.elts):
        return None
    return {element.id: value for element, value in zip(target.elts, values)}  # type: ignore[attr-defined]


def truth(
    test: ast.expr, values: dict[str, Value], call: Optional[ast.Call] = None, sentinel: Optional[Sentinel] = None
) -> Optional[bool]:
    """The value of `test` when the names hold `values` and `call` returns `sentinel` (None when
    it cannot be told)."""
    if isinstance(test, ast.Await):
        test = test.value
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = truth(test.operand, values, call, sentinel)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        answers = [truth(operand, values, call, sentinel) for operand in test.values]
        decisive = isinstance(test.op, ast.Or)  # `or` is true once one is; `and` false once one is
        if decisive in answers:
            return decisive
        return None if None in answers else not decisive
    if (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot))
        and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None
    ):
        value = _held(test.left, values, call, sentinel)
        if value == UNKNOWN:
            return None
        none = value == ("=", None)
        return none if isinstance(test.ops[0], ast.Is) else not none
    value = _held(test, values, call, sentinel)
    if value == TRUE:
        return True
    return bool(value[1]) if value[0] == "=" else None


def _held(node: ast.expr, values: dict[str, Value], call: Optional[ast.Call], sentinel: Optional[Sentinel]) -> Value:
    """What a name of `values`, or the awaited `call` returning `sentinel`, holds."""
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Name):
        return values.get(node.id, UNKNOWN)
    if node is call and sentinel is not None:
        return sentinel[1] if sentinel[0] == "value" else TRUE  # type: ignore[return-value]
    return UNKNOWN
