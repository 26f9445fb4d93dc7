"""fix_source(): detect with the core, then apply the findings' fixes with libcst."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from ..checker import check
from ..finding import Finding, InsertFirstStatement, SetKeyword, WrapCall
from ..settings import Settings

if TYPE_CHECKING:
    from .edits import CallEdit

# flake8's own inline noqa syntax: `# noqa`, `# noqa: SQS201`, `# NOQA:SQS201,E501`.
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*))?", re.IGNORECASE)
_NOQA_SPLIT = re.compile(r"[,\s]+")


class FixError(Exception):
    """A fix could not be applied safely; nothing was changed."""


@dataclass(frozen=True)
class FixResult:
    source: str
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.source_changed

    @property
    def source_changed(self) -> bool:
        return bool(self.applied)


def is_suppressed(finding: Finding, lines: list[str]) -> bool:
    """Whether `# noqa` on the finding's line covers its code (flake8's rules)."""
    if not 1 <= finding.line <= len(lines):
        return False
    match = NOQA.search(lines[finding.line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    listed = tuple(code.upper() for code in _NOQA_SPLIT.split(codes) if code)
    return finding.code in listed or finding.code.startswith(listed)


def detect(
    source: str,
    settings: Settings,
    *,
    filename: str = "",
    select: Callable[[str], bool] | None = None,
    tree: ast.Module | None = None,
) -> list[Finding]:
    """The findings the flake8 plugin reports for `source`, after `select` and `# noqa`."""
    if tree is None:
        tree = ast.parse(source, filename or "<unknown>")
    findings = check(tree, settings, filename)
    if select is not None:
        findings = [f for f in findings if select(f.code)]
    if findings and "noqa" in source.lower():
        lines = source.splitlines()
        findings = [f for f in findings if not is_suppressed(f, lines)]
    return findings


def fix_source(
    source: str,
    settings: Settings,
    *,
    filename: str = "",
    unsafe: bool = False,
    select: Callable[[str], bool] | None = None,
    tree: ast.Module | None = None,
) -> FixResult:
    """Detect, then apply every fix allowed (`unsafe` adds the unsafe ones) in one libcst pass.

    Raises SyntaxError when `source` does not parse, FixError when a fix cannot
    be placed or its result would not parse.  libcst only parses files with a
    fix to apply.
    """
    findings = detect(source, settings, filename=filename, select=select, tree=tree)
    wanted = [f for f in findings if f.fix is not None and (f.fix.safe or unsafe)]
    if not wanted:
        return FixResult(source, findings, [])
    new_source = apply_fixes(source, wanted, filename)
    return FixResult(new_source, findings, wanted)


def apply_fixes(source: str, findings: Iterable[Finding], filename: str = "") -> str:
    # libcst is imported here, not at the top: checking (and flake8) never pays for it.
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor
    from libcst.metadata import MetadataWrapper, PositionProvider

    from .edits import ApplyEdits
    from .locate import Lines, index_targets

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"libcst cannot parse this file ({exc.message}, line {exc.raw_line})") from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    targets = index_targets(wrapper.resolve(PositionProvider))
    lines = Lines(source)
    calls: dict[cst.Call, list[tuple[CallEdit, str | None]]] = {}
    handlers: dict[cst.CSTNode, InsertFirstStatement] = {}
    context = CodemodContext()
    for finding in findings:
        fix = finding.fix
        assert fix is not None
        edit = fix.edit
        if isinstance(edit, InsertFirstStatement):
            node = targets.get(lines.span_key(edit.handler)[:2])
            if node is None or isinstance(node, cst.Call):
                raise FixError(f"{finding.code} at line {finding.line}: cannot find the except handler to fix")
            handlers[node] = edit
        else:
            assert isinstance(edit, (SetKeyword, WrapCall))
            node = targets.get(lines.span_key(edit.call))
            if not isinstance(node, cst.Call):
                raise FixError(f"{finding.code} at line {finding.line}: cannot find the call to fix")
            calls.setdefault(node, []).append((edit, fix.comment))
        for needed in fix.imports:
            if needed.name:
                AddImportsVisitor.add_needed_import(context, needed.module, needed.name)
            else:
                AddImportsVisitor.add_needed_import(context, needed.module)
    try:
        new_module = wrapper.module.visit(ApplyEdits(calls, handlers))
        if context.scratch.get(AddImportsVisitor.CONTEXT_KEY):
            new_module = AddImportsVisitor(context).transform_module(new_module)
        new_source = new_module.code
    except (cst.ParserSyntaxError, cst.CSTValidationError) as exc:
        raise FixError(f"cannot build the fix ({_codes(findings)}): {exc}; nothing written") from None
    problem = _compile_error(new_source, filename)
    if problem is not None and _compile_error(source, filename) is None:
        raise FixError(f"the fixed code ({_codes(findings)}) would not compile: {problem}; nothing written")
    return new_source


def _codes(findings: Iterable[Finding]) -> str:
    return ", ".join(sorted({f.code for f in findings}))


def _compile_error(source: str, filename: str) -> str | None:
    """Why `source` does not compile (syntax, `return` outside a function, ...), or None."""
    try:
        compile(source, filename or "<unknown>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} at line {exc.lineno}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
