"""A contrastive term on the code: two random views of a signal should have near codes, and
codes of different signals far ones.

A reconstruction objective alone spends a small code on variance, which is what PCA does.
With `ModelConfig.contrast > 0` the autoencoder's training loss adds, for every batch, the
InfoNCE loss (NT-Xent, as in SimCLR; Chen et al., ICML 2020) between the codes of two
views of each signal: each view shifted in time, rescaled, masked at random time steps
and made noisier, all drawn in the graph from a seeded `keras.random.SeedGenerator`. The
term is computed in training only, from the encoder view itself, so it adds no weights,
never runs at inference, and `decode(encode(x))` stays `reconstruct(x)`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


class Contrast(keras.layers.Layer):
    """The contrastive term of a design (see the module's docstring).

    Args:
        weight: Multiplies the InfoNCE loss before it is added to the normalized MSE.
        temperature: Of the cosine similarities in the InfoNCE loss.
        shift: Largest time shift of a view, as a fraction of the length (edges repeat).
        scale: Standard deviation of the log of a view's amplitude factor.
        mask: Share of time steps of a view set to the signal's mean.
        noise: Standard deviation of a view's Gaussian noise, in normalized units.
        seed: Seeds the views.
    """

    def __init__(self, weight: float, *, temperature: float = 0.2, shift: float = 0.1,
                 scale: float = 0.2, mask: float = 0.1, noise: float = 0.1,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.weight, self.temperature = weight, temperature
        self.shift, self.scale, self.mask, self.noise = shift, scale, mask, noise
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def view(self, x: Any) -> Any:
        """A random view of normalized signals `(batch, length, channels)`."""
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        largest = int(self.shift * x.shape[1])
        if largest > 0:
            moves = keras.random.randint((batch, 1), -largest, largest + 1,
                                         seed=self.seed_generator)
            steps = ops.clip(ops.arange(length)[None, :] + moves, 0, length - 1)
            x = ops.take_along_axis(x, ops.expand_dims(steps, -1), axis=1)
        if self.scale > 0:
            x = x * ops.exp(self.scale * keras.random.normal((batch, 1, 1),
                                                             seed=self.seed_generator))
        if self.mask > 0:
            kept = keras.random.uniform((batch, length, 1), seed=self.seed_generator)
            x = x * ops.cast(kept >= self.mask, x.dtype)
        if self.noise > 0:
            x = x + self.noise * keras.random.normal(ops.shape(x), seed=self.seed_generator)
        return x

    def loss(self, encode: Any, x: Any) -> Any:
        """`weight` times the symmetric InfoNCE loss of the codes of two views of `x`.

        Args:
            encode: Normalized signals -> codes, in training mode.
            x: Normalized signals `(batch, length, channels)`.
        """
        first, second = (self._unit(encode(self.view(x))) for _ in range(2))
        codes = ops.concatenate([first, second], axis=0)  # (2B, d)
        n = ops.shape(first)[0]
        logits = ops.matmul(codes, ops.transpose(codes)) / self.temperature
        logits = logits - 1e9 * ops.eye(2 * n, dtype=logits.dtype)  # not itself
        partner = ops.concatenate([ops.arange(n) + n, ops.arange(n)])
        log_p = ops.log_softmax(logits, axis=-1)
        chosen = ops.take_along_axis(log_p, ops.expand_dims(partner, -1), axis=1)
        return -self.weight * ops.mean(chosen)

    @staticmethod
    def _unit(codes: Any) -> Any:
        return codes / ops.sqrt(ops.sum(ops.square(codes), axis=-1, keepdims=True) + 1e-12)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight": self.weight,
                "temperature": self.temperature, "shift": self.shift, "scale": self.scale,
                "mask": self.mask, "noise": self.noise, "seed": self.seed}
