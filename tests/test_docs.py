"""The README's rule docs are generated from the rules and must be current."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from flake8_sqla_session import docs
from flake8_sqla_session.rules import RULES

README = ROOT / "README.md"


def test_readme_is_current():
    current = README.read_text(encoding="utf-8")
    assert docs.update(current) == current, "README.md is stale: run python -m flake8_sqla_session.docs"


def test_check_exits_0_when_current():
    process = subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session.docs", "--check", str(README)], capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr


def test_check_exits_1_when_stale(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{docs.START}\nold table\n{docs.END}\n\nmore\n", encoding="utf-8")
    command = [sys.executable, "-m", "flake8_sqla_session.docs"]
    process = subprocess.run([*command, "--check", str(stale)], capture_output=True, text=True)
    assert process.returncode == 1
    assert "out of date" in process.stderr
    assert "old table" in stale.read_text(encoding="utf-8"), "--check must not write"
    assert subprocess.run([*command, str(stale)], capture_output=True).returncode == 0
    text = stale.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text.startswith("# x\n") and text.endswith(f"{docs.END}\n\nmore\n")
    assert subprocess.run([*command, "--check", str(stale)], capture_output=True).returncode == 0


def test_missing_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session.docs", "--check", str(readme)], capture_output=True, text=True
    )
    assert process.returncode == 2
    assert "markers" in process.stderr


@pytest.mark.parametrize("rule", [pytest.param(rule, id=rule.code) for rule in RULES])
def test_rule_documented(rule):
    text = README.read_text(encoding="utf-8")
    section = text[text.index(f"### {rule.code} {rule.name()}"):]
    following = section.find("\n### ", 1)
    section = section if following < 0 else section[:following]
    headings = [line for line in section.splitlines() if line.startswith("#### ")]
    assert headings == [
        "#### What it does",
        "#### Why is this bad?",
        "#### Example",
        "#### Use instead",
        "#### Fix safety",
        "#### Options",
        "#### References",
    ]
    assert rule.invalid[0].code.rstrip("\n") in section
    assert f"[{rule.code}](#{docs.anchor(rule)})" in text
    expected = "none" if not rule.fix_title else "safe" if rule.fix_safe else "unsafe"
    row = next(line for line in text.splitlines() if line.startswith(f"| [{rule.code}]"))
    assert row.endswith(f"| {expected} |")


def test_readme_set_up_commands():
    text = README.read_text(encoding="utf-8")
    assert "python -m pip install -e . && flake8 --select SQS examples/" in text
    assert "python -m pip install -e '.[test]' && python -m pytest" in text
    assert "OperationalError: (2006, 'MySQL server has gone away')" in text
    assert "Can't reconnect until invalid transaction is rolled back" in text


def test_readme_ci_command_matches_ci_script():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install -e '.[test]' && python -m pytest" in script
