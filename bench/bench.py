"""flake8-sqla-session benchmark: one command, one table of ratios measured in one run.

    python bench/bench.py [--only plugin,flake8,fixer,memory] [--rounds N] [--jobs N] [--profile]
    python bench/bench.py --corpus apps --without-python PY [--only plugin,flake8,fixer] [--rounds N]

The corpus is the installed .py files of sqlalchemy, django and alembic (found
with importlib.util.find_spec, read from site-packages).  Every figure is a
ratio of two timings taken in the same run on the same machine, so the table
is comparable across machines; the absolute times are printed beside it.
Each ratio is given for wall times (the goals are judged on these) and for
CPU times (user + sys of this process, or of a command's whole process tree
via RUSAGE_CHILDREN), which stay steady when other work shares the machine;
"met" notes it when the two disagree.

Parts (all by default):
  plugin  ast.parse of every file (all parsed first, trees kept), then the
          plugin's own run, Plugin(tree, filename, lines).run() consumed, with the
          default Settings, over every tree.  Min of --rounds rounds each.
          Both timed with the garbage collector off (see timed()).
          Goal: plugin / ast.parse <= 0.25.
  flake8  flake8 wall time over the corpus with the plugin / without it,
          `-j N --isolated` (all of flake8's default checks), run as a
          subprocess through bench/flake8_entry.py, which hides the plugin's
          distribution from importlib.metadata for the "without" runs.  Runs
          are interleaved (with, without, with, without, ...), min of each.
          Goal: <= 1.05.
  fixer   the corpus copied to a temporary folder, ~2% of the files (every
          50th by sorted path) seeded with findings; then the command line
          `flake8-sqla-session --jobs N PATH` (check) vs
          `flake8-sqla-session --fix --unsafe-fixes --jobs N PATH` on a fresh
          copy each time (goal: fix / check <= 1.5), and a naive
          libcst.parse_module of every file in one process vs the fix run
          (goal: naive / fix >= 10).
  memory  peak memory of `flake8-sqla-session --fix --unsafe-fixes --jobs N`
          on a fresh seeded copy: ru_maxrss of RUSAGE_CHILDREN in a fresh
          subprocess (the largest single process of the tree) and the sampled
          peak of the summed RSS of the whole process tree (/proc, every 20 ms;
          pages shared after fork are counted once per process).

With --corpus apps the corpus is the application corpus of bench/apps.json
(public applications that use SQLAlchemy sessions; `python bench/apps.py
prepare` downloads and unpacks it, hash-checked) and the parts are measured
differently: every figure is the MEDIAN of --rounds interleaved runs
(A, B, A, B, ...), wall and CPU time side by side, and each ratio is of two
medians from the same run.
  plugin  per round: ast.parse of every file (timed per file and in all), then
          the plugin's run over every tree (the same); ratio of the medians of
          the totals (goal <= 0.25), and the slowest ten files by their median
          plugin time with the ratio to their own median ast.parse (goal: none
          above 1.0x).  --file-timeout S first runs the plugin once per file
          under a timer and leaves every file over S seconds out of all parts
          (they are listed; a slow core cannot hang the bench).
  flake8  `python -m flake8 --isolated -j N --exit-zero` over the corpus in this
          environment (the plugin installed) and in the environment of
          --without-python (the same flake8 without the plugin: flake8 runs
          every installed plugin whatever --select says), -j 1 and -j 2,
          interleaved with, without, with, without; goal <= 1.05 each.
  fixer   `flake8-sqla-session --jobs 2` (check) vs `--fix --unsafe-fixes`
          on fresh copies of the corpus (the applications' own findings, no
          seeding), interleaved; goal <= 1.5.
It also prints how many modules the core read per checked file when the core
exposes that count (see modules_read()).
"""
from __future__ import annotations

import argparse
import contextlib
import ast
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS_PACKAGES = ("sqlalchemy", "django", "alembic")
SEED_EVERY = 50  # every 50th file (sorted path index % 50 == 0): 2 %
PARTS = ("plugin", "flake8", "fixer", "memory")

SEED_SNIPPET = '''

# ---- seeded by bench/bench.py ----
import sqlalchemy as _sqs_sa

_sqs_engine = _sqs_sa.create_engine("mysql://x/y")
_sqs_Session = _sqs_sa.orm.sessionmaker(bind=_sqs_engine)
_sqs_session = _sqs_Session()


def _sqs_seeded_work(session, rows):
    try:
        for row in rows:
            session.add(row)
        session.commit()
    except Exception:
        print("could not save", rows)
'''


# ---- the corpus ----------------------------------------------------------------------------


@dataclass
class Corpus:
    roots: dict[str, Path]  # package -> its folder in site-packages
    files: list[Path]  # sorted
    lines: int

    @property
    def description(self) -> str:
        names = ", ".join(f"{p} {_version(p)}" for p in self.roots)
        return f"{len(self.files)} files, {self.lines:,} lines ({names})"


def package_root(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"bench: {name} is not installed in {sys.executable}")
    return Path(spec.origin).parent


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def load_corpus(packages: Sequence[str] = CORPUS_PACKAGES) -> Corpus:
    roots = {name: package_root(name) for name in packages}
    files = [f for root in roots.values() for f in python_files(root)]
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    return Corpus(roots, files, lines)


def copy_corpus(corpus: Corpus, dest: Path, seed: bool) -> tuple[Path, int]:
    """Copy the .py files under dest/<package>/...; seed every SEED_EVERY-th; return (dest, seeded)."""
    seeded = 0
    index = 0
    for name, root in corpus.roots.items():
        for src in python_files(root):
            target = dest / name / src.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            if seed and index % SEED_EVERY == 0:
                data = data.rstrip(b"\n") + b"\n" + SEED_SNIPPET.encode()
                seeded += 1
            target.write_bytes(data)
            index += 1
    return dest, seeded


# ---- timing helpers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds (CPU: this process, or the waited-for process tree of a command)."""

    wall: float
    cpu: float


