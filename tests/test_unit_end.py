"""SQS301 on a session that a framework hands to a function and closes after it: a FastAPI route's
`Depends(get_db)` session and an aiogram handler's middleware session (`rules/unit_end.py`).

Each test builds a small project whose pieces are spread over modules as applications spread
them (the dependency and its `Annotated` alias in `api/deps.py`, the routes in `api/routes.py`;
the middleware in `bot/middlewares.py`, the handler in `bot/handlers/pay.py`, registered by
`bot/handlers/register.py`), then changes one thing that must bring the finding back.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest
from conftest import flake8, inside_project, write
from conftest import sqs301_at as findings
from conftest import sqs301_at_sizes

from flake8_sqla_session.checker import check
from flake8_sqla_session.knowledge.project import Stats
from flake8_sqla_session.settings import Settings

FILES = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "api/__init__.py": "",
    "api/deps.py": (
        "from typing import Annotated\n\nfrom fastapi import Depends\nfrom sqlalchemy.orm import Session\n\n"
        "from api.db import SessionLocal\n\n\ndef get_db():\n    with SessionLocal() as session:\n"
        "        yield session\n\n\nSessionDep = Annotated[Session, Depends(get_db)]\n"
    ),
    "api/routes.py": (
        "from fastapi import APIRouter, Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
        "from sqlalchemy.orm import Session\n\nfrom api.deps import SessionDep, get_db\n\n"
        "router = APIRouter()\n\n\n@router.post('/items')\n"
        "def create_item(name: str, db: Session = Depends(get_db)):\n    db.add(Item(name=name))\n"
        "    try:\n        db.commit()\n    except SQLAlchemyError:\n        return {'ok': False}\n"
        "    return {'ok': True}\n\n\n@router.delete('/items/{key}')\n"
        "def remove_item(key: int, session: SessionDep):\n    try:\n        session.execute(drop(key))\n"
        "        session.commit()\n    except SQLAlchemyError:\n        return {'ok': False}\n"
        "    return {'ok': True}\n"
    ),
    "bot/__init__.py": "",
    "bot/middlewares.py": (
        "from aiogram import BaseMiddleware\n\nfrom bot.db import factory\n\n\n"
        "class DbMiddleware(BaseMiddleware):\n    async def __call__(self, handler, event, data):\n"
        "        async with factory() as db:\n            data['db'] = db\n"
        "            return await handler(event, data)\n"
    ),
    "bot/handlers/__init__.py": "",
    "bot/handlers/pay.py": (
        "from aiogram import types\nfrom sqlalchemy.exc import SQLAlchemyError\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
        "async def pay(callback: types.CallbackQuery, db: AsyncSession):\n    try:\n"
        "        await charge(db, callback.from_user.id)\n        await db.commit()\n"
        "    except SQLAlchemyError:\n        await callback.answer('failed')\n"
    ),
    "bot/handlers/register.py": (
        "from aiogram import Dispatcher, F\n\n\ndef register_handlers(dp: Dispatcher):\n"
        "    from .pay import pay\n\n    dp.callback_query.register(pay, F.data == 'pay')\n"
    ),
}
ROUTES = [(15, 4), (25, 4)]  # the handlers of create_item and remove_item in api/routes.py
PAY = [(10, 4)]  # the handler of pay in bot/handlers/pay.py


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    write(tmp_path / "shop", FILES)
    with inside_project(tmp_path / "shop", monkeypatch) as root:
        yield root


def test_the_project_as_it_is_is_quiet(project: Path) -> None:
    assert findings(project, "api/routes.py") == []
    assert findings(project, "bot/handlers/pay.py") == []


def test_flake8_from_the_project_root_and_through_stdin_is_quiet(project: Path) -> None:
    run = flake8("--isolated", "--select", "SQS", ".", cwd=project)
    assert (run.exit_code, run.out) == (0, "")
    source = (project / "bot/handlers/pay.py").read_text(encoding="utf-8")
    run = flake8("--isolated", "--select", "SQS", "--stdin-display-name", "bot/handlers/pay.py", "-",
                 cwd=project, stdin=source)
    assert (run.exit_code, run.out) == (0, "")


@pytest.mark.parametrize(
    "files",
    [
        # a middleware that hands every update one module-level session under the same key
        {"bot/shared.py": (
            "from aiogram import BaseMiddleware\n\n\nclass Shared(BaseMiddleware):\n"
            "    async def __call__(self, handler, event, data):\n        data['db'] = SESSION\n"
            "        return await handler(event, data)\n"
        )},
        # not registered, and called by a function that goes on with the session
        {
            "bot/handlers/register.py": "def register_handlers(dp):\n    pass\n",
            "bot/handlers/replay.py": "from .pay import pay\n\n\nasync def replay(callbacks, db):\n"
            "    for callback in callbacks:\n        await pay(callback, db)\n",
        },
        # another function of the same name is registered, not this one: a use of its name that
        # only the words of the file show, which may be this one
        {"bot/handlers/register.py": FILES["bot/handlers/register.py"].replace(".pay", ".other")},
    ],
    ids=["a-shared-session-middleware", "called-in-a-loop", "another-function-registered"],
)
def test_what_brings_the_handler_back(project: Path, files: dict[str, str]) -> None:
    write(project, files)
    assert findings(project, "bot/handlers/pay.py") == PAY


@pytest.mark.parametrize(
    "files",
    [
        # registered only by a test
        {
            "bot/handlers/register.py": "def register_handlers(dp):\n    pass\n",
            "tests/test_register.py": FILES["bot/handlers/register.py"].replace(".pay", "bot.handlers.pay"),
        },
    ],
    ids=["registered-by-a-test"],
)
def test_a_handler_nothing_registers_nor_calls_is_quiet(project: Path, files: dict[str, str]) -> None:
    """Not known to be aiogram's handler, and called by nothing in the project but its tests: who
    calls it, and what it does with the session after, cannot be read."""
    write(project, files)
    assert findings(project, "bot/handlers/pay.py") == []


def test_the_handler_goes_on_with_the_session(project: Path) -> None:
    write(project, {"bot/handlers/pay.py": FILES["bot/handlers/pay.py"] + "    await db.refresh(callback)\n"})
    assert findings(project, "bot/handlers/pay.py") == PAY


def test_a_dependency_that_does_not_close_brings_the_routes_back(project: Path) -> None:
    write(project, {"api/deps.py": FILES["api/deps.py"].replace(
        "    with SessionLocal() as session:\n        yield session\n", "    yield SESSION\n"
    )})
    assert findings(project, "api/routes.py") == ROUTES


def test_a_route_that_goes_on_with_the_session_is_reported(project: Path) -> None:
    write(project, {"api/routes.py": FILES["api/routes.py"].replace(
        "        return {'ok': False}\n    return {'ok': True}\n\n\n@router.delete",
        "        pass\n    db.refresh(name)\n    return {'ok': True}\n\n\n@router.delete",
    )})
    assert findings(project, "api/routes.py") == ROUTES[:1]


def test_an_imported_alias_makes_a_session(project: Path) -> None:
    """`store: SessionDep`, the alias imported from the project: a session (whatever its name),
    reported where the function is not a route (here a helper that goes on with it)."""
    write(project, {"api/helpers.py": (
        "from sqlalchemy.exc import SQLAlchemyError\n\nfrom api.deps import SessionDep\n\n\n"
        "def touch(store: SessionDep, key):\n    try:\n        store.execute(bump(key))\n"
        "    except SQLAlchemyError:\n        pass\n    return store.get(Item, key)\n"
    )})
    assert findings(project, "api/helpers.py") == [(9, 4)]


# ---- helpers whose every caller ends the unit -------------------------------------------------

HELPER = (
    "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
    "async def grant(db: AsyncSession, user_id: int):\n    try:\n        await add_days(db, user_id)\n"
    "        await db.commit()\n    except SQLAlchemyError:\n        return False\n    return True\n"
)
GRANT = [(9, 4)]  # the handler of grant in bot/services/grants.py
CALLER = (
    "from aiogram import types\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
    "from bot.services.grants import grant\n\n\n"
    "async def give(callback: types.CallbackQuery, db: AsyncSession):\n    await callback.answer('...')\n"
    "    ok = await grant(db, callback.from_user.id)\n    await callback.answer('done' if ok else 'failed')\n"
)
REGISTER_GIVE = (
    "from aiogram import F\n\n\ndef register_handlers(dp):\n    from .pay import pay\n    from .give import give\n\n"
    "    dp.callback_query.register(pay, F.data == 'pay')\n    dp.callback_query.register(give, F.data == 'give')\n"
)


@pytest.fixture
def helper(project: Path) -> Path:
    write(project, {
        "bot/services/__init__.py": "", "bot/services/grants.py": HELPER, "bot/handlers/give.py": CALLER,
        "bot/handlers/register.py": REGISTER_GIVE,
    })
    return project


def test_a_helper_whose_every_caller_ends_the_unit_is_quiet(helper: Path) -> None:
    assert findings(helper, "bot/services/grants.py") == []


def test_a_helper_followed_through_a_helper_of_the_handler(helper: Path) -> None:
    """give -> _do_give -> grant: two helpers up to the registered handler."""
    write(helper, {"bot/handlers/give.py": CALLER.replace(
        "    ok = await grant(db, callback.from_user.id)\n    await callback.answer('done' if ok else 'failed')\n",
        "    await _do_give(db, callback)\n\n\nasync def _do_give(session, callback):\n"
        "    return await grant(session, callback.from_user.id)\n",
    )})
    assert findings(helper, "bot/services/grants.py") == []


@pytest.mark.parametrize(
    "caller",
    [
        # the caller goes on with the session after the call
        CALLER + "    await db.refresh(callback)\n",
        # the call is in a loop: the next round uses the failed session
        CALLER.replace("    ok = await grant(db, callback.from_user.id)\n",
                       "    for user in users:\n        ok = await grant(db, user)\n"),
        # the session is handed on under another name than the caller's parameter
        CALLER.replace("await grant(db, ", "await grant(db.sync_session, "),
        # a use of the helper that is not a call
        CALLER + "    later(grant)\n",
        # the caller is not a handler nor such a helper: a function that goes on with the session
        # calls it
        CALLER.replace("async def give(", "async def not_registered(")
        + "\n\nasync def replay(callbacks, db):\n    for callback in callbacks:\n"
        "        await not_registered(callback, db)\n",
        # called through an alias of an import the project's roots do not place (SurfSense's
        # `record as record_video`): the words of the file still show a use
        "from backend.bot.services.grants import grant as give_days\n\n\nasync def replay(db, users):\n"
        "    for user in users:\n        await give_days(db, user)\n",
    ],
    ids=["used-after", "in-a-loop", "another-name", "not-a-call", "caller-not-owned", "unplaced-alias"],
)
def test_what_brings_the_helper_back(helper: Path, caller: str) -> None:
    write(helper, {"bot/handlers/give.py": caller})
    assert findings(helper, "bot/services/grants.py") == GRANT


@pytest.mark.parametrize(
    "files",
    [
        # nothing calls it
        {"bot/handlers/give.py": "", "bot/handlers/register.py": FILES["bot/handlers/register.py"]},
        # only a test calls it
        {"bot/handlers/give.py": "", "tests/test_grants.py": CALLER.replace("async def give", "async def t")},
        # imported and listed in `__all__`, never called: an API for another program
        {"bot/handlers/give.py": "", "bot/services/__init__.py": "from .grants import grant\n\n__all__ = ['grant']\n"},
        # its one caller is a function nothing calls in turn
        {"bot/handlers/give.py": CALLER.replace("async def give(", "async def not_registered(")},
    ],
    ids=["nobody", "only-a-test", "only-exported", "a-caller-nobody-calls"],
)
def test_a_helper_nobody_is_seen_calling_is_quiet(helper: Path, files: dict[str, str]) -> None:
    """Whether a caller goes on with the failed session cannot be read: quiet (seafevents' API
    functions, called by seahub)."""
    write(helper, files)
    assert findings(helper, "bot/services/grants.py") == []


def test_a_dependency_nobody_is_seen_calling_is_reported(helper: Path) -> None:
    """A FastAPI dependency's session is the route's too (`Depends(get_db)` is solved once per
    request): the route goes on with it, whoever the route is."""
    write(helper, {"bot/services/grants.py": (
        "from fastapi import Depends\nfrom sqlalchemy.exc import SQLAlchemyError\n"
        "from sqlalchemy.orm import Session\n\n"
        "def current_user(token: str, db: Session = Depends(get_db)):\n    try:\n        db.execute(touch(token))\n"
        "    except SQLAlchemyError:\n        return None\n    return token\n"
    )})
    assert findings(helper, "bot/services/grants.py") == [(8, 4)]


def test_the_project_is_read_once_for_every_helper(helper: Path) -> None:
    """n helpers in one module, each called by its own registered handler: one index of the
    project's identifiers answers who calls each, not one read of the folder per helper."""
    n = 12
    helpers = "".join(HELPER.split("\n\n\n", 1)[1].replace("grant", f"grant{i}") + "\n\n" for i in range(n))
    write(helper, {"bot/services/grants.py": HELPER.split("\n\n\n", 1)[0] + "\n\n\n" + helpers})
    caller = CALLER.split("\n\n\n", 1)[1]
    callers = "".join(caller.replace("give", f"give{i}").replace("grant", f"grant{i}") + "\n\n" for i in range(n))
    imports = "".join(f"from bot.services.grants import grant{i}\n" for i in range(n))
    registers = "".join(f"    dp.callback_query.register(give{i}, F.data == 'g{i}')\n" for i in range(n))
    write(helper, {
        "bot/handlers/give.py": "from aiogram import types\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n"
        + imports + "\n\n" + callers + "def register_handlers(dp):\n" + registers,
    })
    before = Stats.scans
    assert findings(helper, "bot/services/grants.py") == []
    assert Stats.scans - before <= 3  # the identifiers' index, the middlewares, the registrations


