"""The store against a real Postgres: migrations, idempotent writes, positions from fills."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from recorder import migrate
from recorder.records import (
    AlertRecord,
    BookLevel,
    BookSnapshot,
    FillRecord,
    OrderEventRecord,
    OrderRecord,
    PnlSnapshot,
    PositionRecord,
    RebateRecord,
    RiskEventRecord,
)
from recorder.store import Position, Store, apply_fill

AT = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
D = Decimal


def fill(tid: str, side: str, qty: str, px: str, fee: str = "0", **kw: object) -> FillRecord:
    return FillRecord(venue="paper", instrument="BTCUSDT", trade_id=tid, order_key="7",
                      side=side, price=D(px), quantity=D(qty), fee=D(fee),  # type: ignore[arg-type]
                      fee_ccy="USDT", liquidity="maker", at=AT, **kw)  # type: ignore[arg-type]


async def test_migrations_apply_once_and_refuse_edits(pg_dsn: str, tmp_path: Path) -> None:
    store = await Store.open(pg_dsn)
    await store.close()
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await migrate.apply(conn) == []          # second start: nothing to do
        tables = {r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"orders", "order_events", "fills", "positions", "book_snapshots",
                "pnl_snapshots", "risk_events", "rebates", "alerts", "recorder_progress",
                "schema_migrations"} <= tables
        # money is NUMERIC and times timestamptz everywhere
        cols = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public'")
        types = {(r["table_name"], r["column_name"]): r["data_type"] for r in cols}
        assert types[("fills", "price")] == "numeric"
        assert types[("fills", "fee")] == "numeric"
        assert types[("fills", "at")] == "timestamp with time zone"
        for table in ("orders", "order_events", "fills", "positions", "book_snapshots",
                      "pnl_snapshots", "risk_events", "rebates", "alerts"):
            assert (table, "venue") in types and (table, "instrument") in types, table
        # an edited migration is refused, not silently diverging
        edited = tmp_path / "m"
        edited.mkdir()
        for m in migrate.load():
            (edited / f"{m.version:03d}_{m.name}.sql").write_text(m.sql + "\n-- edited\n")
        with pytest.raises(migrate.MigrationError, match="edited"):
            await migrate.apply(conn, edited)
    finally:
        await conn.close()


async def test_every_record_is_idempotent(pg_dsn: str) -> None:
    store = await Store.open(pg_dsn)
    try:
        order = OrderRecord(venue="paper", instrument="BTCUSDT", order_key="7", side="buy",
                            price=D("60000.01"), quantity=D("0.0002"), client_order_id="c-7",
                            created_at=AT)
        for _ in range(2):
            await store.record_order(order)
            await store.record_order_event(OrderEventRecord(
                venue="paper", instrument="BTCUSDT", order_key="7", seq=10, kind="ack", at=AT,
                venue_order_id="V7"))
            await store.record_book(BookSnapshot(
                venue="polymarket", instrument="tok", source="gw", seq=1, at=AT,
                bids=(BookLevel(D("0.52"), D("100")),), asks=(BookLevel(D("0.54"), D("7.5")),)))
            await store.record_pnl(PnlSnapshot(source="gw", seq=1, venue="", realized_usd=D("1.5"),
                                               unrealized_usd=D("-0.25"), fees_usd=D("0.01"),
                                               exposure_usd=D("12"), at=AT))
            await store.record_risk_event(RiskEventRecord(
                source="trader", seq=11, scope="global", scope_name="global", state="HALTED",
                reason="kill", text="kill (file)", at=AT))
            await store.record_rebate(RebateRecord(venue="polymarket", instrument="tok",
                                                   source="gw", seq=1, amount=D("0.0132"),
                                                   ccy="USDC", kind="rebate", at=AT))
            await store.record_alert(AlertRecord(source="gw", seq=1, kind="drawdown",
                                                 severity="warning", text="x", at=AT))
        assert await store.record_fill(fill("T1", "buy", "0.0001", "60000")) is True
        assert await store.record_fill(fill("T1", "buy", "0.0001", "60000")) is False
        counts = {t: (await store.fetch(f"SELECT count(*) AS n FROM {t}"))[0]["n"] for t in (
            "orders", "order_events", "fills", "book_snapshots", "pnl_snapshots",
            "risk_events", "rebates", "alerts")}
        assert counts == dict.fromkeys(counts, 1)
        row = (await store.fetch("SELECT * FROM orders"))[0]
        assert row["venue_order_id"] == "V7" and row["price"] == D("60000.01")
        book = (await store.fetch("SELECT * FROM book_snapshots"))[0]
        assert book["bid_prices"] == [D("0.52")] and book["ask_sizes"] == [D("7.5")]
        pos = (await store.fetch("SELECT * FROM positions"))[0]
        assert pos["quantity"] == D("0.0001")       # the duplicate fill moved nothing
    finally:
        await store.close()


async def test_positions_follow_fills_like_the_engine(pg_dsn: str) -> None:
    store = await Store.open(pg_dsn)
    try:
        await store.record_fill(fill("a", "buy", "0.0002", "100", fee="0.01"))
        await store.record_fill(fill("b", "buy", "0.0002", "200"))
        pos = (await store.fetch("SELECT * FROM positions"))[0]
        assert pos["quantity"] == D("0.0004") and pos["avg_price"] == D("150")
        assert pos["realized_pnl_usd"] == D("-0.01")
        await store.record_fill(fill("c", "sell", "0.0006", "160", fee="0.02"))  # flips short
        pos = (await store.fetch("SELECT * FROM positions"))[0]
        assert pos["quantity"] == D("-0.0002") and pos["avg_price"] == D("160")
        assert pos["realized_pnl_usd"] == D("-0.01") + D("0.0004") * 10 - D("0.02")
        await store.record_position(PositionRecord(venue="paper", instrument="BTCUSDT",
                                                   quantity=D(0), avg_price=D(0),
                                                   realized_pnl_usd=D("1"), at=AT))
        pos = (await store.fetch("SELECT * FROM positions"))[0]
        assert pos["quantity"] == 0 and pos["realized_pnl_usd"] == 1
    finally:
        await store.close()


def test_apply_fill_closes_to_flat() -> None:
    p = apply_fill(Position(D(0), D(0), D(0)), "sell", D("2"), D("10"), fee=D(0), usd_rate=D(1))
    assert p == Position(D("-2"), D("10"), D(0))
    p = apply_fill(p, "buy", D("2"), D("8"), fee=D("0.5"), usd_rate=D("0.5"))
    # (10 - 8) * 2 - 0.5 fee, at 0.5 USD per USDT
    assert p.quantity == 0 and p.avg_price == 0 and p.realized_pnl_usd == D("1.75")


async def test_store_open_fails_when_postgres_is_absent() -> None:
    with pytest.raises(OSError):
        await Store.open("postgresql://postgres@127.0.0.1:1/postgres")
