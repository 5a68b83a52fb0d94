"""The link to `trader`, the risk authority: checks, reports, marks, instruments, states.

Fail closed: the gateway may quote only while `usable()` - connected, and both the global
and the polymarket scopes ACTIVE. Losing the connection (EOF, a silent trader past the
heartbeat timeout, an undecodable frame) or any non-ACTIVE state calls `on_change`, and the
gateway then cancels every order it has. The link reconnects by itself; trading resumes
only after a reconnect has delivered ACTIVE states again.

Reports (acks, rejects, fills, cancels) must reach trader even across a reconnect: they are
queued and sent in order by one task; an item stays at the head of the queue until trader
has answered it. Trader ignores a duplicate fill (by trade id), so resending one whose
answer was lost is safe; a duplicate cancel is answered with an error, logged and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.config import TraderConfig
from trader import protocol as p
from trader.ipc import TraderClient, TraderError, TraderGone

log = logging.getLogger("gateway.trader")

VENUE: p.Venue = "polymarket"


class TraderUnavailable(Exception):
    """No usable trader: the order must not be sent."""


@dataclass(slots=True)
class ReportItem:
    res: int
    kind: p.ReportKind
    ts: int
    voi: str | None = None
    tid: str | None = None
    px: Decimal | None = None
    qty: Decimal | None = None
    fee: Decimal | None = None
    liq: p.Liquidity | None = None
    reason: str | None = None


class TraderLink:
    def __init__(self, cfg: TraderConfig, on_change: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.on_change = on_change
        self.client: TraderClient | None = None
        self.states: dict[str, str] = {}
        self.refprices: dict[str, Decimal] = {}
        self.connects = 0
        self.gone_reason = "not connected yet"
        self._reports: deque[ReportItem] = deque()
        self._report_wake = asyncio.Event()
        self._connected = asyncio.Event()
        self._drained = asyncio.Event()
        self.reports_sent = 0
        self.reports_dropped = 0
        self.instruments: dict[str, p.Instrument] = {}
        # the market maker can still exit while trader says REDUCING (trader itself refuses
        # whatever would add exposure); the built-in quoter only adds, so it stops
        self.allow_reducing = False
        self.on_event: Callable[[p.Event], None] = lambda _e: None
        self.on_refprice: Callable[[p.RefPrice], None] = lambda _r: None
        # Whether reservations a previous gateway process left open in trader can be released
        # on this process's first connect: true in paper and dry-run, where such orders exist
        # nowhere (the paper exchange lived in that process; dry-run never sent them).
        self.release_orphans = False
        self.orphans_released = 0

    # ---- state -----------------------------------------------------------------------
    def usable(self) -> tuple[bool, str]:
        c = self.client
        if c is None or c.gone:
            return False, f"trader not connected ({self.gone_reason})"
        for scope in ("global", VENUE):
            st = self.states.get(scope)
            if st != "ACTIVE" and not (st == "REDUCING" and self.allow_reducing):
                return False, f"trader {scope} state is {st or 'unknown'}"
        return True, ""

    @property
    def reducing(self) -> bool:
        return any(self.states.get(s) == "REDUCING" for s in ("global", VENUE))

    def _on_push(self, msg: p.Push) -> None:
        if isinstance(msg, p.State):
            old = self.states.get(msg.scope)
            self.states[msg.scope] = msg.state
            if old != msg.state:
                log.info("trader state %s: %s -> %s (%s)", msg.scope, old, msg.state, msg.reason)
                self.on_change(f"trader {msg.scope} {msg.state}: {msg.reason}")
        elif isinstance(msg, p.RefPrice):
            self.refprices[msg.sym] = msg.px
            self.on_refprice(msg)
        elif isinstance(msg, p.Event):
            self.on_event(msg)

    def _on_gone(self, reason: str) -> None:
        self.gone_reason = reason
        self._connected.clear()
        self.states.clear()
        self.on_change(f"trader gone: {reason}")

    # ---- connection loop ---------------------------------------------------------------
    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._report_loop())
            while True:
                try:
                    client = await TraderClient.connect(
                        self.cfg.socket, client="gateway", hb_timeout=self.cfg.hb_timeout_s,
                        on_push=self._on_push, on_gone=self._on_gone)
                except (OSError, TraderGone, TimeoutError) as exc:
                    self.gone_reason = f"cannot connect: {exc}"
                    await asyncio.sleep(self.cfg.reconnect_s)
                    continue
                self.client = client
                self.connects += 1
                try:
                    for inst in list(self.instruments.values()):
                        await client.register_instrument(inst)
                    await client.subscribe(("state", "refprice", "events"))
                    if self.connects == 1 and self.release_orphans:
                        await self._release_orphans(client)
                except (TraderGone, TraderError) as exc:
                    log.error("trader session setup failed: %s", exc)
                    await client.close()
                    await asyncio.sleep(self.cfg.reconnect_s)
                    continue
                log.info("trader connected (jseq %d)", client.jseq)
                self._connected.set()
                self._report_wake.set()
                self.on_change("trader connected")
                await client.wait_gone()
                await asyncio.sleep(self.cfg.reconnect_s)

    async def _release_orphans(self, client: TraderClient) -> None:
        """Before this process places anything, every open Polymarket reservation in trader
        was left by an earlier gateway process (killed, crashed). Without this they would
        hold exposure and position slots in trader forever."""
        listing = await client.query("orders")
        for o in listing.get("orders", []):
            if o.get("venue") != "polymarket":
                continue
            await client.report(res=int(o["res"]), kind="cancel", ts=time.time_ns(),
                                reason="gateway restarted: the order of its previous run "
                                       "no longer exists (paper/dry-run)")
            self.orphans_released += 1
            log.warning("released reservation %s (%s) left by a previous gateway run",
                        o["res"], o.get("cid"))

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    # ---- requests ----------------------------------------------------------------------
    def _live(self) -> TraderClient:
        c = self.client
        if c is None or c.gone:
            raise TraderUnavailable(f"trader not connected ({self.gone_reason})")
        return c

    async def check(self, *, sym: str, side: p.Side, px: Decimal, qty: Decimal, cid: str,
                    post_only: bool = True, tif: p.Tif = "gtc") -> p.CheckOk | p.CheckReject:
        ok, why = self.usable()
        if not ok:
            raise TraderUnavailable(why)
        try:
            async with asyncio.timeout(self.cfg.check_timeout_s):
                return await self._live().check(venue=VENUE, sym=sym, side=side, px=px, qty=qty,
                                                ord="limit", tif=tif, post_only=post_only,
                                                cid=cid)
        except (TraderGone, TimeoutError) as exc:
            raise TraderUnavailable(f"check failed: {exc}") from exc
        except TraderError as exc:
            raise TraderUnavailable(f"trader refused the check: {exc}") from exc

    async def register(self, inst: p.Instrument) -> None:
        self.instruments[inst.sym] = inst
        c = self.client
        if c is not None and not c.gone:
            try:
                await c.register_instrument(inst)
            except TraderError as exc:
                log.error("trader refused instrument %s: %s", inst.sym[:16], exc)
                raise
            except TraderGone:
                pass    # registered again on reconnect

    def mark(self, sym: str, px: Decimal) -> None:
        c = self.client
        if c is not None and not c.gone and sym in self.instruments:
            with contextlib.suppress(TraderGone):
                c.mark(venue=VENUE, sym=sym, px=px, ts=time.time_ns())

    async def resolve(self, sym: str, px: Decimal) -> None:
        c = self.client
        if c is not None and not c.gone:
            try:
                await c.resolve(venue=VENUE, sym=sym, px=px, ts=time.time_ns())
            except (TraderGone, TraderError) as exc:
                log.warning("resolve %s failed: %s", sym[:16], exc)

    async def query(self, what: p.QueryWhat) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.cfg.check_timeout_s):
                return await self._live().query(what)
        except (TraderGone, TraderError, TimeoutError, TraderUnavailable) as exc:
            return {"error": str(exc)}

    # ---- reports (ordered, survive reconnects) -----------------------------------------
    def report(self, item: ReportItem) -> None:
        self._reports.append(item)
        self._report_wake.set()

    @property
    def reports_pending(self) -> int:
        return len(self._reports)

    async def drain_reports(self, limit_s: float) -> bool:
        """Wait (at most limit_s) until trader has answered every queued report."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit_s):
                while self._reports:
                    self._drained.clear()
                    await self._drained.wait()
        return not self._reports

    async def _report_loop(self) -> None:
        while True:
            await self._report_wake.wait()
            self._report_wake.clear()
            while self._reports:
                await self._connected.wait()
                item = self._reports[0]
                try:
                    await self._live().report(
                        res=item.res, kind=item.kind, ts=item.ts, voi=item.voi, tid=item.tid,
                        px=item.px, qty=item.qty, fee=item.fee,
                        fee_ccy="USDC" if item.kind == "fill" else None, liq=item.liq,
                        reason=item.reason[:1000] if item.reason else None)
                    self.reports_sent += 1
                except (TraderGone, TraderUnavailable):
                    self._connected.clear()
                    continue     # the item stays at the head until trader is back
                except TraderError as exc:
                    self.reports_dropped += 1
                    log.warning("trader refused report %s res=%d: %s", item.kind, item.res, exc)
                self._reports.popleft()
            self._drained.set()
