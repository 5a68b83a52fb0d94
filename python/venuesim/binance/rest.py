"""REST /api/v3: parameters, security, weights, rate-limit headers, faults, then the endpoint."""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .api import Api
from .auth import check_timing, lookup_key, strip_signature, verify
from .errors import BinanceError
from .faults import Faults
from .params import read_all
from .ratelimit import RateLimiter


def parse_params(raw_query: str, raw_body: str) -> dict[str, str]:
    """Query and form body may be mixed; the query wins; repeats within one are refused."""
    merged: dict[str, str] = {}
    for raw in (raw_query, raw_body):
        seen: set[str] = set()
        for key, value in parse_qsl(raw, keep_blank_values=True):
            if key in seen:
                raise BinanceError(-1101, "Duplicate values for a parameter detected.")
            seen.add(key)
            merged.setdefault(key, value)
    return merged


class Rest:
    def __init__(self, api: Api, limiter: RateLimiter, faults: Faults, rng: random.Random
                 ) -> None:
        self.api = api
        self.limiter = limiter
        self.faults = faults
        self.rng = rng
        self.requests = 0
        self.responses_5xx = 0

    def _reply(self, body: Any, status: int, headers: dict[str, str]) -> web.Response:
        return web.Response(text=json.dumps(body, separators=(",", ":")), status=status,
                            content_type="application/json", headers=headers)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        clock = self.api.engine.clock
        ip = request.remote or "?"
        path = request.match_info["path"]
        endpoint = self.api.endpoints.get((request.method, path))
        if endpoint is None:
            return self._reply({"code": -1000, "msg": "Unknown endpoint."}, 404, {})
        headers: dict[str, str] = {}
        raw_query = request.rel_url.raw_query_string
        raw_body = ""
        if request.method != "GET" and request.can_read_body:
            raw_body = (await request.read()).decode("utf-8", errors="replace")
        try:
            params = parse_params(raw_query, raw_body)
            headers["X-MBX-USED-WEIGHT-1M"] = str(
                self.limiter.charge(ip, endpoint.weight(params), clock.now_ms()))
            if self.faults.rest_5xx > 0 or (self.faults.rest_5xx_rate > 0 and
                                            self.rng.random() < self.faults.rest_5xx_rate):
                self.faults.rest_5xx = max(0, self.faults.rest_5xx - 1)
                self.responses_5xx += 1
                return self._reply({"code": -1001, "msg": "Internal error; unable to process "
                                    "your request. Please try again."}, 503, headers)
            account = None
            if endpoint.signed:
                account = lookup_key(self.api.accounts, request.headers.get("X-MBX-APIKEY"))
                query_payload, query_sig = strip_signature(raw_query)
                body_payload, body_sig = strip_signature(raw_body)
                verify(account, query_payload + body_payload, query_sig or body_sig)
                check_timing(params, clock.now_ms())
            read_all(params, endpoint.allowed)
            if endpoint.counts_order and account is not None:
                c10, c1d = self.limiter.count_order(account.uid, clock.now_ms())
                order_headers = {"X-MBX-ORDER-COUNT-10S": str(c10),
                                 "X-MBX-ORDER-COUNT-1D": str(c1d)}
            else:
                order_headers = {}
            body = endpoint.handler(account, params)
            if self.faults.rest_unknown > 0:
                self.faults.rest_unknown -= 1
                self.responses_5xx += 1
                return self._reply({"code": -1007, "msg": "Timeout waiting for response from "
                                    "backend server. Send status unknown; execution status "
                                    "unknown."}, 503, headers)
            headers.update(order_headers)
            return self._reply(body, 200, headers)
        except BinanceError as exc:
            if endpoint.counts_order:
                self.api.engine.stats.rejected[str(exc.code)] += 1
            headers.update(exc.headers)
            if "X-MBX-USED-WEIGHT-1M" not in headers:
                headers["X-MBX-USED-WEIGHT-1M"] = str(
                    self.limiter.used_weight(ip, clock.now_ms()))
            return self._reply(exc.body(), exc.http_status, headers)
