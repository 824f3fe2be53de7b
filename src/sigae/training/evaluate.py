"""What a model is worth after training: the comparison with PCA and the calibration.

PCA is closed-form and needs no held-out signals, so it is fitted on all the signals (a
spread sample of large data, `sigae.data.streaming.pca_sample`), on the normalized signals
and on the raw ones; the validation signals judge the model against it. The same pass
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
from sigae.data.streaming import block_size, in_memory_if_small, pca_sample, predict
from sigae.io.arrays import SignalArray, chunks, valid
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
    """PCA of (a spread sample of) all of `x`, normalized with `(mean, std)` and raw."""
    sample = pca_sample(x)
    return Baselines(fit_pca((sample - mean) / std, latent_dim, seed=seed),
                     fit_pca(sample, latent_dim, seed=seed))


def evaluate(views: Views, x_train: SignalArray, x_val: SignalArray | None,
             baselines: Baselines, *, seed: int | None, densities: bool = True
             ) -> tuple[Comparison, Calibration | None]:
    """The comparison with PCA and the calibration, in one pass of the autoencoder view over
    the monitored (validation, else training) signals; the calibration's densities are
    fitted when first needed, from the encoder's codes of the training signals then.

    Args:
        views: The trained model's views.
        x_train: The training signals (their codes give the densities).
        x_val: The validation signals, or `None` (then the training signals are judged).
        baselines: PCA of the normalized and of the raw signals.
        seed: Seeds the Gaussian mixture.
        densities: Fit the calibration too (not after a diverged run).
    """
    mean, std = views.normalization
    monitored = x_val if x_val is not None else x_train
    comparison = PcaComparison(baselines.normalized, baselines.raw, mean, std)
    errors = []
    for start, block in chunks(monitored, block_size(100), what="validation signals"):
        mask = valid(monitored, start, start + len(block))
        # The autoencoder view, whose prediction the validation loss has compiled already:
        # its output is decode(encode(block)) bit for bit.
        reconstruction = predict(views.autoencoder, block)
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
    with one_device():
        parts = [signal_errors(predict(views.autoencoder, block), block, std,
                               valid(x, start, start + len(block)))[0]
                 for start, block in chunks(x, what="validation signals")]
    return np.concatenate(parts) if parts else np.zeros(0)


class ValidationLoss(keras.callbacks.Callback):
    """The `val_loss` of every epoch, from the per-signal errors of the model's own views
    (`errors`), computed once and kept in `latest` for the guard's judgement.

    It runs before every other callback, so the user's (a CSV log, TensorBoard) and Keras'
    progress bar see `val_loss` as Keras' own validation would give it: the same mean
    squared error in normalized units, without a second compiled evaluation step.
    """

    def __init__(self, views: Views, x_val: SignalArray, std: np.ndarray) -> None:
        super().__init__()
        self.views, self.x_val, self.std = views, x_val, std
        self.latest = np.zeros(0)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.latest = errors(self.views, self.x_val, self.std)
        if logs is not None:
            logs["val_loss"] = float(np.mean(self.latest))


def measure(views: Views, learned: Learned, x: SignalArray, *, validation_split: float = 0.2,
            seed: int | None = None) -> Learned:
    """What `fit` stores besides the weights, for a model that is not trained here.

    An adopted model, or parts given with their statistics, arrive trained but without
    a comparison with PCA or a calibration; this measures both on signals `x` with the
    model as it is (no weight changes): PCA fitted on all of `x`, errors and comparison
    on the last `validation_split` of `x`, the code densities on the rest.

    Returns:
        `learned` with `comparison` and `calibration` replaced.

    Raises:
        DataError: If the split leaves no signals on one side.
    """
    x_all = in_memory_if_small(x)
    x_train, x_val = split(x_all, validation_split)
    mean, std = views.normalization
    baselines = fit_baselines(x_all, mean, std, views.encoder.output_shape[-1], seed)
    comparison, calibration = evaluate(views, x_train, x_val, baselines, seed=seed)
    return dataclasses.replace(learned, comparison=comparison, calibration=calibration)
