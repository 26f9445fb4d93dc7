"""The detection core costs linear time on every shape of code.

Each test generates a module of one shape at size n and at size 8n, runs every
rule on it, and compares two counts of work: the classification and walking
steps the core counts (`Context.steps`), and every look at a node's children
(`ast.iter_child_nodes`, which `ast.walk` and every walk of the core use), so
that a walk the core forgets to count is caught too.  A linear cost gives a
ratio near 8, a quadratic one near 64, and the exponential reassignment chains
of old would not finish at all.  No timing: the counts are exact and the same
on every machine.
"""
from __future__ import annotations

import ast
from typing import Callable, Iterator

import pytest

from flake8_sqla_session.checker import check
from flake8_sqla_session.context import Context
from flake8_sqla_session.rules import RULES
from flake8_sqla_session.settings import Settings

HEADER = (
    "from sqlalchemy import create_engine, select\n"
    "from sqlalchemy.orm import Session, sessionmaker\n"
    "from sqlalchemy.exc import IntegrityError\n"
    "SessionLocal = sessionmaker()\n"
)
LINEAR = 10.0  # allowed ratio of steps for 8n to steps for n (8 plus constant overheads)


def steps(source: str) -> tuple[int, int]:
    """(classification and walking steps, findings) of every rule on `source`."""
    tree = ast.parse(source)
    context = Context(tree, Settings(), "module.py")
    findings = [finding for rule in RULES for finding in rule.check(context)]
    return context.steps, len(findings)


def child_looks(source: str) -> int:
    """How many times building the context and running every rule on `source` asks a node for
    its children (`ast.iter_child_nodes`; `ast.walk` asks through it)."""
    tree = ast.parse(source)
    count = 0
    original = ast.iter_child_nodes

    def counting(node: ast.AST) -> Iterator[ast.AST]:
        nonlocal count
        count += 1
        return original(node)

    ast.iter_child_nodes = counting  # type: ignore[assignment]
    try:
        context = Context(tree, Settings(), "module.py")
        for rule in RULES:
            for _ in rule.check(context):
                pass
    finally:
        ast.iter_child_nodes = original
    return count


def called(function: str) -> str:
    """A caller that goes on with the session the helper `function` may leave failed: what makes
    the helper's swallowing handlers findings (a helper nothing calls is not reported)."""
    return f"\n\ndef run(session, *args):\n    {function}(session, *args)\n    session.commit()\n"


def reassigned_in_lines(n: int) -> str:
    body = "".join(f"    stmt = stmt.where(table.c.a{i} == filters[{i}])\n" for i in range(n))
    return HEADER + (
        "def search(session: Session, table, filters):\n    stmt = select(table)\n" + body
        + "    try:\n        return session.execute(stmt)\n    except Exception:\n        return None\n"
    ) + called("search")


def reassigned_in_branches(n: int) -> str:
    body = "".join(
        f"    if filters[{i}]:\n        query = query.filter(Model.a{i} == filters[{i}])\n" for i in range(n)
    )
    return HEADER + (
        "def search(session: Session, filters):\n    query = session.query(Model)\n" + body
        + "    try:\n        return query.all()\n    except Exception:\n        log()\n"
    )


def module_level_chain(n: int) -> str:
    body = "".join(f"query = query.filter(Model.a{i} == {i})\n" for i in range(n))
    return HEADER + "session = SessionLocal()\nquery = session.query(Model)\n" + body


def swaps(n: int) -> str:
    body = "".join("    t = a\n    a = b\n    b = t\n" for _ in range(n))
    return HEADER + (
        "def f():\n    a = Session(engine)\n    b = SessionLocal()\n" + body
        + "    try:\n        a.commit()\n        b.commit()\n    except Exception:\n        log()\n"
    )


def name_cycle(n: int) -> str:
    names = [f"s{i}" for i in range(n)]
    body = "".join(f"    {a} = {b}\n" for a, b in zip(names, names[1:] + names[:1]))
    body += "".join(f"    {a} = Session(engine)\n" for a in names)
    uses = "".join(f"        {a}.commit()\n" for a in names)
    return HEADER + "def f():\n" + body + "    try:\n" + uses + "    except Exception:\n        log()\n"


def nested_tries(n: int) -> str:
    lines = ["def f(session):"]
    for level in range(n):
        pad = "    " * (level + 1)
        lines += [f"{pad}try:", f"{pad}    session.execute(q{level})"]
    for level in reversed(range(n)):
        pad = "    " * (level + 1)
        lines += [f"{pad}except Exception:", f"{pad}    log({level})"]
    return HEADER + "\n".join(lines) + "\n" + called("f")


