"""The project's own modules: where they are, and what their module-level names are.

From the checked file's path, with no configuration, `project_for` finds the
import roots (the folder above the topmost package, the folders of a
`manage.py`, `pyproject.toml`, `setup.cfg` or `setup.py` and their `src/`, the
current folder, and `--sqla-src`).  `Project.lookup("app.db.SessionLocal")`
then finds `app/db.py` under a root, reads it (never imports or runs it),
walks it with the same `ModuleKnowledge` as the checked file, and answers what
`SessionLocal` is there, following re-exports, `__all__` and star imports to a
bounded depth.  Anything outside the roots (site-packages, the stdlib), or a
module that cannot be read or parsed, is unknown, and the rules stay quiet.

Every module is read at most once per process (keyed on path, size and mtime),
and only when a checked file needs one of its names.
"""
from __future__ import annotations

import ast
import bisect
import os
import re
import stat
import sysconfig
import time
from typing import TYPE_CHECKING, Callable, Generic, Iterator, Optional, TypeVar

from ..decoding import decode_python
from ..settings import Settings
from . import store
from .kinds import Kind, Known, Maker
from .names import ANNOTATED, FOREIGN_ROOTS, SA_ROOTS, Binding, single_binding

if TYPE_CHECKING:
    from .module import Callee, ModuleKnowledge

MAX_MODULE_BYTES = 2_000_000  # a bigger "module" is generated data: unknown
# A project folder read whole (`Project.files_mentioning`) holds at most this many `.py` files and
# folders (more: a home folder or a monorepo, whose whole cannot be told).
MAX_SCANNED_FILES = 5_000
MAX_SCANNED_FOLDERS = 2_000
MAX_SCANNED_BYTES = 50_000_000
MAX_CHAIN = 12  # re-exports followed through at most this many modules
KEPT_PARTS = 8  # modules read in part whose trees are kept from one checked file to the next
SAVE_EVERY = 5.0  # seconds between two saves of a project's answers by one process
_MARKERS = ("manage.py", "pyproject.toml", "setup.cfg", "setup.py")
_SETTINGS_MODULE = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")
_ANY = store.ANY  # what an answer cut short by a chain too long to follow depends on: any file
_SQLALCHEMY_WORDS = ("sqlalchemy", "sqlmodel", "django.conf")  # one of them is in every match of:
_SQLALCHEMY_TEXT = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(?:sqlalchemy|sqlmodel|flask_sqlalchemy|django\.conf)\b", re.MULTILINE
)
# An import statement at any indentation: `from .mod import (a, b as c)`, `import a.b as c, d`,
# with backslash continuations anywhere (`from a.b. \\` then `    c import d`; `from a import \\`
# then `    (b, c)`).  The module's text is cleaned by `_statement_module`.
_IMPORT_STATEMENT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<dots>\.*)[ \t]*(?P<module>[\w.]*(?:(?:[ \t]*\\ ?\n[ \t]*|(?<=\w\.)[ \t]+)[\w.]+)*)"
    r"(?:[ \t]+|[ \t]*\\ ?\n[ \t]*)import(?![\w.])(?:[ \t]*\\ ?\n)?[ \t]*"
    r"(?P<names>\((?:[^)#]|#[^\n]*(?![^\n]))*\)|[^\\\n#;]*(?:\\ ?\n[^\\\n#;]*)*)"
    r"|import[ \t]+(?P<modules>[^\\\n#;]*(?:\\ ?\n[^\\\n#;]*)*))",
    re.MULTILINE,
)
_COMMENT = re.compile(r"#[^\n]*")
_GLOBAL_LINE = re.compile(r"^[ \t]+global[ \t]([^\n]*)", re.MULTILINE)
_WORD = re.compile(r"\w+")
_CHAIN = re.compile(r"[\w.]+")
_CONTINUATION_LINE = re.compile(r"\\ ?\n")  # after one_line_end
_NOT_ROOTS = frozenset({"site-packages", "dist-packages"})
_NOT_SCANNED = frozenset({"site-packages", "dist-packages", "__pycache__", "node_modules"})
# A file that names what a project installs.
_DEPENDENCY_FILE = re.compile(
    r"requirements.*\.(?:txt|in)|pyproject\.toml|setup\.cfg|setup\.py|Pipfile(?:\.lock)?|poetry\.lock"
    r"|environment\.ya?ml"
)
_REQUIREMENTS_FILE = re.compile(r".*\.(?:txt|in)")  # in a `requirements/` folder
_CONFIG_FILE = re.compile(r".*\.ini")


def _library_folders() -> frozenset[str]:
    folders = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            folders.add(os.path.realpath(sysconfig.get_path(key)))
        except (KeyError, TypeError):
            continue
    return frozenset(folders)


_LIBRARIES = _library_folders()


class Stats:
    """What project knowledge cost in this process (for the bench)."""

    files_read = 0  # project module files read (each at most once per process)
    modules_read = 0  # files parsed whole
    outlines = 0  # files read to parse a few statements of them
    lookups = 0
    restored = 0  # answers taken from the cache on disk (`store`)
    facts_restored = 0  # facts about modules taken from it (`Project.module_fact(..., saved=...)`)
    saves = 0  # cache files written
    closing_steps = 0  # dependencies looked at to close the answers of import cycles (`_close`)
    scans = 0  # reads of the whole project folder (`files_mentioning`)
    word_reads = 0  # files whose words are read for the uses of helpers (`words_outside_imports`)


# The stamp (size, mtime_ns) of every project file read and every folder listed (size -1; a
# missing folder -1, -1) in this process: what the answers depend on, saved with them (`store`).
_STAMPS: dict[str, tuple[int, int]] = {}


class _Source:
    """A project module file's text, and its tree once parsed, shared by every `Project`."""

    __slots__ = ("text", "tree", "parsed", "outline")

    def __init__(self, text: Optional[str]) -> None:
        self.text = text
        self.tree: Optional[ast.Module] = None
        self.parsed = False
        self.outline: Optional[Outline] = None


_SOURCES: dict[tuple[str, int, int], _Source] = {}
_LATEST: dict[str, _Source] = {}  # path -> the source last read from it


def _source(path: str) -> Optional[_Source]:
    try:
        info = os.stat(path)  # follows symlinks; a loop raises
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MODULE_BYTES:
        return None
    key = (path, info.st_size, info.st_mtime_ns)
    if _STAMPS.setdefault(path, key[1:]) != key[1:]:
        _STAMPS[path] = store.CHANGED  # changed while we worked: what was found from it is not saved as valid
    cached = _SOURCES.get(key)
    if cached is None:
        cached = _SOURCES[key] = _LATEST[path] = _Source(_read_text(path))
        Stats.files_read += 1
    return cached


def _release_source(path: str) -> None:
    """Forget the parsed tree and statements of a project module file (its text stays)."""
    source = _LATEST.get(path)
    if source is not None:
        source.tree = None
        source.parsed = False
        if source.outline is not None:
            source.outline.release()


def read_module(path: str) -> Optional[ast.Module]:
    """The parsed module at `path`, or None if it is not a regular, readable, parsable Python file."""
    source = _source(path)
    if source is None or source.text is None:
        return None
    if not source.parsed:
        source.parsed = True
        source.tree = _parse(source.text, path)
        Stats.modules_read += 1
    return source.tree


def outline_of(path: str) -> Optional[Outline]:
    """The top-level statements of the module at `path`, found in its text without parsing it."""
    source = _source(path)
    if source is None or source.text is None:
        return None
    if source.outline is None:
        source.outline = Outline(source.text)
        Stats.outlines += 1
    return source.outline


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MODULE_BYTES + 1)
        if len(data) > MAX_MODULE_BYTES or b"\0" in data:
            return None
        return decode_python(data)[0]
    except (OSError, SyntaxError, ValueError, LookupError):  # UnicodeDecodeError is a ValueError
        return None


def _parse(text: str, path: str) -> Optional[ast.Module]:
    try:
        return ast.parse(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# Lines that start a top-level statement (column 0), and what they bind.
# A line that starts with a name or a decorator, and does not go on a compound statement
# (`else:`, `except ...:`).
_TOP_LINE = re.compile(r"^(?!(?:else|elif|except|finally)\b)[A-Za-z_@]", re.MULTILINE)
_DEFINES = re.compile(r"(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)")
# `a = `, `a, b = `, `a: T = ` (an annotation may go on over lines: `a: Dict[` ... `] = {}`);
# a chained `a = b = value` matches once for each target.
_ASSIGNS = re.compile(r"""(\w+(?:[ \t]*,[ \t]*\w+)*)[ \t]*(?::[ \t]*[\w"'(\[][^=\n]*(?:\n[^=\n]*)*?)?=(?!=)[ \t]*""")
_IMPORTS = re.compile(r"(?:from|import)[ \t]")
_DECORATED = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]", re.MULTILINE)


