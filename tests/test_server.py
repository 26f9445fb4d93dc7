"""`flake8-sqla-session server`, end to end: a real LSP client (pytest-lsp) drives the server subprocess.

The client speaks JSON-RPC over the server's stdin/stdout as an editor does:
initialize, didOpen/didChange/didClose, textDocument/codeAction.  Expected
fixed texts come from the command line (`--fix` on stdin), so the editor and
`--fix` are checked to agree.
"""
from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from flake8_sqla_session.cli import main as cli_main

lsp = pytest.mark.asyncio(loop_scope="module")  # one server for the module's tests

ENGINE = "from sqlalchemy import create_engine\nengine = create_engine(url)\n"
MODULE_SESSION = (
    "from sqlalchemy.orm import sessionmaker\n\n"
    "SessionMaker = sessionmaker()\n"
    "session = SessionMaker()\n"
)
HANDLER = (
    "from sqlalchemy.orm import Session\n\n"
    "def save(session: Session) -> None:\n"
    "    try:\n"
    "        session.commit()\n"
    "    except Exception:\n"
    "        log(\"not saved\")\n"
    "\n\ndef run(session: Session) -> None:\n"  # goes on with the session `save` failed
    "    save(session)\n"
    "    session.commit()\n"
)
FIX_ALL = "source.fixAll.flake8-sqla-session"


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "flake8_sqla_session", "server"])


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    """A client that announces no capabilities: UTF-16 positions, edits inside code actions."""
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(scope="module", config=SERVER)
async def neovim(lsp_client: LanguageClient):
    """Neovim 0.11's capabilities (recorded by pytest-lsp): UTF-8 positions, codeAction/resolve for edits."""
    capabilities = pytest_lsp.client_capabilities("neovim@v0.11")
    await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    yield
    await lsp_client.shutdown_session()


# ---- helpers: what an editor does --------------------------------------------------------------

async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The next diagnostics published for `uri` (each test uses its own files)."""
    while True:
        params = await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 60)
        if params.uri == uri:
            return list(params.diagnostics)


async def open_file(client: LanguageClient, path: Path, text: str) -> list[types.Diagnostic]:
    path.write_bytes(text.encode("utf-8"))
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    return await published(client, uri)


async def change(client: LanguageClient, path: Path, text: str, version: int) -> list[types.Diagnostic]:
    uri = path.as_uri()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await published(client, uri)


async def actions(
    client: LanguageClient, path: Path, lines: tuple[int, int], only: list[str] | None = None
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(path.as_uri()),
            range=types.Range(types.Position(lines[0], 0), types.Position(lines[1], 0)),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    found = [a for a in result or [] if isinstance(a, types.CodeAction)]
    assert len(found) == len(result or []), "commands are not expected"
    return found


def _offset(text: str, position: types.Position) -> int:
    """A position (UTF-16 units, the default encoding) as an index into `text`."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: position.line])
    units = 0
    for index, char in enumerate(lines[position.line]):
        if units >= position.character:
            return start + index
        units += 2 if ord(char) > 0xFFFF else 1
    return start + len(lines[position.line])


def apply(text: str, uri: str, edit: types.WorkspaceEdit | None) -> str:
    """What the editor's buffer holds after applying `edit` (as `changes` or `document_changes`)."""
    assert edit is not None
    edits: list[types.TextEdit] = list((edit.changes or {}).get(uri, []))
    for change_ in edit.document_changes or []:
        assert isinstance(change_, types.TextDocumentEdit) and change_.text_document.uri == uri
        edits += [e for e in change_.edits if isinstance(e, types.TextEdit)]
    assert edits
    for text_edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = _offset(text, text_edit.range.start), _offset(text, text_edit.range.end)
        text = text[:start] + text_edit.new_text + text[end:]
    return text


def cli_fix(text: str, folder: Path, *flags: str) -> str:
    """What `flake8-sqla-session --fix` writes for `text` in a file of `folder` (run from `folder`)."""
    copy = folder / "cli_copy.py"
    copy.write_bytes(text.encode("utf-8"))
    result = subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", "--fix", *flags, copy.name],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return copy.read_bytes().decode("utf-8")


# ---- tests -----------------------------------------------------------------------------------

