"""The options of `sigae explore`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigae.cli.explore.handlers import explore
from sigae.cli.options import (
    DATA_HELP,
    add_data_options,
    add_factor_options,
    add_label_options,
    add_model,
    command,
    number,
)


def register(commands: Any) -> None:
    sub = command(
        commands, "explore", explore,
        "Explore the code space on a local page: sliders, map, interpolation, generation.",
        "Start a local web server and open its page: one slider per latent dimension redraws "
        "the decoded signal as it moves; with DATA, a map of the codes (click a point to see "
        "its signal and reconstruction), nearest neighbours and interpolation between two "
        "signals; samples from the stored density; export of the code and decoded signal. "
        "Binds 127.0.0.1 and requires the token in the printed URL.")
    add_model(sub)
    sub.add_argument("data", type=Path, nargs="?", metavar="DATA", help=DATA_HELP)
    add_data_options(sub)
    add_label_options(sub, use="colour the map (default: by anomaly score) by ")
    add_factor_options(sub, required=False)
    sub.add_argument("--projection", choices=["auto", "pca", "umap"], default="auto",
                     help="the map: PCA of the codes, or UMAP (auto: UMAP when installed and "
                     "at most 20,000 signals, else PCA)")
    sub.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default: 127.0.0.1, this machine only)")
    sub.add_argument("--port", type=number(int, "in 0..65535", lambda v: 0 <= v <= 65535),
                     default=8765, help="port (default: 8765; 0 picks a free one)")
    sub.add_argument("--no-browser", action="store_true",
                     help="print the URL without opening a browser")
