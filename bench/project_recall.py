"""Precision and recall on multi-module projects, with flake8 run from each project's root.

    python bench/project_recall.py                        # the held-out set, bench/heldout_projects
    python bench/project_recall.py tests/projects         # any folder of projects
    python bench/project_recall.py --select-sqs           # also the opt-in codes (--select SQS)
    python bench/project_recall.py --source /path/to/checkout   # the detection core of another checkout

Each project's expected findings are marked in its sources (`# expect: SQS104`,
`# expect-opt-in: SQS401`), as in tests/projects.  Each project is copied to a
temporary folder first, so flake8 finds no configuration but the project's own,
and run as `python -m flake8 .` from there.  Only SQS codes count.

A measurement, not a test: it prints per-project and total precision and recall
with the true positives, false positives and misses, and always exits 0.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"#\s*expect(?P<opt_in>-opt-in)?:\s*(?P<codes>SQS\d{3}(?:\s*,\s*SQS\d{3})*)")
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>SQS\d{3}) ", re.MULTILINE)


class Item(NamedTuple):
    path: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.code}"


def expected(root: Path, opt_in: bool) -> set[Item]:
    items = set()
    for path in sorted(root.rglob("*.py")):
        if not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for match in MARKER.finditer(line):
                if match.group("opt_in") and not opt_in:
                    continue
                items.update(Item(relative, number, code.strip()) for code in match.group("codes").split(","))
    return items


def found(root: Path, select_sqs: bool, source: str | None) -> tuple[set[Item], str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if source:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    args = [sys.executable, "-m", "flake8", *(["--select", "SQS"] if select_sqs else []), "."]
    process = subprocess.run(
        args, cwd=root, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300
    )
    items = {
        Item(m.group("path").removeprefix("./"), int(m.group("line")), m.group("code"))
        for m in FLAKE8_LINE.finditer(process.stdout)
    }
    problems = process.stderr.strip()
    if "SQS999" in process.stdout:
        problems += "\nSQS999 reported"
    return items, problems


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("projects", nargs="?", default=str(HERE / "heldout_projects"), help="a folder of projects")
    parser.add_argument("--select-sqs", action="store_true", help="run with --select SQS and count opt-in markers")
    parser.add_argument("--source", help="a directory holding the flake8_sqla_session package to measure")
    options = parser.parse_args(argv)

    projects = sorted(p for p in Path(options.projects).iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    totals = {"tp": 0, "fp": 0, "fn": 0}
    rows = []
    with tempfile.TemporaryDirectory(prefix="project-recall-") as temp:
        for project in projects:
            root = Path(temp) / project.name
            shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__"))
            want = expected(root, options.select_sqs)
            got, problems = found(root, options.select_sqs, options.source)
            tp, fp, fn = sorted(want & got), sorted(got - want), sorted(want - got)
            totals["tp"] += len(tp)
            totals["fp"] += len(fp)
            totals["fn"] += len(fn)
            rows.append((project.name, len(want), len(tp), len(fp), len(fn)))
            print(f"## {project.name}: expected {len(want)}, TP {len(tp)}, FP {len(fp)}, FN {len(fn)}, "
                  f"precision {ratio(len(tp), len(tp) + len(fp))}, recall {ratio(len(tp), len(want))}")
            for label, items in (("TP", tp), ("FP", fp), ("FN", fn)):
                for item in items:
                    print(f"   {label} {item}")
            if problems:
                print("   flake8 stderr: " + problems.replace("\n", "\n   "))
    print()
    print("| project | expected | TP | FP | FN | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    for name, want, tp_n, fp_n, fn_n in rows:
        print(f"| {name} | {want} | {tp_n} | {fp_n} | {fn_n} | {ratio(tp_n, tp_n + fp_n)} | {ratio(tp_n, want)} |")
    tp_n, fp_n, fn_n = totals["tp"], totals["fp"], totals["fn"]
    print(f"| **total** | {tp_n + fn_n} | {tp_n} | {fp_n} | {fn_n} | "
          f"{ratio(tp_n, tp_n + fp_n)} | {ratio(tp_n, tp_n + fn_n)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
