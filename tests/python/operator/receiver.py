"""A local HTTP server standing in for Pushover and for a webhook: it records every request
(path, headers, form or JSON body) so the tests can read what an operator would have got."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PUSHOVER_PATH = "/1/messages.json"
HOOK_PATH = "/hook"


@dataclass
class Received:
    path: str
    content_type: str
    body: dict[str, Any]


@dataclass
class Receiver:
    runner: web.AppRunner
    base: str
    got: list[Received] = field(default_factory=list)
    pushover_status: int = 200
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def pushover_url(self) -> str:
        return self.base + PUSHOVER_PATH

    @property
    def hook_url(self) -> str:
        return self.base + HOOK_PATH

    def pushover(self) -> list[dict[str, Any]]:
        return [r.body for r in self.got if r.path == PUSHOVER_PATH]

    def hooks(self) -> list[dict[str, Any]]:
        return [r.body for r in self.got if r.path == HOOK_PATH]

    def hooks_of(self, kind: str) -> list[dict[str, Any]]:
        return [b for b in self.hooks() if b["kind"] == kind]

    async def wait(self, pred: Any, within: float = 15.0) -> Any:
        """Wait until pred() is truthy (checked on each request and every 50 ms)."""
        async with asyncio.timeout(within):
            while not (value := pred()):
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.05)
            return value

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_receiver() -> Receiver:
    app = web.Application()
    holder: list[Receiver] = []

    async def pushover(request: web.Request) -> web.Response:
        rec = holder[0]
        form = dict(await request.post())
        rec.got.append(Received(request.path, request.content_type,
                                {k: str(v) for k, v in form.items()}))
        rec.changed.set()
        if rec.pushover_status != 200:
            return web.json_response({"status": 0, "errors": ["application token is invalid"]},
                                     status=rec.pushover_status)
        return web.json_response({"status": 1, "request": f"req-{len(rec.got)}"})

    async def hook(request: web.Request) -> web.Response:
        rec = holder[0]
        body = json.loads(await request.text())
        rec.got.append(Received(request.path, request.content_type, body))
        rec.changed.set()
        return web.json_response({"ok": True})

    app.router.add_post(PUSHOVER_PATH, pushover)
    app.router.add_post(HOOK_PATH, hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec = Receiver(runner, f"http://127.0.0.1:{port}")
    holder.append(rec)
    return rec
