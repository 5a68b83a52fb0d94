"""Everything the gateway records goes through here: orders, order events, fills, books.

Backends: `recorder.store.Store` when a DSN is configured (imported lazily, so the
gateway runs before the store exists), else a JSONL file when a path is configured, else
nothing. Writes are queued and drained by one task, so the trading path never waits on
the database; `flush()` drains the queue (on stop).

Times: every row's `at` is wall-clock time, like the rows the recorder writes from trader's
journal, so Polymarket rows and trader's rows share one time line. On a fast-forwarded
simulator (`timing.speed`) the venue's time goes in `venue_at` as well (the report and the
replay run in venue time).

Polymarket fills, orders and resolutions are also in trader's journal, so the recorder writes
them too: same keys, the first write makes the row (recorder.store). A fill and its order
event go in one transaction, and the event books the fill's quantity on the order only when
this write booked the fill. A resolution is a `resolutions` row (one per token, whoever is
first); the `risk_events` RESOLVED row and the settlement of positions come from trader's
RESOLVE record (the recorder), as trader's own PnL does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from recorder.records import (
    AlertRecord,
    BookLevel,
    BookSnapshot,
    FillRecord,
    OrderEventRecord,
    OrderRecord,
    RebateRecord,
    ResolutionRecord,
)

log = logging.getLogger("gateway.records")

Record = (OrderRecord | OrderEventRecord | FillRecord | BookSnapshot | RebateRecord
          | ResolutionRecord | AlertRecord | tuple[FillRecord, OrderEventRecord])
SOURCE = "gateway"
VENUE = "polymarket"


def now_utc() -> datetime:
    return datetime.now(UTC)


def ns_to_dt(ns: int) -> datetime:
    """ns since the epoch -> aware UTC datetime (microseconds, integer arithmetic)."""
    sec, rem = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(sec, UTC) + timedelta(microseconds=rem // 1000)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


class Recorder:
    def __init__(self, dsn: str = "", jsonl: str = "",
                 venue_now_ns: Callable[[], int] | None = None) -> None:
        self.dsn = dsn
        # the venue's clock when it is not the wall's (a fast-forwarded simulator), else None
        self.venue_now_ns = venue_now_ns
        self.jsonl = jsonl
        self._store: Any = None
        self._fh: Any = None
        self._queue: asyncio.Queue[Record | None] = asyncio.Queue()
        self._seq = 0
        self.written = 0
        self.errors = 0

    @property
    def backend(self) -> str:
        return "postgres" if self.dsn else "jsonl" if self.jsonl else "none"

    async def open(self) -> None:
        if self.dsn:
            from recorder.store import Store  # noqa: PLC0415 - lazy: may not exist yet

            self._store = await Store.open(self.dsn)
        elif self.jsonl:
            d = os.path.dirname(self.jsonl)
            if d:
                os.makedirs(d, exist_ok=True)
            self._fh = open(self.jsonl, "a", encoding="utf-8")  # noqa: SIM115, ASYNC230 - once, at start

    def next_seq(self) -> int:
        # (source, seq) is the idempotency key and must not repeat across restarts:
        # microseconds since the epoch, strictly increasing within a run
        self._seq = max(self._seq + 1, time.time_ns() // 1000)
        return self._seq

    def put(self, rec: Record) -> None:
        if self.backend != "none":
            self._queue.put_nowait(rec)

    async def run(self) -> None:
        while True:
            rec = await self._queue.get()
            try:
                if rec is not None:
                    await self._write(rec)
            finally:
                self._queue.task_done()

    async def _write(self, rec: Record) -> None:
        try:
            if self._store is not None:
                if isinstance(rec, tuple):
                    fill, ev = rec
                    async with self._store.batch() as b:
                        booked = await b.record_fill(fill)
                        await b.record_order_event(
                            dataclasses.replace(ev, quantity=fill.quantity if booked
                                                else Decimal(0)))
                elif isinstance(rec, OrderRecord):
                    await self._store.record_order(rec)
                elif isinstance(rec, OrderEventRecord):
                    await self._store.record_order_event(rec)
                elif isinstance(rec, FillRecord):
                    await self._store.record_fill(rec)
                elif isinstance(rec, RebateRecord):
                    await self._store.record_rebate(rec)
                elif isinstance(rec, ResolutionRecord):
                    await self._store.record_resolution(rec)
                elif isinstance(rec, AlertRecord):
                    await self._store.record_alert(rec)
                else:
                    await self._store.record_book(rec)
            elif self._fh is not None:
                for r in rec if isinstance(rec, tuple) else (rec,):
                    row = {"type": type(r).__name__, **_jsonable(dataclasses.asdict(r))}
                    self._fh.write(json.dumps(row) + "\n")
                self._fh.flush()
            self.written += 1
        except Exception as exc:   # asyncpg errors too: a lost row never stops trading
            self.errors += 1
            log.error("record write failed (%s): %s", type(rec).__name__, exc)

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        await self.flush()
        if self._store is not None:
            await self._store.close()
        if self._fh is not None:
            self._fh.close()

    # ---- typed helpers -------------------------------------------------------------
    def at(self) -> datetime:
        """Now on the wall clock: the time of every row."""
        return ns_to_dt(time.time_ns())

    def venue_at(self) -> datetime | None:
        """Now on the venue's clock, when it runs apart from the wall's."""
        return None if self.venue_now_ns is None else ns_to_dt(self.venue_now_ns())

    def _times(self, venue_ns: int) -> tuple[datetime, datetime | None]:
        """(at, venue_at) of something the venue stamped venue_ns (a fill, its rebate):
        on a fast-forwarded venue clock the row is stamped now and keeps the venue's time
        aside; on the real clock the venue's own time is the wall-clock time."""
        if self.venue_now_ns is None:
            return ns_to_dt(venue_ns), None
        return self.at(), ns_to_dt(venue_ns)

    def order(self, *, token: str, key: str, side: str, price: Decimal, qty: Decimal,
              cid: str, voi: str = "", post_only: bool = True, tif: str = "GTC") -> None:
        self.put(OrderRecord(VENUE, token, key, "buy" if side == "BUY" else "sell", price, qty,
                             cid, self.at(), voi, SOURCE, tif, post_only,
                             venue_at=self.venue_at()))

    def _event(self, token: str, key: str, kind: str, *, voi: str, reason: str,
               qty: Decimal) -> OrderEventRecord:
        return OrderEventRecord(VENUE, token, key, self.next_seq(), kind,  # type: ignore[arg-type]
                                self.at(), voi, reason[:500], qty, venue_at=self.venue_at())

    def order_event(self, *, token: str, key: str, kind: str, voi: str = "",
                    reason: str = "", qty: Decimal = Decimal(0)) -> None:
        self.put(self._event(token, key, kind, voi=voi, reason=reason, qty=qty))

    def fill(self, *, token: str, trade_id: str, key: str, side: str, price: Decimal,
             qty: Decimal, fee: Decimal, liquidity: str, ts_ns: int, voi: str) -> None:
        """The fill and its order event, written together (see the module doc)."""
        at, venue_at = self._times(ts_ns)
        self.put((FillRecord(VENUE, token, trade_id, key, "buy" if side == "BUY" else "sell",
                             price, qty, fee, "USDC", liquidity,  # type: ignore[arg-type]
                             at, voi, venue_at=venue_at),
                  self._event(token, key, "fill", voi=voi, reason="", qty=qty)))

    def book(self, token: str, bids: list[tuple[Decimal, Decimal]],
             asks: list[tuple[Decimal, Decimal]]) -> None:
        self.put(BookSnapshot(VENUE, token, SOURCE, self.next_seq(), self.at(),
                              tuple(BookLevel(p, s) for p, s in bids),
                              tuple(BookLevel(p, s) for p, s in asks),
                              venue_at=self.venue_at()))

    def rebate(self, token: str, amount: Decimal, ts_ns: int) -> None:
        at, venue_at = self._times(ts_ns)
        self.put(RebateRecord(VENUE, token, SOURCE, self.next_seq(), amount, "USDC", "rebate",
                              at, venue_at=venue_at))

    def resolved(self, token: str, won: bool) -> None:
        """A token's resolution: the `resolutions` row, unless the recorder wrote it first
        from trader's RESOLVE record (same key)."""
        self.put(ResolutionRecord(VENUE, token, won, self.at(), SOURCE, self.next_seq()))

    def alert(self, kind: str, severity: str, text: str, instrument: str = "") -> None:
        self.put(AlertRecord(SOURCE, self.next_seq(), kind, severity, text[:2000], self.at(),
                             VENUE, instrument, venue_at=self.venue_at()))