def _tries_in_handlers(n: int, handler: str, innermost: str) -> str:
    """Each `try` in the handler of the one before; each handler runs `handler` first."""
    lines = ["def f(session):"]
    for level in range(n):
        pad = "    " * (level + 1)
        lines += [f"{pad}try:", f"{pad}    session.execute(q{level})", f"{pad}except Exception:"]
        lines += [f"{pad}    {handler.format(level=level)}"]
    return HEADER + "\n".join(lines) + "\n" + "    " * (n + 1) + innermost + "\n" + called("f")


def tries_in_handlers(n: int) -> str:
    """Each handler swallowing its error."""
    return _tries_in_handlers(n, "log({level})", "pass")


def tidying_tries_in_handlers(n: int) -> str:
    """Each handler rolling back, the innermost re-raising."""
    return _tries_in_handlers(n, "session.rollback()", "raise")


def reported_tries_in_a_loop(n: int) -> str:
    """A loop of many `try` statements, each reported (each finding asks whether its fix is safe)."""
    body = "".join(
        f"        try:\n            session.execute(q{i})\n        except Exception:\n            log({i})\n"
        for i in range(n)
    )
    return HEADER + "def f(session, items):\n    for item in items:\n" + body


def integrity_handlers(n: int) -> str:
    """Many `try` statements whose handler catches IntegrityError (each asks for a savepoint)."""
    body = "".join(
        f"    try:\n        session.add(x{i})\n        session.flush()\n    except IntegrityError:\n        log({i})\n"
        for i in range(n)
    )
    return HEADER + "def f(session):\n" + body + called("f")


def sibling_tries(n: int) -> str:
    inner = "".join(
        f"        try:\n            session.execute(q{i})\n        except Exception:\n            log({i})\n"
        for i in range(n)
    )
    return HEADER + "def f(session):\n    try:\n" + inner + "    except Exception:\n        log()\n" + called("f")


def self_attributes(n: int) -> str:
    methods = "".join(f"    def m{i}(self):\n        self.a{i + 1} = self.a{i}\n" for i in range(n))
    methods += f"    def m{n}(self):\n        self.a0 = self.a{n}\n"  # and round again
    return HEADER + (
        "class Repo:\n    def __init__(self):\n        self.a0 = Session(engine)\n" + methods
        + f"    def save(self):\n        try:\n            self.a{n}.commit()\n        except Exception:\n"
        "            log()\n"
    )


def nested_functions(n: int) -> str:
    lines = []
    for level in range(n):
        pad = "    " * level
        lines += [f"{pad}def f{level}(session):", f"{pad}    s{level} = SessionLocal()"]
    pad = "    " * n
    lines += [f"{pad}try:", f"{pad}    session.commit()", f"{pad}except Exception:", f"{pad}    pass"]
    return HEADER + "\n".join(lines) + "\n"


def many_locals(n: int) -> str:
    body = "".join(f"    s{i} = Session(engine)\n    s{i}.add(x)\n    s{i}.commit()\n" for i in range(n))
    return HEADER + "def f():\n" + body


def many_engines(n: int) -> str:
    body = "".join(f"    e{i} = create_engine(url{i})\n    e{i}.connect()\n" for i in range(n))
    return HEADER + "def f():\n" + body


def nested_in_a_command(n: int) -> str:
    """Functions nested in a click command, each making an engine (each asks whether it runs in one)."""
    lines = ["import click", "", "@click.command()", "def f0():"]
    for level in range(1, n):
        pad = "    " * level
        lines += [f"{pad}e{level} = create_engine(url)", f"{pad}def f{level}():"]
    lines.append("    " * n + "pass")
    return HEADER + "\n".join(lines) + "\n"


def flask_commands(n: int) -> str:
    """Many `@app.cli.command()` functions (each asks whether the module imports Flask)."""
    body = "".join(
        f"@app.cli.command()\ndef c{i}():\n    s = Session(engine)\n    s.add(x)\n    s.commit()\n" for i in range(n)
    )
    return HEADER + "from flask import Flask\n" + "".join(f"import m{i}\n" for i in range(n)) + body


