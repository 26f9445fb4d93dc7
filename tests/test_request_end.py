"""SQS301 on a helper of Flask-SQLAlchemy's `db.session`: quiet only when every caller is read and
ends its request without touching the session (`rules/request_end.py`).

The `flask_helpers` project holds the shape (its markers are checked by test_projects.py); here
each variant of it changes one thing that must bring the finding back, or must not.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from conftest import inside_project, sqs301_at, sqs301_at_sizes

from flake8_sqla_session.checker import check
from flake8_sqla_session.settings import Settings

PROJECT = Path(__file__).resolve().parent / "projects" / "flask_helpers"
RENAME_HANDLERS = [(19, 4), (21, 4)]  # `rename`'s two handlers in panel/utils/users.py


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(PROJECT, tmp_path / "flask_helpers")
    with inside_project(tmp_path / "flask_helpers", monkeypatch) as root:
        yield root


def rename_findings(root: Path) -> list[tuple[int, int]]:
    path = root / "panel" / "utils" / "users.py"
    source = path.read_text(encoding="utf-8")
    findings = check(ast.parse(source), Settings(), str(path), source)
    return [(f.line, f.col) for f in findings if f.code == "SQS301" and (f.line, f.col) in RENAME_HANDLERS]


def add(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def test_the_project_as_it_is_is_quiet_on_the_helper(project: Path) -> None:
    assert rename_findings(project) == []


@pytest.mark.parametrize(
    "relative, text",
    [
        # functions that run after the view, before Flask-SQLAlchemy removes the session
        ("panel/hooks.py", "from panel import app\n\n@app.after_request\ndef seen(response):\n    return response\n"),
        ("panel/hooks.py", "def install(app):\n    app.teardown_appcontext(close_all)\n"),
        # a teardown function that works through the session before it goes
        ("panel/hooks.py", "from panel import app\nfrom panel.extensions import db\n\n@app.teardown_appcontext\n"
                           "def done(exception=None):\n    db.session.commit()\n"),
        ("panel/hooks.py", "from flask import after_this_request\n\ndef later():\n    after_this_request(log)\n"),
        # Flask-Session saving the request's session through the same database session
        ("panel/config.py", "SESSION_TYPE = 'sqlalchemy'\n"),
        ("panel/config.py", "SESSION_SQLALCHEMY = db\n"),
        # a caller that is not a view: what runs after it is not read
        ("panel/jobs.py", "from panel.utils import users\n\ndef nightly():\n    users.rename(1, 'x')\n"),
        # a view that goes on to read an attribute (which may load through the failed session)
        (
            "panel/more.py",
            "from flask import Blueprint, jsonify\nfrom panel.utils.users import rename\n\n"
            "bp = Blueprint('m', __name__)\n\n@bp.route('/m')\ndef m():\n    messages = rename(1, 'x')\n"
            "    return jsonify(name=current_user.name)\n",
        ),
        # a view that calls it inside an expression: what surrounds the call is not read
        (
            "panel/more.py",
            "from flask import Blueprint, jsonify\nfrom panel.utils import users\n\nbp = Blueprint('m', __name__)\n\n"
            "@bp.route('/m')\ndef m():\n    return jsonify(users.rename(1, 'x'))\n",
        ),
        # a command that goes on with the session after it
        (
            "panel/cli.py",
            "import click\nfrom panel.models import User\nfrom panel.utils import users\n\n@click.command()\n"
            "def rename_admin():\n    users.rename(1, 'admin')\n    print(User.query.count())\n",
        ),
        # called through the package that re-exports it, by a view that goes on
        (
            "panel/more.py",
            "from flask import Blueprint\nfrom panel import utils\nfrom panel.models import User\n\n"
            "bp = Blueprint('m', __name__)\n\n@bp.route('/m')\ndef m():\n    utils.rename(1, 'x')\n"
            "    return str(User.query.count())\n",
        ),
        # a name a star import may bring
        (
            "panel/more.py",
            "from flask import Blueprint\nfrom panel.utils.users import *\n\nbp = Blueprint('m', __name__)\n\n"
            "def job():\n    rename(1, 'x')\n",
        ),
        # the helper handed on, not called: who calls it cannot be told
        ("panel/more.py", "from panel.utils.users import rename\n\nHANDLERS = {'rename': rename}\n"),
        # a view that calls it inside a `with` block
        (
            "panel/more.py",
            "from flask import Blueprint\nfrom panel.utils import users\n\nbp = Blueprint('m', __name__)\n\n"
            "@bp.route('/m')\ndef m():\n    with lock:\n        users.rename(1, 'x')\n    return ''\n",
        ),
    ],
    ids=["after_request", "teardown", "committing-teardown", "after_this_request", "flask-session",
         "flask-session-db", "not-a-view", "attribute-after", "inside-expression", "command-goes-on", "re-exported",
         "star-import", "handed-on", "in-with"],
)
def test_what_brings_the_finding_back(project: Path, relative: str, text: str) -> None:
    add(project, "panel/utils/__init__.py", "from .users import rename\n")  # `panel.utils.rename`
    add(project, relative, text)
    assert rename_findings(project) == RENAME_HANDLERS


@pytest.mark.parametrize(
    "relative, text",
    [
        # the tests' own hooks and calls do not run in production
        ("tests/conftest.py", "from panel import app\n\n@app.after_request\ndef seen(response):\n    return 1\n"),
        ("tests/test_users.py", "from panel.utils import users\n\ndef test_rename():\n    users.rename(1, 'x')\n"),
        # a bare word in a comment or a string is not a hook
        ("panel/notes.py", "# no after_request hook here\nTEXT = \"SESSION_TYPE\"\n"),
        ("panel/config.py", "SESSION_TYPE = 'filesystem'\n"),
        # a view returning the helper's value ends its request too
        (
            "panel/more.py",
            "from flask import Blueprint\nfrom panel.utils import users\n\nbp = Blueprint('m', __name__)\n\n"
            "@bp.post('/m')\ndef m():\n    return users.rename(1, 'x')\n",
        ),
        # a command-line command that calls it last: the process ends with it
        (
            "panel/cli.py",
            "import click\nfrom panel.utils import users\n\n@click.command()\n@click.argument('name')\n"
            "def rename_admin(name):\n    messages = users.rename(1, name)\n    click.echo('done')\n",
        ),
        # called through the package that re-exports it, by a view that only answers
        (
            "panel/more.py",
            "from flask import Blueprint, jsonify\nfrom panel.utils import rename\n\n"
            "bp = Blueprint('m', __name__)\n\n@bp.route('/m')\ndef m():\n    done = rename(1, 'x')\n"
            "    return jsonify(done)\n",
        ),
        # another module's function of the same name is another function
        ("panel/other.py", "def rename(a, b):\n    pass\n\ndef job():\n    rename(1, 2)\n"),
        # a teardown function that only removes the session, as Flask-SQLAlchemy's own does (iris-web)
        ("panel/hooks.py", "from panel import app\nfrom panel.extensions import db\n\n@app.teardown_appcontext\n"
                           "def shutdown_session(exception=None):\n    db.session.remove()\n"),
    ],
    ids=["test-hook", "test-caller", "comment-and-string", "filesystem-sessions", "return-from-view", "command",
         "re-exported", "namesake", "removing-teardown"],
)
def test_what_leaves_it_quiet(project: Path, relative: str, text: str) -> None:
    add(project, "panel/utils/__init__.py", "from .users import rename\n")
    add(project, relative, text)
    assert rename_findings(project) == []


REPLIES = (
    "import json\n\nfrom flask import current_app as app\n\n\n"
    "def response_error(msg, data=None, status=400):\n"
    "    rsp = {'status': 'error', 'message': msg, 'data': data if data is not None else []}\n"
    "    return app.response_class(response=json.dumps(rsp, cls=AlchemyEncoder), status=status,\n"
    "                              mimetype='application/json')\n"
)
REPLYING_VIEW = (
    "from flask import Blueprint\nfrom panel.replies import response_error\nfrom panel.utils import users\n\n"
    "bp = Blueprint('m', __name__)\n\n@bp.post('/m')\ndef m():\n    messages = users.rename(1, 'x')\n"
    "    return response_error('failed', status=409)\n"
)


def test_a_view_that_answers_through_a_project_reply_builder_is_quiet(project: Path) -> None:
    """`return response_error('failed')`, a project function that builds the reply from what it
    is handed (iris-web's): handed text, it cannot reach the failed session."""
    add(project, "panel/replies.py", REPLIES)
    add(project, "panel/more.py", REPLYING_VIEW)
    assert rename_findings(project) == []


@pytest.mark.parametrize(
    ("replies", "view"),
    [
        # the builder reads the database
        (REPLIES.replace("'data': data", "'count': User.query.count(), 'data': data"), REPLYING_VIEW),
        # it is handed an object, which its encoder may read attributes of
        (REPLIES, REPLYING_VIEW.replace("status=409", "data=messages")),
        # a decorated builder may do anything around it
        (REPLIES.replace("def response_error", "@cached\ndef response_error"), REPLYING_VIEW),
    ],
    ids=["builder-queries", "handed-an-object", "decorated-builder"],
)
def test_what_brings_it_back_through_a_reply_builder(project: Path, replies: str, view: str) -> None:
    add(project, "panel/replies.py", replies)
    add(project, "panel/more.py", view)
    assert rename_findings(project) == RENAME_HANDLERS


OWN_HANDLER = (
    "from flask import Blueprint\nfrom panel import app\nfrom panel.extensions import db\n"
    "from panel.models import User\nfrom panel.replies import response_error\n\nbp = Blueprint('m', __name__)\n\n"
    "@bp.post('/m')\ndef m():\n    try:\n        db.session.add(User(name='x'))\n        db.session.commit()\n"
    "    except Exception as e:\n        app.logger.exception(e)\n        return response_error(str(e))\n"
    "    return str(User.query.count())\n"
)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        # the view's own handler logs through the app's logger and answers: what follows the
        # `try` does not run after it
        (OWN_HANDLER, []),
        # the handler falls through to the query below
        (OWN_HANDLER.replace("        return response_error(str(e))\n", ""), [(14, 4)]),
        # a `finally` around it queries on the way out
        (OWN_HANDLER.replace("    try:\n        db.session.add", "    try:\n     try:\n        db.session.add")
         .replace("    except Exception as e:\n        app", "     except Exception as e:\n        app")
         .replace("    return str(User", "    finally:\n        User.query.count()\n    return str(User"),
         [(15, 5)]),
        # the handler counts the rows of a model's query: iterating it queries the failed session
        (OWN_HANDLER.replace("        return response_error", "        rows = len(list(User.query))\n"
                             "        return response_error"), [(14, 4)]),
        # the traceback's text logged, the error's text by its method, a dict of text for the reply
        (OWN_HANDLER.replace("import Blueprint\n", "import Blueprint\nimport traceback\n")
         .replace("app.logger.exception(e)", "app.logger.error(traceback.format_exc()); app.logger.error(e.__str__())")
         .replace("response_error(str(e))", "response_error('failed', data={'Error': f'{e}'})"), []),
        (OWN_HANDLER.replace("Blueprint\n", "Blueprint, jsonify\n")
         .replace("return response_error(str(e))", "return jsonify({'error': str(e), 'data': [repr(e)]})"), []),
        # a view defined in the function that makes its blueprint (SecureDrop's `make_blueprint`)
        (OWN_HANDLER.replace("bp = Blueprint('m', __name__)\n\n@bp.post('/m')\ndef m():\n",
                             "def make_blueprint():\n  bp = Blueprint('m', __name__)\n\n  @bp.post('/m')\n  def m():\n")
         .replace("\n    ", "\n      "), []),
        # a plain function there, which is no view: its callers are not read
        (OWN_HANDLER.replace("bp = Blueprint('m', __name__)\n\n@bp.post('/m')\ndef m():\n",
                             "def make_blueprint():\n  bp = Blueprint('m', __name__)\n\n  def m():\n")
         .replace("\n    ", "\n      "), [(14, 6)]),
        # it goes on to a redirect to a part of a page: text made of text
        (OWN_HANDLER.replace("Blueprint\n", "Blueprint, flash, redirect, url_for\n")
         .replace("        return response_error(str(e))\n", "        flash('failed')\n")
         .replace("    return str(User.query.count())\n", "    return redirect(url_for('m') + '#part')\n"), []),
        # ... whose URL formats an object of the session
        (OWN_HANDLER.replace("Blueprint\n", "Blueprint, flash, redirect, url_for\n")
         .replace("        return response_error(str(e))\n", "        flash('failed')\n")
         .replace("    return str(User.query.count())\n", "    return redirect(url_for('m', user=u) + '#part')\n")
         .replace("    try:\n", "    u = User.query.first()\n    try:\n"), [(15, 4)]),
        # the reply is handed the error object, or an attribute of it
        (OWN_HANDLER.replace("response_error(str(e))", "response_error('failed', data={'Error': e})"), [(14, 4)]),
        (OWN_HANDLER.replace("Blueprint\n", "Blueprint, jsonify\n")
         .replace("return response_error(str(e))", "return jsonify({'error': e.orig})"), [(14, 4)]),
        # in a loop: the handler's `return` leaves it (iris-web's `alerts_routes.py:470`)
        (OWN_HANDLER.replace("    try:\n", "    for name in ('x', 'y'):\n     try:\n")
         .replace("    except Exception as e:\n", "     except Exception as e:\n"), []),
        # ... but one that falls through goes on to the next round, on the failed session
        (OWN_HANDLER.replace("    try:\n", "    for name in ('x', 'y'):\n     try:\n")
         .replace("    except Exception as e:\n", "     except Exception as e:\n")
         .replace("        return response_error(str(e))\n", ""), [(15, 5)]),
        # ... and in a `with`, the block's exit runs after the `return`
        (OWN_HANDLER.replace("    try:\n", "    with lock:\n     try:\n")
         .replace("    except Exception as e:\n", "     except Exception as e:\n"), [(15, 5)]),
        # the commit of a transaction of `db.session` (iris-web's `session = db.session.begin_nested()`)
        (OWN_HANDLER.replace("    try:\n        db.session.add(User(name='x'))\n        db.session.commit()\n",
                             "    session = db.session.begin_nested()\n    try:\n        session.commit()\n"), []),
        # ... whose handler falls through to a query
        (OWN_HANDLER.replace("    try:\n        db.session.add(User(name='x'))\n        db.session.commit()\n",
                             "    session = db.session.begin_nested()\n    try:\n        session.commit()\n")
         .replace("        return response_error(str(e))\n", ""), [(14, 4)]),
        # ... or of a name bound to something else too
        (OWN_HANDLER.replace("    try:\n        db.session.add(User(name='x'))\n        db.session.commit()\n",
                             "    session = db.session.begin_nested()\n    if x:\n        session = other()\n"
                             "    try:\n        session.commit()\n"), [(16, 4)]),
    ],
    ids=["answers", "falls-through", "finally-queries", "answer-iterates-a-query", "traceback-and-dict-of-text",
         "jsonify-dict-of-text", "view-of-a-blueprint-factory", "helper-in-a-blueprint-factory", "url-for-a-part",
         "url-for-an-object",
         "dict-holds-the-error", "jsonify-an-attribute", "returns-from-a-loop", "falls-through-in-a-loop",
         "returns-from-a-with", "nested-transaction", "nested-transaction-falls-through", "rebound-transaction"],
)
def test_a_views_own_handler_that_answers(project: Path, view: str, expected: list[tuple[int, int]]) -> None:
    add(project, "panel/replies.py", REPLIES)
    add(project, "panel/more.py", view)
    assert sqs301_at(project, "panel/more.py") == expected


