"""Where orders go: the live CLOB, the internal paper exchange, or nowhere (dry-run).

`OrderVenue` is the execution layer's only way out. `DryRunVenue` holds no signer and no
HTTP client at all: it can only log and record what it would have sent. `LiveVenue` owns
the signer and the private client (both built only in live mode).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

from gateway.rest import PrivateClob, RateLimited, VenueError

if TYPE_CHECKING:   # the signer is loaded only in live mode (gateway.app._build)
    from gateway.wallet import SigningPool

log = logging.getLogger("gateway.venue")

MAX_BATCH = 15


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    cid: str
    market: str
    token: str
    side: Literal["BUY", "SELL"]
    price: Decimal
    size: Decimal
    tick: Decimal
    neg_risk: bool
    post_only: bool = True
    order_type: str = "GTC"


@dataclass(frozen=True, slots=True)
class PlaceResult:
    cid: str
    ok: bool
    voi: str = ""
    error: str = ""
    status: str = ""               # live / matched / delayed / unmatched
    unknown: bool = False          # the request's fate is unknown (network error)
    virtual: bool = False          # dry-run: nothing was sent


class OrderVenue(Protocol):
    name: str

    async def place(self, reqs: list[PlaceRequest]) -> list[PlaceResult]: ...

    async def cancel(self, vois: list[str], trace: Any = None
                     ) -> tuple[list[str], dict[str, str]]: ...

    async def cancel_all(self) -> list[str]: ...


class DryRunVenue:
    """Structurally unable to send: no signer, no client, nothing to send with."""

    name = "dry-run"

    def __init__(self) -> None:
        self.would_send: list[PlaceRequest] = []
        self.would_cancel = 0

    async def place(self, reqs: list[PlaceRequest]) -> list[PlaceResult]:
        out = []
        for r in reqs:
            self.would_send.append(r)
            log.info("dry-run: would send %s %s %s @ %s x %s post_only=%s cid=%s", r.order_type,
                     r.side, r.token[:12], r.price, r.size, r.post_only, r.cid)
            out.append(PlaceResult(r.cid, True, voi=f"dry-{r.cid}", status="live", virtual=True))
        del self.would_send[:-1000]
        return out

    async def cancel(self, vois: list[str], trace: Any = None
                     ) -> tuple[list[str], dict[str, str]]:
        self.would_cancel += len(vois)
        if vois:
            log.info("dry-run: would cancel %d orders", len(vois))
        return list(vois), {}

    async def cancel_all(self) -> list[str]:
        return []


class LiveVenue:
    """Signed orders to the CLOB (POST /order, batches of up to 15 via POST /orders).
    Signing runs in the wallet's signing process (`gateway.wallet.SigningPool`)."""

    name = "live"

    def __init__(self, clob: PrivateClob, signer: SigningPool,
                 on_sign_ns: Callable[[int], None] | None = None) -> None:
        self.clob = clob
        self.signer = signer
        self.on_sign_ns = on_sign_ns

    async def close(self) -> None:
        await self.signer.close()

    async def place(self, reqs: list[PlaceRequest]) -> list[PlaceResult]:
        out: list[PlaceResult] = []
        for i in range(0, len(reqs), MAX_BATCH):
            out.extend(await self._place_batch(reqs[i:i + MAX_BATCH]))
        return out

    async def _place_batch(self, reqs: list[PlaceRequest]) -> list[PlaceResult]:
        out: list[PlaceResult] = []
        # EIP-712 signing is CPU work (ms with the pure-Python curve): in another process, so
        # a market event that makes a quote stale never waits for it (not even for the GIL)
        signed, failed = await self._sign_all(reqs)
        out.extend(failed)
        if not signed:
            return out
        try:
            if len(signed) == 1:
                r, body = signed[0]
                try:
                    resp = await self.clob.post_order(body)
                except RateLimited:
                    raise
                except VenueError as exc:
                    if exc.status == 400:
                        return [*out, PlaceResult(r.cid, False, error=exc.message)]
                    raise
                return [*out, _result(r, resp)]
            resps = await self.clob.post_orders([b for _, b in signed])
        except RateLimited as exc:
            return [*out, *(PlaceResult(r.cid, False, error=str(exc)) for r, _ in signed)]
        except VenueError as exc:
            # 4xx/5xx on the whole request: nothing was accepted (a 5xx may hide an accept,
            # the reconciliation after it finds any such order by its fields)
            unknown = exc.status >= 500
            return [*out, *(PlaceResult(r.cid, False, error=exc.message, unknown=unknown)
                            for r, _ in signed)]
        except (OSError, TimeoutError) as exc:
            return [*out, *(PlaceResult(r.cid, False, error=f"{type(exc).__name__}: {exc}",
                                        unknown=True) for r, _ in signed)]
        if len(resps) != len(signed):
            log.error("batch reply has %d results for %d orders", len(resps), len(signed))
        for (r, _), resp in zip(signed, resps, strict=False):
            out.append(_result(r, resp))
        for r, _ in signed[len(resps):]:
            out.append(PlaceResult(r.cid, False, error="no result in batch reply", unknown=True))
        return out

    async def _sign_all(self, reqs: list[PlaceRequest]
                        ) -> tuple[list[tuple[PlaceRequest, dict[str, Any]]], list[PlaceResult]]:
        from gateway.wallet import OrderFields  # noqa: PLC0415 - live mode only

        try:
            outcomes = await self.signer.sign([
                OrderFields(token_id=r.token, side=r.side, price=r.price, size=r.size,
                            tick=r.tick, neg_risk=r.neg_risk, order_type=r.order_type,
                            post_only=r.post_only)
                for r in reqs])
        except BrokenExecutor:   # the signing process died: nothing is signed or sent
            log.error("signing process is gone: %d orders not sent", len(reqs))
            return [], [PlaceResult(r.cid, False, error="not signed: signing process is gone")
                        for r in reqs]
        signed: list[tuple[PlaceRequest, dict[str, Any]]] = []
        failed: list[PlaceResult] = []
        for r, o in zip(reqs, outcomes, strict=True):
            if self.on_sign_ns is not None:
                self.on_sign_ns(o.sign_ns)
            if o.body is None:
                failed.append(PlaceResult(r.cid, False, error=f"not signed: {o.error}"))
            else:
                signed.append((r, o.body))
        return signed, failed

    async def cancel(self, vois: list[str], trace: Any = None
                     ) -> tuple[list[str], dict[str, str]]:
        if not vois:
            return [], {}
        resp = await self.clob.cancel_orders(vois, trace=trace)
        nc = resp.get("not_canceled") or {}
        return [str(x) for x in resp.get("canceled") or []], \
            {str(k): str(v) for k, v in nc.items()} if isinstance(nc, dict) else {}

    async def cancel_all(self) -> list[str]:
        resp = await self.clob.cancel_all()
        return [str(x) for x in resp.get("canceled") or []]


def _result(r: PlaceRequest, resp: dict[str, Any]) -> PlaceResult:
    if resp.get("success") and resp.get("orderID"):
        return PlaceResult(r.cid, True, voi=str(resp["orderID"]), status=str(resp.get("status")))
    return PlaceResult(r.cid, False, error=str(resp.get("errorMsg") or resp.get("error")
                                               or "refused"))
