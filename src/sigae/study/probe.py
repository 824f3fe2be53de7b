"""How much of the signals' structure a model's codes carry, measured with labels.

The protocol is the one unsupervised time-series representation papers use (TS2Vec, Yue et
al., AAAI 2022, `tasks/_eval_protocols.py:fit_svm`, and the papers that reprint its
tables): the representation is learned without labels; then an RBF support vector machine
(`gamma="scale"`) is fitted on the codes of the training signals, its `C` chosen by a 5-fold
grid search over `1e-4, 1e-3, ..., 1e4` and infinity, unless the training signals are
fewer than 50 or fewer than 5 per class on average, where `C` is infinity; the score is
its accuracy on the codes of the test signals. Beside it: the accuracy of the nearest
training code (1-NN, Euclidean) and the adjusted Rand index of k-means (one cluster per
class) on the test codes against their labels.

`probe` measures a model's codes and, for reference, PCA codes of the same size of the
same normalized signals: what a reconstruction objective alone tends to give.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.svm import SVC

from sigae.data.checks import check_signals
from sigae.data.streaming import PREDICT_BATCH
from sigae.errors import DataError
from sigae.io.arrays import SignalArray
from sigae.model import SignalAutoencoder
from sigae.stats.pca import fit_pca

C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3, 1e4, np.inf)
"""The SVM's `C` values of the grid search."""
MAX_TRAIN = 10_000
"""Training codes the SVM sees at most (a stratified sample beyond), as in TS2Vec."""
MAX_ITER = 200_000
"""Iterations of the SVM's solver at most. A hard margin (`C` infinite) on codes that are
not separable never converges (raw PLAID signals ran for over ten minutes): such a fit
counts as failed, it drops out of the grid, and where it was the only choice (small
training sets) the largest finite `C` of the grid takes its place."""


@dataclass(frozen=True)
class Scores:
    """What one set of codes achieves against the labels.

    Attributes:
        svm: Test accuracy of the RBF SVM of the protocol.
        svm_c: The `C` it used (`inf` for a hard margin).
        nearest: Test accuracy of the nearest training code (1-NN, Euclidean).
        clusters: Adjusted Rand index of k-means (one cluster per class) on the test codes
            against their labels: 1 is a perfect match, about 0 a random one.
    """

    svm: float
    svm_c: float
    nearest: float
    clusters: float


@dataclass(frozen=True)
class ProbeResult:
    """A model's codes and PCA codes of the same size, probed the same way.

    Attributes:
        model: The scores of the model's codes.
        pca: The scores of PCA codes (PCA fitted on the model's normalized training
            signals, with as many axes as the model has code dimensions).
        n_train, n_test, n_classes: The sizes of the probe.
        held_out: How the test signals were chosen, in words.
    """

    model: Scores
    pca: Scores
    n_train: int
    n_test: int
    n_classes: int
    held_out: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The result as a few lines of text, as `sigae latent probe` prints it."""
        head = f"{'codes':6s} {'SVM':>6s} {'1-NN':>6s} {'k-means ARI':>12s}"
        rows = [f"{name:6s} {s.svm:6.3f} {s.nearest:6.3f} {s.clusters:12.3f}"
                for name, s in (("model", self.model), ("PCA", self.pca))]
        return [f"{self.n_classes} classes; {self.n_train} training and {self.n_test} test "
                f"signals ({self.held_out})", head, *rows]


def score_codes(train: np.ndarray, train_labels: np.ndarray, test: np.ndarray,
                test_labels: np.ndarray, *, seed: int = 0) -> Scores:
    """Scores codes under the protocol of this module's docstring.

    Args:
        train: Codes `(n_train, d)` the SVM and 1-NN are fitted on.
        train_labels: Their labels `(n_train,)`.
        test: Codes `(n_test, d)` they are scored on, and k-means clusters.
        test_labels: Their labels `(n_test,)`.
        seed: Seeds the sample beyond `MAX_TRAIN` and k-means.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.neighbors import KNeighborsClassifier

    train, test = (np.asarray(c, dtype="float64").reshape(len(c), -1) for c in (train, test))
    if len(train) > MAX_TRAIN:
        train, _, train_labels, _ = train_test_split(
            train, train_labels, train_size=MAX_TRAIN, random_state=seed,
            stratify=train_labels)
    n_classes = len(np.unique(train_labels))
    with warnings.catch_warnings():
        # Unconverged and failed fits are the protocol's business here, not the user's.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)
        if len(train) // n_classes < 5 or len(train) < 50:
            svm = _hard_margin(train, train_labels)
        else:
            search = GridSearchCV(_svm(), {"C": list(C_GRID)}, cv=5, error_score=np.nan)
            svm = search.fit(train, train_labels).best_estimator_
    nearest = KNeighborsClassifier(n_neighbors=1).fit(train, train_labels)
    clusters = KMeans(len(np.unique(test_labels)), n_init=10, random_state=seed).fit(test)
    return Scores(svm=float(svm.score(test, test_labels)), svm_c=float(svm.C),
                  nearest=float(nearest.score(test, test_labels)),
                  clusters=float(adjusted_rand_score(test_labels, clusters.labels_)))


