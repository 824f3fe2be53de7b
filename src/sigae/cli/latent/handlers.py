"""What `sigae latent ...` do: each handler returns its command's `Outcome`."""

from __future__ import annotations

import argparse
from typing import Any

from sigae.cli.labels import read_labels
from sigae.cli.options import load_data, load_model_data, name_columns, save_npz
from sigae.cli.printer import Outcome, note
from sigae.errors import DataError


def stats(args: argparse.Namespace) -> Outcome:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.io.write import write_array, write_table
    from sigae.study import latent
    from sigae.study.plotting import plot_latent_stats, save_figure

    lines: list[str] = []
    model, signals = _model_and_data(args)
    out = output_directory(args.out)
    codes = model.encode(signals.data, batch_size=args.batch_size)
    result = latent.stats(codes)
    write_array(out / "codes.csv", codes, name="codes", index=(signals.row, signals.start),
                names=signals.row_names)
    dims = np.arange(len(result.share))
    write_table(out / "stats.csv", {
        "dimension": dims, "mean": result.mean, "std": result.std, "min": result.minimum,
        "max": result.maximum, "share_of_variance": result.share,
        "inactive": np.isin(dims, result.inactive),
    })
    write_table(out / "correlation.csv", {f"z{i}": result.correlation[:, i] for i in dims})
    save_figure(plot_latent_stats(result), out / "stats.png")
    top = np.argsort(result.share)[::-1][:3]
    lines.append(f"{len(codes)} codes of {len(dims)} dimensions; most variance in "
                 + ", ".join(f"z{i} ({100 * result.share[i]:.1f}%)" for i in top)
                 + f"; inactive: {', '.join(f'z{i}' for i in result.inactive) or 'none'}")
    lines.append(f"wrote codes.csv, stats.csv, correlation.csv, stats.png to {out}")
    return Outcome(lines)


