"""The guard: early stopping that always restores the best weights, and a stop on a
non-finite loss or a `StopRequest`.

It runs after the user's callbacks at every step, so none can defeat it. An epoch
replaces the starting weights only if it beats them clearly (by more than twice the
standard error of the paired per-signal differences on the validation signals).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from sigae.training.records import TrainingHistory
from sigae.training.stop import StopRequest


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
        on_best: Called with the epoch whose weights become the best so far.
        start_competes: Whether the starting weights may be kept; if not, the first epoch
            replaces them whatever its loss.
    """

    def __init__(
        self,
        monitor: str,
        patience: int | None,
        baseline: float,
        errors: Callable[[], np.ndarray] | None = None,
        start_errors: np.ndarray | None = None,
        stop: StopRequest | None = None,
        on_best: Callable[[int], None] | None = None,
        start_competes: bool = True,
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
        self._on_best = on_best
        self._start_competes = start_competes
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

    def monitored(self) -> list[float]:
        """The monitored loss of every epoch of the run so far."""
        return self.val_losses if self.monitor == "val_loss" else self.losses

    def history(self) -> TrainingHistory:
        """The run so far as a `TrainingHistory`."""
        return TrainingHistory(loss=tuple(self.losses), val_loss=tuple(self.val_losses),
                               best_epoch=self.best_epoch, initial_loss=self.baseline,
                               interrupted=self.interrupted)

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
        first = self.best_epoch is None and not self._start_competes
        if first or (value < self.best
                     and (self.best_epoch is not None or self._beats_start_clearly())):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_weights = self.model.get_weights()
            if self._on_best is not None:
                self._on_best(epoch)
        else:
            self.wait += 1
            # Until an epoch beats the starting weights the patience is doubled: from a
            # PCA start the convolutional path begins at zero, and its first epochs often
            # raise the error a little before they lower it.
            if self.patience is not None:
                limit = self.patience if self.best_epoch is not None else 2 * self.patience
                if self.wait >= limit:
                    self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.restore()

    def restore(self) -> None:
        """Sets the model to the best weights seen (the starting ones, if none beat them)."""
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
