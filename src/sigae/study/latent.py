"""Studying the code space and reusing the decoder: statistics, projections, traversals,
interpolations, neighbours, generation and anomaly scores.

Every function takes a trained `SignalAutoencoder`; none changes it. Figures for each
are in `sigae.study.plotting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sigae.core.validate import check_choice, check_number
from sigae.data.checks import check_signals
from sigae.data.streaming import block_size
from sigae.errors import ConfigError, DataError, NotFittedError
from sigae.io.arrays import SignalArray, chunks, valid
from sigae.model import SignalAutoencoder
from sigae.stats.calibration import Calibration
from sigae.stats.metrics import signal_errors

# A dimension whose variance is below this share of the total is inactive.
INACTIVE_SHARE = 1e-3
SAMPLERS = ("gaussian", "gmm", "prior")


@dataclass(frozen=True, eq=False)
class LatentStats:
    """Per-dimension statistics of codes `(n, latent_dim)`.

    Attributes:
        mean, std, minimum, maximum: `(latent_dim,)` arrays.
        share: Each dimension's share of the total variance of the codes (sums to 1).
        inactive: Dimensions whose share is below `INACTIVE_SHARE`: the decoder barely
            uses them.
        correlation: `(latent_dim, latent_dim)` correlation matrix (0 where a dimension
            is constant).
    """

    mean: np.ndarray
    std: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    share: np.ndarray
    inactive: tuple[int, ...]
    correlation: np.ndarray


def stats(codes: np.ndarray) -> LatentStats:
    """Statistics of codes, e.g. `model.encode(x)`."""
    codes = _codes(codes)
    variance = codes.var(axis=0)
    total = variance.sum()
    share = variance / total if total > 0 else np.zeros_like(variance)
    std = np.sqrt(variance)
    centered = codes - codes.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = (centered.T @ centered) / len(codes) / np.outer(std, std)
    correlation = np.where(np.isfinite(correlation), correlation, 0.0)
    return LatentStats(codes.mean(axis=0), std, codes.min(axis=0), codes.max(axis=0), share,
                       tuple(int(i) for i in np.flatnonzero(share < INACTIVE_SHARE)),
                       correlation)


def project(codes: np.ndarray, method: str = "pca", *, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes in two dimensions, for a scatter plot.

    Args:
        codes: `(n, latent_dim)`.
        method: `"pca"` (scikit-learn) or `"umap"` (the optional `umap-learn` package).
        seed: Seed of UMAP's layout.

    Returns:
        `(points, explained)`: `(n, 2)` points and, for PCA, the share of the codes'
        variance each axis explains (`None` for UMAP).
    """
    codes = _codes(codes)
    if method == "pca":
        from sklearn.decomposition import PCA

        components = min(2, codes.shape[1], len(codes))
        pca = PCA(components).fit(codes)
        points = np.zeros((len(codes), 2))
        points[:, :components] = pca.transform(codes)
        explained = np.zeros(2)
        explained[:components] = pca.explained_variance_ratio_
        return points, explained
    if method == "umap":
        try:
            import umap
        except ImportError:
            raise ConfigError(
                "method='umap' needs the optional umap-learn package: pip install 'sigae[umap]' "
                "(or pip install umap-learn), or use method='pca'."
            ) from None
        return umap.UMAP(random_state=seed).fit_transform(codes), None
    raise ConfigError(f"method must be 'pca' or 'umap'. Received method={method!r}.")


