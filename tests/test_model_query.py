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
from conftest import inside_project

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
