"""What `sigae explore` do: each handler returns its command's `Outcome`."""

from __future__ import annotations

import argparse
from typing import Any

from sigae.cli.options import Interrupted, load_model_data
from sigae.cli.printer import Outcome, note, warn
from sigae.errors import SigaeError


def _units(args: argparse.Namespace, model: Any, signals: Any) -> Any:
    """Which unit carries which quantity of --factors, or `None` without them."""
    if args.factors is None:
        return None
    from sigae.cli.labels import read_factors
    from sigae.study.factors import factors

    if signals is None:
        raise SigaeError("--factors are quantities of the signals of DATA; give DATA too.")
    values, names = read_factors(args.factors, args.factor_names, len(signals))
    return factors(model, signals, values, names=names, circular=args.circular)


def explore(args: argparse.Namespace) -> Outcome:
    import socket
    import webbrowser

    try:
        import uvicorn

        from sigae.explore.server import create_app, is_loopback, new_token
        from sigae.explore.session import ExploreSession
    except ImportError as error:
        raise SigaeError(f"sigae explore needs the optional extra ({error.name} is missing): "
                         "pip install 'sigae[explore]'") from None
    from sigae.cli.labels import read_labels
    from sigae.core.faults import describe
    from sigae.model import load

    model = load(args.model)
    signals = load_model_data(args, model) if args.data is not None else None
    labels, label_name = None, "label"
    if args.labels is not None:
        if signals is None:
            raise SigaeError("--labels colour the map of DATA; give DATA too.")
        labels, label_name = read_labels(args.labels, args.color_by, signals)
    session = ExploreSession(model, signals, labels=labels, label_name=label_name,
                             projection=args.projection, factors=_units(args, model, signals))
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP, so that asyncio turns Nagle off on its connections (else a reply waits
    # for a delayed ACK: 40 ms a request)
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.host, args.port))
        listener.listen(64)
    except OSError as error:
        listener.close()
        raise SigaeError(f"cannot listen on {args.host}:{args.port}: {describe(error)}; choose "
                         "another --port (0 picks a free one)") from None
    port = listener.getsockname()[1]
    token = new_token()
    shown = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else shown}:{port}/?token={token}"
    if not is_loopback(args.host):
        warn(f"sigae explore: warning: serving on {args.host}, which other machines can reach; "
             "every request still needs the token in the URL")
    note(f"sigae explore: {args.model.name} at {url} (Ctrl-C to stop)")
    if not args.no_browser:
        webbrowser.open(url)
    app = create_app(session, token=token, host=args.host)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    try:
        server.run(sockets=[listener])
    except Interrupted:
        pass  # uvicorn stops on the signal, then passes it on
    finally:
        listener.close()
    return Outcome(["sigae explore: stopped"])
