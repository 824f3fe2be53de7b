"""The epochs themselves: Keras' `fit` over sigae's batches, with the guard last."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from sigae.data.streaming import Batches
from sigae.io.arrays import SignalArray, is_lazy
from sigae.training.devices import Placement, process_shard
from sigae.training.guard import GuardCallback
from sigae.training.settings import TrainingConfig


def run_epochs(placement: Placement, x_train: SignalArray, x_val: SignalArray | None,
               settings: TrainingConfig, guard: GuardCallback, *,
               callbacks: Sequence[keras.callbacks.Callback] = (), first_epoch: int = 0,
               verbose: str | int = "auto",
               after_guard: Sequence[keras.callbacks.Callback] = ()) -> None:
    """Trains `placement.views` for the epochs `settings` allow, from `first_epoch`.

    The user's `callbacks` run first, then the callbacks of several devices, then the
    guard, which so has the last word on the weights at every step; `after_guard` (the
    checkpoint) sees each epoch as the guard judged it. However the epochs end (a callback
    or an interrupt raising included), the model's own views hold the best weights so far.
    """
    several = placement.several
    validation: Any = None
    if x_val is not None and not several:  # with several devices the host validates
        validation = (Batches(x_val, int(settings.batch_size), shuffle=False) if is_lazy(x_val)
                      else (x_val, x_val))
    batches = Batches(x_train, int(settings.batch_size), settings.seed, start_epoch=first_epoch,
                      whole=several, shard=process_shard() if several else (0, 1),
                      augment=settings.augmentation)
    try:
        with placement.scope():
            placement.views.autoencoder.fit(
                batches, validation_data=validation, validation_batch_size=settings.batch_size,
                epochs=settings.epochs, initial_epoch=first_epoch, shuffle=False,
                callbacks=[*callbacks, *placement.callbacks, guard, *after_guard],
                verbose=verbose)
    except BaseException:
        guard.restore()  # a callback or an interrupt: the best weights so far, not the last
        raise
    finally:
        placement.bring_back()
