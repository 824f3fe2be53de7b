"""Normalization: its kinds, its fit on training signals, and the check of given statistics.

A model normalizes its input inside itself (`sigae.architecture.views.Standardize`, whose
statistics `Views.set_normalization` sets); this module says what those statistics are:
fitted on the training signals in one pass (`fit_normalization`), or given by a user and
checked (`normalization_arrays`). Its functions import NumPy when they run, so that a
`ModelConfig`, which names the kinds, stays plain data that imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

from sigae.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

    from sigae.io.arrays import SignalArray

Normalization = Literal["auto", "global", "per_channel"]
NORMALIZATIONS: tuple[str, ...] = ("auto", "global", "per_channel")

SCALE_RATIO = 10.0
"""`normalization="auto"` normalizes per channel when the channels' standard deviations
differ by more than this factor (different quantities or units), else globally."""

MIN_STD = 1e-8
"""Standard deviations below this are treated as 1, so that constant signals never give NaN."""


class Normalized(Protocol):
    """What this module needs of an architecture: its channels and its kind of statistics."""

    @property
    def channels(self) -> int: ...

    @property
    def normalization(self) -> str: ...

    @property
    def per_channel_statistics(self) -> bool: ...


def fit_normalization(x: SignalArray, kind: str, *, raw: bool = False
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of training signals `(n, length, channels)`, in one pass
    (of padded signals, `sigae.io.arrays.Padded`, over their own samples only).

    Blocks are combined with Chan et al.'s pairwise update in float64, which is as
    accurate as a two-pass computation.

    Args:
        x: The training signals, in memory or on disk.
        kind: `"global"` (scalars), `"per_channel"` (arrays of shape `(channels,)`), or
            `"auto"`: arrays of shape `(channels,)`, per channel when the channels'
            standard deviations differ by more than `SCALE_RATIO`, else the global
            statistics repeated on every channel.
        raw: Return the float64 statistics as computed (for `"auto"`'s own use).

    Returns:
        `(mean, std)` as float32; a std below `MIN_STD` (a constant signal) becomes 1.

    Raises:
        DataError: If a block holds NaN or infinite values.
    """
    import numpy as np

    from sigae.io.arrays import chunks, valid

    if kind == "auto":
        mean, std = fit_normalization(x, "per_channel", raw=True)
        used = std[std >= MIN_STD]  # constant channels say nothing about scales
        if used.size and used.max() > SCALE_RATIO * used.min():
            return _usable(mean, std)
        # Comparable scales: weigh the channels as the data does. Every channel has as many
        # values, so the global statistics follow from the channels' exactly.
        overall = np.full(mean.shape, mean.mean())
        spread = np.full(std.shape, np.sqrt(np.mean(np.square(std)) + np.var(mean)))
        return _usable(overall, spread)
    count, mean, m2 = 0, np.zeros(()), np.zeros(())
    for start, block in chunks(x, what="x"):
        mask = valid(x, start, start + len(block))  # padded signals: their own samples
        values = block.reshape(-1, block.shape[2]) if mask is None else block[mask]
        values = values.astype("float64").reshape(-1, 1 if kind == "global" else
                                                  block.shape[2])
        n = len(values)
        if n == 0:
            continue
        block_mean = values.mean(axis=0)
        block_m2 = np.square(values - block_mean).sum(axis=0)
        delta = block_mean - mean
        total = count + n
        mean = mean + delta * n / total
        m2 = m2 + block_m2 + np.square(delta) * count * n / total
        count = total
    if kind == "global":
        mean, m2 = mean.reshape(()), m2.reshape(())
    std = np.sqrt(m2 / count)
    return (np.asarray(mean), np.asarray(std)) if raw else _usable(mean, std)


def _usable(mean: Any, std: Any) -> tuple[np.ndarray, np.ndarray]:
    """float32 statistics, a std below `MIN_STD` (a constant signal) set to 1."""
    import numpy as np

    std = np.where(np.asarray(std) < MIN_STD, 1.0, std)
    return np.asarray(mean, dtype="float32"), np.asarray(std, dtype="float32")


def normalization_arrays(mean: Any, std: Any, architecture: Normalized
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Validated normalization statistics for `architecture`: scalars for `"global"`
    normalization, one value per channel otherwise (a scalar is repeated).

    Raises:
        ConfigError: For statistics of the wrong size, non-finite values or a std <= 0.
    """
    import numpy as np

    shape = (architecture.channels,) if architecture.per_channel_statistics else ()
    arrays = []
    for name, value in (("mean", mean), ("std", std)):
        try:
            array = np.asarray(value, dtype="float64")
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be numbers. Received {name}={value!r}.") from None
        if array.size == 1:
            array = np.full(shape, array.reshape(()))
        if array.shape != shape:
            wanted = ("one value" if not shape
                      else f"one value, or one per channel ({architecture.channels})")
            raise ConfigError(f"{name} must be {wanted} for {architecture.normalization} "
                              f"normalization. Received {array.size} values.")
        if not np.all(np.isfinite(array)) or (name == "std" and np.any(array <= 0)):
            raise ConfigError(f"{name} must be finite{' and > 0' if name == 'std' else ''}. "
                              f"Received {name}={np.asarray(value).tolist()}.")
        arrays.append(array.astype("float32"))
    return arrays[0], arrays[1]
