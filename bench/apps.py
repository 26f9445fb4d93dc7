"""The application corpus: public applications that use SQLAlchemy sessions, pinned by sha256.

    python bench/apps.py prepare [--cache DIR]   # download (pip, hash-checked) and unpack the .py files
    python bench/apps.py list [--cache DIR]      # what is unpacked: application, version, files, lines

The manifest is bench/apps.json: for each application its pinned version, the
wheel's file name and its sha256.  `prepare` asks pip for each wheel with
`pip download --no-deps --only-binary :all: --require-hashes` (pip checks the
hash), checks the sha256 again before unpacking, and unpacks only the `.py`
files into DIR/<application>/ (default bench/.cache/apps, gitignored).  An
application already unpacked at the pinned version is left as it is, so a
second `prepare` costs nothing.  Nothing is installed: the code is only read.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "apps.json"
DEFAULT_CACHE = HERE / ".cache" / "apps"
STAMP = ".sqs-bench-archive"  # in each unpacked folder: the sha256 it was unpacked from

# the folders flake8 skips by default (its --exclude), so "files" means the files flake8 checks
_FLAKE8_EXCLUDED = frozenset({".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs"})


@dataclass(frozen=True)
class App:
    name: str
    version: str
    archive: str
    sha256: str
    sessions: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def load_manifest(path: Path = MANIFEST) -> list[App]:
    data = json.loads(path.read_text())
    return [App(**entry) for entry in data["apps"]]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_prepared(app: App, cache: Path) -> bool:
    stamp = cache / app.name / STAMP
    return stamp.is_file() and stamp.read_text().strip() == app.sha256


def download(app: App, dest: Path) -> Path:
    """The pinned wheel, through pip, which refuses it unless its sha256 matches the manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{app.requirement} --hash=sha256:{app.sha256}\n")
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                "--require-hashes", "--dest", str(dest), "-r", str(requirements),
            ],
            check=True,
        )
    archive = dest / app.archive
    if not archive.is_file():
        raise SystemExit(f"apps: pip did not leave {app.archive} in {dest}")
    actual = sha256_of(archive)
    if actual != app.sha256:
        raise SystemExit(f"apps: {app.archive} has sha256 {actual}, the manifest pins {app.sha256}")
    return archive


def unpack(app: App, archive: Path, cache: Path) -> int:
    """Unpack the archive's .py files into cache/<name>; return how many."""
    target = cache / app.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    count = 0
    with zipfile.ZipFile(archive) as wheel:
        for member in wheel.infolist():
            name = member.filename
            if not name.endswith(".py") or ".." in Path(name).parts or name.startswith("/"):
                continue
            out = target / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(wheel.read(member))
            count += 1
    (target / STAMP).write_text(app.sha256 + "\n")
    return count


def prepare(cache: Path = DEFAULT_CACHE, apps: list[App] | None = None) -> list[Path]:
    apps = load_manifest() if apps is None else apps
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sqs-apps-") as tmp:
        for app in apps:
            if is_prepared(app, cache):
                continue
            print(f"apps: fetching {app.requirement}", flush=True)
            archive = download(app, Path(tmp))
            count = unpack(app, archive, cache)
            archive.unlink()
            print(f"apps: {app.name} {app.version}: {count} .py files", flush=True)
    return app_dirs(cache, apps)


def app_dirs(cache: Path = DEFAULT_CACHE, apps: list[App] | None = None) -> list[Path]:
    """The unpacked folders, in manifest order; exits when one is missing or stale."""
    apps = load_manifest() if apps is None else apps
    missing = [app.name for app in apps if not is_prepared(app, cache)]
    if missing:
        raise SystemExit(f"apps: not prepared under {cache}: {', '.join(missing)}; run `python bench/apps.py prepare`")
    return [cache / app.name for app in apps]


def python_files(directory: Path) -> list[Path]:
    """The files flake8 checks under `directory` (its default exclusions), sorted."""
    return sorted(
        path
        for path in directory.rglob("*.py")
        if not any(part in _FLAKE8_EXCLUDED or part.endswith(".egg") for part in path.relative_to(directory).parts)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("prepare", "list"):
        p = sub.add_parser(name)
        p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"default: {DEFAULT_CACHE}")
    args = parser.parse_args(argv)
    apps = load_manifest()
    dirs = prepare(args.cache, apps) if args.command == "prepare" else app_dirs(args.cache, apps)
    total_files = total_lines = 0
    print("| application | version | files | lines |")
    print("|---|---|--:|--:|")
    for app, directory in zip(apps, dirs):
        files = python_files(directory)
        lines = sum(len(f.read_bytes().splitlines()) for f in files)
        total_files += len(files)
        total_lines += lines
        print(f"| {app.name} | {app.version} | {len(files):,} | {lines:,} |")
    print(f"| **all** | | **{total_files:,}** | **{total_lines:,}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