def test_the_words_of_each_file_are_read_once_for_every_helper_nobody_calls(helper: Path) -> None:
    """n helpers nobody calls, each imported by one module and listed in its package's `__all__`:
    each file's words are read once, not once per helper (which would cost n times the file)."""
    n = 12
    helpers = "".join(HELPER.split("\n\n\n", 1)[1].replace("grant", f"grant{i}") + "\n\n" for i in range(n))
    names = ", ".join(f"grant{i}" for i in range(n))
    write(helper, {
        "bot/services/grants.py": HELPER.split("\n\n\n", 1)[0] + "\n\n\n" + helpers,
        "bot/services/__init__.py": f"from .grants import ({names})\n\n__all__ = {[f'grant{i}' for i in range(n)]}\n",
        "bot/handlers/give.py": "",
    })
    before = Stats.word_reads
    assert findings(helper, "bot/services/grants.py") == []
    assert Stats.word_reads - before == 1  # bot/services/__init__.py, the one other file naming them


STARTUP = (
    "from bot.db import factory\nfrom bot.services.grants import grant\n\n\n"
    "async def startup():\n    async with factory() as db:\n        await grant(db, 0)\n"
)


def test_a_helper_whose_caller_opens_the_session_around_the_call_is_quiet(helper: Path) -> None:
    write(helper, {
        "bot/db.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\nfactory = async_sessionmaker()\n",
        "bot/handlers/give.py": "", "bot/startup.py": STARTUP,
    })
    assert findings(helper, "bot/services/grants.py") == []


