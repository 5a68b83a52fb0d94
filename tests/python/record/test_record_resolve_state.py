"""What the first full demo found in the record, against the real trader and Postgres:

- a Polymarket resolution settles the recorded positions exactly as trader's engine does
  (winner at 1, the other outcome at 0, once per market), also when the lost outcome is the
  one named, also after trader restarts (replay) and when the recorder replays the journal;
- a STATE record gives the scope's effective state (an unkill while a loss breaker still
  holds the global scope is REDUCING, not ACTIVE) beside the hold that changed.

The test's IPC client acts as the Polymarket venue (checks, acks, fills, resolve)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
from record_checks import check_record, wait_recorded
from record_harness import TraderProc, trader_config

from recorder.recorder import Recorder
from trader import protocol as p
from trader.ipc import TraderClient, connected

D = Decimal
YES, NO = "7" * 70, "8" * 70
MARKET = "0x" + "ab" * 32
_cids = itertools.count(1)


@contextlib.asynccontextmanager
async def recording(sock: str, dsn: str) -> AsyncIterator[Recorder]:
    rec = Recorder(sock, dsn)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(rec.run())
        try:
            yield rec
        finally:
            task.cancel()


def instrument(sym: str, other: str) -> p.Instrument:
    return p.Instrument(id=0, venue="polymarket", sym=sym, kind="binary", market=MARKET,
                        complement=other, tick=D("0.01"), lot=D("0.01"), min_qty=D("1"),
                        min_notional=D("0"), quote_ccy="USDC", usd_rate=D("1"))


async def setup(c: TraderClient) -> None:
    await c.register_instrument(instrument(YES, NO))
    await c.register_instrument(instrument(NO, YES))
    for sym in (YES, NO):
        c.mark(venue="polymarket", sym=sym, px=D("0.5"), ts=time.time_ns())


async def order(c: TraderClient, sym: str, side: p.Side, px: str, qty: str) -> int:
    r = await c.check(venue="polymarket", sym=sym, side=side, px=D(px), qty=D(qty),
                      cid=f"t{next(_cids)}")
    assert isinstance(r, p.CheckOk), r
    await c.report(res=r.res, kind="ack", ts=time.time_ns(), voi=f"v{r.res}")
    return r.res


async def fill(c: TraderClient, sym: str, side: p.Side, px: str, qty: str, *,
               fee: str = "0") -> None:
    res = await order(c, sym, side, px, qty)
    await c.report(res=res, kind="fill", ts=time.time_ns(), voi=f"v{res}", tid=f"tr{res}",
                   px=D(px), qty=D(qty), fee=D(fee), fee_ccy="USDC", liq="maker")


async def pg_positions(dsn: str) -> dict[str, tuple[Decimal, Decimal]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT instrument, quantity, realized_pnl_usd FROM positions")
    finally:
        await conn.close()
    return {r["instrument"]: (r["quantity"], r["realized_pnl_usd"]) for r in rows}


def engine_positions(t: TraderProc) -> dict[str, tuple[Decimal, Decimal]]:
    return {q["sym"]: (D(q["qty"]), D(q["realized_usd"]))
            for q in t.ctl("positions")["positions"] if q["venue"] == "polymarket"}


async def test_resolution_settles_positions_like_trader(tmp_path: Path, pg_dsn: str) -> None:
    t = TraderProc(tmp_path, trader_config(tmp_path, strategy=False))
    t.start()
    try:
        async with recording(t.sock, pg_dsn) as rec:
            async with connected(t.sock, client="venue") as c:
                await setup(c)
                await fill(c, YES, "buy", "0.40", "20", fee="0.05")
                await fill(c, YES, "sell", "0.55", "5")
                await fill(c, NO, "buy", "0.52", "10")
                # trader frees its reservation at the resolve but keeps the order until the
                # venue's cancel report: so does the record
                resting = await order(c, YES, "buy", "0.30", "5")
                # the gateway resolves token by token: the lost one first here, so the
                # winner is its complement; the second resolve of the market is a no-op
                await c.resolve(venue="polymarket", sym=NO, px=D(0), ts=time.time_ns())
                await c.resolve(venue="polymarket", sym=YES, px=D(1), ts=time.time_ns())
            await asyncio.wait_for(rec.caught_up.wait(), 20)
            await wait_recorded(pg_dsn, t)
            await check_record(pg_dsn, t)     # positions, fills, open orders = the engine's
        # by hand: YES 5 x (0.55 - 0.40) + 15 x (1 - 0.40) - 0.05 fee; NO 10 x (0 - 0.52)
        want = {YES: (D(0), D("9.70")), NO: (D(0), D("-5.20"))}
        assert engine_positions(t) == want
        assert await pg_positions(pg_dsn) == want
        conn = await asyncpg.connect(pg_dsn)
        try:
            res = await conn.fetch("SELECT instrument, won FROM resolutions ORDER BY 1")
            settled = await conn.fetch("SELECT market, winner FROM settlements")
            status = await conn.fetchval(
                "SELECT status FROM orders WHERE venue = 'polymarket' AND order_key = $1",
                str(resting))
            # the recorder replays the whole journal (its position lost): nothing moves twice
            await conn.execute("DELETE FROM recorder_progress")
        finally:
            await conn.close()
        assert [(r["instrument"], r["won"]) for r in res] == [(YES, True), (NO, False)]
        assert [(r["market"], r["winner"]) for r in settled] == [(MARKET, YES)]
        assert status == "open"
        async with recording(t.sock, pg_dsn) as rec:
            await asyncio.wait_for(rec.caught_up.wait(), 20)
        assert await pg_positions(pg_dsn) == want
        # trader replays its journal at restart: the same settlement (complement won)
        t.stop()
        t.start()
        assert engine_positions(t) == want
    finally:
        t.stop()


async def test_unkill_records_the_effective_state(tmp_path: Path, pg_dsn: str) -> None:
    cfg = trader_config(tmp_path, strategy=False)
    # one losing round trip holds the global scope REDUCING (a hold trader does not journal)
    cfg["risk"]["global"]["loss_breaker"] = {"losses": 1, "cooldown_s": 3600,
                                             "state": "reducing"}
    t = TraderProc(tmp_path, cfg)
    t.start()
    try:
        async with recording(t.sock, pg_dsn) as rec:
            async with connected(t.sock, client="venue") as c:
                await setup(c)
                await fill(c, YES, "buy", "0.50", "10")
                await fill(c, YES, "sell", "0.46", "10")
                assert t.ctl("status")["states"]["global"] == "REDUCING"
                await c.kill("test: kill")
                await c.unkill("test: unkill")
            assert t.ctl("status")["states"]["global"] == "REDUCING"
            await asyncio.wait_for(rec.caught_up.wait(), 20)
            await wait_recorded(pg_dsn, t)
        conn = await asyncpg.connect(pg_dsn)
        try:
            rows = await conn.fetch("SELECT state, hold_state, reason, text FROM risk_events"
                                    " WHERE scope = 'global' ORDER BY seq")
        finally:
            await conn.close()
        got = [(r["state"], r["hold_state"], r["reason"], r["text"][:6]) for r in rows]
        assert got == [("HALTED", "HALTED", "kill", "kill ("),
                       ("REDUCING", "ACTIVE", "kill", "unkill")], got
    finally:
        t.stop()
