"""Training configuration, history and the callback that guards a run.

The guard keeps the best weights seen (restored at the end whether or not training stopped
early) and stops at the first NaN or infinite loss, keeping the last good weights.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from sigae.errors import ConfigError


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. Defaults follow the question: Adam, MSE, batch 100, 20% validation.

    Args:
        epochs: Maximum number of passes over the training data.
        batch_size: Signals per gradient step.
        validation_split: Fraction of the signals, taken from the end as Keras does, held
            out for validation when no `validation_data` is given. 0 disables validation.
        patience: Epochs without improvement of the monitored loss before stopping early;
            `None` trains all `epochs`. The best weights are restored either way.
        learning_rate: Adam's learning rate.
        seed: Seeds weight initialization (of an untrained model), shuffling and any
            random layer, for a reproducible run; `None` leaves the global state alone.
    """

    epochs: int = 100
    batch_size: int = 100
    validation_split: float = 0.2
    patience: int | None = 10
    learning_rate: float = 1e-3
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"{name} must be a strictly positive integer. Received {name}={value!r}."
                )
        if not 0.0 <= self.validation_split < 1.0:
            raise ConfigError(
                "validation_split must be in [0, 1). "
                f"Received validation_split={self.validation_split!r}."
            )
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            raise ConfigError(
                f"patience must be a positive integer or None. Received patience={self.patience!r}."
            )
        if not (isinstance(self.learning_rate, int | float) and self.learning_rate > 0):
            raise ConfigError(
                "learning_rate must be a strictly positive number. "
                f"Received learning_rate={self.learning_rate!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
        baseline: Monitored loss of the weights at the start, so that training never ends
            worse than it began.
    """

    def __init__(self, monitor: str, patience: int | None, baseline: float) -> None:
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
        if value < self.best:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.patience is not None and self.wait >= self.patience:
                self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
