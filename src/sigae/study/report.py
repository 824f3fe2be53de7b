"""`sigae report`: one self-contained HTML file about a trained model and some signals.

Images are PNGs embedded as data URIs and the style is inline, so the file opens
anywhere without a network. Sections: model, training, reconstructions, errors, latent
statistics, projection, traversals.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from matplotlib.figure import Figure

from sigae.core.outputs import atomic_path
from sigae.core.paths import PathLike
from sigae.errors import DataError
from sigae.io.arrays import SignalArray
from sigae.model import SignalAutoencoder
from sigae.stats.calibration import MIN_THRESHOLD_SIGNALS, Calibration
from sigae.study import latent
from sigae.study.factors import FactorsResult
from sigae.study.frontier import Frontier
from sigae.study.plotting import (
    plot_errors,
    plot_factors,
    plot_frontier,
    plot_gallery,
    plot_history,
    plot_latent_stats,
    plot_projection,
    plot_traversal,
)
from sigae.study.probe import ProbeResult, probe
from sigae.study.summary import summary

SECTIONS = ("Model", "Training", "Reconstructions", "Errors", "Latent statistics",
            "Projection", "Codes and labels", "Frontier of the dial", "Units and quantities",
            "Traversals")
"""The sections, in order; "Codes and labels" only when labels are given, "Frontier of the
dial" only when a frontier is, "Units and quantities" only with factors."""

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: .85em; }
img { max-width: 100%; } table { border-collapse: collapse; font-size: .9em; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
"""


def write_report(model: SignalAutoencoder, x: SignalArray, path: PathLike, *,
                 title: str = "sigae report", percentile: float = 99.0,
                 labels: np.ndarray | None = None, label_name: str = "label",
                 frontier: Frontier | None = None,
                 factors: FactorsResult | None = None) -> None:
    """Writes the HTML report of `model` on signals `x` to `path`, atomically.

    Args:
        model: A trained model.
        x: Signals `(n, length, channels)` for the reconstructions, errors and codes
            (padded ones, `sigae.io.arrays.Padded`, have their padding left out of the
            errors).
        path: The `.html` file.
        title: The page title.
        percentile: Percentile of the stored validation errors used as the anomaly threshold.
        labels: One label per signal of `x`: the projection is coloured by them, and a
            section "Codes and labels" says how well the codes separate them
            (`sigae.study.probe`, a stratified 30% of `x` held out).
        label_name: What the labels are.
        frontier: The frontier of the dial on labelled signals (`sigae.study.frontier`), shown
            as a table and a plot.
        factors: Which units carry which quantity of the signals (`sigae.study.factors`),
            shown as the importance heatmap and a table.

    Raises:
        DataError: If the labels do not match `x` (labels that are not classes, or
            classes too small to hold some out, are said in the section instead).
    """
    codes, mse, _ = latent.codes_and_errors(model, x)
    calibration = latent.require_calibration(model, "report")
    threshold = calibration.threshold(percentile) if calibration.sets_threshold else None
    stats = latent.stats(codes)
    points, explained = latent.project(codes)
    variance = np.diag(calibration.gaussian.covariances[0])
    dims = [int(d) for d in np.argsort(variance)[::-1][:4]]
    _, traversed = latent.traverse(model, calibration.gaussian.means[0], dims)
    reconstructions = model.reconstruct(x)
    comparison = f"<p>{html.escape(model.comparison.summary())}</p>" if model.comparison else ""
    table = "".join(
        f"<tr><td>z{i}</td><td>{stats.mean[i]:.4g}</td><td>{stats.std[i]:.4g}</td>"
        f"<td>{100 * stats.share[i]:.1f}%</td><td>{'yes' if i in stats.inactive else ''}</td></tr>"
        for i in range(len(stats.share))
    )
    body = {
        "Model": f"<pre>{html.escape(chr(10).join(summary(model)))}</pre>",
        "Training": _image(plot_history(model.history)) + comparison,
        "Reconstructions": _image(plot_gallery(np.asarray(x[:]), reconstructions, mse)),
        "Errors": _image(plot_errors(mse, threshold, title=f"Reconstruction error of "
                                     f"{len(x)} signals")) + _flagged(mse, threshold,
                                                                      percentile, calibration),
        "Latent statistics": _image(plot_latent_stats(stats)) +
        "<table><tr><th>dimension</th><th>mean</th><th>std</th><th>share of variance</th>"
        f"<th>inactive</th></tr>{table}</table>",
        "Projection": _image(plot_projection(points, explained=explained, labels=labels,
                                             label_name=label_name)),
        "Traversals": _image(plot_traversal(traversed, dims, np.linspace(-2, 2, 7))) +
        "<p>Around the mean training code, the four dimensions of largest variance, each "
        "moved by -2 to +2 standard deviations.</p>",
    }
    if labels is not None:
        try:
            body["Codes and labels"] = _probe_table(probe(model, x, labels), label_name)
        except DataError as error:
            body["Codes and labels"] = f"<p>{html.escape(str(error))}</p>"
    if frontier is not None:
        body["Frontier of the dial"] = (_image(plot_frontier(frontier)) + "<pre>"
                                       + html.escape(chr(10).join(frontier.lines()))
                                       + "</pre>")
    if factors is not None:
        body["Units and quantities"] = (_image(plot_factors(factors)) + "<pre>"
                                        + html.escape(chr(10).join(factors.lines()))
                                        + "</pre>")
    sections = "".join(f'<section id="{name.lower().replace(" ", "-")}"><h2>{name}</h2>'
                       f"{body[name]}</section>" for name in SECTIONS if name in body)
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{sections}</body></html>")
    with atomic_path(path) as temporary:
        temporary.write_text(page, encoding="utf-8")


def _flagged(mse: np.ndarray, threshold: float | None, percentile: float,
             calibration: Calibration) -> str:
    """How many signals are above the anomaly threshold, or why there is none."""
    if threshold is None:
        return (f"<p>No anomaly threshold: the model holds the errors of only "
                f"{calibration.n_signals} {calibration.errors_from} signals, too few for a "
                f"percentile of them (it takes {MIN_THRESHOLD_SIGNALS}).</p>")
    return (f"<p>{int(np.sum(mse > threshold))} of {len(mse)} signals are above the threshold "
            f"{threshold:.4g}, the {percentile:g}th percentile of the errors of the "
            f"{calibration.n_signals} {calibration.errors_from} signals.</p>")


def _image(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def _probe_table(result: ProbeResult, label_name: str) -> str:
    rows = "".join(f"<tr><td>{name}</td><td>{s.svm:.3f}</td><td>{s.nearest:.3f}</td>"
                   f"<td>{s.clusters:.3f}</td></tr>"
                   for name, s in (("model", result.model), ("PCA", result.pca)))
    return (f"<p>How well the codes separate the {html.escape(label_name)} values "
            f"({result.n_classes} classes; {result.n_train} training and {result.n_test} test "
            f"signals, {html.escape(result.held_out)}): accuracy of an RBF SVM and of the "
            "nearest training code, and the adjusted Rand index of k-means, beside PCA codes "
            "of the same size (<code>sigae latent probe</code>).</p>"
            "<table><tr><th>codes</th><th>SVM</th><th>1-NN</th><th>k-means ARI</th></tr>"
            f"{rows}</table>")
