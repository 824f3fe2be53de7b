"""Samples, batches and forward passes over signals read in blocks, so memory does not grow
with data.

Every function here takes any `SignalArray` (a NumPy array, a `.npy` file read in blocks,
an HDF5 dataset, windows of a recording) and reads it through `sigae.io.chunks`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from sigae.io.arrays import CHUNK, Padded, SignalArray, check_finite, chunks, is_lazy

# PCA (the linear path's start and the baseline) is fitted on at most this many signals,
# taken as evenly spaced blocks across the data.
PCA_SAMPLE = 20_000

# `fit` reads lazy data up to this size (as float32) into memory, where batches are
# shuffled row by row; larger data is streamed.
IN_MEMORY_BYTES = 256 * 2**20

PREDICT_BATCH = 100
"""Signals per forward pass of every prediction sigae makes (`predict`), unless a user
gives another: one rule, so that two predictions of the same signals agree bit for bit."""


def in_memory_if_small(x: SignalArray) -> SignalArray:
    """`x` read into memory if it is lazy and at most `IN_MEMORY_BYTES`, else `x` itself.

    Padded signals stay `Padded`, their padding read into memory too.

    Raises:
        DataError: If data read into memory holds NaN or infinite values.
    """
    if not is_lazy(x) or int(np.prod(x.shape)) * 4 > IN_MEMORY_BYTES:
        return x
    if isinstance(x, Padded):
        padded = x.in_memory_copy()
        check_finite(padded[:], "x")
        return padded
    array = np.asarray(x[:], dtype="float32")
    check_finite(array, "x")
    return array


def pca_sample(x: SignalArray, limit: int = PCA_SAMPLE) -> np.ndarray:
    """All of `x` in memory if it has at most `limit` signals, else `limit` of them.

    The sample is 100 contiguous blocks evenly spaced from the first signal to the last,
    so reading it from disk is 100 sequential reads, and it is the same on every run.
    """
    n = len(x)
    if n <= limit:
        return np.asarray(x[:], dtype="float32")
    size = limit // 100
    starts = np.linspace(0, n - size, 100).astype(int)
    return np.concatenate([np.asarray(x[s : s + size], dtype="float32") for s in starts])


class Batches(keras.utils.PyDataset):
    """Training batches `(x, x)`, in an order that is a function of `(seed, epoch)` alone.

    So a run can be repeated, and resumed after epoch `e` with the very batches it would
    have seen (`start_epoch`), without touching any global random state. In memory, a
    batch is `batch_size` rows of a permutation of all rows; lazily read data (a file) is
    cut into pieces of `batch_size / 8` contiguous rows and a batch is 8 random pieces, so
    each read is sequential yet batches mix signals from all over the file.

    Args:
        x: The signals, in memory or on disk.
        batch_size: Rows per batch.
        seed: Seeds every epoch's order; `None` draws each at random.
        shuffle: Reorder every epoch; `False` reads in order (validation).
        start_epoch: The epoch the first `fit` epoch is (when resuming).
        whole: Only whole batches (for several devices, which split each batch evenly):
            the signals left over in an epoch's order wait for another epoch.
        shard: `(index, count)`: this process's share of each batch when `count`
            processes train together (multi-host), every `count`-th row from `index`.
        augment: Changes each batch (`sigae.data.augment.Augmentation`), drawn from
            `(seed, epoch, batch)`; the changed signals are input and target alike.

    Padded signals (`sigae.io.arrays.Padded`) come with sample weights `(batch, length)`:
    0 on the padding and `length / own length` on a signal's own samples, so Keras' mean
    of the weighted squared errors is the mean over the batch of each signal's MSE over
    its own samples, the `val_loss` of `sigae.training.evaluate.errors`.
    """

    PIECES = 8

    def __init__(self, x: SignalArray, batch_size: int, seed: int | None = None,
                 shuffle: bool = True, start_epoch: int = 0, whole: bool = False,
                 shard: tuple[int, int] = (0, 1),
                 augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
                 ) -> None:
        super().__init__(workers=1, use_multiprocessing=False, max_queue_size=4)
        self.augment = augment
        self.x = x
        self.padded = isinstance(x, Padded)
        self.lazy = is_lazy(x) and not (self.padded and x.in_memory)  # type: ignore[attr-defined]
        if not shuffle:
            self.piece = batch_size  # read in order, a batch at a time
        else:
            self.piece = max(1, batch_size // self.PIECES) if self.lazy else 1
        self.per_batch = math.ceil(batch_size / self.piece)
        self.n_pieces = math.ceil(len(x) / self.piece)
        self.shuffle, self.seed, self.epoch, self.whole = shuffle, seed, start_epoch, whole
        self.shard = shard
        self.order = self._order()

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n_pieces)
        entropy = None if self.seed is None else [self.seed, self.epoch]
        return np.random.default_rng(entropy).permutation(self.n_pieces)

    def __len__(self) -> int:
        if self.whole:
            return len(self.x) // (self.piece * self.per_batch)
        return math.ceil(self.n_pieces / self.per_batch)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        pieces = np.sort(self.order[index * self.per_batch : (index + 1) * self.per_batch])
        if self.lazy or self.piece > 1:
            rows: Any = np.concatenate([np.arange(p * self.piece, min(len(self.x),
                                                                      (p + 1) * self.piece))
                                        for p in pieces])
            batch = np.concatenate(
                [np.asarray(self.x[p * self.piece : (p + 1) * self.piece]) for p in pieces])
        else:
            rows = pieces
            batch = np.asarray(self.x[pieces])
        if self.augment is not None:
            entropy = None if self.seed is None else [self.seed, self.epoch, index, 1]
            batch = self.augment(batch, np.random.default_rng(entropy))
        index, count = self.shard
        if not self.padded:
            return (batch, batch) if count == 1 else (batch[index::count],) * 2
        mask = self.x.valid(rows)  # type: ignore[attr-defined]
        weights = (mask * (mask.shape[1] / mask.sum(axis=1, keepdims=True))).astype("float32")
        if count > 1:
            batch, weights = batch[index::count], weights[index::count]
        return batch, batch, weights

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()


def block_size(batch_size: int) -> int:
    """Rows per streamed block: about `CHUNK`, and a whole multiple of `batch_size`.

    Whole batches per block mean every forward pass sees the same batches as one call
    on all of the data would, so streamed results are bitwise the same.
    """
    return max(1, CHUNK // batch_size) * batch_size


def predict(model: Any, x: SignalArray, batch_size: int = PREDICT_BATCH, *,
            what: str = "x") -> np.ndarray:
    """`model.predict(x)` as float32, in batches of exactly `batch_size` rows: the last
    is padded with zero rows, whose outputs are dropped. A model so runs one compiled
    program per batch size, whatever the number of rows (a new number of rows would
    otherwise compile a new one), and each row's output is that of the same program
    whichever rows came with it. Lazy `x` is read in blocks of whole batches, so memory
    holds one block of input at a time.

    Args:
        model: A `keras.Model` (any object with Keras' `predict`).
        x: The input, in memory or on disk.
        batch_size: Rows per forward pass.
        what: Names `x` in errors about its values.
    """
    if len(x) == 0:
        return np.zeros((0, *model.output_shape[1:]), dtype="float32")
    if not is_lazy(x):
        return _whole_batches(model, np.asarray(x), batch_size)
    return np.concatenate([_whole_batches(model, block, batch_size)
                           for _, block in chunks(x, block_size(batch_size), what=what)])


def _whole_batches(model: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    whole = len(x) - len(x) % batch_size
    parts = [] if whole == 0 else [model.predict(x[:whole], batch_size=batch_size, verbose=0)]
    if whole < len(x):  # the last rows, and zero rows up to a whole batch
        last = np.zeros((batch_size, *x.shape[1:]), dtype=x.dtype)
        last[:len(x) - whole] = x[whole:]
        parts.append(model.predict(last, batch_size=batch_size, verbose=0)[:len(x) - whole])
    outputs = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return np.asarray(outputs, "float32")


def stream(
    function: Callable[[np.ndarray], np.ndarray],
    x: SignalArray,
    write: Callable[[np.ndarray], None],
    *,
    batch_size: int,
    what: str = "the data",
    progress: bool = False,
) -> None:
    """Applies `function` to `x` block by block and hands each result to `write`.

    Memory holds one block of input and one of output at a time. Blocks are whole
    multiples of `batch_size` (see `block_size`), so the output is bitwise what one
    call on all of `x` gives.

    Args:
        function: Maps a block of rows to a block of results, e.g. `model.encode`.
        x: The input, in memory or on disk.
        write: Receives each block of results, in order.
        batch_size: Rows per forward pass inside `function`.
        what: Names `x` in errors about its values.
        progress: Show a progress bar on stderr when it is a terminal.
    """
    from tqdm import tqdm

    with tqdm(total=len(x), unit=" signals", disable=None if progress else True,
              leave=False, dynamic_ncols=True) as bar:
        for _, block in chunks(x, block_size(batch_size), what=what):
            write(function(block))
            bar.update(len(block))
