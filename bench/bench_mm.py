"""Market-maker bench: mm_quote_cycle = one book event in -> the desired orders out (fair value,
guards, regime, A-S ladder, budget) over realistic synthetic books (20 levels a side, a moving
mid, recent trades, inventory); mm_reconcile = those orders diffed against the resting ones."""

from __future__ import annotations

import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from gateway.mm.reconcile import reconcile
from gateway.mm.strategy import MarketMaker
from gateway.mm.types import (
    Book,
    FeeSchedule,
    Inventory,
    Level,
    MarketInfo,
    MarketState,
    RefPrice,
    RestingOrder,
    StrategyState,
    Trade,
)

NS = 1_000_000_000
T0 = 1_767_614_400 * NS
TICK = Decimal("0.01")
CLOCK = time.perf_counter_ns  # wall time; thread_time_ns gives CPU time on a loaded machine


def _events(n: int, seed: int) -> list[tuple[int, list[tuple[int, int]], list[tuple[int, int]]]]:
    """(ts, bids, asks) in integer ticks and shares: a random-walk mid, 20 levels a side."""
    rng = random.Random(seed)
    mid = 50
    out = []
    for k in range(n):
        if rng.random() < 0.1:
            mid = min(80, max(20, mid + rng.choice((-1, 1))))
        spread = rng.choice((1, 2, 2, 3))
        bb = mid - spread // 2 - (spread % 2)
        bids = [(bb - i, rng.randint(10, 400)) for i in range(20)]
        asks = [(bb + spread + i, rng.randint(10, 400)) for i in range(20)]
        out.append((T0 + k * 100_000_000, bids, asks))  # 10 events/s
    return out


def _run(n: int) -> list[dict[str, Any]]:
    info = MarketInfo(
        "0xbench", "yes", "no", TICK, Decimal(5),
        FeeSchedule(Decimal("0.07"), 1, Decimal("0.2")), T0, T0 + 3 * 3600 * NS,
        "BTCUSDT", Decimal(100_000),
    )
    mm = MarketMaker()
    inv = Inventory(Decimal(12), Decimal("5.7"), Decimal(4), Decimal("2.1"), T0)
    rng = random.Random(7)
    cycle: list[int] = []
    recon: list[int] = []
    resting: tuple[RestingOrder, ...] = ()
    trades: list[Trade] = []
    t_cycle = t_recon = 0
    for ts, bids, asks in _events(n, 11):
        if rng.random() < 0.3:
            trades.append(Trade(Decimal(bids[0][0]) * TICK, Decimal(rng.randint(5, 50)),
                                rng.choice(("BUY", "SELL")), ts))
            trades = trades[-20:]
        spot = Decimal(100_000 + rng.randint(-50, 50))
        t0 = CLOCK()
        book = Book(
            tuple(Level(Decimal(p) * TICK, Decimal(s)) for p, s in bids),
            tuple(Level(Decimal(p) * TICK, Decimal(s)) for p, s in asks),
            ts,
        )
        state = StrategyState(
            ts,
            (MarketState(info, book, None, tuple(trades), inv, resting, ts),),
            (RefPrice("BTCUSDT", spot, ts),),
        )
        desired = mm.desired_orders(state)
        t1 = CLOCK()
        plan = reconcile(desired, resting, size_tol=Decimal("0.25"))
        t2 = CLOCK()
        cycle.append(t1 - t0)
        recon.append(t2 - t1)
        t_cycle += t1 - t0
        t_recon += t2 - t1
        resting = plan.kept + tuple(
            RestingOrder(f"o{ts}-{i}", d.token_id, d.side, d.price, d.size, ts)
            for i, d in enumerate(plan.places)
            if d.post_only
        )
    return [_result("mm_quote_cycle", cycle, t_cycle), _result("mm_reconcile", recon, t_recon)]


def _pct(sorted_ns: list[int], q: float) -> int:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))]


def _result(name: str, lat: list[int], total: int) -> dict[str, Any]:
    lat = sorted(lat)
    return {"name": name, "p50_ns": _pct(lat, 0.5), "p99_ns": _pct(lat, 0.99),
            "ops_per_s": round(len(lat) * 1e9 / max(total, 1)), "n": len(lat)}


def run(tmp: Path, quick: bool) -> list[dict[str, Any]]:
    del tmp
    return _run(2_000 if quick else 20_000)


TARGETS = [
    ("mm_quote_cycle p99 < 1 ms (Python)", lambda r: r["mm_quote_cycle"]["p99_ns"] < 1_000_000),
]

if __name__ == "__main__":
    for r in run(Path("."), "--quick" in sys.argv):
        print(r)
