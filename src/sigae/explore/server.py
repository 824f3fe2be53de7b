"""The explorer's web server: a JSON API over an `ExploreSession`, and its page.

Security, because local servers are attacked through the browser:

- it binds 127.0.0.1 by default; a random token made at launch is in the printed URL and
  is required on every request (header `X-Sigae-Token`, or `?token=` for the page): 401
  without it. The page keeps it in memory, never in a cookie another site could send;
- the Host header must name the bound address (`localhost`, `127.0.0.1`, `[::1]`), else
  403: a DNS-rebinding page cannot talk to it;
- requests with a body must come from the page's own origin (`Origin`), else 403;
- bodies are limited to `MAX_BODY` bytes and validated; a bad request gets 400 and a JSON
  message, and the server keeps serving. The client never sends a file path.
"""

from __future__ import annotations

import json
import secrets
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sigae.errors import SigaeError
from sigae.explore.session import ExploreSession

MAX_BODY = 64 * 1024
LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'",
}


def explorer_page() -> str:
    """The page: `static/explore.html` with the explorer's script and styles inside, the
    same `static/explorer.js` and `explorer.css` the notebook widget runs (no CDN)."""
    static = resources.files("sigae.explore").joinpath("static")
    return (static.joinpath("explore.html").read_text("utf-8")
            .replace("/*EXPLORER CSS*/", static.joinpath("explorer.css").read_text("utf-8"))
            .replace("/*EXPLORER JS*/", static.joinpath("explorer.js").read_text("utf-8")))


def new_token() -> str:
    """A random token for one launch."""
    return secrets.token_urlsafe(24)


def create_app(session: ExploreSession, *, token: str, host: str = "127.0.0.1") -> ASGIApp:
    """The explorer's ASGI application.

    Args:
        session: What the API answers from.
        token: Required on every request.
        host: The address the server is bound to: loopback names are always accepted in
            the Host header; a non-loopback address is accepted too, and a wildcard
            (`0.0.0.0`, `::`) accepts any Host (the token still guards every request).
    """
    page = explorer_page()

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=_HEADERS)

    async def info(request: Request) -> Response:
        return _answer(session.info)

    async def decode(request: Request) -> Response:
        body = await _body(request)
        return _answer(session.decode, body.get("code"))

    async def code_map(request: Request) -> Response:
        return _answer(session.map)

    async def signal(request: Request) -> Response:
        return _answer(session.signal, _integer(request, "index"))

    async def neighbors(request: Request) -> Response:
        return _answer(session.neighbors, _integer(request, "index"), _integer(request, "k", 6))

    async def interpolate(request: Request) -> Response:
        body = await _body(request)
        return _answer(session.interpolate, body.get("from"), body.get("to"),
                       body.get("steps", 8), body.get("method", "linear"))

    async def generate(request: Request) -> Response:
        body = await _body(request)
        return _answer(session.generate, body.get("n", 6), body.get("sampler", "gaussian"),
                       body.get("seed"))

    routes = [
        Route("/", index),
        Route("/api/info", info),
        Route("/api/decode", decode, methods=["POST"]),
        Route("/api/map", code_map),
        Route("/api/signal", signal),
        Route("/api/neighbors", neighbors),
        Route("/api/interpolate", interpolate, methods=["POST"]),
        Route("/api/generate", generate, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={
        BadRequestError: lambda request, error: _error(400, str(error)),
        404: lambda request, error: _error(404, "no such page"),
        405: lambda request, error: _error(405, "method not allowed"),
        500: lambda request, error: _error(500, "internal error; the server keeps serving"),
    })
    return Guard(app, token=token, host=host)


class BadRequestError(Exception):
    """A request the API refuses: 400 with the message."""


def _answer(function: Any, *args: Any) -> Response:
    try:
        return JSONResponse(function(*args), headers=_HEADERS)
    except SigaeError as error:
        raise BadRequestError(" ".join(str(error).split())) from None


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequestError(f"the request body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequestError(f"the request body is not JSON ({error})") from None
    if not isinstance(body, dict):
        raise BadRequestError("the request body must be a JSON object")
    return body


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number sigae accepts")


def _integer(request: Request, name: str, default: int | None = None) -> int:
    text = request.query_params.get(name)
    if text is None:
        if default is None:
            raise BadRequestError(f"the parameter {name} is missing")
        return default
    try:
        return int(text)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer; received {text[:40]!r}") from None


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=_HEADERS)


class Guard:
    """Checks Host, token, Origin and body size before a request reaches the app."""

    def __init__(self, app: ASGIApp, *, token: str, host: str) -> None:
        self.app, self.token = app, token
        self.any_host = host in ("0.0.0.0", "::", "")
        self.hosts = LOOPBACK | {host.lower(), f"[{host.lower()}]"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = request.headers.get("host", "")
        problem = self._problem(request, host)
        if problem is not None:
            status, message = problem
            await _error(status, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _problem(self, request: Request, host: str) -> tuple[int, str] | None:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if not self.any_host and name.lower() not in self.hosts:
            return 403, f"Host {host[:60]!r} is not this server's address"
        given = request.headers.get("x-sigae-token") or request.query_params.get("token", "")
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return 401, "missing or wrong token: open the URL that sigae explore printed"
        if request.method not in ("GET", "HEAD"):
            if request.headers.get("origin") != f"http://{host}":
                return 403, "requests that send data must come from the explorer's own page"
            length = request.headers.get("content-length", "")
            if not length.isdigit() or int(length) > MAX_BODY:
                return 413, f"the request body must declare its length, at most {MAX_BODY} bytes"
        return None


def is_loopback(host: str) -> bool:
    """Whether binding `host` serves this machine only."""
    return host.lower() in LOOPBACK or host.startswith("127.")