LOOKUP = (
    "from panel.extensions import db\nfrom panel.models import User\n\n\n"
    "def find(user_id):\n"
    "    try:\n"
    "        user = User.query.get(user_id)\n"
    "        user.seen = True\n"
    "        db.session.commit()\n"
    "    except Exception as e:\n"
    "        return None, str(e)\n"
    "    return user, ''\n"
)
LOOKUP_HANDLER = [(10, 4)]
LOOKUP_VIEW = (
    "import logging\n\n"
    "from flask import Blueprint, jsonify, request\n"
    "from panel.models import User\n"
    "from panel.replies import response_error\n"
    "from panel.lookup import find\n\n"
    "logger = logging.getLogger(__name__)\n"
    "bp = Blueprint('l', __name__)\n\n\n"
    "@bp.get('/l')\n"
    "def show():\n"
    "    args = request.args.to_dict()\n"
    "    wanted = args.get('id')\n"
    "    user, error = find(wanted)\n"
    "    if user is None:\n"
    "        logger.error('cannot find {}'.format(wanted))\n"
    "        logger.error(error)\n"
    "        return response_error(error)\n"
    "    return jsonify(name=user.name, count=User.query.count())\n"
)
# iris-web's shape: the view goes past a test that is false on the helper's path, then answers.
SKIPPING_VIEW = LOOKUP_VIEW.replace(
    "    if user is None:\n        logger.error('cannot find {}'.format(wanted))\n        logger.error(error)\n"
    "        return response_error(error)\n    return jsonify(name=user.name, count=User.query.count())\n",
    "    if user is not None:\n        return jsonify(name=user.name, count=User.query.count())\n"
    "    return response_error(error)\n",
)