def best(timings: Sequence[Timing]) -> Timing:
    """The min of each: noise (other load, cache misses) only ever adds time."""
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def timed(fn: Callable[[], object]) -> Timing:
    """Wall time of fn() with the cyclic garbage collector off.

    Keeping ~1,200 trees alive makes the collector's full passes dominate
    ast.parse (7-11 s instead of ~1.6 s here), which would flatter the plugin's
    ratio; flake8 itself parses and drops one tree at a time.  So both sides are
    timed without collector pauses.
    """
    gc.collect()
    gc.disable()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        return Timing(time.perf_counter() - start, time.process_time() - cpu)
    finally:
        gc.enable()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wall(
    cmd: Sequence[str], cwd: Path | None = None, ok: Sequence[int] = (0, 1), cache: str | None = None
) -> tuple[Timing, subprocess.CompletedProcess[bytes]]:
    """Run a command; its wall time, and the CPU time of its whole (waited-for) process tree.

    `cache`: the folder of the core's cache of project answers ("off", or None for a new empty
    one, removed afterwards: a first run)."""
    with contextlib.ExitStack() as stack:
        folder = cache or stack.enter_context(tempfile.TemporaryDirectory(prefix="sqs-bench-cache-"))
        return _run_wall(cmd, cwd, ok, {**os.environ, CACHE_ENVIRONMENT: folder})


def _run_wall(
    cmd: Sequence[str], cwd: Path | None, ok: Sequence[int], env: dict[str, str]
) -> tuple[Timing, subprocess.CompletedProcess[bytes]]:
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    elapsed = Timing(time.perf_counter() - start, _children_cpu() - cpu)
    if proc.returncode not in ok:
        tail = proc.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return elapsed, proc