_CLOSING_SCOPE = (
    "\n\n@asynccontextmanager\nasync def session_scope():\n    session = {maker}()\n    try:\n"
    "        yield session\n    finally:\n        await session.close()\n"
)


@pytest.mark.parametrize(
    "db",
    [
        # a project `@asynccontextmanager` that closes the session it yields: the block's end closes
        # the failed session as `factory()`'s would
        "from contextlib import asynccontextmanager\n\n"
        "from sqlalchemy.ext.asyncio import async_sessionmaker\n\nfactory = async_sessionmaker()\n"
        + _CLOSING_SCOPE.format(maker="factory"),
        # the same with a registry's session (`owned`): closing it at the block's end still ends
        # the failed transaction
        "from asyncio import current_task\nfrom contextlib import asynccontextmanager\n\n"
        "from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker\n\n"
        "registry = async_scoped_session(async_sessionmaker(), scopefunc=current_task)\n"
        + _CLOSING_SCOPE.format(maker="registry"),
    ],
    ids=["factory", "registry"],
)
def test_a_helper_whose_caller_opens_the_session_with_a_closing_context_manager_is_quiet(
    helper: Path, db: str
) -> None:
    """`async with session_scope() as db:` around the helper's call."""
    write(helper, {
        "bot/db.py": db,
        "bot/handlers/give.py": "",
        "bot/startup.py": STARTUP.replace("factory()", "session_scope()").replace(
            "import factory", "import session_scope"
        ),
    })
    assert findings(helper, "bot/services/grants.py") == []


