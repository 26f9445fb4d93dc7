"""The `flake8-sqla-session` command, run as users run it: a real subprocess."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ENGINE = "from sqlalchemy import create_engine\nengine = create_engine(url)\n"
ENGINE_FIXED = "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"
MODULE_SESSION = "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker()\nsession = Session()\n"
HANDLER = (
    "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        pass\n"
    "\n\ndef run(session):\n    f(session)\n    session.commit()\n"  # goes on with the failed session
)


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def test_report_on_the_example(project: Path) -> None:
    result = run("examples", cwd=project)
    assert result.returncode == 1, result.stderr
    codes = sorted(line.split(": ")[1].split()[0] for line in result.stdout.splitlines())
    assert codes == ["SQS101", "SQS201", "SQS301"]
    expected = "examples/seedapp/seedapp/settings.py:17:18: SQS201 create_engine() without pool_pre_ping=True"
    assert expected in result.stdout
    assert "[fix available with --unsafe-fixes]" in result.stdout
    assert result.stderr.strip() == (
        "Found 3 findings in 2 files (2 fixable with --fix, 1 needs --unsafe-fixes, 0 have no autofix)."
    )


def test_findings_without_autofix_say_so(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from sqlalchemy.orm import Session\n\ndef f():\n    session = Session(engine)\n    session.commit()\n"
    )
    result = run("--fix", "app.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("app.py:4:15: SQS104 Session 'session' is never closed")
    assert result.stdout.rstrip().endswith("[no autofix]")
    assert result.stderr.strip() == "Fixed 0 findings in 0 files (0 need --unsafe-fixes, 1 has no autofix)."


def test_fix_then_unsafe_fix_then_nothing(project: Path) -> None:
    settings_py = project / "examples/seedapp/seedapp/settings.py"
    first = run("--fix", "examples", cwd=project)
    assert first.returncode == 1  # SQS101 is left: it needs --unsafe-fixes
    assert first.stderr.strip() == "Fixed 2 findings in 2 files (1 needs --unsafe-fixes, 0 have no autofix)."
    assert "pool_pre_ping=True" in settings_py.read_text()
    assert [line.split(": ")[1][:6] for line in first.stdout.splitlines()] == ["SQS101"]
    second = run("--fix", "--unsafe-fixes", "examples", cwd=project)
    assert second.returncode == 0, second.stdout + second.stderr
    text = settings_py.read_text()
    assert "# TODO(sqla-session): call BASE_DB_SESSION.remove() when a request ends\n" in text
    assert "BASE_DB_SESSION = scoped_session(BASE_DB_SESSION_MAKER)\n" in text
    snapshot = {p: p.read_bytes() for p in project.rglob("*.py")}
    third = run("--fix", "--unsafe-fixes", "examples", cwd=project)
    assert third.returncode == 0
    assert {p: p.read_bytes() for p in project.rglob("*.py")} == snapshot
    assert third.stderr.strip() == "Fixed 0 findings in 0 files (0 need --unsafe-fixes, 0 have no autofix)."


def test_diff_writes_nothing(project: Path) -> None:
    before = {p: p.read_bytes() for p in project.rglob("*.py")}
    result = run("--diff", "examples", cwd=project)
    assert result.returncode == 1
    url = "mysql+pymysql://shop:shop@localhost/shop"
    assert f'+BASE_DB_ENGINE = create_engine("{url}", pool_pre_ping=True)' in result.stdout
    assert "+        settings.BASE_DB_SESSION.rollback()" in result.stdout
    assert result.stdout.startswith("--- a/examples/")
    assert {p: p.read_bytes() for p in project.rglob("*.py")} == before


def test_check_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(ENGINE)
    result = run("--check", "app.py", cwd=tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "app.py").read_text() == ENGINE
    (tmp_path / "app.py").write_text(ENGINE_FIXED)
    clean = run("--check", "app.py", cwd=tmp_path)
    assert clean.returncode == 0
    assert clean.stderr.strip() == "No findings in 1 file."


def test_json_format(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(ENGINE + MODULE_SESSION.replace("from sqlalchemy.orm", "\nfrom sqlalchemy.orm"))
    result = run("--fix", "--format", "json", "app.py", cwd=tmp_path)
    assert result.returncode == 1
    records = json.loads(result.stdout)
    assert [(r["code"], r["line"], r["fixable"], r["fix_applied"]) for r in records] == [
        ("SQS201", 2, True, True),
        ("SQS101", 6, False, False),
    ]
    assert set(records[0]) == {"path", "line", "col", "code", "message", "fixable", "fix_applied"}
    assert records[0]["path"] == "app.py" and records[0]["col"] == 10


def test_noqa(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("from sqlalchemy import create_engine\n"
                                     "engine = create_engine(url)  # noqa: SQS201\n")
    result = run("--fix", "app.py", cwd=tmp_path)
    assert result.returncode == 0
    assert "pool_pre_ping" not in (tmp_path / "app.py").read_text()


@pytest.mark.parametrize("config_name", ["setup.cfg", "tox.ini", ".flake8"])
def test_flake8_config_is_read(tmp_path: Path, config_name: str) -> None:
    (tmp_path / config_name).write_text("[flake8]\nsqla-session-names = s\nextend-select = SQS401\n"
                                        "sqla_max_pool_recycle = 600\n")
    (tmp_path / "app.py").write_text(
        "def f(s):\n    try:\n        s.commit()\n    except Exception:\n        pass\n"
        "\n\ndef run(s):\n    f(s)\n    s.commit()\n"
    )
    (tmp_path / "e.py").write_text("from sqlalchemy import create_engine\n"
                                   "engine = create_engine(url, pool_recycle=900)\n")
    result = run(".", cwd=tmp_path)
    assert sorted(line.split(": ")[1][:6] for line in result.stdout.splitlines()) == ["SQS202", "SQS301"]


def test_pyproject_table_is_read_and_beats_flake8_config(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = SQS301\n")
    (tmp_path / "pyproject.toml").write_text('[tool.flake8-sqla-session]\nselect = ["SQS201"]\n'
                                             'sqla-pool-recycle = 1200\n')
    (tmp_path / "app.py").write_text(ENGINE + HANDLER)
    result = run(".", cwd=tmp_path)
    assert [line.split(": ")[1][:6] for line in result.stdout.splitlines()] == ["SQS201"]


def test_a_selection_without_sqs_codes_is_pointed_out(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = E,F,W\n")
    (tmp_path / "app.py").write_text(ENGINE)
    result = run(".", cwd=tmp_path)
    assert result.returncode == 0  # as flake8 itself would report nothing
    assert "warning: the selection (" in result.stderr and "setup.cfg) selects no SQS code" in result.stderr


def test_command_line_beats_config(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = SQS201\n")
    (tmp_path / "app.py").write_text(ENGINE + HANDLER)
    result = run("--select", "SQS301", ".", cwd=tmp_path)
    assert [line.split(": ")[1][:6] for line in result.stdout.splitlines()] == ["SQS301"]


def test_ignore_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nper-file-ignores =\n    legacy/*.py: SQS201\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(ENGINE)
    (tmp_path / "new.py").write_text(ENGINE)
    result = run(".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["./new.py"]
    assert run("--ignore", "SQS2", ".", cwd=tmp_path).returncode == 0


def test_opt_in_code_needs_selecting(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("from sqlalchemy import create_engine\nDATABASES = {}\n"
                                          "engine = create_engine(url, pool_pre_ping=True)\n")
    assert run("settings.py", cwd=tmp_path).returncode == 0
    result = run("--extend-select", "SQS401", "settings.py", cwd=tmp_path)
    assert result.returncode == 1 and "SQS401" in result.stdout


def test_folders_skip_vcs_venvs_build_and_excludes(tmp_path: Path) -> None:
    for folder in (".git", "build", "node_modules", "env", "vendor", "keep"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.py").write_text(ENGINE)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "generated_pb2.py").write_text(ENGINE)
    result = run("--extend-exclude", "vendor,*_pb2.py", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["./keep/x.py"]
    (tmp_path / "setup.cfg").write_text("[flake8]\nextend-exclude = keep\n")
    from_config = run(".", cwd=tmp_path)
    assert [line.split(":")[0] for line in from_config.stdout.splitlines()] == ["./generated_pb2.py", "./vendor/x.py"]
    (tmp_path / "setup.cfg").write_text("[flake8]\nexclude = keep,vendor\n")
    replaced = run(".", cwd=tmp_path)  # exclude replaces the defaults, as in flake8 (venvs are still skipped)
    assert [line.split(":")[0] for line in replaced.stdout.splitlines()] == [
        "./generated_pb2.py", "./.git/x.py", "./build/x.py", "./node_modules/x.py",
    ]


def test_jobs_give_the_same_result(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(ENGINE if i % 3 else HANDLER)
    serial = run("--jobs", "1", ".", cwd=tmp_path)
    parallel = run("--jobs", "2", ".", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout
    fixed = run("--fix", "-j", "2", ".", cwd=tmp_path)
    assert fixed.returncode == 0
    assert fixed.stderr.strip() == "Fixed 40 findings in 40 files (0 need --unsafe-fixes, 0 have no autofix)."


def test_stdin(tmp_path: Path) -> None:
    report = run("-", "--stdin-display-name", "app/db.py", cwd=tmp_path, stdin=ENGINE)
    assert report.returncode == 1
    assert report.stdout.startswith("app/db.py:2:10: SQS201")
    fixed = run("--fix", "-", cwd=tmp_path, stdin=ENGINE)
    assert fixed.stdout == ENGINE_FIXED
    assert fixed.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sqla-session-names", "("], "--sqla-session-names: not a regular expression"),
        (["--sqla-max-pool-recycle", "soon"], "--sqla-max-pool-recycle: expected a number of seconds"),
        (["--jobs", "many"], "--jobs: expected a positive number"),
        (["--fix", "--diff"], "not allowed with argument"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(*args, ".", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_input_gets_a_message_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "binary.py").write_bytes(b"x = '\xff\xfe'\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "good.py").write_text(ENGINE)
    result = run("--fix", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "./broken.py: error: cannot parse: " in result.stderr
    assert "./binary.py: error: cannot decode as utf-8" in result.stderr
    assert "coding cookie" in result.stderr
    assert "./dangling.py: error: cannot read" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "good.py").read_text() == ENGINE_FIXED
    assert run("missing.py", cwd=tmp_path).stderr.startswith("missing.py: error: no such file or folder")


@pytest.mark.parametrize("mode", [[], ["--fix", "--unsafe-fixes"], ["--diff"]])
def test_nul_byte_is_the_same_parse_error_on_every_python(tmp_path: Path, mode: list[str]) -> None:
    """Python before 3.11.4 raises ValueError, not SyntaxError, for a NUL byte: the message is the same."""
    data = ENGINE.encode() + b"x = 1\x00\n"
    (tmp_path / "nul.py").write_bytes(data)
    result = run(*mode, "nul.py", cwd=tmp_path)
    assert result.returncode == 2
    message = "nul.py: error: cannot parse: source code string cannot contain null bytes; not checked"
    assert result.stderr.splitlines()[0] == message
    assert (tmp_path / "nul.py").read_bytes() == data


def test_encoding_bom_newlines_and_mode_are_kept(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes("# -*- coding: latin-1 -*-\n# café\n".encode("latin-1") + ENGINE.encode())
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + ENGINE.replace("\n", "\r\n").encode())
    script = tmp_path / "script.py"
    script.write_text(ENGINE)
    script.chmod(0o750)
    result = run("--fix", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert latin.read_bytes() == "# -*- coding: latin-1 -*-\n# café\n".encode("latin-1") + ENGINE_FIXED.encode()
    assert bom.read_bytes() == b"\xef\xbb\xbf" + ENGINE_FIXED.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".sqla-fix")]


def test_read_only_file_is_not_written(tmp_path: Path) -> None:
    target = tmp_path / "ro.py"
    target.write_text(ENGINE)
    target.chmod(0o444)
    result = run("--fix", "ro.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "ro.py: error: is read-only; nothing written" in result.stderr
    assert target.read_text() == ENGINE


def test_symlinks_are_fixed_at_their_target_once(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(ENGINE)
    (tmp_path / "link_a.py").symlink_to(real)
    (tmp_path / "link_b.py").symlink_to(real)
    result = run("--fix", "link_a.py", "link_b.py", "real.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "Fixed 1 finding in 1 file (0 need --unsafe-fixes, 0 have no autofix)."
    assert (tmp_path / "link_a.py").is_symlink() and (tmp_path / "link_b.py").is_symlink()
    assert real.read_text() == ENGINE_FIXED


def test_file_changed_while_fixing_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flake8_sqla_session import cli
    from flake8_sqla_session.fix import api

    target = tmp_path / "app.py"
    target.write_text(ENGINE)
    real_apply_fixes = api.apply_fixes

    def edit_meanwhile(*args: object, **kwargs: object) -> str:
        fixed = real_apply_fixes(*args, **kwargs)  # type: ignore[arg-type]
        target.write_text(ENGINE + "# the user typed this meanwhile\n")
        return fixed

    monkeypatch.setattr(api, "apply_fixes", edit_meanwhile)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--fix", "--jobs", "1", "app.py"]) == 2
    assert "app.py: error: changed on disk while being fixed; nothing written" in capsys.readouterr().err
    assert target.read_text() == ENGINE + "# the user typed this meanwhile\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("mode", ["--fix", "--add-noqa"])
def test_no_file_is_written_before_every_file_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mode: str, jobs: str
) -> None:
    # A check reads other files of the project (imports, the engines); a write takes a
    # lease that any reader breaks.  A write among the checks was refused in CI ("changed
    # on disk while being fixed") when a parallel worker read the file being written.
    from flake8_sqla_session import cli
    from flake8_sqla_session.fix import files

    log = tmp_path / "log"
    real_fix_text, real_write = cli._fix_text, files.write_source

    def checking(text: str, path: str, *args: object) -> object:
        with open(log, "a") as handle:  # one short append per line: the workers' lines never mix
            handle.write(f"check {os.path.basename(path)}\n")
        return real_fix_text(text, path, *args)  # type: ignore[arg-type]

    def writing(source: files.SourceFile, new_text: str) -> None:
        with open(log, "a") as handle:
            handle.write(f"write {os.path.basename(source.path)}\n")
        real_write(source, new_text)

    monkeypatch.setattr(cli, "_fix_text", checking)
    monkeypatch.setattr(files, "write_source", writing)
    project = tmp_path / "project"
    project.mkdir()
    names = [f"m{i:02}.py" for i in range(12)]
    for name in names:
        (project / name).write_text(ENGINE)
    monkeypatch.chdir(project)
    assert cli.main([mode, "--jobs", jobs, "."]) == 0, capsys.readouterr().err
    entries = log.read_text().splitlines()
    assert sorted(entries) == sorted([f"check {n}" for n in names] + [f"write {n}" for n in names])
    assert entries[:len(names)] == [e for e in entries if e.startswith("check ")]
    fixed = ENGINE_FIXED if mode == "--fix" else ENGINE.replace("(url)", "(url)  # noqa: SQS201")
    assert all((project / n).read_text() == fixed for n in names)


def test_a_deferred_write_that_fails_is_reported_as_not_fixed(tmp_path: Path) -> None:
    from flake8_sqla_session import cli

    target = tmp_path / "app.py"
    target.write_text(ENGINE)
    job = cli.Job("fix", False, cli.Settings(), cli.Selection())
    outcome = cli.process(str(target), job, defer_write=True)
    assert target.read_text() == ENGINE and outcome.pending is not None
    assert [r.fix_applied for r in outcome.reports] == [True]
    target.write_text(ENGINE + "# saved meanwhile\n")
    cli.write_pending(outcome)
    assert outcome.error == "changed on disk while being fixed; nothing written (run again)"
    assert outcome.applied == [] and [r.fix_applied for r in outcome.reports] == [False]
    assert target.read_text() == ENGINE + "# saved meanwhile\n"


def test_version() -> None:
    result = run("--version", cwd=ROOT)
    assert result.returncode == 0 and result.stdout.startswith("flake8-sqla-session ")


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import pty

    for i in range(320):
        (tmp_path / f"m{i:03}.py").write_text("x = 1\n")
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "flake8_sqla_session", "--jobs", "2", "."],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, timeout=120,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    terminal = b"".join(chunks).decode()
    assert result.returncode == 0
    assert "] 320/320 files" in terminal
    assert "No findings in 320 files." in terminal
    piped = run("--jobs", "2", ".", cwd=tmp_path)
    assert "files\r" not in piped.stderr and "] 320/320" not in piped.stderr


def test_too_deep_for_libcst_keeps_the_findings(tmp_path: Path) -> None:
    deep = "from sqlalchemy import create_engine\nengine = create_engine(url, echo=" + " + ".join(["a"] * 800) + ")\n"
    (tmp_path / "deep.py").write_text(deep)
    (tmp_path / "good.py").write_text(ENGINE)
    result = run("--fix", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "./deep.py: error: not fixed: too deeply nested for libcst; nothing written" in result.stderr
    assert "./deep.py:2:10: SQS201" in result.stdout
    assert (tmp_path / "deep.py").read_text() == deep
    assert (tmp_path / "good.py").read_text() == ENGINE_FIXED
    assert "Traceback" not in result.stderr
