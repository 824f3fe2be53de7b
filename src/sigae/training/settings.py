"""How to train: `TrainingConfig`, whose `"auto"` settings `sigae.training.automatic`
chooses from the data's size."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sigae.core.validate import check_choice, check_number
from sigae.data.augment import Augmentation
from sigae.training.automatic import AUTO, tier_for
from sigae.training.schedule import SCHEDULES

PRECISIONS = ("float32", "bfloat16")
"""`fit`'s precisions: float32 throughout, or bfloat16 compute with float32 weights."""


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. `"auto"` settings are chosen from the number of training signals
    (`sigae.training.automatic.AUTOMATIC`): for 800 or more, the question's batch of 100
    and at most 100 epochs of the `"plateau"` schedule peaking at 3e-3, with early stopping
    after 10 epochs without improvement; smaller sets get smaller batches, a constant 1e-3,
    more epochs and more patience.

    Args:
        epochs: Maximum number of passes over the training data.
        batch_size: Signals per gradient step.
        validation_split: Fraction of the signals held out for validation when no
            `validation_data` is given, a seeded random draw (`sigae.training.split`; not
            the end, as Keras takes it). 0 disables validation.
        patience: Epochs without improvement of the monitored loss before stopping early,
            twice as many while no epoch has beaten the starting weights (from a PCA start
            the error often rises for a few epochs before it falls); `None` trains all
            `epochs`. The best weights are restored either way.
        learning_rate: Adam's learning rate, the peak of a schedule.
        schedule: The learning rate over the epochs (`sigae.training.schedule`):
            `"constant"`; `"linear"`, rising over the first epochs (up to 3) to
            `learning_rate`, then falling linearly towards zero at the last of `epochs`;
            or `"plateau"`, the same warm-up, then `learning_rate` until the monitored loss
            has not improved for 5 epochs, then a linear fall over 40% of the epochs so far
            (at least 10, ending by the last of `epochs`), after which training ends.
        weight_decay: Decoupled weight decay (AdamW); the PCA-initialized linear path is
            never decayed (`Views.decay_exempt`). 0 (default) trains with plain Adam, as
            the question did.
        seed: Seeds the initial weights (of an untrained built-in design), the batches'
            order and augmentation, for a reproducible run; nothing global is seeded.
            `None` draws them at random.
        augment: `"auto"`: on small data (`sigae.training.choice`), choose by
            cross-validation between PCA, PCA of augmented signals and the convolutional
            path with or without augmentation; else no augmentation. `"none"`: train
            without it. An `Augmentation`: change every training batch with it.
        precision: `"float32"`, or `"bfloat16"`: mixed precision, bfloat16 compute with
            float32 weights, normalization and loss (`sigae.training.devices.place`); for
            GPUs and TPUs, whose bfloat16 units are much faster. The validation loss, the
            comparison with PCA and the calibration are computed in float32 either way.
        tolerance: For a design with `contrast="auto"`: the dial (`sigae.training.dial`)
            keeps the largest weight of the contrastive term whose held-out reconstruction
            error is at most `tolerance` times PCA's of the same size. 1.0 (default) keeps
            the promise of never reconstructing worse than PCA.
    """

    epochs: int | str = AUTO
    batch_size: int | str = AUTO
    validation_split: float = 0.2
    patience: int | str | None = AUTO
    learning_rate: float | str = AUTO
    schedule: str = AUTO
    weight_decay: float = 0.0
    seed: int | None = None
    augment: Augmentation | str = AUTO
    precision: str = "float32"
    tolerance: float = 1.0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            check_number(name, getattr(self, name), integer=True, minimum=1,
                         alternatives=(AUTO,))
        check_number("validation_split", self.validation_split, minimum=0, below=1)
        check_number("patience", self.patience, integer=True, minimum=1,
                     alternatives=(None, AUTO))
        check_number("learning_rate", self.learning_rate, positive=True,
                     alternatives=(AUTO,))
        check_choice("schedule", self.schedule, (AUTO, *SCHEDULES))
        check_number("weight_decay", self.weight_decay, minimum=0)
        check_number("seed", self.seed, integer=True, alternatives=(None,))
        if not isinstance(self.augment, Augmentation):
            check_choice("augment", self.augment, (AUTO, "none"))
        check_choice("precision", self.precision, PRECISIONS)
        check_number("tolerance", self.tolerance, positive=True)

    @classmethod
    def with_augment(cls, augment: Augmentation | str, **settings: Any) -> TrainingConfig:
        """A configuration whose `augment` may also be given in its text form
        (`"shift=0.05,noise"`, see `Augmentation.parse`)."""
        if not isinstance(augment, Augmentation) and augment not in (AUTO, "none"):
            augment = Augmentation.parse(str(augment))
        return cls(augment=augment, **settings)

    @property
    def augmentation(self) -> Augmentation | None:
        """The batches' augmentation, if one was given."""
        return self.augment if isinstance(self.augment, Augmentation) else None

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready plain data."""
        return dataclasses.asdict(self)

    def resolved(self, n_train: int) -> Resolved:
        """The settings with every `"auto"` one chosen for `n_train` signals."""
        tier = tier_for(n_train)
        return Resolved(
            epochs=tier.epochs if self.epochs == AUTO else int(self.epochs),
            batch_size=(tier.batch_for(n_train) if self.batch_size == AUTO
                        else int(self.batch_size)),
            patience=(tier.patience if self.patience == AUTO
                      else None if self.patience is None else int(self.patience)),
            validation_split=self.validation_split,
            learning_rate=(tier.learning_rate if self.learning_rate == AUTO
                           else float(self.learning_rate)),
            schedule=tier.schedule if self.schedule == AUTO else self.schedule,
            weight_decay=self.weight_decay, seed=self.seed, augment=self.augment,
            precision=self.precision, tolerance=self.tolerance)

    def fixed_for(self, n_train: int) -> TrainingConfig:
        """A copy whose `"auto"` epochs, batch size, patience, learning rate and schedule
        are those chosen for `n_train` signals, whatever size it is later used with."""
        resolved = self.resolved(n_train)
        return dataclasses.replace(
            self, epochs=resolved.epochs, batch_size=resolved.batch_size,
            patience=resolved.patience, learning_rate=resolved.learning_rate,
            schedule=resolved.schedule)


@dataclass(frozen=True)
class Resolved:
    """A `TrainingConfig` with every automatic setting chosen (`TrainingConfig.resolved`):
    what the trainer's steps read. Its fields are `TrainingConfig`'s, each of one concrete
    type; `augment` keeps the configuration's value (`augmentation` is what changes the
    batches)."""

    epochs: int
    batch_size: int
    patience: int | None
    validation_split: float
    learning_rate: float
    schedule: str
    weight_decay: float
    seed: int | None
    augment: Augmentation | str
    precision: str
    tolerance: float

    @property
    def augmentation(self) -> Augmentation | None:
        """The batches' augmentation, if one was given."""
        return self.augment if isinstance(self.augment, Augmentation) else None

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready plain data, keyed as `TrainingConfig.to_dict`."""
        values = dataclasses.asdict(self)
        return {field.name: values[field.name] for field in dataclasses.fields(TrainingConfig)}
