"""Shared helpers: every rule example as a pytest param, and a real flake8 run."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Union

import pytest

from flake8_sqla_session.checker import check
from flake8_sqla_session.knowledge import project as project_module
from flake8_sqla_session.knowledge.project import forget_projects
from flake8_sqla_session.rules import RULES, Invalid, Rule, Valid
from flake8_sqla_session.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


# ---- multi-module projects written by a test -----------------------------------------------

DB = """\
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("mysql://db/app", pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine)
"""


def write(root: Path, files: dict[str, str]) -> None:
    """Write a project's files (dedented) under `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def project_codes(root: Path, name: str, settings: Settings | None = None) -> list[tuple[int, str]]:
    """(line, code) of every finding in one file of a project, from the detection core."""
    path = root / name
    source = path.read_text()
    findings = check(ast.parse(source), settings or Settings(), str(path), source)
    return [(f.line, f.code) for f in findings]


@contextmanager
def inside_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Work from a project's folder, with the cache of answers off, the process's projects
    forgotten before and after."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("FLAKE8_SQLA_SESSION_CACHE_DIR", "off")
    forget_projects()
    try:
        yield root
    finally:
        forget_projects()


def sqs301_at(root: Path, name: str) -> list[tuple[int, int]]:
    """(line, column) of every SQS301 in one file of a project, from the detection core."""
    path = root / name
    source = path.read_text(encoding="utf-8")
    return [(f.line, f.col) for f in check(ast.parse(source), Settings(), str(path), source) if f.code == "SQS301"]


def sqs301_steps(root: Path, module: str, source: str) -> tuple[int, int]:
    """The work counted (`Context.steps`) and the number of SQS301 findings when every rule checks
    `source` as the module `module` (`app.views`) of a fresh project made at `root`."""
    from flake8_sqla_session.context import Context
    from flake8_sqla_session.knowledge.project import project_for

    package, _, name = module.rpartition(".")
    (root / package).mkdir(parents=True)
    (root / "pyproject.toml").write_text(f"[project]\nname = '{package}'\n", encoding="utf-8")
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    path = root / package / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    forget_projects()
    try:
        context = Context(ast.parse(source), Settings(), str(path), project_for(str(path), Settings()), module, source)
        findings = [f for rule in RULES for f in rule.check(context) if f.code == "SQS301"]
    finally:
        forget_projects()
    return context.steps, len(findings)


def sqs301_at_sizes(root: Path, module: str, generate: Callable[[int], str]) -> list[tuple[int, int]]:
    """`sqs301_steps` of the modules `generate` makes at sizes 10 and 80 (a linear cost grows
    about 8 times)."""
    return [sqs301_steps(root / f"n{n}", module, generate(n)) for n in (10, 80)]


@pytest.fixture
def fresh_project_caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The test's own per-process project caches, and a working directory outside every project."""
    for cache in ("_PROJECTS", "_SOURCES", "_LATEST", "_STAMPS", "_ROOTS"):
        monkeypatch.setattr(project_module, cache, {})
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache of project answers on, as users have it, in a folder of each test's own (and of
    the flake8 processes it starts): no test sees what another one saved."""
    folder = tmp_path_factory.mktemp("sqla-cache")
    monkeypatch.setenv("FLAKE8_SQLA_SESSION_CACHE_DIR", str(folder))
    return folder


class Example(NamedTuple):
    rule: Rule
    kind: str  # "valid" or "invalid"
    index: int
    case: Union[Valid, Invalid]

    @property
    def id(self) -> str:
        return f"{self.rule.code}-{self.kind}-{self.index}"

    @property
    def settings(self) -> Settings:
        return Settings.build(**self.case.options)


def examples() -> Iterator[Example]:
    for rule in RULES:
        for index, valid in enumerate(rule.valid):
            yield Example(rule, "valid", index, valid)
        for index, invalid in enumerate(rule.invalid):
            yield Example(rule, "invalid", index, invalid)


ALL = list(examples())
VALID = [e for e in ALL if e.kind == "valid"]
INVALID = [e for e in ALL if e.kind == "invalid"]
FIXED = [e for e in INVALID if e.case.fixed is not None]


def params(items: list[Example]) -> list:
    return [pytest.param(e, id=e.id) for e in items]


def positions(source: str, code: str, options: dict | None = None, filename: str = "example.py") -> list:
    """(line, col) of every finding of `code`, from the detection core."""
    findings = check(ast.parse(source), Settings.build(**(options or {})), filename)
    return [(f.line, f.col) for f in findings if f.code == code]


class Run(NamedTuple):
    out: str
    err: str
    exit_code: int

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def codes(self) -> list[str]:
        return [line.split(": ", 1)[1].split(" ", 1)[0] for line in self.lines if ": " in line]


def flake8(*args: str, cwd: Path | str = ROOT, stdin: str | bytes | None = None, timeout: float = 120) -> Run:
    """Run the real flake8 (as editors and CI do) in a subprocess."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    process = subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=str(cwd),
        input=data,
        stdin=None if data is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
    )
    return Run(process.stdout.decode(errors="replace"), process.stderr.decode(errors="replace"), process.returncode)
