"""Real code: every .py file of installed sqlalchemy, django, alembic and flask_sqlalchemy.

* the detection core raises on none of them (files that do not parse are skipped and counted);
* the fixer (`flake8-sqla-session --fix --unsafe-fixes`, on a temporary copy,
  ~2% of the files seeded with findings so that fixes really happen) raises on
  none: exit 0 or 1, and 2 only for files that cannot be parsed or read; every
  output parses; a second run changes nothing; and the top-level statements
  that contain no reported fix site dump (ast.dump) exactly as before.

Run with `pytest -m corpus` or `pytest tests/test_corpus.py`; the one-line
summaries are written to the terminal even without `-s` (and kept as
record_property entries for --junitxml).
"""
from __future__ import annotations

import ast
import collections
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from flake8_sqla_session.checker import check
from flake8_sqla_session.settings import Settings

pytestmark = pytest.mark.corpus

PACKAGES = ("sqlalchemy", "django", "alembic", "flask_sqlalchemy")
SEED_EVERY = 50
CLI_TIMEOUT = 600  # seconds; a hang is a failure, not a stuck test run

# Appended to every SEED_EVERY-th file (by sorted path): SQS201, SQS101, SQS301 and
# their async twins, each fixable (SQS101 with --unsafe-fixes).
SEEDS = (
    '''

# ---- seeded by tests/test_corpus.py ----
import sqlalchemy as _sqs_sa

_sqs_engine = _sqs_sa.create_engine("mysql://x/y")
_sqs_Session = _sqs_sa.orm.sessionmaker(bind=_sqs_engine)
_sqs_session = _sqs_Session()


def _sqs_seeded_work(session, rows):
    try:
        for row in rows:
            session.add(row)
        session.commit()
    except Exception:
        print("could not save", rows)
''',
    '''

# ---- seeded by tests/test_corpus.py ----
from sqlalchemy.ext.asyncio import async_sessionmaker as _sqs_asm, create_async_engine as _sqs_cae

_sqs_async_engine = _sqs_cae(
    "postgresql+asyncpg://db/app",
    echo=False,
)
_sqs_async_factory = _sqs_asm(_sqs_async_engine)


async def _sqs_seeded_async_work(db_session, row):
    try:
        db_session.add(row)
        await db_session.commit()
    except _sqs_sa_exc.SQLAlchemyError:
        return None
    finally:
        pass


import sqlalchemy.exc as _sqs_sa_exc
''',
)

ALLOWED_ERRORS = re.compile(r": error: (cannot parse|cannot read|cannot decode|is a directory|too deeply nested)")