class Outline:
    """A module's top-level statements, cut from its text at column-0 lines, by the names they bind.

    Asking what one name of a big module is reads what the column-0 imports bind
    from their text, parses the statements that bind that name, and then, one by
    one as classification reaches them, those that bind the names it refers to: a
    few lines, not the module.  A name that only a block may bind (`if`, `try`, or
    `global` in a function) is read from the whole module instead; a statement
    that does not parse alone (the cut fell inside a string) leaves its names
    unknown.  A name bound at column 0 and again in a block is known by its
    column-0 statements only.
    """

    __slots__ = (
        "text", "chunks", "binders", "imports", "imported", "star_modules", "imports_sqlalchemy", "classes", "_parsed",
        "_globals",
    )

    def __init__(self, text: str) -> None:
        starts: list[int] = []
        decorated = False
        lines = one_line_end(text)
        for top in _TOP_LINE.finditer(lines):  # the lines that start a statement at column 0
            # A decorator's statement goes on below it, up to its `def` or `class` (a line of a
            # docstring that starts with "@" is followed by something else).
            if not decorated or not (top.group() == "@" or _DECORATED.match(lines, top.start())):
                starts.append(top.start())
            decorated = top.group() == "@"
        self.chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]
        # name -> the chunks that bind it (tuples once built: a list each would be one more
        # object for every full garbage collection of the process to scan)
        binders: dict[str, list[int]] = {}
        self.imports: list[int] = []
        # What the column-0 imports bind, read from their text: name -> the dotted names it is
        # bound to (`from .db import engine as e`: "e" -> (".db.engine",)), and the modules of
        # `from module import *`.  Bindings are made from these when a name is asked for, so a
        # module read in part costs no parse of its imports.
        imported: dict[str, list[str]] = {}
        self.star_modules: list[str] = []
        self.imports_sqlalchemy = False
        self.text = text
        self.classes: set[int] = set()
        for index, chunk in enumerate(self.chunks):
            head = chunk
            if chunk.startswith("@"):
                # The definition below the decorators (which may run over several lines, with
                # comments between them).
                definition = _DECORATED.search(one_line_end(chunk))
                head = chunk[definition.start():] if definition is not None else ""
            if _IMPORTS.match(head):
                self.imports.append(index)
                for statement in _import_statements(chunk):
                    self._add_imports(statement, imported)
                continue
            match = _DEFINES.match(head)
            if match is not None:
                if match.group(2):
                    self.classes.add(index)
                _bind(binders, match.group(1) or match.group(2) or "", index)
                continue
            match = _ASSIGNS.match(head)
            while match is not None:  # each target of `a = b = value`
                _bind(binders, match.group(1), index)
                match = _ASSIGNS.match(head, match.end())
        self.binders = {name: tuple(indexes) for name, indexes in binders.items()}
        self.imported = {name: tuple(values) for name, values in imported.items()}
        self._parsed: dict[int, Optional[list[ast.stmt]]] = {}
        self._globals: Optional[frozenset[str]] = None

    def binds_elsewhere(self, name: str) -> bool:
        """Whether `name` may be bound where no column-0 statement shows it: in a module-level
        block (`if`, `try`), or by `global name` in a function."""
        if name not in self.binders and name not in self.imported:
            # Anywhere the name stands on its own (not as `x.name`): a block may bind it there.
            return _stands_alone(self.text, name)
        return self.declared_global(name)

    def declared_global(self, name: str) -> bool:
        """Whether some function declares `global name` (and may bind it where no outline looks)."""
        if self._globals is None:
            # The words of every indented `global` line of the statements, found once.
            body = "".join(chunk for chunk in self.chunks if "global" in chunk)
            self._globals = frozenset(
                word for line in _GLOBAL_LINE.findall(one_line_end(body)) for word in _WORD.findall(line)
            )
        return name in self._globals

    def _add_imports(self, statement: re.Match[str], imported: dict[str, list[str]]) -> None:
        """What one import statement binds, the way `Scope.bind_import` binds it from its tree."""
        if statement.group("names") is not None:
            module = _statement_module(statement)
            if not statement.group("dots") and module.partition(".")[0] in SA_ROOTS:
                self.imports_sqlalchemy = True
            prefix = module if module.endswith(".") else module + "."
            for name, alias in _imported_names(statement.group("names")):
                if name == "*":
                    self.star_modules.append(module)
                else:
                    local = alias or name
                    imported.setdefault(local, []).append(prefix + name)
            return
        for name, alias in _imported_names(statement.group("modules")):
            if name.partition(".")[0] in SA_ROOTS:
                self.imports_sqlalchemy = True
            local, value = (alias, name) if alias else (name.partition(".")[0],) * 2
            imported.setdefault(local, []).append(value)

    def release(self) -> None:
        """Forget the statements parsed so far."""
        self._parsed.clear()

    def parse(self, index: int) -> Optional[list[ast.stmt]]:
        """The statements of one chunk; of a class, its header alone (its bases are what counts)."""
        if index not in self._parsed:
            chunk = self.chunks[index]
            header = _class_header(chunk)
            parsed = None
            for text in ([header + "\n    pass\n"] if header else []) + [chunk]:
                try:
                    parsed = ast.parse(text).body
                    break
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
            self._parsed[index] = parsed
        return self._parsed[index]


def _bind(binders: dict[str, list[int]], names: str, index: int) -> None:
    """Note that the chunk `index` binds each of `a, b` (once: `a = a = 1` binds `a` once)."""
    for name in names.split(","):
        found = binders.setdefault(name.strip(), [])
        if not found or found[-1] != index:
            found.append(index)


def _class_header(chunk: str) -> Optional[str]:
    """`@decorator\nclass Name(Base, metaclass=M):` of a class chunk, without its body."""
    start = chunk.find("class ")
    if start < 0 or not _DEFINES.match(chunk, start) or "def " in chunk[:start]:
        return None
    depth = 0
    for position in range(start, len(chunk)):
        character = chunk[position]
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        elif character in "\"'#":
            return None  # a string or a comment in the header: parse the whole class
        elif character == ":" and depth == 0:
            return chunk[: position + 1]
    return None


_ROOTS: dict[tuple[str, tuple[str, ...], str], tuple[str, ...]] = {}


def import_roots(filename: str, settings: Settings) -> tuple[str, ...]:
    """Where the checked file's imports are looked for, in order (remembered per folder).

    A linked file's roots are found from where its target is."""
    folder = ""
    if filename and filename not in ("-", "stdin"):
        path = os.path.abspath(filename)
        if os.path.islink(path):
            path = os.path.realpath(path)
        folder = os.path.dirname(path)
        filename = path
    key = (folder, settings.src, os.getcwd())
    roots = _ROOTS.get(key)
    if roots is None:
        if len(_ROOTS) > 4096:
            _ROOTS.clear()
        roots = _ROOTS[key] = _find_roots(filename, settings)
    return roots


T = TypeVar("T")


class _PerFolder(Generic[T]):
    """A fact about a folder, worked out once per process (at most 65,536 kept; emptied by
    `forget_projects`)."""

    __slots__ = ("compute", "known")

    def __init__(self, compute: Callable[[str], T]) -> None:
        self.compute = compute
        self.known: dict[str, T] = {}

    def __call__(self, folder: str) -> T:
        try:
            return self.known[folder]
        except KeyError:
            if len(self.known) > 65536:
                self.known.clear()
            fact = self.known[folder] = self.compute(folder)
            return fact


def _list_folder(folder: str) -> frozenset[str]:
    _STAMPS.setdefault(folder, store.folder_stamp(folder))
    try:
        return frozenset(os.listdir(folder))
    except (OSError, ValueError):
        return frozenset()


# `os.path.realpath` costs an lstat per path component.
_realpath = _PerFolder(os.path.realpath)
# The names in a folder (none if it cannot be listed): finding a module costs set lookups,
# not a stat per root and candidate.
_entries = _PerFolder(_list_folder)
# Whether a folder holds a `manage.py`, `pyproject.toml`, `setup.cfg` or `setup.py`.
_has_marker = _PerFolder(lambda folder: any(os.path.isfile(os.path.join(folder, marker)) for marker in _MARKERS))
# What else marks the top of an application that has no packaging file (a bot's repository:
# `Pipfile`, `requirements.txt`, `pytest.ini` beside `src/` and `scripts/`): its folder.
_FOLDER_MARKERS = (*_MARKERS, "Pipfile", "requirements.txt", "tox.ini", "pytest.ini", "poetry.lock", "uv.lock", ".git")
_is_top = _PerFolder(lambda folder: any(os.path.exists(os.path.join(folder, marker)) for marker in _FOLDER_MARKERS))


