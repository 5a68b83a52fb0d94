"""One Polymarket WebSocket channel (market or user): connect, subscribe, keep alive, detect
silence, reconnect.

Keepalive is the venue's text `PING` every `ping_s` (it answers `PONG`). Any frame counts
as life; when nothing at all has arrived for `silent_s` the channel is declared stalled,
closed and reopened. `on_down(reason)` fires on every loss (drop or stall) before the
reconnect, `on_up()` after each successful subscribe, so the owner can cancel quotes when
blind and reconcile when back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

log = logging.getLogger("gateway.ws")

MessageHandler = Callable[[dict[str, Any]], None]


class WsChannel:
    def __init__(self, session: aiohttp.ClientSession, url: str, name: str, *,
                 subscribe: Callable[[], dict[str, Any]], on_message: MessageHandler,
                 on_up: Callable[[], Awaitable[None]], on_down: Callable[[str], None],
                 ping_s: float, silent_s: float) -> None:
        self.session = session
        self.url = url
        self.name = name
        self._subscribe = subscribe
        self._on_message = on_message
        self._on_up = on_up
        self._on_down = on_down
        self.ping_s = ping_s
        self.silent_s = silent_s
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.connected = False
        self.last_rx = 0.0
        self.reconnects = 0
        self.messages = 0
        self.stalls = 0

    async def send(self, payload: dict[str, Any]) -> None:
        """Send a frame if connected (a lost frame is covered by the resubscribe on reconnect)."""
        ws = self.ws
        if ws is not None and not ws.closed and self.connected:
            await ws.send_str(json.dumps(payload, separators=(",", ":")))

    async def run(self) -> None:
        backoff = 0.2
        while True:
            reason = "closed"
            try:
                async with self.session.ws_connect(self.url, heartbeat=None,
                                                   autoping=True) as ws:
                    self.ws = ws
                    await ws.send_str(json.dumps(self._subscribe(), separators=(",", ":")))
                    self.last_rx = time.monotonic()
                    self.connected = True
                    backoff = 0.2
                    log.info("%s channel up", self.name)
                    await self._on_up()
                    reason = await self._pump(ws)
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                was_up = self.connected
                self.connected = False
                self.ws = None
            if was_up:
                self.reconnects += 1
            log.warning("%s channel down: %s", self.name, reason)
            self._on_down(reason)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        async with asyncio.TaskGroup() as tg:
            keeper = tg.create_task(self._keepalive(ws))
            try:
                while True:
                    msg = await ws.receive()
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        self.last_rx = time.monotonic()
                        self._dispatch(str(msg.data))
                    elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                                      aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        return "silent (stalled)" if keeper.done() else f"closed ({msg.type.name})"
                    else:
                        self.last_rx = time.monotonic()
            finally:
                keeper.cancel()

    async def _keepalive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        next_ping = time.monotonic() + self.ping_s
        while not ws.closed:
            now = time.monotonic()
            if now - self.last_rx > self.silent_s:
                self.stalls += 1
                log.warning("%s channel silent for %.1f s: closing", self.name,
                            now - self.last_rx)
                await ws.close(code=1000, message=b"stalled")
                return
            if now >= next_ping:
                await ws.send_str("PING")
                next_ping = now + self.ping_s
            await asyncio.sleep(min(0.25, self.silent_s / 4))

    def _dispatch(self, text: str) -> None:
        if text == "PONG":
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            log.warning("%s channel: undecodable frame", self.name)
            return
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                self.messages += 1
                self._on_message(item)
