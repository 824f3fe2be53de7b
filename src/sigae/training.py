"""Training configuration, history and the callback that guards a run.

The guard keeps the best weights seen (restored at the end whether or not training stopped
early) and stops at the first NaN or infinite loss, keeping the last good weights.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from sigae.errors import ConfigError

AUTO = "auto"
"""Marks a training setting to be chosen from the number of training signals."""


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
        seed: Seeds weight initialization (of an untrained model), shuffling and any
            random layer, for a reproducible run; `None` leaves the global state alone.
    """

    epochs: int | str = AUTO
    batch_size: int | str = AUTO
    validation_split: float = 0.2
    patience: int | str | None = AUTO
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if value != AUTO and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
                raise ConfigError(
                    f"{name} must be a strictly positive integer or 'auto'. "
                    f"Received {name}={value!r}."
                )
        if not (isinstance(self.validation_split, int | float)
                and 0.0 <= self.validation_split < 1.0):
            raise ConfigError(
                "validation_split must be in [0, 1). "
                f"Received validation_split={self.validation_split!r}."
            )
        if self.patience not in (None, AUTO) and (
            isinstance(self.patience, bool) or not isinstance(self.patience, int)
            or self.patience < 1
        ):
            raise ConfigError(
                "patience must be a positive integer, None or 'auto'. "
                f"Received patience={self.patience!r}."
            )
        if not (isinstance(self.learning_rate, int | float) and self.learning_rate > 0):
            raise ConfigError(
                "learning_rate must be a strictly positive number. "
                f"Received learning_rate={self.learning_rate!r}."
            )
        if isinstance(self.weight_decay, bool) or not (
            isinstance(self.weight_decay, int | float) and self.weight_decay >= 0
        ):
            raise ConfigError(
                "weight_decay must be a number >= 0. "
                f"Received weight_decay={self.weight_decay!r}."
            )

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
    """

    loss: tuple[float, ...] = field(default=())
    val_loss: tuple[float, ...] = field(default=())
    best_epoch: int | None = None
    initial_loss: float | None = None

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
        )


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
    """

    def __init__(
        self,
        monitor: str,
        patience: int | None,
        baseline: float,
        errors: Callable[[], np.ndarray] | None = None,
        start_errors: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.best = baseline
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.wait = 0
        self.diverged_at: tuple[int, int] | None = None
        self.losses: list[float] = []
        self.val_losses: list[float] = []
        self._epoch = 0
        self._errors = errors
        self._start_errors = start_errors

    def _beats_start_clearly(self) -> bool:
        if self._errors is None or self._start_errors is None or len(self._start_errors) < 2:
            return True
        differences = self._errors() - self._start_errors
        standard_error = float(np.std(differences, ddof=1)) / math.sqrt(len(differences))
        return float(np.mean(differences)) < -2.0 * standard_error

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best_weights = self.model.get_weights()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = (self._epoch, batch)
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
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
