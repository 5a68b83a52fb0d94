"""Chaos: orders and fills on the paper venue while trader, the recorder, Postgres and Redis
are killed -9 at random moments and restarted. At the end Postgres holds every fill exactly
once, its positions equal the engine's, and no order is open that the engine does not know.

Two sources of orders and fills run all the time:
- trader's own C quoter on the paper venue (BTCUSDT, ETHUSDT random walks): local orders,
  fills with the paper venue's trade ids; on a trader restart the journal replay expires the
  orders that lived in the dead process;
- this test's IPC client acting as a venue for SOLUSDT (like the gateway does for Polymarket):
  check -> reservation, then ack / partial fills with its own trade ids / cancels. When the
  trader dies under it, it reconnects and reconciles like a connector must: it re-reports
  every report it is not sure was booked (the engine books a trade id once), and adopts a
  reservation whose check_ok it never saw (found by its client order id).

Iterations: CHAOS_ITERATIONS (default 50; `make chaos` raises it). Seed: CHAOS_SEED
(default fixed; "random" picks one and prints it).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import asyncpg
from record_checks import check_record, recorded_seq, wait_recorded, wait_until
from record_harness import CLIENT_SYM, RecorderProc, TraderProc, trader_config

from localsvc import start_postgres, start_redis
from trader import protocol as p
from trader.ipc import TraderClient, TraderError, TraderGone

ITERATIONS = int(os.environ.get("CHAOS_ITERATIONS", "50"))
_seed_env = os.environ.get("CHAOS_SEED", "20261124")
SEED = random.randrange(1 << 30) if _seed_env == "random" else int(_seed_env)
LOT = Decimal("0.001")
_DONE_CODES = {20, 22}          # UNKNOWN_RES, INVALID: the order is no longer open there


@dataclass
class ClientOrder:
    cid: str
    side: p.Side
    qty: Decimal
    res: int | None = None       # None while the check's outcome is unknown
    acked: bool = False
    filled: Decimal = Decimal(0)
    closed: bool = False
    unsure: list[dict[str, object]] = field(default_factory=list)  # reports to re-send


class ClientVenue:
    """The test's venue for SOLUSDT, speaking to trader over IPC like a connector."""

    def __init__(self, trader: TraderProc, rng: random.Random) -> None:
        self.trader = trader
        self.rng = rng
        self.client: TraderClient | None = None
        self.orders: dict[str, ClientOrder] = {}
        self.fills: dict[str, tuple[p.Side, Decimal]] = {}   # every trade id we produced
        self.n = 0
        self.mark = Decimal("150.00")
        self.reconnects = 0
        self.adopted = 0
        self.resent = 0

    async def connect(self) -> TraderClient:
        deadline = time.monotonic() + 30
        while True:
            if self.client is not None and not self.client.gone:
                return self.client
            try:
                self.client = await TraderClient.connect(self.trader.sock, client="chaos",
                                                         connect_timeout=2)
                self.reconnects += 1
                await self.reconcile(self.client)
                return self.client
            except (OSError, TraderGone, TimeoutError):
                self.client = None
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)

    async def reconcile(self, c: TraderClient) -> None:
        """After a (re)connect: adopt reservations we never heard of, re-send unsure reports."""
        engine = {o["cid"]: o for o in (await c.query("orders"))["orders"] if not o["local"]}
        for o in self.orders.values():
            if o.res is None and not o.closed:
                found = engine.get(o.cid)
                if found is None:
                    o.closed = True               # the check never reached the journal
                else:
                    o.res = int(found["res"])
                    self.adopted += 1
        for o in self.orders.values():
            while o.unsure:
                await self._report(c, o, o.unsure[0], resend=True)
                o.unsure.pop(0)

    async def _report(self, c: TraderClient, o: ClientOrder, rep: dict[str, object],
                      *, resend: bool = False) -> None:
        assert o.res is not None
        if resend:
            self.resent += 1
        try:
            await c.report(res=o.res, ts=time.time_ns(), **rep)  # type: ignore[arg-type]
        except TraderError as e:
            if e.code not in _DONE_CODES or not resend:
                raise
            # re-sent after a crash: the order is closed in the engine, so what we re-sent
            # was booked before (a fill that completed it, or the cancel itself)

    async def step(self) -> None:
        """One random venue action; trader may die under it (TraderGone propagates)."""
        c = await self.connect()
        open_ = [o for o in self.orders.values() if not o.closed and o.res is not None]
        r = self.rng.random()
        if r < 0.3 or not open_:
            await self.new_order(c)
            return
        o = self.rng.choice(open_)
        if not o.acked:
            await self.send(c, o, {"kind": "ack", "voi": f"V-{o.cid}"})
            o.acked = True
        elif r < 0.8:
            left = o.qty - o.filled
            qty = min(left, LOT * self.rng.randint(1, max(1, int(left / LOT))))
            self.n += 1
            tid = f"T{SEED}-{self.n}"
            px = self.mark.quantize(Decimal("0.01"))
            self.fills[tid] = (o.side, qty)
            o.filled += qty
            if o.filled >= o.qty:
                o.closed = True
            await self.send(c, o, {"kind": "fill", "voi": f"V-{o.cid}", "tid": tid, "px": px,
                                   "qty": qty, "fee": Decimal("0.0015"), "fee_ccy": "USDT",
                                   "liq": "maker"})
        else:
            o.closed = True
            await self.send(c, o, {"kind": "cancel", "voi": f"V-{o.cid}"})

    async def send(self, c: TraderClient, o: ClientOrder, rep: dict[str, object]) -> None:
        o.unsure.append(rep)       # until the trader says ok, we cannot know it was booked
        await self._report(c, o, rep)
        o.unsure.remove(rep)

    async def new_order(self, c: TraderClient) -> None:
        self.mark += Decimal(self.rng.randint(-20, 20)) / 100
        c.mark(venue="paper", sym=CLIENT_SYM, px=self.mark, ts=time.time_ns())
        self.n += 1
        cid = f"c{SEED}-{self.n}"
        side: p.Side = self.rng.choice(("buy", "sell"))
        o = ClientOrder(cid=cid, side=side, qty=LOT * self.rng.randint(10, 50))
        self.orders[cid] = o
        verdict = await c.check(venue="paper", sym=CLIENT_SYM, side=side, px=self.mark,
                                qty=o.qty, cid=cid)
        if isinstance(verdict, p.CheckOk):
            o.res = verdict.res
        else:
            o.closed = True

    async def cancel_all(self) -> None:
        c = await self.connect()
        for o in self.orders.values():
            if not o.closed and o.res is not None:
                o.closed = True
                await self.send(c, o, {"kind": "cancel", "voi": f"V-{o.cid}"})

    def open_res(self) -> set[int]:
        return {o.res for o in self.orders.values() if not o.closed and o.res is not None}

    def net(self) -> Decimal:
        return sum((q if s == "buy" else -q for s, q in self.fills.values()), Decimal(0))


