"""`Signals`: an array of signals plus where each one came from, and `windows`."""

from __future__ import annotations

from collections.abc import Callable
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
        lengths: Each signal's own length, where recordings of different lengths were
            resampled or padded to the array's length (`recordings`); `restore` brings
            results back to them. `None` when every signal is stored at its own length.
        padded: The signals were padded, not resampled: the samples of signal `i` from
            `lengths[i]` on are padding, whatever they hold. A model never sees their
            values (it sees the recording's last sample held, `sigae.io.arrays.Padded`),
            and no loss, statistic or error counts them.
        note: What was done to the data as it was read (columns left out, recordings made
            one length), in words, for the user.
        names: The name of each recording (a folder's file names), indexed by `row`.

    `np.asarray(signals)` reads all of the data into memory.
    """

    data: SignalArray
    row: np.ndarray
    start: np.ndarray
    file: Path | None = None
    key: str | None = None
    sample_rate: float | None = None
    lengths: np.ndarray | None = None
    note: str | None = None
    names: tuple[str, ...] | None = None
    padded: bool = False

    def __post_init__(self) -> None:
        if self.padded and self.lengths is None:
            raise DataError("padded signals need their lengths (Signals(..., lengths=...)).")

    @property
    def row_names(self) -> np.ndarray | None:
        """Each signal's recording's name (`names[row]`), or `None` without names."""
        return None if self.names is None else np.asarray(self.names)[self.row]

    def restore(self, outputs: np.ndarray) -> list[np.ndarray]:
        """Outputs of the model for these signals `(n, length, channels)`, each brought back
        to its signal's own length: resampled back, or its padding cropped."""
        if self.lengths is None:
            return list(np.asarray(outputs))
        back = crop if self.padded else resample
        return [back(np.asarray(out), int(n)) for out, n in zip(outputs, self.lengths,
                                                                strict=True)]

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


LENGTH_POLICIES = ("resample", "pad", "window")
"""How recordings of different lengths become signals of one length (see `recordings`)."""


def resample(signal: np.ndarray, length: int) -> np.ndarray:
    """A recording `(samples, channels)` linearly interpolated to `length` samples, its
    first and last samples kept (a single sample is repeated)."""
    signal = np.asarray(signal, dtype="float64")
    if len(signal) == length:
        return signal.astype("float32")
    old = np.linspace(0.0, 1.0, len(signal))
    new = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(new, old, channel) for channel in signal.T],
                    axis=1).astype("float32")


def pad(signal: np.ndarray, length: int) -> np.ndarray:
    """A recording `(samples, channels)` padded to `length` samples by holding its last
    sample (what `sigae.io.arrays.Padded` shows a model in the padding)."""
    signal = np.asarray(signal, dtype="float32")
    if len(signal) > length:
        raise DataError(f"a recording of {len(signal)} samples cannot be padded to {length}.")
    return np.concatenate([signal, np.repeat(signal[-1:], length - len(signal), axis=0)])


def crop(signal: np.ndarray, length: int) -> np.ndarray:
    """The first `length` samples of a padded signal `(samples, channels)`."""
    return np.asarray(signal)[:length]


FITS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {"resample": resample, "pad": pad}
"""How each policy but `window` brings one recording to a length."""


