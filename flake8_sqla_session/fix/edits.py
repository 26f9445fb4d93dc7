"""Apply the findings' edits to a libcst tree in one transformer pass.

Everything outside an edited node is left as libcst parsed it, so comments,
blank lines, quotes and layout survive byte for byte.
"""
from __future__ import annotations

from typing import Sequence, TypeVar, Union

import libcst as cst

from ..finding import InsertFirstStatement, SetKeyword, WrapCall

CallEdit = Union[SetKeyword, WrapCall]


class ApplyEdits(cst.CSTTransformer):
    """Rewrites the original nodes named in `calls` and `handlers`; adds `comments` to their statements."""

    def __init__(
        self,
        calls: dict[cst.Call, list[tuple[CallEdit, str | None]]],
        handlers: dict[cst.CSTNode, InsertFirstStatement],
    ) -> None:
        super().__init__()
        self.calls = calls
        self.handlers = handlers
        self._pending: list[list[str]] = []

    # Comments go on the statement line that holds the edited call.
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self._pending.append([])
        return True

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        comments = self._pending.pop()
        if not comments:
            return updated_node
        lines = [cst.EmptyLine(indent=True, comment=cst.Comment(f"# {text}")) for text in comments]
        return updated_node.with_changes(leading_lines=[*updated_node.leading_lines, *lines])

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        edits = self.calls.get(original_node)
        if not edits:
            return updated_node
        result: cst.BaseExpression = updated_node
        for edit, comment in edits:
            assert isinstance(result, cst.Call)
            result = set_keyword(result, edit) if isinstance(edit, SetKeyword) else wrap_call(result, edit)
            if comment and self._pending:
                self._pending[-1].append(comment)
        return result

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        edit = self.handlers.get(original_node)
        return updated_node if edit is None else insert_first(updated_node, edit.code)

    def leave_ExceptStarHandler(
        self, original_node: cst.ExceptStarHandler, updated_node: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        edit = self.handlers.get(original_node)
        return updated_node if edit is None else insert_first(updated_node, edit.code)


# ---- SetKeyword -------------------------------------------------------------------------

def set_keyword(call: cst.Call, edit: SetKeyword) -> cst.Call:
    """`name=value` on the call: replaced in place, or appended in the call's own layout."""
    value = cst.parse_expression(edit.value)
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == edit.name:
            args[i] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    new = cst.Arg(
        value=value,
        keyword=cst.Name(edit.name),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    # The whitespace before `)`: after a trailing comma, else after the last argument.
    before_paren = trailing.whitespace_after if trailing else last.whitespace_after_arg
    between = _separator(call, args)
    closing = before_paren
    if isinstance(before_paren, cst.ParenthesizedWhitespace) and isinstance(between, cst.ParenthesizedWhitespace):
        # A comment after the last argument stays on its line; the new one goes below it.
        between = between.with_changes(first_line=before_paren.first_line, empty_lines=before_paren.empty_lines)
        closing = before_paren.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    if trailing:
        args[-1] = last.with_changes(comma=trailing.with_changes(whitespace_after=between))
        new = new.with_changes(comma=trailing.with_changes(whitespace_after=closing))
    else:
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=between), whitespace_after_arg=cst.SimpleWhitespace("")
        )
        new = new.with_changes(whitespace_after_arg=closing)
    args.append(new)
    return call.with_changes(args=args)


def _separator(call: cst.Call, args: Sequence[cst.Arg]) -> cst.BaseParenthesizableWhitespace:
    """The whitespace that separates this call's arguments, without any comment in it."""
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        between = args[-2].comma.whitespace_after
    else:
        between = call.whitespace_before_args
    if isinstance(between, cst.ParenthesizedWhitespace):
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=between.indent, last_line=between.last_line
        )
    return cst.SimpleWhitespace(" ")


# ---- WrapCall ---------------------------------------------------------------------------

def wrap_call(call: cst.Call, edit: WrapCall) -> cst.BaseExpression:
    """`F(...)()` -> `wrapper(F(...))`, or `Session(x)` -> `wrapper(new_func(x))`.

    With `unwrap` and no wrapper: `F(...)()` -> `F(...)`.
    """
    if edit.unwrap:
        inner: cst.BaseExpression = call.func
        if not edit.wrapper:
            return inner.with_changes(lpar=[*call.lpar, *inner.lpar], rpar=[*inner.rpar, *call.rpar])
    else:
        inner = call.with_changes(lpar=[], rpar=[])
        if edit.new_func is not None:
            inner = inner.with_changes(func=cst.parse_expression(edit.new_func))
    args = [cst.Arg(value=inner)]
    for extra in edit.extra_args:
        name, _, value = extra.partition("=")
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(
            cst.Arg(
                value=cst.parse_expression(value),
                keyword=cst.Name(name),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                ),
            )
        )
    return cst.Call(func=cst.parse_expression(edit.wrapper), args=args, lpar=call.lpar, rpar=call.rpar)


# ---- InsertFirstStatement ---------------------------------------------------------------

HandlerT = TypeVar("HandlerT", cst.ExceptHandler, cst.ExceptStarHandler)


def insert_first(handler: HandlerT, code: Sequence[str]) -> HandlerT:
    """Put `code` first in the handler; a lone `pass` or `...` gives way to it."""
    new: list[cst.BaseStatement] = [cst.parse_statement(line) for line in code]
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        # `except X: log()` becomes an indented block, one statement per line.
        old: list[cst.BaseStatement] = [
            cst.SimpleStatementLine(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
            for small in body.body
        ]
        old[-1] = old[-1].with_changes(trailing_whitespace=body.trailing_whitespace)
        return handler.with_changes(body=cst.IndentedBlock(header=cst.TrailingWhitespace(), body=_merge(new, old)))
    assert isinstance(body, cst.IndentedBlock)
    return handler.with_changes(body=body.with_changes(body=_merge(new, list(body.body))))


def _merge(new: list[cst.BaseStatement], old: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """`new` before `old`; comments that opened the block stay on top; a lone placeholder goes."""
    if not old:
        return list(new)
    first = old[0]
    leading = getattr(first, "leading_lines", ())
    if leading:
        new[0] = new[0].with_changes(leading_lines=leading)
        old[0] = first.with_changes(leading_lines=[])
    if len(old) == 1 and _is_placeholder(old[0]):
        placeholder = old[0]
        assert isinstance(placeholder, cst.SimpleStatementLine)
        if not placeholder.trailing_whitespace.comment:
            return list(new)
        # Keep `pass  # why` as its comment on the last new line.
        last = new[-1]
        if isinstance(last, cst.SimpleStatementLine):
            new[-1] = last.with_changes(trailing_whitespace=placeholder.trailing_whitespace)
        return list(new)
    return [*new, *old]


def _is_placeholder(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return isinstance(small, cst.Pass) or (
        isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis)
    )