class _Converged(SVC):
    """An SVC whose fit fails when its solver stopped at `max_iter` before converging."""

    def fit(self, x: Any, y: Any, sample_weight: Any = None) -> _Converged:
        super().fit(x, y, sample_weight)
        if self.fit_status_ != 0:
            raise ValueError(f"the SVM's solver did not converge in {MAX_ITER} iterations")
        return self


def _svm(c: float = 1.0) -> Any:
    return _Converged(C=c, gamma="scale", max_iter=MAX_ITER)


def _hard_margin(train: np.ndarray, labels: np.ndarray) -> Any:
    try:
        return _svm(np.inf).fit(train, labels)
    except ValueError:
        return _svm(C_GRID[-2]).fit(train, labels)


def probe(model: SignalAutoencoder, x: np.ndarray | SignalArray, labels: Any, *,
          test: np.ndarray | SignalArray | None = None, test_labels: Any = None,
          test_fraction: float = 0.3, seed: int = 0,
          batch_size: int = PREDICT_BATCH) -> ProbeResult:
    """Probes a model's codes of `x` with `labels`, beside PCA codes of the same size.

    Args:
        model: A fitted model; its codes are `model.encode`.
        x: The training signals of the probe (they may be the model's own training
            signals: the model never saw their labels).
        labels: One label per signal of `x`.
        test: Test signals; `None` holds out a stratified, seeded `test_fraction` of `x`.
        test_labels: One label per signal of `test`.
        test_fraction: The share of `x` held out when `test` is `None`.
        seed: Seeds the hold-out, the SVM's sample beyond `MAX_TRAIN` and k-means.
        batch_size: Signals per forward pass of the encoder.

    Raises:
        DataError: If the labels do not match the signals, or a class is too small to be
            split or scored.
    """
    model.require_fitted("probe its codes")
    x_train, y_train, x_test, y_test, how = held_out(model.config, x, labels, test,
                                                      test_labels, test_fraction, seed)
    return ProbeResult(
        model=score_codes(model.encode(x_train, batch_size=batch_size), y_train,
                          model.encode(x_test, batch_size=batch_size), y_test, seed=seed),
        pca=probe_pca(model.normalization, model.config.latent_dim, x_train, y_train,
                      x_test, y_test, seed),
        n_train=len(x_train), n_test=len(x_test), n_classes=len(np.unique(y_train)),
        held_out=how)


def held_out(config: Any, x: Any, labels: Any, test: Any, test_labels: Any,
             test_fraction: float, seed: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """The probe's training and test signals and labels, and how the test ones were chosen:
    `test`, or a stratified, seeded `test_fraction` of `x`.

    Raises:
        DataError: If the labels do not match the signals, hold no classes, or a class is
            too small to be split or scored.
    """
    x = np.asarray(check_signals(x, config))
    labels = _labels(labels, len(x), "labels")
    classes = len(np.unique(labels))
    if classes > len(labels) // 2:
        raise DataError(f"The probe needs classes: the labels hold {classes} distinct values "
                        f"among {len(labels)} signals; give class labels.")
    if test is None:
        from sklearn.model_selection import train_test_split

        counts = np.unique(labels, return_counts=True)[1]
        if counts.min() < 2:
            raise DataError("Every class needs at least 2 signals to hold some out for the "
                            "probe; pass test signals and labels, or more signals.")
        train_rows, test_rows = train_test_split(np.arange(len(x)), test_size=test_fraction,
                                                 random_state=seed, stratify=labels)
        how = f"a stratified {test_fraction:g} of the signals held out, seed {seed}"
        parts = x[train_rows], labels[train_rows], x[test_rows], labels[test_rows]
    else:
        if test_labels is None:
            raise DataError("Test signals need their labels (test_labels).")
        x_test = np.asarray(check_signals(test, config, "test"))
        parts = x, labels, x_test, _labels(test_labels, len(x_test), "test labels")
        how = "the given test signals"
    if len(np.unique(parts[1])) < 2:
        raise DataError("The probe needs at least 2 classes among the training labels.")
    return (*parts, how)


def probe_pca(normalization: tuple[np.ndarray, np.ndarray], latent_dim: int,
              x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
              y_test: np.ndarray, seed: int) -> Scores:
    """The scores of PCA codes of `latent_dim` axes of the normalized training signals."""
    pca_codes = pca_coder(normalization, latent_dim, x_train)
    return score_codes(pca_codes(x_train), y_train, pca_codes(x_test), y_test, seed=seed)


def pca_coder(normalization: tuple[np.ndarray, np.ndarray], latent_dim: int,
              fit_on: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """PCA codes of `latent_dim` axes, fitted on the signals `fit_on` normalized as a model
    normalizes them: the linear code of the model's size, for comparison."""
    mean, std = normalization
    components, center = fit_pca((fit_on - mean) / std, latent_dim)

    def pca_codes(signals: np.ndarray) -> np.ndarray:
        flat = ((signals - mean) / std).reshape(len(signals), -1)
        return np.asarray((flat - center) @ components.T)

    return pca_codes


def _labels(labels: Any, n: int, name: str) -> np.ndarray:
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != n:
        raise DataError(f"The {name} must be one per signal: {n} signals, received "
                        f"{values.shape[0] if values.ndim else 'a single value'} labels"
                        + ("" if values.ndim <= 1 else f" of shape {values.shape}") + ".")
    return values
