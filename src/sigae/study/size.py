"""How many units the central layer needs: the reconstruction at each size, beside PCA's,
and an estimate of how many numbers the signals are made from.

`size` trains the default design at each latent size (seeded, the same split, no
augmentation, bounded epochs) and reads each one's validation NMSE and PCA's of the same
size on the same validation signals (`Comparison`). It suggests the smallest size whose NMSE
is within `margin` of the best size's (by default 0.01: one hundredth of the signals'
variance) where the curve flattens among the sizes tried; where it does not (only the
largest size is within the margin: each unit more still helped, in the epochs given), the
curve cannot say, and the suggestion is the smallest size tried at least the intrinsic
dimension, rounded: the TwoNN estimate (Facco et al. 2017,
"Estimating the intrinsic dimension of datasets by a minimal neighborhood information"):
from each signal's two nearest neighbours, of the normalized signals projected on the
principal axes that hold 99% of their variance (which leaves most of the noise out: noise
fills every dimension at the smallest scales, where TwoNN looks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigae.data.checks import as_float_array
from sigae.errors import DataError, TrainingError
from sigae.io.arrays import SignalArray

MARGIN = 0.01
MAX_EPOCHS = 60
ID_SAMPLE = 2000


@dataclass(frozen=True)
class SizeResult:
    """The reconstruction at each size and the suggestion.

    Args:
        dims: The sizes tried, ascending.
        nmse_sigae: The default design's validation NMSE at each size.
        nmse_pca: PCA's of the same size on the same validation signals.
        intrinsic_dimension: The TwoNN estimate for the signals.
        suggested: The smallest size within `margin` of the best NMSE where the curve
            flattens, else the smallest size at least the rounded intrinsic dimension.
        margin: The margin, in NMSE.
        seconds: The training time of each size.
        flattened: Whether a size below the largest is within `margin` of the best.
    """

    dims: tuple[int, ...]
    nmse_sigae: tuple[float, ...]
    nmse_pca: tuple[float, ...]
    intrinsic_dimension: float
    suggested: int
    margin: float
    seconds: tuple[float, ...]
    flattened: bool = True

    @property
    def why(self) -> str:
        best = min(self.nmse_sigae)
        if not self.flattened:
            return (f"the reconstruction still improved up to the largest size tried (none "
                    f"smaller is within {self.margin:g} of its NMSE, {best:.4f}), so the "
                    f"intrinsic dimension decides: the signals are made from about "
                    f"{self.intrinsic_dimension:.1f} numbers (TwoNN); longer training "
                    "(--epochs) shows where the curve flattens")
        at = self.nmse_sigae[self.dims.index(self.suggested)]
        return (f"the smallest size whose validation NMSE ({at:.4f}) is within {self.margin:g} "
                f"of the best ({best:.4f})")

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `sigae latent size` (`DIR/size.json`)."""
        return {"dims": list(self.dims), "nmse_sigae": list(self.nmse_sigae),
                "nmse_pca": list(self.nmse_pca),
                "intrinsic_dimension": self.intrinsic_dimension,
                "suggested": self.suggested, "margin": self.margin,
                "flattened": self.flattened, "why": self.why, "seconds": list(self.seconds)}

    def lines(self) -> list[str]:
        lines = ["size  NMSE sigae  NMSE PCA"]
        lines += [f"{d:4d}  {a:10.4f}  {b:8.4f}{'  <- suggested' if d == self.suggested else ''}"
                  for d, a, b in zip(self.dims, self.nmse_sigae, self.nmse_pca, strict=True)]
        lines.append(f"suggested size {self.suggested}: {self.why}" + (
            f"; intrinsic dimension (TwoNN) {self.intrinsic_dimension:.1f}"
            if self.flattened else ""))
        return lines


