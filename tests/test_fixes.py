"""Fix shapes beyond the rules' own examples: before/after pairs, each checked for
exact output, that the output parses, idempotence, and that the finding is gone."""
from __future__ import annotations

import ast
import sys

import pytest

from flake8_sqla_session.checker import check
from flake8_sqla_session.finding import Finding, Fix, InsertFirstStatement, Span
from flake8_sqla_session.fix.api import FixError, apply_fixes, fix_source
from flake8_sqla_session.settings import Settings

CE = "from sqlalchemy import create_engine\n"

# A caller that goes on with the session the helper `f` leaves failed: what makes its handler a
# finding (a helper nothing calls is not reported).
RUN = "\n\ndef run(session):\n    f(session)\n    session.commit()\n"
RUN2 = "\n\ndef run(session, other_session):\n    f(session, other_session)\n    session.commit()\n"
ARUN = "\n\nasync def run(session):\n    await f(session)\n    await session.commit()\n"

PAIRS = [
    pytest.param(
        CE + "engine = create_engine(\n    url,\n    echo=True\n)\n",
        CE + "engine = create_engine(\n    url,\n    echo=True,\n    pool_pre_ping=True\n)\n",
        id="one argument per line, no trailing comma",
    ),
    pytest.param(
        CE + "engine = create_engine(\n    url,\n    echo=True,\n)\n",
        CE + "engine = create_engine(\n    url,\n    echo=True,\n    pool_pre_ping=True,\n)\n",
        id="one argument per line, trailing comma",
    ),
    pytest.param(
        CE + "engine = create_engine(\n    url\n)\n",
        CE + "engine = create_engine(\n    url,\n    pool_pre_ping=True\n)\n",
        id="a single argument on its own line",
    ),
    pytest.param(
        CE + "engine = create_engine(\n    url,  # primary\n    echo=True,  # loud\n)\n",
        CE + "engine = create_engine(\n    url,  # primary\n    echo=True,  # loud\n    pool_pre_ping=True,\n)\n",
        id="comments inside the call stay on their lines",
    ),
    pytest.param(
        CE + "engine = create_engine(\n    url,\n    echo=True  # loud\n)\n",
        CE + "engine = create_engine(\n    url,\n    echo=True,  # loud\n    pool_pre_ping=True\n)\n",
        id="comment after the last argument without a comma",
    ),
    pytest.param(
        CE + "engine = create_engine(url,\n                       echo=True)\n",
        CE + "engine = create_engine(url,\n                       echo=True,\n"
             "                       pool_pre_ping=True)\n",
        id="hanging indent",
    ),
    pytest.param(
        CE + "engine = create_engine(url,echo=True)\n",
        CE + "engine = create_engine(url,echo=True, pool_pre_ping=True)\n",
        id="tight one-liner",
    ),
    pytest.param(
        CE + "engines = {'é': create_engine('mysql://é/ü')}\n",
        CE + "engines = {'é': create_engine('mysql://é/ü', pool_pre_ping=True)}\n",
        id="non-ASCII before the call (byte vs character columns)",
    ),
    pytest.param(
        CE + "engine = (create_engine(url))\n",
        CE + "engine = (create_engine(url, pool_pre_ping=True))\n",
        id="parenthesized call",
    ),
    pytest.param(
        "import sqlalchemy\nengine = sqlalchemy.create_engine(url, pool_recycle=-1, echo=True)\n",
        "import sqlalchemy\nengine = sqlalchemy.create_engine(url, pool_recycle=3600, echo=True)\n",
        id="pool_recycle replaced in place",
    ),
    pytest.param(
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        pass\n" + RUN,
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        session.rollback()\n"
        + RUN,
        id="a lone pass gives way",
    ),
    pytest.param(
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        pass  # ignore\n" + RUN,
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n"
        "        session.rollback()  # ignore\n" + RUN,
        id="a lone pass keeps its comment",
    ),
    pytest.param(
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        ...\n" + RUN,
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        session.rollback()\n"
        + RUN,
        id="a lone ellipsis gives way",
    ),
    pytest.param(
        "def f(session):\n    try:\n        session.commit()\n    except Exception: log(); retry()  # why\n" + RUN,
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        session.rollback()\n"
        "        log()\n        retry()  # why\n" + RUN,
        id="one-line handler becomes a block",
    ),
    pytest.param(
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        # why we carry on\n\n"
        "        log()\n" + RUN,
        "def f(session):\n    try:\n        session.commit()\n    except Exception:\n        # why we carry on\n\n"
        "        session.rollback()\n        log()\n" + RUN,
        id="leading comments stay first",
    ),
    pytest.param(
        "def f(session, other_session):\n    try:\n        session.flush()\n        other_session.commit()\n"
        "    except Exception:\n        log()\n" + RUN2,
        "def f(session, other_session):\n    try:\n        session.flush()\n        other_session.commit()\n"
        "    except Exception:\n"
        "        session.rollback()\n        other_session.rollback()\n        log()\n" + RUN2,
        id="two receivers",
    ),
    pytest.param(
        "def f(session):\n    try:\n        try:\n            session.flush()\n        except KeyError:\n"
        "            pass\n"
        "    except Exception:\n        log()\n" + RUN,
        "def f(session):\n    try:\n        try:\n            session.flush()\n        except KeyError:\n"
        "            pass\n"
        "    except Exception:\n        session.rollback()\n        log()\n" + RUN,
        id="nested handlers: only the database one",
    ),
    pytest.param(
        "async def f(session):\n    try:\n        await session.commit()\n    except Exception:\n        log()\n"
        + ARUN,
        "async def f(session):\n    try:\n        await session.commit()\n    except Exception:\n"
        "        await session.rollback()\n        log()\n" + ARUN,
        id="async session is awaited",
    ),
    pytest.param(
        "def f(session):\n    try:\n        session.commit()\n    except* Exception:\n        log()\n" + RUN,
        "def f(session):\n    try:\n        session.commit()\n    except* Exception:\n        session.rollback()\n"
        "        log()\n" + RUN,
        id="except star",
        marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+ syntax"),
    ),
    pytest.param(
        "from sqlalchemy import orm\nfrom sqlalchemy import create_engine\n\n"
        "session = orm.sessionmaker(bind=create_engine(url))()\n",
        "from sqlalchemy import orm\nfrom sqlalchemy import create_engine\n\n"
        "# TODO(sqla-session): call session.remove() when a request ends\n"
        "session = orm.scoped_session(orm.sessionmaker(bind=create_engine(url, pool_pre_ping=True)))\n",
        id="nested fixes in one statement, module-style import",
    ),
    pytest.param(
        "import sqlalchemy.orm as so\n\nsession = so.Session(bind=engine)  # shared\n",
        "import sqlalchemy.orm as so\n\n# TODO(sqla-session): call session.remove() when a request ends\n"
        "session = so.scoped_session(so.sessionmaker(bind=engine))  # shared\n",
        id="aliased module, trailing comment kept",
    ),
    pytest.param(
        '"""Settings."""\n# header comment\nfrom sqlalchemy.orm import sessionmaker\n\n\nSession = sessionmaker()\n'
        'session = Session()\n',
        '"""Settings."""\n# header comment\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n\n'
        'Session = sessionmaker()\n'
        "# TODO(sqla-session): call session.remove() when a request ends\nsession = scoped_session(Session)\n",
        id="docstring, comments and blank lines kept",
    ),
    pytest.param(
        "#!/usr/bin/env python\nimport os\nfrom sqlalchemy.orm import sessionmaker\nsession = sessionmaker()()\n"
        "import sys\n",
        "#!/usr/bin/env python\nimport os\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n"
        "# TODO(sqla-session): call session.remove() when a request ends\n"
        "session = scoped_session(sessionmaker())\nimport sys\n",
        id="a fix between imports: the whole module",
    ),
    pytest.param(
        "x = 1\nimport sqlalchemy.orm\n\ns = sqlalchemy.orm.Session(bind=e)\n",
        "x = 1\nimport sqlalchemy.orm\n\n# TODO(sqla-session): call s.remove() when a request ends\n"
        "s = sqlalchemy.orm.scoped_session(sqlalchemy.orm.sessionmaker(bind=e))\n",
        id="no leading import block, no import needed",
    ),
    pytest.param(
        "from sqlalchemy.ext.asyncio import AsyncSession\n\nsession = AsyncSession(engine)\n",
        "import asyncio\n\nfrom sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker\n\n"
        "# TODO(sqla-session): call session.remove() when a request ends\n"
        "session = async_scoped_session(async_sessionmaker(engine), scopefunc=asyncio.current_task)\n",
        id="async session: AsyncSession no longer imported, asyncio in its own section above",
    ),
    pytest.param(
        "import sqlalchemy as sa\nimport sqlalchemy.ext.asyncio\n\n"
        "Session = sa.orm.sessionmaker(engine, class_=sqlalchemy.ext.asyncio.AsyncSession)\nsession = Session()\n",
        "import asyncio\n\nimport sqlalchemy as sa\nimport sqlalchemy.ext.asyncio\n"
        "from sqlalchemy.ext.asyncio import async_scoped_session\n\n"
        "Session = sa.orm.sessionmaker(engine, class_=sqlalchemy.ext.asyncio.AsyncSession)\n"
        "# TODO(sqla-session): call session.remove() when a request ends\n"
        "session = async_scoped_session(Session, scopefunc=asyncio.current_task)\n",
        id="1.4 async factory spelled sa.orm.sessionmaker: the registry is not looked for in sqlalchemy.orm",
    ),
]


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_fix_shape(before: str, after: str) -> None:
    settings = Settings()
    result = fix_source(before, settings, unsafe=True)
    assert result.source == after
    ast.parse(result.source)
    assert fix_source(result.source, settings, unsafe=True).source == result.source
    fixed_codes = {f.code for f in result.applied}
    assert fixed_codes
    assert not [f for f in check(ast.parse(result.source), settings) if f.code in fixed_codes]


