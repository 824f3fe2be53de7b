"""`sigae explore`: a local page to move through the code space with the trained decoder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    Interrupted,
    add_data_options,
    add_label_options,
    add_model,
    command,
    load_model_data,
    number,
)
from sigae.errors import SigaeError


def explore(args: argparse.Namespace) -> int:
    import socket
    import sys
    import webbrowser

    try:
        import uvicorn

        from sigae.explore.server import create_app, is_loopback, new_token
        from sigae.explore.session import ExploreSession
    except ImportError as error:
        raise SigaeError(f"sigae explore needs the optional extra ({error.name} is missing): "
                         "pip install 'sigae[explore]'") from None
    from sigae.cli.latent import read_labels
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
                             projection=args.projection)
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
        print(f"sigae explore: warning: serving on {args.host}, which other machines can reach; "
              "every request still needs the token in the URL", file=sys.stderr)
    print(f"sigae explore: {args.model.name} at {url} (Ctrl-C to stop)", flush=True)
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
    print("sigae explore: stopped")
    return 0


def register(commands: Any) -> None:
    sub = command(
        commands, "explore", explore,
        "Explore the code space on a local page: sliders, map, interpolation, generation.",
        "Start a local web server and open its page: one slider per latent dimension redraws "
        "the decoded signal as it moves; with DATA, a map of the codes (click a point to see "
        "its signal and reconstruction), nearest neighbours and interpolation between two "
        "signals; samples from the stored density; export of the code and decoded signal. "
        "Binds 127.0.0.1 and requires the token in the printed URL.")
    add_model(sub)
    sub.add_argument("data", type=Path, nargs="?", metavar="DATA", help=DATA_HELP)
    add_data_options(sub)
    add_label_options(sub, use="colour the map (default: by anomaly score) by ")
    sub.add_argument("--projection", choices=["auto", "pca", "umap"], default="auto",
                     help="the map: PCA of the codes, or UMAP (auto: UMAP when installed and "
                     "at most 20,000 signals, else PCA)")
    sub.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default: 127.0.0.1, this machine only)")
    sub.add_argument("--port", type=number(int, "in 0..65535", lambda v: 0 <= v <= 65535),
                     default=8765, help="port (default: 8765; 0 picks a free one)")
    sub.add_argument("--no-browser", action="store_true",
                     help="print the URL without opening a browser")
