"""How to train: `TrainingConfig`, and the settings chosen from the data's size.

`AUTOMATIC` is the one source of the automatic settings: `TrainingConfig.resolved` reads
it, and the README's table and `sigae train --help` are rendered from it
(`automatic_table`, `automatic_default`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sigae.core.validate import check_choice, check_number
from sigae.data.augment import Augmentation

AUTO = "auto"
"""Marks a training setting to be chosen from the number of training signals."""


@dataclass(frozen=True)
class Tier:
    """The automatic settings for training sets of at least `min_signals` signals.

    Args:
        min_signals: The smallest training set the tier applies to.
        label: The tier's range in words, e.g. `"800 or more"`.
        batch_size: Signals per step; `None`: an eighth of the training signals, at
            least `MIN_BATCH`, so that an epoch still makes several steps.
        epochs: Maximum epochs.
        patience: Early-stopping patience (smaller sets have noisier validation losses).
    """

    min_signals: int
    label: str
    batch_size: int | None
    epochs: int
    patience: int

    def batch_for(self, n_train: int) -> int:
        return self.batch_size if self.batch_size is not None else max(MIN_BATCH, n_train // 8)


MIN_BATCH = 8

AUTOMATIC = (
    Tier(800, "800 or more", 100, 100, 10),  # the question's batch and epochs
    Tier(200, "200 to 799", 50, 200, 20),
    Tier(0, "under 200", None, 300, 30),
)
"""The automatic settings, largest training sets first."""


def tier_for(n_train: int) -> Tier:
    """The tier of `AUTOMATIC` a training set of `n_train` signals falls in."""
    return next(tier for tier in AUTOMATIC if n_train >= tier.min_signals)


def automatic_table() -> str:
    """`AUTOMATIC` as the Markdown table the README shows."""
    rows = ["| training signals | batch_size | epochs | patience |", "|---|---|---|---|"]
    for tier in AUTOMATIC:
        batch = (f"n // 8, at least {MIN_BATCH}" if tier.batch_size is None
                 else str(tier.batch_size))
        rows.append(f"| {tier.label} | {batch} | {tier.epochs} | {tier.patience} |")
    return "\n".join(rows)


def automatic_default(setting: str) -> str:
    """How `--help` states a setting's automatic default, e.g.
    `"chosen from the number of signals; 100 for 800 or more"`."""
    top = AUTOMATIC[0]
    return f"chosen from the number of signals; {getattr(top, setting)} for {top.label}"


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. `"auto"` settings are chosen from the number of training signals
    (`AUTOMATIC`): for 800 or more they are the question's, batch 100 and 100 epochs, with
    early stopping after 10 epochs without improvement; smaller sets get smaller batches,
    more epochs and more patience.

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
    """

    epochs: int | str = AUTO
    batch_size: int | str = AUTO
    validation_split: float = 0.2
    patience: int | str | None = AUTO
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    seed: int | None = None
    augment: Augmentation | str = AUTO

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            check_number(name, getattr(self, name), integer=True, minimum=1,
                         alternatives=(AUTO,))
        check_number("validation_split", self.validation_split, minimum=0, below=1)
        check_number("patience", self.patience, integer=True, minimum=1,
                     alternatives=(None, AUTO))
        check_number("learning_rate", self.learning_rate, positive=True)
        check_number("weight_decay", self.weight_decay, minimum=0)
        check_number("seed", self.seed, integer=True, alternatives=(None,))
        if not isinstance(self.augment, Augmentation):
            check_choice("augment", self.augment, (AUTO, "none"))

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

    def resolved(self, n_train: int) -> TrainingConfig:
        """Returns a copy with every `"auto"` setting chosen for `n_train` signals."""
        tier = tier_for(n_train)
        return dataclasses.replace(
            self,
            batch_size=tier.batch_for(n_train) if self.batch_size == AUTO else self.batch_size,
            epochs=tier.epochs if self.epochs == AUTO else self.epochs,
            patience=tier.patience if self.patience == AUTO else self.patience,
        )
