"""Hand-computed figures for the pure core: fair value, ticks, inventory, A-S, ladder, fees,
sizing. Each expected number is worked out in the comment beside it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from mm_helpers import book

from gateway.mm import fairvalue as fv
from gateway.mm.fees import edge_ok, expected_rebate, fee_per_share, net_edge, taker_fee
from gateway.mm.inventory import (
    apply_fill,
    net_delta,
    pairs,
    unpaired,
    unrealized,
    worst_case_loss,
)
from gateway.mm.quoting import (
    Bid,
    as_quote,
    fit_budget,
    ladder,
    optimal_spread,
    pair_cap,
    reservation_price,
)
from gateway.mm.sizing import kelly_fraction, size_for
from gateway.mm.ticks import snap, snap_ask, snap_bid
from gateway.mm.types import FeeSchedule, Inventory

D = Decimal


# ---- fair value ----
def test_micro_price_top_of_book() -> None:
    # (0.48 x 300 + 0.52 x 100) / 400 = 196 / 400 = 0.49: heavy asks pull it towards the bid.
    b = book([("0.48", "100")], [("0.52", "300")])
    assert fv.micro_price(b, 1) == D("0.49")


def test_micro_price_volume_weighted_depth() -> None:
    # bids vwap (48 + 47) / 200 = 0.475 over 200; asks (156 + 55) / 400 = 0.5275 over 400;
    # (0.475 x 400 + 0.5275 x 200) / 600 = 295.5 / 600 = 0.4925
    b = book([("0.48", "100"), ("0.47", "100")], [("0.52", "300"), ("0.55", "100")])
    assert fv.micro_price(b, 2) == D("0.4925")
    assert fv.micro_price(book([("0.48", "100")], []), 1) is None


def test_yes_fair_uses_both_books() -> None:
    yes = book([("0.48", "100")], [("0.52", "300")])  # 0.49
    no = book([("0.50", "100")], [("0.53", "100")])  # 0.515 -> YES 0.485
    assert fv.yes_fair_from_books(yes, no, 1) == D("0.4875")  # (0.49 + 0.485) / 2
    assert fv.yes_fair_from_books(yes, None, 1) == D("0.49")


def test_updown_probability() -> None:
    # S = K, sigma 0.001/sqrt(s), 900 s: sigma sqrt(tau) = 0.03, d2 = -0.015, N(-0.015) = 0.494016
    assert fv.updown_probability(D(100), D(100), D(900), D("0.001")) == D("0.494016")
    # S = 101, K = 100, sigma 0.0005, 400 s: s = 0.01, d2 = (ln 1.01 - 0.00005) / 0.01 = 0.990033,
    # N(0.990033) = 0.838921 (table N(0.99) = 0.83891 + 0.000033 x phi(0.99) = 0.2444)
    assert fv.updown_probability(D(101), D(100), D(400), D("0.0005")) == D("0.838921")
    # at expiry: above, below, at the strike
    assert fv.updown_probability(D(101), D(100), D(0), D("0.001")) == 1
    assert fv.updown_probability(D(99), D(100), D(0), D("0.001")) == 0
    assert fv.updown_probability(D(100), D(100), D(0), D("0.001")) == D("0.5")


def test_blend_and_vols() -> None:
    assert fv.blend(D("0.49"), D("0.60"), D("0.5")) == D("0.545")
    assert fv.blend(None, D("0.6"), D("0.5")) == D("0.6")
    assert fv.blend(D("0.49"), None, D("0.5")) == D("0.49")
    # diffs 0.01 and -0.02 over 1 s + 3 s: sqrt((0.0001 + 0.0004) / 4) = sqrt(0.000125)
    s = [(0, D("0.50")), (10**9, D("0.51")), (4 * 10**9, D("0.49"))]
    assert fv.diff_vol(s) == D("0.000125").sqrt().quantize(D("1e-9"))


# ---- ticks: every tick size, both rounding directions and both bounds ----
@pytest.mark.parametrize(
    ("tick", "price", "bid", "ask", "low", "high"),
    [
        ("0.1", "0.57", "0.5", "0.6", "0.03", "0.97"),
        ("0.01", "0.4537", "0.45", "0.46", "0.001", "0.999"),
        ("0.001", "0.4537", "0.453", "0.454", "0.0004", "0.9996"),
        ("0.0001", "0.45375", "0.4537", "0.4538", "0.00001", "0.99999"),
        ("0.005", "0.4537", "0.450", "0.455", "0.001", "0.999"),
        ("0.0025", "0.4537", "0.4525", "0.4550", "0.0001", "0.9999"),
    ],
)
def test_snap_every_tick(  # noqa: PLR0917 (one parametrize row)
    tick: str, price: str, bid: str, ask: str, low: str, high: str
) -> None:
    t = D(tick)
    assert snap_bid(D(price), t) == D(bid)
    assert snap_ask(D(price), t) == D(ask)
    # Off the bottom and top of the grid: clamped into [tick, 1 - tick].
    assert snap_bid(D(low), t) == t
    assert snap_ask(D(low), t) == t
    assert snap_ask(D(high), t) == 1 - t
    assert snap_bid(D(high), t) == 1 - t
    assert snap(D(bid), t, "nearest") == D(bid)  # on-grid prices stay put


def test_snap_rejects_unknown_tick() -> None:
    with pytest.raises(ValueError, match="tick"):
        snap_bid(D("0.5"), D("0.02"))


# ---- inventory ----
def test_net_delta_inventory() -> None:
    inv = Inventory(yes_qty=D(10), yes_cost=D("4.5"), no_qty=D(4), no_cost=D("2.0"))
    assert net_delta(inv) == 6
    assert pairs(inv) == 4
    u = unpaired(inv)
    assert u is not None and (u.outcome, u.qty, u.avg_price) == ("YES", 6, D("0.45"))
    # worst case: C = 6.5, min(Y, N) = 4 -> 2.5
    assert worst_case_loss(inv, []) == D("2.5")
    # a NO buy 6 @ 0.5 completes the pairs: C = 9.5, min(10, 10) = 10 -> 0
    assert worst_case_loss(inv, [("NO", D("0.5"), D(6))]) == 0
    # a YES buy 5 @ 0.4 adds: C = 8.5, min(15, 4) = 4 -> 4.5
    assert worst_case_loss(inv, [("YES", D("0.4"), D(5))]) == D("4.5")
    # at fair 0.5: 10 x 0.5 + 4 x 0.5 - 6.5 = 0.5
    assert unrealized(inv, D("0.5")) == D("0.5")
    assert unpaired(Inventory(yes_qty=D(3), yes_cost=D(1), no_qty=D(3), no_cost=D(2))) is None


def test_apply_fill_average_cost() -> None:
    inv = Inventory(yes_qty=D(10), yes_cost=D("4.5"), opened_ns=5)
    out, realized = apply_fill(inv, outcome="YES", side="SELL", qty=D(4), price=D("0.55"), now_ns=9)
    assert realized == D("0.40")  # (0.55 - 0.45) x 4
    assert (out.yes_qty, out.yes_cost, out.opened_ns) == (6, D("2.70"), 5)
    flat, _ = apply_fill(Inventory(), outcome="NO", side="BUY", qty=D(5), price=D("0.3"), now_ns=7)
    assert (flat.no_qty, flat.no_cost, flat.opened_ns) == (5, D("1.5"), 7)
    paired, _ = apply_fill(flat, outcome="YES", side="BUY", qty=D(5), price=D("0.6"), now_ns=8)
    assert net_delta(paired) == 0 and paired.opened_ns == 0
    with pytest.raises(ValueError, match="exceeds"):
        apply_fill(flat, outcome="NO", side="SELL", qty=D(6), price=D("0.3"), now_ns=9)


# ---- Avellaneda-Stoikov ----
def test_avellaneda_stoikov() -> None:
    # gamma 0.1, sigma 0.01, tau 900: gamma sigma^2 tau = 0.1 x 0.0001 x 900 = 0.009
    # r = 0.50 - 2 x 0.009 = 0.482
    assert reservation_price(D("0.50"), D(2), D("0.1"), D("0.01"), D(900)) == D("0.482")
    # spread = 0.009 + (2 / 0.1) ln(1 + 0.1 / 100) = 0.009 + 20 x 0.000999500333 = 0.028990007
    spread = optimal_spread(D("0.1"), D("0.01"), D(900), D(100))
    assert abs(spread - D("0.02899000666167")) < D("1e-13")
    q = as_quote(
        D("0.50"), D(2), gamma=D("0.1"), kappa=D(100), sigma=D("0.01"), tau_s=D(900),
        min_half_spread=D("0.01"),
    )
    assert q.reservation == D("0.482")
    assert abs(q.half_spread - D("0.01449500333")) < D("1e-11")
    assert abs(q.bid - D("0.46750499667")) < D("1e-11")
    # a min half spread above the model's takes over, and widen multiplies it
    w = as_quote(
        D("0.50"), D(0), gamma=D("0.1"), kappa=D(100), sigma=D("0.01"), tau_s=D(900),
        min_half_spread=D("0.02"), widen=D("1.5"),
    )
    assert (w.bid, w.ask) == (D("0.470"), D("0.530"))


# ---- ladder, pair cost, budget ----
def test_ladder_sizes_and_prices() -> None:
    rungs = ladder(
        D("0.4737"), tick=D("0.01"), step_ticks=2, base_size=D(5), mults=(1, 2, 4), levels=3
    )
    assert [(r.level, r.price, r.size) for r in rungs] == [
        (1, D("0.47"), 5), (2, D("0.45"), 10), (3, D("0.43"), 20)
    ]
    # near the floor the rungs that would fall under one tick are dropped
    low = ladder(D("0.03"), tick=D("0.01"), step_ticks=2, base_size=D(5), mults=(1, 2, 4), levels=3)
    assert [r.price for r in low] == [D("0.03"), D("0.01")]


def test_pair_cap_and_budget() -> None:
    # holding NO at 0.55 average: a YES bid above 1 - 0.55 - 0.01 = 0.44 pays >= 1 a pair
    assert pair_cap(D("0.55"), D("0.01")) == D("0.44")
    assert pair_cap(None, D("0.01")) is None
    bids = [
        Bid("YES", 1, D("0.45"), D(5)), Bid("NO", 1, D("0.50"), D(5)),
        Bid("YES", 2, D("0.43"), D(10)), Bid("NO", 2, D("0.48"), D(10)),
        Bid("YES", 3, D("0.41"), D(20)), Bid("NO", 3, D("0.46"), D(20)),
    ]
    # worst case max(0, C - min(Y, N)) after each bid, in order:
    # YES L1: C 2.25, min(5, 0) -> 2.25; NO L1: C 4.75, min(5, 5) -> 0;
    # YES L2: C 9.05, min(15, 5) -> 4.05; NO L2: C 13.85, min(15, 15) -> 0;
    # YES L3 (+8.2): C 22.05, min(35, 15) -> 7.05 > 5: the YES side stops;
    # NO L3 (+9.2, without YES L3): C 23.05, min(15, 35) -> 8.05 > 5: the NO side stops.
    kept = fit_budget(bids, Inventory(), budget=D(5), max_net=D(100))
    assert [(b.outcome, b.level) for b in kept] == [("YES", 1), ("NO", 1), ("YES", 2), ("NO", 2)]
    # budget 7.05: YES L3 just fits (7.05), then NO L3 pairs it back to 0: all six rest
    kept = fit_budget(bids, Inventory(), budget=D("7.05"), max_net=D(100))
    assert len(kept) == 6
    # net cap: long 30 YES, max net 40 -> YES L1 (35) fits, YES L2 (45) does not
    inv = Inventory(yes_qty=D(30), yes_cost=D(12))
    kept = fit_budget(bids, inv, budget=D(100), max_net=D(40))
    assert [(b.outcome, b.level) for b in kept if b.outcome == "YES"] == [("YES", 1)]


# ---- fees ----
def test_fee_curve_against_chain_fixture(shared_dir: Path) -> None:
    rows = json.loads(
        (shared_dir / "fixtures/polymarket/chain_order_filled_taker_fees.json").read_text()
    )
    assert len(rows) >= 20
    for row in rows:
        # a BUY receives its shares as the taker amount, a SELL gives them as the maker amount
        key = "taker_amount_filled" if row["side"] == "BUY" else "maker_amount_filled"
        shares = D(row[key]) / 1_000_000
        fee = taker_fee(shares, D(row["price"]), FeeSchedule(rate=D(row["fee_rate"]), exponent=1))
        assert fee * 1_000_000 == D(row["fee"]), row


def test_fee_aware_edge_fee_market_and_fee_free() -> None:
    crypto = FeeSchedule(rate=D("0.07"), exponent=1, rebate_rate=D("0.2"))
    free = FeeSchedule()
    # fee per share at 0.50: 0.07 x 0.25 = 0.0175
    assert fee_per_share(D("0.50"), crypto) == D("0.0175")
    # taker buy at 0.50, fair 0.54: gross 0.04, net 0.0225 >= 0.02
    assert net_edge("BUY", D("0.50"), D("0.54"), crypto, taker=True) == D("0.0225")
    assert edge_ok("BUY", D("0.50"), D("0.54"), crypto, D("0.02"), taker=True)
    # fair 0.53: net 0.0125 < 0.02 on the fee market; 0.03 on the fee-free one
    assert not edge_ok("BUY", D("0.50"), D("0.53"), crypto, D("0.02"), taker=True)
    assert net_edge("BUY", D("0.50"), D("0.53"), free, taker=True) == D("0.03")
    assert edge_ok("BUY", D("0.50"), D("0.53"), free, D("0.02"), taker=True)
    # a maker sell at 0.55 against fair 0.52 with half the exit fee expected:
    # 0.03 - 0.5 x 0.07 x 0.2475 = 0.03 - 0.0086625 = 0.0213375
    assert net_edge(
        "SELL", D("0.55"), D("0.52"), crypto, taker=False, exit_fee_weight=D("0.5")
    ) == D("0.0213375")
    # rebate on a 10-share maker fill at 0.50: 0.2 x floor5(10 x 0.0175) = 0.2 x 0.175 = 0.035
    assert expected_rebate(D(10), D("0.50"), crypto) == D("0.0350")
    assert taker_fee(D(10), D("0.5"), free) == 0


# ---- sizing ----
def test_kelly_and_other_sizing() -> None:
    # belief 0.6, price 0.5: f* = (0.6 - 0.5) / 0.5 = 0.2
    assert kelly_fraction(D("0.6"), D("0.5")) == D("0.2")
    assert kelly_fraction(D("0.4"), D("0.5")) == 0
    kw = {"price": D("0.5"), "belief": D("0.6"), "min_size": D(5), "max_size": D(100)}
    # Kelly: 0.2 x 100 / 0.5 = 40 shares; half-Kelly 20
    assert size_for("kelly", bankroll=D(100), **kw) == 40
    assert size_for("half_kelly", bankroll=D(100), **kw) == 20
    # half-Kelly on $10: 0.1 x 10 / 0.5 = 2 < min 5 -> no quote
    assert size_for("half_kelly", bankroll=D(10), **kw) == 0
    # allocator: $5 / 0.45 = 11.1 -> 11 whole shares
    assert size_for("allocator", alloc_usd=D(5), **{**kw, "price": D("0.45")}) == 11
    assert size_for("fixed", **kw) == 5
    assert size_for("fixed", fixed_size=D(8), **kw) == 8
    assert size_for("kelly", bankroll=D(10_000), **kw) == 100  # capped at max_size
    with pytest.raises(ValueError, match="sizing"):
        size_for("martingale", **kw)
