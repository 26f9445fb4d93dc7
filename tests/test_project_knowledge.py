"""Project knowledge, unit by unit: roots, module finding, re-exports, function and class
summaries, Django settings, bad modules, and what it costs (modules read once).

The multi-module fixture projects (tests/test_projects.py) prove the whole; these
tests pin each resolution rule on the smallest project that shows it.
"""
from __future__ import annotations

import ast
import functools
import os
import textwrap
from pathlib import Path

import pytest

from flake8_sqla_session.knowledge import project as project_module
from flake8_sqla_session.knowledge.kinds import Kind, Maker
from flake8_sqla_session.knowledge.module import parameter_of
from flake8_sqla_session.knowledge.project import Stats, import_roots, project_for
from flake8_sqla_session.settings import Settings

from conftest import DB, write
from conftest import project_codes as codes

pytestmark = pytest.mark.usefixtures("fresh_project_caches")


# ---- import roots ------------------------------------------------------------------------


def test_roots_from_the_package_chain_markers_src_and_cwd(tmp_path):
    write(tmp_path, {"proj/pyproject.toml": "", "proj/src/app/__init__.py": "", "proj/src/app/api/__init__.py": "",
                     "proj/src/app/api/views.py": ""})
    roots = import_roots(str(tmp_path / "proj/src/app/api/views.py"), Settings(src=(str(tmp_path),)))
    assert roots[0] == os.path.realpath(tmp_path)  # --sqla-src first
    assert os.path.realpath(tmp_path / "proj/src") in roots  # above the topmost package, and the src/ layout
    assert os.path.realpath(tmp_path / "proj") in roots  # the pyproject.toml folder
    assert roots[-1] == os.path.realpath(tmp_path / "elsewhere")  # the current folder, last


def test_site_packages_is_never_a_root(tmp_path):
    write(tmp_path, {"site-packages/lib/__init__.py": "", "site-packages/lib/mod.py": ""})
    roots = import_roots(str(tmp_path / "site-packages/lib/mod.py"), Settings())
    assert not any(root.endswith("site-packages") for root in roots)


# ---- what is resolved --------------------------------------------------------------------


@pytest.mark.parametrize(
    "importer",
    [
        "from app.db import SessionLocal\nsession = SessionLocal()\n",
        "import app.db\nsession = app.db.SessionLocal()\n",
        "import app.db as database\nsession = database.SessionLocal()\n",
        "from app import db\nsession = db.SessionLocal()\n",
        "from .db import SessionLocal\nsession = SessionLocal()\n",
        "from . import db\nsession = db.SessionLocal()\n",
        "from app import SessionLocal\nsession = SessionLocal()\n",  # re-exported by app/__init__.py
        "from app.reexport import *\nsession = SessionLocal()\n",  # star import of a star import
    ],
    ids=["from import", "import chain", "import as", "submodule", "relative", "relative submodule",
         "__init__ re-export", "star imports"],
)
def test_a_factory_is_known_however_it_is_imported(tmp_path, importer):
    write(tmp_path, {"app/__init__.py": "from .db import SessionLocal\n", "app/db.py": DB,
                     "app/reexport.py": "from .db import *\n", "app/worker.py": importer})
    assert codes(tmp_path, "app/worker.py") == [(2, "SQS101")]


def test_relative_imports_two_levels_up(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/db.py": DB, "app/jobs/__init__.py": "",
                     "app/jobs/nightly/__init__.py": "",
                     "app/jobs/nightly/run.py": "from ...db import SessionLocal\n\ndef run():\n"
                                                "    s = SessionLocal()\n    s.execute(q)\n"})
    assert codes(tmp_path, "app/jobs/nightly/run.py") == [(4, "SQS104")]


def test_namespace_package_from_the_working_folder(tmp_path, monkeypatch):
    write(tmp_path, {"proj/reports/db.py": DB,
                     "proj/reports/daily.py": "from .db import engine\nconn = engine.connect()\n"})
    monkeypatch.chdir(tmp_path / "proj")
    assert codes(tmp_path, "proj/reports/daily.py") == [(2, "SQS102")]


def test_all_limits_what_a_star_import_hands_on(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/db.py": '__all__ = ["engine"]\n' + DB,
                     "app/worker.py": "from app.db import *\nsession = SessionLocal()\n"})
    assert codes(tmp_path, "app/worker.py") == []


def test_functions_are_known_by_what_they_return_yield_or_are_annotated_to(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB + textwrap.dedent("""\
            from contextlib import contextmanager
            from sqlalchemy.orm import sessionmaker as maker

            def get_session():
                return SessionLocal()

            @contextmanager
            def session_scope():
                s = SessionLocal()
                try:
                    yield s
                finally:
                    s.close()

            def make_factory(url) -> maker:
                return build(url)

            def get_engine():
                return engine
            """),
        "app/use.py": textwrap.dedent("""\
            from app.db import get_engine, get_session, make_factory, session_scope

            shared = get_session()
            conn = get_engine().connect()

            def job():
                s = get_session()
                s.execute(q)

            def scoped():
                with session_scope() as s:
                    try:
                        s.execute(q)
                    except Exception:
                        log()
                    s.commit()

            def factory(url):
                s = make_factory(url)()
                s.execute(q)
            """),
    })
    expected = [(3, "SQS101"), (4, "SQS102"), (7, "SQS104"), (14, "SQS301"), (19, "SQS104")]
    assert codes(tmp_path, "app/use.py") == expected


def test_project_classes_are_told_apart_by_their_bases(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/cart.py": "class CartSession:\n    def commit(self):\n        pass\n",
        "app/web.py": "import requests\n\nclass Session(requests.Session):\n    pass\n",
        "app/orm.py": "from sqlalchemy.orm import Session\n\nclass AuditedSession(Session):\n    pass\n",
        "app/use.py": textwrap.dedent("""\
            from app.cart import CartSession
            from app.orm import AuditedSession
            from app.web import Session

            audited = AuditedSession()

            def f(cart_session: CartSession):
                try:
                    cart_session.commit()
                except Exception:
                    pass

            def g():
                http_session = Session()
                try:
                    http_session.delete(url)
                except Exception:
                    pass
            """),
    })
    assert codes(tmp_path, "app/use.py") == [(5, "SQS101")]


