"""What a command says: handlers return an `Outcome`, and `render` prints it.

A handler does its work and returns the lines of its report and its exit code as data;
only `render` (called by `sigae.cli.main`) writes them. `note` is for the few lines that
must be seen while a command works (where a model was saved instead, the explorer's
address before it serves), written at once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """A command's result.

    Args:
        lines: What it reports, one line each (a line may hold several).
        code: Its exit code: 0 success, 1 a failed check, 128 + N stopped by signal N.
    """

    lines: list[str] = field(default_factory=list)
    code: int = 0


def render(outcome: Outcome) -> int:
    """Prints `outcome`'s lines on stdout and returns its exit code."""
    for line in outcome.lines:
        print(line)
    return outcome.code


def note(line: str) -> None:
    """Says `line` at once, while the command goes on."""
    print(line, flush=True)


def warn(line: str) -> None:
    """Says `line` on stderr at once (a warning, or how to stop what runs)."""
    print(line, file=sys.stderr, flush=True)
