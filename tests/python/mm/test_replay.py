"""Replay: the paper matcher by hand, then a seeded 2-hour session over synthetic 15-minute
markets through the real C risk engine (libtraderrisk.so via trader.risk)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from mm_helpers import T0, book, info

from gateway.mm import report
from gateway.mm.demo import DemoRun, run
from gateway.mm.paper import PaperMatcher
from gateway.mm.types import DesiredOrder, Trade
from trader.risk import default_library_path

D = Decimal


def _bid(price: str, size: str, outcome: str = "YES") -> DesiredOrder:
    token = "0xm1-yes" if outcome == "YES" else "0xm1-no"
    return DesiredOrder("0xm1", token, outcome, "BUY", D(price), D(size), 1)  # type: ignore[arg-type]


def test_paper_matcher_fifo_queue() -> None:
    pm = PaperMatcher({"0xm1": info()})
    pm.on_book("0xm1", book([("0.48", "30")], [("0.50", "40")]))
    oid, why, _ = pm.place(_bid("0.48", "10"), T0)  # queues behind the 30 shown at 0.48
    assert oid and not why
    assert pm.place(_bid("0.50", "5"), T0)[1] == "invalid post-only order: order crosses book"
    # 25 sold at 0.48: eats 25 of the 30 ahead, nothing for us
    assert pm.on_trade("0xm1", Trade(D("0.48"), D(25), "SELL", T0)) == []
    # the level shrinks to 3 (cancels ahead of us): queue ahead min(5, 3) = 3
    pm.on_book("0xm1", book([("0.48", "3")], [("0.50", "40")]))
    fills = pm.on_trade("0xm1", Trade(D("0.48"), D(7), "SELL", T0))
    assert [(f.size, f.price, f.liquidity) for f in fills] == [(4, D("0.48"), "maker")]
    # a NO bid at 0.45 is a YES ask at 0.55: a YES taker buy at 0.55 fills it
    nid, _, _ = pm.place(_bid("0.45", "5", "NO"), T0)
    fills = pm.on_trade("0xm1", Trade(D("0.55"), D(100), "BUY", T0))
    assert [(f.order_id, f.outcome, f.price, f.size) for f in fills] == [(nid, "NO", D("0.45"), 5)]
    # the book moving through our bid fills the rest (6 left) in full
    fills = pm.on_book("0xm1", book([("0.45", "10")], [("0.47", "10")]))
    assert [(f.order_id, f.size) for f in fills] == [(oid, 6)]
    assert pm.resting("0xm1") == ()


def test_paper_taker_pays_the_fee() -> None:
    from gateway.mm.synth import CRYPTO_FEES  # noqa: PLC0415

    i = info()
    pm = PaperMatcher({"0xm1": type(i)(**{**{f: getattr(i, f) for f in i.__slots__},
                                          "fees": CRYPTO_FEES})})
    pm.on_book("0xm1", book([("0.50", "4"), ("0.49", "100")], [("0.52", "10")]))
    sell = DesiredOrder("0xm1", "0xm1-yes", "YES", "SELL", D("0.49"), D(10), 0, post_only=False)
    _, _, fills = pm.place(sell, T0)
    # 4 @ 0.50 (fee floor5(4 x 0.07 x 0.25) = 0.07) + 6 @ 0.49 (6 x 0.07 x 0.2499 = 0.104958)
    assert [(f.size, f.price, f.fee) for f in fills] == [
        (4, D("0.50"), D("0.07000")), (6, D("0.49"), D("0.10495")),
    ]


@pytest.fixture(scope="module")
def session_2h() -> Iterator[DemoRun]:
    if not default_library_path().exists():
        pytest.fail(f"{default_library_path()} missing: build libtraderrisk or set TRADER_RISK_LIB")
    yield run(seed=7, hours=2)


def test_two_hour_paper_session(session_2h: DemoRun, tmp_path: Path) -> None:
    d = session_2h
    res, rep = d.result, d.report
    assert d.markets == 16  # 8 back-to-back 15-minute windows x BTC, ETH
    quoted = {o.market_id for o in res.orders.values()}
    assert len(quoted) >= 12
    # fills on several ladder levels, rebates accrued
    assert {1, 2, 3} <= set(rep.levels_filled)
    assert rep.rebates > 0 and rep.maker_volume > 0
    # no limit ever breached, and the strategy's own budget kept the engine from rejecting
    assert res.breaches == []
    assert all(v <= 1 for v in d.max_usage.values())
    assert sum(res.risk_rejects.values()) == 0
    # every market settled flat; the report's PnL agrees with the risk engine's books
    assert len(res.settlements) == 16
    assert rep.pnl.total == d.engine_realized + rep.rebates
    assert rep.pnl.fees == d.engine_fees
    # the exits happened as takers and only as exits
    assert all(f.level == 0 for f in res.fills if f.liquidity == "taker")
    text = report.render(rep)
    print(text)
    assert "fill rate by ladder level" in text
    paths = report.charts(rep, tmp_path)
    assert len(paths) == 7 and all(p.stat().st_size > 1000 for p in paths)


def test_replay_is_deterministic() -> None:
    a, b = run(seed=3, hours=0.25), run(seed=3, hours=0.25)
    assert a.result.fills and a.result.fills == b.result.fills
    assert a.result.orders == b.result.orders
    assert a.report.pnl == b.report.pnl
