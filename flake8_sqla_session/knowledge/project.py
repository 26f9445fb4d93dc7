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
import os
import re
import stat
import sysconfig
import tokenize
from typing import TYPE_CHECKING, Optional

from ..settings import Settings
from .kinds import Kind, Known
from .names import FOREIGN_ROOTS, SA_ROOTS

if TYPE_CHECKING:
    from .module import ModuleKnowledge

MAX_MODULE_BYTES = 2_000_000  # a bigger "module" is generated data: unknown
MAX_CHAIN = 12  # re-exports followed through at most this many modules
_MARKERS = ("manage.py", "pyproject.toml", "setup.cfg", "setup.py")
_SETTINGS_MODULE = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")
_IMPORTED = re.compile(r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.MULTILINE)
_NOT_ROOTS = frozenset({"site-packages", "dist-packages"})


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

    modules_read = 0  # files read and parsed
    lookups = 0


class _Source:
    """A parsed project module file, shared by every `Project` of the process."""

    __slots__ = ("tree",)

    def __init__(self, tree: Optional[ast.Module]) -> None:
        self.tree = tree


_SOURCES: dict[tuple[str, int, int], _Source] = {}


def read_module(path: str) -> Optional[ast.Module]:
    """The parsed module at `path`, or None if it is not a regular, readable, parsable Python file."""
    try:
        info = os.stat(path)  # follows symlinks; a loop raises
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MODULE_BYTES:
        return None
    key = (path, info.st_size, info.st_mtime_ns)
    cached = _SOURCES.get(key)
    if cached is None:
        cached = _SOURCES[key] = _Source(_parse(path))
        Stats.modules_read += 1
    return cached.tree


def _parse(path: str) -> Optional[ast.Module]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MODULE_BYTES + 1)
        if len(data) > MAX_MODULE_BYTES or b"\0" in data:
            return None
        encoding, _ = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)
        text = data.decode(encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
        return ast.parse(text, path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError):
        return None


def import_roots(filename: str, settings: Settings) -> tuple[str, ...]:
    """Where the checked file's imports are looked for, in order."""
    roots: list[str] = []

    def add(folder: str) -> None:
        folder = os.path.realpath(folder)
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
            if any(os.path.isfile(os.path.join(current, marker)) for marker in _MARKERS):
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
    return project


class Project:
    """The modules under a set of import roots, and what their names are."""

    def __init__(self, roots: tuple[str, ...], settings: Settings) -> None:
        self.roots = roots
        self.settings = settings
        self._found: dict[str, Optional[str]] = {}  # module -> file (or "" for a namespace package)
        self._modules: dict[str, Optional[ModuleKnowledge]] = {}  # file -> its knowledge
        self._answers: dict[str, Optional[Known]] = {}
        self._active: list[str] = []
        self._django: Optional[str] = None
        self._django_found = False

    # ---- finding modules -------------------------------------------------------------------

    def find(self, module: str) -> Optional[str]:
        """The file of a project module (`__init__.py` for a package, "" for a namespace package)."""
        if module in self._found:
            return self._found[module]
        found: Optional[str] = None
        parts = module.split(".")
        if all(part.isidentifier() for part in parts) and parts[0] not in SA_ROOTS | FOREIGN_ROOTS:
            namespace = False
            for root in self.roots:
                base = os.path.join(root, *parts)
                if os.path.isfile(base + ".py"):
                    found = base + ".py"
                    break
                if os.path.isfile(os.path.join(base, "__init__.py")):
                    found = os.path.join(base, "__init__.py")
                    break
                namespace = namespace or os.path.isdir(base)
            if found is None and namespace:
                found = ""
        self._found[module] = found
        return found

    def module_name_of(self, filename: str) -> str:
        """The dotted name the checked file has under the first root that holds it."""
        path = os.path.realpath(os.path.abspath(filename))
        # The outermost root first: a namespace package's modules (no __init__.py) are named
        # from above it, so that their relative imports can be placed.
        for root in sorted(self.roots, key=len):
            if path.startswith(root + os.sep):
                relative = os.path.relpath(path, root)[: -len(".py")] if path.endswith(".py") else ""
                parts = relative.split(os.sep)
                if parts and parts[-1] == "__init__":
                    parts.pop()
                if parts and all(part.isidentifier() for part in parts):
                    return ".".join(parts)
        return ""

    def imports_project(self, source: str) -> bool:
        """Whether the text imports a project module (or Django's settings): a cheap prefilter."""
        for match in _IMPORTED.finditer(source):
            dots, module, plain = match.group(1), match.group(2), match.group(3)
            if dots:
                return True
            name = module or plain or ""
            if name == "django.conf":
                return True
            if name and self.find(name.partition(".")[0]) is not None:
                return True
        return False

    def knowledge(self, path: str, module: str) -> Optional[ModuleKnowledge]:
        """The walked module at `path`, or None when it cannot be read."""
        if path in self._modules:
            return self._modules[path]
        from .module import ModuleKnowledge  # the layer below project lookups, built lazily

        tree = read_module(path)
        knowledge = None if tree is None else ModuleKnowledge(tree, self.settings, path, self, module)
        self._modules[path] = knowledge
        return knowledge

    # ---- what names are --------------------------------------------------------------------

    def lookup(self, qualified: str, importer: ModuleKnowledge, depth: int = 0) -> Optional[Known]:
        """What an imported dotted name is, seen from `importer`; None when it cannot be told."""
        absolute = _absolute(qualified, importer)
        if absolute is None:
            return None
        if absolute.startswith("django.conf.settings."):
            settings_module = self.django_settings()
            if settings_module is None:
                return None
            absolute = settings_module + absolute[len("django.conf.settings"):]
        if absolute in self._answers:
            return self._answers[absolute]
        if absolute in self._active or len(self._active) >= MAX_CHAIN:
            return None  # an import cycle, or a chain too long to follow
        Stats.lookups += 1
        self._active.append(absolute)
        try:
            answer = self._lookup(absolute, depth)
        finally:
            self._active.pop()
        self._answers[absolute] = answer
        return answer

    def _lookup(self, absolute: str, depth: int) -> Optional[Known]:
        module, _, name = absolute.rpartition(".")
        if self.find(absolute) is not None:
            return Kind.OBJECT  # a project module: known, and not a session
        if not module:
            return None
        path = self.find(module)
        if not path:
            return None  # not the project's, or a namespace package (which has no names)
        knowledge = self.knowledge(path, module)
        return None if knowledge is None else knowledge.export(name, depth + 1)

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


def _small_text(path: str) -> Optional[str]:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MODULE_BYTES:
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return None


def _absolute(qualified: str, importer: ModuleKnowledge) -> Optional[str]:
    """`..db.engine` seen from `app.api.views` -> `app.db.engine`."""
    if not qualified.startswith("."):
        return qualified
    level = len(qualified) - len(qualified.lstrip("."))
    rest = qualified[level:]
    package = importer.module_name if importer.is_package else importer.module_name.rpartition(".")[0]
    if not importer.module_name:
        return None  # a file outside the roots: relative imports cannot be placed
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, rest]) if base else rest or None


__all__ = ["Project", "Stats", "project_for", "import_roots", "read_module"]
