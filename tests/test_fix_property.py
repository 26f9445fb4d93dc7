"""What `--fix` promises to keep, as a property over real code and generated programs.

Every input goes through the command line's own per-file path (`cli.process`,
which reads, fixes and writes the file), with safe fixes and with unsafe ones,
in several byte-level shapes: LF, CRLF, lone CR and mixed line endings, a UTF-8
BOM, a latin-1 coding cookie.  Then, byte for byte:

* a file that could not be fixed is unchanged, and the reason is not a crash;
* a fixed file keeps its BOM, its coding cookie line, its encoding, the line
  ending of every line it kept, its mode, owner and group; and it compiles;
* fixing it again changes nothing (idempotence).

Real code: files of the installed sqlalchemy, django, alembic and
flask_sqlalchemy, each with a seeded block of fixable findings.  By default a
small, fixed sample; `SQS_FIX_PROPERTY=long` takes every 3rd file and more
generated programs (`pytest -m corpus tests/test_fix_property.py`);
`SQS_FIX_PROPERTY_SAMPLE=N` takes every N-th file.
"""
from __future__ import annotations

import codecs
import difflib
import importlib.util
import io
import os
import re
import stat
import tokenize
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_sqla_session.cli import Job, process
from flake8_sqla_session.selection import Selection
from flake8_sqla_session.settings import Settings

LONG = os.environ.get("SQS_FIX_PROPERTY") == "long"
PACKAGES = ("sqlalchemy", "django", "alembic", "flask_sqlalchemy")
SAMPLE = int(os.environ.get("SQS_FIX_PROPERTY_SAMPLE", 3 if LONG else 400))  # every SAMPLE-th file
EXAMPLES = 300 if LONG else 15
OWNER = (4321, 8765)  # given to the file when running as root
MODE = 0o640

SEED = '''

# ---- seeded by tests/test_fix_property.py ----
import sqlalchemy as _sqs_sa
from sqlalchemy.orm import Session as _SqsSession

_sqs_engine = _sqs_sa.create_engine("mysql://x/y")
_sqs_factory = _sqs_sa.orm.sessionmaker(bind=_sqs_engine)
_sqs_session = _sqs_factory()
_sqs_other = _SqsSession(bind=_sqs_engine)


def _sqs_seeded_work(session, rows):
    try:
        for row in rows:
            session.add(row)
        session.commit()
    except Exception:
        print("could not save", rows)
'''

_LINE_END = re.compile(rb"\r\n|\r|\n")


def _files() -> list[Path]:
    found: list[Path] = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(list(spec.submodule_search_locations)[0])
        found += sorted(p for p in root.rglob("*.py") if p.is_file())
    return found[::SAMPLE]


def shapes(text: str) -> dict[str, bytes]:
    """The byte-level shapes a module is tried in."""
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = lf.split("\n")
    ends = ("\n", "\r\n", "\r")
    mixed = "".join(part + ends[i % 3] for i, part in enumerate(parts[:-1])) + parts[-1]
    result = {
        "lf": lf.encode(),
        "crlf": lf.replace("\n", "\r\n").encode(),
        "cr": lf.replace("\n", "\r").encode(),
        "mixed": mixed.encode(),
        "bom": codecs.BOM_UTF8 + lf.encode(),
    }
    try:
        result["latin-1"] = ("# -*- coding: latin-1 -*-\n" + lf).encode("latin-1")
    except UnicodeEncodeError:
        pass
    return result


def _encoding(data: bytes) -> str:
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def _lines(data: bytes) -> list[tuple[bytes, bytes]]:
    """(content, ending) per line, split as Python splits them."""
    out = []
    start = 0
    for match in _LINE_END.finditer(data):
        out.append((data[start:match.start()], match.group()))
        start = match.end()
    if start < len(data):
        out.append((data[start:], b""))
    return out


def _prepare(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, MODE)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(path, *OWNER)


def check_kept(path: Path, before: bytes, unsafe: bool) -> str:
    """Fix `path` (holding `before`) and check every promise; returns what happened, for the summary."""
    job = Job("fix", unsafe, Settings(), Selection())
    st_before = path.stat()
    outcome = process(str(path), job)
    after = path.read_bytes()
    st_after = path.stat()
    assert (stat.S_IMODE(st_after.st_mode), st_after.st_uid, st_after.st_gid) == (
        stat.S_IMODE(st_before.st_mode), st_before.st_uid, st_before.st_gid,
    )
    assert not [p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.")]
    if outcome.error:
        assert "internal error" not in outcome.error, outcome.error
        assert after == before, f"{outcome.error}, yet the file changed"
        return "refused"
    if after == before:
        return "unchanged"
    assert after.startswith(codecs.BOM_UTF8) == before.startswith(codecs.BOM_UTF8)
    assert _encoding(after) == _encoding(before)
    text = after.decode(_encoding(after))
    head = [line for line, _ in _lines(before)[:2]]
    assert [line for line, _ in _lines(after)[:2]] == head  # a cookie sits on line 1 or 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(text, str(path), "exec", dont_inherit=True)
    old, new = _lines(before), _lines(after)
    # Lines the fix kept match whole; a line whose text stayed but whose ending changed shows
    # up as a one-for-one replacement with equal text.
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            for k in range(min(i2 - i1, j2 - j1)):
                (was_text, was), (now_text, now) = old[i1 + k], new[j1 + k]
                if was_text == now_text and was and now:
                    assert now == was, f"line {j1 + k + 1}: ending {was!r} became {now!r}"
    endings = {e for _, e in old if e}
    assert {e for _, e in new if e} <= endings, "a line ending the file did not have"
    again = process(str(path), job)
    assert not again.error and not again.applied, (again.error, [f.code for f in again.applied])
    assert path.read_bytes() == after, "not idempotent"
    return "fixed"


@pytest.mark.corpus
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_real_code_keeps_bytes_modes_owners_and_is_idempotent(tmp_path: Path) -> None:
    files = _files()
    assert files, "no installed package to read"
    counts: dict[str, int] = {}
    for index, source_path in enumerate(files):
        try:
            text = source_path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        for shape, data in shapes(text + SEED).items():
            for unsafe in (False, True):
                target = tmp_path / f"m{index}_{shape}_{int(unsafe)}.py"
                _prepare(target, data)
                try:
                    result = check_kept(target, data, unsafe)
                except AssertionError as exc:
                    raise AssertionError(f"{source_path} as {shape}, unsafe={unsafe}: {exc}") from None
                counts[result] = counts.get(result, 0) + 1
                target.unlink()
    assert counts.get("fixed", 0) > 0, counts  # the seeds make fixes happen: the checks above ran


@settings(
    max_examples=EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
@given(program=hypothesmith.from_node(), shape=st.sampled_from(["lf", "crlf", "cr", "mixed", "bom", "latin-1"]),
       unsafe=st.booleans())
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_generated_programs_keep_bytes_and_are_idempotent(
    tmp_path: Path, program: str, shape: str, unsafe: bool
) -> None:
    variants = shapes(program + SEED)
    if shape not in variants:
        shape = "lf"
    target = tmp_path / "generated.py"
    _prepare(target, variants[shape])
    check_kept(target, variants[shape], unsafe)
