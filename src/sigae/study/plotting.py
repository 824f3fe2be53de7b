"""Figures. Each function returns a matplotlib `Figure` and never shows it.

Figures are made without pyplot, so no global state and no display are involved; save
them with `figure.savefig(path)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sigae.core.paths import PathLike
from sigae.training.records import TrainingHistory

if TYPE_CHECKING:
    from sigae.study.factors import FactorsResult
    from sigae.study.frontier import Frontier
    from sigae.study.latent import LatentStats
    from sigae.study.size import SizeResult


def plot_history(history: TrainingHistory, *, title: str = "Training") -> Figure:
    """Loss and validation loss per epoch, log scale, with the kept epoch marked."""
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    epochs = np.arange(1, history.epochs + 1)
    axes.plot(epochs, history.loss, label="training loss")
    if history.val_loss:
        axes.plot(epochs, history.val_loss, label="validation loss")
    if history.initial_loss is not None:
        axes.axhline(history.initial_loss, color="grey", linestyle="--", linewidth=0.8,
                     label="before training")
    if history.best_epoch is not None:
        axes.axvline(history.best_epoch + 1, color="grey", linestyle=":",
                     label=f"kept weights (epoch {history.best_epoch + 1})")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("MSE (normalized units)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return figure


def plot_reconstruction(
    signal: np.ndarray,
    reconstruction: np.ndarray,
    decoded: np.ndarray,
    *,
    title: str = "Reconstruction",
    sample_unit: str = "sample",
    value_unit: str = "signal units",
) -> Figure:
    """One signal with the autoencoder's output ("AE") and decode(encode(x)) ("eD").

    This is the question's comparison plot: with sigae the two curves coincide exactly.

    Args:
        signal: One signal, shape `(length, channels)` or `(length,)`.
        reconstruction: `reconstruct` output for it, same shape.
        decoded: `decode(encode(...))` output for it, same shape.
        title: Figure title.
        sample_unit: Label of the horizontal axis unit.
        value_unit: Label of the vertical axis unit.
    """
    signal, reconstruction, decoded = (
        np.asarray(a).reshape(len(a), -1) for a in (signal, reconstruction, decoded)
    )
    channels = signal.shape[1]
    figure = Figure(figsize=(8, 2.6 + 1.6 * channels), layout="constrained")
    axes_list = figure.subplots(channels, 1, sharex=True, squeeze=False)[:, 0]
    difference = float(np.max(np.abs(reconstruction - decoded)))
    for channel, axes in enumerate(axes_list):
        axes.plot(signal[:, channel], color="black", linewidth=1.0, label="signal")
        axes.plot(reconstruction[:, channel], color="tab:blue", linewidth=2.2, alpha=0.6,
                  label="AE: reconstruct(x)")
        axes.plot(decoded[:, channel], color="tab:orange", linewidth=1.0, linestyle="--",
                  label="eD: decode(encode(x))")
        axes.set_ylabel(f"channel {channel}\n({value_unit})" if channels > 1 else value_unit)
        axes.grid(True, alpha=0.3)
    axes_list[0].legend(loc="upper right", fontsize="small")
    axes_list[-1].set_xlabel(sample_unit)
    figure.suptitle(f"{title} (max |AE - eD| = {difference:.3g})")
    return figure


# -- the latent space ------------------------------------------------------------------------
# Multichannel signals are drawn by their first channel; titles say so.


def save_figure(figure: Figure, path: PathLike) -> None:
    """Writes `figure` (format from the extension, e.g. `.png`) atomically."""
    from sigae.core.outputs import atomic_path

    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=110)


def _first_channel(signals: np.ndarray) -> np.ndarray:
    return np.asarray(signals)[..., 0]


def _channel_note(signals: np.ndarray) -> str:
    return " (channel 0)" if np.asarray(signals).shape[-1] > 1 else ""


def plot_latent_stats(stats: LatentStats) -> Figure:
    """Each dimension's share of the code variance, and the correlation matrix."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    bars, heat = figure.subplots(1, 2, width_ratios=[1.4, 1])
    dims = np.arange(len(stats.share))
    colors = ["tab:grey" if d in stats.inactive else "tab:blue" for d in dims]
    bars.bar(dims, 100 * stats.share, color=colors)
    bars.set_xlabel("latent dimension")
    bars.set_ylabel("share of code variance (%)")
    bars.set_title("Variance per dimension" + (" (grey: inactive)" if stats.inactive else ""))
    bars.set_xticks(dims)
    bars.grid(True, axis="y", alpha=0.3)
    image = heat.imshow(stats.correlation, vmin=-1, vmax=1, cmap="RdBu_r")
    heat.set_title("Correlation between dimensions")
    heat.xaxis.set_major_locator(MaxNLocator(integer=True))
    heat.yaxis.set_major_locator(MaxNLocator(integer=True))
    heat.set_xlabel("latent dimension")
    heat.set_ylabel("latent dimension")
    figure.colorbar(image, ax=heat, label="correlation")
    return figure


