"""The recorder against the real trader (paper venue, its quoter making fills) and a real
Postgres: everything the journal holds ends up in Postgres once, also across a Postgres
outage, a recorder kill -9 and a follow that starts in the middle of the journal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from journal_file import journal_fills, read_journal
from record_checks import check_record, wait_recorded, wait_until
from record_harness import RecorderProc, TraderProc, trader_config

from localsvc import start_postgres
from recorder.follower import Follow
from recorder.recorder import Recorder


@contextlib.asynccontextmanager
async def running(rec: Recorder) -> AsyncIterator[asyncio.Task[None]]:
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(rec.run())
        try:
            yield task
        finally:
            task.cancel()


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[TraderProc]:
    t = TraderProc(tmp_path, trader_config(tmp_path))
    t.start()
    yield t
    t.stop()


async def wait_fills(t: TraderProc, n: int, within_s: float = 30.0) -> None:
    async def enough() -> bool:
        return len(journal_fills(t.tmp / "state" / "journal.tj")) >= n

    await wait_until(enough, within_s, f"{n} paper fills")


async def test_recorder_records_every_fill_once(trader: TraderProc, pg_dsn: str) -> None:
    await wait_fills(trader, 4)
    rec = Recorder(trader.sock, pg_dsn)
    async with running(rec):
        await asyncio.wait_for(rec.caught_up.wait(), 20)
        await wait_fills(trader, 8)        # live records after the catch-up
        trader.ctl("kill", "test: quiesce")   # HALTED, quotes cancelled: the end state settles
        await wait_recorded(pg_dsn, trader)
        figures = await check_record(pg_dsn, trader)
    assert figures["fills"] >= 8
    conn = await asyncpg.connect(pg_dsn)
    try:
        halted = await conn.fetchval(
            "SELECT count(*) FROM risk_events WHERE state = 'HALTED' AND reason = 'kill'")
        accepts = await conn.fetchval("SELECT count(*) FROM order_events WHERE kind = 'accept'")
        fee_ccy = await conn.fetchval("SELECT DISTINCT fee_ccy FROM fills")
    finally:
        await conn.close()
    assert halted == 1
    assert accepts == sum(1 for _s, t, _r in read_journal(trader.tmp / "state" / "journal.tj")
                          if t == 2)
    assert fee_ccy == "USDT"


async def test_postgres_down_loses_nothing(trader: TraderProc, tmp_path: Path) -> None:
    pg = start_postgres()
    try:
        rec = Recorder(trader.sock, pg.dsn)
        async with running(rec):
            await asyncio.wait_for(rec.caught_up.wait(), 20)
            before = rec.stats.applied_seq
            pg.kill9()
            await wait_fills(trader, len(journal_fills(trader.tmp / "state" / "journal.tj")) + 3)
            assert rec.stats.applied_seq <= int(trader.ctl("status")["jseq"])
            pg.restart()
            trader.ctl("kill", "test: quiesce")
            await wait_recorded(pg.dsn, trader)
            assert rec.stats.pg_failures >= 1 and rec.stats.applied_seq > before
            await check_record(pg.dsn, trader)
    finally:
        pg.stop()


async def test_recorder_kill9_replays_idempotently(trader: TraderProc, pg_dsn: str,
                                                   tmp_path: Path) -> None:
    r = RecorderProc(tmp_path, trader.sock, pg_dsn)
    try:
        for _ in range(4):
            r.start()
            await wait_fills(trader, len(journal_fills(trader.tmp / "state" / "journal.tj")) + 2)
            r.kill9()
        trader.ctl("kill", "test: quiesce")
        r.start()
        await wait_recorded(pg_dsn, trader)
        await check_record(pg_dsn, trader)
    finally:
        r.stop()


async def test_follow_from_the_middle_then_live(trader: TraderProc) -> None:
    await wait_fills(trader, 3)
    on_disk = read_journal(trader.tmp / "state" / "journal.tj")
    start = on_disk[len(on_disk) // 2][0]
    f = await Follow.open(trader.sock, start)
    async with f:
        await f.start()
        got: list[int] = []
        target = on_disk[-1][0] + 20          # beyond what existed: live records too
        while not got or got[-1] < target:
            got.extend(j.seq for j in await asyncio.wait_for(f.next_batch(100), 20))
    assert got[0] == start and got == list(range(start, got[-1] + 1))
    by_seq = {s: r for s, _t, r in read_journal(trader.tmp / "state" / "journal.tj")}
    assert all(s in by_seq for s in got)