@pytest.mark.parametrize(
    ("lookup", "view", "expected"),
    [
        # The helper hands back `(None, text)`; the view tests it at once, logs and answers with the
        # text (iris-web's `datastore_filter_tree`): on the handler's path the view reads nothing else.
        (LOOKUP, LOOKUP_VIEW, []),
        # ... or goes past a test that is false on that path, and answers (iris-web's
        # `if not has_error: ...` then `return response_error(logs)`)
        (LOOKUP, SKIPPING_VIEW, []),
        # a value alone (`return None`; iris-web's `get_filtered_users`)
        (LOOKUP.replace("return None, str(e)", "return None").replace("return user, ''", "return user"),
         LOOKUP_VIEW.replace("user, error = find", "user = find").replace("        logger.error(error)\n", "")
         .replace("response_error(error)", "response_error('no such user')"), []),
        # a harmless statement between the call and its test
        (LOOKUP, LOOKUP_VIEW.replace("    if user is None:\n", "    shown = 1\n    if user is None:\n"), []),
        # The test is not one the helper's value answers: the view may go on to read the user.
        (LOOKUP, LOOKUP_VIEW.replace("if user is None:", "if error == 'gone':"), LOOKUP_HANDLER),
        # The text is the error object: logging it, or answering with it, formats it.
        (LOOKUP.replace("return None, str(e)", "return None, e"), LOOKUP_VIEW, LOOKUP_HANDLER),
        # The view binds the name again before it tests it.
        (LOOKUP, LOOKUP_VIEW.replace("    if user is None:\n", "    user = User.query.first()\n    if user is None:\n"),
         LOOKUP_HANDLER),
        # A query between the call and the test runs on the failed session.
        (LOOKUP,
         LOOKUP_VIEW.replace("    if user is None:\n", "    total = User.query.count()\n    if user is None:\n"),
         LOOKUP_HANDLER),
        # What the view logs is not the request's data but an object of the session.
        (LOOKUP, LOOKUP_VIEW.replace("wanted = args.get('id')", "wanted = User.query.first()"), LOOKUP_HANDLER),
        # The test is true but the body goes on (no return): what follows runs.
        (LOOKUP, LOOKUP_VIEW.replace("        return response_error(error)\n", ""), LOOKUP_HANDLER),
        # The test that is false has an `else`, which runs: it is not read with the value in mind.
        (LOOKUP,
         SKIPPING_VIEW.replace("    return response_error(error)\n",
                               "    else:\n        user = User.query.first()\n    return response_error(error)\n"),
         LOOKUP_HANDLER),
        # More harmless statements between the call and its test than are read with the value in mind.
        (LOOKUP, LOOKUP_VIEW.replace("    if user is None:\n", "    shown = 1\n" * 13 + "    if user is None:\n"),
         LOOKUP_HANDLER),
    ],
    ids=["tested-at-once", "false-test-passed", "value-alone", "harmless-between", "test-not-answered",
         "error-object", "bound-again", "query-between", "logs-an-object", "body-goes-on", "else-runs",
         "too-far"],
)
def test_a_view_that_tests_what_the_helper_hands_back(
    project: Path, lookup: str, view: str, expected: list[tuple[int, int]]
) -> None:
    """A helper's handler returns a value (`return None, str(e)`), and the view tests it: on the
    handler's path it only runs what that test leads to (`rules/request_end.py`,
    `_ends_on_sentinel`)."""
    add(project, "panel/replies.py", REPLIES)
    add(project, "panel/lookup.py", lookup)
    add(project, "panel/lookups.py", view)
    assert sqs301_at(project, "panel/lookup.py") == expected


