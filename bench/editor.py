"""What an editor's flake8 process pays for the plugin: one file, checked first in a new process.

    python bench/editor.py [--sample N] [--rounds R] [--flake8 K] [APP ...]

An editor runs flake8 on the buffer in a new process at every keystroke, so each check is
the first of its process: the project's modules the file imports are read again each
time, unless the answers another process saved (`knowledge/store.py`) are there.  For a
seeded sample of N files per application (unpacked by `python bench/apps.py prepare`),
with the application's folder as the working folder (an editor's workspace), this times
the plugin on the file's tree (CPU), `R` interleaved rounds of:

- *no cache*: every in-process cache emptied, the cache on disk off;
- *cached*: every in-process cache emptied, with the answers a first check of the same
  file saved (what the second keystroke finds);

and the file's own `ast.parse`.  It prints the distribution over the files and the files
that cost most.  With `--flake8 K`, the K files costliest without the cache are also
checked by real `flake8 --select=SQS -` processes reading the file on stdin (wall time,
medians of R), the way editors call it, both ways.  With `--server K`, the K costliest files
are checked again and again as the language server checks an open file (`server.check_text`,
CPU, medians of R): the project kept between checks while none of its files changes
(`refresh_projects`), against every project forgotten before each check (what the server did
before `412b0b0`; the module texts stay read either way).  With `--kept`, every file of the
applications is checked in one process and its answers saved; then, for each project file
some answer depends on, it counts the share of the project's answers an edit of that file
would leave standing (`knowledge/store.py` drops only the answers found by reading it).
"""
from __future__ import annotations

import argparse
import ast
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import apps  # noqa: E402  (bench/apps.py, beside this file)
from bench import (  # noqa: E402
    CACHE_ENVIRONMENT, byte_compile_package, cache_folder, forget_project_modules, read_tree, save_projects
)


def first_check(path: Path, tree: ast.Module, lines: list[str]) -> float:
    """CPU seconds of the plugin on one file, as the first check of a new process."""
    from flake8_sqla_session.plugin import Plugin

    forget_project_modules()
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for _ in Plugin(tree, str(path), lines).run():
            pass
        return time.process_time() - start
    finally:
        gc.enable()


def parse_time(data: bytes, name: str) -> float:
    start = time.process_time()
    ast.parse(data, name)
    return time.process_time() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def flake8_stdin(path: Path, app: Path, cache: str, rounds: int) -> float:
    """Median wall seconds of `flake8 --select=SQS -` on the file's text, as an editor runs it."""
    data = path.read_bytes()
    command = [sys.executable, "-m", "flake8", "--isolated", "--select=SQS", "--stdin-display-name",
               str(path.relative_to(app)), "-"]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, cwd=app, input=data, capture_output=True, check=False,
                       env={**os.environ, CACHE_ENVIRONMENT: cache})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("apps", nargs="*", help="applications of bench/apps.json (default: all)")
    parser.add_argument("--sample", type=int, default=20, help="files per application (seeded sample)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flake8", type=int, default=0, help="also time real flake8 processes on this many files")
    parser.add_argument("--server", type=int, default=0, help="also time the language server's checks of this many")
    parser.add_argument("--kept", action="store_true", help="also count the answers an edit of one file keeps")
    args = parser.parse_args()
    from flake8_sqla_session.plugin import Plugin
    from flake8_sqla_session.settings import Settings

    Plugin.settings = Settings()
    cache = HERE / ".cache" / "apps"
    dirs = [d for d in apps.app_dirs(cache) if not args.apps or d.name in args.apps]
    chosen: list[tuple[Path, Path]] = []
    for app in dirs:
        files = apps.python_files(app)
        chosen.extend((app, f) for f in random.Random(0).sample(files, min(args.sample, len(files))))
    results = []  # (no cache, cached, parse, file, app)
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="sqs-editor-cache-") as root:
        for app, path in chosen:
            read = read_tree(path)
            if read is None:
                continue
            data, tree, lines = read
            os.chdir(app)
            cold, cached, parsed = [], [], []
            folder = os.path.join(root, str(len(results)))
            with cache_folder(folder):
                first_check(path, tree, lines)  # the first keystroke: saves what it found
                save_projects()
            for _ in range(args.rounds):
                with cache_folder("off"):
                    cold.append(first_check(path, tree, lines))
                with cache_folder(folder):
                    cached.append(first_check(path, tree, lines))
                parsed.append(parse_time(data, str(path)))
            os.chdir(here)
            results.append((statistics.median(cold), statistics.median(cached), statistics.median(parsed), path, app))
    forget_project_modules()
    print(f"editor bench: {len(results)} files ({args.sample} per application, seeded), {args.rounds} rounds, "
          f"CPU time of the plugin on the file as the first check of a process (medians)")
    for label, index in (("no cache", 0), ("cached", 1), ("own ast.parse", 2)):
        values = [r[index] * 1000 for r in results]
        print(f"  {label:14} median {statistics.median(values):7.2f} ms, 90th percentile "
              f"{percentile(values, 0.9):7.2f} ms, max {max(values):7.2f} ms, sum {sum(values):8.1f} ms")
    for label, index in (("no cache", 0), ("cached", 1)):
        above = [r for r in results if r[index] > r[2] and r[index] >= 0.001]
        print(f"  {label}: {len(above)} of {len(results)} files above their own ast.parse and taking 1 ms or more")
    print("\n  costliest without the cache: no cache ms / cached ms / ast.parse ms")
    worst = sorted(results, key=lambda r: r[0], reverse=True)
    for cold_t, cached_t, parse_t, path, app in worst[:10]:
        print(f"  {cold_t * 1000:8.1f} {cached_t * 1000:8.2f} {parse_t * 1000:7.2f}  {path.relative_to(cache)}")
    if args.flake8:
        byte_compile_package()
        print(f"\n  real flake8 --select=SQS on stdin (wall, median of {args.rounds}): no cache s / cached s")
        for cold_t, _, _, path, app in worst[: args.flake8]:
            with tempfile.TemporaryDirectory(prefix="sqs-editor-flake8-") as folder:
                flake8_stdin(path, app, folder, 1)  # the first keystroke
                cached_wall = flake8_stdin(path, app, folder, args.rounds)
            cold_wall = flake8_stdin(path, app, "off", args.rounds)
            print(f"  {cold_wall:6.3f} {cached_wall:6.3f}  {path.relative_to(cache)}")
    if args.kept:
        kept_after_one_edit(dirs)
    if args.server:
        print(f"\n  language server, the file checked again (CPU, median of {args.rounds}): kept ms / forgotten ms")
        for _, _, _, path, app in worst[: args.server]:
            kept, forgotten = server_checks(path, app, args.rounds)
            print(f"  {kept * 1000:8.2f} {forgotten * 1000:8.2f}  {path.relative_to(cache)}")
    return 0


