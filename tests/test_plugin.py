"""The plugin inside real flake8: discovery, noqa, selection, options, stdin, odd files."""
from __future__ import annotations

import sys
import textwrap

import pytest
from conftest import ROOT, flake8

from flake8_sqla_session import __version__

# Each of these is clean for flake8's own checks, so a default run shows only SQS codes.
SWALLOW = textwrap.dedent(
    """\
    import logging


    def f(session):
        try:
            session.commit()
        except Exception:
            logging.exception("commit failed")


    def run(session):
        f(session)
        session.commit()
    """
)  # SQS301 at 7:5 (`run` goes on with the session f failed)
BOTH = textwrap.dedent(
    """\
    import logging

    from sqlalchemy import create_engine

    engine = create_engine("mysql://db/app")


    def f(session):
        try:
            session.commit()
        except Exception:
            logging.exception("commit failed")


    def run(session):
        f(session)
        session.commit()
    """
)  # SQS201 at 5:10, SQS301 at 11:5
DJANGO_SETTINGS = textwrap.dedent(
    """\
    from sqlalchemy import create_engine

    DATABASES = {"default": {}}
    engine = create_engine("mysql://db/app", pool_pre_ping=True)
    """
)  # SQS401 at 4:10


# ---- discovery ----------------------------------------------------------------------------


def test_version_lists_plugin(flake8_path):
    result = flake8_path.run_flake8(["--version"])
    assert result.exit_code == 0
    assert f"flake8-sqla-session: {__version__}" in result.out


def test_reports_through_flake8_path(flake8_path):
    (flake8_path / "app.py").write_text(SWALLOW)
    result = flake8_path.run_flake8(["--select", "SQS"])
    assert result.out_lines == [
        "./app.py:7:5: SQS301 except handler swallows a database error after session work without "
        "session.rollback(): the session stays in a failed transaction (\"Can't reconnect until "
        "invalid transaction is rolled back\"); call session.rollback() or re-raise"
    ]
    assert result.exit_code == 1


# ---- noqa -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "comment, reported",
    [
        pytest.param("  # noqa", False, id="bare noqa"),
        pytest.param("  # noqa: SQS301", False, id="noqa with the code"),
        pytest.param("  # noqa:SQS301,E501", False, id="noqa with a code list"),
        pytest.param("  # noqa: SQS3", False, id="noqa with a prefix"),
        pytest.param("  # noqa: SQS201", True, id="noqa with another code"),
        pytest.param("", True, id="no comment"),
    ],
)
def test_noqa(flake8_path, comment, reported):
    (flake8_path / "app.py").write_text(SWALLOW.replace("except Exception:", f"except Exception:{comment}"))
    result = flake8_path.run_flake8(["--select", "SQS"])
    assert any("SQS301" in line for line in result.out_lines) is reported


# ---- selection ------------------------------------------------------------------------------


def test_select_sqs_only(flake8_path):
    (flake8_path / "app.py").write_text("import os\n" + SWALLOW)  # F401 too
    assert [line.split()[1] for line in flake8_path.run_flake8(["--select", "SQS"]).out_lines] == ["SQS301"]
    codes = sorted(line.split()[1] for line in flake8_path.run_flake8([]).out_lines)
    assert codes == ["F401", "SQS301"]


def test_opt_in_code_off_by_default(flake8_path):
    (flake8_path / "settings.py").write_text(DJANGO_SETTINGS)
    assert flake8_path.run_flake8([]).out_lines == []
    result = flake8_path.run_flake8(["--extend-select", "SQS401"])
    assert [line.split()[1] for line in result.out_lines] == ["SQS401"]
    assert result.out_lines[0].startswith("./settings.py:4:10: SQS401 ")


def test_opt_in_code_from_config(flake8_path):
    (flake8_path / "settings.py").write_text(DJANGO_SETTINGS)
    (flake8_path / "setup.cfg").write_text("[flake8]\nextend-select = SQS401\n")
    assert [line.split()[1] for line in flake8_path.run_flake8([]).out_lines] == ["SQS401"]


def test_extend_ignore(flake8_path):
    (flake8_path / "app.py").write_text(BOTH)
    result = flake8_path.run_flake8(["--extend-ignore", "SQS301"])
    assert [line.split()[1] for line in result.out_lines] == ["SQS201"]


def test_per_file_ignores(flake8_path):
    (flake8_path / "app").mkdir()
    (flake8_path / "app" / "views.py").write_text(SWALLOW)
    (flake8_path / "scripts").mkdir()
    (flake8_path / "scripts" / "once.py").write_text(SWALLOW)
    (flake8_path / "setup.cfg").write_text("[flake8]\nper-file-ignores =\n    scripts/*.py: SQS301\n")
    result = flake8_path.run_flake8([])
    assert [line.split(":")[0] for line in result.out_lines] == ["./app/views.py"]
    result = flake8_path.run_flake8(["--per-file-ignores", "app/*.py:SQS3"])
    assert [line.split(":")[0] for line in result.out_lines] == ["./scripts/once.py"]


