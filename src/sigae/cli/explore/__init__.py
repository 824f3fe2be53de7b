"""`sigae explore`: a local page to move through the code space with the trained decoder.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.explore.arguments import register

__all__ = ["register"]
