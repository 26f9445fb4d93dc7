"""What project knowledge remembers between processes: the answers, on disk, with what they depend on.

An editor runs flake8 in a new process on every keystroke, and each process would
read the checked file's project again to know what its imported names are.  The
answers (`app.db:SessionLocal` is a factory, `app/models.py` imports nothing that is
SQLAlchemy's) are kept in one JSON file per project, each with the module files read
to find it (and those of the answers it used), with the size and mtime of each of
those files and the mtime of every folder listed to find them.  A process that finds
such a file checks those stamps (one `stat` each): an answer that depends on a file
changed since is dropped and worked out again; a folder that changed (a module added,
removed or renamed) drops them all.  An answer met while it was being worked out (an
import cycle) depends on all that answer depends on; one cut short by a chain too long
to follow, on any file.  Nothing else is trusted: a file from another version of this
package, of another Python, or that cannot be read or decoded is ignored.

The file is written by an atomic rename (never half-written), merged with what other
processes (`flake8 -j 2`) wrote meanwhile, at most every few seconds, and when the
process ends.  A folder that cannot be
written leaves the cache off, silently: the answers are only ever a speed-up.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from typing import Iterable, Mapping, Optional, cast

from .kinds import Kind, Known, Maker

FORMAT = 3
PRUNE_AFTER = 30 * 24 * 3600  # seconds
ENVIRONMENT_DIR = "FLAKE8_SQLA_SESSION_CACHE_DIR"
OFF = "off"

Stamps = dict[str, tuple[int, int]]  # path -> (size, mtime_ns); a folder's size is -1
FOLDER = -1
MISSING = (-2, -2)  # a file that could not be stat'ed (it must still be missing)
CHANGED = (-3, -3)  # a file that changed while the process worked from it (never valid)


def cache_folder(option: Optional[str]) -> Optional[str]:
    """Where the cache files are: the option, else $FLAKE8_SQLA_SESSION_CACHE_DIR, else the user's
    cache folder ($XDG_CACHE_HOME, ~/.cache, %LOCALAPPDATA%); None when the cache is off."""
    chosen = option or os.environ.get(ENVIRONMENT_DIR) or ""
    if chosen.strip().lower() in (OFF, "none", "0", "false", "no"):
        return None
    if chosen:
        return os.path.abspath(os.path.expanduser(chosen))
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if sys.platform == "win32" else None
    ) or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "flake8-sqla-session")


_CODE: Optional[str] = None


def code_stamp() -> str:
    """What made the answers: this package's version and the stamps of its knowledge code (an
    edited checkout answers anew), and the Python that parsed the modules."""
    global _CODE
    if _CODE is None:
        from .. import __version__

        here = os.path.dirname(os.path.abspath(__file__))
        parts = [__version__, f"{sys.version_info[0]}.{sys.version_info[1]}", str(FORMAT)]
        # (the rules too: the facts saved with the answers are worked out by them)
        for folder in (here, os.path.dirname(here), os.path.join(os.path.dirname(here), "rules")):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".py"):
                    info = os.stat(os.path.join(folder, name))
                    parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
        _CODE = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return _CODE


def cache_file(folder: str, key: Iterable[str]) -> str:
    """The file of one project (its roots and the settings that change answers)."""
    digest = hashlib.sha256("\0".join([code_stamp(), *key]).encode()).hexdigest()[:32]
    return os.path.join(folder, f"project-{digest}.json")


def encode(kind: Optional[Known]) -> object:
    if kind is None:
        return None
    if isinstance(kind, Kind):
        return kind.name
    return [kind.returns.name, kind.context, kind.owned]


def decode(value: object) -> Optional[Known]:
    """The answer a JSON value stands for; ValueError when it stands for none."""
    if value is None:
        return None
    if isinstance(value, str):
        return Kind[value]
    if isinstance(value, list) and len(value) == 3 and isinstance(value[1], bool) and isinstance(value[2], bool):
        return Maker(Kind[value[0]], context=value[1], owned=value[2])
    raise ValueError(value)


def folder_stamp(folder: str) -> tuple[int, int]:
    """A folder's stamp: (-1, its mtime), or (-1, -1) while it does not exist."""
    try:
        return FOLDER, os.stat(folder).st_mtime_ns
    except (OSError, ValueError):
        return FOLDER, -1


def stamp_now(path: str, stamp: tuple[int, int]) -> tuple[int, int]:
    """The stamp now of the file or folder `stamp` was taken of."""
    if stamp[0] == FOLDER:
        return folder_stamp(path)
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return MISSING
    return info.st_size, info.st_mtime_ns


ANY = "*"  # what an answer cut short by a chain too long to follow depends on: any file
ANY_INDEX = -1  # how a set of files on disk names `ANY`


def related_key(path: str) -> str:
    """The key of "is the module at `path` related to SQLAlchemy" among the answers' dependencies."""
    return "related:" + path


def fact_key(key: str) -> str:
    """The key of a saved fact about a module (`global-work:<path>`) among the answers' dependencies."""
    return "fact:" + key


class Saved:
    """The answers of a cache file that still hold: those none of whose files changed since."""

    __slots__ = ("answers", "related", "facts", "deps", "stamps")

    def __init__(
        self,
        answers: dict[str, Optional[Known]],
        related: dict[str, bool],
        deps: dict[str, tuple[str, ...]],
        stamps: Stamps,
        facts: Optional[dict[str, object]] = None,
    ) -> None:
        self.answers = answers
        self.related = related
        self.facts = facts if facts is not None else {}  # a module fact's key -> its value, as JSON reads it
        self.deps = deps  # answer key (or `related_key(path)`) -> the files it depends on
        self.stamps = stamps  # of the files and folders those answers depend on


