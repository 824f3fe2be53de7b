"""sigae's built-in designs: the layers a `ModelConfig` describes, as small named parts.

- `LayerFactory`: makes each layer of a design, its initial weights seeded by `next_seed()`,
  one generator for the whole design;
- `Encoder`: normalized signals -> the code (and a variational model's log-variance):
  optional input noise, the convolution blocks, `Flatten`, the central `Dense`, and the
  linear path beside them;
- `ConvolutionalDecoder` and `DenseDecoder` (the question's): the code -> normalized
  signals, plus the linear path's decoder;
- `Sampling`: a variational model's code in training.

`build_views(config)` creates each part once, in a fixed order (so a seed gives the same
weights), and `sigae.architecture.views.assemble` puts the normalization around them and
makes the three views, as it does for Keras parts: the autoencoder is literally
`decoder(encoder(x))`, and all three share the same variables by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from sigae.architecture import fastpath, initializers
from sigae.architecture.config import ModelConfig
from sigae.architecture.contrast import Contrast
from sigae.architecture.views import Views, assemble


class Sampling(keras.layers.Layer):
    """A variational model's code: a sample from N(mean, exp(log_var)) in training, the
    mean otherwise. In training it adds `beta * KL(N(mean, var) || N(0, I)) / scale` to
    the model's losses, `scale` being the number of values per signal.
    """

    def __init__(self, beta: float, scale: int, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta, self.scale, self.seed = beta, scale, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: list[Any], training: bool = False) -> Any:
        mean, log_var = inputs
        if not training:
            return mean
        kl = -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        self.add_loss(self.beta * ops.mean(kl) / self.scale)
        noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise

    def compute_output_shape(self, input_shape: list[tuple[int | None, ...]]) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta": self.beta, "scale": self.scale,
                "seed": self.seed}


class LayerFactory:
    """Makes a design's convolution and dense layers, each seeded by `next_seed()`.

    Args:
        config: The design (its padding).
        seed: Seeds the generator of every layer's seed; `None` draws fresh ones.
    """

    def __init__(self, config: ModelConfig, seed: int | None) -> None:
        self.padding = config.padding
        self._rng = np.random.default_rng(seed)

    def next_seed(self) -> int:
        """The next layer's seed, drawn in the order the layers are made."""
        return int(self._rng.integers(2**31 - 1))

    def conv(self, filters: int, kernel_size: int, activation: str, name: str, *,
             zero: bool = False) -> keras.layers.Layer:
        """A `Conv1D` with Glorot-uniform (or, `zero`, zero) initial kernels."""
        return fastpath.Conv1D(filters, kernel_size, activation=activation,
                               padding=self.padding, kernel_initializer=self._kernel(zero),
                               bias_initializer=initializers.Zeros(), name=name)

    def dense(self, units: int, activation: str, name: str, *, zero: bool = False,
              repeat: int = 1, channels: int = 1) -> keras.layers.Layer:
        """A `Dense` (over an upsampled sequence: `repeat`, `channels`, see
        `fastpath.Dense`) with Glorot-uniform (or, `zero`, zero) initial kernels."""
        return fastpath.Dense(units, activation=activation,
                              kernel_initializer=self._kernel(zero),
                              bias_initializer=initializers.Zeros(), name=name,
                              repeat=repeat, channels=channels)

    def _kernel(self, zero: bool) -> Any:
        # A seed is drawn either way, so `zero` never shifts the other layers' seeds.
        seed = self.next_seed()
        return initializers.Zeros() if zero else initializers.GlorotUniform(seed=seed)


