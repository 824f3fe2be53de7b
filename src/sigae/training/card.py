"""A model as a compact HTML card, for notebooks (`SignalAutoencoder._repr_html_`).

The card shows what the model is (design or adopted parts, shapes, parameters) and what
fitting learned (normalization, the training history as a sparkline, the comparison with
PCA in normalized and data units, the small-data choice, the length policy); an untrained
model says so. Every value is escaped; the card needs no script and nothing from the network.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from sigae.training.records import Learned, TrainingHistory

STYLE = (
    ".sigae-card{font:13px/1.4 system-ui,sans-serif;border:1px solid #d0d7de;border-radius:6px;"
    "padding:.5em .8em;max-width:46em;color:#1f2328;background:#fff}"
    ".sigae-card h4{margin:0 0 .3em;font-size:14px}.sigae-card table{border-collapse:collapse}"
    ".sigae-card th{text-align:left;font-weight:600;padding:.1em 1em .1em 0;vertical-align:top;"
    "white-space:nowrap}.sigae-card td{padding:.1em 0}.sigae-card .muted{color:#656d76}"
)


def card_html(config: Any, parameters: dict[str, int], learned: Learned | None) -> str:
    """The card of a model built from `config` (`ModelConfig` or `PartsConfig`), with
    `parameters` per view (`SignalAutoencoder.param_counts`) and what it `learned`."""
    rows = [
        ("architecture", config.describe()),
        ("shapes", f"({config.length}, {config.channels}) → code ({config.latent_dim},) → "
                   f"({config.length}, {config.channels})"),
        ("parameters", f"encoder {parameters['encoder']:,}, decoder {parameters['decoder']:,}, "
                       f"total {parameters['autoencoder']:,}"),
    ]
    if learned is None:
        rows.append(("state", "untrained: call fit(x) (or load a trained model)"))
    else:
        rows.extend(_learned_rows(config, learned))
    # The training row's sparkline is markup; every other value is text.
    body = "".join(f"<tr><th>{html.escape(name)}</th><td>"
                   f"{value if name == 'training' else html.escape(value)}</td></tr>"
                   for name, value in rows)
    state = "fitted" if learned is not None else "untrained"
    return (f"<div class='sigae-card'><style>{STYLE}</style><h4>SignalAutoencoder "
            f"<span class='muted'>({state})</span></h4><table>{body}</table></div>")


def _learned_rows(config: Any, learned: Learned) -> list[tuple[str, str]]:
    mean, std = np.atleast_1d(learned.mean), np.atleast_1d(learned.std)
    rows = [("normalization", f"{config.normalization}: mean {_numbers(mean)}, "
                              f"std {_numbers(std)}")]
    history = learned.history
    if history.epochs:
        rows.append(("training", _training(history)))
    else:
        rows.append(("training", html.escape("no epochs recorded (the weights were given, "
                                             "or the PCA start was kept)")))
    if learned.comparison is not None:
        c = learned.comparison
        text = (f"{c.data} NMSE {c.nmse:.4g} vs PCA {c.pca_nmse:.4g} ({c.ratio:.3f}x)")
        if c.data_ratio is not None:
            text += (f"; data units {c.data_nmse:.4g} vs PCA {c.data_pca_nmse:.4g} "
                     f"({c.data_ratio:.3f}x)")
        rows.append(("against PCA", text))
    if learned.dial is not None:
        ratio = learned.dial.ratio
        rows.append(("contrast (dial)", f"{learned.dial.chosen:g}, held-out reconstruction "
                     + ("not measured" if ratio is None else f"{ratio:.3f}")
                     + f" x PCA's (tolerance {learned.dial.tolerance:g})"))
    if learned.choice is not None:
        rows.append(("small-data choice", f"{learned.choice.winner.name} (by "
                                          f"{learned.choice.folds}-fold cross-validation)"))
    if learned.length_policy is not None:
        rows.append(("unequal lengths", f"{learned.length_policy} to {config.length} samples"))
    calibration = learned.calibration
    if calibration is not None:
        rows.append(("anomaly threshold",
                     f"MSE {calibration.threshold(99.0):.4g} (99th percentile)"
                     if calibration.sets_threshold else
                     f"none: the errors of only {calibration.n_signals} signals"))
    rows.extend(("warning", caveat) for caveat in learned.caveats)
    return rows


def _training(history: TrainingHistory) -> str:
    """Epochs, the kept one, and an inline SVG sparkline of the monitored loss (escaped
    text around it; the SVG holds only numbers)."""
    losses = history.val_loss or history.loss
    kept = "the start" if history.best_epoch is None else f"epoch {history.best_epoch + 1}"
    text = html.escape(f"{history.epochs} epochs, kept {kept}; "
                       f"{'validation' if history.val_loss else 'training'} loss ")
    return text + sparkline(losses) + html.escape(f" {losses[0]:.4g} → {losses[-1]:.4g}")


def sparkline(values: Any, width: int = 120, height: int = 18) -> str:
    """An inline SVG polyline of `values` (log scale where they are all positive)."""
    y = np.asarray(values, dtype="float64")
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return ""
    if np.all(y > 0):
        y = np.log(y)
    low, high = float(y.min()), float(y.max())
    span = high - low or 1.0
    x = np.linspace(1, width - 1, len(y)) if len(y) > 1 else np.asarray([width / 2])
    points = " ".join(f"{a:.1f},{height - 1 - (b - low) / span * (height - 2):.1f}"
                      for a, b in zip(x, y, strict=True))
    return (f"<svg width='{width}' height='{height}' style='vertical-align:middle'>"
            f"<polyline fill='none' stroke='#1565c0' stroke-width='1.5' points='{points}'/>"
            "</svg>")


def _numbers(values: np.ndarray) -> str:
    shown = ", ".join(f"{v:.4g}" for v in values[:4])
    return f"[{shown}{', ...' if len(values) > 4 else ''}]" if len(values) > 1 else shown
