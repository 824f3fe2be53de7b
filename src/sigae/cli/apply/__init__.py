"""`sigae encode`, `decode` and `reconstruct`: the input streamed through a model into a file.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.apply.arguments import register

__all__ = ["register"]
