"""The `sigae` command line: a thin layer over the library.

Only this module prints or exits. Heavy modules (Keras, the backend, matplotlib) are
imported inside the command that needs them, so `sigae --help` is instant. A `SigaeError`
becomes one line on stderr and exit code 2; a failed `check` exits with 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sigae.errors import DataError, SigaeError

EXIT_FAILED_CHECK = 1
EXIT_BAD_INPUT = 2

_DATA_HELP = ("signals: .npy, .npz, .mat, .csv/.tsv/.txt, .h5, .parquet or .wav; one signal "
              "per row (n, length) or (n, length, channels), see --layout and --window")
_OUT_HELP = ("output file: .npy, .npz, .csv, .parquet or .h5 (by extension); all but .npy "
             "also hold each row's source_row and source_start")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line and returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.handler(args)
    except SigaeError as error:
        message = " ".join(str(error).split())
        print(f"sigae: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("sigae: interrupted; nothing was written.", file=sys.stderr)
        return 130


# -- commands -----------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from sigae.demo import run_demo

    result = run_demo(
        args.out, epochs=_auto(args.epochs), seed=args.seed, verbose=_verbosity(args)
    )
    check = result.check
    print(f"trained the default design for {result.epochs} epochs")
    print(f"best validation loss   {result.best_val_loss:.5f} (MSE, normalized units)")
    print(f"baseline               {result.comparison.summary()}")
    print(f"test MSE               {result.test_mse:.5f} (normalized units, 500 test signals)")
    print(f"consistency check      {'passed' if check.passed else 'FAILED'}: shared weights "
          f"{check.shared_weights}, max |eD - AE| = {check.views_max_abs_difference:.3g}, "
          f"save/load equal {check.round_trip_weights_equal}")
    print(f"model                  {result.model_path}")
    print(f"plots                  {result.loss_plot}, {result.reconstruction_plot}")
    print(f"report                 {result.report}")
    return 0 if check.passed else EXIT_FAILED_CHECK


def _train(args: argparse.Namespace) -> int:
    from sigae.model import SignalAutoencoder

    _check_output(args.out, (".sigae",), inputs=[args.data])
    x = _load(args, args.data)
    _, length, channels = x.shape
    overrides: dict[str, Any] = {"noise_std": args.noise_std}
    if args.latent_dim is not None:
        overrides["latent_dim"] = args.latent_dim
    if args.variational:  # the PCA start of the linear path is not a posterior
        overrides.update(variational=True, beta=args.beta, linear_path=False)
    model = SignalAutoencoder.from_preset(
        args.preset, length=length, channels=channels, seed=args.seed, **overrides
    )
    with _blame(args.data):
        history = model.fit(
            x,
            epochs=_auto(args.epochs),
            batch_size=_auto(args.batch_size),
            validation_split=args.validation_split,
            patience=None if args.patience == 0 else _auto(args.patience),
            learning_rate=args.learning_rate,
            weight_decay=args.weight_decay,
            seed=args.seed,
            verbose=_verbosity(args),
        )
    model.save(args.out)
    print(f"trained {args.preset!r} on {len(x)} signals of length {length} x {channels} channel(s) "
          f"for {history.epochs} epochs; "
          + ("kept the starting weights" if model.history.best_epoch is None
             else f"kept epoch {model.history.best_epoch + 1}"))
    print(model.comparison.summary())
    print(f"saved {args.out}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    """encode, decode, reconstruct: streams the input through the model into --out."""
    from sigae.io.write import OUTPUT_EXTENSIONS, open_writer
    from sigae.model import check_signals
    from sigae.saving import load
    from sigae.streaming import stream

    source = args.codes if args.command == "decode" else args.data
    _check_output(args.out, OUTPUT_EXTENSIONS, inputs=[args.model, source])
    model = load(args.model)
    config = model.config
    if args.command == "decode":
        signals = _load(args, source, length=config.latent_dim)
        if signals.shape[1:] != (config.latent_dim, 1):
            raise DataError(
                f"{signals.source}: holds rows of shape {signals.shape[1:]}; this model's "
                f"codes have shape (n, {config.latent_dim}) (latent_dim)."
            )
        row_shape: tuple[int, ...] = (config.length, config.channels)

        def function(block: Any) -> Any:
            return model.decode(block[:, :, 0], batch_size=args.batch_size)
    else:
        signals = _load(args, source, length=config.length)
        check_signals(signals, config)
        encode = args.command == "encode"
        row_shape = (config.latent_dim,) if encode else (config.length, config.channels)
        method = model.encode if encode else model.reconstruct

        def function(block: Any) -> Any:
            return method(block, batch_size=args.batch_size)

    shape = (len(signals), *row_shape)
    with _blame(source), open_writer(
        args.out, shape, name="codes" if args.command == "encode" else "signals",
        index=(signals.row, signals.start), source=str(source),
    ) as writer:
        stream(function, signals.data, writer.write, batch_size=args.batch_size,
               what=f"{signals.source}:", progress=True)
    print(f"{args.command}: {len(signals)} rows of {source} -> {args.out} {shape}")
    return 0


def _check(args: argparse.Namespace) -> int:
    import numpy as np

    from sigae.checks import check_consistency, probe_signals
    from sigae.saving import load

    model = load(args.model)
    if args.data is not None:
        x = np.asarray(_load(args, args.data, length=model.config.length))
        source = str(args.data)
    else:
        x = probe_signals(model)
        source = "64 seeded random signals at the training data's scale"
    with _blame(args.data or args.model):
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


def _info(args: argparse.Namespace) -> int:
    from sigae.report import describe

    print(describe(args.model))
    return 0


def _export(args: argparse.Namespace) -> int:
    from sigae.saving import export_view, load

    _check_output(args.out, (".keras",), inputs=[args.model])
    model = load(args.model)
    export_view(model, args.part, args.out)
    print(f"exported the {args.part} to {args.out}; open it with keras.saving.load_model")
    return 0


# -- helpers ------------------------------------------------------------------------------


def _load(args: argparse.Namespace, path: Path, *, length: int | None = None) -> Any:
    """Reads DATA with the command's --key, --layout, --window and --hop."""
    from sigae.io import load_signals

    return load_signals(path, key=args.key, layout=args.layout, window=args.window,
                        hop=args.hop, length=length)


