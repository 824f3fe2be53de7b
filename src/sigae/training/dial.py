"""The dial of `contrast="auto"`: the largest weight of the contrastive term whose held-out
reconstruction stays within a tolerance of PCA's, chosen without labels.

A contrastive term on the code (`sigae.architecture.contrast`) makes codes that separate
what the signals' views share, at some cost in reconstruction; how much depends on the data
(benchmarks/README.md, "The central layer, steered"). The dial makes the trade-off the
user's: for a design with `contrast="auto"`, the first `fit` judges a candidate for each of
`WEIGHTS`, smallest first: a new design with that weight, its best epoch by validation
reconstruction kept (its PCA start does not compete: the candidate is the term's, not
PCA's), its held-out error over PCA's of the same size fitted on the same training signals.
Below `FOLDS_BELOW` signals the ratio sums `FOLDS` folds; from there on it is measured on
the fair validation split (`sigae.training.split`). The largest weight whose ratio is at
most `tolerance` wins, and its candidate, trained on the split, becomes the model; when
none does, the model is fitted on reconstruction alone, as without the dial (the small-data
choice included). A larger weight is not tried once a smaller one is beyond the tolerance
(the ratio grows with the weight), nor once `BUDGET_SECONDS` are spent. `Learned.dial`
records every ratio, so `sigae info`, the card and the report show what each weight cost.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigae.architecture.build import Architecture, build
from sigae.architecture.views import Views
from sigae.data.streaming import predict
from sigae.errors import ConfigError
from sigae.io.arrays import SignalArray
from sigae.stats.pca import fit_pca, pca_reconstruct
from sigae.training.records import Dial, Learned
from sigae.training.settings import TrainingConfig
from sigae.training.split import Provenance, split
from sigae.training.stop import StopRequest
from sigae.training.trainer import train

WEIGHTS = (0.01, 0.1, 1.0)
"""The weights tried after 0, smallest first. The term is InfoNCE added to the MSE in
normalized units; measured on six labelled sets (benchmarks/README.md, "The central layer,
steered"), 0.01 already costs 1% to 14% of reconstruction and 1 costs 13% to 48%."""

BUDGET_SECONDS = 90.0
"""No further candidate starts once the dial has spent this long."""

FOLDS = 5
FOLDS_BELOW = 500
"""Below this many signals each weight is judged by `FOLDS`-fold cross-validation."""


@dataclass(frozen=True)
class Dialed:
    """The dial's result: its record, and the winning candidate's views and record when
    a weight above 0 won (`None` when the model is to be fitted on reconstruction alone)."""

    dial: Dial
    views: Views | None = None
    learned: Learned | None = None

    def with_zero(self, learned: Learned) -> Dial:
        """The record, with the ratio of the model fitted on reconstruction alone."""
        ratio = learned.comparison.ratio if learned.comparison is not None else None
        return dataclasses.replace(self.dial, ratios=(ratio, *self.dial.ratios[1:]))


def candidate(architecture: Any, weight: float, x_train: SignalArray, x_val: SignalArray,
              settings: TrainingConfig, *, stop: StopRequest | None = None
              ) -> tuple[Views, Learned]:
    """The dial's candidate for `weight`: a new design with that contrastive weight, trained
    on `x_train` as `settings` say and judged on `x_val`, its best trained epoch kept (its
    PCA start does not compete).

    Returns:
        Its views and what they learned.
    """
    design = dataclasses.replace(architecture, contrast=weight)
    views = build(design, settings.seed)
    learned = train(design, views, None, x_train, settings, validation_data=x_val,
                    verbose=0, stop=stop, judge_start=False)
    return views, learned


def applies(architecture: Architecture, fitted: bool) -> bool:
    """Whether `fit` turns the dial: a design with `contrast="auto"`, fitted for the first
    time."""
    return getattr(architecture, "contrast", 0.0) == "auto" and not fitted


def choose(architecture: Any, x: SignalArray, settings: TrainingConfig, *,
           provenance: Provenance | None = None, stop: StopRequest | None = None,
           budget: float = BUDGET_SECONDS) -> Dialed:
    """Trains the candidates and keeps the largest weight within `settings.tolerance`.

    Below `FOLDS_BELOW` signals each weight is judged by `FOLDS`-fold cross-validation
    (random folds, whole recordings for windows): a validation split of a few dozen
    signals would judge it by chance. From there on, on the fair validation split. The
    winner is then trained on the split's training part, judged on its validation part,
    as any `fit` is.

    Args:
        architecture: A design with `contrast="auto"`.
        x: The training signals, checked and in memory.
        settings: How `fit` was asked to train; each candidate trains so.
        provenance: Where each signal comes from (windows are split by recording).
        stop: Once requested, no further candidate starts.
        budget: Seconds after which no further candidate starts.

    Raises:
        ConfigError: If `settings.validation_split` is 0: the dial needs held-out signals.
    """
    began = time.perf_counter()
    x_train, x_val = split(x, settings.validation_split, seed=settings.seed,
                           provenance=provenance)
    if x_val is None:
        raise ConfigError("contrast='auto' chooses the weight on held-out signals; give a "
                          "validation_split above 0, or a contrast weight.")
    trained: dict[float, tuple[Views, Learned]] = {}
    ratios: list[float | None] = []
    for weight in WEIGHTS:
        if (time.perf_counter() - began > budget or (stop is not None and stop.requested)
                or (ratios and (ratios[-1] is None or ratios[-1] > settings.tolerance))):
            ratios.append(None)  # a smaller weight was beyond the tolerance, or no time
        elif len(x) < FOLDS_BELOW:
            ratios.append(cross_validated(architecture, weight, x, settings, provenance))
        else:
            trained[weight] = candidate(architecture, weight, x_train, x_val, settings,
                                        stop=stop)
            comparison = trained[weight][1].comparison
            ratios.append(None if comparison is None else comparison.ratio)
    chosen = max((w for w, r in zip(WEIGHTS, ratios, strict=True)
                  if r is not None and r <= settings.tolerance), default=0.0)
    if chosen and chosen not in trained:
        trained[chosen] = candidate(architecture, chosen, x_train, x_val, settings, stop=stop)
    dial = Dial(tolerance=settings.tolerance, weights=(0.0, *WEIGHTS),
                ratios=(None, *ratios), chosen=chosen, seconds=time.perf_counter() - began)
    if not chosen:
        return Dialed(dial)
    views, learned = trained[chosen]
    return Dialed(dial, views, dataclasses.replace(learned, dial=dial))


def cross_validated(architecture: Any, weight: float, x: SignalArray,
                    settings: TrainingConfig, provenance: Provenance | None = None) -> float:
    """The candidate's held-out reconstruction error over PCA's, both summed over `FOLDS`
    folds: each fold held out once, the candidate trained (with its own fair validation
    split) and PCA fitted on the other folds, in the candidate's normalized units."""
    from sklearn.model_selection import GroupKFold, KFold

    x = np.asarray(x)
    seed = 0 if settings.seed is None else settings.seed
    if provenance is not None and provenance.windows:
        folds = GroupKFold(min(FOLDS, len(np.unique(provenance.row)))).split(
            x, groups=provenance.row)
    else:
        folds = KFold(FOLDS, shuffle=True, random_state=seed).split(x)
    own = pca = 0.0
    for kept, held in folds:
        fit_on, judge_on = split(x[kept], settings.validation_split, seed=settings.seed)
        views, _ = candidate(architecture, weight, fit_on,
                             x[kept] if judge_on is None else judge_on, settings)
        errors = held_out_errors(views, x[kept], x[held], seed)
        own, pca = own + errors[0], pca + errors[1]
    return own / pca if pca > 0 else float("inf")


def held_out_errors(views: Views, x_fit: np.ndarray, x_held: np.ndarray, seed: int
                    ) -> tuple[float, float]:
    """The summed squared errors on `x_held` of the views' reconstructions and of PCA of
    the same size fitted on `x_fit`, both in the views' normalized units."""
    mean, std = views.normalization
    units = (x_held - mean) / std
    axes = fit_pca((x_fit - mean) / std, views.encoder.output_shape[-1], seed=seed)
    pca = float(np.sum(np.square(pca_reconstruct(units, *axes) - units)))
    own = float(np.sum(np.square((predict(views.autoencoder, x_held) - mean) / std - units)))
    return own, pca
