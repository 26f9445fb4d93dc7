"""The answers about a project's modules, kept on disk between processes (knowledge/store.py).

A later process takes them only if no file or folder they depend on changed; it then reads no
project module.  Each test has its own cache folder (conftest's `_own_cache`); a "new process"
is simulated by emptying every per-process cache of the core.
"""
from __future__ import annotations

import ast
import json
import os
import random
import time
from pathlib import Path

import pytest

from flake8_sqla_session.checker import check
from flake8_sqla_session.knowledge import project as project_module
from flake8_sqla_session.knowledge import store
from flake8_sqla_session.knowledge.kinds import Kind, Maker
from flake8_sqla_session.knowledge.project import Stats, refresh_projects
from flake8_sqla_session.settings import Settings

from conftest import DB, flake8, project_codes, write

WORKER = "from app.db import SessionLocal\n\nsession = SessionLocal()\n"
# No SQLAlchemy import of its own: checked only because the project says what it imports.
HELPERS = "from app.db import SessionLocal\n\n\ndef make():\n    return SessionLocal()\n"
JOB = "from app.helpers import make\n\nsession = make()\n"


def age(root: Path) -> None:
    """Date every file and folder of the project a minute back, so that an edit made next gets
    another mtime even on a file system with coarse timestamps."""
    past = time.time() - 60
    for folder, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(folder, name), (past, past))
        os.utime(folder, (past, past))


def new_process() -> None:
    """Forget what this process read and found, as a new flake8 process starts without it."""
    project_module._PROJECTS.clear()
    project_module._SOURCES.clear()
    project_module._LATEST.clear()
    project_module._STAMPS.clear()
    project_module.forget_projects()


def codes(root: Path, name: str, settings: Settings | None = None) -> list[tuple[int, str]]:
    found = project_codes(root, name, settings)
    for project in list(project_module._PROJECTS.values()):
        project.save(force=True)  # what the process does at its exit
    return found


pytestmark = pytest.mark.usefixtures("fresh_project_caches")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root, {"app/__init__.py": "", "app/db.py": DB, "app/worker.py": WORKER,
                 "app/helpers.py": HELPERS, "app/job.py": JOB})
    age(root)
    return root


def reads() -> int:
    return Stats.files_read


def test_a_later_process_reads_no_project_module(project):
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert codes(project, "app/worker.py") == [(3, "SQS101")]
    new_process()
    before, restored = reads(), Stats.restored
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert codes(project, "app/worker.py") == [(3, "SQS101")]
    assert reads() == before  # every answer came from the cache
    assert Stats.restored > restored


def test_an_edited_module_is_read_again(project):
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    new_process()
    (project / "app/db.py").write_text("SessionLocal = dict\n")  # not a factory any more
    assert codes(project, "app/job.py") == []
    new_process()
    (project / "app/db.py").write_text(DB)
    assert codes(project, "app/job.py") == [(3, "SQS101")]


def test_a_module_edited_while_a_run_works_from_it_is_not_trusted(project):
    """The run found its answers in `db.py`, then `db.py` changed (it makes no sessions now), and
    the run saw the change on a later read before it saved: what it found from the old text must
    not be taken with the new text's stamp."""
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    db = project / "app/db.py"
    db.write_text("SessionLocal = dict\n")
    project_module._source(str(db))
    assert project_module._STAMPS[str(db)] == store.CHANGED
    (running,) = project_module._PROJECTS.values()
    running._saved = -1  # something new to save
    running.save(force=True)
    new_process()
    assert codes(project, "app/job.py") == []


def test_a_module_added_to_a_folder_is_found(project):
    """`app.extra` did not exist: the name was unknown, and that answer was saved.  Creating the
    module changes the folder's mtime, and the saved answers are not taken."""
    write(project, {"app/uses_extra.py": "import sqlalchemy\nfrom app.extra import make\n\nsession = make()\n"})
    age(project)
    assert codes(project, "app/uses_extra.py") == []
    new_process()
    write(project, {"app/extra.py": HELPERS})
    assert codes(project, "app/uses_extra.py") == [(4, "SQS101")]


def test_a_module_shadowed_by_a_new_package_is_found(project):
    """`app/helpers.py` is removed and a package `app/helpers/` takes its place: the folder `app`
    changed, so nothing is taken from the cache."""
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    new_process()
    (project / "app/helpers.py").unlink()
    write(project, {"app/helpers/__init__.py": "def make():\n    return 1\n"})
    assert codes(project, "app/job.py") == []


