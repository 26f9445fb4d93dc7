"""`--add-noqa`: record today's findings so that CI stops only new ones.

The comment goes where flake8 reads it, checked with real flake8; the file is
written with the fixer's guarantees (encoding, BOM, newlines, mode, atomic).
"""
from __future__ import annotations

import argparse
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from flake8.processor import FileProcessor

from flake8_sqla_session.noqa import add_noqa, noqa_lines

ENGINE_IMPORT = "from sqlalchemy import create_engine\n"


def cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120,
    )


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*.py"))}


# Each shape: the source, and the source after --add-noqa.
SHAPES = [
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(url)\n",
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa: SQS201\n",
        id="a plain line",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(\n    url,\n)\n",
        ENGINE_IMPORT + "engine = create_engine(  # noqa: SQS201\n    url,\n)\n",
        id="a call over several lines: flake8 reads the first line",
    ),
    pytest.param(
        ENGINE_IMPORT + 'engine = create_engine("""mysql://u@h/db\n""", echo=True)\n',
        ENGINE_IMPORT + 'engine = create_engine("""mysql://u@h/db\n""", echo=True)  # noqa: SQS201\n',
        id="a multi-line string: after it",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = \\\n    create_engine(url)\n",
        ENGINE_IMPORT + "engine = \\\n    create_engine(url)  # noqa: SQS201\n",
        id="a backslash continuation",
    ),
    pytest.param(
        ENGINE_IMPORT + 'x = """a\nb"""; engine = create_engine(url)\n',
        ENGINE_IMPORT + 'x = """a\nb"""; engine = create_engine(url)  # noqa: SQS201\n',
        id="after a multi-line string on the same line",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(url)  # keep this\n",
        ENGINE_IMPORT + "engine = create_engine(url)  # keep this  # noqa: SQS201\n",
        id="another comment is kept",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa: E501\n",
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa: E501,SQS201\n",
        id="an existing code list is extended",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(url)  # NOQA:E501 long url, reviewed\n",
        ENGINE_IMPORT + "engine = create_engine(url)  # NOQA:E501,SQS201 long url, reviewed\n",
        id="a list with a reason after it",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa\n",
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa\n",
        id="a bare noqa is never narrowed",
    ),
    pytest.param(
        ENGINE_IMPORT + "a = create_engine(url); b = create_engine(url)\n",
        ENGINE_IMPORT + "a = create_engine(url); b = create_engine(url)  # noqa: SQS201\n",
        id="one code once per line",
    ),
    pytest.param(
        "from sqlalchemy.orm import Session\n\n\ndef f():\n    try:\n        session = Session(engine)\n"
        "        session.commit()\n    except Exception:\n        pass\n    return session.info\n",
        "from sqlalchemy.orm import Session\n\n\ndef f():\n    try:\n"
        "        session = Session(engine)  # noqa: SQS104\n"
        "        session.commit()\n    except Exception:  # noqa: SQS301\n        pass\n    return session.info\n",
        id="codes on different lines",
    ),
    pytest.param(
        ENGINE_IMPORT + "engine = create_engine(url)   \t",
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa: SQS201",
        id="no newline at the end, trailing blanks",
    ),
]


@pytest.mark.parametrize("before, after", SHAPES)
def test_add_noqa_shapes(tmp_path, before, after):
    path = tmp_path / "app.py"
    path.write_bytes(before.encode())
    assert flake8("--select", "SQS", "app.py", cwd=tmp_path).returncode == (0 if before == after else 1)
    result = cli("--add-noqa", "app.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes().decode() == after
    assert cli("app.py", cwd=tmp_path).returncode == 0
    real = flake8("--select", "SQS", "app.py", cwd=tmp_path)
    assert real.returncode == 0, real.stdout  # flake8 itself reads the comment where we put it
    again = cli("--add-noqa", "app.py", cwd=tmp_path)
    assert again.returncode == 0 and path.read_bytes().decode() == after
    assert again.stderr.strip() == "Added `# noqa` to 0 lines in 0 files (0 findings)."


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "app").mkdir()
    for index, param in enumerate(SHAPES):
        (tmp_path / "app" / f"shape_{index}.py").write_text(param.values[0])
    (tmp_path / "app" / "crlf_bom.py").write_bytes(
        b"\xef\xbb\xbf" + (ENGINE_IMPORT + "engine = create_engine(url)\n").replace("\n", "\r\n").encode()
    )
    latin = "# -*- coding: latin-1 -*-\n" + ENGINE_IMPORT + "nom = 'café'\nengine = create_engine(url)\n"
    (tmp_path / "app" / "latin.py").write_bytes(latin.encode("latin-1"))
    script = tmp_path / "app" / "script.py"
    script.write_text(ENGINE_IMPORT + "engine = create_engine(url)\n")
    script.chmod(0o755)
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-select = SQS401\nmax-line-length = 120\n")
    return tmp_path


