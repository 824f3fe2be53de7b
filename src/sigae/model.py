"""`SignalAutoencoder`: one set of weights, three views, and what fitting learned.

A model is its architecture, its views (`sigae.architecture.views`: the encoder, the
decoder and the autoencoder as `keras.Model`s over the same layer objects) and what
fitting learned (`sigae.training.Learned`). The views come from a builder
(`sigae.architecture.build`): a `ModelConfig` (sigae's designs), user parts
(`SignalAutoencoder.from_parts`) or an adopted Keras model (`sigae.adopt`). Nothing here
ever rebuilds a layer to "get" a part.

This is the facade: it holds those three together and runs encode / decode /
reconstruct; fitting, measuring, saving and exporting are a line or two that hand the
parts to the layers below (`sigae.training`, `sigae.saving`), which never see the facade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast, overload

import keras
import numpy as np

from sigae.architecture import config as config_module
from sigae.architecture.build import Architecture, build
from sigae.architecture.parts import PartsConfig, build_parts, parts_config
from sigae.architecture.views import Views
from sigae.core.deprecation import renamed
from sigae.core.paths import PathLike
from sigae.data.augment import Augmentation
from sigae.data.checks import check_codes, check_signals
from sigae.data.normalization import normalization_arrays
from sigae.data.streaming import PREDICT_BATCH, predict
from sigae.errors import ConfigError, NotFittedError, TrainingError
from sigae.io.arrays import SignalArray
from sigae.io.signals import Signals
from sigae.saving import export, model_file
from sigae.stats.calibration import Calibration
from sigae.stats.pca import Comparison
from sigae.training import evaluate, fitting
from sigae.training.automatic import AUTO
from sigae.training.card import card_html
from sigae.training.records import Learned, TrainingHistory
from sigae.training.settings import TrainingConfig
from sigae.training.stop import StopRequest

Inputs = np.ndarray | Signals | SignalArray
"""What `fit`, `encode`, `reconstruct` and `measure` take: an array `(n, length, channels)`
(or `(n, length)` for one channel), `Signals`, or lazy data read in blocks."""


class SignalAutoencoder:
    """An autoencoder for signals of shape `(n_signals, length, channels)`.

    Args:
        config: The architecture: a `ModelConfig` (see also `from_preset`), or the
            `PartsConfig` of a model made of Keras parts (see `from_parts`).
        seed: Seeds the initial weights of a built-in design; `None` draws them at random.
        views: Views of `config` that already exist (see `from_views`), instead of new ones.
        learned: What those views learned (see `learned`).

    Example:

    >>> ae = SignalAutoencoder(ModelConfig(length=128, latent_dim=4), seed=0)
    >>> ae.encoder.output_shape, ae.decoder.output_shape
    ((None, 4), (None, 128, 1))
    """

    def __init__(self, config: Architecture, *, seed: int | None = None,
                 views: Views | None = None, learned: Learned | None = None) -> None:
        self.config: Architecture = config
        self._views = build(config, seed) if views is None else views
        self._learned: Learned | None = None
        if learned is not None:
            self.learned = learned

    @classmethod
    def from_views(cls, config: Architecture, views: Views, learned: Learned | None = None
                   ) -> SignalAutoencoder:
        """A model over views that already exist: built from parts, read from a file, or
        adopted. `learned`, if given, sets the normalization inside them."""
        return cls(config, views=views, learned=learned)

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

    @classmethod
    def from_parts(
        cls,
        encoder: keras.Model,
        decoder: keras.Model,
        *,
        normalization: str = "per_channel",
        mean: Any = None,
        std: Any = None,
        origin: str | None = None,
    ) -> SignalAutoencoder:
        """Wraps your own Keras encoder and decoder with sigae's normalization.

        The model's views hold your parts' own layer objects: training it trains them.
        It gets everything a built-in design has: `fit` (early stopping, PCA comparison,
        calibration), `encode` / `decode` / `reconstruct`, `save` / `sigae.load`, export,
        `sigae check`, the study commands and the report. Its file stores the parts as
        Keras layer configurations, so they must be built from built-in Keras layers
        (`sigae.architecture.allowlist`): no `Lambda`, no custom class.

        Args:
            encoder: A built `keras.Model`, normalized signals `(batch, length, channels)`
                -> codes `(batch, latent_dim)`.
            decoder: A built `keras.Model`, codes `(batch, latent_dim)` -> normalized
                signals `(batch, length, channels)`.
            normalization: `"per_channel"` (one mean and std per channel) or `"global"`,
                fitted on the training signals at the first `fit`.
            mean: With `std`, statistics your parts were already trained with (a scalar
                for `"global"`, one per channel for `"per_channel"`): the model is then
                ready to use, and `fit` keeps them.
            std: See `mean`.
            origin: Where the parts come from, shown by `sigae info`.

        Raises:
            ConfigError: If the parts do not compose into an autoencoder or cannot be
                saved as data.

        Example:

        >>> encoder = keras.Sequential([keras.Input((64, 1)), keras.layers.Conv1D(8, 5),
        ...                             keras.layers.Flatten(), keras.layers.Dense(4)])
        >>> decoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(64),
        ...                             keras.layers.Reshape((64, 1))])
        >>> SignalAutoencoder.from_parts(encoder, decoder).config.latent_dim
        4
        """
        config = parts_config(encoder, decoder, normalization=normalization,
                              origin=origin or PartsConfig.origin)
        if (mean is None) != (std is None):
            raise ConfigError("Give both mean and std, or neither (they are then fitted).")
        learned = None if mean is None else Learned(*normalization_arrays(mean, std, config))
        return cls.from_views(config, build_parts(config, (encoder, decoder)), learned)

    def __repr__(self) -> str:
        config, state = self.config, "fitted" if self.is_fitted else "untrained"
        return (f"SignalAutoencoder(length={config.length}, channels={config.channels}, "
                f"latent_dim={config.latent_dim}, {state})")

    def _repr_html_(self) -> str:
        """The notebook's card: parts, shapes, parameters, normalization, training, the
        comparison with PCA (`sigae.training.card`)."""
        return card_html(self.config, self.param_counts(), self._learned)

    # -- the three views -------------------------------------------------------------

    @property
    def views(self) -> Views:
        """The encoder, decoder and autoencoder views and the normalization layers."""
        return self._views

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
    def log_var(self) -> keras.Model | None:
        """A variational model's `(n, length, channels)` signals -> `(n, latent_dim)`
        log-variance of the code, over the same layers; `None` for other models."""
        return self._views.log_var

    log_var_view = renamed("SignalAutoencoder.log_var_view", "SignalAutoencoder.log_var")

    # -- what fitting learned --------------------------------------------------------

    @property
    def learned(self) -> Learned | None:
        """What fitting learned besides the weights (normalization, history, comparison,
        calibration); `None` for an untrained model. Setting it also sets the
        normalization inside the views."""
        return self._learned

    @learned.setter
    def learned(self, record: Learned) -> None:
        mean, std = normalization_arrays(record.mean, record.std, self.config)
        self._views.set_normalization(mean, std)
        if record.dial is not None and self._views.autoencoder.contrast is not None:
            self._views.set_contrast(record.dial.chosen)  # the dial's choice trains on
        self._learned = record

    @property
    def is_fitted(self) -> bool:
        """Whether the model has its normalization (from `fit`, a file or `from_parts`)."""
        return self._learned is not None

    @property
    def normalization(self) -> tuple[np.ndarray, np.ndarray]:
        """The fitted `(mean, std)`: scalars, or arrays of shape `(channels,)`."""
        return self._views.normalization

    @property
    def history(self) -> TrainingHistory:
        """The loss and val_loss of every epoch of every `fit`."""
        return self._learned.history if self._learned else TrainingHistory()

    @property
    def comparison(self) -> Comparison | None:
        """The last `fit`'s comparison with PCA on the validation signals."""
        return self._learned.comparison if self._learned else None

    @property
    def calibration(self) -> Calibration | None:
        """The training codes' densities and the validation error quantiles."""
        return self._learned.calibration if self._learned else None

    def count_params(self) -> int:
        """The number of values in the model's weights, as Keras counts them: every
        variable of the autoencoder view, the normalization's statistics included."""
        return int(self.autoencoder.count_params())

    def param_counts(self) -> dict[str, int]:
        """Trainable parameters of each view, `{"encoder", "decoder", "autoencoder"}`
        (the normalization's statistics are not trained, so not counted)."""
        return {name: int(sum(np.prod(w.shape) for w in view.trainable_weights))
                for name, view in (("encoder", self.encoder), ("decoder", self.decoder),
                                   ("autoencoder", self.autoencoder))}

    # -- training --------------------------------------------------------------------

    def fit(
        self,
        x: Inputs,
        *,
        epochs: int | str = AUTO,
        batch_size: int | str = AUTO,
        validation_split: float = 0.2,
        validation_data: Inputs | None = None,
        patience: int | str | None = AUTO,
        learning_rate: float | str = AUTO,
        schedule: str = AUTO,
        weight_decay: float = 0.0,
        seed: int | None = None,
        verbose: str | int = "auto",
        stop: StopRequest | None = None,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        checkpoint: PathLike | None = None,
        keep_checkpoint: bool = False,
        devices: int | str | None = None,
        augment: Augmentation | str = "auto",
        precision: str = "float32",
        tolerance: float = 1.0,
        config: TrainingConfig | None = None,
    ) -> TrainingHistory:
        """Trains the shared weights to reconstruct `x`, minimizing MSE in normalized units.

        On the first call the normalization statistics are fitted on the training signals
        only (after the validation split), and a model with `linear_path` starts with the
        PCA solution of the training signals in its linear path; if no epoch beats that
        start on the validation signals, which neither has seen, the linear path ends as
        PCA of all of `x`. Later calls, and models whose statistics were given (`from_parts`,
        `sigae.adopt`), keep them and continue training the same weights with the same
        optimizer (a new one if `weight_decay` changes). Every call ends by comparing
        the model with that PCA on the validation signals (`self.comparison`), and by
        fitting the density of the training codes and the quantiles of the validation
        error (`self.calibration`, used by `sigae.study.latent.generate` and `score`).

        An epoch replaces the starting weights only if it beats them by more than twice
        the standard error of the per-signal differences on the validation signals, so
        a small validation set cannot pick an epoch that is better by chance.

        On small data (10 to 499 signals, `sigae.training.choice`), a fresh built-in design
        with a linear path, `augment="auto"` and automatic `epochs` first chooses how to fit by
        5-fold cross-validation: the PCA start alone, PCA of augmented signals, or the
        convolutional path with or without augmentation; the winner is then fitted on all
        of `x`, and `self.learned.choice` says which won, with every candidate's
        cross-validated error and time.

        The work is done by `sigae.training.fit`, which owns every decision of a fit (the
        checks, the small-data choice, the record, the checkpoint's life).

        Settings left at `"auto"` are chosen from the number of training signals; for 800
        or more, the question's batch of 100 and at most 100 epochs of the `"plateau"`
        schedule peaking at 3e-3, with patience 10; smaller sets train longer at a constant
        1e-3.
        See `sigae.training.automatic.AUTOMATIC` for the table.

        Data larger than memory streams from disk: give `Signals` loaded lazily (a `.npy`
        or HDF5 file, see `sigae.load_signals`) or an `np.memmap`. Up to 256 MB
        (`sigae.data.streaming.IN_MEMORY_BYTES`) it is simply read into memory; beyond, the
        statistics are computed in one pass over the file, PCA is fitted on 20,000 signals
        spread over it (`sigae.data.streaming.pca_sample`), and each batch is read when
        needed (`sigae.data.streaming.Batches`); memory does not grow with the file.

        Args:
            x: Training signals, array of shape `(n_signals, length, channels)` or
                `(n_signals, length)` for one channel, or `Signals`. Recordings of
                different lengths made one (`sigae.io.recordings`) are recorded as such in
                `learned.length_policy` and the model file: `"resample"`, or `"pad"`, whose
                padding no loss, statistic, comparison or error counts (padded signals
                train without augmentation and without the small-data choice, whose
                augmented candidates would move samples across the padding).
            epochs: Maximum number of epochs.
            batch_size: Signals per gradient step.
            validation_split: Fraction of `x` held out for validation, drawn at random
                (seeded by `seed`, the same draw without one) and not from the end as
                Keras does: files are often sorted by class or time. Windows cut from
                recordings are drawn by whole recordings (`sigae.training.split`).
                Ignored when `validation_data` is given.
            validation_data: Validation signals, same shape rules as `x`.
            patience: Early-stopping patience in epochs; `None` trains all epochs. The
                weights of the best epoch (or the starting weights, if no epoch beat
                them) are restored at the end in both cases.
            learning_rate: Adam's learning rate: the peak of a schedule.
            schedule: The learning rate over the epochs (`sigae.training.schedule`):
                `"constant"`; `"linear"`, rising over the first epochs (up to 3) to
                `learning_rate`, then falling linearly towards zero at the last of
                `epochs`; or `"plateau"`, the same warm-up, then `learning_rate` until the
                validation loss has not improved for 5 epochs, then a linear fall over 40%
                of the epochs so far (at least 10), after which training ends. Each `fit`
                call runs its own schedule; a run resumed from a checkpoint continues it
                exactly.
            weight_decay: Decoupled weight decay of the convolutional path (AdamW); 0
                (default) trains with plain Adam, as the question did.
            seed: Makes the run reproducible: seeds the initial weights of an untrained
                built-in design, the batches' order and their augmentation. Nothing
                global is seeded (the designs' random layers have seeds of their own).
            verbose: Keras verbosity: `"auto"`, 0 (silent), 1 (progress bar), 2 (one line
                per epoch).
            stop: A `sigae.training.StopRequest`: once requested (from a signal handler or
                another thread), training ends at the end of the current batch with the
                best weights so far, as if its epochs were done.
            callbacks: Your Keras callbacks (`keras.callbacks.CSVLogger`, TensorBoard,
                your own), run beside sigae's guard, which runs after them and so keeps
                its promises: best weights restored, a stop on NaN, and the best weights
                so far if a callback raises.
            checkpoint: A file to write after every epoch, atomically: weights, optimizer
                state, early-stopping state, history (`sigae.training.checkpoint`). If it exists,
                training continues from it, and ends with the same weights, bit for bit,
                as a run that was never stopped (CPU, one device, with a `seed`). One made
                for other data, another model or other settings is refused. It is removed
                when `fit` returns, unless `keep_checkpoint` or the run was stopped early
                by `stop`.
            keep_checkpoint: Keep the checkpoint after a successful run.
            devices: Train data-parallel on this many devices, or `"all"`
                (`sigae.training.devices`); the global batch is split across them and the result
                follows a one-device run within float tolerance. The model's own views
                stay on one device, so everything else works as before.
            augment: `"auto"` (see above; without the choice it trains without
                augmentation), `"none"`, an `sigae.data.augment.Augmentation`, or its text form
                (`"shift=0.05,noise"`: the changes, each at a strength or its default):
                every training batch is changed at random, seeded by `seed`.
            precision: `"float32"` (default), or `"bfloat16"`: mixed precision (bfloat16
                compute, float32 weights, normalization and loss) for GPUs and TPUs; the
                model keeps float32 views, so encode / decode / reconstruct and everything
                `fit` measures stay float32.
            tolerance: For a design with `contrast="auto"`, the largest held-out
                reconstruction error allowed, as a multiple of PCA's of the same size:
                the dial (`sigae.training.dial`) keeps the largest weight of the
                contrastive term within it, and records what each weight cost in
                `learned.dial`. 1.0 (default) keeps the promise of never reconstructing
                worse than PCA.
            config: All of the settings above from `epochs` to `tolerance` as one
                `TrainingConfig`, which then replaces them (give one or the other).

        Returns:
            The history of this call (loss and val_loss per epoch). `self.history` holds
            the history of all calls.

        Raises:
            ConfigError: For an invalid setting.
            DataError: If `x` or `validation_data` has the wrong shape or non-finite values.
            TrainingError: If the loss becomes NaN or infinite; the last good weights are kept.
        """
        settings = config or TrainingConfig.with_augment(
            augment, epochs=epochs, batch_size=batch_size, validation_split=validation_split,
            patience=patience, learning_rate=learning_rate, schedule=schedule,
            weight_decay=weight_decay,
            seed=seed, precision=precision, tolerance=tolerance)
        try:
            fitted = fitting.fit(
                self.config, self._views, self._learned, x, settings,
                validation_data=validation_data, verbose=verbose, stop=stop,
                callbacks=callbacks, checkpoint=checkpoint, keep_checkpoint=keep_checkpoint,
                devices=devices)
        except TrainingError as error:
            if isinstance(error.learned, Learned):
                self.learned = error.learned  # the record of the last good weights
            raise
        self.learned = fitted.learned
        return fitted.run

    def measure(self, x: Inputs, *, validation_split: float = 0.2,
                seed: int | None = None) -> Comparison:
        """Stores what `fit` measures, without training: the comparison with PCA and the
        calibration (code densities, error quantiles) on signals `x`.

        For a model that arrives trained: adopted (`sigae.adopt`), or parts given with
        their statistics (`from_parts(..., mean=, std=)`). PCA is fitted on all of `x`;
        the errors and the comparison come from its last `validation_split`, the code
        densities from the rest.

        Returns:
            The comparison with PCA (also in `self.comparison`).

        Raises:
            NotFittedError: If the model has no normalization yet (call `fit`).
            DataError: If `x` has the wrong shape or the split leaves no signals.
        """
        learned = self.require_fitted("measure")
        self.learned = measured = evaluate.measure(
            self._views, learned, check_signals(x, self.config),
            validation_split=validation_split, seed=seed)
        return cast(Comparison, measured.comparison)  # measure always compares

    # -- inference -------------------------------------------------------------------

    @overload
    def encode(self, x: Inputs, *, batch_size: int = ...,
               return_variance: Literal[False] = ...) -> np.ndarray: ...

    @overload
    def encode(self, x: Inputs, *, batch_size: int = ...,
               return_variance: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...

    def encode(self, x: Inputs, *, batch_size: int = PREDICT_BATCH,
               return_variance: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Maps raw signals to codes (a variational model's posterior mean).

        Args:
            x: Array of shape `(n_signals, length, channels)` or `(n_signals, length)`, or
                `Signals`; lazy data is read in blocks.
            batch_size: Signals per forward pass; the last pass is padded to a whole batch,
                so a signal's code is the same whichever signals come with it.
            return_variance: Also return a variational model's posterior variance.

        Returns:
            float32 array of shape `(n_signals, latent_dim)`; with `return_variance`, the
            pair `(mean, variance)` of such arrays.

        Raises:
            ConfigError: If `return_variance` is asked of a model that is not variational.
        """
        self.require_fitted("encode")
        x = check_signals(x, self.config, "x")
        codes = predict(self.encoder, x, batch_size)
        if not return_variance:
            return codes
        if self.log_var is None:
            raise ConfigError("return_variance=True needs a variational model "
                              "(ModelConfig(variational=True)); this one is not.")
        return codes, np.exp(predict(self.log_var, x, batch_size))

    def decode(self, codes: np.ndarray, *, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """Maps codes to signals in the units of the training data.

        Args:
            codes: Array of shape `(n_signals, latent_dim)`.
            batch_size: Codes per forward pass (the last padded to a whole batch).

        Returns:
            float32 array of shape `(n_signals, length, channels)`.
        """
        self.require_fitted("decode")
        return predict(self.decoder, check_codes(codes, self.config), batch_size)

    def reconstruct(self, x: Inputs, *, batch_size: int = PREDICT_BATCH
                    ) -> np.ndarray:
        """The autoencoder view's own forward pass.

        Equals `decode(encode(x))` bit for bit on CPU for the same `batch_size`.

        Returns:
            float32 array of shape `(n_signals, length, channels)`.
        """
        self.require_fitted("reconstruct")
        return predict(self.autoencoder, check_signals(x, self.config), batch_size)

    # -- saving ----------------------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Writes the model to one `.sigae` file, atomically. See `sigae.saving.model_file`."""
        model_file.save(path, self.config, self._views, self._learned)

    def export_encoder(self, path: PathLike, format: str = "keras") -> None:
        """Writes the encoder, normalization included, for use without sigae: a plain
        `.keras` file (`format="keras"`) or an ONNX file (`format="onnx"`, dynamic batch,
        needs `pip install 'sigae[onnx]'`). See `sigae.saving.export`."""
        self._export("encoder", path, format)

    def export_decoder(self, path: PathLike, format: str = "keras") -> None:
        """Writes the decoder, denormalization included; see `export_encoder`."""
        self._export("decoder", path, format)

    def export_autoencoder(self, path: PathLike, format: str = "keras") -> None:
        """Writes the autoencoder view, `decoder(encoder(x))`; see `export_encoder`."""
        self._export("autoencoder", path, format)

    def _export(self, part: str, path: PathLike, format: str) -> None:
        self.require_fitted(f"export the {part}")
        export.export_view(self._views, part, path, format)

    # -- validation ------------------------------------------------------------------

    def require_fitted(self, action: str) -> Learned:
        """What the model learned; raises `NotFittedError`, saying why `action` cannot run,
        on an untrained model."""
        if self._learned is None:
            raise NotFittedError(
                f"Cannot {action}: the model is untrained, so it has no normalization "
                "statistics. Call fit(x) first, or load a trained model with sigae.load(path)."
            )
        return self._learned


def load(path: PathLike) -> SignalAutoencoder:
    """Loads a model saved with `SignalAutoencoder.save`; see `load_with_manifest`."""
    return load_with_manifest(path)[0]


def load_with_manifest(path: PathLike) -> tuple[SignalAutoencoder, dict[str, Any]]:
    """Loads a model saved with `SignalAutoencoder.save`, and its verified manifest.

    The layers are rebuilt by sigae's code from the stored architecture; only data
    (JSON and safetensors) is read from the file (`sigae.saving.model_file.read`).

    Args:
        path: A `.sigae` file.

    Returns:
        The model, its three views sharing one set of weights, and the manifest (versions
        and format of the file).

    Raises:
        ModelFileError: If the file is missing, not a sigae model, truncated, tampered
            with, names a class outside `sigae.architecture.allowlist`, or was written by
            a newer sigae.
        StorageError: If the machine cannot read the file (an I/O error, a permission).
    """
    contents = model_file.read(path)
    model = SignalAutoencoder.from_views(contents.architecture, contents.views, contents.learned)
    return model, contents.manifest
