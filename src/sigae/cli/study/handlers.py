"""What `sigae generate`, `score` and `report` do: each handler returns its command's `Outcome`."""

from __future__ import annotations

import argparse

from sigae.cli.options import load_model_data, name_columns, run_distributed
from sigae.cli.printer import Outcome

# A report embeds about ten PNG figures.
REPORT_BYTES = 10 * 2**20


def generate(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import check_output_file
    from sigae.io.write import OUTPUT_EXTENSIONS, estimated_bytes, write_array, write_table
    from sigae.model import load
    from sigae.study import latent
    from sigae.study.plotting import plot_generated, save_figure

    lines: list[str] = []
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
    lines.append(f"generated {args.n} signals from the {args.sampler} density -> {args.out}; "
                 f"{int(result.outside.sum())} of them have codes outside the training codes "
                 "(log-density below their 1st percentile)")
    return Outcome(lines)


def score(args: argparse.Namespace) -> Outcome:
    import numpy as np

    from sigae.core.outputs import check_output_file, check_writable
    from sigae.io.write import write_table
    from sigae.model import load
    from sigae.study import latent
    from sigae.study.plotting import plot_errors, save_figure

    lines: list[str] = []
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
    lines.append(f"{int(result.is_anomaly.sum())} of {len(result.mse)} signals are anomalies: "
                 f"MSE above {result.threshold:.4g} ({origin}); median MSE "
                 f"{np.median(result.mse):.4g}, max {result.mse.max():.4g} (normalized units)")
    lines.append(f"wrote {args.out}")
    if model.learned is not None:
        lines += [f"WARNING: the model was {caveat}" for caveat in model.learned.caveats]
    if args.plot is not None:
        save_figure(plot_errors(result.mse, result.threshold), args.plot)
    return Outcome(lines)


def report(args: argparse.Namespace) -> Outcome:
    from sigae.cli.labels import read_labels
    from sigae.core.outputs import check_output_file
    from sigae.data.checks import check_signals
    from sigae.io.arrays import subset
    from sigae.model import load
    from sigae.study.report import write_report

    lines: list[str] = []
    check_output_file(args.out, (".html",), inputs=[args.model, args.data],
                      needed_bytes=REPORT_BYTES)
    model = load(args.model)
    signals = load_model_data(args, model)
    checked = check_signals(signals, model.config)  # padded signals keep their mask
    x = subset(checked, 0, min(args.max_signals, len(checked)))
    labels, label_name = read_labels(args.labels, args.color_by, signals)
    if labels is not None:
        labels = labels[: len(x)]
    traded = None
    if args.frontier:
        import numpy as np

        from sigae.errors import DataError
        from sigae.study.frontier import frontier

        if labels is None:
            raise DataError("--frontier measures the codes with labels; give --labels too.")
        traded = frontier(model.config, np.asarray(x[:]), labels, seed=0)
    units = None
    if args.factors is not None:
        from sigae.cli.labels import read_factors
        from sigae.study.factors import factors

        values, names = read_factors(args.factors, args.factor_names, len(signals))
        units = factors(model, x, values[: len(x)], names=names, circular=args.circular)
    write_report(model, x, args.out, title=f"sigae report: {args.model.name} on "
                 f"{signals.source}", labels=labels, label_name=label_name, frontier=traded,
                 factors=units)
    lines.append(f"wrote {args.out} ({len(x)} signals of {signals.source})")
    return Outcome(lines)
