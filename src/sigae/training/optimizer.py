"""The optimizer: Adam as the question had it, or AdamW that leaves the linear path alone."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from sigae.architecture import initializers
from sigae.architecture.views import Views


class _NumpyZeros:
    """An optimizer whose zero-initialized state (moments, counters) is made by NumPy: on
    JAX, Keras' `zeros` compiles a program per shape, 0.18 s of building Adam for the
    default design in a new process, against 5 ms."""

    def add_variable(self, shape: Any, initializer: Any = "zeros", *args: Any,
                     **kwargs: Any) -> keras.Variable:
        if isinstance(initializer, str) and initializer == "zeros":
            initializer = initializers.Zeros()
        return super().add_variable(shape, initializer, *args, **kwargs)  # type: ignore[misc]


class Adam(_NumpyZeros, keras.optimizers.Adam):
    """Keras' Adam, its state made by NumPy."""


class AdamW(_NumpyZeros, keras.optimizers.AdamW):
    """Keras' AdamW, its state made by NumPy."""


def compile_views(views: Views, learning_rate: float, weight_decay: float, *,
                  fresh: bool) -> None:
    """Compiles the autoencoder view for the normalized MSE.

    A view compiled before with the same kind of optimizer keeps it, so a later `fit`
    continues its moments, at the new learning rate. With `weight_decay`, AdamW leaves the
    variables the views name as exempt (`Views.decay_exempt`: the PCA start) undecayed.

    Args:
        views: The views that train.
        learning_rate: Adam's learning rate.
        weight_decay: Decoupled weight decay; 0 for plain Adam.
        fresh: A first fit: an optimizer already built (by an earlier fit that was
            undone, or a fold of the small-data choice) starts again from zero moments and
            step count, at `learning_rate`.
    """
    model = views.autoencoder
    if model.compiled and getattr(model.optimizer, "weight_decay", None) == (
        weight_decay or None
    ):
        model.optimizer.learning_rate.assign(learning_rate)
    else:
        if weight_decay:
            optimizer = AdamW(learning_rate, weight_decay=weight_decay)
            exempt = views.decay_exempt()
            if exempt:
                optimizer.exclude_from_weight_decay(var_list=exempt)
        else:
            optimizer = Adam(learning_rate)
        model.compile(optimizer=optimizer, loss="mse")
    if fresh and model.optimizer.built:  # zero moments and step count, not the rate
        rate = model.optimizer.learning_rate  # the variable itself
        for variable in model.optimizer.variables:
            if variable is not rate:
                variable.assign(np.zeros(variable.shape, variable.dtype))
