"""Every rule's examples, through the core, the plugin class, real flake8 and the fixer."""
from __future__ import annotations

import argparse
import ast
from collections import defaultdict

import pytest
from conftest import FIXED, INVALID, VALID, Example, flake8, params, positions

from flake8_sqla_session.checker import check
from flake8_sqla_session.fix import fix_source
from flake8_sqla_session.plugin import Plugin
from flake8_sqla_session.settings import (
    DEFAULT_MAX_POOL_RECYCLE,
    DEFAULT_POOL_RECYCLE,
    DEFAULT_SESSION_NAMES,
)

# Example options (Settings.build keywords) as flake8 command-line flags.
FLAGS = {
    "session_names": "--sqla-session-names",
    "session_factories": "--sqla-session-factories",
    "max_pool_recycle": "--sqla-max-pool-recycle",
    "pool_recycle": "--sqla-pool-recycle",
}


# Each example is a module of its own, in a folder of its own: no file of this checkout is read as
# part of its project (a helper of an example is called by nothing but the example).
pytestmark = pytest.mark.usefixtures("fresh_project_caches")


def core_positions(example: Example) -> list:
    case = example.case
    return positions(case.code, example.rule.code, dict(case.options), case.filename)


# ---- the detection core ----------------------------------------------------------------


@pytest.mark.parametrize("example", params(VALID))
def test_valid_core(example):
    assert core_positions(example) == []


@pytest.mark.parametrize("example", params(INVALID))
def test_invalid_core(example):
    assert core_positions(example) == [example.case.at]


# ---- the flake8 plugin class, options given as flake8 parses them -------------------------


def plugin_positions(example: Example, monkeypatch) -> list:
    options = dict(example.case.options)
    namespace = argparse.Namespace(
        sqla_session_names=options.get("session_names", DEFAULT_SESSION_NAMES),
        sqla_session_factories=[f for f in options.get("session_factories", "").split(",") if f],
        sqla_max_pool_recycle=int(options.get("max_pool_recycle", DEFAULT_MAX_POOL_RECYCLE)),
        sqla_pool_recycle=int(options.get("pool_recycle", DEFAULT_POOL_RECYCLE)),
    )
    monkeypatch.setattr(Plugin, "settings", Plugin.settings)  # restored after the test
    Plugin.parse_options(namespace)
    code = example.case.code
    plugin = Plugin(ast.parse(code), example.case.filename, code.splitlines(keepends=True))  # as flake8 calls it
    results = list(plugin.run())
    for line, col, message, kind in results:
        assert isinstance(line, int) and isinstance(col, int)
        assert kind is Plugin
        assert not message.startswith("SQS999"), message
    return [(line, col) for line, col, message, _ in results if message.split(" ", 1)[0] == example.rule.code]


@pytest.mark.parametrize("example", params(VALID))
def test_valid_plugin(example, monkeypatch):
    assert plugin_positions(example, monkeypatch) == []


@pytest.mark.parametrize("example", params(INVALID))
def test_invalid_plugin(example, monkeypatch):
    assert plugin_positions(example, monkeypatch) == [example.case.at]


# ---- real flake8, loading the installed entry point --------------------------------------


def test_examples_through_flake8(tmp_path):
    """All examples in one directory per option set: one flake8 process for nearly all of them."""
    groups: dict[tuple, list[tuple[Example, str]]] = defaultdict(list)
    for example in VALID + INVALID:
        options = tuple(sorted(example.case.options.items()))
        path = f"{example.id}/{example.case.filename}"
        groups[options].append((example, path))
    reported: dict[str, list] = defaultdict(list)
    for number, (options, items) in enumerate(sorted(groups.items())):
        directory = tmp_path / f"run{number}"
        for example, path in items:
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(example.case.code, encoding="utf-8")
        flags = [f"{FLAGS[name]}={value}" for name, value in options]
        run = flake8("--isolated", "--select", "SQS", "--extend-select", "SQS401", *flags, ".", cwd=directory)
        assert run.exit_code in (0, 1), run.err
        assert "Traceback" not in run.err, run.err
        for line in run.lines:
            path, row, col, message = line.split(":", 3)
            reported[path.replace("\\", "/").removeprefix("./")].append(
                (message.split()[0], int(row), int(col) - 1)
            )
    failures = []
    for example in VALID + INVALID:
        path = f"{example.id}/{example.case.filename}"
        got = [(row, col) for code, row, col in reported[path] if code == example.rule.code]
        expected = [example.case.at] if example.kind == "invalid" else []
        if got != expected:
            failures.append(f"{example.id}: expected {expected}, flake8 reported {got}")
        assert all(code != "SQS999" for code, _, _ in reported[path]), (example.id, reported[path])
    assert not failures, "\n".join(failures)


# ---- the fixer ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", params(FIXED))
def test_fix(example):
    case = example.case
    settings = example.settings
    result = fix_source(case.code, settings, filename=case.filename, unsafe=True)
    assert result.source == case.fixed
    ast.parse(result.source)
    again = fix_source(result.source, settings, filename=case.filename, unsafe=True)
    assert again.source == result.source, "a second fix changed the output"
    after = check(ast.parse(result.source), settings, case.filename)
    assert [f for f in after if f.code == example.rule.code] == []