class Encoder:
    """A design's encoder: normalized signals `(batch, length, channels)` -> the code
    `(batch, latent_dim)`, and a variational model's log-variance beside it.

    With a linear path the central `Dense` starts at zero, so the code starts as the
    linear path's: PCA's (`Views.start_at_pca`).
    """

    def __init__(self, config: ModelConfig, layers: LayerFactory) -> None:
        self.noise = None
        if config.noise_std > 0:  # denoising: active in training only
            self.noise = keras.layers.GaussianNoise(config.noise_std, seed=layers.next_seed(),
                                                    name="input_noise")
        self.blocks = [
            (layers.conv(block.filters, block.kernel_size, config.activation,
                         f"encoder_conv_{i}"),
             fastpath.MaxPooling1D(block.pool, padding=config.padding,
                                   name=f"encoder_pool_{i}") if block.pool > 1 else None)
            for i, block in enumerate(config.blocks)]
        self.flatten = keras.layers.Flatten(name="encoder_flatten")
        self.latent = layers.dense(config.latent_dim, config.latent_activation, "latent",
                                   zero=config.linear_path)
        self.linear = None
        if config.linear_path:
            self.linear = layers.dense(config.latent_dim, "linear", "linear_encoder")
        self.log_var = None
        if config.variational:
            self.log_var = layers.dense(config.latent_dim, "linear", "latent_log_var")

    def __call__(self, normalized: Any) -> tuple[Any, Any]:
        """`(code, log_var)`, the second `None` for a model that is not variational."""
        if self.noise is not None:
            normalized = self.noise(normalized)
        h = normalized
        for conv, pool in self.blocks:
            h = conv(h)
            if pool is not None:
                h = pool(h)
        features = self.flatten(h)  # (batch, steps * filters)
        code = self.latent(features)
        if self.linear is not None:
            flat = keras.layers.Flatten(name="linear_flatten")(normalized)
            code = keras.layers.Add(name="code")([self.linear(flat), code])
        return code, None if self.log_var is None else self.log_var(features)


class ConvolutionalDecoder:
    """The encoder in reverse: block i upsamples, then convolves back to the channels that
    entered encoder block i, so the widest convolutions run at the lowest resolution.
    With a linear path, its decoder is added to the output (which starts at zero)."""

    def __init__(self, config: ModelConfig, layers: LayerFactory) -> None:
        self.config = config
        steps, filters = config.encoded_length, config.encoded_filters
        self.dense = layers.dense(steps * filters, config.activation, "decoder_dense")
        self.blocks = [
            (keras.layers.UpSampling1D(block.pool, name=f"decoder_upsample_{i}")
             if block.pool > 1 else None,
             layers.conv(config.blocks[i - 1].filters, block.kernel_size, config.activation,
                         f"decoder_conv_{i}") if i > 0 else None)
            for i, block in reversed(list(enumerate(config.blocks)))]
        kernel_size = config.blocks[0].kernel_size if config.blocks else 1
        self.output = layers.conv(config.channels, kernel_size, "linear", "decoder_output",
                                  zero=config.linear_path)
        self.linear = _linear_decoder(config, layers)

    def __call__(self, code: Any) -> Any:
        config = self.config
        steps, filters = config.encoded_length, config.encoded_filters
        h = keras.layers.Reshape((steps, filters), name="decoder_reshape")(self.dense(code))
        for upsample, conv in self.blocks:
            h = h if upsample is None else upsample(h)
            h = h if conv is None else conv(h)
        h = self.output(h)
        # "same" pooling rounds lengths up, so the upsampled signal is at least `length` long.
        extra = steps * int(np.prod([b.pool for b in config.blocks])) - config.length
        if extra:
            h = keras.layers.Cropping1D((0, extra), name="decoder_crop")(h)
        return _plus_linear(config, self.linear, code, h)


class DenseDecoder:
    """The question's decoder: convolutions over the code as a 1-channel sequence, each
    block upsampling, then a `Dense` to every sample (which, after the last upsampling,
    multiplies each repeated sample once: `fastpath.Dense`)."""

    def __init__(self, config: ModelConfig, layers: LayerFactory) -> None:
        self.config = config
        self.blocks = [
            (layers.conv(block.filters, block.kernel_size, config.activation,
                         f"decoder_conv_{i}"),
             keras.layers.UpSampling1D(block.pool, name=f"decoder_upsample_{i}")
             if block.pool > 1 else None)
            for i, block in reversed(list(enumerate(config.blocks)))]
        last = config.blocks[0]
        self.dense = layers.dense(config.length * config.channels, "linear", "decoder_dense",
                                  zero=config.linear_path, repeat=last.pool,
                                  channels=last.filters)
        self.linear = _linear_decoder(config, layers)

    def __call__(self, code: Any) -> Any:
        config = self.config
        h = keras.layers.Reshape((config.latent_dim, 1), name="decoder_reshape")(code)
        for conv, upsample in self.blocks:
            h = conv(h)
            h = h if upsample is None else upsample(h)
        h = self.dense(keras.layers.Flatten(name="decoder_flatten")(h))
        h = keras.layers.Reshape((config.length, config.channels), name="decoder_output")(h)
        return _plus_linear(config, self.linear, code, h)


