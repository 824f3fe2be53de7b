"""`Signals`: an array of signals plus where each one came from, and `windows`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sigae.errors import DataError
from sigae.io.arrays import SignalArray, Windowed, is_lazy


@dataclass(frozen=True, eq=False)
class Signals:
    """Signals of shape `(n_signals, length, channels)` and their provenance.

    Args:
        data: float32 signals: a NumPy array, or a lazy array read on demand (from a
            `.npy` file or an HDF5 dataset, or windows cut when read; see `lazy`).
        row: Index of each signal's recording in its file (row, column or array entry).
        start: Sample at which each signal starts in its recording (0 unless windowed).
        file: The file read, if any.
        key: The array, dataset, variable or column read inside `file`, if any.
        sample_rate: Samples per second, where the file says (WAV).

    `np.asarray(signals)` reads all of the data into memory.
    """

    data: SignalArray
    row: np.ndarray
    start: np.ndarray
    file: Path | None = None
    key: str | None = None
    sample_rate: float | None = None

    @classmethod
    def of(cls, data: SignalArray, **provenance: Any) -> Signals:
        """Signals whose provenance is their position: row `i`, start 0."""
        n = len(data)
        return cls(data, np.arange(n, dtype="int64"), np.zeros(n, dtype="int64"), **provenance)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.data.shape)  # type: ignore[return-value]

    @property
    def lazy(self) -> bool:
        """Whether the data is read block by block on demand (from a file, or as windows)."""
        return is_lazy(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = np.asarray(self.data)  # a lazy array reads itself whole
        return array if dtype is None else array.astype(dtype)

    @property
    def source(self) -> str:
        """`file` or `file (key)`, for messages."""
        name = str(self.file) if self.file is not None else "signals"
        return f"{name} ({self.key})" if self.key else name


def windows(signals: Signals | np.ndarray, length: int, hop: int | None = None) -> Signals:
    """Cuts recordings into windows of `length` samples, every `hop` samples.

    Windows that would run past the end of a recording are dropped. Each window keeps
    the row of its recording and its first sample in `start`, so results map back to
    the recording. The windows are lazy: each is cut from the recordings only when read,
    so heavily overlapping windows of a long recording cost no memory until used.

    Args:
        signals: `Signals`, or an array of recordings `(n, samples, channels)`,
            `(n, samples)` or one recording `(samples,)`.
        length: Samples per window.
        hop: Samples between window starts; `length` (no overlap) by default.

    Returns:
        `Signals` of shape `(n_windows, length, channels)`.

    Raises:
        DataError: If `length` or `hop` is not a positive integer, or the recordings are
            shorter than one window.
    """
    if not isinstance(signals, Signals):
        array = np.asarray(signals, dtype="float32")
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim == 2:
            array = array[:, :, None]
        signals = Signals.of(array)
    hop = length if hop is None else hop
    for name, value in (("window", length), ("hop", hop)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise DataError(f"{name} must be a positive integer number of samples; received "
                            f"{value!r}.")
    samples = signals.shape[1]
    if samples < length:
        raise DataError(
            f"{signals.source}: its recordings have {samples} samples, fewer than the window "
            f"of {length}. Choose --window {samples} or less."
        )
    windowed = Windowed(signals.data, int(length), int(hop))
    per = windowed.per_recording
    offsets = np.tile(np.arange(per, dtype="int64") * hop, len(signals))
    return Signals(
        windowed,
        row=np.repeat(signals.row, per),
        start=np.repeat(signals.start, per) + offsets,
        file=signals.file,
        key=signals.key,
        sample_rate=signals.sample_rate,
    )


def recording_windows(recordings: list[np.ndarray], length: int, hop: int | None = None, *,
                      file: Path | None = None, name: str = "the recordings") -> Signals:
    """Cuts recordings of different lengths `(samples, channels)` into windows of `length`
    samples, every `hop` samples, in memory; each window keeps its recording's index in
    `row` and its first sample in `start`.

    Raises:
        DataError: If `length` or `hop` is not a positive integer, or a recording is
            shorter than one window (none is left out without saying so).
    """
    hop = length if hop is None else hop
    for what, value in (("window", length), ("hop", hop)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise DataError(f"{what} must be a positive integer number of samples; received "
                            f"{value!r}.")
    short = [i for i, r in enumerate(recordings) if len(r) < length]
    if short:
        shortest = min(len(recordings[i]) for i in short)
        raise DataError(
            f"{name}: {len(short)} of {len(recordings)} recordings are shorter than the "
            f"window of {length} samples (the shortest has {shortest}, recording {short[0]}). "
            f"Choose --window {min(len(r) for r in recordings)} or less.")
    cut, rows, starts = [], [], []
    for i, recording in enumerate(recordings):
        begins = np.arange(0, len(recording) - length + 1, hop)
        view = np.lib.stride_tricks.sliding_window_view(recording, length, axis=0)[begins]
        cut.append(np.swapaxes(view, 1, 2))  # (windows, length, channels)
        rows.append(np.full(len(begins), i))
        starts.append(begins)
    return Signals(np.ascontiguousarray(np.concatenate(cut), dtype="float32"),
                   row=np.concatenate(rows), start=np.concatenate(starts).astype("int64"),
                   file=file)
