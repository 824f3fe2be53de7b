"""`SignalAutoencoder`: one set of weights, three views.

The encoder, the decoder and the autoencoder are `keras.Model` views over the same layer
objects (see `sigae.architecture`). Nothing here ever rebuilds a layer to "get" a part.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import keras
import numpy as np

from sigae import config as config_module
from sigae.architecture import Views, build_views, set_linear_path
from sigae.baseline import Comparison, fit_pca, pca_reconstruct
from sigae.calibration import Calibration, calibrate
from sigae.config import ModelConfig
from sigae.errors import ConfigError, DataError, NotFittedError, TrainingError
from sigae.io.arrays import DiskArray, SignalArray, check_finite, chunks, is_lazy, subset
from sigae.io.signals import Signals
from sigae.streaming import (
    DiskBatches,
    NmseAccumulator,
    block_size,
    fit_normalization,
    in_memory_if_small,
    pca_sample,
    signal_errors,
)
from sigae.training import AUTO, GuardCallback, TrainingConfig, TrainingHistory

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


class SignalAutoencoder:
    """A 1D convolutional autoencoder for signals of shape `(n_signals, length, channels)`.

    Args:
        config: The architecture; see `ModelConfig` and `SignalAutoencoder.from_preset`.
        seed: Seeds the initial weights; `None` draws them at random.

    Example:

    >>> ae = SignalAutoencoder(ModelConfig(length=128, latent_dim=4), seed=0)
    >>> ae.encoder.output_shape, ae.decoder.output_shape
    ((None, 4), (None, 128, 1))
    """

    def __init__(self, config: ModelConfig, *, seed: int | None = None) -> None:
        self.config = config
        self._views: Views = build_views(config, seed)
        self.history = TrainingHistory()
        self.comparison: Comparison | None = None
        self.calibration: Calibration | None = None
        self._fitted = False

    @classmethod
    def from_preset(
        cls, name: str, *, length: int, channels: int = 1, seed: int | None = None, **overrides: Any
    ) -> SignalAutoencoder:
        """Builds a named design: `"default"` (sigae's) or `"question"` (the original model).

        Args:
            name: Preset name, one of `sigae.PRESETS`.
            length: Samples per signal.
            channels: Channels per sample.
            seed: Seeds the initial weights.
            **overrides: `ModelConfig` fields to change, e.g. `latent_dim=8`.
        """
        return cls(config_module.preset(name, length=length, channels=channels, **overrides),
                   seed=seed)

    # -- the three views -------------------------------------------------------------

    @property
    def encoder(self) -> keras.Model:
        """`(n, length, channels)` raw signals -> `(n, latent_dim)` codes."""
        return self._views.encoder

    @property
    def decoder(self) -> keras.Model:
        """`(n, latent_dim)` codes -> `(n, length, channels)` signals in data units."""
        return self._views.decoder

    @property
    def autoencoder(self) -> keras.Model:
        """`decoder(encoder(x))` over the same layers, as one `keras.Model`."""
        return self._views.autoencoder

    @property
    def log_var_view(self) -> keras.Model | None:
        """A variational model's `(n, length, channels)` signals -> `(n, latent_dim)`
        log-variance of the code, over the same layers; `None` for other models."""
        return self._views.log_var

    @property
    def is_fitted(self) -> bool:
        """Whether normalization statistics have been fitted (by `fit` or loading)."""
        return self._fitted

    @property
    def normalization(self) -> tuple[np.ndarray, np.ndarray]:
        """The fitted `(mean, std)`: scalars, or arrays of shape `(channels,)`."""
        layer = self._views.normalize
        return np.asarray(layer.mean.numpy()), np.asarray(layer.std.numpy())

    def count_params(self) -> dict[str, int]:
        """Trainable parameter counts of each view (normalization statistics excluded)."""

        def trainable(model: keras.Model) -> int:
            return int(sum(np.prod(w.shape) for w in model.trainable_weights))

        return {
            "encoder": trainable(self.encoder),
            "decoder": trainable(self.decoder),
            "autoencoder": trainable(self.autoencoder),
        }

    # -- training --------------------------------------------------------------------

    def fit(
        self,
        x: np.ndarray | Signals | SignalArray,
        *,
        epochs: int | str = AUTO,
        batch_size: int | str = AUTO,
        validation_split: float = 0.2,
        validation_data: np.ndarray | Signals | SignalArray | None = None,
        patience: int | str | None = AUTO,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        seed: int | None = None,
        verbose: str | int = "auto",
    ) -> TrainingHistory:
        """Trains the shared weights to reconstruct `x`, minimizing MSE in normalized units.

        On the first call the normalization statistics are fitted on the training signals
        only (after the validation split), and a model with `linear_path` gets in its linear
        path the PCA solution of all of `x` (PCA is closed-form, so it needs no held-out
        signals). Later calls keep both and continue training the same weights with the
        same optimizer (a new one if `weight_decay` changes). Every call ends by comparing
        the model with that PCA on the validation signals (`self.comparison`), and by
        fitting the density of the training codes and the quantiles of the training
        error (`self.calibration`, used by `sigae.latent.generate` and `score`).

        An epoch replaces the starting weights only if it beats them by more than twice
        the standard error of the per-signal differences on the validation signals, so
        a small validation set cannot pick an epoch that is better by chance.

        Settings left at `"auto"` are chosen from the number of training signals; for 800
        or more they are the question's (batch 100, 100 epochs) with patience 10. See
        `sigae.training.TrainingConfig` for the table.

        Data larger than memory streams from disk: give `Signals` loaded lazily (a `.npy`
        or HDF5 file, see `sigae.load_signals`) or an `np.memmap`. Up to 256 MB
        (`sigae.streaming.IN_MEMORY_BYTES`) it is simply read into memory; beyond, the
        statistics are computed in one pass over the file, PCA is fitted on 20,000 signals
        spread over it (`sigae.streaming.pca_sample`), and each batch is read when needed
        (`sigae.streaming.DiskBatches`); memory does not grow with the file.

        Args:
            x: Training signals, array of shape `(n_signals, length, channels)` or
                `(n_signals, length)` for one channel, or `Signals`.
            epochs: Maximum number of epochs.
            batch_size: Signals per gradient step.
            validation_split: Fraction held out from the end of `x` for validation, as
                Keras does; ignored when `validation_data` is given.
            validation_data: Validation signals, same shape rules as `x`.
            patience: Early-stopping patience in epochs; `None` trains all epochs. The
                weights of the best epoch (or the starting weights, if no epoch beat
                them) are restored at the end in both cases.
            learning_rate: Adam's learning rate.
            weight_decay: Decoupled weight decay of the convolutional path (AdamW); 0
                (default) trains with plain Adam, as the question did.
            seed: Makes the run reproducible: seeds the initial weights of an untrained
                model, the shuffling and the backend's random state.
            verbose: Keras verbosity: `"auto"`, 0 (silent), 1 (progress bar), 2 (one line
                per epoch).

        Returns:
            The history of this call (loss and val_loss per epoch). `self.history` holds
            the history of all calls.

        Raises:
            ConfigError: For an invalid setting.
            DataError: If `x` or `validation_data` has the wrong shape or non-finite values.
            TrainingError: If the loss becomes NaN or infinite; the last good weights are kept.
        """
        settings = TrainingConfig(
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            patience=patience,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            seed=seed,
        )
        if validation_data is not None:
            validation_data = in_memory_if_small(
                self._check_signals(validation_data, "validation_data"))
        x_all = in_memory_if_small(self._check_signals(x, "x"))
        x_train, x_val = self._split(x_all, settings, validation_data)
        first_fit = not self._fitted
        settings = settings.resolved(len(x_train))
        if settings.seed is not None:
            if first_fit:
                self._reinitialize(settings.seed)
            keras.utils.set_random_seed(settings.seed)
        if first_fit:
            self._set_normalization(*fit_normalization(x_train, self.config.normalization))
        mean, std = self.normalization
        # PCA is closed-form and needs no held-out signals, so it is fitted on all of `x`
        # (a spread sample of large data); the validation signals only judge whether the
        # convolutional path adds anything.
        components, center = fit_pca(
            (pca_sample(x_all) - mean) / std, self.config.latent_dim, seed=settings.seed
        )
        if first_fit and self.config.linear_path:
            set_linear_path(self._views, components, center)
        self._compile(settings.learning_rate, settings.weight_decay)

        monitor_data = x_val if x_val is not None else x_train
        start_errors = self._signal_errors(monitor_data)
        start_loss = float(np.mean(start_errors))
        guard = GuardCallback(
            monitor="val_loss" if x_val is not None else "loss",
            patience=settings.patience,
            baseline=start_loss,
            errors=None if x_val is None else lambda: self._signal_errors(x_val),
            start_errors=None if x_val is None else start_errors,
        )
        if is_lazy(x_train):
            data: dict[str, Any] = {
                "x": DiskBatches(x_train, settings.batch_size, settings.seed),
                "validation_data": None if x_val is None
                else DiskBatches(x_val, settings.batch_size, shuffle=False),
            }
        else:
            data = {
                "x": x_train, "y": x_train, "batch_size": settings.batch_size,
                "validation_data": None if x_val is None else (x_val, x_val),
            }
        self.autoencoder.fit(
            **data, epochs=settings.epochs, shuffle=True, callbacks=[guard], verbose=verbose
        )
        self._fitted = True
        run = TrainingHistory(
            loss=tuple(guard.losses),
            val_loss=tuple(guard.val_losses),
            best_epoch=guard.best_epoch,
            initial_loss=start_loss,
        )
        offset = self.history.epochs
        self.history = self.history.extended(run)
        if guard.diverged_at is None:
            self.calibration = calibrate(self, x_train, x_val, settings.seed)
        self.comparison = self._compare_with_pca(
            monitor_data, components, center, "validation" if x_val is not None else "training"
        )
        if guard.diverged_at is not None:
            epoch, batch = guard.diverged_at
            where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch >= 0 else "")
            kept = (
                f"the weights of epoch {offset + guard.best_epoch + 1} were kept"
                if guard.best_epoch is not None
                else "the weights from before this fit were kept"
            )
            raise TrainingError(
                f"Training diverged: the loss became NaN or infinite at {where}; {kept}. "
                f"Lower learning_rate (now {settings.learning_rate}) or check the data scale."
            )
        logger.info("trained %d epochs; %s", run.epochs, self.comparison.summary())
        return run

    @staticmethod
    def _split(
        x: SignalArray, settings: TrainingConfig, validation_data: SignalArray | None
    ) -> tuple[SignalArray, SignalArray | None]:
        if validation_data is not None:
            return x, validation_data
        if settings.validation_split == 0:
            return x, None
        n_val = round(len(x) * settings.validation_split)
        if n_val < 1 or n_val >= len(x):
            raise DataError(
                f"validation_split={settings.validation_split} leaves no signals for "
                f"{'validation' if n_val < 1 else 'training'} out of {len(x)}. "
                "Give more signals, another validation_split, or validation_data."
            )
        return subset(x, 0, len(x) - n_val), subset(x, len(x) - n_val, len(x))

    def _signal_errors(self, x: SignalArray) -> np.ndarray:
        """Per-signal MSE of the autoencoder in normalized units, shape `(n_signals,)`."""
        return signal_errors(
            lambda block: self.autoencoder.predict(block, batch_size=256, verbose=0),
            x, self.normalization[1],
        )

    def _compare_with_pca(
        self, x: SignalArray, components: np.ndarray, center: np.ndarray, data: str
    ) -> Comparison:
        mean, std = self.normalization
        model, pca = NmseAccumulator(), NmseAccumulator()
        for _, block in chunks(x, block_size(100), what="validation signals"):
            normalized = (block - mean) / std
            model.add((self.reconstruct(block) - mean) / std, normalized)
            pca.add(pca_reconstruct(normalized, components, center), normalized)
        return Comparison(
            data=data,
            n_signals=len(x),
            latent_dim=self.config.latent_dim,
            nmse=model.value,
            pca_nmse=pca.value,
        )

    def _reinitialize(self, seed: int) -> None:
        # A twin built with the seed gives reproducible initial values; copying them into the
        # existing variables keeps every view (and every reference a user holds) valid.
        fresh = build_views(self.config, seed)
        self.autoencoder.set_weights(fresh.autoencoder.get_weights())

    def _set_normalization(self, mean: np.ndarray, std: np.ndarray) -> None:
        for layer in (self._views.normalize, self._views.denormalize):
            layer.mean.assign(mean.astype("float32"))
            layer.std.assign(std.astype("float32"))

    def _compile(self, learning_rate: float, weight_decay: float) -> None:
        model = self.autoencoder
        if model.compiled and getattr(model.optimizer, "weight_decay", None) == (
            weight_decay or None
        ):
            model.optimizer.learning_rate.assign(learning_rate)
            return
        if weight_decay:
            optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
            # The linear path holds the PCA solution; decaying it would pull it away.
            linear = [v for v in model.trainable_weights if v.path.startswith("linear_")]
            if linear:
                optimizer.exclude_from_weight_decay(var_list=linear)
        else:
            optimizer = keras.optimizers.Adam(learning_rate)
        model.compile(optimizer=optimizer, loss="mse")

    # -- inference -------------------------------------------------------------------

    def encode(self, x: np.ndarray | Signals | SignalArray, *, batch_size: int = 100,
               return_variance: bool = False) -> Any:
        """Maps raw signals to codes (a variational model's posterior mean).

        Args:
            x: Array of shape `(n_signals, length, channels)` or `(n_signals, length)`, or
                `Signals`; lazy data is read in blocks.
            batch_size: Signals per forward pass.
            return_variance: Also return a variational model's posterior variance.

        Returns:
            float32 array of shape `(n_signals, latent_dim)`; with `return_variance`, the
            pair `(mean, variance)` of such arrays.

        Raises:
            ConfigError: If `return_variance` is asked of a model that is not variational.
        """
        self._require_fitted("encode")
        x = self._check_signals(x, "x")
        codes = self._predict(self.encoder, x, batch_size)
        if not return_variance:
            return codes
        if self.log_var_view is None:
            raise ConfigError("return_variance=True needs a variational model "
                              "(ModelConfig(variational=True)); this one is not.")
        return codes, np.exp(self._predict(self.log_var_view, x, batch_size))

    def decode(self, codes: np.ndarray, *, batch_size: int = 100) -> np.ndarray:
        """Maps codes to signals in the units of the training data.

        Args:
            codes: Array of shape `(n_signals, latent_dim)`.
            batch_size: Codes per forward pass.

        Returns:
            float32 array of shape `(n_signals, length, channels)`.
        """
        self._require_fitted("decode")
        return self._predict(self.decoder, self._check_codes(codes), batch_size)

    def reconstruct(self, x: np.ndarray | Signals | SignalArray, *, batch_size: int = 100
                    ) -> np.ndarray:
        """The autoencoder view's own forward pass.

        Equals `decode(encode(x))` bit for bit on CPU for the same `batch_size`.

        Returns:
            float32 array of shape `(n_signals, length, channels)`.
        """
        self._require_fitted("reconstruct")
        return self._predict(self.autoencoder, self._check_signals(x, "x"), batch_size)

    @staticmethod
    def _predict(model: keras.Model, x: SignalArray, batch_size: int) -> np.ndarray:
        if len(x) == 0:
            return np.zeros((0, *model.output_shape[1:]), dtype="float32")
        if not is_lazy(x):
            return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), "float32")
        return np.concatenate([
            np.asarray(model.predict(block, batch_size=batch_size, verbose=0), "float32")
            for _, block in chunks(x, block_size(batch_size))
        ])

    # -- saving ----------------------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Writes the model to one `.sigae` file, atomically. See `sigae.saving`."""
        from sigae.saving import save_model

        save_model(self, path)

    def export_encoder(self, path: PathLike) -> None:
        """Writes the encoder, normalization included, as a plain-Keras `.keras` file."""
        from sigae.saving import export_view

        self._require_fitted("export_encoder")
        export_view(self, "encoder", path)

    def export_decoder(self, path: PathLike) -> None:
        """Writes the decoder, denormalization included, as a plain-Keras `.keras` file."""
        from sigae.saving import export_view

        self._require_fitted("export_decoder")
        export_view(self, "decoder", path)

    # -- validation ------------------------------------------------------------------

    def _require_fitted(self, action: str) -> None:
        if not self._fitted:
            raise NotFittedError(
                f"Cannot {action}: the model is untrained, so it has no normalization "
                "statistics. Call fit(x) first, or load a trained model with sigae.load(path)."
            )

    def _check_signals(self, x: Any, name: str) -> np.ndarray:
        return check_signals(x, self.config, name)

    def _check_codes(self, codes: Any) -> np.ndarray:
        codes = _as_float_array(codes, "codes")
        if codes.ndim != 2 or codes.shape[1] != self.config.latent_dim:
            raise DataError(
                f"codes must have shape (n_signals, {self.config.latent_dim}) for this model "
                f"(latent_dim={self.config.latent_dim}). Received shape {codes.shape}."
            )
        check_finite(codes, "codes")
        return codes


def check_signals(x: Any, config: ModelConfig, name: str = "x") -> SignalArray:
    """Validates signals for a model and returns them as float32 `(n, length, channels)`.

    Lazy data (`Signals` read from disk, `np.memmap`) stays lazy: its shape is checked
    here and its values block by block when read.

    Raises:
        DataError: On a wrong number of dimensions, length or channels, or non-finite values.
    """
    if isinstance(x, Signals):
        name, x = x.source, x.data
    if isinstance(x, np.memmap):
        x = DiskArray(x)
    if is_lazy(x):
        _check_shape(x.shape, config, name)
        return x
    x = _as_float_array(x, name)
    if x.ndim == 2 and config.channels == 1:
        x = x[:, :, None]
    _check_shape(x.shape, config, name)
    check_finite(x, name)
    return x


def _check_shape(shape: tuple[int, ...], config: ModelConfig, name: str) -> None:
    expected = f"(n_signals, {config.length}, {config.channels})"
    if len(shape) != 3:
        also = f" or (n_signals, {config.length})" if config.channels == 1 else ""
        raise DataError(f"{name} must have shape {expected}{also}. Received shape {shape}.")
    if shape[1] != config.length:
        cut = (f"cut them into windows with --window {config.length} (sigae.windows)"
               if shape[1] > config.length else "resample them")
        raise DataError(
            f"{name} holds signals of length {shape[1]}, but the model takes length "
            f"{config.length}. {cut[0].upper()}{cut[1:]}, or train a model for this length."
        )
    if shape[2] != config.channels:
        raise DataError(
            f"{name} holds {shape[2]} channel(s), but the model takes {config.channels}. "
            f"Expected shape {expected}; received {shape}."
        )


def _as_float_array(x: Any, name: str) -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "iuf":
        raise DataError(
            f"{name} must hold real numbers; received dtype {array.dtype}. "
            "Convert it to float first."
        )
    return np.ascontiguousarray(array, dtype="float32")
