"""How many signals a fit needs for its result to mean anything.

A code of `latent_dim` numbers fitted on a handful of signals can store each of them: PCA
with as many components as there are training signals (less one) reproduces them exactly,
and a network of thousands of weights does as well. Its validation error and its comparison
with PCA then measure nothing, and an anomaly threshold taken from the errors of one or two
validation signals flags almost every new signal. So a fit needs:

- at least `minimum_training(latent_dim)` training signals: twice the code's size, and never
  fewer than `MIN_TRAINING` (10);
- at least `MIN_VALIDATION` (10) validation signals, where it holds any out.

`sigae train` refuses data below these (unless `--force`); `fit` trains on it, logs a
warning and records it in the model (`Learned.caveats`), which `sigae info`, the model card,
the report and `sigae score` repeat. An anomaly threshold needs the errors of at least
`MIN_THRESHOLD` (20) validation signals (`sigae.stats.calibration.Calibration.threshold`).
"""

from __future__ import annotations

MIN_TRAINING = 10
MIN_VALIDATION = 10
MIN_THRESHOLD = 20


def minimum_training(latent_dim: int) -> int:
    """The fewest training signals for a code of `latent_dim` numbers."""
    return max(MIN_TRAINING, 2 * latent_dim)


def sizes(n: int, validation_split: float, n_validation: int | None = None) -> tuple[int, int]:
    """`(training, validation)` signal counts of a fit on `n` signals: the split's draw
    (`sigae.training.split`), or all `n` for training beside `n_validation` given ones."""
    if n_validation is not None:
        return n, n_validation
    held = round(n * validation_split)
    return n - held, held


def shortfall(n_train: int, n_validation: int, latent_dim: int) -> str | None:
    """The caveat of a fit on `n_train` training and `n_validation` validation signals (0:
    none held out) with codes of `latent_dim` numbers, or `None` when they are enough."""
    need = minimum_training(latent_dim)
    if n_train >= need and (n_validation == 0 or n_validation >= MIN_VALIDATION):
        return None
    held = f"validated on {n_validation}" if n_validation else "validated on none"
    return (f"trained on {n_train} signals and {held}; a result needs at least {need} "
            f"training signals ({MIN_TRAINING}, or twice the latent size {latent_dim} where that "
            f"is more) and {MIN_VALIDATION} validation signals: its errors and its "
            "comparison with PCA mean little")
