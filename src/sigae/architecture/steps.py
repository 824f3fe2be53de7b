"""Compiled steps shared by every model object of one architecture.

Keras' JAX trainer compiles a model's training, evaluation and prediction steps as
`jax.jit` of the model's own bound methods, so every new model object traces and lowers
them again, even when XLA's persistent cache then hands back the compiled programs: about
0.4 s of each `fit` of a new model at the demo's size, and more for every `predict` of each
view. The steps are pure functions of the state Keras passes in (every variable's value), so
models built from one architecture, compiled alike, with the same variables (shape, dtype,
trainable) and the same dtype policies trace the same program: `share_steps` makes their
`make_*_function` look the jitted step up by that signature, traced once on the first such
model (the template) and reused by the next ones with no tracing at all.

Only on the JAX backend, without a distribution, jitted and one step per execution; any other
case is Keras' own path. A template that changed since (recompiled with another optimizer, a
layer frozen) no longer matches its entry's signature, and the entry is traced again.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Hashable
from types import MethodType
from typing import Any

import keras

ENTRIES = 16
"""Jitted steps kept (least recently used dropped first); each keeps its template alive."""

_steps: OrderedDict[tuple[Hashable, ...], tuple[keras.Model, Callable[..., Any]]] = OrderedDict()


def share_steps(model: keras.Model, key: Hashable) -> None:
    """Makes `model` share its compiled steps with every model built under the same `key`.

    Args:
        model: A view, just built.
        key: What the view was built from (its architecture and which view it is): two
            models under one key must have been built by the same code from the same
            description.
    """
    if keras.backend.backend() != "jax":
        return
    model._sigae_steps_key = key
    for kind in ("train", "test", "predict"):
        setattr(model, f"make_{kind}_function", MethodType(_maker(kind), model))


def clear() -> None:
    """Forgets every shared step (their templates are then freed)."""
    _steps.clear()


def _maker(kind: str) -> Callable[..., Any]:
    def make(self: keras.Model, force: bool = False) -> Any:
        attribute = f"{kind}_function"
        own = getattr(type(self), f"make_{kind}_function")
        if getattr(self, attribute) is not None and not force:
            return getattr(self, attribute)
        if not _shareable(self):
            return own(self, force)
        key = (kind, self._sigae_steps_key, _signature(self, kind))
        entry = _steps.get(key)
        if entry is not None and _signature(entry[0], kind) != key[2]:
            entry = None  # the template changed since it was traced
        if entry is None:
            entry = (self, _jitted(self, kind))
        _steps[key] = entry
        _steps.move_to_end(key)
        while len(_steps) > ENTRIES:
            _steps.popitem(last=False)
        function = self._make_function(entry[1], concatenate_outputs=kind == "predict")
        setattr(self, attribute, function)
        return function

    return make


def _shareable(model: keras.Model) -> bool:
    return (keras.distribution.distribution() is None and not model.run_eagerly
            and bool(model.jit_compile) and model.steps_per_execution == 1)


def _jitted(template: keras.Model, kind: str) -> Callable[..., Any]:
    import jax

    if kind == "predict":
        def predict_step(state: Any, data: Any) -> Any:
            outputs, non_trainable = template.predict_step(state, data)
            return outputs, (state[0], non_trainable)

        return jax.jit(predict_step, donate_argnums=0)
    return jax.jit(getattr(template, f"{kind}_step"), donate_argnums=0)


def _signature(model: keras.Model, kind: str) -> Hashable:
    """What the traced step depends on besides the architecture: the variables, the dtype
    policies and, for training and evaluation, the compiled optimizer, loss and metrics."""
    variables = tuple((tuple(v.shape), str(v.dtype), bool(v.trainable))
                      for v in model.variables)
    policies = tuple(layer.dtype_policy.name for layer in model._flatten_layers())
    if kind == "predict":
        return variables, policies
    optimizer = model.optimizer
    compiled: dict[str, Any] = {}
    if optimizer is not None:
        compiled = {key: value for key, value in optimizer.get_config().items()
                    if key not in ("learning_rate", "name")}
        compiled["class"] = type(optimizer).__qualname__
        compiled["exempt"] = len(getattr(optimizer, "_exclude_from_weight_decay", ()) or ())
    compiled["loss"] = repr(model.loss)
    compiled["metrics"] = [m.name for m in model.metrics]
    return variables, policies, json.dumps(compiled, sort_keys=True, default=repr)