def _check_output(out: Path, suffixes: Sequence[str], *, inputs: Sequence[Path]) -> None:
    """Refuses a bad output path before any work is done."""
    if out.suffix.lower() not in suffixes:
        raise SigaeError(
            f"{out}: output must end in {' or '.join(suffixes)}; received "
            f"{out.suffix or 'no extension'}."
        )
    if out.is_dir():
        raise SigaeError(f"{out}: is a directory; give an output file name.")
    if not out.parent.is_dir():
        raise SigaeError(f"{out}: the directory {out.parent} does not exist; create it first.")
    for source in inputs:
        if source.exists() and out.exists() and os.path.samefile(source, out):
            raise SigaeError(f"{out}: is also an input; choose another output file.")


@contextlib.contextmanager
def _blame(path: Path) -> Iterator[None]:
    """Prefixes a data-shape error from the library with the file it came from."""
    try:
        yield
    except DataError as error:
        if str(error).startswith(str(path)):
            raise
        raise DataError(f"{path}: {error}") from None


def _auto(value: float | None) -> float | str:
    """An option left unset is chosen by the library from the data size."""
    return "auto" if value is None else value


def _verbosity(args: argparse.Namespace) -> int:
    if args.quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def _number(convert: type, condition: str, test: Callable[[float], bool]) -> Callable[[str], Any]:
    """An argparse type: `convert` the text and check `test`, described by `condition`."""
    noun = "an integer" if convert is int else "a number"

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, received {text!r}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"expected {noun} {condition}, received {value}")
        return value

    return parse


_positive_int = _number(int, ">= 1", lambda v: v >= 1)
_non_negative_int = _number(int, ">= 0", lambda v: v >= 0)
_positive_float = _number(float, "> 0", lambda v: v > 0)
_non_negative_float = _number(float, ">= 0", lambda v: v >= 0)
_fraction = _number(float, "in [0, 1)", lambda v: 0 <= v < 1)


