"""The linear baseline: PCA with the same latent size and the same normalization.

Every fit compares the model with PCA on the validation signals, so a user always knows
whether the nonlinear model earns its keep. NMSE is the mean squared error in normalized
units divided by the variance of the normalized signals compared on (`sigae.stats.metrics`); the
same figure in the data's own units is compared with PCA fitted on the raw signals.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sigae.core.runtime import one_blas_thread
from sigae.stats.metrics import NmseAccumulator

SMALL_PCA = 2 * 10**9
"""Multiply-adds of a PCA's Gram matrix below which it runs on one BLAS thread."""


@dataclass(frozen=True)
class Comparison:
    """The model's reconstruction error beside PCA's, on the same signals, in two units.

    Attributes:
        data: What was compared on: `"validation"` or `"training"` signals.
        n_signals: Number of signals compared on.
        latent_dim: Dimensions of both the model's code and PCA.
        nmse: The model's NMSE in its normalized units.
        pca_nmse: PCA's NMSE there, PCA being fitted on the normalized training signals
            (the solution the linear path of the default design starts from).
        data_nmse: The model's NMSE in the data's own units: the MSE of the raw signals
            divided by their variance (`None` in files written before sigae 0.6).
        data_pca_nmse: The same for PCA fitted on the raw signals, as a user would fit it.
    """

    data: str
    n_signals: int
    latent_dim: int
    nmse: float
    pca_nmse: float
    data_nmse: float | None = None
    data_pca_nmse: float | None = None

    @property
    def ratio(self) -> float:
        """`nmse / pca_nmse`: below 1 the model beats PCA."""
        return _ratio(self.nmse, self.pca_nmse)

    @property
    def data_ratio(self) -> float | None:
        """`data_nmse / data_pca_nmse`, in the data's own units; `None` if not measured."""
        if self.data_nmse is None or self.data_pca_nmse is None:
            return None
        return _ratio(self.data_nmse, self.data_pca_nmse)

    def summary(self) -> str:
        """E.g. `validation NMSE 0.021 (PCA with 8 dims: 0.034); in data units 0.025
        (PCA of the raw signals: 0.036)`."""
        text = (f"{self.data} NMSE {self.nmse:.4g} "
                f"(PCA with {self.latent_dim} dims: {self.pca_nmse:.4g})")
        if self.data_ratio is not None:
            text += (f"; in data units {self.data_nmse:.4g} "
                     f"(PCA of the raw signals: {self.data_pca_nmse:.4g})")
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        optional = {key: None if data.get(key) is None else float(data[key])
                    for key in ("data_nmse", "data_pca_nmse")}
        return cls(data=str(data["data"]), n_signals=int(data["n_signals"]),
                   latent_dim=int(data["latent_dim"]), nmse=float(data["nmse"]),
                   pca_nmse=float(data["pca_nmse"]), **optional)


def _ratio(value: float, reference: float) -> float:
    return value / reference if reference > 0 else float("inf")


