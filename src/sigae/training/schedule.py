"""The learning rate over a run's epochs: constant; a warm-up and a linear decay over the
run; or a warm-up, a hold until the validation loss levels off, and a linear decay.

A warm-up followed by a decay reaches a given loss in fewer epochs than a constant rate
(Smith 2018, one-cycle; Goyal et al. 2017, warm-up), and a linear decay to zero does at
least as well as a cosine one (Defazio et al. 2023). `"plateau"` starts the decay when the
validation loss stops improving rather than at a fixed epoch (the warm-up, stable, decay
shape of Hu et al. 2024), so data that keeps learning keeps the high rate longer: measured in
benchmarks/README.md ("Time to quality").

The rate of an epoch is a function of its number in the run and of the monitored losses of
the epochs before it alone, set at the start of the epoch into the optimizer's
learning-rate variable: a run resumed from a checkpoint (which keeps those losses) gets the
same rates, so it ends bit for bit as a run never stopped, and the compiled training step
(which reads the rate as a variable) is shared by every schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

SCHEDULES = ("constant", "linear", "plateau")
"""`"constant"`: the learning rate at every epoch. `"linear"`: rising over the first
epochs (`warmup_epochs`) to the learning rate, then falling linearly towards zero at the
last epoch. `"plateau"`: the same warm-up, then the learning rate until the monitored
loss levels off (`PLATEAU_EPOCHS` epochs without a gain of `PLATEAU_GAIN`), then a linear
fall towards zero over `DECAY_SHARE` of the epochs so far (at least `MIN_DECAY`), after
which training ends."""

PLATEAU_EPOCHS = 5
PLATEAU_GAIN = 1e-3
"""A relative gain: a loss counts as improving if it is below `(1 - PLATEAU_GAIN)` times
the best so far."""
DECAY_SHARE = 0.4
MIN_DECAY = 10


def warmup_epochs(epochs: int) -> int:
    """The warm-up of a run of `epochs` epochs: one epoch in 15, at least one for a run of
    two epochs or more, at most 3 (3 for 45 epochs or more)."""
    return 0 if epochs < 2 else min(3, max(1, round(epochs / 15)))


def decay(losses: Sequence[float], epochs: int) -> tuple[int, int] | None:
    """When a `"plateau"` run of `epochs` epochs starts its decay, and for how many epochs,
    given the monitored losses of its epochs so far; `None` while it holds.

    The decay starts after the first epoch past the warm-up that ends `PLATEAU_EPOCHS`
    epochs without improvement, or early enough to end by the last epoch.
    """
    warmup, best, waited = warmup_epochs(epochs), float("inf"), 0
    for epoch, loss in enumerate(losses):
        if loss < best * (1 - PLATEAU_GAIN):
            best, waited = loss, 0
        else:
            waited += 1
        start = epoch + 1
        length = max(MIN_DECAY, round(DECAY_SHARE * start))
        if epoch >= warmup and (waited >= PLATEAU_EPOCHS or start + length >= epochs):
            return start, min(length, max(1, epochs - start))
    return None


def rate_at(schedule: str, peak: float, epoch: int, epochs: int,
            losses: Sequence[float] = ()) -> float:
    """The learning rate of epoch `epoch` (from 0) of a run of `epochs` epochs.

    Args:
        schedule: One of `SCHEDULES`.
        peak: The learning rate the schedule rises to (the constant rate of `"constant"`).
        epoch: The epoch's number in the run, from 0.
        epochs: The run's epochs.
        losses: The monitored losses of the run's epochs before `epoch` (`"plateau"`).

    Returns:
        During the warm-up, `peak * (epoch + 1) / (warm-up + 1)`; during a decay of `n`
        epochs, a linear fall evaluated at the middle of each epoch, so its last epoch still
        learns (at `peak / (2 n)`) and no rate is zero; an epoch past the end keeps the last
        one's.
    """
    if schedule == "constant":
        return peak
    warmup = warmup_epochs(epochs)
    if epoch < warmup:
        return peak * (epoch + 1) / (warmup + 1)
    if schedule == "linear":
        start, length = warmup, epochs - warmup
    else:
        decaying = decay(losses[:epoch], epochs)
        if decaying is None:
            return peak
        start, length = decaying
    progress = (min(epoch - start, length - 1) + 0.5) / length
    return peak * (1.0 - progress)


class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's learning rate at the start of each epoch (`rate_at`), and ends
    a `"plateau"` run once its decay is done.

    Args:
        schedule: One of `SCHEDULES`.
        peak: The schedule's peak learning rate.
        epochs: The run's epochs.
        losses: The monitored losses of the run's epochs so far (the guard's).
    """

    def __init__(self, schedule: str, peak: float, epochs: int,
                 losses: Callable[[], Sequence[float]]) -> None:
        super().__init__()
        self.schedule, self.peak, self.epochs, self.losses = schedule, peak, epochs, losses

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.model.optimizer.learning_rate.assign(
            rate_at(self.schedule, self.peak, epoch, self.epochs, self.losses()))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.schedule == "plateau":
            decaying = decay(self.losses()[:epoch], self.epochs)
            if decaying is not None and epoch + 1 >= sum(decaying):
                self.model.stop_training = True
