"""Fuzzing: the plugin never raises; the fixer's output always parses and is idempotent.

* hypothesmith programs (`from_grammar()` / `from_node()`), which reach odd syntax;
* SQLAlchemy-shaped programs composed from fragment templates (engines, session
  factories, module-level sessions, try/except around session work, async
  twins) with random names, aliases and nesting, which reach the rules' paths;
* mutations of real inputs (truncation, stray bytes) and pathological files
  (deep nesting, very long lines, 50,000 lines): a clear message or a clean
  pass, never a traceback, never a hang.

Time bounds: every in-process example runs under a CPU-time timer (ITIMER_PROF),
every command line run under a CPU-time limit (RLIMIT_CPU) and a subprocess
timeout.  There are no timing asserts beyond "it finished".
"""
from __future__ import annotations

import ast
import contextlib
import json
import keyword
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Iterator

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st

from flake8_sqla_session.checker import check
from flake8_sqla_session.plugin import Plugin
from flake8_sqla_session.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SECONDS = 30  # per in-process example
# A command line run that loops forever burns CPU: it is stopped after CLI_CPU_SECONDS of
# CPU time (RLIMIT_CPU), however busy the machine is; one that blocks is stopped after
# CLI_SECONDS of wall-clock time, long enough for a machine shared with other jobs.
CLI_CPU_SECONDS = 120
CLI_SECONDS = 900

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=60)

SETTINGS = (
    Settings(),
    Settings.build(session_factories="app.db.SessionLocal,.db.get_session", session_names=r"s|db|conn"),
)


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_bound(seconds: int = EXAMPLE_SECONDS) -> Iterator[None]:
    """Fail (instead of hanging the run) when the body uses more than `seconds` of CPU time.

    CPU time (ITIMER_PROF), not wall-clock time: a loop that never ends is caught
    all the same, and a machine busy with other jobs does not fail the example."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def parse(source: str) -> ast.Module | None:
    """What flake8 would hand the plugin, or None when flake8 itself could not parse it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def assert_plugin_quiet_on_errors(tree: ast.Module, source: str) -> None:
    """check() raises nothing and the flake8 entry point never falls back to SQS999."""
    for options in SETTINGS:
        check(tree, options, "fuzz.py")
        Plugin.settings = options
        try:
            for line, col, message, _ in Plugin(tree, "fuzz.py").run():
                assert not message.startswith("SQS999"), message
                assert isinstance(line, int) and isinstance(col, int)
        finally:
            Plugin.settings = Settings()


def assert_fix_parses_and_is_idempotent(source: str, *, allow_refusal: bool) -> None:
    """fix_source's output parses, and fixing it again changes nothing.

    `allow_refusal`: a FixError (a fix the fixer declines to place, with a message)
    is accepted for arbitrary grammar-generated programs, not for the SQLAlchemy-shaped ones.
    """
    from flake8_sqla_session.fix import fix_source
    from flake8_sqla_session.fix.api import FixError

    for unsafe in (False, True):
        for options in SETTINGS:
            try:
                first = fix_source(source, options, filename="fuzz.py", unsafe=unsafe)
            except FixError:
                if allow_refusal:
                    continue
                raise
            assert parse(first.source) is not None, f"fixed output does not parse:\n{first.source}"
            second = fix_source(first.source, options, filename="fuzz.py", unsafe=unsafe)
            assert second.source == first.source, f"not idempotent:\n{first.source}\n---\n{second.source}"
            assert not second.applied, [f.code for f in second.applied]


# ---- hypothesmith -------------------------------------------------------------------------


@pytest.mark.fuzz
@FUZZ
@given(source=hypothesmith.from_grammar())
def test_grammar_programs_plugin(source: str) -> None:
    tree = parse(source)
    assume(tree is not None)
    assert tree is not None
    with time_bound():
        assert_plugin_quiet_on_errors(tree, source)


@pytest.mark.fuzz
@FEW
@given(source=hypothesmith.from_node())
def test_node_programs_plugin_and_fixer(source: str) -> None:
    tree = parse(source)
    assume(tree is not None)
    assert tree is not None
    with time_bound():
        assert_plugin_quiet_on_errors(tree, source)
        assert_fix_parses_and_is_idempotent(source, allow_refusal=True)


@pytest.mark.fuzz
@FEW
@given(source=hypothesmith.from_grammar())
def test_grammar_programs_fixer(source: str) -> None:
    assume(parse(source) is not None)
    with time_bound():
        assert_fix_parses_and_is_idempotent(source, allow_refusal=True)


