"""flake8 in one process, with or without the plugin, and the time its garbage collector takes.

    python bench/flake8_gc.py with|without [--rounds N] [--cache DIR] [APP ...]

The bench's plugin part times the plugin with the collector off, so it cannot show what
the plugin costs the rest of flake8's process: objects the plugin keeps between files are
scanned by every full collection.  This runs `flake8.main.cli.main` (`-j 1`, default
checks) over applications unpacked by `python bench/apps.py prepare`, alternating the two
modes in fresh processes, and prints each run's CPU time and the time spent in each
generation's collections (from `gc.callbacks`).  "without" hides the flake8-sqla-session
distribution from `importlib.metadata`, where flake8 finds its plugins.
"""
from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
APPS = ("dallinger", "fittrackee", "jupyterhub", "sopel")


def one_run(mode: str, cache: Path, apps: list[str]) -> None:
    if mode == "without":
        distributions = importlib.metadata.distributions

        def hidden(**kwargs: Any) -> Any:
            return (d for d in distributions(**kwargs) if d.metadata["Name"] != "flake8-sqla-session")

        importlib.metadata.distributions = hidden
    spent: dict[int, float] = {}
    started = [0.0]

    def timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            generation = info["generation"]
            spent[generation] = spent.get(generation, 0.0) + time.perf_counter() - started[0]

    gc.callbacks.append(timer)
    from flake8.main import cli

    os.chdir(cache)
    cpu = time.process_time()
    try:
        cli.main(["--isolated", "-j", "1", "--exit-zero", "-q", "--count", *apps])
    except SystemExit:
        pass
    cpu = time.process_time() - cpu
    collections = ", ".join(f"gen {g}: {spent[g]:.2f} s" for g in sorted(spent))
    print(f"{mode:8} CPU {cpu:6.2f} s; garbage collection {collections}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("with", "without", "both"))
    parser.add_argument("apps", nargs="*", default=list(APPS))
    parser.add_argument("--rounds", type=int, default=2, help="with 'both': alternating runs of each")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache" / "apps")
    args = parser.parse_intermixed_args()
    if args.mode != "both":
        one_run(args.mode, args.cache, args.apps)
        return
    for _ in range(args.rounds):
        for mode in ("without", "with"):
            command = [sys.executable, __file__, mode, "--cache", str(args.cache), *args.apps]
            # A first run: the answers about the projects' modules start from nothing (an empty
            # folder for the plugin's cache on disk, `knowledge/store.py`).
            with tempfile.TemporaryDirectory(prefix="sqs-gc-cache-") as answers:
                env = {**os.environ, "FLAKE8_SQLA_SESSION_CACHE_DIR": answers}
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd="/", env=env)


if __name__ == "__main__":
    main()
