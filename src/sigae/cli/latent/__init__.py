"""`sigae latent stats|project|probe|traverse|interpolate|neighbors`: studying the code space.

Each writes its arrays (codes keep `source_row` / `source_start`) and a PNG figure to
`--out DIR`.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.latent.arguments import register

__all__ = ["register"]
