"""`sigae generate`, `score` and `report`: the trained decoder and the errors, put to use."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    OUT_HELP,
    add_batch_size,
    add_data_options,
    add_label_options,
    add_model,
    add_scheduler,
    command,
    load_model_data,
    name_columns,
    non_negative_float,
    number,
    positive_int,
    run_distributed,
)

# A report embeds about ten PNG figures.
REPORT_BYTES = 10 * 2**20


def generate(args: argparse.Namespace) -> int:
    from sigae.core.outputs import check_output_file
    from sigae.io.write import OUTPUT_EXTENSIONS, estimated_bytes, write_array, write_table
    from sigae.model import load
    from sigae.study import latent
    from sigae.study.plotting import plot_generated, save_figure

    model = load(args.model)
    check_output_file(args.out, OUTPUT_EXTENSIONS, inputs=[args.model], needed_bytes=
                      estimated_bytes(args.out, (args.n, model.config.length,
                                                 model.config.channels)))
    result = latent.generate(model, args.n, sampler=args.sampler, seed=args.seed)
    write_array(args.out, result.signals, name="signals", source=str(args.model))
    if args.codes is not None:
        columns = {f"z{i}": result.codes[:, i] for i in range(result.codes.shape[1])}
        write_table(args.codes, {**columns, "log_density": result.log_density,
                                 "outside": result.outside})
    if args.plot is not None:
        save_figure(plot_generated(result.signals, result.outside, sampler=args.sampler),
                    args.plot)
    print(f"generated {args.n} signals from the {args.sampler} density -> {args.out}; "
          f"{int(result.outside.sum())} of them have codes outside the training codes "
          "(log-density below their 1st percentile)")
    return 0


def score(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.core.outputs import check_output_file, check_writable
    from sigae.io.write import write_table
    from sigae.model import load
    from sigae.study import latent
    from sigae.study.plotting import plot_errors, save_figure

    if args.scheduler:
        return run_distributed(args, "score", args.data)
    check_output_file(args.out, (".csv",), inputs=[args.model, args.data])
    model = load(args.model)
    signals = load_model_data(args, model)
    check_writable(args.out, 64 * len(signals))
    result = latent.score(model, signals, threshold=args.threshold,
                          percentile=args.percentile, batch_size=args.batch_size)
    write_table(args.out, {"source_row": signals.row, "source_start": signals.start,
                           **name_columns(signals),
                           "mse": result.mse, "mae": result.mae,
                           "is_anomaly": result.is_anomaly})
    calibration = model.calibration
    origin = ("given" if args.threshold is not None or calibration is None
              else f"the {args.percentile:g}th percentile of the errors of the "
              f"{calibration.n_signals} {calibration.errors_from} signals")
    print(f"{int(result.is_anomaly.sum())} of {len(result.mse)} signals are anomalies: MSE "
          f"above {result.threshold:.4g} ({origin}); median MSE {np.median(result.mse):.4g}, "
          f"max {result.mse.max():.4g} (normalized units)")
    print(f"wrote {args.out}")
    if args.plot is not None:
        save_figure(plot_errors(result.mse, result.threshold), args.plot)
    return 0


def report(args: argparse.Namespace) -> int:
    from sigae.cli.latent import read_labels
    from sigae.core.outputs import check_output_file
    from sigae.data.checks import check_signals
    from sigae.io.arrays import subset
    from sigae.model import load
    from sigae.study.report import write_report

    check_output_file(args.out, (".html",), inputs=[args.model, args.data],
                      needed_bytes=REPORT_BYTES)
    model = load(args.model)
    signals = load_model_data(args, model)
    checked = check_signals(signals, model.config)  # padded signals keep their mask
    x = subset(checked, 0, min(args.max_signals, len(checked)))
    labels, label_name = read_labels(args.labels, args.color_by, signals)
    write_report(model, x, args.out, title=f"sigae report: {args.model.name} on "
                 f"{signals.source}", labels=None if labels is None else labels[: len(x)],
                 label_name=label_name)
    print(f"wrote {args.out} ({len(x)} signals of {signals.source})")
    return 0


def register(commands: Any) -> None:
    def study_command(name: str, handler: Any, help_text: str, description: str, *,
                      data: bool = True) -> argparse.ArgumentParser:
        sub = command(commands, name, handler, help_text, description)
        add_model(sub)
        if data:
            sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
            add_data_options(sub)
        return sub

    sub = study_command(
        "generate", generate, "Decode codes sampled from the training codes' density.",
        "Sample codes from the density fitted to the training codes (stored in the model by "
        "fit) and decode them. Codes less likely than 99% of the training codes are counted "
        "as outside the training distribution.", data=False)
    sub.add_argument("-n", type=positive_int, required=True, help="number of signals")
    sub.add_argument("--out", type=Path, required=True, help=OUT_HELP)
    sub.add_argument("--sampler", choices=["gaussian", "gmm", "prior"], default="gaussian",
                     help="gaussian (default), gmm (a Gaussian mixture), or prior (N(0, I), "
                     "variational models only)")
    sub.add_argument("--seed", type=int, default=None, help="seed of the sampling")
    sub.add_argument("--codes", type=Path, metavar="FILE.csv",
                     help="also write the codes, their log-density and the outside flag")
    sub.add_argument("--plot", type=Path, metavar="FILE.png", help="plot some samples")

    sub = study_command(
        "score", score, "Anomaly scores: reconstruction error per signal and a threshold.",
        "Per-signal reconstruction MSE and MAE (normalized units) and an is_anomaly flag: MSE "
        "above --threshold, or by default above the --percentile of the validation signals' "
        "errors, stored in the model by fit.")
    sub.add_argument("--out", type=Path, required=True, metavar="SCORES.csv",
                     help="CSV: source_row, source_start, mse, mae, is_anomaly")
    sub.add_argument("--threshold", type=non_negative_float, help="MSE threshold")
    sub.add_argument("--percentile", default=99.0,
                     type=number(float, "in [0, 100]", lambda v: 0 <= v <= 100),
                     help="percentile of the validation errors stored at fit (default: 99)")
    sub.add_argument("--plot", type=Path, metavar="FILE.png",
                     help="histogram of the errors with the threshold")
    add_batch_size(sub)
    add_scheduler(sub)

    sub = study_command(
        "report", report, "One self-contained HTML report of a model on signals.",
        "Write one HTML file (images embedded, no network needed): model, training curves, "
        "reconstructions, errors and threshold, latent statistics, projection and traversals; "
        "with --labels, the projection coloured by them and how well the codes separate them "
        "(sigae latent probe).")
    sub.add_argument("--out", type=Path, required=True, metavar="REPORT.html")
    add_label_options(sub)
    sub.add_argument("--max-signals", type=positive_int, default=5000,
                     help="use the first N signals of DATA (default: 5000)")
