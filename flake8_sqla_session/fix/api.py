"""fix_source(): detect with the core, then apply the findings' fixes with libcst."""
from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from ..checker import check
from ..finding import Finding, Import, InsertFirstStatement, SetKeyword, WrapCall
from ..noqa import covers, noqa_lines
from ..settings import Settings

if TYPE_CHECKING:
    from .edits import CallEdit

# A line ends at \r\n, \r or \n, as for the tokenizer, `ast` and flake8; not at the form
# feeds, U+2028 and other separators that `str.splitlines` also splits on.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(source: str) -> list[str]:
    """Lines, with their ends, split as the tokenizer splits them (\\n, \\r\\n and \\r end a line)."""
    return _LINE.findall(source)


class FixError(Exception):
    """A fix could not be applied safely; nothing was changed."""


@dataclass(frozen=True)
class FixResult:
    source: str
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def parse(source: str, filename: str = "") -> ast.Module:
    """ast.parse, without the warnings (invalid escapes, ...) that belong to the user's file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename or "<unknown>")


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
        tree = parse(source, filename)
    findings = check(tree, settings, filename, source)
    if select is not None:
        findings = [f for f in findings if select(f.code)]
    if findings and "noqa" in source.lower():
        lines = noqa_lines(source)  # flake8's: a multi-line string's `# noqa` may follow it
        findings = [f for f in findings if not covers(lines.get(f.line, ""), f.code)]
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
    if tree is None:
        tree = parse(source, filename)
    findings = detect(source, settings, filename=filename, select=select, tree=tree)
    return fix_findings(source, findings, unsafe=unsafe, filename=filename, tree=tree)


def fix_findings(
    source: str, findings: list[Finding], *, unsafe: bool = False, filename: str = "", tree: ast.Module | None = None
) -> FixResult:
    """Apply the fixes of `findings` (detected on `source`) that `unsafe` allows; FixError if that fails."""
    wanted = [f for f in findings if f.fix is not None and (f.fix.safe or unsafe)]
    if not wanted:
        return FixResult(source, findings, [])
    return FixResult(apply_fixes(source, wanted, filename, tree), findings, wanted)


def apply_fixes(source: str, findings: Iterable[Finding], filename: str = "", tree: ast.Module | None = None) -> str:
    """`source` with the findings' fixes applied; FixError if that cannot be done safely.

    With the module's `tree`, libcst parses only the top-level statements that
    hold a fix, and the leading import block when a fix needs imports.
    """
    findings = list(findings)
    if "\r" in source and "\n" not in source:
        # Lone-CR line ends (classic Mac): libcst joins such lines, so it sees \n ones.
        # Python reads both alike, even inside strings, so the meaning cannot change.
        fixed = apply_fixes(source.replace("\r", "\n"), findings, filename, tree)
        return _compiled(source, fixed.replace("\n", "\r"), findings, filename)
    try:
        if tree is None:
            new = _apply(source, findings, 0)
        else:
            new = _apply_by_statement(source, findings, tree, filename)
    except RecursionError:
        raise FixError("too deeply nested for libcst; nothing written") from None
    # The statements were checked one by one; what is returned (and written) is the whole text.
    return _compiled(source, new, findings, filename)


def _compiled(old: str, new: str, findings: list[Finding], filename: str, offset: int = 0) -> str:
    """`new`, if it compiles (or `old` did not either); else FixError.

    Top-level statements compile on their own as they do in their module, so
    a fixed statement is checked alone.
    """
    problem = _compile_error(new, filename)
    if problem is not None and _compile_error(old, filename) is None:
        message, line = problem
        raise FixError(
            f"the fixed code ({_codes(findings)}) would not compile: {message} at line {line + offset}; nothing written"
        )
    return new


def _apply_by_statement(source: str, findings: list[Finding], tree: ast.Module, filename: str) -> str:
    imports = [needed for f in findings if f.fix is not None for needed in f.fix.imports]
    rewrites = _rewrites_calls(findings)
    header_end = _import_block_end(tree) if imports or rewrites else 0
    if imports and not header_end:  # no import block to add to: the whole module is edited
        return _apply(source, findings, 0, old_tree=tree)
    lines = split_lines(source)
    ranges: list[tuple[int, int]] = []  # first and last line of top-level statements with fixes
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        last = statement.end_lineno or statement.lineno
        if any(first <= _edit_line(f) <= last for f in findings):
            if ranges and first <= ranges[-1][1]:  # statements sharing a line (`a = 1; b = f()`)
                ranges[-1] = (ranges[-1][0], max(last, ranges[-1][1]))
            else:
                ranges.append((first, last))
    placed = sum(1 for f in findings if any(a <= _edit_line(f) <= b for a, b in ranges))
    if placed != len(findings) or (ranges and ranges[0][0] <= header_end):
        return _apply(source, findings, 0, old_tree=tree)
    for first, last in reversed(ranges):
        inside = [f for f in findings if first <= _edit_line(f) <= last]
        snippet = "".join(lines[first - 1:last])
        new = _apply(snippet, inside, first - 1, with_imports=False)
        lines[first - 1:last] = [_compiled(snippet, new, inside, filename, first - 1)]
    lost = _lost_names(tree, "".join(lines)) if rewrites else set()
    if lost and _imported_below(tree, lost, header_end):  # an import to drop outside the import block
        return _apply(source, findings, 0, old_tree=tree)
    if (imports or lost) and header_end:
        header = "".join(lines[:header_end])
        lines[:header_end] = [_compiled(header, _fix_imports(header, imports, lost), findings, filename)]
    return "".join(lines)


def _imported_below(tree: ast.Module, names: set[str], header_end: int) -> bool:
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)) and statement.lineno > header_end:
            for alias in statement.names:
                bound = alias.asname or alias.name
                if isinstance(statement, ast.Import):
                    bound = bound.split(".")[0] if not alias.asname else bound
                if bound in names:
                    return True
    return False


def _rewrites_calls(findings: list[Finding]) -> bool:
    return any(f.fix is not None and isinstance(f.fix.edit, WrapCall) for f in findings)


def _lost_names(old_tree: ast.Module, new_source: str) -> set[str]:
    """Names the old module used and the fixed one does not: their imports would be left unused."""
    from .imports import used_names

    try:
        new_tree = parse(new_source)
    except (SyntaxError, ValueError):
        return set()  # the compile check says why
    return used_names(old_tree) - used_names(new_tree)


def _fix_imports(code: str, imports: list[Import], lost: set[str]) -> str:
    from .imports import fix_imports

    try:
        return fix_imports(code, imports, lost)
    except Exception as exc:  # libcst refuses the result: say so rather than write it
        raise FixError(f"cannot place the imports ({type(exc).__name__}: {exc}); nothing written") from None


def _import_block_end(tree: ast.Module) -> int:
    """The last line of the imports that open the module (after its docstring), or 0."""
    end = 0
    for index, statement in enumerate(tree.body):
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            end = statement.end_lineno or statement.lineno
        elif not (index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            break
    return end


def _edit_line(finding: Finding) -> int:
    assert finding.fix is not None
    edit = finding.fix.edit
    return edit.handler.line if isinstance(edit, InsertFirstStatement) else edit.call.line


def _apply(
    source: str, findings: list[Finding], offset: int, with_imports: bool = True, old_tree: ast.Module | None = None
) -> str:
    """Apply the fixes to `source`, whose line 1 is line `offset + 1` of the findings' file."""
    # libcst is imported here, not at the top: checking (and flake8) never pays for it.
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from .edits import ApplyEdits
    from .locate import Lines, index_targets

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"libcst cannot parse this file ({exc.message}, line {exc.raw_line + offset})") from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    targets = index_targets(wrapper.resolve(PositionProvider))
    lines = Lines(source)
    calls: dict[cst.Call, list[tuple[CallEdit, str | None]]] = {}
    handlers: dict[cst.CSTNode, InsertFirstStatement] = {}
    imports: list[Import] = []
    for finding in findings:
        fix = finding.fix
        assert fix is not None
        edit = fix.edit
        if isinstance(edit, InsertFirstStatement):
            node = targets.get(lines.span_key(edit.handler, offset)[:2])
            if node is None or isinstance(node, cst.Call):
                raise FixError(f"{finding.code} at line {finding.line}: cannot find the except handler to fix")
            handlers[node] = edit
        else:
            assert isinstance(edit, (SetKeyword, WrapCall))
            node = targets.get(lines.span_key(edit.call, offset))
            if not isinstance(node, cst.Call):
                raise FixError(f"{finding.code} at line {finding.line}: cannot find the call to fix")
            calls.setdefault(node, []).append((edit, fix.comment))
        if with_imports:
            imports.extend(fix.imports)
    try:
        new_code = wrapper.module.visit(ApplyEdits(calls, handlers)).code
    except (cst.ParserSyntaxError, cst.CSTValidationError) as exc:
        raise FixError(f"cannot build the fix ({_codes(findings)}): {exc}; nothing written") from None
    if with_imports:
        lost: set[str] = set()
        if _rewrites_calls(findings):
            lost = _lost_names(old_tree or parse(source), new_code)
        if imports or lost:
            return _fix_imports(new_code, imports, lost)
    return new_code


def _codes(findings: Iterable[Finding]) -> str:
    return ", ".join(sorted({f.code for f in findings}))


def _compile_error(source: str, filename: str) -> tuple[str, int] | None:
    """Why `source` does not compile (syntax, `return` outside a function, ...), and where; or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, filename or "<unknown>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.msg, exc.lineno or 0
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}", 0
    return None
