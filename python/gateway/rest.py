"""CLOB REST over aiohttp: a public (read-only) client and a private (L2) one.

The split is structural: dry-run and paper mode build only `PublicClob`, which has no
method that writes to the venue and holds no credentials. `PrivateClob` (live mode)
adds L2-signed requests: orders, cancels, open orders, trades, the order heartbeat.

Throttling: a 429 carries Retry-After (seconds or an HTTP date) and/or a body
`retry_after_seconds`; the client waits that long before it sends anything more to the
venue (a shared "quiet until" instant, so other requests do not hammer it meanwhile) and
retries reads and cancels. 425 (engine restarting) and 5xx on reads back off briefly.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any, Final

import aiohttp

from gateway.config import ApiCreds

log = logging.getLogger("gateway.rest")

INITIAL_CURSOR: Final = "MA=="
END_CURSOR: Final = "LTE="
MAX_RETRIES: Final = 4


class VenueError(Exception):
    """The venue refused a request: HTTP status and its error text."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class RateLimited(VenueError):
    def __init__(self, retry_after_s: float, body: Any = None) -> None:
        super().__init__(429, f"rate limited, retry after {retry_after_s:g} s", body)
        self.retry_after_s = retry_after_s


def retry_after_of(headers: Any, body: Any) -> float:
    """Seconds to wait from a 429: the Retry-After header (seconds or HTTP date), else the
    body's retry_after_seconds, else 1 s."""
    raw = headers.get("Retry-After") if headers is not None else None
    if raw:
        try:
            return max(float(raw), 0.0)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw).timestamp()
                return max(when - time.time(), 0.0)
            except (TypeError, ValueError):
                pass
    if isinstance(body, dict):
        v = body.get("retry_after_seconds")
        if isinstance(v, int | float) and not isinstance(v, bool):
            return max(float(v), 0.0)
    return 1.0


def error_text(body: Any) -> str:
    if isinstance(body, dict):
        for k in ("error", "errorMsg", "error_msg", "message"):
            if body.get(k):
                return str(body[k])
    return str(body)[:300]


