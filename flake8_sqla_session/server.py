"""`flake8-sqla-session server`: the language server, LSP over standard input and output (pygls).

The third front door beside the flake8 plugin and the command line: an open
document becomes (path, text, options); the core's `detect()` gives the
findings the plugin reports (selection and `# noqa` included) and the fixer's
`fix_findings()` / `fix_source()` give the text that `--fix` writes.  This
module only turns them into diagnostics, code actions and text edits.

- The configuration is the command line's, read by `config.load_config` from
  the document's folder upward on every check: an edit of setup.cfg counts
  from the next change or save of the document.
- A document that does not parse has its diagnostics cleared (the editor's
  Python support shows the syntax error); they come back with the next text
  that parses.
- Quick fixes: one per fixable finding on the requested lines; unsafe ones are
  titled "(unsafe)" and never preferred.  "Fix all safe SQS issues"
  (`source.fixAll.flake8-sqla-session`) gives exactly what `--fix` writes.
"""
from __future__ import annotations

import argparse
import ast
import bisect
import logging
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Sequence

from . import __version__
from .config import ConfigError, load_config, selection_from_options, settings_from_options
from .docs import anchor
from .finding import Finding
from .rules import RULES
from .selection import Selection
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer
    from pygls.workspace import TextDocument

NAME = "flake8-sqla-session"
FIX_ALL_KIND = "source.fixAll.flake8-sqla-session"
FIX_ALL_TITLE = "Fix all safe SQS issues"
README_URL = "https://github.com/flake8-sqla-session/flake8-sqla-session"
INSTALL_HINT = "pip install 'flake8-sqla-session[lsp]'"
_RULES = {rule.code: rule for rule in RULES}
logger = logging.getLogger(__name__)


# ---- (path, text, options) -> findings, spans and fixed texts: no LSP here --------------------

@dataclass(frozen=True)
class Options:
    settings: Settings
    selection: Selection


def options_for(path: str | None, root: str) -> Options:
    """The command line's configuration for the file at `path` (or for `root`, for an unsaved one).

    Raises ConfigError or SettingsError, whose messages name the file or the option.
    """
    config = load_config(os.path.dirname(path) if path else root)
    selection = selection_from_options(config.values.get, config.root)
    return Options(settings_from_options(config.values.get), selection.for_file(path) if path else selection)


@dataclass(frozen=True)
class Checked:
    path: str
    text: str
    options: Options
    tree: ast.Module
    findings: list[Finding]


