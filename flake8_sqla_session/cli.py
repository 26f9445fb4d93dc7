"""`flake8-sqla-session`: report, --fix, --diff, --check and --add-noqa over files and folders.

`flake8-sqla-session rule SQS101` (or `rule --all`) prints a rule's documentation.

Exit codes: 0 nothing left to report (or --exit-zero); 1 findings remain (or
--check/--diff would change something); 2 a usage error, or a file that could
not be read, parsed or written (the other files are still processed).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import functools
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from . import __version__
from .config import Config, ConfigError, load_config, selection_from_options, settings_from_options, truthy
from .finding import Finding, InsertFirstStatement, Span
from .formats import FORMATS, Replacement, Report, Run, statistics
from .rules import RULES
from .selection import Selection
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from .fix.files import SourceFile

DEFAULT_EXCLUDE = (
    ".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg",
    ".venv", "venv", ".mypy_cache", ".pytest_cache", "build", "node_modules", "site-packages",
)
PROGRESS_MIN_FILES = 300


@dataclass(frozen=True)
class Job:
    mode: str  # "report" | "fix" | "diff" | "check" | "add-noqa"
    unsafe: bool
    settings: Settings
    selection: Selection
    fix_edits: bool = False  # compute each fixable finding's own fix as text replacements (SARIF)


@dataclass
class Outcome:
    path: str
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)
    diff: str = ""
    error: str | None = None
    # For `-` with --fix or --add-noqa: the new bytes, or the input when unchanged or unfixable.
    output: bytes | None = None
    reports: list[Report] = field(default_factory=list)  # the findings, as the output formats take them
    noqa_added: int = 0  # lines given a `# noqa` comment (--add-noqa)
    # With `defer_write`: the file as it was read and its new text, for `write_pending` to write.
    pending: tuple[SourceFile, str] | None = None


# ---- one file ----------------------------------------------------------------------------

def process(path: str, job: Job, stdin_data: bytes | None = None, defer_write: bool = False) -> Outcome:
    """Check (and fix) one file; every failure becomes `Outcome.error`, never an exception.

    `stdin_data`: the bytes read from stdin, decoded as a file's are; with --fix
    (or --add-noqa) the outcome's `output` is the new bytes, or these bytes
    unchanged when there is nothing to change or they cannot be processed (an
    editor replaces its buffer with what it gets).

    `defer_write`: leave the file as it is and keep its new text in `Outcome.pending`
    for `write_pending` (see `run`: no file is written while others are still read).
    """
    from .fix.files import FileError, read_source, source_from_bytes, write_source
    from .noqa import NoqaError, add_noqa

    outcome = Outcome(path)
    text: str | None = None
    tree = None
    if stdin_data is not None and job.mode in ("fix", "add-noqa"):
        outcome.output = stdin_data
    try:
        if stdin_data is None:
            source = read_source(path)
        else:
            source = source_from_bytes(path, stdin_data)
        text = source.text
        selection = job.selection.for_file(path)
        outcome.findings, outcome.applied, new_text, tree = _fix_text(text, path, job, selection)
        if job.mode == "add-noqa":
            new_text, outcome.noqa_added = add_noqa(text, outcome.findings)
        if new_text != text:
            if job.mode == "diff":
                outcome.diff = "".join(
                    difflib.unified_diff(
                        text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                        fromfile=f"a/{path}", tofile=f"b/{path}",
                    )
                )
            elif job.mode in ("fix", "add-noqa"):
                if stdin_data is not None:
                    outcome.output = new_text.encode(source.encoding)
                elif defer_write:
                    outcome.pending = (source, new_text)
                else:
                    write_source(source, new_text)
    except FileError as exc:
        _not_written(outcome, str(exc))
    except NoqaError as exc:
        outcome.error = f"no noqa added: {exc}"
    except _Unfixable as exc:
        outcome.findings, outcome.applied = exc.findings, []
        outcome.error = f"not fixed: {exc}"
    except SyntaxError as exc:
        where = f" (line {exc.lineno}, column {exc.offset})" if exc.lineno else ""
        outcome.error = f"cannot parse: {exc.msg}{where}; not checked"
    except (RecursionError, MemoryError) as exc:
        outcome.error = f"too deeply nested to check ({type(exc).__name__}); not checked"
    except Exception as exc:  # a bug of ours: say so, keep going with the other files
        outcome.error = f"internal error ({type(exc).__name__}: {exc}); please report it; file left unchanged"
        outcome.applied = []
        outcome.noqa_added = 0
    if outcome.error and stdin_data is not None and job.mode in ("fix", "add-noqa"):
        outcome.output = stdin_data
    if text is not None and outcome.findings:
        try:
            outcome.reports = _reports(path, text, outcome, job, tree)
        except Exception as exc:  # pragma: no cover - a bug of ours
            outcome.error = f"internal error ({type(exc).__name__}: {exc}); please report it"
    return outcome


def write_pending(outcome: Outcome) -> None:
    """Write the new text that `process(..., defer_write=True)` kept; a failure becomes `Outcome.error`."""
    from .fix.files import FileError, write_source

    if outcome.pending is None:
        return
    source, new_text = outcome.pending
    outcome.pending = None
    try:
        write_source(source, new_text)
    except FileError as exc:
        _not_written(outcome, str(exc))
        outcome.reports = [dataclasses.replace(r, fix_applied=False) for r in outcome.reports]


def _not_written(outcome: Outcome, error: str) -> None:
    outcome.error = error
    outcome.applied = []
    outcome.noqa_added = 0


def _fix_text(
    text: str, path: str, job: Job, selection: Selection
) -> tuple[list[Finding], list[Finding], str, ast.Module]:
    from .fix.api import FixError, detect, fix_findings, parse

    tree = parse(text, path)
    findings = detect(text, job.settings, filename=path, select=selection, tree=tree)
    if job.mode in ("report", "add-noqa"):
        return findings, [], text, tree
    try:
        result = fix_findings(text, findings, unsafe=job.unsafe, filename=path, tree=tree)
    except FixError as exc:
        raise _Unfixable(findings, str(exc)) from None
    return result.findings, result.applied, result.source, tree


# ---- findings as the outputs take them ---------------------------------------------------

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # lines as the tokenizer (and ast) count them


def _reports(path: str, text: str, outcome: Outcome, job: Job, tree: ast.Module | None) -> list[Report]:
    lines = _LINE.findall(text)
    starts = [0]
    if job.fix_edits:  # offsets of the lines, for the fixes' replacements
        for line in lines:
            starts.append(starts[-1] + len(line))

    def line_text(number: int) -> str:
        return lines[number - 1].rstrip("\r\n") if 1 <= number <= len(lines) else ""

    applied = {id(f) for f in outcome.applied}
    statements: list[tuple[int, int]] | None = None
    seen: dict[tuple[str, str], int] = {}
    reports = []
    for finding in outcome.findings:
        source_line = line_text(finding.line)
        end_line = finding.end_line if finding.end_line is not None else finding.line
        end_col = finding.end_col if finding.end_col is not None else finding.col
        fixable = finding.fix is not None and (finding.fix.safe or job.unsafe)
        key = (finding.code, source_line.strip())
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        replacements: tuple[Replacement, ...] = ()
        if job.fix_edits and fixable and job.mode != "fix":
            if statements is None:
                statements = _top_level_statements(tree) if tree is not None else []
            replacements = _fix_replacements(finding, path, tree, statements, lines, starts)
        reports.append(Report(
            path=path, finding=finding, source_line=source_line,
            col=_char_col(source_line, finding.col) + 1,
            end_line=end_line, end_col=_char_col(line_text(end_line), end_col) + 1,
            fixable=fixable, fix_applied=id(finding) in applied and job.mode == "fix",
            replacements=replacements, occurrence=occurrence,
        ))
    return reports


def _char_col(line: str, byte_col: int) -> int:
    return len(line.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))


def _fix_replacements(
    finding: Finding, path: str, tree: ast.Module | None, statements: list[tuple[int, int]], lines: list[str],
    starts: list[int],
) -> tuple[Replacement, ...]:
    """The finding's own fix, applied alone by the fixer, as minimal text replacements of `text`.

    A fix without imports changes only its top-level statement, so the fixer
    runs on that statement alone (as `--fix` does): the cost stays per
    statement, not per file, when a long file has many findings.
    """
    import bisect

    from .fix.api import FixError, apply_fixes

    assert finding.fix is not None
    first, last = 1, len(lines)
    if not finding.fix.imports:
        line = _edit_span(finding).line
        index = bisect.bisect_right(statements, (line, len(lines) + 1)) - 1
        if index >= 0 and statements[index][0] <= line <= statements[index][1]:
            first, last = statements[index]
    old = "".join(lines[first - 1:last])
    try:
        whole = first == 1 and last == len(lines)
        fixed = apply_fixes(old, [_shifted(finding, first - 1)], path, tree if whole else None)
    except FixError:
        return ()
    base = starts[first - 1]
    # Diff only the lines between the unchanged head and tail.
    local = starts[first - 1:last + 1]
    head = bisect.bisect_right(local, base + _common_prefix(old, fixed)) - 1
    same_end = _common_prefix(old[local[head] - base:][::-1], fixed[local[head] - base:][::-1])
    stop = max(head, bisect.bisect_left(local, base + len(old) - same_end))
    kept_tail = base + len(old) - local[stop]
    new_lines = _LINE.findall(fixed[local[head] - base:len(fixed) - kept_tail])
    old_lines = lines[first - 1 + head:first - 1 + stop]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)

    def position(offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    replacements = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        prefix = len(os.path.commonprefix([removed, added]))
        while prefix and (_splits_word(removed, prefix) or _splits_word(added, prefix)):
            prefix -= 1  # whole words read better: `import sessionmaker` -> `import scoped_session, sessionmaker`
        suffix = len(os.path.commonprefix([removed[prefix:][::-1], added[prefix:][::-1]]))
        while suffix and (_splits_word(removed, len(removed) - suffix) or _splits_word(added, len(added) - suffix)):
            suffix -= 1
        start = local[head] + len("".join(old_lines[:i1]))
        replacements.append(Replacement(
            *position(start + prefix), *position(start + len(removed) - suffix), added[prefix:len(added) - suffix]
        ))
    return tuple(replacements)


def _top_level_statements(tree: ast.Module) -> list[tuple[int, int]]:
    """(first, last) line of each top-level statement, decorators included, in order."""
    bounds = []
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        bounds.append((first, statement.end_lineno or statement.lineno))
    return bounds


def _edit_span(finding: Finding) -> Span:
    assert finding.fix is not None
    edit = finding.fix.edit
    return edit.handler if isinstance(edit, InsertFirstStatement) else edit.call


def _shifted(finding: Finding, by: int) -> Finding:
    """`finding` with its lines moved up by `by`, for the fixer to apply it to a snippet."""
    if not by:
        return finding
    assert finding.fix is not None
    span = _edit_span(finding)
    moved = dataclasses.replace(span, line=span.line - by, end_line=span.end_line - by)
    edit = finding.fix.edit
    if isinstance(edit, InsertFirstStatement):
        edit = dataclasses.replace(edit, handler=moved)
    else:
        edit = dataclasses.replace(edit, call=moved)
    return dataclasses.replace(finding, line=finding.line - by, fix=dataclasses.replace(finding.fix, edit=edit))


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters `a` and `b` share (binary search: slices compare at C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class _Unfixable(Exception):
    """The file was checked, but its fixes could not be applied."""

    def __init__(self, findings: list[Finding], message: str) -> None:
        super().__init__(message)
        self.findings = findings


def _run_one(args: tuple[str, Job]) -> Outcome:
    return process(*args, defer_write=True)


def _splits_word(text: str, index: int) -> bool:
    """Whether `index` falls between two characters of one identifier."""
    return 0 < index < len(text) and _word(text[index - 1]) and _word(text[index])


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


# ---- many files --------------------------------------------------------------------------

def discover(paths: Sequence[str], exclude: Sequence[str]) -> Iterator[str]:
    """The .py files under `paths`; named files always, folders walked without `exclude`d parts."""
    from .fix.files import is_regular

    excluded = _matcher(exclude)
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d for d in dirs
                    if not excluded(os.path.join(folder, d))
                    and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
                )
                for name in sorted(files):
                    full = os.path.join(folder, name)
                    # A FIFO, socket or device named *.py: reading it could wait forever.
                    if name.endswith(".py") and not excluded(full) and is_regular(full):
                        yield full
        else:
            yield path


def _matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """flake8's exclude test: a pattern matches the path's basename or its absolute path."""
    if not patterns:
        return lambda path: False
    import fnmatch
    import re

    regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))

    def excluded(path: str) -> bool:
        return regex.match(os.path.basename(path)) is not None or regex.match(os.path.abspath(path)) is not None

    return excluded


def run(files: list[str], job: Job, jobs: int, progress: bool) -> list[Outcome]:
    """Check (and fix) `files`; with --fix or --add-noqa, write them once all are checked.

    A file's checks read other files of its project (the names it imports, the
    engines of the project), and writing a file takes a lease that any reader
    breaks (fix/files.py): a write among parallel checks was refused as "changed
    on disk".  So every file is checked against the project as it was before the
    run, and only then are the new texts written, from this process.
    """
    outcomes = _check_all(files, job, jobs, progress)
    for outcome in outcomes:
        write_pending(outcome)
    return outcomes


def _check_all(files: list[str], job: Job, jobs: int, progress: bool) -> list[Outcome]:
    if jobs <= 1 or len(files) < 2 * jobs:
        return [_report_progress(i, len(files), progress, _run_one((f, job))) for i, f in enumerate(files, 1)]
    import multiprocessing
    import multiprocessing.context

    context: multiprocessing.context.BaseContext
    try:
        context = multiprocessing.get_context("fork")  # workers start with the parent's imports
    except ValueError:  # pragma: no cover - Windows
        context = multiprocessing.get_context()
    outcomes = []
    with context.Pool(jobs) as pool:
        # Small chunks: a file with fixes costs many times one without, so keep the workers even.
        chunk = max(1, min(16, len(files) // (jobs * 16)))
        for i, outcome in enumerate(pool.imap_unordered(_run_one, ((f, job) for f in files), chunk), 1):
            outcomes.append(_report_progress(i, len(files), progress, outcome))
    order = {f: i for i, f in enumerate(files)}
    outcomes.sort(key=lambda o: order[o.path])
    return outcomes


def _report_progress(done: int, total: int, enabled: bool, outcome: Outcome) -> Outcome:
    if enabled and (done == total or done % max(1, total // 100) == 0):
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        if done == total:
            sys.stderr.write("\r" + " " * (width + 30) + "\r")
        sys.stderr.flush()
    return outcome


# ---- the command -------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flake8-sqla-session",
        description="Find (and fix) the SQLAlchemy session patterns behind 'MySQL server has gone away' "
        "and 'Can't reconnect until invalid transaction is rolled back'.",
        epilog="`flake8-sqla-session rule SQS101` (or `rule --all`) prints a rule's documentation.",
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fix", action="store_true", help="rewrite files in place")
    mode.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
    mode.add_argument(
        "--add-noqa", action="store_true",
        help="add `# noqa: SQSxxx` to every line that reports (for adopting the rules on existing code)",
    )
    parser.add_argument(
        "--unsafe-fixes", action="store_true", default=None,
        help="also apply fixes that change behaviour beyond the bug (SQS101)",
    )
    parser.add_argument("--select", help="codes or prefixes to report (default: SQS)")
    parser.add_argument("--extend-select", help="codes or prefixes to add to the selection, e.g. SQS401")
    parser.add_argument("--ignore", help="codes or prefixes to leave out")
    parser.add_argument("--extend-ignore", help="codes or prefixes to leave out, added to --ignore")
    parser.add_argument("--per-file-ignores", help="flake8's per-file-ignores (PATTERN:CODES ...)")
    parser.add_argument("--exclude", help=f"comma-separated patterns to skip (default: {','.join(DEFAULT_EXCLUDE)})")
    parser.add_argument("--extend-exclude", help="patterns to skip, added to --exclude")
    parser.add_argument("--jobs", "-j", help="processes to use (default: all cores)")
    parser.add_argument(
        "--format", choices=tuple(FORMATS), default=None,
        help="output format: text (default), json, github (Actions annotations), sarif (code scanning), "
        "gitlab (Code Quality), junit",
    )
    parser.add_argument("--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even if findings remain")
    parser.add_argument(
        "--statistics", action="store_true", default=None, help="count the findings per code, as flake8 does"
    )
    parser.add_argument(
        "--show-source", action="store_true", default=None, help="show each finding's line, with a caret at the column"
    )
    parser.add_argument("--stdin-display-name", default="stdin", help="the name of the file read from stdin")
    parser.add_argument("--config", help="a flake8 config file to read instead of searching for one")
    parser.add_argument("--sqla-session-names", help="regular expression for names that hold a session (SQS301)")
    parser.add_argument(
        "--sqla-session-factories", help="comma-separated dotted names of callables that return sessions"
    )
    parser.add_argument("--sqla-max-pool-recycle", help="the server's idle timeout in seconds (SQS202; default 28800)")
    parser.add_argument("--sqla-pool-recycle", help="the pool_recycle value the SQS202 fix sets (default 3600)")
    parser.add_argument("--sqla-src", help="comma-separated import roots for the project's own modules")
    parser.add_argument("--sqla-django-settings", help="the Django settings module, e.g. mysite.settings")
    parser.add_argument(
        "--sqla-cache-dir", help="where answers about the project's modules are kept between runs, or 'off'"
    )
    parser.add_argument(
        "--sqla-no-cache", action="store_const", const="true", default=None,
        help="work the project's modules out anew and keep nothing",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _option(args: argparse.Namespace, config: Config, name: str) -> str | None:
    value = getattr(args, name.replace("-", "_"), None)
    if value is not None:
        return str(value)
    return config.values.get(name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rule"]:  # a folder named `rule` is checked as `./rule`
        return rule_command(argv[1:])
    if argv[:1] == ["server"]:  # a folder named `server` is checked as `./server`
        from .server import main as server_main

        return server_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(".", args.config)
    except ConfigError as exc:
        parser.error(str(exc))
    option = functools.partial(_option, args, config)
    try:
        settings = settings_from_options(option)
    except SettingsError as exc:
        parser.error(str(exc))
    selection = selection_from_options(option, config.root)
    if not any(selection.selects(rule.code) for rule in RULES):
        where = ", ".join(config.files) or "the command line"
        print(f"flake8-sqla-session: warning: the selection ({where}) selects no SQS code", file=sys.stderr)
    jobs_value = _option(args, config, "jobs") or "auto"
    if jobs_value == "auto":
        jobs = os.cpu_count() or 1
    elif jobs_value.isdigit() and int(jobs_value) > 0:
        jobs = int(jobs_value)
    else:
        parser.error(f"--jobs: expected a positive number or 'auto', got {jobs_value!r}")
    output_format = args.format or config.values.get("format", "text")
    if output_format not in FORMATS:
        parser.error(f"format: expected one of {', '.join(FORMATS)}, got {output_format!r}")
    mode = (
        "fix" if args.fix else "diff" if args.diff else "check" if args.check
        else "add-noqa" if args.add_noqa else "report"
    )
    unsafe = args.unsafe_fixes if args.unsafe_fixes is not None else truthy(config.values.get("unsafe-fixes"))
    job = Job(mode, unsafe, settings, selection, fix_edits=output_format == "sarif")
    output = Output(
        output_format,
        file=args.output_file,
        exit_zero=args.exit_zero,
        statistics=args.statistics if args.statistics is not None else truthy(config.values.get("statistics")),
        show_source=args.show_source if args.show_source is not None else truthy(config.values.get("show-source")),
    )

    exclude = _patterns(_option(args, config, "exclude") or ",".join(DEFAULT_EXCLUDE))
    exclude += _patterns(_option(args, config, "extend-exclude") or "")

    if args.paths == ["-"]:
        outcomes = [process(args.stdin_display_name, job, sys.stdin.buffer.read())]
    else:
        missing = [p for p in args.paths if p != "-" and not os.path.lexists(p)]
        writing = mode in ("fix", "add-noqa")
        files = _unique(discover([p for p in args.paths if p not in missing], exclude), fixing=writing)
        progress = output_format == "text" and sys.stderr.isatty() and len(files) > PROGRESS_MIN_FILES
        outcomes = [Outcome(p, error="no such file or folder") for p in missing]
        outcomes += run(files, job, jobs, progress)
    return report(outcomes, job, output)


def _patterns(value: str) -> list[str]:
    return [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]


def _unique(paths: Iterable[str], fixing: bool) -> list[str]:
    """Each file once; when fixing, each real file once even if two paths (symlinks) lead to it."""
    seen: set[str] = set()
    result = []
    for path in paths:
        key = os.path.realpath(path) if fixing else os.path.normpath(path)
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


@dataclass(frozen=True)
class Output:
    format: str = "text"
    file: str | None = None  # --output-file
    exit_zero: bool = False
    statistics: bool = False
    show_source: bool = False


def report(outcomes: list[Outcome], job: Job, output: Output | str = "text") -> int:
    if isinstance(output, str):
        output = Output(output)
    applied_ids = {id(f) for o in outcomes for f in o.applied}
    remaining = [(o, f) for o in outcomes for f in o.findings if id(f) not in applied_ids]
    errors = [o for o in outcomes if o.error]
    for outcome in errors:
        print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
    # Fixed stdin goes to stdout, unless a machine-readable report takes stdout.
    if job.mode == "add-noqa" or output.format == "text" or output.file is not None:
        for outcome in outcomes:
            if outcome.output is not None:
                sys.stdout.flush()
                sys.stdout.buffer.write(outcome.output)  # in the input's own encoding, BOM and newlines
                sys.stdout.buffer.flush()
    if job.mode == "add-noqa":
        print(_noqa_summary(outcomes), file=sys.stderr)
        return 2 if errors else 0
    reports = [r for o in outcomes for r in o.reports]
    shown = [r for r in reports if not r.fix_applied] if job.mode == "fix" else reports
    text = ""
    if output.format == "json":
        text = FORMATS["json"](reports, Run())  # every finding, with fix_applied
    elif output.format == "text":
        for outcome in outcomes:
            if outcome.diff:
                sys.stdout.write(outcome.diff)
        text = FORMATS["text"](shown, Run(show_source=output.show_source))
    else:
        from .docs import rule_infos

        run_info = Run(rules=rule_infos(), version=__version__, show_source=output.show_source)
        text = FORMATS[output.format](shown, run_info)
    stats = statistics(shown) if output.statistics else ""
    # stdout carries the fixed code or the diff when there is one: text findings go aside.
    aside = job.mode == "diff" or any(o.output is not None for o in outcomes)
    if output.format == "text" and aside and output.file is None:
        sys.stderr.write(text + stats)
    elif not _write_output(output.file, text + (stats if output.format == "text" else "")):
        return 2
    if stats and output.format != "text":
        sys.stderr.write(stats)
    if output.format == "text":
        print(_summary(outcomes, job, remaining, applied_ids), file=sys.stderr)
    would_change = any(o.applied for o in outcomes)
    if errors:
        return 2
    if output.exit_zero:
        return 0
    if job.mode == "fix":
        return 1 if remaining else 0
    return 1 if (remaining or would_change) else 0


def _write_output(path: str | None, text: str) -> bool:
    if path is None:
        sys.stdout.write(text)
        return True
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        print(f"{path}: error: cannot write the report: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _noqa_summary(outcomes: list[Outcome]) -> str:
    lines = sum(o.noqa_added for o in outcomes)
    files = sum(1 for o in outcomes if o.noqa_added)
    findings = sum(len(o.findings) for o in outcomes if o.noqa_added)
    errors = sum(1 for o in outcomes if o.error)
    tail = f"; {errors} {'file' if errors == 1 else 'files'} could not be processed" if errors else ""
    return (
        f"Added `# noqa` to {lines} {_plural(lines, 'line')} in {files} {_plural(files, 'file')} "
        f"({findings} {_plural(findings, 'finding')}){tail}."
    )


def rule_command(argv: Sequence[str]) -> int:
    """`flake8-sqla-session rule SQS101 | module-level-session | --all`: the rule's documentation."""
    from .docs import find_rule, terminal
    from .rules import RULES

    parser = argparse.ArgumentParser(
        prog="flake8-sqla-session rule", description="Print a rule's documentation (the README's section)."
    )
    parser.add_argument("names", nargs="*", metavar="RULE", help="a code (SQS101) or a name (module-level-session)")
    parser.add_argument("--all", action="store_true", help="every rule")
    args = parser.parse_args(argv)
    if args.all:
        rules = list(RULES)
    elif not args.names:
        parser.error("name a rule (e.g. SQS101) or give --all")
    else:
        rules = []
        for name in args.names:
            rule = find_rule(name)
            if rule is None:
                known = ", ".join(f"{r.code} ({r.name()})" for r in RULES)
                parser.error(f"no rule {name!r}; the rules are: {known}")
            rules.append(rule)
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = min(100, max(40, _terminal_width() - 1))
    sys.stdout.write("\n".join(terminal(rule, color=color, width=width) for rule in rules))
    return 0


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((89, 24)).columns


