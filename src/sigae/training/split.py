"""The validation split: the last fraction of the signals, as Keras takes it."""

from __future__ import annotations

from sigae.errors import DataError
from sigae.io.arrays import SignalArray, subset


def split(x: SignalArray, validation_split: float, validation_data: SignalArray | None = None
          ) -> tuple[SignalArray, SignalArray | None]:
    """`(training, validation)` signals: `x` and `validation_data` when it is given; else
    `x` without and with its last `validation_split` (no validation when 0).

    Raises:
        DataError: If the split leaves no signals on one side.
    """
    if validation_data is not None:
        return x, validation_data
    if validation_split == 0:
        return x, None
    n_val = round(len(x) * validation_split)
    if n_val < 1 or n_val >= len(x):
        raise DataError(
            f"validation_split={validation_split} leaves no signals for "
            f"{'validation' if n_val < 1 else 'training'} out of {len(x)}. "
            "Give more signals, another validation_split, or validation_data."
        )
    return subset(x, 0, len(x) - n_val), subset(x, len(x) - n_val, len(x))