def test_a_helper_called_in_a_loop_whose_rounds_each_open_the_session_is_quiet(helper: Path) -> None:
    """`for user in users: async with factory() as db: await grant(db, user)`: each round's
    block opens a session and closes it; the next round never meets the failed one."""
    write(helper, {
        "bot/db.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\nfactory = async_sessionmaker()\n",
        "bot/handlers/give.py": "",
        "bot/startup.py": STARTUP.replace(
            "    async with factory() as db:\n        await grant(db, 0)\n",
            "    for user in users:\n        async with factory() as db:\n            await grant(db, user)\n",
        ),
    })
    assert findings(helper, "bot/services/grants.py") == []


@pytest.mark.parametrize(
    "startup",
    [
        STARTUP + "        await db.commit()\n",  # the block goes on with the session
        # a loop inside the block: its next round uses the failed session
        STARTUP.replace(
            "        await grant(db, 0)\n", "        for user in users:\n            await grant(db, user)\n"
        ),
        STARTUP.replace("factory()", "registry()").replace("import factory", "import registry"),  # not fresh
    ],
    ids=["used-after-in-the-block", "a-loop-in-the-block", "a-registry-session"],
)
def test_what_brings_it_back_when_the_caller_opens_the_session(helper: Path, startup: str) -> None:
    write(helper, {
        "bot/db.py": "from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker\n\n"
        "factory = async_sessionmaker()\nregistry = async_scoped_session(factory, scopefunc=id)\n",
        "bot/handlers/give.py": "", "bot/startup.py": startup,
    })
    assert findings(helper, "bot/services/grants.py") == GRANT


