"""What `sigae check`, `info` and `export` do: each handler returns its command's `Outcome`."""

from __future__ import annotations

import argparse

from sigae.cli.options import EXIT_FAILED_CHECK, blame, load_data
from sigae.cli.printer import Outcome


def check(args: argparse.Namespace) -> Outcome:
    import numpy as np

    from sigae.consistency import check_consistency, probe_signals
    from sigae.model import load

    lines: list[str] = []
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

    lines = [
        f"checking {args.model} on {source}",
        f"{verdict(report.shared_weights)} encoder and decoder weights are the autoencoder's "
        "own variables",
        f"{verdict(report.views_max_abs_difference == 0.0)} max |decoder(encoder(x)) - "
        f"autoencoder(x)| = {report.views_max_abs_difference:.3g}",
        f"{verdict(report.round_trip_weights_equal)} weights bitwise equal after save/load",
        f"{verdict(report.round_trip_max_abs_difference == 0.0)} max |output difference| "
        f"after save/load = {report.round_trip_max_abs_difference:.3g}",
        "passed" if report.passed else "FAILED",
    ]
    return Outcome(lines, 0 if report.passed else EXIT_FAILED_CHECK)


def info(args: argparse.Namespace) -> Outcome:
    from sigae.study.summary import describe

    return Outcome([describe(args.model)])


def export(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import check_output_file
    from sigae.model import load
    from sigae.saving.export import FORMATS

    lines: list[str] = []
    form = args.format or ("onnx" if args.out.suffix.lower() == ".onnx" else "keras")
    check_output_file(args.out, (FORMATS[form],), inputs=[args.model])
    model = load(args.model)
    getattr(model, f"export_{args.part}")(args.out, form)
    opener = ("onnxruntime.InferenceSession" if form == "onnx"
              else "keras.saving.load_model")
    lines.append(f"exported the {args.part} to {args.out}; open it with {opener}")
    return Outcome(lines)