def _find_roots(filename: str, settings: Settings) -> tuple[str, ...]:
    roots: list[str] = []

    def add(folder: str) -> None:
        folder = _realpath(folder)
        if folder in roots or os.path.basename(folder) in _NOT_ROOTS or folder in _LIBRARIES:
            return
        if os.path.isdir(folder):
            roots.append(folder)

    for src in settings.src:
        add(os.path.abspath(src))
    if filename and filename not in ("-", "stdin"):
        folder = os.path.dirname(os.path.abspath(filename))
        top = folder
        while os.path.isfile(os.path.join(top, "__init__.py")):
            top = os.path.dirname(top)
        add(top)
        current = folder
        for _ in range(32):
            if _has_marker(current):
                add(current)
                add(os.path.join(current, "src"))
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
    add(os.getcwd())
    return tuple(roots)


_PROJECTS: dict[tuple[tuple[str, ...], Settings], Project] = {}


def project_for(filename: str, settings: Settings) -> Project:
    """The project the checked file belongs to (one per set of roots, kept for the process)."""
    roots = import_roots(filename, settings)
    key = (roots, settings)
    project = _PROJECTS.get(key)
    if project is None:
        if len(_PROJECTS) > 64:
            _PROJECTS.clear()
        project = _PROJECTS[key] = Project(roots, settings)
        project.restore()
    return project


def _save_all() -> None:
    """Save what every project of this process found (at its exit: nothing may be raised there,
    or the interpreter prints a traceback an editor would show)."""
    for project in list(_PROJECTS.values()):
        try:
            project.save(force=True)
        except Exception:  # the cache is a speed-up: never an error
            continue


_HOOKED = 0  # the process whose exit saves the projects


def _hook_exit() -> None:
    """Save at the exit of this process: `atexit` for a plain one, a multiprocessing
    finalizer for a worker of `flake8 -j N` (which leaves by `os._exit`)."""
    global _HOOKED
    if _HOOKED == os.getpid():
        return
    _HOOKED = os.getpid()
    import atexit
    import multiprocessing.util

    atexit.register(_save_all)
    multiprocessing.util.Finalize(None, _save_all, exitpriority=10)


class _Loader:
    """Binds a name of a module read in part: parses and walks the statements that bind it."""

    __slots__ = ("outline", "knowledge", "tried")

    def __init__(self, outline: Outline, knowledge: ModuleKnowledge) -> None:
        self.outline = outline
        self.knowledge = knowledge
        self.tried: set[str] = set()

    def __call__(self, name: str) -> bool:
        if name in self.tried:
            return False
        self.tried.add(name)
        for value in self.outline.imported.get(name, ()):
            self.knowledge.module.bind(name, Binding("import", value))
        statements = []
        for index in self.outline.binders.get(name, ()):
            parsed = self.outline.parse(index)
            if parsed is None:
                return False
            statements.extend(parsed)
        if statements:
            self.knowledge.add_statements(statements)
        return name in self.knowledge.module.names


def refresh_projects() -> None:
    """For a long-running process (the language server), before each check: forget every
    project one of whose files or folders changed on disk since it read them (the next check
    works out anew what depended on them), and what was found about folders; keep the others
    whole."""
    changed = {where for where, stamp in list(_STAMPS.items()) if store.stamp_now(where, stamp) != stamp}
    if changed:
        for key, project in list(_PROJECTS.items()):
            if any(project.depends_on(where) for where in changed):
                # With the cache on, the next check takes back the answers that do not depend
                # on what changed (`restore`).
                project.save(force=True)
                del _PROJECTS[key]
            else:
                project.forget_facts_read_from(changed)
    for where in changed:
        del _STAMPS[where]
    _forget_folders()


def forget_projects() -> None:
    """Forget what the projects know, for a long-running process (the language server) whose
    project modules may have changed on disk: files are read again only if they changed
    (the parsed files stay, keyed on path, size and mtime), and the names are worked out anew."""
    _PROJECTS.clear()
    _forget_folders()


def _forget_folders() -> None:
    """Forget what was found about folders: import roots, realpaths, listings, root markers."""
    _ROOTS.clear()
    for facts in (_realpath, _entries, _has_marker, _is_top):
        facts.known.clear()