def test_a_views_own_handler_may_log_the_requests_data(project: Path) -> None:
    """`request.args.get("q")`, `request.get_json()["name"]`: text and JSON values, which a log line
    formats without reaching the database; an object of the session would not be."""
    view = OWN_HANDLER.replace("Blueprint\n", "Blueprint, request\n").replace(
        "        app.logger.exception(e)\n",
        "        wanted = request.get_json()['name']\n"
        "        app.logger.error(f'{wanted}: {request.args.get(\"q\")}')\n",
    )
    add(project, "panel/replies.py", REPLIES)
    add(project, "panel/more.py", view)
    assert sqs301_at(project, "panel/more.py") == []
    more = view.replace("request.get_json()['name']", "User.query.first()")
    (project / "panel" / "more.py").write_text(more, encoding="utf-8")
    assert sqs301_at(project, "panel/more.py") == [(14, 4)]


def test_a_helper_nobody_calls_is_reported(project: Path) -> None:
    views = project / "panel" / "views.py"
    text = views.read_text(encoding="utf-8")
    views.write_text(text.replace("users.rename(", "users.renamed("), encoding="utf-8")
    assert rename_findings(project) == RENAME_HANDLERS


def test_a_helper_that_files_the_error_object_is_reported(project: Path) -> None:
    """`messages["error"].append(except_msg)`: the view's `jsonify()` then raises on the object, and
    the error page renders through the failed session (its context processors may query)."""
    helpers = project / "panel" / "utils" / "users.py"
    text = helpers.read_text(encoding="utf-8")
    helpers.write_text(text.replace('append(str(except_msg))', 'append(except_msg)', 1), encoding="utf-8")
    assert rename_findings(project) == RENAME_HANDLERS[:1]  # the other handler files a format of it