def handed_sessions(n: int) -> str:
    """Many `try` statements handing the session to functions of the module (each callee read once)."""
    helpers = "".join(f"def save{i}(session, x):\n    session.add(x)\n    session.flush()\n\n" for i in range(n))
    body = "".join(
        f"    try:\n        save{i % 4}(session, x)\n        save{i}(session, x)\n"
        "    except Exception:\n        log()\n"
        for i in range(n)
    )
    return HEADER + helpers + "def f(session, x):\n" + body


def engine_helpers(n: int) -> str:
    """Many helpers that return an engine, one of them rebinding its name n times, and their callers."""
    rebinds = "".join("    engine = create_engine(url)\n" for _ in range(n))
    helpers = f"def _engine0(url):\n{rebinds}    return engine\n\n" + "".join(
        f"def _engine{i}(url):\n    engine = create_engine(url)\n    return engine\n\n" for i in range(1, n)
    )
    callers = "".join(
        f"def use{i}(url):\n    e = _engine{i}(url)\n    with e.connect():\n        pass\n\n" for i in range(n)
    )
    return HEADER + helpers + callers


def global_session_helpers(n: int) -> str:
    """Many functions working on the module's shared session, and many `try` statements calling them
    (each function read once)."""
    helpers = "".join(f"def save{i}(x):\n    SESSION.add(x)\n    SESSION.commit()\n\n" for i in range(n))
    body = "".join(
        f"    try:\n        save{i % 4}(x)\n        save{i}(x)\n    except IntegrityError:\n        log()\n"
        for i in range(n)
    )
    return HEADER + "SESSION = Session(engine)\n" + helpers + "def f(x):\n" + body


def engines_handed_to_functions(n: int) -> str:
    """Many functions making an engine and handing it to functions of the module that open
    sessions on it in `with` blocks (each callee's uses read once)."""
    helpers = "".join(
        f"def seed{i}(engine, x):\n    with Session(engine) as s:\n        s.add(x)\n"
        f"    with engine.begin() as c:\n        c.execute(x)\n\n" for i in range(n)
    )
    callers = "".join(
        f"def setup{i}(url):\n    engine = create_engine(url)\n    seed{i % 4}(engine, 1)\n    seed{i}(engine, 2)\n\n"
        for i in range(n)
    )
    return HEADER + helpers + callers


def sessions_read_by_nested_functions(n: int) -> str:
    """Functions nested n deep, each with a session never closed that a function nested in it
    reads (each asks what reads its session from its own code only)."""
    lines = []
    for level in range(n):
        pad = "    " * level
        lines += [f"{pad}def f{level}():", f"{pad}    s{level} = Session(engine)",
                  f"{pad}    def g{level}():", f"{pad}        return s{level}.query(X).all()",
                  f"{pad}    g{level}()"]
    lines.append("    " * n + "pass")
    return HEADER + "\n".join(lines) + "\n"


def engines_on_a_self_attribute(n: int) -> str:
    """A class whose n methods each set `self.url` to a SQLite URL and make an engine on it (the
    attribute's assignments are read once)."""
    methods = "".join(
        f"    def m{i}(self, path):\n        self.url = 'sqlite:///%s' % path\n"
        f"        self.e{i} = create_engine(self.url)\n\n" for i in range(n)
    )
    return HEADER + "class Store:\n" + methods


def engines_returned_through_functions(n: int) -> str:
    """Functions that return an engine through a chain of n functions of the module, each with many
    returns, each called at module level, and a class whose instances n functions keep (each
    function's and the class's answer worked out once)."""
    chain = "def e0(url):\n    if url:\n        return create_engine(url)\n    return create_engine(URL)\n\n" + "".join(
        f"def e{i}(url):\n    if url:\n        return e{i - 1}(url)\n    return e{i - 1}(URL)\n\n" for i in range(1, n)
    )
    kept = "".join(f"E{i} = e{i}(URL)\n" for i in range(n))
    database = "class Database:\n    def __init__(self, url):\n        self.engine = create_engine(url)\n\n"
    makers = "".join(f"def db{i}(url):\n    d = Database(url)\n    x{i} = d\n    return x{i}\n\n" for i in range(n))
    return HEADER + chain + kept + database + makers


def engines_kept_through_local_names(n: int) -> str:
    """An engine passed through n local names assigned from each other and stored on a local object
    that is returned, and n functions doing so through three names (each name's loads read once)."""

    def make(name: str, count: int) -> str:
        names = "".join(f"    a{i + 1} = a{i}\n" for i in range(count))
        return (f"def {name}(url):\n    a0 = create_engine(url)\n{names}    app = App()\n"
                f"    app.engine = a{count}\n    return app\n\n")

    return HEADER + make("long", n) + "".join(make(f"make{j}", 3) for j in range(n))