def test_parallel_jobs_same_output(tmp_path):
    for number in range(8):
        (tmp_path / f"mod{number}.py").write_text(BOTH)
    serial = flake8("--isolated", "-j", "1", "--select", "SQS", ".", cwd=tmp_path)
    parallel = flake8("--isolated", "-j", "2", "--select", "SQS", ".", cwd=tmp_path)
    assert "Traceback" not in parallel.err
    assert sorted(parallel.lines) == sorted(serial.lines)
    assert len(parallel.lines) == 16
    assert parallel.exit_code == 1


# ---- stdin, as editors run it ----------------------------------------------------------------


def test_stdin_uses_display_name(tmp_path):
    result = flake8(
        "--extend-select", "SQS401", "-", "--stdin-display-name=app/settings.py", cwd=tmp_path, stdin=DJANGO_SETTINGS
    )
    assert result.err == ""
    assert result.lines == [
        "app/settings.py:4:10: SQS401 SQLAlchemy engine built in a Django settings module bypasses Django's "
        "connection handling; use django.db.connections[...] or build it per unit of work in application code"
    ]
    assert result.exit_code == 1


def test_stdin_without_display_name(tmp_path):
    assert flake8("--extend-select", "SQS401", "-", cwd=tmp_path, stdin=DJANGO_SETTINGS).lines == []
    result = flake8("--select", "SQS", "-", cwd=tmp_path, stdin=SWALLOW)
    assert [line.split()[1] for line in result.lines] == ["SQS301"]
    assert result.lines[0].startswith("stdin:7:5: ")


def test_stdin_with_editor_style_format(tmp_path):
    """The VS Code flake8 extension's invocation: display name, custom format, source on stdin."""
    result = flake8(
        "--format=%(row)d,%(col)d,%(code).1s,%(code)s:%(text)s",
        "--stdin-display-name",
        str(tmp_path / "views.py"),
        "-",
        cwd=tmp_path,
        stdin=SWALLOW,
    )
    assert result.lines[0].startswith("7,5,S,SQS301:except handler swallows")


# ---- options: command line and every flake8 config file --------------------------------------

OPTION_CASES = {
    "session-names": (
        "def f(s):\n    try:\n        s.commit()\n    except Exception:\n        pass\n"
        "\n\ndef run(s):\n    f(s)\n    s.commit()\n",
        "sqla-session-names",
        "s|db",
        "SQS301",
        "4:5",
    ),
    "session-factories": (
        "from app.db import SessionLocal\nsession = SessionLocal()\n",
        "sqla-session-factories",
        "other.Maker,app.db.SessionLocal",
        "SQS101",
        "2:11",
    ),
    "max-pool-recycle": (
        "from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=900)\n",
        "sqla-max-pool-recycle",
        "600",
        "SQS202",
        "2:10",
    ),
    "pool-recycle": (
        "from sqlalchemy import create_engine\nengine = create_engine(url, pool_recycle=30000)\n",
        "sqla-pool-recycle",
        "1800",
        "e.g. pool_recycle=1800",
    ),
}
OPTION_IDS = sorted(OPTION_CASES)


def option_hits(result, case) -> bool:
    if len(case) == 4:  # pool-recycle changes the message, not whether there is a finding
        return any(case[3] in line for line in result.lines)
    return any(f":{case[4]}: {case[3]} " in line for line in result.lines)


@pytest.mark.parametrize("option", OPTION_IDS)
def test_option_default_is_quiet(tmp_path, option):
    case = OPTION_CASES[option]
    (tmp_path / "app.py").write_text(case[0])
    result = flake8("--isolated", "--select", "SQS", "app.py", cwd=tmp_path)
    assert result.err == ""
    assert not option_hits(result, case)


@pytest.mark.parametrize("option", OPTION_IDS)
def test_option_on_command_line(tmp_path, option):
    case = OPTION_CASES[option]
    (tmp_path / "app.py").write_text(case[0])
    result = flake8("--isolated", "--select", "SQS", f"--{case[1]}={case[2]}", "app.py", cwd=tmp_path)
    assert result.err == ""
    assert option_hits(result, case), result.out


@pytest.mark.parametrize("config", ["setup.cfg", "tox.ini", ".flake8"])
@pytest.mark.parametrize("option", OPTION_IDS)
@pytest.mark.parametrize("spelling", ["dashes", "underscores"])
def test_option_in_config_file(tmp_path, option, config, spelling):
    case = OPTION_CASES[option]
    key = case[1] if spelling == "dashes" else case[1].replace("-", "_")
    (tmp_path / "app.py").write_text(case[0])
    (tmp_path / config).write_text(f"[flake8]\nselect = SQS\n{key} = {case[2]}\n")
    result = flake8("app.py", cwd=tmp_path)
    assert result.err == ""
    assert option_hits(result, case), result.out