class Project:
    """The modules under a set of import roots, and what their names are."""

    def __init__(self, roots: tuple[str, ...], settings: Settings) -> None:
        self.roots = roots
        self.settings = settings
        self._found: dict[str, Optional[str]] = {}  # module -> file (or "" for a namespace package)
        self._modules: dict[str, Optional[ModuleKnowledge]] = {}  # file -> its knowledge
        self._partial: dict[str, ModuleKnowledge] = {}  # file -> knowledge of some of its statements
        self._related: dict[str, bool] = {}  # file -> whether it imports SQLAlchemy, or a project name that is
        self._answers: dict[str, Optional[Known]] = {}
        self._names: dict[str, str] = {}  # checked file -> its dotted module name
        self._active: list[str] = []
        self._django: Optional[str] = None
        self._django_found = False
        # The files and folders read to find the answers (their stamps are saved with them).
        self._depends: set[str] = set()
        # What each answer depends on ("app.db.engine", "app.db:engine", `store.related_key` -> the
        # project files read to find it; folders count for every answer), and the sets of the
        # answers being worked out, innermost last.
        # (Sorted tuples of strings: the collector of the process stops scanning them.)
        self._deps: dict[str, tuple[str, ...]] = {}
        self._frames: list[set[str]] = []
        self._exporting: dict[str, list[str]] = {}  # module file -> its names being worked out
        self._open: set[str] = set()  # the answers whose dependencies name others ("@key")
        self._closed: dict[str, tuple[str, ...]] = {}  # their dependencies, those named replaced
        self._store: Optional[str] = None  # the cache file, when the cache is on
        self._saved = 0  # how many answers the cache file holds
        self._saved_at: Optional[float] = None
        # Facts about the whole project folder the rules work out once (`fact`), and the
        # files and folders read for them (not saved: the facts are not kept on disk).
        self._facts: dict[str, object] = {}
        self._scanned: set[str] = set()
        # The facts about modules that are saved with the answers (`module_fact(..., saved=...)`),
        # as JSON writes them: found in this process, or taken from the cache file.
        self._stored: dict[str, object] = {}

    # ---- the cache on disk ----------------------------------------------------------------

    def depends_on(self, path: str) -> bool:
        """Whether the answers depend on a file or folder."""
        return path in self._depends

    def forget_facts_read_from(self, changed: set[str]) -> None:
        """Forget the facts about the whole project if one of the files or folders read for them
        changed (the answers, which do not depend on those, stay)."""
        if self._facts and not self._scanned.isdisjoint(changed):
            self._facts.clear()
            self._scanned.clear()

    # ---- the whole project folder -----------------------------------------------------------

    def fact(self, name: str, compute: Callable[[Project], T]) -> T:
        """A fact about the whole project (`compute(self)`), worked out once per process.  What
        is being worked out when it is asked (a module fact saved with the answers) depends on
        every file of the project."""
        self._unbounded()
        if name not in self._facts:
            self._facts[name] = compute(self)
        return self._facts[name]  # type: ignore[return-value]

    def folder(self) -> Optional[str]:
        """The project's folder: the first import root that holds a `pyproject.toml`, `setup.cfg`,
        `setup.py` or `manage.py`, else the first that holds another mark of a project's top
        (`Pipfile`, `requirements.txt`, `tox.ini`, `pytest.ini`, a lock file, `.git`), else the
        first root (the folder above the topmost package)."""
        for marked in (_has_marker, _is_top):
            for root in self.roots:
                if marked(root):
                    return root
        return self.roots[0] if self.roots else None

    def files_mentioning(self, words: tuple[str, ...]) -> Optional[list[tuple[str, str]]]:
        """Every `.py` file under the project's folder whose text holds one of `words`, with that
        text; None when the whole cannot be read: no folder, more than `MAX_SCANNED_FILES`
        files, `MAX_SCANNED_FOLDERS` folders or `MAX_SCANNED_BYTES` of them, or a file that
        cannot be read or decoded.

        Hidden folders, `__pycache__`, `node_modules`, installed packages and virtual
        environments (a folder with a `pyvenv.cfg`) are left out.  Every file and folder read is
        stamped, so that the language server forgets the project when one changes.
        """
        self._unbounded()  # (what is being worked out now depends on every file of the project)
        top = self.folder()
        if top is None:
            return None
        Stats.scans += 1
        found: list[tuple[str, str]] = []
        folders, files, size = [top], 0, 0
        seen = 0
        while folders:
            folder = folders.pop()
            seen += 1
            if seen > MAX_SCANNED_FOLDERS:
                return None
            self._scanned.add(folder)
            _STAMPS.setdefault(folder, store.folder_stamp(folder))
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except (OSError, ValueError):
                return None
            if any(entry.name == "pyvenv.cfg" for entry in entries) and folder != top:
                continue
            for entry in entries:
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not name.startswith(".") and name not in _NOT_SCANNED:
                            folders.append(entry.path)
                        continue
                    if not name.endswith(".py") or not entry.is_file():
                        continue
                except OSError:
                    return None
                files += 1
                if files > MAX_SCANNED_FILES:
                    return None
                path = entry.path
                self._scanned.add(path)
                try:
                    info = os.stat(path)  # before the read: a change after it shows
                except OSError:
                    return None
                _STAMPS.setdefault(path, (info.st_size, info.st_mtime_ns))
                size += info.st_size
                if size > MAX_SCANNED_BYTES:
                    return None
                text = _read_text(path)
                if text is None:
                    return None
                if any(word in text for word in words):
                    found.append((path, text))
        return found

    def dependency_texts(self) -> Optional[list[str]]:
        """The texts of the project's dependency files (`requirements*.txt`, `*.in`,
        `pyproject.toml`, `setup.cfg`, `setup.py`, `Pipfile`, `Pipfile.lock`, `poetry.lock`,
        `environment.yml`) in its folder, and the `.txt` and `.in` files of a `requirements/`
        folder below it; None when there is no folder.  Each file read is stamped, as
        `files_mentioning` stamps."""
        top = self.folder()
        if top is None:
            return None
        return self._texts(((top, _DEPENDENCY_FILE), (os.path.join(top, "requirements"), _REQUIREMENTS_FILE)))

    def config_texts(self) -> Optional[list[str]]:
        """The texts of the `.ini` files in the project's folder (Pyramid's `development.ini`,
        which names the tweens it includes), stamped as `dependency_texts` stamps; None when
        there is no folder."""
        top = self.folder()
        return None if top is None else self._texts(((top, _CONFIG_FILE),))

    def _texts(self, places: tuple[tuple[str, re.Pattern[str]], ...]) -> list[str]:
        texts = []
        for folder, named in places:
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except (OSError, ValueError):
                continue
            self._scanned.add(folder)
            _STAMPS.setdefault(folder, store.folder_stamp(folder))
            for entry in entries:
                if not named.fullmatch(entry.name):
                    continue
                found = _small_file(entry.path)
                if found is None:
                    continue
                text, info = found
                self._scanned.add(entry.path)
                _STAMPS.setdefault(entry.path, (info.st_size, info.st_mtime_ns))
                texts.append(text)
        return texts

    def _read_from(self, path: str) -> None:
        """A module file is read for the answer being worked out (if any): it depends on it."""
        self._depends.add(path)
        if self._frames:
            self._frames[-1].add(path)

    def restore(self) -> None:
        """Take the answers a former process saved for this project, if nothing they depend on
        changed since (`store.load`)."""
        folder = store.cache_folder(self.settings.cache_dir)
        if folder is None:
            return
        key = (*self.roots, "", *self.settings.session_factories, "", self.settings.django_settings or "",
               os.environ.get("DJANGO_SETTINGS_MODULE", ""))
        try:
            self._store = store.cache_file(folder, key)
        except OSError:
            return  # this package's own files cannot be listed (a zip): answers cannot be told apart by version
        saved = store.load(self._store)
        if saved is not None:
            self._answers.update(saved.answers)
            self._related.update(saved.related)
            self._stored.update(saved.facts)
            self._deps.update(saved.deps)
            for where, stamp in saved.stamps.items():
                _STAMPS.setdefault(where, stamp)
            self._depends.update(saved.stamps)
            Stats.restored += len(saved.answers)
        self._saved = self._held()
        self._saved_at = time.monotonic()
        _hook_exit()

    def _held(self) -> int:
        """How many answers and facts the process holds for the cache file."""
        return len(self._answers) + len(self._related) + len(self._stored)

    def save(self, force: bool = False) -> None:
        """Write the answers found since the last save, at most every `SAVE_EVERY` seconds (a
        long run stopped half-way keeps what it found), or when `force`d (at exit)."""
        if self._store is None or self._held() == self._saved:
            return
        now = time.monotonic()
        if not force and self._saved_at is not None and now - self._saved_at < SAVE_EVERY:
            return
        # A file that could not be stat'ed when it was asked for must still be missing.
        stamps = {where: _STAMPS.get(where, store.MISSING) for where in self._depends}
        if store.save(self._store, self._answers, self._related, self._closed_deps(), stamps, self._stored):
            Stats.saves += 1
        else:
            self._store = None  # a folder we cannot write to: stay off
        self._saved = self._held()
        self._saved_at = now

    def release(self) -> None:
        """Drop the trees and scopes of the project modules read so far, and keep what they
        told: the answers, which modules are where, and their texts.

        Called after each checked file; up to `KEPT_PARTS` modules read in part (and none read
        whole) are kept for the next files.  Kept for the process, the trees would be scanned
        by every full garbage collection of the process that runs us (flake8's), and tripled
        its time.  A later file that needs another name of a module reads it in part again.
        """
        self.save()
        if not self._modules and len(self._partial) <= KEPT_PARTS:
            return  # a few modules read in part: worth keeping for the next files
        for path in (*self._modules, *self._partial):
            _release_source(path)
        for knowledge in self._partial.values():
            knowledge.module.loader = None  # it refers back to its knowledge: freed now, not by the collector
        self._modules.clear()
        self._partial.clear()

    # ---- finding modules -------------------------------------------------------------------

    def find(self, module: str) -> Optional[str]:
        """The file of a project module (`__init__.py` for a package, "" for a namespace package)."""
        if module in self._found:
            return self._found[module]
        found: Optional[str] = None
        parent, _, last = module.rpartition(".")
        if not last.isidentifier():
            pass
        elif parent:
            package = self.find(parent)
            if package is not None and (package == "" or package.endswith("__init__.py")):
                found = self._find_in(tuple(os.path.join(root, *parent.split(".")) for root in self.roots), last)
        elif last not in SA_ROOTS | FOREIGN_ROOTS:
            found = self._find_in(self.roots, last)
        self._found[module] = found
        return found

    def _find_in(self, folders: tuple[str, ...], name: str) -> Optional[str]:
        """`name.py` or `name/__init__.py` in the first folder that has one; "" for a folder
        `name` without `__init__.py` (a namespace package) in any; else None."""
        namespace = False
        for folder in folders:
            self._depends.add(folder)
            entries = _entries(folder)
            if name + ".py" in entries and os.path.isfile(os.path.join(folder, name + ".py")):
                return os.path.join(folder, name + ".py")
            if name in entries:
                package = os.path.join(folder, name)
                if os.path.isfile(os.path.join(package, "__init__.py")):
                    return os.path.join(package, "__init__.py")
                namespace = namespace or os.path.isdir(package)
        return "" if namespace else None

    def module_name_of(self, filename: str) -> str:
        """The dotted name the checked file has under the first root that holds it."""
        name = self._names.get(filename)
        if name is None:
            name = self._names[filename] = self._module_name_of(filename)
        return name

    def _module_name_of(self, filename: str) -> str:
        folder, base = os.path.split(os.path.abspath(filename))
        path = os.path.join(_realpath(folder), base)
        if os.path.islink(path):
            path = os.path.realpath(path)  # a linked file is named where its target is
        # The outermost root first: a namespace package's modules (no __init__.py) are named
        # from above it, so that their relative imports can be placed.
        for root in sorted(self.roots, key=len):
            if path.startswith(root + os.sep):
                relative = path[len(root) + 1: -len(".py")] if path.endswith(".py") else ""
                parts = relative.split(os.sep)
                if parts and parts[-1] == "__init__":
                    parts.pop()
                if parts and all(part.isidentifier() for part in parts):
                    return ".".join(parts)
        return ""

    def uses_sqlalchemy_names(self, source: str, filename: str = "") -> bool:
        """Whether the text imports a project name that is SQLAlchemy's (an engine, a factory, a
        registry, a session, a connection, Flask-SQLAlchemy's `db`, or a function or class that
        makes one), or uses one through an imported project module or Django's `settings`.

        A cheap prefilter for a module that does not import SQLAlchemy itself: only such names
        can make its rules report.  Imports are found in the text (at any indentation), and
        each name is looked up once per process.
        """
        module_name = self.module_name_of(filename) if filename else ""
        return self._uses_names(source, module_name, filename.endswith("__init__.py"))

    def _uses_names(self, source: str, module_name: str, is_package: bool) -> bool:
        for match in _import_statements(source):
            if match.group("names") is not None:
                dots, module = match.group("dots"), _statement_module(match)
                absolute = _absolute_name(module, module_name, is_package) if module else None
                if absolute is None:
                    if dots:
                        return True  # a relative import that cannot be placed: cannot tell
                    continue
                if absolute == "django.conf":
                    if any(name == "settings" and self._uses_module(source, alias or name, "django.conf.settings")
                           for name, alias in _imported_names(match.group("names"))):
                        return True
                    continue
                if not self._related_module(absolute) and not self._submodule_imports(absolute):
                    continue  # no name of a module unrelated to SQLAlchemy can be SQLAlchemy's
                for name, alias in _imported_names(match.group("names")):
                    if name == "*":
                        if self._related_module(absolute):
                            return True  # any of its names may be used here
                        continue
                    dotted = f"{absolute}.{name}"
                    if self.find(dotted) is not None:
                        if self._uses_module(source, alias or name, dotted):
                            return True
                    elif sqlalchemy_kind(self.lookup_absolute(dotted)):
                        return True
            else:
                for name, alias in _imported_names(match.group("modules")):
                    local, prefix = (alias, name) if alias else (name.partition(".")[0],) * 2
                    if self.find(prefix.partition(".")[0]) and self._uses_module(source, local, prefix):
                        return True
        return False

    def imported(
        self, source: str, filename: str = ""
    ) -> tuple[dict[str, tuple[str, str, str]], dict[str, tuple[str, str]]]:
        """What the text imports from project modules related to SQLAlchemy, found in the text
        alone (one pass over its imports), for a rule to ask about before the module is parsed:

        - each name imported by a `from` import (`from app.lib.data import import_opml`; not `*`),
          by its local name, to its (path, module, name);
        - each project module imported under a name of its own (`import app.sql.feds as sql`,
          `import helpers`, `from app.sql import feds`), by that name, to its (path, module): for
          `sql.un_fban_user(...)`.
        """
        module_name = self.module_name_of(filename) if filename else ""
        names: dict[str, tuple[str, str, str]] = {}
        modules: dict[str, tuple[str, str]] = {}
        for match in _import_statements(source):
            if match.group("names") is None:
                pairs = [
                    (name, alias or name) for name, alias in _imported_names(match.group("modules"))
                    if alias or "." not in name  # (`import a.b` binds `a`, a package)
                ]
            else:
                module = _statement_module(match)
                absolute = _absolute_name(module, module_name, filename.endswith("__init__.py")) if module else None
                if absolute is None:
                    continue
                imported = [(name, alias) for name, alias in _imported_names(match.group("names")) if name != "*"]
                if self._related_module(absolute):
                    path = self.find(absolute)
                    if path:
                        names.update((alias or name, (path, absolute, name)) for name, alias in imported)
                if not self._submodule_imports(absolute):
                    continue
                pairs = [(f"{absolute}.{name}", alias or name) for name, alias in imported]
            for absolute, local in pairs:
                if self._related_module(absolute):
                    path = self.find(absolute)
                    if path and not path.endswith("__init__.py"):
                        modules[local] = (path, absolute)
        return names, modules

    def _submodule_imports(self, module: str) -> bool:
        """Whether `from module import x` may import submodules: `module` is a project package."""
        path = self.find(module)
        return path == "" or bool(path and path.endswith("__init__.py"))

    def _uses_module(self, source: str, local: str, module: str) -> bool:
        """Whether the text uses `local.<name>` (`local` an imported project module, or Django's
        settings) where the name is SQLAlchemy's."""
        prefix = local + "."
        if prefix not in source:
            return False
        path = self.find(module)
        if path and not path.endswith("__init__.py") and not self._sqlalchemy_related(path, module):
            return False  # no name of a module unrelated to SQLAlchemy is SQLAlchemy's
        chains = set()
        start = source.find(prefix)
        while start >= 0:
            chain = _CHAIN.match(source, start + len(prefix))
            if chain is not None and not _goes_on_from(source, start):  # not `other_local.x`, `a.local.x`
                chains.add(chain.group().rstrip("."))
            start = source.find(prefix, start + 1)
        return any(sqlalchemy_kind(self._name_kind(f"{module}.{chain}")) for chain in chains)

    def _name_kind(self, absolute: str) -> Optional[Known]:
        """The kind of the first name of `absolute` that is not a module (`app.db.engine.url` ->
        `app.db.engine`): what the chain starts from."""
        if absolute.startswith("django.conf.settings."):
            settings_module = self.django_settings()
            if settings_module is None:
                return None
            absolute = settings_module + absolute[len("django.conf.settings"):]
        parts = absolute.split(".")
        for end in range(1, len(parts) + 1):
            dotted = ".".join(parts[:end])
            found = self.find(dotted)
            if found is None or (found and not found.endswith("__init__.py") and end < len(parts)):
                if found is not None:
                    end += 1
                return self.lookup_absolute(".".join(parts[:end])) if end <= len(parts) else None
        return None

    def _related_module(self, module: str) -> bool:
        path = self.find(module)
        return bool(path) and self._sqlalchemy_related(path or "", module)

    def knowledge(self, path: str, module: str) -> Optional[ModuleKnowledge]:
        """The walked module at `path`, or None when it cannot be read."""
        if path in self._modules:
            return self._modules[path]
        from .module import ModuleKnowledge  # the layer below project lookups, built lazily

        self._read_from(path)
        tree = read_module(path)
        knowledge = None if tree is None else ModuleKnowledge(tree, self.settings, path, self, module)
        self._modules[path] = knowledge
        return knowledge

    def knowledge_of_name(self, path: str, module: str, name: str, light: bool = False) -> Optional[ModuleKnowledge]:
        """Knowledge of the module at `path` enough to tell what its `name` is.

        Its outline's statements are parsed as they are needed (`Outline`); the
        whole module only when no column-0 statement binds `name`.  `light`, for a
        module unrelated to SQLAlchemy: only its imports and class headers are
        read (a re-exported `requests.Session`, a `CartSession` class), never
        its functions or values, which cannot be SQLAlchemy's.
        """
        if path in self._modules:
            return self._modules[path]
        self._read_from(path)
        outline = outline_of(path)
        if light:
            binders = outline.binders.get(name, ()) if outline is not None else ()
            if outline is None or any(index not in outline.classes for index in binders):
                return None
        elif outline is None or outline.binds_elsewhere(name):
            return self.knowledge(path, module)  # `global name` in a function binds it there too
        partial = self._partial.get(path)
        if partial is None:
            from .module import ModuleKnowledge

            partial = ModuleKnowledge(ast.Module(body=[], type_ignores=[]), self.settings, path, self, module)
            partial.imports_sqlalchemy = outline.imports_sqlalchemy
            partial.module.star_imports.extend(outline.star_modules)
            partial.module.loader = _Loader(outline, partial)
            self._partial[path] = partial
        return partial

    # ---- what names are --------------------------------------------------------------------

    def lookup(self, qualified: str, importer: ModuleKnowledge, depth: int = 0) -> Optional[Known]:
        """What an imported dotted name is, seen from `importer`; None when it cannot be told."""
        absolute = _absolute(qualified, importer)
        if absolute is None:
            return None
        return self.lookup_absolute(absolute, depth)

    def lookup_absolute(self, absolute: str, depth: int = 0) -> Optional[Known]:
        """What the dotted name `absolute` (`app.db.SessionLocal`) is; None when it cannot be told."""
        if absolute.startswith("django.conf.settings."):
            settings_module = self.django_settings()
            if settings_module is None:
                return None
            absolute = settings_module + absolute[len("django.conf.settings"):]
        if absolute in self._answers:
            self._used(absolute)
            return self._answers[absolute]
        if absolute in self._active:
            self._used(absolute)  # an import cycle: what this answer depends on, once it is found
            return None
        if len(self._active) >= MAX_CHAIN:
            self._unbounded()
            return None  # a chain too long to follow
        Stats.lookups += 1
        self._active.append(absolute)
        self._frames.append(set())
        try:
            answer = self._lookup(absolute, depth)
        finally:
            self._active.pop()
            self._found_from(absolute, self._frames.pop())
        self._answers[absolute] = answer
        return answer

    def _lookup(self, absolute: str, depth: int) -> Optional[Known]:
        """`app.db.engine.url`: the longest prefix that is a module (`app.db`), the name in it
        (`engine`), then the attributes of that name (`.url`), which only a few kinds tell.

        A package whose `__init__.py` binds a name over its submodule of that name (`from .db
        import db`) hands over that name when it is the last part (`from app.model import db`);
        when more parts follow (`app.model.db.Model`, which a module that did `from app.model
        import db` reads as `db.Model`), the submodule is read first, as `from app.model.db import
        x` would, and the package's name only when the submodule does not tell."""
        parts = absolute.split(".")
        module = ""
        path: Optional[str] = None
        packages: list[tuple[int, str, str]] = []  # the packages passed through to a submodule
        for index, part in enumerate(parts):
            dotted = f"{module}.{part}" if module else part
            found = self.find(dotted)
            if found is None:
                break
            if path and path.endswith("__init__.py"):
                if index == len(parts) - 1 and self._package_binds(path, module, part):
                    break  # `from app.model import db`, where the package's `from .db import db` hides the module
                packages.append((index, module, path))
            module, path = dotted, found
            if found and not found.endswith("__init__.py"):
                index += 1
                break  # a plain module: what follows are its names
        else:
            return Kind.OBJECT  # a project module: known, and not a session
        kind = self._in_module(parts, index, module, path, depth)
        for package in packages if kind is None else ():
            if self._package_binds(package[2], package[1], parts[package[0]]):
                return self._in_module(parts, *package, depth)
        return kind

    def _in_module(
        self, parts: list[str], index: int, module: str, path: Optional[str], depth: int
    ) -> Optional[Known]:
        """What `parts[index:]` is in the project module `module` (at `path`): a name of it and
        that name's attributes."""
        if not module:
            return None  # not the project's
        if index >= len(parts):
            return Kind.OBJECT
        if not path:
            return None  # a namespace package has no names
        name, attributes = parts[index], parts[index + 1:]
        kind = self._export(path, module, name, depth)
        for attribute in attributes:
            kind = _attribute_of(kind, attribute)
        return kind

    def _package_binds(self, path: str, package: str, name: str) -> bool:
        """Whether the package's `__init__.py` (at `path`) binds `name` at its top to something
        other than its submodule of that name (`from .db import db`, `db = SQLAlchemy()`): after
        the import of the package, `from package import name` gets that, not the submodule (a
        dotted name that goes on, `package.name.x`, is read in the submodule)."""
        self._read_from(path)
        outline = outline_of(path)
        if outline is None:
            return False
        if name in outline.binders:
            return True
        submodule = (f".{name}", f"{package}.{name}")
        return any(value not in submodule for value in outline.imported.get(name, ()))

    def _export(self, path: str, module: str, name: str, depth: int) -> Optional[Known]:
        key = f"{module}:{name}"  # a chain `X.a`, `X.b` looks `X` up once
        if key in self._answers:
            self._used(key)
            return self._answers[key]
        # Names of this module still being worked out (an import cycle led back here): their
        # half-made memos may be used, so this answer depends on all they will depend on.
        exporting = self._exporting.setdefault(path, [])
        frame: set[str] = {path, *("@" + other for other in exporting)}
        exporting.append(key)
        self._frames.append(frame)
        try:
            light = not self._sqlalchemy_related(path, module)
            knowledge = self.knowledge_of_name(path, module, name, light)
            answer = None if knowledge is None else knowledge.export(name, depth + 1)
            if knowledge is not None:
                # What this module's memos hold came from what it answered before.
                frame |= knowledge.deps
                knowledge.deps |= frame
        finally:
            exporting.pop()
            if not exporting:
                del self._exporting[path]
            self._found_from(key, self._frames.pop())
        self._answers[key] = answer
        return answer

    def _used(self, key: str) -> None:
        """An answer found before is used: what it depends on, the answer being worked out does.
        One still being worked out (an import cycle led back to it) is named by its key, "@key":
        the answers it was used for depend on all it will depend on (`_closed_deps`)."""
        if self._frames:
            found = self._deps.get(key)
            if found is None:
                self._frames[-1].add("@" + key)
            else:
                self._frames[-1].update(found)

    def _found_from(self, key: str, frame: set[str]) -> None:
        deps = self._deps[key] = tuple(sorted(frame))
        first, end = _cycle_names(deps)
        if first < end:
            self._open.add(key)
        if self._frames:
            self._frames[-1].update(frame)

    def _unbounded(self) -> None:
        """An answer cut short by a chain too long to follow: it may change with any file."""
        for frame in self._frames:
            frame.add(_ANY)

    def _closed_deps(self) -> dict[str, tuple[str, ...]]:
        """What each answer depends on, with the answers of an import cycle ("@key") replaced by
        what those depend on in turn (any file, for one never found).  Called between checked
        files, when no answer is being worked out: every closure is final, and kept."""
        self._close([key for key in self._open if key not in self._closed])
        closed = dict(self._deps)
        for key in self._open:
            closed[key] = self._closed[key]
        return closed

    def _close(self, keys: list[str]) -> None:
        """The closures of `keys` into `_closed`, in one pass over what they name.

        The answers that name each other form strongly connected groups (found by Tarjan's
        algorithm, without recursion); a group's closure is the files its members depend
        on with the closures of the groups they name, which the algorithm closes first.
        Every member of a group gets the same tuple.  (Walking the names from each answer
        anew cost time quadratic in the size of a group: a quarter of a first run's save
        over the application corpus.)
        """
        closed, deps = self._closed, self._deps
        order: dict[str, int] = {}  # key -> when the walk reached it
        low: dict[str, int] = {}
        group: list[str] = []  # the keys reached and not yet in a closed group (Tarjan's stack)
        position: dict[str, int] = {}  # where each key of `group` is on it
        walk: list[tuple[str, Iterator[str]]] = []

        def named(key: str) -> Iterator[str]:
            """The open answers that `key` names, not closed yet."""
            found = deps.get(key, ())
            first, end = _cycle_names(found)
            for dep in found[first:end]:
                Stats.closing_steps += 1
                if dep[1:] in self._open and dep[1:] not in closed:
                    yield dep[1:]

        def reach(key: str) -> None:
            order[key] = low[key] = len(order)
            position[key] = len(group)
            group.append(key)
            walk.append((key, named(key)))

        for start in keys:
            if start in order or start in closed:
                continue
            reach(start)
            while walk:
                key, rest = walk[-1]
                for other in rest:
                    if other not in order:
                        reach(other)
                        break
                    if other in position:
                        low[key] = min(low[key], order[other])
                else:
                    walk.pop()
                    if walk:
                        parent = walk[-1][0]
                        low[parent] = min(low[parent], low[key])
                    if low[key] == order[key]:
                        members = group[position[key]:]
                        del group[position[key]:]
                        for member in members:
                            del position[member]
                        in_group = set(members)
                        files: set[str] = set()
                        for member in members:
                            found = deps.get(member, (_ANY,))
                            first, end = _cycle_names(found)
                            files.update(found[:first])  # its files
                            files.update(found[end:])
                            for dep in found[first:end]:  # the answers it names
                                Stats.closing_steps += 1
                                if dep[1:] in closed:
                                    files.update(closed[dep[1:]])
                                elif dep[1:] not in in_group:
                                    files.update(deps.get(dep[1:], (_ANY,)))  # one that names no other
                        result = tuple(sorted(files))
                        for member in members:
                            closed[member] = result

    def _sqlalchemy_related(self, path: str, module: str) -> bool:
        """Whether a module's functions and values can be SQLAlchemy's: its text imports
        SQLAlchemy (or Django's settings), or a project name that is SQLAlchemy's
        (`uses_sqlalchemy_names`, asked of that module in turn)."""
        key = store.related_key(path)
        known = self._related.get(path)
        if known is not None:
            self._used(key)  # (still being worked out, if an import cycle led back to it)
            return known
        self._related[path] = False  # an import cycle adds nothing
        self._frames.append(set())
        try:
            self._read_from(path)
            source = _source(path)
            text = source.text if source is not None else None
            related = text is not None and (
                _imports_sqlalchemy_text(text) or self._uses_names(text, module, path.endswith("__init__.py"))
            )
        finally:
            self._found_from(key, self._frames.pop())
        self._related[path] = related
        return related

    def cli_group(self, qualified: str, importer: ModuleKnowledge, depth: int) -> bool:
        """Whether an imported name is a project's click group or Typer app
        (`from warehouse.cli import warehouse`, where `@click.group()` is over `def warehouse`).

        A fact about the project, worked out once per process and forgotten when the
        module it was read from changes.
        """
        absolute = _absolute(qualified, importer)
        if absolute is None:
            return False
        key = "cli-group:" + absolute
        if key not in self._facts:
            self._facts[key] = False  # an import cycle answers no
            self._facts[key] = self._cli_group(absolute, depth)
        return bool(self._facts[key])

    def _cli_group(self, absolute: str, depth: int) -> bool:
        found = self._module_path(absolute)
        if found is None:
            return False  # not the project's (click's own groups are made, not imported), or a namespace package
        path, module, name = found
        self._scanned.add(path)
        knowledge = self.knowledge_of_name(path, module, name)
        return knowledge is not None and knowledge.cli_group(ast.Name(id=name), knowledge.module, depth)

    def function_module(self, qualified: str, importer: ModuleKnowledge) -> Optional[tuple[str, str, str]]:
        """(path, module, name) of a name of a project module (`pkg.mod.f`, `.mod.f` seen from
        `importer`); None when its module is not the project's."""
        absolute = _absolute(qualified, importer)
        return self._module_path(absolute) if absolute is not None else None

    def origin(self, absolute: str, depth: int = 0) -> Optional[tuple[str, str, str]]:
        """(path, module, name) of where the project name `absolute` is defined, followed through
        the project modules that import it and hand it on (`from .language import Language` in a
        package's `__init__.py`), `MAX_CHAIN` modules deep; None when it is no name of a project
        module (the last module found, when the chain goes on past it)."""
        located = self._module_path(absolute)
        if located is None or depth > MAX_CHAIN:
            return located
        path, module, name = located
        knowledge = self.knowledge_of_name(path, module, name)
        binding = single_binding(knowledge.module.names.get(name)) if knowledge is not None else None
        if knowledge is None or binding is None or binding.kind != "import" or not isinstance(binding.value, str):
            return located
        target = _absolute(binding.value, knowledge)
        return (self.origin(target, depth + 1) if target is not None else None) or located

    def annotated_alias(self, qualified: str, importer: ModuleKnowledge) -> Optional[str]:
        """What an imported project name annotates when it is a module-level alias of
        `Annotated[T, ...]` (`SessionDep = Annotated[Session, Depends(get_db)]`): the qualified
        name of `T` as its module imports it (`sqlalchemy.orm.Session`); None otherwise.  Each
        module's aliases are read once per process, and only from a text that names `Annotated`."""
        located = self.function_module(qualified, importer)
        if located is None:
            return None
        path, _, name = located
        return self.module_fact("annotated-aliases:", path, lambda: _annotated_aliases(path)).get(name)

    def _module_path(self, absolute: str) -> Optional[tuple[str, str, str]]:
        """(path, module, name) of the name `absolute` (`pkg.mod.f`), when `pkg.mod` is a file of
        the project (not a namespace package)."""
        module, _, name = absolute.rpartition(".")
        path = self.find(module) if module else None
        return (path, module, name) if path else None

    def naming(self, word: str) -> Optional[list[tuple[str, str]]]:
        """The project files (path, text) whose text holds the identifier `word`; None when the
        project cannot be read.  One read of the project's folder for the process builds an
        index of every file's identifiers, so that asking about many names costs no more than
        asking about one (`mentions` reads the folder once for each word)."""
        index = self.fact("identifiers", _identifier_index)
        if index is None:
            return None
        files, where = index
        return [files[i] for i in where.get(word, ())]

    def mentions(self, word: str) -> Optional[list[tuple[str, str]]]:
        """`files_mentioning((word,))`, worked out once per process."""
        return self.fact("mentions:" + word, lambda project: project.files_mentioning((word,)))

    def referencing(self, name: str) -> Optional[list[tuple[str, str]]]:
        """The project files (`mentions`, with their texts) whose text may use a module-level
        `name` of another module: as an attribute (`utils.name`) or imported by a `from` import;
        None when the project cannot be read."""
        files = self.mentions(name)
        return None if files is None else referencing(files, name)

    def module_fact(
        self, prefix: str, path: str, compute: Callable[[], T], saved: Optional[Callable[[object], T]] = None,
    ) -> T:
        """A fact worked out from the module at `path` (`compute()`), once per process, and
        forgotten when that module changes.

        With `saved` (which makes the fact again from what JSON reads of it, or raises
        ValueError), the fact is also saved with the answers, depending on the files read and
        the answers used to work it out, and a later process takes it back while none of those
        changed: `compute()` must give a value JSON writes and reads back as `saved` expects.  A
        fact that asked about every file of the project (`fact`, `files_mentioning`) is not saved:
        the cache holds the stamps of the files read, not of all files."""
        key = prefix + path
        if key in self._facts:
            return self._facts[key]  # type: ignore[return-value]
        self._scanned.add(path)
        if saved is None:
            self._read_from(path)
            self._facts[key] = compute()
            return self._facts[key]  # type: ignore[return-value]
        if key in self._stored:
            try:
                value = saved(self._stored[key])
            except (ValueError, TypeError):
                del self._stored[key]  # (a value this code did not write: worked out again)
            else:
                self._used(store.fact_key(key))
                Stats.facts_restored += 1
                self._facts[key] = value
                return value
        frame: set[str] = set()
        self._frames.append(frame)
        try:
            self._read_from(path)
            found = compute()
        finally:
            self._found_from(store.fact_key(key), self._frames.pop())
        self._facts[key] = found
        if _ANY not in frame:  # (one that asked about every file of the project is worked out in each process)
            self._stored[key] = found
        return found

    def related(self, path: str, module: str) -> bool:
        """Whether a project module's names can be SQLAlchemy's (`_sqlalchemy_related`)."""
        return self._sqlalchemy_related(path, module)

    def text(self, path: str) -> Optional[str]:
        """The text of a project module, or None when it cannot be read."""
        source = _source(path)
        return source.text if source is not None else None

    def definition(self, qualified: str, method: Optional[str], importer: ModuleKnowledge,
                   depth: int = 0) -> Optional[Callee]:
        """The function an imported name runs (`method` None), or the method `method` of an
        imported module-level instance, or the function `method` of an imported project module;
        None when it cannot be read.  Its module is read whole, as `knowledge` reads it (kept
        until the checked file is done; nothing of it outlives the file)."""
        absolute = _absolute(qualified, importer)
        if absolute is None or depth > MAX_CHAIN:
            return None
        found = self.find(absolute)
        if found is not None:  # a module: `method` is one of its functions
            if not found or method is None:
                return None
            absolute, method = f"{absolute}.{method}", None
        located = self._module_path(absolute)
        if located is None:
            return None
        path, module, name = located
        knowledge = self.knowledge(path, module)
        if knowledge is None:
            return None
        binding = single_binding(knowledge.module.names.get(name))
        if binding is None:
            return None
        if binding.kind == "import" and isinstance(binding.value, str):  # handed on: `from .impl import f`
            return self.definition(binding.value, method, knowledge, depth + 1)
        if method is None:
            return knowledge.callee(ast.Name(id=name), knowledge.module)
        return knowledge.callee(ast.Attribute(value=ast.Name(id=name), attr=method), knowledge.module)

    def lookup_star(self, module: str, name: str, importer: ModuleKnowledge, depth: int = 0) -> Optional[Known]:
        """`name` through `from <module> import *` in `importer`, if that module hands it on."""
        absolute = _absolute(module + ".x", importer)
        if absolute is None:
            return None
        absolute = absolute[: -len(".x")]
        path = self.find(absolute)
        if not path:
            return None
        knowledge = self.knowledge(path, absolute)
        if knowledge is None:
            return None
        public = knowledge.public_names()
        if public is not None and name not in public:
            return None
        return self.lookup(f"{absolute}.{name}", importer, depth + 1)

    # ---- Django ----------------------------------------------------------------------------

    def django_settings(self) -> Optional[str]:
        """The project's Django settings module: the option, the environment, `manage.py`/`wsgi.py`/
        `asgi.py`, else the one `settings` module under a root that defines DATABASES."""
        if self._django_found:
            return self._django
        self._django_found = True
        found = self.settings.django_settings or os.environ.get("DJANGO_SETTINGS_MODULE") or None
        if found is None:
            found = self._settings_from_entry_points() or self._single_settings_module()
        self._django = found
        return found

    def _settings_from_entry_points(self) -> Optional[str]:
        for root in self.roots:
            candidates = [os.path.join(root, "manage.py")]
            try:
                entries = sorted(os.listdir(root))
            except OSError:
                continue
            for entry in entries:
                candidates += [os.path.join(root, entry, "wsgi.py"), os.path.join(root, entry, "asgi.py")]
            for candidate in candidates:
                text = _small_text(candidate)
                match = _SETTINGS_MODULE.search(text) if text else None
                if match:
                    return match.group(1)
        return None

    def _single_settings_module(self) -> Optional[str]:
        found = set()
        for root in self.roots:
            try:
                entries = sorted(os.listdir(root))
            except OSError:
                continue
            for entry in entries:
                for module, path in (
                    (f"{entry}.settings", os.path.join(root, entry, "settings.py")),
                    (f"{entry}.settings", os.path.join(root, entry, "settings", "__init__.py")),
                ):
                    text = _small_text(path)
                    if text and "DATABASES" in text:
                        found.add(module)
        return found.pop() if len(found) == 1 else None


