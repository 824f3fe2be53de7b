"""The cross-validated choice of `augment="auto"` on small data, and its candidates.

With a few hundred signals or fewer, one 20% validation split is a few dozen signals, and
its verdict is noise; and whether augmentation helps depends on the data (time shifts
help oscillations, and ruin aligned daily profiles). So for a fresh design with
a linear path, `fit` with `augment="auto"` and automatic epochs on `MIN_SIGNALS` to
`CHOICE_BELOW - 1` signals compares the `CANDIDATES` by
`FOLDS`-fold cross-validation over contiguous folds (windows of one recording overlap
their neighbours, so random folds would leak): every signal is held out once, each
candidate is fitted on the other folds exactly as `fit` would fit it (its own validation
split and early stopping included), and its per-signal errors on the held-out fold are
kept. The best mean error wins only if it beats each simpler candidate by more than twice
the standard error of the paired per-signal differences; otherwise the simplest candidate
within that margin wins (the rule that judges epochs against the PCA start). The winner is then
fitted on all the signals. Candidates that train stop once the choice has used
`BUDGET_SECONDS`, and are left out if unfinished.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np

from sigae.architecture.build import Architecture, build
from sigae.architecture.views import Views
from sigae.data.augment import Augmentation
from sigae.data.normalization import fit_normalization
from sigae.data.streaming import predict
from sigae.stats.metrics import signal_errors
from sigae.stats.pca import fit_pca, pca_reconstruct
from sigae.training.automatic import AUTO
from sigae.training.records import Candidate, Choice, Score
from sigae.training.settings import TrainingConfig
from sigae.training.start import augmented_pca
from sigae.training.stop import StopRequest
from sigae.training.trainer import train

CANDIDATES = (
    Candidate("PCA", trains=False),
    Candidate("PCA of augmented signals", trains=False, augmentation=Augmentation.standard()),
    Candidate("convolutional", trains=True),
    # Stronger than the standard changes: on PickupGestureWiimoteZ (50 signals) the standard
    # ones helped the convolutional path to 0.97 x PCA at best, these to 0.88
    # (benchmarks/README.md); the cross-validation judges them either way.
    Candidate("convolutional, augmented", trains=True, augmentation=Augmentation(
        shift=0.05, scale=0.2, noise=1.0, warp=0.2, mix=0.3, fraction=0.8)),
)
"""The family `augment="auto"` chooses from, simplest first."""

CHOICE_BELOW = 500
"""`augment="auto"` cross-validates below this many signals. From 500 up a 20% validation
split holds 100 signals or more, enough to judge the convolutional path on its own, and the
ten fold trainings of the two training candidates would take minutes: one fit on 1000
signals takes about 45 s on 2 cores (benchmarks/README.md, the suite)."""

MIN_SIGNALS = 10
"""Fewer signals than this leave folds of one signal; `auto` then trains as given."""

FOLDS = 5
BUDGET_SECONDS = 40.0


def applies(architecture: Architecture, fitted: bool, n_signals: int,
            settings: TrainingConfig, *, alone: bool) -> bool:
    """Whether `fit` makes the choice: `augment="auto"`, automatic epochs, a design with a
    linear path that has not been `fitted`, `MIN_SIGNALS` to `CHOICE_BELOW - 1` signals, and
    `alone`: no validation data or devices were given."""
    return (alone and settings.augment == AUTO and settings.epochs == AUTO
            and not fitted and architecture.linear_path
            and MIN_SIGNALS <= n_signals < CHOICE_BELOW)


def choose(architecture: Architecture, x: np.ndarray, settings: TrainingConfig, *,
           budget: float = BUDGET_SECONDS, stop: StopRequest | None = None) -> Choice:
    """Cross-validates the `CANDIDATES` on signals `x` with the design `architecture`.

    Args:
        architecture: A design with a linear path.
        x: The signals, in memory.
        settings: How `fit` was asked to train; the automatic settings are resolved for
            the fold's training size.
        budget: Seconds after which candidates that train are not started or continued.
        stop: Once requested, no further fold starts; the finished candidates decide
            (the PCA candidates always finish: they take well under a second).

    Returns:
        The `Choice`, whose `winner` `fit` then fits on all of `x`.
    """
    start = time.perf_counter()
    folds = _folds(len(x))
    # Every candidate's errors in the same units: the normalization of all the signals.
    _, std = fit_normalization(x, architecture.normalization)
    # Resolved once, so that every fold trains with the same batch size (one compilation).
    fold_settings = settings.fixed_for(len(x) - max(len(f) for f in folds))
    errors: dict[str, np.ndarray] = {}
    scores: list[Score] = []
    # One twin trains every fold of every candidate, restarted from the same initial
    # weights each time, so Keras compiles its functions once.
    twin = build(architecture, settings.seed)
    initial = twin.autoencoder.get_weights()
    for candidate in CANDIDATES:
        began = time.perf_counter()
        per_signal = np.full(len(x), np.nan)
        for held_out in folds:
            if candidate.trains and (time.perf_counter() - start > budget
                                     or (stop is not None and stop.requested)):
                break
            kept = np.setdiff1d(np.arange(len(x)), held_out)
            if candidate.trains:
                twin.autoencoder.set_weights(initial)
            fitted = _fitted(architecture, twin, x[kept], fold_settings, candidate)
            per_signal[held_out] = signal_errors(fitted(x[held_out]), x[held_out], std)[0]
        seconds = time.perf_counter() - began
        if np.isnan(per_signal).any():
            why = ("stopped" if stop is not None and stop.requested
                   else f"not run to the end within the {budget:g} s budget")
            scores.append(Score(candidate, None, 0.0, seconds, why))
            continue
        errors[candidate.name] = per_signal
        scores.append(Score(candidate, float(np.mean(per_signal) / _variance(x, std)), 0.0,
                            seconds))
    winner, scores = _decide(scores, errors)
    return Choice(winner=winner, folds=len(folds), n_signals=len(x), scores=tuple(scores),
                  seconds=time.perf_counter() - start)


def _folds(n: int) -> list[np.ndarray]:
    # Contiguous folds, in the data's order: windows cut from one recording overlap their
    # neighbours, and random folds would let a candidate see most of a held-out window.
    return np.array_split(np.arange(n), min(FOLDS, n // 2))


def _variance(x: np.ndarray, std: np.ndarray) -> float:
    variance = float(np.var(np.asarray(x, "float64") / std))
    return variance if variance > 0 else 1.0


def _fitted(architecture: Architecture, views: Views, x: np.ndarray,
            settings: TrainingConfig, candidate: Candidate
            ) -> Callable[[np.ndarray], np.ndarray]:
    """Fits `candidate` on `x` (as a first fit: normalization and PCA start refitted) and
    returns its reconstruction function."""
    if not candidate.trains:
        # The PCA candidates in NumPy: the linear path's start, without Keras.
        mean, std = fit_normalization(x, architecture.normalization)
        normalized, latent_dim = (x - mean) / std, architecture.latent_dim
        axes = (fit_pca(normalized, latent_dim, seed=settings.seed)
                if candidate.augmentation is None
                else augmented_pca(normalized, candidate.augmentation, latent_dim,
                                   settings.seed))
        return lambda signals: pca_reconstruct((signals - mean) / std, *axes) * std + mean
    train(architecture, views, None, x,
          dataclasses.replace(settings, augment=candidate.augmentation or "none"),
          verbose=0, candidate=candidate)
    return lambda signals: predict(views.autoencoder, signals)


def _decide(scores: list[Score], errors: dict[str, np.ndarray]
            ) -> tuple[Candidate, list[Score]]:
    """The simplest candidate not clearly worse than the best (2 paired standard errors)."""
    best = min(errors, key=lambda name: float(np.mean(errors[name])))
    standard_errors: dict[str, float] = {}
    close: list[Candidate] = []  # in the order of `scores`, simplest first; holds the best
    for score in scores:
        name = score.candidate.name
        if name in errors:
            difference = errors[name] - errors[best]
            standard_errors[name] = float(np.std(difference, ddof=1)) / math.sqrt(len(difference))
            if float(np.mean(difference)) <= 2.0 * standard_errors[name]:
                close.append(score.candidate)
    winner = close[0]
    decided = [score if score.candidate.name not in errors else dataclasses.replace(
        score, standard_error=standard_errors[score.candidate.name],
        note=(f"best, but within 2 standard errors of {winner.name}"
              if score.candidate.name == best != winner.name else None))
        for score in scores]
    return winner, decided
