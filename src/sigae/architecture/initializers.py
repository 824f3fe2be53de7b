"""Initial weights drawn by NumPy: the distributions of Keras' initializers, without a
compiled program per weight shape.

On JAX, Keras draws each initial weight with a random program compiled for its shape:
160 to 660 ms per new shape on CPU (and 30 ms for zeros), so the first model of a new size
spent seconds before its first step. These draw the same distributions with NumPy from
the same kind of seed, in microseconds, on every backend alike. Exported `.keras` files
name Keras' own initializers in their place (`keras_equivalent`), so they open without
sigae. They are registered with Keras (as `sigae>GlorotUniform`, ...), so a layer rebuilt
from its configuration gets them back, not Keras' own.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras' fan-in and fan-out of a weight shape (a kernel's receptive field counts)."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


@keras.saving.register_keras_serializable(package="sigae")
class GlorotUniform(keras.initializers.GlorotUniform):
    """Keras' Glorot uniform, `U(-limit, limit)` with `limit = sqrt(6 / (fan_in +
    fan_out))`, drawn by NumPy's generator from `seed`."""

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = tuple(int(s) for s in shape)
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(6.0 / max(1.0, fan_in + fan_out))
        rng = np.random.default_rng(self.seed if isinstance(self.seed, int) else None)
        return rng.uniform(-limit, limit, shape).astype(keras.backend.standardize_dtype(
            dtype or "float32"))


@keras.saving.register_keras_serializable(package="sigae")
class Zeros(keras.initializers.Zeros):
    """Keras' zeros, made by NumPy."""

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.zeros(tuple(int(s) for s in shape),
                        keras.backend.standardize_dtype(dtype or "float32"))


@keras.saving.register_keras_serializable(package="sigae")
class Ones(keras.initializers.Ones):
    """Keras' ones, made by NumPy."""

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.ones(tuple(int(s) for s in shape),
                       keras.backend.standardize_dtype(dtype or "float32"))


def keras_equivalent(initializer: Any) -> Any:
    """Keras' own initializer in place of one of these (for files opened without sigae);
    any other initializer as it is."""
    if isinstance(initializer, GlorotUniform):
        return keras.initializers.GlorotUniform(seed=initializer.seed)
    if isinstance(initializer, Zeros):
        return keras.initializers.Zeros()
    if isinstance(initializer, Ones):
        return keras.initializers.Ones()
    return initializer
