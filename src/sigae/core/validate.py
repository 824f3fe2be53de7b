"""The one check of scalar settings: a number in a range, or one of a few named values.

Every setting sigae accepts (model and training configuration, study functions) is checked
here, so every refusal reads the same: `"epochs must be a strictly positive integer or
'auto'. Received epochs=0."`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from sigae.errors import ConfigError


def check_number(
    name: str,
    value: Any,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    below: float | None = None,
    positive: bool = False,
    alternatives: tuple[Any, ...] = (),
) -> Any:
    """Returns `value` if it is a finite number within the bounds, or one of `alternatives`.

    Args:
        name: The setting's name, as the caller knows it.
        value: What was received.
        integer: Require an integer (booleans are never numbers here).
        minimum: Smallest allowed value, inclusive.
        maximum: Largest allowed value, inclusive.
        below: Exclusive upper bound.
        positive: Require a value strictly above zero.
        alternatives: Values allowed besides numbers, such as `"auto"` or `None`.

    Raises:
        ConfigError: Naming the setting, what it must be and what was received.
    """
    if any(value is a or (isinstance(a, str) and value == a) for a in alternatives):
        return value
    number = not isinstance(value, bool) and isinstance(
        value, numbers.Integral if integer else numbers.Real)
    if (number and math.isfinite(value)
            and (minimum is None or value >= minimum)
            and (maximum is None or value <= maximum)
            and (below is None or value < below)
            and (not positive or value > 0)):
        return value
    raise ConfigError(
        f"{name} must be {_describe(integer, minimum, maximum, below, positive, alternatives)}. "
        f"Received {name}={value!r}."
    )


def check_choice(name: str, value: Any, allowed: tuple[Any, ...]) -> Any:
    """Returns `value` if it is one of `allowed`.

    Raises:
        ConfigError: Listing the allowed values.
    """
    if value in allowed:
        return value
    choices = ", ".join(repr(a) for a in allowed)
    raise ConfigError(f"{name} must be one of {choices}. Received {name}={value!r}.")


def _describe(integer: bool, minimum: float | None, maximum: float | None,
              below: float | None, positive: bool, alternatives: tuple[Any, ...]) -> str:
    noun = "integer" if integer else "number"
    if positive or (integer and minimum == 1 and maximum is None):
        text = f"a strictly positive {noun}"
    elif minimum is not None and (maximum is not None or below is not None):
        text = (f"in [{minimum:g}, {maximum:g}]" if maximum is not None
                else f"in [{minimum:g}, {below:g})")
    elif minimum is not None:
        text = f"{'an' if integer else 'a'} {noun} >= {minimum:g}"
    else:
        text = f"{'an' if integer else 'a'} {noun}"
    if alternatives:
        names = [repr(a) for a in alternatives]
        text = ", ".join([text, *names[:-1]]) + f" or {names[-1]}"
    return text