def _say(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """Write to the terminal whatever pytest's capture setting (and keep it in the report)."""
    with capsys.disabled():
        print("\n" + line)


def package_root(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.skip(f"{name} is not installed")
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[Path]]:
    return {name: sorted(p for p in package_root(name).rglob("*.py") if p.is_file()) for name in PACKAGES}


def _parse(data: bytes, name: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old code
            return ast.parse(data, name)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def test_core_raises_on_no_file(
    corpus: dict[str, list[Path]], record_property: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    started = time.perf_counter()
    files = skipped = 0
    codes: collections.Counter[str] = collections.Counter()
    failures = []
    for name, paths in corpus.items():
        for path in paths:
            tree = _parse(path.read_bytes(), str(path))
            if tree is None:
                skipped += 1
                continue
            files += 1
            try:
                for finding in check(tree, settings, str(path)):
                    codes[finding.code] += 1
            except Exception as exc:  # collected, so that one run shows every failure
                failures.append(f"{path}: {type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - started
    summary = (
        f"corpus core: {files} files checked, {skipped} did not parse; "
        f"findings {dict(sorted(codes.items())) or 'none'}; {elapsed:.1f} s"
    )
    record_property("corpus_core", summary)  # type: ignore[operator]
    _say(capsys, summary)
    assert not failures, "\n".join(failures[:50])


def _copy(corpus: dict[str, list[Path]], dest: Path) -> tuple[dict[Path, bytes], set[Path]]:
    """Copy the corpus under dest/<package>/; seed every SEED_EVERY-th file; return originals and seeded."""
    originals: dict[Path, bytes] = {}
    seeded: set[Path] = set()
    index = 0
    for name, paths in corpus.items():
        root = package_root(name)
        for src in paths:
            target = dest / name / src.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            if index % SEED_EVERY == 0 and _parse(data, str(src)) is not None:
                seed = SEEDS[(index // SEED_EVERY) % len(SEEDS)]
                data = data.rstrip(b"\n") + b"\n" + seed.encode()
                seeded.add(target)
            target.write_bytes(data)
            originals[target] = data
            index += 1
    return originals, seeded


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def _fix(folder: Path) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    # --exclude replaces the default list (which skips folders named build, site-packages, ...)
    proc = _run_cli(
        "--fix", "--unsafe-fixes", "--format", "json", "--jobs", "2", "--exclude", "__pycache__", str(folder)
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-5000:]
    assert proc.returncode in (0, 1, 2), proc.stderr[-5000:]
    if proc.returncode == 2:
        bad = [line for line in proc.stderr.splitlines() if ": error: " in line and not ALLOWED_ERRORS.search(line)]
        assert not bad, "\n".join(bad[:50])
    try:
        records = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"--format json printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc, records


def _sqlalchemy_import(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import):
        return any(a.name.partition(".")[0] in ("sqlalchemy", "sqlmodel") for a in stmt.names)
    if isinstance(stmt, ast.ImportFrom):
        return stmt.level == 0 and (stmt.module or "").partition(".")[0] in ("sqlalchemy", "sqlmodel")
    return False


def _imported(statements: list[ast.stmt]) -> set[tuple[str, str, str | None]]:
    names = set()
    for stmt in statements:
        if isinstance(stmt, ast.Import):
            names.update(("", a.name, a.asname) for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            names.update((stmt.module or "", a.name, a.asname) for a in stmt.names)
    return names


def compare_outside_fix_sites(before: ast.Module, after: ast.Module, fix_lines: set[int]) -> list[str]:
    """Differences between `before` and `after` outside the top-level statements holding a fix site.

    Top-level imports from sqlalchemy may be added or extended by fixes, so they are
    compared as sets of imported names (nothing may disappear); every other top-level
    statement is compared by position and must dump identically unless it contains
    one of `fix_lines` (lines of the original).
    """
    problems = []
    old_imports = [s for s in before.body if _sqlalchemy_import(s)]
    new_imports = [s for s in after.body if _sqlalchemy_import(s)]
    lost = _imported(old_imports) - _imported(new_imports)
    if lost:
        problems.append(f"imports lost: {sorted(lost, key=str)}")
    old = [s for s in before.body if not _sqlalchemy_import(s)]
    new = [s for s in after.body if not _sqlalchemy_import(s)]
    if len(old) != len(new):
        return [*problems, f"{len(old)} top-level statements before, {len(new)} after"]
    for stmt, fixed in zip(old, new):
        end = stmt.end_lineno or stmt.lineno
        if any(stmt.lineno <= line <= end for line in fix_lines):
            continue
        if ast.dump(stmt) != ast.dump(fixed):
            problems.append(f"line {stmt.lineno}: a statement without a reported fix site changed")
    return problems


def test_fixer_raises_on_no_file(
    corpus: dict[str, list[Path]], tmp_path: Path, record_property: object, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    folder = tmp_path / "corpus"
    originals, seeded = _copy(corpus, folder)

    proc, records = _fix(folder)
    fix_lines: dict[Path, set[int]] = collections.defaultdict(set)
    codes: collections.Counter[str] = collections.Counter()
    applied = 0
    for record in records:
        path = Path(str(record["path"]))
        codes[str(record["code"])] += 1
        if record["fix_applied"]:
            applied += 1
            fix_lines[path.resolve()].add(int(record["line"]))  # type: ignore[call-overload]
    failures: list[str] = []
    unparsable = 0
    after: dict[Path, bytes] = {}
    for path, data in originals.items():
        new = path.read_bytes()
        after[path] = new
        before_tree = _parse(data, str(path))
        if before_tree is None:
            unparsable += 1
            if new != data:
                failures.append(f"{path}: does not parse, yet was changed")
            continue
        if new == data:
            continue
        lines = fix_lines.get(path.resolve())
        if not lines:
            failures.append(f"{path}: changed without a reported fix")
            continue
        after_tree = _parse(new, str(path))
        if after_tree is None:
            failures.append(f"{path}: the fixed file does not parse")
            continue
        failures += [f"{path}: {p}" for p in compare_outside_fix_sites(before_tree, after_tree, lines)]
    missed = [p for p in seeded if after[p] == originals[p]]
    if missed:
        failures.append(f"{len(missed)} seeded files were not fixed, e.g. {sorted(missed)[:3]}")

    # A second run finds nothing more to fix and changes nothing.
    proc2, records2 = _fix(folder)
    again = [r for r in records2 if r["fix_applied"]]
    if again:
        failures.append(f"second run applied {len(again)} more fixes, e.g. {again[:3]}")
    changed = [p for p in originals if p.read_bytes() != after[p]]
    if changed:
        failures.append(f"second run changed {len(changed)} files, e.g. {changed[:3]}")

    elapsed = time.perf_counter() - started
    summary = (
        f"corpus fixer: {len(originals)} files ({len(seeded)} seeded, {unparsable} did not parse), "
        f"findings {dict(sorted(codes.items())) or 'none'}, {applied} fixes applied in "
        f"{sum(1 for p in originals if after[p] != originals[p])} files, "
        f"exit {proc.returncode} then {proc2.returncode}; "
        f"{elapsed:.1f} s"
    )
    record_property("corpus_fixer", summary)  # type: ignore[operator]
    _say(capsys, summary)
    assert not failures, "\n".join(failures[:50])
    shutil.rmtree(folder, ignore_errors=True)


def test_compare_outside_fix_sites_catches_changes() -> None:
    """The comparison itself: it sees a change outside the fix sites, and allows one inside."""
    before = ast.parse("import os\nx = 1\ndef f():\n    return 2\n")
    changed = ast.parse("import os\nx = 2\ndef f():\n    return 3\n")
    expected = ["line 2: a statement without a reported fix site changed"]
    assert compare_outside_fix_sites(before, changed, {4}) == expected
    assert compare_outside_fix_sites(before, changed, {2, 4}) == []
    added = ast.parse("from sqlalchemy.orm import scoped_session\nimport os\nx = 1\ndef f():\n    return 2\n")
    assert compare_outside_fix_sites(before, added, set()) == []
    lost = ast.parse("x = 1\ndef f():\n    return 2\n")
    assert compare_outside_fix_sites(ast.parse("import sqlalchemy\n" + "x = 1\ndef f():\n    return 2\n"), lost, set())