def _summary(outcomes: list[Outcome], job: Job, remaining: list[tuple[Outcome, Finding]], applied_ids: set[int]) -> str:
    findings = [f for o in outcomes for f in o.findings]
    unsafe = sum(1 for f in findings if f.fix is not None and not f.fix.safe and not job.unsafe)
    no_fix = sum(1 for f in findings if f.fix is None)
    fixable = sum(1 for f in findings if f.fix is not None and (f.fix.safe or job.unsafe))
    files_with = sum(1 for o in outcomes if o.findings)
    errors = sum(1 for o in outcomes if o.error)
    tail = f"; {errors} {'file' if errors == 1 else 'files'} could not be processed" if errors else ""
    if job.mode == "fix":
        fixed = len(applied_ids)
        fixed_files = sum(1 for o in outcomes if o.applied)
        return (
            f"Fixed {fixed} {_plural(fixed, 'finding')} in {fixed_files} {_plural(fixed_files, 'file')} "
            f"({_needs(unsafe, no_fix)}){tail}."
        )
    if not findings:
        return f"No findings in {len(outcomes)} {_plural(len(outcomes), 'file')}{tail}."
    verb = "would be fixed" if job.mode in ("diff", "check") else "fixable with --fix"
    return (
        f"Found {len(findings)} {_plural(len(findings), 'finding')} in {files_with} {_plural(files_with, 'file')} "
        f"({fixable} {verb}, {_needs(unsafe, no_fix)}){tail}."
    )


def _needs(unsafe: int, no_fix: int) -> str:
    return (
        f"{unsafe} {'needs' if unsafe == 1 else 'need'} --unsafe-fixes, "
        f"{no_fix} {'has' if no_fix == 1 else 'have'} no autofix"
    )


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