def test_a_handler_formatting_an_item_of_a_list_of_objects_is_reported(project: Path) -> None:
    """`"Error: {err}".format(err=listed[0])`, `listed` holding a `User`: formatting it runs the
    model's `__str__`, which may load an expired attribute through the failed session."""
    helpers = project / "panel" / "utils" / "users.py"
    text = helpers.read_text(encoding="utf-8")
    text = text.replace("    user.name = name\n", "    user.name = name; listed = [user]\n", 1)
    text = text.replace('"Error: {err}".format(err=except_msg)', '"Error: {err}".format(err=listed[0])', 1)
    helpers.write_text(text, encoding="utf-8")
    assert rename_findings(project) == RENAME_HANDLERS[1:]


def test_an_expression_too_deep_to_read_keeps_the_finding(project: Path) -> None:
    """After the error, a message built of two thousand `+`: reading it would recurse past
    Python's limit; the handler is reported, and nothing raises."""
    helpers = project / "panel" / "utils" / "users.py"
    text = helpers.read_text(encoding="utf-8")
    deep = " + ".join(["'x'"] * 2000)
    helpers.write_text(text.replace("    return messages\n", f"    note = {deep}\n    return messages\n", 1),
                       encoding="utf-8")
    assert rename_findings(project) == RENAME_HANDLERS


