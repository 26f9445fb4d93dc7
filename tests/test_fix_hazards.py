"""Issue 11: each hazard found by attacking the fixer, pinned by a test that failed before its fix.

The tests are named after the issue's points (`test_point01_...`); the
command-line ones run the real command in a subprocess, as a user would.
"""
from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from flake8_sqla_session.fix.api import FixError, apply_fixes, detect, fix_source
from flake8_sqla_session.settings import Settings

ENGINE = "from sqlalchemy import create_engine\nengine = create_engine(url)\n"
ENGINE_FIXED = "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", *args],
        cwd=cwd, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, timeout=120,
    )


def codes(source: str, unsafe: bool = False) -> list[str]:
    return [f.code for f in fix_source(source, Settings(), unsafe=unsafe).applied]


# ---- 1. lone CR line endings ---------------------------------------------------------------

CR_SOURCE = 'from sqlalchemy import create_engine\rengine = create_engine("mysql://db/app")\rx = 1\r'


def test_point01_lone_cr_file_is_fixed_with_its_line_endings(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_bytes(CR_SOURCE.encode())
    result = run("--fix", "a.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == (
        b'from sqlalchemy import create_engine\rengine = create_engine("mysql://db/app", pool_pre_ping=True)\r'
        b"x = 1\r"
    )


def test_point01_whole_text_is_compiled_before_anything_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a statement-level edit does, a result that does not compile as a whole is refused."""
    from flake8_sqla_session.fix import api

    real_apply = api._apply

    def glue_next_statement(source: str, *args: object, **kwargs: object) -> str:
        return real_apply(source, *args, **kwargs).rstrip("\n")  # type: ignore[arg-type]

    monkeypatch.setattr(api, "_apply", glue_next_statement)
    source = ENGINE + "x = 1\n"
    findings = detect(source, Settings())
    with pytest.raises(FixError, match="would not compile"):
        apply_fixes(source, findings, tree=ast.parse(source))


# ---- 8. `# noqa` on the line flake8 reads ----------------------------------------------------

@pytest.mark.parametrize("separator", ["\f", "\v", "\x1c", "\u2028", "\x85"], ids=repr)
def test_point08_noqa_is_read_on_the_line_flake8_reads(separator: str) -> None:
    # The separator is inside a comment: not a line end for ast or flake8.
    source = (
        f"# a{separator}b\n"
        "def f(session):\n    try:\n        session.commit()\n    except Exception:  # noqa: SQS301\n"
        "        pass\n"
    )
    assert [f.code for f in detect(source, Settings())] == []
    assert fix_source(source, Settings()).source == source
