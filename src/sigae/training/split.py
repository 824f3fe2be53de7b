"""The validation split: a seeded random draw of the signals, whole recordings where the
signals are windows cut from them.

Keras' `validation_split` holds out the *last* fraction of the data. Files are often sorted
(the time-series archive's by class, a recording by time), so the last fraction holds some
classes, or the end of an experiment, and the model is judged on signals unlike those it
trained on. sigae draws the validation signals at random instead, seeded, so the split is
the same in every run and the training order does not matter. Where the signals are
overlapping windows cut from recordings (`Signals.row` / `Signals.start`), a random draw
would put near-copies of a window on both sides; there whole recordings are drawn, or, from
fewer recordings than that needs, contiguous blocks of windows, and the training windows
that overlap a validation window are left out.

Data larger than memory (lazy arrays read from disk) keeps Keras' last fraction: a random
draw would make every epoch read rows all over the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sigae.errors import DataError
from sigae.io.arrays import Padded, SignalArray, is_lazy, subset

SPLIT_SEED = 0
"""The draw's seed when `fit` has none: the split is the same in every run regardless."""

BLOCKS_PER_SIDE = 5
"""Windows of one recording are drawn in contiguous blocks: about this many blocks make up
the validation signals."""


@dataclass(frozen=True)
class Provenance:
    """Where each signal comes from: `row`, its recording; `start`, its first sample there;
    `length`, its samples (windows of one recording overlap when their starts are closer)."""

    row: np.ndarray
    start: np.ndarray
    length: int

    @property
    def windows(self) -> bool:
        """Whether some recording gave several signals."""
        return len(np.unique(self.row)) < len(self.row)


def split(x: SignalArray, validation_split: float, validation_data: SignalArray | None = None,
          *, seed: int | None = None, provenance: Provenance | None = None
          ) -> tuple[SignalArray, SignalArray | None]:
    """`(training, validation)` signals: `x` and `validation_data` when it is given; else
    `x` without and with a seeded random `validation_split` of it (no validation when 0).

    Args:
        x: The signals.
        validation_split: The fraction held out.
        validation_data: Validation signals given by the user instead.
        seed: Seeds the draw (`SPLIT_SEED` when `None`).
        provenance: Where each signal of `x` comes from; with windows of recordings, whole
            recordings (or blocks of windows) are drawn.

    Raises:
        DataError: If the split leaves no signals on one side.
    """
    if validation_data is not None:
        return x, validation_data
    if validation_split == 0:
        return x, None
    n_val = round(len(x) * validation_split)
    if n_val < 1 or n_val >= len(x):
        raise DataError(
            f"validation_split={validation_split} leaves no signals for "
            f"{'validation' if n_val < 1 else 'training'} out of {len(x)}. "
            "Give more signals (a long recording can be cut into windows: window=), "
            "another validation_split, or validation_data."
        )
    if is_lazy(x) and not (isinstance(x, Padded) and x.in_memory):
        return subset(x, 0, len(x) - n_val), subset(x, len(x) - n_val, len(x))
    train, val = draw(len(x), n_val, np.random.default_rng(
        SPLIT_SEED if seed is None else seed), provenance)
    if len(train) == 0:
        raise DataError(f"validation_split={validation_split} leaves no training signals "
                        f"that do not overlap a validation window, out of {len(x)} windows. "
                        "Give more signals, or a smaller validation_split.")
    return take(x, train), take(x, val)


def draw(n: int, n_val: int, rng: np.random.Generator, provenance: Provenance | None = None
         ) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation indices, each in the data's order.

    Independent signals: `n_val` of them at random. Windows: whole recordings at random
    until `n_val` windows are reached, keeping at least one for training; from a single
    recording (or one holding most windows), blocks of contiguous windows, the training
    windows that overlap a validation window left out.
    """
    if provenance is None or not provenance.windows:
        val = np.sort(rng.choice(n, n_val, replace=False))
        return np.setdiff1d(np.arange(n), val), val
    rows, counts = np.unique(provenance.row, return_counts=True)
    order = rng.permutation(len(rows))
    taken = np.cumsum(counts[order])
    enough = int(np.searchsorted(taken, n_val))  # recordings order[:enough + 1] reach n_val
    if enough + 1 < len(rows) and taken[enough] <= 1.5 * n_val:
        val_rows = rows[order[:enough + 1]]
        val = np.flatnonzero(np.isin(provenance.row, val_rows))
        return np.flatnonzero(~np.isin(provenance.row, val_rows)), val
    return _blocks(n, n_val, rng, provenance)


def _blocks(n: int, n_val: int, rng: np.random.Generator, provenance: Provenance
            ) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous blocks of windows (in the data's order, each within one recording where
    it can), drawn at random; then the training windows overlapping one are dropped."""
    size = max(1, math.ceil(n_val / BLOCKS_PER_SIDE))
    starts = np.arange(0, n, size)
    chosen = np.sort(rng.choice(len(starts), min(len(starts), math.ceil(n_val / size)),
                                replace=False))
    val = np.sort(np.concatenate([np.arange(starts[i], min(starts[i] + size, n))
                                  for i in chosen])[:n_val])
    # One axis for every recording, far enough apart that windows of two recordings never
    # come within a window's length: a window overlaps a validation window when the
    # nearest validation position is closer than `length`.
    start = np.asarray(provenance.start, "int64")
    gap = int(start.max()) + 2 * provenance.length
    place = np.asarray(provenance.row, "int64") * gap + start
    held = np.sort(place[val])
    after = np.clip(np.searchsorted(held, place), 0, len(held) - 1)
    before = np.clip(after - 1, 0, len(held) - 1)
    nearest = np.minimum(np.abs(held[after] - place), np.abs(held[before] - place))
    return np.flatnonzero(nearest >= provenance.length), val


def take(x: SignalArray, rows: np.ndarray) -> SignalArray:
    """Rows `rows` of signals held in memory (an array, or `Padded` in memory)."""
    if isinstance(x, Padded):
        return Padded(np.asarray(x.base)[rows], x.lengths[rows])
    return np.asarray(x)[rows]
