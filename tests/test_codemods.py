"""The fixes as libcst codemods, run by libcst's own runner."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = (
    "from sqlalchemy import create_engine\n"
    "from sqlalchemy.orm import sessionmaker\n"
    "\n"
    "engine = create_engine(url, pool_recycle=-1)\n"
    "other = create_engine(url)\n"
    "session = sessionmaker(bind=engine)()\n"
)


def codemod(name: str, folder: Path, *extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "-x",
         f"flake8_sqla_session.fix.codemods.{name}", *extra, str(folder)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return (folder / "app.py").read_text()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "AddPoolPrePing",
            SOURCE.replace("other = create_engine(url)", "other = create_engine(url, pool_pre_ping=True)"),
        ),
        ("LowerPoolRecycle", SOURCE.replace("pool_recycle=-1", "pool_recycle=3600")),
        (
            "ScopedModuleSessions",
            SOURCE.replace("import sessionmaker", "import scoped_session, sessionmaker").replace(
                "session = sessionmaker(bind=engine)()",
                "# TODO(sqla-session): call session.remove() when a request ends\n"
                "session = scoped_session(sessionmaker(bind=engine))",
            ),
        ),
    ],
)
def test_codemod_applies_one_code(tmp_path: Path, name: str, expected: str) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    assert codemod(name, tmp_path) == expected


def test_all_safe_fixes_and_unsafe_on_request(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    safe = codemod("SqlaSessionFixes", tmp_path)
    assert "pool_recycle=3600" in safe and "other = create_engine(url, pool_pre_ping=True)" in safe
    assert "scoped_session" not in safe
    assert "scoped_session(sessionmaker(bind=engine))" in codemod("SqlaSessionFixes", tmp_path, "--unsafe-fixes")