def test_the_editor_buffer_is_read_as_it_is(project: Path) -> None:
    """The checked module is read from the text given, not from disk: a view added in the buffer
    that queries after calling the helper brings the finding back before the file is saved."""
    path = project / "panel" / "utils" / "users.py"
    source = path.read_text(encoding="utf-8") + (
        "\n\nfrom flask import Blueprint\nbp = Blueprint('u', __name__)\n\n"
        "@bp.route('/u')\ndef u():\n    rename(1, 'x')\n    return User.query.count()\n"
    )
    findings = check(ast.parse(source), Settings(), str(path), source)
    assert [(f.line, f.col) for f in findings if (f.line, f.col) in RENAME_HANDLERS] == RENAME_HANDLERS


def helpers_and_views(n: int) -> str:
    """n helpers (each with two swallowing handlers), each called by a view, and one whose `try` has
    2n handlers and n statements after it, called by n views; every view ends harmlessly, so every
    helper is read to its callers."""
    head = (
        "import sqlalchemy\nfrom flask import Blueprint, jsonify\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
        "db = SQLAlchemy()\nbp = Blueprint('b', __name__)\n\n"
    )
    handlers = (
        "    except sqlalchemy.exc.OperationalError as e:\n        messages['error'].append(str(e))\n"
        "    except Exception as e:\n        messages['error'].append(str(e))\n"
    )
    helpers = "".join(
        f"def helper{i}(x):\n    messages = {{'error': []}}\n    try:\n        db.session.commit()\n{handlers}"
        "    return messages\n\n"
        for i in range(n)
    )
    many = (
        "def many(x):\n    messages = {'error': []}\n    try:\n        db.session.commit()\n" + handlers * n
        + "".join(f"    messages['error'].append({i})\n" for i in range(n)) + "    return messages\n\n"
    )
    views = "".join(
        f"@bp.route('/{i}')\ndef view{i}():\n    messages = helper{i}(1)\n    return jsonify(messages=messages)\n\n"
        f"@bp.route('/many/{i}')\ndef many{i}():\n    more = many({i})\n    return jsonify(more=more)\n\n"
        for i in range(n)
    )
    return head + helpers + many + views


