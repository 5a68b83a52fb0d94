"""Market streams: raw /ws/<stream> and combined /stream?streams=a/b with {"stream","data"}.

Streams: <symbol>@depth (1000 ms) and <symbol>@depth@100ms diff depth (Spot shape: e, E, s,
U, u, b, a; no T/pu), <symbol>@bookTicker (u, s, b, B, a, A), <symbol>@trade.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from .conn import Conn, Timing
from .engine import Engine
from .faults import Faults
from .symbols import SYMBOLS, fmt

STREAM_RE = re.compile(r"^([a-z0-9]+)@(depth|depth@100ms|depth@1000ms|trade|bookTicker)$")


def valid_stream(name: str) -> bool:
    match = STREAM_RE.match(name)
    return bool(match) and match is not None and match.group(1).upper() in SYMBOLS


@dataclass
class DepthAccumulator:
    first: int = 0
    last: int = 0
    changes: dict[tuple[bool, Decimal], Decimal] = field(default_factory=dict)

    def add(self, first: int, last: int, changes: list[tuple[bool, Decimal, Decimal]]) -> None:
        if not self.changes and self.first == 0:
            self.first = first
        self.last = last
        for is_bid, price, qty in changes:
            self.changes[(is_bid, price)] = qty

    def take(self, symbol: str, now: int) -> dict[str, Any] | None:
        if self.first == 0:
            return None
        bids = sorted(((p, q) for (b, p), q in self.changes.items() if b), reverse=True)
        asks = sorted((p, q) for (b, p), q in self.changes.items() if not b)
        event = {"e": "depthUpdate", "E": now, "s": symbol, "U": self.first, "u": self.last,
                 "b": [[fmt(p), fmt(q)] for p, q in bids],
                 "a": [[fmt(p), fmt(q)] for p, q in asks]}
        self.first, self.last, self.changes = 0, 0, {}
        return event


class StreamConn(Conn):
    def __init__(self, request: web.Request, ws: web.WebSocketResponse, timing: Timing,
                 faults: Faults, *, combined: bool, streams: set[str]) -> None:
        super().__init__(request, ws, timing, faults.market_stalled)
        self.combined = combined
        self.streams = streams


class MarketStreams:
    def __init__(self, engine: Engine, faults: Faults, timing: Timing) -> None:
        self.engine = engine
        self.faults = faults
        self.timing = timing
        self.conns: set[StreamConn] = set()
        self.fast = {s: DepthAccumulator() for s in SYMBOLS}
        self.slow = {s: DepthAccumulator() for s in SYMBOLS}
        self.depth_events_skipped = 0
        self.skip = {(kind, s): 0 for kind in ("fast", "slow") for s in SYMBOLS}
        self.messages_published = 0
        engine.market_sinks.append(self.on_market)

    def on_market(self, symbol: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == "depth":
            self.fast[symbol].add(payload["U"], payload["u"], payload["changes"])
            self.slow[symbol].add(payload["U"], payload["u"], payload["changes"])
        elif kind == "trade":
            self.publish(f"{symbol.lower()}@trade", payload)
        elif kind == "bookTicker":
            self.publish(f"{symbol.lower()}@bookTicker", payload)

    def publish(self, stream: str, payload: dict[str, Any]) -> None:
        raw: str | None = None
        wrapped: str | None = None
        for conn in self.conns:
            if stream not in conn.streams:
                continue
            if conn.combined:
                if wrapped is None:
                    wrapped = json.dumps({"stream": stream, "data": payload},
                                         separators=(",", ":"))
                conn.send_text(wrapped)
            else:
                if raw is None:
                    raw = json.dumps(payload, separators=(",", ":"))
                conn.send_text(raw)
            self.messages_published += 1

    def _emit_depth(self, accumulators: dict[str, DepthAccumulator], names: tuple[str, ...],
                    kind: str) -> None:
        if self.faults.skip_depth > 0:
            # The fault drops the next N events of every depth stream of every symbol.
            self.skip = dict.fromkeys(self.skip, self.faults.skip_depth)
            self.faults.skip_depth = 0
        now = self.engine.clock.now_ms()
        for symbol, acc in accumulators.items():
            event = acc.take(symbol, now)
            if event is None:
                continue
            if self.skip[(kind, symbol)] > 0:
                self.skip[(kind, symbol)] -= 1
                self.depth_events_skipped += 1
                continue
            for name in names:
                self.publish(f"{symbol.lower()}@{name}", event)

    async def run_depth_clock(self) -> None:
        """Diff depth goes out every 100 ms (and every 1000 ms for @depth), wall time."""
        tick = 0
        while True:
            await asyncio.sleep(0.1)
            tick += 1
            self._emit_depth(self.fast, ("depth@100ms",), "fast")
            if tick % 10 == 0:
                self._emit_depth(self.slow, ("depth", "depth@1000ms"), "slow")

    def shutdown_notice(self) -> None:
        now = self.engine.clock.now_ms()
        for conn in self.conns:
            event = {"e": "serverShutdown", "E": now}
            conn.send_json({"stream": "!serverShutdown", "data": event} if conn.combined
                           else event)

    def drop_all(self) -> None:
        for conn in list(self.conns):
            conn.abort()

    async def close_all(self) -> None:
        for conn in list(self.conns):
            await conn.close()

    async def handle_raw(self, request: web.Request) -> web.StreamResponse:
        names = request.match_info["streams"].split("/")
        return await self._serve(request, names, combined=False)

    async def handle_combined(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await self._serve(request, names, combined=True)

    async def _serve(self, request: web.Request, names: list[str], combined: bool
                     ) -> web.StreamResponse:
        if any(not valid_stream(n) for n in names) or len(names) > 1024:
            return web.json_response({"code": 2, "msg": "Invalid request: unknown stream"},
                                     status=400)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = StreamConn(request, ws, self.timing, self.faults, combined=combined,
                          streams=set(names))
        self.conns.add(conn)
        incoming: list[float] = []

        async def on_text(text: str) -> None:
            now = time.monotonic()
            incoming.append(now)
            while incoming and incoming[0] < now - 1:
                incoming.pop(0)
            if len(incoming) > 5:  # 5 incoming messages per second, then disconnected
                conn.abort()
                return
            conn.send_json(self._control(conn, text))

        try:
            await conn.run(on_text)
        finally:
            self.conns.discard(conn)
        return ws

    def _control(self, conn: StreamConn, text: str) -> dict[str, Any]:
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            return {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}
        if not isinstance(msg, dict):
            return {"code": 3, "msg": "Invalid JSON: expected an object"}
        req_id = msg.get("id")
        method = msg.get("method")
        params = msg.get("params", [])
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(
                    isinstance(p, str) and valid_stream(p) for p in params):
                return {"code": 2, "msg": "Invalid request: invalid stream name", "id": req_id}
            if method == "SUBSCRIBE":
                conn.streams.update(params)
            else:
                conn.streams.difference_update(params)
            return {"result": None, "id": req_id}
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(conn.streams), "id": req_id}
        if method == "SET_PROPERTY":
            if params[:1] != ["combined"] or len(params) != 2:
                return {"code": 0, "msg": "Unknown property", "id": req_id}
            if not isinstance(params[1], bool):
                return {"code": 1, "msg": "Invalid value type: expected Boolean"}
            conn.combined = params[1]
            return {"result": None, "id": req_id}
        if method == "GET_PROPERTY":
            if params != ["combined"]:
                return {"code": 0, "msg": "Unknown property", "id": req_id}
            return {"result": conn.combined, "id": req_id}
        return {"code": 2, "msg": "Invalid request: unknown method", "id": req_id}
