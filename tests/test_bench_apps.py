"""bench/apps.py: the application corpus manifest, and how an archive is unpacked and recognised."""
from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import zipfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def apps():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sqs_bench_apps", BENCH / "apps.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def test_manifest_pins_at_least_ten_applications_by_version_and_sha256(apps) -> None:
    entries = apps.load_manifest()
    assert len(entries) >= 10
    assert len({e.name for e in entries}) == len(entries)
    for entry in entries:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry.name
        # the wheel's file name carries the pinned version (PEP 427: name-version-...)
        assert entry.archive.startswith(entry.name.replace("-", "_") + "-" + entry.version + "-"), entry.name
        assert entry.archive.endswith(".whl")
        assert entry.sessions


def _wheel(path: Path) -> str:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("pkg/__init__.py", "x = 1\n")
        wheel.writestr("pkg/sub/mod.py", "y = 2\n")
        wheel.writestr("pkg/static/app.js", "var z;\n")
        wheel.writestr("pkg-1.0.dist-info/METADATA", "Name: pkg\n")
        wheel.writestr("../evil.py", "boom\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unpack_keeps_only_python_files_inside_the_target_and_stamps_the_hash(apps, tmp_path: Path) -> None:
    archive = tmp_path / "pkg-1.0-py3-none-any.whl"
    digest = _wheel(archive)
    app = apps.App("pkg", "1.0", archive.name, digest, "test")
    cache = tmp_path / "cache"
    assert not apps.is_prepared(app, cache)
    assert apps.unpack(app, archive, cache) == 2
    unpacked = sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())
    assert unpacked == ["pkg/.sqs-bench-archive", "pkg/pkg/__init__.py", "pkg/pkg/sub/mod.py"]
    assert not (cache / "evil.py").exists()
    assert apps.is_prepared(app, cache)
    assert apps.app_dirs(cache, [app]) == [cache / "pkg"]
    assert [p.name for p in apps.python_files(cache / "pkg")] == ["__init__.py", "mod.py"]


def test_a_folder_unpacked_from_another_archive_is_not_taken_for_the_pinned_one(apps, tmp_path: Path) -> None:
    archive = tmp_path / "pkg-1.0-py3-none-any.whl"
    digest = _wheel(archive)
    cache = tmp_path / "cache"
    apps.unpack(apps.App("pkg", "1.0", archive.name, digest, "test"), archive, cache)
    repinned = apps.App("pkg", "1.1", "pkg-1.1-py3-none-any.whl", "0" * 64, "test")
    assert not apps.is_prepared(repinned, cache)
    with pytest.raises(SystemExit, match="not prepared"):
        apps.app_dirs(cache, [repinned])