# ---- SQLAlchemy-shaped programs ----------------------------------------------------------

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and not keyword.issoftkeyword(n) and n not in ("print", "self")
)
SESSION_NAMES = st.one_of(
    st.sampled_from(["session", "db_session", "sess", "s", "db", "dbsession", "my_session"]), NAMES
)
URLS = st.sampled_from(
    ['"mysql://x/y"', '"postgresql://db/app"', '"sqlite:///app.db"', 'f"mysql://{host}/db"', "url", "settings.DB_URL"]
)
ENGINE_KWARGS = st.lists(
    st.sampled_from(
        [
            "pool_pre_ping=True", "pool_pre_ping=False", "pool_recycle=3600", "pool_recycle=-1",
            "pool_recycle=8 * 3600", "pool_recycle=40000", "echo=True", "poolclass=NullPool", "**opts",
        ]
    ),
    max_size=3,
    unique=True,
).map(lambda kws: sorted(kws, key=lambda k: k.startswith("**")))
EXCEPT_TYPES = st.sampled_from(
    ["", " Exception", " BaseException", " {sa}.exc.OperationalError", " (ValueError, {sa}.exc.SQLAlchemyError)",
     " sqlalchemy.exc.DBAPIError as e", " KeyError", " Exception as exc"]
)
HANDLER_BODIES = st.sampled_from(
    ["pass", "log(\"failed\")", "raise", "return None", "{s}.rollback()", "{s}.close()", "continue_ = 1",
     "print(e)\nraise RuntimeError('x')", "{s}.rollback()\nraise"]
)
WORK = st.lists(
    st.sampled_from(
        ["{s}.add(obj)", "{s}.commit()", "{s}.execute(q)", "{s}.flush()", "{s}.delete(row)",
         "{s}.bulk_save_objects(rows)", "rows = {s}.query(Model).all()", "{s}.merge(obj)", "other.commit()"]
    ),
    min_size=1,
    max_size=3,
)


def lines(text: str) -> list[str]:
    return text.split("\n")


def indent(block: list[str], by: str = "    ") -> list[str]:
    return [by + line if line else line for line in block]