def test_session_factories_multiline_in_config(tmp_path):
    case = OPTION_CASES["session-factories"]
    (tmp_path / "app.py").write_text(case[0])
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nsqla-session-factories =\n    other.Maker,\n    app.db.SessionLocal\n"
    )
    assert option_hits(flake8("app.py", cwd=tmp_path), case)


def test_command_line_overrides_config(tmp_path):
    case = OPTION_CASES["session-names"]
    (tmp_path / "app.py").write_text(case[0])
    (tmp_path / "tox.ini").write_text("[flake8]\nsqla-session-names = s\n")
    assert option_hits(flake8("app.py", cwd=tmp_path), case)
    assert not option_hits(flake8("--sqla-session-names=session", "app.py", cwd=tmp_path), case)


BAD_VALUES = [
    pytest.param("sqla-session-names", "(", id="invalid regex"),
    pytest.param("sqla-session-names", "[a-", id="unterminated set"),
    pytest.param("sqla-max-pool-recycle", "abc", id="max not a number"),
    pytest.param("sqla-max-pool-recycle", "0", id="max zero"),
    pytest.param("sqla-pool-recycle", "3600s", id="recycle with a unit"),
    pytest.param("sqla-pool-recycle", "-5", id="recycle negative"),
]


def assert_usage_error(result, option):
    assert result.exit_code not in (0, 1)
    assert f"--{option}" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


@pytest.mark.parametrize("option, value", BAD_VALUES)
def test_bad_value_on_command_line(tmp_path, option, value):
    (tmp_path / "app.py").write_text(SWALLOW)
    assert_usage_error(flake8("--isolated", f"--{option}={value}", "app.py", cwd=tmp_path), option)


@pytest.mark.parametrize("option, value", BAD_VALUES)
def test_bad_value_in_config(tmp_path, option, value):
    (tmp_path / "app.py").write_text(SWALLOW)
    (tmp_path / ".flake8").write_text(f"[flake8]\n{option} = {value}\n")
    assert_usage_error(flake8("app.py", cwd=tmp_path), option)


# ---- never raises ----------------------------------------------------------------------------


def run_file(tmp_path, data: bytes, *args: str):
    (tmp_path / "odd.py").write_bytes(data)
    result = flake8("--isolated", *args, "odd.py", cwd=tmp_path)
    assert "Traceback" not in result.err, result.err
    assert "SQS999" not in result.out, result.out
    return result


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f(:\n", id="bad def"),
        pytest.param("session = Session(\n", id="unclosed paren"),
        pytest.param("try:\n    session.commit()\nexcept Exception:\n", id="empty handler"),
        pytest.param("x = 1\n\tif x:\n  pass\n", id="bad indent"),
        pytest.param("print 'hello'\n", id="python 2"),
    ],
)
def test_syntax_error_is_e999_only(tmp_path, source):
    result = run_file(tmp_path, source.encode())
    assert [line.split()[1] for line in result.lines if " E999 " in line]
    assert not [line for line in result.lines if " SQS" in line]
    assert result.exit_code == 1


NUL_SOURCE = b'import sqlalchemy as sa\nengine = sa.create_engine("mysql://x/y")\nx = 1\x00\n'


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_nul_byte_is_the_same_e999_on_every_python(tmp_path, jobs):
    """Python before 3.11.4 raises ValueError for a NUL byte and flake8 alone dies with a
    traceback there (PyCQA/flake8#1822); with the plugin loaded it reports what 3.11.4+ report."""
    (tmp_path / "odd.py").write_bytes(NUL_SOURCE)
    (tmp_path / "other.py").write_bytes(NUL_SOURCE)
    result = flake8("--isolated", "--jobs", jobs, "odd.py", "other.py", cwd=tmp_path)
    assert "Traceback" not in result.err, result.err
    assert sorted(result.lines) == [
        "odd.py:1:1: E999 SyntaxError: source code string cannot contain null bytes",
        "other.py:1:1: E999 SyntaxError: source code string cannot contain null bytes",
    ]
    assert result.exit_code == 1


def test_empty_file(tmp_path):
    result = run_file(tmp_path, b"")
    assert result.lines == [] and result.exit_code == 0


def test_only_comments_and_blank_lines(tmp_path):
    assert run_file(tmp_path, b"# nothing here\n\n\n", "--select", "SQS").lines == []