def engines_returned_by_one_function(n: int) -> str:
    """One function with n returns of an engine, and n callers that keep it local (whether the
    function's result is kept is worked out once)."""
    returns = "".join(f"    if url == {i}:\n        return create_engine(url)\n" for i in range(n))
    callers = "".join(f"def use{i}(u):\n    e = make(u)\n    e.connect()\n\n" for i in range(n))
    return HEADER + f"def make(url):\n{returns}    return None\n\n" + callers


def engines_bound_to_one_local(n: int) -> str:
    """n engines bound in turn to one local that n statements read (the local is searched once)."""
    engines = "".join(f"    a{i} = create_engine(url)\n    b = a{i}\n" for i in range(n))
    reads = "".join(f"    c{j} = b\n" for j in range(n))
    return HEADER + f"def f(url):\n{engines}{reads}"


def tries_in_one_with_block(n: int) -> str:
    """n swallowing tries in one `with Session(...) as session:` block (where the session's name
    appears in the module is found once)."""
    tries = "".join(
        "        try:\n            session.add(x)\n            session.commit()\n"
        "        except IntegrityError:\n            log()\n" for _ in range(n)
    )
    return HEADER + "def f(engine, x):\n    with Session(engine) as session:\n" + tries


def guarded_tries_in_one_with_block(n: int) -> str:
    """n `x = None`, `try: x = session.get(...)`, `if x is None:` blocks in one `with` block that
    owns the session, the last of them leaving (what follows each handler is read by blocks, each
    block's statements listed once)."""
    tries = "".join(
        f"        a{i} = None\n        try:\n            a{i} = session.get(A, {i})\n"
        f"        except SQLAlchemyError:\n            log()\n        if a{i} is None:\n            reply({i})\n"
        for i in range(n)
    )
    return HEADER + "from sqlalchemy.exc import SQLAlchemyError\n" + (
        "def f():\n    with session_context() as session:\n" + tries + "        return\n"
    )


def tries_at_every_depth_of_a_with_block(n: int) -> str:
    """A swallowing `try` at each level of n nested `if` blocks in one `with` block that owns the
    session (the way out of each is read at most `flow.MAX_LEVELS` blocks up)."""
    lines = ["def f(c):", "    with session_context() as session:"]
    for level in range(n):
        pad = "    " * (level + 2)
        lines += [
            f"{pad}try:", f"{pad}    session.execute(q)", f"{pad}except SQLAlchemyError:", f"{pad}    log()",
            f"{pad}if c[{level}]:",
        ]
    lines.append("    " * (n + 2) + "pass")
    return HEADER + "from sqlalchemy.exc import SQLAlchemyError\n" + "\n".join(lines) + "\n"


def tries_in_a_main_block(n: int) -> str:
    """n swallowing tries in a script's main block (what follows each is read once for all)."""
    tries = "".join(
        f"    try:\n        session.execute(q{i})\n    except Exception:\n        print({i})\n" for i in range(n)
    )
    return HEADER + "if __name__ == '__main__':\n    session = SessionLocal()\n" + tries + "    print('done')\n"


def tries_in_one_route(n: int) -> str:
    """n swallowing tries in one FastAPI route whose session a closing dependency hands out, each
    handler returning (where the route names its session is read once for all of them)."""
    tries = "".join(
        "    try:\n        db.add(x)\n        db.commit()\n    except IntegrityError:\n        return None\n"
        for _ in range(n)
    )
    return HEADER + (
        "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\ndef get_db():\n"
        "    with SessionLocal() as session:\n        yield session\n\n@router.post('/x')\n"
        "def f(x, db: Session = Depends(get_db)):\n" + tries
    )


def views_answering_through_one_builder(n: int) -> str:
    """n Flask views whose handlers answer through one reply builder of n statements (the
    builder is read once for all of them, not once per view)."""
    builder = "def response_error(msg):\n" + "".join(f"    part{i} = msg\n" for i in range(n)) + (
        "    return jsonify(message=msg)\n\n"
    )
    views = "".join(
        f"@app.route('/v{i}')\ndef v{i}():\n    try:\n        db.session.commit()\n"
        "    except Exception as e:\n        return response_error(str(e))\n    return ''\n\n"
        for i in range(n)
    )
    return (
        "from flask import Flask, jsonify\nfrom flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
        "app = Flask(__name__)\n\n" + builder + views
    )


