"""The command line's output formats: one pure function per format, `(reports, run) -> str`.

The command line turns each finding into a `Report` (the finding plus what an
output needs from the file: the source line, character columns, the fix as
text replacements) and passes the rules' metadata in `Run`; a format reads
nothing else, so adding one touches no other.

    text     path:line:col: message [label], flake8's layout (--show-source adds the line and a caret)
    json     one array, one object per finding
    github   GitHub Actions workflow commands: one `::error` annotation per finding
    sarif    SARIF 2.1.0, for code scanning (rules, results, fixes)
    gitlab   GitLab Code Quality (Code Climate subset) with line-independent fingerprints
    junit    JUnit XML: one failed test case per finding
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from .finding import Finding

TOOL = "flake8-sqla-session"


@dataclass(frozen=True)
class Replacement:
    """Put `text` in place of (line, col) to (end_line, end_col): 1-based, character columns, end excluded."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Report:
    """One finding, with what the outputs need from its file."""

    path: str
    finding: Finding
    source_line: str  # the finding's physical line, without its line end
    col: int  # 1-based, in characters (the finding's own col is ast's, in UTF-8 bytes)
    end_line: int
    end_col: int  # 1-based, in characters, end excluded
    fixable: bool  # a fix that this run may apply (safe, or unsafe with --unsafe-fixes)
    fix_applied: bool = False
    replacements: tuple[Replacement, ...] = ()  # the finding's own fix as text edits, when computed
    occurrence: int = 0  # earlier findings in the file with the same code on the same (stripped) line text


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str  # kebab name, e.g. module-level-session
    summary: str
    description: str  # "What it does" and "Why is this bad?"
    help_markdown: str  # the rule's README section
    help_uri: str
    fix_title: str | None
    fix_safe: bool


@dataclass(frozen=True)
class Run:
    """What the formats need besides the findings."""

    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    version: str = ""
    show_source: bool = False


Format = Callable[[Sequence[Report], Run], str]


def label(report: Report) -> str:
    """The text format's fix label, as ruff prints it."""
    fix = report.finding.fix
    if fix is None:
        return "[no autofix]"
    if report.fixable:
        return "[*]"
    return "[fix available with --unsafe-fixes]"


def hint(report: Report, run: Run) -> str:
    """What to do about a finding, in one sentence, for the outputs that have room for it."""
    rule = run.rules.get(report.finding.code)
    fix = report.finding.fix
    title = (rule.fix_title if rule else None) or "Fix"
    if fix is None:
        return "No autofix: the right change depends on the application."
    if report.fixable:
        return f"{title.rstrip('.')}: `{TOOL} --fix` applies it."
    return f"{title.rstrip('.')}: `{TOOL} --fix --unsafe-fixes` applies it (unsafe: review the result)."


def text(reports: Sequence[Report], run: Run) -> str:
    out = []
    for report in reports:
        finding = report.finding
        out.append(f"{report.path}:{finding.line}:{finding.col + 1}: {finding.message} {label(report)}\n")
        if run.show_source:
            # flake8's layout: the line, then a caret under the column, indented with the line's own tabs.
            indent = "".join(c if c.isspace() else " " for c in report.source_line[: report.col - 1])
            out.append(f"{report.source_line}\n{indent}^\n")
    return "".join(out)


def statistics(reports: Sequence[Report]) -> str:
    """flake8's --statistics: per code, the count and the first message."""
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    for report in reports:
        code = report.finding.code
        counts[code] = counts.get(code, 0) + 1
        first.setdefault(code, report.finding.message[len(code):].strip())
    return "".join(f"{counts[code]:<5} {code} {first[code]}\n" for code in sorted(counts))


def json_(reports: Sequence[Report], run: Run) -> str:
    records = [
        {
            "path": r.path, "line": r.finding.line, "col": r.finding.col + 1, "code": r.finding.code,
            "message": r.finding.message, "fixable": r.fixable, "fix_applied": r.fix_applied,
        }
        for r in reports
    ]
    return json.dumps(records, indent=2) + "\n"


# ---- GitHub Actions ----------------------------------------------------------------------

def _gh_data(value: str) -> str:
    # @actions/core's escapeData: the message after `::`.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(value: str) -> str:
    # @actions/core's escapeProperty: a `key=value` property, where `:` and `,` separate.
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def github(reports: Sequence[Report], run: Run) -> str:
    """One workflow command per finding: `::error file=..,line=..,col=..,endLine=..,endColumn=..,title=..::message`."""
    out = []
    for report in reports:
        finding = report.finding
        rule = run.rules.get(finding.code)
        title = f"{finding.code} ({rule.name})" if rule else finding.code
        properties = {"file": _relative(report.path), "line": str(finding.line)}
        if report.end_line != finding.line:
            properties["endLine"] = str(report.end_line)  # GitHub takes columns only within one line
        else:
            properties["col"] = str(report.col)
            properties["endColumn"] = str(max(report.end_col, report.col))
        properties["title"] = title
        joined = ",".join(f"{key}={_gh_property(value)}" for key, value in properties.items())
        message = f"{finding.message}\n{hint(report, run)}"
        out.append(f"::error {joined}::{_gh_data(message)}\n")
    return "".join(out)


