"""Real-world precision corpus: install real SQLAlchemy users' sources, lint them, count.

    python bench/real_world.py install DIR           # pip --no-deps --target DIR/<package> for each package
    python bench/real_world.py run DIR [--out FILE]  # flake8 --select SQS --extend-select SQS401 over DIR
    python bench/real_world.py run DIR --source SRC  # the same with the detection core at SRC
                                                     # (a directory holding a flake8_sqla_session/ package)
    python bench/real_world.py run --apps [--out FILE]   # the application corpus (bench/apps.json,
                                                     # `python bench/apps.py prepare` first): flake8's
                                                     # default selection, then --select SQS401 alone

`install` uses the ordinary pip client only (wheels, `--no-deps`, into a target
directory, never into the running environment), plus SQLAlchemy's source
distribution for its `examples/` directory.  `run` prints one markdown table:
package, version, files, lines, findings per code; `--out` keeps the raw
findings (one flake8 line each) for reading them in context.

See docs/real-world.md for the results and what was learned from them.
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

# (directory under DIR, pip requirement).  Pinned: the counts in docs/real-world.md are for these.
PACKAGES: tuple[tuple[str, str], ...] = (
    ("apache-airflow-core", "apache-airflow-core==3.3.2"),
    ("apache-airflow-providers-common-sql", "apache-airflow-providers-common-sql==2.4.0"),
    ("apache-airflow-providers-fab", "apache-airflow-providers-fab==3.10.2"),
    ("mlflow-skinny", "mlflow-skinny==3.17.2"),
    ("alembic", "alembic==1.20.1"),
    ("flask-sqlalchemy", "flask-sqlalchemy==3.1.1"),
    ("sqlalchemy-utils", "sqlalchemy-utils==0.43.0"),
    ("sqlmodel", "sqlmodel==0.0.50"),
    ("fastapi-users-db-sqlalchemy", "fastapi-users-db-sqlalchemy==7.0.0"),
    ("flask-appbuilder", "flask-appbuilder==5.3.0"),
    ("apache-superset", "apache-superset==6.1.0"),
    ("sqladmin", "sqladmin==0.32.0"),
    ("databases", "databases==0.9.0"),
    ("celery", "celery==5.7.0"),
    ("kombu", "kombu==5.7.0"),
    ("optuna", "optuna==5.0.0"),
    ("prefect", "prefect==3.9.1"),
    ("dagster", "dagster==1.13.29"),
    ("aiida-core", "aiida-core==2.9.4"),
    ("advanced-alchemy", "advanced-alchemy==1.12.0"),
    ("sqlalchemy-continuum", "sqlalchemy-continuum==2.0.0"),
    ("sqlalchemy-mixins", "sqlalchemy-mixins==2.0.5"),
    ("sqlacodegen", "sqlacodegen==4.0.4"),
    ("zope.sqlalchemy", "zope.sqlalchemy==4.1"),
    ("flask-admin", "flask-admin==2.2.1"),
    ("flask-security-too", "flask-security-too==5.9.2"),
    ("marshmallow-sqlalchemy", "marshmallow-sqlalchemy==1.6.0"),
    ("pyramid-sqlalchemy", "pyramid-sqlalchemy==1.6"),
    ("apscheduler", "apscheduler==3.11.3"),
    ("oslo.db", "oslo.db==18.1.1"),
    ("nova", "nova==34.0.0"),
    ("gnocchi", "gnocchi==4.7.1"),
    ("buildbot", "buildbot==4.3.0"),
    ("indico", "indico==3.2.9"),
    ("ckan", "ckan==2.12.0"),
    ("great-expectations", "great-expectations==1.24.1"),
    ("open-webui", "open-webui==0.12.4"),
    ("arize-phoenix", "arize-phoenix==20.26.1"),
    ("meltano", "meltano==4.4.1"),
    ("feast", "feast==0.67.0"),
    ("starlette-admin", "starlette-admin==1.0.3"),
    ("chainlit", "chainlit==2.12.0"),
    ("pgadmin4", "pgadmin4==9.18"),
    ("ihatemoney", "ihatemoney==7.2.1"),
    ("calibreweb", "calibreweb==0.6.27"),
    ("homeassistant", "homeassistant==2024.3.3"),
    ("keystone", "keystone==30.0.0"),
    ("neutron", "neutron==29.0.0"),
    ("flaskbb", "flaskbb==2.0.2"),
    ("lemur", "lemur==1.9.3"),
    ("fastapi-sqlalchemy", "fastapi-sqlalchemy==0.2.1"),
    ("fastcrud", "fastcrud==0.23.0"),
    ("quart-sqlalchemy", "quart-sqlalchemy==3.0.4"),
    ("mage-ai", "mage-ai==0.9.80"),
)
SQLALCHEMY_SDIST = "sqlalchemy==2.1.9"
EXAMPLES_DIR = "sqlalchemy-examples"
CODES = ("SQS101", "SQS102", "SQS103", "SQS104", "SQS201", "SQS202", "SQS301", "SQS401")


def pip() -> list[str]:
    return [sys.executable, "-m", "pip"]


def install(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, requirement in PACKAGES:
        target = root / name
        if target.is_dir() and any(target.glob("*.dist-info")):
            continue
        print(f"installing {requirement}", flush=True)
        subprocess.run(
            [*pip(), "install", "--quiet", "--no-deps", "--no-compile", "--target", str(target), requirement],
            check=True,
        )
    examples = root / EXAMPLES_DIR
    if not examples.is_dir():
        sdist = root / "_sdist"
        sdist.mkdir(exist_ok=True)
        print(f"downloading the {SQLALCHEMY_SDIST} source distribution", flush=True)
        subprocess.run(
            [
                *pip(), "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                "--dest", str(sdist), SQLALCHEMY_SDIST,
            ],
            check=True,
        )
        archive = next(sdist.glob("sqlalchemy-*.tar.gz"))
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/examples/" in m.name]
            tar.extractall(sdist, members=members)  # noqa: S202 - PyPI's own sdist
        extracted = next(sdist.glob("sqlalchemy-*/examples"))
        shutil.move(str(extracted), str(examples))
        shutil.rmtree(sdist)


def corpus_dirs(root: Path) -> list[Path]:
    names = [name for name, _ in PACKAGES] + [EXAMPLES_DIR]
    return [root / name for name in names if (root / name).is_dir()]


def version_of(directory: Path) -> str:
    if directory.name == EXAMPLES_DIR:
        return SQLALCHEMY_SDIST.partition("==")[2]
    for info in directory.glob("*.dist-info"):
        return info.name[: -len(".dist-info")].rpartition("-")[2]
    return "?"


_FLAKE8_EXCLUDED = frozenset({".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs"})


def python_files(directory: Path) -> list[Path]:
    """The files flake8 checks under `directory` (its default exclusions)."""
    return [
        path
        for path in directory.rglob("*.py")
        if not any(part in _FLAKE8_EXCLUDED or part.endswith(".egg") for part in path.relative_to(directory).parts)
    ]


def core_environment(source: Path | None, cwd: Path) -> tuple[dict[str, str], str]:
    """The environment for flake8 runs from `cwd` (with `--source` first on PYTHONPATH), and the
    file of the flake8_sqla_session package those runs import.

    Run from the corpus directory: from a checkout, `python -m` would import the checkout's
    package (the current directory comes first on sys.path) whatever --source says.
    """
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source.resolve()) + os.pathsep + env.get("PYTHONPATH", "")
    check = subprocess.run(
        [sys.executable, "-c", "import flake8_sqla_session; print(flake8_sqla_session.__file__)"],
        env=env, capture_output=True, text=True, check=True, cwd=cwd,
    )
    return env, check.stdout.strip()


def run(root: Path, source: Path | None, out: Path | None, jobs: str) -> int:
    root = root.resolve()
    dirs = corpus_dirs(root)
    if not dirs:
        print(f"nothing installed under {root}: run `install` first", file=sys.stderr)
        return 2
    env, core = core_environment(source, root)
    files: dict[str, list[Path]] = {d.name: python_files(d) for d in dirs}
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable, "-m", "flake8", "--isolated", "--jobs", jobs,
            "--select", "SQS", "--extend-select", "SQS401",
            *(str(d) for d in dirs),
        ],
        env=env, capture_output=True, text=True, cwd=root,
    )
    elapsed = time.monotonic() - started
    if result.returncode not in (0, 1) or result.stderr.strip():
        print(result.stderr, file=sys.stderr)
        return 2
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if out is not None:
        out.write_text("\n".join(lines) + ("\n" if lines else ""))
    counts: dict[str, collections.Counter[str]] = {d.name: collections.Counter() for d in dirs}
    prefix = str(root.resolve()) + os.sep
    for line in lines:
        path, _, rest = line.partition(":")
        package = str(Path(path).resolve()).removeprefix(prefix).split(os.sep)[0]
        code = rest.split(":", 2)[2].split()[0]
        counts.setdefault(package, collections.Counter())[code] += 1

    print(f"core: {core}; flake8 took {elapsed:.1f} s")
    print()
    print("| package | version | files | lines | " + " | ".join(CODES) + " | total |")
    print("|---|---|--:|--:|" + "--:|" * (len(CODES) + 1))
    total_files = total_lines = 0
    totals: collections.Counter[str] = collections.Counter()
    for directory in dirs:
        paths = files[directory.name]
        n_lines = sum(len(p.read_bytes().splitlines()) for p in paths)
        total_files += len(paths)
        total_lines += n_lines
        c = counts[directory.name]
        totals.update(c)
        cells = " | ".join(str(c[code]) if c[code] else "" for code in CODES)
        row = [directory.name, version_of(directory), str(len(paths)), str(n_lines), cells, str(sum(c.values()))]
        print(f"| {' | '.join(row)} |")
    cells = " | ".join(f"**{totals[code]}**" for code in CODES)
    print(f"| **all** | | **{total_files}** | **{total_lines}** | {cells} | **{sum(totals.values())}** |")
    return 0


def run_apps(cache: Path, source: Path | None, out: Path | None, jobs: str) -> int:
    """The application corpus: plain flake8 (default selection, SQS lines kept), then SQS401 alone.

    flake8 runs from the cache folder on relative paths, so the `--out` file
    names `application/path.py:line:col: code message` and diffs across machines.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import apps

    cache = cache.resolve()
    manifest = apps.load_manifest()
    dirs = apps.app_dirs(cache, manifest)
    env, core = core_environment(source, cache)
    names = [d.name for d in dirs]
    lines: list[str] = []
    elapsed: list[float] = []
    for selection in ([], ["--select", "SQS401"]):
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "flake8", "--isolated", "--jobs", jobs, *selection, *names],
            env=env, capture_output=True, text=True, cwd=cache,
        )
        elapsed.append(time.monotonic() - started)
        if result.returncode not in (0, 1) or result.stderr.strip():
            print(result.stderr, file=sys.stderr)
            return 2
        lines += [line for line in result.stdout.splitlines() if ": SQS" in line]
    lines = sorted(set(lines), key=_finding_key)
    if out is not None:
        out.write_text("\n".join(lines) + ("\n" if lines else ""))
    counts: dict[str, collections.Counter[str]] = {name: collections.Counter() for name in names}
    for line in lines:
        path, _, rest = line.partition(":")
        code = rest.split(":", 2)[2].split()[0]
        counts[Path(path).parts[0]][code] += 1
    print(
        f"core: {core}; flake8 (default selection) took {elapsed[0]:.1f} s, "
        f"--select SQS401 {elapsed[1]:.1f} s"
    )
    print()
    print("| application | version | files | lines | " + " | ".join(CODES) + " | total |")
    print("|---|---|--:|--:|" + "--:|" * (len(CODES) + 1))
    total_files = total_lines = 0
    totals: collections.Counter[str] = collections.Counter()
    for app, directory in zip(manifest, dirs):
        paths = apps.python_files(directory)
        n_lines = sum(len(p.read_bytes().splitlines()) for p in paths)
        total_files += len(paths)
        total_lines += n_lines
        c = counts[directory.name]
        totals.update(c)
        cells = " | ".join(str(c[code]) if c[code] else "" for code in CODES)
        row = [app.name, app.version, f"{len(paths):,}", f"{n_lines:,}", cells, str(sum(c.values()))]
        print(f"| {' | '.join(row)} |")
    cells = " | ".join(f"**{totals[code]}**" for code in CODES)
    print(f"| **all** | | **{total_files:,}** | **{total_lines:,}** | {cells} | **{sum(totals.values())}** |")
    return 0


