"""One WebSocket connection as the venue runs it: an outbound queue, a ping every 20 s, a pong
deadline of 1 minute, a 24 h lifetime (all divided by --speed), stalls and drops on demand."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

QUEUE_LIMIT = 10_000


@dataclass(frozen=True)
class Timing:
    ping_interval: float = 20.0
    pong_deadline: float = 60.0
    lifetime: float = 86_400.0

    @classmethod
    def scaled(cls, speed: float) -> Timing:
        return cls(20.0 / speed, 60.0 / speed, 86_400.0 / speed)


class Conn:
    def __init__(self, request: web.Request, ws: web.WebSocketResponse, timing: Timing,
                 stalled: Callable[[], bool]) -> None:
        self.request = request
        self.ws = ws
        self.timing = timing
        self.stalled = stalled
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_LIMIT)
        self.opened = time.monotonic()
        self.last_pong = self.opened
        self.closed = False
        self.sent = 0

    def send_json(self, doc: Any) -> None:
        self.send_text(json.dumps(doc, separators=(",", ":")))

    def send_text(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.abort()  # a consumer this slow is disconnected, as the venue does

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a network failure)."""
        self.closed = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        self.closed = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close()

    async def _writer(self) -> None:
        next_ping = self.opened + self.timing.ping_interval
        while not self.closed:
            now = time.monotonic()
            if now - self.opened >= self.timing.lifetime:
                await self.close()
                return
            if self.stalled():
                self.last_pong = now  # the peer cannot answer pings we do not send
                await asyncio.sleep(0.02)
                continue
            if now - self.last_pong > self.timing.pong_deadline:
                await self.close()
                return
            if now >= next_ping:
                next_ping = now + self.timing.ping_interval
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.ping(str(int(time.time() * 1000)).encode())
            try:
                text = await asyncio.wait_for(self.queue.get(), timeout=min(
                    0.25, max(0.001, next_ping - time.monotonic())))
            except TimeoutError:
                continue
            # Held, not lost: a stalled link delivers late, like TCP would.
            await self._wait_stall()
            try:
                await self.ws.send_str(text)
                self.sent += 1
            except (ConnectionError, RuntimeError):
                self.closed = True
                return

    async def _wait_stall(self) -> None:
        while self.stalled() and not self.closed:  # noqa: ASYNC110 - a stall ends by the clock
            await asyncio.sleep(0.02)

    async def run(self, on_text: Callable[[str], Awaitable[None]]) -> None:
        """Serve until the peer or the simulator closes the connection."""
        writer = asyncio.create_task(self._writer())
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await on_text(msg.data)
                elif msg.type == WSMsgType.PING:
                    await self.ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG:
                    self.last_pong = time.monotonic()
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            self.closed = True
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
