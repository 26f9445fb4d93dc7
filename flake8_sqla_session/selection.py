"""Which codes a run reports: flake8's select / ignore / extend-select / per-file-ignores."""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

from .rules import OPT_IN_CODES


def split_codes(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip().upper() for part in value.replace("\n", ",").split(",") if part.strip())


def _longest(prefixes: tuple[str, ...], code: str) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@dataclass(frozen=True)
class Selection:
    """flake8's decision for a code: the most specific of select and ignore wins.

    Opt-in codes (SQS401) are ignored by default, as flake8's
    `extend_default_ignore` does, unless a select names them (or their prefix).
    """

    select: tuple[str, ...] = ("SQS",)
    ignore: tuple[str, ...] = ()
    opted_in: tuple[str, ...] = ()  # opt-in codes that a select names
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (pattern, codes)

    def __call__(self, code: str) -> bool:
        return self.selects(code)

    def selects(self, code: str) -> bool:
        chosen = _longest(self.select, code)
        if chosen < 0:
            return False
        if _longest(self.ignore, code) >= chosen:
            return False
        if code in OPT_IN_CODES and code not in self.opted_in:
            return False
        return True

    def for_file(self, path: str) -> Selection:
        """This selection with the per-file-ignores that match `path` added."""
        if not self.per_file_ignores:
            return self
        absolute = os.path.abspath(path)
        basename = os.path.basename(path)
        extra = tuple(
            code
            for pattern, codes in self.per_file_ignores
            if fnmatch.fnmatch(absolute, pattern) or fnmatch.fnmatch(basename, pattern)
            for code in codes
        )
        if not extra:
            return self
        return Selection(self.select, self.ignore + extra, self.opted_in)


def build_selection(
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    extend_ignore: str | None,
    per_file_ignores: str | None = None,
    root: str = ".",
) -> Selection:
    chosen = split_codes(select)
    extended = split_codes(extend_select)
    named = (*chosen, *extended)
    pfi: list[tuple[str, tuple[str, ...]]] = []
    if per_file_ignores:
        from flake8.utils import parse_files_to_codes_mapping

        for pattern, codes in parse_files_to_codes_mapping(per_file_ignores):
            if not os.path.isabs(pattern) and ("/" in pattern or os.sep in pattern):
                pattern = os.path.abspath(os.path.join(root, pattern))
            pfi.append((pattern, tuple(c.upper() for c in codes)))
    return Selection(
        select=(chosen or ("SQS",)) + extended,
        ignore=split_codes(ignore) + split_codes(extend_ignore),
        opted_in=tuple(code for code in OPT_IN_CODES if _longest(named, code) >= 0),
        per_file_ignores=tuple(pfi),
    )
