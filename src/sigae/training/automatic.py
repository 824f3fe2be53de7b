"""The settings chosen from the number of training signals, in one table.

`AUTOMATIC` is their one source: `TrainingConfig.resolved` reads it, and the README's
table (`automatic_table`) and `sigae train --help` (`automatic_default`) are rendered from
it. Plain data, importable without NumPy or Keras, so `--help` stays instant.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTO = "auto"
"""Marks a training setting to be chosen from the number of training signals."""

MIN_BATCH = 8


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
        schedule: The learning rate's schedule (`sigae.training.schedule.SCHEDULES`).
        learning_rate: Adam's learning rate: the schedule's peak.
    """

    min_signals: int
    label: str
    batch_size: int | None
    epochs: int
    patience: int
    schedule: str
    learning_rate: float

    def batch_for(self, n_train: int) -> int:
        return self.batch_size if self.batch_size is not None else max(MIN_BATCH, n_train // 8)


AUTOMATIC = (
    # The question's batch and epochs; a warm-up, a hold until the validation loss levels
    # off and a decay reach in about 40 epochs what a constant 1e-3 reaches in up to 100
    # (benchmarks/README.md, "Time to quality").
    Tier(800, "800 or more", 100, 100, 10, "plateau", 3e-3),
    Tier(200, "200 to 799", 50, 200, 20, "constant", 1e-3),
    Tier(0, "under 200", None, 300, 30, "constant", 1e-3),
)
"""The automatic settings, largest training sets first."""


def tier_for(n_train: int) -> Tier:
    """The tier of `AUTOMATIC` a training set of `n_train` signals falls in."""
    return next(tier for tier in AUTOMATIC if n_train >= tier.min_signals)


def automatic_table() -> str:
    """`AUTOMATIC` as the Markdown table the README shows."""
    rows = ["| training signals | batch_size | epochs | patience | schedule | learning_rate |",
            "|---|---|---|---|---|---|"]
    for tier in AUTOMATIC:
        batch = (f"n // 8, at least {MIN_BATCH}" if tier.batch_size is None
                 else str(tier.batch_size))
        rows.append(f"| {tier.label} | {batch} | {tier.epochs} | {tier.patience} | "
                    f"{tier.schedule} | {tier.learning_rate:g} |")
    return "\n".join(rows)


def automatic_default(setting: str) -> str:
    """How `--help` states a setting's automatic default, e.g.
    `"chosen from the number of signals; 100 for 800 or more"`."""
    top = AUTOMATIC[0]
    return f"chosen from the number of signals; {getattr(top, setting)} for {top.label}"