@lsp
async def test_diagnostic_on_open_has_code_range_and_link(client: LanguageClient, tmp_path: Path) -> None:
    (diagnostic,) = await open_file(client, tmp_path / "app.py", ENGINE)
    assert diagnostic.code == "SQS201"
    assert diagnostic.source == "flake8-sqla-session"
    assert diagnostic.message.startswith("SQS201 create_engine() without pool_pre_ping=True")
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    # `create_engine(url)` on line 2: the call's extent.
    assert diagnostic.range == types.Range(types.Position(1, 9), types.Position(1, 27))
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("#sqs201-engine-without-pre-ping")


@lsp
async def test_columns_are_utf16_units_not_bytes(client: LanguageClient, tmp_path: Path) -> None:
    text = 'from sqlalchemy import create_engine\nname = "é🐍"; engine = create_engine(url)\n'
    (diagnostic,) = await open_file(client, tmp_path / "app.py", text)
    before = 'name = "é🐍"; engine = '
    start = len(before.encode("utf-16-le")) // 2  # é is one unit, the snake two; in UTF-8 they are 2 + 4 bytes
    assert diagnostic.range.start == types.Position(1, start)
    assert diagnostic.range.end == types.Position(1, start + len("create_engine(url)"))


@lsp
async def test_quick_fix_gives_the_command_lines_text(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    (diagnostic,) = await open_file(client, path, ENGINE)
    (action, fix_all) = await actions(client, path, (1, 1))
    assert fix_all.kind == FIX_ALL
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.title == "Add `pool_pre_ping=True`"
    assert action.is_preferred is True
    assert list(action.diagnostics or ()) == [diagnostic]
    fixed = apply(ENGINE, path.as_uri(), action.edit)
    assert fixed == cli_fix(ENGINE, tmp_path)
    assert fixed == "from sqlalchemy import create_engine\nengine = create_engine(url, pool_pre_ping=True)\n"


@lsp
async def test_crlf_and_no_final_newline_are_kept(client: LanguageClient, tmp_path: Path) -> None:
    text = ENGINE.replace("\n", "\r\n").rstrip("\r\n")
    path = tmp_path / "app.py"
    (diagnostic,) = await open_file(client, path, text)
    assert diagnostic.range == types.Range(types.Position(1, 9), types.Position(1, 27))
    (action, fix_all) = await actions(client, path, (1, 1))
    fixed = apply(text, path.as_uri(), action.edit)
    assert fixed == "from sqlalchemy import create_engine\r\nengine = create_engine(url, pool_pre_ping=True)"
    assert fixed == cli_fix(text, tmp_path) == apply(text, path.as_uri(), fix_all.edit)


@lsp
async def test_no_action_on_lines_without_findings(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    await open_file(client, path, ENGINE)
    assert await actions(client, path, (0, 0), only=[types.CodeActionKind.QuickFix]) == []


@lsp
async def test_unsafe_fix_is_labelled_and_not_preferred(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    (diagnostic,) = await open_file(client, path, MODULE_SESSION)
    assert diagnostic.code == "SQS101"
    (action,) = await actions(client, path, (3, 3))
    assert action.title.endswith("(unsafe)")
    assert action.kind == types.CodeActionKind.QuickFix
    assert not action.is_preferred
    assert apply(MODULE_SESSION, path.as_uri(), action.edit) == cli_fix(MODULE_SESSION, tmp_path, "--unsafe-fixes")
    # Fix all applies safe fixes only: there are none here.
    assert await actions(client, path, (0, 3), only=["source.fixAll"]) == []


@lsp
async def test_fix_all_safe_equals_fix(client: LanguageClient, tmp_path: Path) -> None:
    text = (
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.orm import Session, sessionmaker\n\n"
        "engine = create_engine(url)\n"
        "SessionMaker = sessionmaker()\n"
        "session = SessionMaker()\n\n"
        + HANDLER.split("\n\n", 1)[1]
    )
    path = tmp_path / "app.py"
    found = await open_file(client, path, text)
    assert sorted(d.code for d in found) == ["SQS101", "SQS201", "SQS301"]
    (action,) = await actions(client, path, (0, 0), only=["source.fixAll"])
    assert action.kind == FIX_ALL
    assert action.title == "Fix all safe SQS issues"
    fixed = apply(text, path.as_uri(), action.edit)
    assert fixed == cli_fix(text, tmp_path)
    assert "pool_pre_ping=True" in fixed and "session.rollback()" in fixed
    assert "scoped_session" not in fixed  # SQS101's fix is unsafe
    # The fixed text leaves only the finding without a safe fix.
    assert [d.code for d in await change(client, path, fixed, 2)] == ["SQS101"]


@lsp
async def test_did_change_updates_and_close_clears(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    assert await open_file(client, path, "import os\n") == []
    assert [d.code for d in await change(client, path, ENGINE, 2)] == ["SQS201"]
    assert await change(client, path, ENGINE.replace("(url)", "(url, pool_pre_ping=True)"), 3) == []
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(path.as_uri())))
    assert await published(client, path.as_uri()) == []


@lsp
async def test_syntax_error_clears_diagnostics_and_the_server_goes_on(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    assert await open_file(client, path, ENGINE + "def broken(:\n") == []
    assert await actions(client, path, (0, 3)) == []
    assert [d.code for d in await change(client, path, ENGINE, 2)] == ["SQS201"]
    assert await change(client, path, ENGINE + "x = (\n", 3) == []
    assert [d.code for d in await change(client, path, ENGINE, 4)] == ["SQS201"]


@lsp
async def test_noqa_is_honoured(client: LanguageClient, tmp_path: Path) -> None:
    silenced = ENGINE.replace("(url)\n", "(url)  # noqa: SQS201\n")
    assert await open_file(client, tmp_path / "a.py", silenced) == []
    other_code = ENGINE.replace("(url)\n", "(url)  # noqa: E501\n")
    assert [d.code for d in await open_file(client, tmp_path / "b.py", other_code)] == ["SQS201"]


@lsp
async def test_setup_cfg_of_the_documents_project_applies(client: LanguageClient, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "setup.cfg").write_text(
        "[flake8]\nextend-ignore = SQS201\nsqla-max-pool-recycle = 600\nsqla-pool-recycle = 300\n"
        "per-file-ignores = pkg/legacy.py:SQS202\n"
    )
    text = (
        "from sqlalchemy import create_engine\n"
        "engine = create_engine(url)\n"
        "other = create_engine(url, pool_recycle=3600)\n"
    )
    path = project / "pkg" / "app.py"
    (diagnostic,) = await open_file(client, path, text)
    assert diagnostic.code == "SQS202"  # SQS201 ignored; 3600 >= 600
    assert diagnostic.range.start.line == 2
    (action,) = await actions(client, path, (2, 2), only=[types.CodeActionKind.QuickFix])
    fixed = apply(text, path.as_uri(), action.edit)
    assert "pool_recycle=300" in fixed  # the configured value
    assert fixed == cli_fix(text, project)
    assert await open_file(client, project / "pkg" / "legacy.py", text) == []
    # The same text outside the project: the defaults (SQS201; 3600 is below 28800).
    assert [d.code for d in await open_file(client, tmp_path / "app.py", text)] == ["SQS201"]


@lsp
async def test_unreadable_config_is_shown_and_nothing_reported(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nsqla-max-pool-recycle = soon\n")
    assert await open_file(client, tmp_path / "app.py", ENGINE) == []
    assert any(
        m.type == types.MessageType.Error and "--sqla-max-pool-recycle" in m.message for m in client.messages
    )


@lsp
async def test_neovim_gets_utf8_columns_and_resolves_fix_all_on_choice(neovim: LanguageClient, tmp_path: Path) -> None:
    text = 'from sqlalchemy import create_engine\nname = "é🐍"; engine = create_engine(url)\n'
    path = tmp_path / "app.py"
    (diagnostic,) = await open_file(neovim, path, text)
    start = len('name = "é🐍"; engine = '.encode("utf-8"))
    assert diagnostic.range.start == types.Position(1, start)
    (action,) = await actions(neovim, path, (0, 0), only=["source.fixAll"])
    assert action.kind == FIX_ALL and action.edit is None  # the libcst work waits until it is chosen
    resolved = await neovim.code_action_resolve_async(action)
    # (its edit replaces whole lines: positions at column 0 read the same in every encoding)
    assert apply(text, path.as_uri(), resolved.edit) == cli_fix(text, tmp_path)
    # Offered for version 1: once the document changed, resolving it gives no edit.
    await change(neovim, path, text + "\n", 2)
    assert (await neovim.code_action_resolve_async(action)).edit is None


def test_without_pygls_server_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)  # makes `import pygls.lsp.server` fail
    assert cli_main(["server"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'flake8-sqla-session[lsp]'" in err
    assert len(err.strip().splitlines()) == 1
