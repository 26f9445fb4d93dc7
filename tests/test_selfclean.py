"""The project passes its own linter: flake8-sqla-session on flake8-sqla-session."""
from __future__ import annotations

from conftest import ROOT, flake8


def test_selfclean():
    result = flake8("--select", "SQS", "--extend-select", "SQS401", "flake8_sqla_session", "tests", cwd=ROOT)
    assert result.err == ""
    assert result.out == ""
    assert result.exit_code == 0
