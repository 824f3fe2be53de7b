"""The consistency check: are the three views really one model, before and after saving?"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigae.data.checks import check_signals
from sigae.model import SignalAutoencoder


@dataclass(frozen=True)
class CheckReport:
    """Outcome of `check_consistency`.

    Attributes:
        shared_weights: The encoder's and decoder's variables (and a variational model's
            log-variance head's) are the autoencoder's own variable objects, with none
            missing or extra.
        views_max_abs_difference: max |decoder(encoder(x)) - autoencoder(x)|, each view
            running its own forward pass.
        round_trip_weights_equal: Every weight is bitwise equal after save and load.
        round_trip_max_abs_difference: max |reconstruct(x)| difference after save and load.
        n_signals: Number of signals the outputs were compared on.
    """

    shared_weights: bool
    views_max_abs_difference: float
    round_trip_weights_equal: bool
    round_trip_max_abs_difference: float
    n_signals: int

    @property
    def passed(self) -> bool:
        return (
            self.shared_weights
            and self.views_max_abs_difference == 0.0
            and self.round_trip_weights_equal
            and self.round_trip_max_abs_difference == 0.0
        )


def check_consistency(
    model: SignalAutoencoder, x: np.ndarray, *, batch_size: int = 100
) -> CheckReport:
    """Checks weight identity, view agreement and save/load round-trip equality.

    Args:
        model: A trained model.
        x: Signals, array of shape `(n_signals, length, channels)` or `(n_signals, length)`.
        batch_size: Batch size of every forward pass (bitwise equality holds per batch size).

    Returns:
        A `CheckReport`; `report.passed` is True only if every comparison is exact.
    """
    shared = model.views.shared()

    # Each view's own compiled forward pass; neither is defined in terms of the other.
    x = np.asarray(check_signals(x, model.config))
    codes = model.encoder.predict(x, batch_size=batch_size, verbose=0)
    via_parts = model.decoder.predict(codes, batch_size=batch_size, verbose=0)
    via_whole = model.autoencoder.predict(x, batch_size=batch_size, verbose=0)
    views_difference = _max_abs(via_parts, via_whole)

    with tempfile.TemporaryDirectory(prefix="sigae-check-") as directory:
        path = Path(directory) / "model.sigae"
        model.save(path)
        from sigae.model import load

        reloaded = load(path)
    weights_equal = all(
        np.array_equal(a, b)
        for a, b in zip(
            model.autoencoder.get_weights(), reloaded.autoencoder.get_weights(), strict=True
        )
    )
    reloaded_output = reloaded.autoencoder.predict(x, batch_size=batch_size, verbose=0)
    return CheckReport(
        shared_weights=shared,
        views_max_abs_difference=views_difference,
        round_trip_weights_equal=weights_equal,
        round_trip_max_abs_difference=_max_abs(reloaded_output, via_whole),
        n_signals=len(x),
    )


def probe_signals(model: SignalAutoencoder, n_signals: int = 64, seed: int = 0) -> np.ndarray:
    """Seeded random signals at the scale of the model's training data, for checks."""
    mean, std = model.normalization
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n_signals, model.config.length, model.config.channels))
    return (mean + std * noise).astype("float32")


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if np.size(a) else 0.0
