"""The options of `sigae adopt`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigae.cli.adopt.handlers import adopt
from sigae.cli.options import DATA_HELP, add_data_options, command, numbers


def register(commands: Any) -> None:
    sub = command(
        commands, "adopt", adopt,
        "Adopt a trained Keras autoencoder (or its trained encoder and decoder) as a sigae "
        "model.",
        "Adopt a trained Keras autoencoder: a .keras file, or a legacy .h5 full-model file "
        "(tf.keras 2 or Keras 3). The code is the encoder model's output for a model made of "
        "an encoder and a decoder model, else the narrowest tensor every path passes "
        "through, or --split LAYER. Or adopt a trained --encoder and --decoder; with "
        "--autoencoder they are checked against it (parts rebuilt with fresh weights are "
        "refused). Only built-in Keras layers are accepted; nothing in a file is executed.")
    sub.add_argument("autoencoder_file", type=Path, nargs="?", metavar="AUTOENCODER",
                     help="the trained autoencoder: .keras or .h5")
    sub.add_argument("--out", type=Path, required=True, metavar="MODEL",
                     help="model file to write, ending in .sigae")
    sub.add_argument("--split", metavar="LAYER",
                     help="the layer whose output is the code (default: found automatically)")
    sub.add_argument("--encoder", type=Path, metavar="E", help="a trained encoder file")
    sub.add_argument("--decoder", type=Path, metavar="D", help="a trained decoder file")
    sub.add_argument("--autoencoder", type=Path, metavar="A",
                     help="with --encoder/--decoder: the autoencoder they must reproduce")
    sub.add_argument("--mean", type=numbers, metavar="M",
                     help="the mean the training data was normalized with: one number, or "
                     "one per channel separated by commas (default: none)")
    sub.add_argument("--std", type=numbers, metavar="S",
                     help="the standard deviation that went with --mean")
    sub.add_argument("--data", type=Path, metavar="DATA",
                     help=f"signals to measure the model on: the comparison with PCA and the "
                     f"code density and error quantiles the study commands use; {DATA_HELP}")
    add_data_options(sub)