def test_decorated_definitions_are_read_in_part_whatever_their_decorators(tmp_path):
    """A decorator over several lines, or a comment between it and the `def` (privacyidea's
    `@log_with(log)` then `# @cache...`), still names what the chunk defines: a project class is
    told (its module read in part, not whole), and what is made of it is no session."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/cart.py": textwrap.dedent("""\
            import dataclasses
            from app.log import log_with

            @dataclasses.dataclass(
                frozen=True,  # a comment in the decorator
            )
            class CartSession:
                def commit(self):
                    pass

            @log_with(log)
            # @cache.memoize(10)
            def get_cart():
                return CartSession()
            """),
        "app/log.py": "def log_with(log):\n    return lambda f: f\n",
        "app/use.py": textwrap.dedent("""\
            from sqlalchemy.exc import SQLAlchemyError
            from app.cart import CartSession

            def f():
                cart_session = CartSession()
                try:
                    cart_session.commit()
                except SQLAlchemyError:
                    pass
            """),
    })
    outline = project_module.outline_of(str(tmp_path / "app/cart.py"))
    assert outline is not None and {"CartSession", "get_cart"} <= set(outline.binders)
    before = Stats.modules_read
    assert codes(tmp_path, "app/use.py") == []  # a project class that is no session: quiet
    assert Stats.modules_read == before  # no module read whole


def test_the_text_tests_of_outlines_find_what_their_patterns_found():
    """`_stands_alone` and `Outline.declared_global` replace a regular expression compiled for each
    name; over every short text of a small alphabet, they answer as those patterns did."""
    import itertools
    import re

    for length in range(7):
        for letters in itertools.product("ab._ \né", repeat=length):
            text = "".join(letters)
            for name in ("a", "ab"):
                assert project_module._stands_alone(text, name) == bool(
                    re.search(rf"(?<![\w.]){re.escape(name)}\b", text)
                ), (text, name)
    module = "x = 1\ndef f():\n    global a, b_c  # d\n    a = 1\nclass C:\n  global\tz\nglobal_ = 2\n"
    outline = project_module.Outline(module)
    for name in ("a", "b_c", "d", "z", "b", "c", "x", "global_"):
        pattern = rf"^[ \t]+global[ \t][^\n]*\b{re.escape(name)}\b"
        assert outline.declared_global(name) == bool(re.search(pattern, module, re.MULTILINE)), name


_IMPORT_SHAPES = """\
from app.db \\
    import SessionLocal
from app.models.\\
    user. tests import utils as user_utils
from app.services import \\
    (make_session, close_session,
     other)
from app.x import(y)
from app.spaced. module import z
from app.star import*
import app.a, \\
    app.b as b
from . import sibling
from .. import parent as p
from .mod import (a,  # a comment (with parentheses)
                  b as c)
from . import importer, models
from .. import imports
from .importer import x

def f():
    from app.inner import deep
"""


@functools.lru_cache(maxsize=None)
def _text_vs_ast():  # bench/text_vs_ast.py: what is read from text, and what from the tree
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "bench" / "text_vs_ast.py"
    spec = importlib.util.spec_from_file_location("sqs_text_vs_ast", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _imports_of_text(text: str) -> set[tuple[str, str, str]]:
    return _text_vs_ast().text_imports(text)


def _imports_of_tree(text: str) -> set[tuple[str, str, str]]:
    import ast

    return _text_vs_ast().tree_imports(ast.parse(text))


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_imports_are_read_from_the_text_as_python_reads_them(line_end):
    """Backslash continuations anywhere in a `from` import (pgadmin's style: 372 imports of the
    applications were missed or misread before), `import(`, `import*`, comments, relative levels."""
    text = _IMPORT_SHAPES.replace("\n", line_end)
    assert _imports_of_text(text) == _imports_of_tree(text.replace("\r\n", "\n").replace("\r", "\n"))


def test_no_import_of_this_package_and_its_tests_is_missed_by_the_text():
    """Real code that no test wrote for this: every import Python reads in this package's and its
    tests' own modules is read from their text too (strings may hold more: never fewer)."""
    here = Path(__file__).resolve().parent
    files = [*sorted((here.parent / "flake8_sqla_session").rglob("*.py")), *sorted(here.rglob("*.py"))]
    assert len(files) > 40
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            expected = _imports_of_tree(text)
        except (SyntaxError, ValueError):
            continue  # the bad inputs of the tests (not UTF-8, binary, not Python)
        assert expected <= _imports_of_text(text), path


def test_outline_names_what_column_0_statements_bind():
    """Chained assignments and annotations over several lines bind at column 0 too (zou's
    `_OPS = _BYTES = None`, dstack's `mapping: Dict[` ... `] = {}`): a module that binds them is
    read in part, not whole."""
    text = textwrap.dedent("""\
        VERSION = __version__ = "1.3.6"
        _OPS = _BYTES = _DURATION = None
        mapping: Dict[
            str, int
        ] = {}
        a, b = c = 1, 2
        handler = lambda x=1: x
        total: int
        try:
            pass
        except ImportError:
            pass
        """)
    binders = set(project_module.Outline(text).binders)
    docstring = '"""\nCreated in 2013\n\n@author: someone\n"""\n\nimport logging\n\nlog = logging.getLogger()\n'
    assert "log" in project_module.Outline(docstring).binders  # "@author" in a docstring is no decorator
    assert project_module.Outline(docstring).imported == {"logging": ("logging",)}
    assert {"VERSION", "__version__", "_OPS", "_BYTES", "_DURATION", "mapping", "a", "b", "c", "handler"} <= binders
    assert not binders & {"x", "try", "total"}  # a lambda's default; a block; an annotation alone binds no value
    again = project_module.Outline("x = x = 1\nx = 2\nfrom m import x\nfrom n import x as x\n")
    assert again.binders["x"] == (0, 1)  # each chunk once, in order
    assert again.imported["x"] == ("m.x", "n.x")


