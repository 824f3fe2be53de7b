"""The trainer: a short orchestration of the steps of a `fit`, each in a module of its own.

`train(architecture, views, earlier, x, settings)` takes what a model is made of (its
architecture, its views, what it learned before), the signals and a `TrainingConfig`;
trains the views' shared weights; and returns what it learned besides them as one
`Learned` record. The steps:

1. `split`: the validation signals (a seeded random draw, whole recordings for windows,
   or `validation_data`);
2. `start`: initial weights, normalization and PCA start (both of the training signals
   alone), or a checkpoint's state;
3. `devices`: the model's own views, or a copy over several devices;
4. `optimizer`: Adam, or AdamW that leaves the PCA start alone;
5. `epochs`: Keras' `fit` over sigae's batches, judged by the `guard`, saved by
   `checkpoint` after every epoch;
6. `evaluate`: the comparison with PCA and the calibration; where no epoch beat the PCA
   start, judged on unseen signals, the linear path ends as PCA of all the signals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import keras
import numpy as np

from sigae.architecture.build import Architecture
from sigae.architecture.views import Views
from sigae.core.paths import PathLike
from sigae.data.streaming import in_memory_if_small
from sigae.errors import TrainingError
from sigae.io.arrays import SignalArray
from sigae.training import checkpoint as checkpoints
from sigae.training.devices import place
from sigae.training.epochs import run_epochs
from sigae.training.evaluate import ValidationLoss, errors, evaluate
from sigae.training.guard import GuardCallback
from sigae.training.optimizer import compile_views
from sigae.training.records import Candidate, Learned
from sigae.training.settings import Resolved, TrainingConfig
from sigae.training.split import Provenance, split
from sigae.training.start import start, start_at_pca
from sigae.training.stop import StopRequest

logger = logging.getLogger(__name__)


def train(architecture: Architecture, views: Views, earlier: Learned | None,
          x: SignalArray, settings: TrainingConfig, *,
          validation_data: SignalArray | None = None, verbose: str | int = "auto",
          stop: StopRequest | None = None,
          callbacks: Sequence[keras.callbacks.Callback] = (),
          checkpoint: PathLike | None = None, devices: int | str | None = None,
          candidate: Candidate | None = None, provenance: Provenance | None = None,
          judge_start: bool = True) -> Learned:
    """Trains `views`' shared weights to reconstruct `x`, and returns what they learned.

    See `SignalAutoencoder.fit`, which calls this and keeps the record. On views that have
    learned nothing yet (`earlier is None`), the normalization is fitted on the training
    signals and a linear path starts at PCA; otherwise both are kept.

    Args:
        architecture: What `views` were built from.
        views: The views to train, in place.
        earlier: What they learned before, or `None`.
        x: Training signals, already checked (`sigae.data.checks.check_signals`).
        settings: How to train; `"auto"` settings are resolved for the number of
            training signals.
        validation_data: Validation signals instead of `settings.validation_split`.
        verbose: Keras verbosity.
        stop: Ends training at the end of the current batch once requested.
        callbacks: The user's Keras callbacks (TensorBoard, CSVLogger, ...). sigae's guard
            runs after them at every step, so none can defeat it: the best weights are
            restored at the end, a NaN loss stops training, and if a callback raises, the
            model is left at the best weights so far before the error goes on.
        checkpoint: A file written after every epoch (`sigae.training.checkpoint`); if it
            exists when training starts, the run continues from it. It is left in place:
            the caller removes it once the model is safe.
        devices: Train data-parallel on this many devices (`"all"`), through
            `keras.distribution.DataParallel` (`sigae.training.devices`): a copy of the
            views laid out over the devices trains, and its weights come back to `views`
            after every epoch, where the validation loss is computed. `batch_size` must
            split evenly across the devices.
        judge_start: Whether the starting weights compete with the epochs (the PCA start
            is kept unless an epoch clearly beats it); `False` keeps the best trained
            epoch (the dial's candidates, whose term is not reconstruction alone).
        provenance: Where each signal of `x` comes from (`sigae.training.split`): windows
            of recordings are split by recording, or in blocks.
        candidate: Fit this way (`sigae.training.choice`), for a fresh design with a
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
    x_all = in_memory_if_small(x)
    x_train, x_val = split(x_all, settings.validation_split,
                           None if validation_data is None else in_memory_if_small(validation_data),
                           seed=settings.seed, provenance=provenance)
    resolved = settings.resolved(len(x_train))
    started = start(architecture, views, earlier, x_train, x_val, resolved,
                    checkpoint=checkpoint, candidate=candidate)
    std = views.normalization[1]
    # The one "no validation": `validation is None`.
    validation = None if x_val is None else ValidationLoss(views, x_val, std)
    placed = place(views, architecture, devices, resolved.batch_size, resolved.precision)
    with placed.scope():
        compile_views(placed.views, resolved.learning_rate, resolved.weight_decay,
                      fresh=earlier is None and started.resumed is None)
        if started.resumed is not None:
            checkpoints.restore_optimizer(placed.views.autoencoder, started.resumed)
    start_errors = None
    if started.resumed is None:
        start_errors = errors(views, x_train, std) if validation is None else validation.measure()
        if validation is not None:
            validation.keep(None)  # the starting weights, kept unless an epoch beats them
    guard = GuardCallback(
        monitor="loss" if validation is None else "val_loss", patience=resolved.patience,
        baseline=0.0 if start_errors is None else float(np.mean(start_errors)),
        start_competes=judge_start,
        errors=None if validation is None else (lambda: validation.latest),
        start_errors=None if validation is None else start_errors,
        stop=stop, on_best=None if validation is None else validation.keep)
    writes_checkpoint: list[keras.callbacks.Callback] = []
    if checkpoint is not None:
        if started.resumed is not None:
            guard.load_state(started.resumed.guard, started.resumed.best_weights)
        writes_checkpoint.append(checkpoints.CheckpointCallback(
            checkpoint, started.belongs or {}, guard, views))
    if candidate is None or candidate.trains:
        run_epochs(placed, x_train, resolved, guard, validation=validation,
                   callbacks=callbacks, first_epoch=started.first_epoch, verbose=verbose,
                   after_guard=writes_checkpoint)
    comparison, calibration = evaluate(
        views, x_train, x_val, started.baselines, seed=resolved.seed,
        densities=guard.diverged_at is None,
        reconstructed=None if validation is None else validation.reconstruction_of(
            guard.best_epoch))
    if (earlier is None and views.linear is not None and x_val is not None
            and guard.best_epoch is None and guard.diverged_at is None):
        # The start was kept, judged on signals it had not seen: it ends as PCA of them all.
        start_at_pca(architecture, views, x_all, candidate, resolved.seed)
    learned = Learned(mean=views.normalization[0], std=std, history=guard.history(),
                      comparison=comparison, calibration=calibration)
    if guard.diverged_at is not None:
        raise _diverged(guard, earlier, resolved, learned)
    logger.info("trained %d epochs; %s", learned.history.epochs, comparison.summary())
    return learned


def _diverged(guard: GuardCallback, earlier: Learned | None, settings: Resolved,
              learned: Learned) -> TrainingError:
    """The error of a run whose loss became NaN or infinite, saying which weights were kept."""
    epoch, batch = guard.diverged_at or (0, -1)
    where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch >= 0 else "")
    offset = earlier.history.epochs if earlier is not None else 0
    kept = (f"the weights of epoch {offset + guard.best_epoch + 1} were kept"
            if guard.best_epoch is not None else "the weights from before this fit were kept")
    return TrainingError(
        f"Training diverged: the loss became NaN or infinite at {where}; {kept}. "
        f"Lower learning_rate (now {settings.learning_rate}) or check the data scale.",
        learned=learned)
