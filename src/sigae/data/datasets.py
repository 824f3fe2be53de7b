"""The embedded datasets, seeded, with the quantities each signal was made from.

- `oscillations`: damped oscillations, like the question's (amplitude, frequency, decay
  time, phase);
- `chirps`: sweeps whose start and end frequencies vary (and amplitude), a family that no
  linear code of its size reconstructs: its signals fill a curved manifold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple, overload

import numpy as np

from sigae.core.validate import check_number


class Split(NamedTuple):
    """Train and test signals, each of shape `(n_signals, length, 1)`, float32."""

    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class Factors:
    """The quantities each signal was made from, one row per signal.

    Args:
        values: `(n_signals, n_factors)` float64.
        names: One name per column.
        circular: The names of the angles among them (in radians: a value and the same
            value plus 2 pi are one).
    """

    values: np.ndarray
    names: tuple[str, ...]
    circular: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    def columns(self) -> dict[str, np.ndarray]:
        """`{name: values}`, for a table (`sigae.io.write.write_table`)."""
        return {name: self.values[:, i] for i, name in enumerate(self.names)}


class FactorSplit(NamedTuple):
    """Train and test signals, and the factors of each."""

    train: np.ndarray
    test: np.ndarray
    train_factors: Factors
    test_factors: Factors


def _split(signals: np.ndarray, values: list[np.ndarray], names: tuple[str, ...],
           circular: tuple[str, ...], factors: bool) -> Split | FactorSplit:
    """Three quarters for training, one for testing; with the factors if asked."""
    signals = signals[:, :, None].astype("float32")  # (n_signals, length, 1)
    n_train = (3 * len(signals)) // 4
    if not factors:
        return Split(signals[:n_train], signals[n_train:])
    table = np.concatenate(values, axis=1).astype("float64")
    return FactorSplit(signals[:n_train], signals[n_train:],
                       Factors(table[:n_train], names, circular),
                       Factors(table[n_train:], names, circular))


@overload
def oscillations(n_signals: int = ..., length: int = ..., seed: int = ..., *,
                 factors: Literal[False] = ...) -> Split: ...
@overload
def oscillations(n_signals: int = ..., length: int = ..., seed: int = ..., *,
                 factors: Literal[True]) -> FactorSplit: ...


def oscillations(n_signals: int = 2000, length: int = 501, seed: int = 0, *,
                 factors: bool = False) -> Split | FactorSplit:
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
        factors: Also return each signal's `amplitude`, `frequency` (cycles per signal),
            `decay` (time constant, in signal lengths) and `phase` (radians, circular).

    Returns:
        `Split(train, test)`, or with `factors=True`, `FactorSplit(train, test,
        train_factors, test_factors)`.

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
    return _split(signals, [amplitude, frequency, decay, phase],
                  ("amplitude", "frequency", "decay", "phase"), ("phase",), factors)


@overload
def chirps(n_signals: int = ..., length: int = ..., seed: int = ..., *,
           factors: Literal[False] = ...) -> Split: ...
@overload
def chirps(n_signals: int = ..., length: int = ..., seed: int = ..., *,
           factors: Literal[True]) -> FactorSplit: ...
def chirps(n_signals: int = 2000, length: int = 256, seed: int = 0, *,
           factors: bool = False) -> Split | FactorSplit:
    """Linear chirps: `a * sin(2 pi (f0 t + (f1 - f0) t^2 / 2))` plus noise, `t` in [0, 1).

    Amplitude `a` in [0.5, 2], start frequency `f0` and end frequency `f1` each in [2, 16]
    cycles per signal (sweeping up or down), Gaussian noise of standard deviation 0.05;
    three quantities, which no linear code of three numbers reconstructs (the signals lie on
    a curved surface). Three quarters for training, one for testing.

    Args:
        n_signals: Total number of signals (at least 4).
        length: Samples per signal.
        seed: Seed; the same seed gives the same signals.
        factors: Also return each signal's `amplitude`, `start_frequency` and
            `end_frequency`.
    """
    check_number("n_signals", n_signals, integer=True, minimum=4)
    check_number("length", length, integer=True, minimum=2)
    rng = np.random.default_rng(seed)
    t = np.arange(length) / length
    amplitude = rng.uniform(0.5, 2.0, (n_signals, 1))
    start = rng.uniform(2.0, 16.0, (n_signals, 1))
    end = rng.uniform(2.0, 16.0, (n_signals, 1))
    clean = amplitude * np.sin(2 * np.pi * (start * t + (end - start) * t**2 / 2))
    signals = clean + rng.normal(0.0, 0.05, clean.shape)
    return _split(signals, [amplitude, start, end],
                  ("amplitude", "start_frequency", "end_frequency"), (), factors)
