"""`sigae demo` and `sigae train`.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.train.arguments import register

__all__ = ["register"]
