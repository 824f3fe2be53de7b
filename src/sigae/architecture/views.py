"""The three views of a model over one set of layers, whatever built them.

`Views` holds the encoder, the decoder and the autoencoder `decoder(encoder(x))` as
`keras.Model`s over the same layer objects, with sigae's normalization inside
(`Standardize`). This module knows nothing of who builds them: sigae's designs
(`sigae.architecture.designs`) and Keras parts (`sigae.architecture.parts`) both return
`Views`, and `sigae.architecture.build` chooses between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from sigae.architecture import initializers


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
        self.mean = self.add_weight(name="mean", shape=shape, initializer=initializers.Zeros(),
                                    trainable=False)
        self.std = self.add_weight(name="std", shape=shape, initializer=initializers.Ones(),
                                   trainable=False)

    def call(self, inputs: Any) -> Any:
        if self.invert:
            return inputs * self.std + self.mean
        return (inputs - self.mean) / self.std

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "per_channel": self.per_channel, "invert": self.invert}


KERAS_SYMBOLIC_BUILD = {"3.15.1": "96220cc3b88fe768"}
"""The Keras versions whose `Trainer._symbolic_build` `Autoencoder._symbolic_build` was
read against, with the first 16 hex digits of the sha256 of that method's source."""


class Autoencoder(keras.Model):
    """The autoencoder view: `decoder(encoder(x))`, trained on the normalized MSE.

    Outputs are in the units of the data; the loss divides the error by the fitted
    standard deviation, which is the question's MSE in normalized units. With a
    `contrast` (`sigae.architecture.contrast.Contrast`) and the `encoder` view, the
    training loss adds its term on the codes of two random views of each batch.
    """

    def __init__(self, *args: Any, scale: Standardize, encoder: keras.Model | None = None,
                 contrast: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scale = scale
        # A design's contrastive term on the code (`sigae.architecture.contrast`), added
        # to the training loss only; it needs the encoder view to encode its views.
        self._encoder, self._contrast = encoder, contrast

    @property
    def contrast(self) -> Any:
        """The design's contrastive term (`sigae.architecture.contrast.Contrast`), or
        `None`."""
        return self._contrast

    def traced_terms(self) -> tuple[Any, ...]:
        """What the compiled training step reads of this model beyond its variables: the
        contrastive term's settings (its weight, which the dial may set), so that steps
        are shared only between models whose terms agree (`sigae.architecture.steps`)."""
        if self._contrast is None:
            return ()
        config = self._contrast.get_config()
        return tuple(config[key] for key in ("weight", "temperature", "shift", "scale", "mask",
                                             "noise"))

    def _symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        """Builds what `compile` left unbuilt. Keras traces the whole model symbolically to
        learn its output's shape for the compiled loss (0.07 s of each new model's `fit`);
        this functional model knows it already (its target is its input).

        This overrides a private Keras method, so it runs only on the Keras versions whose
        method it was read against (`KERAS_SYMBOLIC_BUILD`; a test fails when the
        installed Keras' method differs from the one recorded), and defers to Keras
        otherwise."""
        if (keras.version() not in KERAS_SYMBOLIC_BUILD
                or self._compile_loss is None or self._compile_loss.built
                or self._compile_metrics is not None
                or not all(layer.built for layer in self._flatten_layers())):
            super()._symbolic_build(iterator=iterator, data_batch=data_batch)
            return
        self._compile_loss.build(self.inputs[0], self.outputs[0])
        if self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)
        self._post_build()

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        std = self._scale.std
        loss = super().compute_loss(
            x, ops.divide(y, std), ops.divide(y_pred, std), sample_weight, training
        )
        if (training and self._contrast is not None and self._contrast.weight > 0
                and self._encoder is not None):
            mean, encoder = self._scale.mean, self._encoder
            loss = loss + self._contrast.loss(
                lambda view: encoder(view * std + mean, training=True), (x - mean) / std)
        return loss