async def run_ops(venue: ClientVenue, stop: asyncio.Event) -> None:
    """Venue actions back to back until stop: the kills land in the middle of requests."""
    while not stop.is_set():
        try:
            await venue.step()
        except (TraderGone, OSError, TimeoutError):
            venue.client = None           # reconnect (and reconcile) on the next step
            await asyncio.sleep(0.01)
        await asyncio.sleep(venue.rng.uniform(0, 0.005))


async def test_chaos(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"\nchaos: seed {SEED}, {ITERATIONS} iterations")
    pg = start_postgres()
    rd = start_redis()
    trader = TraderProc(tmp_path, trader_config(tmp_path, redis_url=rd.url,
                                                client_instrument=True))
    rec = RecorderProc(tmp_path, trader.sock, pg.dsn, redis_url=rd.url)
    venue = ClientVenue(trader, rng)
    kills = {"trader": 0, "recorder": 0, "postgres": 0, "redis": 0}
    try:
        trader.start()
        rec.start()

        async def chaos(what: str, delay: float) -> None:
            await asyncio.sleep(delay)
            kills[what] += 1
            if what == "trader":
                trader.kill9()
                await asyncio.sleep(rng.uniform(0, 0.1))
                trader.start()
            elif what == "recorder":
                rec.kill9()
                await asyncio.sleep(rng.uniform(0, 0.2))
                rec.start()
            elif what == "postgres":
                pg.kill9()
                await asyncio.sleep(rng.uniform(0, 0.3))
                pg.restart()
            else:
                rd.kill9()
                await asyncio.sleep(rng.uniform(0, 0.3))
                rd.restart()

        async def chaos_then_stop(what: str, stop: asyncio.Event) -> None:
            if what != "none":
                await chaos(what, rng.uniform(0, 0.1))
            await asyncio.sleep(rng.uniform(0.02, 0.15))   # trading after the restart
            stop.set()

        t0 = time.monotonic()
        kinds = ["trader", "recorder", "postgres", "redis"]
        for i in range(ITERATIONS):
            what = kinds[i % 4] if i < 8 else rng.choice([*kinds, "none"])
            stop = asyncio.Event()
            async with asyncio.TaskGroup() as tg:
                tg.create_task(run_ops(venue, stop))
                tg.create_task(chaos_then_stop(what, stop))
        chaos_s = time.monotonic() - t0

        # ---- the end: everything up, the venue reconciled, then the checks ----
        assert rec.proc is not None and rec.proc.poll() is None, "the recorder died"
        c = await venue.connect()
        engine_ipc = {int(o["res"]) for o in (await c.query("orders"))["orders"]
                      if not o["local"]}
        assert engine_ipc == venue.open_res(), (
            f"seed {SEED}: open at the venue {sorted(venue.open_res())[:5]} vs engine "
            f"{sorted(engine_ipc)[:5]}")
        status = await c.query("status")
        local_open = sum(1 for o in (await c.query("orders"))["orders"] if o["local"])
        assert status["connections"]["paper"]["open_orders"] == local_open, status
        await venue.cancel_all()
        trader.ctl("kill", "chaos: quiesce")

        async def no_orders() -> bool:
            return not trader.ctl("orders")["orders"]

        await wait_until(no_orders, 10, "every order closed")
        await wait_recorded(pg.dsn, trader, within_s=60)
        figures = await check_record(pg.dsn, trader)

        conn = await asyncpg.connect(pg.dsn)
        try:
            tids = {r["trade_id"] for r in await conn.fetch(
                "SELECT trade_id FROM fills WHERE instrument = $1", CLIENT_SYM)}
            sol = await conn.fetchval(
                "SELECT quantity FROM positions WHERE instrument = $1", CLIENT_SYM)
        finally:
            await conn.close()
        assert tids == set(venue.fills), (
            f"seed {SEED}: client fills missing {sorted(set(venue.fills) - tids)[:5]}, "
            f"unknown {sorted(tids - set(venue.fills))[:5]}")
        assert (sol or Decimal(0)) == venue.net(), f"seed {SEED}: SOL {sol} != {venue.net()}"
        for what, n in kills.items():
            assert n >= 2, f"{what} was killed only {n} times"
        print(f"chaos: {chaos_s:.1f} s, kills {kills}, trader starts {trader.starts}, "
              f"client reconnects {venue.reconnects}, adopted {venue.adopted}, "
              f"re-sent {venue.resent}, client fills {len(venue.fills)}, record {figures}")
    except BaseException as e:
        for name in ("recorder.log", "trader.log"):
            path = tmp_path / name
            tail = path.read_text(errors="replace")[-3000:] if path.exists() else ""
            e.add_note(f"seed {SEED}; kills {kills}; last of {name}:\n{tail}")
        e.add_note(f"recorded seq {await recorded_seq(pg.dsn)}; recorder exit code "
                   f"{rec.proc.poll() if rec.proc else 'not running'}")
        raise
    finally:
        if venue.client is not None:
            await venue.client.close()
        rec.stop()
        trader.stop()
        rd.stop()
        pg.stop()
