"""Text summaries of models, for `sigae info`."""

from __future__ import annotations

from collections.abc import Iterator

import keras
import numpy as np

from sigae.core.paths import PathLike
from sigae.data.normalization import SCALE_RATIO
from sigae.model import SignalAutoencoder, load_with_manifest
from sigae.stats.calibration import MIN_THRESHOLD_SIGNALS
from sigae.training.devices import accelerator


def layer_table(model: SignalAutoencoder) -> list[tuple[str, str, str, int]]:
    """Rows `(view, layer name, output shape, parameters)` of the encoder then the decoder."""
    def layers(container: keras.Model) -> Iterator[keras.layers.Layer]:
        for layer in container.layers:
            if isinstance(layer, keras.Model):  # the body of a parts model: its own layers
                yield from layers(layer)
            elif not isinstance(layer, keras.layers.InputLayer):
                yield layer

    return [(view.name, layer.name, str(tuple(layer.output.shape[1:])),
             int(layer.count_params()))
            for view in (model.encoder, model.decoder) for layer in layers(view)]


def describe(path: PathLike) -> str:
    """A human-readable summary of a `.sigae` file: layers, normalization, training."""
    model, manifest = load_with_manifest(path)
    versions = manifest.get("versions", {})
    lines = [f"{path}", "", *summary(model)]
    lines.append(
        "written by sigae {sigae}, keras {keras} ({backend} backend), model format {fmt}".format(
            sigae=versions.get("sigae", "?"),
            keras=versions.get("keras", "?"),
            backend=versions.get("backend", "?"),
            fmt=manifest["format_version"],
        )
    )
    lines.append(f"runs here on {accelerator()}")
    return "\n".join(lines)


def summary(model: SignalAutoencoder) -> list[str]:
    """Lines describing a model: layers, sizes, variant, normalization, training."""
    config = model.config
    lines = [f"{'view':<8} {'layer':<20} {'output shape':<16} {'parameters':>12}"]
    for view, name, shape, params in layer_table(model):
        lines.append(f"{view:<8} {name:<20} {shape:<16} {params:>12,}")
    counts = model.param_counts()
    lines.append(
        f"trainable parameters: encoder {counts['encoder']:,}, decoder {counts['decoder']:,}, "
        f"total {counts['autoencoder']:,} (plus the normalization statistics)"
    )
    lines.append("")
    mean, std = model.normalization
    lines.append(f"input: length {config.length}, {config.channels} channel(s); "
                 f"latent_dim {config.latent_dim}; {config.describe()}")
    kind = config.normalization
    if kind == "auto" and model.is_fitted:
        kind = ("auto: per channel, the channels' scales differ by more than "
                f"{SCALE_RATIO:g}x" if np.ptp(std) > 0 else "auto: global")
    lines.append(f"normalization ({kind}): mean {_numbers(mean)}, std {_numbers(std)}")
    history = model.history
    if history.epochs:
        monitored = "validation" if history.val_loss else "training"
        kept = ("the starting weights" if history.best_epoch is None
                else f"epoch {history.best_epoch + 1}")
        lines.append(
            f"training: {history.epochs} epochs; kept {kept} with {monitored} loss "
            f"{history.best_loss:.5f} (start {history.initial_loss:.5f}); last training loss "
            f"{history.loss[-1]:.5f} (MSE, normalized units)"
        )
        if history.interrupted:
            lines.append(f"the last run was stopped by {history.interrupted}")
    else:
        lines.append("training: none recorded")
    if model.learned is not None and model.learned.length_policy == "resample":
        lines.append("recordings of different lengths: resampled to the model's length "
                     f"({config.length} samples), results back to each one's own")
    elif model.learned is not None and model.learned.length_policy == "pad":
        lines.append("recordings of different lengths: padded to the model's length "
                     f"({config.length} samples), the padding masked out of the loss, the "
                     "statistics and every error; results cropped to each one's own")
    if model.learned is not None and model.learned.choice is not None:
        lines.extend(model.learned.choice.summary())
    if model.learned is not None and model.learned.dial is not None:
        lines.extend(model.learned.dial.summary())
    if model.comparison is not None:
        lines.append(f"baseline: {model.comparison.summary()}")
    calibration = model.calibration
    if calibration is not None:
        threshold = (f"MSE {calibration.threshold(99.0):.4g}" if calibration.sets_threshold
                     else f"none, too few errors (it takes {MIN_THRESHOLD_SIGNALS})")
        lines.append(
            f"anomaly threshold (99th percentile of the errors of {calibration.n_signals} "
            f"{calibration.errors_from} signals): {threshold}; code density: Gaussian and a "
            f"{len(calibration.gmm.weights)}-component Gaussian mixture"
        )
    if model.learned is not None:
        lines.extend(f"WARNING: {caveat}" for caveat in model.learned.caveats)
    return lines


def _numbers(values: np.ndarray) -> str:
    flat = np.atleast_1d(values).ravel()
    text = ", ".join(f"{v:.5g}" for v in flat[:8])
    return text if flat.size == 1 else f"[{text}{', ...' if flat.size > 8 else ''}]"