@st.composite
def imports(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    """Import lines and how each SQLAlchemy name is spelled after them."""
    sa = draw(st.sampled_from(["sa", "sqlalchemy", "sqla", "_sa"]))
    out = [f"import sqlalchemy as {sa}" if sa != "sqlalchemy" else "import sqlalchemy"]
    spell = {"sa": sa}
    style = draw(st.sampled_from(["from", "attr", "alias"]))
    for name, module in (
        ("create_engine", "sqlalchemy"),
        ("sessionmaker", "sqlalchemy.orm"),
        ("Session", "sqlalchemy.orm"),
        ("scoped_session", "sqlalchemy.orm"),
        ("create_async_engine", "sqlalchemy.ext.asyncio"),
        ("async_sessionmaker", "sqlalchemy.ext.asyncio"),
        ("AsyncSession", "sqlalchemy.ext.asyncio"),
        ("NullPool", "sqlalchemy.pool"),
    ):
        if style == "attr":
            spell[name] = f"{sa}.{module.partition('.')[2] + '.' if '.' in module else ''}{name}"
        elif style == "alias":
            alias = draw(NAMES.filter(lambda n: n != sa))
            out.append(f"from {module} import {name} as {alias}")
            spell[name] = alias
        else:
            out.append(f"from {module} import {name}")
            spell[name] = name
    if draw(st.booleans()):
        out.append("from flask_sqlalchemy import SQLAlchemy")
        out.append("fdb = SQLAlchemy()")
    if draw(st.booleans()):
        out.insert(0, "from __future__ import annotations")
    return out, spell


@st.composite
def fragment(draw: st.DrawFn, spell: dict[str, str], depth: int = 0) -> list[str]:
    """One statement (possibly compound) from the templates."""
    s = draw(SESSION_NAMES)
    asynchronous = draw(st.booleans())
    kinds = ["engine", "factory", "module_session", "try_work", "function", "default_arg", "unclosed", "with_session"]
    if depth < 3:
        kinds += ["nest", "nest", "class"]
    kind = draw(st.sampled_from(kinds))
    engine_func = spell["create_async_engine" if asynchronous else "create_engine"]
    maker = spell["async_sessionmaker" if asynchronous else "sessionmaker"]
    session_cls = spell["AsyncSession" if asynchronous else "Session"]
    name = draw(NAMES)
    if kind == "engine":
        args = [draw(URLS), *draw(ENGINE_KWARGS)]
        args = [a.replace("NullPool", spell["NullPool"]) for a in args]
        if draw(st.booleans()):
            body = ",\n".join("    " + a for a in args)
            return lines(f"{name} = {engine_func}(\n{body},\n)")
        return [f"{name} = {engine_func}({', '.join(args)})"]
    if kind == "factory":
        registry = draw(st.booleans())
        call = f"{maker}(bind={name})" if draw(st.booleans()) else f"{maker}()"
        if registry:
            call = f"{spell['scoped_session']}({call})"
        return [f"{draw(NAMES)} = {call}"]
    if kind == "module_session":
        choice = draw(st.integers(0, 3))
        call = [f"{maker}(bind=engine)()", f"{session_cls}(engine)", f"{name}()", "fdb.session()"][choice]
        annotation = f": {session_cls}" if draw(st.booleans()) else ""
        return [f"{s}{annotation} = {call}"]
    if kind in ("try_work", "function", "with_session"):
        aw = "await " if asynchronous else ""
        work = [w.format(s=s) for w in draw(WORK)]
        if asynchronous:
            work = [aw + w if w.startswith(s + ".") and ".add(" not in w else w for w in work]
        exc = draw(EXCEPT_TYPES).format(sa=spell["sa"])
        handler = lines(draw(HANDLER_BODIES).format(s=s))
        if asynchronous:
            handler = [aw + h if h.startswith(s + ".") else h for h in handler]
        block = ["try:", *indent(work), f"except{exc}:", *indent(handler)]
        if draw(st.booleans()):
            block += ["finally:", *indent([draw(st.sampled_from(["pass", f"{s}.close()", "cleanup()"]))])]
        if kind == "with_session":
            block = [f"{'async ' if asynchronous else ''}with {session_cls}(engine) as {s}:", *indent(block)]
        if kind == "try_work" and depth > 0:
            return block
        params = draw(st.sampled_from([f"{s}", f"{s}: {session_cls}", f"{s}=None", "", f"*, {s}"]))
        head = f"{'async ' if asynchronous else ''}def {name}({params}):"
        return [head, *indent(block)]
    if kind == "default_arg":
        return [f"def {name}({s}={session_cls}(engine)):", "    return " + s]
    if kind == "unclosed":
        head = f"{'async ' if asynchronous else ''}def {name}():"
        create = f"    {s} = {maker}(bind=engine)()" if draw(st.booleans()) else f"    {s} = {session_cls}(engine)"
        return [head, create, f"    {s}.add(obj)", f"    {'await ' if asynchronous else ''}{s}.commit()"]
    if kind == "class":
        body = draw(st.lists(fragment(spell, depth + 1), min_size=1, max_size=3))
        attr = [f"{s} = {session_cls}(engine)"] if draw(st.booleans()) else []
        return [f"class {name.capitalize() or 'C'}:", *indent(attr), *indent([line for b in body for line in b])]
    # nest: a compound statement around more fragments
    head = draw(
        st.sampled_from(
            ["if cond:", "for item in items:", "while running:", "with lock:", "if __name__ == \"__main__\":",
             "try:", f"def {name}():", f"async def {name}():"]
        )
    )
    body = draw(st.lists(fragment(spell, depth + 1), min_size=1, max_size=3))
    block = [head, *indent([line for b in body for line in b])]
    if head == "try:":
        block += ["except ImportError:", "    pass"]
    return block


@st.composite
def sqlalchemy_programs(draw: st.DrawFn) -> str:
    header, spell = draw(imports())
    statements = draw(st.lists(fragment(spell), min_size=1, max_size=6))
    body = [line for statement in statements for line in statement]
    return "\n".join([*header, "", *body]) + "\n"


@pytest.mark.parametrize("code", ["SQS101", "SQS103", "SQS104", "SQS201", "SQS202", "SQS301"])
def test_fragment_generator_produces_findings(code: str) -> None:
    """The fragments reach the rules: some generated program yields each main code.

    `find` with a derandomized search, so the test gives the same answer on every
    machine (with CI=true Hypothesis derandomizes anyway, and `.example()` repeats).
    """
    from hypothesis import Phase, find
    from hypothesis import settings as hypothesis_settings

    def reports(source: str) -> bool:
        return code in {f.code for f in check(ast.parse(source), Settings(), "x.py")}

    search = hypothesis_settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate])
    assert reports(find(sqlalchemy_programs(), reports, settings=search))


