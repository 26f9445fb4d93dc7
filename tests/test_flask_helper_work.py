"""SQS301 on a `try` whose session work is done by a project function it calls: a helper that works
on Flask-SQLAlchemy's `db.session` (`track_activity()`, iris-web's; `db_execute()`, hiddify-panel's).

The work is the caller's own, on `db.session` as the caller's module names it, so that what judges
the caller's handler (the request's end, the fix) judges it as if the `try` called
`db.session.commit()` itself.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from conftest import flake8, inside_project, sqs301_at

from flake8_sqla_session.checker import check
from flake8_sqla_session.settings import Settings

PROJECT = Path(__file__).resolve().parent / "projects" / "flask_helpers"

ACTIVITY = (
    "from panel.extensions import db\n\n\n"
    "class Activity:\n    pass\n\n\n"
    "def track(message):\n    entry = Activity()\n    db.session.add(entry)\n    db.session.commit()\n"
    "    return entry\n"
)
# A view that logs the helper's error and goes on through the session: reported on line 12.
LOGOUT = (
    "import logging\n\nfrom flask import Blueprint, redirect\n\nfrom panel.extensions import db\n"
    "from panel.activity import track\n\nbp = Blueprint('a', __name__)\n\n\n@bp.route('/logout')\ndef logout():\n"
    "    try:\n        track('out')\n    except Exception as error:\n        logging.error('logout: %s', error)\n"
    "    track('again')\n    return redirect('/')\n"
)
AT = [(15, 4)]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(PROJECT, tmp_path / "flask_helpers")
    with inside_project(tmp_path / "flask_helpers", monkeypatch) as root:
        (root / "panel" / "activity.py").write_text(ACTIVITY, encoding="utf-8")
        yield root


def account(root: Path, text: str) -> list[tuple[int, int]]:
    (root / "panel" / "account.py").write_text(text, encoding="utf-8")
    return sqs301_at(root, "panel/account.py")


def test_a_helpers_work_on_db_session_is_the_callers(project: Path) -> None:
    assert account(project, LOGOUT) == AT


@pytest.mark.parametrize(
    ("view", "receiver"),
    [
        (LOGOUT, "db.session"),
        (LOGOUT.replace("import db\n", "import db as database\n")
         .replace("    return redirect('/')\n", "    database.session.commit()\n    return redirect('/')\n"),
         "database.session"),
    ],
    ids=["db", "renamed"],
)
def test_the_fix_rolls_back_the_session_by_the_callers_name_for_db(project: Path, view: str, receiver: str) -> None:
    path = project / "panel" / "account.py"
    path.write_text(view, encoding="utf-8")
    source = path.read_text(encoding="utf-8")
    (finding,) = [f for f in check(ast.parse(source), Settings(), str(path), source) if f.code == "SQS301"]
    assert f"without {receiver}.rollback()" in finding.message
    assert finding.fix is not None and finding.fix.safe
    assert finding.fix.edit.code == (f"{receiver}.rollback()",)


@pytest.mark.parametrize(
    "view",
    [
        LOGOUT.replace("from panel.activity import track\n", "from panel import activity\n")
        .replace("track('out')", "activity.track('out')"),  # through its module
        LOGOUT.replace("from panel.activity import track\n", "import panel.activity as activity\n")
        .replace("track('out')", "activity.track('out')"),
    ],
    ids=["through-its-module", "module-renamed"],
)
def test_more_ways_to_call_the_helper(project: Path, view: str) -> None:
    assert account(project, view) == AT


@pytest.mark.parametrize("clause", ["ValueError", "(KeyError, subprocess.CalledProcessError)"])
def test_a_helpers_own_try_that_catches_no_database_error_lets_its_work_reach_the_caller(
    project: Path, clause: str
) -> None:
    """pagure's `mirror_pull_project`: its commit sits in a `try` whose handler catches only what a
    session never raises, so a failed commit leaves the helper for the view's handler."""
    activity = ACTIVITY.replace("    db.session.add(entry)\n    db.session.commit()\n",
                                "    try:\n        db.session.add(entry)\n        db.session.commit()\n"
                                f"    except {clause}:\n        pass\n")
    (project / "panel" / "activity.py").write_text("import subprocess\n" + activity, encoding="utf-8")
    assert account(project, LOGOUT) == AT


def test_a_handler_that_works_on_the_session_itself_is_judged_as_before(project: Path) -> None:
    """A reply after the helper's work alone is taken to end the request; the handler's own query
    on the failed session is not."""
    view = LOGOUT.replace("        logging.error('logout: %s', error)\n",
                          "        db.session.execute('SELECT 1')\n        return handle_error(error)\n")
    assert account(project, view) == AT


def test_work_of_the_try_itself_in_an_inner_try_is_not_a_helpers(project: Path) -> None:
    """The outer handler answers after the view's own `db.session.commit()` in an inner `try`
    (which lets its error go on): not a helper's work, so it is judged as before (reported:
    the reply is built from the error object)."""
    inner = "    try:\n        try:\n            db.session.commit()\n        except KeyError:\n            raise\n"
    view = LOGOUT.replace("    try:\n        track('out')\n", inner).replace(
        "        logging.error('logout: %s', error)\n", "        return handle_error(error)\n"
    )
    assert account(project, view) == [(18, 4)]