def project(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import output_directory
    from sigae.io.write import write_table
    from sigae.study import latent
    from sigae.study.plotting import plot_projection, save_figure

    lines: list[str] = []
    model, signals = _model_and_data(args)
    out = output_directory(args.out)
    labels, label_name = read_labels(args.labels, args.color_by, signals)
    codes = model.encode(signals.data, batch_size=args.batch_size)
    points, explained = latent.project(codes, args.method, seed=args.seed)
    columns: dict[str, Any] = {"source_row": signals.row, "source_start": signals.start,
                               **name_columns(signals), "x": points[:, 0], "y": points[:, 1]}
    if labels is not None:
        columns[label_name] = labels
    write_table(out / "projection.csv", columns)
    save_figure(plot_projection(points, labels=labels, label_name=label_name,
                                method=args.method, explained=explained),
                out / "projection.png")
    lines.append(f"projected {len(codes)} codes with {args.method}; wrote projection.csv and "
                 f"projection.png to {out}")
    return Outcome(lines)


def traverse(args: argparse.Namespace) -> Outcome:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.model import load
    from sigae.study import latent
    from sigae.study.plotting import plot_traversal, save_figure

    lines: list[str] = []
    model = load(args.model)
    out = output_directory(args.out)
    calibration = latent.require_calibration(model, "traverse")
    if args.data is not None:
        signals = load_model_data(args, model)
        _check_index(args.index, signals, "--index")
        base = model.encode(signals.data[args.index : args.index + 1])[0]
        what = f"signal {args.index}'s code"
    else:
        base, what = calibration.gaussian.means[0], "the mean training code"
    variance = np.diag(calibration.gaussian.covariances[0])
    dims = args.dims if args.dims is not None else [int(d) for d in
                                                      np.argsort(variance)[::-1][:4]]
    codes, decoded = latent.traverse(model, base, dims, steps=args.steps, span=args.span)
    offsets = np.linspace(-args.span, args.span, args.steps)
    save_npz(out / "traversal.npz", codes=codes, signals=decoded, offsets=offsets,
             dims=np.asarray(dims))
    save_figure(plot_traversal(decoded, dims, offsets), out / "traversal.png")
    lines.append(f"traversed dimensions {', '.join(map(str, dims))} around {what}, +/- {args.span} "
                 f"std in {args.steps} steps; wrote traversal.npz and traversal.png to {out}")
    return Outcome(lines)


def interpolate(args: argparse.Namespace) -> Outcome:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.study import latent
    from sigae.study.plotting import plot_interpolation, save_figure

    lines: list[str] = []
    model, signals = _model_and_data(args)
    out = output_directory(args.out)
    for index, flag in ((args.start, "--from"), (args.end, "--to")):
        _check_index(index, signals, flag)
    ends = np.concatenate([signals.data[i : i + 1] for i in (args.start, args.end)])
    codes = model.encode(ends)
    path, decoded = latent.interpolate(model, codes[0], codes[1], steps=args.steps,
                                       method=args.method)
    save_npz(out / "interpolation.npz", codes=path, signals=decoded)
    save_figure(plot_interpolation(decoded, ends[0], ends[1], method=args.method),
                out / "interpolation.png")
    lines.append(f"{args.method} path from signal {args.start} to {args.end} in {args.steps} "
                 f"steps; wrote interpolation.npz and interpolation.png to {out}")
    return Outcome(lines)


def neighbors(args: argparse.Namespace) -> Outcome:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.io.write import write_table
    from sigae.study import latent
    from sigae.study.plotting import plot_neighbors, save_figure

    lines: list[str] = []
    model, signals = _model_and_data(args)
    out = output_directory(args.out)
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
    lines.append(f"nearest to signal {args.index}: "
                 + ", ".join(f"{i} ({d:.3g})" for i, d in zip(indices, distances, strict=True)))
    lines.append(f"wrote neighbors.csv and neighbors.png to {out}")
    return Outcome(lines)


def probe(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import output_directory
    from sigae.study.probe import probe as probe_codes

    lines: list[str] = []
    model, signals = _model_and_data(args)
    labels, _ = read_labels(args.labels, args.color_by, signals)
    test = test_labels = None
    if (args.test is None) != (args.test_labels is None):
        raise DataError("--test and --test-labels go together: give both, or neither to "
                        "hold out a share of DATA.")
    if args.test is not None:
        test = load_model_data(args, model, args.test)
        test_labels, _ = read_labels(args.test_labels, args.color_by, test)
    out = output_directory(args.out)
    result = probe_codes(model, signals.data, labels,
                         test=None if test is None else test.data, test_labels=test_labels,
                         seed=args.seed, batch_size=args.batch_size)
    written = {**result.to_dict()}
    lines += result.lines()
    if args.frontier:
        from sigae.study.frontier import frontier
        from sigae.study.plotting import plot_frontier, save_figure

        traded = frontier(model.config, signals.data, labels,
                          test=None if test is None else test.data, test_labels=test_labels,
                          seed=args.seed)
        written["frontier"] = traded.to_dict()
        save_figure(plot_frontier(traded), out / "frontier.png")
        lines += traded.lines()
    _write_json(out / "probe.json", written)
    lines.append(f"wrote probe.json{' and frontier.png' if args.frontier else ''} to {out}")
    return Outcome(lines)


def factors(args: argparse.Namespace) -> Outcome:
    from sigae.cli.labels import read_factors
    from sigae.core.outputs import output_directory
    from sigae.study.factors import factors as read_units
    from sigae.study.plotting import plot_factors, save_figure

    model, signals = _model_and_data(args)
    values, names = read_factors(args.factors, args.factor_names, len(signals))
    out = output_directory(args.out)
    result = read_units(model, signals.data, values, names=names, circular=args.circular,
                        seed=args.seed, batch_size=args.batch_size)
    _write_json(out / "factors.json", result.to_dict())
    save_figure(plot_factors(result), out / "factors.png")
    return Outcome([*result.lines(), f"wrote factors.json and factors.png to {out}"])


def size(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import output_directory
    from sigae.study.plotting import plot_size, save_figure
    from sigae.study.size import size as sizes

    signals = load_data(args, args.data)
    out = output_directory(args.out)
    note(f"training the default design at {len(args.dims)} sizes on {len(signals)} signals")
    result = sizes(signals.data, args.dims, margin=args.margin, epochs=args.epochs,
                   seed=args.seed,
                   on_size=lambda d, e, p, s: note(f"  size {d}: validation NMSE {e:.4f} "
                                                   f"(PCA {p:.4f}), {s:.0f} s"))
    _write_json(out / "size.json", result.to_dict())
    save_figure(plot_size(result), out / "size.png")
    return Outcome([*result.lines(), f"wrote size.json and size.png to {out}"])


def _write_json(path: Any, data: Any) -> None:
    import json

    from sigae.core.outputs import atomic_path

    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _model_and_data(args: argparse.Namespace) -> tuple[Any, Any]:
    from sigae.model import load

    model = load(args.model)
    return model, load_model_data(args, model)


def _check_index(index: int, signals: Any, flag: str) -> None:
    if not 0 <= index < len(signals):
        raise DataError(f"{flag} {index} is out of range: {signals.source} holds "
                        f"{len(signals)} signals (0..{len(signals) - 1}).")