def load(path: str) -> Optional[Saved]:
    """The answers saved in `path` that still hold, or None when there is no such file, it cannot
    be read, or one of the folders listed to find the answers changed (a module added or removed:
    any answer may change).  An answer that depends on a file changed since is left out."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") != FORMAT or data.get("code") != code_stamp():
            return None
        stamps: Stamps = {}
        for where, (size, mtime) in data["folders"].items():
            stamp = (int(size), int(mtime))
            if stamp[0] != FOLDER or folder_stamp(where) != stamp:
                return None
            stamps[str(where)] = stamp
        files: list[Optional[str]] = []  # by index; None: changed since
        for where, size, mtime in data["files"]:
            stamp = (int(size), int(mtime))
            held = stamp[0] != FOLDER and stamp != CHANGED and stamp_now(where, stamp) == stamp
            files.append(str(where) if held else None)
            if held:
                stamps[str(where)] = stamp
        changed = None in files
        depsets: list[Optional[tuple[str, ...]]] = []  # None: some file changed
        for indexes in data["depsets"]:
            paths = [ANY if index == ANY_INDEX else files[index] for index in indexes]
            depsets.append(None if None in paths or (changed and ANY in paths) else tuple(cast(list[str], paths)))
        answers: dict[str, Optional[Known]] = {}
        related: dict[str, bool] = {}
        deps: dict[str, tuple[str, ...]] = {}
        for key, (value, index) in data["answers"].items():
            if depsets[index] is not None:
                answers[str(key)], deps[str(key)] = decode(value), depsets[index]
        for where, (flag, index) in data["related"].items():
            if depsets[index] is not None:
                related[str(where)], deps[related_key(str(where))] = bool(flag), depsets[index]
        facts: dict[str, object] = {}
        for key, (value, index) in data["facts"].items():
            if depsets[index] is not None:
                facts[str(key)], deps[fact_key(str(key))] = value, depsets[index]
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None
    return Saved(answers, related, deps, stamps, facts)


def save(
    path: str,
    answers: Mapping[str, Optional[Known]],
    related: Mapping[str, bool],
    deps: Mapping[str, tuple[str, ...]],
    stamps: Mapping[str, tuple[int, int]],
    facts: Optional[Mapping[str, object]] = None,
) -> bool:
    """Write the answers (and the `facts` worked out about modules, values JSON can write), what
    each depends on and the stamps of those files and folders to `path`, with what another
    process saved there meanwhile (if its stamps agree with ours); False when it cannot be
    written.  An answer whose dependencies are not known is saved as depending on any file."""
    answers, related, deps, stamps = dict(answers), dict(related), dict(deps), dict(stamps)
    facts = dict(facts or {})
    other = load(path)
    if other is not None and all(stamps.get(where, stamp) == stamp for where, stamp in other.stamps.items()):
        for key, value in other.answers.items():
            if key not in answers:
                answers[key], deps[key] = value, other.deps[key]
        for where, flag in other.related.items():
            if where not in related:
                related[where], deps[related_key(where)] = flag, other.deps[related_key(where)]
        for key, fact in other.facts.items():
            if key not in facts:
                facts[key], deps[fact_key(key)] = fact, other.deps[fact_key(key)]
        for where, stamp in other.stamps.items():
            stamps.setdefault(where, stamp)
    folders = {where: list(stamp) for where, stamp in stamps.items() if stamp[0] == FOLDER}
    files: dict[str, int] = {}
    rows: list[list[object]] = []
    depsets: dict[tuple[str, ...], int] = {}  # a set of files -> its index in `ordered`
    ordered: list[list[int]] = []  # each set, as the indexes of its files in `rows`

    def depset(key: str) -> int:
        paths = deps.get(key, (ANY,))  # sorted
        if paths not in depsets:
            indexes = []
            for where in paths:
                if where == ANY:
                    indexes.append(ANY_INDEX)
                    continue
                if where not in files:
                    files[where] = len(rows)
                    rows.append([where, *stamps.get(where, MISSING)])
                indexes.append(files[where])
            depsets[paths] = len(depsets)
            ordered.append(indexes)
        return depsets[paths]

    data = {
        "format": FORMAT,
        "code": code_stamp(),
        "folders": folders,
        "answers": {key: [encode(value), depset(key)] for key, value in answers.items()},
        "related": {where: [flag, depset(related_key(where))] for where, flag in related.items()},
        "facts": {key: [value, depset(fact_key(key))] for key, value in facts.items()},
        "files": rows,
        "depsets": ordered,
    }
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".project-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                # dumps, not dump: only a whole-text encoding takes the C encoder (5 times faster).
                out.write(json.dumps(data, separators=(",", ":")))
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except (OSError, ValueError, TypeError):
        return False
    _prune(folder)
    return True


_PRUNED: set[str] = set()


def _prune(folder: str) -> None:
    """Remove, once per process and folder, the cache files no run has written for `PRUNE_AFTER`
    seconds (of projects gone, or of another version of this package), and temporary files
    left by a process that was killed while it wrote."""
    if folder in _PRUNED:
        return
    _PRUNED.add(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for name in names:
        if not (name.startswith("project-") and name.endswith(".json") or name.startswith(".project-")):
            continue
        where = os.path.join(folder, name)
        try:
            old = now - os.stat(where).st_mtime > (PRUNE_AFTER if name.endswith(".json") else 3600)
            if old:
                os.unlink(where)
        except OSError:
            continue


__all__ = [
    "ENVIRONMENT_DIR", "OFF", "Saved", "cache_file", "cache_folder", "fact_key", "folder_stamp", "load", "related_key",
    "save", "stamp_now",
]
