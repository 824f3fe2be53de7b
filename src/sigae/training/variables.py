"""Host copies of a model's variables, and their return: for checkpoints and devices."""

from __future__ import annotations

import keras
import numpy as np


def values(variables: list[keras.Variable]) -> list[np.ndarray]:
    """Each variable's value as a NumPy array on the host."""
    return [_host_value(v) for v in variables]


def _host_value(variable: keras.Variable) -> np.ndarray:
    value = variable.value
    if not getattr(value, "is_fully_addressable", True):
        # Replicated over the devices of several processes: each local shard is whole.
        return np.asarray(value.addressable_shards[0].data)
    return np.asarray(keras.ops.convert_to_numpy(value))


def assign(variables: list[keras.Variable], arrays: list[np.ndarray]) -> None:
    """Sets each variable to its array (reshaped to the variable's shape)."""
    for variable, value in zip(variables, arrays, strict=True):
        variable.assign(np.reshape(value, variable.shape))
