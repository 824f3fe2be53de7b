"""The `sigae` command line: a thin layer over the library.

One package per command group: `train` (demo, train), `apply` (encode, decode,
reconstruct), `inspect` (check, info, export), `adopt`, `latent` (the latent-space
studies), `study` (generate, score, report) and `explore` (the live page). In each,
`arguments` registers the options and `handlers` runs the commands; a handler returns its
report as data (`sigae.cli.printer.Outcome`), which `main` prints. `options` holds what
the commands share, `labels` the reading of `--labels`. Only this package prints or
exits. Heavy modules (Keras, the backend, matplotlib) are imported inside the handler
that needs them, so `sigae --help` is instant.

Every failure is one line on stderr and a non-zero exit code, never a traceback (`--debug`
or `SIGAE_DEBUG=1` shows it): a `SigaeError` (bad input, or a fault of the machine such as
a full disk, see `sigae.core.faults`) exits with 2, a failed `check` with 1, Ctrl-C or SIGTERM
with 128 + the signal's number, after any partial output was removed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from collections.abc import Sequence

from sigae.cli import adopt, apply, explore, inspect, latent, study, train
from sigae.cli.options import EXIT_BAD_INPUT, Interrupted, Parser, in_options, interruptible
from sigae.cli.printer import render
from sigae.errors import SigaeError

GROUPS = (train, apply, inspect, adopt, latent, study, explore)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line and returns the exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser, with the option meant if one is close
        getattr(args, "parser", parser).refuse_unknown(unknown)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    debug = args.debug or os.environ.get("SIGAE_DEBUG", "") not in ("", "0")
    # The library's warnings (a checkpoint that could not be written) are not printed: the
    # command's own output says what matters, and stderr keeps one line for an error.
    library = logging.getLogger("sigae")
    if not debug and not library.handlers:
        library.addHandler(logging.NullHandler())

    def fail(message: str, code: int) -> int:
        if debug:
            traceback.print_exc()
        print(f"sigae: {' '.join(message.split())}", file=sys.stderr)
        return code

    try:
        with interruptible():
            return render(args.handler(args))
    except SigaeError as error:
        return fail(f"error: {in_options(str(error), getattr(args, 'parser', parser))}",
                    EXIT_BAD_INPUT)
    except KeyboardInterrupt as error:
        signum = error.signum if isinstance(error, Interrupted) else signal.SIGINT
        return fail(f"interrupted ({signal.Signals(signum).name}); nothing was written.",
                    128 + signum)
    except OSError as error:  # a fault of the machine that no layer below named
        from sigae.core.faults import describe

        where = f" ({error.filename})" if getattr(error, "filename", None) else ""
        return fail(f"error: {describe(error)}{where}; check the disk and the paths, and "
                    "try again", EXIT_BAD_INPUT)
    except MemoryError:
        return fail("error: out of memory; use smaller --batch-size, or store the data as "
                    ".npy or HDF5, which sigae reads in blocks", EXIT_BAD_INPUT)


def build_parser() -> Parser:
    """The parser of every command."""
    from sigae.core.version import __version__

    parser = Parser(
        prog="sigae",
        description="1D convolutional autoencoders for signals. Encoder, decoder and "
        "autoencoder are three views over one set of weights.",
        epilog="Exit codes: 0 success, 1 failed check, 2 bad input. "
        "Run 'sigae COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"sigae {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error (also SIGAE_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for group in GROUPS:
        group.register(commands)
    return parser
