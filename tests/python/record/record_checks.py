"""The end checks of the record tests: what Postgres holds against the journal (read from the
file, an independent oracle) and against the engine (`trader ctl`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
from journal_file import journal_fills
from record_harness import TraderProc


async def wait_until(pred: Callable[[], Awaitable[bool]], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await pred():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def recorded_seq(dsn: str, source: str = "trader") -> int:
    try:
        conn = await asyncpg.connect(dsn, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return -1
    try:
        v = await conn.fetchval("SELECT last_seq FROM recorder_progress WHERE source = $1",
                                source)
        return int(v) if v is not None else 0
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


async def wait_recorded(dsn: str, trader: TraderProc, within_s: float = 30.0) -> int:
    """Until the record holds every journal record trader has (its jseq right now)."""
    target = int(trader.ctl("status")["jseq"])

    async def done() -> bool:
        return await recorded_seq(dsn) >= target

    await wait_until(done, within_s, f"recorder to reach seq {target}")
    return target


async def check_record(dsn: str, trader: TraderProc) -> dict[str, Any]:
    """Every fill exactly once; positions equal the engine's; open orders equal the engine's.

    Returns figures for the test's log."""
    jfills = journal_fills(trader.tmp / "state" / "journal.tj")
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT venue, trade_id, quantity, price FROM fills")
        pos_rows = await conn.fetch(
            "SELECT venue, instrument, quantity, realized_pnl_usd FROM positions")
        open_rows = await conn.fetch(
            "SELECT venue, order_key FROM orders WHERE status = 'open'")
    finally:
        await conn.close()
    pg_fills = {(r["venue"], r["trade_id"]): r for r in rows}
    assert len(pg_fills) == len(rows)
    missing = set(jfills) - set(pg_fills)
    extra = set(pg_fills) - set(jfills)
    assert not missing, f"fills in the journal but not in postgres: {sorted(missing)[:5]}"
    assert not extra, f"fills in postgres but not in the journal: {sorted(extra)[:5]}"
    for k, rec in jfills.items():
        assert pg_fills[k]["quantity"] == Decimal(rec["qty"]), k
        assert pg_fills[k]["price"] == Decimal(rec["px"]), k

    engine = {(p["venue"], p["sym"]): p for p in trader.ctl("positions")["positions"]}
    pg_pos = {(r["venue"], r["instrument"]): r for r in pos_rows}
    tolerance = Decimal("0.00000003") * (len(jfills) + 1)
    for key in set(engine) | set(pg_pos):
        e_qty = Decimal(engine[key]["qty"]) if key in engine else Decimal(0)
        p_qty = pg_pos[key]["quantity"] if key in pg_pos else Decimal(0)
        assert e_qty == p_qty, f"position {key}: engine {e_qty} != postgres {p_qty}"
        e_rl = Decimal(engine[key]["realized_usd"]) if key in engine else Decimal(0)
        p_rl = pg_pos[key]["realized_pnl_usd"] if key in pg_pos else Decimal(0)
        assert abs(e_rl - p_rl) <= tolerance, f"realized {key}: engine {e_rl} != pg {p_rl}"

    engine_open = {(o["venue"], str(o["res"])) for o in trader.ctl("orders")["orders"]}
    pg_open = {(r["venue"], r["order_key"]) for r in open_rows}
    assert pg_open == engine_open, (
        f"open orders differ: only in postgres {sorted(pg_open - engine_open)[:5]}, "
        f"only in the engine {sorted(engine_open - pg_open)[:5]}")
    return {"fills": len(jfills), "positions": len(engine), "open_orders": len(engine_open)}