@pytest.mark.parametrize(
    ("newline"),
    [pytest.param("\n", id="LF"), pytest.param("\r\n", id="CRLF")],
)
def test_newlines_are_kept(newline: str) -> None:
    before = CE + "engine = create_engine(\n    url,\n)\n"
    result = fix_source(before.replace("\n", newline), Settings())
    after = CE + "engine = create_engine(\n    url,\n    pool_pre_ping=True,\n)\n"
    assert result.source == after.replace("\n", newline)


def test_unsafe_fix_needs_unsafe() -> None:
    source = "from sqlalchemy.orm import Session\nsession = Session(engine)\n"
    result = fix_source(source, Settings())
    assert result.source == source
    assert [f.code for f in result.findings] == ["SQS101"]
    assert result.applied == []


def test_noqa_suppresses_fix_and_report() -> None:
    source = CE + (
        "a = create_engine(url)  # noqa: SQS201\nb = create_engine(url)  # noqa\nc = create_engine(url)  # noqa: E501\n"
    )
    result = fix_source(source, Settings())
    assert [(f.code, f.line) for f in result.findings] == [("SQS201", 4)]
    assert result.source == source.replace("c = create_engine(url)", "c = create_engine(url, pool_pre_ping=True)")


def test_select_limits_fixes() -> None:
    source = CE + "e = create_engine(url, pool_recycle=-1)\nf = create_engine(url)\n"
    result = fix_source(source, Settings(), select=lambda code: code == "SQS202")
    assert result.source == CE + "e = create_engine(url, pool_recycle=3600)\nf = create_engine(url)\n"