def referencing(files: list[tuple[str, str]], name: str, stars: bool = False) -> list[tuple[str, str]]:
    """Those of `files` (path, text) whose text may use a module-level `name` of another module: as
    an attribute (`utils.name`) or imported by a `from` import (or, with `stars`, by `from module
    import *`)."""
    word = re.escape(name)
    star = r"|\*" if stars else ""
    reference = re.compile(
        rf"\.\s*{word}\b|^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+(?:\([^)]*|[^\n]*)(?:\b{word}\b{star})",
        re.MULTILINE,
    )
    return [(path, text) for path, text in files if name in text and reference.search(one_line_end(text))]


def words_outside_imports(text: str) -> frozenset[str]:
    """The identifiers the text names anywhere but in its import statements and in quotes
    (`__all__ = ["name"]`): calls, attributes (`module.name`), decorators, comments alike; and
    the names it imports under another (`import name as other`: used by that one).  Read from
    the words alone, in one pass, so that a use no reading of names can place still counts."""
    Stats.word_reads += 1
    text = one_line_end(text)
    words: set[str] = set()
    position = 0
    for statement in _import_statements(text):
        start, end = statement.span()
        words.update(_unquoted_words(text, position, start))
        names = statement.group("names")
        if names is not None:
            words.update(name for name, alias in _imported_names(names) if alias)
        position = max(position, end)
    words.update(_unquoted_words(text, position, len(text)))
    return frozenset(words)