def test_an_edited_signature_in_the_buffer_is_not_answered_from_the_file(helper: Path) -> None:
    """What the callers' files hold is kept for the process, keyed by the helper's parameters:
    an editor's buffer that moves the session to another position is read anew, not answered
    from what the file said (the callers now hand it a user's id)."""
    path = helper / "bot/services/grants.py"
    assert findings(helper, "bot/services/grants.py") == []
    buffer = HELPER.replace(
        "async def grant(db: AsyncSession, user_id: int):", "async def grant(user_id: int, db: AsyncSession):"
    )
    found = check(ast.parse(buffer), Settings(), str(path), buffer)
    assert [(f.line, f.col) for f in found if f.code == "SQS301"] == GRANT


# ---- sentinels: the helper's handler returns a value its callers test and leave on -----------

RENAME = (
    "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n\n"
    "def rename_user(db: Session, user_id: int, name: str):\n    try:\n        user = db.get(User, user_id)\n"
    "        user.name = name\n        db.commit()\n    except SQLAlchemyError as e:\n        return None, e\n"
    "    return user, None\n"
)
RENAMED = [(10, 4)]  # the handler of rename_user in api/users.py
ROUTE = (
    "from fastapi import APIRouter, Depends, HTTPException\nfrom sqlalchemy.orm import Session\n\n"
    "from api.deps import get_db\nfrom api.users import rename_user\n\nrouter = APIRouter()\n\n\n"
    "@router.put('/users/{user_id}')\ndef rename(user_id: int, name: str, db: Session = Depends(get_db)):\n"
    "    user, error = rename_user(db, user_id, name)\n    if error:\n        raise HTTPException(400)\n"
    "    db.refresh(user)\n    return user\n"
)


@pytest.fixture
def sentinel(project: Path) -> Path:
    write(project, {"api/users.py": RENAME, "api/user_routes.py": ROUTE})
    return project


def test_a_route_that_raises_on_the_helpers_error_is_quiet(sentinel: Path) -> None:
    """`user, error = rename_user(db, ...)` then `if error: raise HTTPException(400)`: on the
    handler's path (`return None, e`) the route leaves before it uses the session again, and
    its dependency closes it; what follows the test runs only when the helper succeeded."""
    assert findings(sentinel, "api/users.py") == []