def cli_command() -> list[str] | None:
    """How to run flake8-sqla-session with this interpreter, or None when it is not built yet."""
    try:
        from flake8_sqla_session import cli, fix  # noqa: F401
        from flake8_sqla_session.fix import fix_source  # noqa: F401
    except Exception:
        return None
    probe = subprocess.run(
        [sys.executable, "-m", "flake8_sqla_session", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if probe.returncode != 0 or b"--fix" not in probe.stdout:
        return None
    try:  # fix_source must do something other than raise NotImplementedError
        from flake8_sqla_session.fix import fix_source as fs
        from flake8_sqla_session.settings import Settings

        fs("x = 1\n", Settings())
    except NotImplementedError:
        return None
    return [sys.executable, "-m", "flake8_sqla_session"]


# ---- parts ---------------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    ratio: float | None  # of wall times: the goal is judged on it
    goal: str
    detail: str
    cpu_ratio: float | None = None  # of CPU times: steadier when the machine is shared

    @classmethod
    def of(cls, measure: str, top: Timing, bottom: Timing, goal: str, detail: str) -> Row:
        return cls(measure, top.wall / bottom.wall, goal, detail, top.cpu / bottom.cpu if bottom.cpu else None)

    def ok(self) -> str:
        if self.ratio is None:
            return "skipped"
        if self.goal == "-":
            return "-"  # reported, no goal
        op, value = self.goal.split()
        limit = float(value)

        def meets(ratio: float) -> bool:
            return ratio <= limit if op == "<=" else ratio >= limit

        verdict = "yes" if meets(self.ratio) else "NO"
        if self.cpu_ratio is not None and meets(self.cpu_ratio) != meets(self.ratio):
            verdict += f" (cpu: {'yes' if meets(self.cpu_ratio) else 'NO'})"
        return verdict


def part_plugin(corpus: Corpus, rounds: int, profile: bool) -> list[Row]:
    from flake8_sqla_session.plugin import Plugin
    from flake8_sqla_session.settings import Settings

    Plugin.settings = Settings()  # what parse_options gives with the defaults
    sources = [(str(f), f.read_bytes()) for f in corpus.files]
    # flake8 hands a plugin that asks for `lines` the file's decoded lines: read outside the timing.
    lines = {name: data.decode("utf-8", "replace").splitlines(keepends=True) for name, data in sources}
    skipped: list[str] = []
    trees: list[tuple[str, ast.Module]] = []

    def parse_all() -> None:
        for name, data in sources:
            try:
                trees.append((name, ast.parse(data, name)))
            except (SyntaxError, ValueError):
                skipped.append(name)

    findings: list[int] = []

    def plugin_all() -> None:
        findings.clear()
        total = 0
        for name, tree in trees:
            for _ in Plugin(tree, name, lines[name]).run():
                total += 1
        findings.append(total)

    parse_times, plugin_times = [], []
    for _ in range(rounds):
        trees.clear()  # the previous round's trees are freed outside the timing
        skipped.clear()
        parse_times.append(timed(parse_all))
        plugin_times.append(timed(plugin_all))
    parse_t, plugin_t = best(parse_times), best(plugin_times)
    if profile:
        profile_plugin(plugin_all)
    detail = (
        f"plugin {plugin_t.wall * 1000:.0f} ms / ast.parse {parse_t.wall * 1000:.0f} ms over {len(trees)} trees "
        f"({len(skipped)} did not parse), {findings[0]} findings, min of {rounds}"
    )
    return [Row.of("plugin run / ast.parse", plugin_t, parse_t, "<= 0.25", detail)]


def profile_plugin(plugin_all: Callable[[], None]) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(plugin_all)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print("\n---- cProfile of the plugin run (by own time) ----")
    stats.sort_stats("tottime").print_stats(25)
    print("---- by cumulative time ----")
    stats.sort_stats("cumulative").print_stats(30)


def byte_compile_package() -> None:
    """Write the bytecode of the plugin's modules, as `pip install` does.  Every flake8 process
    imports the plugin; on a machine that sets PYTHONDONTWRITEBYTECODE (this VM does) and with
    an editable install, each would compile them anew (about 35 ms), which an installed plugin
    never does.  flake8's own modules and the environment without the plugin have theirs."""
    import compileall

    import flake8_sqla_session

    compileall.compile_dir(os.path.dirname(flake8_sqla_session.__file__), quiet=1)


def part_flake8(corpus: Corpus, rounds: int, jobs: int) -> list[Row]:
    byte_compile_package()
    entry = [sys.executable, str(HERE / "flake8_entry.py")]
    paths = [str(r) for r in corpus.roots.values()]
    args = ["--isolated", "-j", str(jobs), "--exit-zero", *paths]
    # sanity: the wrapper really toggles the plugin
    with_version = subprocess.run([*entry, "--version"], stdout=subprocess.PIPE, text=True).stdout
    without_version = subprocess.run([*entry, "--without-sqs", "--version"], stdout=subprocess.PIPE, text=True).stdout
    if "flake8-sqla-session" not in with_version or "flake8-sqla-session" in without_version:
        raise RuntimeError(f"bench/flake8_entry.py does not toggle the plugin:\n{with_version}\n{without_version}")
    with_times, without_times = [], []
    reports: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as cwd:  # no project config is picked up
        for _ in range(rounds):
            t, proc = run_wall([*entry, *args], cwd=Path(cwd))
            with_times.append(t)
            reports["with"] = proc.stdout.count(b"\n")
            reports["sqs"] = proc.stdout.count(b": SQS")
            t, proc = run_wall([*entry, "--without-sqs", *args], cwd=Path(cwd))
            without_times.append(t)
            reports["without"] = proc.stdout.count(b"\n")
    w, wo = best(with_times), best(without_times)
    detail = (
        f"with {w.wall:.1f} s / without {wo.wall:.1f} s wall, {w.cpu:.1f} / {wo.cpu:.1f} s CPU "
        f"(-j {jobs}, min of {rounds} interleaved); "
        f"{reports['with']:,} reports with, {reports['without']:,} without, {reports['sqs']} SQS"
    )
    return [Row.of("flake8 with plugin / without", w, wo, "<= 1.05", detail)]


def part_fixer(corpus: Corpus, rounds: int, jobs: int) -> list[Row]:
    cli = cli_command()
    if cli is None:
        print("fixer: skipped - the flake8-sqla-session command / fix_source is not built yet")
        return [
            Row("fixer --fix --unsafe-fixes / check", None, "<= 1.5", "skipped: CLI not built yet"),
            Row("naive libcst parse / fix run", None, ">= 10", "skipped: CLI not built yet"),
        ]
    check_times, fix_times = [], []
    counts: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="sqs-bench-") as tmp:
        base = Path(tmp)
        check_copy, seeded = copy_corpus(corpus, base / "check", seed=True)
        counts["seeded"] = seeded
        for i in range(rounds):
            t, proc = run_wall([*cli, "--jobs", str(jobs), "--format", "json", str(check_copy)])
            check_times.append(t)
            counts["check_findings"] = len(json.loads(proc.stdout))
            fix_copy, _ = copy_corpus(corpus, base / f"fix{i}", seed=True)
            fix_args = ["--fix", "--unsafe-fixes", "--jobs", str(jobs), "--format", "json", str(fix_copy)]
            t, proc = run_wall([*cli, *fix_args])
            fix_times.append(t)
            records = json.loads(proc.stdout)
            counts["fixed"] = sum(1 for r in records if r.get("fix_applied"))
            counts["remaining"] = sum(1 for r in records if not r.get("fix_applied"))
            shutil.rmtree(fix_copy)
        naive_t, naive_inner, naive_failed = naive_libcst(check_copy)
    c, f = best(check_times), best(fix_times)
    rows = [
        Row.of(
            "fixer --fix --unsafe-fixes / check",
            f,
            c,
            "<= 1.5",
            f"fix {f.wall:.2f} s / check {c.wall:.2f} s wall, {f.cpu:.2f} / {c.cpu:.2f} s CPU "
            f"(--jobs {jobs}, min of {rounds}); {seeded} files seeded, "
            f"{counts['check_findings']} findings, {counts['fixed']} fixed, {counts['remaining']} left",
        ),
        Row.of(
            "naive libcst parse / fix run",
            naive_t,
            f,
            ">= 10",
            f"libcst.parse_module of every file in one process {naive_t.wall:.1f} s wall, {naive_t.cpu:.1f} s CPU "
            f"({naive_inner:.1f} s parsing, {naive_failed} failed) / fix {f.wall:.2f} s wall, {f.cpu:.2f} s CPU",
        ),
    ]
    return rows


NAIVE_SCRIPT = textwrap.dedent(
    """
    import sys, time, pathlib
    import libcst
    start = time.perf_counter()
    failed = 0
    for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
        try:
            libcst.parse_module(path.read_bytes())
        except Exception:
            failed += 1
    print(time.perf_counter() - start, failed)
    """
)


def naive_libcst(folder: Path) -> tuple[Timing, float, int]:
    t, proc = run_wall([sys.executable, "-c", NAIVE_SCRIPT, str(folder)], ok=(0,))
    inner, failed = proc.stdout.split()
    return t, float(inner), int(failed)


MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, os, resource, subprocess, sys, threading, time

    def tree_rss(root):
        children = {}
        rss = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ppid, pages = int(fields[1]), int(fields[21])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
            rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, ()))
        return total

    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        if os.path.isdir("/proc"):
            peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.02)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"maxrss_kib": usage.ru_maxrss, "tree_peak_bytes": peak, "rc": proc.returncode}))
    """
)


def part_memory(corpus: Corpus, jobs: int) -> list[Row]:
    cli = cli_command()
    if cli is None:
        print("memory: skipped - the flake8-sqla-session command is not built yet")
        return [Row("fixer peak memory (MiB)", None, "<= 1e9", "skipped: CLI not built yet")]
    with tempfile.TemporaryDirectory(prefix="sqs-bench-") as tmp:
        copy, _ = copy_corpus(corpus, Path(tmp) / "mem", seed=True)
        _, proc = run_wall(
            [sys.executable, "-c", MEMORY_SCRIPT, *cli, "--fix", "--unsafe-fixes", "--jobs", str(jobs), str(copy)],
            ok=(0,),
        )
    result = json.loads(proc.stdout)
    if result["rc"] not in (0, 1):
        raise RuntimeError(f"fix run for the memory measure exited {result['rc']}")
    largest = result["maxrss_kib"] / 1024
    tree = result["tree_peak_bytes"] / 2**20
    detail = f"largest process {largest:.0f} MiB (ru_maxrss); whole tree sampled peak {tree:.0f} MiB (--jobs {jobs})"
    return [Row("fixer peak memory (MiB, largest process)", None, "n/a", detail)]


# ---- the application corpus (--corpus apps) ------------------------------------------------

APP_PARTS = ("plugin", "flake8", "fixer")
APP_FLAKE8_JOBS = (1, 2)
SLOWEST = 10


class FileTimeout(BaseException):
    """Raised by the --file-timeout timer inside a plugin run.

    A BaseException, so that the plugin's `except Exception` (which turns a
    crash into an SQS999 finding) does not swallow it.
    """


@dataclass
class AppCorpus:
    cache: Path
    dirs: list[Path]  # cache/<application>, in manifest order
    files: list[Path]  # the files flake8 checks, sorted per application
    lines: int
    excluded: dict[Path, str]  # file -> why it is left out of every part

    @property
    def checked(self) -> list[Path]:
        return [f for f in self.files if f not in self.excluded]

    @property
    def description(self) -> str:
        import apps

        chosen = {d.name for d in self.dirs}
        names = ", ".join(f"{a.name} {a.version}" for a in apps.load_manifest() if a.name in chosen)
        return f"{len(self.files):,} files, {self.lines:,} lines ({names})"

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.cache))


def load_app_corpus(cache: Path, only: Sequence[str] = ()) -> AppCorpus:
    import apps

    dirs = apps.app_dirs(cache)
    if only:
        unknown = set(only) - {d.name for d in dirs}
        if unknown:
            raise SystemExit(f"--apps: not in bench/apps.json: {', '.join(sorted(unknown))}")
        dirs = [d for d in dirs if d.name in only]
    files = [f for d in dirs for f in apps.python_files(d)]
    lines = sum(len(f.read_bytes().splitlines()) for f in files)
    return AppCorpus(cache, dirs, files, lines, {})


def median(timings: Sequence[Timing]) -> Timing:
    return Timing(statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings))


def modules_read() -> dict[str, int] | None:
    """HOOK: what project knowledge has cost so far in this process, or None when the core does not say.

    The project-wide import resolution reads other modules of the checked
    file's project to classify imported names, at most once per process.  The
    core counts that in `flake8_sqla_session.knowledge.project.Stats`
    (`files_read`, `modules_read` parsed whole, `outlines` read for a few
    statements, `lookups`); every int counter there is reported.  An older
    core has no such counter, and the bench then says so.
    """
    try:
        project = importlib.import_module("flake8_sqla_session.knowledge.project")
    except ImportError:
        return None
    stats = getattr(project, "Stats", None)
    if stats is None:
        return None
    counts = {name: value for name, value in vars(stats).items() if isinstance(value, int) and not name.startswith("_")}
    return counts or None


def forget_project_modules() -> None:
    """Empty the core's per-process caches of project modules, so that every round pays what one flake8 run pays.

    A flake8 run reads each project module at most once per process; without
    this, only the bench's first round would.  The caches are private to the
    core (`_SOURCES`, `_LATEST`, `_PROJECTS`, `_STAMPS` in knowledge/project.py, and what
    `forget_projects()` empties): when they are not there (an older or a reorganised core)
    nothing is emptied.  The cache on disk is another matter: see `cache_folder()`.
    """
    try:
        project = importlib.import_module("flake8_sqla_session.knowledge.project")
    except ImportError:
        return
    for name in ("_SOURCES", "_LATEST", "_PROJECTS", "_STAMPS"):
        cache = getattr(project, name, None)
        if isinstance(cache, dict):
            cache.clear()
    forget = getattr(project, "forget_projects", None)
    if callable(forget):
        forget()


CACHE_ENVIRONMENT = "FLAKE8_SQLA_SESSION_CACHE_DIR"


@contextlib.contextmanager
def cache_folder(folder: str | None) -> Iterator[None]:
    """Run with the core's cache of project answers in `folder` (a new, empty one: a first run on a
    machine, as CI's; "off": none), as the environment variable the core reads tells it."""
    before = os.environ.get(CACHE_ENVIRONMENT)
    os.environ[CACHE_ENVIRONMENT] = folder or "off"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE_ENVIRONMENT, None)
        else:
            os.environ[CACHE_ENVIRONMENT] = before


