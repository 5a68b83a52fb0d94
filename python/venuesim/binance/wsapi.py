"""WebSocket API /ws-api/v3: session.logon, the user data stream subscriptions
(userDataStream.subscribe, .subscribe.signature, .unsubscribe, session.subscriptions) and the
trading and account methods, all in the {"id","status","result"|"error","rateLimits"} shape.
Events go out as {"subscriptionId": N, "event": {...}}."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .accounts import Account
from .api import Api
from .auth import check_timing, lookup_key, verify_ws, ws_value
from .conn import Conn, Timing
from .errors import BinanceError, mandatory
from .faults import Faults
from .ratelimit import RateLimiter

# method -> (REST endpoint it shares logic with, weight, needs signature)
TRADING: dict[str, tuple[tuple[str, str], int]] = {
    "order.place": (("POST", "order"), 1),
    "order.test": (("POST", "order/test"), 1),
    "order.status": (("GET", "order"), 4),
    "order.cancel": (("DELETE", "order"), 1),
    "openOrders.status": (("GET", "openOrders"), 6),
    "openOrders.cancelAll": (("DELETE", "openOrders"), 1),
    "account.status": (("GET", "account"), 20),
    "myTrades": (("GET", "myTrades"), 20),
}
PUBLIC: dict[str, tuple[tuple[str, str], int]] = {
    "ping": (("GET", "ping"), 1),
    "time": (("GET", "time"), 1),
    "exchangeInfo": (("GET", "exchangeInfo"), 20),
    "depth": (("GET", "depth"), 5),
}


class ApiConn(Conn):
    def __init__(self, request: web.Request, ws: web.WebSocketResponse, timing: Timing,
                 stalled: Callable[[], bool], now_ms: int) -> None:
        super().__init__(request, ws, timing, stalled)
        self.logon: Account | None = None
        self.authorized_since: int | None = None
        self.connected_since = now_ms
        # subscription id -> (account, made through session.logon)
        self.subscriptions: dict[int, tuple[Account, bool]] = {}
        self.next_subscription = 0


class WsApi:
    def __init__(self, api: Api, limiter: RateLimiter, faults: Faults, timing: Timing) -> None:
        self.api = api
        self.limiter = limiter
        self.faults = faults
        self.timing = timing
        self.conns: set[ApiConn] = set()
        self.events_sent = 0
        api.engine.user_sinks.append(self.on_user_event)

    def on_user_event(self, account: Account, event: dict[str, Any]) -> None:
        for conn in self.conns:
            for sub_id, (owner, _by_logon) in conn.subscriptions.items():
                if owner is account:
                    conn.send_json({"subscriptionId": sub_id, "event": event})
                    self.events_sent += 1

    def shutdown_notice(self) -> None:
        now = self.api.engine.clock.now_ms()
        for conn in self.conns:
            conn.send_json({"event": {"e": "serverShutdown", "E": now}})

    def drop_all(self) -> None:
        for conn in list(self.conns):
            conn.abort()

    async def close_all(self) -> None:
        for conn in list(self.conns):
            await conn.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = ApiConn(request, ws, self.timing, self.faults.user_stalled,
                       self.api.engine.clock.now_ms())
        self.conns.add(conn)
        ip = request.remote or "?"

        async def on_text(text: str) -> None:
            conn.send_json(self.dispatch(conn, ip, text))

        try:
            await conn.run(on_text)
        finally:
            self.conns.discard(conn)
        return ws

    def _rate_limits(self, ip: str, account: Account | None, order: bool) -> list[Any]:
        now = self.api.engine.clock.now_ms()
        out: list[dict[str, Any]] = []
        if order and account is not None:
            c10, c1d = self.limiter.order_counts(account.uid, now)
            out.append({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                        "limit": self.limiter.orders_10s, "count": c10})
            out.append({"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1,
                        "limit": self.limiter.orders_1d, "count": c1d})
        out.append({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                    "limit": self.limiter.weight_limit,
                    "count": self.limiter.used_weight(ip, now)})
        return out

    def dispatch(self, conn: ApiConn, ip: str, text: str) -> dict[str, Any]:
        try:
            msg = json.loads(text)
        except json.JSONDecodeError:
            return {"id": None, "status": 400,
                    "error": {"code": -1135, "msg": "Invalid JSON Request"}}
        if not isinstance(msg, dict) or "method" not in msg:
            return {"id": None, "status": 400,
                    "error": {"code": -1102, "msg": "Mandatory parameter 'method' was not "
                                                    "sent, was empty/null, or malformed."}}
        req_id = msg.get("id")
        method = str(msg["method"]).removeprefix("v3/")
        params = msg.get("params") or {}
        account: Account | None = None
        is_order = method == "order.place"
        show_limits = params.get("returnRateLimits", True) is not False
        params = {k: v for k, v in params.items() if k != "returnRateLimits"}
        try:
            if not isinstance(params, dict):
                raise mandatory("params")
            result, account = self._call(conn, ip, method, params)
            body: dict[str, Any] = {"id": req_id, "status": 200, "result": result}
        except BinanceError as exc:
            if is_order:
                self.api.engine.stats.rejected[str(exc.code)] += 1
            body = {"id": req_id, "status": exc.http_status, "error": exc.body()}
            if "Retry-After" in exc.headers:
                body["error"]["data"] = {"retryAfter": int(exc.headers["Retry-After"])}
        if show_limits:
            body["rateLimits"] = self._rate_limits(ip, account, is_order)
        return body

    def _signed_account(self, conn: ApiConn, params: dict[str, Any]) -> Account:
        now = self.api.engine.clock.now_ms()
        if "apiKey" in params or "signature" in params:
            account = lookup_key(self.api.accounts, params.get("apiKey"))
            verify_ws(account, params)
        elif conn.logon is not None:
            account = conn.logon
        else:
            raise mandatory("apiKey")
        check_timing({k: ws_value(v) for k, v in params.items()}, now)
        return account

    def _call(self, conn: ApiConn, ip: str, method: str, params: dict[str, Any]
              ) -> tuple[Any, Account | None]:
        engine = self.api.engine
        now = engine.clock.now_ms()
        if method in PUBLIC:
            route, weight = PUBLIC[method]
            self.limiter.charge(ip, weight, now)
            endpoint = self.api.endpoints[route]
            return endpoint.handler(None, {k: ws_value(v) for k, v in params.items()}), None
        if method in TRADING:
            route, weight = TRADING[method]
            self.limiter.charge(ip, weight, now)
            account = self._signed_account(conn, params)
            endpoint = self.api.endpoints[route]
            rest_params = {k: ws_value(v) for k, v in params.items()
                           if k not in ("apiKey", "signature", "timestamp", "recvWindow")}
            if endpoint.counts_order:
                self.limiter.count_order(account.uid, now)
            return endpoint.handler(account, rest_params), account
        self.limiter.charge(ip, 2, now)
        if method == "session.logon":
            account = lookup_key(self.api.accounts, params.get("apiKey"))
            if account.ed25519_key is None:
                # Session authentication exists for Ed25519 keys only.
                raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
            verify_ws(account, params)
            check_timing({k: ws_value(v) for k, v in params.items()}, now)
            conn.logon, conn.authorized_since = account, now
            return self._status(conn), account
        if method == "session.status":
            return self._status(conn), conn.logon
        if method == "session.logout":
            for sub_id, (_owner, by_logon) in list(conn.subscriptions.items()):
                if by_logon:
                    self._terminate(conn, sub_id)
            conn.logon, conn.authorized_since = None, None
            return self._status(conn), None
        if method == "userDataStream.subscribe":
            if conn.logon is None:
                raise BinanceError(-1002, "You are not authorized to execute this request.", 401)
            return self._subscribe(conn, conn.logon, by_logon=True), conn.logon
        if method == "userDataStream.subscribe.signature":
            account = lookup_key(self.api.accounts, params.get("apiKey"))
            verify_ws(account, params)
            check_timing({k: ws_value(v) for k, v in params.items()}, now)
            return self._subscribe(conn, account, by_logon=False), account
        if method == "userDataStream.unsubscribe":
            wanted = params.get("subscriptionId")
            if wanted is None:
                for sub_id in list(conn.subscriptions):
                    self._terminate(conn, sub_id)
            elif not isinstance(wanted, int) or wanted not in conn.subscriptions:
                raise BinanceError(-2036, "User Data Stream subscription not active.")
            else:
                self._terminate(conn, wanted)
            return {}, None
        if method == "session.subscriptions":
            return [{"subscriptionId": s} for s in sorted(conn.subscriptions)], None
        raise BinanceError(-1020, "This operation is not supported.")

    def _status(self, conn: ApiConn) -> dict[str, Any]:
        return {"apiKey": conn.logon.api_key if conn.logon else None,
                "authorizedSince": conn.authorized_since,
                "connectedSince": conn.connected_since, "returnRateLimits": True,
                "serverTime": self.api.engine.clock.now_ms(),
                "userDataStream": bool(conn.subscriptions)}

    def _subscribe(self, conn: ApiConn, account: Account, by_logon: bool) -> dict[str, Any]:
        if any(owner is account for owner, _ in conn.subscriptions.values()):
            raise BinanceError(-2035, "User Data Stream subscription already active.")
        if len(conn.subscriptions) >= 1000 or conn.next_subscription > 65535:
            raise BinanceError(-2042, "Maximum subscription ID reached for this connection.")
        sub_id = conn.next_subscription
        conn.next_subscription += 1
        conn.subscriptions[sub_id] = (account, by_logon)
        return {"subscriptionId": sub_id}

    def _terminate(self, conn: ApiConn, sub_id: int) -> None:
        conn.subscriptions.pop(sub_id, None)
        conn.send_json({"subscriptionId": sub_id, "event": {
            "e": "eventStreamTerminated", "E": self.api.engine.clock.now_ms()}})
