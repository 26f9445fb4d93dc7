"""fix_source(): detect with the core, then apply the findings' fixes with libcst."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..finding import Finding
from ..settings import Settings


@dataclass(frozen=True)
class FixResult:
    source: str
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix_source(
    source: str,
    settings: Settings,
    *,
    filename: str = "",
    unsafe: bool = False,
    select: Callable[[str], bool] | None = None,
) -> FixResult:
    raise NotImplementedError("the fixer is being built")