def test_a_helper_of_the_same_module(project: Path) -> None:
    view = LOGOUT.replace("from panel.activity import track\n", "") + "\n\n" + ACTIVITY.split("\n\n\n", 1)[1]
    assert account(project, view) == [(14, 4)]


@pytest.mark.parametrize(
    ("activity", "view"),
    [
        # the view answers from its handler: the request ends, and Flask-SQLAlchemy removes the session
        (ACTIVITY, LOGOUT.replace("        logging.error('logout: %s', error)\n",
                                  "        logging.error('logout: %s', error)\n        return redirect('/')\n")),
        # it answers with a reply the project builds from the error object: after a helper's work, quiet
        (ACTIVITY, LOGOUT.replace("        logging.error('logout: %s', error)\n",
                                  "        return handle_error(error)\n")),
        # the helper rolls back on its own way out
        (ACTIVITY.replace("    db.session.commit()\n", "    try:\n        db.session.commit()\n"
                          "    except Exception:\n        db.session.rollback()\n        raise\n"), LOGOUT),
        # its work is inside a `try` of its own, which its own handler answers for
        (ACTIVITY.replace("    db.session.add(entry)\n    db.session.commit()\n",
                          "    try:\n        db.session.add(entry)\n        db.session.commit()\n"
                          "    except Exception:\n        pass\n"), LOGOUT),
        # a helper that touches no session
        (ACTIVITY.replace("    db.session.add(entry)\n    db.session.commit()\n", "    print(entry)\n"), LOGOUT),
        # `session` of an object that is not Flask-SQLAlchemy's
        (ACTIVITY.replace("from panel.extensions import db\n", "import requests\n\ndb = requests\n"), LOGOUT),
        # a caller that has no name for `db`, whose handler answers after the helper's work
        (ACTIVITY, LOGOUT.replace("from panel.extensions import db\n", "")
         .replace("        logging.error('logout: %s', error)\n", "        return redirect('/')\n")),
        # the helper's `db` is a local of it, not the module's
        (ACTIVITY.replace("def track(message):\n", "def track(message, db=None):\n"), LOGOUT),
    ],
    ids=["view-answers", "answers-through-a-project-function", "helper-rolls-back", "helper-own-try", "no-session",
         "not-flask-sqlalchemy", "caller-without-db-answers", "local-db"],
)
def test_what_leaves_it_quiet(project: Path, activity: str, view: str) -> None:
    (project / "panel" / "activity.py").write_text(activity, encoding="utf-8")
    assert account(project, view) == []


WITHOUT_DB = LOGOUT.replace("from panel.extensions import db\n", "")


def test_a_caller_without_a_name_for_db_is_reported_by_the_helpers_module(project: Path) -> None:
    """A module that imports nothing of SQLAlchemy, nor `db` (newspipe's `web/views/user.py`, which
    calls `import_opml()`, a helper that commits `db.session`): the helper's work is the caller's
    all the same, and the view goes on through the failed session.  The finding names the
    session as the helper's module has it, and comes without a fix (no name here to roll back)."""
    path = project / "panel" / "account.py"
    path.write_text(WITHOUT_DB, encoding="utf-8")
    source = path.read_text(encoding="utf-8")
    (finding,) = [f for f in check(ast.parse(source), Settings(), str(path), source) if f.code == "SQS301"]
    assert (finding.line, finding.col) == (14, 4)
    assert "without activity.db.session.rollback()" in finding.message
    assert finding.fix is None


def test_flake8_reads_a_caller_that_imports_nothing_of_sqlalchemy(project: Path) -> None:
    """Through flake8 from the project root, and through stdin as an editor sends it: the text
    imports no SQLAlchemy name, and its prefilter lets it through because it imports a project
    function that works on a shared session and has a handler."""
    (project / "panel" / "account.py").write_text(WITHOUT_DB, encoding="utf-8")
    run = flake8("--select", "SQS301", "panel/account.py", cwd=project)
    assert run.codes() == ["SQS301"] and ":14:5:" in run.out
    run = flake8("--select", "SQS301", "--stdin-display-name", "panel/account.py", "-", cwd=project, stdin=WITHOUT_DB)
    assert run.codes() == ["SQS301"]
    # Without the handler's `except` the prefilter says no at once; without the helper's work, too.
    quiet = WITHOUT_DB.replace("    except Exception as error:\n        logging.error('logout: %s', error)\n",
                               "    finally:\n        logging.error('logout')\n")
    assert flake8("--select", "SQS301", "--stdin-display-name", "panel/account.py", "-", cwd=project,
                  stdin=quiet).codes() == []
    no_work = ACTIVITY.replace("    db.session.add(entry)\n    db.session.commit()\n", "    print(entry)\n")
    (project / "panel" / "activity.py").write_text(no_work, encoding="utf-8")
    assert flake8("--select", "SQS301", "panel/account.py", cwd=project).codes() == []
