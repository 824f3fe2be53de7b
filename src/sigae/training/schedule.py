"""The learning rate over a run's epochs: constant, or a short warm-up and a linear decay.

A warm-up followed by a decay reaches a given loss in fewer epochs than a constant rate
(Smith 2018, one-cycle; Goyal et al. 2017, warm-up), and a linear decay to zero does at
least as well as a cosine one for a fixed budget (Defazio et al. 2023). Measured on the
embedded oscillations (benchmarks/README.md, "Time to quality"): 45 epochs of `"linear"` at
a peak of 3e-3 reconstruct the test signals as well as up to 100 at a constant 1e-3.

The rate is a function of the epoch's number in the run alone, set at the start of each
epoch into the optimizer's learning-rate variable: a run resumed from a checkpoint at epoch
`e` gets the rate of epoch `e`, so it ends bit for bit as a run never stopped, and the
compiled training step (which reads the rate as a variable) is shared by every schedule.
"""

from __future__ import annotations

from typing import Any

import keras

SCHEDULES = ("constant", "linear")
"""`"constant"`: the learning rate at every epoch. `"linear"`: rising over the first epochs
(`warmup_epochs`) to the learning rate, then falling linearly towards zero at the end."""


def warmup_epochs(epochs: int) -> int:
    """The epochs of warm-up of a `"linear"` run of `epochs` epochs: one in 15, at least one
    for a run of two epochs or more (3 for 45 epochs)."""
    return 0 if epochs < 2 else max(1, round(epochs / 15))


def rate_at(schedule: str, peak: float, epoch: int, epochs: int) -> float:
    """The learning rate of epoch `epoch` (from 0) of a run of `epochs` epochs.

    Args:
        schedule: One of `SCHEDULES`.
        peak: The learning rate the schedule rises to (the constant rate of `"constant"`).
        epoch: The epoch's number in the run, from 0.
        epochs: The run's epochs.

    Returns:
        For `"linear"`: `peak * (epoch + 1) / (warm-up + 1)` during the warm-up, then a
        linear fall evaluated at the middle of each epoch, so the last epoch still learns
        (at `peak / (2 * decay epochs)`) and no epoch's rate is zero; an epoch past the
        run's end keeps the last one's.
    """
    if schedule == "constant":
        return peak
    warmup = warmup_epochs(epochs)
    if epoch < warmup:
        return peak * (epoch + 1) / (warmup + 1)
    progress = (min(epoch, epochs - 1) - warmup + 0.5) / (epochs - warmup)
    return peak * (1.0 - progress)

class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's learning rate at the start of each epoch (`rate_at`).

    Args:
        schedule: One of `SCHEDULES`.
        peak: The schedule's peak learning rate.
        epochs: The run's epochs.
    """

    def __init__(self, schedule: str, peak: float, epochs: int) -> None:
        super().__init__()
        self.schedule, self.peak, self.epochs = schedule, peak, epochs

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.model.optimizer.learning_rate.assign(
            rate_at(self.schedule, self.peak, epoch, self.epochs))
