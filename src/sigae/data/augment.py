"""Augmentation: random, plausible changes to training signals, drawn anew for every batch.

With few training signals a model soon memorizes them; showing it slightly moved, scaled,
noisier, warped or mixed versions instead is a cheap way to more data. Every change keeps
the shape and the dtype, and is drawn from a NumPy `Generator`, so a seeded run sees the
same changes again (`sigae.data.streaming.Batches` draws batch `b` of epoch `e` from
`(seed, e, b)`).

The augmented signal is both the input and the target: the model learns to reconstruct
signals like the augmented ones, which is what makes it generalize to unseen ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sigae.core.validate import check_number
from sigae.errors import ConfigError

_NOISE_FLOOR_SCALE = 0.6745 * np.sqrt(2.0)  # MAD of N(0, 1) times sqrt(2) (differences)


@dataclass(frozen=True)
class Augmentation:
    """Strengths of each change; 0 turns a change off.

    Each change is drawn per signal. Applied in this order: warp, shift, scale, mix, noise.

    Args:
        shift: Largest time shift, as a fraction of the length: a signal moves by a whole
            number of samples drawn uniformly in `[-shift * length, shift * length]`, the
            edge value repeated where it moved away from an edge.
        scale: Standard deviation of the log of an amplitude factor: each channel's
            deviation from the signal's own mean is multiplied by `exp(N(0, scale))`, so the
            level stays and the amplitude changes.
        noise: Gaussian noise of this many times the signal's noise floor, estimated per
            signal and channel from the median absolute difference of neighbouring samples
            (robust to the signal itself: 1 doubles the noise power already there).
        warp: Time warping: the local speed of time follows a smooth random curve through
            4 knots, each `exp(N(0, warp))`, resampled by linear interpolation, start and
            end kept.
        mix: Mixing: a signal becomes `(1 - w) * itself + w * another signal of the batch`,
            `w` uniform in `[0, mix]`.
        fraction: Share of the signals of every batch that are changed at all; the rest
            are shown as they are.
    """

    shift: float = 0.0
    scale: float = 0.0
    noise: float = 0.0
    warp: float = 0.0
    mix: float = 0.0
    fraction: float = 0.5

    KINDS: ClassVar[tuple[str, ...]] = ("shift", "scale", "noise", "warp", "mix")
    DEFAULTS: ClassVar[dict[str, float]] = {
        "shift": 0.03, "scale": 0.1, "noise": 0.5, "warp": 0.1, "mix": 0.2}

    def __post_init__(self) -> None:
        for name in self.KINDS:
            check_number(name, getattr(self, name), minimum=0)
        check_number("shift", self.shift, maximum=0.5)
        check_number("mix", self.mix, maximum=1)
        check_number("fraction", self.fraction, minimum=0, maximum=1)

    @classmethod
    def standard(cls) -> Augmentation:
        """Every change at its default strength (`DEFAULTS`)."""
        return cls(**cls.DEFAULTS)

    @property
    def active(self) -> bool:
        return self.fraction > 0 and any(getattr(self, name) > 0 for name in self.KINDS)

    def describe(self) -> str:
        """E.g. `shift=0.03,scale=0.1`, or `none`; `parse` reads it back."""
        parts = [f"{name}={getattr(self, name):g}" for name in self.KINDS if getattr(self, name)]
        if parts and self.fraction != 0.5:
            parts.append(f"fraction={self.fraction:g}")
        return ",".join(parts) or "none"

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Augmentation:
        return cls(**{key: float(value) for key, value in data.items()})

    @classmethod
    def parse(cls, text: str) -> Augmentation:
        """Reads `"shift=0.05,noise"`: changes by name, with a strength or their default.

        Raises:
            ConfigError: For an unknown change or a strength that is not a number.
        """
        values: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, _, strength = item.partition("=")
            name = name.strip()
            if name not in (*cls.KINDS, "fraction"):
                raise ConfigError(
                    f"Unknown augmentation {name!r} in {text!r}. Known: "
                    f"{', '.join(cls.KINDS)} (each optionally =strength), fraction=F, "
                    "or 'auto' / 'none'.")
            if not strength and name == "fraction":
                raise ConfigError(f"fraction needs a value, e.g. fraction=0.5 (in {text!r}).")
            try:
                values[name] = float(strength) if strength else cls.DEFAULTS[name]
            except ValueError:
                raise ConfigError(f"The strength of {name} must be a number. Received "
                                  f"{strength!r} in {text!r}.") from None
        if not values:
            raise ConfigError(f"No augmentation named in {text!r}; use e.g. "
                              "'shift=0.03,scale=0.1', 'auto' or 'none'.")
        return cls(**values)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Returns changed copies of signals `x` `(n, length, channels)`, same dtype."""
        x = np.asarray(x)
        if not self.active or len(x) == 0:
            return x.copy()
        chosen = rng.random(len(x)) < self.fraction
        if not chosen.any():
            return x.copy()
        out = x.astype("float64")
        part = out[chosen]
        if self.warp:
            part = warp(part, rng, self.warp)
        if self.shift:
            part = shift(part, rng, self.shift)
        if self.scale:
            part = scale(part, rng, self.scale)
        if self.mix:
            part = mix(part, out, rng, self.mix)
        if self.noise:
            part = part + noise(part, rng, self.noise)
        out[chosen] = part
        return out.astype(x.dtype)