@pytest.mark.parametrize(
    ("helper", "route"),
    [
        (RENAME, ROUTE.replace("if error:", "if user is None or not error:")),  # one true operand of `or`
        (RENAME, ROUTE.replace("if error:", "if not user and error is not None:")),
        # a whole-value sentinel tested in the `if` itself, with work that does not touch the session
        (RENAME.replace("return None, e", "return False").replace("return user, None", "return True"),
         ROUTE.replace("    user, error = rename_user(db, user_id, name)\n    if error:\n",
                       "    if not rename_user(db, user_id, name):\n        log.warning('failed')\n")
         .replace("db.refresh(user)", "user = db.get(User, user_id)")),
        # an f-string message, and a helper between the route and the helper: the middle one
        # returns a sentinel of its own on that path, which the route tests
        (RENAME.replace("return None, e", "return None, f'failed: {e}'"),
         ROUTE.replace("    user, error = rename_user(db, user_id, name)\n    if error:\n",
                       "    user = rename_checked(db, user_id, name)\n    if user is None:\n")
         .replace("from api.users import rename_user", "from api.users import rename_user\n\n\n"
                  "def rename_checked(db, user_id, name):\n    user, error = rename_user(db, user_id, name)\n"
                  "    if error:\n        return None\n    db.refresh(user)\n    return user")),
        # the handler's error is an instance it made (papermerge's `schema.Error(messages=[...])`),
        # and a helper between hands it on
        (RENAME.replace("        return None, e\n", "        error = schema.Error(messages=[str(e)])\n"
                        "        return None, error\n"),
         ROUTE.replace("    user, error = rename_user(db, user_id, name)\n",
                       "    user, error = rename_checked(db, user_id, name)\n")
         .replace("from api.users import rename_user", "from api.users import rename_user\n\n\n"
                  "def rename_checked(db, user_id, name):\n    user, error = rename_user(db, user_id, name)\n"
                  "    if error:\n        log.warning('failed')\n        return None, error\n    return user, None")),
    ],
    ids=["or", "and", "tested-in-the-if", "through-a-helper", "an-error-instance-handed-on"],
)
def test_more_tests_that_leave_on_the_sentinel(sentinel: Path, helper: str, route: str) -> None:
    write(sentinel, {"api/users.py": helper, "api/user_routes.py": route})
    assert findings(sentinel, "api/users.py") == []


@pytest.mark.parametrize(
    ("helper", "route"),
    [
        # the test is false on the handler's path: the route goes on to `db.refresh`
        (RENAME, ROUTE.replace("if error:", "if user:")),
        (RENAME, ROUTE.replace("if error:", "if not error:")),
        # the body does not leave
        (RENAME, ROUTE.replace("raise HTTPException(400)", "log.warning('failed')")),
        # something between the call and the test uses the session
        (RENAME, ROUTE.replace("    if error:\n", "    db.flush()\n    if error:\n")),
        # the body uses the session before it leaves
        (RENAME, ROUTE.replace("raise HTTPException(400)", "db.add(Log())\n        raise HTTPException(400)")),
        # what the handler returns cannot be told true (a message that may be empty)
        (RENAME.replace("return None, e", "return None, str(e)"), ROUTE),
        # an error a function makes (it may be anything), or one the handler binds twice
        (RENAME.replace("        return None, e\n", "        error = make_error(e)\n        return None, error\n"),
         ROUTE),
        (RENAME.replace("        return None, e\n", "        error = Error(e)\n        if e.orig:\n"
                        "            error = ''\n        return None, error\n"), ROUTE),
        # the handler does not return: the helper goes on to `return user, None`
        (RENAME.replace("return None, e", "log.exception('failed')"), ROUTE),
        # a `try` of the route holds the call: its `finally` runs on the way out
        (RENAME, ROUTE.replace(
            "    user, error = rename_user(db, user_id, name)\n    if error:\n        raise HTTPException(400)\n",
            "    try:\n        user, error = rename_user(db, user_id, name)\n        if error:\n"
            "            raise HTTPException(400)\n    finally:\n        db.refresh(user)\n",
        )),
        # the middle helper leaves with a value its route does not test
        (RENAME, ROUTE.replace("    user, error = rename_user(db, user_id, name)\n    if error:\n",
                               "    user = rename_checked(db, user_id, name)\n    if user:\n")
         .replace("from api.users import rename_user", "from api.users import rename_user\n\n\n"
                  "def rename_checked(db, user_id, name):\n    user, error = rename_user(db, user_id, name)\n"
                  "    if error:\n        return None\n    return user")),
    ],
    ids=["true-element", "negated", "body-goes-on", "use-before-the-test", "use-in-the-body", "str-of-error",
         "error-from-a-function", "error-bound-twice",
         "handler-falls-through", "finally-of-the-caller", "middle-value-untested"],
)
def test_what_brings_the_sentinel_back(sentinel: Path, helper: str, route: str) -> None:
    write(sentinel, {"api/users.py": helper, "api/user_routes.py": route})
    assert findings(sentinel, "api/users.py") == RENAMED


# ---- methods of a module-level class: a service object's callers ------------------------------

