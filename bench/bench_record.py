"""Bench of the record and the control plane (bench/run.py discovers this module).

recorder_fills: a journal with N fills is built through the real trader (an IPC client
    checks and fills N orders on a paper instrument), then a fresh recorder catches up from
    seq 1 into a throwaway Postgres; ops_per_s = fills per second into Postgres (each fill is
    an accept, an order event, a fill row and a position update, 2 journal records);
    p50/p99 = per-fill time within the recorder's batches (batch time / batch size).
redis_kill_to_halted: PUBLISH on the kill channel -> the trader's HALTED state push seen by an
    IPC subscriber (trader subscribes to Redis itself); unkill between rounds.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from control.kill import publish_kill  # noqa: E402
from localsvc import start_postgres, start_redis  # noqa: E402
from recorder.recorder import Recorder  # noqa: E402
from trader import protocol as p  # noqa: E402
from trader.ipc import TraderClient  # noqa: E402

TRADER = Path(os.environ.get("TRADER_BIN", REPO / "build" / "release" / "bin" / "trader"))
SYM = "SOLUSDT"


def _pct(sorted_ns: list[int], q: float) -> int:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))]


def _config(tmp: Path, redis_url: str | None) -> Path:
    cfg: dict[str, Any] = json.loads((REPO / "config" / "paper.json").read_text())
    cfg.update(state_dir=str(tmp / "state"), kill_file=str(tmp / "kill"), log_level="error")
    cfg["ipc"]["socket"] = str(tmp / "t.sock")
    cfg["strategy"]["enabled"] = False
    cfg["venues"]["paper"]["walks"] = []
    # the bench profile (config/bench.json): nothing here is about risk rejections
    cfg["risk"] = json.loads((REPO / "config" / "bench.json").read_text())["risk"]
    cfg["risk"]["global"]["loss_breaker"] = {"losses": 0}
    cfg["instruments"].append({
        "venue": "paper", "kind": "spot", "symbol": SYM, "price_scale": 2, "qty_scale": 3,
        "tick": "0.01", "lot": "0.001", "min_qty": "0.001", "min_notional": "0.1",
        "quote_ccy": "USDT", "usd_rate": "1"})
    if redis_url:
        cfg["redis"] = {"url": redis_url, "kill_channel": "trader:kill"}
    path = tmp / "trader.json"
    path.write_text(json.dumps(cfg))
    return path


def _start_trader(tmp: Path, redis_url: str | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([str(TRADER), "--mode", "paper", "--exchange", "paper", "--config",
                             str(_config(tmp, redis_url))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (tmp / "t.sock").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("trader did not start")
        time.sleep(0.02)
    return proc


async def _make_fills(sock: str, n: int) -> None:
    c = await TraderClient.connect(sock, client="bench")
    try:
        counter = iter(range(n))

        async def worker() -> None:
            for k in counter:
                c.mark(venue="paper", sym=SYM, px=Decimal("150.00"), ts=time.time_ns())
                side: p.Side = "buy" if k % 2 == 0 else "sell"
                v = await c.check(venue="paper", sym=SYM, side=side, px=Decimal("150.00"),
                                  qty=Decimal("0.010"), cid=f"b-{k}")
                if not isinstance(v, p.CheckOk):
                    raise RuntimeError(f"bench check refused: {v}")
                await c.report(res=v.res, kind="fill", ts=time.time_ns(), voi=f"V{k}",
                               tid=f"T{k}", px=Decimal("150.00"), qty=Decimal("0.010"),
                               fee=Decimal("0.0003"), fee_ccy="USDT", liq="maker")

        async with asyncio.TaskGroup() as tg:
            for _ in range(32):
                tg.create_task(worker())
    finally:
        await c.close()


class _TimedRecorder(Recorder):
    """Records how long each batch took (for the per-fill percentiles)."""

    per_record_ns: list[int]

    async def _commit(self, store: Any, batch: list[p.Jrec]) -> None:
        t = time.perf_counter_ns()
        await super()._commit(store, batch)
        dt = (time.perf_counter_ns() - t) // max(len(batch), 1)
        self.per_record_ns.extend([dt] * len(batch))


async def _recorder_fills(tmp: Path, n: int) -> dict[str, Any]:
    proc = _start_trader(tmp)
    pg = start_postgres()
    try:
        sock = str(tmp / "t.sock")
        await _make_fills(sock, n)
        c = await TraderClient.connect(sock, client="bench")
        jseq = int((await c.query("status"))["jseq"])
        await c.close()
        rec = _TimedRecorder(sock, pg.dsn)
        rec.per_record_ns = []
        t0 = time.perf_counter_ns()
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(rec.run())
            await rec.caught_up.wait()        # set when a batch ends at trader's jseq
            total = time.perf_counter_ns() - t0
            task.cancel()
        lat = sorted(rec.per_record_ns)
        # per fill = the 2 journal records it takes (accept + fill report)
        return {"name": "recorder_fills", "p50_ns": 2 * _pct(lat, 0.5),
                "p99_ns": 2 * _pct(lat, 0.99), "ops_per_s": round(n * 1e9 / total), "n": n,
                "records": jseq, "batches": rec.stats.batches}
    finally:
        pg.stop()
        proc.terminate()
        proc.wait(timeout=10)


async def _redis_kill(tmp: Path, rounds: int) -> dict[str, Any]:
    rd = start_redis()
    proc = _start_trader(tmp, rd.url)
    try:
        c = await TraderClient.connect(str(tmp / "t.sock"), client="bench")
        await c.subscribe(["state"])
        pushes = c.pushes()

        async def until(state: str) -> None:
            async with asyncio.timeout(5):
                async for m in pushes:
                    if isinstance(m, p.State) and m.scope == "global" and m.state == state:
                        return

        await until("ACTIVE")
        deadline = time.monotonic() + 10
        while await publish_kill(rd.url, "probe") == 0:     # until trader has subscribed
            if time.monotonic() > deadline:
                raise RuntimeError("trader never subscribed to the kill channel")
            await asyncio.sleep(0.05)
        await until("HALTED")
        lat: list[int] = []
        t_all = time.perf_counter_ns()
        for _ in range(rounds):
            await c.unkill("bench")
            await until("ACTIVE")
            t = time.perf_counter_ns()
            await publish_kill(rd.url, "bench")
            await until("HALTED")
            lat.append(time.perf_counter_ns() - t)
        total = time.perf_counter_ns() - t_all
        await c.close()
        lat.sort()
        return {"name": "redis_kill_to_halted", "p50_ns": _pct(lat, 0.5),
                "p99_ns": _pct(lat, 0.99), "ops_per_s": round(rounds * 1e9 / total),
                "n": rounds}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        rd.stop()


def run(tmp: Path, quick: bool) -> list[dict[str, Any]]:
    out = []
    (tmp / "rec").mkdir(parents=True, exist_ok=True)
    (tmp / "kill").mkdir(parents=True, exist_ok=True)
    out.append(asyncio.run(_recorder_fills(tmp / "rec", 2_000 if quick else 20_000)))
    out.append(asyncio.run(_redis_kill(tmp / "kill", 20 if quick else 100)))
    return out


TARGETS = [
    ("redis kill -> HALTED p99 < 1 s", lambda r: r["redis_kill_to_halted"]["p99_ns"] < 10**9),
]

if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        for r in run(Path(d), "--quick" in sys.argv):
            print(r)