# ---- SARIF 2.1.0 -------------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _artifact(path: str) -> dict[str, str]:
    """A relative path against %SRCROOT% (the checkout), an absolute one as a file: URI."""
    from urllib.parse import quote

    path = _relative(path)
    if path.startswith("/"):
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _relative(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _region(line: int, col: int, end_line: int, end_col: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}


def sarif(reports: Sequence[Report], run: Run) -> str:
    """A SARIF 2.1.0 log with one run: every rule as a reportingDescriptor, every finding as a result."""
    rules = list(run.rules.values())
    index = {rule.code: i for i, rule in enumerate(rules)}
    descriptors = []
    for rule in rules:
        descriptor: dict[str, object] = {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.description},
            "help": {"text": rule.help_markdown, "markdown": rule.help_markdown},
            "helpUri": rule.help_uri,
            "defaultConfiguration": {"level": "error"},
            "properties": {"fix": "none" if not rule.fix_title else "safe" if rule.fix_safe else "unsafe"},
        }
        descriptors.append(descriptor)
    results = []
    for report in reports:
        finding = report.finding
        artifact = _artifact(report.path)
        location = {"physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                **_region(finding.line, report.col, report.end_line, report.end_col),
                "snippet": {"text": report.source_line},
            },
        }}
        result: dict[str, object] = {
            "ruleId": finding.code,
            "level": "error",
            "message": {"text": f"{finding.message}. {hint(report, run)}"},
            "locations": [location],
            "partialFingerprints": {"sqlaSessionFingerprint/v1": fingerprint(report)},
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        if report.replacements:
            info = run.rules.get(finding.code)
            title = (info.fix_title if info else None) or "Fix"
            result["fixes"] = [{
                "description": {"text": title + ("" if report.fixable else " (unsafe: needs --unsafe-fixes)")},
                "artifactChanges": [{
                    "artifactLocation": artifact,
                    "replacements": [
                        {
                            "deletedRegion": _region(r.line, r.col, r.end_line, r.end_col),
                            "insertedContent": {"text": r.text},
                        }
                        for r in report.replacements
                    ],
                }],
            }]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL,
                "version": run.version,
                "informationUri": rules[0].help_uri.split("#")[0] if rules else "",
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
            "results": results,
        }],
    }
    if not rules:
        del log["runs"][0]["tool"]["driver"]["informationUri"]  # type: ignore[index]
    return json.dumps(log, indent=2) + "\n"


# ---- GitLab Code Quality -----------------------------------------------------------------

def fingerprint(report: Report) -> str:
    """Stable while unrelated lines move: path, code, the stripped line text and its occurrence, not the line number."""
    import hashlib

    key = "\0".join([_relative(report.path), report.finding.code, report.source_line.strip(), str(report.occurrence)])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def gitlab(reports: Sequence[Report], run: Run) -> str:
    """GitLab's Code Quality report: description, check_name, fingerprint, severity, location.path/lines.begin."""
    issues = []
    for report in reports:
        finding = report.finding
        rule = run.rules.get(finding.code)
        issues.append({
            "type": "issue",
            "description": f"{finding.message}. {hint(report, run)}",
            "check_name": f"{finding.code} {rule.name}" if rule else finding.code,
            "categories": ["Bug Risk"],
            "fingerprint": fingerprint(report),
            "severity": "major",
            "location": {"path": _relative(report.path), "lines": {"begin": finding.line, "end": report.end_line}},
        })
    return json.dumps(issues, indent=2) + "\n"


# ---- JUnit XML ---------------------------------------------------------------------------

def junit(reports: Sequence[Report], run: Run) -> str:
    """One <testsuite> per file with findings, one failed <testcase> per finding; one passing case if none.

    The attributes are those of the JUnit schema that Jenkins' xunit plugin
    publishes (junit-10.xsd), which GitLab and GitHub test reporters read too.
    """
    by_path: dict[str, list[Report]] = {}
    for report in reports:
        by_path.setdefault(report.path, []).append(report)
    total = max(1, len(reports))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="{TOOL}" tests="{total}" failures="{len(reports)}" errors="0">',
    ]
    if not reports:
        lines += [
            f'  <testsuite name="{TOOL}" tests="1" failures="0" errors="0" skipped="0">',
            f'    <testcase name="no findings" classname="{TOOL}"/>',
            "  </testsuite>",
        ]
    for path, found in by_path.items():
        lines.append(
            f'  <testsuite name={_attr(path)} tests="{len(found)}" failures="{len(found)}" errors="0" skipped="0">'
        )
        for report in found:
            finding = report.finding
            where = f"{path}:{finding.line}:{finding.col + 1}"
            name = f"{finding.code} at line {finding.line}, column {report.col}"
            body = _xml_text(f"{where}: {finding.message}\n{hint(report, run)}")
            lines += [
                f"    <testcase name={_attr(name)} classname={_attr(path)}>",
                f"      <failure message={_attr(finding.message)} type={_attr(finding.code)}>"
                f"{body}</failure>",
                "    </testcase>",
            ]
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _xml_safe(value: str) -> str:
    """Drop what XML 1.0 cannot hold at all (control characters but tab, newline, return; lone surrogates)."""
    return "".join(
        c for c in value
        if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or ("\U00010000" <= c <= "\U0010ffff")
    )


def _attr(value: str) -> str:
    from xml.sax.saxutils import quoteattr  # only here: it imports urllib.request, slow to load

    return quoteattr(_xml_safe(value))


def _xml_text(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(_xml_safe(value))


FORMATS: dict[str, Format] = {
    "text": text, "json": json_, "github": github, "sarif": sarif, "gitlab": gitlab, "junit": junit,
}
