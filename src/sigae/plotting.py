"""Figures. Each function returns a matplotlib `Figure` and never shows it.

Figures are made without pyplot, so no global state and no display are involved; save
them with `figure.savefig(path)`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sigae.training import TrainingHistory


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