@dataclass(frozen=True)
class Views:
    """The three views over one set of layers.

    `log_var` maps signals to the log-variance of a variational model's code (`None`
    for other models); its layers are the autoencoder's too. `linear` holds a design's
    linear path, `(encoder, decoder)` `Dense` layers beside the convolutional path
    (`None` without one): what the trainer asks of a model (`start_at_pca`,
    `decay_exempt`) is answered through them, never through layer names.
    """

    encoder: keras.Model
    decoder: keras.Model
    autoencoder: Autoencoder
    normalize: Standardize
    denormalize: Standardize
    log_var: keras.Model | None = None
    linear: tuple[keras.layers.Dense, keras.layers.Dense] | None = None

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

    def start_at_pca(self, components: np.ndarray, mean: np.ndarray) -> None:
        """Sets the linear path to a PCA solution, so the code starts as PCA's.

        Args:
            components: Principal axes, shape `(latent_dim, length * channels)`; rows
                beyond the data's rank may be zero.
            mean: Mean of the flattened normalized training signals, `(length * channels,)`.

        Raises:
            ValueError: If the views have no linear path.
        """
        if self.linear is None:
            raise ValueError("these views have no linear path to start at PCA")
        encoder, decoder = self.linear
        # code = (x - mean) @ components.T ; reconstruction = code @ components + mean
        encoder.set_weights([components.T, -mean @ components.T])
        decoder.set_weights([components, mean])

    def set_contrast(self, weight: float) -> None:
        """Sets the weight of a design's contrastive term (one with `contrast="auto"`, whose
        weight the dial chooses); its next compiled training step uses it.

        Raises:
            ValueError: If the views have no contrastive term.
        """
        if self.autoencoder.contrast is None:
            raise ValueError("these views have no contrastive term")
        self.autoencoder.contrast.weight = float(weight)

    def decay_exempt(self) -> list[keras.Variable]:
        """The variables weight decay must leave alone: the linear path, which holds the
        PCA solution (decaying it would pull the model away from PCA)."""
        if self.linear is None:
            return []
        return [v for layer in self.linear for v in layer.trainable_weights]

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


def assemble(encode: Callable[[Any], Any], decode: Callable[[Any], Any], *, length: int,
             channels: int, latent_dim: int, per_channel: bool, sampling: Any = None,
             contrast: Any = None, linear: tuple[keras.layers.Dense, keras.layers.Dense] | None
             = None) -> Views:
    """Wraps an encoder body and a decoder body with sigae's normalization: the one place
    the three views are made, for sigae's designs and for Keras parts alike.

    The encoder view is `encode(normalize(x))`, the decoder view
    `denormalize(decode(code))`, and the autoencoder view the decoder view called on the
    encoder view: every view holds the bodies' own layer objects.

    Args:
        encode: `(batch, length, channels)` normalized signals -> `(batch, latent_dim)`
            codes (a Keras model, or a design's `Encoder`); or -> `(code, log_var)`, the
            log-variance of a variational model's code (`None` for others).
        decode: `(batch, latent_dim)` -> `(batch, length, channels)` normalized signals.
        length, channels, latent_dim: The shapes both bodies were checked against.
        per_channel: One mean and std per channel instead of one scalar.
        sampling: With a log-variance, the layer that samples the code in training.
        contrast: A design's contrastive term (`sigae.architecture.contrast.Contrast`).
        linear: A design's linear path, `(encoder, decoder)` (see `Views`).
    """
    normalize = Standardize(per_channel=per_channel, name="normalize")
    denormalize = Standardize(per_channel=per_channel, invert=True, name="denormalize")
    signals = keras.Input((length, channels), name="signals")
    encoded = encode(normalize(signals))
    code, log_var_output = encoded if isinstance(encoded, tuple) else (encoded, None)
    encoder = keras.Model(signals, code, name="encoder")
    code_in = keras.Input((latent_dim,), name="code")
    decoder = keras.Model(code_in, denormalize(decode(code_in)), name="decoder")
    x = keras.Input((length, channels), name="signals")
    log_var = None
    if log_var_output is None:
        output = decoder(encoder(x))
    else:  # decoder(encoder(x)) outside training, where the sample is the mean
        log_var = keras.Model(signals, log_var_output, name="log_var")
        posterior = keras.Model(signals, [code, log_var_output], name="posterior")
        output = decoder(sampling(posterior(x)))
    autoencoder = Autoencoder(x, output, name="autoencoder", scale=normalize, encoder=encoder,
                              contrast=contrast)
    return Views(encoder, decoder, autoencoder, normalize, denormalize, log_var, linear)
