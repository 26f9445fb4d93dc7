"""--exit-zero, --output-file, options from the config file, and `flake8-sqla-session rule`."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from flake8_sqla_session import docs
from flake8_sqla_session.rules import RULES

ENGINE = "from sqlalchemy import create_engine\n\nengine = create_engine(url)\n"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(ENGINE)
    return tmp_path


def test_exit_zero_with_findings(app):
    result = cli("--exit-zero", "app.py", cwd=app)
    assert result.returncode == 0
    assert result.stdout.startswith("app.py:3:10: SQS201 ")


def test_exit_zero_still_reports_unreadable_files(app):
    result = cli("--exit-zero", "app.py", "missing.py", cwd=app)
    assert result.returncode == 2
    assert "missing.py: error: no such file or folder" in result.stderr


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "gitlab", "junit"])
def test_output_file(app, output_format):
    result = cli("--format", output_format, "--output-file", "report.out", "app.py", cwd=app)
    assert result.returncode == 1
    assert result.stdout == ""
    written = (app / "report.out").read_text(encoding="utf-8")
    assert "SQS201" in written
    assert cli("--format", output_format, "app.py", cwd=app).stdout == written


def test_output_file_that_cannot_be_written(app):
    result = cli("--output-file", "no/such/folder/report.txt", "app.py", cwd=app)
    assert result.returncode == 2
    assert "cannot write the report" in result.stderr


def test_diff_keeps_stdout_for_the_diff_and_findings_go_to_the_output_file(app):
    result = cli("--diff", "--output-file", "report.txt", "app.py", cwd=app)
    assert result.stdout.startswith("--- a/app.py")
    assert (app / "report.txt").read_text().startswith("app.py:3:10: SQS201")


def test_show_source_and_statistics_from_the_config(app):
    (app / "setup.cfg").write_text("[flake8]\nshow-source = true\nstatistics = true\nformat = text\n")
    lines = cli("app.py", cwd=app).stdout.splitlines()
    assert lines[1:3] == ["engine = create_engine(url)", "         ^"]
    assert re.fullmatch(r"1     SQS201 create_engine\(\) without pool_pre_ping=True .*", lines[3])


def test_format_from_the_config(app):
    (app / "pyproject.toml").write_text('[tool.flake8-sqla-session]\nformat = "gitlab"\n')
    assert json.loads(cli("app.py", cwd=app).stdout)[0]["check_name"] == "SQS201 engine-without-pre-ping"
    (app / "pyproject.toml").write_text('[tool.flake8-sqla-session]\nformat = "xml"\n')
    result = cli("app.py", cwd=app)
    assert result.returncode == 2
    assert "format: expected one of text, json, github, sarif, gitlab, junit, got 'xml'" in result.stderr


def test_add_noqa_is_a_mode_of_its_own(app):
    result = cli("--add-noqa", "--fix", "app.py", cwd=app)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


# ---- `flake8-sqla-session rule` ----------------------------------------------------------

def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_prints_the_readme_section(tmp_path, rule):
    result = cli("rule", rule.code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"{rule.code} {rule.name()}\n")
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"):
        assert f"\n{heading}\n{'-' * len(heading)}\n" in out
    # The same text as the README's section, from the same source.
    for paragraph in docs.sections(rule).values():
        assert words(paragraph) in words(out)
        assert paragraph in README
    for line in rule.invalid[0].code.splitlines():
        assert (f"    {line}" if line else "") in out.splitlines()
    assert out.rstrip().endswith(f"More: {docs.HOMEPAGE}#{docs.anchor(rule)}")
    assert cli("rule", rule.name(), cwd=tmp_path).stdout == out
    assert cli("rule", rule.code.lower(), cwd=tmp_path).stdout == out


def test_rule_all(tmp_path):
    result = cli("rule", "--all", cwd=tmp_path)
    assert result.returncode == 0
    headings = re.findall(r"^(SQS\d{3}) ([a-z-]+)\n=+$", result.stdout, re.MULTILINE)
    assert headings == [(rule.code, rule.name()) for rule in RULES]


def test_rule_unknown(tmp_path):
    result = cli("rule", "SQS999", cwd=tmp_path)
    assert result.returncode == 2
    assert "no rule 'SQS999'; the rules are: SQS101 (module-level-session)" in result.stderr
    assert cli("rule", cwd=tmp_path).returncode == 2


def test_a_folder_named_rule_is_checked_as_a_path(tmp_path):
    (tmp_path / "rule").mkdir()
    (tmp_path / "rule" / "app.py").write_text(ENGINE)
    result = cli("./rule", cwd=tmp_path)
    assert result.returncode == 1
    assert "SQS201" in result.stdout


def test_fixed_stdin_and_a_machine_format_do_not_share_stdout(tmp_path):
    fixed = "from sqlalchemy import create_engine\n\nengine = create_engine(url, pool_pre_ping=True)\n"
    command = [sys.executable, "-m", "flake8_sqla_session", "--fix", "--format", "sarif", "-"]
    alone = subprocess.run(command, cwd=tmp_path, input=ENGINE, capture_output=True, text=True, timeout=120)
    assert json.loads(alone.stdout)["runs"][0]["results"] == []  # the one finding was fixed
    to_file = subprocess.run(
        [*command, "--output-file", "report.sarif"], cwd=tmp_path, input=ENGINE, capture_output=True, text=True,
        timeout=120,
    )
    assert to_file.stdout == fixed
    assert json.loads((tmp_path / "report.sarif").read_text())["version"] == "2.1.0"
