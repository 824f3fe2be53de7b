"""Compiled steps shared by every model object of one architecture.

Keras' JAX trainer compiles a model's training, evaluation and prediction steps as
`jax.jit` of the model's own bound methods, so every new model object traces and lowers
them again, even when XLA's persistent cache then hands back the compiled programs: about
0.3 s of each `fit` of a new model at the demo's size, and more for the first `predict` of
each view. The steps are pure functions of the state Keras passes in (every variable's
value), so models built from one architecture, compiled alike, with the same variables
(shape, dtype, trainable) and the same dtype policies trace the same program. `share_steps`
makes such models call one jitted function with that description as its static argument
(`Traced`): the first model traces it, the next ones find it traced. The description holds
its model weakly, so sharing keeps no model alive; a new shape is traced by the model
calling.

Only on the JAX backend, without a distribution, jitted and one step per execution; any other
case is Keras' own path.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Hashable
from functools import cache
from types import MethodType
from typing import Any

import keras

from sigae.architecture.stepcache import Steps


class Traced:
    """The static argument of a shared step: equal for models whose steps trace alike.

    Args:
        kind: `"train"`, `"test"` or `"predict"`.
        key: What the model was built from (`share_steps`) and its `signature`.
        model: The model whose step this is (held weakly); it traces the step when no
            model with an equal description has traced it for these shapes yet.
    """

    def __init__(self, kind: str, key: Hashable, model: keras.Model) -> None:
        self.kind, self.key = kind, (kind, key)
        self._model = weakref.ref(model)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Traced) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def step(self, state: Any, data: Any) -> Any:
        """The model's own step (Keras' `train_step`, `test_step`, or `predict_step` with
        the state Keras' prediction loop expects back)."""
        model = self._model()
        if model is None:  # only a live model's call traces; the description outlives it
            raise RuntimeError("a shared step was traced for a model that no longer exists")
        if self.kind == "predict":
            outputs, non_trainable = model.predict_step(state, data)
            return outputs, (state[0], non_trainable)
        return getattr(model, f"{self.kind}_step")(state, data)


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


def _maker(kind: str) -> Callable[..., Any]:
    def make(self: keras.Model, force: bool = False) -> Any:
        attribute = f"{kind}_function"
        if getattr(self, attribute) is not None and not force:
            return getattr(self, attribute)
        if not _shareable(self):
            return getattr(type(self), f"make_{kind}_function")(self, force)
        traced = Traced(kind, (self._sigae_steps_key, signature(self, kind)), self)
        shared = _shared()

        def step(state: Any, data: Any) -> Any:
            return shared(state, data, traced)

        function = self._make_function(step, concatenate_outputs=kind == "predict")
        setattr(self, attribute, function)
        return function

    return make


@cache
def _shared() -> Callable[..., Any]:
    import jax

    return Steps(jax.jit(lambda state, data, traced: traced.step(state, data),
                         static_argnums=2, donate_argnums=0))


def _shareable(model: keras.Model) -> bool:
    return (keras.distribution.distribution() is None and not model.run_eagerly
            and bool(model.jit_compile) and model.steps_per_execution == 1)


def signature(model: keras.Model, kind: str) -> Hashable:
    """What a traced step depends on besides the architecture: the variables, the dtype
    policies and, for training and evaluation, the compiled optimizer (its learning rate
    is a variable, so not part of it), loss and metrics."""
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
    compiled["terms"] = repr(model.traced_terms()) if hasattr(model, "traced_terms") else ""

    compiled["metrics"] = [m.name for m in model.metrics]
    return variables, policies, json.dumps(compiled, sort_keys=True, default=repr)
