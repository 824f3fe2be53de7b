"""The one `PathLike` type of sigae's API: a `str` or any `os.PathLike[str]`."""

from __future__ import annotations

import os

PathLike = str | os.PathLike[str]
