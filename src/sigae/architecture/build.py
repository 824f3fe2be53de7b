"""The one dispatch on the kind of architecture.

Each architecture says what it is (`ModelConfig.builder == "design"`,
`PartsConfig.builder == "parts"`); `builder_of` maps that to the `Builder` that knows how
to make its views, name its variables and list their shapes. Nothing else in sigae asks
which kind a model is.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras

from sigae.architecture import designs, parts
from sigae.architecture.config import ModelConfig
from sigae.architecture.parts import PartsConfig
from sigae.architecture.steps import share_steps
from sigae.architecture.views import Views
from sigae.errors import ConfigError

Architecture = ModelConfig | PartsConfig
"""What a model is made from: sigae's design, or a Keras encoder and decoder."""

_as_built: weakref.WeakKeyDictionary[keras.Model, tuple[int, list[Any]]] = (
    weakref.WeakKeyDictionary())
"""Views built with a seed (by their autoencoder view): the seed and the initial values."""


@dataclass(frozen=True)
class Builder:
    """How one kind of architecture becomes views.

    Args:
        name: The kind, as the architecture and the model file name it.
        config: The configuration class, with `from_dict`.
        build: `(architecture, seed) -> Views`, every layer created once.
        weight_shapes: The key and shape of every variable `build` creates, in order,
            computed without allocating them.
        weight_keys: The names variables are saved under.
        seeded: Whether `seed` decides the initial weights (a design's do; parts keep
            the weights they were given).
    """

    name: str
    config: type[ModelConfig] | type[PartsConfig]
    build: Callable[[Any, int | None], Views]
    weight_shapes: Callable[[Any], dict[str, tuple[int, ...]]]
    weight_keys: Callable[[list[keras.Variable]], list[str]]
    seeded: bool


BUILDERS = {
    "design": Builder("design", ModelConfig, designs.build_views, designs.weight_shapes,
                      lambda variables: [v.path for v in variables], seeded=True),
    "parts": Builder("parts", PartsConfig, lambda config, seed: parts.build_parts(config),
                     parts.weight_shapes, parts.weight_keys, seeded=False),
}


def builder_of(architecture: Architecture | str) -> Builder:
    """The `Builder` of an architecture, or of a kind's name (`"design"`, `"parts"`).

    Raises:
        ConfigError: For an unknown kind.
    """
    name = architecture if isinstance(architecture, str) else architecture.builder
    if name not in BUILDERS:
        raise ConfigError(f"Unknown kind of architecture {name!r}; known: "
                          f"{', '.join(BUILDERS)}.")
    return BUILDERS[name]


def build(architecture: Architecture, seed: int | None = None) -> Views:
    """Builds the views an architecture describes, every layer once.

    Args:
        architecture: A `ModelConfig` or a `PartsConfig`.
        seed: Seeds the initial weights of a design (parts are rebuilt from their
            configurations; their weights come from a file or from training).
    """
    builder = builder_of(architecture)
    views = builder.build(architecture, seed)
    if seed is not None and builder.seeded:
        _as_built[views.autoencoder] = (seed, [v.value for v in views.autoencoder.variables])
    described = repr(architecture)
    for name in ("encoder", "decoder", "autoencoder", "log_var"):
        if getattr(views, name) is not None:
            share_steps(getattr(views, name), (described, name))
    return views


def holds_initial_weights(views: Views, seed: int | None) -> bool:
    """Whether `views` still hold, unchanged, the initial weights `build(..., seed)` gave
    them (every variable's value the very array it was built with: nothing assigned since),
    so that building a twin with `seed` to copy its weights would change nothing.

    Asking forgets what the views were built with, as the caller is about to train them.
    """
    seed_and_values = _as_built.pop(views.autoencoder, None)
    if seed is None or seed_and_values is None or seed_and_values[0] != seed:
        return False
    variables = views.autoencoder.variables
    return len(variables) == len(seed_and_values[1]) and all(
        v.value is built for v, built in zip(variables, seed_and_values[1], strict=True))


def weight_shapes(architecture: Architecture) -> dict[str, tuple[int, ...]]:
    """The key and shape of every variable `build(architecture)` creates, in order, without
    allocating them, so that a file declaring an enormous model is refused first."""
    return builder_of(architecture).weight_shapes(architecture)


def weight_keys(architecture: Architecture, variables: list[keras.Variable]) -> list[str]:
    """The names `variables` (the autoencoder view's, in order) are saved under."""
    return builder_of(architecture).weight_keys(variables)
