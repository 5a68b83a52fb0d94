"""Everything the gateway records goes through here: orders, order events, fills, books.

Backends: `recorder.store.Store` when a DSN is configured (imported lazily, so the
gateway runs before the store exists), else a JSONL file when a path is configured, else
nothing. Writes are queued and drained by one task, so the trading path never waits on
the database; `flush()` drains the queue (on stop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
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
    RiskEventRecord,
)

log = logging.getLogger("gateway.records")

Record = (OrderRecord | OrderEventRecord | FillRecord | BookSnapshot | RebateRecord
          | RiskEventRecord | AlertRecord)
SOURCE = "gateway"
VENUE = "polymarket"


def now_utc() -> datetime:
    return datetime.now(UTC)


def ns_to_dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


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
                 now_ns: Callable[[], int] = time.time_ns) -> None:
        self.dsn = dsn
        self.now_ns = now_ns      # the gateway's clock (the simulator's when fast-forwarded)
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
                if isinstance(rec, OrderRecord):
                    await self._store.record_order(rec)
                elif isinstance(rec, OrderEventRecord):
                    await self._store.record_order_event(rec)
                elif isinstance(rec, FillRecord):
                    await self._store.record_fill(rec)
                elif isinstance(rec, RebateRecord):
                    await self._store.record_rebate(rec)
                elif isinstance(rec, RiskEventRecord):
                    await self._store.record_risk_event(rec)
                elif isinstance(rec, AlertRecord):
                    await self._store.record_alert(rec)
                else:
                    await self._store.record_book(rec)
            elif self._fh is not None:
                row = {"type": type(rec).__name__, **_jsonable(dataclasses.asdict(rec))}
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
        return ns_to_dt(self.now_ns())

    def order(self, *, token: str, key: str, side: str, price: Decimal, qty: Decimal,
              cid: str, voi: str = "", post_only: bool = True, tif: str = "GTC") -> None:
        self.put(OrderRecord(VENUE, token, key, "buy" if side == "BUY" else "sell", price, qty,
                             cid, self.at(), voi, SOURCE, tif, post_only))

    def order_event(self, *, token: str, key: str, kind: str, voi: str = "",
                    reason: str = "", qty: Decimal = Decimal(0)) -> None:
        self.put(OrderEventRecord(VENUE, token, key, self.next_seq(), kind,  # type: ignore[arg-type]
                                  self.at(), voi, reason[:500], qty))

    def fill(self, *, token: str, trade_id: str, key: str, side: str, price: Decimal,
             qty: Decimal, fee: Decimal, liquidity: str, ts_ns: int, voi: str) -> None:
        self.put(FillRecord(VENUE, token, trade_id, key, "buy" if side == "BUY" else "sell",
                            price, qty, fee, "USDC", liquidity,  # type: ignore[arg-type]
                            ns_to_dt(ts_ns), voi))

    def book(self, token: str, bids: list[tuple[Decimal, Decimal]],
             asks: list[tuple[Decimal, Decimal]]) -> None:
        self.put(BookSnapshot(VENUE, token, SOURCE, self.next_seq(), self.at(),
                              tuple(BookLevel(p, s) for p, s in bids),
                              tuple(BookLevel(p, s) for p, s in asks)))

    def rebate(self, token: str, amount: Decimal, ts_ns: int) -> None:
        self.put(RebateRecord(VENUE, token, SOURCE, self.next_seq(), amount, "USDC", "rebate",
                              ns_to_dt(ts_ns)))

    def resolved(self, token: str, won: bool) -> None:
        """A market resolution, in the form the recorder gives trader's RESOLVE records."""
        self.put(RiskEventRecord(SOURCE, self.next_seq(), "market", token, "RESOLVED",
                                 "resolved", f"{token} resolved: {'won' if won else 'lost'}",
                                 self.at(), VENUE, token))

    def alert(self, kind: str, severity: str, text: str, instrument: str = "") -> None:
        self.put(AlertRecord(SOURCE, self.next_seq(), kind, severity, text[:2000], self.at(),
                             VENUE, instrument))
