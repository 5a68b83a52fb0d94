"""Report figures by hand on a tiny record."""

from __future__ import annotations

from decimal import Decimal

from mm_helpers import NS, T0, book

from gateway.mm import report
from gateway.mm.paper import PaperFill
from gateway.mm.replay import OrderLog, Settlement, SpreadSample
from gateway.mm.types import Inventory

D = Decimal


def _fill(  # noqa: PLR0917 (a row builder)
    side: str, outcome: str, price: str, size: str, liq: str = "maker", fee: str = "0",
    rebate: str = "0", level: int = 1,
) -> PaperFill:
    return PaperFill("t", "o", "m", "tok", outcome, side, D(price), D(size), level, liq,  # type: ignore[arg-type]
                     D(fee), D(rebate), T0, D("0.50"))


def test_pnl_split_by_hand() -> None:
    fills = [
        _fill("BUY", "YES", "0.48", "10", rebate="0.03"),  # edge (0.50 - 0.48) x 10 = 0.20
        _fill("BUY", "NO", "0.47", "10", rebate="0.03"),  # NO mid 0.50: 0.03 x 10 = 0.30
        _fill("SELL", "YES", "0.45", "5", liq="taker", fee="0.0173", level=0),
    ]
    settle = [Settlement("m", T0, True, D(5), Inventory())]  # 5 YES left pay 1 each
    p = report.pnl_split(fills, settle)
    # cash = -4.8 - 4.7 + (2.25 - 0.0173) + 5 = -2.2673; total = cash + rebates 0.06 = -2.2073
    assert p.total == D("-2.2073")
    assert (p.spread, p.rebates, p.fees) == (D("0.50"), D("0.06"), D("0.0173"))
    # inventory = total - spread - rebates + fees = -2.2073 - 0.5 - 0.06 + 0.0173 = -2.75
    assert p.inventory == D("-2.75")


def test_fill_rates_spreads_competitors() -> None:
    orders = [
        OrderLog("a", "m", "YES", "BUY", D("0.48"), D(5), 1, True, T0, D(5), T0 + 3 * NS),
        OrderLog("b", "m", "YES", "BUY", D("0.46"), D(10), 2, True, T0),
        OrderLog("c", "m", "NO", "BUY", D("0.31"), D(5), 1, True, T0),
        OrderLog("x", "m", "YES", "SELL", D("0.45"), D(5), 0, False, T0, D(5), T0),
    ]
    by_level = {r.key: (r.placed, r.filled) for r in report.fill_rates(orders, report.level_key)}
    assert by_level == {"L1": (2, 1), "L2": (1, 0)}  # the taker exit is not a resting order
    by_price = {r.key: r.rate for r in report.fill_rates(orders, report.price_bucket)}
    assert by_price == {"0.3-0.4": 0, "0.4-0.5": D("0.5")}
    assert report.fill_seconds(orders) == [3.0]
    spreads = [SpreadSample("m", T0, 5, D("0.02")), SpreadSample("m", T0, 50, D("0.04")),
               SpreadSample("m", T0, 65, D("0.01"))]
    assert report.spread_by_minute(spreads) == [(0, D("0.03")), (1, D("0.01"))]
    snaps = [("m", book([("0.48", "100")], [("0.50", "50")], T0)),
             ("m", book([("0.48", "70")], [("0.51", "20")], T0 + 10 * NS))]
    # |70 - 100| + |0 - 50| + |20 - 0| = 100
    assert report.competitor_by_minute(snaps, {"m": T0}) == [(0, D(100))]

    def ours(market: str, ts: int, side: str, price: Decimal) -> Decimal:
        return D(10) if ts == T0 + 10 * NS and side == "bid" else D(0)

    # 10 of the 70 are our new bid: the others went 100 -> 60: 40 + 50 + 20 = 110
    assert report.competitor_by_minute(snaps, {"m": T0}, ours) == [(0, D(110))]
