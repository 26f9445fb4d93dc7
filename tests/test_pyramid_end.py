"""SQS301 on a Pyramid view's own handler, on a session zope.sqlalchemy joins to the request's
transaction (`rules/request_end.py`): pyramid_tm ends that transaction when the view returns, and
zope.sqlalchemy closes the session with it; and a `try` made of `with transaction.manager:`
blocks, which abort the transaction on the way out.

Each test builds a small project, then changes one thing that must bring the finding back.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from conftest import sqs301_at as findings
from conftest import inside_project, write

MODELS = (
    "from sqlalchemy.orm import scoped_session, sessionmaker\nfrom zope.sqlalchemy import register\n\n"
    "DBSession = scoped_session(sessionmaker())\nregister(DBSession)\n"
)
VIEWS = (
    "from pyramid.httpexceptions import HTTPBadRequest\nfrom pyramid.view import view_config\n"
    "from sqlalchemy.exc import IntegrityError\n\nfrom shop.models import DBSession\n\n\n"
    "@view_config(route_name='create', renderer='json', request_method='POST')\ndef create(request):\n"
    "    try:\n        DBSession.add(Item(name=request.json_body['name']))\n        DBSession.flush()\n"
    "    except IntegrityError as e:\n        request.response.status = HTTPBadRequest.code\n"
    "        return {'error': str(e)}\n    return {'ok': True}\n"
)
VIEW_HANDLER = [(13, 4)]
LOADER = (
    "import transaction\nfrom sqlalchemy.exc import IntegrityError\n\nfrom shop.models import DBSession\n\n\n"
    "def load(rows):\n    try:\n        with transaction.manager:\n            for row in rows:\n"
    "                DBSession.add(Item(**row))\n            DBSession.flush()\n    except IntegrityError:\n"
    "        log.exception('not loaded')\n"
    "    return DBSession.query(Item).count()\n"
)
LOADER_HANDLER = [(13, 4)]
FILES = {
    "setup.py": "from setuptools import setup\n\nsetup(name='shop', install_requires=['pyramid', 'pyramid_tm'])\n",
    "development.ini": "[app:main]\nuse = egg:shop\npyramid.includes =\n    pyramid_tm\n",
    "shop/__init__.py": "",
    "shop/models.py": MODELS,
    "shop/views.py": VIEWS,
    "shop/load.py": LOADER,
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    write(tmp_path / "shop", FILES)
    with inside_project(tmp_path / "shop", monkeypatch) as root:
        yield root


def test_the_project_as_it_is_is_quiet(project: Path) -> None:
    assert findings(project, "shop/views.py") == []
    assert findings(project, "shop/load.py") == []


@pytest.mark.parametrize(
    "files",
    [
        # nothing runs pyramid_tm: the transaction is not the request's
        {"setup.py": FILES["setup.py"].replace(", 'pyramid_tm'", ""), "development.ini": "[app:main]\n"},
        # the registry is not zope.sqlalchemy's
        {"shop/models.py": "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
                           "DBSession = scoped_session(sessionmaker())\n"},
        # the handler falls through to the rest of the view
        {"shop/views.py": VIEWS.replace("        return {'error': str(e)}\n", "")},
        # the view returns what the renderer reads after it (an object of the failed session)
        {"shop/views.py": VIEWS.replace("{'error': str(e)}", "{'error': str(e), 'item': item}")},
        # the handler reads an attribute of what may be an ORM object
        {"shop/views.py": VIEWS.replace("HTTPBadRequest.code", "item.status")},
        # not a view
        {"shop/views.py": VIEWS.replace("@view_config(route_name='create', renderer='json', request_method='POST')\n",
                                        "\n")},
        # a callback the project adds runs after views, inside the transaction
        {"shop/hooks.py": "def includeme(config):\n    config.add_tween('shop.tweens.audit')\n"},
    ],
    ids=["no-pyramid_tm", "not-zope", "falls-through", "returns-an-object", "reads-an-attribute", "not-a-view",
         "a-tween"],
)
def test_what_brings_the_view_back(project: Path, files: dict[str, str]) -> None:
    write(project, files)
    assert findings(project, "shop/views.py") == VIEW_HANDLER


@pytest.mark.parametrize(
    "files",
    [
        {"shop/models.py": "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
                           "DBSession = scoped_session(sessionmaker())\n"},
        # the `try` holds more than the `with transaction.manager:` block
        {"shop/load.py": LOADER.replace("    except IntegrityError:", "        DBSession.flush()\n"
                                        "    except IntegrityError:")},
    ],
    ids=["not-zope", "more-than-the-block"],
)
def test_what_brings_the_transaction_block_back(project: Path, files: dict[str, str]) -> None:
    write(project, files)
    expected = LOADER_HANDLER if "shop/models.py" in files else [(14, 4)]
    assert findings(project, "shop/load.py") == expected
