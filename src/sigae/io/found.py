"""What a reader found in a file, before sigae decides which axis holds the signals."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sigae.core.outputs import format_bytes
from sigae.errors import DataError

# Names of the provenance columns or arrays sigae writes next to its results.
INDEX_NAMES = ("source_row", "source_start")
NAME_COLUMN = "source_name"
"""The column or array of each row's recording's name, beside the provenance."""

TIME_OR_ID = re.compile(r"(time|timestamp|datetime|date|t|seconds|index|idx|id|sample|frame)"
                        r"([ _(\[].*)?", re.IGNORECASE)
"""Names of a table's columns that hold when or which, not a signal: `time`, `Time (s)`,
`t`, `timestamp`, `date`, `index`, `id`, `sample`, `frame`..."""

# zlib cannot compress by more than about 1032:1, so a compressed array declaring more
# than this many times its stored size is a lie, not data.
MAX_COMPRESSION = 1100


@dataclass
class Found:
    """An array as stored in a file, with what the reader knows about its orientation.

    Args:
        array: A NumPy array, or an array read on demand (`NpyFile`, `np.memmap`,
            `h5py.Dataset`), with 1 to 3 dimensions.
        key: The array, variable, dataset or column it is, inside the file.
        convention: `"rows"` when the format stores one signal per row; `"matlab"` when
            rows and columns are equally likely; `"recording"` for one multichannel
            recording `(samples, channels)` (WAV).
        transposed: The stored array is the transpose of what the user sees (MATLAB
            v7.3 files, which HDF5 stores in reverse axis order).
        index: Provenance `(row, start)` stored beside the array by sigae, if any.
        sample_rate: Samples per second, if the file says.
        recordings: Recordings `(length, channels)`, when the file holds a collection of
            them, perhaps of different lengths (`array` is then `None`).
        names: The recordings' names, where the file names them (the arrays of an `.npz`).
        note: What the reader did that the user should know (columns left out), in words.
    """

    array: Any
    key: str | None = None
    convention: str = "rows"
    transposed: bool = False
    index: tuple[np.ndarray, np.ndarray] | None = None
    sample_rate: float | None = None
    recordings: list[np.ndarray] | None = None
    names: list[str] | None = None
    note: str | None = None

    @property
    def lazy(self) -> bool:
        return not isinstance(self.array, np.ndarray) or isinstance(self.array, np.memmap)


def choose(path: Path, key: str | None, candidates: dict[str, str], what: str) -> str:
    """Picks `key` among `candidates` (name -> description), or the only one there is.

    Raises:
        DataError: Listing the candidates, if `key` is not one or there is no single one.
    """
    listing = "; ".join(f"{name} {text}" for name, text in candidates.items()) or "none"
    if key is None:
        if len(candidates) == 1:
            return next(iter(candidates))
        raise DataError(
            f"{path}: holds {len(candidates)} numeric {what}s ({listing}); choose one with "
            "--key NAME." if candidates else f"{path}: holds no numeric {what}."
        )
    if key not in candidates:
        raise DataError(f"{path}: has no numeric {what} {key!r}; it holds: {listing}.")
    return key


def pick_columns(path: Path, header: Sequence[str] | None, width: int,
                 columns: Sequence[str] | None) -> tuple[list[int], str | None]:
    """The positions of a table's columns to read, and what was left out, in words.

    Args:
        path: The file, for messages.
        header: The columns' names, if the table has them.
        width: The number of columns.
        columns: The columns asked for, by name or by number counting from 1 (as messages
            count them); `None`: every column except sigae's `source_name` and, where
            others remain, those named as a time or an ID (`TIME_OR_ID`).

    Raises:
        DataError: For a column the table does not have.
    """
    names = list(header) if header is not None and len(header) == width else None
    if columns:
        return [_position(path, names, width, column) for column in columns], None
    kept = [i for i in range(width) if names is None or names[i] != NAME_COLUMN]
    skipped = [i for i in kept if names is not None and TIME_OR_ID.fullmatch(names[i].strip())]
    if not skipped or len(skipped) == len(kept):
        return kept, None
    said = ", ".join(repr(names[i]) for i in skipped)  # type: ignore[index]
    return [i for i in kept if i not in skipped], (
        f"left out column {said}, a time or an ID by its name (columns= names the columns to "
        "read)")


def _position(path: Path, names: list[str] | None, width: int, column: str) -> int:
    column = str(column).strip()
    if names is not None and column in names:
        return names.index(column)
    if column.isdigit() and 1 <= int(column) <= width:
        return int(column) - 1
    listing = (f"its columns are {', '.join(names)}" if names is not None
               else f"it has {width} unnamed columns")
    raise DataError(f"{path}: has no column {column!r}; {listing} (choose them by name, or by "
                    "number counting from 1).")


def describe(shape: Sequence[int], dtype: Any) -> str:
    return f"({'x'.join(str(s) for s in shape)} {np.dtype(dtype)})"


def check_declared_size(
    path: Path, what: str, shape: Sequence[int], itemsize: int, stored: int, *,
    compressed: bool = False,
) -> None:
    """Refuses an array whose declared size the file cannot hold, before allocating it.

    Args:
        path: The file, for the message.
        what: The array, for the message.
        shape: Declared shape.
        itemsize: Bytes per value.
        stored: Bytes the file really holds for the array.
        compressed: The stored bytes are compressed (up to `MAX_COMPRESSION` times).
    """
    declared = int(np.prod(shape, dtype="float64")) * itemsize
    limit = stored * (MAX_COMPRESSION if compressed else 1)
    if declared > limit:
        raise DataError(
            f"{path}: {what} declares shape {tuple(shape)} ({format_bytes(declared)}), but the "
            f"file holds only {format_bytes(stored)} for it; it is truncated or corrupt. Write "
            "it again."
        )
    memory = _physical_memory()
    if memory and declared > memory:
        raise DataError(
            f"{path}: {what} declares shape {tuple(shape)} ({format_bytes(declared)}), more "
            f"than this machine's memory ({format_bytes(memory)}). Store it as .npy or HDF5, "
            "which sigae reads from disk in blocks."
        )


def reason(error: BaseException) -> str:
    """The first line of a library's error message, for ours."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0
