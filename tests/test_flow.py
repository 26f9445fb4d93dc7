"""What may run after a handler before the `with` block that owns its session ends
(`rules/flow.py`), and SQS301's answers that rest on it.

The rule's `Valid`/`Invalid` examples show the shapes met in applications (a `return` right after
the `try`, the other branch of an `if`, `agent = None` then `if agent is None: return`); these
tests pin each part of the reading: each one that could let a reuse through has a case that brings
the finding back.
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import sqs301_at as findings
from conftest import write

from flake8_sqla_session.context import Context
from flake8_sqla_session.rules.flow import MAX_LEVELS, after_handler
from flake8_sqla_session.settings import Settings

HEAD = "from sqlalchemy.exc import SQLAlchemyError\n\n\ndef view(agent_id, push):\n"


def ranges(source: str) -> list[tuple[int, int]] | None:
    """`after_handler` for the handler of the `try` catching SQLAlchemyError in the first `with` of `source`."""
    tree = ast.parse(source)
    context = Context(tree, Settings(), "module.py")
    with_node = next(node for node in ast.walk(tree) if isinstance(node, ast.With))
    statement = next(
        node for node in ast.walk(with_node)
        if isinstance(node, ast.Try) and node.handlers and ast.unparse(node.handlers[0].type) == "SQLAlchemyError"
    )
    return after_handler(context, with_node.body, statement, statement.handlers[0])


def reported(tmp_path: Path, body: str) -> list[tuple[int, int]]:
    write(tmp_path, {"views.py": HEAD + body})
    return findings(tmp_path, "views.py")


def test_the_other_branch_and_what_follows_the_if():
    source = (
        "with session_context() as session:\n"  # 1
        "    if push:\n"
        "        try:\n"
        "            session.commit()\n"
        "        except SQLAlchemyError:\n"  # 5
        "            log()\n"
        "        reply(500)\n"
        "    else:\n"
        "        session.commit()\n"
        "    done()\n"  # 10
    )
    assert ranges(source) == [(7, 7), (10, 10)]


def test_a_return_ends_the_reading_but_an_enclosing_finally_still_runs():
    source = (
        "with session_context() as session:\n"  # 1
        "    try:\n"
        "        try:\n"
        "            session.commit()\n"
        "        except SQLAlchemyError:\n"  # 5
        "            log()\n"
        "        return\n"
        "    finally:\n"
        "        cleanup()\n"
        "    session.commit()\n"  # 10
    )
    assert ranges(source) == [(7, 7), (8, 9)]


def test_a_loop_between_leaves_it_unknown_and_too_deep_a_try_is_not_read():
    looped = (
        "with session_context() as session:\n    for x in xs:\n        try:\n            session.commit()\n"
        "        except SQLAlchemyError:\n            log()\n        reply()\n"
    )
    assert ranges(looped) is None
    lines = ["with session_context() as session:"]
    for level in range(1, MAX_LEVELS + 1):
        lines.append("    " * level + f"if c{level}:")
    pad = "    " * (MAX_LEVELS + 1)
    lines += [f"{pad}try:", f"{pad}    session.commit()", f"{pad}except SQLAlchemyError:", f"{pad}    log()"]
    assert ranges("\n".join(lines) + "\n") is None
    lines.pop(MAX_LEVELS)  # one level less: read
    lines[-4:] = [line[4:] for line in lines[-4:]]
    assert ranges("\n".join(lines) + "\n") == []


def test_a_return_after_the_try_is_quiet_but_a_statement_before_it_that_uses_the_session_is_not(tmp_path):
    quiet = (
        "    with session_context() as session:\n        try:\n            session.execute(q)\n"
        "        except SQLAlchemyError:\n            reply(500)\n        return\n"
    )
    assert reported(tmp_path, quiet) == []
    used = quiet.replace("        return\n", "        session.commit()\n        return\n")
    assert reported(tmp_path, used) == [(8, 8)]


def test_a_raise_that_an_enclosing_try_catches_goes_on_below_it():
    source = (
        "with session_context() as session:\n"  # 1
        "    try:\n"
        "        try:\n"
        "            session.commit()\n"
        "        except SQLAlchemyError:\n"  # 5
        "            log()\n"
        "        raise Done()\n"
        "    except Done:\n"
        "        pass\n"
        "    session.commit()\n"  # 10
    )
    assert ranges(source) == [(7, 7), (8, 9), (10, 10)]
    # Without the enclosing `try`, the `raise` leaves the block.
    alone = source.replace("    try:\n        try:", "    if push:\n        try:").replace(
        "    except Done:\n        pass\n", "    else:\n        pass\n"
    )
    assert ranges(alone) == [(7, 7)]


def test_an_enclosing_finally_that_uses_the_session_is_reported(tmp_path):
    body = (
        "    with session_context() as session:\n        try:\n            try:\n"
        "                session.execute(q)\n            except SQLAlchemyError:\n                log()\n"
        "            return\n        finally:\n            session.commit()\n"
    )
    assert reported(tmp_path, body) == [(9, 12)]


def test_the_value_on_the_handlers_path(tmp_path):
    guarded = (
        "    with session_context() as session:\n        agent = None\n        try:\n"
        "            agent = session.get(Agent, agent_id)\n        except SQLAlchemyError:\n"
        "            log()\n        if agent is None:\n            return reply(404)\n"
        "        session.delete(agent)\n        session.commit()\n"
    )
    assert reported(tmp_path, guarded) == []
    # The handler binds the name: its value on that path is not known.
    rebound = guarded.replace("            log()\n", "            agent = default_agent()\n")
    assert reported(tmp_path, rebound) == [(9, 8)]
    # The `try` holds more than the one assignment: the name may have been bound before the error.
    longer = guarded.replace(
        "            agent = session.get(Agent, agent_id)\n",
        "            agent = session.get(Agent, agent_id)\n            session.refresh(agent)\n",
    )
    assert reported(tmp_path, longer) == [(10, 8)]
    # Something else stands between the constant and the `try`.
    apart = guarded.replace("        agent = None\n", "        agent = None\n        audit(agent_id)\n")
    assert reported(tmp_path, apart) == [(10, 8)]
    # The test that the value decides takes the branch that goes on with the session.
    other = guarded.replace("if agent is None:", "if agent is not None:")
    assert reported(tmp_path, other) == [(9, 8)]