def test_a_factory_imported_over_continued_lines_is_known(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/worker.py": "from app.db \\\n    import SessionLocal\n\nsession = SessionLocal()\n",
        "app/other.py": "from app.db import \\\n    (engine,\n     SessionLocal)\n\nsession = SessionLocal()\n",
    })
    assert codes(tmp_path, "app/worker.py") == [(4, "SQS101")]
    assert codes(tmp_path, "app/other.py") == [(5, "SQS101")]


def test_django_settings_from_manage_py(tmp_path):
    write(tmp_path, {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.conf.prod")\n',
        "site/__init__.py": "", "site/conf/__init__.py": "",
        "site/conf/prod.py": DB + "DATABASES = {}\nDW_SESSION = SessionLocal()\n",
        "site/views.py": "from django.conf import settings\n\ndef v():\n    try:\n"
                         "        settings.DW_SESSION.commit()\n    except Exception:\n        pass\n",
    })
    assert codes(tmp_path, "site/views.py") == [(6, "SQS301")]


def test_django_settings_option_environment_and_single_settings_module(tmp_path, monkeypatch):
    views = "from django.conf import settings\nsession = settings.MAKER()\n"
    write(tmp_path, {"pyproject.toml": "", "a/__init__.py": "", "a/settings.py": DB + "MAKER = SessionLocal\n"
                     "DATABASES = {}\n", "b/__init__.py": "", "b/other.py": DB + "MAKER = SessionLocal\n",
                     "a/views.py": views})
    assert codes(tmp_path, "a/views.py") == [(2, "SQS101")]  # the one settings module with DATABASES
    monkeypatch.setattr(project_module, "_PROJECTS", {})
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "b.missing")
    assert codes(tmp_path, "a/views.py") == []  # the environment wins, and names nothing readable
    monkeypatch.setattr(project_module, "_PROJECTS", {})
    assert codes(tmp_path, "a/views.py", Settings(django_settings="b.other")) == [(2, "SQS101")]


# ---- unknown is an answer ------------------------------------------------------------------


@pytest.mark.parametrize(
    "db",
    ["def broken(:\n", b"\x00\x01binary", "# no cookie\nname = '\xe9'\n".encode("latin-1"), "cycle"],
    ids=["does not parse", "binary", "not utf-8", "import cycle"],
)
def test_bad_modules_leave_names_unknown(tmp_path, db):
    importer = "from app.db import SessionLocal\nsession = SessionLocal()\n"
    write(tmp_path, {"app/__init__.py": "", "app/worker.py": importer})
    if db == "cycle":
        write(tmp_path, {"app/db.py": "from app.other import SessionLocal\n",
                         "app/other.py": "from app.db import SessionLocal\n"})
    elif isinstance(db, bytes):
        (tmp_path / "app/db.py").write_bytes(db)
    else:
        write(tmp_path, {"app/db.py": db})
    assert codes(tmp_path, "app/worker.py") == []


@pytest.mark.parametrize(
    "data",
    [
        b"# -*- coding: latin-1 -*-\nTITLE = '\xe9'\n" + DB.encode(),
        b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nTITLE = '\x80'\n" + DB.encode(),
        b"\xef\xbb\xbf" + DB.encode(),
        DB.replace("\n", "\r\n").encode("utf-16"),
    ],
    ids=["latin-1 cookie", "cookie on line 2", "utf-8 BOM", "utf-16 without a cookie"],
)
def test_a_module_is_decoded_as_python_decodes_it(tmp_path, data):
    """A coding cookie in the first two lines is obeyed; without one the text is UTF-8 (a BOM
    aside), and a module that is not is unknown, as the interpreter would refuse it."""
    importer = "from app.db import SessionLocal\nsession = SessionLocal()\n"
    write(tmp_path, {"app/__init__.py": "", "app/worker.py": importer})
    (tmp_path / "app/db.py").write_bytes(data)
    expected = [] if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff") else [(2, "SQS101")]
    assert codes(tmp_path, "app/worker.py") == expected


def test_a_module_is_read_once_per_process(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/db.py": DB})
    for index in range(5):
        write(tmp_path, {f"app/w{index}.py": "from app.db import SessionLocal\nsession = SessionLocal()\n"})
    before = Stats.files_read
    for index in range(5):
        assert codes(tmp_path, f"app/w{index}.py") == [(2, "SQS101")]
    assert Stats.files_read - before == 1  # app/db.py, once (app/__init__.py is not needed)


def test_a_module_not_imported_is_never_read(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/db.py": DB,
                     "app/plain.py": "import json\n\ndef f(session):\n    session.commit()\n"})
    before = Stats.files_read
    codes(tmp_path, "app/plain.py")
    assert Stats.files_read == before


def test_the_same_project_is_shared_by_its_files(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/a.py": "", "app/b.py": ""})
    first = project_for(str(tmp_path / "app/a.py"), Settings())
    assert project_for(str(tmp_path / "app/b.py"), Settings()) is first


# ---- the fixer uses the same knowledge, and its guards hold -----------------------------------

PROJECTS = Path(__file__).parent / "projects"


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()))
def test_fixing_a_project_keeps_every_file_valid_and_is_idempotent(tmp_path, name):
    import shutil
    import subprocess
    import sys

    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    command = [sys.executable, "-m", "flake8_sqla_session", "--fix", "--unsafe-fixes", "."]
    first = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert first.returncode in (0, 1), first.stderr
    assert "SQS999" not in first.stdout + first.stderr
    after = {p: p.read_bytes() for p in root.rglob("*.py")}
    assert after != before  # every fixture project has something fixable
    for path, data in after.items():
        compile(data, str(path), "exec")
    second = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == after, second.stdout


