"""The one check of signals and codes handed to a model: shape, dtype and finite values.

It needs only an architecture's shape (`length`, `channels`, `latent_dim`), so the command
line, Dask and the study tools check their input without loading Keras or the trainer.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from sigae.errors import DataError
from sigae.io.arrays import DiskArray, Padded, SignalArray, check_finite, is_lazy
from sigae.io.signals import Signals


class Shaped(Protocol):
    """What the checks need of an architecture (`ModelConfig`, `PartsConfig`)."""

    @property
    def length(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def latent_dim(self) -> int: ...


def check_signals(x: Any, architecture: Shaped, name: str = "x") -> SignalArray:
    """Validates signals for a model and returns them as float32 `(n, length, channels)`.

    Lazy data (`Signals` read from disk, `np.memmap`) stays lazy: its shape is checked
    here and its values block by block when read. Padded `Signals` (`Signals.padded`)
    become `sigae.io.arrays.Padded`, which carries their mask; their padding's values
    are never read, so they need not be finite.

    Raises:
        DataError: On a wrong number of dimensions, length or channels, or non-finite values.
    """
    if isinstance(x, Signals) and x.padded:
        data = x.data if is_lazy(x.data) else as_float_array(x.data, x.source)
        _check_shape(tuple(data.shape), architecture, x.source)
        padded = Padded(data, x.lengths)  # type: ignore[arg-type]
        if not is_lazy(data):
            check_finite(padded[:], x.source)
        return padded
    if isinstance(x, Signals):
        name, x = x.source, x.data
    if isinstance(x, np.memmap):
        x = DiskArray(x)
    if is_lazy(x):
        _check_shape(x.shape, architecture, name)
        return x
    x = as_float_array(x, name)
    if x.ndim == 2 and architecture.channels == 1:
        x = x[:, :, None]
    _check_shape(x.shape, architecture, name)
    check_finite(x, name)
    return x


def check_codes(codes: Any, architecture: Shaped, name: str = "codes") -> np.ndarray:
    """Validates codes `(n, latent_dim)` for a model and returns them as float32.

    Raises:
        DataError: On a wrong shape or dtype, or non-finite values.
    """
    codes = as_float_array(codes, name)
    latent_dim = architecture.latent_dim
    if codes.ndim != 2 or codes.shape[1] != latent_dim:
        raise DataError(
            f"{name} must have shape (n_signals, {latent_dim}) for this model "
            f"(latent_dim={latent_dim}). Received shape {codes.shape}."
        )
    check_finite(codes, name)
    return codes


def as_float_array(x: Any, name: str) -> np.ndarray:
    """`x` as a contiguous float32 array.

    Raises:
        DataError: If `x` does not hold real numbers, or is a list of recordings of
            different lengths (`sigae.io.recordings` makes them one set).
    """
    if isinstance(x, list | tuple) and len({np.shape(item) for item in x}) > 1:
        shapes = sorted({np.shape(item) for item in x})
        raise DataError(
            f"{name} is a list of recordings of different shapes ({shapes[0]} to "
            f"{shapes[-1]}); make them one set first: sigae.io.recordings({name}, "
            "lengths='resample' or 'pad', length=the model's length)."
        )
    array = np.asarray(x)
    if array.dtype.kind not in "iuf":
        raise DataError(
            f"{name} must hold real numbers; received dtype {array.dtype}. "
            "Convert it to float first."
        )
    return np.ascontiguousarray(array, dtype="float32")


def _check_shape(shape: tuple[int, ...], architecture: Shaped, name: str) -> None:
    length, channels = architecture.length, architecture.channels
    expected = f"(n_signals, {length}, {channels})"
    if len(shape) != 3:
        also = f" or (n_signals, {length})" if channels == 1 else ""
        raise DataError(f"{name} must have shape {expected}{also}. Received shape {shape}.")
    if shape[1] != length:
        cut = (f"Cut them into windows with --window {length} (sigae.windows), or make "
               if shape[1] > length else "Make ")
        raise DataError(
            f"{name} holds signals of length {shape[1]}, but the model takes length "
            f"{length}. {cut}them that long with --lengths resample or pad "
            "(sigae.io.recordings), or train a model for this length."
        )
    if shape[2] != channels:
        raise DataError(
            f"{name} holds {shape[2]} channel(s), but the model takes {channels}. "
            f"Expected shape {expected}; received {shape}."
        )
