"""Models made of Keras parts: a user's own encoder and decoder, or adopted trained ones.

A `PartsConfig` holds the two parts as Keras layer configurations (plain JSON data) with
the shapes they were checked against. `build_parts` rebuilds them with Keras, after every
class they name has passed `sigae.architecture.allowlist`, and wraps them with sigae's normalization
(`sigae.architecture.views.assemble`), so they get the same three views as a built-in design.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import keras

from sigae.architecture.allowlist import check_architecture
from sigae.architecture.views import Views, assemble
from sigae.core.validate import check_choice, check_number
from sigae.data.normalization import NORMALIZATIONS
from sigae.errors import ConfigError, ModelFileError


@dataclass(frozen=True, eq=False)
class PartsConfig:
    """The architecture of a model made of a Keras encoder and decoder.

    Args:
        length: Samples per signal.
        channels: Channels per sample.
        latent_dim: Values per code.
        encoder: Keras configuration of the encoder body, normalized
            `(batch, length, channels)` -> `(batch, latent_dim)`.
        decoder: Keras configuration of the decoder body, `(batch, latent_dim)` ->
            normalized `(batch, length, channels)`.
        normalization: `"per_channel"`, `"global"` or `"auto"` statistics around the
            bodies (`sigae.architecture.config.ModelConfig` says how `"auto"` chooses).
        origin: Where the parts come from, shown by `sigae info`.
    """

    length: int
    channels: int
    latent_dim: int
    encoder: dict[str, Any] = field(repr=False)
    decoder: dict[str, Any] = field(repr=False)
    normalization: str = "per_channel"
    origin: str = "your own encoder and decoder (SignalAutoencoder.from_parts)"

    builder: ClassVar[str] = "parts"
    """How `sigae.architecture.build` builds it, and the model file names it."""

    def describe(self) -> str:
        """Where the parts come from, as `sigae info` shows it."""
        return f"Keras parts: {self.origin}"

    @property
    def per_channel_statistics(self) -> bool:
        return self.normalization != "global"

    # The built-in designs' variants do not apply to parts.
    variational: ClassVar[bool] = False
    linear_path: ClassVar[bool] = False
    noise_std: ClassVar[float] = 0.0

    def __post_init__(self) -> None:
        for name in ("length", "channels", "latent_dim"):
            check_number(name, getattr(self, name), integer=True, minimum=1)
        check_choice("normalization", self.normalization, NORMALIZATIONS)
        for name in ("encoder", "decoder"):
            if not isinstance(getattr(self, name), dict):
                raise ConfigError(f"{name} must be a Keras configuration (a mapping).")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartsConfig) and self.to_dict() == other.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Returns the configuration as JSON-ready plain data."""
        return {"length": self.length, "channels": self.channels,
                "latent_dim": self.latent_dim, "normalization": self.normalization,
                "origin": self.origin, "encoder": self.encoder, "decoder": self.decoder}

    @classmethod
    def from_dict(cls, data: Any) -> PartsConfig:
        """Builds a validated configuration from `to_dict` output.

        Raises:
            ConfigError: On unknown or missing keys, or invalid values.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"A parts configuration must be a mapping. Received {data!r}.")
        known = {"length", "channels", "latent_dim", "normalization", "origin", "encoder",
                 "decoder"}
        if set(data) - known or not {"length", "channels", "latent_dim", "encoder",
                                     "decoder"} <= set(data):
            raise ConfigError(f"A parts configuration has the keys {sorted(known)}. "
                              f"Received {sorted(data)}.")
        return cls(**data)


def parts_config(encoder: keras.Model, decoder: keras.Model, *, normalization: str,
                 origin: str) -> PartsConfig:
    """Checks that two Keras models compose into an autoencoder and describes them as data.

    Raises:
        ConfigError: If either is not a built Keras model, their shapes do not fit
            `(length, channels) -> (latent_dim,) -> (length, channels)`, or they hold
            anything that cannot be saved as data (a `Lambda`, a custom class).
    """
    for name, part in (("encoder", encoder), ("decoder", decoder)):
        if not isinstance(part, keras.Model):
            raise ConfigError(f"{name} must be a keras.Model (Sequential or functional). "
                              f"Received {type(part).__name__}.")
        if not part.built or len(part.inputs) != 1 or len(part.outputs) != 1:
            raise ConfigError(
                f"{name} must be a built model with one input and one output; give its "
                "Sequential an Input layer, or build it as a functional model.")
    signal = tuple(encoder.inputs[0].shape[1:])
    code = tuple(encoder.outputs[0].shape[1:])
    if len(signal) != 2 or None in signal:
        raise ConfigError(f"The encoder must take signals of shape (length, channels); its input "
                          f"has shape {signal}.")
    if len(code) != 1 or code[0] is None:
        raise ConfigError(f"The encoder must give codes of shape (latent_dim,); its output has "
                          f"shape {code}. End it with a Flatten or Dense layer.")
    if tuple(decoder.inputs[0].shape[1:]) != code:
        raise ConfigError(f"The decoder takes shape {tuple(decoder.inputs[0].shape[1:])} but the "
                          f"encoder gives codes of shape {code}; they must be equal.")
    if tuple(decoder.outputs[0].shape[1:]) != signal:
        raise ConfigError(f"The decoder gives shape {tuple(decoder.outputs[0].shape[1:])} but the "
                          f"encoder takes signals of shape {signal}; they must be equal.")
    configs = {}
    for name, part in (("encoder", encoder), ("decoder", decoder)):
        try:
            configs[name] = json.loads(json.dumps(keras.saving.serialize_keras_object(part)))
            configs[name].pop("compile_config", None)  # training settings are not the part
        except Exception as error:  # Keras raises many kinds for objects it cannot describe
            raise ConfigError(f"The {name} cannot be saved as data ({error}). Use built-in "
                              "Keras layers only.") from None
        try:
            check_architecture(configs[name], f"the {name}")
        except ModelFileError as error:
            raise ConfigError(str(error)) from None
    return PartsConfig(length=signal[0], channels=signal[1], latent_dim=code[0],
                       encoder=configs["encoder"], decoder=configs["decoder"],
                       normalization=normalization, origin=origin)


def build_parts(config: PartsConfig, bodies: tuple[keras.Model, keras.Model] | None = None
                ) -> Views:
    """The three views of a parts model.

    Args:
        config: The architecture.
        bodies: The live encoder and decoder bodies (`from_parts`, `adopt`); `None`
            rebuilds them from `config` (loading a file).

    Raises:
        ModelFileError: If a configuration names a class outside `sigae.architecture.allowlist`, or
            Keras cannot rebuild it.
    """
    def views(encoder: keras.Model, decoder: keras.Model) -> Views:
        return assemble(encoder, decoder, length=config.length, channels=config.channels,
                        latent_dim=config.latent_dim,
                        per_channel=config.per_channel_statistics)

    if bodies is not None:
        return views(*bodies)
    encoder, decoder = (_rebuild(getattr(config, name), name) for name in ("encoder", "decoder"))
    try:
        return views(encoder, decoder)
    except Exception as error:  # a stored configuration whose shapes do not fit
        raise ModelFileError(f"the stored parts do not compose into an autoencoder of "
                             f"length {config.length} ({error}).") from None


def _rebuild(data: dict[str, Any], name: str) -> keras.Model:
    check_architecture(data, f"the stored {name}")
    data = copy.deepcopy(data)  # Keras consumes the configuration it is given
    data.pop("compile_config", None)
    try:
        model = keras.saving.deserialize_keras_object(data, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for configurations it cannot read
        raise ModelFileError(f"the stored {name} cannot be rebuilt by Keras "
                             f"{keras.__version__} ({error}).") from None
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"the stored {name} is not a Keras model.")
    return model


def weight_keys(variables: list[keras.Variable]) -> list[str]:
    """The names a parts model's variables are saved under: their position, layer and name
    (`0003/dense/kernel`). Parts written separately may both hold a `dense`, and the scope
    Keras puts before a layer depends on how the part was built, so only the last two
    components of a path are the same after rebuilding."""
    return [f"{i:04d}/" + "/".join(v.path.split("/")[-2:]) for i, v in enumerate(variables)]


def weight_shapes(config: PartsConfig) -> dict[str, tuple[int, ...]]:
    """The key and shape of every variable `build_parts(config)` creates, in order, with
    none allocated (Keras' `StatelessScope` declares them without initial values)."""
    with keras.StatelessScope():
        variables = build_parts(config).autoencoder.weights
    return dict(zip(weight_keys(variables), (tuple(v.shape) for v in variables), strict=True))
