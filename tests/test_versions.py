"""The supported Pythons and SQLAlchemy series are said once each, alike, everywhere:
pyproject.toml (requires-python, classifiers), tox.ini, .ci/run and the README."""
from __future__ import annotations

import configparser
import re
import sys

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def _ci_list(name: str) -> list[str]:
    match = re.search(rf'^{name}="([^"]*)"$', (ROOT / ".ci/run").read_text(), re.MULTILINE)
    assert match, f".ci/run has no {name}=..."
    return match.group(1).split()


PYTHONS = _ci_list("SUPPORTED_PYTHONS")
SERIES = _ci_list("SQLALCHEMY_SERIES")


def _as_words(versions: list[str]) -> str:
    return ", ".join(versions[:-1]) + " and " + versions[-1]


def test_pyproject_claims_the_pythons_ci_runs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={PYTHONS[0]}"
    prefix = "Programming Language :: Python :: 3."
    claimed = [c.rpartition(" :: ")[2] for c in project["classifiers"] if c.startswith(prefix)]
    assert claimed == PYTHONS


def test_tox_lists_the_pythons_and_series_and_hides_no_missing_interpreter() -> None:
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    envs = [env.strip() for env in tox["tox"]["envlist"].split(",")]
    assert [env for env in envs if env.startswith("py")] == ["py" + v.replace(".", "") for v in PYTHONS]
    assert [env for env in envs if env.startswith("e2e-")] == ["e2e-sqlalchemy" + s.replace(".", "") for s in SERIES]
    assert tox["tox"].get("skip_missing_interpreters", "false") == "false"
    for series in SERIES:
        assert f"sqlalchemy~={series}.0" in tox[f"testenv:e2e-sqlalchemy{series.replace('.', '')}"]["deps"]


def test_readme_says_the_same() -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"**Python {_as_words(PYTHONS)}** (`requires-python = \">={PYTHONS[0]}\"`)" in readme
    assert f"**Code for SQLAlchemy {_as_words(SERIES)}.**" in readme


def test_e2e_expectations_cover_every_series() -> None:
    support = (ROOT / "tests/e2e/support.py").read_text()
    keyed = re.findall(r"^    \((\d+), (\d+)\): ", support, re.MULTILINE)
    assert [f"{major}.{minor}" for major, minor in keyed] == SERIES
