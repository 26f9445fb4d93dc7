"""Reading and writing user files without ever losing one.

A file is read as bytes, decoded with its own encoding (coding cookie or BOM),
and written back with the same encoding and newlines, atomically (a temporary
file in the same folder, then `os.replace`), with its mode kept, and only if
it did not change on disk in the meantime.
"""
from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass


class FileError(Exception):
    """A file that cannot be read, decoded or written; the message says why, for the user."""


@dataclass(frozen=True)
class SourceFile:
    path: str  # the path as given, for messages
    real_path: str  # where the bytes live (symlinks resolved)
    data: bytes
    text: str
    encoding: str
    mtime_ns: int
    size: int


def read_source(path: str) -> SourceFile:
    real_path = os.path.realpath(path)
    try:
        with open(real_path, "rb") as handle:
            st = os.fstat(handle.fileno())
            data = handle.read()
    except IsADirectoryError:
        raise FileError("is a directory") from None
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None
    hint = "; add a coding cookie (# -*- coding: latin-1 -*-) or save it as UTF-8"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # detect_encoding already tried UTF-8 on the first lines, or found a bad cookie.
        if "encoding declaration" in str(exc) and b"coding" not in data[:400]:
            raise FileError(f"cannot decode as utf-8 (no coding cookie){hint}") from None
        raise FileError(f"cannot decode: {exc}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        if not encoding.startswith("utf-8"):
            hint = ""
        raise FileError(f"cannot decode as {encoding}: {reason}{hint}") from None
    return SourceFile(path, real_path, data, text, encoding, st.st_mtime_ns, st.st_size)


def write_source(source: SourceFile, new_text: str) -> None:
    """Replace the file's content with `new_text`, atomically, in its own encoding and mode."""
    try:
        data = new_text.encode(source.encoding)
    except UnicodeEncodeError as exc:
        raise FileError(
            f"the fixed text cannot be encoded as {source.encoding}: {exc.reason}; nothing written"
        ) from None
    real_path = source.real_path
    try:
        st = os.stat(real_path)
    except OSError as exc:
        raise FileError(f"disappeared while being fixed ({exc.strerror}); nothing written") from None
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(real_path, os.W_OK):
        raise FileError("is read-only; nothing written (make it writable to fix it)")
    folder = os.path.dirname(real_path) or "."
    try:
        fd, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(real_path)}.", suffix=".sqla-fix")
    except OSError as exc:
        raise FileError(f"cannot write in {folder}: {exc.strerror}; nothing written") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, stat.S_IMODE(st.st_mode))
        if _changed_on_disk(source):
            raise FileError("changed on disk while being fixed; nothing written (run again)")
        os.replace(temp_path, real_path)
    except BaseException as exc:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise FileError(f"cannot write: {exc.strerror or exc}; the file is unchanged") from None
        raise


def _changed_on_disk(source: SourceFile) -> bool:
    try:
        st = os.stat(source.real_path)
        if st.st_mtime_ns != source.mtime_ns or st.st_size != source.size:
            return True
        with open(source.real_path, "rb") as handle:
            return handle.read() != source.data
    except OSError:
        return True
