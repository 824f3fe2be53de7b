"""The trade-off of the representation dial, shown: for each weight of the contrastive term,
what the codes cost in reconstruction and what they gain in separating labelled classes.

`frontier(config, x, labels)` holds out test signals as `sigae.study.probe` does, then for
each weight trains the model the dial would (`sigae.training.dial.candidate`; weight 0: a
`fit` on reconstruction alone) on the rest, and measures on the test signals its
reconstruction error over PCA's of the same size (fitted on the same training signals, in
the model's normalized units) and the probe's scores of its codes. `sigae latent probe
--frontier` prints it as a table, writes it to `probe.json` and plots it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sigae.architecture.config import ModelConfig
from sigae.errors import ConfigError
from sigae.model import SignalAutoencoder
from sigae.study.probe import Scores, held_out, probe_pca, score_codes
from sigae.training import dial
from sigae.training.settings import TrainingConfig
from sigae.training.split import split


@dataclass(frozen=True)
class Point:
    """One weight of the dial, measured on the test signals.

    Attributes:
        weight: The contrastive term's weight (0: reconstruction alone).
        ratio: The model's test reconstruction NMSE over PCA's of the same size.
        scores: The probe's scores of its codes.
    """

    weight: float
    ratio: float
    scores: Scores


@dataclass(frozen=True)
class Frontier:
    """The dial's trade-off on labelled signals.

    Attributes:
        points: One per weight, in the order tried.
        pca: The probe's scores of PCA codes of the same size (ratio 1 by definition).
        n_train, n_test: The signals trained on and measured on.
        held_out: How the test signals were chosen, in words.
    """

    points: tuple[Point, ...]
    pca: Scores
    n_train: int
    n_test: int
    held_out: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The table `sigae latent probe --frontier` prints."""
        head = f"{'contrast':>8s} {'recon. / PCA':>12s} {'SVM':>6s} {'1-NN':>6s} {'ARI':>6s}"
        rows = [f"{p.weight:8g} {p.ratio:12.3f} {p.scores.svm:6.3f} {p.scores.nearest:6.3f} "
                f"{p.scores.clusters:6.3f}" for p in self.points]
        rows.append(f"{'PCA':>8s} {1.0:12.3f} {self.pca.svm:6.3f} {self.pca.nearest:6.3f} "
                    f"{self.pca.clusters:6.3f}")
        return [f"the dial's frontier: {self.n_train} training and {self.n_test} test signals "
                f"({self.held_out})", head, *rows]


def frontier(config: Any, x: Any, labels: Any, *,
             weights: tuple[float, ...] = (0.0, *dial.WEIGHTS), test: Any = None,
             test_labels: Any = None, test_fraction: float = 0.3, seed: int = 0,
             settings: TrainingConfig | None = None) -> Frontier:
    """Trains the dial's model at each weight on the training signals and measures it.

    Args:
        config: The design (its `contrast` is replaced by each weight).
        x: The signals; `test`, or a stratified `test_fraction` of them, are held out.
        labels: One class label per signal of `x`.
        weights: The weights to measure.
        test: Test signals instead of a share of `x`.
        test_labels: Their labels.
        test_fraction: The share of `x` held out when `test` is `None`.
        seed: Seeds the hold-out, every model and the probe.
        settings: How to train (default: `TrainingConfig(seed=seed)`: weight 0 is then the
            default `fit`, the small-data choice included).

    Raises:
        ConfigError: If `config` is not one of sigae's designs.
        DataError: If the labels do not match the signals, or a class is too small.
    """
    if not isinstance(config, ModelConfig):
        raise ConfigError("The frontier trains sigae's designs at each weight of the "
                          "contrastive term; this model is made of Keras parts.")
    settings = settings or TrainingConfig(seed=seed)
    x_train, y_train, x_test, y_test, how = held_out(config, x, labels, test, test_labels,
                                                      test_fraction, seed)
    points = []
    for weight in weights:
        model = _trained(config, weight, x_train, settings)
        codes = (model.encode(x_train), model.encode(x_test))
        own, pca_error = dial.held_out_errors(model.views, x_train, x_test, seed)
        points.append(Point(weight, own / pca_error,
                            score_codes(codes[0], y_train, codes[1], y_test, seed=seed)))
    pca = probe_pca(model.normalization, config.latent_dim, x_train, y_train, x_test, y_test,
                    seed)
    return Frontier(tuple(points), pca, len(x_train), len(x_test), how)


def _trained(config: ModelConfig, weight: float, x: np.ndarray,
             settings: TrainingConfig) -> SignalAutoencoder:
    """The model the dial makes at `weight`."""
    if weight == 0:
        model = SignalAutoencoder(dataclasses.replace(config, contrast=0.0), seed=settings.seed)
        model.fit(x, config=settings, verbose=0)
        return model
    x_fit, x_val = split(x, settings.validation_split, seed=settings.seed)
    if x_val is None:
        raise ConfigError("The dial's candidates are judged on held-out signals; give a "
                          "validation_split above 0.")
    design = dataclasses.replace(config, contrast=weight)
    views, learned = dial.candidate(config, weight, x_fit, x_val, settings)
    return SignalAutoencoder.from_views(design, views, learned)
