"""`sigae latent stats|project|probe|traverse|interpolate|neighbors`: studying the code space.

Each writes its arrays (codes keep `source_row` / `source_start`) and a PNG figure to
`--out DIR`.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    Parser,
    add_batch_size,
    add_data_options,
    add_label_options,
    add_model,
    at_least_two,
    command,
    load_model_data,
    name_columns,
    non_negative_int,
    positive_float,
    positive_int,
    save_npz,
)
from sigae.errors import DataError


def stats(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.io.write import write_array, write_table
    from sigae.study import latent
    from sigae.study.plotting import plot_latent_stats, save_figure

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
    print(f"{len(codes)} codes of {len(dims)} dimensions; most variance in "
          + ", ".join(f"z{i} ({100 * result.share[i]:.1f}%)" for i in top)
          + f"; inactive: {', '.join(f'z{i}' for i in result.inactive) or 'none'}")
    print(f"wrote codes.csv, stats.csv, correlation.csv, stats.png to {out}")
    return 0


def project(args: argparse.Namespace) -> int:
    from sigae.core.outputs import output_directory
    from sigae.io.write import write_table
    from sigae.study import latent
    from sigae.study.plotting import plot_projection, save_figure

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
    print(f"projected {len(codes)} codes with {args.method}; wrote projection.csv and "
          f"projection.png to {out}")
    return 0


def traverse(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.model import load
    from sigae.study import latent
    from sigae.study.plotting import plot_traversal, save_figure

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
    print(f"traversed dimensions {', '.join(map(str, dims))} around {what}, +/- {args.span} "
          f"std in {args.steps} steps; wrote traversal.npz and traversal.png to {out}")
    return 0


def interpolate(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.study import latent
    from sigae.study.plotting import plot_interpolation, save_figure

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
    print(f"{args.method} path from signal {args.start} to {args.end} in {args.steps} steps; "
          f"wrote interpolation.npz and interpolation.png to {out}")
    return 0


def neighbors(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.core.outputs import output_directory
    from sigae.io.write import write_table
    from sigae.study import latent
    from sigae.study.plotting import plot_neighbors, save_figure

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
    print(f"nearest to signal {args.index}: "
          + ", ".join(f"{i} ({d:.3g})" for i, d in zip(indices, distances, strict=True)))
    print(f"wrote neighbors.csv and neighbors.png to {out}")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def probe(args: argparse.Namespace) -> int:
    import json

    from sigae.core.outputs import atomic_path, output_directory
    from sigae.study.probe import probe as probe_codes

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
    with atomic_path(out / "probe.json") as temporary:
        temporary.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    print("\n".join(result.lines()))
    print(f"wrote probe.json to {out}")
    return 0


def _model_and_data(args: argparse.Namespace) -> tuple[Any, Any]:
    from sigae.model import load

    model = load(args.model)
    return model, load_model_data(args, model)


def _check_index(index: int, signals: Any, flag: str) -> None:
    if not 0 <= index < len(signals):
        raise DataError(f"{flag} {index} is out of range: {signals.source} holds "
                        f"{len(signals)} signals (0..{len(signals) - 1}).")


def read_labels(path: Path | None, column: str | None, signals: Any) -> tuple[Any, str]:
    """One label per signal: a column of a CSV with a header (`column`, or the first one),
    a 1-D `.npy` array (named after the file), or the labels of a `.ts` / `.arff` file.

    Labels may also be one per recording when the signals are windows of recordings: each
    window then takes its recording's label (through `signals.row`).
    """
    import numpy as np

    if path is None:
        return None, "label"
    values, name = _label_values(path, column)
    n = len(signals)
    if len(values) == n:
        return values, name
    rows = np.asarray(signals.row)
    if len(rows) and len(np.unique(rows)) < n and len(values) > rows.max():
        return values[rows], name  # one per recording, given to each of its windows
    if path.suffix.lower() == ".npy":
        raise DataError(f"{path}: holds labels of shape {values.shape}; give one label per "
                        f"signal, shape ({n},).")
    raise DataError(f"{path}: has {len(values)} label rows but the data has {n} signals; "
                    "give one row per signal, in order.")


def _label_values(path: Path, column: str | None) -> tuple[Any, str]:
    """The labels a file holds, and their name."""
    import numpy as np

    if path.suffix.lower() in (".ts", ".arff"):
        from sigae.io.archive import read_collection

        labels = read_collection(path).labels
        if labels is None:
            raise DataError(f"{path}: holds no labels (no @classLabel or @targetLabel).")
        return labels, "class"
    if path.suffix.lower() == ".npy":
        try:
            values = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: cannot read the labels ({error}).") from None
        if values.ndim != 1:
            raise DataError(f"{path}: holds labels of shape {values.shape}; give a 1-D array, "
                            "one label per signal.")
        return values, path.stem
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
    position = header.index(name)
    try:
        values = [row[position].strip() for row in rows]
    except IndexError:
        raise DataError(f"{path}: a row has no value in column {name!r}.") from None
    try:
        return np.asarray(values, dtype="float64"), name
    except ValueError:
        return np.asarray(values), name


def _dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, received "
                                         f"{text!r}") from None
    if not dims or min(dims) < 0:
        raise argparse.ArgumentTypeError(f"expected dimensions >= 0, received {text!r}")
    return dims


def register(commands: Any) -> None:
    group = commands.add_parser(
        "latent", help="Study the code space: stats, project, probe, traverse, interpolate, "
        "neighbors.",
        description="Study the code space of a trained model. Each command writes its "
        "arrays (with the source index) and a PNG figure to --out DIR.")
    studies = group.add_subparsers(dest="study", metavar="STUDY", parser_class=Parser,
                                   required=True)

    def study(name: str, handler: Any, help_text: str, *, data: bool = True
              ) -> argparse.ArgumentParser:
        sub = command(studies, name, handler, help_text)
        add_model(sub)
        if data:
            sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
        sub.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help="directory for the results (created if missing)")
        add_data_options(sub)
        add_batch_size(sub)
        return sub

    study("stats", stats, "Per-dimension mean, std, min, max, share of variance, inactive "
          "dimensions and the correlation matrix of the codes of DATA.")
    sub = study("project", project, "Scatter of the codes of DATA in 2-D.")
    sub.add_argument("--method", choices=["pca", "umap"], default="pca",
                     help="pca (default) or umap (needs pip install 'sigae[umap]')")
    add_label_options(sub, use="colour the points by ")
    sub.add_argument("--seed", type=int, default=0, help="seed of UMAP's layout")
    sub = study("probe", probe, "How well the codes of DATA separate its classes: an RBF "
                "SVM (the protocol of unsupervised representation papers), 1-NN and k-means, "
                "beside PCA codes of the same size.")
    add_label_options(sub, required=True)
    sub.add_argument("--test", type=Path, metavar="DATA",
                     help="test signals (read like DATA); default: a stratified 30%% of DATA")
    sub.add_argument("--test-labels", type=Path, metavar="FILE",
                     help="one label per signal of --test, like --labels")
    sub.add_argument("--seed", type=int, default=0,
                     help="seed of the held-out share, the SVM's sample and k-means")
    sub = study("traverse", traverse, "Decode a base code with one dimension at a time moved "
                "across +/- SPAN standard deviations.", data=False)
    sub.add_argument("data", type=Path, nargs="?", metavar="DATA",
                     help="signals; the base is the code of signal --index (default: the "
                     "mean training code)")
    sub.add_argument("--index", type=non_negative_int, default=0,
                     help="signal of DATA whose code is the base (default: 0)")
    sub.add_argument("--dims", type=_dims, metavar="D,D,...",
                     help="dimensions to move (default: the 4 of largest variance)")
    sub.add_argument("--steps", type=at_least_two, default=7,
                     help="codes per dimension (default: 7)")
    sub.add_argument("--span", type=positive_float, default=2.0,
                     help="standard deviations each way (default: 2)")
    sub = study("interpolate", interpolate, "Decode the path in code space between two "
                "signals of DATA.")
    sub.add_argument("--from", dest="start", type=non_negative_int, required=True,
                     metavar="I", help="index of the first signal")
    sub.add_argument("--to", dest="end", type=non_negative_int, required=True, metavar="J",
                     help="index of the last signal")
    sub.add_argument("--steps", type=at_least_two, default=8,
                     help="codes on the path, ends included (default: 8)")
    sub.add_argument("--method", choices=["linear", "slerp"], default="linear")
    sub = study("neighbors", neighbors, "The signals of DATA nearest to one of them in code "
                "space.")
    sub.add_argument("--index", type=non_negative_int, required=True, help="the query signal")
    sub.add_argument("-k", type=positive_int, default=5, help="neighbours to find (default: 5)")
