"""The one dispatch on the kind of architecture.

Each architecture says what it is (`ModelConfig.builder == "design"`,
`PartsConfig.builder == "parts"`); `builder_of` maps that to the `Builder` that knows how
to make its views, name its variables and list their shapes. Nothing else in sigae asks
which kind a model is.
"""

from __future__ import annotations

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
    views = builder_of(architecture).build(architecture, seed)
    described = repr(architecture)
    for name in ("encoder", "decoder", "autoencoder", "log_var"):
        if getattr(views, name) is not None:
            share_steps(getattr(views, name), (described, name))
    return views


def weight_shapes(architecture: Architecture) -> dict[str, tuple[int, ...]]:
    """The key and shape of every variable `build(architecture)` creates, in order, without
    allocating them, so that a file declaring an enormous model is refused first."""
    return builder_of(architecture).weight_shapes(architecture)


def weight_keys(architecture: Architecture, variables: list[keras.Variable]) -> list[str]:
    """The names `variables` (the autoencoder view's, in order) are saved under."""
    return builder_of(architecture).weight_keys(variables)