def tries_before_a_raise(n: int) -> str:
    """n swallowing tries in one block, each followed by a log line, and a `raise` at its end:
    what follows each `try` is read once for the block, not once per `try`."""
    body = "".join(
        "    try:\n        session.commit()\n    except Exception:\n        log.error('x')\n"
        "    log.error('next')\n"
        for _ in range(n)
    )
    return HEADER + "def f(session: Session):\n" + body + "    raise Boom()\n"


def tries_in_an_if_before_a_raise(n: int) -> str:
    """The same in an `if` block, with the `raise` after the `if`: whether each `try`'s block
    runs on to its end is read once for the block."""
    body = "".join(
        "        try:\n            session.commit()\n        except Exception:\n            log.error('x')\n"
        "        log.error('next')\n"
        for _ in range(n)
    )
    return HEADER + "def f(session: Session, ok):\n    if ok:\n" + body + "    raise Boom()\n"


def tries_in_one_command(n: int) -> str:
    """One click command of many `try` statements, each followed by the rest of the command (each
    asks whether what follows it does session work: each statement walked once)."""
    body = "".join(
        f"    try:\n        s.add(x{i})\n        s.commit()\n    except Exception:\n        print({i})\n"
        f"    print(x{i})\n" for i in range(n)
    )
    return HEADER + "import click\n\n@click.command()\ndef load():\n    s = Session(engine)\n" + body


def tries_closed_at_the_end(n: int) -> str:
    """One function of many sessions, each in a `try` whose handler logs, all closed at its end
    (each asks for the first statement below its `try` to name its session: found by bisection)."""
    tries = "".join(
        f"    try:\n        s{i}.add(x)\n        s{i}.commit()\n    except Exception:\n        print({i})\n"
        for i in range(n)
    )
    closes = "".join(f"    s{i}.close()\n" for i in range(n))
    parameters = ", ".join(f"s{i}: Session" for i in range(n))
    return HEADER + f"def load(x, {parameters}):\n" + tries + "    print(x)\n" + closes


def registries_returned_by_functions(n: int) -> str:
    """Many functions returning a registry of their engine, each called as a statement of its own
    (each asks whether every call of its function drops the registry: each module read once)."""
    functions = "".join(
        f"def make{i}(url):\n    engine = create_engine(url)\n    return scoped_session(sessionmaker(bind=engine))\n\n"
        for i in range(n)
    )
    return HEADER + "from sqlalchemy.orm import scoped_session, sessionmaker\n" + functions + "".join(
        f"make{i}(URL)\n" for i in range(n)
    )