@pytest.mark.parametrize(
    "content",
    [
        "", "{", "[]", '{"format": 1}',
        json.dumps({"format": 1, "code": "x", "files": {}, "folders": {}, "answers": {}, "related": {}}),
    ],
)
def test_a_damaged_or_foreign_cache_file_is_ignored_and_replaced(project, content):
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    files = list(Path(os.environ[store.ENVIRONMENT_DIR]).glob("project-*.json"))
    assert files
    for path in files:
        path.write_text(content)
    new_process()
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert all(json.loads(path.read_text())["format"] == store.FORMAT for path in files)


def test_an_answer_the_cache_cannot_hold_is_refused():
    with pytest.raises(ValueError):
        store.decode(["SESSION", "yes", False])
    with pytest.raises(KeyError):
        store.decode("NOT_A_KIND")
    for kind in (None, Kind.FACTORY, Maker(Kind.SESSION, context=True), Maker(Kind.OBJECT, owned=True)):
        assert store.decode(json.loads(json.dumps(store.encode(kind)))) == kind


def test_a_cache_folder_that_cannot_be_written_leaves_the_cache_off(project, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(store.ENVIRONMENT_DIR, str(blocker / "cache"))  # under a file: cannot be made
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert not (blocker / "cache").exists()


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_cache_can_be_turned_off(project, tmp_path, monkeypatch, how):
    folder = tmp_path / "cache"
    monkeypatch.setenv(store.ENVIRONMENT_DIR, str(folder))
    settings = Settings.build(cache_dir="off") if how == "option" else Settings()
    if how == "environment":
        monkeypatch.setenv(store.ENVIRONMENT_DIR, "off")
    assert codes(project, "app/job.py", settings) == [(3, "SQS101")]
    assert not folder.exists()
    new_process()
    before = reads()
    assert codes(project, "app/job.py", settings) == [(3, "SQS101")]
    assert reads() > before


def test_answers_from_another_version_of_the_code_are_not_taken(project, monkeypatch):
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    new_process()
    monkeypatch.setattr(store, "_CODE", "another version of the knowledge code")
    before = reads()
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert reads() > before


def test_two_processes_saving_at_once_keep_both_answers(project):
    """`flake8 -j 2`: each worker saves what it found; the file holds the answers of both."""
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    first = dict(next(iter(project_module._PROJECTS.values()))._answers)
    new_process()
    # A second process that has not seen the first one's file yet (it started before it was written).
    saved = list(Path(os.environ[store.ENVIRONMENT_DIR]).glob("project-*.json"))
    contents = {path: path.read_text() for path in saved}
    for path in saved:
        path.unlink()
    assert codes(project, "app/worker.py") == [(3, "SQS101")]
    second = next(iter(project_module._PROJECTS.values()))
    for path, text in contents.items():  # the first process's file is there when the second saves
        path.write_text(text)
    second._saved = 0
    second.save(force=True)
    (path,) = contents
    merged = store.load(str(path))
    assert merged is not None
    assert set(first) | set(second._answers) == set(merged.answers)
    assert set(first) != set(second._answers)


def test_the_language_server_keeps_a_project_until_one_of_its_files_changes(project):
    """`refresh_projects()` runs before each check of the language server (here with no cache on
    disk, which would hide a project forgotten for nothing)."""
    settings = Settings.build(cache_dir="off")
    assert codes(project, "app/job.py", settings) == [(3, "SQS101")]
    refresh_projects()
    before = Stats.lookups
    assert codes(project, "app/job.py", settings) == [(3, "SQS101")]
    assert Stats.lookups == before  # nothing changed: every answer kept
    (project / "app/helpers.py").write_text("def make():\n    return {}\n")
    refresh_projects()
    assert codes(project, "app/job.py", settings) == []


def test_flake8_runs_give_the_same_findings_cold_and_from_the_cache(project, tmp_path):
    """Real flake8 processes, -j 1 and -j 2: the second run of each takes the first one's answers."""
    folder = tmp_path / "flake8-cache"
    args = ("--select=SQS", f"--sqla-cache-dir={folder}", "app")
    expected = sorted(flake8(*args, "--sqla-no-cache", cwd=project).lines)
    assert [line.split(" ", 2)[:2] for line in expected] == [
        ["app/job.py:3:11:", "SQS101"], ["app/worker.py:3:11:", "SQS101"]
    ]
    assert not folder.exists()
    for jobs in ("1", "2"):
        for _ in range(2):
            assert sorted(flake8(*args, f"--jobs={jobs}", cwd=project).lines) == expected
    saved = list(folder.glob("project-*.json"))
    assert saved and all(json.loads(path.read_text())["answers"] for path in saved)


def test_the_cache_folder_is_read_from_flake8_config_and_the_fixer_command_line(project, tmp_path, monkeypatch):
    from flake8_sqla_session.cli import main

    monkeypatch.delenv(store.ENVIRONMENT_DIR)
    configured, given = tmp_path / "from-config", tmp_path / "from-command-line"
    (project / "setup.cfg").write_text(f"[flake8]\nsqla-cache-dir = {configured}\n")
    assert flake8("--select=SQS", "app/job.py", cwd=project).codes() == ["SQS101"]
    assert list(configured.glob("project-*.json"))
    monkeypatch.chdir(project)
    assert main(["--select=SQS", f"--sqla-cache-dir={given}", "app/job.py"]) == 1
    project_module._save_all()  # what the process does at its exit
    assert list(given.glob("project-*.json"))
    for folder in (configured, given):
        for path in folder.iterdir():
            path.unlink()
    assert main(["--select=SQS", "--sqla-no-cache", "app/job.py"]) == 1
    project_module._save_all()
    assert not list(configured.glob("*")) and not list(given.glob("*"))


def test_cache_files_no_run_wrote_for_a_month_are_removed(project, monkeypatch):
    folder = Path(os.environ[store.ENVIRONMENT_DIR])
    folder.mkdir(exist_ok=True)
    stale, recent, left = folder / "project-0.json", folder / "project-1.json", folder / ".project-x.tmp"
    for path in (stale, recent, left):
        path.write_text("{}")
    month = time.time() - store.PRUNE_AFTER - 60
    os.utime(stale, (month, month))
    os.utime(left, (time.time() - 7200,) * 2)
    monkeypatch.setattr(store, "_PRUNED", set())
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert not stale.exists() and not left.exists() and recent.exists()


def _save_often(path: str, stamp_file: str, worker: int, count: int) -> None:
    stamps = {stamp_file: store.stamp_now(stamp_file, (0, 0))}
    for index in range(count):
        answers = {f"app.w{worker}.n{index}.{k}": Kind.SESSION for k in range(200)}
        assert store.save(path, answers, {}, {key: (stamp_file,) for key in answers}, stamps)


def test_processes_saving_at_once_never_leave_a_half_written_file(tmp_path):
    """Readers (a starting flake8, an editor's next process) read while -j workers write."""
    import multiprocessing

    path = str(tmp_path / "cache" / "project-x.json")
    stamp_file = tmp_path / "m.py"
    stamp_file.write_text("x = 1\n")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_save_often, args=(path, str(stamp_file), n, 40)) for n in range(3)]
    for writer in writers:
        writer.start()
    reads = damaged = 0
    while any(writer.is_alive() for writer in writers):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            continue
        reads += 1
        try:
            json.loads(text)
        except ValueError:
            damaged += 1
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert reads and not damaged
    saved = store.load(path)
    assert saved is not None and len(saved.answers) >= 200
    assert not [name for name in os.listdir(tmp_path / "cache") if name.startswith(".project-")]