def _unquoted_words(text: str, start: int, end: int) -> Iterator[str]:
    for match in _IDENTIFIER.finditer(text, start, end):
        first, last = match.span()
        before = text[first - 1] if first else " "
        if not (before in "'\"" and last < len(text) and text[last] == before):
            yield match.group()


def _stands_alone(text: str, name: str) -> bool:
    """Whether the identifier `name` is in `text` on its own: not inside a longer word, nor as
    an attribute (`x.name`): what the pattern `(?<![\\w.])name\\b` finds, without compiling one
    for each name."""
    end = len(name)
    found = text.find(name)
    while found >= 0:
        after = text[found + end] if found + end < len(text) else " "
        if not _goes_on_from(text, found) and not (after.isalnum() or after == "_"):
            return True
        found = text.find(name, found + 1)
    return False


def _cycle_names(deps: tuple[str, ...]) -> tuple[int, int]:
    """Where the "@key" names of an answer's sorted dependencies are: together, found by
    bisection (a few among the hundreds of files an answer may depend on, which sort before
    them, "*" and "/...", or after them, "C:\\...")."""
    return bisect.bisect_left(deps, "@"), bisect.bisect_left(deps, "A")  # "A" follows "@"


def _goes_on_from(text: str, position: int) -> bool:
    """Whether what starts at `position` goes on from a word or an attribute before it (`xname`,
    `x.name`): the character before it is a word character or a dot."""
    return position > 0 and (text[position - 1].isalnum() or text[position - 1] in "_.")


