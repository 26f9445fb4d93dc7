"""Multi-module projects: what the plugin finds with no configuration, from each project's root.

Each folder under `tests/projects/` is a small application (never run, only read).
Its expected findings are written in its sources, on the physical line where
flake8 reports them:

    session = SessionLocal()  # expect: SQS101
    except Exception:  # expect: SQS301
    engine = create_engine(url)  # expect: SQS201  # expect-opt-in: SQS401

`expect:` codes are reported by a default flake8 run; `expect-opt-in:` codes only
when selected (`--select SQS` names them).  Anything not marked must not be
reported.  Every project is checked three ways, each against the same markers:

- flake8 as a subprocess, cwd = the project root, no configuration but the
  project's own (the projects are copied out of this repository first, so its
  `.flake8` is not found);
- flake8 on stdin with `--stdin-display-name <relative path>`, as editors run it;
- the detection core, `check()`, with the file's absolute path.

`test_bad_inputs_*` import from modules that cannot be summarised (see BAD_INPUTS).
"""
from __future__ import annotations

import ast
import contextlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import pytest

from flake8_sqla_session.checker import check
from flake8_sqla_session.settings import Settings

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
BAD_INPUTS = HERE / "bad_inputs"
TIMEOUT = 120  # seconds; a resolution that loops or blocks fails here instead of hanging the suite

MARKER = re.compile(r"#\s*expect(?P<opt_in>-opt-in)?:\s*(?P<codes>SQS\d{3}(?:\s*,\s*SQS\d{3})*)")
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>SQS\d{3}) ", re.MULTILINE)


class Expect(NamedTuple):
    path: str  # relative to the project root, with "/"
    line: int
    code: str


class Markers(NamedTuple):
    default: frozenset[Expect]
    opt_in: frozenset[Expect]

    @property
    def selected(self) -> frozenset[Expect]:
        """What `--select SQS` (and the core, which applies no selection) reports."""
        return self.default | self.opt_in


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file() and "__pycache__" not in p.parts)


def file_markers(root: Path, path: Path) -> Markers:
    default: set[Expect] = set()
    opt_in: set[Expect] = set()
    relative = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        for match in MARKER.finditer(line):
            target = opt_in if match.group("opt_in") else default
            for code in match.group("codes").split(","):
                target.add(Expect(relative, number, code.strip()))
    return Markers(frozenset(default), frozenset(opt_in))


def project_markers(root: Path, files: Iterable[Path] | None = None) -> Markers:
    default: set[Expect] = set()
    opt_in: set[Expect] = set()
    for path in python_files(root) if files is None else files:
        found = file_markers(root, path)
        default |= found.default
        opt_in |= found.opt_in
    return Markers(frozenset(default), frozenset(opt_in))


def project_names() -> list[str]:
    return sorted(p.name for p in PROJECTS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def marked_files() -> list[tuple[str, str]]:
    """(project, relative path) of every file with at least one marker."""
    result = []
    for name in project_names():
        root = PROJECTS / name
        for path in python_files(root):
            if file_markers(root, path).selected:
                result.append((name, path.relative_to(root).as_posix()))
    return result


# ---- running it ------------------------------------------------------------------------------


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the projects' own manage.py must be what tells
    return env


class Flake8Run(NamedTuple):
    found: frozenset[Expect]
    out: str
    err: str
    exit_code: int


def run_flake8(cwd: Path, *args: str, stdin: bytes | None = None) -> Flake8Run:
    process = subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=str(cwd),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
        env=environment(),
    )
    out = process.stdout.decode(errors="replace")
    found = frozenset(
        Expect(m.group("path").removeprefix("./"), int(m.group("line")), m.group("code"))
        for m in FLAKE8_LINE.finditer(out)
    )
    return Flake8Run(found, out, process.stderr.decode(errors="replace"), process.returncode)


def run_core(path: Path, source: str) -> list[tuple[int, str]]:
    """(line, code) of each finding of the detection core in one file.

    The one place this module calls the core: adapt it here when `check()` takes
    new parameters.
    """
    findings = check(ast.parse(source), Settings(), filename=str(path), source=source)
    return [(finding.line, finding.code) for finding in findings]


