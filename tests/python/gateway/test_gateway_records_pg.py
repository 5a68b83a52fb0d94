"""The gateway's records in a real Postgres beside the recorder's (both write Polymarket):

- rows carry wall-clock times even when the gateway runs on a fast-forwarded venue clock
  (the venue's time is kept in `venue_at`);
- a resolution is one row per token whoever writes first (gateway or recorder), and the
  settlement of positions happens once;
- a fill the recorder booked first is not booked again on its order by the gateway's event,
  and the gateway's write adds the venue time and its order details to the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from gateway.clock import Clock
from gateway.records import Recorder as GatewayRecords
from localsvc import PostgresHandle, start_postgres
from recorder.records import FillRecord, OrderEventRecord, OrderRecord
from recorder.store import Bulk, InstrumentRow, ResolveRow, Store, write_bulk

D = Decimal
YES, NO, MARKET = "1" * 70, "2" * 70, "0x" + "cd" * 32
DAY_S = 86_400


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresHandle]:
    h = start_postgres()
    yield h
    h.stop()


@contextlib.asynccontextmanager
async def gateway_records(dsn: str, clock: Clock | None) -> AsyncIterator[GatewayRecords]:
    rec = GatewayRecords(dsn, "", clock.now_ns if clock is not None else None)
    await rec.open()
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(rec.run())
        try:
            yield rec
            await rec.flush()
        finally:
            task.cancel()
    await rec.close()


async def fresh_db(pg: PostgresHandle, name: str) -> str:
    conn = await asyncpg.connect(pg.dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg.dsn_for(name)


def fast_clock() -> Clock:
    """The gateway's clock on a simulator at x60 whose time is a day ahead of the wall's."""
    c = Clock(60.0)
    c.sync(time.time() + DAY_S)
    return c


async def recorder_writes(dsn: str, bulk: Bulk) -> None:
    """What the recorder writes for a batch of journal records (one transaction)."""
    store = await Store.open(dsn)
    try:
        async with store.batch() as b:
            await write_bulk(b.conn, bulk)
    finally:
        await store.close()


async def test_gateway_rows_are_wall_clock_with_venue_time_aside(pg: PostgresHandle) -> None:
    dsn = await fresh_db(pg, "gw_times")
    clock = fast_clock()
    before = datetime.now(UTC)
    async with gateway_records(dsn, clock) as rec:
        rec.order(token=YES, key="11", side="BUY", price=D("0.4"), qty=D(5), cid="gw1-L1")
        rec.order_event(token=YES, key="11", kind="ack", voi="v11")
        rec.fill(token=YES, trade_id="t11", key="11", side="BUY", price=D("0.4"), qty=D(5),
                 fee=D(0), liquidity="maker", ts_ns=clock.now_ns(), voi="v11")
        rec.book(YES, [(D("0.4"), D(10))], [(D("0.42"), D(10))])
        rec.rebate(YES, D("0.01"), clock.now_ns())
        rec.alert("test", "info", "an alert")
        rec.resolved(YES, True)
    after = datetime.now(UTC)
    assert rec.errors == 0
    conn = await asyncpg.connect(dsn)
    try:
        times = {}
        for table, col in (("orders", "created_at"), ("order_events", "at"), ("fills", "at"),
                           ("book_snapshots", "at"), ("rebates", "at"), ("alerts", "at")):
            times[table] = await conn.fetchrow(f"SELECT {col} AS at, venue_at FROM {table}")
        res_at = await conn.fetchval("SELECT at FROM resolutions")
    finally:
        await conn.close()
    slack = timedelta(seconds=1)
    for table, row in times.items():
        assert before - slack <= row["at"] <= after + slack, (table, row["at"])
        # the venue's clock runs a day ahead here
        assert row["venue_at"] - row["at"] > timedelta(hours=23), (table, row["venue_at"])
    assert before - slack <= res_at <= after + slack


async def test_gateway_on_the_wall_clock_leaves_venue_time_empty(pg: PostgresHandle) -> None:
    dsn = await fresh_db(pg, "gw_wall")
    async with gateway_records(dsn, None) as rec:
        rec.order_event(token=YES, key="12", kind="ack", voi="v12")
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT at, venue_at FROM order_events")
    finally:
        await conn.close()
    assert row["venue_at"] is None
    assert abs(row["at"] - datetime.now(UTC)) < timedelta(seconds=5)


def binary_instruments(at: datetime) -> list[InstrumentRow]:
    return [InstrumentRow("polymarket", sym, MARKET, 3, "USDC", D(1), at) for sym in (YES, NO)]


def fill(trade_id: str, sym: str, qty: str, px: str, at: datetime) -> FillRecord:
    return FillRecord("polymarket", sym, trade_id, trade_id, "buy", D(px), D(qty), D(0),
                      "USDC", "maker", at)


@pytest.mark.parametrize("gateway_first", [True, False])
async def test_each_resolution_is_written_once(pg: PostgresHandle, gateway_first: bool) -> None:
    dsn = await fresh_db(pg, f"gw_resolve_{int(gateway_first)}")
    now = datetime.now(UTC)
    await recorder_writes(dsn, Bulk(instruments=binary_instruments(now),
                                    fills=[(0, fill("a", YES, "10", "0.3", now))],
                                    events=[OrderEventRecord("polymarket", YES, "a", 1,
                                                             "fill", now)]))

    async def gateway() -> None:
        async with gateway_records(dsn, fast_clock()) as rec:
            rec.resolved(YES, True)
            rec.resolved(NO, False)

    async def recorder() -> None:
        # trader journals one RESOLVE per resolve call: one per token
        for seq, (sym, won) in enumerate(((YES, True), (NO, False)), start=10):
            await recorder_writes(dsn, Bulk(resolves=[ResolveRow("trader", seq, "polymarket",
                                                                 sym, won, now)]))

    for writer in ((gateway, recorder) if gateway_first else (recorder, gateway)):
        await writer()
    conn = await asyncpg.connect(dsn)
    try:
        res = await conn.fetch("SELECT instrument, won, source FROM resolutions ORDER BY 1")
        pos = await conn.fetchrow("SELECT quantity, realized_pnl_usd FROM positions"
                                  " WHERE instrument = $1", YES)
        n_settled = await conn.fetchval("SELECT count(*) FROM settlements")
        n_gateway_events = await conn.fetchval(
            "SELECT count(*) FROM risk_events WHERE source = 'gateway'")
    finally:
        await conn.close()
    first = "gateway" if gateway_first else "trader"
    assert [(r["instrument"], r["won"], r["source"]) for r in res] == [
        (YES, True, first), (NO, False, first)]
    # settled once, whoever wrote the resolution first: 10 x (1 - 0.3)
    assert (pos["quantity"], pos["realized_pnl_usd"]) == (D(0), D("7.0"))
    assert n_settled == 1
    assert n_gateway_events == 0


async def test_fill_recorded_first_by_the_recorder_is_booked_once(pg: PostgresHandle) -> None:
    dsn = await fresh_db(pg, "gw_fill_twice")
    now = datetime.now(UTC)
    # the recorder got there first: trader's ACCEPT (source ipc) and the fill REPORT
    await recorder_writes(dsn, Bulk(
        orders=[OrderRecord("polymarket", YES, "21", "buy", D("0.4"), D(5), "gw21-L2", now,
                            source="ipc")],
        fills=[(0, fill("t21", YES, "5", "0.4", now))],
        events=[OrderEventRecord("polymarket", YES, "21", 7, "fill", now)]))
    clock = fast_clock()
    async with gateway_records(dsn, clock) as rec:
        rec.order(token=YES, key="21", side="BUY", price=D("0.4"), qty=D(5), cid="gw21-L2")
        rec.fill(token=YES, trade_id="t21", key="21", side="BUY", price=D("0.4"), qty=D(5),
                 fee=D(0), liquidity="maker", ts_ns=clock.now_ns(), voi="v21")
    conn = await asyncpg.connect(dsn)
    try:
        order = await conn.fetchrow("SELECT filled_qty, status, source, post_only, venue_at"
                                    " FROM orders")
        fills = await conn.fetch("SELECT venue_at FROM fills")
        booked = await conn.fetch("SELECT quantity FROM order_events WHERE kind = 'fill'"
                                  " ORDER BY seq")
        qty = await conn.fetchval("SELECT quantity FROM positions")
    finally:
        await conn.close()
    assert (order["filled_qty"], order["status"]) == (D(5), "filled")
    assert (order["source"], order["post_only"]) == ("gateway", True)
    assert order["venue_at"] is not None
    assert len(fills) == 1 and fills[0]["venue_at"] is not None
    assert [r["quantity"] for r in booked] == [D(5), D(0)]
    assert qty == D(5)