def test_cost_grows_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAKE8_SQLA_SESSION_CACHE_DIR", "off")
    (small, few), (large, many) = sqs301_at_sizes(tmp_path, "app.views", helpers_and_views)
    assert few == many == 0  # every helper was read to its views: the work the count measures
    assert large / small < 10, (small, large)


def sentinel_helpers_and_views(n: int) -> str:
    """One helper whose n handlers each hand back a different value, called by n views that each
    test it and answer, or go on with the session when it is 0: each value is read through every
    view only for the first few (`sentinels.MAX_VALUES`), so the cost stays linear."""
    handlers = "".join(
        f"    except sqlalchemy.exc.SQLAlchemyError as e:\n        return {i}, str(e)\n" for i in range(n)
    )
    helper = "def lookup(x):\n    try:\n        db.session.commit()\n" + handlers + "    return 0, ''\n\n"
    views = "".join(
        f"@bp.route('/{i}')\ndef view{i}():\n    code, error = lookup({i})\n    if code:\n"
        "        return jsonify(error=error)\n    return jsonify(done=db.session.execute('x'))\n\n"
        for i in range(n)
    )
    return (
        "import sqlalchemy\nfrom flask import Blueprint, jsonify\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
        "db = SQLAlchemy()\nbp = Blueprint('b', __name__)\n\n" + helper + views
    )


def test_cost_of_what_helpers_hand_back_grows_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAKE8_SQLA_SESSION_CACHE_DIR", "off")
    (small, few), (large, many) = sqs301_at_sizes(tmp_path, "app.views", sentinel_helpers_and_views)
    # The first values are read through every view, which answers: quiet; the rest are asked
    # about as unknown values, and a view that may go on keeps them.
    assert 0 < few < 10 and 0 < many < 80
    assert large / small < 10, (small, large)


# ---- zeeguu's shape (fresh19): a module's alias of `db.session`, project reply builders that
# call one another and set the reply's status, a project logger, the view's URL values ----------

