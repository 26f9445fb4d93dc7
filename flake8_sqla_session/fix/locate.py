"""From `ast` positions (UTF-8 byte columns) to libcst nodes (character columns)."""
from __future__ import annotations

from typing import Mapping, Union

import libcst as cst
from libcst.metadata import CodeRange

from ..finding import Span
from .api import split_lines

Target = Union[cst.Call, cst.ExceptHandler, cst.ExceptStarHandler]


class Lines:
    """Column conversions over a source's lines."""

    def __init__(self, source: str) -> None:
        self._lines = split_lines(source)

    def char_col(self, line: int, byte_col: int) -> int:
        if not 1 <= line <= len(self._lines):
            return byte_col
        text = self._lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def span_key(self, span: Span, offset: int = 0) -> tuple[int, int, int, int]:
        """The span in libcst's terms, for a source whose first line is line `offset + 1`."""
        line, end_line = span.line - offset, span.end_line - offset
        return (line, self.char_col(line, span.col), end_line, self.char_col(end_line, span.end_col))


def index_targets(positions: Mapping[cst.CSTNode, CodeRange]) -> dict[tuple[int, ...], Target]:
    """Calls keyed by (line, col, end_line, end_col), handlers by (line, col), in characters.

    Both `sessionmaker(...)` and `sessionmaker(...)()` start at the same place;
    their ends tell them apart.  A handler is known by where `except` starts.
    """
    index: dict[tuple[int, ...], Target] = {}
    for node, where in positions.items():
        if isinstance(node, cst.Call):
            index[(where.start.line, where.start.column, where.end.line, where.end.column)] = node
        elif isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
            index[(where.start.line, where.start.column)] = node
    return index