def traverse(model: SignalAutoencoder, base: np.ndarray, dims: list[int], *, steps: int = 7,
             span: float = 2.0, std: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Decodes `base` with one dimension at a time moved across +/- `span` std.

    Args:
        model: A trained model.
        base: A code `(latent_dim,)`, e.g. the mean code or a signal's code.
        dims: The dimensions to move.
        steps: Codes per dimension, from `-span` to `+span` (odd counts include `base`).
        span: How far to move, in standard deviations of that dimension.
        std: Per-dimension standard deviations; the training codes' by default.

    Returns:
        `(codes, signals)` of shapes `(len(dims), steps, latent_dim)` and
        `(len(dims), steps, length, channels)`.
    """
    base = _codes(base[None])[0]
    latent_dim = model.config.latent_dim
    for dim in dims:
        if not 0 <= dim < latent_dim:
            raise ConfigError(f"dims must lie in 0..{latent_dim - 1}; received {dim}.")
    check_number("steps", steps, integer=True, minimum=2)
    if std is None:
        std = np.sqrt(np.diag(require_calibration(model, "traverse").gaussian.covariances[0]))
    offsets = np.linspace(-span, span, steps)
    codes = np.repeat(np.repeat(base[None, None], len(dims), 0), steps, 1)
    for i, dim in enumerate(dims):
        codes[i, :, dim] = base[dim] + offsets * std[dim]
    decoded = model.decode(codes.reshape(-1, latent_dim).astype("float32"))
    return codes, decoded.reshape(len(dims), steps, *decoded.shape[1:])


def interpolate(model: SignalAutoencoder, start: np.ndarray, end: np.ndarray, *,
                steps: int = 8, method: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """Decodes the path between two codes.

    Args:
        start: The code the path starts at, `(latent_dim,)`.
        end: The code it ends at.
        steps: Codes on the path, both ends included.
        method: `"linear"`, or `"slerp"` (along the great circle between the codes'
            directions, with the norm interpolated linearly).

    Returns:
        `(codes, signals)` of shapes `(steps, latent_dim)` and `(steps, length, channels)`;
        the first and last codes are exactly `start` and `end`.
    """
    start, end = _codes(np.stack([start, end]))
    check_number("steps", steps, integer=True, minimum=2)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "linear":
        codes = (1 - t) * start + t * end
    elif method == "slerp":
        norms = np.linalg.norm(start), np.linalg.norm(end)
        if min(norms) == 0:
            codes = (1 - t) * start + t * end
        else:
            a, b = start / norms[0], end / norms[1]
            angle = np.arccos(np.clip(a @ b, -1.0, 1.0))
            if angle < 1e-6:
                direction = (1 - t) * a + t * b
            else:
                direction = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle)
            codes = direction * ((1 - t) * norms[0] + t * norms[1])
        codes[0], codes[-1] = start, end
    else:
        check_choice("method", method, ("linear", "slerp"))
    return codes, model.decode(codes.astype("float32"))


def neighbors(codes: np.ndarray, index: int, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The `k` codes nearest to `codes[index]` (Euclidean), itself excluded.

    Returns:
        `(indices, distances)`, nearest first.
    """
    codes = _codes(codes)
    _index(index, len(codes))
    distances = np.linalg.norm(codes - codes[index], axis=1)
    distances[index] = np.inf
    order = np.argsort(distances, kind="stable")[: min(k, len(codes) - 1)]
    return order, distances[order]


@dataclass(frozen=True, eq=False)
class Generated:
    """Decoded samples from a code density.

    Attributes:
        codes: `(n, latent_dim)` sampled codes.
        signals: `(n, length, channels)` decoded signals, in data units.
        log_density: Each code's log-density under the training codes' density.
        outside: Codes below the log-density of the least typical 1% of training codes.
    """

    codes: np.ndarray
    signals: np.ndarray
    log_density: np.ndarray
    outside: np.ndarray


def generate(model: SignalAutoencoder, n: int, *, sampler: str = "gaussian",
             seed: int | None = None) -> Generated:
    """Samples `n` codes and decodes them.

    Args:
        model: A trained model.
        n: Number of samples.
        sampler: `"gaussian"` or `"gmm"`: the densities fitted to the training codes at
            `fit` (`model.calibration`); `"prior"`: N(0, I), the prior of a variational
            model.
        seed: Seeds the sampling.
    """
    check_choice("sampler", sampler, SAMPLERS)
    check_number("n", n, integer=True, minimum=1)
    calibration = require_calibration(model, "generate")
    rng = np.random.default_rng(seed)
    if sampler == "prior":
        if not model.config.variational:
            raise ConfigError("sampler='prior' samples N(0, I), the prior of a variational "
                              "model; this model is not variational. Use 'gaussian' or 'gmm'.")
        codes = rng.standard_normal((n, model.config.latent_dim)).astype("float32")
    else:
        codes = getattr(calibration, sampler).sample(n, rng)
    reference = calibration.gmm if sampler == "gmm" else calibration.gaussian
    log_density = reference.log_density(codes)
    return Generated(codes, model.decode(codes), log_density, log_density < reference.floor)


@dataclass(frozen=True, eq=False)
class Scores:
    """Per-signal anomaly scores.

    Attributes:
        mse, mae: Reconstruction errors in normalized units, `(n,)`.
        threshold: The MSE above which a signal is an anomaly.
        is_anomaly: `mse > threshold`.
    """

    mse: np.ndarray
    mae: np.ndarray
    threshold: float
    is_anomaly: np.ndarray


def score(model: SignalAutoencoder, x: SignalArray, *, threshold: float | None = None,
          percentile: float = 99.0, batch_size: int = 100) -> Scores:
    """Reconstruction errors and anomaly flags, reading `x` block by block.

    Args:
        model: A trained model.
        x: Signals (array, `Signals` or lazy).
        threshold: The MSE above which a signal is an anomaly; by default the stored error
            at `percentile`, from the validation signals of `fit`.
        percentile: The percentile of the stored errors (of the validation signals, see
            `Calibration.errors_from`) used when `threshold` is None.
        batch_size: Signals per forward pass.
    """
    if threshold is None:
        check_number("percentile", percentile, minimum=0, maximum=100)
        threshold = require_calibration(model, "score").threshold(percentile)
    model.require_fitted("score")
    _, mse, mae = codes_and_errors(model, check_signals(x, model.config), batch_size=batch_size)
    return Scores(mse, mae, float(threshold), mse > threshold)


def codes_and_errors(model: SignalAutoencoder, x: SignalArray, *, batch_size: int = 100
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes, and per-signal MSE and MAE of the reconstruction in normalized units.

    Reads `x` block by block; the reconstruction is `decode(encode(x))`, which equals
    `reconstruct(x)` bit for bit.

    Returns:
        `(codes, mse, mae)` of shapes `(n, latent_dim)`, `(n,)` and `(n,)`.
    """
    std = model.normalization[1]
    codes, mse, mae = [], [], []
    for start, block in chunks(x, block_size(batch_size), what="x"):
        code = model.encode(block, batch_size=batch_size)
        errors = signal_errors(model.decode(code, batch_size=batch_size), block, std,
                               valid(x, start, start + len(block)))
        codes.append(code)
        mse.append(errors[0])
        mae.append(errors[1])
    if not codes:
        empty = np.zeros(0)
        return np.zeros((0, model.config.latent_dim), "float32"), empty, empty
    return np.concatenate(codes), np.concatenate(mse), np.concatenate(mae)


def require_calibration(model: SignalAutoencoder, action: str) -> Calibration:
    """`model.calibration`, or a `NotFittedError` saying why `action` cannot run."""
    model.require_fitted(action)
    if model.calibration is None:
        raise NotFittedError(
            f"Cannot {action}: the model has no stored code density and error quantiles "
            "(it was adopted or given without signals, or saved by an older sigae). Measure "
            "it on signals: model.measure(x), or sigae adopt ... --data DATA."
        )
    return model.calibration


def _codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype="float64")
    if codes.ndim != 2 or len(codes) == 0:
        raise DataError(f"codes must have shape (n, latent_dim) with n >= 1; received "
                        f"{codes.shape}.")
    return codes


def _index(index: int, n: int) -> None:
    if not 0 <= index < n:
        raise DataError(f"index {index} is out of range; the data holds {n} signals "
                        f"(0..{n - 1}).")