def test_latin1_coding_cookie(tmp_path):
    source = "# -*- coding: latin-1 -*-\ngreeting = 'h\u00e9h\u00e9'\n" + SWALLOW
    result = run_file(tmp_path, source.encode("latin-1"), "--select", "SQS,E9")
    assert [line.split(" ")[:2] for line in result.lines] == [["odd.py:9:5:", "SQS301"]]


def test_crlf_line_endings(tmp_path):
    result = run_file(tmp_path, BOTH.replace("\n", "\r\n").encode(), "--select", "SQS")
    assert [line.split(" ")[:2] for line in result.lines] == [["odd.py:5:10:", "SQS201"], ["odd.py:11:5:", "SQS301"]]


def test_utf8_bom(tmp_path):
    result = run_file(tmp_path, b"\xef\xbb\xbf" + BOTH.encode(), "--select", "SQS")
    assert [line.split(" ")[:2] for line in result.lines] == [["odd.py:5:10:", "SQS201"], ["odd.py:11:5:", "SQS301"]]


def test_non_ascii_before_finding(tmp_path):
    """ast columns are UTF-8 bytes; flake8 reports them as they are."""
    source = "from sqlalchemy import create_engine\n\u00e9t\u00e9 = create_engine(url)\n"
    result = run_file(tmp_path, source.encode(), "--select", "SQS")
    assert [line.split(" ")[:2] for line in result.lines] == [["odd.py:2:9:", "SQS201"]]


MODERN = {
    "match": (
        3,
        10,
        "match command:\n    case {'session': session}:\n        session.commit()\n    case _:\n        pass\n",
    ),
    "walrus": (3, 8, "if (session := make()) is not None:\n    session.close()\n"),
    "async with": (
        3,
        7,
        "async def f(session, lock):\n    async with lock:\n        try:\n"
        "            await session.commit()\n        except Exception:\n            log()\n"
        "\n\nasync def run(session, lock):\n    await f(session, lock)\n    await session.commit()\n",
    ),
    "except star": (
        3,
        11,
        "def f(session):\n    try:\n        session.commit()\n    except* ValueError:\n        pass\n",
    ),
    "type params": (3, 12, "type Pair[T] = tuple[T, T]\n\ndef first[T](session: T) -> T:\n    return session\n"),
    "nested f-strings": (3, 12, "name = 'x'\nmessage = f\"{f\"{f\"{name}\"}\"}\"\n"),
    "positional only": (3, 8, "def f(session, /, *, other=None):\n    return session\n"),
}


@pytest.mark.parametrize("feature", sorted(MODERN))
def test_modern_syntax(tmp_path, feature):
    major, minor, source = MODERN[feature]
    try:
        compile(source, "odd.py", "exec", dont_inherit=True)
    except SyntaxError:
        assert sys.version_info < (major, minor), f"{feature} should parse on this Python"
        pytest.skip(f"this Python does not parse {feature} (needs {major}.{minor})")
    result = run_file(tmp_path, source.encode())
    assert not [line for line in result.lines if " E999 " in line], result.out


def test_modern_syntax_still_detects(tmp_path):
    _, _, source = MODERN["async with"]
    result = run_file(tmp_path, source.encode(), "--select", "SQS")
    assert [line.split(" ")[:2] for line in result.lines] == [["odd.py:5:9:", "SQS301"]]


def test_large_generated_file(tmp_path):
    chunk = (
        "def f{n}(session):\n"
        "    try:\n"
        "        session.commit()\n"
        "    except Exception:\n"
        "        log()\n"
        "\n"
        "\n"
        "def run{n}(session):\n"
        "    f{n}(session)\n"
        "    session.commit()\n"
        "\n"
        "\n"
        "engine{n} = create_engine('mysql://db/app{n}')\n"
        "\n"
        "\n"
    )
    body = "".join(chunk.format(n=n) for n in range(1000))
    source = "from sqlalchemy import create_engine\n\n\n" + body
    assert source.count("\n") >= 10_000
    result = run_file(tmp_path, source.encode(), "--select", "SQS")
    codes = [line.split(" ")[1] for line in result.lines]
    assert codes.count("SQS301") == 1000
    assert codes.count("SQS201") == 1000


# ---- the seed scenario ------------------------------------------------------------------------


def test_seed_example():
    result = flake8("--select", "SQS", "examples/", cwd=ROOT)
    assert result.exit_code == 1
    assert result.err == ""
    assert {"SQS101", "SQS201", "SQS301"} <= set(result.codes())


def test_seed_example_default_selection():
    """Plain flake8 (SQS401 stays off) reports the three codes of the scenario and nothing else of ours."""
    result = flake8("--isolated", "examples/", cwd=ROOT)
    sqs = sorted(code for code in result.codes() if code.startswith("SQS"))
    assert sqs == ["SQS101", "SQS201", "SQS301"]
