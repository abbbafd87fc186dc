"""Reading and writing the files a command is given, safely: cnncalc runs in CI on files
that arrive in pull requests, so every input may be hostile.

- Only regular files are read (a FIFO, a device or a directory is refused before it is
  opened for reading), at most `MAX_FILE_BYTES`, as UTF-8; `-` is standard input.
- Writes are atomic: a temporary file in the same folder, flushed, then renamed over the
  target, keeping its mode; on any failure the target is untouched.
- Paths named inside documents resolve within the repository root (the git top level,
  else the current folder) unless the caller allows outside paths.
"""
from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from .errors import Location, SpecError

MAX_FILE_BYTES = 16 * 2**20
STDIN = "-"


def _problem(path: str, message: str) -> SpecError:
    return SpecError.at(Location(path, 1, 1), message)


def _reason(err: OSError) -> str:
    """An OS error as words, without Python's errno tuple."""
    return (err.strerror or type(err).__name__).lower()


def read_text(path: str | Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file (or of standard input for '-').

    Raises SpecError at PATH:1:1 for anything else: a missing file, a directory, a FIFO or
    device, a file over `limit` bytes, bytes that are not UTF-8.
    """
    return decode_text(read_bytes(path, what, limit), str(path), what)


def read_bytes(path: str | Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file (or of standard input for '-'), as `read_text` reads
    them: SpecError at PATH:1:1 for a missing file, a directory, a FIFO or device, or a
    file over `limit` bytes."""
    name = str(path)
    if name == STDIN:
        data = sys.stdin.buffer.read(limit + 1)
    else:
        try:
            info = os.stat(name)  # follows symlinks: what the link points at must be regular
        except OSError as err:
            raise _problem(name, f"cannot read the {what}: {_reason(err)}") from None
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise _problem(name, f"cannot read the {what}: {kind}; expected a regular file")
        if info.st_size > limit:
            raise _problem(name, f"the {what} is {info.st_size:,} bytes; the limit is "
                                 f"{limit:,} bytes")
        try:
            # O_NONBLOCK: if the file was swapped for a FIFO since the stat, open won't hang
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise _problem(name, f"cannot read the {what}: not a regular file")
                data = handle.read(limit + 1)
        except OSError as err:
            raise _problem(name, f"cannot read the {what}: {_reason(err)}") from None
    if len(data) > limit:
        raise _problem(name, f"the {what} is larger than the limit of {limit:,} bytes")
    return data


def decode_text(data: bytes, name: str, what: str = "file") -> str:
    """Bytes read from `name` as UTF-8; SpecError at the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise SpecError.at(Location(name, line, column), f"cannot read the {what}: byte "
                                                         f"0x{data[err.start]:02x} is not "
                                                         f"UTF-8 text") from None


def _read_only(info: os.stat_result, path: str) -> bool:
    """No write permission bit set at all, or none for us (root ignores permission bits,
    so a file or folder its owner marked read-only is refused by its bits too)."""
    return not info.st_mode & 0o222 or not os.access(path, os.W_OK)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Replace the file at `path` with `data`, or leave it untouched on any failure.

    The new content goes to a temporary file in the same folder, is flushed to disk, takes
    the old file's permission bits (and owner, where allowed), and is renamed over the old
    file (rename is atomic on one file system). A symlink is refused: the caller decides
    what may be written. A read-only file or folder is refused, as an editor would.
    """
    target = Path(path)
    name = str(path)
    if target.is_symlink():
        raise _problem(name, "refusing to write through a symbolic link")
    folder = str(target.parent)
    try:
        old = target.stat() if target.exists() else None
        if old is not None and not stat.S_ISREG(old.st_mode):
            raise _problem(name, "cannot write the file: not a regular file")
        if old is not None and _read_only(old, name):
            raise _problem(name, "cannot write the file: it is read-only; it was left as "
                                 "it was")
        if _read_only(os.stat(folder), folder):
            raise _problem(name, f"cannot write the file: its folder {folder} is read-only; "
                                 f"it was left as it was")
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=folder)
    except OSError as err:
        raise _problem(name, f"cannot write the file: {_reason(err)}; it was left as it "
                             f"was") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(old.st_mode) if old else 0o644)
        if old is not None and hasattr(os, "getuid") and (old.st_uid, old.st_gid) != (
                os.getuid(), os.getgid()):
            try:
                os.chown(temporary, old.st_uid, old.st_gid)
            except OSError:
                pass  # only root may give a file away; the content is what matters
        os.replace(temporary, target)
    except OSError as err:
        _remove(temporary)
        raise _problem(name, f"cannot write the file: {_reason(err)}; it was left as it "
                             f"was") from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(temporary: str) -> None:
    try:
        os.unlink(temporary)
    except OSError:
        pass


def git_top_level(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` that holds `.git`, if any."""
    here = (start or Path.cwd()).resolve()
    return next((f for f in (here, *here.parents) if (f / ".git").exists()), None)


def repository_root(start: Path | None = None) -> Path:
    """The git top level above `start` (a folder with `.git`), else `start` itself."""
    return git_top_level(start) or (start or Path.cwd()).resolve()


def inside(path: str | Path, root: Path) -> bool:
    """Whether `path`, with every symlink resolved, lies within `root`."""
    try:
        Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
