"""Faults of the machine, not of the input: a full disk, a read-only place, a permission, an
I/O error, too many open files. Each becomes a `StorageError` saying what could not be done
to which file, why, and what to do: `cannot write codes.csv: no space left on device
(errno 28); free space or choose another --out`.

`writing(path)` and `reading(path)` wrap the code that touches a file; the command line
turns the error into one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator

from sigae.core.paths import PathLike
from sigae.errors import StorageError

# What to do about each fault, when writing and when reading.
_WRITE_FIX = {
    errno.ENOSPC: "free space or choose another --out",
    errno.EDQUOT: "free space within your quota or choose another --out",
    errno.EROFS: "the file system is read-only; choose another --out",
    errno.EACCES: "choose a place you may write to, or change its permissions",
    errno.EPERM: "choose a place you may write to, or change its permissions",
    errno.ENOENT: "create the directory first, or choose another --out",
    errno.ENOTDIR: "a part of the path is a file, not a directory; choose another --out",
    errno.EIO: "the device failed; check the disk (dmesg) and try again",
    errno.EFBIG: "the file is larger than this file system allows; choose another --out",
    errno.EMFILE: "raise the limit (ulimit -n) or close other programs, and try again",
    errno.ENFILE: "the system's table of open files is full; try again later",
}
_READ_FIX = {
    errno.EACCES: "make the file readable",
    errno.EPERM: "make the file readable",
    errno.ENOENT: "check the path",
    errno.EIO: "the device failed; check the disk (dmesg) and try again",
    errno.EMFILE: "raise the limit (ulimit -n) or close other programs, and try again",
    errno.ENFILE: "the system's table of open files is full; try again later",
}
MACHINE_FAULTS = frozenset(_WRITE_FIX)
"""The errno values that are the machine's faults rather than a damaged file."""


def errno_of(error: BaseException) -> int | None:
    """The errno of an OS error, also where a library only wrote it into the message
    (HDF5: `errno = 28`; Arrow: `[Errno 28]`)."""
    if isinstance(error, OSError) and error.errno is not None:
        return error.errno
    found = re.search(r"errno\s*=?\s*(\d+)|\[Errno (\d+)\]", str(error), re.IGNORECASE)
    return int(found.group(1) or found.group(2)) if found else None


def is_machine_fault(error: BaseException) -> bool:
    """Whether `error` is one of `MACHINE_FAULTS` (as opposed to, say, a damaged file)."""
    return isinstance(error, OSError) and errno_of(error) in MACHINE_FAULTS


def describe(error: BaseException) -> str:
    """E.g. `no space left on device (errno 28)`."""
    code = errno_of(error)
    if code is None:
        lines = str(error).strip().splitlines()
        return lines[0] if lines else type(error).__name__
    text = os.strerror(code)
    return f"{text[0].lower()}{text[1:]} (errno {code})"


def write_error(path: PathLike, error: BaseException) -> StorageError:
    """The error for a failure to write `path`."""
    fix = _WRITE_FIX.get(errno_of(error) or -1, "check the disk and the path, and try again")
    return StorageError(f"cannot write {path}: {describe(error)}; {fix}", errno_of(error))


def read_error(path: PathLike, error: BaseException) -> StorageError:
    """The error for a failure to read `path`."""
    fix = _READ_FIX.get(errno_of(error) or -1, "check the disk and the path, and try again")
    return StorageError(f"cannot read {path}: {describe(error)}; {fix}", errno_of(error))


@contextlib.contextmanager
def writing(path: PathLike) -> Iterator[None]:
    """Turns an OS error raised inside into a `StorageError` about writing `path`."""
    try:
        yield
    except OSError as error:
        raise write_error(path, error) from error


@contextlib.contextmanager
def reading(path: PathLike) -> Iterator[None]:
    """Turns an OS error that is a machine fault into a `StorageError` about reading
    `path`; other OS errors (a damaged file) pass through to the reader's own handling."""
    try:
        yield
    except OSError as error:
        if is_machine_fault(error):
            raise read_error(path, error) from error
        raise