def save_projects() -> None:
    """HOOK: what the core does at the exit of a process, to save its project answers."""
    try:
        project = importlib.import_module("flake8_sqla_session.knowledge.project")
    except ImportError:
        return
    save = getattr(project, "_save_all", None)
    if callable(save):
        save()


@dataclass
class FileCost:
    path: str
    lines: int
    parse: Timing  # medians over the rounds
    plugin: Timing
    findings: int

    @property
    def ratio(self) -> float:
        return self.plugin.wall / self.parse.wall if self.parse.wall else float("inf")


def read_tree(path: Path) -> tuple[bytes, ast.Module, list[str]] | None:
    """A file's bytes, tree and lines (as flake8 gives them to the plugin); None if it does not parse."""
    data = path.read_bytes()
    try:
        tree = ast.parse(data, str(path))
    except (SyntaxError, ValueError):
        return None
    return data, tree, data.decode("utf-8", "replace").splitlines(keepends=True)


def probe_timeouts(corpus: AppCorpus, limit: float) -> None:
    """Run the plugin once per file under a timer; leave the files over `limit` seconds out."""
    import signal

    from flake8_sqla_session.plugin import Plugin

    def expire(signum: int, frame: object) -> None:
        raise FileTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        for path in corpus.files:
            read = read_tree(path)
            if read is None:
                continue
            _, tree, lines = read
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                for _ in Plugin(tree, str(path), lines).run():
                    pass
            except FileTimeout:
                corpus.excluded[path] = f"plugin over {limit:g} s"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def plugin_pass(
    sources: list[tuple[str, bytes]], skipped: set[str], lines: dict[str, list[str]], runs: dict[str, list[Timing]]
) -> tuple[Timing, dict[str, int]]:
    """One pass of the plugin over the files (each tree parsed untimed), each file timed with the
    collector off and its time added to `runs`; the pass's total, and each file's findings."""
    from flake8_sqla_session.plugin import Plugin

    clock, cpu_clock = time.perf_counter, time.process_time
    found: dict[str, int] = {}
    total = Timing(0.0, 0.0)
    gc.collect()
    gc.disable()
    try:
        for name, data in sources:
            if name in skipped:
                continue
            tree = ast.parse(data, name)
            w, c = clock(), cpu_clock()
            found[name] = sum(1 for _ in Plugin(tree, name, lines[name]).run())
            spent = Timing(clock() - w, cpu_clock() - c)
            runs.setdefault(name, []).append(spent)
            total = Timing(total.wall + spent.wall, total.cpu + spent.cpu)
            del tree
    finally:
        gc.enable()
    return total, found


