"""The text prefilters (`Rule.may_apply`) only skip what no rule could report."""
from __future__ import annotations

import ast

import pytest
from conftest import FIXED, INVALID, VALID, Example, params

from flake8_sqla_session.checker import check
from flake8_sqla_session.context import TextFacts
from flake8_sqla_session.rules import RULES
from flake8_sqla_session.rules.rollback import _WORK_CALL, _called_in_tries
from flake8_sqla_session.settings import Settings


@pytest.mark.parametrize("example", params(VALID + INVALID + FIXED))
def test_prefilter_never_changes_the_findings(example: Example) -> None:
    case = example.case
    settings = Settings.build(**dict(case.options))
    tree = ast.parse(case.code)
    assert check(tree, settings, case.filename, case.code) == check(tree, settings, case.filename)


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
@pytest.mark.parametrize("example", params(VALID + INVALID))
def test_prefilter_never_changes_the_findings_whatever_the_line_endings(example: Example, ending: str) -> None:
    """The prefilters that look at a statement's lines of text (SQS301's work calls, SQS201's
    engine functions) find the lines by Python's line numbers, also in CRLF and CR files."""
    case = example.case
    settings = Settings.build(**dict(case.options))
    code = case.code.replace("\n", ending)
    tree = ast.parse(code)
    assert check(tree, settings, case.filename, code) == check(tree, settings, case.filename)


def test_a_statement_s_text_starts_at_its_decorators() -> None:
    """`text_may_hold` looks from a decorated `def`'s first decorator, not from its `def` line."""
    source = "from sqlalchemy import create_engine\n\n@cache(create_engine('mysql://x'))\ndef f():\n    pass\n"
    tree = ast.parse(source)
    found = check(tree, Settings(), "example.py", source)
    assert [(f.line, f.code) for f in found] == [(3, "SQS201")]
    assert found == check(tree, Settings(), "example.py")


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("session.commit()", {"session"}),
        ("settings.BASE_DB_SESSION\n    .execute(q)", {"BASE_DB_SESSION"}),
        ("db . session . bulk_save_objects(x)", {"session"}),
        ("x = {}.get('a')", set()),
        ("session.commit", set()),
    ],
)
def test_receiver_names_in_the_text(source: str, names: set[str]) -> None:
    assert TextFacts(source).names_before(_WORK_CALL) == names


def test_modules_without_sqlalchemy_or_session_names_are_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    import flake8_sqla_session.checker as checker

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("walked a module that no rule can report on")

    monkeypatch.setattr(checker, "Context", no_walk)
    source = "import requests\n\ndef f(http):\n    try:\n        http.get(url)\n    except Exception:\n        pass\n"
    assert check(ast.parse(source), Settings(), "app.py", source) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlalchemy as sa\n", True),
        ("def f():\n    from sqlalchemy.orm import Session\n", True),
        ("x = 1; import sqlmodel\n", True),
        ("from flask_sqlalchemy import SQLAlchemy\n", True),
        ("# sqlalchemy is great\nfrom .engine import create_engine\n", False),
        ("import sqlalchemy_utils\n", False),
    ],
)
def test_sqlalchemy_import_in_the_text(source: str, expected: bool) -> None:
    assert TextFacts(source).imports_sqlalchemy is expected


def test_every_rule_has_a_prefilter_that_admits_its_invalid_examples() -> None:
    for rule in RULES:
        for case in rule.invalid:
            settings = Settings.build(**dict(case.options))
            assert rule.may_apply(TextFacts(case.code, case.filename), settings), (rule.code, case.code)


@pytest.mark.parametrize(
    ("source", "called"),
    [
        ("try:\n    a()\nexcept E:\n    b()\nc()\n", {"a"}),
        ("try: a()\nexcept E: b()\n", {"a"}),
        # nested, with a comment and a blank line at the left edge inside the body
        ("def f():\n    try:\n        try:\n            a()\n# note\n\n        finally:\n            b()\n"
         "        c ( 1 )\n    except E:\n        d()\n", {"a", "b", "c"}),
        # two in a row, a body that ends the file without a newline, CR line endings
        ("try:\n    a()\nexcept E:\n    pass\ntry:\n    b()", {"a", "b"}),
        ("try:\r    a()\rexcept E:\r    b()\r", {"a"}),
        # a string, a method of something else, a longer name, a name not asked about
        ("x = 'try: a()'\n", set()),
        ("try:\n    x.a()\n    ab()\n    z()\nexcept E:\n    pass\n", set()),
        # a function of an imported module, or a classmethod: the name with its attribute
        ("try:\n    a.revoke(1)\n    b . count ()\n    x.a.y()\nexcept E:\n    pass\n", {"a.revoke", "b.count"}),
    ],
    ids=["body", "one-line", "nested", "two-and-no-newline", "cr", "in-a-string", "not-the-names", "attributes"],
)
def test_names_called_in_try_bodies(source: str, called: set[str]) -> None:
    """SQS301's prefilter for a module that imports nothing of SQLAlchemy: which of the names it
    imports it calls in `try` bodies, read from the text by indentation (a superset where it
    matters: a nested `try`'s `finally` counts for the outer body)."""
    assert _called_in_tries(source, {"a", "b", "c", "d"}) == called


def test_each_try_body_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deeply nested `try` statements, and a line full of `try:` in a string: the text handed to
    the call pattern adds up to at most the text itself (a nested body is read with the one
    around it, not again), so the cost stays linear however deep they nest."""
    import flake8_sqla_session.rules.rollback as rollback

    read = []

    class Counting:
        def findall(self, source: str, start: int, end: int) -> list[str]:
            read.append(end - start)
            return rollback_pattern.findall(source, start, end)

    rollback_pattern = rollback._CALLED
    monkeypatch.setattr(rollback, "_CALLED", Counting())
    for depth in (10, 80):
        read.clear()
        nested = "".join("    " * i + "try:\n" + "    " * (i + 1) + f"f{i}()\n" for i in range(depth))
        nested += "".join("    " * i + "except E:\n" + "    " * (i + 1) + "pass\n" for i in reversed(range(depth)))
        source = nested + "x = '" + "try: " * depth + "'\n"
        assert _called_in_tries(source, {"f0", f"f{depth - 1}"}) == {"f0", f"f{depth - 1}"}
        assert len(read) == 1 and sum(read) <= len(source)
