"""WebSocket market and user channels: subscriptions, fan-out, PING/PONG, faults."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .auth import KeyStore
from .faults import Faults

MAX_QUEUE = 10_000  # a client this far behind is disconnected rather than buffered


@dataclass(eq=False)
class Conn:
    ws: web.WebSocketResponse
    channel: str  # "market" | "user"
    assets: set[str] = field(default_factory=set)
    custom: bool = False
    api_key: str = ""
    markets: set[str] = field(default_factory=set)  # user channel filter; empty = all
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    last_seen: float = field(default_factory=time.monotonic)


class Hub:
    """Holds live connections; `send_*` queue messages, each connection's writer sends."""

    def __init__(self, keys: KeyStore, faults: Faults, idle_timeout_s: float) -> None:
        self.keys = keys
        self.faults = faults
        self.idle_timeout_s = idle_timeout_s
        self.conns: set[Conn] = set()
        self.snapshot: Any = None  # callable(asset_ids) -> list of book messages
        self.sent = {"market": 0, "user": 0}
        self.flowing = {"market": asyncio.Event(), "user": asyncio.Event()}
        self.apply_faults()

    # ---- fan-out -------------------------------------------------------------------
    def _push(self, c: Conn, payload: Any) -> None:
        if c.queue.qsize() >= MAX_QUEUE:
            return
        c.queue.put_nowait(json.dumps(payload, separators=(",", ":")))

    def market_msg(self, assets: list[str], payload: dict[str, Any], custom: bool = False
                   ) -> None:
        for c in self.conns:
            if c.channel != "market" or (custom and not c.custom):
                continue
            if c.assets.intersection(assets) or (custom and payload.get("event_type")
                                                   == "new_market"):
                self._push(c, payload)

    def user_msg(self, owner: str, market: str, payload: dict[str, Any]) -> None:
        for c in self.conns:
            if c.channel == "user" and c.api_key == owner and (not c.markets
                                                               or market in c.markets):
                self._push(c, payload)

    async def drop(self, channel: str) -> None:
        for c in [c for c in self.conns if c.channel == channel]:
            await c.ws.close(code=1011, message=b"simulated drop")
            c.queue.put_nowait("")  # wake the writer so it sees the closed socket

    # ---- connection handling -------------------------------------------------------
    async def handle(self, request: web.Request, channel: str) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Conn(ws, channel)
        self.conns.add(conn)
        try:
            async with asyncio.TaskGroup() as tg:
                writer = tg.create_task(self._writer(conn))
                await self._reader(conn)
                writer.cancel()
        finally:
            self.conns.discard(conn)
        return ws

    async def faults_cleared(self, conn: Conn) -> None:
        await self.flowing[conn.channel].wait()

    def apply_faults(self) -> None:
        """Open or close each channel's gate after the fault settings changed."""
        for channel, state in (("market", self.faults.ws_market), ("user", self.faults.ws_user)):
            if state == "stall":
                self.flowing[channel].clear()
            else:
                self.flowing[channel].set()

    async def _writer(self, conn: Conn) -> None:
        while not conn.ws.closed:
            text = await conn.queue.get()
            # A stalled channel holds everything, PONGs included, until the fault clears.
            await self.faults_cleared(conn)
            if conn.ws.closed:
                return
            if not text:
                continue
            with contextlib.suppress(ConnectionResetError):
                await conn.ws.send_str(text)
                self.sent[conn.channel] += 1

    async def _reader(self, conn: Conn) -> None:
        ws = conn.ws
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=self.idle_timeout_s)
            except TimeoutError:
                await ws.close(code=1000, message=b"idle timeout")
                return
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED,
                            WSMsgType.ERROR):
                return
            if msg.type != WSMsgType.TEXT:
                continue
            conn.last_seen = time.monotonic()
            text = str(msg.data).strip()
            if text == "PING":
                conn.queue.put_nowait("PONG")
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                conn.queue.put_nowait(json.dumps({"error": "invalid message"}))
                continue
            if not isinstance(data, dict):
                conn.queue.put_nowait(json.dumps({"error": "invalid message"}))
                continue
            if conn.channel == "market":
                self._market_sub(conn, data)
            elif not await self._user_sub(conn, data):
                return

    def _market_sub(self, conn: Conn, data: dict[str, Any]) -> None:
        assets = [str(a) for a in data.get("assets_ids") or []]
        if data.get("operation") == "unsubscribe":
            conn.assets.difference_update(assets)
            return
        conn.assets.update(assets)
        if "custom_feature_enabled" in data:
            conn.custom = bool(data["custom_feature_enabled"])
        if assets and data.get("initial_dump", True) and self.snapshot is not None:
            books = self.snapshot(assets)
            if books:
                conn.queue.put_nowait(json.dumps(books, separators=(",", ":")))

    async def _user_sub(self, conn: Conn, data: dict[str, Any]) -> bool:
        markets = {str(m) for m in data.get("markets") or []}
        if data.get("operation") in ("subscribe", "unsubscribe") and conn.api_key:
            if data["operation"] == "subscribe":
                conn.markets.update(markets)
            else:
                conn.markets.difference_update(markets)
            return True
        auth = data.get("auth")
        creds = self.keys.keys.get(str(auth.get("apiKey"))) if isinstance(auth, dict) else None
        if creds is None or not isinstance(auth, dict) or auth.get("secret") != creds.secret \
                or auth.get("passphrase") != creds.passphrase:
            await conn.ws.send_str(json.dumps({"error": "Unauthorized/Invalid api key"}))
            await conn.ws.close(code=4001, message=b"unauthorized")
            return False
        conn.api_key = creds.key
        conn.markets = markets
        return True


def change_hash(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()
