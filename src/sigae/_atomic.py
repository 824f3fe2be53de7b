"""Atomic file replacement: a crash or kill mid-write never leaves a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sigae.errors import SigaeError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path beside `path`; on success it becomes `path` atomically.

    The caller writes the temporary file completely. It is then flushed to disk (fsync),
    renamed over `path` (atomic on POSIX within one directory) and the directory entry is
    synced. On any exception the temporary file is removed and `path` is untouched.
    The temporary name keeps the final suffix, for writers that check it (Keras).
    """
    target = Path(path)
    parent = target.parent
    if target.is_dir():
        raise SigaeError(f"Cannot write {target}: it is a directory. Give a file name.")
    if not parent.is_dir():
        raise SigaeError(
            f"Cannot write {target}: the directory {parent} does not exist. Create it first."
        )
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=parent
    )
    os.close(fd)
    os.chmod(temporary, mode)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        with open(temporary_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary_path.unlink()
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
