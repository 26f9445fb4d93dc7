"""SQS301 on a Flask-SQLAlchemy model's query (`User.query.filter_by(...).first()`): work on
`db.session` wherever the model is defined; a read alone is reported only where the project's
dependency files name a server database's driver.

The `flask_models` project holds the shape (its markers are checked by test_projects.py); here
each variant changes one thing that must bring the finding back, or must not.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from conftest import forget_projects, inside_project

from flake8_sqla_session.checker import check
from flake8_sqla_session.settings import Settings

PROJECT = Path(__file__).resolve().parent / "projects" / "flask_models"
LOOP_HANDLER = (12, 8)  # `rename_all`'s handler in shop/jobs.py


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    shutil.copytree(PROJECT, tmp_path / "flask_models", ignore=shutil.ignore_patterns("__pycache__"))
    with inside_project(tmp_path / "flask_models", monkeypatch) as root:
        yield root


def replace_in(path: Path, old: str, new: str) -> None:
    """Change the file at `path`: `old` (which must be there) becomes `new`."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def findings(root: Path, module: str = "jobs.py") -> list[tuple[int, int]]:
    path = root / "shop" / module
    source = path.read_text(encoding="utf-8")
    return [(f.line, f.col) for f in check(ast.parse(source), Settings(), str(path), source) if f.code == "SQS301"]


def test_the_project_as_it_is(project: Path) -> None:
    assert findings(project) == [LOOP_HANDLER]


def test_a_read_is_quiet_without_a_server_driver(project: Path) -> None:
    (project / "requirements.txt").write_text("Flask-SQLAlchemy==3.1.1\n", encoding="utf-8")
    assert findings(project) == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[project]\nname = "shop"\ndependencies = ["Flask-SQLAlchemy", "PyMySQL>=1.1"]\n'),
        ("setup.cfg", "[options]\ninstall_requires =\n    flask-sqlalchemy\n    mysqlclient\n"),
        ("Pipfile", '[packages]\nflask-sqlalchemy = "*"\nasyncpg = "*"\n'),
        ("requirements/production.txt", "psycopg[binary]==3.2\n"),
    ],
)
def test_each_dependency_file_names_a_driver(project: Path, name: str, text: str) -> None:
    (project / "requirements.txt").unlink()
    (project / name).parent.mkdir(exist_ok=True)
    (project / name).write_text(text, encoding="utf-8")
    assert findings(project) == [LOOP_HANDLER]


def test_a_driver_named_inside_another_word_is_not_one(project: Path) -> None:
    (project / "requirements.txt").write_text("flask-sqlalchemy\nnot-psycopg2-stubs\n", encoding="utf-8")
    assert findings(project) == []


def test_a_pending_change_is_reported_without_a_driver(project: Path) -> None:
    """The query's autoflush may flush what `add()` left pending: a failed flush on any backend."""
    (project / "requirements.txt").unlink()
    replace_in(project / "shop" / "jobs.py", "    for name in names:\n",
               "    db.session.add(Customer(name='audit'))\n    for name in names:\n")
    assert findings(project) == [(LOOP_HANDLER[0] + 1, LOOP_HANDLER[1])]


def test_a_model_imported_through_a_reexport(project: Path) -> None:
    (project / "shop" / "__init__.py").write_text("from shop.models import Customer\n", encoding="utf-8")
    replace_in(project / "shop" / "jobs.py", "from shop.models import Customer, Search",
               "from shop import Customer\nfrom shop.models import Search")
    assert findings(project) == [(LOOP_HANDLER[0] + 1, LOOP_HANDLER[1])]


def test_a_class_that_is_not_a_model(project: Path) -> None:
    replace_in(project / "shop" / "models.py", "class Base(db.Model):", "class Base:")
    assert findings(project) == []


def test_a_rollback_in_the_handler(project: Path) -> None:
    replace_in(project / "shop" / "jobs.py", '            logging.exception("lookup failed")',
               "            db.session.rollback()")
    assert findings(project) == []


# ---- a model's classmethods, run from another module (`Customer.find(name)`) ----------------

FINDER = (
    "\n\n    @classmethod\n    def find(cls, name):\n        return cls.query.filter_by(name=name).one()\n"
)
JOB = (
    "import logging\n\nfrom shop.models import Customer\n\n\ndef touch_all(names):\n    for name in names:\n"
    "        try:\n            Customer.{call}\n        except Exception:\n"
    "            logging.exception('lookup failed')\n"
)


def add_to_customer(project: Path, methods: str) -> None:
    replace_in(project / "shop" / "models.py", "    name = db.Column(db.String(80))\n",
               "    name = db.Column(db.String(80))\n" + methods)