def plot_factors(result: FactorsResult) -> Figure:
    """The importance of each unit for each quantity (the model's codes beside PCA's), each
    quantity's nonlinear R² in its column's label."""
    figure = Figure(figsize=(10, 0.9 + 0.35 * len(result.codes.importance)),
                    layout="constrained")
    for axes, label, reading in zip(figure.subplots(1, 2), ("codes", "PCA"),
                                    (result.codes, result.pca), strict=True):
        image = axes.imshow(reading.importance, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        axes.set_xticks(range(len(result.names)),
                        [f"{name}\nR² {r2:.2f}" for name, r2 in zip(result.names, reading.r2,
                                                                      strict=True)])
        axes.set_yticks(range(len(reading.importance)),
                        [f"z{u}" for u in range(len(reading.importance))])
        axes.set_title(f"{label}: D {reading.disentanglement:.2f}, C "
                       f"{reading.completeness:.2f}, I {reading.informativeness:.2f}")
    figure.colorbar(image, ax=figure.axes, label="importance (each column sums to 1)")
    return figure


def plot_size(result: SizeResult) -> Figure:
    """Validation NMSE against the latent size, sigae's and PCA's, the suggestion marked."""
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(result.dims, result.nmse_sigae, "o-", label="sigae (default design)")
    axes.plot(result.dims, result.nmse_pca, "s--", color="tab:grey", label="PCA")
    at = result.nmse_sigae[result.dims.index(result.suggested)]
    axes.axvline(result.suggested, color="tab:red", linestyle=":",
                 label=f"suggested: {result.suggested} " + (
                     f"(within {result.margin:g} of the best)" if result.flattened else
                     "(the intrinsic dimension: the curve has not flattened)"))
    axes.plot([result.suggested], [at], "o", color="tab:red")
    axes.set_yscale("log")
    axes.set_xlabel("latent size")
    axes.set_ylabel("validation NMSE")
    axes.set_title(f"How many units (intrinsic dimension, TwoNN: "
                   f"{result.intrinsic_dimension:.1f})")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, alpha=0.3)
    axes.legend()
    return figure


def plot_projection(points: np.ndarray, *, labels: np.ndarray | None = None,
                    label_name: str = "label", method: str = "pca",
                    explained: np.ndarray | None = None) -> Figure:
    """Codes projected to 2-D, coloured by `labels` (categories or numbers) if given."""
    figure = Figure(figsize=(6.5, 5.5), layout="constrained")
    axes = figure.add_subplot()
    if labels is None:
        axes.scatter(points[:, 0], points[:, 1], s=8, alpha=0.7)
    elif np.asarray(labels).dtype.kind in "iuf" and len(np.unique(labels)) > 10:
        image = axes.scatter(points[:, 0], points[:, 1], c=labels, s=8, cmap="viridis")
        figure.colorbar(image, ax=axes, label=label_name)
    else:
        for value in np.unique(labels):
            chosen = np.asarray(labels) == value
            axes.scatter(points[chosen, 0], points[chosen, 1], s=8, alpha=0.7, label=str(value))
        axes.legend(title=label_name, fontsize="small", markerscale=2)
    names: tuple[str, ...] = ("PC 1", "PC 2") if method == "pca" else ("UMAP 1", "UMAP 2")
    if explained is not None:
        names = tuple(f"{n} ({100 * e:.1f}% of code variance)"
                      for n, e in zip(names, explained, strict=True))
    axes.set_xlabel(names[0])
    axes.set_ylabel(names[1])
    axes.set_title(f"Codes projected with {method.upper()} ({len(points)} signals)")
    axes.grid(True, alpha=0.3)
    return figure