def shift(x: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Moves each signal by up to `strength * length` samples, repeating the edge values."""
    length = x.shape[1]
    largest = round(strength * length)
    steps = rng.integers(-largest, largest + 1, size=len(x))
    index = np.clip(np.arange(length)[None, :] - steps[:, None], 0, length - 1)
    return np.take_along_axis(x, index[:, :, None], axis=1)


def scale(x: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Multiplies each signal's deviation from its own mean by `exp(N(0, strength))`."""
    factor = np.exp(rng.normal(0.0, strength, size=(len(x), 1, 1)))
    level = x.mean(axis=1, keepdims=True)
    return level + factor * (x - level)


def noise_floor(x: np.ndarray) -> np.ndarray:
    """Each signal's noise standard deviation per channel, `(n, 1, channels)`, from the
    median absolute difference of neighbouring samples."""
    if x.shape[1] < 2:
        return np.zeros((len(x), 1, x.shape[2]))
    return np.median(np.abs(np.diff(x, axis=1)), axis=1, keepdims=True) / _NOISE_FLOOR_SCALE


def noise(x: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Gaussian noise of `strength` times each signal's noise floor."""
    return rng.normal(0.0, 1.0, size=x.shape) * strength * noise_floor(x)


def warp(x: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Resamples each signal along a smooth random time map that keeps both ends."""
    n, length = x.shape[:2]
    if length < 3:
        return x.copy()
    knots = np.exp(rng.normal(0.0, strength, size=(n, 4)))
    grid = np.linspace(0.0, 1.0, length)
    hats = np.stack([np.interp(grid, np.linspace(0.0, 1.0, 4), unit) for unit in np.eye(4)])
    speed = knots @ hats  # (n, length): the knots joined by straight lines
    time = np.concatenate([np.zeros((n, 1)), np.cumsum(speed[:, 1:], axis=1)], axis=1)
    time *= (length - 1) / time[:, -1:]
    low = np.clip(np.floor(time).astype(int), 0, length - 2)
    weight = (time - low)[:, :, None]
    before = np.take_along_axis(x, low[:, :, None], axis=1)
    after = np.take_along_axis(x, low[:, :, None] + 1, axis=1)
    return (1 - weight) * before + weight * after


def mix(x: np.ndarray, pool: np.ndarray, rng: np.random.Generator, strength: float
        ) -> np.ndarray:
    """Mixes each signal with a random signal of `pool`, up to `strength` of it."""
    partners = pool[rng.integers(0, len(pool), size=len(x))]
    weight = rng.uniform(0.0, strength, size=(len(x), 1, 1))
    return (1 - weight) * x + weight * partners


def augmented_copies(x: np.ndarray, augmentation: Augmentation, copies: int,
                     seed: int | None) -> np.ndarray:
    """`x` followed by `copies` augmented versions of it (for PCA on augmented signals)."""
    rng = np.random.default_rng(None if seed is None else [seed, 7])
    every = dataclasses.replace(augmentation, fraction=1.0)
    return np.concatenate([x, *(every(x, rng) for _ in range(copies))])
