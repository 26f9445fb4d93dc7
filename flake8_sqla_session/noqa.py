"""`# noqa` as flake8 reads it, and `--add-noqa`, which writes it.

flake8 does not look for `# noqa` on a finding's physical line alone: it joins
the physical lines between two tokenizer line ends (NEWLINE or NL) and
searches that text.  So a multi-line string, or a statement continued with a
backslash, is one unit whose comment may sit on its last line; a statement
continued inside brackets is not (every line in brackets ends in an NL
token).  `noqa_lines` reproduces that mapping, `add_noqa` writes the comment
where flake8 will find it.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .finding import Finding

# flake8's NOQA_INLINE_REGEXP (flake8/defaults.py), verbatim: `# noqa`, `# noqa: SQS201`, `# NOQA:SQS201,E501`.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]")


def _tokens(source: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None


def logical_ranges(source: str) -> dict[int, tuple[int, int]] | None:
    """Line -> (first, last) physical line of the unit flake8 searches for its `# noqa`; None if untokenizable."""
    tokens = _tokens(source)
    if tokens is None:
        return None
    ranges: dict[int, tuple[int, int]] = {}
    first, last = -1, -1
    for token in tokens:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        first = token.start[0] if first < 0 else min(first, token.start[0])
        last = max(last, token.end[0])
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            for line in range(first, last + 1):
                ranges[line] = (first, last)
            first, last = -1, -1
    return ranges


def noqa_lines(source: str) -> dict[int, str]:
    """Line -> the text flake8 searches for `# noqa` when it reports on that line."""
    lines = io.StringIO(source).readlines()
    ranges = logical_ranges(source)
    if ranges is None:
        return dict(enumerate(lines, 1))
    return {line: "".join(lines[first - 1:last]) for line, (first, last) in ranges.items()}


def codes_of(match: re.Match[str]) -> tuple[str, ...] | None:
    """The codes a `# noqa` match lists; None for a bare `# noqa` (every code)."""
    codes = match.group("codes")
    if not codes:
        return None
    return tuple(code.strip() for code in _SPLIT.split(codes) if code.strip())  # case kept, as flake8 does


def covers(text: str, code: str) -> bool:
    """Whether a `# noqa` in `text` (flake8's first match) silences `code`."""
    match = NOQA.search(text)
    if match is None:
        return False
    codes = codes_of(match)
    return codes is None or code in codes or code.startswith(codes)


class NoqaError(Exception):
    """No place for the comment that flake8 would read; nothing is changed."""


def add_noqa(source: str, findings: Iterable[Finding]) -> tuple[str, int]:
    """`source` with `# noqa: CODE` where flake8 reads it for each finding, and how many lines changed.

    An existing `# noqa: X` list is extended, other comments are kept, a bare
    `# noqa` is left as it is (it already silences every code).  Raises
    NoqaError when the `# noqa` flake8 would read is inside a string.
    """
    findings = list(findings)
    if not findings:
        return source, 0
    tokens = _tokens(source)
    if tokens is None:
        raise NoqaError("cannot tokenize the file; nothing written")
    lines = io.StringIO(source).readlines()
    ranges = logical_ranges(source) or {}
    wanted: dict[tuple[int, int], list[str]] = {}
    for finding in findings:
        unit = ranges.get(finding.line, (finding.line, finding.line))
        codes = wanted.setdefault(unit, [])
        if finding.code not in codes:
            codes.append(finding.code)
    comments: dict[int, list[tuple[int, int]]] = {}
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments.setdefault(token.start[0], []).append((token.start[1], token.end[1]))
    changed = 0
    for (first, last), codes in sorted(wanted.items(), reverse=True):
        text = "".join(lines[first - 1:last])
        match = NOQA.search(text)
        if match is not None:
            existing = codes_of(match)
            if existing is None:
                continue  # a bare `# noqa` already silences every code
            missing = [c for c in codes if not (c in existing or c.startswith(existing))]
            if not missing:
                continue
            line, col = _position(text, match.start("codes"), first)
            if not any(start <= col < end for start, end in comments.get(line, ())):
                raise NoqaError(f"line {first}: the `# noqa` flake8 reads here is inside a string; nothing written")
            end = match.end("codes")
            kept = text[match.start("codes"):end].rstrip(", \t\r\n")
            end_line, end_col = _position(text, match.start("codes") + len(kept), first)
            body = lines[end_line - 1]
            lines[end_line - 1] = body[:end_col] + "," + ",".join(missing) + body[end_col:]
        else:
            body = lines[last - 1]
            content = body.rstrip("\r\n")
            ending = body[len(content):]
            lines[last - 1] = content.rstrip(" \t") + f"  # noqa: {','.join(codes)}" + ending
        changed += 1
    return "".join(lines), changed


def _position(text: str, offset: int, first_line: int) -> tuple[int, int]:
    """(line, column) in the file of `offset` into `text`, which starts at `first_line`."""
    before = text[:offset]
    return first_line + before.count("\n"), offset - (before.rfind("\n") + 1)
