"""`sigae check`, `info` and `export`: looking at a model file.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.inspect.arguments import register

__all__ = ["register"]