def test_long_chains_across_modules_never_reach_the_recursion_limit(tmp_path):
    """Twenty modules, each re-exporting the one before through 150 aliases: no crash."""
    aliases = "".join(f"a{i + 1} = a{i}\n" for i in range(50))
    files = {"app/__init__.py": "", "app/m0.py": DB + "a0 = SessionLocal\n" + aliases.replace("a50", "b0")}
    for index in range(1, 20):
        chain = "".join(f"b{i + 1} = b{i}\n" for i in range(150))
        files[f"app/m{index}.py"] = f"from app.m{index - 1} import b0\n{chain}b0 = b150\n"
    files["app/near.py"] = "from app.m0 import b0\nsession = b0()\n"
    files["app/use.py"] = "from app.m19 import b0\nsession = b0()\n"
    write(tmp_path, files)
    assert codes(tmp_path, "app/near.py") == [(2, "SQS101")]  # 51 aliases in one module away: known
    assert codes(tmp_path, "app/use.py") == []  # past the bounds (and a cycle of names): unknown, quiet


def test_a_function_that_keeps_the_session_it_hands_out_is_not_the_callers_to_close(tmp_path):
    """privacyidea's shape: the session is cached in a request-local store and closed at teardown."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/ca.py": DB + textwrap.dedent("""\
            from sqlalchemy.orm import Session

            def get_ca_session() -> Session:
                store = get_request_local_store()
                session = store.get("ca")
                if session is None:
                    session = Session(bind=engine)
                    store["ca"] = session
                return session

            def annotated_only() -> Session:
                return lookup_somewhere()

            def fresh():
                session = SessionLocal()
                return session
            """),
        "app/use.py": textwrap.dedent("""\
            from app.ca import annotated_only, fresh, get_ca_session

            def a():
                session = get_ca_session()
                session.execute(q)

            def b():
                session = annotated_only()
                session.execute(q)

            def c():
                session = fresh()
                session.execute(q)
            """),
    })
    assert codes(tmp_path, "app/use.py") == [(12, "SQS104")]


def test_a_global_bound_in_an_init_function_is_read_from_the_whole_module(tmp_path):
    """calibre-web's shape: `session = None` at module level, `global session; session = Session()` in
    init_db(); importers use `ub.session`.  The column-0 outline alone would see only `None`."""
    write(tmp_path, {
        "cps/__init__.py": "",
        "cps/ub.py": textwrap.dedent("""\
            from sqlalchemy.orm import scoped_session, sessionmaker

            session = None

            def init_db(engine):
                global session
                Session = scoped_session(sessionmaker(bind=engine))
                session = Session()
            """),
        "cps/web.py": textwrap.dedent("""\
            from sqlalchemy.exc import OperationalError
            from cps import ub

            def update_settings():
                try:
                    ub.session.commit()
                except OperationalError:
                    return "Invalid request", 400
            """),
    })
    assert codes(tmp_path, "cps/web.py") == [(7, "SQS301")]


def test_a_long_running_process_sees_an_imported_module_change(tmp_path):
    """The language server checks again after `db.py` changed on disk: it must not answer from
    what it read before (`forget_projects()`, called before each check)."""
    from flake8_sqla_session.knowledge.project import forget_projects

    write(tmp_path, {"app/__init__.py": "", "app/db.py": "SessionLocal = make()\n",
                     "app/worker.py": "from app.db import SessionLocal\nsession = SessionLocal()\n"})
    assert codes(tmp_path, "app/worker.py") == []
    write(tmp_path, {"app/db.py": DB})
    forget_projects()
    assert codes(tmp_path, "app/worker.py") == [(2, "SQS101")]


# ---- the prefilter of files without SQLAlchemy imports --------------------------------------


def uses(root: Path, name: str) -> bool:
    path = root / name
    return project_for(str(path), Settings()).uses_sqlalchemy_names(path.read_text(), str(path))


def test_a_file_is_checked_only_if_it_imports_a_project_name_that_is_sqlalchemys(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB + "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n"
                          "    finally:\n        db.close()\n\ndef slugify(text):\n    return text.lower()\n",
        "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\nclass Base(DeclarativeBase):\n    pass\n",
        "app/plain.py": "import re\n\ndef title(text):\n    return text.title()\n",
        "app/a.py": "from app.db import slugify\nfrom app.models import Base\nfrom app.plain import title\n",
        "app/b.py": "from app.db import (\n    slugify,\n    get_db,\n)\n",
        "app/c.py": "from app.db import \\\n    slugify, \\\n    SessionLocal as S\n",
        "app/d.py": "import app.db\n\ndef f():\n    return app.db.engine\n",
        "app/e.py": "from app import db as database\n\ndef f():\n    return database.SessionLocal()\n",
        "app/f.py": "from app import plain, db\n\ndef f():\n    return plain.title(db.slugify('x'))\n",
        "app/g.py": "def f():\n    from .db import engine\n    return engine\n",
        "app/h.py": "from app.db import *\n",
        "app/i.py": "from app.plain import *\n",
    })
    # Nothing SQLAlchemy's: a helper of the db module, a model base, a module unrelated to it.
    assert not uses(tmp_path, "app/a.py")
    assert uses(tmp_path, "app/b.py")  # a parenthesised import of get_db, a session dependency
    assert uses(tmp_path, "app/c.py")  # a backslash-continued import of the factory, renamed
    assert uses(tmp_path, "app/d.py")  # app.db.engine through `import app.db`
    assert uses(tmp_path, "app/e.py")  # database.SessionLocal through a renamed module
    assert not uses(tmp_path, "app/f.py")  # modules imported, but only plain names of them used
    assert uses(tmp_path, "app/g.py")  # a relative import inside a function
    assert uses(tmp_path, "app/h.py")  # every name of a SQLAlchemy module may be used
    assert not uses(tmp_path, "app/i.py")
    # CR line ends (`^` of a regular expression does not follow them)
    (tmp_path / "app/j.py").write_bytes(b"x = 1\rdef f():\r    from app.db import (get_db,\r        slugify)\r")
    assert uses(tmp_path, "app/j.py")


def test_a_module_that_imports_a_sqlalchemy_name_hands_on_what_its_functions_make(tmp_path):
    """deps.py imports no SQLAlchemy, but its get_db() makes a session from db.py's factory."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/deps.py": "from app.db import SessionLocal\n\ndef new_session():\n    return SessionLocal()\n",
        "app/jobs.py": "from app.deps import new_session\n\ndef run():\n    s = new_session()\n"
                       "    s.query(1).all()\n",
    })
    assert uses(tmp_path, "app/jobs.py")
    assert codes(tmp_path, "app/jobs.py") == [(4, "SQS104")]