def _linear_decoder(config: ModelConfig, layers: LayerFactory) -> keras.layers.Layer | None:
    if not config.linear_path:
        return None
    return layers.dense(config.length * config.channels, "linear", "linear_decoder")


def _plus_linear(config: ModelConfig, linear: keras.layers.Layer | None, code: Any,
                 h: Any) -> Any:
    """The decoder's output plus its linear path's, if it has one."""
    if linear is None:
        return h
    path = keras.layers.Reshape((config.length, config.channels),
                                name="linear_reshape")(linear(code))
    return keras.layers.Add(name="decoder_sum")([path, h])


@dataclass(frozen=True)
class Parts:
    """A design's parts, made once in this order (so a seed gives the same weights)."""

    encoder: Encoder
    decoder: ConvolutionalDecoder | DenseDecoder
    sampling: Sampling | None
    contrast: Contrast | None

    @classmethod
    def of(cls, config: ModelConfig, seed: int | None) -> Parts:
        layers = LayerFactory(config, seed)
        encoder = Encoder(config, layers)
        decoder = (DenseDecoder if config.decoder == "dense" else ConvolutionalDecoder)(
            config, layers)
        sampling = None
        if config.variational:
            sampling = Sampling(config.beta, config.length * config.channels,
                                seed=layers.next_seed(), name="sampling")
        contrast = None
        if config.contrast:  # "auto": the dial sets the weight
            weight = 0.0 if isinstance(config.contrast, str) else float(config.contrast)
            contrast = Contrast(weight, seed=layers.next_seed(), name="contrast")
        return cls(encoder, decoder, sampling, contrast)


def build_views(config: ModelConfig, seed: int | None = None) -> Views:
    """Creates every layer once and returns the encoder, decoder and autoencoder views.

    Args:
        config: The architecture.
        seed: Seeds the weight initializers; `None` draws fresh random weights.

    Returns:
        `Views` whose models share their layer objects.
    """
    parts = Parts.of(config, seed)
    linear = parts.encoder.linear, parts.decoder.linear
    return assemble(parts.encoder, parts.decoder, length=config.length,
                    channels=config.channels, latent_dim=config.latent_dim,
                    per_channel=config.per_channel_statistics, sampling=parts.sampling,
                    contrast=parts.contrast,
                    linear=None if linear[0] is None or linear[1] is None else linear)


def weight_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The path and shape of every variable `build_views(config)` creates, computed
    without creating any, so that a model file declaring an enormous model can be refused
    before anything is allocated, on every backend. A test keeps it equal to the real one.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    statistics = (config.channels,) if config.per_channel_statistics else ()

    def add(name: str, kernel: tuple[int, ...]) -> None:
        shapes[f"{name}/kernel"] = kernel
        shapes[f"{name}/bias"] = (kernel[-1],)

    for name in ("normalize", "denormalize"):
        shapes[f"{name}/mean"] = shapes[f"{name}/std"] = statistics
    flat_signal = config.length * config.channels
    channels = config.channels
    for i, block in enumerate(config.blocks):
        add(f"encoder_conv_{i}", (block.kernel_size, channels, block.filters))
        channels = block.filters
    add("latent", (config.encoded_length * config.encoded_filters, config.latent_dim))
    if config.variational:
        add("latent_log_var", (config.encoded_length * config.encoded_filters, config.latent_dim))
    if config.linear_path:
        add("linear_encoder", (flat_signal, config.latent_dim))
        add("linear_decoder", (config.latent_dim, flat_signal))
    if config.decoder == "dense":
        steps, channels = config.latent_dim, 1
        for i, block in reversed(list(enumerate(config.blocks))):
            add(f"decoder_conv_{i}", (block.kernel_size, channels, block.filters))
            if config.padding == "valid":
                steps -= block.kernel_size - 1
            steps, channels = steps * block.pool, block.filters
        add("decoder_dense", (steps * channels, flat_signal))
    else:
        channels = config.encoded_filters
        add("decoder_dense", (config.latent_dim, config.encoded_length * channels))
        for i in range(len(config.blocks) - 1, 0, -1):
            block, filters = config.blocks[i], config.blocks[i - 1].filters
            add(f"decoder_conv_{i}", (block.kernel_size, channels, filters))
            channels = filters
        kernel_size = config.blocks[0].kernel_size if config.blocks else 1
        add("decoder_output", (kernel_size, channels, config.channels))
    return shapes
