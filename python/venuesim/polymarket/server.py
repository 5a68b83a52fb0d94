"""The aiohttp application: CLOB REST + WS at the root, Gamma under /gamma, all on
one port, and the simulation loop as a background task of the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from .api import SIM_KEY, faults_and_limits, routes
from .chain.rpc import handler as rpc_handler
from .sim import Sim


def build_app(sim: Sim) -> web.Application:
    app = web.Application(middlewares=[faults_and_limits])
    app[SIM_KEY] = sim
    routes(app)

    async def ws_market(request: web.Request) -> web.WebSocketResponse:
        return await sim.hub.handle(request, "market")

    async def ws_user(request: web.Request) -> web.WebSocketResponse:
        return await sim.hub.handle(request, "user")

    app.router.add_get("/ws/market", ws_market)
    app.router.add_get("/ws/user", ws_user)

    app.router.add_post("/rpc", rpc_handler(sim.chain))

    async def background() -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(sim.run(), name="polymarket-sim-loop")
            tg.create_task(sim.settler.run(), name="polymarket-chain-settler")

    async def loop_ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(background(), name="polymarket-background")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sim.close()

    async def close_ws(_app: web.Application) -> None:
        for c in list(sim.hub.conns):
            await c.ws.close(code=1001, message=b"server shutdown")

    app.cleanup_ctx.append(loop_ctx)
    app.on_shutdown.append(close_ws)
    return app


def urls(host: str, port: int) -> dict[str, str | None]:
    base = f"http://{host}:{port}"
    return {"clob": base, "ws_market": f"ws://{host}:{port}/ws/market",
            "ws_user": f"ws://{host}:{port}/ws/user", "gamma": f"{base}/gamma",
            "rpc": f"{base}/rpc"}
