"""What a model is worth after training: the comparison with PCA and the calibration.

PCA is fitted on the training signals alone (a spread sample of large data,
`sigae.data.streaming.pca_sample`), as the model is, on the normalized signals and on the
raw ones; the validation signals, unseen by both, judge the model against it. The same pass
gives the validation errors whose quantiles, with the training codes' densities, make the
calibration.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from sigae.architecture.views import Views
from sigae.data.streaming import (
    PREDICT_BATCH,
    block_size,
    in_memory_if_small,
    pca_sample,
    predict,
)
from sigae.io.arrays import SignalArray, chunks, is_lazy, valid
from sigae.stats.calibration import Calibration, calibrate
from sigae.stats.metrics import signal_errors
from sigae.stats.pca import Comparison, PcaComparison, fit_pca
from sigae.training.devices import one_device
from sigae.training.records import Learned
from sigae.training.split import split

PCA = tuple[np.ndarray, np.ndarray]
"""A PCA solution: `(components, mean)` of flattened signals (`sigae.stats.pca.fit_pca`)."""


@dataclass(frozen=True)
class Baselines:
    """PCA at the model's latent size, of the normalized signals and of the raw ones."""

    normalized: PCA
    raw: PCA


def fit_baselines(x: SignalArray, mean: np.ndarray, std: np.ndarray, latent_dim: int,
                  seed: int | None) -> Baselines:
    """PCA of (a spread sample of) all of `x`, normalized with `(mean, std)` and raw.

    With one standard deviation for every channel (always so for one channel), the
    normalization only shifts and scales the signals, so both share their axes: one PCA,
    its mean normalized.
    """
    sample = pca_sample(x)
    raw = fit_pca(sample, latent_dim, seed=seed)
    std = np.asarray(std, "float32")
    if np.all(std == std.reshape(-1)[0]):
        shift = np.broadcast_to(np.asarray(mean, "float32"), sample.shape[1:]).reshape(-1)
        return Baselines((raw[0], ((raw[1] - shift) / std.reshape(-1)[0]).astype("float32")),
                         raw)
    return Baselines(fit_pca((sample - mean) / std, latent_dim, seed=seed), raw)


def evaluate(views: Views, x_train: SignalArray, x_val: SignalArray | None,
             baselines: Baselines, *, seed: int | None, densities: bool = True,
             reconstructed: np.ndarray | None = None) -> tuple[Comparison, Calibration | None]:
    """The comparison with PCA and the calibration, from the autoencoder view's
    reconstructions of the monitored (validation, else training) signals; the calibration's
    densities are fitted when first needed, from the encoder's codes of the training signals
    then.

    Args:
        views: The trained model's views.
        x_train: The training signals (their codes give the densities).
        x_val: The validation signals, or `None` (then the training signals are judged).
        baselines: PCA of the normalized and of the raw signals.
        seed: Seeds the Gaussian mixture.
        densities: Fit the calibration too (not after a diverged run).
        reconstructed: The monitored signals' reconstructions by the views as they are,
            when the validation pass already made them (`ValidationLoss.reconstruction_of`);
            else one pass makes them here.
    """
    mean, std = views.normalization
    monitored = x_val if x_val is not None else x_train
    comparison = PcaComparison(baselines.normalized, baselines.raw, mean, std)
    errors = []
    for start, block in chunks(monitored, block_size(PREDICT_BATCH), what="validation signals"):
        mask = valid(monitored, start, start + len(block))
        # The autoencoder view, whose output is decode(encode(block)) bit for bit.
        reconstruction = (predict(views.autoencoder, block) if reconstructed is None
                          else reconstructed[start:start + len(block)])
        comparison.add(reconstruction, block, mask)
        errors.append(signal_errors(reconstruction, block, std, mask)[0])
    latent_dim = views.encoder.output_shape[-1]
    result = comparison.result("validation" if x_val is not None else "training", latent_dim)
    if not densities:
        return result, None
    # The training codes only when the densities are first needed (sampling, saving).
    return result, calibrate(lambda: predict(views.encoder, x_train), np.concatenate(errors),
                             seed=seed, errors_from="training" if x_val is None else
                             "validation")