SERVICE = (
    "from sqlalchemy.exc import SQLAlchemyError\nfrom sqlalchemy.orm import Session\n\n\n"
    "class UserService:\n    def rename(self, db: Session, user_id: int, name: str):\n        try:\n"
    "            db.get(User, user_id).name = name\n            db.commit()\n        except SQLAlchemyError:\n"
    "            return False\n        return True\n\n\nuser_service = UserService()\n"
)
SERVICE_HANDLER = [(10, 8)]  # the handler of UserService.rename in api/services.py
SERVICE_ROUTE = (
    "from fastapi import APIRouter, Depends, HTTPException\nfrom sqlalchemy.orm import Session\n\n"
    "from api.deps import get_db\nfrom api.services import user_service\n\nrouter = APIRouter()\n\n\n"
    "@router.put('/users/{user_id}')\ndef rename(user_id: int, name: str, db: Session = Depends(get_db)):\n"
    "    ok = user_service.rename(db, user_id, name)\n    return {'ok': ok}\n"
)


@pytest.fixture
def service(project: Path) -> Path:
    write(project, {"api/services.py": SERVICE, "api/user_routes.py": SERVICE_ROUTE})
    return project


def test_a_service_method_whose_every_caller_ends_the_unit_is_quiet(service: Path) -> None:
    """`user_service.rename(db, ...)` is the route's last use of its session: the method's
    handler ends the unit as a module-level helper's would."""
    assert findings(service, "api/services.py") == []


RENAME_TWICE = SERVICE.replace(
    "\n\nuser_service", "\n\n    def rename_twice(self, db, user_id, name):\n"
    "        return self.rename(db, user_id, name + name)\n\n\nuser_service",
)


@pytest.mark.parametrize(
    ("services", "route"),
    [
        # tested at once, leaving on the handler's `False`: what follows runs on success only
        (SERVICE, SERVICE_ROUTE.replace(
            "    ok = user_service.rename(db, user_id, name)\n    return {'ok': ok}\n",
            "    if not user_service.rename(db, user_id, name):\n        raise HTTPException(400)\n"
            "    return db.get(User, user_id)\n",
        )),
        # through another method of the class, on `self`
        (RENAME_TWICE, SERVICE_ROUTE.replace("user_service.rename(db,", "user_service.rename_twice(db,")),
    ],
    ids=["sentinel", "through-self"],
)
def test_more_service_callers_that_end_the_unit(service: Path, services: str, route: str) -> None:
    write(service, {"api/services.py": services, "api/user_routes.py": route})
    assert findings(service, "api/services.py") == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # the route goes on with the session
        ({"api/user_routes.py": SERVICE_ROUTE.replace("    return {'ok': ok}\n",
                                                      "    db.refresh(user)\n    return {'ok': ok}\n")}, None),
        # another module's `.rename(...)` (whatever it is called on) does not end the unit
        ({"api/jobs.py": "def nightly(db):\n    for user in users:\n        user_service.rename(db, user.id, 'x')\n"},
         None),
        # called on the class, handing `self`: not a bound call
        ({"api/user_routes.py": SERVICE_ROUTE.replace(
            "user_service.rename(db,", "UserService.rename(user_service, db,"
        )}, None),
        # read, not called: it may be called anywhere
        ({"api/jobs.py": "from api.services import user_service\n\nHOOKS = [user_service.rename]\n"}, None),
        # decorated by something that may call it differently
        ({"api/services.py": SERVICE.replace("    def rename(", "    @retry\n    def rename(")}, [(11, 8)]),
        # a class nested in a function: its callers are not found by its name
        ({"api/services.py": SERVICE.split("\n\n\n")[0] + "\n\n\ndef make():\n" + "".join(
            "    " + line if line else "" for line in SERVICE.split("\n\n\n")[1].splitlines(True)
        ) + "\n    return UserService\n"}, [(11, 12)]),
    ],
    ids=["used-after", "another-caller-in-a-loop", "unbound", "not-called", "decorated", "nested-class"],
)
def test_what_brings_the_service_method_back(
    service: Path, files: dict[str, str], expected: list[tuple[int, int]] | None
) -> None:
    write(service, files)
    assert findings(service, "api/services.py") == (expected or SERVICE_HANDLER)


def test_a_service_method_nobody_is_seen_calling_is_quiet(service: Path) -> None:
    """`rename_twice` hands the session on to `rename`, and nothing calls `rename_twice`."""
    write(service, {"api/services.py": RENAME_TWICE, "api/user_routes.py": ""})
    assert findings(service, "api/services.py") == []


