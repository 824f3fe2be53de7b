"""A Jupyter server extension that answers the notebook widget without a 40 ms wait.

Jupyter's server writes each kernel message to the browser's websocket as it comes, with
Nagle's algorithm on: a reply that follows the kernel's "busy" status waits for the
browser's delayed ACK of that status, 40 ms on Linux. The widget's slider then redraws in
about 48 ms instead of 18 ms (`benchmarks/bench_explore.py`, "widget" against
"widget_nodelay"). This extension turns Nagle off on the kernels' websockets, as Tornado
advises for interactive websockets (`WebSocketHandler.set_nodelay`).

`pip install 'sigae[notebook]'` enables it (`etc/jupyter/jupyter_server_config.d/sigae.json`);
`jupyter server extension disable sigae.explore.jupyter` turns it off. It changes nothing but
that socket option, and does nothing if the server's kernel websocket handler is not where
it expects it.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "sigae.explore.jupyter"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    try:
        from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
    except ImportError:  # another server layout: leave it as it is
        serverapp.log.info("sigae: no kernel websocket handler found; Nagle left on")
        return
    if getattr(KernelWebsocketHandler, "_sigae_nodelay", False):
        return
    opened = KernelWebsocketHandler.open

    async def open(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.set_nodelay(True)
        return await opened(self, *args, **kwargs)

    KernelWebsocketHandler.open = open  # type: ignore[method-assign]
    KernelWebsocketHandler._sigae_nodelay = True  # type: ignore[attr-defined]
    serverapp.log.info("sigae: kernel websockets without Nagle's delay (sigae.explore.jupyter)")