def test_a_failing_save_at_exit_is_silent(project, monkeypatch, capsys):
    """At the process's exit an exception would be printed with a traceback, which an editor
    shows as the linter's error."""
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    (running,) = project_module._PROJECTS.values()
    running._saved = -1

    def broken(*args: object) -> bool:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "save", broken)
    project_module._save_all()
    assert capsys.readouterr() == ("", "")


def test_no_cache_when_this_package_cannot_list_its_own_files(project, monkeypatch):
    """Installed in a zip, the code stamp cannot be taken: the cache stays off, the check goes on."""
    def unlisted(*args: object) -> str:
        raise NotADirectoryError("flake8_sqla_session.zip/flake8_sqla_session")

    monkeypatch.setattr(store, "cache_file", unlisted)
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert not list(Path(os.environ[store.ENVIRONMENT_DIR]).glob("project-*.json"))


def test_an_edited_module_leaves_the_answers_that_do_not_depend_on_it(project):
    """Saving `app/views.py` in the editor: the next check of `app/job.py` takes every answer
    it needs from the cache, since none of them was found by reading `views.py`."""
    write(project, {"app/views.py": "from app.helpers import make\n\n\ndef index():\n    return make()\n",
                    "app/urls.py": "from app.views import index\n\nroutes = [index]\n"})
    age(project)
    assert codes(project, "app/urls.py") == []
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    new_process()
    (project / "app/views.py").write_text("def index():\n    return 'home'\n")
    before = reads()
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    assert reads() == before
    assert codes(project, "app/urls.py") == []
    assert reads() > before  # what depended on views.py is worked out again


