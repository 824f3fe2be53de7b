"""The options of `sigae check`, `info` and `export`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigae.cli.inspect.handlers import check, export, info
from sigae.cli.options import DATA_HELP, add_batch_size, add_data_options, add_model, command


def register(commands: Any) -> None:
    sub = command(commands, "check", check, "Check that the views share one set of weights, "
                  "agree exactly, and survive a save/load round trip. Exit 1 if any check "
                  "fails.")
    add_model(sub)
    sub.add_argument("data", type=Path, nargs="?", metavar="DATA",
                     help=f"{DATA_HELP} (default: seeded random signals)")
    add_data_options(sub)
    add_batch_size(sub)

    sub = command(commands, "info", info, "Show a model's layers, normalization and training "
                  "summary.")
    add_model(sub)

    sub = command(commands, "export", export, "Export the encoder, decoder or autoencoder, "
                  "normalization included, as a plain .keras file (keras.saving.load_model "
                  "opens it without sigae) or an ONNX file (ONNX Runtime; dynamic batch).")
    add_model(sub)
    sub.add_argument("--part", choices=["encoder", "decoder", "autoencoder"], required=True)
    sub.add_argument("--format", choices=["keras", "onnx"],
                     help="keras or onnx (default: from the extension of --out); onnx needs "
                     "pip install 'sigae[onnx]'")
    sub.add_argument("--out", type=Path, required=True,
                     help="file to write, ending in .keras or .onnx")