def test_a_classmethod_that_runs_the_models_query(project: Path) -> None:
    add_to_customer(project, FINDER)
    (project / "shop" / "touch.py").write_text(JOB.format(call="find(name)"), encoding="utf-8")
    assert findings(project, "touch.py") == [(10, 8)]
    # A read: quiet where no server database's driver is named.
    (project / "requirements.txt").write_text("Flask-SQLAlchemy==3.1.1\n", encoding="utf-8")
    forget_projects()
    assert findings(project, "touch.py") == []


def test_get_or_create_writes_in_a_handler_of_no_database_error(project: Path) -> None:
    """`except NoResultFound:` catches no failed statement: what its handler commits leaves the
    classmethod when it fails, a write (reported without a driver too), and so does `cls.find`'s read,
    one call deeper."""
    (project / "requirements.txt").write_text("Flask-SQLAlchemy==3.1.1\n", encoding="utf-8")
    add_to_customer(project, FINDER + (
        "\n    @classmethod\n    def find_or_create(cls, name):\n        try:\n            found = cls.find(name)\n"
        "        except NoResultFound:\n            found = cls(name=name)\n            db.session.add(found)\n"
        "            db.session.commit()\n        return found\n"
    ))
    replace_in(project / "shop" / "models.py", "from flask_login import UserMixin\n",
               "from flask_login import UserMixin\nfrom sqlalchemy.orm.exc import NoResultFound\n")
    (project / "shop" / "touch.py").write_text(JOB.format(call="find_or_create(name)"), encoding="utf-8")
    assert findings(project, "touch.py") == [(10, 8)]
    # A handler that may catch a failed statement judges the work itself.
    replace_in(project / "shop" / "models.py", "except NoResultFound:", "except Exception:")
    forget_projects()
    assert findings(project, "touch.py") == []


def test_calls_between_a_models_methods_are_followed_three_deep(project: Path) -> None:
    chain = "".join(
        f"\n    @classmethod\n    def f{i}(cls, name):\n        return cls.f{i + 1}(name)\n" for i in range(4)
    ) + "\n    @classmethod\n    def f4(cls, name):\n        return cls.query.filter_by(name=name).one()\n"
    add_to_customer(project, chain)
    (project / "shop" / "touch.py").write_text(JOB.format(call="f1(name)"), encoding="utf-8")
    assert findings(project, "touch.py") == [(10, 8)]  # f1 -> f2 -> f3 -> f4
    (project / "shop" / "touch.py").write_text(JOB.format(call="f0(name)"), encoding="utf-8")
    forget_projects()
    assert findings(project, "touch.py") == []  # one call more: not followed


def test_db_imported_from_a_package_that_re_exports_it_over_its_submodule(project: Path) -> None:
    """`from shop import db`, where `shop/__init__.py` does `from shop.db import db` over the module
    `shop/db.py`: Python hands over the package's name, Flask-SQLAlchemy's `db`."""
    (project / "shop" / "extensions.py").rename(project / "shop" / "db.py")
    for name in ("jobs.py", "models.py"):
        replace_in(project / "shop" / name, "from shop.extensions import db", "from shop import db")
    (project / "shop" / "__init__.py").write_text("from shop.db import db\n", encoding="utf-8")
    assert findings(project) == [LOOP_HANDLER]
    # Without the package's own `db`, `from shop import db` is the module: its `.session` is nothing known.
    (project / "shop" / "__init__.py").write_text("", encoding="utf-8")
    forget_projects()
    assert findings(project) == []


def test_a_views_alias_of_the_session_names_a_helpers_work(project: Path) -> None:
    """A view that answers an error after a classmethod's write (`Customer.create(name)`) on the
    session it knows as `db_session`: the request's session, which the request's end removes."""
    add_to_customer(project, (
        "\n    @classmethod\n    def create(cls, name):\n        db.session.add(cls(name=name))\n"
        "        db.session.commit()\n"
    ))
    (project / "shop" / "views.py").write_text(
        "from flask import Flask\n\nfrom shop.extensions import db\nfrom shop.models import Customer\n\n"
        "app = Flask(__name__)\ndb_session = db.session\n\n\n@app.route('/customers/<name>', methods=['POST'])\n"
        "def add_customer(name):\n    try:\n        Customer.create(name)\n        db_session.commit()\n"
        "    except Exception:\n        return 'no', 400\n    return 'ok'\n",
        encoding="utf-8",
    )
    assert findings(project, "views.py") == []
    # The view goes on with the session after the handler: reported, by the alias's name.
    replace_in(project / "shop" / "views.py", "        return 'no', 400\n", "        pass\n")
    replace_in(project / "shop" / "views.py", "    return 'ok'\n", "    db_session.commit()\n    return 'ok'\n")
    forget_projects()
    assert findings(project, "views.py") == [(15, 4)]
