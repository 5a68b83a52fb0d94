"""Assembles the simulator: one aiohttp app serving REST, market streams, the WebSocket API
and the /_sim admin endpoints, plus the background tasks (depth clock, market flow)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from .accounts import Account
from .api import Api
from .clock import Clock
from .conn import Timing
from .engine import Engine, OrderRequest
from .errors import BinanceError
from .faults import Faults, FaultSpecError, parse_spec, validate
from .flow import Flow
from .ratelimit import RateLimiter
from .rest import Rest
from .streams import MarketStreams
from .symbols import SYMBOLS, fmt
from .wsapi import WsApi


@dataclass
class SimConfig:
    seed: int = 1
    speed: float = 1.0
    accounts: tuple[Account, ...] = ()
    faults: dict[str, Any] | None = None
    weight_limit: int = 6000
    flow: bool = True


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.rng = random.Random(config.seed)
        self.engine = Engine(self.clock)
        self.limiter = RateLimiter(weight_limit=config.weight_limit)
        self.faults = Faults()
        self.accounts = {a.api_key: a for a in config.accounts}
        self.api = Api(self.engine, self.accounts, self.limiter)
        timing = Timing.scaled(config.speed)
        self.streams = MarketStreams(self.engine, self.faults, timing)
        self.wsapi = WsApi(self.api, self.limiter, self.faults, timing)
        self.rest = Rest(self.api, self.limiter, self.faults, random.Random(config.seed + 1))
        self.flow = Flow(self.engine, random.Random(config.seed + 2), config.speed)
        self.flow.enabled = config.flow
        self.flow.seed_books()
        self._pending: set[asyncio.Task[None]] = set()
        if config.faults:
            self.apply_faults(config.faults)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/v3/{path:.+}", self.rest.handle)
        app.router.add_get("/ws/{streams:.+}", self.streams.handle_raw)
        app.router.add_get("/stream", self.streams.handle_combined)
        app.router.add_get("/ws-api/v3", self.wsapi.handle)
        app.router.add_get("/_sim/stats", self.handle_stats)
        app.router.add_post("/_sim/faults", self.handle_faults)
        app.router.add_post("/_sim/flow", self.handle_flow)
        app.router.add_post("/_sim/trade", self.handle_trade)
        app.router.add_post("/_sim/deposit", self.handle_deposit)
        return app

    async def background(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self.streams.run_depth_clock())
            group.create_task(self.flow.run())

    async def close(self) -> None:
        await self.streams.close_all()
        await self.wsapi.close_all()

    # ----- faults -------------------------------------------------------------------------
    def apply_faults(self, doc: dict[str, Any]) -> list[str]:
        faults = validate(doc)
        for name, value in faults.items():
            if name in ("rest_5xx", "rest_unknown", "skip_depth"):
                setattr(self.faults, name, value)
            elif name == "rest_5xx_rate":
                self.faults.rest_5xx_rate = value
            elif name == "rate_limit_next":
                self.limiter.forced_429s = value
            elif name == "retry_after":
                self.limiter.forced_retry_after_s = value
            elif name == "weight_limit":
                self.limiter.weight_limit = value
            elif name == "time_skew_ms":
                self.clock.skew_ms = value
            elif name == "stall_market":
                self.faults.stall_market_until = time.monotonic() + value
            elif name == "stall_user":
                self.faults.stall_user_until = time.monotonic() + value
            elif name == "drop_market":
                self.streams.drop_all()
            elif name == "drop_user":
                self.wsapi.drop_all()
            elif name == "server_shutdown":
                self.streams.shutdown_notice()
                self.wsapi.shutdown_notice()
                task = asyncio.get_running_loop().create_task(self._close_later(1.0))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
        applied = [f"{k}={v}" for k, v in faults.items()]
        self.faults.applied.extend(applied)
        return applied

    async def _close_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.close()

    # ----- admin endpoints ----------------------------------------------------------------
    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            doc = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise web.HTTPBadRequest(text=json.dumps({"error": f"bad JSON: {exc}"}),
                                     content_type="application/json") from exc
        if not isinstance(doc, dict):
            raise web.HTTPBadRequest(text=json.dumps({"error": "expected a JSON object"}),
                                     content_type="application/json")
        return doc

    @staticmethod
    def _bad(message: str) -> web.Response:
        return web.json_response({"error": message}, status=400)

    async def handle_stats(self, _request: web.Request) -> web.Response:
        return web.json_response({
            "venue": "binance", "server_time": self.clock.now_ms(),
            "engine": self.engine.stats.as_json(),
            "rest": {"requests": self.rest.requests, "responses_5xx": self.rest.responses_5xx,
                     "responses_429": self.limiter.responses_429,
                     "responses_418": self.limiter.responses_418},
            "streams": {"connections": len(self.streams.conns),
                        "messages": self.streams.messages_published,
                        "depth_events_skipped": self.streams.depth_events_skipped},
            "ws_api": {"connections": len(self.wsapi.conns),
                       "user_events": self.wsapi.events_sent},
            "flow": {"enabled": self.flow.enabled, "taker_orders": self.flow.taker_orders,
                     "fair": {s: repr(v) for s, v in self.flow.fair.items()}},
            "books": {s: {"lastUpdateId": b.update_id,
                          "bid": fmt(b.bids.best() or Decimal(0)),
                          "ask": fmt(b.asks.best() or Decimal(0)),
                          "last": fmt(self.engine.last_price[s])}
                      for s, b in self.engine.books.items()},
            "faults": self.faults.applied,
        })

    async def handle_faults(self, request: web.Request) -> web.Response:
        doc = await self._json(request)
        try:
            if "spec" in doc:
                applied = self.apply_faults(parse_spec(str(doc["spec"])))
            else:
                applied = self.apply_faults(doc)
        except FaultSpecError as exc:
            return self._bad(str(exc))
        return web.json_response({"ok": True, "applied": applied})

    async def handle_flow(self, request: web.Request) -> web.Response:
        doc = await self._json(request)
        if not isinstance(doc.get("enabled"), bool):
            return self._bad('expected {"enabled": true|false}')
        self.flow.enabled = doc["enabled"]
        return web.json_response({"ok": True, "enabled": self.flow.enabled})

    async def handle_trade(self, request: web.Request) -> web.Response:
        """A background participant sends an order now: MARKET, or LIMIT IOC with a price."""
        doc = await self._json(request)
        spec = SYMBOLS.get(str(doc.get("symbol")))
        side = doc.get("side")
        if spec is None or side not in ("BUY", "SELL"):
            return self._bad("need symbol (listed) and side BUY|SELL")
        try:
            qty = Decimal(str(doc.get("quantity")))
            price = Decimal(str(doc["price"])) if "price" in doc else Decimal(0)
        except InvalidOperation:
            return self._bad("quantity and price must be decimals")
        if not qty.is_finite() or qty <= 0 or not price.is_finite() or price < 0:
            return self._bad("quantity must be > 0 and price >= 0")
        order, fills = self.engine.submit(None, OrderRequest(
            spec.symbol, side, "LIMIT" if price > 0 else "MARKET", "IOC" if price > 0 else "GTC",
            price, qty, Decimal(0), self.engine.new_client_id()))
        return web.json_response({
            "orderId": order.order_id, "status": order.status,
            "executedQty": fmt(order.executed),
            "fills": [{"price": fmt(f.price), "qty": fmt(f.qty), "tradeId": f.trade_id}
                      for f in fills]})

    async def handle_deposit(self, request: web.Request) -> web.Response:
        """A deposit (or, negative, a withdrawal): balanceUpdate on the user data stream."""
        doc = await self._json(request)
        account = self.accounts.get(str(doc.get("api_key")))
        if account is None:
            return self._bad("unknown api_key")
        try:
            amount = Decimal(str(doc.get("amount")))
        except InvalidOperation:
            return self._bad("amount must be a decimal")
        if not amount.is_finite():
            return self._bad("amount must be finite")
        try:
            self.engine.credit(account, str(doc.get("asset")), amount)
        except BinanceError as exc:
            return self._bad(exc.msg)
        return web.json_response({"ok": True})
