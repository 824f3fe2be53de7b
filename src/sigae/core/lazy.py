"""Submodules reachable as attributes of their package, imported when first named.

`import sigae` loads no NumPy or Keras (so `sigae --help` is instant), yet a user who writes
`sigae.io.recordings(...)` or `sigae.study.latent.stats(...)` after it should not meet an
`AttributeError`. Each package's `__getattr__` imports the submodule named, once.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any


def submodules(package: str, face: dict[str, str] | None = None) -> Callable[[str], Any]:
    """A module-level `__getattr__` for `package`.

    Args:
        package: The package's `__name__`.
        face: Names the package offers from its modules, `{name: module}` (e.g.
            `{"TrainingConfig": "settings"}`), also imported when first named.

    Returns:
        A function that returns the submodule (or the name from `face`) and keeps it in
        the package's namespace, or raises `AttributeError` for anything else.
    """
    face = face or {}

    def __getattr__(name: str) -> Any:  # noqa: N807 (a module's __getattr__)
        namespace = vars(importlib.import_module(package))
        if name in face:
            value = getattr(importlib.import_module(f"{package}.{face[name]}"), name)
        elif not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}"):
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    return __getattr__
