"""Where results go: output paths checked before the work, and files replaced atomically.

Before the long work, each output's directory is shown to be writable (a temporary file
is created there and removed) with enough free space for what will be written, so a
doomed run fails in its first second. A crash, a kill, Ctrl-C or a fault of the machine
mid-write never leaves a half-written file, and never destroys the previous one; the
fault becomes a `StorageError` naming the file (`sigae.core.faults`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from sigae.core.faults import writing
from sigae.core.paths import PathLike
from sigae.errors import SigaeError, StorageError


def check_output_file(path: PathLike, suffixes: Sequence[str], *,
                      inputs: Sequence[PathLike | None] = (), needed_bytes: int = 0) -> Path:
    """Refuses a bad output file before any work is done, and returns it as a `Path`.

    Args:
        path: The file to write.
        suffixes: Allowed extensions, e.g. `(".sigae",)`.
        inputs: Files the command reads; the output must be none of them.
        needed_bytes: About how much will be written; the directory must have it free.

    Raises:
        SigaeError: For a wrong extension, a directory, a missing parent directory or
            an output that is also an input.
        StorageError: If the directory cannot be written to, or has too little space.
    """
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise SigaeError(
            f"{out}: output must end in {' or '.join(suffixes)}; received "
            f"{out.suffix or 'no extension'}."
        )
    if out.is_dir():
        raise SigaeError(f"{out}: is a directory; give an output file name.")
    if not out.parent.is_dir():
        raise SigaeError(f"{out}: the directory {out.parent} does not exist; create it first.")
    for source in inputs:
        if source is not None and Path(source).exists() and out.exists() and os.path.samefile(
                source, out):
            raise SigaeError(f"{out}: is also an input; choose another output file.")
    check_writable(out, needed_bytes)
    return out


def check_writable(path: PathLike, needed_bytes: int = 0) -> None:
    """Shows that `path` can be written: a temporary file is created and removed in its
    directory, and the file system has `needed_bytes` free.

    Raises:
        StorageError: Naming `path`, the fault and the fix, or how much space is needed
            and how much is free.
    """
    target = Path(path)
    with writing(target):
        fd, probe = tempfile.mkstemp(prefix=".sigae-probe-", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
        free = shutil.disk_usage(target.parent).free
    if needed_bytes > free:
        raise StorageError(
            f"cannot write {target}: it needs about {format_bytes(needed_bytes)} but "
            f"{target.parent} has {format_bytes(free)} free; free space or choose another --out")


def output_directory(path: PathLike) -> Path:
    """Returns the directory `path`, created if missing (its parent must exist).

    Raises:
        SigaeError: If `path` is a file, or its parent directory does not exist.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise SigaeError(f"{out}: exists and is not a directory; give a directory for --out.")
    if not out.parent.is_dir():
        raise SigaeError(f"{out}: the directory {out.parent} does not exist; create it first.")
    with writing(out):
        out.mkdir(exist_ok=True)
    check_writable(out / "probe")
    return out


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `path`; on success it becomes `path` atomically.

    The caller writes the temporary file completely. It is then flushed to disk (fsync),
    renamed over `path` (atomic on POSIX within one directory) and the directory entry is
    synced. On any exception the temporary file is removed and `path` is untouched.
    The temporary name keeps the final suffix, for writers that check it (Keras).
    """
    target = Path(path)
    parent = target.parent
    if target.is_dir():
        raise SigaeError(f"{target}: is a directory; give an output file name.")
    if not parent.is_dir():
        raise SigaeError(f"{target}: the directory {parent} does not exist; create it first.")
    with writing(target):
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        fd, temporary = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=parent
        )
        os.close(fd)
    temporary_path = Path(temporary)
    try:
        with writing(target):
            os.chmod(temporary, mode)
            yield temporary_path
            with open(temporary_path, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
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


def format_bytes(count: float) -> str:
    """E.g. `512 bytes`, `3.2 MB`, `2004.0 TB`."""
    if count < 1000:
        return f"{count:.0f} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        count /= 1000
        if count < 1000 or unit == "TB":
            break
    return f"{count:.1f} {unit}"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