def test_an_answer_found_through_a_module_memo_depends_on_what_that_memo_did(project):
    """`b = a` in `app/mid.py` is classified from the memo of `a`, found before from `app/db.py`:
    `b`'s answer depends on `db.py` too, though no lookup of it ran while `b` was worked out."""
    # `mid` imports SQLAlchemy itself: whether it is related to it is told without a lookup.
    write(project, {"app/mid.py": "import sqlalchemy\nfrom app.db import SessionLocal\n\na = SessionLocal\nb = a\n",
                    "app/use_a.py": "import sqlalchemy\nfrom app.mid import a\n\nsession = a()\n",
                    "app/use_b.py": "import sqlalchemy\nfrom app.mid import b\n\nsession = b()\n"})
    age(project)
    assert codes(project, "app/use_a.py") == [(4, "SQS101")]
    assert codes(project, "app/use_b.py") == [(4, "SQS101")]
    (running,) = project_module._PROJECTS.values()
    assert str(project / "app/db.py") in running._deps["app.mid:b"]
    new_process()
    (project / "app/db.py").write_text("SessionLocal = dict\n")
    assert codes(project, "app/use_b.py") == []


@pytest.mark.parametrize("head", ["", "import sqlalchemy\n"], ids=["relatedness", "lookup"])
def test_answers_of_an_import_cycle_depend_on_every_module_of_it(project, head):
    """`x` of ring_b is worked out while `y` of ring_a is (ring_a -> ring_b -> ring_a), and is
    unknown because `y` is not known yet: it depends on all `y` depends on, ring_a.py included,
    though no statement of ring_a was read for it.  Without SQLAlchemy imports anywhere the cycle
    is met while telling whether the modules are related to SQLAlchemy (the prefilter); with them
    (told from the text), in the lookups of the rules.  An edit outside the cycle keeps them."""
    write(project, {"app/ring_a.py": head + "from app.ring_b import x\n\ny = x\n",
                    "app/ring_b.py": head + "from app.ring_a import y\n\nx = y\n",
                    "app/use_ring.py": head + "from app.ring_a import y\n\nsession = y()\n",
                    "app/use_x.py": head + "from app.ring_b import x\n\nsession = x()\n"})
    age(project)
    assert codes(project, "app/use_ring.py") == []
    assert codes(project, "app/use_x.py") == []
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    new_process()
    (project / "app/db.py").write_text(DB + "# edited\n")  # no module of the cycle reads it
    before = reads()
    assert codes(project, "app/use_x.py") == []
    assert reads() == before
    new_process()
    (project / "app/ring_a.py").write_text(head + "from app.db import SessionLocal\n\ny = SessionLocal\n")
    assert codes(project, "app/use_x.py") == [(4 if head else 3, "SQS101")]


def _reached(deps: dict[str, tuple[str, ...]], key: str) -> tuple[str, ...]:
    """Every file an answer depends on, through the answers it names ("@key"): a plain walk."""
    files, seen, todo = set(), {key}, [key]
    while todo:
        for dep in deps.get(todo.pop(), (project_module._ANY,)):
            if not dep.startswith("@"):
                files.add(dep)
            elif dep[1:] not in seen:
                seen.add(dep[1:])
                todo.append(dep[1:])
    return tuple(sorted(files))


