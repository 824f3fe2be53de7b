"""`fit` (also `sigae.training.fit`): the one training entry below the facade.

`SignalAutoencoder.fit` hands it the model's parts and keeps what it returns. It owns what
a `fit` decides before and after the epochs: the checks of the signals, the refusal of
augmentation on padded signals, the dial of `contrast="auto"` (`sigae.training.dial`), the
small-data choice (`sigae.training.choice`), the record of what was learned (merged with
the earlier fits', after an error too) and the checkpoint's life
(`sigae.training.checkpoint.release`). The epochs themselves are the trainer's
(`sigae.training.trainer.train`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from sigae.architecture.build import Architecture
from sigae.architecture.views import Views
from sigae.core.paths import PathLike
from sigae.data.checks import check_signals
from sigae.data.streaming import in_memory_if_small
from sigae.errors import ConfigError, TrainingError
from sigae.io.arrays import Padded
from sigae.io.signals import Signals
from sigae.training import checkpoint as checkpoints
from sigae.training import choice, dial, minimum, trainer
from sigae.training.records import Choice, Learned, TrainingHistory
from sigae.training.settings import TrainingConfig
from sigae.training.split import Provenance
from sigae.training.stop import StopRequest
from sigae.training.variables import assign, values

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fitted:
    """What a `fit` returns.

    Args:
        learned: Everything the model has learned, this run after the earlier fits.
        run: This run's history alone (what `SignalAutoencoder.fit` returns, as Keras'
            `fit` returns its own call's `History`).
    """

    learned: Learned
    run: TrainingHistory


def fit(architecture: Architecture, views: Views, earlier: Learned | None, x: Any,
        settings: TrainingConfig, *, validation_data: Any = None,
        verbose: str | int = "auto", stop: StopRequest | None = None,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        checkpoint: PathLike | None = None, keep_checkpoint: bool = False,
        devices: int | str | None = None) -> Fitted:
    """Trains `views` on `x` as `SignalAutoencoder.fit` documents, and returns the record.

    Args:
        architecture: What `views` were built from.
        views: The model's views, trained in place.
        earlier: What the model learned before, or `None` for a first fit.
        x: The training signals, unchecked: an array, `Signals` (recordings of different
            lengths made one by `sigae.io.recordings` record their length policy) or lazy
            data.
        settings: How to train.
        validation_data: Validation signals instead of `settings.validation_split`.
        verbose: Keras verbosity.
        stop: Ends training at the end of the current batch once requested.
        callbacks: The user's Keras callbacks, run before sigae's guard.
        checkpoint: A file written after every epoch; if it exists, the run continues it.
        keep_checkpoint: Keep it after a successful run (else `checkpoint.release`
            removes it, unless the run was stopped early).
        devices: Train data-parallel on this many devices, or `"all"`.

    Raises:
        ConfigError: For augmentation on padded signals, or a checkpoint of another run.
        DataError: If `x` or `validation_data` has the wrong shape or non-finite values.
        TrainingError: If the loss becomes NaN or infinite; its `learned` is the whole
            record (this run after the earlier ones), for the model to keep.
    """
    if validation_data is not None:
        validation_data = check_signals(validation_data, architecture, "validation_data")
    policy, provenance = _length_policy(x), _provenance(x)
    x = check_signals(x, architecture, "x")
    caveats = _caveats(architecture.latent_dim, len(x), settings, validation_data)
    if isinstance(x, Padded) and settings.augmentation is not None:
        raise ConfigError("Augmentation moves samples across the padding of padded "
                          "signals; train them without it (augment='none'), or resample "
                          "them (lengths='resample').")
    alone = validation_data is None and devices is None
    dialed = None
    if dial.applies(architecture, earlier is not None):
        x = in_memory_if_small(x)
        dialed = _dial(architecture, views, x, settings, provenance, stop, alone=alone)
        if dialed.learned is not None:  # a weight above 0 won: its candidate is the model
            learned = dataclasses.replace(dialed.learned, length_policy=policy,
                                          caveats=caveats)
            return Fitted(learned.after(earlier), learned.history)
    chosen = None
    if not isinstance(x, Padded) and choice.applies(architecture, earlier is not None, len(x),
                                                    settings, alone=alone):
        x = in_memory_if_small(x)  # a small file is read once, here
        chosen = choice.choose(architecture, np.asarray(x), settings, stop=stop)
        settings = _as_chosen(settings, chosen)
    try:
        learned = trainer.train(
            architecture, views, earlier, x, settings, validation_data=validation_data,
            verbose=verbose, stop=stop, callbacks=callbacks, checkpoint=checkpoint,
            devices=devices, candidate=chosen.winner if chosen else None,
            provenance=provenance)
    except TrainingError as error:
        if isinstance(error.learned, Learned):
            error.learned = error.learned.after(earlier)
        raise
    checkpoints.release(checkpoint, learned.history, keep_checkpoint)
    learned = dataclasses.replace(learned, choice=chosen, length_policy=policy,
                                  dial=None if dialed is None else dialed.with_zero(learned),
                                  caveats=caveats)
    return Fitted(learned.after(earlier), learned.history)


def _dial(architecture: Architecture, views: Views, x: Any, settings: TrainingConfig,
          provenance: Provenance | None, stop: StopRequest | None, *, alone: bool
          ) -> dial.Dialed:
    """Turns the dial (`sigae.training.dial`); a winning candidate's weights, contrastive
    weight and record become the model's."""
    if not alone or isinstance(x, Padded):
        raise ConfigError("contrast='auto' chooses its weight on its own split of unpadded "
                          "signals on one device; give no validation_data or devices, or "
                          "a contrast weight.")
    dialed = dial.choose(architecture, x, settings, provenance=provenance, stop=stop)
    if dialed.views is not None:
        assign(views.autoencoder.variables, values(dialed.views.autoencoder.variables))
        views.set_contrast(dialed.dial.chosen)
    return dialed


def _caveats(latent_dim: int, n: int, settings: TrainingConfig, validation_data: Any
             ) -> tuple[str, ...]:
    """The warning of a fit on too few signals (`sigae.training.minimum`), logged now and
    kept in the record."""
    given = None if validation_data is None else len(validation_data)
    caveat = minimum.shortfall(*minimum.sizes(n, settings.validation_split, given), latent_dim)
    if caveat is None:
        return ()
    logger.warning("%s", caveat)
    return (caveat,)


def _length_policy(x: Any) -> str | None:
    """How recordings of different lengths were made one (`"pad"`, `"resample"`), if so."""
    if isinstance(x, Signals) and x.lengths is not None:
        return "pad" if x.padded else "resample"
    return None


def _provenance(x: Any) -> Provenance | None:
    """Where each signal comes from, when `x` is `Signals` cut from recordings."""
    if not isinstance(x, Signals):
        return None
    return Provenance(np.asarray(x.row), np.asarray(x.start), int(x.data.shape[1]))


def _as_chosen(settings: TrainingConfig, chosen: Choice) -> TrainingConfig:
    """The settings with the winner's augmentation, so that a checkpoint knows its run."""
    trained_with = chosen.winner.augmentation if chosen.winner.trains else None
    return dataclasses.replace(settings, augment=trained_with or "none")
