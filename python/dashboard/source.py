"""Where the dashboard's data comes from: a running trader, over its IPC socket.

`TraderSource` keeps one connection (client name "dashboard"), subscribed to state and event
pushes, and polls `status` and `orders` every `poll_s`. From that it keeps a snapshot: the
trader's status (states, connections and their ages, PnL, limits with their usage, positions),
open orders, a PnL series for the chart, recent fills and risk events, and the health of its
own link to the trader. It reconnects by itself; while the trader is away the snapshot says so.

The dashboard only needs the `Source` protocol below, so another data source (e.g. the Redis
event stream) can stand in for this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from trader import protocol as p
from trader.ipc import TraderClient, TraderError, TraderGone

log = logging.getLogger(__name__)


class Source(Protocol):
    version: int

    def snapshot(self) -> dict[str, Any]: ...

    async def wait_change(self, seen: int, wait_s: float) -> int: ...

    async def kill(self, reason: str) -> dict[str, Any]: ...


def _dec(v: Any) -> Decimal | None:
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def usage_pct(limit: dict[str, Any]) -> int | None:
    """Whole percent of a limit in use (Decimal arithmetic), None when unbounded."""
    value, bound = _dec(limit.get("value")), _dec(limit.get("bound"))
    if value is None or bound is None or bound <= 0:
        return None
    return int(value * 100 / bound)


def _ms(ts_ns: int) -> int:
    return ts_ns // 1_000_000


class TraderSource:
    def __init__(self, socket_path: str, *, poll_s: float = 1.0, reconnect_s: float = 1.0,
                 max_points: int = 3600, max_rows: int = 100) -> None:
        self.socket_path = socket_path
        self.poll_s = poll_s
        self.reconnect_s = reconnect_s
        self.version = 0
        self._changed = asyncio.Condition()
        self.client: TraderClient | None = None
        self.status: dict[str, Any] = {}
        self.orders: list[dict[str, Any]] = []
        self.pnl: deque[tuple[int, str]] = deque(maxlen=max_points)
        self.fills: deque[dict[str, Any]] = deque(maxlen=max_rows)
        self.events: deque[dict[str, Any]] = deque(maxlen=max_rows)
        self.link: dict[str, Any] = {"connected": False, "since_ms": _ms(time.time_ns()),
                                     "reason": "not connected yet"}

    # -- Source --

    def snapshot(self) -> dict[str, Any]:
        status = dict(self.status)
        limits = [dict(lim, usage_pct=usage_pct(lim)) for lim in status.get("limits", [])]
        status["limits"] = limits
        return {
            "version": self.version,
            "at_ms": _ms(time.time_ns()),
            "link": dict(self.link),
            "status": status,
            "orders": list(self.orders),
            "pnl": [[t, v] for t, v in self.pnl],
            "fills": list(self.fills)[::-1],
            "events": list(self.events)[::-1],
        }

    async def wait_change(self, seen: int, wait_s: float) -> int:
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self.version != seen),
                                       wait_s)
            return self.version

    async def kill(self, reason: str) -> dict[str, Any]:
        client = self.client
        if client is None or client.gone:
            raise TraderGone("the dashboard is not connected to the trader")
        await client.kill(reason)
        self.status = await client.query("status")
        await self._bump()
        return {"ok": True, "state": self.status.get("states", {}).get("global")}

    # -- running --

    async def run(self) -> None:
        """Forever (until cancelled): stay connected, follow pushes, poll."""
        while True:
            try:
                client = await TraderClient.connect(self.socket_path, client="dashboard")
            except (OSError, TimeoutError) as e:
                await self._set_link(False, f"cannot connect: {type(e).__name__}")
                await asyncio.sleep(self.reconnect_s)
                continue
            self.client = client
            await self._set_link(True, "")
            try:
                await client.subscribe(["state", "events"])
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(self._poll(client))
                    tg.create_task(self._follow(client))
            except* (TraderGone, TraderError) as eg:
                log.warning("dashboard lost the trader: %s", eg.exceptions[0])
            finally:
                await client.close()
            await self._set_link(False, client.gone_reason or "connection ended")
            await asyncio.sleep(self.reconnect_s)

    async def _poll(self, client: TraderClient) -> None:
        while not client.gone:
            self.status = await client.query("status")
            self.orders = list((await client.query("orders")).get("orders", []))
            pnl = self.status.get("pnl_usd", {})
            realized, unrealized = _dec(pnl.get("realized")), _dec(pnl.get("unrealized"))
            if realized is not None and unrealized is not None:
                self.pnl.append((_ms(time.time_ns()), str(realized + unrealized)))
            await self._bump()
            await asyncio.sleep(self.poll_s)
        raise TraderGone(client.gone_reason or "gone")

    async def _follow(self, client: TraderClient) -> None:
        async for push in client.pushes():
            if isinstance(push, p.Event):
                row = {"ts_ms": _ms(push.ts), "kind": push.kind, "venue": push.venue or "",
                       "sym": push.sym or "", "reason": push.reason}
                if push.kind == "fill":
                    row["tid"] = push.reason
                    self.fills.append(row)
                    # positions and PnL move with a fill: refresh now, not at the next poll
                    self.status = await client.query("status")
                else:
                    self.events.append(row)
            elif isinstance(push, p.State):
                if push.reason != "current state":
                    self.events.append({"ts_ms": _ms(push.ts), "kind": "state",
                                        "venue": "" if push.scope == "global" else push.scope,
                                        "sym": "", "reason": f"{push.state}: {push.reason}"})
                states = dict(self.status.get("states", {}))
                states[push.scope] = push.state
                self.status = dict(self.status, states=states)
            await self._bump()
        raise TraderGone(client.gone_reason or "gone")

    async def _set_link(self, connected: bool, reason: str) -> None:
        if connected != self.link["connected"] or reason != self.link["reason"]:
            self.link = {"connected": connected, "since_ms": _ms(time.time_ns()),
                         "reason": reason}
            if not connected:
                self.client = None
            await self._bump()

    async def _bump(self) -> None:
        async with self._changed:
            self.version += 1
            self._changed.notify_all()
