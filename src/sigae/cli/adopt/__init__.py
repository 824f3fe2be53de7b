"""`sigae adopt`: a trained Keras autoencoder, or its encoder and decoder, as a sigae model.

`arguments` registers the commands' options; `handlers` runs them and returns what they
say (`sigae.cli.printer.Outcome`).
"""

from sigae.cli.adopt.arguments import register

__all__ = ["register"]
