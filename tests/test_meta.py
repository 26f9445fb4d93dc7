"""The rules as data: codes, messages, docs and examples are consistent."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flake8_sqla_session.checker import check
from flake8_sqla_session.plugin import Plugin
from flake8_sqla_session.rules import OPT_IN_CODES, RULES
from flake8_sqla_session.settings import Settings

RULE_PARAMS = [pytest.param(rule, id=rule.code) for rule in RULES]


def test_codes_unique():
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))


def test_names_unique():
    names = [rule.name() for rule in RULES]
    assert len(names) == len(set(names))


def test_rules_in_code_order():
    codes = [rule.code for rule in RULES]
    assert codes == sorted(codes)


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_code_in_family_range(rule):
    match = re.fullmatch(r"SQS([1-4])\d\d", rule.code)
    assert match, f"{rule.code} is not SQS + family digit 1-4 + two digits"
    assert (match.group(1) == "4") == rule.opt_in, "SQS4xx is exactly the opt-in family"


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_module_is_the_family_noun(rule):
    family = rule.code[3]
    module = type(rule).__module__.rsplit(".", 1)[1]
    assert module == {"1": "scope", "2": "pool", "3": "rollback", "4": "django"}[family]


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_class_name_has_no_rule_suffix(rule):
    assert not type(rule).__name__.endswith("Rule")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name())


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_message_starts_with_code(rule):
    """A real finding per rule, through the core and through the flake8 plugin."""
    case = rule.invalid[0]
    settings = Settings.build(**case.options)
    findings = [f for f in check(ast.parse(case.code), settings, case.filename) if f.code == rule.code]
    assert findings
    for finding in findings:
        assert finding.message.startswith(f"{rule.code} ")
        assert "\n" not in finding.message
        assert "{" not in finding.message, "an unformatted placeholder"
    plugin = Plugin(ast.parse(case.code), case.filename)
    plugin.settings = settings  # instance attribute: the class default stays untouched
    messages = [message for _, _, message, _ in plugin.run()]
    assert any(message.startswith(f"{rule.code} ") for message in messages)


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_has_valid_and_invalid_examples(rule):
    assert len(rule.valid) >= 1
    assert len(rule.invalid) >= 1


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_docstring_sections(rule):
    doc = type(rule).__doc__ or ""
    assert "## What it does" in doc
    assert "## Why is this bad?" in doc
    assert doc.index("## What it does") < doc.index("## Why is this bad?")


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_fixable_iff_fixed_examples(rule):
    fixed = [case for case in rule.invalid if case.fixed is not None]
    if rule.fix_title:
        assert fixed, f"{rule.code} has a fix_title but no `fixed` example"
    else:
        assert not fixed, f"{rule.code} has `fixed` examples but no fix_title"


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_references_are_urls(rule):
    for reference in rule.references:
        assert reference.startswith("https://"), reference


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_options_are_plugin_options(rule):
    known = {"--sqla-session-names", "--sqla-session-factories", "--sqla-max-pool-recycle", "--sqla-pool-recycle"}
    assert set(rule.options) <= known


@pytest.mark.parametrize("rule", RULE_PARAMS)
def test_example_options_are_settings(rule):
    for case in (*rule.valid, *rule.invalid):
        Settings.build(**case.options)


def test_opt_in_codes():
    assert set(OPT_IN_CODES) == {rule.code for rule in RULES if rule.opt_in}
    assert set(OPT_IN_CODES) == {rule.code for rule in RULES if rule.code.startswith("SQS4")}


def test_opt_in_codes_are_default_ignored():
    class Recorder:
        def __init__(self):
            self.ignored = []

        def add_option(self, *args, **kwargs):
            pass

        def extend_default_ignore(self, codes):
            self.ignored.extend(codes)

    recorder = Recorder()
    Plugin.add_options(recorder)
    assert sorted(recorder.ignored) == sorted(OPT_IN_CODES)


# ---- the core's layers look down only ------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "flake8_sqla_session"
# From the bottom: what a name is, what the rules ask about a module, the rules, the runner.
LAYERS = {"decoding": 0, "settings": 0, "finding": 0, "knowledge": 1, "context": 2, "rules": 3, "checker": 4}


def _imports(path: Path) -> list[str]:
    """Modules of the package that `path` imports, as dotted names below the package."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(parts[:-1]) if parts[-1] != "__init__" else list(parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            found.append(".".join([*base, *filter(None, (node.module or "").split("."))]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flake8_sqla_session."):
            found.append((node.module or "").partition(".")[2])
    return found


def test_core_layers_only_look_down():
    checked = 0
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if top not in LAYERS:
            continue  # a front-end (plugin, command line, fixer, server) may use any layer
        for imported in _imports(path):
            other = imported.partition(".")[0]
            if other in LAYERS:
                checked += 1
                assert LAYERS[other] <= LAYERS[top], f"{path.relative_to(PACKAGE)} (layer {top}) imports {imported}"
    assert checked > 20  # the walk saw the core's imports
