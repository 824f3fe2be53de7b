"""The fast path: where sigae is quicker than the framework it runs on, with the same
mathematics.

Measured on a 2-core CPU (see benchmarks/README.md, "Speed"), two things cost most:

- **Page faults.** XLA allocates each compiled step's buffers anew. glibc serves large
  allocations with fresh `mmap`s (above a threshold that grows only to 32 MiB), and every
  page of those is faulted in and zeroed again at every step: at batch 100 the default
  design spent half of each step there. `keep_buffers_in_heap()` raises the threshold so
  freed buffers are reused, and stops glibc from handing the heap's top back to the system.
- **Max pooling's gradient.** XLA's gradient of `reduce_window` is a select-and-scatter,
  slow on CPU; `MaxPooling1D` here computes it as a comparison with the pooled output.
- **A convolution over few input channels** (a signal's first layer) is a poor fit for
  XLA's convolution on CPU; `Conv1D` here computes it as one matrix product of the
  input's windows.

Both are on by default and change no result beyond float rounding. `SIGAE_FAST=0` in the
environment turns them off (the plain Keras path), and any failure of the fast path falls
back to the plain one with a warning in the `sigae` log.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import sys
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import keras

logger = logging.getLogger("sigae")

ENVIRONMENT_VARIABLE = "SIGAE_FAST"
CACHE_VARIABLE = "SIGAE_CACHE_DIR"
CACHE_SIZE = 512 * 2**20
"""The compiled programs kept on disk, at most (the least recently used go first)."""
_CACHE_MIN_COMPILE_SECONDS = 0.05  # quicker compiles are not worth a file

# glibc's mallopt parameters (malloc.h) and the values set: 1 GiB, and the largest int.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MMAP_THRESHOLD = 2**30
_TRIM_THRESHOLD = 2**31 - 1

_state = {"allocator": None}
_warned: set[str] = set()


def enabled() -> bool:
    """Whether the fast path is on: `SIGAE_FAST` is not `0`."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "1").strip() != "0"


def keep_buffers_in_heap() -> bool:
    """Makes glibc keep large freed buffers for reuse instead of unmapping them.

    `import sigae` calls it, once per process, only on Linux with glibc and the fast path
    on. It changes the whole process's allocator: buffers up to 1 GiB come from the heap,
    the heap's top is not handed back to the system, and all threads share one arena (set
    before JAX starts its threads; a process that ran JAX before importing sigae keeps its
    threads' own arenas). Memory freed by one step is reused by the next instead of being
    faulted in again, so the resident size stays near its peak until the process ends.

    Returns:
        Whether the allocator is now set so (by this call or an earlier one).
    """
    if _state["allocator"] is None:
        _state["allocator"] = enabled() and _set_allocator()
    return bool(_state["allocator"])


def _set_allocator() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: left alone
            return False
        done = (libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1
                and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1
                and libc.mallopt(_M_ARENA_MAX, 1) == 1)
    except (OSError, AttributeError) as error:
        fall_back("the allocator setting", error)
        return False
    if not done:
        fall_back("the allocator setting", RuntimeError("mallopt refused the values"))
    return done


def use_compilation_cache() -> Path | None:
    """Keeps compiled XLA programs on disk (JAX's persistent compilation cache).

    Keras compiles a model's training and prediction steps anew for every model object
    and every process; the compiled programs of the same shapes are then read back from
    disk instead (about 2.3 s of a first `fit` at the demo's size). `import sigae` calls
    it, on the JAX backend with the fast path on. The folder is `$SIGAE_CACHE_DIR`, else
    `$XDG_CACHE_HOME/sigae/xla` or `~/.cache/sigae/xla`, at most `CACHE_SIZE`;
    `SIGAE_CACHE_DIR=` (empty) turns the cache off, and so does a folder that cannot be
    created or written. A cache JAX was already given is left as it is. The cache only
    saves time: an entry that cannot be read or written is compiled again, silently.

    Returns:
        The cache's folder, or `None` when there is none.
    """
    if not enabled() or keras.backend.backend() != "jax":
        return None
    import jax

    if jax.config.jax_compilation_cache_dir:
        return Path(jax.config.jax_compilation_cache_dir)
    folder = _cache_folder()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", _CACHE_MIN_COMPILE_SECONDS)
    jax.config.update("jax_compilation_cache_max_size", CACHE_SIZE)
    warnings.filterwarnings("ignore", message="Error (reading|writing) persistent compilation")
    return folder


def _cache_folder() -> Path | None:
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sigae" / "xla"


def fall_back(what: str, error: BaseException) -> None:
    """Logs, once per `what`, that the fast path failed and the plain one is used."""
    if what not in _warned:
        _warned.add(what)
        logger.warning("sigae: the fast path for %s failed (%s: %s); using the plain "
                       "Keras path, which gives the same results more slowly.",
                       what, type(error).__name__, error)


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
                if self.use_bias:
                    outputs = keras.ops.add(outputs, self.bias)
                return outputs if self.activation is None else self.activation(outputs)
        return super().call(inputs)

    def _fast(self, inputs: Any) -> bool:
        return (enabled() and keras.backend.backend() == "jax"
                and self.data_format == "channels_last" and self.padding in ("same", "valid")
                and self.strides == (1,) and self.dilation_rate == (1,) and self.groups == 1
                and self.kernel_size[0] * inputs.shape[-1] <= MAX_WINDOW)


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
    layers (so a file holding it opens without sigae), `layer`'s class otherwise."""
    cls = type(layer)
    if cls in (Conv1D, MaxPooling1D):
        cls = cls.__bases__[0]
    return cls.from_config(layer.get_config())


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
    hit = windowed == y[:, :, None, :]
    share = dy / jnp.maximum(jnp.sum(hit, axis=2, dtype=dy.dtype), 1)
    dx = jnp.where(hit, share[:, :, None, :], 0).reshape(batch, windows * pool, channels)
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