SHAPES: dict[str, tuple[Callable[[int], str], int]] = {
    "reassigned in straight lines": (reassigned_in_lines, 30),
    "reassigned in branches": (reassigned_in_branches, 30),
    "module-level query chain": (module_level_chain, 30),
    "swaps": (swaps, 20),
    "names assigned from each other in a cycle": (name_cycle, 20),
    "nested try statements": (nested_tries, 10),  # 80 levels: under the parser's limit of 100
    "sibling tries inside one try": (sibling_tries, 20),
    "tries nested in handlers": (tries_in_handlers, 10),  # 80 levels: under the parser's limit
    "tidying tries nested in handlers": (tidying_tries_in_handlers, 10),
    "reported tries in a loop": (reported_tries_in_a_loop, 20),
    "integrity handlers": (integrity_handlers, 20),
    "self attributes assigned from each other": (self_attributes, 20),
    "nested functions": (nested_functions, 10),
    "many sessions in one function": (many_locals, 20),
    "many engines in one function": (many_engines, 20),
    "functions nested in a command": (nested_in_a_command, 10),
    "many Flask commands": (flask_commands, 20),
    "tries handing the session to functions": (handed_sessions, 20),
    "helpers that return an engine": (engine_helpers, 20),
    "tries calling functions that work on the module's session": (global_session_helpers, 20),
    "engines handed to functions of the module": (engines_handed_to_functions, 20),
    "sessions read by nested functions": (sessions_read_by_nested_functions, 6),  # 48 levels
    "engines on a self attribute set in every method": (engines_on_a_self_attribute, 20),
    "engines returned through functions and kept on instances": (engines_returned_through_functions, 20),
    "engines kept through local names": (engines_kept_through_local_names, 20),
    "engines returned by one function": (engines_returned_by_one_function, 20),
    "engines bound to one local": (engines_bound_to_one_local, 20),
    "tries in one with block": (tries_in_one_with_block, 20),
    "guarded tries in one with block": (guarded_tries_in_one_with_block, 20),
    "tries at every depth of a with block": (tries_at_every_depth_of_a_with_block, 10),  # 80 levels
    "tries in a main block": (tries_in_a_main_block, 20),
    "tries in one FastAPI route": (tries_in_one_route, 20),
    "views answering through one reply builder": (views_answering_through_one_builder, 20),
    "tries before a raise": (tries_before_a_raise, 20),
    "tries in an if block before a raise": (tries_in_an_if_before_a_raise, 20),
    "tries in one command": (tries_in_one_command, 20),
    "tries whose sessions are closed at the end": (tries_closed_at_the_end, 20),
    "registries returned by functions": (registries_returned_by_functions, 20),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_cost_grows_linearly(shape):
    generate, n = SHAPES[shape]
    small, small_findings = steps(generate(n))
    large, large_findings = steps(generate(8 * n))
    assert small > 0
    assert large / small < LINEAR, f"{shape}: {small} steps for n={n}, {large} for 8n"
    small, large = child_looks(generate(n)), child_looks(generate(8 * n))
    assert small > 0
    assert large / small < LINEAR, f"{shape}: {small} looks at children for n={n}, {large} for 8n"


def test_the_issue_example_costs_few_steps_and_still_reports():
    """Thirty `stmt = stmt.where(...)` lines: once minutes, now a few hundred steps."""
    source = reassigned_in_lines(30)
    count, findings = steps(source)
    assert count < 2000
    assert [f.code for f in check(ast.parse(source), Settings())] == ["SQS301"]


def test_findings_do_not_depend_on_size():
    """The shapes report the same things at n and 8n (so the counts compare like with like)."""
    assert steps(nested_tries(3))[1] == 3  # each level's own work, once: inner errors stay inner
    assert steps(sibling_tries(3))[1] == 3  # each inner handler, not the outer one
    assert steps(many_locals(3))[1] == 3  # SQS104 for each unclosed session
    assert steps(tries_in_handlers(3))[1] == 3  # each swallowing handler, for its own try's work
    assert steps(tidying_tries_in_handlers(3))[1] == 0  # each rolls back; the innermost re-raises
    assert steps(reported_tries_in_a_loop(3))[1] == 3
    assert steps(integrity_handlers(3))[1] == 3
    assert steps(tries_in_one_route(3))[1] == 0  # the route's last uses: its dependency closes the session


@pytest.mark.parametrize(
    "source",
    [
        # 3,000 names, each assigned from the one before
        HEADER + "a0 = SessionLocal()\n" + "".join(f"a{i + 1} = a{i}\n" for i in range(3000))
        + "def f():\n    try:\n        a3000.commit()\n    except Exception:\n        pass\n",
        # 1,000-link attribute and call chains (3.11's parser stops below 2,000)
        HEADER + "x = session" + ".attr" * 1000 + "\n" + "y = session" + ".f()" * 1000 + "\n"
        "def g():\n    try:\n        y.commit()\n    except Exception:\n        pass\n",
        # an annotation nested as deep as the parser allows
        HEADER + "def f(s: " + "Optional[" * 150 + "Session" + "]" * 150 + "):\n"
        "    try:\n        s.commit()\n    except Exception:\n        pass\n",
        # an engine handed through 3,000 local names, then kept in a global
        HEADER + "def make(url):\n    global ENGINE\n    a0 = create_engine(url)\n"
        + "".join(f"    a{i + 1} = a{i}\n" for i in range(3000)) + "    ENGINE = a3000\n",
    ],
    ids=["long alias chain", "long attribute and call chains", "deep annotation", "long engine alias chain"],
)
def test_no_recursion_limit(source):
    tree = ast.parse(source)
    found = check(tree, Settings(), "module.py")  # raises RecursionError if the core recursed along the chain
    if "ENGINE" in source:
        assert [f.code for f in found] == ["SQS201"]  # followed to its end: kept


def test_sessions_closed_right_below_their_tries_are_not_reported():
    """Each session's first use below its `try` is its `close()`: none reported."""
    assert steps(tries_closed_at_the_end(20))[1] == 0
    assert steps(tries_closed_at_the_end(20).replace("    print(x)\n", "    print(x)\n    s3.add(x)\n"))[1] == 1


def test_a_commands_tries_are_reported_but_the_last():
    """Each `try` of the generated command but the last is followed by another that works on the
    session: reported; after the last, nothing does session work and the command ends: quiet."""
    assert steps(tries_in_one_command(20))[1] == 19
