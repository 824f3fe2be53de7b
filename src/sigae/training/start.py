"""Where a run starts: its initial weights, normalization and PCA, or a checkpoint's state.

On a model that has learned nothing yet, a `seed` decides the initial weights of a
design, the normalization is fitted on the training signals, and a linear path starts at
the PCA solution (`Views.start_at_pca`). A model that has learned keeps all of it, and a
checkpoint of this very run brings back where it stood.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sigae.architecture.build import Architecture, build, builder_of, holds_initial_weights
from sigae.architecture.views import Views
from sigae.core.paths import PathLike
from sigae.data.augment import Augmentation, augmented_copies
from sigae.data.normalization import fit_normalization
from sigae.data.streaming import pca_sample
from sigae.io.arrays import SignalArray
from sigae.stats.pca import fit_pca
from sigae.training import checkpoint as checkpoints
from sigae.training.evaluate import PCA, Baselines, fit_baselines
from sigae.training.records import Candidate, Learned
from sigae.training.settings import Resolved
from sigae.training.variables import assign, values

AUGMENTED_COPIES = 8
"""Augmented copies of each signal that PCA of augmented signals is fitted on, besides it."""


@dataclass(frozen=True)
class Start:
    """Where a run starts.

    Args:
        baselines: PCA of the normalized and of the raw signals, at the latent size.
        resumed: The checkpoint's state, when the run continues one.
        belongs: What the run's checkpoint belongs to (`checkpoint.fingerprint`), when
            it writes one.
    """

    baselines: Baselines
    resumed: checkpoints.TrainingState | None = None
    belongs: dict[str, Any] | None = None

    @property
    def first_epoch(self) -> int:
        return 0 if self.resumed is None else self.resumed.epoch


def start(architecture: Architecture, views: Views, earlier: Learned | None,
          x_train: SignalArray, x_val: SignalArray | None,
          settings: Resolved, *, checkpoint: PathLike | None = None,
          candidate: Candidate | None = None) -> Start:
    """Sets `views` where the run starts, and says where that is.

    Args:
        architecture: What `views` were built from.
        views: The model's views; their weights and normalization are set here.
        earlier: What the model learned before, or `None` for a first fit.
        x_train: The training signals: the normalization and PCA are fitted on them
            alone, so that the comparison on the validation signals is of unseen signals
            for both.
        x_val: The validation signals, or `None`.
        settings: The resolved settings.
        checkpoint: The run's checkpoint file; if it exists, the run continues from it.
        candidate: A small-data candidate that does not train keeps the PCA start, of
            augmented signals if it has an augmentation.

    Raises:
        ConfigError: If `checkpoint` belongs to another run.
    """
    belongs = resumed = None
    if checkpoint is not None:
        belongs = checkpoints.fingerprint(architecture, settings, x_train, x_val)
        if Path(checkpoint).exists():
            resumed = checkpoints.read(checkpoint, belongs)
    as_built = holds_initial_weights(views, settings.seed)
    if (settings.seed is not None and earlier is None and builder_of(architecture).seeded
            and not as_built):
        # A twin built with the seed gives reproducible initial values (views built with
        # that seed and untouched since hold them already); copying them keeps every view
        # (and every reference a user holds) valid. Nothing global is seeded:
        # the batches' order is a function of (seed, epoch), and the designs' random
        # layers have seeds of their own.
        # The random layers' seed states too (noise, sampling, the contrastive views).
        assign(views.autoencoder.variables,
               values(build(architecture, settings.seed).autoencoder.variables))
    if resumed is not None:
        views.set_normalization(resumed.mean, resumed.std)
    elif earlier is None:
        views.set_normalization(*fit_normalization(x_train, architecture.normalization))
    mean, std = views.normalization
    baselines = fit_baselines(x_train, mean, std, architecture.latent_dim, settings.seed)
    if resumed is not None:
        # All the variables: the weights and the random layers' seed states.
        assign(views.autoencoder.variables, resumed.weights)
    elif earlier is None and views.linear is not None:
        start_at_pca(architecture, views, x_train, candidate, settings.seed, baselines)
    return Start(baselines, resumed, belongs)


def start_at_pca(architecture: Architecture, views: Views, x: SignalArray,
                 candidate: Candidate | None, seed: int | None,
                 baselines: Baselines | None = None) -> None:
    """Sets the linear path to PCA of signals `x` in the views' normalized units (of `x`
    and augmented copies of it, for a candidate that does not train but augments).

    Args:
        baselines: PCA of `x` already fitted (`fit_baselines`), if it was.
    """
    mean, std = views.normalization
    if candidate is not None and not candidate.trains and candidate.augmentation:
        pca = augmented_pca((pca_sample(x) - mean) / std, candidate.augmentation,
                            architecture.latent_dim, seed)
    else:
        pca = (baselines or fit_baselines(x, mean, std, architecture.latent_dim,
                                          seed)).normalized
    views.start_at_pca(*pca)


def augmented_pca(normalized: np.ndarray, augmentation: Augmentation, latent_dim: int,
                  seed: int | None) -> PCA:
    """PCA (`fit_pca`) of normalized signals and `AUGMENTED_COPIES` augmented copies of each:
    the start of the candidate "PCA of augmented signals"."""
    return fit_pca(augmented_copies(normalized, augmentation, AUGMENTED_COPIES, seed),
                   latent_dim, seed=seed)
