"""Reading and writing user files without ever losing one.

A file is read as bytes, decoded with its own encoding (coding cookie or BOM),
and written back with the same encoding and newlines.  The write never
overwrites a save made meanwhile:

1. the new text goes to a temporary file in the same folder, with the
   original's mode, owner, group and extended attributes (ACLs included);
2. the original is renamed aside, atomically, and compared with the bytes that
   were read: if it differs, someone wrote to it, and it is put back;
3. the new file is hard-linked into place, which fails if any file was created
   at that name meanwhile (an editor's save by rename); the aside copy is put back;
4. the aside copy is compared once more (an editor that opened the original
   before step 2 writes into it): if it changed, it replaces the fix.

On Linux a write lease on the original, taken before step 2, makes this
airtight: it is granted only while no other program has the file open, and is
broken (which step 4 sees) when one opens it.

What a rename cannot keep is refused or kept by hand: a file with other hard
links is not written (a new file would split them); mode, owner, group and
extended attributes are copied.  Without leases (other systems, network file
systems) one window is left: a program that opened the original before step 2
and writes into it after step 4; its write lands in the old, unlinked copy.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from dataclasses import dataclass

from ..decoding import python_encoding


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


def decode_source(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a module's bytes, as Python reads them: coding cookie, BOM, else UTF-8.

    The fixer's, for files and stdin: the package's one decoder (`decoding.py`), with a
    message for the user when it fails.  `encoding` is `utf-8-sig` when there is a BOM,
    so encoding the text again puts the BOM back.
    """
    hint = "; add a coding cookie (# -*- coding: latin-1 -*-) or save it as UTF-8"
    try:
        encoding = python_encoding(data)
    except SyntaxError as exc:  # a cookie Python rejects
        raise FileError(f"cannot decode: {exc}") from None
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        if not encoding.startswith("utf-8"):
            hint = ""
        raise FileError(f"cannot decode as {encoding}: {reason}{hint}") from None


def source_from_bytes(name: str, data: bytes) -> SourceFile:
    """A SourceFile for bytes that have no file (stdin)."""
    text, encoding = decode_source(data)
    return SourceFile(name, name, data, text, encoding, 0, len(data))


def is_regular(path: str) -> bool:
    """Whether `path` (followed through symlinks) is a regular file; True when it cannot be told."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # reading it will say what is wrong


def read_source(path: str) -> SourceFile:
    real_path = os.path.realpath(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        fd = os.open(real_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise FileError("is a directory") from None
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None
    try:
        with open(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise FileError("is a directory")
            if not stat.S_ISREG(st.st_mode):
                raise FileError("not a regular file (a FIFO, socket or device); not read")
            data = handle.read()
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None
    text, encoding = decode_source(data)
    return SourceFile(path, real_path, data, text, encoding, st.st_mtime_ns, st.st_size)


def write_source(source: SourceFile, new_text: str) -> None:
    """Replace the file's content with `new_text`, unless it changed since it was read (see the module doc)."""
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
    if st.st_nlink > 1:
        raise FileError(
            f"has {st.st_nlink} hard links; a fixed copy would split them; nothing written (fix it through a copy)"
        )
    folder = os.path.dirname(real_path) or "."
    base = os.path.basename(real_path)
    try:
        fd, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".sqla-fix")
    except OSError as exc:
        raise FileError(f"cannot write in {folder}: {exc.strerror}; nothing written") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _copy_metadata(real_path, temp_path, st)
        _swap_in(source, temp_path, folder, base)
    except OSError as exc:
        raise FileError(f"cannot write: {exc.strerror or exc}; the file is unchanged") from None
    finally:
        _remove(temp_path)  # after a success, only the second name of the new file


def _swap_in(source: SourceFile, temp_path: str, folder: str, base: str) -> None:
    real_path = source.real_path
    with _Exclusive(real_path) as guard:
        fd, aside = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".sqla-orig")
        os.close(fd)
        try:
            os.replace(real_path, aside)  # the original, out of reach of new saves
        except FileNotFoundError:
            _remove(aside)
            raise FileError("disappeared while being fixed; nothing written") from None
        except OSError:
            _remove(aside)
            raise
        # Read through the held descriptor: opening the file again would break the lease.
        if not guard.same_file(aside) or guard.read() != source.data:
            _put_back(aside, real_path)
            raise FileError("changed on disk while being fixed; nothing written (run again)")
        try:
            _link(temp_path, real_path)
        except FileExistsError:  # saved anew meanwhile: that save stays
            _put_back(aside, real_path)
            raise FileError("changed on disk while being fixed; nothing written (run again)") from None
        except OSError:
            _put_back(aside, real_path)
            raise
        if guard.broken() or guard.read() != source.data:  # opened (or written) through its old name
            os.replace(aside, real_path)
            raise FileError("changed on disk while being fixed; nothing written (run again)")
        _remove(aside)


