"""The `sigae` command line: a thin layer over the library.

One module per command group, each registering its arguments beside its handlers:
`train` (demo, train), `apply` (encode, decode, reconstruct), `inspect` (check, info,
export), `adopt`, `latent` (the latent-space studies) and `study` (generate, score,
report). Only this package prints or exits. Heavy modules (Keras, the backend,
matplotlib) are imported inside the handler that needs them, so `sigae --help` is
instant. A `SigaeError` becomes one line on stderr and exit code 2; a failed `check`
exits with 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from sigae.cli import adopt, apply, inspect, latent, study, train
from sigae.cli.options import EXIT_BAD_INPUT, Parser
from sigae.errors import SigaeError

GROUPS = (train, apply, inspect, adopt, latent, study)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line and returns the exit code."""
    parser = build_parser()
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


def build_parser() -> Parser:
    """The parser of every command."""
    from sigae import __version__

    parser = Parser(
        prog="sigae",
        description="1D convolutional autoencoders for signals. Encoder, decoder and "
        "autoencoder are three views over one set of weights.",
        epilog="Exit codes: 0 success, 1 failed check, 2 bad input. "
        "Run 'sigae COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"sigae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for group in GROUPS:
        group.register(commands)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
