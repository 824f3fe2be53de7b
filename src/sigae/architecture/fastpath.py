"""sigae's fast layers: Keras layers computing the same mathematics faster on JAX.

- **Max pooling's gradient.** XLA's gradient of `reduce_window` is a select-and-scatter,
  slow on CPU; `MaxPooling1D` here computes it as a comparison with the pooled output.
- **A convolution over few input channels** (a signal's first layer) is a poor fit for
  XLA's convolution on CPU; `Conv1D` here computes it as one matrix product of the
  input's windows.
- **A dense layer over an upsampled sequence** (the question's decoder: `UpSampling1D`,
  `Flatten`, `Dense`) multiplies every sample twice; `Dense` here, told the repetition,
  multiplies each distinct sample once by the sum of its repeated rows of the kernel:
  half the multiply-adds of the largest layer, forward and backward.

The built-in designs are made of them; their weights and outputs are those of the Keras
layers (outputs within float rounding, 1e-5 relative, see tests/test_fastpath.py), so files
written either way load either way. On other backends, with `SIGAE_FAST=0` in the
environment, or if the fast path fails (with a warning in the `sigae` log), they are the
Keras layers.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import keras

from sigae.architecture.initializers import keras_equivalent
from sigae.core.runtime import enabled, fall_back


class MaxPooling1D(keras.layers.MaxPooling1D):
    """`keras.layers.MaxPooling1D` with strides equal to the pool size, whose gradient on
    the JAX backend is computed by comparing each window with its maximum.

    The output is XLA's own `reduce_window`, bit for bit. The gradient goes to the window's
    maximum; where several samples tie for it, it is shared equally among them (JAX's rule
    for `max`), where XLA's select-and-scatter gives it all to the first. On other
    backends, with `SIGAE_FAST=0`, or if the fast path fails, this is the Keras layer.
    """

    def call(self, inputs: Any) -> Any:
        if (enabled() and keras.backend.backend() == "jax"
                and self.data_format == "channels_last" and self.strides == self.pool_size):
            try:
                return _max_pool()(inputs, self.pool_size[0], self.padding == "same")
            except Exception as error:
                fall_back("max pooling", error)
        return super().call(inputs)


MAX_WINDOW = 32
"""`Conv1D` takes the fast path when `kernel_size * input channels` is at most this."""


class Conv1D(keras.layers.Conv1D):
    """`keras.layers.Conv1D` which, on the JAX backend and for a window of at most
    `MAX_WINDOW` values (`kernel_size * input channels`, stride and dilation 1), computes
    the convolution as the product of the input's windows `(batch, steps, kernel_size *
    channels)` with the kernel: the same sums, in another order. Otherwise, with
    `SIGAE_FAST=0`, or if the fast path fails, this is the Keras layer.
    """

    def call(self, inputs: Any) -> Any:
        if self._fast(inputs):
            try:
                outputs = _window_product(inputs, self.kernel, self.padding == "same")
            except Exception as error:
                fall_back("convolutions over few channels", error)
            else:
                return _bias_and_activation(self, outputs)
        return super().call(inputs)

    def _fast(self, inputs: Any) -> bool:
        return (enabled() and keras.backend.backend() == "jax"
                and self.data_format == "channels_last" and self.padding in ("same", "valid")
                and self.strides == (1,) and self.dilation_rate == (1,) and self.groups == 1
                and self.kernel_size[0] * inputs.shape[-1] <= MAX_WINDOW)


class Dense(keras.layers.Dense):
    """`keras.layers.Dense` over the flattened output of `UpSampling1D(repeat)` of a
    sequence of `channels` channels, which it is told: each sample of that sequence appears
    `repeat` times in a row, so `x @ kernel` equals `x_once @ kernel_summed`, where
    `x_once` keeps one copy of each sample and `kernel_summed` adds the kernel's rows of its
    copies. The kernel and its gradient keep Keras' shape and values (the gradient of the
    summed rows reaches each of them), so the weights are those of the Keras layer; the
    outputs equal it within float rounding. On other backends, with `SIGAE_FAST=0`, or if
    the fast path fails, this is the Keras layer.

    Args:
        repeat: How many times each sample of the sequence is repeated (the upsampling).
        channels: Channels per sample of the sequence.
        **kwargs: `keras.layers.Dense`'s arguments.
    """

    def __init__(self, *args: Any, repeat: int = 1, channels: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.repeat, self.channels = repeat, channels

    def call(self, inputs: Any) -> Any:
        if (self.repeat > 1 and enabled() and keras.backend.backend() == "jax"
                and self.lora_rank is None and self.quantization_mode is None
                and inputs.shape[-1] % (self.repeat * self.channels) == 0):
            try:
                outputs = _repeated_product(inputs, self.kernel, self.repeat, self.channels)
            except Exception as error:
                fall_back("dense layers over upsampled sequences", error)
            else:
                return _bias_and_activation(self, outputs)
        return super().call(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "repeat": self.repeat, "channels": self.channels}


def _bias_and_activation(layer: Any, outputs: Any) -> Any:
    """What a Keras Conv1D or Dense does after its product: the bias, then the activation."""
    if layer.use_bias:
        outputs = keras.ops.add(outputs, layer.bias)
    return outputs if layer.activation is None else layer.activation(outputs)


def _repeated_product(x: Any, kernel: Any, repeat: int, channels: int) -> Any:
    import jax.numpy as jnp

    features = x.shape[-1]
    steps = features // (repeat * channels)
    once = jnp.reshape(x, (-1, steps, repeat, channels))[:, :, 0, :]
    summed = jnp.sum(jnp.reshape(kernel, (steps, repeat, channels, -1)), axis=1)
    return (jnp.reshape(once, (-1, steps * channels))
            @ jnp.reshape(summed, (steps * channels, kernel.shape[-1])))


def _window_product(x: Any, kernel: Any, same: bool) -> Any:
    import jax.numpy as jnp

    size = kernel.shape[0]
    if same:  # XLA's "SAME": the extra sample of an even window goes after
        x = jnp.pad(x, ((0, 0), ((size - 1) // 2, size // 2), (0, 0)))
    steps = x.shape[1] - size + 1
    # windows[b, t, k * channels + c] = x[b, t + k, c], the kernel's own order flattened
    windows = jnp.concatenate([x[:, k:k + steps, :] for k in range(size)], axis=-1)
    return windows @ jnp.reshape(kernel, (-1, kernel.shape[-1]))


def plain_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    """A new Keras layer with `layer`'s configuration: Keras' own class for sigae's fast
    layers and Keras' own initializers (so a file holding it opens without sigae),
    `layer`'s class otherwise."""
    cls = type(layer)
    if cls in (Conv1D, MaxPooling1D, Dense):
        cls = cls.__bases__[0]
    config = layer.get_config()
    for key in ("repeat", "channels") if isinstance(layer, Dense) else ():
        config.pop(key)
    for key in config:  # Keras' own initializers in place of sigae's NumPy ones
        if key.endswith("_initializer") and hasattr(layer, key):
            config[key] = keras.initializers.serialize(keras_equivalent(getattr(layer, key)))
    return cls.from_config(config)


def _window_padding(length: int, pool: int, same: bool) -> tuple[int, int, int]:
    """`(windows, before, after)`: XLA's padding of a pooling with stride = window."""
    if not same:
        return length // pool, 0, 0
    windows = math.ceil(length / pool)
    total = max(windows * pool - length, 0)
    return windows, total // 2, total - total // 2


def _pool_forward(x: Any, pool: int, same: bool) -> Any:
    import jax.numpy as jnp
    from jax import lax

    return lax.reduce_window(x, -jnp.inf, lax.max, (1, pool, 1), (1, pool, 1),
                             "SAME" if same else "VALID")


def _pool_fwd(x: Any, pool: int, same: bool) -> tuple[Any, tuple[Any, Any]]:
    y = _pool_forward(x, pool, same)
    return y, (x, y)


def _pool_bwd(pool: int, same: bool, residuals: tuple[Any, Any], dy: Any) -> tuple[Any]:
    import jax.numpy as jnp

    x, y = residuals
    batch, length, channels = x.shape
    windows, before, after = _window_padding(length, pool, same)
    used = windows * pool - before - after  # samples inside some window
    windowed = jnp.pad(x[:, :used], ((0, 0), (before, after), (0, 0)),
                       constant_values=-jnp.inf).reshape(batch, windows, pool, channels)
    # One comparison per place in the window, each a plain elementwise operation: XLA
    # runs a reduction over the short window axis, and a division, far slower.
    hits = [windowed[:, :, i] == y for i in range(pool)]
    if pool == 2:  # dy / 2 is dy * 0.5 exactly
        share = jnp.where(hits[0] & hits[1], dy * 0.5, dy)
    else:  # a window with no hit (a NaN) passes no gradient: its `where`s are all 0
        share = dy / sum(hit.astype(dy.dtype) for hit in hits)
    dx = jnp.stack([jnp.where(hit, share, 0) for hit in hits], axis=2)
    dx = dx.reshape(batch, windows * pool, channels)
    dx = dx[:, before:before + used]
    if used < length:  # "valid" pooling drops the last samples
        dx = jnp.pad(dx, ((0, 0), (0, length - used), (0, 0)))
    return (dx,)


@cache
def _max_pool() -> Any:
    """`_pool_forward` with `_pool_bwd` as its gradient (JAX only)."""
    import jax

    function = jax.custom_vjp(_pool_forward, nondiff_argnums=(1, 2))
    function.defvjp(_pool_fwd, _pool_bwd)
    return function
