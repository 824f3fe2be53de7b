"""The dial of `contrast="auto"`: the largest weight of the contrastive term whose held-out
reconstruction stays within a tolerance of PCA's, chosen without labels.

A contrastive term on the code (`sigae.architecture.contrast`) makes codes that separate
what the signals' views share, at some cost in reconstruction; how much depends on the data
(benchmarks/README.md, "The central layer, steered"). The dial makes the trade-off the
user's: for a design with `contrast="auto"`, the first `fit` trains a candidate for each of
`WEIGHTS`, smallest first, on the training part of the fair split (`sigae.training.split`),
each keeping its best epoch by validation reconstruction (its PCA start does not compete:
the candidate is the term's, not PCA's), and measures its validation error against PCA of
the same size fitted on the training part. The largest weight whose ratio is at most
`tolerance` is kept, and that candidate becomes the model; when none is, the model is fitted
on reconstruction alone, as without the dial (the small-data choice included). A larger weight is not tried once a smaller
one is beyond the tolerance (the ratio grows with the weight), nor once `BUDGET_SECONDS`
are spent. `Learned.dial` records every ratio, so `sigae info` and the report show what
each weight cost.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from sigae.architecture.build import Architecture, build
from sigae.architecture.views import Views
from sigae.errors import ConfigError
from sigae.io.arrays import SignalArray
from sigae.training.records import Dial, Learned
from sigae.training.settings import TrainingConfig
from sigae.training.split import Provenance, split
from sigae.training.stop import StopRequest
from sigae.training.trainer import train

WEIGHTS = (0.1, 0.3, 1.0)
"""The weights tried after 0, smallest first."""

BUDGET_SECONDS = 90.0
"""No further candidate starts once the dial has spent this long."""


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

    Args:
        architecture: A design with `contrast="auto"`.
        x: The training signals, checked and in memory.
        settings: How `fit` was asked to train; each candidate trains so, on the split's
            training part, judged on its validation part.
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
    ratios: list[float | None] = []
    best: tuple[float, Views, Learned] | None = None
    for weight in WEIGHTS:
        if (time.perf_counter() - began > budget or (stop is not None and stop.requested)
                or (ratios and ratios[-1] is None)
                or (ratios and (ratios[-1] or 0.0) > settings.tolerance)):
            ratios.append(None)
            continue
        views, learned = candidate(architecture, weight, x_train, x_val, settings, stop=stop)
        ratio = learned.comparison.ratio if learned.comparison is not None else None
        ratios.append(ratio)
        if ratio is not None and ratio <= settings.tolerance:
            best = (weight, views, learned)
    chosen = 0.0 if best is None else best[0]
    dial = Dial(tolerance=settings.tolerance, weights=(0.0, *WEIGHTS),
                ratios=(None, *ratios), chosen=chosen, seconds=time.perf_counter() - began)
    if best is None:
        return Dialed(dial)
    return Dialed(dial, best[1], best[2])
