"""`sigae check`, `info` and `export`: looking at a model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    EXIT_FAILED_CHECK,
    add_batch_size,
    add_data_options,
    add_model,
    blame,
    command,
    load_data,
)


def check(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.consistency import check_consistency, probe_signals
    from sigae.model import load

    model = load(args.model)
    if args.data is not None:
        x = np.asarray(load_data(args, args.data, length=model.config.length))
        source = str(args.data)
    else:
        x = probe_signals(model)
        source = "64 seeded random signals at the training data's scale"
    with blame(args.data or args.model):
        report = check_consistency(model, x, batch_size=args.batch_size)

    def verdict(ok: bool) -> str:
        return "ok  " if ok else "FAIL"

    print(f"checking {args.model} on {source}")
    print(f"{verdict(report.shared_weights)} encoder and decoder weights are the autoencoder's "
          "own variables")
    print(f"{verdict(report.views_max_abs_difference == 0.0)} max |decoder(encoder(x)) - "
          f"autoencoder(x)| = {report.views_max_abs_difference:.3g}")
    print(f"{verdict(report.round_trip_weights_equal)} weights bitwise equal after save/load")
    print(f"{verdict(report.round_trip_max_abs_difference == 0.0)} max |output difference| "
          f"after save/load = {report.round_trip_max_abs_difference:.3g}")
    print("passed" if report.passed else "FAILED")
    return 0 if report.passed else EXIT_FAILED_CHECK


def info(args: argparse.Namespace) -> int:
    from sigae.study.summary import describe

    print(describe(args.model))
    return 0


def export(args: argparse.Namespace) -> int:
    from sigae.core.outputs import check_output_file
    from sigae.model import load
    from sigae.saving.export import FORMATS

    form = args.format or ("onnx" if args.out.suffix.lower() == ".onnx" else "keras")
    check_output_file(args.out, (FORMATS[form],), inputs=[args.model])
    model = load(args.model)
    getattr(model, f"export_{args.part}")(args.out, form)
    opener = ("onnxruntime.InferenceSession" if form == "onnx"
              else "keras.saving.load_model")
    print(f"exported the {args.part} to {args.out}; open it with {opener}")
    return 0


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
