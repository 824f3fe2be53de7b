"""Arrays of signals that may live on disk: one `(n_signals, length, channels)` protocol.

Everything that consumes signals reads them through `x[start:stop]` slices, so a NumPy
array, an `.npy` file read in blocks, an HDF5 dataset or the windows of a long recording
all work, and a lazy one is never read whole.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from sigae.core.faults import is_machine_fault, read_error
from sigae.errors import DataError
from sigae.io.found import reason

# Rows read at a time when streaming; 4096 signals of 501 float32 samples are 8 MB.
CHUNK = 4096


class SignalArray(Protocol):
    """What sigae needs of signals: a shape, a length and float32 slices of rows."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __len__(self) -> int: ...

    def __getitem__(self, item: Any) -> np.ndarray: ...


class NpyFile:
    """The array of a C-order `.npy` file, sliced with positioned reads.

    Unlike a memory map, the pages read do not stay in the process's resident memory, so
    streaming a file larger than memory keeps the process small. Supports `x[rows]`,
    `x[rows, samples]`, and `x[samples]` for a 1-D array.
    """

    def __init__(self, path: str, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape, self.dtype, self.offset = shape, dtype, offset
        self.ndim = len(shape)
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)
        self._row = int(np.prod(shape[1:], dtype="int64")) * dtype.itemsize  # bytes per row
        self._sample = int(np.prod(shape[2:], dtype="int64")) * dtype.itemsize

    def __getitem__(self, key: slice | tuple[slice, slice]) -> np.ndarray:
        if self.ndim == 1:
            first, last, _ = key.indices(self.shape[0])  # type: ignore[union-attr]
            return self._read(first * self.dtype.itemsize, max(0, last - first), (-1,))
        rows, samples = key if isinstance(key, tuple) else (key, slice(None))
        first, last, _ = rows.indices(self.shape[0])
        count = max(0, last - first)
        if count == 1 and samples != slice(None):
            s0, s1, _ = samples.indices(self.shape[1])
            return self._read(first * self._row + s0 * self._sample,
                              max(0, s1 - s0) * self._sample // self.dtype.itemsize,
                              (1, -1, *self.shape[2:]))
        block = self._read(first * self._row, count * self._row // self.dtype.itemsize,
                           (count, *self.shape[1:]))
        return block[:, samples]

    def _read(self, start: int, items: int, shape: tuple[int, ...]) -> np.ndarray:
        size = items * self.dtype.itemsize
        data = os.pread(self._fd, size, self.offset + start) if size else b""
        if len(data) != size:
            raise OSError(f"the file ends {size - len(data)} bytes early")
        return np.frombuffer(data, dtype=self.dtype).reshape(shape)


class LazyArray:
    """Base of the lazy arrays: float32 rows `(n_signals, length, channels)` read on demand.

    Subclasses set `shape` and implement `__getitem__` for contiguous slices of rows.
    `np.asarray(x)` reads all rows.
    """

    dtype = np.dtype("float32")
    ndim = 3
    shape: tuple[int, int, int]

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, item: slice) -> np.ndarray:
        raise NotImplementedError

    def subset(self, start: int, stop: int) -> LazyArray:
        """The lazy view of rows `start:stop`."""
        return Rows(self, start, stop)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self[:] if dtype is None else self[:].astype(dtype)


