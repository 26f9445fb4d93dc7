"""The generated shapes of `tests/test_linear.py`, timed at n and 8n.

    python bench/shapes.py [--rounds R] [SHAPE ...]

The tests prove the cost linear by counting work (the core's steps, and every look at a
node's children); this shows what the counts mean in time.  For each shape it prints
both counts at n and 8n, and the median CPU time of R runs (default 5) of
`checker.check` (every rule, text prefilters on) at each size, with the garbage
collector off.  A linear cost gives ratios near 8.
"""
from __future__ import annotations

import argparse
import ast
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_linear import SHAPES, child_looks, steps  # noqa: E402

from flake8_sqla_session.checker import check  # noqa: E402
from flake8_sqla_session.settings import Settings  # noqa: E402


def median_cpu(source: str, rounds: int) -> float:
    tree = ast.parse(source)
    times = []
    for _ in range(rounds):
        start = time.process_time()
        check(tree, Settings(), "module.py", source)
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("shapes", nargs="*", help="shape names (default: every shape)")
    args = parser.parse_args(argv)
    names = args.shapes or list(SHAPES)
    gc.disable()
    print(f"{'shape':45} {'n':>4} {'steps n / 8n':>16} {'ratio':>6} {'looks n / 8n':>16} {'ratio':>6} "
          f"{'ms n / 8n':>14} {'ratio':>6}")
    for name in names:
        generate, n = SHAPES[name]
        small, large = generate(n), generate(8 * n)
        steps_small, steps_large = steps(small)[0], steps(large)[0]
        looks_small, looks_large = child_looks(small), child_looks(large)
        time_small, time_large = median_cpu(small, args.rounds), median_cpu(large, args.rounds)
        print(
            f"{name:45} {n:>4} {steps_small:>7} / {steps_large:<6} {steps_large / steps_small:>6.1f} "
            f"{looks_small:>7} / {looks_large:<6} {looks_large / looks_small:>6.1f} "
            f"{time_small * 1000:>6.1f} / {time_large * 1000:<6.1f} "
            f"{time_large / time_small if time_small else float('nan'):>6.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