def test_files_without_fixes_are_not_parsed_by_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("libcst parsed a file with nothing to fix")

    monkeypatch.setattr(libcst, "parse_module", boom)
    source = "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"
    assert fix_source(source, Settings(), unsafe=True).source == source


def test_output_that_does_not_parse_is_refused() -> None:
    source = "try:\n    pass\nexcept Exception:\n    pass\n"
    fix = Fix(InsertFirstStatement(Span(3, 0, 4, 8), ("return",)), safe=True)
    finding = Finding("SQS301", "SQS301 test", 3, 0, fix)
    with pytest.raises(FixError, match="would not compile: 'return' outside function at line 4"):
        apply_fixes(source, [finding])
    # The same, fixed statement by statement: the line is still the file's.
    with pytest.raises(FixError, match="would not compile: 'return' outside function at line 5"):
        apply_fixes("x = 1\n" + source, [shifted(finding, 1)], tree=ast.parse("x = 1\n" + source))


def shifted(finding: Finding, lines: int) -> Finding:
    from dataclasses import replace

    fix = finding.fix
    assert fix is not None and isinstance(fix.edit, InsertFirstStatement)
    span = fix.edit.handler
    edit = replace(fix.edit, handler=Span(span.line + lines, span.col, span.end_line + lines, span.end_col))
    return replace(finding, line=finding.line + lines, fix=replace(fix, edit=edit))


def test_a_fix_that_cannot_be_built_is_refused() -> None:
    source = "try:\n    pass\nexcept Exception:\n    pass\n"
    finding = Finding("SQS301", "SQS301 test", 3, 0, Fix(InsertFirstStatement(Span(3, 0, 4, 8), ("x = (",)), safe=True))
    with pytest.raises(FixError, match="cannot build the fix"):
        apply_fixes(source, [finding])


def test_a_fix_that_cannot_be_placed_is_refused() -> None:
    source = "x = 1\n"
    fix = Fix(InsertFirstStatement(Span(1, 0, 1, 5), ("s.rollback()",)), safe=True)
    finding = Finding("SQS301", "SQS301 test", 1, 0, fix)
    with pytest.raises(FixError, match="cannot find"):
        apply_fixes(source, [finding])