def plot_frontier(frontier: Frontier) -> Figure:
    """The dial's trade-off: each weight's test reconstruction over PCA's against the
    accuracy of its codes (SVM and 1-NN), PCA's codes at ratio 1 for reference."""
    figure = Figure(figsize=(6.5, 4.5), layout="constrained")
    axes = figure.add_subplot()
    ratios = [p.ratio for p in frontier.points]
    for name, marker in (("svm", "o-"), ("nearest", "s--")):
        axes.plot(ratios, [getattr(p.scores, name) for p in frontier.points], marker,
                  label=f"codes, {'SVM' if name == 'svm' else '1-NN'}")
        axes.plot([1.0], [getattr(frontier.pca, name)], marker[0], color="grey", markersize=9,
                  fillstyle="none", label=f"PCA codes, {'SVM' if name == 'svm' else '1-NN'}")
    for point in frontier.points:
        axes.annotate(f"{point.weight:g}", (point.ratio, point.scores.svm),
                      textcoords="offset points", xytext=(4, 4), fontsize="small")
    axes.axvline(1.0, color="grey", lw=0.8, ls=":")
    axes.set_xlabel("test reconstruction error / PCA's (same size)")
    axes.set_ylabel("test accuracy")
    axes.set_title("The dial: reconstruction against separation (labels: contrast weight)")
    axes.legend(fontsize="small")
    axes.grid(True, alpha=0.3)
    return figure


def plot_traversal(signals: np.ndarray, dims: list[int], offsets: np.ndarray, *,
                   sample_unit: str = "sample", value_unit: str = "signal units") -> Figure:
    """Decoded curves `(len(dims), steps, length, channels)`, one panel per dimension."""
    rows = len(dims)
    figure = Figure(figsize=(8, 1.9 * rows + 1), layout="constrained")
    axes_list = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    colors = _colormap("coolwarm", len(offsets))
    for axes, dim, curves in zip(axes_list, dims, _first_channel(signals), strict=True):
        for curve, offset, color in zip(curves, offsets, colors, strict=True):
            axes.plot(curve, color=color, linewidth=1.2, label=f"{offset:+.1f} std")
        axes.set_ylabel(f"dim {dim}\n({value_unit})")
        axes.grid(True, alpha=0.3)
    axes_list[0].legend(loc="upper right", fontsize="x-small", ncol=min(len(offsets), 4))
    axes_list[-1].set_xlabel(sample_unit)
    figure.suptitle("Traversal: one latent dimension moved, the others held"
                    + _channel_note(signals))
    return figure


def plot_interpolation(path: np.ndarray, start: np.ndarray, end: np.ndarray, *,
                       method: str = "linear", sample_unit: str = "sample",
                       value_unit: str = "signal units") -> Figure:
    """Decoded path `(steps, length, channels)` between two signals, drawn over them."""
    figure = Figure(figsize=(8, 4), layout="constrained")
    axes = figure.add_subplot()
    for curve, color in zip(_first_channel(path), _colormap("viridis", len(path)), strict=True):
        axes.plot(curve, color=color, linewidth=1.0, alpha=0.9)
    axes.plot(_first_channel(start), color="black", linestyle="--", label="from (signal)")
    axes.plot(_first_channel(end), color="black", linestyle=":", label="to (signal)")
    axes.set_xlabel(sample_unit)
    axes.set_ylabel(value_unit)
    axes.set_title(f"{method.capitalize()} interpolation in code space, {len(path)} steps "
                   "(purple to yellow)" + _channel_note(path))
    axes.legend(loc="upper right", fontsize="small")
    axes.grid(True, alpha=0.3)
    return figure


