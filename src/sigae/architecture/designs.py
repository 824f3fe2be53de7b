"""sigae's built-in designs: the layers a `ModelConfig` describes, and their three views.

`build_views(config)` creates each layer exactly once. The encoder and the decoder are
functional models over those layers, and the autoencoder is literally
`decoder(encoder(x))`, so all three share the same variables by construction.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from sigae.architecture import fastpath, initializers
from sigae.architecture.config import ModelConfig
from sigae.architecture.contrast import Contrast
from sigae.architecture.views import Autoencoder, Standardize, Views


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


def build_views(config: ModelConfig, seed: int | None = None) -> Views:
    """Creates every layer once and returns the encoder, decoder and autoencoder views.

    Args:
        config: The architecture.
        seed: Seeds the weight initializers; `None` draws fresh random weights.

    Returns:
        `Views` whose models share their layer objects.
    """
    rng = np.random.default_rng(seed)

    def initializer(zero: bool) -> Any:
        # A seed is drawn either way, so `zero` never shifts the other layers' seeds.
        layer_seed = int(rng.integers(2**31 - 1))
        return initializers.Zeros() if zero else initializers.GlorotUniform(seed=layer_seed)

    def conv(
        filters: int, kernel_size: int, activation: str, name: str, *, zero: bool = False
    ) -> keras.layers.Layer:
        return fastpath.Conv1D(
            filters, kernel_size, activation=activation, padding=config.padding,
            kernel_initializer=initializer(zero), bias_initializer=initializers.Zeros(),
            name=name,
        )

    def dense(
        units: int, activation: str, name: str, *, zero: bool = False,
        repeat: int = 1, channels: int = 1,
    ) -> keras.layers.Layer:
        return fastpath.Dense(
            units, activation=activation, kernel_initializer=initializer(zero),
            bias_initializer=initializers.Zeros(), name=name, repeat=repeat,
            channels=channels,
        )

    per_channel = config.per_channel_statistics
    normalize = Standardize(per_channel=per_channel, name="normalize")
    denormalize = Standardize(per_channel=per_channel, invert=True, name="denormalize")

    # Encoder: (batch, length, channels) -> (batch, latent_dim)
    signals = keras.Input((config.length, config.channels), name="signals")
    normalized = h = normalize(signals)
    if config.noise_std > 0:  # denoising: active in training only
        noise_seed = int(rng.integers(2**31 - 1))
        normalized = h = keras.layers.GaussianNoise(
            config.noise_std, seed=noise_seed, name="input_noise")(h)
    for i, block in enumerate(config.blocks):
        h = conv(block.filters, block.kernel_size, config.activation, f"encoder_conv_{i}")(h)
        if block.pool > 1:
            h = fastpath.MaxPooling1D(
                block.pool, padding=config.padding, name=f"encoder_pool_{i}"
            )(h)
    h = keras.layers.Flatten(name="encoder_flatten")(h)  # (batch, steps * filters)
    # With a linear path the convolutional code starts at zero, so the code starts as PCA's.
    code = dense(config.latent_dim, config.latent_activation, "latent", zero=config.linear_path)(h)
    linear_encoder = linear_decoder = None
    if config.linear_path:
        flat = keras.layers.Flatten(name="linear_flatten")(normalized)
        linear_encoder = dense(config.latent_dim, "linear", "linear_encoder")
        code = keras.layers.Add(name="code")([linear_encoder(flat), code])
    encoder = keras.Model(signals, code, name="encoder")
    log_var = None
    if config.variational:
        log_var_output = dense(config.latent_dim, "linear", "latent_log_var")(h)
        log_var = keras.Model(signals, log_var_output, name="log_var")

    # Decoder: (batch, latent_dim) -> (batch, length, channels), in data units
    code_in = keras.Input((config.latent_dim,), name="code")
    if config.decoder == "dense":
        h = _dense_decoder(config, code_in, conv, dense)
    else:
        h = _convolutional_decoder(config, code_in, conv, dense)
    if config.linear_path:
        linear_decoder = dense(config.length * config.channels, "linear", "linear_decoder")
        linear = linear_decoder(code_in)
        linear = keras.layers.Reshape((config.length, config.channels), name="linear_reshape")(
            linear
        )
        h = keras.layers.Add(name="decoder_sum")([linear, h])
    decoded = denormalize(h)
    decoder = keras.Model(code_in, decoded, name="decoder")

    x = keras.Input((config.length, config.channels), name="signals")
    if log_var is None:
        output = decoder(encoder(x))
    else:  # decoder(encoder(x)) outside training, where the sample is the mean
        sampling = Sampling(config.beta, config.length * config.channels,
                            seed=int(rng.integers(2**31 - 1)), name="sampling")
        posterior = keras.Model(signals, [code, log_var_output], name="posterior")
        output = decoder(sampling(posterior(x)))
    contrast = None
    if config.contrast > 0:
        contrast = Contrast(config.contrast, seed=int(rng.integers(2**31 - 1)),
                            name="contrast")
    autoencoder = Autoencoder(x, output, name="autoencoder", scale=normalize, encoder=encoder,
                              contrast=contrast)
    linear = None if linear_encoder is None else (linear_encoder, linear_decoder)
    return Views(encoder, decoder, autoencoder, normalize, denormalize, log_var, linear)


def _dense_decoder(config: ModelConfig, code: Any, conv: Any, dense: Any) -> Any:
    # The question's decoder: convolutions over the code as a 1-channel sequence.
    h = keras.layers.Reshape((config.latent_dim, 1), name="decoder_reshape")(code)
    for i, block in reversed(list(enumerate(config.blocks))):
        h = conv(block.filters, block.kernel_size, config.activation, f"decoder_conv_{i}")(h)
        if block.pool > 1:
            h = keras.layers.UpSampling1D(block.pool, name=f"decoder_upsample_{i}")(h)
    h = keras.layers.Flatten(name="decoder_flatten")(h)
    units = config.length * config.channels
    # The last block's upsampling repeats each sample: the fast Dense multiplies it once.
    last = config.blocks[0]
    h = dense(units, "linear", "decoder_dense", zero=config.linear_path, repeat=last.pool,
              channels=last.filters)(h)
    return keras.layers.Reshape((config.length, config.channels), name="decoder_output")(h)


def _convolutional_decoder(config: ModelConfig, code: Any, conv: Any, dense: Any) -> Any:
    # The encoder in reverse: block i upsamples, then convolves back to the channels that
    # entered encoder block i, so the widest convolutions run at the lowest resolution.
    steps, filters = config.encoded_length, config.encoded_filters
    h = dense(steps * filters, config.activation, "decoder_dense")(code)
    h = keras.layers.Reshape((steps, filters), name="decoder_reshape")(h)
    for i, block in reversed(list(enumerate(config.blocks))):
        if block.pool > 1:
            h = keras.layers.UpSampling1D(block.pool, name=f"decoder_upsample_{i}")(h)
        if i > 0:
            h = conv(config.blocks[i - 1].filters, block.kernel_size, config.activation,
                     f"decoder_conv_{i}")(h)
    kernel_size = config.blocks[0].kernel_size if config.blocks else 1
    h = conv(config.channels, kernel_size, "linear", "decoder_output", zero=config.linear_path)(h)
    # "same" pooling rounds lengths up, so the upsampled signal is at least `length` long.
    extra = steps * int(np.prod([b.pool for b in config.blocks])) - config.length
    if extra:
        h = keras.layers.Cropping1D((0, extra), name="decoder_crop")(h)
    return h


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
