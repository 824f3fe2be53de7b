"""What the commands share: argument types, the data options, and reading DATA.

Nothing here imports Keras or the backend, so building the parser stays instant.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sigae.cli.printer import Outcome, note, warn
from sigae.errors import DataError, SigaeError

EXIT_FAILED_CHECK = 1
EXIT_BAD_INPUT = 2

DATA_HELP = ("signals: .npy, .npz, .mat, .csv/.tsv/.txt, .h5, .parquet, .wav, the "
             "archive's .ts and .arff, or a folder of one recording per file (see --glob); "
             "one signal per row (n, length) or (n, length, channels), see --layout, "
             "--window and --lengths")
OUT_HELP = ("output file: .npy, .npz, .csv, .parquet or .h5 (by extension); all but .npy "
            "also hold each row's source_row and source_start (and source_name for a "
            "folder's files)")
MODEL_HELP = "a .sigae model file"


class Parser(argparse.ArgumentParser):
    """Reports a usage error in one line on stderr, with exit code 2, naming the closest
    option of the command for a mistyped one ("did you mean --epochs?")."""

    given: tuple[str, ...] = ()

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.given = tuple(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("the following arguments are required"):
            options = {o for action in self._actions for o in action.option_strings}
            message += self._meant([token for token in self.given
                                    if token.startswith("--") and token not in options])
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def refuse_unknown(self, unknown: list[str]) -> None:
        """Refuses arguments this command does not take."""
        self.error(f"unrecognized arguments: {' '.join(unknown)}{self._meant(unknown)}")

    def _meant(self, unknown: list[str]) -> str:
        """"; did you mean --epochs?" for options close to the mistyped ones, or ""."""
        import difflib

        options = [o for action in self._actions for o in action.option_strings]
        close = [match for token in unknown if token.startswith("-")
                 for match in difflib.get_close_matches(token.split("=")[0], options, n=1)]
        return f"; did you mean {' or '.join(dict.fromkeys(close))}?" if close else ""


def command(commands: Any, name: str, handler: Callable[[argparse.Namespace], Outcome],
            help_text: str, description: str | None = None) -> argparse.ArgumentParser:
    """Adds the subcommand `name`, run by `handler`."""
    sub = commands.add_parser(name, help=help_text, description=description or help_text)
    sub.set_defaults(handler=handler, parser=sub)
    return sub


def number(convert: type, condition: str, test: Callable[[float], bool]
           ) -> Callable[[str], Any]:
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


positive_int = number(int, ">= 1", lambda v: v >= 1)
non_negative_int = number(int, ">= 0", lambda v: v >= 0)
positive_float = number(float, "> 0", lambda v: v > 0)
non_negative_float = number(float, ">= 0", lambda v: v >= 0)
fraction = number(float, "in [0, 1)", lambda v: 0 <= v < 1)
at_least_two = number(int, ">= 2", lambda v: v >= 2)


def numbers(text: str) -> list[float]:
    """An argparse type: one number, or several separated by commas."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, "
                                         f"received {text!r}") from None


def in_options(message: str, parser: Parser) -> str:
    """A library message in the command line's words: each keyword of the command's options
    (`validation_split=0.2`, `window=`, `sampler='prior'`) as its option (`--validation-split
    0.2`, `--window`, `--sampler prior`)."""
    import functools
    import re

    def spelled(option: str, match: re.Match[str]) -> str:
        return f"{option} {match.group(2)}".rstrip()

    for action in parser._actions:
        for option in action.option_strings:
            if not option.startswith("--"):
                continue
            keyword = option[2:].replace("-", "_")
            message = re.sub(rf"\b{keyword}=(['\"]?)([^'\"\s,;)]*)\1",
                             functools.partial(spelled, option), message)
            if "_" in keyword:  # a bare Python name (validation_split), not a word (out)
                message = re.sub(rf"(?<![\w.-]){keyword}\b(?!\()", option, message)
    return message