def test_adopt_on_a_repository_then_ci_passes(repository):
    before = cli(".", cwd=repository)
    assert before.returncode == 1
    result = cli("--add-noqa", ".", cwd=repository)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Added `# noqa` to ")
    after = cli(".", cwd=repository)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stderr.strip().startswith("No findings in ")
    plain = flake8("--select", "SQS", ".", cwd=repository)  # the config adds the opt-in SQS401
    assert plain.returncode == 0, plain.stdout
    settings = (repository / "examples/seedapp/seedapp/settings.py").read_text()
    assert "BASE_DB_SESSION = BASE_DB_SESSION_MAKER()  # noqa: SQS101,SQS401\n" in settings
    app = repository / "app"
    assert (app / "crlf_bom.py").read_bytes() == b"\xef\xbb\xbf" + (
        ENGINE_IMPORT + "engine = create_engine(url)  # noqa: SQS201\n"
    ).replace("\n", "\r\n").encode()
    assert (app / "latin.py").read_bytes().decode("latin-1").endswith(
        "nom = 'café'\nengine = create_engine(url)  # noqa: SQS201\n"
    )
    assert stat.S_IMODE((app / "script.py").stat().st_mode) == 0o755
    unchanged = snapshot(repository)
    assert cli("--add-noqa", ".", cwd=repository).returncode == 0
    assert snapshot(repository) == unchanged


def test_new_findings_still_fail_after_adoption(repository):
    assert cli("--add-noqa", ".", cwd=repository).returncode == 0
    (repository / "app" / "new.py").write_text(ENGINE_IMPORT + "engine = create_engine(url)\n")
    result = cli(".", cwd=repository)
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["./app/new.py"]


def test_read_only_file_is_refused_even_for_root(tmp_path):
    # write_source refuses a file without write bits even where root could write it.
    path = tmp_path / "app.py"
    path.write_text(ENGINE_IMPORT + "engine = create_engine(url)\n")
    path.chmod(0o444)
    result = cli("--add-noqa", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "app.py: error: is read-only; nothing written" in result.stderr
    assert path.read_text() == ENGINE_IMPORT + "engine = create_engine(url)\n"


def test_noqa_that_flake8_would_read_inside_a_string(tmp_path):
    source = ENGINE_IMPORT + 'engine = create_engine(url, info="""# noqa: E501\n""")\n'
    path = tmp_path / "app.py"
    path.write_text(source)
    assert flake8("--select", "SQS", "app.py", cwd=tmp_path).returncode == 1
    result = cli("--add-noqa", "app.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "inside a string" in result.stderr
    assert path.read_text() == source


def test_add_noqa_from_stdin(tmp_path):
    result = cli("--add-noqa", "-", cwd=tmp_path, stdin=ENGINE_IMPORT + "engine = create_engine(url)\n")
    assert result.returncode == 0
    assert result.stdout == ENGINE_IMPORT + "engine = create_engine(url)  # noqa: SQS201\n"


def test_add_noqa_respects_the_selection(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(ENGINE_IMPORT + "engine = create_engine(url)\n")
    assert cli("--add-noqa", "--ignore", "SQS201", "app.py", cwd=tmp_path).returncode == 0
    assert "noqa" not in path.read_text()


# ---- where flake8 reads `# noqa` ---------------------------------------------------------

MAPPING_SOURCES = [
    ENGINE_IMPORT + "engine = create_engine(\n    url,\n)\n",
    'x = """a\nb\n"""  # noqa: E501\ny = 1\n',
    "x = \\\n    1 + \\\n    2\n\n\nif x:\n    pass\n",
    'def f():\n    """doc\n    string"""\n    return [\n        1,\n    ]\n',
    "x = 1",
]


@pytest.mark.parametrize("source", MAPPING_SOURCES)
def test_noqa_lines_are_flake8s(source):
    options = argparse.Namespace(hang_closing=False, indent_size=4, max_line_length=79, max_doc_length=None, verbose=0)
    processor = FileProcessor("app.py", options, lines=source.splitlines(keepends=True))
    ours = noqa_lines(source)
    for line in range(1, len(source.splitlines()) + 1):
        assert ours[line] == processor.noqa_line_for(line), line


def test_add_noqa_without_findings_changes_nothing():
    assert add_noqa("x = (\n", []) == ("x = (\n", 0)
