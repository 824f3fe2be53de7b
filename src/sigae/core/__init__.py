"""The bottom layer: what every other layer may use, and which uses no other part of sigae.

- `validate`: the check of every scalar setting (`check_number`, `check_choice`);
- `faults`: faults of the machine (full disk, read-only place, I/O error) as one line;
- `outputs`: output paths checked before the work, and files replaced atomically;
- `runtime`: the process settings `import sigae` makes (allocator, compilation cache);
- `paths`: the `PathLike` type; `version`: sigae's version.
"""

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