def recordings(series: list[np.ndarray], *, lengths: str = "resample",
               length: int | None = None, window: int | None = None, hop: int | None = None,
               file: Path | None = None, name: str = "the recordings") -> Signals:
    """Recordings, each `(samples,)` or `(samples, channels)`, as `Signals` of one length.

    Recordings of one length are stacked as they are. Otherwise (or whenever `window`
    is given) `lengths` says how:

    - `"resample"` (the default): each is linearly interpolated to `length` samples (a
      model's length), or else to the median of their lengths; `Signals.lengths` keeps
      each one's own length, so that `Signals.restore` can bring results back to it;
    - `"pad"`: each is padded to `length` samples, or else to the longest, with a mask
      (`Signals.padded`): the padding never counts in a loss, a statistic or an error,
      and `Signals.restore` crops it;
    - `"window"`: each is cut into windows of `window` samples every `hop`
      (`recording_windows`), each window traceable to its recording and offset.

    `Signals.note` says what was done, in words.

    Raises:
        DataError: For an unknown policy, recordings with different numbers of channels
            or none at all, windows longer than a recording, or a recording longer than
            the `length` it should be padded to.
    """
    if lengths not in LENGTH_POLICIES:
        raise DataError(f"lengths must be one of {', '.join(LENGTH_POLICIES)}; received "
                        f"{lengths!r}.")
    series = [np.asarray(r, dtype="float32") for r in series]
    series = [r[:, None] if r.ndim == 1 else r for r in series]
    if not series or any(r.ndim != 2 or len(r) == 0 for r in series):
        raise DataError(f"{name}: expected one or more recordings, each (samples,) or "
                        "(samples, channels) with at least one sample.")
    channels = {r.shape[1] for r in series}
    if len(channels) > 1:
        raise DataError(f"{name}: the recordings have different numbers of channels "
                        f"({', '.join(map(str, sorted(channels)))}); give them one.")
    sizes = np.asarray([len(r) for r in series])
    if window is not None or lengths == "window":
        if window is None:
            raise DataError(f"{name}: lengths='window' needs a window length (--window "
                            f"LENGTH, at most {sizes.min()}).")
        return recording_windows(series, window, hop, file=file, name=name)
    fit = FITS[lengths]
    return at_one_length(lambda n: np.stack([fit(r, n) for r in series]), sizes, length,
                         policy=lengths, file=file, name=name)


def at_one_length(data_at: Callable[[int], SignalArray], sizes: np.ndarray,
                  length: int | None, *, policy: str = "resample", lazily: bool = False,
                  name: str = "the recordings", **provenance: Any) -> Signals:
    """`Signals` of recordings of `sizes` samples: as they are where they share one length
    (and `length` is `None` or it), else resampled (`policy="resample"`) to `length` or
    their median length, or padded (`"pad"`) to `length` or the longest, with their own
    `lengths` and a `note` saying so.

    Args:
        data_at: `n -> ` the recordings as an array (or a lazy one) at `n` samples,
            brought there as `policy` says.
        sizes: Each recording's own number of samples.
        length: The length asked for (a model's), or `None`.
        policy: `"resample"` or `"pad"`.
        lazily: The recordings are brought to one length as they are read, not now (for
            the note).
        name: Names the recordings in errors.
        **provenance: `file`, `names`, ... of the `Signals`.

    Raises:
        DataError: If a recording is longer than the `length` it should be padded to.
    """
    if sizes.min() == sizes.max() and length in (None, sizes[0]):
        return Signals.of(data_at(int(sizes[0])), **provenance)
    padded = policy == "pad"
    if padded:
        target = int(length) if length is not None else int(sizes.max())
        whose = "the model's length" if length is not None else "the longest"
        if sizes.max() > target:
            longest = int(np.argmax(sizes))
            raise DataError(
                f"{name}: recording {longest} has {sizes.max()} samples, more than the "
                f"model's length of {target}, so it cannot be padded to it. Use --lengths "
                "resample, or --lengths window with --window LENGTH.")
        done = "padded"
        also = "; the padding is masked out of the loss, the statistics and every error"
    else:
        target = int(length) if length is not None else int(np.median(sizes))
        whose = "the model's length" if length is not None else "their median length"
        done, also = "resampled", ""
    note = (f"{done} {len(sizes)} recordings of {sizes.min()} to {sizes.max()} samples "
            f"to {target} samples ({whose})" + (", each as it is read" if lazily else "")
            + also)
    return Signals.of(data_at(target), lengths=sizes, note=note, padded=padded,
                      **provenance)


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
    sizes = [len(r) for r in recordings]
    windows_cut = sum(len(r) for r in rows)
    note = (f"cut {len(recordings)} recordings of {min(sizes)} to {max(sizes)} samples into "
            f"{windows_cut} windows of {length} samples every {hop}")
    return Signals(np.ascontiguousarray(np.concatenate(cut), dtype="float32"),
                   row=np.concatenate(rows), start=np.concatenate(starts).astype("int64"),
                   file=file, note=note)
