"""The execution layer: every venue call, every trader report, for every order.

    desired (from the strategy) --diff--> keep / cancel / place
    place:  trader check (reservation) -> sign -> POST /order(s) -> ack or reject -> trader
    venue:  order events, trades (MATCHED -> MINED -> CONFIRMED, FAILED) -> trader

Queue keeping: a resting order within `tolerance_ticks` of a desired one on the same token
and side is left alone (it keeps its queue position); only the rest is cancelled/placed.
Placements go out in batches of up to 15 (POST /orders).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from gateway.discovery import MarketInfo
from gateway.metrics import Metrics
from gateway.mm.reconcile import is_post_only_reject
from gateway.orders import Fill, OrderBookOfOurs, Tracked
from gateway.records import Recorder
from gateway.riskbridge import ReportItem, TraderLink, TraderUnavailable
from gateway.strategy import DesiredOrder
from gateway.venue import OrderVenue, PlaceRequest, PlaceResult
from trader import protocol as p

log = logging.getLogger("gateway.exec")

ZERO = Decimal(0)
BOOKED_STATUSES = ("MINED", "CONFIRMED")
BATCH = 15                      # POST /orders takes up to 15 orders


@dataclass(frozen=True, slots=True)
class OrderSpec:
    market: str
    token: str
    side: Literal["BUY", "SELL"]
    price: Decimal
    size: Decimal
    post_only: bool = True
    order_type: str = "GTC"     # FAK: a taker order, the rest killed
    level: int = -1
    retries: int = 0


def diff(desired: Iterable[DesiredOrder], resting: Iterable[Tracked], tick: Callable[[str],
         Decimal], tolerance_ticks: int) -> tuple[list[Tracked], list[Tracked],
                                                  list[DesiredOrder]]:
    """(keep, cancel, place): each desired order keeps the closest resting order of its
    token and side within tolerance; unmatched resting orders are cancelled."""
    pool = list(resting)
    keep: list[Tracked] = []
    place: list[DesiredOrder] = []
    for d in desired:
        tol = tick(d.token) * tolerance_ticks
        best: Tracked | None = None
        for r in pool:
            if r.token == d.token and r.side == d.side and abs(r.price - d.price) <= tol and (
                    best is None or abs(r.price - d.price) < abs(best.price - d.price)):
                best = r
        if best is None:
            place.append(d)
        else:
            pool.remove(best)
            keep.append(best)
    return keep, pool, place


def norm_status(s: Any) -> str:
    return str(s or "").upper().removeprefix("TRADE_STATUS_")


class Executor:
    def __init__(self, *, venue: OrderVenue, trader: TraderLink, recorder: Recorder,
                 market_of_token: Callable[[str], MarketInfo | None],
                 tick_of: Callable[[str], Decimal], blocked: Callable[[], str | None],
                 spawn: Callable[[Any], None], metrics: Metrics, dry_run: bool,
                 now_ns: Callable[[], int] = time.time_ns) -> None:
        self.venue = venue
        self.trader = trader
        self.recorder = recorder
        self.market_of_token = market_of_token
        self.tick_of = tick_of
        self.blocked = blocked
        self.spawn = spawn
        self.metrics = metrics
        self.dry_run = dry_run
        self.orders = OrderBookOfOurs()
        self._cid = itertools.count(1)
        self._cid_prefix = f"gw{time.time_ns() // 1_000_000 % 10**10}"
        self.rejects = 0
        self.checks_rejected = 0
        self.last_reject = ""
        self.last_place_ns: dict[str, int] = {}
        self.needs_reconcile = False
        self.now_ns = now_ns
        self.meta: dict[str, Any] = {}      # cid -> the strategy's own record of the order
        # after a post-only rejection: (order, its meta) -> (the next attempt, its meta)
        self.retry: Callable[[Tracked, Any], tuple[OrderSpec, Any] | None] | None = None
        self.post_only_retries = 0
        self.on_fill_reported: Callable[[Tracked, Fill], None] | None = None
        self.risk_reject_ns: dict[str, int] = {}
        self._cancels_inflight = 0
        self._cancels_idle = asyncio.Event()
        self._cancels_idle.set()   # market -> last trader rejection (monotonic)

    # ---- sync with the strategy ------------------------------------------------------
    def sync(self, market: str, desired: list[DesiredOrder], tolerance_ticks: int,
             origin_ns: int, allow_place: bool) -> None:
        _keep, cancel, place = diff(desired, self.orders.resting(market), self.tick_of,
                                   tolerance_ticks)
        if cancel:
            self.cancel(cancel, origin_ns=origin_ns)
        if place and allow_place:
            self.last_place_ns[market] = time.monotonic_ns()
            self.spawn(self.place(place))

    # ---- placing ---------------------------------------------------------------------
    def new_cid(self, level: int = -1) -> str:
        # the ladder level rides in the client order id, so the record (orders table) and
        # the reports built from it know which rung each order was
        base = f"{self._cid_prefix}-{next(self._cid)}"
        return base if level < 0 else f"{base}-L{level}"

    def track(self, spec: OrderSpec, meta: Any = None) -> Tracked:
        """Create our record of an order about to be checked and sent; from now on it
        counts as resting for the strategy (no second placement of the same quote)."""
        o = Tracked(self.new_cid(spec.level), spec.token, spec.market, spec.side, spec.price,
                    spec.size, self.now_ns(), post_only=spec.post_only,
                    order_type=spec.order_type, level=spec.level, retries=spec.retries)
        self.orders.add(o)
        if meta is not None:
            self.meta[o.cid] = meta
        return o

    async def place(self, desired: list[DesiredOrder], post_only: bool = True) -> list[Tracked]:
        tracked = [self.track(OrderSpec(d.market, d.token, d.side, d.price, d.size, post_only))
                   for d in desired if self.market_of_token(d.token) is not None]
        await self.send(tracked)
        return tracked

    def apply_plan(self, market: str, cancels: list[Tracked], specs: list[tuple[OrderSpec, Any]],
                   origin_ns: int) -> list[Tracked]:
        """The market maker's plan: cancels go out at once; the placements follow once the
        cancels are done and reported (so trader never counts the old and the new quotes
        together), in batches of up to 15."""
        if cancels:
            self.cancel(cancels, origin_ns=origin_ns)
        tracked = [self.track(spec, meta) for spec, meta in specs
                   if self.market_of_token(spec.token) is not None]
        if tracked:
            self.last_place_ns[market] = time.monotonic_ns()
            self.spawn(self._send_after(cancels, tracked))
        return tracked

    async def _send_after(self, cancels: list[Tracked], tracked: list[Tracked]) -> None:
        for _ in range(1000):       # at most ~2 s: then trader's own check decides
            if all(o.venue_closed for o in cancels if o.voi):
                break
            await asyncio.sleep(0.002)
        if cancels:
            await self.trader.drain_reports(1.0)
        for i in range(0, len(tracked), BATCH):
            await self.send(tracked[i:i + BATCH])

    async def send(self, tracked: list[Tracked]) -> None:
        """Check every order with trader, then send the accepted ones in one batch."""
        if not tracked:
            return
        t0 = time.perf_counter_ns()
        results = await asyncio.gather(*(self._check(o, o.post_only) for o in tracked))
        accepted = [o for o, ok in zip(tracked, results, strict=True) if ok]
        if not accepted:
            return
        why = self.blocked()
        if why is not None:    # halted while we were asking: send nothing
            for o in accepted:
                self._close_unsent(o, f"not sent: {why}")
            return
        reqs = []
        for o in accepted:
            m = self.market_of_token(o.token)
            assert m is not None
            if o.cancel_wanted:         # no longer wanted while we asked: do not send
                self._close_unsent(o, "not sent: no longer wanted")
                continue
            o.state = "sending"
            reqs.append(PlaceRequest(o.cid, o.market, o.token, o.side, o.price, o.size,
                                     self.tick_of(o.token), m.neg_risk, o.post_only,
                                     o.order_type))
            self.recorder.order(token=o.token, key=str(o.res), side=o.side, price=o.price,
                                qty=o.size, cid=o.cid, post_only=o.post_only,
                                tif=o.order_type)
        if not reqs:
            return
        # cancels first: signing (CPU, in the signing process) must not delay a cancel
        # request that is on its way out; wait (bounded) until those are sent and answered
        if self._cancels_inflight:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._cancels_idle.wait()
        results2 = await self.venue.place(reqs)
        t1 = time.perf_counter_ns()
        by_cid = {r.cid: r for r in results2}
        for o in accepted:
            if o.state != "sending":
                continue
            res = by_cid.get(o.cid)
            if res is None:
                res = PlaceResult(o.cid, False, error="no result", unknown=True)
            self._on_placed(o, res)
            if res.ok:
                self.metrics.order_rtt.add(t1 - t0)

    async def _check(self, o: Tracked, post_only: bool) -> bool:
        t0 = time.perf_counter_ns()
        tif: p.Tif = "fak" if o.order_type == "FAK" else "fok" if o.order_type == "FOK" \
            else "gtc"
        try:
            v = await self.trader.check(sym=o.token, side="buy" if o.side == "BUY" else "sell",
                                        px=o.price, qty=o.size, cid=o.cid, post_only=post_only,
                                        tif=tif)
        except TraderUnavailable as exc:
            o.state = "done"
            o.close_reason = str(exc)
            self.last_reject = str(exc)
            return False
        self.metrics.check.add(time.perf_counter_ns() - t0)
        if isinstance(v, p.CheckReject):
            o.state = "done"
            o.close_reason = f"{v.name}: {v.reason}"
            self.checks_rejected += 1
            self.risk_reject_ns[o.market] = time.monotonic_ns()
            self.last_reject = o.close_reason
            log.info("trader rejected %s %s @ %s x %s: %s", o.side, o.token[:12], o.price,
                     o.size, o.close_reason)
            return False
        o.res = v.res
        return True

    def _close_unsent(self, o: Tracked, reason: str) -> None:
        o.state = "done"
        o.venue_closed = True
        o.released = True
        o.close_kind = "reject"
        o.close_reason = reason
        self.trader.report(ReportItem(o.res, "reject", time.time_ns(), reason=reason))
        self.recorder.order_event(token=o.token, key=str(o.res), kind="reject", reason=reason)

    def _on_placed(self, o: Tracked, r: PlaceResult) -> None:
        if r.ok and r.virtual:
            # dry-run: nothing exists at the venue; release the reservation at once and
            # keep the order locally so the strategy does not ask again every tick
            self.orders.set_voi(o, r.voi)
            o.state = "live"
            o.released = True
            self.trader.report(ReportItem(o.res, "reject", time.time_ns(),
                                          reason="dry-run: not sent"))
            self.recorder.order_event(token=o.token, key=str(o.res), kind="reject",
                                      voi=r.voi, reason="dry-run: not sent")
            return
        if r.ok:
            self.orders.set_voi(o, r.voi)
            o.state = "live"
            self.trader.report(ReportItem(o.res, "ack", time.time_ns(), voi=r.voi))
            self.recorder.order_event(token=o.token, key=str(o.res), kind="ack", voi=r.voi)
            if o.cancel_wanted or self.blocked() is not None:
                o.cancel_wanted = True
                self.spawn(self._cancel_now([o], origin_ns=0))
            self._maybe_release(o)
            return
        if r.unknown:
            # the venue may or may not have it: reconciliation finds it by its fields
            log.warning("order %s fate unknown (%s): reconciling", o.cid, r.error)
            o.close_reason = r.error
            self.needs_reconcile = True
            return
        self.rejects += 1
        self.last_reject = r.error
        log.info("venue rejected %s %s @ %s x %s: %s", o.side, o.token[:12], o.price, o.size,
                 r.error)
        self._close_unsent(o, r.error[:500])
        if o.post_only and self.retry is not None and is_post_only_reject(r.error) \
                and self.blocked() is None:
            nxt = self.retry(o, self.meta.get(o.cid))
            if nxt is not None:
                self.post_only_retries += 1
                t = self.track(*nxt)
                self.spawn(self.send([t]))

    # ---- cancelling ------------------------------------------------------------------
    def cancel(self, orders: list[Tracked], origin_ns: int = 0) -> None:
        for o in orders:
            o.cancel_wanted = True
        live = [o for o in orders if o.voi and o.state == "live" and not o.venue_closed]
        if live:
            self.spawn(self._cancel_now(live, origin_ns))

    async def _cancel_now(self, orders: list[Tracked], origin_ns: int) -> None:
        vois = [o.voi for o in orders if o.voi]
        if not vois:
            return
        self._cancels_inflight += 1
        self._cancels_idle.clear()
        try:
            await self._cancel_vois(vois, origin_ns)
        finally:
            self._cancels_inflight -= 1
            if not self._cancels_inflight:
                self._cancels_idle.set()

    async def _cancel_vois(self, vois: list[str], origin_ns: int) -> None:
        trace = None
        if origin_ns:
            if self.venue.name == "live":
                trace = {"origin_ns": origin_ns}   # measured when the request is on the wire
            else:
                self.metrics.tick_to_cancel.add(time.perf_counter_ns() - origin_ns)
        try:
            canceled, _nc = await self.venue.cancel(vois, trace)
        except (OSError, TimeoutError, ValueError) as exc:
            log.error("cancel failed: %s (reconciling)", exc)
            self.needs_reconcile = True
            return
        except Exception as exc:
            log.error("cancel failed: %s (reconciling)", exc)
            self.needs_reconcile = True
            return
        for voi in canceled:
            o = self.orders.by_voi.get(voi)
            if o is not None:
                self.venue_closed(o, "cancel", "canceled")

    async def cancel_everything(self, reason: str) -> int:
        """Cancel every order we may have at the venue (one request in live mode)."""
        for o in self.orders.active():
            o.cancel_wanted = True
        try:
            ids = await self.venue.cancel_all()
        except Exception as exc:
            log.error("cancel-all failed (%s): cancelling one by one", exc)
            ids = []
            live = self.orders.live_ids()
            if live:
                try:
                    ids, _ = await self.venue.cancel(live)
                except Exception as exc2:
                    log.error("cancel failed too: %s", exc2)
                    self.needs_reconcile = True
        log.warning("cancelled %d orders: %s", len(ids), reason)
        for voi in ids:
            closed = self.orders.by_voi.get(voi)
            if closed is not None:
                self.venue_closed(closed, "cancel", reason)
        if self.dry_run:
            for o in self.orders.active():
                o.venue_closed = True
                o.state = "done"
        return len(ids)

    # ---- venue events ----------------------------------------------------------------
    def venue_closed(self, o: Tracked, kind: str, reason: str) -> None:
        if o.venue_closed:
            return
        o.venue_closed = True
        o.close_kind = kind  # type: ignore[assignment]
        o.close_reason = reason
        self._maybe_release(o)

    def _maybe_release(self, o: Tracked) -> None:
        """Send the final report once the venue is done with the order and every matched
        trade of it is settled (reported or failed)."""
        if not o.venue_closed or o.released or o.unsettled() or o.state != "live":
            return
        o.released = True
        o.state = "done"
        if o.remaining > 0 or o.close_kind in ("cancel", "expire"):
            kind: p.ReportKind = "expire" if o.close_kind == "expire" else "cancel"
            if o.remaining > 0 or not o.fills:
                self.trader.report(ReportItem(o.res, kind, time.time_ns(), voi=o.voi or None,
                                              reason=o.close_reason[:500] or None))
                self.recorder.order_event(token=o.token, key=str(o.res), kind=kind, voi=o.voi,
                                          reason=o.close_reason)

    def on_order_event(self, ev: dict[str, Any]) -> None:
        voi = str(ev.get("id", ""))
        o = self.orders.by_voi.get(voi)
        if o is None:
            return
        status = str(ev.get("status", "")).upper()
        if status.startswith("CANCELED"):
            kind = "expire" if "EXPIRED" in status else "cancel"
            self.venue_closed(o, kind, status)
        elif status == "MATCHED":
            try:
                done = Decimal(str(ev.get("size_matched", "0"))) >= o.size
            except ArithmeticError:
                done = False
            if done:
                self.venue_closed(o, "filled", "matched")

    def on_trade_event(self, ev: dict[str, Any]) -> None:
        """A user-channel trade event or a /data/trades row (same fields)."""
        tid = str(ev.get("id", ""))
        status = norm_status(ev.get("status"))
        if not tid:
            return
        ts_ns = self.now_ns()
        taker = self.orders.by_voi.get(str(ev.get("taker_order_id", "")))
        if taker is not None:
            px = Decimal(str(ev.get("price", "0")))
            qty = Decimal(str(ev.get("size", "0")))
            m = self.market_of_token(taker.token)
            fee = ZERO
            if m is not None and m.fees_enabled:
                from gateway.paper import taker_fee  # noqa: PLC0415 - one formula, one place

                fee = taker_fee(qty, px, m)
            self._fill_seen(taker, Fill(tid, tid, taker.voi, taker.token, taker.side, px, qty,
                                        fee, "taker", status, ts_ns))
        for mo in ev.get("maker_orders") or []:
            if not isinstance(mo, dict):
                continue
            o = self.orders.by_voi.get(str(mo.get("order_id", "")))
            if o is None:
                continue
            px = Decimal(str(mo.get("price", "0")))
            qty = Decimal(str(mo.get("matched_amount", "0")))
            # one trade may fill several of our maker orders: the fill id names both, kept
            # short (trader journals ids of up to 63 bytes)
            fid = f"{tid}:{o.voi.removeprefix('0x')[:16]}"
            self._fill_seen(o, Fill(fid, tid, o.voi, o.token, o.side, px, qty, ZERO, "maker",
                                    status, ts_ns))

    def on_paper_fill(self, *, voi: str, trade_id: str, px: Decimal, qty: Decimal, fee: Decimal,
                      liq: str, ts_ns: int) -> None:
        o = self.orders.by_voi.get(voi)
        if o is None:
            return
        self._fill_seen(o, Fill(trade_id, trade_id, voi, o.token, o.side, px, qty, fee,
                                "maker" if liq == "maker" else "taker", "CONFIRMED", ts_ns))
        if o.remaining <= 0:
            self.venue_closed(o, "filled", "filled")

    def _fill_seen(self, o: Tracked, f: Fill) -> None:
        known = o.fills.get(f.fill_id)
        if known is None:
            if not self.orders.add_fill(o, f):
                return
            known = f
            log.info("fill %s %s %s @ %s x %s (%s, %s)", f.fill_id[:24], o.side, o.token[:12],
                     f.price, f.qty, f.liquidity, f.status)
        elif f.status != known.status:
            if f.status == "FAILED":
                self.orders.fail_fill(o, known)
                if known.reported:
                    log.error("trade %s FAILED after it was booked with trader", known.trade_id)
            else:
                known.status = f.status
        if known.status in BOOKED_STATUSES and not known.reported:
            known.reported = True
            self.trader.report(ReportItem(o.res, "fill", time.time_ns(), voi=o.voi,
                                          tid=known.fill_id, px=known.price, qty=known.qty,
                                          fee=known.fee, liq=known.liquidity))
            self.recorder.fill(token=o.token, trade_id=known.fill_id, key=str(o.res),
                               side=o.side, price=known.price, qty=known.qty, fee=known.fee,
                               liquidity=known.liquidity, ts_ns=known.ts_ns, voi=o.voi)
            if self.on_fill_reported is not None:
                self.on_fill_reported(o, known)
        self._maybe_release(o)

    # ---- reconciliation (live) ---------------------------------------------------------
    def reconcile(self, open_orders: list[dict[str, Any]], trades: list[dict[str, Any]],
                  first: bool) -> list[str]:
        """Apply the venue's truth after a blind period; returns venue ids to cancel
        (orders we do not know)."""
        for t in trades:
            self.on_trade_event(t)
        open_ids = {str(o.get("id")) for o in open_orders}
        for o in list(self.orders.by_cid.values()):
            if o.state == "live" and o.voi and o.voi not in open_ids and not o.venue_closed:
                self.venue_closed(o, "filled" if o.remaining <= 0 else "cancel",
                                  "not open at the venue (reconciliation)")
        orphans = []
        for raw in open_orders:
            voi = str(raw.get("id"))
            if voi in self.orders.by_voi:
                continue
            adopted = None if first else self._adopt(raw)
            if adopted is None:
                orphans.append(voi)
        for o in list(self.orders.by_cid.values()):
            if o.state == "sending" and not o.voi:
                self._close_unsent(o, f"not found at the venue: {o.close_reason}")
        self.needs_reconcile = False
        return orphans

    def _adopt(self, raw: dict[str, Any]) -> Tracked | None:
        """An open order we sent but whose reply we lost: match it by its fields."""
        try:
            px = Decimal(str(raw.get("price")))
            size = Decimal(str(raw.get("original_size")))
        except ArithmeticError:
            return None
        for o in self.orders.by_cid.values():
            if o.state == "sending" and not o.voi and o.token == raw.get("asset_id") \
                    and o.side == raw.get("side") and o.price == px and o.size == size:
                self._on_placed(o, PlaceResult(o.cid, True, voi=str(raw.get("id")),
                                               status="live"))
                return o
        return None
