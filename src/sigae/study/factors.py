"""Which unit of the code carries which quantity of the signals: regression and DCI.

Given signals and the quantities they were made from or measured with (amplitude,
frequency, a `.ts` file's regression targets ...), `factors` asks of the model's codes and,
beside them, of PCA codes of the same size:

- **how well each quantity can be read from the code**: its cross-validated R² from a
  linear regressor (least squares) and from a nonlinear one (a small neural network on the
  standardized code, scikit-learn's `MLPRegressor`), 5 seeded folds;
- **which units carry it**, as the DCI framework of Eastwood & Williams (2018, "A framework
  for the quantitative evaluation of disentangled representations") measures it: an
  importance matrix `R` (units x quantities) from one tree ensemble per quantity (extra
  trees' impurity importances, fitted on a seeded 80% of the signals); *disentanglement*,
  how much each unit is about one quantity alone (1 - the entropy of its row, base K,
  averaged with weights of each unit's share of importance); *completeness*, how much
  each quantity lives in one unit alone (1 - the entropy of its column, base d, averaged);
  *informativeness*, the ensembles' mean R² on the other 20% (clipped at 0).

Where there are more than 3,000 signals, a seeded 3,000 of them are measured.

A circular quantity (an angle, `circular=`) is read through its sine and cosine: its R² is
their mean, its importance their sum, so a value and the same value plus 2 pi are one.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sigae.data.checks import check_signals
from sigae.data.datasets import Factors
from sigae.data.streaming import PREDICT_BATCH
from sigae.errors import DataError
from sigae.io.arrays import SignalArray
from sigae.model import SignalAutoencoder
from sigae.study.probe import pca_coder

FOLDS = 5
HIDDEN = (128, 128)
MAX_SIGNALS = 3000
TREES = 60
HELD_OUT = 0.2


@dataclass(frozen=True)
class Reading:
    """How one code reads the quantities.

    Args:
        r2: Each quantity's cross-validated R² from the nonlinear regressor.
        r2_linear: The same from least squares.
        importance: `(units, quantities)`: how much each unit serves each quantity's tree
            ensemble (each column sums to 1, or 0 where nothing predicts it).
        disentanglement: DCI's D, in [0, 1].
        completeness: DCI's C, in [0, 1].
        informativeness: DCI's I: the ensembles' mean held-out R², in [0, 1].
    """

    r2: np.ndarray
    r2_linear: np.ndarray
    importance: np.ndarray
    disentanglement: float
    completeness: float
    informativeness: float

    def dci(self) -> dict[str, float]:
        return {"disentanglement": self.disentanglement, "completeness": self.completeness,
                "informativeness": self.informativeness}


@dataclass(frozen=True)
class FactorsResult:
    """What `factors` found: the model's codes and PCA's, quantity by quantity.

    Args:
        names: The quantities.
        circular: Those read through their sine and cosine.
        codes: The model's codes' `Reading`.
        pca: PCA codes' of the same size.
        n_signals: The signals measured.
    """

    names: tuple[str, ...]
    circular: tuple[str, ...]
    codes: Reading
    pca: Reading
    n_signals: int

    def units(self, reading: Reading | None = None) -> list[list[int]]:
        """For each quantity, the units that carry it most of all quantities (those whose
        row's largest importance is its), most important first."""
        importance = (reading or self.codes).importance
        active = importance.sum(axis=1) > 0
        owner = np.argmax(importance, axis=1)
        return [sorted((int(u) for u in np.flatnonzero(active & (owner == j))),
                       key=lambda u: -importance[u, j]) for j in range(len(self.names))]

    def carried(self) -> list[str | None]:
        """For each unit of the model's code, the quantity it carries most, or `None` for a
        unit no ensemble uses."""
        importance = self.codes.importance
        return [self.names[int(np.argmax(row))] if row.sum() > 0 else None
                for row in importance]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `sigae latent factors` (`DIR/factors.json`)."""
        units = self.units()
        return {
            "factors": [{"name": name, "circular": name in self.circular,
                         "r2_codes": float(self.codes.r2[j]), "r2_pca": float(self.pca.r2[j]),
                         "r2_codes_linear": float(self.codes.r2_linear[j]),
                         "r2_pca_linear": float(self.pca.r2_linear[j]), "units": units[j]}
                        for j, name in enumerate(self.names)],
            "dci": {"codes": self.codes.dci(), "pca": self.pca.dci()},
            "importance": self.codes.importance.tolist(),
            "importance_pca": self.pca.importance.tolist(),
            "carried": self.carried(),
            "n_signals": self.n_signals,
            "regressors": {"nonlinear": f"a neural network {HIDDEN} on the standardized code, "
                                        f"{FOLDS}-fold cross-validated",
                           "linear": f"least squares, {FOLDS}-fold cross-validated",
                           "importance": f"extra trees ({TREES}), fitted on a seeded "
                                         f"{1 - HELD_OUT:.0%}, R² on the rest"},
        }

    def lines(self) -> list[str]:
        """A table of the quantities, then DCI, for the terminal."""
        width = max(len(name) for name in self.names)
        lines = [f"{'quantity':<{width}}  R² codes  R² PCA  (linear: codes  PCA)  units"]
        carriers = self.units()
        for j, name in enumerate(self.names):
            units = ", ".join(f"z{u}" for u in carriers[j]) or "-"
            lines.append(f"{name:<{width}}  {self.codes.r2[j]:8.3f}  {self.pca.r2[j]:6.3f}"
                         f"           {self.codes.r2_linear[j]:6.3f} {self.pca.r2_linear[j]:5.3f}"
                         f"  {units}")
        for label, reading in (("codes", self.codes), ("PCA", self.pca)):
            lines.append(f"DCI of the {label:<5}: disentanglement {reading.disentanglement:.3f}"
                         f", completeness {reading.completeness:.3f}, informativeness "
                         f"{reading.informativeness:.3f}")
        return lines


def factors(model: SignalAutoencoder, x: np.ndarray | SignalArray,
            quantities: Factors | np.ndarray | dict[str, Any], *,
            names: Sequence[str] | None = None, circular: Sequence[str] = (), seed: int = 0,
            batch_size: int = PREDICT_BATCH) -> FactorsResult:
    """Which units of `model`'s code carry which of the `quantities` of the signals `x`,
    beside PCA codes of the same size (see the module's text).

    Args:
        model: A fitted model.
        x: Signals.
        quantities: One row per signal of `x`: `Factors` (as `sigae.datasets` gives them),
            a `(n, k)` array with `names`, or `{name: values}`.
        names: The quantities' names, for an array.
        circular: The names of angles (radians), read through their sine and cosine.
        seed: Seeds the folds and the tree ensembles.
        batch_size: Signals per forward pass of the encoder.

    Raises:
        DataError: If the quantities do not match the signals (rows, names), hold values
            that are not finite numbers, or a quantity is constant.
    """
    model.require_fitted("relate its codes to quantities")
    signals = np.asarray(check_signals(x, model.config))
    table = as_factors(quantities, names, circular, len(signals))
    if len(signals) > MAX_SIGNALS:  # the regressors' cost grows with the signals
        rows = np.sort(np.random.default_rng(seed).choice(len(signals), MAX_SIGNALS,
                                                          replace=False))
        signals, table = signals[rows], dataclasses.replace(table, values=table.values[rows])
    codes = np.asarray(model.encode(signals, batch_size=batch_size), dtype="float64")
    pca = pca_coder(model.normalization, model.config.latent_dim, signals)(signals)
    return FactorsResult(table.names, table.circular, read(codes, table, seed),
                         read(np.asarray(pca, dtype="float64"), table, seed), len(signals))


def as_factors(quantities: Factors | np.ndarray | dict[str, Any], names: Sequence[str] | None,
               circular: Sequence[str], n: int) -> Factors:
    """`quantities` as checked `Factors` of `n` rows."""
    if isinstance(quantities, Factors):
        values, found = quantities.values, quantities.names
        circular = tuple(circular) or quantities.circular
    elif isinstance(quantities, dict):
        found = tuple(str(name) for name in quantities)
        values = np.stack([np.asarray(v) for v in quantities.values()], axis=1) \
            if quantities else np.zeros((n, 0))
    else:
        values = np.asarray(quantities)
        values = values[:, None] if values.ndim == 1 else values
        found = tuple(names) if names is not None else tuple(
            f"factor_{i}" for i in range(values.shape[1] if values.ndim == 2 else 0))
    try:
        values = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise DataError("The quantities must be numbers.") from None
    if values.ndim != 2 or values.shape[1] == 0 or len(values) != n:
        raise DataError(f"The quantities must be one row per signal: {n} signals, received "
                        f"shape {values.shape}.")
    if len(found) != values.shape[1]:
        raise DataError(f"{values.shape[1]} quantities but {len(found)} names.")
    unknown = [name for name in circular if name not in found]
    if unknown:
        raise DataError(f"No quantity {unknown[0]!r} to read as circular; the quantities are "
                        f"{', '.join(found)}.")
    for j, name in enumerate(found):
        column = values[:, j]
        if not np.isfinite(column).all():
            raise DataError(f"Quantity {name!r} holds values that are not finite numbers (row "
                            f"{int(np.flatnonzero(~np.isfinite(column))[0])}).")
        if np.ptp(column) == 0:
            raise DataError(f"Quantity {name!r} is constant ({column[0]:g}): no code can say "
                            "anything about it; leave it out.")
    return Factors(values, found, tuple(circular))


def targets(table: Factors) -> tuple[np.ndarray, list[list[int]]]:
    """The regression targets `(n, m)` (an angle as its sine and cosine) and, for each
    quantity, its columns among them."""
    columns: list[np.ndarray] = []
    groups: list[list[int]] = []
    for j, name in enumerate(table.names):
        start = len(columns)
        if name in table.circular:
            columns += [np.sin(table.values[:, j]), np.cos(table.values[:, j])]
        else:
            columns.append(table.values[:, j])
        groups.append(list(range(start, len(columns))))
    return np.stack(columns, axis=1), groups


def read(codes: np.ndarray, table: Factors, seed: int = 0) -> Reading:
    """How well `codes` read each quantity of `table`, and DCI."""
    y, groups = targets(table)
    importance, informativeness = importances(codes, y, groups, seed)
    disentanglement, completeness = dci(importance)
    return Reading(r2=cross_validated_r2(codes, y, groups, "nonlinear", seed),
                   r2_linear=cross_validated_r2(codes, y, groups, "linear", seed),
                   importance=importance, disentanglement=disentanglement,
                   completeness=completeness, informativeness=informativeness)


def cross_validated_r2(codes: np.ndarray, y: np.ndarray, groups: list[list[int]], kind: str,
                       seed: int = 0) -> np.ndarray:
    """Each quantity's R² from out-of-fold predictions (`FOLDS` seeded folds): a group of
    columns (an angle's sine and cosine) scores their mean. `kind`: `"linear"` (least
    squares) or `"nonlinear"` (a small neural network, `HIDDEN` units, early stopping, on
    the standardized code and targets)."""
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = (y - y.mean(axis=0)) / y.std(axis=0)
    regressor = (LinearRegression() if kind == "linear" else
                 make_pipeline(StandardScaler(), MLPRegressor(
                     hidden_layer_sizes=HIDDEN, max_iter=1000, early_stopping=True,
                     random_state=seed)))
    folds = KFold(min(FOLDS, len(codes)), shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        predicted = cross_val_predict(regressor, codes, y, cv=folds, n_jobs=-1)
    scores = r2_score(y, predicted, multioutput="raw_values")
    return np.asarray([float(np.mean(scores[g])) for g in groups])


def importances(codes: np.ndarray, y: np.ndarray, groups: list[list[int]], seed: int = 0
                ) -> tuple[np.ndarray, float]:
    """The importance matrix `(units, quantities)` of one extra-trees ensemble per quantity
    (fitted on a seeded `1 - HELD_OUT` of the signals), each column normalized to sum to 1,
    and their mean R² on the rest, clipped to [0, 1]."""
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(codes)), test_size=HELD_OUT,
                                   random_state=seed)
    matrix = np.zeros((codes.shape[1], len(groups)))
    scores = []
    for j, columns in enumerate(groups):
        trees = ExtraTreesRegressor(TREES, min_samples_leaf=2, random_state=seed, n_jobs=-1)
        target = y[:, columns]
        trees.fit(codes[train], target[train] if len(columns) > 1 else target[train, 0])
        matrix[:, j] = trees.feature_importances_
        predicted = trees.predict(codes[test]).reshape(len(test), -1)
        scores.append(np.mean(_r2(target[test], predicted)))
    return matrix, float(np.clip(np.mean(scores), 0.0, 1.0))


def _r2(y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    residual = np.sum((y - predicted) ** 2, axis=0)
    total = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    return 1.0 - residual / total


def dci(importance: np.ndarray) -> tuple[float, float]:
    """Disentanglement and completeness (Eastwood & Williams 2018) of an importance matrix
    `(units, quantities)` of non-negative values."""
    r = np.abs(np.asarray(importance, dtype="float64"))
    units, quantities = r.shape
    if r.sum() == 0:
        return 0.0, 0.0
    rows, columns = r.sum(axis=1), r.sum(axis=0)
    disentanglement = completeness = 1.0
    if quantities > 1:
        per_unit = 1.0 - _entropy(r / np.where(rows[:, None] > 0, rows[:, None], 1), quantities)
        disentanglement = float(np.sum(rows / rows.sum() * per_unit))
    if units > 1:
        per_quantity = 1.0 - _entropy((r / np.where(columns > 0, columns, 1)).T, units)
        completeness = float(np.mean(per_quantity[columns > 0]))
    return disentanglement, completeness


def _entropy(p: np.ndarray, base: int) -> np.ndarray:
    """Each row's entropy in base `base` (0 for a row of zeros)."""
    logs = np.log(np.where(p > 0, p, 1.0)) / np.log(base)
    return -np.sum(p * logs, axis=1)
