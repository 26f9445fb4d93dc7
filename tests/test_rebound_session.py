"""SQS301 on a handler whose `with` block goes on with a session of its own: the statement after
the `try` binds the same name to a session it opens (onyx's extraction loop), so nothing uses the
failed one again before the exit of the block around both closes it (`rules/rollback.py`,
`_rebound`).  Each test changes one thing that must bring the finding back.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from conftest import flake8, inside_project, sqs301_at_sizes, write
from conftest import sqs301_at as findings

DB = (
    "from contextlib import contextmanager\n\nfrom sqlalchemy import create_engine\n"
    "from sqlalchemy.orm import Session, scoped_session, sessionmaker\n\n"
    "engine = create_engine('postgresql://db/app', pool_pre_ping=True)\n"
    "Registry = scoped_session(sessionmaker(bind=engine))\n\n\n"
    "@contextmanager\ndef get_session():\n    session = Session(engine)\n    try:\n        yield session\n"
    "    finally:\n        session.close()\n"
)
EXTRACT = (
    "import logging\n\nfrom app.db import get_session\n\nlog = logging.getLogger(__name__)\n\n\n"
    "def extract(relationships):\n"
    "    for relationship in relationships:\n"
    "        with get_session() as db_session:\n"
    "            try:\n"
    "                upsert_type(db_session=db_session, relationship=relationship)\n"
    "                db_session.commit()\n"
    "            except Exception as e:\n"
    "                log.error('type of %s: %s', relationship, e)\n"
    "\n"
    "            with get_session() as db_session:\n"
    "                upsert_relationship(db_session=db_session, relationship=relationship)\n"
    "                db_session.commit()\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    write(tmp_path / "proj", {
        "pyproject.toml": "[project]\nname = 'app'\n", "app/__init__.py": "", "app/db.py": DB,
        "app/extract.py": EXTRACT,
    })
    with inside_project(tmp_path / "proj", monkeypatch) as root:
        yield root


def test_a_block_that_goes_on_with_a_session_of_its_own_is_quiet(project: Path) -> None:
    assert findings(project, "app/extract.py") == []
    run = flake8("--select", "SQS", "app/extract.py", cwd=project)
    assert run.out == "" and run.exit_code == 0, run


@pytest.mark.parametrize(
    "change",
    [
        # the maker hands out a registry's session: the same one, still failed
        ("    session = Session(engine)\n", "    session = Registry()\n"),
        # the new session is opened on the failed one's connection
        ("            with get_session() as db_session:\n",
         "            with Session(bind=db_session.connection()) as db_session:\n"),
        # something uses the failed session before the name is bound again
        ("\n            with get_session() as db_session:\n",
         "            db_session.flush()\n            with get_session() as db_session:\n"),
        # what a call made of it above the `try` goes on inside the new block
        ("            try:\n", "            graph = make_graph(db_session)\n            try:\n"),
    ],
    ids=["registry", "on-its-connection", "used-before", "carried-on"],
)
def test_what_brings_it_back(project: Path, change: tuple[str, str]) -> None:
    if "Registry()" in change[1]:
        write(project, {"app/db.py": DB.replace(*change)})
    else:
        text = EXTRACT.replace(*change).replace(
            "from app.db import get_session\n", "from sqlalchemy.orm import Session\n\nfrom app.db import get_session\n"
        )
        if "graph" in change[1]:  # ... and the new block runs it
            call = "                upsert_relationship("
            text = text.replace(call, "                graph.run()\n" + call)
        write(project, {"app/extract.py": text})
    assert len(findings(project, "app/extract.py")) == 1


def rebinding_blocks(n: int) -> str:
    """One function of n blocks, each a `try` whose next statement binds the name again, and in
    each a method called of what a call made of the first session of that name."""
    blocks = "".join(
        "        with Session(engine) as db:\n            try:\n                db.add(Row())\n"
        "                db.commit()\n            except Exception:\n                log.error('failed')\n"
        f"            with Session(engine) as db:\n                graph.step{i}()\n"
        for i in range(n)
    )
    return (
        "from sqlalchemy.orm import Session\n\n\ndef load(engine):\n"
        "    with Session(engine) as db:\n        graph = make_graph(db)\n" + blocks
    )


def test_cost_grows_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAKE8_SQLA_SESSION_CACHE_DIR", "off")
    (small, few), (large, many) = sqs301_at_sizes(tmp_path, "app.load", rebinding_blocks)
    assert (few, many) == (10, 80)  # each block's new session runs what the first one made
    assert large / small < 10, (small, large)