def test_flask_sqlalchemy_db_session_through_a_project_module_is_a_registry(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
        "app/views.py": "import app\n\ndef save(user):\n    try:\n        app.db.session.add(user)\n"
                        "        app.db.session.commit()\n    except Exception:\n        pass\n",
    })
    project = project_for(str(tmp_path / "app/views.py"), Settings())
    assert project.lookup_absolute("app.db.session") is Kind.REGISTRY
    assert project.lookup_absolute("app.db.Model") == Maker(Kind.MODEL)  # what makes the models
    assert project.lookup_absolute("app.db.engine") is None  # other attributes stay unknown
    assert codes(tmp_path, "app/views.py") == [(7, "SQS301")]


def test_a_name_imported_then_rebound_at_column_0_is_not_the_import_alone(tmp_path):
    """A module read in part binds a name from every column-0 statement, not only its import."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/wrap.py": "from app.db import SessionLocal\n\nSessionLocal = object\n",
        "app/use.py": "from app.wrap import SessionLocal\nsession = SessionLocal()\n",
    })
    assert codes(tmp_path, "app/use.py") == []


def test_modules_read_in_part_are_freed_when_released_without_the_collector(tmp_path):
    """A module read in part binds its names through a loader that refers back to it: released
    as is, each would wait for flake8's garbage collector (which then scans them all)."""
    import gc
    import weakref

    files = {"app/__init__.py": ""}
    for index in range(12):
        files[f"app/m{index}.py"] = DB + f"S{index} = SessionLocal\n"
    files["app/use.py"] = "".join(f"from app.m{i} import S{i}\n" for i in range(12)) + "s = S0()\n"
    write(tmp_path, files)
    project = project_for(str(tmp_path / "app/use.py"), Settings())
    gc.disable()
    try:
        for index in range(12):
            project.lookup_absolute(f"app.m{index}.S{index}")
        kept = [weakref.ref(knowledge) for knowledge in project._partial.values()]
        assert len(kept) > project_module.KEPT_PARTS
        project.release()
        assert [ref for ref in kept if ref() is not None] == []
    finally:
        gc.enable()


def test_the_trees_of_project_modules_are_not_kept_past_a_few(tmp_path):
    """Kept for the process, they would be scanned by every full garbage collection of flake8's
    process; what they told is kept, and another name of a module is read again when asked."""
    files = {"app/__init__.py": ""}
    for index in range(40):
        files[f"app/m{index}.py"] = DB + f"S{index} = SessionLocal\n"
    files["app/use.py"] = "".join(f"from app.m{i} import S{i}\n" for i in range(40)) + "".join(
        f"s{i} = S{i}()\n" for i in range(40)
    )
    files["app/later.py"] = "from app.m0 import engine, S0\nconnection = engine.connect()\nsession = S0()\n"
    write(tmp_path, files)
    assert codes(tmp_path, "app/use.py") == [(41 + i, "SQS101") for i in range(40)]
    project = project_for(str(tmp_path / "app/use.py"), Settings())
    assert not project._modules and len(project._partial) <= project_module.KEPT_PARTS
    assert all(source.tree is None for source in project_module._SOURCES.values())
    assert codes(tmp_path, "app/later.py") == [(2, "SQS102"), (3, "SQS101")]