class _Exclusive:
    """A write lease (Linux) on the original: taken only when no other program has it open,
    and broken (so seen) when one opens it, until the swap is done.

    Where leases do not exist, the content checks alone guard the swap; the window
    left is a program that opened the file before the swap and writes after it.
    """

    RETRIES = 5

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1
        self.leased = False

    def __enter__(self) -> _Exclusive:
        try:
            self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise FileError("disappeared while being fixed; nothing written") from None
        try:
            import fcntl
            import signal

            # A lease break signals its holder: SIGIO by default, which would end the run.
            fcntl.fcntl(self.fd, fcntl.F_SETSIG, signal.SIGWINCH)
            for attempt in range(self.RETRIES):
                try:
                    fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
                    self.leased = True
                    break
                except BlockingIOError:
                    if attempt == self.RETRIES - 1:
                        raise FileError(
                            "is open in another program while being fixed; nothing written (run again)"
                        ) from None
                    import time

                    time.sleep(0.01 * (attempt + 1))
        except (ImportError, AttributeError, OSError):
            self.leased = False  # no leases here (not Linux, a network file system, not the owner)
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def same_file(self, path: str) -> bool:
        try:
            held, there = os.fstat(self.fd), os.stat(path)
        except OSError:
            return False
        return (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino)

    def read(self) -> bytes:
        chunks: list[bytes] = []
        os.lseek(self.fd, 0, os.SEEK_SET)
        while True:
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def broken(self) -> bool:
        if not self.leased:
            return False
        import fcntl

        return bool(fcntl.fcntl(self.fd, fcntl.F_GETLEASE) != fcntl.F_WRLCK)

    def __exit__(self, *exc: object) -> None:
        if self.leased:
            import fcntl

            try:
                fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
            except OSError:
                pass
        os.close(self.fd)


def _put_back(aside: str, real_path: str) -> None:
    """Return the aside original to its name; if a new file took the name, that newer one stays."""
    try:
        _link(aside, real_path)
    except FileExistsError:
        # A save took the name meanwhile; without the fix running it would have replaced
        # the original just the same (a rename), or rewritten it (an open): it stays.
        pass
    _remove(aside)


def _link(temp_path: str, real_path: str) -> None:
    """Give the new file its name, failing if the name exists."""
    try:
        os.link(temp_path, real_path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        # A file system without hard links: create the name exclusively and copy into it.
        st = os.stat(temp_path)
        fd = os.open(real_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with open(temp_path, "rb") as new, os.fdopen(fd, "wb") as handle:
            handle.write(new.read())
            handle.flush()
            os.fsync(handle.fileno())
        _copy_metadata(temp_path, real_path, st)


def _copy_metadata(original: str, new: str, st: os.stat_result) -> None:
    """Owner, group, extended attributes (so ACLs) and mode of `original` onto `new`; FileError if one cannot be."""
    new_st = os.stat(new)
    if hasattr(os, "chown") and (new_st.st_uid, new_st.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.chown(new, st.st_uid, st.st_gid)
        except OSError:
            raise FileError(
                f"is owned by {st.st_uid}:{st.st_gid}, and a fixed copy could not be given that owner and group; "
                "nothing written (run as its owner, or as root)"
            ) from None
    for name in _xattrs(original):
        value = os.getxattr(original, name)
        try:
            if name not in _xattrs(new) or os.getxattr(new, name) != value:
                os.setxattr(new, name, value)
        except OSError as exc:
            raise FileError(f"cannot keep its extended attribute {name} ({exc.strerror}); nothing written") from None
    os.chmod(new, stat.S_IMODE(st.st_mode))  # after chown, which may clear set-id bits


def _xattrs(path: str) -> list[str]:
    if not hasattr(os, "listxattr"):
        return []
    try:
        return os.listxattr(path)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            return []
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
