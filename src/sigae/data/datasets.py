"""The embedded dataset: seeded damped oscillations, like the question's `oscillations`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sigae.core.validate import check_number


class Split(NamedTuple):
    """Train and test signals, each of shape `(n_signals, length, 1)`, float32."""

    train: np.ndarray
    test: np.ndarray


def oscillations(n_signals: int = 2000, length: int = 501, seed: int = 0) -> Split:
    """Damped oscillations with random frequency, phase, decay and amplitude, plus noise.

    Each signal is `a * exp(-t / tau) * sin(2 pi f t + phi) + noise` on `t` in [0, 1):
    amplitude `a` in [0.5, 2], frequency `f` in [2, 12] cycles per signal, decay time `tau`
    in [0.15, 1], phase uniform, Gaussian noise of standard deviation 0.05. Three quarters
    of the signals are for training and one quarter for testing, as in the question
    (1500 / 500 for the default 2000).

    Args:
        n_signals: Total number of signals (at least 4).
        length: Samples per signal.
        seed: Seed; the same seed gives the same signals.

    Returns:
        `Split(train, test)`.

    Example:

    >>> train, test = oscillations()
    >>> train.shape, test.shape
    ((1500, 501, 1), (500, 501, 1))
    """
    check_number("n_signals", n_signals, integer=True, minimum=4)
    check_number("length", length, integer=True, minimum=2)
    rng = np.random.default_rng(seed)
    t = np.arange(length) / length  # (length,)
    amplitude = rng.uniform(0.5, 2.0, (n_signals, 1))
    frequency = rng.uniform(2.0, 12.0, (n_signals, 1))
    decay = rng.uniform(0.15, 1.0, (n_signals, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n_signals, 1))
    clean = amplitude * np.exp(-t / decay) * np.sin(2 * np.pi * frequency * t + phase)
    signals = clean + rng.normal(0.0, 0.05, clean.shape)
    signals = signals[:, :, None].astype("float32")  # (n_signals, length, 1)
    n_train = (3 * n_signals) // 4
    return Split(signals[:n_train], signals[n_train:])
