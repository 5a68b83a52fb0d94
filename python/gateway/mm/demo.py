"""A seeded paper session over synthetic 15-minute markets, fast-forwarded, with the real risk
engine as the gate; prints the learning report and writes its charts.

    python -m gateway.mm.demo [--hours 2] [--seed 7] [--out DIR]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gateway.mm import report
from gateway.mm.config import MMConfig
from gateway.mm.replay import Replay, ReplayResult
from gateway.mm.riskbridge import PAPER_LIMITS, RiskBridge
from gateway.mm.strategy import MarketMaker
from gateway.mm.synth import NS, session
from trader.risk import RiskEngine, Scope

T0 = 1_767_614_400 * NS  # 2026-01-05 12:00:00 UTC


@dataclass(frozen=True)
class DemoRun:
    result: ReplayResult
    report: report.Report
    markets: int
    max_usage: dict[str, Decimal]
    engine_realized: Decimal
    engine_fees: Decimal


def run(seed: int = 7, hours: float = 2, config: MMConfig | None = None) -> DemoRun:
    ses = session(seed, T0, hours)
    with RiskEngine(PAPER_LIMITS) as engine:
        bridge = RiskBridge(engine, ses.infos)
        res = Replay(MarketMaker(config), ses.infos, risk=bridge).run(ses.events())
        pnl = engine.pnl(Scope.GLOBAL)
        max_usage = dict(bridge.max_usage)
    rep = report.build(
        orders=list(res.orders.values()), fills=res.fills, spreads=res.spreads, books=res.books,
        settlements=res.settlements, start_ns={i.market_id: i.start_ns for i in ses.infos},
    )
    return DemoRun(res, rep, len(ses.infos), max_usage, pnl.realized, pnl.fees)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("build/mm-demo"))
    args = ap.parse_args()
    d = run(args.seed, args.hours)
    print(f"{d.markets} markets, {d.result.cycles} quote cycles, breaches {len(d.result.breaches)}")
    res = d.result
    print(f"risk rejects {dict(res.risk_rejects)}  venue rejects {dict(res.venue_rejects)}")
    print("peak limit usage: " + ", ".join(f"{k} {v:.0%}" for k, v in d.max_usage.items()))
    print(f"risk engine: realized ${d.engine_realized:.4f}, fees ${d.engine_fees:.4f}")
    print(report.render(d.report))
    for p in report.charts(d.report, args.out):
        print(f"chart: {p}")


if __name__ == "__main__":
    main()