def _finding_key(line: str) -> tuple[str, int, int, str]:
    path, line_no, col, rest = line.split(":", 3)
    return path, int(line_no), int(col), rest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_install = sub.add_parser("install", help="install the corpus into DIR")
    p_install.add_argument("dir", type=Path)
    p_run = sub.add_parser("run", help="lint the corpus in DIR and print the counts table")
    p_run.add_argument("dir", type=Path, nargs="?", help="the library corpus (not with --apps)")
    p_run.add_argument(
        "--apps", action="store_true", help="lint the application corpus of bench/apps.json instead"
    )
    p_run.add_argument(
        "--cache", type=Path, default=Path(__file__).resolve().parent / ".cache" / "apps",
        help="--apps: where `python bench/apps.py prepare` unpacked it",
    )
    p_run.add_argument("--source", type=Path, help="a directory holding the flake8_sqla_session package to use")
    p_run.add_argument("--out", type=Path, help="write the raw findings here")
    p_run.add_argument("--jobs", default="auto", help="flake8 --jobs (default: auto)")
    args = parser.parse_args(argv)
    if args.command == "install":
        install(args.dir)
        return 0
    if args.apps:
        return run_apps(args.cache, args.source, args.out, args.jobs)
    if args.dir is None:
        parser.error("run: DIR is required without --apps")
    return run(args.dir, args.source, args.out, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
