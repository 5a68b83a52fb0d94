"""The trader-side watcher: follows `trader` over IPC and turns what happens into alerts.

- Liveness. The IPC client's heartbeat timeout is set to `stale_after_s` (2 min by default):
  a trader that sends no frame for that long is hung -> stale_heartbeat; a connection that
  ends (EOF, reset: the process died) -> crash; a trader that cannot be reached at all ->
  crash. The watcher then reconnects every few seconds and says `recovered` when it can.
  Both down alerts share one de-dup key, so a flapping trader is one alert and a count.
- Risk events (event pushes): limit_breach DRAWDOWN -> drawdown_breach, DAILY_LOSS ->
  daily_loss_breach; reject / anomaly -> order_failure; fill -> trade_confirmation, and when
  the fill's realized PnL change on that instrument is a loss of at least `large_loss_usd`,
  large_loss; kill, position_stop and other breaches -> risk_event.
- States: a scope going REDUCING or HALTED for a reason no event above already reported
  (e.g. a venue connection lost) -> risk_event.
- Daily summary at `daily_summary_utc`: PnL, states, positions, open orders, and what the
  day brought (fills, rejects, alerts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from alerts import model
from alerts.config import AlertConfig
from alerts.dispatcher import AlertManager
from trader import protocol as p
from trader.ipc import TraderClient, TraderError, TraderGone

log = logging.getLogger(__name__)

# State changes whose cause an event push already turned into an alert. The trader's state
# text reads "<scope> <OLD> -> <NEW>: <REASON>: <text>" (risk_hold_set), the kill's own push
# reads "kill (source): why", and a new subscriber first gets "current state".
_REPORTED_BY_EVENT = (": DRAWDOWN", ": DAILY_LOSS", ": POSITION_STOP", ": LOSS_BREAKER",
                      ": KILL", "kill (")
_STALE_MARK = "no frame from trader"


def next_summary_at(now: dt.datetime, hhmm: str) -> dt.datetime:
    """The next UTC time-of-day `hhmm` strictly after `now` (an aware datetime)."""
    h, m = (int(x) for x in hhmm.split(":"))
    at = now.astimezone(dt.UTC).replace(hour=h, minute=m, second=0, microsecond=0)
    return at if at > now else at + dt.timedelta(days=1)


def _dec(v: Any) -> Decimal:
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return Decimal(0)


class Watcher:
    def __init__(
        self, socket_path: str, alerts: AlertManager, cfg: AlertConfig, *,
        reconnect_s: float = 2.0, wall: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.socket_path = socket_path
        self.alerts = alerts
        self.cfg = cfg
        self.reconnect_s = reconnect_s
        self.wall = wall or (lambda: dt.datetime.now(dt.UTC))
        self.client: TraderClient | None = None
        self.connected = asyncio.Event()  # set while following a trader (tests wait on it)
        self.realized: dict[tuple[str, str], Decimal] = {}
        self.qty: dict[tuple[str, str], str] = {}
        self.day: Counter[str] = Counter()  # what happened since the last summary

    # -- public --

    async def run(self) -> None:
        """Forever (until cancelled): follow the trader, and send the daily summaries."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._follow_forever(), name="watcher-follow")
            if self.cfg.daily_summary_utc:
                tg.create_task(self._summaries(), name="watcher-summary")

    async def send_daily_summary(self) -> None:
        """Build and send the summary now (the scheduler calls this at daily_summary_utc)."""
        day = self.wall().date().isoformat()
        facts: dict[str, str] = {}
        client = self.client
        if client is None or client.gone:
            facts["trader"] = "UNREACHABLE"
        else:
            try:
                s = await client.query("status")
                pnl = s.get("pnl_usd", {})
                facts["state"] = str(s.get("states", {}).get("global", "?"))
                for k in ("realized", "unrealized", "daily", "fees"):
                    facts[f"{k}_usd"] = str(pnl.get(k, "?"))
                facts["positions"] = str(len([x for x in s.get("positions", [])
                                              if _dec(x.get("qty", "0")) != 0]))
                facts["open_orders"] = str(s.get("open_orders", "?"))
            except (TraderGone, TraderError) as e:
                facts["trader"] = f"UNREACHABLE ({e})"
        for k in ("fills", "rejects", "risk_events", "disconnects"):
            facts[k] = str(self.day[k])
        facts["alerts_suppressed"] = str(self.alerts.throttle.suppressed_total)
        self.day.clear()
        self.alerts.notify(model.daily_summary(day, facts))

    # -- connection --

    async def _follow_forever(self) -> None:
        down_since: float | None = None
        while True:
            try:
                client = await TraderClient.connect(
                    self.socket_path, client="alerts", hb_timeout=self.cfg.stale_after_s)
            except (OSError, TimeoutError) as e:  # TraderGone is an OSError too
                if down_since is None:
                    down_since = time.monotonic()
                    self.day["disconnects"] += 1
                    self.alerts.notify(model.crash(f"cannot connect to {self.socket_path}: "
                                                   f"{type(e).__name__}: {e}"))
                await asyncio.sleep(self.reconnect_s)
                continue
            if down_since is not None:
                self.alerts.notify(model.recovered(time.monotonic() - down_since))
                down_since = None
            self.client = client
            try:
                reason = await self._follow(client)
            finally:
                self.connected.clear()
                await client.close()
            down_since = time.monotonic()
            self.day["disconnects"] += 1
            if _STALE_MARK in reason:
                self.alerts.notify(model.stale_heartbeat(self.cfg.stale_after_s,
                                                         self.cfg.stale_after_s))
            else:
                self.alerts.notify(model.crash(reason))
            await asyncio.sleep(self.reconnect_s)

    async def _follow(self, client: TraderClient) -> str:
        try:
            await client.subscribe(["state", "events"])
            await self._load_positions(client)
            self.connected.set()
            async for push in client.pushes():
                if isinstance(push, p.Event):
                    await self._on_event(client, push)
                elif isinstance(push, p.State):
                    self._on_state(push)
        except (TraderGone, TraderError) as e:
            log.warning("watcher lost the trader: %s", e)
        return client.gone_reason or "trader connection ended"

    async def _load_positions(self, client: TraderClient) -> dict[tuple[str, str], Decimal]:
        data = await client.query("positions")
        before = self.realized
        rows = data.get("positions", [])
        self.realized = {(str(x.get("venue")), str(x.get("sym"))): _dec(x.get("realized_usd"))
                         for x in rows}
        self.qty = {(str(x.get("venue")), str(x.get("sym"))): str(x.get("qty")) for x in rows}
        return before

    # -- pushes --

    def _on_state(self, st: p.State) -> None:
        if (st.state == "ACTIVE" or st.reason == "current state"
                or any(m in st.reason for m in _REPORTED_BY_EVENT)):
            return
        self.day["risk_events"] += 1
        self.alerts.notify(model.risk_event(
            f"{st.scope} {st.state}", f"{st.scope} is {st.state}: {st.reason}",
            venue="" if st.scope == "global" else st.scope,
            severity="critical" if st.state == "HALTED" else "warning"))

    async def _on_event(self, client: TraderClient, ev: p.Event) -> None:
        venue, sym, text = ev.venue or "", ev.sym or "", ev.reason
        if ev.kind == "fill":
            self.day["fills"] += 1
            await self._on_fill(client, venue, sym, text)
        elif ev.kind == "reject":
            self.day["rejects"] += 1
            self.alerts.notify(model.order_failure(venue, sym, text))
        elif ev.kind == "anomaly":
            self.day["risk_events"] += 1
            self.alerts.notify(model.order_failure(venue or "trader", sym or "-",
                                                   f"anomaly: {text}"))
        elif ev.kind == "limit_breach" and text.startswith("DRAWDOWN"):
            self.day["risk_events"] += 1
            self.alerts.notify(model.drawdown_breach(text))
        elif ev.kind == "limit_breach" and text.startswith("DAILY_LOSS"):
            self.day["risk_events"] += 1
            self.alerts.notify(model.daily_loss_breach(text, scope=venue or "global"))
        elif ev.kind == "daily_reset":
            return
        else:
            self.day["risk_events"] += 1
            self.alerts.notify(model.risk_event(
                ev.kind, text, venue=venue,
                severity="critical" if ev.kind == "kill" else "warning"))

    async def _on_fill(self, client: TraderClient, venue: str, sym: str, tid: str) -> None:
        before = await self._load_positions(client)
        key = (venue, sym)
        now_realized = self.realized.get(key, Decimal(0))
        delta = now_realized - before.get(key, Decimal(0))
        # The fill push carries the trade id only; the position after it comes from a query.
        details = {"position_qty": self.qty.get(key, "0"), "realized_change_usd": str(delta),
                   "realized_total_usd": str(now_realized)}
        self.alerts.notify(model.trade_confirmation(venue, sym, tid, details=details))
        if -delta >= self.cfg.large_loss_usd:
            self.alerts.notify(model.large_loss(
                venue, sym, -delta, self.cfg.large_loss_usd,
                detail=f"fill {tid}; realized on {sym} now {now_realized} USD"))

    async def _summaries(self) -> None:
        while True:
            now = self.wall()
            at = next_summary_at(now, self.cfg.daily_summary_utc)
            await asyncio.sleep((at - now).total_seconds())
            await self.send_daily_summary()
