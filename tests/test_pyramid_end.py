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


# What makes the session outlive the request: no pyramid_tm to end the transaction, or a
# registry that zope.sqlalchemy does not join to it.
NOT_THE_REQUESTS = [
    {"setup.py": FILES["setup.py"].replace(", 'pyramid_tm'", ""), "development.ini": "[app:main]\n"},
    {"shop/models.py": "from sqlalchemy.orm import scoped_session, sessionmaker\n\n"
                       "DBSession = scoped_session(sessionmaker())\n"},
]


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
        *NOT_THE_REQUESTS,
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


# The view's handler as lingvodoc writes it: the traceback as text, logged and returned, and the
# status it set read back.
TRACEBACK_HANDLER = (
    "        traceback_string = ''.join(traceback.format_exception(e, e, e.__traceback__))[:-1]\n"
    "        log.debug(traceback_string)\n"
    "        request.response.status = HTTPBadRequest.code\n"
    "        return {'status': request.response.status, 'traceback': traceback_string}\n"
)
TRACEBACK_VIEWS = "import logging\nimport traceback\n" + VIEWS.replace(
    "        request.response.status = HTTPBadRequest.code\n        return {'error': str(e)}\n", TRACEBACK_HANDLER
) + "\n\nlog = logging.getLogger(__name__)\n"


def test_a_handler_that_logs_and_returns_the_traceback_as_text_is_quiet(project: Path) -> None:
    write(project, {"shop/views.py": TRACEBACK_VIEWS})
    assert findings(project, "shop/views.py") == []


@pytest.mark.parametrize(
    "change",
    [
        # the traceback of something else than the caught error: a name of the module
        ("e.__traceback__", "state.__traceback__"),
        # a part of what may be an object's text
        ("''.join(traceback.format_exception(e, e, e.__traceback__))[:-1]", "str(item)[:-1]"),
        # the status of another object than the view's response
        ("'status': request.response.status", "'status': item.response.status"),
    ],
    ids=["other-traceback", "object-text", "other-status"],
)
def test_what_brings_the_traceback_handler_back(project: Path, change: tuple[str, str]) -> None:
    write(project, {"shop/views.py": TRACEBACK_VIEWS.replace(*change)})
    assert findings(project, "shop/views.py") == [(15, 4)]


# A GraphQL resolver: graphene runs it inside the view that executes the query, and pyramid_tm
# ends the request's transaction when that view returns.
ERRORS = (
    "class ResponseError(Exception):\n"
    "    def __init__(self, message, code=None, self_object=None):\n"
    "        super().__init__(message)\n        self.message = str(message)\n        self.code = code\n"
    "        if self_object:\n            self_object.ErrorHappened = True\n"
)
SCHEMA = (
    "import logging\nimport traceback\n\nimport graphene\n\n"
    "from shop.errors import ResponseError\nfrom shop.models import DBSession\n\n"
    "log = logging.getLogger(__name__)\n\n\n"
    "class CreateItem(graphene.Mutation):\n    triumph = graphene.Boolean()\n\n"
    "    @staticmethod\n    def mutate(root, info, name):\n"
    "        try:\n            DBSession.add(Item(name=name))\n            DBSession.flush()\n"
    "            return CreateItem(triumph=True)\n"
    "        except Exception as exception:\n"
    "            traceback_string = ''.join(traceback.format_exception(\n"
    "                exception, exception, exception.__traceback__))[:-1]\n"
    "            log.warning(traceback_string)\n"
    "            return ResponseError(message='Exception:\\n' + traceback_string)\n"
)
SCHEMA_HANDLER = [(21, 8)]


def test_a_graphql_resolver_that_returns_an_error_of_text_is_quiet(project: Path) -> None:
    write(project, {"shop/errors.py": ERRORS, "shop/schema.py": SCHEMA})
    assert findings(project, "shop/schema.py") == []
    write(project, {"shop/schema.py": SCHEMA.replace(
        "class CreateItem(graphene.Mutation):", "class Query(graphene.ObjectType):"
    ).replace("def mutate(root, info, name):", "def resolve_item(root, info, name):")})
    assert findings(project, "shop/schema.py") == []