def _imports_sqlalchemy_text(text: str) -> bool:
    return any(word in text for word in _SQLALCHEMY_WORDS) and _SQLALCHEMY_TEXT.search(one_line_end(text)) is not None


def one_line_end(source: str) -> str:
    """`source` with its lines ended by "\n" alone, at the same offsets ("\r\n" -> " \n", "\r" ->
    "\n"): `^` of re.MULTILINE follows "\n" only, so a CR file would be one line to it."""
    return source.replace("\r\n", " \n").replace("\r", "\n") if "\r" in source else source


def _import_statements(source: str) -> Iterator[re.Match[str]]:
    """`_IMPORT_STATEMENT`'s matches in `source`, found from each `import` word (four times
    faster than the regular expression's own search from every line start)."""
    source = one_line_end(source)
    position = 0
    while True:
        found = source.find("import", position)
        if found < 0:
            return
        start = source.rfind("\n", 0, found) + 1
        while start > 1 and source.endswith(("\\\n", "\\ \n"), 0, start):
            start = source.rfind("\n", 0, start - 1) + 1  # the line goes on the one above: start there
        match = _IMPORT_STATEMENT.match(source, start)
        if match is not None and match.end() > found:
            yield match
            position = match.end()
        else:
            position = found + 6


def _statement_module(statement: re.Match[str]) -> str:
    """The dots and module of a `from` import, without its line continuations and spaces (`.a.b`)."""
    module = statement.group("module")
    if "\\" in module or " " in module or "\t" in module:
        module = "".join(module.replace("\\", " ").split())
    return statement.group("dots") + module