def size(x: np.ndarray | SignalArray, dims: Sequence[int], *, margin: float = MARGIN,
         epochs: int = MAX_EPOCHS, seed: int = 0,
         on_size: Callable[[int, float, float, float], None] | None = None) -> SizeResult:
    """Trains the default design at each latent size in `dims` and suggests one.

    Args:
        x: Signals `(n, length, channels)` (array or `Signals`), as many as a fit at the
            largest size needs (`sigae.training.minimum`).
        dims: Latent sizes to try.
        margin: The suggestion is the smallest size whose validation NMSE is at most the
            best one plus `margin`.
        epochs: The most epochs each size trains (with the automatic patience).
        seed: Seeds the weights, the split and the batches, the same for every size.
        on_size: Called after each size with `(size, nmse, pca_nmse, seconds)`: progress.

    Raises:
        DataError: For no sizes, a size below 1 or not below the values of one signal, or
            fewer signals than a fit at the largest size needs.
    """
    from sigae.model import SignalAutoencoder
    from sigae.training import minimum
    from sigae.training.settings import TrainingConfig

    signals = as_float_array(x, "x")
    signals = signals[:, :, None] if signals.ndim == 2 else signals
    if signals.ndim != 3:
        raise DataError(f"x must be signals (n, length) or (n, length, channels); received "
                        f"shape {signals.shape}.")
    dims = sorted({int(d) for d in dims})
    values = signals.shape[1] * signals.shape[2]
    if not dims or dims[0] < 1 or dims[-1] >= values:
        raise DataError(f"The sizes must be at least 1 and below the {values} values of one "
                        f"signal; received {dims}.")
    caveat = minimum.shortfall(*minimum.sizes(len(signals), TrainingConfig.validation_split),
                               dims[-1])
    if caveat is not None:
        raise DataError(f"{len(signals)} signals are too few to compare sizes up to "
                        f"{dims[-1]}: each size would be {caveat}.")
    nmse, pca, seconds = [], [], []
    for dim in dims:
        start = time.perf_counter()
        model = SignalAutoencoder.from_preset("default", length=signals.shape[1],
                                              channels=signals.shape[2], latent_dim=dim,
                                              seed=seed)
        model.fit(signals, epochs=epochs, seed=seed, verbose=0, augment="none")
        comparison = model.comparison
        if comparison is None:  # every fit with validation signals compares
            raise TrainingError(f"the fit at size {dim} made no comparison with PCA.")
        nmse.append(float(comparison.nmse))
        pca.append(float(comparison.pca_nmse))
        seconds.append(time.perf_counter() - start)
        if on_size is not None:
            on_size(dim, nmse[-1], pca[-1], seconds[-1])
    return suggest(dims, nmse, pca, two_nn(signals, seed=seed), margin, seconds)


def suggest(dims: Sequence[int], nmse: Sequence[float], pca: Sequence[float],
            intrinsic: float, margin: float, seconds: Sequence[float]) -> SizeResult:
    """The suggestion from the NMSE curve where it flattens, else from the intrinsic
    dimension (see the module's text)."""
    best = min(nmse)
    within = [d for d, e in zip(dims, nmse, strict=True) if e <= best + margin]
    flattened = within[0] < dims[-1] or len(dims) == 1
    suggested = within[0]
    if not flattened and np.isfinite(intrinsic):
        suggested = next((d for d in dims if d >= round(intrinsic)), dims[-1])
    return SizeResult(tuple(dims), tuple(map(float, nmse)), tuple(map(float, pca)),
                      float(intrinsic), suggested, margin, tuple(seconds), flattened)


def two_nn(x: np.ndarray, *, variance: float = 0.99, seed: int = 0) -> float:
    """The TwoNN intrinsic dimension of signals `x` (at most `ID_SAMPLE` of them, seeded),
    normalized and projected on the principal axes that hold `variance` of their variance;
    the slope through the origin of -log(1 - F(mu)) against log(mu), the 10% largest
    ratios `mu = r2 / r1` left out, as Facco et al. fit it."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import NearestNeighbors

    flat = np.asarray(x, dtype="float64").reshape(len(x), -1)
    if len(flat) > ID_SAMPLE:
        flat = flat[np.random.default_rng(seed).choice(len(flat), ID_SAMPLE, replace=False)]
    flat = (flat - flat.mean(axis=0)) / (flat.std() or 1.0)
    reduced = PCA(n_components=variance, svd_solver="full").fit_transform(flat)
    distances, _ = NearestNeighbors(n_neighbors=3).fit(reduced).kneighbors(reduced)
    r1, r2 = distances[:, 1], distances[:, 2]
    keep = r1 > 0
    ratios = np.sort(r2[keep] / r1[keep])
    n = len(ratios)
    kept = int(0.9 * n)
    x_axis = np.log(ratios[:kept])
    y_axis = -np.log(1.0 - np.arange(1, kept + 1) / n)  # the empirical distribution
    return float(np.sum(x_axis * y_axis) / np.sum(x_axis**2)) if kept else float("nan")