def errors(views: Views, x: SignalArray, std: np.ndarray) -> np.ndarray:
    """Per-signal MSE of the autoencoder view in normalized units, shape `(n_signals,)`
    (of padded signals, over their own samples), computed on the model's own device even
    inside a distributed fit."""
    return errors_and_reconstructions(views, x, std, keep=False)[0]


def errors_and_reconstructions(views: Views, x: SignalArray, std: np.ndarray, *,
                               keep: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """`errors`, and with `keep` the reconstructions they were computed from when `x` is in
    memory (`None` for signals read from disk, whose reconstructions memory need not hold)."""
    parts, kept = [], []
    with one_device():
        for start, block in chunks(x, block_size(PREDICT_BATCH), what="validation signals"):
            reconstruction = predict(views.autoencoder, block)
            parts.append(signal_errors(reconstruction, block, std,
                                       valid(x, start, start + len(block)))[0])
            if keep and not is_lazy(x):
                kept.append(reconstruction)
    if not parts:
        return np.zeros(0), None
    return np.concatenate(parts), np.concatenate(kept) if kept else None


class ValidationLoss(keras.callbacks.Callback):
    """The `val_loss` of every epoch, from the per-signal errors of the model's own views
    (`errors`), computed once and kept in `latest` for the guard's judgement.

    It runs before every other callback, so the user's (a CSV log, TensorBoard) and Keras'
    progress bar see `val_loss` as Keras' own validation would give it: the same mean
    squared error in normalized units, without a second compiled evaluation step. The
    reconstructions of the weights the guard keeps (`keep`) serve the comparison with PCA
    at the end (`reconstruction_of`), so no further pass is made then.
    """

    def __init__(self, views: Views, x_val: SignalArray, std: np.ndarray) -> None:
        super().__init__()
        self.views, self.x_val, self.std = views, x_val, std
        self.latest = np.zeros(0)
        self._reconstruction: np.ndarray | None = None
        self._kept: tuple[int | None, np.ndarray] | None = None

    def measure(self) -> np.ndarray:
        """The per-signal errors of the views' current weights, kept in `latest`."""
        self.latest, self._reconstruction = errors_and_reconstructions(
            self.views, self.x_val, self.std)
        return self.latest

    def keep(self, epoch: int | None) -> None:
        """Keeps the latest reconstructions as those of `epoch`'s weights (`None`: the
        starting weights), which the guard keeps."""
        if self._reconstruction is not None:
            self._kept = (epoch, self._reconstruction)

    def reconstruction_of(self, epoch: int | None) -> np.ndarray | None:
        """The validation signals' reconstructions by `epoch`'s weights, if kept."""
        return self._kept[1] if self._kept is not None and self._kept[0] == epoch else None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.measure()
        if logs is not None:
            logs["val_loss"] = float(np.mean(self.latest))


def measure(views: Views, learned: Learned, x: SignalArray, *, validation_split: float = 0.2,
            seed: int | None = None) -> Learned:
    """What `fit` stores besides the weights, for a model that is not trained here.

    An adopted model, or parts given with their statistics, arrive trained but without
    a comparison with PCA or a calibration; this measures both on signals `x` with the
    model as it is (no weight changes): errors and comparison on a seeded random
    `validation_split` of `x` (`sigae.training.split`), PCA and the code densities on the
    rest.

    Returns:
        `learned` with `comparison` and `calibration` replaced.

    Raises:
        DataError: If the split leaves no signals on one side.
    """
    x_train, x_val = split(in_memory_if_small(x), validation_split, seed=seed)
    mean, std = views.normalization
    baselines = fit_baselines(x_train, mean, std, views.encoder.output_shape[-1], seed)
    comparison, calibration = evaluate(views, x_train, x_val, baselines, seed=seed)
    return dataclasses.replace(learned, comparison=comparison, calibration=calibration)