def plot_neighbors(query: np.ndarray, found: np.ndarray, distances: np.ndarray, *,
                   index: int, indices: np.ndarray, sample_unit: str = "sample",
                   value_unit: str = "signal units") -> Figure:
    """The query signal and its nearest signals in code space."""
    k = len(found)
    figure = Figure(figsize=(8, 1.6 * (k + 1) + 0.6), layout="constrained")
    axes_list = figure.subplots(k + 1, 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    axes_list[0].plot(_first_channel(query), color="black")
    axes_list[0].set_title(f"query: signal {index}", fontsize="small")
    for axes, signal, distance, i in zip(axes_list[1:], found, distances, indices, strict=True):
        axes.plot(_first_channel(signal), color="tab:blue")
        axes.set_title(f"signal {i}: code distance {distance:.3g}", fontsize="small")
    for axes in axes_list:
        axes.set_ylabel(value_unit, fontsize="small")
        axes.grid(True, alpha=0.3)
    axes_list[-1].set_xlabel(sample_unit)
    figure.suptitle(f"Nearest {k} signals in code space" + _channel_note(query))
    return figure


def plot_generated(signals: np.ndarray, outside: np.ndarray, *, sampler: str,
                   sample_unit: str = "sample", value_unit: str = "signal units",
                   count: int = 8) -> Figure:
    """Some generated signals; those whose code is outside the training codes dashed."""
    figure = Figure(figsize=(8, 4), layout="constrained")
    axes = figure.add_subplot()
    for signal, out in zip(_first_channel(signals)[:count], outside[:count], strict=True):
        axes.plot(signal, linewidth=1.0, linestyle="--" if out else "-")
    axes.set_xlabel(sample_unit)
    axes.set_ylabel(value_unit)
    axes.set_title(f"{min(count, len(signals))} signals decoded from {sampler} samples "
                   f"({int(np.sum(outside))} of {len(signals)} outside the training codes)")
    axes.grid(True, alpha=0.3)
    return figure


def plot_errors(mse: np.ndarray, threshold: float | None, *,
                title: str = "Reconstruction error") -> Figure:
    """Histogram of per-signal MSE (log scale) with the anomaly threshold, if there is one."""
    figure = Figure(figsize=(7, 3.8), layout="constrained")
    axes = figure.add_subplot()
    positive = np.maximum(np.asarray(mse, dtype="float64"), 1e-12)
    top = positive.max() if threshold is None else max(positive.max(), threshold)
    bins = np.logspace(np.log10(positive.min()), np.log10(top * 1.01), 40)
    axes.hist(positive, bins=list(bins), color="tab:blue", alpha=0.8)
    if threshold is not None:
        axes.axvline(threshold, color="tab:red", linestyle="--",
                     label=f"threshold {threshold:.3g} ({int(np.sum(mse > threshold))} above)")
        axes.legend()
    axes.set_xscale("log")
    axes.set_xlabel("per-signal MSE (normalized units)")
    axes.set_ylabel("signals")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    return figure


def plot_gallery(signals: np.ndarray, reconstructions: np.ndarray, errors: np.ndarray, *,
                 sample_unit: str = "sample", value_unit: str = "signal units") -> Figure:
    """The best, median and worst reconstructed signals by error."""
    order = np.argsort(errors)
    picks = {"best": order[0], "median": order[len(order) // 2], "worst": order[-1]}
    figure = Figure(figsize=(10, 3.2), layout="constrained")
    for axes, (name, i) in zip(figure.subplots(1, 3, sharey=True), picks.items(), strict=True):
        axes.plot(_first_channel(signals[i]), color="black", linewidth=1.0, label="signal")
        axes.plot(_first_channel(reconstructions[i]), color="tab:blue", linewidth=1.4,
                  alpha=0.8, label="reconstruction")
        axes.set_title(f"{name}: signal {i}, MSE {errors[i]:.3g}", fontsize="small")
        axes.set_xlabel(sample_unit)
        axes.grid(True, alpha=0.3)
    figure.axes[0].set_ylabel(value_unit)
    figure.axes[0].legend(fontsize="small")
    figure.suptitle("Reconstructions by error" + _channel_note(signals))
    return figure


def _colormap(name: str, n: int) -> list:
    from matplotlib import colormaps

    return [colormaps[name](v) for v in np.linspace(0.0, 1.0, n)]