def fit_pca(
    x: np.ndarray, n_components: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Principal axes of signals.

    Args:
        x: Normalized signals, array of shape `(n_signals, length, channels)`.
        n_components: Number of axes wanted.
        seed: Unused (the solver is exact and deterministic); kept for callers.

    Returns:
        `(components, mean)`: float32 arrays of shapes `(n_components, length * channels)`
        and `(length * channels,)`. Rows beyond the rank of `x` are zero.
    """
    flat = x.reshape(len(x), -1).astype("float64")
    rank = min(n_components, flat.shape[0] - 1, flat.shape[1])
    components = np.zeros((n_components, flat.shape[1]), dtype="float64")
    mean = flat.mean(axis=0)
    if rank >= 1 and np.var(flat, axis=0).sum() > 0:  # constant signals have no axes
        components[:rank] = _leading_axes(flat - mean, rank)
    return components.astype("float32"), mean.astype("float32")


def _leading_axes(centered: np.ndarray, rank: int) -> np.ndarray:
    """The `rank` leading principal axes `(rank, values)` of centered rows, exactly: the
    leading eigenvectors of the smaller of the two Gram matrices, in float64 (LAPACK's
    `eigh` of a `min(n, values)`-square matrix, only the eigenvalues wanted).

    Exact solvers only: scikit-learn's "auto" picks a randomized SVD beyond 500 samples or
    values per signal, whose axes reconstructed held-out vibration records 0.3% worse than
    exact PCA (1000 x 1500, 8 axes), breaking "never worse than PCA". ARPACK, used before,
    took 0.17 s for 1500 signals of 501 values and 16 axes; this takes a few hundredths.
    Signs as scikit-learn's `svd_flip` sets them: each axis's largest value is positive.
    """
    from scipy.linalg import eigh

    n, values = centered.shape
    small = min(n, values)
    # Small problems on one BLAS thread: on two cores, waking the other thread made a
    # 1500 x 501 PCA take 0.02 to 0.17 s, against 0.02 to 0.05 s on one.
    with one_blas_thread() if n * values * small < SMALL_PCA else contextlib.nullcontext():
        gram = centered.T @ centered if values <= n else centered @ centered.T
        eigenvalues, vectors = eigh(gram, subset_by_index=(small - rank, small - 1))
    vectors = vectors[:, ::-1]  # the largest first
    if values <= n:
        axes = vectors.T
    else:  # axes from the left singular vectors: x^T u / sigma
        sigma = np.sqrt(np.maximum(eigenvalues[::-1], 0.0))
        axes = (centered.T @ vectors / np.where(sigma > 0, sigma, 1.0)).T
        axes /= np.maximum(np.linalg.norm(axes, axis=1, keepdims=True), 1e-300)
    signs = np.sign(axes[np.arange(rank), np.argmax(np.abs(axes), axis=1)])
    return axes * np.where(signs == 0, 1.0, signs)[:, None]


def pca_reconstruct(x: np.ndarray, components: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Projects signals `(n, length, channels)` on the PCA axes and back."""
    flat = x.reshape(len(x), -1).astype("float64")
    codes = (flat - mean) @ components.T
    return (codes @ components + mean).reshape(x.shape)


class PcaComparison:
    """The model's NMSE beside PCA's, in normalized and in data units, from blocks of
    signals added in turn.

    Args:
        normalized: PCA of the normalized signals, `(components, center)` of shapes
            `(latent_dim, length * channels)` and `(length * channels,)`.
        raw: PCA of the raw signals, same shapes.
        mean: The model's normalization mean.
        std: Its standard deviation.
    """

    def __init__(self, normalized: tuple[np.ndarray, np.ndarray],
                 raw: tuple[np.ndarray, np.ndarray], mean: np.ndarray, std: np.ndarray) -> None:
        self.normalized, self.raw, self.mean, self.std = normalized, raw, mean, std
        self.model, self.pca = NmseAccumulator(), NmseAccumulator()
        self.data_model, self.data_pca = NmseAccumulator(), NmseAccumulator()
        self.n_signals = 0

    def add(self, reconstruction: np.ndarray, target: np.ndarray,
            valid: np.ndarray | None = None) -> None:
        """Adds signals `(n, length, channels)` and the model's reconstruction, in data
        units; of padded signals, only their `valid` samples `(n, length)` count."""
        normalized = (target - self.mean) / self.std
        self.model.add((reconstruction - self.mean) / self.std, normalized, valid)
        self.pca.add(pca_reconstruct(normalized, *self.normalized), normalized, valid)
        self.data_model.add(reconstruction, target, valid)
        self.data_pca.add(pca_reconstruct(target, *self.raw), target, valid)
        self.n_signals += len(target)

    def result(self, data: str, latent_dim: int) -> Comparison:
        """The `Comparison` of everything added, on `data` ("validation" or "training")."""
        return Comparison(data=data, n_signals=self.n_signals, latent_dim=latent_dim,
                          nmse=self.model.value, pca_nmse=self.pca.value,
                          data_nmse=self.data_model.value, data_pca_nmse=self.data_pca.value)
