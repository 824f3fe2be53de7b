"""The epochs themselves: Keras' `fit` over sigae's batches, judged by the guard."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from sigae.data.streaming import Batches
from sigae.io.arrays import SignalArray
from sigae.training.devices import Placement, process_shard
from sigae.training.evaluate import ValidationLoss
from sigae.training.guard import GuardCallback
from sigae.training.schedule import ScheduleCallback
from sigae.training.settings import Resolved


def run_epochs(placement: Placement, x_train: SignalArray, settings: Resolved,
               guard: GuardCallback, *, validation: ValidationLoss | None = None,
               callbacks: Sequence[keras.callbacks.Callback] = (), first_epoch: int = 0,
               verbose: str | int = "auto",
               after_guard: Sequence[keras.callbacks.Callback] = ()) -> None:
    """Trains `placement.views` for the epochs `settings` allow, from `first_epoch`.

    Each epoch starts by setting its learning rate (`settings.schedule`, from the epoch's
    number and the losses the guard monitored so far). At the end of every epoch the
    weights first come back from several devices, then `validation` sets `val_loss`, then
    the user's `callbacks` run, then the guard, which so has the last word on the weights
    at every step; `after_guard` (the checkpoint) sees each epoch as the guard judged it.
    However the epochs end (a callback or an interrupt raising included), the model's own
    views hold the best weights so far.
    """
    several = placement.several
    first = [ScheduleCallback(settings.schedule, settings.learning_rate, settings.epochs,
                              guard.monitored),
             *placement.callbacks, *([] if validation is None else [validation])]
    batches = Batches(x_train, settings.batch_size, settings.seed, start_epoch=first_epoch,
                      whole=several, shard=process_shard() if several else (0, 1),
                      augment=settings.augmentation)
    try:
        with placement.scope():
            placement.views.autoencoder.fit(
                batches, epochs=settings.epochs, initial_epoch=first_epoch, shuffle=False,
                callbacks=[*first, *callbacks, guard, *after_guard], verbose=verbose)
    except BaseException:
        guard.restore()  # a callback or an interrupt: the best weights so far, not the last
        raise
    finally:
        placement.bring_back()
