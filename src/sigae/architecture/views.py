"""The three views of a model over one set of layers, whatever built them.

A model's architecture is a `ModelConfig` (sigae's built-in designs, see
`sigae.architecture.designs`) or a `PartsConfig` (a Keras encoder and decoder written by a user or
adopted from a trained file, see `sigae.architecture.parts`). Either way `build` returns `Views`: the
encoder, the decoder and the autoencoder `decoder(encoder(x))` as `keras.Model`s over the
same layer objects, with sigae's normalization inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
from keras import ops

if TYPE_CHECKING:
    from sigae.architecture.config import ModelConfig
    from sigae.architecture.parts import PartsConfig

    Architecture = ModelConfig | PartsConfig

# Standard deviations below this are treated as 1 so that constant signals never give NaN.
MIN_STD = 1e-8


class Standardize(keras.layers.Layer):
    """`(x - mean) / std`, or its inverse `x * std + mean`, with the statistics as weights.

    The statistics are non-trainable variables, so they are saved with the other weights
    and are seen by compiled functions after they change.

    Args:
        per_channel: One mean and std per channel (last axis) instead of one scalar.
        invert: Apply the inverse transform (from normalized back to original units).
    """

    def __init__(self, per_channel: bool = True, invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_channel = per_channel
        self.invert = invert

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        shape = (input_shape[-1],) if self.per_channel else ()
        self.mean = self.add_weight(name="mean", shape=shape, initializer="zeros", trainable=False)
        self.std = self.add_weight(name="std", shape=shape, initializer="ones", trainable=False)

    def call(self, inputs: Any) -> Any:
        if self.invert:
            return inputs * self.std + self.mean
        return (inputs - self.mean) / self.std

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "per_channel": self.per_channel, "invert": self.invert}


class Autoencoder(keras.Model):
    """The autoencoder view: `decoder(encoder(x))`, trained on the normalized MSE.

    Outputs are in the units of the data; the loss divides the error by the fitted
    standard deviation, which is the question's MSE in normalized units.
    """

    def __init__(self, *args: Any, scale: Standardize, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scale = scale

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        std = self._scale.std
        return super().compute_loss(
            x, ops.divide(y, std), ops.divide(y_pred, std), sample_weight, training
        )


@dataclass(frozen=True)
class Views:
    """The three views over one set of layers.

    `log_var` maps signals to the log-variance of a variational model's code (`None`
    for other models); its layers are the autoencoder's too.
    """

    encoder: keras.Model
    decoder: keras.Model
    autoencoder: Autoencoder
    normalize: Standardize
    denormalize: Standardize
    log_var: keras.Model | None = None

    @property
    def normalization(self) -> tuple[np.ndarray, np.ndarray]:
        """The `(mean, std)` inside the model: scalars, or arrays of shape `(channels,)`."""
        layer = self.normalize
        return (np.asarray(keras.ops.convert_to_numpy(layer.mean)),
                np.asarray(keras.ops.convert_to_numpy(layer.std)))

    def set_normalization(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Sets the statistics of the normalization and of its inverse."""
        for layer in (self.normalize, self.denormalize):
            layer.mean.assign(np.asarray(mean, "float32"))
            layer.std.assign(np.asarray(std, "float32"))

    def shared(self) -> bool:
        """Whether the encoder's and decoder's variables (and a variational model's
        log-variance head's) are the autoencoder's own variable objects, none missing or
        extra: identity, not equal values."""
        parts = self.encoder.weights + self.decoder.weights
        if self.log_var is not None:
            parts += self.log_var.weights
        whole = self.autoencoder.weights
        return ({id(v) for v in parts} == {id(v) for v in whole}
                and len({id(v) for v in whole}) == len(whole))


def assemble(body_encoder: keras.Model, body_decoder: keras.Model, *, length: int,
             channels: int, latent_dim: int, per_channel: bool) -> Views:
    """Wraps an encoder body and a decoder body with sigae's normalization.

    The encoder view is `body_encoder(normalize(x))`, the decoder view
    `denormalize(body_decoder(code))`, and the autoencoder view the decoder view called
    on the encoder view: every view holds the bodies' own layer objects.

    Args:
        body_encoder: `(batch, length, channels)` normalized signals -> `(batch, latent_dim)`.
        body_decoder: `(batch, latent_dim)` -> `(batch, length, channels)` normalized signals.
        length, channels, latent_dim: The shapes both bodies were checked against.
        per_channel: One mean and std per channel instead of one scalar.
    """
    normalize = Standardize(per_channel=per_channel, name="normalize")
    denormalize = Standardize(per_channel=per_channel, invert=True, name="denormalize")
    signals = keras.Input((length, channels), name="signals")
    encoder = keras.Model(signals, body_encoder(normalize(signals)), name="encoder")
    code = keras.Input((latent_dim,), name="code")
    decoder = keras.Model(code, denormalize(body_decoder(code)), name="decoder")
    x = keras.Input((length, channels), name="signals")
    autoencoder = Autoencoder(x, decoder(encoder(x)), name="autoencoder", scale=normalize)
    return Views(encoder, decoder, autoencoder, normalize, denormalize)


def build(architecture: Architecture, seed: int | None = None) -> Views:
    """Builds the views an architecture describes, every layer once.

    Args:
        architecture: A `ModelConfig` or a `PartsConfig`.
        seed: Seeds the initial weights of a built-in design (parts are rebuilt from
            their configurations; their weights come from a file or from training).
    """
    from sigae.architecture.config import ModelConfig

    if isinstance(architecture, ModelConfig):
        from sigae.architecture.designs import build_views

        return build_views(architecture, seed)
    from sigae.architecture.parts import build_parts

    return build_parts(architecture)


def weight_shapes(architecture: Architecture) -> dict[str, tuple[int, ...]]:
    """The key and shape of every variable `build(architecture)` creates, in order,
    without allocating them, so that a file declaring an enormous model is refused
    before anything is allocated."""
    from sigae.architecture.config import ModelConfig

    if isinstance(architecture, ModelConfig):
        from sigae.architecture.designs import weight_shapes as design_shapes

        return design_shapes(architecture)
    with keras.StatelessScope():  # variables are declared, never initialized
        views = build(architecture)
    variables = views.autoencoder.weights
    return dict(zip(weight_keys(architecture, variables),
                    (tuple(v.shape) for v in variables), strict=True))


def weight_keys(architecture: Architecture, variables: list[keras.Variable]) -> list[str]:
    """The names variables are saved under.

    A built-in design's are their Keras paths (`latent/kernel`). A parts model's are
    their position, layer and name (`0003/dense/kernel`): parts written separately may
    both hold a `dense`, and the scope Keras puts before a layer depends on how the part
    was built, so only the last two components of a path are the same after rebuilding.
    """
    from sigae.architecture.config import ModelConfig

    if isinstance(architecture, ModelConfig):
        return [v.path for v in variables]
    return [f"{i:04d}/" + "/".join(v.path.split("/")[-2:]) for i, v in enumerate(variables)]
