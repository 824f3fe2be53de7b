"""The linear baseline: PCA with the same latent size and the same normalization.

Every fit compares the model with PCA on the validation signals, so a user always knows
whether the nonlinear model earns its keep. NMSE is the mean squared error in normalized
units divided by the variance of the normalized signals compared on (`sigae.metrics`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sigae.metrics import NmseAccumulator


@dataclass(frozen=True)
class Comparison:
    """The model's reconstruction error beside PCA's, on the same signals.

    Attributes:
        data: What was compared on: `"validation"` or `"training"` signals.
        n_signals: Number of signals compared on.
        latent_dim: Dimensions of both the model's code and PCA.
        nmse: The model's NMSE.
        pca_nmse: PCA's NMSE, PCA being fitted on all the signals given to `fit` (the
            solution the linear path of the default design starts from).
    """

    data: str
    n_signals: int
    latent_dim: int
    nmse: float
    pca_nmse: float

    @property
    def ratio(self) -> float:
        """`nmse / pca_nmse`: below 1 the model beats PCA."""
        return self.nmse / self.pca_nmse if self.pca_nmse > 0 else float("inf")

    def summary(self) -> str:
        """E.g. `validation NMSE 0.021 (PCA with 8 dims: 0.034)`."""
        return (f"{self.data} NMSE {self.nmse:.4g} "
                f"(PCA with {self.latent_dim} dims: {self.pca_nmse:.4g})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        return cls(data=str(data["data"]), n_signals=int(data["n_signals"]),
                   latent_dim=int(data["latent_dim"]), nmse=float(data["nmse"]),
                   pca_nmse=float(data["pca_nmse"]))


def fit_pca(
    x: np.ndarray, n_components: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Principal axes of signals.

    Args:
        x: Normalized signals, array of shape `(n_signals, length, channels)`.
        n_components: Number of axes wanted.
        seed: Seed of ARPACK's starting vector.

    Returns:
        `(components, mean)`: float32 arrays of shapes `(n_components, length * channels)`
        and `(length * channels,)`. Rows beyond the rank of `x` are zero.
    """
    from sklearn.decomposition import PCA

    flat = x.reshape(len(x), -1).astype("float64")
    rank = min(n_components, flat.shape[0] - 1, flat.shape[1])
    components = np.zeros((n_components, flat.shape[1]), dtype="float64")
    mean = flat.mean(axis=0)
    if rank >= 1 and np.var(flat, axis=0).sum() > 0:  # constant signals have no axes
        # Exact solvers only: scikit-learn's "auto" picks a randomized SVD beyond 500
        # samples or values per signal, whose axes reconstructed held-out vibration records
        # 0.3% worse than exact PCA (1000 x 1500, 8 axes), breaking "never worse than PCA".
        # ARPACK finds the leading axes exactly and was the fastest there (0.37 s vs 1.27 s
        # for a full SVD); it needs fewer axes than min(n_signals, values per signal).
        solver = "arpack" if rank < min(flat.shape) else "full"
        pca = PCA(n_components=rank, svd_solver=solver, random_state=seed).fit(flat)
        components[:rank] = pca.components_
        mean = pca.mean_
    return components.astype("float32"), mean.astype("float32")


def pca_reconstruct(x: np.ndarray, components: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Projects signals `(n, length, channels)` on the PCA axes and back."""
    flat = x.reshape(len(x), -1).astype("float64")
    codes = (flat - mean) @ components.T
    return (codes @ components + mean).reshape(x.shape)


class PcaComparison:
    """The model's NMSE beside PCA's, from blocks of normalized signals added in turn.

    Args:
        components: PCA's axes, shape `(latent_dim, length * channels)`.
        center: PCA's mean, shape `(length * channels,)`.
    """

    def __init__(self, components: np.ndarray, center: np.ndarray) -> None:
        self.components, self.center = components, center
        self.model, self.pca = NmseAccumulator(), NmseAccumulator()
        self.n_signals = 0

    def add(self, reconstruction: np.ndarray, target: np.ndarray) -> None:
        """Adds normalized signals `(n, length, channels)` and the model's reconstruction."""
        self.model.add(reconstruction, target)
        self.pca.add(pca_reconstruct(target, self.components, self.center), target)
        self.n_signals += len(target)

    def result(self, data: str, latent_dim: int) -> Comparison:
        """The `Comparison` of everything added, on `data` ("validation" or "training")."""
        return Comparison(data=data, n_signals=self.n_signals, latent_dim=latent_dim,
                          nmse=self.model.value, pca_nmse=self.pca.value)