class _Parser(argparse.ArgumentParser):
    """Reports a usage error in one line on stderr, with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from sigae import __version__

    parser = _Parser(
        prog="sigae",
        description="1D convolutional autoencoders for signals. Encoder, decoder and "
        "autoencoder are three views over one set of weights.",
        epilog="Exit codes: 0 success, 1 failed check, 2 bad input. "
        "Run 'sigae COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"sigae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    def batch_size(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--batch-size", type=_positive_int, default=100,
                         help="signals per forward pass (default: 100)")

    def data_options(sub: argparse.ArgumentParser, *, windows: bool = True) -> None:
        sub.add_argument("--key", help="what to read where the file holds several: the "
                         ".npz array, .mat variable, HDF5 dataset path or Parquet list column")
        sub.add_argument("--layout", choices=["auto", "rows", "columns"], default="auto",
                         help="signals are the rows or the columns of a 2-D array (default: "
                         "auto: rows, a single row or column is one recording, and the "
                         "orientation matching the model's length wins)")
        if windows:
            sub.add_argument("--window", type=_positive_int, metavar="LENGTH",
                             help="cut each recording into windows of LENGTH samples")
            sub.add_argument("--hop", type=_positive_int, metavar="H",
                             help="samples between window starts (default: LENGTH)")
        else:
            sub.set_defaults(window=None, hop=None)

    demo = command("demo", _demo, "Train the default design on the embedded oscillations, "
                   "save it, plot it and check its consistency (about a minute on 2 cores).")
    demo.add_argument("--out", type=Path, default=Path("sigae-demo"),
                      help="output directory (default: sigae-demo)")
    demo.add_argument("--epochs", type=_positive_int,
                      help="maximum epochs (default: 100, with early stopping)")
    demo.add_argument("--seed", type=int, default=0, help="seed of data, weights and shuffling")
    demo.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    train = command("train", _train, "Train a model on signals and save it as a .sigae file.")
    train.add_argument("data", type=Path, metavar="DATA", help=_DATA_HELP)
    train.add_argument("--out", type=Path, required=True, metavar="MODEL",
                       help="model file to write, ending in .sigae")
    data_options(train)
    train.add_argument("--preset", choices=["default", "question"], default="default",
                       help="design: sigae's default or the question's model (default: default)")
    train.add_argument("--latent-dim", type=_positive_int, help="size of the code")
    train.add_argument("--noise-std", type=_non_negative_float, default=0.0,
                       help="denoising: std of the Gaussian noise added to the normalized "
                       "inputs in training only (default: 0)")
    train.add_argument("--variational", action="store_true",
                       help="a variational autoencoder (without the linear PCA path): codes "
                       "are sampled in training, encode returns their mean")
    train.add_argument("--beta", type=_non_negative_float, default=1.0,
                       help="weight of the KL term of --variational (default: 1)")
    train.add_argument("--epochs", type=_positive_int,
                       help="maximum epochs (default: chosen from the number of signals; "
                       "100 for 800 or more)")
    train.add_argument("--batch-size", type=_positive_int,
                       help="signals per step (default: chosen from the number of signals; "
                       "100 for 800 or more)")
    train.add_argument("--validation-split", type=_fraction, default=0.2,
                       help="fraction held out from the end for validation (default: 0.2)")
    train.add_argument("--patience", type=_non_negative_int,
                       help="early-stopping patience in epochs (doubled until an epoch beats the "
                       "start), 0 to train all epochs; the best weights are kept either way "
                       "(default: chosen from the number of "
                       "signals; 10 for 800 or more)")
    train.add_argument("--learning-rate", type=_positive_float, default=1e-3,
                       help="Adam's learning rate (default: 0.001)")
    train.add_argument("--weight-decay", type=_non_negative_float, default=0.0,
                       help="AdamW weight decay of the convolutional path (default: 0, plain "
                       "Adam)")
    train.add_argument("--seed", type=int, default=None,
                       help="seed of weights and shuffling, for a reproducible run")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    for name, handler, help_text in (
        ("encode", _apply, "Encode signals to codes of shape (n, latent_dim)."),
        ("reconstruct", _apply, "Reconstruct signals with the autoencoder view."),
    ):
        sub = command(name, handler, help_text)
        sub.add_argument("model", type=Path, metavar="MODEL", help="a .sigae model file")
        sub.add_argument("data", type=Path, metavar="DATA", help=_DATA_HELP)
        sub.add_argument("--out", type=Path, required=True, help=_OUT_HELP)
        data_options(sub)
        batch_size(sub)

    decode = command("decode", _apply, "Decode codes to signals in the training data's units.")
    decode.add_argument("model", type=Path, metavar="MODEL", help="a .sigae model file")
    decode.add_argument("codes", type=Path, metavar="CODES",
                        help="codes of shape (n, latent_dim), in any DATA format, e.g. "
                        "the output of encode")
    decode.add_argument("--out", type=Path, required=True, help=_OUT_HELP)
    data_options(decode, windows=False)
    batch_size(decode)

    check = command("check", _check, "Check that the views share one set of weights, agree "
                    "exactly, and survive a save/load round trip. Exit 1 if any check fails.")
    check.add_argument("model", type=Path, metavar="MODEL", help="a .sigae model file")
    check.add_argument("data", type=Path, nargs="?", metavar="DATA",
                       help=f"{_DATA_HELP} (default: seeded random signals)")
    data_options(check)
    batch_size(check)

    info = command("info", _info, "Show a model's layers, normalization and training summary.")
    info.add_argument("model", type=Path, metavar="MODEL", help="a .sigae model file")

    export = command("export", _export, "Export the encoder or decoder as a plain .keras file "
                     "that keras.saving.load_model opens without sigae.")
    export.add_argument("model", type=Path, metavar="MODEL", help="a .sigae model file")
    export.add_argument("--part", choices=["encoder", "decoder"], required=True)
    export.add_argument("--out", type=Path, required=True, help="file to write, ending in .keras")

    _study_parsers(commands, data_options, batch_size)
    return parser


def _study(name: str) -> Callable[[argparse.Namespace], int]:
    """A handler from `sigae.cli_study`, imported when the command runs."""

    def handler(args: argparse.Namespace) -> int:
        import sigae.cli_study

        return getattr(sigae.cli_study, name)(args)

    return handler


def _study_parsers(commands: Any, data_options: Callable[..., None],
                   batch_size: Callable[..., None]) -> None:
    """The latent-space commands: `latent ...`, `generate`, `score`, `report`."""
    latent = commands.add_parser(
        "latent", help="Study the code space: stats, project, traverse, interpolate, neighbors.",
        description="Study the code space of a trained model. Each command writes its "
        "arrays (with the source index) and a PNG figure to --out DIR.")
    studies = latent.add_subparsers(dest="study", metavar="STUDY", parser_class=_Parser,
                                    required=True)

    def add(group: Any, name: str, handler: str, help_text: str, description: str | None = None,
            *, data: bool = True) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help_text, description=description or help_text)
        sub.set_defaults(handler=_study(handler))
        sub.add_argument("model", type=Path, metavar="MODEL", help="a .sigae model file")
        if data:
            sub.add_argument("data", type=Path, metavar="DATA", help=_DATA_HELP)
        return sub

    def study(name: str, handler: str, help_text: str, *, data: bool = True
              ) -> argparse.ArgumentParser:
        sub = add(studies, name, handler, help_text, data=data)
        sub.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help="directory for the results (created if missing)")
        data_options(sub)
        batch_size(sub)
        return sub

    study("stats", "latent_stats", "Per-dimension mean, std, min, max, share of variance, "
          "inactive dimensions and the correlation matrix of the codes of DATA.")
    project = study("project", "latent_project", "Scatter of the codes of DATA in 2-D.")
    project.add_argument("--method", choices=["pca", "umap"], default="pca",
                         help="pca (default) or umap (needs pip install 'sigae[umap]')")
    project.add_argument("--labels", type=Path, metavar="FILE",
                         help="CSV with a header and one row per signal, to colour by")
    project.add_argument("--color-by", metavar="COLUMN",
                         help="the column of --labels to colour by (default: the first)")
    project.add_argument("--seed", type=int, default=0, help="seed of UMAP's layout")
    traverse = study("traverse", "latent_traverse", "Decode a base code with one dimension "
                     "at a time moved across +/- SPAN standard deviations.", data=False)
    traverse.add_argument("data", type=Path, nargs="?", metavar="DATA",
                          help="signals; the base is the code of signal --index (default: "
                          "the mean training code)")
    traverse.add_argument("--index", type=_non_negative_int, default=0,
                          help="signal of DATA whose code is the base (default: 0)")
    traverse.add_argument("--dims", type=_dims, metavar="D,D,...",
                          help="dimensions to move (default: the 4 of largest variance)")
    traverse.add_argument("--steps", type=_number(int, ">= 2", lambda v: v >= 2), default=7,
                          help="codes per dimension (default: 7)")
    traverse.add_argument("--span", type=_positive_float, default=2.0,
                          help="standard deviations each way (default: 2)")
    interpolate = study("interpolate", "latent_interpolate",
                        "Decode the path in code space between two signals of DATA.")
    interpolate.add_argument("--from", dest="start", type=_non_negative_int, required=True,
                             metavar="I", help="index of the first signal")
    interpolate.add_argument("--to", dest="end", type=_non_negative_int, required=True,
                             metavar="J", help="index of the last signal")
    interpolate.add_argument("--steps", type=_number(int, ">= 2", lambda v: v >= 2), default=8,
                             help="codes on the path, ends included (default: 8)")
    interpolate.add_argument("--method", choices=["linear", "slerp"], default="linear")
    neighbors = study("neighbors", "latent_neighbors",
                      "The signals of DATA nearest to one of them in code space.")
    neighbors.add_argument("--index", type=_non_negative_int, required=True,
                           help="the query signal")
    neighbors.add_argument("-k", type=_positive_int, default=5,
                           help="neighbours to find (default: 5)")

    def command(name: str, help_text: str, description: str, *, data: bool = True
                ) -> argparse.ArgumentParser:
        sub = add(commands, name, name, help_text, description, data=data)
        if data:
            data_options(sub)
        return sub

    generate = command(
        "generate", "Decode codes sampled from the training codes' density.",
        "Sample codes from the density fitted to the training codes (stored in the model by "
        "fit) and decode them. Codes less likely than 99% of the training codes are counted "
        "as outside the training distribution.", data=False)
    generate.add_argument("-n", type=_positive_int, required=True, help="number of signals")
    generate.add_argument("--out", type=Path, required=True, help=_OUT_HELP)
    generate.add_argument("--sampler", choices=["gaussian", "gmm", "prior"], default="gaussian",
                          help="gaussian (default), gmm (a Gaussian mixture), or prior "
                          "(N(0, I), variational models only)")
    generate.add_argument("--seed", type=int, default=None, help="seed of the sampling")
    generate.add_argument("--codes", type=Path, metavar="FILE.csv",
                          help="also write the codes, their log-density and the outside flag")
    generate.add_argument("--plot", type=Path, metavar="FILE.png", help="plot some samples")

    score = command(
        "score", "Anomaly scores: reconstruction error per signal and a threshold.",
        "Per-signal reconstruction MSE and MAE (normalized units) and an is_anomaly flag: MSE "
        "above --threshold, or by default above the --percentile of the validation signals' "
        "errors, stored in the model by fit.")
    score.add_argument("--out", type=Path, required=True, metavar="SCORES.csv",
                       help="CSV: source_row, source_start, mse, mae, is_anomaly")
    score.add_argument("--threshold", type=_non_negative_float, help="MSE threshold")
    score.add_argument("--percentile", type=_number(float, "in [0, 100]",
                                                    lambda v: 0 <= v <= 100), default=99.0,
                       help="percentile of the validation errors stored at fit (default: 99)")
    score.add_argument("--plot", type=Path, metavar="FILE.png",
                       help="histogram of the errors with the threshold")
    batch_size(score)

    report = command(
        "report", "One self-contained HTML report of a model on signals.",
        "Write one HTML file (images embedded, no network needed): model, training curves, "
        "reconstructions, errors and threshold, latent statistics, projection and traversals.")
    report.add_argument("--out", type=Path, required=True, metavar="REPORT.html")
    report.add_argument("--max-signals", type=_positive_int, default=5000,
                        help="use the first N signals of DATA (default: 5000)")


def _dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, received "
                                         f"{text!r}") from None
    if not dims or min(dims) < 0:
        raise argparse.ArgumentTypeError(f"expected dimensions >= 0, received {text!r}")
    return dims


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