def _imported_names(text: str) -> list[tuple[str, str]]:
    """`(a, b as c)` -> [("a", ""), ("b", "c")] (comments and line continuations aside)."""
    found = []
    text = _COMMENT.sub("", _CONTINUATION_LINE.sub(" ", text)) if "#" in text or "\\" in text else text
    for item in text.strip().strip("()").split(","):
        words = item.split()
        if len(words) == 1:
            found.append((words[0], ""))
        elif len(words) == 3 and words[1] == "as":
            found.append((words[0], words[2]))
    return found


def sqlalchemy_kind(kind: Optional[Known]) -> bool:
    """Whether a project name of this kind can make a rule report where it is used.  (A
    Flask-SQLAlchemy model's `query` is read only in a module that names `db` too.)"""
    if isinstance(kind, Maker):
        kind = kind.returns
    return kind is not None and kind not in (Kind.FOREIGN, Kind.OBJECT, Kind.MODEL)


def _attribute_of(kind: Optional[Known], attribute: str) -> Optional[Known]:
    """What `thing.attribute` is, from what `thing` is: a foreign object's attributes are
    foreign, Flask-SQLAlchemy's `db.session` is a registry and `db.Model` makes models;
    anything else is unknown."""
    if kind is Kind.FOREIGN:
        return Kind.FOREIGN
    if kind is Kind.FLASK_DB and attribute == "session":
        return Kind.REGISTRY
    if kind is Kind.FLASK_DB and attribute == "Model":
        return Maker(Kind.MODEL)
    return None


def _small_text(path: str) -> Optional[str]:
    found = _small_file(path)
    return found[0] if found is not None else None


def _small_file(path: str) -> Optional[tuple[str, os.stat_result]]:
    """The text of a regular file no bigger than `MAX_MODULE_BYTES` (undecodable bytes replaced),
    with what `os.stat` said of it before the read; None when there is no such file."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MODULE_BYTES:
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace"), info
    except OSError:
        return None


_IDENTIFIER = re.compile(r"(?!\d)\w+")  # a Python identifier, Unicode letters too


def _identifier_index(project: Project) -> Optional[tuple[list[tuple[str, str]], dict[str, tuple[int, ...]]]]:
    """Every project file (path, text) and, for each identifier, the indices of the files whose
    text holds it (`Project.naming`).  Kept for the process as tuples of numbers, which the
    garbage collector stops tracking: lists would be scanned by each of its full passes."""
    files = project.files_mentioning(("",))
    if files is None:
        return None
    where: dict[str, list[int]] = {}
    for index, (_, text) in enumerate(files):
        for word in set(_IDENTIFIER.findall(text)):
            where.setdefault(word, []).append(index)
    return files, {word: tuple(indices) for word, indices in where.items()}


def _annotated_aliases(path: str) -> dict[str, str]:
    """The module-level aliases of `Annotated[T, ...]` in the module at `path`, each with the
    qualified name of `T` through the module's absolute imports (`Project.annotated_alias`)."""
    source = _source(path)
    text = source.text if source is not None else None
    if text is None or "Annotated" not in text:
        return {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {}
    imported: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                local = alias.asname or alias.name.partition(".")[0]
                imported[local] = alias.name if alias.asname else local
        elif isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
            for alias in statement.names:
                imported[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
    found: dict[str, str] = {}
    for statement in tree.body:
        target, value = None, None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Subscript):
            continue
        head = _dotted_through(value.value, imported)
        if head not in ANNOTATED:
            continue
        first = value.slice.elts[0] if isinstance(value.slice, ast.Tuple) and value.slice.elts else value.slice
        annotated = _dotted_through(first, imported)
        if annotated is not None:
            found[target.id] = annotated
    return found


def _dotted_through(node: ast.expr, imported: dict[str, str]) -> Optional[str]:
    """`sa.orm.Session` -> `sqlalchemy.orm.Session` when `import sqlalchemy as sa`; None when the
    name it starts from is not imported."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imported:
        return None
    return ".".join([imported[node.id], *reversed(parts)])


def _absolute(qualified: str, importer: ModuleKnowledge) -> Optional[str]:
    """`..db.engine` seen from `app.api.views` -> `app.db.engine`."""
    return _absolute_name(qualified, importer.module_name, importer.is_package)


def _absolute_name(qualified: str, module_name: str, is_package: bool) -> Optional[str]:
    if not qualified.startswith("."):
        return qualified
    level = len(qualified) - len(qualified.lstrip("."))
    rest = qualified[level:]
    package = module_name if is_package else module_name.rpartition(".")[0]
    if not module_name:
        return None  # a file outside the roots: relative imports cannot be placed
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, rest]) if base and rest else ".".join(base) if base else rest or None


__all__ = [
    "Project", "Stats", "forget_projects", "import_roots", "one_line_end", "project_for", "read_module",
    "referencing", "refresh_projects",
]
