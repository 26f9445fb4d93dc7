"""`flake8-sqla-session`: report, --fix, --diff and --check over files and folders.

Exit codes: 0 nothing left to report; 1 findings remain (or --check/--diff
would change something); 2 a usage error, or a file that could not be read,
parsed or written (the other files are still processed).
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from . import __version__
from .config import Config, ConfigError, load_config
from .finding import Finding
from .rules import RULES
from .selection import Selection, build_selection
from .settings import Settings, SettingsError

DEFAULT_EXCLUDE = (
    ".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg",
    ".venv", "venv", ".mypy_cache", ".pytest_cache", "build", "node_modules", "site-packages",
)
PROGRESS_MIN_FILES = 300


@dataclass(frozen=True)
class Job:
    mode: str  # "report" | "fix" | "diff" | "check"
    unsafe: bool
    settings: Settings
    selection: Selection


@dataclass
class Outcome:
    path: str
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)
    diff: str = ""
    error: str | None = None
    output: bytes | None = None  # for `--fix -`: the fixed bytes, or the input when it could not be fixed


# ---- one file ----------------------------------------------------------------------------

def process(path: str, job: Job, stdin_data: bytes | None = None) -> Outcome:
    """Check (and fix) one file; every failure becomes `Outcome.error`, never an exception.

    `stdin_data`: the bytes read from stdin, decoded as a file's are; with --fix
    the outcome's `output` is the fixed bytes, or these bytes unchanged when they
    cannot be processed (an editor replaces its buffer with what it gets).
    """
    from .fix.files import FileError, read_source, source_from_bytes, write_source

    outcome = Outcome(path)
    if stdin_data is not None and job.mode == "fix":
        outcome.output = stdin_data
    try:
        if stdin_data is None:
            source = read_source(path)
        else:
            source = source_from_bytes(path, stdin_data)
        text = source.text
        selection = job.selection.for_file(path)
        outcome.findings, outcome.applied, new_text = _fix_text(text, path, job, selection)
        if new_text != text:
            if job.mode == "diff":
                outcome.diff = "".join(
                    difflib.unified_diff(
                        text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                        fromfile=f"a/{path}", tofile=f"b/{path}",
                    )
                )
            elif job.mode == "fix":
                if stdin_data is None:
                    write_source(source, new_text)
                else:
                    outcome.output = new_text.encode(source.encoding)
    except FileError as exc:
        outcome.error = str(exc)
        outcome.applied = []
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
    if outcome.error and stdin_data is not None and job.mode == "fix":
        outcome.output = stdin_data
    return outcome


def _fix_text(text: str, path: str, job: Job, selection: Selection) -> tuple[list[Finding], list[Finding], str]:
    from .fix.api import FixError, detect, fix_findings, parse

    tree = parse(text, path)
    findings = detect(text, job.settings, filename=path, select=selection, tree=tree)
    if job.mode == "report":
        return findings, [], text
    try:
        result = fix_findings(text, findings, unsafe=job.unsafe, filename=path, tree=tree)
    except FixError as exc:
        raise _Unfixable(findings, str(exc)) from None
    return result.findings, result.applied, result.source


class _Unfixable(Exception):
    """The file was checked, but its fixes could not be applied."""

    def __init__(self, findings: list[Finding], message: str) -> None:
        super().__init__(message)
        self.findings = findings


def _run_one(args: tuple[str, Job]) -> Outcome:
    return process(*args)


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
    if jobs <= 1 or len(files) < 2 * jobs:
        return [_report_progress(i, len(files), progress, process(f, job)) for i, f in enumerate(files, 1)]
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
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .); - reads stdin"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fix", action="store_true", help="rewrite files in place")
    mode.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
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
    parser.add_argument("--format", choices=("text", "json"), default=None, help="output format (default: text)")
    parser.add_argument("--stdin-display-name", default="stdin", help="the name of the file read from stdin")
    parser.add_argument("--config", help="a flake8 config file to read instead of searching for one")
    parser.add_argument("--sqla-session-names", help="regular expression for names that hold a session (SQS301)")
    parser.add_argument(
        "--sqla-session-factories", help="comma-separated dotted names of callables that return sessions"
    )
    parser.add_argument("--sqla-max-pool-recycle", help="the server's idle timeout in seconds (SQS202; default 28800)")
    parser.add_argument("--sqla-pool-recycle", help="the pool_recycle value the SQS202 fix sets (default 3600)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _option(args: argparse.Namespace, config: Config, name: str) -> str | None:
    value = getattr(args, name.replace("-", "_"), None)
    if value is not None:
        return str(value)
    return config.values.get(name)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(".", args.config)
    except ConfigError as exc:
        parser.error(str(exc))
    try:
        settings = Settings.build(
            session_names=_option(args, config, "sqla-session-names"),
            session_factories=_option(args, config, "sqla-session-factories"),
            max_pool_recycle=_option(args, config, "sqla-max-pool-recycle"),
            pool_recycle=_option(args, config, "sqla-pool-recycle"),
        )
    except SettingsError as exc:
        parser.error(str(exc))
    selection = build_selection(
        _option(args, config, "select"),
        _option(args, config, "extend-select"),
        _option(args, config, "ignore"),
        _option(args, config, "extend-ignore"),
        _option(args, config, "per-file-ignores"),
        root=config.root,
    )
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
    if output_format not in ("text", "json"):
        parser.error(f"format: expected text or json, got {output_format!r}")
    mode = "fix" if args.fix else "diff" if args.diff else "check" if args.check else "report"
    unsafe = args.unsafe_fixes if args.unsafe_fixes is not None else _truthy(config.values.get("unsafe-fixes"))
    job = Job(mode, unsafe, settings, selection)

    exclude = _patterns(_option(args, config, "exclude") or ",".join(DEFAULT_EXCLUDE))
    exclude += _patterns(_option(args, config, "extend-exclude") or "")

    if args.paths == ["-"]:
        outcomes = [process(args.stdin_display_name, job, sys.stdin.buffer.read())]
    else:
        missing = [p for p in args.paths if p != "-" and not os.path.lexists(p)]
        files = _unique(discover([p for p in args.paths if p not in missing], exclude), fixing=mode == "fix")
        progress = output_format == "text" and sys.stderr.isatty() and len(files) > PROGRESS_MIN_FILES
        outcomes = [Outcome(p, error="no such file or folder") for p in missing]
        outcomes += run(files, job, jobs, progress)
    return report(outcomes, job, output_format)


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


def report(outcomes: list[Outcome], job: Job, output_format: str) -> int:
    out = sys.stdout
    applied_ids = {id(f) for o in outcomes for f in o.applied}
    remaining = [(o, f) for o in outcomes for f in o.findings if id(f) not in applied_ids]
    errors = [o for o in outcomes if o.error]
    for outcome in errors:
        print(f"{outcome.path}: error: {outcome.error}", file=sys.stderr)
    if output_format == "json":
        records = [
            {
                "path": o.path, "line": f.line, "col": f.col + 1, "code": f.code, "message": f.message,
                "fixable": f.fix is not None and (f.fix.safe or job.unsafe),
                "fix_applied": id(f) in applied_ids and job.mode == "fix",
            }
            for o in outcomes for f in o.findings
        ]
        json.dump(records, out, indent=2)
        out.write("\n")
    else:
        for outcome in outcomes:
            if outcome.output is not None:
                out.flush()
                out.buffer.write(outcome.output)  # in the input's own encoding, BOM and newlines
                out.buffer.flush()
            if outcome.diff:
                out.write(outcome.diff)
        shown = remaining if job.mode == "fix" else [(o, f) for o in outcomes for f in o.findings]
        # stdout carries the fixed code or the diff when there is one: findings go aside.
        stream = sys.stderr if job.mode == "diff" or any(o.output is not None for o in outcomes) else out
        for outcome, finding in shown:
            where = f"{outcome.path}:{finding.line}:{finding.col + 1}"
            print(f"{where}: {finding.message}{_label(finding, job)}", file=stream)
        print(_summary(outcomes, job, remaining, applied_ids), file=sys.stderr)
    would_change = any(o.applied for o in outcomes)
    if errors:
        return 2
    if job.mode == "fix":
        return 1 if remaining else 0
    return 1 if (remaining or would_change) else 0


def _label(finding: Finding, job: Job) -> str:
    if finding.fix is None:
        return " [no autofix]"
    if finding.fix.safe or job.unsafe:
        return " [*]"
    return " [fix available with --unsafe-fixes]"


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
