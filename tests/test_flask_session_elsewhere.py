"""SQS301 on Flask-SQLAlchemy's session when the checked module has no name of its own for it:
a function of another module works on it (`persons_service.count_active_users()`), or the
module reaches it as `db.session` through a project module `db` that binds `session =
db.session` (zeeguu's `zeeguu.core.model.db`).  It is still the request's (or the application
context's) session, which Flask-SQLAlchemy removes when that ends.

Each test writes a small Flask-SQLAlchemy project, shows the quiet shape, and changes one thing
that brings the finding back.
"""
from __future__ import annotations

from pathlib import Path

from conftest import forget_projects, write
from conftest import sqs301_at as findings

BASE = {
    "pyproject.toml": "[project]\nname = 'shop'\ndependencies = ['Flask-SQLAlchemy', 'psycopg2']\n",
    "shop/__init__.py": "",
    "shop/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
    "shop/models.py": (
        "from shop.extensions import db\n\n\nclass Person(db.Model):\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "    active = db.Column(db.Boolean)\n"
    ),
    "shop/persons.py": (
        "from shop.extensions import db\nfrom shop.models import Person\n\n\ndef count_active():\n"
        "    return Person.query.filter_by(active=True).count()\n\n\ndef deactivate(person):\n"
        "    person.active = False\n    db.session.commit()\n"
    ),
}


def test_a_class_based_views_handler_after_another_modules_work(tmp_path: Path) -> None:
    write(tmp_path, {**BASE, "shop/views.py": (
        "from flask.views import MethodView\nfrom sqlalchemy.exc import OperationalError\n\n"
        "from shop import persons\n\n\nclass ConfigCheck(MethodView):\n    def get(self):\n        report = {}\n"
        "        try:\n            report['active'] = persons.count_active()\n        except OperationalError:\n"
        "            report['active'] = None\n        return report\n"
    )})
    assert findings(tmp_path, "shop/views.py") == []
    # Not an HTTP method of the view: a helper whose callers are not read here.
    view = (tmp_path / "shop/views.py").read_text()
    write(tmp_path, {"shop/views.py": view.replace("def get(self)", "def load(self)")})
    forget_projects()
    assert findings(tmp_path, "shop/views.py") == [(12, 8)]


def test_a_command_whose_work_ran_in_a_request_context_it_left(tmp_path: Path) -> None:
    """pgAdmin's and privacyIDEA's commands: the helpers work on the session inside `with
    app.test_request_context():`, which the error leaves before the handler runs."""
    write(tmp_path, {**BASE, "shop/setup.py": (
        "from shop import persons\nfrom shop.app import create_app\n\n\ndef report():\n    try:\n"
        "        app = create_app()\n        with app.test_request_context():\n            persons.count_active()\n"
        "            persons.count_active()\n    except Exception as e:\n        print(e)\n"
    ), "shop/app.py": "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"})
    assert findings(tmp_path, "shop/setup.py") == []
    write(tmp_path, {"shop/setup.py": (tmp_path / "shop/setup.py").read_text().replace(
        "            persons.count_active()\n    except", "        persons.count_active()\n    except"
    )})
    forget_projects()
    assert findings(tmp_path, "shop/setup.py") == [(11, 4)]


def test_a_helpers_work_inside_an_application_context_of_its_own_is_not_the_callers(tmp_path: Path) -> None:
    jobs = (
        "from shop.extensions import db\nfrom shop.models import Person\n\n\ndef refresh(app):\n"
        "    with app.app_context():\n        Person.query.filter_by(active=False).delete()\n"
        "        db.session.commit()\n"
    )
    write(tmp_path, {**BASE, "shop/jobs.py": jobs, "shop/cron.py": (
        "from shop import jobs\n\n\ndef tick(app, rounds):\n    for _ in range(rounds):\n        try:\n"
        "            jobs.refresh(app)\n        except Exception:\n            pass\n"
    )})
    assert findings(tmp_path, "shop/cron.py") == []
    write(tmp_path, {"shop/jobs.py": jobs.replace("    with app.app_context():\n        ", "    ").replace(
        "        db.session", "    db.session"
    )})
    forget_projects()
    assert findings(tmp_path, "shop/cron.py") == [(8, 8)]


def test_an_integrity_handler_after_a_models_query_alone(tmp_path: Path) -> None:
    """A model's query writes nothing: `except IntegrityError` after it catches nothing of it."""
    write(tmp_path, {**BASE, "shop/cron.py": (
        "from sqlalchemy.exc import IntegrityError\n\nfrom shop import persons\n\n\ndef tick(rounds):\n"
        "    for _ in range(rounds):\n        try:\n            persons.count_active()\n"
        "        except IntegrityError:\n            pass\n"
    )})
    assert findings(tmp_path, "shop/cron.py") == []
    write(tmp_path, {"shop/cron.py": (tmp_path / "shop/cron.py").read_text().replace(
        "except IntegrityError", "except Exception"
    )})
    forget_projects()
    assert findings(tmp_path, "shop/cron.py") == [(10, 8)]


def test_db_session_of_a_project_module_that_binds_session(tmp_path: Path) -> None:
    """zeeguu's shape: `zeeguu/core/model/db.py` binds `db = SQLAlchemy()` and `session =
    db.session`; a view module does `db_session = zeeguu.core.model.db.session`, or uses
    `db.session` after `from zeeguu.core.model import db` (the module)."""
    files = {
        **BASE,
        "shop/db.py": "from shop.extensions import db\n\nsession = db.session\n",
        "shop/views.py": (
            "import flask\n\nimport shop.db\nfrom shop.models import Person\n\napp = flask.Flask(__name__)\n"
            "db_session = shop.db.session\n\n\n@app.route('/people/<int:key>', methods=['DELETE'])\ndef remove(key):\n"
            "    try:\n        db_session.delete(Person.query.get(key))\n        db_session.commit()\n"
            "    except Exception:\n        return 'no', 400\n    return 'ok'\n"
        ),
    }
    write(tmp_path, files)
    assert findings(tmp_path, "shop/views.py") == []
    # A name of that module bound to something else: not known to be the request's session.
    write(tmp_path, {"shop/db.py": "from shop.extensions import db\n\nsession = make_session()\n"})
    forget_projects()
    assert findings(tmp_path, "shop/views.py") == [(15, 4)]