@contextlib.contextmanager
def deadline(seconds: int = TIMEOUT) -> Iterator[None]:
    """In-process, the core gets the same bound as the flake8 subprocesses (where SIGALRM exists)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"check() did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def core_findings(root: Path, files: Iterable[Path]) -> frozenset[Expect]:
    found = set()
    with deadline():
        for path in files:
            source = path.read_text(encoding="utf-8")
            relative = path.relative_to(root).as_posix()
            found |= {Expect(relative, line, code) for line, code in run_core(path, source)}
    return frozenset(found)


# ---- reporting a mismatch --------------------------------------------------------------------


def source_line(root: Path, item: Expect) -> str:
    try:
        return (root / item.path).read_text(encoding="utf-8").splitlines()[item.line - 1].strip()
    except (OSError, UnicodeDecodeError, IndexError):
        return "?"


def assert_same(expected: frozenset[Expect], found: frozenset[Expect], root: Path, how: str, extra: str = "") -> None:
    missed = sorted(expected - found)
    unexpected = sorted(found - expected)
    if not missed and not unexpected:
        return
    lines = [f"{how}: {len(missed)} expected finding(s) missing, {len(unexpected)} unexpected"]
    lines += [f"  - missing     {e.path}:{e.line} {e.code}    {source_line(root, e)}" for e in missed]
    lines += [f"  + unexpected  {e.path}:{e.line} {e.code}    {source_line(root, e)}" for e in unexpected]
    if extra:
        lines.append(extra)
    pytest.fail("\n".join(lines), pytrace=False)


def assert_clean_run(run: Flake8Run) -> None:
    assert "Traceback" not in run.err, run.err
    assert "SQS999" not in run.out, run.out
    assert run.exit_code in (0, 1), (run.exit_code, run.err)


# ---- the projects ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The projects, copied out of this repository (whose .flake8 flake8 would otherwise find)."""
    target = tmp_path_factory.mktemp("projects") / "projects"
    shutil.copytree(PROJECTS, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_the_projects_are_there():
    names = project_names()
    assert len(names) >= 10, names
    for name in names:
        files = python_files(PROJECTS / name)
        assert 3 <= len(files) <= 8, (name, len(files))
        for path in files:
            ast.parse(path.read_text(encoding="utf-8"), str(path))  # every project file is valid Python


def test_every_project_expects_something():
    for name in project_names():
        assert project_markers(PROJECTS / name).default, f"{name} has no expected finding"


@pytest.mark.parametrize("name", project_names())
def test_flake8_from_project_root(name, copies):
    root = copies / name
    run = run_flake8(root, ".")
    assert_clean_run(run)
    assert_same(project_markers(root).default, run.found, root, f"flake8 . in {name}", run.err)


@pytest.mark.parametrize("name", project_names())
def test_flake8_select_sqs_from_project_root(name, copies):
    root = copies / name
    run = run_flake8(root, "--select", "SQS", ".")
    assert_clean_run(run)
    assert_same(project_markers(root).selected, run.found, root, f"flake8 --select SQS . in {name}", run.err)


@pytest.mark.parametrize(("name", "relative"), marked_files(), ids=[f"{n}/{r}" for n, r in marked_files()])
def test_flake8_stdin_with_display_name(name, relative, copies):
    root = copies / name
    path = root / relative
    run = run_flake8(root, "--select", "SQS", "-", "--stdin-display-name", relative, stdin=path.read_bytes())
    assert_clean_run(run)
    expected = file_markers(root, path).selected
    assert_same(expected, run.found, root, f"flake8 - --stdin-display-name {relative} in {name}", run.err)


def test_flake8_stdin_reads_the_buffer_and_the_imports_from_disk(tmp_path):
    """An editor sends the unsaved buffer: the checked file comes from stdin, only its imports from disk."""
    root = tmp_path / "flat_scripts"
    shutil.copytree(PROJECTS / "flat_scripts", root, ignore=shutil.ignore_patterns("__pycache__"))
    buffer = (root / "cleanup.py").read_bytes()
    expected = file_markers(root, root / "cleanup.py").selected
    (root / "cleanup.py").write_text('"""Not saved yet."""\n', encoding="utf-8")
    run = run_flake8(root, "--select", "SQS", "-", "--stdin-display-name", "cleanup.py", stdin=buffer)
    assert_clean_run(run)
    (root / "cleanup.py").write_bytes(buffer)  # for the report of a mismatch
    assert_same(expected, run.found, root, "flake8 - --stdin-display-name cleanup.py (unsaved buffer)", run.err)


@pytest.mark.parametrize("name", project_names())
def test_core_with_absolute_paths(name, copies, monkeypatch):
    root = copies / name
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.chdir(root)  # as flake8 would be run: from the project root
    files = python_files(root)
    assert_same(project_markers(root, files).selected, core_findings(root, files), root, f"check() in {name}")


# ---- bad inputs (issue 10, point 7) ----------------------------------------------------------

HUGE_BYTES = 5 * 1024 * 1024


def build_bad_inputs(target: Path) -> Path:
    """tests/bad_inputs plus what git cannot hold: a symlink loop, a directory named like a
    module, a module that cannot be read, and a 5 MB module.

    As root, a file with mode 000 is still readable; there the unreadable module is a
    FIFO with no writer instead (opening it for reading would block: it must not be read).
    """
    root = target / "bad_inputs"
    shutil.copytree(BAD_INPUTS, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "loop_mod.py").symlink_to("loop_other.py")
    (root / "loop_other.py").symlink_to("loop_mod.py")
    directory = root / "dir_mod.py"
    directory.mkdir()
    (directory / "__init__.py").write_text(
        "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n", encoding="utf-8"
    )
    unreadable = root / "unreadable_mod.py"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.mkfifo(unreadable)
    else:
        unreadable.write_text("from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n")
        unreadable.chmod(0)
    filler = "# padding: a generated module far larger than any hand-written one\n"
    body = "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n"
    count = HUGE_BYTES // len(filler) + 1
    (root / "huge_mod.py").write_text(body + filler * count + "VALUES = [\n" + "    1,\n" * 1000 + "]\n")
    assert (root / "huge_mod.py").stat().st_size > HUGE_BYTES
    return root


@pytest.fixture
def bad_project(tmp_path: Path):
    root = build_bad_inputs(tmp_path)
    yield root
    unreadable = root / "unreadable_mod.py"
    if unreadable.exists() and not stat.S_ISFIFO(unreadable.stat().st_mode):
        unreadable.chmod(0o644)  # so that pytest can remove tmp_path


def test_bad_inputs_are_bad(bad_project):
    """Each bad module is bad in the way it claims; if Python could import one, the test below proves little."""
    for name in ("broken.py", "binary_mod.py", "latin1_mod.py"):
        data = (bad_project / name).read_bytes()
        with pytest.raises((SyntaxError, ValueError)):
            compile(data, name, "exec")
    assert b"\0" in (bad_project / "binary_mod.py").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        (bad_project / "latin1_mod.py").read_bytes().decode("utf-8")
    with pytest.raises(OSError):
        (bad_project / "loop_mod.py").read_bytes()
    assert (bad_project / "dir_mod.py").is_dir()
    assert (bad_project / "huge_mod.py").stat().st_size > HUGE_BYTES
    mode = (bad_project / "unreadable_mod.py").stat().st_mode
    assert stat.S_ISFIFO(mode) or stat.S_IMODE(mode) == 0
    assert {"cycle_a.py", "cycle_b.py", "checked.py"} <= {p.name for p in bad_project.iterdir()}


def test_bad_inputs_flake8(bad_project):
    run = run_flake8(bad_project, "--select", "SQS", "checked.py")
    assert_clean_run(run)
    expected = file_markers(bad_project, bad_project / "checked.py").selected
    assert_same(expected, run.found, bad_project, "flake8 checked.py among bad modules", run.err)


def test_bad_inputs_flake8_stdin(bad_project):
    data = (bad_project / "checked.py").read_bytes()
    run = run_flake8(bad_project, "--select", "SQS", "-", "--stdin-display-name", "checked.py", stdin=data)
    assert_clean_run(run)
    expected = file_markers(bad_project, bad_project / "checked.py").selected
    assert_same(expected, run.found, bad_project, "flake8 - (checked.py) among bad modules", run.err)


def test_bad_inputs_core(bad_project, monkeypatch):
    monkeypatch.chdir(bad_project)
    checked = bad_project / "checked.py"
    expected = file_markers(bad_project, checked).selected
    assert_same(expected, core_findings(bad_project, [checked]), bad_project, "check() on checked.py among bad modules")
