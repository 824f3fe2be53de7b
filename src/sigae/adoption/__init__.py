"""Your own trained Keras autoencoder, its trained decoder back.

`adopt(model_or_path)` turns a trained Keras autoencoder (a live model, a `.keras` file, or
a legacy `.h5` file from tf.keras 2 or Keras 3) into a sigae model whose encoder, decoder
and autoencoder views hold the adopted layer objects and trained weights: its
`reconstruct(x)` equals the original's `predict(x)`, and `decode(encode(x))` equals
`reconstruct(x)` bit for bit. `adopt_pair(encoder, decoder, autoencoder=...)` adopts two
parts and, given the autoencoder, catches the question's bug: parts rebuilt with fresh
weights.

Example:

```python
import sigae
model = sigae.adopt("autoencoder.h5", mean=0.12, std=1.7)   # the owner's statistics
model.save("model.sigae")
codes = model.encode(raw_signals)                            # the central layer
```
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from sigae.adoption.files import read_graph
from sigae.adoption.graph import Graph, bodies, check_form, cut, whole
from sigae.errors import ConfigError
from sigae.model import SignalAutoencoder

# Parts whose composition differs from the autoencoder by more than this share of the
# autoencoder's output range do not hold its weights (float32 agreement is ~1e-6).
PAIR_TOLERANCE = 1e-4
PROBES = 64


def adopt(model_or_path: Any, *, split: str | None = None, mean: Any = None,
          std: Any = None) -> SignalAutoencoder:
    """Adopts a trained Keras autoencoder.

    The bottleneck is found as follows: for a model made of an encoder model and a
    decoder model (the question's `Model(x, Decoder()(Encoder()(x)))`), the encoder's
    output; for a `Sequential` or flat functional model, the tensor that every path from
    input to output passes through with the fewest values per signal (ties: a name such
    as latent, code, z or bottleneck, then the earliest); `split` names the layer whose
    output is the code instead.

    Args:
        model_or_path: A `keras.Model`, or the path of a `.keras` or legacy `.h5` file.
            Every class its architecture names must be a built-in Keras class
            (`sigae.architecture.allowlist`); nothing in a file is executed.
        split: The layer whose output is the code.
        mean: The statistics the owner normalized the training data with: a scalar, or
            one value per channel. The model then takes raw signals and decodes to data
            units. Default: none (mean 0, std 1): the model sees data as given.
        std: See `mean`.

    Returns:
        A trained `SignalAutoencoder` over the adopted layers; `model.measure(x)` adds
        the comparison with PCA and the calibration that the study commands use.

    Raises:
        ConfigError: If the model has several inputs or outputs, input that is not
            `(length, channels)`, no bottleneck, a connection that crosses the cut, or
            no layer named `split`.
        ModelFileError: If the file is unreadable, or names a class outside the allowlist.
    """
    graph, name = read_graph(model_or_path)
    check_form(graph, name)
    code = cut(graph, split, name)
    encoder, decoder = bodies(graph, code)
    where = f"split at {graph.producer(code)}"
    return _wrap(encoder, decoder, mean, std, f"adopted from {name}, {where}")


def adopt_pair(encoder: Any, decoder: Any, *, autoencoder: Any = None, mean: Any = None,
               std: Any = None) -> SignalAutoencoder:
    """Adopts a trained encoder and decoder, given as models or files.

    Args:
        encoder: `(length, channels)` -> code; a `keras.Model` or a `.keras` / `.h5` file.
        decoder: code -> `(length, channels)`, taking the encoder's output shape.
        autoencoder: The trained autoencoder the parts come from. Seeded probe signals
            are run through `decoder(encoder(x))` and `autoencoder(x)`: parts that do
            not hold its trained weights (the question's bug: `Encoder()` or
            `Decoder()` called again after training) are refused.
        mean: As for `adopt`.
        std: As for `adopt`.

    Raises:
        ConfigError: If the parts do not compose, or differ from `autoencoder`.
    """
    (encoder_graph, encoder_name), (decoder_graph, decoder_name) = (
        read_graph(encoder), read_graph(decoder))
    length, channels = check_form(encoder_graph, encoder_name, "an encoder")
    encoder_body, decoder_body = _compose(encoder_graph, encoder_name, decoder_graph,
                                          decoder_name, (length, channels))
    if autoencoder is not None:
        graph, name = read_graph(autoencoder)
        shape = check_form(graph, name)
        if shape != (length, channels):
            raise ConfigError(f"{name} takes signals of shape {shape} but {encoder_name} takes "
                              f"({length}, {channels}).")
        _compare(whole(graph, "autoencoder_body"), encoder_body, decoder_body, name,
                 encoder_name, decoder_name)
    return _wrap(encoder_body, decoder_body, mean, std,
                 f"adopted from {encoder_name} and {decoder_name}")


def _compose(encoder_graph: Graph, encoder_name: str, decoder_graph: Graph, decoder_name: str,
             signal: tuple[int, int]) -> tuple[keras.Model, keras.Model]:
    encoder, decoder = whole(encoder_graph, "encoder_whole"), whole(decoder_graph, "decoder_whole")
    code, taken = tuple(encoder.output.shape[1:]), tuple(decoder.input.shape[1:])
    if len(decoder_graph.inputs) != 1 or len(decoder_graph.outputs) != 1 or code != taken:
        raise ConfigError(f"{encoder_name} gives codes of shape {code} but {decoder_name} takes "
                          f"{taken}; the two parts do not compose.")
    if tuple(decoder.output.shape[1:]) != signal:
        raise ConfigError(f"{decoder_name} gives shape {tuple(decoder.output.shape[1:])} but "
                          f"{encoder_name} takes signals of shape {signal}.")
    if len(code) == 1:
        return encoder, decoder
    signals = keras.Input(signal, name="signals_in")
    flat = keras.layers.Flatten(name="code_flatten")(encoder(signals))
    code_in = keras.Input((math.prod(code),), name="code_in")
    output = decoder(keras.layers.Reshape(code, name="code_reshape")(code_in))
    return (keras.Model(signals, flat, name="encoder_body"),
            keras.Model(code_in, output, name="decoder_body"))


def _compare(autoencoder: keras.Model, encoder: keras.Model, decoder: keras.Model,
             name: str, encoder_name: str, decoder_name: str) -> None:
    shape = tuple(autoencoder.input.shape[1:])
    probes = np.random.default_rng(0).standard_normal((PROBES, *shape)).astype("float32")
    expected = autoencoder.predict(probes, batch_size=PROBES, verbose=0)
    composed = decoder.predict(encoder.predict(probes, batch_size=PROBES, verbose=0),
                               batch_size=PROBES, verbose=0)
    if expected.shape != composed.shape:
        raise ConfigError(f"{name} gives shape {expected.shape[1:]} but the parts give "
                          f"{composed.shape[1:]}.")
    difference = float(np.max(np.abs(expected - composed)))
    scale = max(float(np.ptp(expected)), 1e-12)
    if difference > PAIR_TOLERANCE * scale:
        raise ConfigError(
            f"{encoder_name} and {decoder_name} do not hold {name}'s trained weights: "
            f"decoder(encoder(x)) differs from the autoencoder by up to {difference:.3g} "
            f"({difference / scale:.1%} of its output range) on {PROBES} seeded probe signals. "
            "A part was rebuilt with fresh weights (calling Encoder() or Decoder() again "
            f"creates new, untrained layers); adopt the autoencoder itself: sigae adopt {name} "
            "--out MODEL.sigae")


def _wrap(encoder: keras.Model, decoder: keras.Model, mean: Any, std: Any,
          origin: str) -> SignalAutoencoder:
    if (mean is None) != (std is None):
        raise ConfigError("Give both mean and std, or neither (then the model sees data as "
                          "given: mean 0, std 1).")
    mean, std = (0.0, 1.0) if mean is None else (mean, std)
    per_channel = np.size(mean) > 1 or np.size(std) > 1
    return SignalAutoencoder.from_parts(encoder, decoder, mean=mean, std=std, origin=origin,
                                        normalization="per_channel" if per_channel else "global")