class DiskArray(LazyArray):
    """A lazy float32 `(n_signals, length, channels)` view of an array on disk.

    Args:
        base: Anything sliced like a NumPy array: `np.memmap`, `h5py.Dataset`.
        transpose: Signals are the columns of a 2-D `base` (`--layout columns`).
        rows: The `(start, stop)` rows of the view, all by default.
        name: Names the data in errors, e.g. its file.

    Slicing reads only the rows asked for and returns a float32 NumPy array.
    """

    def __init__(
        self, base: Any, *, transpose: bool = False, rows: tuple[int, int] | None = None,
        name: str = "the data",
    ) -> None:
        if transpose and len(base.shape) != 2:
            raise DataError("layout 'columns' applies to 2-D arrays only.")
        self.base = base
        self.transpose = transpose
        self.name = name
        shape = tuple(int(s) for s in base.shape)
        if len(shape) == 1:
            shape = (1, shape[0])  # one recording
        if transpose:
            shape = (shape[1], shape[0])
        if len(shape) == 2:
            shape = (*shape, 1)
        self.rows = rows or (0, shape[0])
        self.shape = (self.rows[1] - self.rows[0], shape[1], shape[2])

    def __getitem__(self, item: slice) -> np.ndarray:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("DiskArray takes contiguous slices of rows only")
        return self.read(item)

    def read(self, rows: slice, samples: slice = slice(None)) -> np.ndarray:
        """The float32 block `[rows, samples, :]`, reading only those samples."""
        start, stop, _ = rows.indices(len(self))
        start, stop = self.rows[0] + start, self.rows[0] + max(start, stop)
        base = self.base
        try:
            if len(base.shape) == 1:  # one recording: rows can only be 0:1
                block = np.asarray(base[samples])[None, :] if start < stop else np.zeros((0, 0))
            elif self.transpose:
                block = np.asarray(base[samples, start:stop]).T
            else:
                block = np.asarray(base[start:stop, samples])
        except (OSError, RuntimeError, ValueError) as error:
            if is_machine_fault(error):
                raise read_error(self.name, error) from None
            raise DataError(f"{self.name}: reading rows {start} to {stop} failed; the file is "
                            f"damaged ({reason(error)}).") from None
        with np.errstate(over="ignore"):  # beyond float32's range becomes inf, refused later
            block = np.asarray(block, dtype="float32")
        return block.reshape(stop - start, -1, self.shape[2])

    def subset(self, start: int, stop: int) -> DiskArray:
        return DiskArray(self.base, transpose=self.transpose, name=self.name,
                         rows=(self.rows[0] + start, self.rows[0] + stop))


class Windowed(LazyArray):
    """Fixed-length windows of recordings `(n_recordings, samples, channels)`, lazily.

    Window `i` is recording `i // per_recording`, samples from `(i % per_recording) * hop`.
    """

    def __init__(self, recordings: SignalArray, length: int, hop: int) -> None:
        self.recordings = recordings
        self.length = length
        self.hop = hop
        samples = recordings.shape[1]
        self.per_recording = (samples - length) // hop + 1
        self.shape = (len(recordings) * self.per_recording, length, recordings.shape[2])

    def __getitem__(self, item: slice) -> np.ndarray:
        start, stop, step = item.indices(len(self))
        if step != 1:
            raise TypeError("Windowed takes contiguous slices only")
        parts = []
        index = start
        while index < stop:
            recording, first = divmod(index, self.per_recording)
            last = min(self.per_recording, first + stop - index)
            samples = slice(first * self.hop, (last - 1) * self.hop + self.length)
            rows = slice(recording, recording + 1)
            if isinstance(self.recordings, DiskArray):
                block = self.recordings.read(rows, samples)[0]
            else:
                block = np.asarray(self.recordings[rows], dtype="float32")[0, samples]
            views = np.lib.stride_tricks.sliding_window_view(block, self.length, axis=0)
            parts.append(np.moveaxis(views[:: self.hop], 2, 1))
            index += last - first
        if not parts:
            return np.zeros((0, *self.shape[1:]), dtype="float32")
        return np.ascontiguousarray(np.concatenate(parts))


class Rows(LazyArray):
    """The lazy view of rows `start:stop` of another lazy array."""

    def __init__(self, base: LazyArray, start: int, stop: int) -> None:
        self.base, self.start = base, start
        self.shape = (stop - start, base.shape[1], base.shape[2])

    def __getitem__(self, item: slice) -> np.ndarray:
        start, stop, _ = item.indices(len(self))
        return self.base[self.start + start : self.start + max(start, stop)]

    def subset(self, start: int, stop: int) -> Rows:
        return Rows(self.base, self.start + start, self.start + stop)


