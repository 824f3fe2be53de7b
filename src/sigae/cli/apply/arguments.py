"""The options of `sigae encode`, `decode` and `reconstruct`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigae.cli.apply.handlers import apply
from sigae.cli.options import (
    DATA_HELP,
    OUT_HELP,
    add_batch_size,
    add_data_options,
    add_model,
    add_scheduler,
    command,
)


def register(commands: Any) -> None:
    for name, help_text in (
        ("encode", "Encode signals to codes of shape (n, latent_dim)."),
        ("reconstruct", "Reconstruct signals with the autoencoder view."),
    ):
        sub = command(commands, name, apply, help_text)
        add_model(sub)
        sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
        sub.add_argument("--out", type=Path, required=True, help=OUT_HELP)
        add_data_options(sub)
        add_batch_size(sub)
        add_scheduler(sub)

    sub = command(commands, "decode", apply, "Decode codes to signals in the training data's "
                  "units.")
    add_model(sub)
    sub.add_argument("codes", type=Path, metavar="CODES",
                     help="codes of shape (n, latent_dim), in any DATA format, e.g. the output "
                     "of encode")
    sub.add_argument("--out", type=Path, required=True, help=OUT_HELP)
    add_data_options(sub, windows=False)
    add_batch_size(sub)
