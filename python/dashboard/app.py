"""The dashboard web app (aiohttp): one page, a server-sent event stream, a kill button.

Access: the server listens on 127.0.0.1 only, and every route needs the token. The operator
opens `http://127.0.0.1:PORT/?token=...` once; the token is then kept in an HttpOnly,
SameSite=Strict cookie and the address bar is cleaned by a redirect. Scripts may send
`Authorization: Bearer <token>` instead. Requests whose Host is not 127.0.0.1/localhost are
refused (a DNS-rebinding page cannot borrow the browser).

Kill: `POST /api/kill` needs the token, an Origin equal to this server's own, and the
`X-Dashboard: kill` header (a cross-site form cannot set it); it calls the trader's kill over
IPC and answers with the global state that follows.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from dashboard.source import Source
from trader.ipc import TraderError, TraderGone

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "dashboard_token"
SOURCE_KEY = web.AppKey("source", Source)
TOKEN_KEY = web.AppKey("token", str)
CLOSING_KEY = web.AppKey("closing", asyncio.Event)
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _host_ok(request: web.Request) -> bool:
    return request.url.host in _LOCAL_HOSTS


def _authorized(request: web.Request) -> bool:
    token = request.app[TOKEN_KEY]
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer ") and _same(auth[7:], token):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and _same(cookie, token)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _host_ok(request):
        return web.Response(status=421, text="this dashboard answers on 127.0.0.1 only\n")
    query_token = request.query.get("token")
    if query_token is not None:
        if request.method == "GET" and _same(query_token, request.app[TOKEN_KEY]):
            # Keep it in a cookie and drop it from the address bar (and history).
            redirect = web.HTTPSeeOther(location=request.path)
            redirect.set_cookie(COOKIE, query_token, httponly=True, samesite="Strict", path="/")
            raise redirect
        return web.Response(status=401, text="wrong token\n")
    if not _authorized(request):
        return web.Response(status=401, text="token required: open /?token=...\n",
                            headers=_SECURITY_HEADERS)
    resp = await handler(request)
    for k, v in _SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html")


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in {"app.js", "style.css"}:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name)


async def snapshot(request: web.Request) -> web.Response:
    return web.json_response(request.app[SOURCE_KEY].snapshot())


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the whole snapshot on each change (at most 4 a second), and a
    comment every 15 s so proxies and the browser keep the stream open."""
    source = request.app[SOURCE_KEY]
    closing = request.app[CLOSING_KEY]
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                       "Cache-Control": "no-store", **_SECURITY_HEADERS})
    await resp.prepare(request)
    loop = asyncio.get_running_loop()
    seen, last_write = -1, loop.time()
    try:
        while not closing.is_set():
            if source.version != seen:
                snap = source.snapshot()
                seen = snap["version"]
                await resp.write(f"event: snapshot\ndata: {json.dumps(snap)}\n\n".encode())
                last_write = loop.time()
                await asyncio.sleep(0.25)
                continue
            # short waits so a shutdown ends the stream promptly
            await source.wait_change(seen, 1.0)
            if loop.time() - last_write > 15.0:
                await resp.write(b": keep-alive\n\n")
                last_write = loop.time()
    except ConnectionResetError:
        pass  # the browser went away
    return resp


async def kill(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin", "")
    if origin != f"{request.scheme}://{request.host}":
        return web.json_response({"ok": False, "error": "cross-origin kill refused"}, status=403)
    if request.headers.get("X-Dashboard") != "kill":
        return web.json_response({"ok": False, "error": "missing X-Dashboard header"},
                                 status=403)
    reason = "dashboard"
    try:
        body: Any = await request.json()
        if isinstance(body, dict) and isinstance(body.get("reason"), str):
            reason = f"dashboard: {body['reason'][:200]}"
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    try:
        result = await request.app[SOURCE_KEY].kill(reason)
    except (TraderGone, TraderError) as e:
        log.error("dashboard kill failed: %s", e)
        return web.json_response({"ok": False, "error": f"kill failed: {e}"}, status=503)
    log.warning("kill from the dashboard: %s -> %s", reason, result.get("state"))
    return web.json_response(result)


def make_app(source: Source, token: str) -> web.Application:
    if len(token) < 16:
        raise ValueError("the dashboard token must be at least 16 characters")
    app = web.Application(middlewares=[guard])
    app[SOURCE_KEY] = source
    app[TOKEN_KEY] = token
    app[CLOSING_KEY] = asyncio.Event()

    async def on_shutdown(app: web.Application) -> None:
        app[CLOSING_KEY].set()

    app.on_shutdown.append(on_shutdown)
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static_file)
    app.router.add_get("/api/snapshot", snapshot)
    app.router.add_get("/api/stream", stream)
    app.router.add_post("/api/kill", kill)
    return app