class Padded(LazyArray):
    """Recordings padded to one length, with their own `lengths`: the samples of row `i`
    from `lengths[i]` on are padding, and no value stored there is ever read.

    Reading rows gives each recording with its last sample held through the padding, so
    what a model sees there depends on the recording alone; `valid` gives the mask of
    the recordings' own samples, which every loss, statistic and error uses to leave the
    padding out (`sigae.stats.metrics.signal_errors`, `Batches`' sample weights,
    `fit_normalization`).

    Args:
        base: The padded signals `(n, length, channels)`, in memory or lazy.
        lengths: Each row's own number of samples, 1 to `length`.
    """

    def __init__(self, base: SignalArray, lengths: np.ndarray) -> None:
        self.base = base
        self.lengths = np.asarray(lengths, dtype="int64")
        self.shape = tuple(int(s) for s in base.shape)  # type: ignore[assignment]
        if self.lengths.shape != (self.shape[0],) or (
                len(self.lengths) and not 1 <= self.lengths.min() <= self.lengths.max()
                <= self.shape[1]):
            raise DataError(f"padded signals of shape {self.shape} need one length per "
                            f"signal, each 1 to {self.shape[1]}.")

    @property
    def in_memory(self) -> bool:
        """Whether the padded signals are a NumPy array (rows can be picked in any order)."""
        return not is_lazy(self.base)

    def __getitem__(self, item: Any) -> np.ndarray:
        if not self.in_memory and not isinstance(item, slice):
            raise TypeError("Padded over lazy data takes contiguous slices of rows only")
        block = np.asarray(self.base[item], dtype="float32")
        held = np.minimum(np.arange(self.shape[1]), self.lengths[item][:, None] - 1)
        return np.take_along_axis(block, held[:, :, None], axis=1)

    def valid(self, item: Any = slice(None)) -> np.ndarray:
        """The mask `(n, length)` of rows `item`: True on each recording's own samples."""
        return np.arange(self.shape[1]) < self.lengths[item][:, None]

    def subset(self, start: int, stop: int) -> Padded:
        return Padded(subset(self.base, start, stop), self.lengths[start:stop])

    def in_memory_copy(self) -> Padded:
        """The same padded signals with `base` read into memory."""
        return self if self.in_memory else Padded(np.asarray(self.base[:], "float32"),
                                                  self.lengths)


def valid(x: SignalArray, start: int = 0, stop: int | None = None) -> np.ndarray | None:
    """The mask `(rows, length)` of rows `start:stop` of `x` if `x` is `Padded` (True on
    the recordings' own samples), else `None`: every sample counts."""
    return x.valid(slice(start, stop)) if isinstance(x, Padded) else None


def is_lazy(x: Any) -> bool:
    """Whether `x` is read from disk on demand rather than held in memory."""
    return isinstance(x, LazyArray)


def subset(x: SignalArray, start: int, stop: int) -> SignalArray:
    """Rows `start:stop` of `x`, without reading them when `x` is lazy."""
    if isinstance(x, LazyArray):
        return x.subset(start, stop)
    return x[start:stop]


def chunks(x: SignalArray, size: int = CHUNK, *, what: str = "the data") -> Iterator[
    tuple[int, np.ndarray]
]:
    """Yields `(start, rows)` of `x` as float32 blocks of at most `size` rows.

    Raises:
        DataError: At the first block holding NaN or infinite values, naming the first one
            by its index in all of `x`.
    """
    for start in range(0, len(x), size):
        block = np.asarray(x[start : start + size], dtype="float32")
        if not np.isfinite(block).all():
            check_finite(block, what, offset=start, partial=len(x) > size)
        yield start, block


def check_finite(
    array: np.ndarray, what: str, *, offset: int = 0, partial: bool = False
) -> None:
    """Raises `DataError` naming how many values are NaN or infinite, and the first one.

    Args:
        array: The values.
        what: How to name them in the message, e.g. a file name.
        offset: Index of the first row of `array` in the whole data, for the message.
        partial: `array` is one block of the data, so its count is a lower bound.
    """
    bad = ~np.isfinite(array)
    if bad.any():
        first = [int(i) for i in np.argwhere(bad)[0]]
        first[0] += offset
        count = f"{'at least ' if partial else ''}{int(bad.sum())}"
        raise DataError(
            f"{what} holds {count} NaN or infinite value(s), the first at index "
            f"{tuple(first)}. Remove or fill them first."
        )