def test_a_linked_file_is_named_where_its_target_is(tmp_path):
    """Checked through a symlink (an editor's view of it), a module's relative imports are placed
    from its target's package."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/views.py": "from .db import SessionLocal\nsession = SessionLocal()\n",
    })
    (tmp_path / "elsewhere" / "link.py").symlink_to(tmp_path / "app" / "views.py")
    assert codes(tmp_path, "elsewhere/link.py") == [(2, "SQS101")]


def test_names_used_through_a_module_unrelated_to_sqlalchemy_are_not_looked_up(tmp_path):
    """`helpers.f0()` ... `helpers.f39()` of a module that imports nothing of SQLAlchemy's, nor
    a project name that is: none of them can be a session, so telling that the file uses none
    costs the module's relatedness, not a lookup per name (and the answers do not change: an
    alias of a related module is still followed)."""
    functions = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(40))
    calls = "".join(f"    helpers.f{i}()\n" for i in range(40))
    write(tmp_path, {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/helpers.py": "import json\n\n\n" + functions,
        "app/use.py": "from app import helpers\n\n\ndef f():\n" + calls,
        "app/job.py": "import app.db as database\n\nsession = database.SessionLocal()\n",
    })
    before = Stats.lookups
    assert codes(tmp_path, "app/use.py") == []
    assert Stats.lookups - before <= 2
    assert codes(tmp_path, "app/job.py") == [(3, "SQS101")]


# ---- the backend of the project's engines (SQS301 on a SQLite-only project) -----------------

SWALLOWED_EXECUTE = """\
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    def drop_index(session):
        try:
            session.execute(text("DROP INDEX ix_name"))
        except OperationalError:
            pass

    def upgrade(session):
        drop_index(session)
        session.commit()
    """
SWALLOWED_FLUSH = """\
    def save(session, row):
        try:
            session.add(row)
            session.flush()
        except Exception:
            pass

    def save_all(session, rows):
        for row in rows:
            save(session, row)
    """


@pytest.mark.parametrize(
    "engines, sqlite_only",
    [
        ({"app/db.py": "from sqlalchemy import create_engine\nengine = create_engine('sqlite:///app.db')\n"}, True),
        ({"app/db.py": "import sqlalchemy as sa\n"
                       "engine = sa.create_engine(uri, connect_args={'check_same_thread': False})\n"}, True),
        ({"app/db.py": "from sqlalchemy import create_engine\nengine = create_engine(f'sqlite:///{path}')\n",
          "tests/conftest.py": "from sqlalchemy import create_engine\n"
                               "engine = create_engine('postgresql://db/test')\n"},
         False),  # one engine of a server, even in the tests
        ({"app/db.py": "from sqlalchemy import create_engine\nengine = create_engine(os.environ['URL'])\n"}, False),
        ({"app/db.py": "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n",
          "app/web.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n"}, False),  # its URL: config
        ({"app/db.py": "from sqlalchemy import create_engine, engine_from_config\nengine = create_engine('sqlite://')\n"
                       "other = engine_from_config(config)\n"}, False),
        ({}, False),  # no engine seen: cannot tell
        ({"tests/test_models.py": "import sqlalchemy\nengine = sqlalchemy.create_engine('sqlite://')\n",
          "app/migration.py": "from oslo_db.sqlalchemy import session\n"
                              "def connect(url):\n    return session.create_engine(url)\n"},
         False),  # OpenStack's shape: the tests' SQLite engine, and another library's create_engine
        ({"tests/test_models.py": "import sqlalchemy\nengine = sqlalchemy.create_engine('sqlite://')\n"},
         False),  # only the tests' engine is seen: what the application runs on is not
    ],
    ids=["literal", "check_same_thread", "server in tests", "url from the environment", "flask-sqlalchemy",
         "engine_from_config", "no engine", "another library's create_engine", "sqlite in tests only"],
)
def test_a_swallowed_statement_error_is_quiet_only_where_every_engine_is_sqlite(tmp_path, engines, sqlite_only):
    write(tmp_path, {"proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/upgrade.py": SWALLOWED_EXECUTE,
                     "proj/app/save.py": SWALLOWED_FLUSH, **{f"proj/{name}": text for name, text in engines.items()}})
    assert codes(tmp_path / "proj", "app/upgrade.py") == ([] if sqlite_only else [(7, "SQS301")])
    assert codes(tmp_path / "proj", "app/save.py") == [(5, "SQS301")]  # a failed flush needs rollback() anywhere


def _sqlite_project(tmp_path: Path) -> Path:
    write(tmp_path, {"proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/upgrade.py": SWALLOWED_EXECUTE,
                     "proj/app/db.py": "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n"})
    return tmp_path / "proj"


def test_on_sqlite_a_statement_that_may_autoflush_what_the_function_added_is_still_reported(tmp_path):
    root = _sqlite_project(tmp_path)
    write(root, {"app/autoflush.py": """\
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        def refresh(session, row):
            session.add(row)
            try:
                session.execute(text("SELECT 1"))
            except OperationalError:
                pass

        def refresh_all(session, rows):
            for row in rows:
                refresh(session, row)
        """})
    assert codes(root, "app/upgrade.py") == []
    assert codes(root, "app/autoflush.py") == [(8, "SQS301")]  # the autoflush of `row` may fail


@pytest.mark.parametrize("hidden", [".tox/py/lib/db.py", "node_modules/x/db.py", "venv/lib/db.py", "__pycache__/db.py"])
def test_the_project_folder_is_read_without_hidden_folders_and_environments(tmp_path, hidden):
    root = _sqlite_project(tmp_path)
    write(root, {hidden: "from sqlalchemy import create_engine\nengine = create_engine('mysql://db/x')\n",
                 "venv/pyvenv.cfg": ""})
    assert codes(root, "app/upgrade.py") == []


def test_a_project_too_big_or_unreadable_to_read_whole_is_not_taken_for_sqlite_only(tmp_path, monkeypatch):
    root = _sqlite_project(tmp_path)
    monkeypatch.setattr(project_module, "MAX_SCANNED_FILES", 2)  # it has 3
    assert codes(root, "app/upgrade.py") == [(7, "SQS301")]
    project_module._PROJECTS.clear()
    monkeypatch.setattr(project_module, "MAX_SCANNED_FILES", 5_000)
    monkeypatch.setattr(project_module, "MAX_SCANNED_BYTES", 100)  # its three files hold more
    assert codes(root, "app/upgrade.py") == [(7, "SQS301")]
    project_module._PROJECTS.clear()
    monkeypatch.setattr(project_module, "MAX_SCANNED_BYTES", 50_000_000)
    (root / "app/latin1.py").write_bytes(b"name = '\xe9'\n")  # not UTF-8, no coding line: cannot be read
    assert codes(root, "app/upgrade.py") == [(7, "SQS301")]
    (root / "app/latin1.py").unlink()
    project_module._PROJECTS.clear()
    assert codes(root, "app/upgrade.py") == []


def test_the_language_server_sees_an_engine_added_to_a_file_it_read(tmp_path):
    from flake8_sqla_session.knowledge.project import refresh_projects

    root = _sqlite_project(tmp_path)
    settings = Settings.build(cache_dir="off")
    assert codes(root, "app/upgrade.py", settings) == []
    refresh_projects()
    (project,) = project_module._PROJECTS.values()
    assert codes(root, "app/upgrade.py", settings) == []  # nothing changed
    (root / "app/__init__.py").write_text("VERSION = 2\n")  # read for the fact only, not for an answer
    refresh_projects()
    assert list(project_module._PROJECTS.values()) == [project]  # its answers are kept
    assert codes(root, "app/upgrade.py", settings) == []
    (root / "app/__init__.py").write_text("from sqlalchemy import create_engine\nE = create_engine('mysql://db/x')\n")
    refresh_projects()
    assert codes(root, "app/upgrade.py", settings) == [(7, "SQS301")]


@pytest.mark.parametrize("top", ["Pipfile", "requirements.txt", "pytest.ini", ".git/HEAD"])
def test_a_repository_without_packaging_files_is_read_from_its_top(tmp_path, monkeypatch, top):
    # RemindMeBot's shape: `src/` and `scripts/` (no packages), a Pipfile at the top, flake8 run
    # from there. The scripts' folder alone holds no engine: the project's SQLite one is in src/.
    write(tmp_path, {f"bot/{top}": "", "bot/scripts/upgrade.py": SWALLOWED_EXECUTE,
                     "bot/src/database.py": "from sqlalchemy import create_engine\n"
                                            "engine = create_engine('sqlite:///bot.db')\n"})
    monkeypatch.chdir(tmp_path / "bot")
    assert codes(tmp_path / "bot", "scripts/upgrade.py") == []


def test_without_a_mark_of_its_top_the_scripts_folder_alone_is_read(tmp_path, monkeypatch):
    write(tmp_path, {"bot/scripts/upgrade.py": SWALLOWED_EXECUTE,
                     "bot/src/database.py": "from sqlalchemy import create_engine\n"
                                            "engine = create_engine('sqlite:///bot.db')\n"})
    monkeypatch.chdir(tmp_path / "bot")
    assert codes(tmp_path / "bot", "scripts/upgrade.py") == [(7, "SQS301")]  # no engine seen: cannot tell


# ---- an engine made in a function, kept by another module or not (SQS201) -------------------

_ENGINE_HELPER = (
    "from sqlalchemy import create_engine, text\n\n\ndef get_engine(url):\n    return create_engine(url)\n\n\n"
    "def stored(url):\n    engine = get_engine(url)\n    with engine.connect() as conn:\n"
    "        return conn.execute(text('SELECT 1')).all()\n"
)


@pytest.mark.parametrize(
    "elsewhere, reported",
    [
        ({}, False),  # called in its module alone, by a caller that keeps the engine local
        ({"tests/test_meta.py": "from app.meta import get_engine\n\nengine = get_engine('sqlite://')\n"},
         False),  # the project's tests may keep one: their process ends with them
        ({"app/db.py": "from app.meta import get_engine\n\nengine = get_engine(URL)\n"}, True),  # kept for good
        ({"app/db.py": "from app import meta\n\nengine = meta.get_engine(URL)\n"}, True),  # through its module
        ({"app/db.py": "from app.meta import get_engine\n\nengine: Engine = get_engine(URL)\n"}, True),  # annotated
        ({"app/db.py": "from app.meta import (\n    other,\n    get_engine,\n)\n"}, False),  # imported, never kept
        ({"app/db.py": "from app.meta import get_engine\n\ndef ping():\n    engine = get_engine(URL)\n"},
         False),  # called in a function of another module: where it goes there is not followed
        ({"app/db.py": "import os\rfrom app.meta import get_engine\r\rengine = get_engine(URL)\r"}, True),  # CR ends
        # stored in the web application's state, which lives as long as the process (AgentGPT's
        # `_setup_db(app)`), directly or through a local
        ({"app/life.py": "from app.meta import get_engine\n\ndef setup(app):\n"
                         "    app.state.db_engine = get_engine(URL)\n"}, True),
        ({"app/life.py": "from app.meta import get_engine\n\ndef setup(app):\n    engine = get_engine(URL)\n"
                         "    factory = sessionmaker(engine)\n    app.state.db_engine = engine\n"}, True),
        # ... not a request's state, nor another local stored there
        ({"app/life.py": "from app.meta import get_engine\n\ndef setup(request):\n"
                         "    request.state.db_engine = get_engine(URL)\n"}, False),
        ({"app/life.py": "from app.meta import get_engine\n\ndef setup(app):\n    engine = get_engine(URL)\n"
                         "    engine.dispose()\n    app.state.db_engine = other\n"}, False),
    ],
    ids=["module only", "tests", "imported", "through its module", "annotated", "imported only",
         "called in a function", "CR line ends", "app-state", "app-state-through-a-local", "request-state",
         "another-local"],
)
def test_an_engine_a_public_function_returns_is_reported_where_another_module_keeps_it(tmp_path, elsewhere, reported):
    write(tmp_path, {"proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/meta.py": _ENGINE_HELPER,
                     **{f"proj/{name}": text for name, text in elsewhere.items()}})
    assert codes(tmp_path / "proj", "app/meta.py") == ([(5, "SQS201")] if reported else [])


_REGISTRY_HELPER = (
    "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n\n"
    "def create_tables(url):\n    engine = create_engine(url)\n    BASE.metadata.create_all(engine)\n"
    "    return scoped_session(sessionmaker(bind=engine))\n"
)


@pytest.mark.parametrize(
    "elsewhere, reported",
    [
        ({}, True),  # no call seen: a registry is made to outlive its function
        ({"createdb.py": "from app.models import create_tables\n\ncreate_tables(URL)\n"}, False),  # dropped
        ({"createdb.py": "from app import models\n\nmodels.create_tables(URL)\n",
          "tests/test_models.py": "from app.models import create_tables\n\nSESSION = create_tables(URL)\n"},
         False),  # dropped; the tests' own use does not count
        ({"createdb.py": "from app.models import create_tables\n\ncreate_tables(URL)\n",
          "app/__init__.py": "from app.models import create_tables\n\nSESSION = create_tables(URL)\n"}, True),
        ({"app/worker.py": "from app.models import create_tables\n\ndef main():\n    run(create_tables(URL))\n"},
         True),  # its result is used: where it goes is not followed
    ],
    ids=["no call", "a script drops it", "through its module, tests aside", "kept by the package", "used"],
)
def test_a_registry_a_function_returns_only_to_callers_that_drop_it_is_not_kept(tmp_path, elsewhere, reported):
    """fedora elections' `create_tables(url)`: its engine goes into a registry it returns, and its
    setup script runs it once, dropping the result (SQS201 stays quiet)."""
    write(tmp_path, {"proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/models.py": _REGISTRY_HELPER,
                     **{f"proj/{name}": text for name, text in elsewhere.items()}})
    assert codes(tmp_path / "proj", "app/models.py") == ([(6, "SQS201")] if reported else [])


_DATABASE_CLASS = (
    "from sqlalchemy.ext.asyncio import create_async_engine\n\n\nclass Database:\n"
    "    def __init__(self, name):\n        self.engine = create_async_engine(url_of(name))\n"
)


@pytest.mark.parametrize(
    "elsewhere, reported",
    [
        ({}, False),  # no instance seen: its lifetime cannot be told
        ({"app/core/db.py": "from app.db import Database\n\ndb = Database('database')\n"}, True),  # lnbits' shape
        ({"app/tasks.py": "from app.db import Database\n\ndef run():\n    db = Database('tmp')\n"}, False),
    ],
    ids=["no instance", "module-level instance elsewhere", "instance in a function elsewhere"],
)
def test_an_engine_on_self_is_reported_where_an_instance_is_kept(tmp_path, elsewhere, reported):
    write(tmp_path, {"proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/db.py": _DATABASE_CLASS,
                     **{f"proj/{name}": text for name, text in elsewhere.items()}})
    assert codes(tmp_path / "proj", "app/db.py") == ([(6, "SQS201")] if reported else [])


def test_a_session_named_here_for_another_modules_function_is_rolled_back_only_with_unsafe_fixes(tmp_path):
    """`approve_quietly` imports `SESSION` by the name `approve`'s module uses: the fix takes them for
    one session, so `--fix` leaves it and `--unsafe-fixes` applies it."""
    import shutil
    import subprocess
    import sys

    root = tmp_path / "bot_helpers"
    shutil.copytree(PROJECTS / "bot_helpers", root)
    handlers = root / "bot/modules/pm.py"
    command = [sys.executable, "-m", "flake8_sqla_session", "--fix", "bot/modules/pm.py"]
    subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert "SESSION.rollback()" not in handlers.read_text()
    subprocess.run([*command, "--unsafe-fixes"], cwd=root, capture_output=True, text=True, timeout=300)
    assert handlers.read_text().count("SESSION.rollback()") == 1  # approve_quietly only: the others cannot name it


@pytest.mark.parametrize(
    ("signature", "where", "bound", "expected"),
    [
        ("def f(a, b, *, c): pass", 1, False, "b"),
        ("def f(a, b, *, c): pass", 2, False, None),  # only two positional parameters
        ("def f(a, b, *, c): pass", "c", False, "c"),
        ("def f(a, /, b): pass", "a", False, None),  # positional-only: no keyword binds it
        ("def f(a, /, b): pass", "b", False, "b"),
        ("def m(self, a, b): pass", 0, True, "a"),  # a method: the call binds `self`
        ("def m(self, /, a): pass", "a", True, "a"),
        ("def f(a, **kwargs): pass", "z", False, None),
    ],
)
def test_the_parameter_an_argument_binds(signature, where, bound, expected):
    function = ast.parse(signature).body[0]
    assert parameter_of(function, where, bound) == expected


# ---- a model's classmethod working on its module's shared session (SQS301) ------------------

_MODEL_DB = "from sqlalchemy.orm import Session\n\ndbsession = Session(engine)\n"
_MODEL_HANDLER = (
    "from sqlalchemy.exc import SQLAlchemyError\nfrom app.user import User\n\n\ndef current(uuid):\n"
    "    try:\n        return User.by_uuid(uuid)\n    except SQLAlchemyError:\n        return None\n"
)


@pytest.mark.parametrize(
    "method, reported",
    [
        ("    @classmethod\n    def by_uuid(cls, uuid):\n"
         "        return dbsession.query(cls).filter_by(uuid=uuid).first()\n", True),  # RootTheBox's models
        ("    @staticmethod\n    def by_uuid(uuid):\n        return dbsession.query(User).get(uuid)\n", True),
        ("    def by_uuid(self, uuid):\n        return dbsession.query(User).get(uuid)\n",
         False),  # not run by the class
        ("    @classmethod\n    def by_uuid(cls, uuid):\n        try:\n"
         "            return dbsession.query(cls).get(uuid)\n        finally:\n            dbsession.rollback()\n",
         False),  # it rolls back itself
        ("    @classmethod\n    def by_uuid(cls, uuid):\n        return cls.query.get(uuid)\n",
         False),  # no shared session
    ],
    ids=["classmethod", "staticmethod", "instance method", "rolls back", "no session"],
)
def test_a_model_classmethod_on_its_modules_shared_session_is_session_work(tmp_path, method, reported):
    write(tmp_path, {
        "proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/db.py": _MODEL_DB,
        "proj/app/user.py": "from app.db import dbsession\n\n\nclass User(Base):\n" + method,
        "proj/app/handlers.py": _MODEL_HANDLER,
    })
    assert codes(tmp_path / "proj", "app/handlers.py") == ([(8, "SQS301")] if reported else [])


@pytest.mark.parametrize(
    "imports, call",
    [
        ("import app.lib.git", "app.lib.git.mirror(session, project)"),  # through its whole dotted name
        ("import app.lib\nimport app.lib.git", "app.lib.git.mirror(session, project)"),  # `app` bound twice
        ("import app.lib.git as git", "git.mirror(session, project)"),
        ("from app.lib.git import mirror", "mirror(session, project)"),
        ("from app.lib import git", "git.mirror(session, project)"),
    ],
)
def test_a_helper_is_followed_however_its_module_is_named(tmp_path, imports, call):
    # pagure's `files/mirror_project_in.py`: `import pagure.lib.git`, then in a loop
    # `pagure.lib.git.mirror_pull_project(session, project)`, which adds and commits.
    write(tmp_path, {
        "proj/pyproject.toml": "", "proj/app/__init__.py": "", "proj/app/lib/__init__.py": "",
        "proj/app/lib/git.py": "def mirror(session, project):\n    session.add(project)\n    session.commit()\n",
        "proj/app/job.py": f"{imports}\nfrom sqlalchemy.orm import Session\n\n\n"
                           "def main(session: Session, projects):\n    for project in projects:\n"
                           f"        try:\n            {call}\n        except Exception:\n"
                           "            print('failed')\n",
    })
    assert codes(tmp_path / "proj", "app/job.py") == [(9 + imports.count("\n"), "SQS301")]


def test_a_dotted_call_through_a_module_the_project_does_not_hold_is_not_followed(tmp_path):
    write(tmp_path, {
        "proj/pyproject.toml": "", "proj/app/__init__.py": "",
        "proj/app/job.py": "import os.path\n\n\ndef main(session, paths):\n    for path in paths:\n"
                           "        try:\n            os.path.exists(session, path)\n        except Exception:\n"
                           "            print('failed')\n",
    })
    assert codes(tmp_path / "proj", "app/job.py") == []