def _closing(deps: dict[str, tuple[str, ...]], saves: int = 1) -> tuple[dict[str, tuple[str, ...]], int]:
    """`Project._closed_deps` over made-up answers (a save after each of `saves` slices of
    them, as a long run saves every few seconds), and the steps it took.  A slice holds every
    answer its answers name: an answer named while it was worked out is found before the save."""
    running = project_module.Project((), Settings())
    keys = sorted(deps)
    before = Stats.closing_steps
    closed: dict[str, tuple[str, ...]] = {}
    for part in range(1, saves + 1):
        found = set(keys[: len(keys) * part // saves])
        todo = list(found)
        while todo:
            for dep in deps[todo.pop()]:
                if dep.startswith("@") and dep[1:] in deps and dep[1:] not in found:
                    found.add(dep[1:])
                    todo.append(dep[1:])
        for key in sorted(found):
            running._deps[key] = tuple(sorted(deps[key]))
            if any(dep.startswith("@") for dep in deps[key]):
                running._open.add(key)
        closed = running._closed_deps()
    return closed, Stats.closing_steps - before


@pytest.mark.parametrize("seed", range(12))
def test_the_answers_of_import_cycles_depend_on_every_file_they_reach(seed):
    """Answers that name each other (import cycles, chains of them, answers never found) get
    all the files they reach, as a plain walk from each finds them; saved once, or in parts."""
    chance = random.Random(seed)
    keys = [f"m{index}:x" for index in range(chance.randint(1, 40))]
    deps = {}
    for key in keys:
        named = chance.sample(keys + ["gone:x"], chance.randint(0, 3))  # "gone:x" was never found
        # POSIX paths sort before the "@key" names, Windows paths after them.
        files = {chance.choice(("/p/f{}.py", "C:\\p\\f{}.py")).format(chance.randint(0, 30)) for _ in range(3)}
        deps[key] = tuple(chance.sample(sorted(files), chance.randint(0, len(files)))) + tuple(
            "@" + other for other in named
        )
    for saves in (1, 3):
        closed, _ = _closing(deps, saves)
        for key in keys:
            assert closed[key] == _reached(deps, key), (key, saves)


def test_closing_a_big_import_cycle_costs_linear_steps():
    """A ring of n answers, each naming the next: walking it from each answer anew cost n * n
    steps (a quarter of a first run's save over the application corpus); one pass costs ~n."""
    def ring(n: int) -> dict[str, tuple[str, ...]]:
        return {f"m{i}:x": (f"/p/m{i}.py", f"@m{(i + 1) % n}:x") for i in range(n)}

    _, small_steps = _closing(ring(50))
    big, big_steps = _closing(ring(400))
    assert len(set(big.values())) == 1 and len(next(iter(big.values()))) == 400
    assert big_steps <= 8 * small_steps + 10


def test_the_language_server_keeps_the_answers_an_edit_does_not_touch(project):
    """With the cache on, a project one of whose modules changed is saved and forgotten; the
    next check takes back what did not depend on that module."""
    write(project, {"app/views.py": "from app.helpers import make\n\n\ndef index():\n    return make()\n",
                    "app/urls.py": "from app.views import index\n\nroutes = [index]\n"})
    age(project)

    def served(name: str) -> list[str]:  # as the server checks: no save forced after it
        source = (project / name).read_text()
        return [f.code for f in check(ast.parse(source), Settings(), str(project / name), source)]

    assert served("app/worker.py") == ["SQS101"]  # a process saves every 5 s and at its exit:
    assert served("app/job.py") == ["SQS101"]  # what these found is not saved yet
    assert served("app/urls.py") == []
    (project / "app/views.py").write_text("def index():\n    return 'home'\n")
    refresh_projects()
    before = Stats.lookups
    assert served("app/job.py") == ["SQS101"]
    assert Stats.lookups == before


def test_an_answer_cut_short_by_a_chain_too_long_is_worked_out_again_after_any_edit(project):
    """Re-exports followed through more modules than MAX_CHAIN: the answer cut short is unknown,
    and could change with any file (here `helpers.py`, which no link reads)."""
    links = project_module.MAX_CHAIN + 2
    # Each link imports SQLAlchemy: told related from its text, it is not looked into first.
    files = {f"app/link{n}.py": f"import sqlalchemy\nfrom app.link{n + 1} import S\n" for n in range(links)}
    files[f"app/link{links}.py"] = "from app.db import SessionLocal as S\n"
    files["app/use_chain.py"] = "import sqlalchemy\nfrom app.link0 import S\n\nsession = S()\n"
    write(project, files)
    age(project)
    assert codes(project, "app/use_chain.py") == []
    assert codes(project, "app/job.py") == [(3, "SQS101")]
    new_process()
    before = reads()
    assert codes(project, "app/use_chain.py") == []
    assert reads() == before
    new_process()
    (project / "app/helpers.py").write_text(HELPERS + "# edited\n")  # not in the chain
    assert codes(project, "app/use_chain.py") == []
    assert reads() > before


def test_an_answer_found_while_its_module_was_answering_another_name_depends_on_that_answer(project):
    """`a` of ka is asked, leading to other.py, which asks `b` of ka, whose `b = a` meets `a` still
    being worked out in ka's memos: `b` is unknown for now, and depends on all `a` will depend on,
    other.py included, though its own lookup never read other.py after ka."""
    write(project, {"app/ka.py": "import sqlalchemy\nfrom app.other import z\n\na = z\nb = a\n",
                    "app/other.py": "import sqlalchemy\nfrom app.ka import b\n\nz = b\n",
                    "app/use_a.py": "import sqlalchemy\nfrom app.ka import a\n\nsession = a()\n",
                    "app/use_b.py": "import sqlalchemy\nfrom app.ka import b\n\nsession = b()\n"})
    age(project)
    assert codes(project, "app/use_a.py") == []
    assert codes(project, "app/use_b.py") == []
    new_process()
    (project / "app/other.py").write_text("from app.db import SessionLocal as z\n")
    assert codes(project, "app/use_b.py") == [(4, "SQS101")]


# A helper's work on Flask-SQLAlchemy's session, noted by SQS301 for each module (a module fact
# saved with the answers), and on a module-level registry, whose `remove()` no file calls (a fact
# read from every file of the project).
FLASK_DB = "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
FLASK_HELPER = "from app.ext import db\n\n\ndef track(entry):\n    db.session.add(entry)\n    db.session.commit()\n"
FLASK_CALLER = (
    "import logging\n\nfrom app.ext import db\nfrom app.track import track\n\n\n"
    "def run(entry):\n    try:\n        track(entry)\n    except Exception as error:\n"
    "        logging.error('run: %s', error)\n    track(entry)\n    return db.session.query(entry).count()\n"
)
REGISTRY = (
    "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import scoped_session, sessionmaker\n\n"
    "SESSION = scoped_session(sessionmaker(bind=create_engine('postgresql://h/db', pool_pre_ping=True)))\n\n\n"
    "def approve(uid):\n    SESSION.add(uid)\n    SESSION.commit()\n"
)
REGISTRY_CALLER = (
    "import logging\n\nfrom app.reg import SESSION, approve\n\n\n"
    "def run(uid):\n    try:\n        approve(uid)\n    except Exception as error:\n"
    "        logging.error('run: %s', error)\n    return SESSION.query(uid).count()\n"
)


def test_a_helpers_work_on_a_session_is_taken_from_the_cache(project):
    """What the functions of a helper's module do on a shared session is saved with the answers:
    a later process neither reads that module nor works it out again, and an edit of it (its
    work put in a `try` that rolls back) is seen."""
    write(project, {"app/ext.py": FLASK_DB, "app/track.py": FLASK_HELPER, "app/run.py": FLASK_CALLER})
    age(project)
    assert codes(project, "app/run.py") == [(10, "SQS301")]
    new_process()
    before, facts = Stats.modules_read, Stats.facts_restored
    assert codes(project, "app/run.py") == [(10, "SQS301")]
    assert Stats.facts_restored == facts + 1
    assert Stats.modules_read == before  # the helper's module is not read
    new_process()
    (project / "app/track.py").write_text(FLASK_HELPER.replace(
        "    db.session.add(entry)\n    db.session.commit()\n",
        "    try:\n        db.session.add(entry)\n        db.session.commit()\n    except Exception:\n"
        "        db.session.rollback()\n        raise\n",
    ))
    assert codes(project, "app/run.py") == []
    assert Stats.facts_restored == facts + 1


def test_a_helpers_work_read_from_every_file_is_worked_out_in_each_process(project):
    """A registry's work counts only while no project file removes its sessions: a fact read
    from every file of the project, which the cache (stamps of the files read) cannot keep
    true, so each process works it out again, and sees a `SESSION.remove()` added elsewhere."""
    write(project, {"app/reg.py": REGISTRY, "app/run.py": REGISTRY_CALLER})
    age(project)
    assert codes(project, "app/run.py") == [(9, "SQS301")]
    new_process()
    facts = Stats.facts_restored
    assert codes(project, "app/run.py") == [(9, "SQS301")]
    assert Stats.facts_restored == facts
    new_process()
    # (an existing file edited: its folder keeps its stamp)
    (project / "app/job.py").write_text("from app.reg import SESSION\n\n\ndef teardown(error):\n"
                                        "    SESSION.remove()\n")
    assert codes(project, "app/run.py") == []
    assert Stats.facts_restored == facts