@pytest.mark.fuzz
@FUZZ
@given(source=sqlalchemy_programs())
@example(
    source=textwrap.dedent(
        """\
        import sqlalchemy as sa
        from sqlalchemy.orm import sessionmaker
        engine = sa.create_engine("mysql://x/y")
        session = sessionmaker(bind=engine)()
        def work(session):
            try:
                session.commit()
            except Exception:
                pass
        """
    )
)
def test_sqlalchemy_programs(source: str) -> None:
    note(source)
    tree = parse(source)
    assert tree is not None, f"the generator made code that does not parse:\n{source}"
    with time_bound():
        assert_plugin_quiet_on_errors(tree, source)
        assert_fix_parses_and_is_idempotent(source, allow_refusal=False)


# ---- mutations of real inputs ------------------------------------------------------------


def real_inputs() -> list[Path]:
    import sqlalchemy

    sa_root = Path(sqlalchemy.__file__).parent
    candidates = [
        *sorted((ROOT / "examples").rglob("*.py")),
        sa_root / "testing" / "engines.py",
        sa_root / "orm" / "scoping.py",
        sa_root / "ext" / "asyncio" / "session.py",
    ]
    return [p for p in candidates if p.is_file() and p.stat().st_size < 200_000]


REAL = real_inputs()
SEEDED_TAIL = textwrap.dedent(
    """
    import sqlalchemy as _sa
    _engine = _sa.create_engine("mysql://x/y")
    _session = _sa.orm.sessionmaker(bind=_engine)()
    def _work(session):
        try:
            session.commit()
        except Exception:
            pass
    """
)


STRAY = [
    b"\x00", b"\xff", b"\xfe\xff", b"\x0c", b"(", b")", b":", b"\t", b"\r", b'"""', b"\\",
    b"\xe2\x80\x8b", b"# -*- coding: latin-1 -*-\n", b"\x1a", b"\n    ", b"try:\n",
]


@st.composite
def mutated_sources(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(REAL)).read_bytes() + SEEDED_TAIL.encode()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "insert", "delete", "replace"]))
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:at]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 200)):]
        else:
            stray = draw(st.one_of(st.sampled_from(STRAY), st.binary(min_size=1, max_size=8)))
            end = at + (len(stray) if op == "replace" else 0)
            data = data[:at] + stray + data[end:]
    return data