def app_plugin(corpus: AppCorpus, rounds: int) -> tuple[list[Row], list[FileCost], list[str]]:
    """Per round, per file: ast.parse, then the plugin on that tree, both timed; medians over rounds."""
    from flake8_sqla_session.plugin import Plugin
    from flake8_sqla_session.settings import Settings

    Plugin.settings = Settings()
    sources = [(str(f), f.read_bytes()) for f in corpus.checked]
    lines = {name: data.decode("utf-8", "replace").splitlines(keepends=True) for name, data in sources}
    parse_times: dict[str, list[Timing]] = {name: [] for name, _ in sources}
    plugin_times: dict[str, list[Timing]] = {name: [] for name, _ in sources}
    findings: dict[str, int] = {}
    skipped: set[str] = set()
    parse_totals: list[Timing] = []
    plugin_totals: list[Timing] = []
    read_before = modules_read()
    clock, cpu_clock = time.perf_counter, time.process_time
    here = os.getcwd()
    os.chdir(corpus.cache)  # as the flake8 runs: the current folder is one of the core's import roots
    # Each round: a first run (empty in-process caches, an empty cache folder: what a CI machine
    # pays), then a later run (empty in-process caches, the answers the first run saved: what
    # the next run, or an editor's next process, pays), interleaved.
    cached_runs: dict[str, list[Timing]] = {name: [] for name, _ in sources}
    cached_totals: list[Timing] = []
    save_totals: list[Timing] = []  # the save at the end of each first run (in plugin_totals)
    cached_findings: dict[str, int] = {}
    saved_reads: list[int] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="sqs-bench-cache-") as folder, cache_folder(folder):
            forget_project_modules()
            gc.collect()
            gc.disable()  # as in timed(): no collector pauses inside either side
            try:
                for name, data in sources:
                    w, c = clock(), cpu_clock()
                    try:
                        tree = ast.parse(data, name)
                    except (SyntaxError, ValueError):
                        skipped.add(name)
                        continue
                    parse_times[name].append(Timing(clock() - w, cpu_clock() - c))
                    w, c = clock(), cpu_clock()
                    found = sum(1 for _ in Plugin(tree, name, lines[name]).run())
                    plugin_times[name].append(Timing(clock() - w, cpu_clock() - c))
                    findings[name] = found
                    del tree
                w, c = clock(), cpu_clock()
                save_projects()  # at the process's exit: part of what a first run costs
                saved = Timing(clock() - w, cpu_clock() - c)
                save_totals.append(saved)
            finally:
                gc.enable()
            done = [name for name, _ in sources if name not in skipped]
            parse_totals.append(
                Timing(sum(parse_times[n][-1].wall for n in done), sum(parse_times[n][-1].cpu for n in done))
            )
            plugin_totals.append(
                Timing(
                    sum(plugin_times[n][-1].wall for n in done) + saved.wall,
                    sum(plugin_times[n][-1].cpu for n in done) + saved.cpu,
                )
            )
            forget_project_modules()
            reads_before = (modules_read() or {}).get("files_read", 0)
            total, cached_findings = plugin_pass(sources, skipped, lines, cached_runs)
            cached_totals.append(total)
            saved_reads.append((modules_read() or {}).get("files_read", 0) - reads_before)
            forget_project_modules()
    read_after = modules_read()
    # More passes in the same process, caches kept: what the plugin costs once the project is
    # read (an editor's long-running server, or the later files of a long flake8 run).  One
    # untimed pass reads the project first; no cache on disk.
    warm_runs: dict[str, list[Timing]] = {name: [] for name, _ in sources if name not in skipped}
    with cache_folder("off"):
        plugin_pass(sources, skipped, lines, {})
        warm_totals = [plugin_pass(sources, skipped, lines, warm_runs)[0] for _ in range(rounds)]
    warm = median(warm_totals)
    warm_times = {name: median(runs) for name, runs in warm_runs.items()}
    cached = median(cached_totals)
    cached_times = {name: median(runs) for name, runs in cached_runs.items() if runs}
    if cached_findings != {name: findings[name] for name in cached_findings}:
        raise RuntimeError("the plugin found other things with the cache of a first run than in that run")
    os.chdir(here)
    parse_t, plugin_t = median(parse_totals), median(plugin_totals)
    costs = [
        FileCost(
            corpus.relative(Path(name)),
            lines[name].__len__(),
            median(parse_times[name]),
            median(plugin_times[name]),
            findings[name],
        )
        for name, _ in sources
        if name not in skipped
    ]
    costs.sort(key=lambda c: c.plugin.wall, reverse=True)
    slowest = costs[:SLOWEST]
    over = [c for c in costs if c.ratio > 1.0]
    notes = []
    if read_before is None or read_after is None:
        notes.append(
            "project modules read per checked file: not exposed by this core (hook: modules_read() in bench/bench.py)"
        )
    else:
        parts = ", ".join(
            f"{name} {(read_after[name] - read_before.get(name, 0)) / rounds:.0f} "
            f"({(read_after[name] - read_before.get(name, 0)) / rounds / max(len(costs), 1):.3f} per file)"
            for name in read_after
        )
        notes.append(
            f"project knowledge per run over {len(costs)} checked files (each round starts with empty caches, "
            f"as one flake8 process does): {parts}"
        )
    over_1ms = [c for c in over if c.plugin.wall >= 0.001]
    notes.append(
        f"files whose plugin time is above their own ast.parse: {len(over)} of {len(costs)}"
        + (
            f" (their plugin times: max {max(c.plugin.wall for c in over) * 1000:.1f} ms, "
            f"median {statistics.median(c.plugin.wall for c in over) * 1000:.2f} ms); "
            f"{len(over_1ms)} of them take 1 ms or more"
            if over
            else ""
        )
    )
    detail = (
        f"plugin {plugin_t.wall * 1000:.0f} ms / ast.parse {parse_t.wall * 1000:.0f} ms wall, "
        f"{plugin_t.cpu * 1000:.0f} / {parse_t.cpu * 1000:.0f} ms CPU over {len(costs)} trees "
        f"({len(skipped)} did not parse, {len(corpus.excluded)} left out), "
        f"{sum(findings.values())} findings, median of {rounds} interleaved; of the plugin's time, "
        f"the save of the project answers at the end {median(save_totals).cpu * 1000:.0f} ms CPU"
    )

    # The warm and cached passes file by file, against each file's median parse (CPU): the files
    # that cost more than their own ast.parse once the project is read, or its answers taken.
    def above(times: dict[str, Timing]) -> str:
        found = []
        for name, spent in times.items():
            parse = median(parse_times[name])
            if parse.cpu and spent.cpu >= 0.001 and spent.cpu > parse.cpu:
                found.append((spent.cpu / parse.cpu, spent.cpu, corpus.relative(Path(name))))
        found.sort(reverse=True)
        return f"files above their own ast.parse in it and taking 1 ms or more: {len(found)}" + (
            f", the worst {found[0][2]} at {found[0][0]:.2f}x ({found[0][1] * 1000:.1f} ms CPU)" if found else ""
        )

    warm_over = above(warm_times)
    worst = max(slowest, key=lambda c: c.ratio)
    worst_cpu = max(c.plugin.cpu / c.parse.cpu for c in slowest if c.parse.cpu)
    rows = [
        Row.of("plugin run / ast.parse (apps)", plugin_t, parse_t, "<= 0.25", detail),
        Row.of(
            "the same, project already read (warm)",
            warm,
            parse_t,
            "-",
            f"plugin {warm.wall * 1000:.0f} ms wall, {warm.cpu * 1000:.0f} ms CPU: {rounds} more passes in the "
            f"process after the rounds, the project's caches kept (medians); {warm_over}",
        ),
        Row.of(
            "the same, a later run (the first run's cache)",
            cached,
            parse_t,
            "-",
            f"plugin {cached.wall * 1000:.0f} ms wall, {cached.cpu * 1000:.0f} ms CPU: in each round after the "
            f"first run, every in-process cache emptied and the answers that run saved on disk taken "
            f"(medians); project files read in it: {statistics.median(saved_reads):.0f}; {above(cached_times)}",
        ),
        Row(
            "slowest ten files: max plugin / own ast.parse",
            worst.ratio,
            "<= 1.0",
            f"{worst.path}: plugin {worst.plugin.wall * 1000:.1f} ms / ast.parse {worst.parse.wall * 1000:.1f} ms",
            worst_cpu,
        ),
    ]
    return rows, slowest, notes


