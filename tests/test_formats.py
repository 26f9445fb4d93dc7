"""The output formats, produced by the command line and checked against their published shapes.

SARIF is validated against the official 2.1.0 JSON schema and JUnit against the
junit-10.xsd of Jenkins' xunit plugin, both bundled in tests/data (never
fetched).  GitHub's workflow commands are checked against the escaping of
@actions/core, GitLab's Code Quality report against the fields its
documentation requires.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
import xmlschema
from conftest import ROOT

from flake8_sqla_session import docs, formats
from flake8_sqla_session.finding import Finding
from flake8_sqla_session.rules import RULES

DATA = Path(__file__).resolve().parent / "data"
README = (ROOT / "README.md").read_text(encoding="utf-8")

ENGINE = "from sqlalchemy import create_engine\n\nengine = create_engine(url)\n"
MODULE_SESSION = (
    "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\nsession = SessionLocal()\n"
)
UNCLOSED = "from sqlalchemy.orm import Session\n\n\ndef f():\n    session = Session(engine)\n    session.commit()\n"
HANDLER = (
    "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        pass\n"
    "\n\ndef run(session):\n    f(session)\n    session.commit()\n"  # goes on with the failed session
)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "engine.py").write_text(ENGINE)
    (tmp_path / "pkg" / "session.py").write_text(MODULE_SESSION)
    (tmp_path / "pkg" / "unclosed.py").write_text(UNCLOSED)
    (tmp_path / "pkg" / "handler.py").write_text(HANDLER)
    return tmp_path


# ---- SARIF -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def sarif_errors(validator, log) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def test_sarif_is_valid_and_describes_every_rule(repo, sarif_validator):
    result = cli("--format", "sarif", "pkg", cwd=repo)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    assert sarif_errors(sarif_validator, log) == []
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "flake8-sqla-session"
    assert [d["id"] for d in driver["rules"]] == [rule.code for rule in RULES]
    for descriptor, rule in zip(driver["rules"], RULES):
        assert descriptor["name"] == rule.name()
        assert descriptor["shortDescription"]["text"] == docs.summary(rule)
        assert descriptor["fullDescription"]["text"].startswith(docs.sections(rule)["What it does"])
        assert descriptor["help"]["text"].startswith(f"### {rule.code} {rule.name()}")
        anchor = descriptor["helpUri"].split("#", 1)[1]
        assert anchor == f"{rule.code.lower()}-{rule.name()}"
        assert f"\n### {rule.code} {rule.name()}\n" in README  # the heading GitHub makes that anchor from
    codes = sorted(r["ruleId"] for r in run["results"])
    assert codes == ["SQS101", "SQS104", "SQS201", "SQS301"]
    for r in run["results"]:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("pkg/")
        assert location["region"]["startLine"] >= 1


def test_sarif_of_a_clean_run_is_valid(tmp_path, sarif_validator):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = cli("--format", "sarif", "ok.py", cwd=tmp_path)
    assert result.returncode == 0
    log = json.loads(result.stdout)
    assert sarif_errors(sarif_validator, log) == []
    assert log["runs"][0]["results"] == []


def apply_sarif_fix(text: str, fix: dict) -> str:
    """Apply a SARIF fix's replacements, as a SARIF consumer would (regions in code points, ends excluded)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1

    (change,) = fix["artifactChanges"]
    edits = []
    for replacement in change["replacements"]:
        region = replacement["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        edits.append((start, end, replacement["insertedContent"]["text"]))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


@pytest.mark.parametrize(
    "source, flags",
    [
        pytest.param(ENGINE, (), id="SQS201 adds a keyword"),
        pytest.param(MODULE_SESSION, ("--unsafe-fixes",), id="SQS101 adds an import and a comment"),
        pytest.param(HANDLER, (), id="SQS301 inserts a statement"),
        pytest.param(
            "import sqlalchemy as sa\nfrom sqlalchemy import create_engine\n\n"
            "engine = create_engine(\n    'mysql://ü@h/db',\n    pool_recycle=-1,\n)\n",
            (), id="SQS202 on a non-ASCII multi-line call",
        ),
        pytest.param(
            "from sqlalchemy import create_engine\nengine = create_engine(url)", (), id="the last line, no newline",
        ),
        pytest.param("import sqlalchemy as sa; e = sa.create_engine(url)\n", (), id="the first line"),
        pytest.param(
            ENGINE.replace("\n", "\r\n") + "\r\n" * 3 + "x = 1\r\n", (), id="CRLF, unchanged lines after",
        ),
    ],
)
def test_sarif_fixes_are_the_fixers_own(tmp_path, sarif_validator, source, flags):
    path = tmp_path / "app.py"
    path.write_bytes(source.encode("utf-8"))
    log = json.loads(cli("--format", "sarif", *flags, "app.py", cwd=tmp_path).stdout)
    assert sarif_errors(sarif_validator, log) == []
    (result,) = log["runs"][0]["results"]
    (fix,) = result["fixes"]
    assert unquote(fix["artifactChanges"][0]["artifactLocation"]["uri"]) == "app.py"
    fixed_by_sarif = apply_sarif_fix(source, fix)
    assert cli("--fix", *flags, "app.py", cwd=tmp_path).returncode == 0
    assert fixed_by_sarif == path.read_bytes().decode("utf-8")


def test_sarif_offers_no_fix_it_may_not_apply(tmp_path):
    (tmp_path / "session.py").write_text(MODULE_SESSION)
    (tmp_path / "unclosed.py").write_text(UNCLOSED)
    log = json.loads(cli("--format", "sarif", ".", cwd=tmp_path).stdout)
    assert sorted(r["ruleId"] for r in log["runs"][0]["results"]) == ["SQS101", "SQS104"]
    assert all("fixes" not in r for r in log["runs"][0]["results"])  # unsafe without --unsafe-fixes; no autofix


def test_sarif_columns_are_characters(tmp_path):
    (tmp_path / "app.py").write_text(
        "from sqlalchemy import create_engine\nnäme = 'é'; engine = create_engine(url)\n", encoding="utf-8"
    )
    log = json.loads(cli("--format", "sarif", "app.py", cwd=tmp_path).stdout)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"
    line = "näme = 'é'; engine = create_engine(url)"
    assert (region["startColumn"], region["endColumn"]) == (line.index("create_engine") + 1, len(line) + 1)


# ---- GitHub Actions ----------------------------------------------------------------------

def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """Split `::name k=v,k=v::message` as the runner does, then unescape (@actions/core's escaping reversed)."""
    match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert match, line

    def unescape(value: str) -> str:
        return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace(
            "%25", "%"
        )

    properties = dict(item.split("=", 1) for item in match.group(2).split(","))
    return match.group(1), {k: unescape(v) for k, v in properties.items()}, unescape(match.group(3))


def test_github_one_annotation_per_finding(repo):
    result = cli("--format", "github", "pkg", cwd=repo)
    assert result.returncode == 1
    commands = [parse_workflow_command(line) for line in result.stdout.splitlines()]
    assert len(commands) == 4
    by_code = {props["title"].split()[0]: (name, props, message) for name, props, message in commands}
    name, props, message = by_code["SQS101"]
    assert name == "error"
    assert props["title"] == "SQS101 (module-level-session)"
    assert props["file"] == "pkg/session.py"
    assert (props["line"], props["col"], props["endColumn"]) == ("4", "11", "25")
    first, hint = message.split("\n")
    assert first.startswith("SQS101 Session 'session' created at module scope")
    assert hint.endswith("`flake8-sqla-session --fix --unsafe-fixes` applies it (unsafe: review the result).")
    assert by_code["SQS201"][2].endswith("\nAdd `pool_pre_ping=True`: `flake8-sqla-session --fix` applies it.")
    assert by_code["SQS104"][2].endswith("\nNo autofix: the right change depends on the application.")
    _, handler, _ = by_code["SQS301"]
    assert (handler["line"], handler["endLine"]) == ("4", "5")  # a multi-line span: lines only, as GitHub wants
    assert "col" not in handler


def test_github_escapes_properties_and_message():
    finding = Finding("SQS201", "SQS201 100% wrong\r\nreally, truly: wrong", 3, 0, None, 3, 4)
    report = formats.Report("dir,with:odd%name/a.py", finding, "x = f()", 1, 3, 5, fixable=False)
    (line,) = formats.github([report], formats.Run()).splitlines()
    assert line.startswith("::error file=dir%2Cwith%3Aodd%25name/a.py,line=3,col=1,endColumn=5,title=SQS201::")
    assert line.endswith(
        "::SQS201 100%25 wrong%0D%0Areally, truly: wrong%0ANo autofix: the right change depends on the application."
    )
    _, props, message = parse_workflow_command(line)
    assert props["file"] == "dir,with:odd%name/a.py"
    assert message.startswith("SQS201 100% wrong\r\nreally, truly: wrong\n")


# ---- GitLab Code Quality -----------------------------------------------------------------

SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def gitlab_issues(cwd: Path, *paths: str) -> list[dict]:
    result = cli("--format", "gitlab", *paths, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_gitlab_code_quality_shape(repo):
    issues = gitlab_issues(repo, "pkg")
    assert len(issues) == 4
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert re.fullmatch(r"SQS\d{3} [a-z-]+", issue["check_name"])
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["severity"] in SEVERITIES
        assert issue["location"]["path"].startswith("pkg/") and not issue["location"]["path"].startswith("./")
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({issue["fingerprint"] for issue in issues}) == 4


def test_gitlab_fingerprints_survive_edits_above(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(ENGINE + "other = create_engine(url)\nengine = create_engine(url)\n")
    before = gitlab_issues(tmp_path, "app.py")
    assert len({i["fingerprint"] for i in before}) == 3  # the same line twice: told apart by occurrence
    app.write_text("import os\n\n# a comment\n" + app.read_text())
    after = gitlab_issues(tmp_path, "app.py")
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]
    assert [i["location"]["lines"]["begin"] for i in after] == [i["location"]["lines"]["begin"] + 3 for i in before]
    app.write_text(app.read_text().replace("other = create_engine(url)", "other = create_engine(url2)"))
    changed = gitlab_issues(tmp_path, "app.py")
    assert [i["fingerprint"] == j["fingerprint"] for i, j in zip(before, changed)] == [True, False, True]


# ---- JUnit -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))


def test_junit_is_valid(repo, junit_schema):
    result = cli("--format", "junit", "pkg", cwd=repo)
    assert result.returncode == 1
    junit_schema.validate(result.stdout)
    document = junit_schema.to_dict(result.stdout)
    assert (document["@tests"], document["@failures"]) == ("4", "4")
    cases = [case for suite in document["testsuite"] for case in suite["testcase"]]
    assert sorted(case["failure"][0]["@type"] for case in cases) == ["SQS101", "SQS104", "SQS201", "SQS301"]
    assert {suite["@name"] for suite in document["testsuite"]} == {
        "pkg/engine.py", "pkg/session.py", "pkg/unclosed.py", "pkg/handler.py",
    }


def test_junit_of_a_clean_run_passes_one_case(tmp_path, junit_schema):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = cli("--format", "junit", "ok.py", cwd=tmp_path)
    assert result.returncode == 0
    junit_schema.validate(result.stdout)
    document = junit_schema.to_dict(result.stdout)
    assert (document["@tests"], document["@failures"]) == ("1", "0")


def test_junit_keeps_xml_well_formed(junit_schema):
    finding = Finding("SQS201", "SQS201 <bad> & \"odd\" \x01 text", 1, 0)
    report = formats.Report("a&b<c>.py", finding, "x", 1, 1, 2, fixable=False)
    junit_schema.validate(formats.junit([report], formats.Run()))


# ---- text: --show-source and --statistics, as flake8 prints them -------------------------

def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SQS", "--extend-ignore", "SQS401", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def test_show_source_matches_flake8(tmp_path):
    (tmp_path / "app.py").write_text(
        "from sqlalchemy import create_engine\n\nif True:\n\tengine = create_engine(url)\n" + HANDLER
    )
    ours = cli("--show-source", "app.py", cwd=tmp_path)
    theirs = flake8("--show-source", "app.py", cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 1
    ours_lines = ours.stdout.splitlines()
    assert ours_lines[1:3] == ["\tengine = create_engine(url)", "\t         ^"]
    # The same source and caret lines as flake8's; our finding lines add a fix label.
    assert [line for i, line in enumerate(ours_lines) if i % 3] == [
        line for i, line in enumerate(theirs.stdout.splitlines()) if i % 3
    ]


def test_statistics_match_flake8(repo):
    ours = cli("--statistics", "pkg", cwd=repo)
    theirs = flake8("--statistics", "pkg", cwd=repo)
    ours_stats = [line for line in ours.stdout.splitlines() if re.match(r"\d+\s+SQS", line)]
    theirs_stats = [line for line in theirs.stdout.splitlines() if re.match(r"\d+\s+SQS", line)]
    assert len(ours_stats) == 4
    assert ours_stats == theirs_stats


def test_statistics_beside_a_machine_format_go_to_stderr(repo):
    result = cli("--format", "json", "--statistics", "pkg", cwd=repo)
    assert len(json.loads(result.stdout)) == 4
    assert "1     SQS201 create_engine()" in result.stderr


# ---- the formats are pure functions of their input -------------------------------------

def test_every_format_handles_no_findings():
    run = formats.Run(rules=docs.rule_infos(), version="0")
    assert formats.text([], run) == ""
    assert json.loads(formats.json_([], run)) == []
    assert formats.github([], run) == ""
    assert json.loads(formats.gitlab([], run)) == []
    assert json.loads(formats.sarif([], run))["runs"][0]["results"] == []
    assert "<testsuites" in formats.junit([], run)