@pytest.mark.parametrize(
    "files",
    [
        *NOT_THE_REQUESTS,
        # not graphene's class: a method that anything may call
        {"shop/schema.py": SCHEMA.replace("(graphene.Mutation)", "(object)")},
        # not a resolver's name
        {"shop/schema.py": SCHEMA.replace("def mutate(", "def apply(")},
        # the error's `__init__` does more than keep its arguments
        {"shop/errors.py": ERRORS.replace("        self.code = code\n", "        DBSession.add(Log(message))\n")},
        # not an error
        {"shop/errors.py": ERRORS.replace("(Exception)", "(Base)")},
        # an error whose project base does more when it is made
        {"shop/errors.py": "from shop.models import DBSession\n\n\nclass AuditedError(Exception):\n"
                           "    def __init__(self, message):\n        DBSession.add(Log(message))\n\n\n"
                           + ERRORS.replace("(Exception)", "(AuditedError)")},
        # what it returns may be an object of the failed session
        {"shop/schema.py": SCHEMA.replace("message='Exception:\\n' + traceback_string", "message=name, item=item")},
        # the handler falls through
        {"shop/schema.py": SCHEMA.replace("            return ResponseError(", "            ResponseError(")},
    ],
    ids=["no-pyramid_tm", "not-zope", "not-graphene", "not-a-resolver", "busy-init", "not-an-error", "busy-base",
         "returns-an-object", "falls-through"],
)
def test_what_brings_the_resolver_back(project: Path, files: dict[str, str]) -> None:
    write(project, {"shop/errors.py": ERRORS, "shop/schema.py": SCHEMA})
    write(project, files)
    assert findings(project, "shop/schema.py") == SCHEMA_HANDLER


# lingvodoc's `message(text)`: a project function that only makes text of what it is handed
# (the caller's file and line before it), so a view may return it.
UTILS = (
    "import traceback\n\n\ndef message(message):\n    \"\"\"The message, after the caller's place.\"\"\"\n"
    "    filename, line, function, statement = traceback.extract_stack()[-2]\n"
    "    return '{0}:{1}: {2}: {3}'.format(filename, line, function, message)\n"
)
MESSAGE_VIEWS = TRACEBACK_VIEWS.replace(
    "from shop.models import DBSession\n", "from shop.models import DBSession\nfrom shop.utils import message\n"
).replace(
    "{'status': request.response.status, 'traceback': traceback_string}", "{'error': message('\\n' + traceback_string)}"
)


def test_a_view_that_returns_text_a_project_function_made_is_quiet(project: Path) -> None:
    write(project, {"shop/utils.py": UTILS, "shop/views.py": MESSAGE_VIEWS})
    assert findings(project, "shop/views.py") == []


@pytest.mark.parametrize(
    "files",
    [
        # the function queries before it formats
        {"shop/utils.py": UTILS.replace("    filename, line,", "    count = DBSession.query(Log).count()\n"
                                        "    filename, line,")},
        # it hands back an object, not text
        {"shop/utils.py": UTILS.replace("return '{0}:{1}: {2}: {3}'.format(", "return Message(")},
        # it asks the stack about what it is handed (the function's own names are not constants)
        {"shop/utils.py": UTILS.replace("extract_stack()[-2]", "extract_stack(message)[-2]")},
        # it asks something else than the stack
        {"shop/utils.py": UTILS.replace("traceback.extract_stack()[-2]", "load_place()")},
        # a decorator may do anything with the call
        {"shop/utils.py": UTILS.replace("def message(", "@audited\ndef message(")},
        # it is handed what may be an object of the failed session
        {"shop/views.py": MESSAGE_VIEWS.replace("message('\\n' + traceback_string)", "message(item)")},
    ],
    ids=["queries", "returns-an-object", "stack-of-an-argument", "not-the-stack", "decorated", "handed-an-object"],
)
def test_what_brings_back_the_view_returning_made_text(project: Path, files: dict[str, str]) -> None:
    write(project, {"shop/utils.py": UTILS, "shop/views.py": MESSAGE_VIEWS})
    write(project, files)
    assert findings(project, "shop/views.py") == [(16, 4)]


# lingvodoc's resolvers: a name bound to text before the `try` (`language_str`), logged again in
# the handler.  Formatting what is already a `str` runs no object's `__str__`.
LANGUAGE_SCHEMA = SCHEMA.replace(
    "    def mutate(root, info, name):\n        try:\n",
    "    def mutate(root, info, name, ids):\n        language = '{0}/{1}'.format(ids[0], ids[1])\n        try:\n",
).replace(
    "            log.warning(traceback_string)\n",
    "            log.warning('create_item {0}: exception'.format(language))\n"
    "            log.warning(traceback_string)\n",
)


def test_a_resolver_that_logs_a_name_bound_to_text_is_quiet(project: Path) -> None:
    write(project, {"shop/errors.py": ERRORS, "shop/schema.py": LANGUAGE_SCHEMA})
    assert findings(project, "shop/schema.py") == []


@pytest.mark.parametrize(
    "binding",
    [
        "ids[0]",  # what it is handed may be an object
        "name + ids[0]",  # a sum is text only when both sides are
        "ids.label()",  # a method of what it is handed
        "'{0}'.format(ids[0]) if ids else ids",  # text on one branch only
    ],
    ids=["an-item", "a-sum-with-an-item", "a-method", "one-branch"],
)
def test_what_brings_back_the_resolver_logging_a_name(project: Path, binding: str) -> None:
    write(project, {"shop/errors.py": ERRORS, "shop/schema.py": LANGUAGE_SCHEMA.replace(
        "'{0}/{1}'.format(ids[0], ids[1])", binding
    )})
    assert findings(project, "shop/schema.py") == [(22, 8)]
