"""Training: its settings, the trainer, and what fitting learned.

`train(model, x, settings)` takes a model (any architecture: a built-in design, user parts
or an adopted model), the signals and a `TrainingConfig`, trains the model's shared
weights, and returns what it learned besides them as one `Learned` record: the
normalization, the history, the comparison with PCA and the calibration. Saving writes
and reads that record as one unit. The guard callback keeps the best weights seen
(restored at the end whether or not training stopped early) and stops at the first NaN or
infinite loss, keeping the last good weights.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from sigae.training.trainer import checkpoint as checkpoints
from sigae.data.augment import Augmentation, augmented_copies
from sigae.stats.pca import Comparison, PcaComparison, fit_pca
from sigae.stats.calibration import Calibration, calibrate
from sigae.training.records import Candidate, Choice
from sigae.training.devices import data_parallel, devices_of, is_primary, process_shard
from sigae.errors import ConfigError, DataError, StorageError, TrainingError
from sigae.io.arrays import SignalArray, chunks, is_lazy, subset
from sigae.stats.metrics import signal_errors
from sigae.data.streaming import (
    Batches,
    block_size,
    fit_normalization,
    in_memory_if_small,
    pca_sample,
)
from sigae.core.validate import check_choice, check_number

if TYPE_CHECKING:
    from sigae.model import SignalAutoencoder
    from sigae.architecture.views import Views

logger = logging.getLogger(__name__)

AUTO = "auto"
"""Marks a training setting to be chosen from the number of training signals."""

AUGMENTED_COPIES = 8
"""Augmented copies of each signal that PCA of augmented signals is fitted on, besides it."""


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. `"auto"` settings are chosen from the number of training signals.

    For 800 or more training signals the automatic settings are the question's: batch 100,
    100 epochs, Adam at 1e-3, with early stopping after 10 epochs without improvement.
    Smaller sets get smaller batches (so an epoch still makes several steps), more epochs
    and more patience (their validation loss is noisier):

    | training signals | batch_size    | epochs | patience |
    |------------------|---------------|--------|----------|
    | >= 800           | 100           | 100    | 10       |
    | 200 to 799       | 50            | 200    | 20       |
    | < 200            | n // 8, >= 8  | 300    | 30       |

    Args:
        epochs: Maximum number of passes over the training data.
        batch_size: Signals per gradient step.
        validation_split: Fraction of the signals, taken from the end as Keras does, held
            out for validation when no `validation_data` is given. 0 disables validation.
        patience: Epochs without improvement of the monitored loss before stopping early,
            twice as many while no epoch has beaten the starting weights (from a PCA start
            the error often rises for a few epochs before it falls); `None` trains all
            `epochs`. The best weights are restored either way.
        learning_rate: Adam's learning rate.
        weight_decay: Decoupled weight decay (AdamW) of the convolutional path; the
            PCA-initialized linear path is never decayed. 0 (default) trains with plain
            Adam, as the question did.
        seed: Seeds weight initialization (of an untrained built-in design), shuffling
            and any random layer, for a reproducible run; `None` leaves the global state
            alone.
        augment: `"auto"`: on small data (`sigae.training.choice`), choose by cross-validation
            between PCA, PCA of augmented signals and the convolutional path with or
            without augmentation; else no augmentation. `"none"`: train without it. An
            `Augmentation`: change every training batch with it.
    """

    epochs: int | str = AUTO
    batch_size: int | str = AUTO
    validation_split: float = 0.2
    patience: int | str | None = AUTO
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    seed: int | None = None
    augment: Augmentation | str = AUTO

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            check_number(name, getattr(self, name), integer=True, minimum=1,
                         alternatives=(AUTO,))
        check_number("validation_split", self.validation_split, minimum=0, below=1)
        check_number("patience", self.patience, integer=True, minimum=1,
                     alternatives=(None, AUTO))
        check_number("learning_rate", self.learning_rate, positive=True)
        check_number("weight_decay", self.weight_decay, minimum=0)
        check_number("seed", self.seed, integer=True, alternatives=(None,))
        if not isinstance(self.augment, Augmentation):
            check_choice("augment", self.augment, (AUTO, "none"))

    @property
    def augmentation(self) -> Augmentation | None:
        """The batches' augmentation, if one was given."""
        return self.augment if isinstance(self.augment, Augmentation) else None

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready plain data."""
        return dataclasses.asdict(self)

    def resolved(self, n_train: int) -> TrainingConfig:
        """Returns a copy with every `"auto"` setting chosen for `n_train` signals."""
        if n_train >= 800:
            batch_size, epochs, patience = 100, 100, 10
        elif n_train >= 200:
            batch_size, epochs, patience = 50, 200, 20
        else:
            batch_size, epochs, patience = max(8, n_train // 8), 300, 30
        return dataclasses.replace(
            self,
            batch_size=batch_size if self.batch_size == AUTO else self.batch_size,
            epochs=epochs if self.epochs == AUTO else self.epochs,
            patience=patience if self.patience == AUTO else self.patience,
        )

@dataclass(frozen=True)
class TrainingHistory:
    """Loss per epoch, in normalized units, over every `fit` call of a model.

    Args:
        loss: Training loss per epoch.
        val_loss: Validation loss per epoch (empty without validation).
        best_epoch: Index of the epoch whose weights the model holds; `None` when no
            epoch improved on the starting weights, which are then kept.
        initial_loss: Monitored loss (validation if any) of the weights before the first
            epoch: PCA's error for a model with a linear path.
        interrupted: Why the last run stopped before its epochs were done, when it was
            asked to (`StopRequest`), e.g. `"SIGINT in epoch 4, batch 7"`; `None` otherwise.
    """

    loss: tuple[float, ...] = field(default=())
    val_loss: tuple[float, ...] = field(default=())
    best_epoch: int | None = None
    initial_loss: float | None = None
    interrupted: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.loss)

    @property
    def best_loss(self) -> float | None:
        """The monitored loss (validation if any) of the kept weights."""
        if self.best_epoch is None:
            return self.initial_loss
        losses = self.val_loss or self.loss
        return losses[self.best_epoch]

    def extended(self, run: TrainingHistory) -> TrainingHistory:
        """This history followed by a later `fit` call's `run`."""
        offset = self.epochs
        return TrainingHistory(
            loss=self.loss + run.loss,
            val_loss=self.val_loss + run.val_loss,
            best_epoch=self.best_epoch if run.best_epoch is None else offset + run.best_epoch,
            initial_loss=run.initial_loss if self.initial_loss is None else self.initial_loss,
            interrupted=run.interrupted,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"loss": list(self.loss), "val_loss": list(self.val_loss)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingHistory:
        initial = data.get("initial_loss")
        best = data.get("best_epoch")
        return cls(
            loss=tuple(float(v) for v in data.get("loss", [])),
            val_loss=tuple(float(v) for v in data.get("val_loss", [])),
            best_epoch=None if best is None else int(best),
            initial_loss=None if initial is None else float(initial),
            interrupted=None if data.get("interrupted") is None else str(data["interrupted"]),
        )


class StopRequest:
    """Asks a running `fit` to stop at the end of its current batch.

    Set it from a signal handler or another thread. Training then ends as if its epochs
    were done: the best weights so far are restored, the comparison and calibration are
    computed, and the history says why the run stopped (`TrainingHistory.interrupted`).
    The command line sets one on the first Ctrl-C (SIGINT) or SIGTERM.
    """

    def __init__(self) -> None:
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        """Asks for the stop; `reason` (e.g. `"SIGINT"`) is recorded in the history."""
        self.reason = reason

    @property
    def requested(self) -> bool:
        return self.reason is not None


class GuardCallback(keras.callbacks.Callback):
    """Early stopping with restore of the best weights, and a stop on non-finite loss.

    Args:
        monitor: `"val_loss"` or `"loss"`.
        patience: Epochs without improvement before stopping; `None` never stops early.
            While no epoch has beaten the starting weights, twice as many.
        baseline: Monitored loss of the weights at the start, so that training never ends
            worse than it began.
        errors: Returns the per-signal validation errors of the current weights. When
            given with `start_errors`, an epoch replaces the starting weights only if it
            beats them by more than twice the standard error of the paired per-signal
            differences: on a few validation signals a smaller gain is as likely noise.
        start_errors: Per-signal validation errors of the starting weights.
        stop: Stops training at the end of the batch once requested.
    """

    def __init__(
        self,
        monitor: str,
        patience: int | None,
        baseline: float,
        errors: Callable[[], np.ndarray] | None = None,
        start_errors: np.ndarray | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.baseline = self.best = baseline
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.diverged_at: tuple[int, int] | None = None
        self.losses: list[float] = []
        self.val_losses: list[float] = []
        self._epoch = 0
        self._errors = errors
        self._start_errors = start_errors
        self._stop = stop
        self.interrupted: str | None = None

    def _beats_start_clearly(self) -> bool:
        if self._errors is None or self._start_errors is None or len(self._start_errors) < 2:
            return True
        differences = self._errors() - self._start_errors
        standard_error = float(np.std(differences, ddof=1)) / math.sqrt(len(differences))
        return float(np.mean(differences)) < -2.0 * standard_error

    def state(self) -> dict[str, Any]:
        """The early-stopping state, as JSON-ready data (for checkpoints)."""
        start = None if self._start_errors is None else [float(e) for e in self._start_errors]
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "baseline": self.baseline, "losses": self.losses,
                "val_losses": self.val_losses, "start_errors": start}

    def load_state(self, state: dict[str, Any], best_weights: list[np.ndarray] | None) -> None:
        """Continues from a `state()` and the best weights of an interrupted run."""
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.baseline = state["baseline"]
        self.losses, self.val_losses = list(state["losses"]), list(state["val_losses"])
        start = state["start_errors"]
        self._start_errors = None if start is None else np.asarray(start, "float64")
        self.best_weights = best_weights

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.best_weights is None:  # else continuing a checkpoint's run
            self.best_weights = self.model.get_weights()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = (self._epoch, batch)
            self.model.stop_training = True
        if self._stop is not None and self._stop.requested and self.interrupted is None:
            self.interrupted = f"{self._stop.reason} in epoch {self._epoch + 1}, batch {batch + 1}"
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.diverged_at is not None:
            return
        loss, value = float(logs["loss"]), float(logs.get(self.monitor, math.nan))
        if not (math.isfinite(loss) and math.isfinite(value)):
            self.diverged_at = (epoch, -1)
            self.model.stop_training = True
            return
        self.losses.append(loss)
        if "val_loss" in logs:
            self.val_losses.append(float(logs["val_loss"]))
        if value < self.best and (self.best_epoch is not None or self._beats_start_clearly()):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            # Until an epoch beats the starting weights the patience is doubled: from a
            # PCA start the convolutional path begins at zero, and its first epochs often
            # raise the error a little before they lower it.
            limit = self.patience if self.best_epoch is not None else 2 * (self.patience or 0)
            if self.patience is not None and self.wait >= limit:
                self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.restore()

    def restore(self) -> None:
        """Sets the model to the best weights seen (the starting ones, if none beat them)."""
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class CheckpointCallback(keras.callbacks.Callback):
    """Writes a checkpoint after every complete epoch (`sigae.training.checkpoint`), after the
    guard has judged it. An epoch cut short by a stop request is not written: resuming
    then replays it whole, as the uninterrupted run would have. A checkpoint that cannot be
    written (a full disk) does not stop training, whose model matters more: the fault is
    logged once and kept in `error`."""

    def __init__(self, path: str | os.PathLike[str], belongs: dict[str, Any],
                 guard: GuardCallback, views: Views) -> None:
        super().__init__()
        self.path, self.belongs, self.guard, self.views = path, belongs, guard, views
        self.error: StorageError | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (self.guard.interrupted is not None or self.guard.diverged_at is not None
                or not is_primary()):
            return
        mean, std = self.views.normalization
        optimizer = self.model.optimizer
        try:
            checkpoints.write(self.path, self.belongs, checkpoints.TrainingState(
                epoch=epoch + 1, mean=mean, std=std, guard=self.guard.state(),
                weights=_values(self.model.variables), best_weights=self.guard.best_weights,
                optimizer=_values(optimizer.variables)))
        except StorageError as error:
            if self.error is None:
                logger.warning("training goes on without checkpoints: %s", error)
            self.error = error


def _values(variables: list[keras.Variable]) -> list[np.ndarray]:
    return [_host_value(v) for v in variables]


def _host_value(variable: keras.Variable) -> np.ndarray:
    value = variable.value
    if not getattr(value, "is_fully_addressable", True):
        # Replicated over the devices of several processes: each local shard is whole.
        return np.asarray(value.addressable_shards[0].data)
    return np.asarray(keras.ops.convert_to_numpy(value))


def _assign(variables: list[keras.Variable], values: list[np.ndarray]) -> None:
    for variable, value in zip(variables, values, strict=True):
        variable.assign(np.reshape(value, variable.shape))


class HostValidation(keras.callbacks.Callback):
    """With several devices: after every epoch the weights come back to the model's own
    one-device views, where the validation loss is computed (on any number of signals;
    no batch has to split across the devices), before the guard judges the epoch."""

    def __init__(self, views: Views, x_val: SignalArray | None, std: np.ndarray) -> None:
        super().__init__()
        self.views, self.x_val, self.std = views, x_val, std

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        with _one_device():
            _assign(self.views.autoencoder.variables, _values(self.model.variables))
        if self.x_val is not None and logs is not None:
            logs["val_loss"] = float(np.mean(_errors(self.views, self.x_val, self.std)))


@contextlib.contextmanager
def _one_device() -> Any:
    """Outside any distribution: for the model's own views, inside a distributed fit."""
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def _scope(distribution: Any) -> Any:
    return contextlib.nullcontext() if distribution is None else distribution.scope()


def _distributed_twin(views: Views, architecture: Any, distribution: Any,
                      settings: TrainingConfig, x_val: SignalArray | None, std: np.ndarray
                      ) -> tuple[Views, list[keras.callbacks.Callback]]:
    """A copy of `views` laid out over the devices, and the callback that brings its
    weights back every epoch."""
    from sigae.architecture.views import build

    count = len(devices_of(distribution))
    if settings.batch_size % count:
        raise ConfigError(f"batch_size={settings.batch_size} does not split across {count} "
                          f"devices; use a multiple of {count}.")
    with distribution.scope():
        # Seeded, so that every process of a multi-host run makes the same initial values
        # (they are replaced by the model's at once).
        twin = build(architecture, seed=0)
        twin.set_normalization(*views.normalization)
        _assign(twin.autoencoder.variables, _values(views.autoencoder.variables))
    return twin, [HostValidation(views, x_val, std)]


@dataclass(frozen=True, eq=False)
class Learned:
    """What fitting learned besides the weights; saved and loaded as one unit.

    Args:
        mean: The normalization's mean: a scalar, or one value per channel.
        std: Its standard deviation, same shape.
        history: The losses of every epoch.
        comparison: The model against PCA on the validation signals.
        calibration: The training codes' densities and the validation error quantiles.
        choice: What `augment="auto"` chose by cross-validation on small data, if it did.
    """

    mean: np.ndarray
    std: np.ndarray
    history: TrainingHistory = field(default_factory=TrainingHistory)
    comparison: Comparison | None = None
    calibration: Calibration | None = None
    choice: Choice | None = None

    def after(self, earlier: Learned | None) -> Learned:
        """This record with its history appended to an `earlier` fit's."""
        if earlier is None:
            return self
        return dataclasses.replace(self, history=earlier.history.extended(self.history),
                                   choice=self.choice or earlier.choice)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready plain data."""
        return {
            "mean": np.atleast_1d(self.mean).tolist(),
            "std": np.atleast_1d(self.std).tolist(),
            "history": self.history.to_dict(),
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "choice": self.choice.to_dict() if self.choice else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], latent_dim: int, per_channel: bool) -> Learned:
        """Rebuilds a stored record; raises `ValueError`, `TypeError` or `KeyError` if it is
        malformed."""
        mean, std = (np.asarray(data[key], dtype="float32") for key in ("mean", "std"))
        if not per_channel:
            mean, std = mean.reshape(()), std.reshape(())
        comparison, calibration = data.get("comparison"), data.get("calibration")
        choice = data.get("choice")
        return cls(
            mean=mean,
            std=std,
            history=TrainingHistory.from_dict(data.get("history") or {}),
            comparison=Comparison.from_dict(comparison) if comparison else None,
            calibration=Calibration.from_dict(calibration, latent_dim) if calibration else None,
            choice=Choice.from_dict(choice) if choice else None,
        )


def train(model: SignalAutoencoder, x: SignalArray, settings: TrainingConfig, *,
          validation_data: SignalArray | None = None, verbose: str | int = "auto",
          stop: StopRequest | None = None,
          callbacks: Sequence[keras.callbacks.Callback] = (),
          checkpoint: str | os.PathLike[str] | None = None,
          devices: int | str | None = None,
          candidate: Candidate | None = None) -> Learned:
    """Trains `model`'s shared weights to reconstruct `x`, and returns what it learned.

    See `SignalAutoencoder.fit`, which calls this and keeps the record. On a model that
    has learned nothing yet, the normalization is fitted on the training signals and a
    built-in design with a linear path starts at PCA; otherwise both are kept.

    Args:
        model: Any `SignalAutoencoder`.
        x: Training signals, checked for the model's shape (`sigae.model.check_signals`).
        settings: How to train; `"auto"` settings are resolved for the number of
            training signals.
        validation_data: Validation signals instead of `settings.validation_split`.
        verbose: Keras verbosity.
        stop: Ends training at the end of the current batch once requested.
        callbacks: The user's Keras callbacks (TensorBoard, CSVLogger, ...). sigae's guard
            runs after them at every step, so none can defeat it: the best weights are
            restored at the end, a NaN loss stops training, and if a callback raises, the
            model is left at the best weights so far before the error goes on.
        checkpoint: A file written after every epoch (`sigae.training.checkpoint`); if it exists
            when training starts, the run continues from it. It is left in place: the
            caller removes it once the model is safe.
        devices: Train data-parallel on this many devices (`"all"`), through
            `keras.distribution.DataParallel` (`sigae.training.devices`): a copy of the views
            laid out over the devices trains, and its weights come back to the model's
            own views after every epoch, where the validation loss is computed.
            `batch_size` must split evenly across the devices.
        candidate: Fit this way (`sigae.training.records`), for a fresh built-in design with a
            linear path: a candidate that does not train keeps the PCA start (of
            augmented signals, if it has an augmentation); one that trains trains as
            `settings` say (their `augment` holding the candidate's augmentation).

    Returns:
        The `Learned` record of this run (its history is this run's alone).

    Raises:
        ConfigError: If `checkpoint` belongs to another run (data, model or settings).
        DataError: If the validation split leaves no signals on one side.
        TrainingError: If the loss becomes NaN or infinite; the last good weights are
            kept and the error's `learned` holds the record of the run.
    """
    from sigae.architecture.config import ModelConfig
    from sigae.architecture.views import build

    architecture, views, earlier = model.config, model.views, model.learned
    if validation_data is not None:
        validation_data = in_memory_if_small(validation_data)
    x_all = in_memory_if_small(x)
    x_train, x_val = _split(x_all, settings, validation_data)
    settings = settings.resolved(len(x_train))
    belongs = resumed = None
    if checkpoint is not None:
        belongs = checkpoints.fingerprint(architecture, settings, x_train, x_val)
        if Path(checkpoint).exists():
            resumed = checkpoints.read(checkpoint, belongs)
    if settings.seed is not None and earlier is None and isinstance(architecture, ModelConfig):
        # A twin built with the seed gives reproducible initial values; copying them keeps
        # every view (and every reference a user holds) valid. Nothing global is seeded:
        # the batches' order is a function of (seed, epoch), and the designs' random
        # layers have seeds of their own.
        views.autoencoder.set_weights(build(architecture, settings.seed)
                                      .autoencoder.get_weights())
    if resumed is not None:
        views.set_normalization(resumed.mean, resumed.std)
    elif earlier is None:
        views.set_normalization(*fit_normalization(x_train, architecture.normalization))
    mean, std = views.normalization
    # PCA is closed-form and needs no held-out signals, so it is fitted on all of `x`
    # (a spread sample of large data); the validation signals only judge whether the
    # nonlinear model adds anything. It is fitted on the raw signals too, for the
    # comparison in the data's own units.
    sample = pca_sample(x_all)
    baseline = fit_pca((sample - mean) / std, architecture.latent_dim, seed=settings.seed)
    raw_baseline = fit_pca(sample, architecture.latent_dim, seed=settings.seed)
    trains = candidate is None or candidate.trains
    if earlier is None and architecture.linear_path and resumed is None:
        from sigae.architecture.designs import set_linear_path

        start = baseline
        if not trains and candidate.augmentation is not None:
            start = augmented_pca((sample - mean) / std, candidate.augmentation,
                                  architecture.latent_dim, settings.seed)
        set_linear_path(views, *start)
    if resumed is not None:
        # All the variables: the weights and the random layers' seed states.
        _assign(views.autoencoder.variables, resumed.weights)
    # The views that train: the model's own, or a copy laid out over several devices
    # with the callback that brings its weights back.
    trained, host = views, []
    distribution = None if devices is None else data_parallel(devices)
    if distribution is not None and len(devices_of(distribution)) > 1:
        trained, host = _distributed_twin(views, architecture, distribution, settings,
                                          x_val, std)
    else:
        distribution = None  # one device: the model's own views train
    with _scope(distribution):
        _compile(trained.autoencoder, settings.learning_rate, settings.weight_decay)
        if earlier is None and resumed is None and trained.autoencoder.optimizer.built:
            for variable in trained.autoencoder.optimizer.variables:  # a fresh start
                variable.assign(np.zeros(variable.shape, variable.dtype))
        if resumed is not None:
            optimizer = trained.autoencoder.optimizer
            optimizer.build(trained.autoencoder.trainable_variables)
            _assign(optimizer.variables, resumed.optimizer)

    monitor_data = x_val if x_val is not None else x_train
    start_errors = None if resumed is not None else _errors(views, monitor_data, std)
    guard = GuardCallback(
        monitor="val_loss" if x_val is not None else "loss",
        patience=settings.patience,
        baseline=0.0 if start_errors is None else float(np.mean(start_errors)),
        errors=None if x_val is None else lambda: _errors(views, x_val, std),
        start_errors=None if x_val is None else start_errors,
        stop=stop,
    )
    saving: list[keras.callbacks.Callback] = []
    if checkpoint is not None:
        if resumed is not None:
            guard.load_state(resumed.guard, resumed.best_weights)
        saving.append(CheckpointCallback(checkpoint, belongs, guard, views))
    first_epoch = 0 if resumed is None else resumed.epoch
    validation = None
    if x_val is not None and not host:
        validation = (Batches(x_val, settings.batch_size, shuffle=False) if is_lazy(x_val)
                      else (x_val, x_val))
    try:
        with _scope(distribution):
            trained.autoencoder.fit(
                Batches(x_train, settings.batch_size, settings.seed, start_epoch=first_epoch,
                        whole=bool(host), shard=process_shard() if host else (0, 1),
                        augment=settings.augmentation),
                validation_data=validation, validation_batch_size=settings.batch_size,
                epochs=settings.epochs, initial_epoch=first_epoch,
                shuffle=False, callbacks=[*callbacks, *host, guard, *saving], verbose=verbose
            ) if trains else None
    except BaseException:
        guard.restore()  # a callback or an interrupt: the best weights so far, not the last
        raise
    finally:
        if trained is not views:
            _assign(views.autoencoder.variables, _values(trained.autoencoder.variables))
    history = TrainingHistory(loss=tuple(guard.losses), val_loss=tuple(guard.val_losses),
                              best_epoch=guard.best_epoch, initial_loss=guard.baseline,
                              interrupted=guard.interrupted)

    comparison, calibration = _evaluate(views, x_train, x_val, baseline, raw_baseline,
                                        seed=settings.seed,
                                        densities=guard.diverged_at is None)
    learned = Learned(mean=mean, std=std, history=history, comparison=comparison,
                      calibration=calibration)
    if guard.diverged_at is not None:
        epoch, batch = guard.diverged_at
        where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch >= 0 else "")
        offset = earlier.history.epochs if earlier is not None else 0
        kept = (f"the weights of epoch {offset + guard.best_epoch + 1} were kept"
                if guard.best_epoch is not None
                else "the weights from before this fit were kept")
        raise TrainingError(
            f"Training diverged: the loss became NaN or infinite at {where}; {kept}. "
            f"Lower learning_rate (now {settings.learning_rate}) or check the data scale.",
            learned=learned)
    logger.info("trained %d epochs; %s", history.epochs, learned.comparison.summary())
    return learned


def augmented_pca(normalized: np.ndarray, augmentation: Augmentation, latent_dim: int,
                  seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """PCA (`fit_pca`) of normalized signals and `AUGMENTED_COPIES` augmented copies of each:
    the start of the candidate "PCA of augmented signals"."""
    return fit_pca(augmented_copies(normalized, augmentation, AUGMENTED_COPIES, seed),
                   latent_dim, seed=seed)


def measure(model: SignalAutoencoder, x: SignalArray, *, validation_split: float = 0.2,
            seed: int | None = None) -> Learned:
    """What `fit` stores besides the weights, for a model that is not trained here.

    An adopted model, or parts given with their statistics, arrive trained but without
    a comparison with PCA or a calibration; this measures both on signals `x` with the
    model as it is (no weight changes): PCA fitted on all of `x`, errors and comparison
    on the last `validation_split` of `x`, the code densities on the rest.

    Returns:
        The model's record with `comparison` and `calibration` replaced.

    Raises:
        NotFittedError: If the model has no normalization yet.
        DataError: If the split leaves no signals on one side.
    """
    model.require_fitted("measure")
    views, record = model.views, model.learned
    x_all = in_memory_if_small(x)
    x_train, x_val = _split(x_all, TrainingConfig(validation_split=validation_split), None)
    mean, std = views.normalization
    sample = pca_sample(x_all)
    latent_dim = model.config.latent_dim
    comparison, calibration = _evaluate(
        views, x_train, x_val, fit_pca((sample - mean) / std, latent_dim, seed=seed),
        fit_pca(sample, latent_dim, seed=seed), seed=seed)
    return dataclasses.replace(record, comparison=comparison, calibration=calibration)


def _evaluate(views: Views, x_train: SignalArray, x_val: SignalArray | None,
              baseline: tuple[np.ndarray, np.ndarray], raw_baseline: tuple[np.ndarray, np.ndarray],
              *, seed: int | None, densities: bool = True
              ) -> tuple[Comparison, Calibration | None]:
    """The comparison with PCA (of the normalized signals, and of the raw ones) and the
    calibration, in one pass over the monitored (validation, else training) signals and
    one over the training signals' codes."""
    mean, std = views.normalization
    monitored = x_val if x_val is not None else x_train
    comparison = PcaComparison(baseline, raw_baseline, mean, std)
    codes, errors = [], []
    for _, block in chunks(monitored, block_size(100), what="validation signals"):
        code = views.encoder.predict(block, batch_size=100, verbose=0)
        reconstruction = views.decoder.predict(code, batch_size=100, verbose=0)
        comparison.add(reconstruction, block)
        codes.append(code)
        errors.append(signal_errors(reconstruction, block, std)[0])
    latent_dim = views.encoder.output_shape[-1]
    result = comparison.result("validation" if x_val is not None else "training", latent_dim)
    if not densities:
        return result, None
    training_codes = np.concatenate(codes) if x_val is None else _predict_blocks(
        views.encoder, x_train)
    return result, calibrate(training_codes, np.concatenate(errors), seed=seed,
                             errors_from="training" if x_val is None else "validation")


def _split(x: SignalArray, settings: TrainingConfig, validation_data: SignalArray | None
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


def _errors(views: Views, x: SignalArray, std: np.ndarray) -> np.ndarray:
    """Per-signal MSE of the autoencoder view in normalized units, shape `(n_signals,)`."""
    with _one_device():
        parts = [signal_errors(views.autoencoder.predict(block, batch_size=256, verbose=0),
                               block, std)[0]
                 for _, block in chunks(x, what="validation signals")]
    return np.concatenate(parts) if parts else np.zeros(0)


def _predict_blocks(model: keras.Model, x: SignalArray) -> np.ndarray:
    return np.concatenate([model.predict(block, batch_size=100, verbose=0)
                           for _, block in chunks(x, block_size(100), what="x")])


def _compile(model: keras.Model, learning_rate: float, weight_decay: float) -> None:
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