ERRORS = (
    "import json\n\nimport flask\nimport sentry_sdk\nfrom flask import jsonify\n\n"
    "logger = flask.logging.default_handler\n\n\n"
    "def log(msg):\n    \"\"\"Log at INFO.\"\"\"\n    logger.info(msg)\n\n\n"
    "def report(e):\n    log(f'#### Exception: {e}')\n    sentry_sdk.capture_exception(e)\n\n\n"
    "def make_error(status_code, message):\n    response = jsonify({'message': message})\n"
    "    response.status_code = status_code\n    return response\n\n\n"
    "def bad_request(msg):\n    return make_error(400, msg)\n\n\n"
    "def json_result(dictionary, status=200):\n    text = json.dumps(dictionary, cls=Encoder)\n"
    "    return flask.Response(text, status=status, mimetype='application/json')\n"
)
ALIASED_VIEW = (
    "from flask import Blueprint, request\n\nfrom panel.endpoints import db_session\nfrom panel.errors import "
    "bad_request, log\nfrom panel.models import User\n\nbp = Blueprint('a', __name__)\n\n\n"
    "@bp.route('/add_user/<email>', methods=['POST'])\ndef add_user(email):\n    name = request.form.get('name')\n"
    "    try:\n        db_session.add(User(name=name))\n        db_session.commit()\n        return 'ok'\n"
    "    except Exception as e:\n        from panel.errors import report\n\n        log(f'failed for {email}')\n"
    "        report(e)\n        return bad_request(str(e))\n"
)
ALIASED_HANDLER = [(17, 4)]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # the shape as it is: `db_session` is `db.session`, and the handler logs and answers
        ({}, []),
        # a teardown that removes the session first, then only prints
        ({"panel/hooks.py": "import sys\n\nfrom panel import app\nfrom panel.extensions import db\n\n\n"
                            "@app.teardown_request\ndef end(exception=None):\n    try:\n        db.session.remove()\n"
                            "    except RuntimeError:\n        pass\n    if exception:\n"
                            "        print(exception, file=sys.stderr)\n"}, []),
        # the reply set up from a project builder, a field of it set, JSON text in a reply
        ({"panel/endpoints/accounts.py": ALIASED_VIEW.replace("bad_request, log", "json_result, log").replace(
            "        return bad_request(str(e))\n",
            "        resp = json_result({'error': 'failed', 'email': email})\n        resp.status_code = 500\n"
            "        return resp\n")}, []),
        ({"panel/endpoints/accounts.py": ALIASED_VIEW.replace("from flask import Blueprint,", "import json\n\n"
                                                              "from flask import Blueprint, Response,").replace(
            "        return bad_request(str(e))\n",
            "        text = json.dumps({'error': 'failed'})\n        return Response(text, status=500)\n")}, []),
        # what brings it back: a view parameter that no URL variable fills (a decorator's object)
        ({"panel/endpoints/accounts.py": ALIASED_VIEW.replace("'/add_user/<email>'", "'/add_user'")},
         ALIASED_HANDLER),
        # ... a name of `session` of something else than Flask-SQLAlchemy's `db`
        ({"panel/endpoints/__init__.py": "from panel.other import registry\n\ndb_session = registry.session\n"},
         ALIASED_HANDLER),
        # ... a reply builder that reads an attribute of what it is handed
        ({"panel/errors.py": ERRORS.replace("return make_error(400, msg)", "return make_error(400, msg.user)")},
         ALIASED_HANDLER),
        # ... a "logger" that does something else too
        ({"panel/errors.py": ERRORS.replace("    logger.info(msg)\n", "    logger.info(msg)\n    audit(msg)\n")},
         ALIASED_HANDLER),
        # ... a teardown that prints before it removes the session (what runs before may be anything)
        ({"panel/hooks.py": "from panel import app\nfrom panel.extensions import db\n\n\n"
                            "@app.teardown_request\ndef end(exception=None):\n    note(exception)\n"
                            "    db.session.remove()\n"}, ALIASED_HANDLER),
        # ... a teardown whose first statement ends nothing (`pass`) before it works
        ({"panel/hooks.py": "from panel import app\nfrom panel.extensions import db\n\n\n"
                            "@app.teardown_request\ndef end(exception=None):\n    pass\n"
                            "    db.session.commit()\n    db.session.remove()\n"}, ALIASED_HANDLER),
        # ... a field set on what an unknown function made
        ({"panel/endpoints/accounts.py": ALIASED_VIEW.replace(
            "        return bad_request(str(e))\n",
            "        resp = build(e)\n        resp.status_code = 500\n        return 'failed'\n")},
         ALIASED_HANDLER),
    ],
    ids=["as-it-is", "teardown-removes-first", "reply-field-set", "json-text-reply", "parameter-not-in-url",
         "session-of-another-object", "builder-reads-an-attribute", "logger-does-more", "teardown-works-first",
         "teardown-passes-first", "field-of-an-unknown-value"],
)
def test_a_view_answering_through_a_modules_alias_of_the_session(
    project: Path, files: dict[str, str], expected: list[tuple[int, int]]
) -> None:
    alias = "from panel.extensions import db\n\ndb_session = db.session\n"
    add(project, "panel/endpoints/__init__.py", files.pop("panel/endpoints/__init__.py", alias))
    add(project, "panel/errors.py", files.pop("panel/errors.py", ERRORS))
    add(project, "panel/endpoints/accounts.py", files.pop("panel/endpoints/accounts.py", ALIASED_VIEW))
    for relative, text in files.items():
        add(project, relative, text)
    assert sqs301_at(project, "panel/endpoints/accounts.py") == expected