class PublicClob:
    """Unauthenticated reads: books, markets, Gamma, server time."""

    def __init__(self, session: aiohttp.ClientSession, clob_url: str, gamma_url: str) -> None:
        self.session = session
        self.clob_url = clob_url
        self.gamma_url = gamma_url
        self.quiet_until = 0.0          # monotonic: no request before this (after a 429)
        self.rate_limited = 0            # how many 429s we met (status / tests)
        self.last_retry_after = 0.0

    async def _wait_quiet(self) -> None:
        delay = self.quiet_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _note_429(self, headers: Any, body: Any) -> float:
        wait = retry_after_of(headers, body)
        self.rate_limited += 1
        self.last_retry_after = wait
        self.quiet_until = max(self.quiet_until, time.monotonic() + wait)
        log.warning("rate limited by the venue: waiting %.3f s (Retry-After)", wait)
        return wait

    async def _request(self, method: str, url: str, *, params: dict[str, str] | None = None,
                       data: str | None = None, headers: dict[str, str] | None = None,
                       retry: bool = True, sign: Any = None, trace: Any = None) -> Any:
        """One request with back-off. `sign(method, data) -> headers` re-signs each attempt
        (L2 timestamps must be fresh)."""
        attempt = 0
        while True:
            await self._wait_quiet()
            hdrs = dict(headers or {})
            if sign is not None:
                hdrs.update(sign())
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            async with self.session.request(method, url, params=params, data=data,
                                            headers=hdrs, trace_request_ctx=trace) as resp:
                text = await resp.text()
                try:
                    body: Any = json.loads(text) if text else None
                except json.JSONDecodeError:
                    body = text
                status = resp.status
                rheaders = resp.headers
            if status == 200:
                return body
            attempt += 1
            if status == 429:
                wait = self._note_429(rheaders, body)
                if not retry or attempt > MAX_RETRIES:
                    raise RateLimited(wait, body)
                continue
            if status in (425, 500, 502, 504) and retry and attempt <= MAX_RETRIES:
                await asyncio.sleep(min(0.1 * 2 ** attempt, 2.0))
                continue
            raise VenueError(status, error_text(body), body)

    async def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._request("GET", self.clob_url + path, params=params)

    async def gamma(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._request("GET", self.gamma_url + path, params=params)

    async def book(self, token_id: str) -> dict[str, Any]:
        body = await self.get("/book", {"token_id": token_id})
        if not isinstance(body, dict):
            raise VenueError(200, "book: unexpected body", body)
        return body

    async def server_time(self) -> int:
        body = await self.get("/time")
        if isinstance(body, dict):
            return int(body.get("time") or body.get("timestamp") or 0)
        return int(body)


def l2_signature(secret: str, ts: int, method: str, path: str, body: str) -> str:
    """urlsafe-b64(HMAC-SHA256(urlsafe_b64decode(secret), ts+METHOD+path+body)), as the
    official client computes it (py_clob_client_v2.signing.hmac)."""
    key = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    msg = f"{ts}{method}{path}{body}"
    digest = hmac.new(key, msg.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


class PrivateClob(PublicClob):
    """L2-authenticated endpoints. Built only in live mode."""

    def __init__(self, session: aiohttp.ClientSession, clob_url: str, gamma_url: str,
                 address: str, creds: ApiCreds) -> None:
        super().__init__(session, clob_url, gamma_url)
        self.address = address
        self.creds = creds

    def _l2(self, method: str, path: str, body: str) -> dict[str, str]:
        ts = int(time.time())
        return {
            "POLY_ADDRESS": self.address,
            "POLY_SIGNATURE": l2_signature(self.creds.secret.reveal(), ts, method, path, body),
            "POLY_TIMESTAMP": str(ts),
            "POLY_API_KEY": self.creds.api_key,
            "POLY_PASSPHRASE": self.creds.passphrase.reveal(),
        }

    async def private(self, method: str, path: str, payload: Any = None, *,
                      params: dict[str, str] | None = None, retry: bool = True,
                      trace: Any = None) -> Any:
        body = "" if payload is None else json.dumps(payload, separators=(",", ":"))
        return await self._request(
            method, self.clob_url + path, params=params,
            data=body if payload is not None else None, retry=retry,
            sign=lambda: self._l2(method, path, body), trace=trace)

    # orders: no automatic retry of a post (the strategy decides again with fresh data)
    async def post_order(self, order_json: dict[str, Any]) -> dict[str, Any]:
        out = await self.private("POST", "/order", order_json, retry=False)
        return out if isinstance(out, dict) else {"success": False, "errorMsg": str(out)}

    async def post_orders(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = await self.private("POST", "/orders", orders, retry=False)
        if not isinstance(out, list):
            raise VenueError(200, "post_orders: unexpected body", out)
        return out

    async def cancel_orders(self, ids: list[str], trace: Any = None) -> dict[str, Any]:
        out = await self.private("DELETE", "/orders", ids, trace=trace)
        return out if isinstance(out, dict) else {}

    async def cancel_all(self) -> dict[str, Any]:
        out = await self.private("DELETE", "/cancel-all")
        return out if isinstance(out, dict) else {}

    async def heartbeat(self, heartbeat_id: str) -> str:
        """POST /v1/heartbeats. A stale id (e.g. a previous process of the same API key still
        counts) gets 400 with the expected id: adopt it and send again at once, so the
        chain is ours before that earlier timer runs out."""
        for _ in range(2):
            try:
                out = await self.private("POST", "/v1/heartbeats",
                                         {"heartbeat_id": heartbeat_id}, retry=False)
            except VenueError as exc:
                body = exc.body
                if exc.status == 400 and isinstance(body, dict) and body.get("heartbeat_id"):
                    heartbeat_id = str(body["heartbeat_id"])
                    continue
                raise
            return str(out.get("heartbeat_id", "")) if isinstance(out, dict) else ""
        raise VenueError(400, "heartbeat id refused twice")

    async def _paged(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = INITIAL_CURSOR
        for _ in range(10_000):
            page = await self.private("GET", path, params=params | {"next_cursor": cursor})
            if not isinstance(page, dict):
                break
            out.extend(x for x in page.get("data") or [] if isinstance(x, dict))
            cursor = str(page.get("next_cursor") or END_CURSOR)
            if cursor == END_CURSOR:
                break
        return out

    async def open_orders(self) -> list[dict[str, Any]]:
        return await self._paged("/data/orders", {})

    async def trades(self, after: int | None = None) -> list[dict[str, Any]]:
        return await self._paged("/data/trades", {} if after is None else {"after": str(after)})