@FEW
@given(data=mutated_sources())
def test_mutated_real_inputs_in_process(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each mutated file through the command line's per-file path: an error message or a result, never an exception."""
    from flake8_sqla_session.cli import Job, process
    from flake8_sqla_session.selection import build_selection

    folder = tmp_path_factory.mktemp("mut")
    path = folder / "mutated.py"
    path.write_bytes(data)
    job = Job("fix", True, Settings(), build_selection(None, None, None, None, None, root=str(folder)))
    with time_bound():
        outcome = process(str(path), job)
        if outcome.error is not None:
            assert "internal error" not in outcome.error, outcome.error
        else:
            assert parse(path.read_text(encoding=_encoding(path))) is not None
            again = process(str(path), job)
            assert again.error is None and not again.applied
        text = _decoded(data)
        tree = parse(text) if text is not None else None
        if tree is not None:
            assert_plugin_quiet_on_errors(tree, text)


def _encoding(path: Path) -> str:
    import tokenize

    with path.open("rb") as handle:
        return tokenize.detect_encoding(handle.readline)[0]


def _decoded(data: bytes) -> str | None:
    import io
    import tokenize

    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


# ---- pathological files, through flake8 and the command line -------------------------------

SA_HEADER = 'import sqlalchemy as sa\nengine = sa.create_engine("mysql://x/y")\n'


def deep_expression(depth: int) -> str:
    # parentheses stop at Python's own limit (200), so nest without them: a unary chain and a binop chain
    return (
        SA_HEADER
        + "x = " + "-" * depth + "1\n"
        + "url = " + " + ".join(['"mysql://"'] * depth) + "\n"
        + "e2 = sa.create_engine(" + " + ".join(['"mysql://x"'] * depth) + ")\n"
        + "chain = sa" + ".attr" * depth + "\n"
    )


def deep_parens(depth: int) -> str:
    return SA_HEADER + "x = " + "(" * depth + "1" + ")" * depth + "\n"


def deep_if(depth: int) -> str:
    out = [SA_HEADER.rstrip("\n"), "def work(session):"]
    for level in range(depth):
        out.append("    " * (level + 1) + f"if c{level}:")
    pad = "    " * (depth + 1)
    out += [pad + "try:", pad + "    session.commit()", pad + "except Exception:", pad + "    pass"]
    return "\n".join(out) + "\n"


def long_lines() -> str:
    items = ", ".join(str(i) for i in range(200_000))
    text = "s" * 1_000_000
    engine = f"engine2 = sa.create_engine(url, echo=True, {'x=1, ' * 20000}pool_recycle=-1)\n"
    return SA_HEADER + f"data = [{items}]\nblob = '{text}'\n" + engine


def many_lines(count: int = 50_000) -> str:
    out = [SA_HEADER.rstrip("\n"), "from sqlalchemy.orm import Session"]
    per = 10
    for i in range(count // per):
        out += [
            f"def f{i}(session):",
            "    try:",
            f"        session.add(x{i})",
            "        session.commit()",
            "    except Exception:",
            f"        log({i})",
            f"v{i} = {i}",
            f"w{i} = [{i}, {i + 1}]",
            f"engine{i} = sa.create_engine(url{i})" if i % 500 == 0 else f"u{i} = {i}",
            "",
        ]
    return "\n".join(out) + "\n"


PATHOLOGICAL = {
    "deep-expression-500": lambda: deep_expression(500),
    "deep-parens-500": lambda: deep_parens(500),
    "deep-if-95": lambda: deep_if(95),  # def + 95 ifs + try + body: 98 levels, under the limit of 100
    "deep-if-100": lambda: deep_if(100),  # over Python's indentation limit: a clear "cannot parse"
    "long-lines": long_lines,
    "50000-lines": many_lines,
    # ast.parse takes it (up to ~2,900 operands here), pyflakes does not (RecursionError under flake8)
    "deep-binop-1500": lambda: SA_HEADER + "e2 = sa.create_engine(" + " + ".join(['"mysql://x"'] * 1500) + ")\n",
    "null-bytes": lambda: SA_HEADER + "x = 1\x00\n",
    "unterminated": lambda: SA_HEADER + 'def f(:\n    """never closed\n',
}

PLUGIN_RUNNER = textwrap.dedent(
    """
    import ast, json, sys
    from flake8_sqla_session.plugin import Plugin
    data = open(sys.argv[1], "rb").read()
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        print(json.dumps({"parsed": False, "why": type(exc).__name__}))
        sys.exit(0)
    reports = [message for _, _, message, _ in Plugin(tree, sys.argv[1]).run()]
    print(json.dumps({"parsed": True, "reports": reports}))
    """
)


@pytest.fixture(scope="module")
def pathological_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pathological")
    files = {}
    for name, make in PATHOLOGICAL.items():
        path = folder / f"{name.replace('-', '_')}.py"
        path.write_text(make(), encoding="utf-8")
        files[name] = path
    return files


def _limit_cpu() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (CLI_CPU_SECONDS, CLI_CPU_SECONDS + 5))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    limit = _limit_cpu if hasattr(signal, "SIGXCPU") else None
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=CLI_SECONDS, cwd=cwd, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: {' '.join(args)} still running after {CLI_SECONDS} s")
    if limit is not None and proc.returncode == -signal.SIGXCPU:
        pytest.fail(f"hang: {' '.join(args)} used more than {CLI_CPU_SECONDS} s of CPU")
    return proc


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_plugin(name: str, pathological_files: dict[str, Path]) -> None:
    """What flake8 hands over (a tree ast.parse built) the plugin checks without SQS999; else nothing to check."""
    path = pathological_files[name]
    proc = _run([sys.executable, "-c", PLUGIN_RUNNER, str(path)], path.parent)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    if result["parsed"]:
        assert not any(r.startswith("SQS999") for r in result["reports"]), result["reports"]


# CPython 3.12.0 to 3.12.3: the tokenize module gives every token its own copy of the
# line (gh-119654, gh-119118; fixed in 3.12.4).  flake8 keeps a logical line's tokens,
# so on the long-lines file plain flake8, with or without this plugin, takes all the
# memory there is (24 GB here) and is killed.
TOKENIZER_COPIES_LINES = (3, 12) <= sys.version_info[:3] < (3, 12, 4)
TOKENIZER_BUG = (
    "CPython bug gh-119654/gh-119118 (3.12.0-3.12.3, fixed in 3.12.4): tokenize copies the whole "
    "line into each of its tokens; flake8 alone runs out of memory on this file"
)
PROBE_MEMORY = 2 * 1024**3  # bytes of address space for the tokenizer probe
TOKENIZER_PROBE = textwrap.dedent(
    """
    import resource, sys, tokenize
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
    with open(sys.argv[1], "rb") as handle:
        tokens = list(tokenize.tokenize(handle.readline))  # as flake8 keeps a logical line's tokens
    print(len(tokens))
    """
)


def tokenizer_runs_out_of_memory(path: Path) -> bool:
    """Whether this Python's tokenize module needs more than PROBE_MEMORY for `path` (a subprocess)."""
    proc = _run([sys.executable, "-c", TOKENIZER_PROBE, str(path), str(PROBE_MEMORY)], path.parent)
    if proc.returncode == 0:
        return False
    assert "MemoryError" in proc.stderr, proc.stderr[-3000:]
    return True


def test_tokenizer_bug_is_where_it_is_known(pathological_files: dict[str, Path]) -> None:
    """The probe finds the tokenizer's memory blow-up exactly on the interpreters known to have it."""
    assert tokenizer_runs_out_of_memory(pathological_files["long-lines"]) == TOKENIZER_COPIES_LINES


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_flake8(name: str, pathological_files: dict[str, Path]) -> None:
    path = pathological_files[name]
    if name == "long-lines" and tokenizer_runs_out_of_memory(path):
        pytest.xfail(TOKENIZER_BUG)
    proc = _run([sys.executable, "-m", "flake8", "--isolated", "--select", "SQS,E999", str(path)], path.parent)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "SQS999" not in proc.stdout, proc.stdout[-3000:]


@pytest.mark.parametrize("mode", ["report", "--fix"])
@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_cli(name: str, mode: str, pathological_files: dict[str, Path], tmp_path: Path) -> None:
    """The command line: exit 0/1, or 2 with a one-line `path: error: ...` message; never a traceback."""
    original = pathological_files[name]
    path = tmp_path / original.name
    path.write_bytes(original.read_bytes())
    fix = [] if mode == "report" else ["--fix", "--unsafe-fixes"]
    args = [sys.executable, "-m", "flake8_sqla_session", *fix, str(path)]
    proc = _run(args, tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 1, 2), proc.stderr[-3000:]
    if proc.returncode == 2:
        errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
        assert errors, proc.stderr[-3000:]
        assert not any("internal error" in line for line in errors), errors
        assert path.read_bytes() == original.read_bytes(), "a file that could not be processed was changed"
    elif mode == "--fix":
        fixed = path.read_text(encoding="utf-8")
        assert parse(fixed) is not None
        again = _run([sys.executable, "-m", "flake8_sqla_session", "--fix", "--unsafe-fixes", str(path)], tmp_path)
        assert again.returncode in (0, 1) and path.read_text(encoding="utf-8") == fixed, again.stderr[-3000:]


def test_mutated_files_cli_batch(tmp_path: Path) -> None:
    """A folder of broken copies of real files in one command line run: messages, no traceback."""
    folder = tmp_path / "broken"
    folder.mkdir()
    count = 0
    for index, source in enumerate(REAL):
        data = source.read_bytes() + SEEDED_TAIL.encode()
        variants = {
            "half": data[: len(data) // 2],
            "nul": data[:100] + b"\x00" + data[100:],
            "latin": b"x = '\xe9'\n" + data,
            "bom-cookie": b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + data,
            "stray-paren": data.replace(b"):", b")):", 1),
            "crlf": data.replace(b"\n", b"\r\n"),
            "tabs": data.replace(b"    ", b"\t"),
            "seeded": data,
        }
        for label, variant in variants.items():
            (folder / f"f{index}_{label.replace('-', '_')}.py").write_bytes(variant)
            count += 1
    proc = _run(
        [sys.executable, "-m", "flake8_sqla_session", "--fix", "--unsafe-fixes", "--jobs", "2", str(folder)], tmp_path
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-5000:]
    assert proc.returncode in (0, 1, 2)
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert not any("internal error" in line for line in errors), errors
    for path in folder.iterdir():
        if path.name.endswith("_seeded.py") or path.name.endswith("_crlf.py"):
            assert not any(line.startswith(str(path) + ":") for line in errors), errors