def names(text: str) -> list[str]:
    """An argparse type: names separated by commas, none of them empty."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"expected names or numbers separated by commas, "
                                         f"received {text!r}")
    return parts


def add_model(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("model", type=Path, metavar="MODEL", help=MODEL_HELP)


def add_scheduler(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--scheduler", metavar="ADDRESS|local:N",
                     help="run on a Dask cluster: a scheduler's address, or local:N for N "
                     "local worker processes; --out is then a Zarr store (.zarr) or a folder "
                     "of Parquet parts (.parquet) (needs pip install 'sigae[dask]')")


def run_distributed(args: argparse.Namespace, kind: str, source: Path) -> Outcome:
    """encode, reconstruct or score of `source` on the Dask cluster `--scheduler` names."""
    try:
        from distributed import Client

        from sigae import distributed
    except ImportError as error:
        raise SigaeError(f"--scheduler needs the optional extra ({error.name} is missing): "
                         "pip install 'sigae[dask]'") from None
    from sigae.core.outputs import check_output_file

    check_output_file(args.out, distributed.OUTPUTS, inputs=[args.model, source])
    if args.out.exists() and not args.out.is_dir():
        raise SigaeError(f"{args.out}: is a file; a distributed output is a directory.")
    if args.scheduler.startswith("local:"):
        workers = args.scheduler.split(":", 1)[1]
        if not workers.isdigit() or int(workers) < 1:
            raise SigaeError(f"--scheduler {args.scheduler}: expected local:N, N >= 1 workers.")
        client_context: Any = distributed.local_client(int(workers))
    else:
        client_context = Client(args.scheduler, timeout="30s")
    options = ({"threshold": args.threshold, "percentile": args.percentile}
               if kind == "score" else {})
    with client_context as client:
        getattr(distributed, kind)(args.model, source, out=args.out, client=client,
                                   batch_size=args.batch_size, key=args.key, **options)
    return Outcome([f"{kind}: {source} -> {args.out} (Dask, {args.scheduler})"])


def add_batch_size(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--batch-size", type=positive_int, default=100,
                     help="signals per forward pass (default: 100)")


def add_data_options(sub: argparse.ArgumentParser, *, windows: bool = True) -> None:
    """`--key`, `--layout` and (unless `windows=False`) `--window` and `--hop`."""
    sub.add_argument("--key", help="what to read where the file holds several: the "
                     ".npz array, .mat variable, HDF5 dataset path or Parquet list column")
    sub.add_argument("--layout", choices=["auto", "rows", "columns", "channels",
                                          "channels-first"],
                     default="auto",
                     help="signals are the rows or the columns of a 2-D array; channels: a "
                     "table is one recording, its rows the samples and its columns the "
                     "channels (as each file of a folder is by default); channels-first: a "
                     "3-D array is (n, channels, length), PyTorch's convention (default: "
                     "auto: rows, a single row or column is one recording, the orientation "
                     "matching the model's length wins, and signals shorter than their "
                     "channels are refused; in a folder, each file one recording)")
    sub.add_argument("--columns", type=names, metavar="A,B,...",
                     help="the columns of a CSV, TSV or Parquet table to read, by name or by "
                     "number counting from 1 (default: every numeric column but one named as "
                     "a time or an ID, such as time, t, timestamp, index, id, which is left "
                     "out and said)")
    if windows:
        sub.add_argument("--window", type=positive_int, metavar="LENGTH",
                         help="cut each recording into windows of LENGTH samples")
        sub.add_argument("--hop", type=positive_int, metavar="H",
                         help="samples between window starts (default: LENGTH)")
    else:
        sub.set_defaults(window=None, hop=None)
    sub.add_argument("--glob", default="*", metavar="PATTERN",
                     help="where DATA is a folder (one recording per file, read in sorted "
                     "order): the files to read, e.g. '*.wav' (default: every file of a "
                     "known format)")
    sub.add_argument("--lengths", choices=["resample", "pad", "window"], default=None,
                     help="recordings of different lengths (an unequal .ts file, a "
                     "folder): resample each to the model's length (when training: their "
                     "median length), pad each to it (when training: the longest) with a "
                     "mask, so that the padding counts in no loss, statistic or error, or "
                     "cut them into --window LENGTH windows; reconstruct brings each back to "
                     "its own length, resampled back or cropped (default: the policy the "
                     "model was trained with, else resample)")


def add_label_options(sub: argparse.ArgumentParser, *, required: bool = False,
                      use: str = "") -> None:
    """`--labels FILE` and `--color-by COLUMN` (read by `sigae.cli.labels.read_labels`)."""
    sub.add_argument("--labels", type=Path, required=required, metavar="FILE",
                     help=f"{use}one label per signal of DATA (or per recording, given to "
                     "each of its windows): a CSV with a header (see --color-by), a 1-D .npy, "
                     "or the class labels of a .ts / .arff file")
    sub.add_argument("--color-by", metavar="COLUMN",
                     help="the column of a --labels CSV (default: the first)")


def add_factor_options(sub: argparse.ArgumentParser, *, required: bool = True) -> None:
    """`--factors FILE`, `--factor-names` and `--circular`."""
    sub.add_argument("--factors", type=Path, required=required, metavar="FILE",
                     help="the quantities of each signal of DATA: a CSV with a header (one "
                     "column per quantity, one row per signal), a .npy (n, k) named by "
                     "--factor-names, or the regression targets of a .ts / .arff file")
    sub.add_argument("--factor-names", type=names, metavar="A,B,...",
                     help="the names of a .npy file's columns (default: factor_0, ...)")
    sub.add_argument("--circular", type=names, default=[], metavar="A,B,...",
                     help="quantities that are angles in radians (read through their sine "
                     "and cosine, so that a value and the same value plus 2 pi are one)")


def load_data(args: argparse.Namespace, path: Path, *, length: int | None = None,
              lengths: str | None = None) -> Any:
    """Reads DATA with the command's --key, --layout, --window, --hop and --lengths (else
    `lengths`, else resample), and says what was done to recordings of different lengths."""
    from sigae.io import load_signals

    signals = load_signals(path, key=args.key, layout=args.layout, window=args.window,
                           hop=args.hop, length=length,
                           lengths=args.lengths or lengths or "resample", pattern=args.glob,
                           columns=args.columns)
    if signals.note:
        note(in_options(f"{path}: {signals.note}", args.parser))
    return signals


def load_model_data(args: argparse.Namespace, model: Any, path: Path | None = None) -> Any:
    """Reads DATA (or `path`) for `model`: the orientation of its length, recordings of
    different lengths made one as the model was trained (unless --lengths says), checked
    for its shape."""
    from sigae.data.checks import check_signals

    trained = model.learned.length_policy if model.learned is not None else None
    signals = load_data(args, args.data if path is None else path, length=model.config.length,
                        lengths=trained)
    asked = getattr(args, "lengths", None)
    if asked in ("resample", "pad") and signals.shape[1] != model.config.length:
        from sigae.io import recordings

        # Signals of one length, but not the model's: --lengths makes them its length too.
        signals = recordings(list(signals.data[:]), lengths=asked, length=model.config.length,
                             file=signals.file)
        note(f"{signals.source}: {signals.note}")
    check_signals(signals, model.config)
    return signals


def name_columns(signals: Any) -> dict[str, Any]:
    """The `source_name` column of recordings that have names (a folder's files), for the
    tables the commands write; empty otherwise."""
    names = signals.row_names
    return {} if names is None else {"source_name": names}


def save_npz(path: Path, **arrays: Any) -> None:
    """Writes arrays to an `.npz` file, atomically."""
    import numpy as np

    from sigae.core.outputs import atomic_path

    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, **arrays)


@contextlib.contextmanager
def blame(path: Path | None) -> Iterator[None]:
    """Prefixes a data-shape error from the library with the file it came from."""
    try:
        yield
    except DataError as error:
        if path is None or str(error).startswith(str(path)):
            raise
        raise DataError(f"{path}: {error}") from None


def auto(value: int | None) -> int | str:
    """An option left unset is chosen by the library from the data size."""
    return "auto" if value is None else value


def verbosity(args: argparse.Namespace) -> int:
    """Keras verbosity: silent with --quiet, a progress bar on a terminal, else a line an epoch."""
    if args.quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, or a signal a scheduler sends (SIGTERM), raised where the program is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received: list[int] = []  # the interrupting signals this process received


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise `Interrupted` where the program is. Should a library
    swallow it (Python only prints an exception raised in a finalizer), it is not
    printed, and `raise_if_interrupted` raises it again at the next safe point."""
    previous_hook = sys.unraisablehook

    def handler(signum: int, frame: Any) -> None:
        _received.append(signum)
        raise Interrupted(signum)

    def hook(unraisable: Any) -> None:
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            previous_hook(unraisable)

    sys.unraisablehook = hook
    try:
        with handling((signal.SIGINT, signal.SIGTERM), handler):
            yield
    finally:
        sys.unraisablehook = previous_hook
        _received.clear()


def raise_if_interrupted() -> None:
    """Raises `Interrupted` if a signal arrived whose exception was swallowed."""
    if _received:
        raise Interrupted(_received[0])


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Any]:
    """While training: the first SIGINT or SIGTERM asks training to stop at the end of the
    batch (the best weights so far are then saved as usual); a second aborts at once,
    writing nothing.

    Yields:
        The `sigae.training.StopRequest` to give to `fit`.
    """
    from sigae.training.stop import StopRequest

    stop = StopRequest()

    def handler(signum: int, frame: Any) -> None:
        if stop.requested:
            _received.append(signum)
            raise Interrupted(signum)
        stop.request(signal.Signals(signum).name, signum)
        warn(f"sigae: {stop.reason}: stopping after this batch; the best weights so far will "
             "be saved. Press Ctrl-C again to abort without saving.")

    with handling((signal.SIGINT, signal.SIGTERM), handler):
        yield stop