# ---- a session handed to a service the handler builds and drops ------------------------------


@pytest.mark.parametrize(
    ("pay", "expected"),
    [
        # a local service object: it dies with the handler, and nothing of it runs after
        (FILES["bot/handlers/pay.py"].replace(
            "        await charge(db, callback.from_user.id)\n",
            "        service = PaymentService(db)\n        await service.charge(callback.from_user.id)\n",
        ), []),
        # ... but a method of it called after the handler reaches the session
        (FILES["bot/handlers/pay.py"].replace(
            "        await charge(db, callback.from_user.id)\n",
            "        service = PaymentService(db)\n        await service.charge(callback.from_user.id)\n",
        ) + "    await service.audit()\n", [(11, 4)]),
        # ... and one no local name holds may have kept it anywhere
        (FILES["bot/handlers/pay.py"].replace(
            "        await charge(db, callback.from_user.id)\n",
            "        await PaymentService(db).charge(callback.from_user.id)\n",
        ), PAY),
        # ... or one the handler stores away, which takes the session along
        (FILES["bot/handlers/pay.py"].replace(
            "        await charge(db, callback.from_user.id)\n",
            "        service = PaymentService(db)\n        RUNNING.append(service)\n"
            "        await service.charge(callback.from_user.id)\n",
        ), [(12, 4)]),
        # ... but what is added to the session itself stays with it (`db.add(receipt)`)
        (FILES["bot/handlers/pay.py"].replace(
            "        await charge(db, callback.from_user.id)\n",
            "        receipt = make_receipt(db, callback.from_user.id)\n        db.add(receipt)\n",
        ), []),
    ],
    ids=["local-service", "service-used-after", "unnamed-service", "stored-service", "added-to-the-session"],
)
def test_a_session_handed_to_a_service_the_handler_builds(
    project: Path, pay: str, expected: list[tuple[int, int]]
) -> None:
    write(project, {"bot/handlers/pay.py": pay})
    assert findings(project, "bot/handlers/pay.py") == expected


def test_names_a_result_is_unpacked_to_are_values(helper: Path) -> None:
    """`ok, note = await grant(db, ...)` then `note.strip()`: the unpacked names are what the
    helper returned, not what holds the session."""
    write(helper, {"bot/handlers/give.py": CALLER.replace(
        "    ok = await grant(db, callback.from_user.id)\n    await callback.answer('done' if ok else 'failed')\n",
        "    ok, note = await grant(db, callback.from_user.id)\n    await callback.answer(note.strip())\n",
    )})
    assert findings(helper, "bot/services/grants.py") == []


def sentinel_routes(n: int) -> str:
    """One helper whose n handlers each hand back a different code, called by n routes that raise
    when it is true and go on with the session otherwise: each code is read through every route
    only for the first few (`sentinels.MAX_VALUES`), so the cost stays linear."""
    handlers = "".join(f"    except SQLAlchemyError as e:\n        return {i}, e\n" for i in range(n))
    routes = "".join(
        f"@router.put('/u{i}')\ndef route{i}(user_id: int, db: Session = Depends(get_db)):\n"
        "    code, error = rename_user(db, user_id)\n    if code:\n        raise HTTPException(400)\n"
        "    db.refresh(error)\n    return user_id\n\n\n"
        for i in range(n)
    )
    return (
        "from fastapi import APIRouter, Depends, HTTPException\nfrom sqlalchemy.exc import SQLAlchemyError\n"
        "from sqlalchemy.orm import Session, sessionmaker\n\nSessionLocal = sessionmaker()\nrouter = APIRouter()\n\n\n"
        "def get_db():\n    with SessionLocal() as session:\n        yield session\n\n\n"
        "def rename_user(db: Session, user_id: int):\n    try:\n        db.commit()\n" + handlers
        + "    return 0, None\n\n\n" + routes
    )


def test_cost_of_what_helpers_hand_back_grows_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAKE8_SQLA_SESSION_CACHE_DIR", "off")
    (small, few), (large, many) = sqs301_at_sizes(tmp_path, "api.users", sentinel_routes)
    # The code 0 goes on with the session, and so may the codes past the first few, asked about
    # as unknown: reported; the others raise: quiet.
    assert 0 < few < 10 and 0 < many < 80
    assert large / small < 10, (small, large)