def check_text(path: str, text: str, options: Options) -> Checked | None:
    """The findings the plugin reports for `text`; None when `text` does not parse."""
    from .fix.api import detect, parse
    from .knowledge.project import refresh_projects

    try:
        tree = parse(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    refresh_projects()  # a project whose modules were edited since the last check is read anew
    findings = detect(text, options.settings, filename=path, select=options.selection, tree=tree)
    return Checked(path, text, options, tree, findings)


def fix_one(checked: Checked, finding: Finding) -> str:
    """The text with this one finding's fix applied, safe or not; FixError when it cannot be."""
    from .fix.api import fix_findings

    return fix_findings(checked.text, [finding], unsafe=True, filename=checked.path, tree=checked.tree).source


@lru_cache(maxsize=16)
def fix_all_safe(path: str, text: str, options: Options) -> str:
    """What `--fix` writes for `text`; FixError when it cannot (cached: editors ask on every cursor move)."""
    from .fix.api import fix_source

    return fix_source(text, options.settings, filename=path, select=options.selection).source


def spans(checked: Checked, lines: Sequence[str]) -> dict[Finding, tuple[int, int, int]]:
    """For each finding, (0-based line, start, end) in characters of what it points at.

    That is the node starting at the finding's position up to the end of its
    first line (`create_engine(url)`, `except Exception:`).
    """
    starts = {(f.line, f.col) for f in checked.findings}
    found_lines = sorted({f.line for f in checked.findings})
    ends: dict[tuple[int, int], int | None] = {}
    for statement in checked.tree.body:  # only the top-level statements that hold a finding
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        index = bisect.bisect_left(found_lines, first)
        if index == len(found_lines) or found_lines[index] > (statement.end_lineno or statement.lineno):
            continue
        for node in ast.walk(statement):  # outer nodes come first
            key = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            if key in starts and key not in ends:
                end_line = getattr(node, "end_lineno", None)
                ends[key] = getattr(node, "end_col_offset", None) if end_line == key[0] else None
    result = {}
    for finding in checked.findings:
        text = lines[finding.line - 1].rstrip("\r\n") if finding.line <= len(lines) else ""
        raw = text.encode("utf-8")  # ast columns are UTF-8 bytes
        end = ends.get((finding.line, finding.col))
        start_char = len(raw[:finding.col].decode("utf-8", "replace"))
        end_char = len(text.rstrip()) if end is None else len(raw[:end].decode("utf-8", "replace"))
        result[finding] = (finding.line - 1, start_char, max(start_char, end_char))
    return result


def changed_lines(old: Sequence[str], new: Sequence[str]) -> tuple[int, int, str]:
    """The smallest run of whole lines of `old` to replace to get `new`.

    (first, end, replacement): 0-based line numbers, `end` excluded.
    """
    first = 0
    while first < min(len(old), len(new)) and old[first] == new[first]:
        first += 1
    end_old, end_new = len(old), len(new)
    while end_old > first and end_new > first and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return first, end_old, "".join(new[first:end_new])


def rule_url(code: str) -> str:
    """The README section of a rule."""
    return f"{README_URL}#{anchor(_RULES[code])}"


def fix_title(finding: Finding) -> str:
    assert finding.fix is not None
    rule = _RULES.get(finding.code)
    title = (rule.fix_title if rule is not None else None) or f"Fix {finding.code}"
    return title if finding.fix.safe else f"{title} (unsafe)"


# ---- the LSP side ----------------------------------------------------------------------------

def create_server() -> LanguageServer:
    """The language server, its features registered; ImportError when pygls 2 is not installed."""
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    from .fix.api import FixError
    from .fix.api import split_lines

    server = LanguageServer(NAME, __version__)
    reported: set[str] = set()  # configuration problems already shown to the user
    last: dict[str, tuple[tuple[int | None, Options], Checked | None]] = {}  # uri -> the last check

    def lazy_edits() -> bool:
        """Whether the client asks for a code action's edit when it is chosen (codeAction/resolve)."""
        support = server.client_capabilities.text_document
        resolve = support.code_action.resolve_support if support and support.code_action else None
        return resolve is not None and "edit" in resolve.properties

    def path_of(document: TextDocument) -> str | None:
        return document.path if document.uri.startswith("file:") else None

    def check(document: TextDocument) -> Checked | None:
        path = path_of(document)
        try:
            options = options_for(path, server.workspace.root_path or os.getcwd())
        except (ConfigError, SettingsError) as exc:
            if str(exc) not in reported:  # once, not on every keystroke
                reported.add(str(exc))
                server.window_show_message(
                    types.ShowMessageParams(types.MessageType.Error, f"{NAME}: {exc}; not checked")
                )
            return None
        key = (document.version, options)
        if document.uri in last and last[document.uri][0] == key:
            return last[document.uri][1]
        try:
            result = check_text(path or "", document.source, options)
        except Exception as exc:  # a bug of ours: say so, never take the editor's server down
            logger.exception("checking %s", document.uri)
            server.window_log_message(
                types.LogMessageParams(
                    types.MessageType.Error,
                    f"{NAME} could not check {document.uri} ({type(exc).__name__}: {exc}); please report it",
                )
            )
            result = None
        if document.version is not None:  # code actions for this version reuse it
            last[document.uri] = (key, result)
        return result

    def position(lines: Sequence[str], line: int, char: int) -> types.Position:
        """A position in the client's units (UTF-16 unless negotiated otherwise)."""
        if line >= len(lines):  # after the last line: the end of the document
            if lines and not lines[-1].endswith(("\n", "\r")):
                return position(lines, len(lines) - 1, len(lines[-1]))
            return types.Position(len(lines), 0)
        return types.Position(line, server.workspace.position_codec.client_num_units(lines[line][:char]))

    def diagnostics(result: Checked, lines: Sequence[str]) -> dict[Finding, types.Diagnostic]:
        found = {}
        for finding, (line, start, end) in spans(result, lines).items():
            found[finding] = types.Diagnostic(
                range=types.Range(position(lines, line, start), position(lines, line, end)),
                message=finding.message,
                severity=types.DiagnosticSeverity.Warning,
                code=finding.code,
                code_description=types.CodeDescription(rule_url(finding.code)) if finding.code in _RULES else None,
                source=NAME,
            )
        return found

    def publish(uri: str) -> None:
        document = server.workspace.get_text_document(uri)
        result = check(document)
        found = [] if result is None else list(diagnostics(result, split_lines(result.text)).values())
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=document.version)
        )

    def edit(uri: str, old: str, new: str) -> types.WorkspaceEdit:
        old_lines = split_lines(old)
        first, end, text = changed_lines(old_lines, split_lines(new))
        where = types.Range(position(old_lines, first, 0), position(old_lines, end, 0))
        return types.WorkspaceEdit(changes={uri: [types.TextEdit(where, text)]})

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        last.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True),
    )
    def code_action(ls: LanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        document = server.workspace.get_text_document(uri)
        result = check(document)
        if result is None or not result.findings:
            return None
        wanted = _kind_filter(params.context.only)
        lines = split_lines(result.text)
        found = diagnostics(result, lines)
        actions = []
        if wanted(types.CodeActionKind.QuickFix):
            first, last = params.range.start.line + 1, params.range.end.line + 1
            for finding in result.findings:
                if finding.fix is None or not first <= finding.line <= last:
                    continue
                try:
                    fixed = fix_one(result, finding)
                except FixError as exc:
                    logger.warning("%s: %s", uri, exc)
                    continue
                actions.append(
                    types.CodeAction(
                        title=fix_title(finding),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[found[finding]],
                        is_preferred=finding.fix.safe,
                        edit=edit(uri, result.text, fixed),
                    )
                )
        if wanted(FIX_ALL_KIND) and any(f.fix is not None and f.fix.safe for f in result.findings):
            offered = {"uri": uri, "version": document.version}
            fix_all = types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, data=offered)
            if lazy_edits() or resolve(ls, fix_all).edit is not None:  # resolve: libcst work only when chosen
                actions.append(fix_all)
        return actions or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    def resolve(ls: LanguageServer, action: types.CodeAction) -> types.CodeAction:
        """Give "Fix all safe SQS issues" its edit, if the document is still the one it was offered for."""
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get("uri")
        if action.kind != FIX_ALL_KIND or not isinstance(uri, str) or uri not in server.workspace.text_documents:
            return action
        document = server.workspace.get_text_document(uri)
        result = check(document)
        if result is None or document.version != data.get("version"):
            return action
        try:
            fixed = fix_all_safe(result.path, result.text, result.options)
        except FixError as exc:
            logger.warning("%s: %s", uri, exc)
            return action
        if fixed != result.text:
            action.edit = edit(uri, result.text, fixed)
        return action

    return server


def _kind_filter(only: Sequence[str] | None) -> Callable[[str], bool]:
    """Whether a kind was asked for: `only` lists kinds or their parents (`source.fixAll`)."""
    if not only:
        return lambda kind: True
    return lambda kind: any(kind == k or kind.startswith(f"{k}.") for k in only)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"{NAME} server",
        description="Run the language server (LSP) on standard input and output, for an editor to start.",
    )
    parser.add_argument("--stdio", action="store_true", help="accepted for clients that pass it; stdio is the default")
    parser.parse_args(argv)
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401  (pygls 1 has no such module)
    except ImportError:
        print(f"{NAME} server: the language server needs pygls 2: {INSTALL_HINT}", file=sys.stderr)
        return 2
    create_server().start_io()
    return 0