@contextlib.contextmanager
def handling(signals: tuple[int, ...], handler: Any) -> Iterator[None]:
    """Handles `signals` with `handler` inside, except those the process was told to
    ignore (a shell ignores SIGINT for background jobs), and outside the main thread."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in signals}
    for s, old in previous.items():
        if old != signal.SIG_IGN:
            signal.signal(s, handler)
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def save_trained(model: Any, out: Path, near: Path | None = None) -> None:
    """Saves a model that just trained; if `out` cannot be written, saves it to the
    system's temporary directory (or beside `near`, the data) and says where, so the
    training is never lost.

    Raises:
        StorageError: Saying why `out` failed and where the model is now.
    """
    import tempfile
    import time

    from sigae.errors import StorageError

    try:
        model.save(out)
        return
    except StorageError as error:
        failure = error
    name = f"{out.stem}.rescued-{time.strftime('%Y%m%d-%H%M%S')}{out.suffix or '.sigae'}"
    places = [Path(tempfile.gettempdir())] + ([near.resolve().parent] if near else [])
    for place in places:
        try:
            model.save(place / name)
        except StorageError:
            continue
        raise StorageError(f"{failure}; the trained model was saved to {place / name} "
                           "instead: move it where you want it") from None
    raise StorageError(f"{failure}; the trained model could not be saved anywhere else "
                       f"either ({', '.join(map(str, places))})") from None