def _flake8_version(python: str, cwd: Path) -> str:
    # from the corpus folder, as the timed runs: from a checkout, `-m` would put the checkout's
    # egg-info on sys.path and any environment would find the plugin
    out = subprocess.run(
        [python, "-m", "flake8", "--version"], stdout=subprocess.PIPE, text=True, check=True, cwd=cwd
    )
    return " ".join(out.stdout.split())


def app_flake8(corpus: AppCorpus, rounds: int, without_python: str, jobs_list: Sequence[int]) -> list[Row]:
    byte_compile_package()
    with_python = sys.executable
    with_version = _flake8_version(with_python, corpus.cache)
    without_version = _flake8_version(without_python, corpus.cache)
    if "flake8-sqla-session" not in with_version or "flake8-sqla-session" in without_version:
        raise RuntimeError(
            f"the plugin must be installed in {with_python} and not in {without_python}:\n"
            f"{with_version}\n{without_version}"
        )
    stripped = with_version.replace(f"flake8-sqla-session: {_version('flake8-sqla-session')}, ", "")
    if stripped != without_version:
        raise RuntimeError(f"the two environments differ in more than the plugin:\n{with_version}\n{without_version}")
    excludes = ["--extend-exclude", ",".join(str(p) for p in corpus.excluded)] if corpus.excluded else []
    dirs = [str(d.relative_to(corpus.cache)) for d in corpus.dirs]
    modes = ("with", "later", "without")
    times: dict[tuple[int, str], list[Timing]] = {(j, m): [] for j in jobs_list for m in modes}
    reports: dict[tuple[int, str], tuple[int, int]] = {}
    for _ in range(rounds):
        for jobs in jobs_list:
            # "with": a first run (an empty cache folder); "later": the next run, with the answers
            # the first one saved; "without": the environment without the plugin.
            with tempfile.TemporaryDirectory(prefix="sqs-bench-cache-") as folder:
                for mode, python in zip(modes, (with_python, with_python, without_python)):
                    cmd = [python, "-m", "flake8", "--isolated", "-j", str(jobs), "--exit-zero", *excludes, *dirs]
                    t, proc = run_wall(cmd, cwd=corpus.cache, ok=(0,), cache=folder)
                    times[(jobs, mode)].append(t)
                    reports[(jobs, mode)] = (proc.stdout.count(b"\n"), proc.stdout.count(b": SQS"))
    rows = []
    for jobs in jobs_list:
        w, wo = median(times[(jobs, "with")]), median(times[(jobs, "without")])
        later = median(times[(jobs, "later")])
        (n_with, sqs), (n_without, _) = reports[(jobs, "with")], reports[(jobs, "without")]
        if n_with - sqs != n_without:
            raise RuntimeError(f"-j {jobs}: {n_with - sqs} non-SQS reports with the plugin, {n_without} without")
        if reports[(jobs, "later")] != reports[(jobs, "with")]:
            raise RuntimeError(f"-j {jobs}: a later run reported {reports[(jobs, 'later')]}, the first one "
                               f"{reports[(jobs, 'with')]}")
        spread = ", ".join(f"{t.wall:.1f}" for t in times[(jobs, "with")])
        spread_wo = ", ".join(f"{t.wall:.1f}" for t in times[(jobs, "without")])
        detail = (
            f"with {w.wall:.1f} s / without {wo.wall:.1f} s wall, {w.cpu:.1f} / {wo.cpu:.1f} s CPU "
            f"(median of {rounds} interleaved; with: {spread}; without: {spread_wo}); "
            f"{n_with:,} reports with, {n_without:,} without, {sqs} SQS"
        )
        rows.append(Row.of(f"flake8 with plugin / without (apps, -j {jobs})", w, wo, "<= 1.05", detail))
        spread_later = ", ".join(f"{t.wall:.1f}" for t in times[(jobs, "later")])
        rows.append(
            Row.of(
                f"the same, a later run (the first run's cache, -j {jobs})",
                later,
                wo,
                "-",
                f"with {later.wall:.1f} s / without {wo.wall:.1f} s wall, {later.cpu:.1f} / {wo.cpu:.1f} s CPU "
                f"(median of {rounds}; {spread_later})",
            )
        )
    return rows


