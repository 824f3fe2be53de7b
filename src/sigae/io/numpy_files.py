"""NumPy `.npy` (read in blocks) and `.npz` readers. Nothing is ever unpickled."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from sigae.core.faults import is_machine_fault, read_error
from sigae.errors import DataError
from sigae.io.arrays import NpyFile
from sigae.io.found import INDEX_NAMES, Found, check_declared_size, choose, describe, reason

_PICKLED = (
    "holds Python objects (a pickled array), which sigae never loads because unpickling "
    "can run code. Save a numeric array with np.save(path, array.astype('float32'))."
)


def read_header(handle: IO[bytes], path: Path, what: str) -> tuple[tuple[int, ...], bool, Any]:
    """Reads an `.npy` header: `(shape, fortran_order, dtype)`, refusing object arrays.

    `what` names the array inside `path` for messages (empty for a `.npy` file itself).
    """
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(handle)
        else:
            header = np.lib.format.read_array_header_2_0(handle)
    except (ValueError, EOFError, OSError, SyntaxError) as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: {what + ' ' if what else ''}is not a valid .npy array "
                        f"({reason(error)}).") from None
    shape, fortran_order, dtype = header
    if dtype.hasobject:
        raise DataError(f"{path}: {what + ' ' if what else ''}{_PICKLED}")
    return shape, fortran_order, dtype


def read_npy(path: Path, key: str | None) -> Found:
    """Opens an `.npy` file for reading in blocks, after checking its header against its size.

    C-order files are read with positioned reads (`NpyFile`); Fortran-order ones are
    memory-mapped. Nothing is read until the signals are used.
    """
    with open(path, "rb") as handle:
        shape, fortran_order, dtype = read_header(handle, path, "")
        offset = handle.tell()
    check_declared_size(path, "its header", shape, dtype.itemsize, path.stat().st_size - offset)
    if not fortran_order and shape:
        return Found(NpyFile(str(path), offset, shape, dtype))
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: not a valid .npy file ({reason(error)}).") from None
    return Found(array)


def read_npz(path: Path, key: str | None) -> Found:
    """Reads one array of an `.npz` archive, chosen by `key` if it holds several."""
    try:
        with zipfile.ZipFile(path) as archive:
            headers = {}
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                name = info.filename[: -len(".npy")]
                with archive.open(info) as member:
                    shape, _, dtype = read_header(member, path, f"array {name!r}")
                    header_size = member.tell()
                headers[name] = (shape, dtype, info, header_size)
            candidates = {
                name: describe(shape, dtype)
                for name, (shape, dtype, _, _) in headers.items()
                if name not in INDEX_NAMES and dtype.kind not in "SU"
            }
            if key is None and len(candidates) > 1 and all(
                    len(headers[name][0]) == 1 for name in candidates):
                return _recordings(path, headers, list(candidates))
            key = choose(path, key, candidates, "array")
            shape = headers[key][0]
            _check_member(path, key, headers[key])
            with np.load(path, allow_pickle=False) as loaded:
                array = loaded[key]
                index = _index(loaded, headers, shape)
    except DataError:  # already says what is wrong (a ValueError too)
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: not a valid .npz file ({reason(error)}).") from None
    return Found(array, key=key, index=index)


def _check_member(path: Path, name: str, header: tuple[Any, ...]) -> None:
    """Refuses an array whose declared size its zip member cannot hold, before reading it."""
    shape, dtype, info, header_size = header
    check_declared_size(path, f"array {name!r}", shape, dtype.itemsize,
                        info.file_size - header_size)
    check_declared_size(path, f"array {name!r}", (info.file_size,), 1, info.compress_size,
                        compressed=info.compress_type != zipfile.ZIP_STORED)


def _recordings(path: Path, headers: dict[str, Any], names: list[str]) -> Found:
    """Several 1-D arrays: one recording each, named by the array (they may differ in
    length)."""
    for name in names:
        _check_member(path, name, headers[name])
    with np.load(path, allow_pickle=False) as loaded:
        series = [np.asarray(loaded[name], dtype="float64")[:, None] for name in names]
    return Found(None, recordings=series, names=names)


def _index(
    loaded: Any, headers: dict[str, Any], shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The provenance sigae stored beside its results, if it matches the array."""
    if not all(name in headers and headers[name][0] == shape[:1] for name in INDEX_NAMES):
        return None
    row, start = (np.asarray(loaded[name]) for name in INDEX_NAMES)
    if row.dtype.kind not in "iu" or start.dtype.kind not in "iu":
        return None
    return row.astype("int64"), start.astype("int64")
