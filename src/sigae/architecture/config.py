"""Model configuration: frozen, validated dataclasses and the named presets.

A `ModelConfig` is plain data. It holds no file paths and no weights, round-trips through
`to_dict` / `from_dict`, and is all that is needed to rebuild a model's layers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from sigae.core.validate import check_choice, check_number
from sigae.data.normalization import NORMALIZATIONS, Normalization
from sigae.errors import ConfigError

Padding = Literal["same", "valid"]
DecoderKind = Literal["convolutional", "dense"]

_ACTIVATIONS = ("tanh", "relu", "gelu", "elu", "selu", "silu", "sigmoid", "linear")


@dataclass(frozen=True)
class ConvBlock:
    """One encoder stage: `Conv1D(filters, kernel_size)` then `MaxPooling1D(pool)`.

    The decoder mirrors the stages in reverse order, with `UpSampling1D(pool)`.

    Args:
        filters: Number of convolution filters (output channels) of the stage.
        kernel_size: Width of the convolution window, in samples.
        pool: Pooling (and, in the decoder, upsampling) factor. 1 keeps the length.
    """

    filters: int
    kernel_size: int = 3
    pool: int = 2

    def __post_init__(self) -> None:
        for name in ("filters", "kernel_size", "pool"):
            check_number(name, getattr(self, name), integer=True, minimum=1)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a signal autoencoder.

    Signals are arrays of shape `(n_signals, length, channels)`. The encoder is
    normalization, the convolution blocks, `Flatten` and a `Dense(latent_dim)` central layer.
    The decoder maps a code back to `(length, channels)` in the units of the training data.

    Args:
        length: Samples per signal. Every length is supported, odd ones included.
        channels: Channels per sample (1 for a single trace).
        latent_dim: Size of the central `Dense` layer, the code.
        blocks: Encoder stages, first to last; the decoder mirrors them.
        activation: Activation of the convolutions (and of the convolutional decoder's
            first `Dense`).
        latent_activation: Activation of the central layer. `"linear"` keeps codes
            unbounded, which suits studying them; the question's model uses `"tanh"`.
        padding: `"same"` keeps lengths through convolutions and pools (odd lengths
            round up); `"valid"` shrinks them, as in the question's model.
        decoder: `"convolutional"` (default): `Dense` to the last encoder feature map,
            then the blocks in reverse (upsampling, then a convolution back to the block's
            input channels), cropped to exactly `length`. `"dense"`: the
            question's decoder, convolutions on the code seen as a 1-channel sequence,
            then `Flatten` and a `Dense(length * channels)` head.
        normalization: `"auto"` (default): chosen at the first `fit` from the training
            signals: per channel when the channels' standard deviations differ by more
            than `SCALE_RATIO` (10x: different quantities or units, which would otherwise
            be ignored), else global, so that the error is weighed as in the data's own
            units (and the PCA start is PCA of the raw signals); one channel is global.
            `"per_channel"`: one mean and standard deviation per channel; `"global"`:
            one scalar mean and standard deviation, as in the question.
        linear_path: Add a linear encoder and decoder (`Dense` layers on the flattened
            signal) beside the convolutional path; the code and the output are the sums
            of both paths. At the first `fit` the linear path is set to the PCA solution
            of the normalized training signals and the convolutional path to contribute
            nothing, so training starts exactly at PCA's reconstruction and can only
            improve on it. Needs `latent_activation="linear"`.
        noise_std: Denoising: Gaussian noise of this standard deviation (in normalized
            units) is added to the inputs during training only; the loss compares the
            output with the clean signal. 0 (default) trains a plain autoencoder.
        variational: The encoder gives a mean and a log-variance per latent dimension; in
            training the decoder sees a sample `mean + exp(log_var / 2) * eps`, and the
            loss adds `beta` times the KL divergence from N(0, I) (per signal, divided by
            `length * channels` like the MSE). `encode` returns the mean, so every view
            stays deterministic outside training. Needs `linear_path=False` (the PCA start
            is not a posterior).
        beta: Weight of the KL term of a variational model.
        contrast: Weight of a contrastive term on the code
            (`sigae.architecture.contrast`): in training the loss adds `contrast` times
            the InfoNCE loss between the codes of two random views (shifted, rescaled,
            masked, noisier) of each signal of the batch, so that views of one signal
            get near codes and different signals far ones. The epoch kept is still the
            one of least validation reconstruction error. 0 (default) trains on
            reconstruction alone. `"auto"`: the largest weight of a small grid whose
            held-out reconstruction stays within `tolerance` times PCA's
            (`sigae.training.dial`, at the first `fit`). Measured on six labelled sets at latent 32
            (`benchmarks/representation.py`), it made the codes classify better only
            where reconstruction was allowed to get worse than PCA's.

    Raises:
        ConfigError: If the configuration cannot build a model, for example a `length`
            too short for the depth of `blocks`.

    Example:

    >>> ModelConfig(length=501, latent_dim=8).encoded_length
    63
    """

    length: int
    channels: int = 1
    latent_dim: int = 16
    # Three halving stages: a 501-sample signal becomes 63 steps of 32 features. On the
    # damped oscillations (1000 signals, latent 8, 30 epochs) twice these widths took 1.8x
    # the time (28.9 s vs 15.8 s) for 8% less error (NMSE 0.0365 vs 0.0397).
    blocks: tuple[ConvBlock, ...] = field(
        default=(ConvBlock(16, 7, 2), ConvBlock(32, 5, 2), ConvBlock(32, 3, 2))
    )
    activation: str = "tanh"
    latent_activation: str = "linear"
    padding: Padding = "same"
    decoder: DecoderKind = "convolutional"
    normalization: Normalization = "auto"
    # A linear encoder/decoder pair set to the PCA solution of the training data at the
    # first fit, beside the convolutional path which starts at zero: training starts at
    # PCA's error and early stopping can only keep or improve it.
    linear_path: bool = True
    noise_std: float = 0.0
    variational: bool = False
    beta: float = 1.0
    contrast: float | str = 0.0

    builder: ClassVar[str] = "design"
    """How `sigae.architecture.build` builds it, and the model file names it."""

    def __post_init__(self) -> None:
        for name in ("length", "channels", "latent_dim"):
            check_number(name, getattr(self, name), integer=True, minimum=1)
        blocks = tuple(self.blocks)
        if not all(isinstance(b, ConvBlock) for b in blocks):
            raise ConfigError(
                "blocks must be a sequence of ConvBlock(filters, kernel_size, pool). "
                f"Received blocks={self.blocks!r}."
            )
        object.__setattr__(self, "blocks", blocks)
        check_choice("activation", self.activation, _ACTIVATIONS)
        check_choice("latent_activation", self.latent_activation, _ACTIVATIONS)
        check_choice("padding", self.padding, ("same", "valid"))
        check_choice("decoder", self.decoder, ("convolutional", "dense"))
        check_choice("normalization", self.normalization, NORMALIZATIONS)
        for name in ("linear_path", "variational"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be True or False. "
                                  f"Received {name}={getattr(self, name)!r}.")
        if self.linear_path and self.latent_activation != "linear":
            raise ConfigError(
                "linear_path=True adds a linear code to the convolutional one, so it needs "
                f"latent_activation='linear'. Received latent_activation="
                f"{self.latent_activation!r}; use 'linear' or linear_path=False."
            )
        for name in ("noise_std", "beta"):
            check_number(name, getattr(self, name), minimum=0)
        check_number("contrast", self.contrast, minimum=0, alternatives=("auto",))
        if self.variational and self.linear_path:
            raise ConfigError(
                "variational=True needs linear_path=False: the PCA start of the linear path "
                "is not a posterior. Pass linear_path=False."
            )
        if self.decoder == "convolutional" and self.padding != "same":
            raise ConfigError(
                "decoder='convolutional' needs padding='same' to return exactly `length` "
                f"samples. Received padding={self.padding!r}; use padding='same' or "
                "decoder='dense'."
            )
        self._check_encoder_lengths()
        if self.decoder == "dense":
            self._check_dense_decoder_lengths()

    def describe(self) -> str:
        """The design in a few words, as `sigae info` shows it."""
        return (f"decoder {self.decoder!r}"
                + (f"; denoising (noise std {self.noise_std:g})" if self.noise_std else "")
                + (f"; variational (beta {self.beta:g})" if self.variational else "")
                + ("" if not self.contrast else "; contrastive (weight chosen by the dial)"
                   if self.contrast == "auto" else f"; contrastive (weight {self.contrast:g})"))

    @property
    def per_channel_statistics(self) -> bool:
        """Whether the normalization holds one mean and std per channel (`"auto"` does, and
        sets them all equal when it chooses a global one)."""
        return self.normalization != "global"

    # -- derived sizes ---------------------------------------------------------------

    @property
    def encoded_length(self) -> int:
        """Steps left after the last encoder block (before `Flatten`)."""
        return self._encoder_lengths()[-1]

    @property
    def encoded_filters(self) -> int:
        """Channels after the last encoder block (the input channels if there is none)."""
        return self.blocks[-1].filters if self.blocks else self.channels

    def _encoder_lengths(self) -> list[int]:
        lengths = [self.length]
        for block in self.blocks:
            steps = lengths[-1]
            if self.padding == "valid":
                steps = steps - block.kernel_size + 1
                steps = steps // block.pool if steps > 0 else 0
            else:
                steps = math.ceil(steps / block.pool)
            lengths.append(steps)
        return lengths

    def _check_encoder_lengths(self) -> None:
        lengths = self._encoder_lengths()
        for index, (block, steps) in enumerate(zip(self.blocks, lengths[1:], strict=True)):
            if steps < 1:
                minimum = self._minimum_length()
                raise ConfigError(
                    f"length={self.length} is too short for the encoder: block {index} "
                    f"({block}) leaves no samples. With these blocks use length >= "
                    f"{minimum}, or fewer or smaller blocks."
                )

    def _minimum_length(self) -> int:
        needed = 1
        for block in reversed(self.blocks):
            needed *= block.pool
            if self.padding == "valid":
                needed += block.kernel_size - 1
        return needed

    def _check_dense_decoder_lengths(self) -> None:
        steps = self.latent_dim
        for block in reversed(self.blocks):
            steps = steps - block.kernel_size + 1 if self.padding == "valid" else steps
            if steps < 1:
                raise ConfigError(
                    f"latent_dim={self.latent_dim} is too small for the dense decoder with "
                    f"padding='valid': its convolutions over the code leave no samples. "
                    f"Use a larger latent_dim or padding='same'."
                )
            steps *= block.pool

    # -- plain data ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Returns the configuration as JSON-ready plain data."""
        data = dataclasses.asdict(self)
        data["blocks"] = [dataclasses.asdict(b) for b in self.blocks]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> ModelConfig:
        """Builds a validated configuration from `to_dict` output.

        Raises:
            ConfigError: On unknown or missing keys, or invalid values.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"A model configuration must be a mapping. Received {data!r}.")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"Unknown model configuration keys {unknown}. Known keys: {sorted(names)}."
            )
        values = dict(data)
        if "blocks" in values:
            blocks = values["blocks"]
            if not isinstance(blocks, list | tuple) or not all(isinstance(b, dict) for b in blocks):
                raise ConfigError(
                    "blocks must be a list of {filters, kernel_size, pool} mappings. "
                    f"Received blocks={blocks!r}."
                )
            try:
                values["blocks"] = tuple(ConvBlock(**b) for b in blocks)
            except TypeError as error:
                raise ConfigError(f"Invalid block in blocks={blocks!r}: {error}.") from None
        try:
            return cls(**values)
        except TypeError as error:
            raise ConfigError(f"Invalid model configuration: {error}.") from None

    def replace(self, **changes: Any) -> ModelConfig:
        """Returns a validated copy with `changes` applied."""
        return dataclasses.replace(self, **changes)


def _question(length: int, channels: int) -> ModelConfig:
    # The model of the original question (shared/origin/question.md): at length 501 and one
    # channel it has 151,616 encoder and 14,903,157 decoder parameters.
    return ModelConfig(
        length=length,
        channels=channels,
        latent_dim=32,
        blocks=(ConvBlock(256, 3, 2), ConvBlock(32, 3, 2)),
        activation="tanh",
        latent_activation="tanh",
        padding="valid",
        decoder="dense",
        normalization="global",
        linear_path=False,
    )


def _default(length: int, channels: int) -> ModelConfig:
    return ModelConfig(length=length, channels=channels)


PRESETS = {"default": _default, "question": _question}
"""Named model designs: `name -> f(length, channels) -> ModelConfig`."""


def preset(name: str, *, length: int, channels: int = 1, **overrides: Any) -> ModelConfig:
    """Returns the configuration of a named preset.

    Args:
        name: One of `PRESETS` (`"default"`, `"question"`).
        length: Samples per signal.
        channels: Channels per sample.
        **overrides: Any `ModelConfig` field to change, e.g. `latent_dim=8`.

    Raises:
        ConfigError: For an unknown preset name or an invalid override.
    """
    if name not in PRESETS:
        raise ConfigError(f"Unknown preset {name!r}. Known presets: {', '.join(sorted(PRESETS))}.")
    config = PRESETS[name](length, channels)
    try:
        return config.replace(**overrides) if overrides else config
    except TypeError as error:
        raise ConfigError(f"Invalid override for preset {name!r}: {error}.") from None