def copy_files(corpus: AppCorpus, dest: Path) -> Path:
    for path in corpus.checked:
        target = dest / corpus.relative(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dest


def app_fixer(corpus: AppCorpus, rounds: int, jobs: int) -> list[Row]:
    cli = cli_command()
    if cli is None:
        return [Row("fixer --fix --unsafe-fixes / check (apps)", None, "<= 1.5", "skipped: CLI not built yet")]
    check_times, fix_times = [], []
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="sqs-bench-apps-") as tmp:
        base = Path(tmp)
        check_copy = copy_files(corpus, base / "check")
        for i in range(rounds):
            t, proc = run_wall([*cli, "--jobs", str(jobs), "--format", "json", str(check_copy)], ok=(0, 1, 2))
            check_times.append(t)
            counts["check_findings"] = len(json.loads(proc.stdout))
            fix_copy = copy_files(corpus, base / f"fix{i}")
            fix_args = ["--fix", "--unsafe-fixes", "--jobs", str(jobs), "--format", "json", str(fix_copy)]
            t, proc = run_wall([*cli, *fix_args], ok=(0, 1, 2))
            fix_times.append(t)
            records = json.loads(proc.stdout)
            counts["fixed"] = sum(1 for r in records if r.get("fix_applied"))
            counts["remaining"] = sum(1 for r in records if not r.get("fix_applied"))
            counts["exit"] = proc.returncode
            shutil.rmtree(fix_copy)
    c, f = median(check_times), median(fix_times)
    detail = (
        f"fix {f.wall:.2f} s / check {c.wall:.2f} s wall, {f.cpu:.2f} / {c.cpu:.2f} s CPU "
        f"(--jobs {jobs}, median of {rounds} interleaved); the applications' own findings, no seeding: "
        f"{counts['check_findings']} findings, {counts['fixed']} fixed, {counts['remaining']} left "
        f"(fix run exit {counts['exit']})"
    )
    return [Row.of("fixer --fix --unsafe-fixes / check (apps)", f, c, "<= 1.5", detail)]


