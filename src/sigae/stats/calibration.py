"""What `fit` learns about the training signals besides the weights, for later use.

- The density of the training codes, a Gaussian and a Gaussian mixture, from which
  `sigae.study.latent.generate` samples, with the log-density of the least typical 1% of
  training codes, below which a code counts as outside the training distribution.
- Quantiles of the validation signals' reconstruction error, from which
  `sigae.study.latent.score` takes its anomaly threshold.

Both are stored in the model file's manifest as plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigae.core.runtime import one_blas_thread
from sigae.errors import DataError

# Codes kept (evenly spaced) to fit the densities; errors are kept for every signal.
CODE_SAMPLE = 20_000
# The training codes' log-density percentile below which a code is "outside".
OUTSIDE_PERCENTILE = 1.0
# Stored percentiles of the per-signal error (of the signals `errors_from` names): 0, 0.5, ... 100.
PERCENTILES = np.linspace(0.0, 100.0, 201)
MAX_COMPONENTS = 5
MIN_THRESHOLD_SIGNALS = 20
"""The fewest stored errors a percentile of which is an anomaly threshold."""


@dataclass(frozen=True, eq=False)
class Density:
    """A Gaussian mixture over codes (one component for the plain Gaussian).

    Args:
        weights: `(k,)` component weights, summing to 1.
        means: `(k, latent_dim)` component means.
        covariances: `(k, latent_dim, latent_dim)` full covariances.
        floor: Log-density below which a code is outside the training distribution
            (the 1st percentile over the training codes).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    floor: float

    def log_density(self, codes: np.ndarray) -> np.ndarray:
        """Log-density of each code `(n, latent_dim)` under the mixture, shape `(n,)`."""
        codes = np.asarray(codes, dtype="float64")
        terms = []
        for weight, mean, covariance in zip(self.weights, self.means, self.covariances,
                                            strict=True):
            cholesky = np.linalg.cholesky(covariance)
            solved = np.linalg.solve(cholesky, (codes - mean).T)
            log_det = 2.0 * np.log(np.diag(cholesky)).sum()
            terms.append(np.log(weight) - 0.5 * (np.square(solved).sum(axis=0) + log_det
                                                 + len(mean) * math.log(2 * math.pi)))
        return np.logaddexp.reduce(np.stack(terms), axis=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` codes drawn from the mixture."""
        component = rng.choice(len(self.weights), size=n, p=self.weights)
        codes = np.empty((n, self.means.shape[1]))
        for k in range(len(self.weights)):
            chosen = component == k
            codes[chosen] = rng.multivariate_normal(
                self.means[k], self.covariances[k], size=int(chosen.sum()))
        return codes.astype("float32")

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "means": self.means.tolist(),
                "covariances": self.covariances.tolist(), "floor": self.floor}

    @classmethod
    def from_dict(cls, data: dict[str, Any], latent_dim: int) -> Density:
        weights = np.asarray(data["weights"], dtype="float64")
        means = np.asarray(data["means"], dtype="float64")
        covariances = np.asarray(data["covariances"], dtype="float64")
        k = len(weights)
        if (weights.shape != (k,) or means.shape != (k, latent_dim)
                or covariances.shape != (k, latent_dim, latent_dim) or k < 1
                or not all(np.isfinite(a).all() for a in (weights, means, covariances))):
            raise ValueError("density arrays of the wrong shape or not finite")
        return cls(weights, means, covariances, float(data["floor"]))


@dataclass(frozen=True, eq=False)
class Calibration:
    """The training codes' densities and the quantiles of the validation signals' error.

    The error quantiles are taken at once; the densities are fitted when first needed
    (`gaussian`, `gmm`: sampling, the outside-the-density flag, traversals, saving), from the
    training codes kept or computed then (`codes_of`): a `fit` that is followed by `encode`
    or `score` alone never pays for them.

    Args:
        fitted_gaussian: One Gaussian fitted to the training codes, or `None` until needed.
        fitted_gmm: A Gaussian mixture (1 to 5 components, chosen by BIC) fitted to them,
            or `None` until needed.
        error_quantiles: The per-signal reconstruction MSE (normalized units) of the
            validation signals (the training signals without validation) at
            `PERCENTILES` (0, 0.5, ..., 100).
        n_signals: Number of signals the error quantiles come from.
        errors_from: `"validation"` or `"training"`: which signals those are.
        codes: The training codes the densities are fitted to (the sample `calibrate`
            keeps), or `None` until `codes_of` gives them.
        seed: Seeds the mixture's initialization.
        codes_of: Computes the training codes when first needed (the encoder on the
            training signals, with the weights `fit` left).
    """

    fitted_gaussian: Density | None
    fitted_gmm: Density | None
    error_quantiles: np.ndarray
    n_signals: int
    errors_from: str = "validation"
    codes: np.ndarray | None = field(default=None, repr=False)
    seed: int | None = None
    codes_of: Callable[[], np.ndarray] | None = field(default=None, repr=False)

    @property
    def gaussian(self) -> Density:
        """The Gaussian of the training codes, fitted on first use."""
        if self.fitted_gaussian is None:
            with one_blas_thread():
                object.__setattr__(self, "fitted_gaussian", _gaussian(self._codes()))
        return self.fitted_gaussian  # type: ignore[return-value]

    @property
    def gmm(self) -> Density:
        """The Gaussian mixture, fitted on first use (the mixtures of 1 to 5 components,
        chosen by BIC, are most of what a calibration costs): the same figures as fitted at
        once, from the same codes and seed."""
        if self.fitted_gmm is None:
            with one_blas_thread():
                object.__setattr__(self, "fitted_gmm", _mixture(self._codes(), self.seed))
        return self.fitted_gmm  # type: ignore[return-value]

    def _codes(self) -> np.ndarray:
        if self.codes is None:
            if self.codes_of is None:
                raise ValueError("a calibration without its densities or the codes to fit them")
            object.__setattr__(self, "codes", _sample(np.asarray(self.codes_of())))
            object.__setattr__(self, "codes_of", None)
        return self.codes  # type: ignore[return-value]

    @property
    def sets_threshold(self) -> bool:
        """Whether the stored errors are enough (`MIN_THRESHOLD_SIGNALS`) for a percentile
        of them to be an anomaly threshold."""
        return self.n_signals >= MIN_THRESHOLD_SIGNALS

    def threshold(self, percentile: float) -> float:
        """The stored error (of the signals `errors_from` names) at `percentile` (0 to 100),
        interpolated between the stored quantiles.

        Raises:
            DataError: If they are the errors of fewer than `MIN_THRESHOLD_SIGNALS` signals
                (the 99th percentile of 5 errors is their largest, not a threshold).
        """
        if not self.sets_threshold:
            raise DataError(
                f"the model holds the errors of only {self.n_signals} {self.errors_from} "
                f"signals, too few for a percentile of them to be an anomaly threshold (it "
                f"takes at least {MIN_THRESHOLD_SIGNALS}); give the threshold yourself "
                "(threshold=T), or train on more signals.")
        return float(np.interp(percentile, PERCENTILES, self.error_quantiles))

    def to_dict(self) -> dict[str, Any]:
        return {"gaussian": self.gaussian.to_dict(), "gmm": self.gmm.to_dict(),
                "error_quantiles": self.error_quantiles.tolist(), "n_signals": self.n_signals,
                "errors_from": self.errors_from}

    @classmethod
    def from_dict(cls, data: dict[str, Any], latent_dim: int) -> Calibration:
        """Rebuilds a stored calibration; raises `ValueError` if it is malformed."""
        quantiles = np.asarray(data["error_quantiles"], dtype="float64")
        if quantiles.shape != PERCENTILES.shape or not np.isfinite(quantiles).all():
            raise ValueError("error quantiles of the wrong shape or not finite")
        return cls(Density.from_dict(data["gaussian"], latent_dim),
                   Density.from_dict(data["gmm"], latent_dim), quantiles,
                   int(data["n_signals"]), str(data.get("errors_from", "validation")))


def calibrate(codes: np.ndarray | Callable[[], np.ndarray], errors: np.ndarray, *,
              seed: int | None = None, errors_from: str = "validation") -> Calibration:
    """Takes the error quantiles now, and keeps what the code densities are fitted from
    when first needed (`Calibration.gaussian`, `Calibration.gmm`).

    Errors on the signals a model was trained on are optimistic: a threshold taken from
    them flags too many new signals, so held-out (validation) errors are preferred.

    Args:
        codes: The training signals' codes, shape `(n, latent_dim)`, or a function that
            computes them when first needed.
        errors: Per-signal reconstruction MSE in normalized units, shape `(m,)`.
        seed: Seeds the Gaussian mixture's initialization.
        errors_from: `"validation"` or `"training"`: where `errors` come from.
    """
    kept = None if callable(codes) else _sample(codes)
    return Calibration(None, None, np.percentile(errors, PERCENTILES), len(errors),
                       errors_from, codes=kept, seed=seed,
                       codes_of=codes if callable(codes) else None)


def _gaussian(sample: np.ndarray) -> Density:
    """One Gaussian of `sample`, with its floor."""
    dim = sample.shape[1]
    covariance = np.atleast_2d(np.cov(sample, rowvar=False)) if len(sample) > 1 else np.eye(dim)
    return _with_floor(Density(np.ones(1), sample.mean(axis=0)[None],
                               (covariance + _ridge(sample))[None], 0.0), sample)


def _sample(codes: np.ndarray) -> np.ndarray:
    """The codes the densities are fitted to: at most `CODE_SAMPLE`, evenly spaced."""
    return codes[:: max(1, math.ceil(len(codes) / CODE_SAMPLE))].astype("float64")


def _ridge(sample: np.ndarray) -> np.ndarray:
    """A small diagonal that keeps the covariance of flat codes proper."""
    return 1e-6 * max(1.0, float(np.var(sample))) * np.eye(sample.shape[1])


def _with_floor(density: Density, sample: np.ndarray) -> Density:
    """`density` with its floor: the log-density of the least typical 1% of `sample`."""
    return Density(density.weights, density.means, density.covariances,
                   float(np.percentile(density.log_density(sample), OUTSIDE_PERCENTILE)))


def _mixture(sample: np.ndarray, seed: int | None) -> Density:
    """The Gaussian mixture of 1 to `MAX_COMPONENTS` components with the lowest BIC on
    `sample` (the Gaussian where the sample is too small for more)."""
    from sklearn.mixture import GaussianMixture

    dim = sample.shape[1]
    ridge = _ridge(sample)
    best = None
    for k in range(1, min(MAX_COMPONENTS, len(sample) // (2 * dim + 2)) + 1):
        mixture = GaussianMixture(k, covariance_type="full", reg_covar=ridge[0, 0],
                                  random_state=seed if seed is not None else 0).fit(sample)
        if best is None or mixture.bic(sample) < best.bic(sample):
            best = mixture
    if best is None:
        return _gaussian(sample)
    return _with_floor(Density(best.weights_, best.means_, best.covariances_, 0.0), sample)
