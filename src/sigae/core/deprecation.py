"""Renamed members keep their old names for one release, warning once per process."""

from __future__ import annotations

import warnings
from typing import Any

_warned: set[str] = set()


def warn_renamed(old: str, new: str) -> None:
    """Warns, the first time only, that `old` is deprecated in favour of `new`.

    Args:
        old: The old name, as a user writes it (e.g. `"SignalAutoencoder.log_var_view"`).
        new: What to write instead.
    """
    if old in _warned:
        return
    _warned.add(old)
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}.",
                  DeprecationWarning, stacklevel=3)


def renamed(old: str, new: str) -> Any:
    """A read-only property named `old` that warns once and returns the attribute `new`.

    Example: `log_var_view = renamed("SignalAutoencoder.log_var_view", "log_var")`.
    """
    attribute = new.rsplit(".", 1)[-1]

    def get(self: Any) -> Any:
        warn_renamed(old, new)
        return getattr(self, attribute)

    return property(get, doc=f"Deprecated: use `{attribute}`.")