def print_slowest(slowest: list[FileCost]) -> None:
    print(f"\nSlowest {len(slowest)} files by plugin time (medians; ratio = plugin / the file's own ast.parse):\n")
    print("| file | lines | plugin (ms) | ast.parse (ms) | ratio (wall) | ratio (CPU) | findings |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for c in slowest:
        cpu = c.plugin.cpu / c.parse.cpu if c.parse.cpu else float("inf")
        print(
            f"| {c.path} | {c.lines:,} | {c.plugin.wall * 1000:.1f} | {c.parse.wall * 1000:.1f} | "
            f"{c.ratio:.2f} | {cpu:.2f} | {c.findings} |"
        )


def main_apps(args: argparse.Namespace, parts: list[str]) -> int:
    unknown = set(parts) - set(APP_PARTS)
    if unknown:
        raise SystemExit(f"--corpus apps: unknown part(s) {', '.join(sorted(unknown))}; choose from {APP_PARTS}")
    if "flake8" in parts and not args.without_python:
        raise SystemExit("--corpus apps: the flake8 part needs --without-python (an environment without the plugin)")
    jobs = args.jobs or 2
    flake8_jobs = [int(j) for j in args.flake8_jobs.split(",") if j.strip()]
    print("flake8-sqla-session benchmark: application corpus")
    print("Command: " + " ".join([Path(sys.executable).name, "bench/bench.py", *args.given]))
    for line in machine_info():
        print(line)
    corpus = load_app_corpus(args.cache, [a for a in args.apps.split(",") if a])
    print(f"Corpus: {corpus.description}; under {corpus.cache}")
    print(f"Parts: {', '.join(parts)}; flake8 -j {' and -j '.join(map(str, flake8_jobs))}; fixer --jobs {jobs}")
    sys.stdout.flush()
    started = time.perf_counter()
    if args.file_timeout:
        probe_timeouts(corpus, args.file_timeout)
        print(f"file timeout {args.file_timeout:g} s: {len(corpus.excluded)} file(s) left out of every part")
        for path, why in corpus.excluded.items():
            print(f"  LEFT OUT {corpus.relative(path)}: {why}")
        sys.stdout.flush()
    rows: list[Row] = []
    slowest: list[FileCost] = []
    notes: list[str] = []
    # each part's rows are printed when it is done, and all of them again at the end
    if "plugin" in parts:
        plugin_rows, slowest, notes = app_plugin(corpus, args.rounds or 5)
        rows += plugin_rows
        print("plugin: done")
        print_table(plugin_rows, [])
        print_slowest(slowest)
        for note in notes:
            print(f"\n{note}")
        print(flush=True)
    if "flake8" in parts:
        flake8_rows = app_flake8(corpus, args.rounds or 3, args.without_python, flake8_jobs)
        rows += flake8_rows
        print("flake8: done")
        print_table(flake8_rows, [])
        print(flush=True)
    if "fixer" in parts:
        rows += app_fixer(corpus, args.rounds or 5, jobs)
        print(f"fixer: done ({rows[-1].detail})", flush=True)
    print("\nAll parts:\n")
    print_table(rows, [])
    if corpus.excluded:
        print(f"\nLEFT OUT of every part (over --file-timeout): {len(corpus.excluded)} file(s)")
    print(f"\n(total bench time {time.perf_counter() - started:.0f} s)")
    return 0


# ---- report --------------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def machine_info() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(
        f"{d} {_version(d)}"
        for d in (
            "flake8-sqla-session", "flake8", "pyflakes", "pycodestyle", "libcst", "sqlalchemy", "django", "alembic"
        )
    )
    return [
        f"CPU: {cpu}; {os.cpu_count()} cores ({affinity} usable)",
        f"Python: {platform.python_implementation()} {platform.python_version()} on {platform.platform()}",
        f"Packages: {versions}",
    ]


def print_table(rows: list[Row], memory_rows: list[Row]) -> None:
    head = ("measure", "ratio (wall)", "ratio (CPU)", "goal", "met", "detail")
    body = [
        (
            r.measure,
            "-" if r.ratio is None else f"{r.ratio:.3f}",
            "-" if r.cpu_ratio is None else f"{r.cpu_ratio:.3f}",
            r.goal,
            r.ok(),
            r.detail,
        )
        for r in rows
    ]
    body += [(r.measure, "-", "-", "-", "-", r.detail) for r in memory_rows]
    n = len(head) - 1
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(n)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head[:n], widths)) + " | detail |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|--------|")
    for row in body:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row[:n], widths)) + f" | {row[n]} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to run ({','.join(PARTS)})")
    parser.add_argument(
        "--rounds", type=int, default=None,
        help="repetitions, min taken (default: 3 for plugin and flake8, 2 for fixer); "
        "--corpus apps: median taken (default: 5 for plugin and fixer, 3 for flake8)",
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="processes for flake8 -j and --jobs (default: usable cores, at most 2)"
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the plugin run")
    parser.add_argument(
        "--corpus", choices=("libraries", "apps"), default="libraries",
        help="libraries: installed sqlalchemy, django, alembic (default); apps: bench/apps.json (medians)",
    )
    parser.add_argument(
        "--cache", type=Path, default=HERE / ".cache" / "apps",
        help="--corpus apps: where `python bench/apps.py prepare` unpacked the applications",
    )
    parser.add_argument(
        "--without-python",
        help="--corpus apps: the python of an environment with the same flake8 and without the plugin",
    )
    parser.add_argument(
        "--apps", default="",
        help="--corpus apps: comma-separated applications to measure (default: all of bench/apps.json)",
    )
    parser.add_argument(
        "--flake8-jobs", default=",".join(map(str, APP_FLAKE8_JOBS)),
        help="--corpus apps: the flake8 -j values to compare with and without the plugin (default: 1,2)",
    )
    parser.add_argument(
        "--file-timeout", type=float, default=None,
        help="--corpus apps: leave out of every part the files whose plugin run takes longer (seconds)",
    )
    args = parser.parse_args(argv)
    args.given = list(argv) if argv is not None else sys.argv[1:]
    if args.corpus == "apps":
        only = args.only if args.only != ",".join(PARTS) else ",".join(APP_PARTS)
        return main_apps(args, [p.strip() for p in only.split(",") if p.strip()])
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = args.jobs or max(1, min(usable, 2))

    print("flake8-sqla-session benchmark")
    given = list(argv) if argv is not None else sys.argv[1:]
    print("Command: " + " ".join([Path(sys.executable).name, "bench/bench.py", *given]))
    for line in machine_info():
        print(line)
    corpus = load_corpus()
    print(f"Corpus: {corpus.description}")
    for name, root in corpus.roots.items():
        print(f"  {name}: {root}")
    print(f"Parts: {', '.join(parts)}; jobs: {jobs}")
    sys.stdout.flush()

    rows: list[Row] = []
    memory_rows: list[Row] = []
    started = time.perf_counter()
    if "plugin" in parts:
        rows += part_plugin(corpus, args.rounds or 3, args.profile)
        print(f"plugin: done ({rows[-1].detail})", flush=True)
    if "flake8" in parts:
        rows += part_flake8(corpus, args.rounds or 3, jobs)
        print(f"flake8: done ({rows[-1].detail})", flush=True)
    if "fixer" in parts:
        rows += part_fixer(corpus, args.rounds or 2, jobs)
        print("fixer: done", flush=True)
    if "memory" in parts:
        memory_rows += part_memory(corpus, jobs)
        print("memory: done", flush=True)
    print()
    print_table(rows, memory_rows)
    print(f"\n(total bench time {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
