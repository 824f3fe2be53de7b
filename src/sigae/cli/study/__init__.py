"""`sigae generate`, `score` and `report`: the trained decoder and the errors, put to use.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.study.arguments import register

__all__ = ["register"]
