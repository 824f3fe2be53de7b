"""Reconstruction errors, in one place: per signal, and the normalized MSE of a whole set.

Errors are measured in normalized units (divided by the model's fitted standard
deviation), the units the model is trained in, so they compare across datasets and
channels. NMSE divides the MSE by the variance of the normalized signals compared on:
0 is perfect, 1 is no better than predicting the mean signal level.
"""

from __future__ import annotations

import numpy as np


def signal_errors(
    reconstruction: np.ndarray, target: np.ndarray, std: np.ndarray | float = 1.0,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-signal MSE and MAE of a reconstruction, in units of `std`.

    Args:
        reconstruction: Array of shape `(n_signals, length, channels)`.
        target: The signals reconstructed, same shape.
        std: The model's standard deviation: a scalar or `(channels,)`.
        valid: The samples that count, `(n_signals, length)` booleans (padded
            signals, `sigae.io.arrays.Padded`); all of them by default.

    Returns:
        `(mse, mae)`, float64 arrays of shape `(n_signals,)`: means over each signal's
        samples that count.
    """
    difference = (np.asarray(reconstruction, "float64") - target) / np.asarray(std, "float64")
    if valid is None:
        return (np.mean(np.square(difference), axis=(1, 2)),
                np.mean(np.abs(difference), axis=(1, 2)))
    weight = valid[:, :, None] / (valid.sum(axis=1)[:, None, None] * difference.shape[2])
    return (np.sum(np.square(difference) * weight, axis=(1, 2)),
            np.sum(np.abs(difference) * weight, axis=(1, 2)))


class NmseAccumulator:
    """The normalized MSE `mean((y - t)^2) / var(t)` of blocks, added one at a time."""

    def __init__(self) -> None:
        self.error = self.total = self.total_sq = 0.0
        self.count = 0

    def add(self, output: np.ndarray, target: np.ndarray, valid: np.ndarray | None = None
            ) -> None:
        """Adds a block of outputs and the targets they should equal (same shape), only
        the samples `valid` `(n, length)` where given (padded signals)."""
        output, target = np.asarray(output, "float64"), np.asarray(target, "float64")
        if valid is not None:
            output, target = output[valid], target[valid]
        self.error += float(np.square(output - target).sum())
        self.total += float(target.sum())
        self.total_sq += float(np.square(target).sum())
        self.count += target.size

    @property
    def value(self) -> float:
        """The NMSE of everything added; the plain MSE if the targets are constant."""
        error = self.error / self.count
        variance = self.total_sq / self.count - (self.total / self.count) ** 2
        return error / variance if variance > 0 else error


def nmse(reconstruction: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error divided by the variance of `target` (both normalized)."""
    variance = float(np.var(target, dtype="float64"))
    error = float(np.mean(np.square(np.asarray(reconstruction, "float64") - target)))
    return error / variance if variance > 0 else error
