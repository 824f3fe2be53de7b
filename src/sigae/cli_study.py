"""The command line's study commands: `latent ...`, `generate`, `score` and `report`.

Handlers only: the arguments are defined in `sigae.cli`, which imports this module when
one of these commands runs. Like `sigae.cli`, this is an edge: it prints and writes.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from sigae import latent
from sigae.errors import DataError, SigaeError
from sigae.io import Signals, load_signals
from sigae.io.write import write_array, write_table
from sigae.model import SignalAutoencoder, check_signals
from sigae.plotting import (
    plot_errors,
    plot_generated,
    plot_interpolation,
    plot_latent_stats,
    plot_neighbors,
    plot_projection,
    plot_traversal,
    save_figure,
)
from sigae.saving import load


def latent_stats(args: argparse.Namespace) -> int:
    model, signals = _model_and_data(args)
    out = _out_dir(args.out)
    codes = model.encode(signals.data, batch_size=args.batch_size)
    result = latent.stats(codes)
    write_array(out / "codes.csv", codes, name="codes", index=(signals.row, signals.start))
    dims = np.arange(len(result.share))
    write_table(out / "stats.csv", {
        "dimension": dims, "mean": result.mean, "std": result.std, "min": result.minimum,
        "max": result.maximum, "share_of_variance": result.share,
        "inactive": np.isin(dims, result.inactive),
    })
    write_table(out / "correlation.csv", {f"z{i}": result.correlation[:, i] for i in dims})
    save_figure(plot_latent_stats(result), out / "stats.png")
    top = np.argsort(result.share)[::-1][:3]
    print(f"{len(codes)} codes of {len(dims)} dimensions; most variance in "
          + ", ".join(f"z{i} ({100 * result.share[i]:.1f}%)" for i in top)
          + f"; inactive: {', '.join(f'z{i}' for i in result.inactive) or 'none'}")
    print(f"wrote codes.csv, stats.csv, correlation.csv, stats.png to {out}")
    return 0


def latent_project(args: argparse.Namespace) -> int:
    model, signals = _model_and_data(args)
    out = _out_dir(args.out)
    labels, label_name = _labels(args.labels, args.color_by, len(signals))
    codes = model.encode(signals.data, batch_size=args.batch_size)
    points, explained = latent.project(codes, args.method, seed=args.seed)
    columns: dict[str, Any] = {"source_row": signals.row, "source_start": signals.start,
                               "x": points[:, 0], "y": points[:, 1]}
    if labels is not None:
        columns[label_name] = labels
    write_table(out / "projection.csv", columns)
    save_figure(plot_projection(points, labels=labels, label_name=label_name,
                                method=args.method, explained=explained),
                out / "projection.png")
    print(f"projected {len(codes)} codes with {args.method}; wrote projection.csv and "
          f"projection.png to {out}")
    return 0


def latent_traverse(args: argparse.Namespace) -> int:
    model = load(args.model)
    out = _out_dir(args.out)
    calibration = latent.require_calibration(model, "traverse")
    if args.data is not None:
        signals = _data(args, model)
        _check_index(args.index, signals, "--index")
        base = model.encode(signals.data[args.index : args.index + 1])[0]
        what = f"signal {args.index}'s code"
    else:
        base, what = calibration.gaussian.means[0], "the mean training code"
    variance = np.diag(calibration.gaussian.covariances[0])
    dims = args.dims if args.dims is not None else list(np.argsort(variance)[::-1][:4])
    codes, decoded = latent.traverse(model, base, [int(d) for d in dims], steps=args.steps,
                                     span=args.span)
    offsets = np.linspace(-args.span, args.span, args.steps)
    _save_npz(out / "traversal.npz", codes=codes, signals=decoded, offsets=offsets,
              dims=np.asarray(dims))
    save_figure(plot_traversal(decoded, [int(d) for d in dims], offsets),
                out / "traversal.png")
    print(f"traversed dimensions {', '.join(map(str, dims))} around {what}, +/- {args.span} "
          f"std in {args.steps} steps; wrote traversal.npz and traversal.png to {out}")
    return 0


def latent_interpolate(args: argparse.Namespace) -> int:
    model, signals = _model_and_data(args)
    out = _out_dir(args.out)
    for index, flag in ((args.start, "--from"), (args.end, "--to")):
        _check_index(index, signals, flag)
    ends = np.concatenate([signals.data[i : i + 1] for i in (args.start, args.end)])
    codes = model.encode(ends)
    path, decoded = latent.interpolate(model, codes[0], codes[1], steps=args.steps,
                                       method=args.method)
    _save_npz(out / "interpolation.npz", codes=path, signals=decoded)
    save_figure(plot_interpolation(decoded, ends[0], ends[1], method=args.method),
                out / "interpolation.png")
    print(f"{args.method} path from signal {args.start} to {args.end} in {args.steps} steps; "
          f"wrote interpolation.npz and interpolation.png to {out}")
    return 0


def latent_neighbors(args: argparse.Namespace) -> int:
    model, signals = _model_and_data(args)
    out = _out_dir(args.out)
    _check_index(args.index, signals, "--index")
    codes = model.encode(signals.data, batch_size=args.batch_size)
    indices, distances = latent.neighbors(codes, args.index, args.k)
    write_table(out / "neighbors.csv", {
        "rank": np.arange(1, len(indices) + 1), "index": indices,
        "source_row": signals.row[indices], "source_start": signals.start[indices],
        "distance": distances,
    })
    found = np.concatenate([signals.data[i : i + 1] for i in indices])
    save_figure(plot_neighbors(signals.data[args.index : args.index + 1][0], found, distances,
                               index=args.index, indices=indices), out / "neighbors.png")
    print(f"nearest to signal {args.index}: "
          + ", ".join(f"{i} ({d:.3g})" for i, d in zip(indices, distances, strict=True)))
    print(f"wrote neighbors.csv and neighbors.png to {out}")
    return 0


def generate(args: argparse.Namespace) -> int:
    from sigae.cli import _check_output
    from sigae.io.write import OUTPUT_EXTENSIONS

    _check_output(args.out, OUTPUT_EXTENSIONS, inputs=[args.model])
    model = load(args.model)
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
    from sigae.cli import _check_output

    _check_output(args.out, (".csv",), inputs=[args.model, args.data])
    model, signals = _model_and_data(args)
    result = latent.score(model, signals.data, threshold=args.threshold,
                          percentile=args.percentile, batch_size=args.batch_size)
    write_table(args.out, {"source_row": signals.row, "source_start": signals.start,
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
    from sigae.cli import _check_output
    from sigae.html_report import write_report

    _check_output(args.out, (".html",), inputs=[args.model, args.data])
    model, signals = _model_and_data(args)
    x = np.asarray(signals.data[: args.max_signals])
    write_report(model, x, args.out, title=f"sigae report: {args.model.name} on "
                 f"{signals.source}")
    print(f"wrote {args.out} ({len(x)} signals of {signals.source})")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def _model_and_data(args: argparse.Namespace) -> tuple[SignalAutoencoder, Signals]:
    model = load(args.model)
    return model, _data(args, model)


def _data(args: argparse.Namespace, model: SignalAutoencoder) -> Signals:
    signals = load_signals(args.data, key=args.key, layout=args.layout, window=args.window,
                           hop=args.hop, length=model.config.length)
    check_signals(signals, model.config)
    return signals


def _out_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise SigaeError(f"{path}: exists and is not a directory; give a directory for --out.")
    if not path.parent.is_dir():
        raise SigaeError(f"{path}: the directory {path.parent} does not exist; create it first.")
    path.mkdir(exist_ok=True)
    return path


def _check_index(index: int, signals: Signals, flag: str) -> None:
    if not 0 <= index < len(signals):
        raise DataError(f"{flag} {index} is out of range: {signals.source} holds "
                        f"{len(signals)} signals (0..{len(signals) - 1}).")


def _labels(path: Path | None, column: str | None, n: int) -> tuple[np.ndarray | None, str]:
    """One label per signal from a CSV with a header: `column`, or the first one."""
    if path is None:
        return None, "label"
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the labels ({error}).") from None
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header line and one row per signal.")
    header, rows = [h.strip() for h in rows[0]], [r for r in rows[1:] if r]
    name = column or header[0]
    if name not in header:
        raise DataError(f"{path}: has no column {name!r}; it has {', '.join(header)}. "
                        "Choose one with --color-by.")
    if len(rows) != n:
        raise DataError(f"{path}: has {len(rows)} label rows but the data has {n} signals; "
                        "give one row per signal, in order.")
    position = header.index(name)
    try:
        values = [row[position].strip() for row in rows]
    except IndexError:
        raise DataError(f"{path}: a row has no value in column {name!r}.") from None
    try:
        return np.asarray(values, dtype="float64"), name
    except ValueError:
        return np.asarray(values), name


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    from sigae._atomic import atomic_path

    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, **arrays)