def kept_after_one_edit(dirs: list[Path]) -> None:
    import json

    from flake8_sqla_session.knowledge.store import ANY_INDEX
    from flake8_sqla_session.plugin import Plugin

    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="sqs-editor-kept-") as folder, cache_folder(folder):
        forget_project_modules()
        try:
            for app in dirs:
                os.chdir(app)  # as an editor's workspace
                for path in apps.python_files(app):
                    read = read_tree(path)
                    if read is not None:
                        for _ in Plugin(read[1], str(path), read[2]).run():
                            pass
        finally:
            os.chdir(here)
        save_projects()
        forget_project_modules()
        shares = []
        for name in os.listdir(folder):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                data = json.load(handle)
            sets = [set(indexes) for indexes in data["depsets"]]
            used = [entry[1] for table in ("answers", "related") for entry in data[table].values()]
            if len(used) < 50:
                continue  # a project of a few files
            for index in range(len(data["files"])):
                dropped = sum(1 for used_set in used if index in sets[used_set] or ANY_INDEX in sets[used_set])
                shares.append(1 - dropped / len(used))
    print(f"\n  answers an edit of one project file leaves standing, over {len(shares)} files some answer depends on: "
          f"median {statistics.median(shares):.3f}, 10th percentile {percentile(shares, 0.1):.3f}, "
          f"lowest {min(shares):.3f}")


def server_checks(path: Path, app: Path, rounds: int) -> tuple[float, float]:
    from flake8_sqla_session import server
    from flake8_sqla_session.knowledge.project import forget_projects

    here = os.getcwd()
    os.chdir(app)
    try:
        with cache_folder("off"):
            forget_project_modules()
            options = server.options_for(str(path), str(app))
            text = path.read_text(encoding="utf-8", errors="replace")

            def check(forget: bool) -> float:
                if forget:
                    forget_projects()
                start = time.process_time()
                server.check_text(str(path), text, options)
                return time.process_time() - start

            check(False)  # the file opened: the project is read
            kept = statistics.median(check(False) for _ in range(rounds))
            forgotten = statistics.median(check(True) for _ in range(rounds))
            return kept, forgotten
    finally:
        os.chdir(here)


if __name__ == "__main__":
    raise SystemExit(main())
