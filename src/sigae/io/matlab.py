"""MATLAB `.mat` files: v4 through scipy.io, v5-v7 by sigae's own strict parser, v7.3
(HDF5) through h5py.

Arrays come out as MATLAB shows them (rows x columns), whatever the file's storage
order. MATLAB stores signals as rows or as columns equally often, so a 2-D matrix is
ambiguous unless `--layout` or the model's length settles it.

Why not scipy.io for v5: its compiled reader indexes a table with the type code of each
data element unchecked, so a damaged file crashes the whole process (a segmentation
fault, no exception). In 4,000 randomly damaged copies of a small v5 file, scipy 1.17.1
crashed on 4, some of them only when the process's memory happened to hold other data;
the damage was a type code out of range and a complex flag without an imaginary part.
sigae needs only numeric matrices from a v5 file, so it reads them itself, checking every
tag, size and flag against the bytes that are there.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigae.errors import DataError
from sigae.io import hdf5
from sigae.io.found import MAX_COMPRESSION, Found, check_declared_size, choose, describe, reason

V73_TEXT = b"MATLAB 7.3 MAT-file"
_NUMERIC = {"double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32",
            "int64", "uint64", "logical"}
_BYTES = {"double": 8, "single": 4, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
          "int32": 4, "uint32": 4, "int64": 8, "uint64": 8, "logical": 1}
# MAT v5 storage types (miINT8 ...) and array classes (mxCELL_CLASS ...).
_STORAGE = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8",
            13: "u8"}
_TEXT_TYPES = {16, 17, 18}  # miUTF8, miUTF16, miUTF32
_MATRIX, _COMPRESSED = 14, 15
_CLASSES = {1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 6: "double",
            7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32",
            13: "uint32", 14: "int64", 15: "uint64", 16: "function_handle", 17: "opaque"}
_COMPLEX, _LOGICAL = 0x08, 0x02


def read_mat(path: Path, key: str | None) -> Found:
    with open(path, "rb") as handle:
        head = handle.read(128)
    if head.startswith(V73_TEXT):
        return _read_v73(path, key)
    if head[126:128] in (b"IM", b"MI"):
        return _read_v5(path, key)
    return _read_v4(path, key)


def _read_v4(path: Path, key: str | None) -> Found:
    import scipy.io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            variables = scipy.io.whosmat(path)
    except Exception as error:  # scipy raises many types for corrupt files
        raise DataError(f"{path}: not a readable MATLAB file ({reason(error)}).") from None
    key, _, _ = _choose(path, key, variables)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = scipy.io.loadmat(path, variable_names=[key], squeeze_me=False)[key]
    except Exception as error:
        raise DataError(f"{path}: variable {key!r} is damaged ({reason(error)}).") from None
    return Found(np.asarray(array), key=key, convention="matlab")


def _choose(path: Path, key: str | None, variables: list[tuple[str, tuple[int, ...], str]]
            ) -> tuple[str, tuple[int, ...], str]:
    """The numeric variable to read, its declared size checked against the file."""
    candidates = {name: f"({'x'.join(map(str, shape))} {kind})"
                  for name, shape, kind in variables if kind in _NUMERIC}
    others = [f"{name} ({kind})" for name, _, kind in variables if kind not in _NUMERIC]
    if not candidates and others:
        raise DataError(f"{path}: holds no numeric matrix, only {', '.join(others)}.")
    key = choose(path, key, candidates, "variable")
    shape, kind = next((s, k) for n, s, k in variables if n == key)
    check_declared_size(path, f"variable {key!r}", shape, _BYTES[kind], path.stat().st_size,
                        compressed=True)
    return key, shape, kind


@dataclass(frozen=True)
class _Matrix:
    name: str
    shape: tuple[int, ...]
    kind: str
    data: bytes  # the matrix element's content
    real: int  # offset of the real part's tag in `data`, or -1
    endian: str


def _read_v5(path: Path, key: str | None) -> Found:
    data = path.read_bytes()
    endian = ">" if data[126:128] == b"MI" else "<"
    try:
        matrices = list(_matrices(data, endian, budget=[MAX_COMPRESSION * len(data)]))
    except _DamagedError as error:
        raise DataError(f"{path}: not a readable MATLAB file ({error}).") from None
    if not matrices:
        raise DataError(f"{path}: not a readable MATLAB file (it holds no variable).")
    key, _shape, _kind = _choose(path, key, [(m.name, m.shape, m.kind) for m in matrices])
    matrix = next(m for m in matrices if m.name == key)
    try:
        return Found(_values(matrix), key=key, convention="matlab")
    except _DamagedError as error:
        raise DataError(f"{path}: variable {key!r} is damaged ({error}).") from None


class _DamagedError(Exception):
    """A MAT v5 structure that does not match its bytes."""


def _tag(data: bytes, offset: int, end: int, endian: str) -> tuple[int, int, int]:
    """`(type, size, offset of the content)` of the element at `offset`."""
    if offset + 8 > end:
        raise _DamagedError(f"an element tag at byte {offset} runs past the end")
    mdtype, size = struct.unpack(f"{endian}II", data[offset : offset + 8])
    if mdtype >> 16:  # a small element: size and type in four bytes, content in the next four
        mdtype, size = mdtype & 0xFFFF, mdtype >> 16
        if size > 4:
            raise _DamagedError(f"a small element at byte {offset} declares {size} bytes")
        return mdtype, size, offset + 4
    if offset + 8 + size > end:
        raise _DamagedError(f"an element at byte {offset} declares {size} bytes, past the end")
    return mdtype, size, offset + 8


def _next(offset: int, mdtype: int, size: int, small: bool) -> int:
    return offset + 8 if small else offset + 8 + -(-size // 8) * 8


def _matrices(data: bytes, endian: str, budget: list[int]) -> Iterator[_Matrix]:
    """Every top-level variable of a v5 file, its header parsed and checked."""
    offset = 128
    while offset < len(data):
        mdtype, size, content = _tag(data, offset, len(data), endian)
        if mdtype == _COMPRESSED:
            try:
                inflated = zlib.decompressobj().decompress(data[content : content + size],
                                                           budget[0] + 1)
            except zlib.error as error:
                raise _DamagedError(f"compressed data at byte {offset}: {error}") from None
            budget[0] -= len(inflated)
            if budget[0] < 0:
                raise _DamagedError(f"compressed data at byte {offset} inflates implausibly")
            inner, inner_size, inner_content = _tag(inflated, 0, len(inflated), endian)
            if inner != _MATRIX:
                raise _DamagedError(f"compressed data at byte {offset} holds no matrix")
            yield _matrix(inflated[inner_content : inner_content + inner_size], endian)
            offset = content + size
        elif mdtype == _MATRIX:
            yield _matrix(data[content : content + size], endian)
            offset = _next(offset, mdtype, size, small=False)
        else:
            raise _DamagedError(f"an element of type {mdtype} at byte {offset}, where a variable "
                           "belongs")


def _matrix(data: bytes, endian: str) -> _Matrix:
    """The header of a matrix element: flags, dimensions, name; where its values start."""
    if not data:  # MATLAB writes an empty variable as an empty element
        return _Matrix("", (0, 0), "double", data, -1, endian)
    fields, offset = [], 0
    for wanted in ("flags", "dimensions", "name"):
        mdtype, size, content = _tag(data, offset, len(data), endian)
        fields.append((mdtype, data[content : content + size]))
        offset = _next(offset, mdtype, size, small=content == offset + 4)
        if wanted == "flags" and (mdtype != 6 or size != 8):
            raise _DamagedError("the array flags are malformed")
        if wanted == "dimensions" and (mdtype != 5 or size % 4 or size < 8):
            raise _DamagedError("the dimensions are malformed")
        if wanted == "name" and mdtype not in (1, 2, *_TEXT_TYPES):
            raise _DamagedError("the variable name is malformed")
    flags = struct.unpack(f"{endian}II", fields[0][1])[0]
    shape = struct.unpack(f"{endian}{len(fields[1][1]) // 4}i", fields[1][1])
    if min(shape) < 0:
        raise _DamagedError(f"negative dimensions {shape}")
    name = fields[2][1].decode("utf-8", errors="replace")
    kind = _CLASSES.get(flags & 0xFF, "unknown")
    if kind in _BYTES and (flags >> 8) & _LOGICAL:
        kind = "logical"
    if kind in _NUMERIC and (flags >> 8) & _COMPLEX:
        kind = "complex"  # not a signal sigae reads
    return _Matrix(name, tuple(shape), kind, data, offset, endian)


def _values(matrix: _Matrix) -> np.ndarray:
    """The matrix's values, in MATLAB's shape."""
    count = int(np.prod(matrix.shape, dtype="int64"))
    if matrix.real < 0 or count == 0:
        return np.zeros(matrix.shape)
    mdtype, size, content = _tag(matrix.data, matrix.real, len(matrix.data), matrix.endian)
    if mdtype not in _STORAGE:
        raise _DamagedError(f"its values are of unknown storage type {mdtype}")
    dtype = np.dtype(matrix.endian + _STORAGE[mdtype])
    if size != count * dtype.itemsize:
        raise _DamagedError(f"its shape {matrix.shape} needs {count} values but {size} bytes of "
                       f"{dtype.name} hold {size // dtype.itemsize}")
    values = np.frombuffer(matrix.data, dtype, count, content).reshape(matrix.shape, order="F")
    # MATLAB may store values in a smaller type than their class (doubles as uint8).
    kind = {"double": "f8", "single": "f4", "logical": "?"}.get(matrix.kind, matrix.kind)
    return values.astype(kind)


def _read_v73(path: Path, key: str | None) -> Found:
    handle = hdf5.open_file(path)
    try:
        variables = {name.lstrip("/"): d for name, d in hdf5.walk(handle, path)
                     if name.count("/") == 1 and not name.startswith("/#")}
        candidates = {name: describe(d.shape[::-1], d.dtype) for name, d in variables.items()}
        key = choose(path, key, candidates, "variable")
        dataset = variables[key]
        if dataset.attrs.get("MATLAB_class", b"double") in (b"char", b"cell", b"struct"):
            raise DataError(f"{path}: variable {key!r} is not a numeric matrix.")
        hdf5.check_dataset(path, key, dataset)
    except BaseException:
        handle.close()
        raise
    if dataset.ndim <= 2:
        return Found(dataset, key=key, convention="matlab", transposed=dataset.ndim == 2)
    # HDF5 holds MATLAB's axes reversed; a 3-D array is read whole and put back.
    with handle:
        array = np.transpose(dataset[()])
    return Found(array, key=key, convention="matlab")
