"""Export of a model's views for use without sigae: plain Keras files and ONNX.

- `.keras`: only built-in Keras layers; sigae's normalization becomes a
  `keras.layers.Normalization` holding the fitted statistics, so
  `keras.saving.load_model(path)` opens the file in safe mode without sigae.
- `.onnx`: through Keras' own `Model.export(format="onnx")` (on the JAX backend it uses
  `jax2onnx`, in the optional extra `sigae[onnx]`), normalization included, with a
  dynamic batch dimension, for ONNX Runtime.
"""

from __future__ import annotations

import keras
import numpy as np

from sigae.architecture import fastpath
from sigae.architecture.views import Standardize, Views
from sigae.core.outputs import atomic_path, check_output_file
from sigae.core.paths import PathLike
from sigae.core.validate import check_choice
from sigae.errors import ConfigError

PARTS = ("encoder", "decoder", "autoencoder")
FORMATS = {"keras": ".keras", "onnx": ".onnx"}


def export_view(views: Views, part: str, path: PathLike, format: str = "keras") -> None:
    """Writes one view of a trained model, normalization included, atomically.

    Args:
        views: A trained model's views.
        part: `"encoder"`, `"decoder"` or `"autoencoder"`.
        path: Destination, ending in `.keras` or `.onnx` as `format` says.
        format: `"keras"` or `"onnx"`.

    Raises:
        ConfigError: For an unknown part or format, or ONNX export without its extra.
        SigaeError: For a path with the wrong suffix, or in a missing directory.
    """
    check_choice("part", part, PARTS)
    check_choice("format", format, tuple(FORMATS))
    check_output_file(path, (FORMATS[format],))
    if format == "onnx":
        _export_onnx(getattr(views, part), path)
        return
    encoder, decoder = _plain_keras_copy(views.encoder), _plain_keras_copy(views.decoder)
    if part == "autoencoder":
        signals = keras.Input(views.encoder.input_shape[1:], name="signals")
        plain = keras.Model(signals, decoder(encoder(signals)), name="autoencoder")
    else:
        plain = encoder if part == "encoder" else decoder
    with atomic_path(path) as temporary:
        plain.save(temporary)


def _export_onnx(view: keras.Model, path: PathLike) -> None:
    if keras.backend.backend() == "jax":
        try:
            import jax2onnx  # noqa: F401 - Keras' ONNX export on JAX goes through it
        except ImportError:
            raise ConfigError("ONNX export needs the optional extra: pip install "
                              "'sigae[onnx]' (jax2onnx, onnx, onnxruntime)") from None
    # Keras exports only models that have been called; one zero signal does it.
    view(np.zeros((1, *view.input_shape[1:]), "float32"))
    with atomic_path(path) as temporary:
        view.export(str(temporary), format="onnx", verbose=False)


def _plain_keras_copy(view: keras.Model) -> keras.Model:
    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, Standardize):
            mean, std = (keras.ops.convert_to_numpy(w) for w in (layer.mean, layer.std))
            return keras.layers.Normalization(
                axis=-1 if layer.per_channel else None,
                mean=mean.tolist(),
                variance=np.square(std).tolist(),
                invert=layer.invert,
                name=layer.name,
            )
        return fastpath.plain_layer(layer)

    plain = keras.models.clone_model(view, clone_function=clone)
    for layer in view.layers:
        if layer.weights and not isinstance(layer, Standardize):
            plain.get_layer(layer.name).set_weights(layer.get_weights())
    return plain
