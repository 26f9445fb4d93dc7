"""Run flake8 with or without the flake8-sqla-session plugin, in the same interpreter.

    python bench/flake8_entry.py [--without-sqs] FLAKE8-ARGS...

Both the "with" and the "without" runs of bench/bench.py go through this file, so
they pay the same start-up.  `--without-sqs` hides the flake8-sqla-session
distribution from `importlib.metadata.distributions()`, which is where flake8
finds plugins (flake8.plugins.finder._find_importlib_plugins); nothing else of
the environment changes.  The filter runs in both modes (it only drops the
distribution in the "without" one), so both pay its small cost.  The patch is applied at import time, outside the
`__main__` guard, so it also holds in worker processes started with `spawn`
(multiprocessing re-imports this file there as `__mp_main__`); with `fork` the
workers inherit the parent's already loaded plugin list anyway.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import sys

HIDDEN = "flake8-sqla-session"
ENV = "SQS_BENCH_WITHOUT_PLUGIN"


def _normalize(name: str | None) -> str:
    return re.sub(r"[-_.]+", "-", name or "").lower()


if "--without-sqs" in sys.argv:
    sys.argv.remove("--without-sqs")
    os.environ[ENV] = "1"  # inherited by spawned workers

_HIDE = os.environ.get(ENV) == "1"
_distributions = importlib.metadata.distributions


def _filtered(**kwargs):  # type: ignore[no-untyped-def]
    # The name is looked up in both modes so that both pay the same.
    for dist in _distributions(**kwargs):
        if not (_normalize(dist.metadata["name"]) == HIDDEN and _HIDE):
            yield dist


importlib.metadata.distributions = _filtered  # type: ignore[assignment]


if __name__ == "__main__":
    from flake8.main.cli import main

    sys.exit(main())
