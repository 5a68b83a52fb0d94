"""MarketMaker.desired_orders end to end on hand-built states."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from mm_helpers import NS, T0, book, info

from gateway.mm.config import MMConfig
from gateway.mm.regime import Pause
from gateway.mm.strategy import MarketMaker
from gateway.mm.types import (
    FeeSchedule,
    Inventory,
    MarketState,
    RefPrice,
    StrategyState,
    Trade,
)

D = Decimal
QUIET = book([("0.49", "100"), ("0.48", "200")], [("0.51", "100"), ("0.52", "200")])
CRYPTO = FeeSchedule(rate=D("0.07"), exponent=1, rebate_rate=D("0.2"))


def _state(ms: MarketState, now: int = T0, **kw: object) -> StrategyState:
    return StrategyState(now, (ms,), **kw)  # type: ignore[arg-type]


def _ms(**kw: object) -> MarketState:
    args: dict[str, object] = {
        "info": info(end_ns=T0 + 900 * NS), "yes_book": QUIET, "last_data_ns": T0,
    }
    args.update(kw)
    return MarketState(**args)  # type: ignore[arg-type]


def _summary(orders: list) -> list[tuple[str, str, int, Decimal, Decimal]]:  # type: ignore[type-arg]
    return [(o.outcome, o.side, o.level, o.price, o.size) for o in orders]


def test_quiet_book_full_ladder_both_sides() -> None:
    # fair 0.50 (symmetric book); fee-free: L1 = fair - min edge 0.02 = 0.48 (A-S bid 0.49 is
    # tighter); rungs 2 ticks apart, sizes 5 / 10 / 20; YES and NO interleaved by level.
    mm = MarketMaker()
    orders = mm.desired_orders(_state(_ms()))
    assert _summary(orders) == [
        ("YES", "BUY", 1, D("0.48"), 5), ("NO", "BUY", 1, D("0.48"), 5),
        ("YES", "BUY", 2, D("0.46"), 10), ("NO", "BUY", 2, D("0.46"), 10),
        ("YES", "BUY", 3, D("0.44"), 20), ("NO", "BUY", 3, D("0.44"), 20),
    ]
    assert all(o.post_only and o.price_tol == D("0.01") for o in orders)
    d = mm.decisions["0xm1"]
    assert (d.action, d.fair, d.mode) == ("quote", D("0.5"), "QUIET")


def test_fee_market_quotes_further_out() -> None:
    # crypto fee at 0.50: 0.07 x 0.25 = 0.0175; a quarter expected on exit: 0.004375;
    # need 0.024375 -> L1 under 0.475625 -> 0.47 (0.48 on the fee-free market above)
    ms = _ms(info=replace(info(end_ns=T0 + 900 * NS), fees=CRYPTO))
    orders = MarketMaker().desired_orders(_state(ms))
    assert [o.price for o in orders if o.level == 1] == [D("0.47"), D("0.47")]


def test_pair_cost_stays_under_one_against_held_complement() -> None:
    # holding 10 NO at 0.55: YES bids are the reducing side, capped at 1 - 0.55 - 0.01 = 0.44
    inv = Inventory(no_qty=D(10), no_cost=D("5.5"), opened_ns=T0)
    orders = MarketMaker().desired_orders(_state(_ms(inventory=inv)))
    yes = [o for o in orders if o.outcome == "YES"]
    assert yes and max(o.price for o in yes) == D("0.44")
    l1 = {o.outcome: o.price for o in orders if o.level == 1}
    assert l1["YES"] + l1["NO"] <= D("0.99")


def test_long_yes_skews_and_caps_the_increasing_side() -> None:
    # long 20 YES @ 0.48: the NO side reduces delta so it is not held to the 2-cent edge:
    # L1 NO at min(1 - A-S ask ~0.49, NO best ask 0.51 - tick, pair cap 0.51) = 0.49;
    # YES bids stop at the net cap 40: 20 + 5 + 10 = 35 fits, + 20 does not.
    inv = Inventory(yes_qty=D(20), yes_cost=D("9.6"), opened_ns=T0)
    orders = MarketMaker().desired_orders(_state(_ms(inventory=inv)))
    assert next(o.price for o in orders if o.outcome == "NO") == D("0.49")
    assert [o.level for o in orders if o.outcome == "YES"] == [1, 2]


def test_guards_empty_the_book() -> None:
    mm = MarketMaker()
    gappy = book([("0.40", "100")], [("0.49", "100")])
    assert mm.desired_orders(_state(_ms(yes_book=gappy))) == []
    assert mm.decisions["0xm1"].reason == "gapped"
    assert mm.desired_orders(_state(_ms(last_data_ns=T0 - 10 * NS))) == []
    assert mm.decisions["0xm1"].reason == "stall"
    assert mm.desired_orders(_state(_ms(info=info(end_ns=T0 + 60 * NS)))) == []
    assert mm.decisions["0xm1"].reason == "market_closing"
    mm.set_calendar([Pause(T0 - NS, T0 + NS, "FOMC")])
    assert mm.desired_orders(_state(_ms())) == []
    assert mm.decisions["0xm1"].reason == "calendar: FOMC"


def test_micro_volatility_halt_and_cooldown() -> None:
    mm = MarketMaker(MMConfig(microvol_max_move=D("0.04"), event_vol=D("0.004")))
    assert mm.desired_orders(_state(_ms(), T0))
    jumped = book([("0.54", "100")], [("0.56", "100")])  # mid 0.50 -> 0.55 in 1 s
    assert mm.desired_orders(_state(_ms(yes_book=jumped, last_data_ns=T0 + NS), T0 + NS)) == []
    assert mm.decisions["0xm1"].reason == "microvol_halt"
    # after the 30 s cooldown the regime still sees the jump in its 120 s window:
    # vol = sqrt(0.05^2 / 32 s) = 0.0088 >= 0.004 -> EVENT, paused
    later = T0 + 32 * NS
    assert mm.desired_orders(_state(_ms(yes_book=jumped, last_data_ns=later), later)) == []
    assert mm.decisions["0xm1"].reason == "event_volatility"
    calm = T0 + 122 * NS  # the jump has left the window
    assert mm.desired_orders(_state(_ms(yes_book=jumped, last_data_ns=calm), calm))
    assert mm.decisions["0xm1"].mode == "QUIET"


def test_order_flow_pulls_the_threatened_side() -> None:
    sells = (Trade(D("0.49"), D(100), "SELL", T0 - NS),)
    orders = MarketMaker().desired_orders(_state(_ms(trades=sells)))
    assert {o.outcome for o in orders} == {"NO"}


def test_soft_exit_then_forced_after_timeout() -> None:
    mm = MarketMaker(MMConfig(max_net_shares=D(20)))
    inv = Inventory(yes_qty=D(20), yes_cost=D("9.6"), opened_ns=T0)
    orders = mm.desired_orders(_state(_ms(inventory=inv)))
    # bids dropped; one maker SELL of the 20 YES leaning on the ask: min(best ask 0.51, fair 0.50)
    assert _summary(orders) == [("YES", "SELL", 0, D("0.50"), 20)]
    assert orders[0].post_only and mm.decisions["0xm1"].action == "soft_exit"
    t = T0 + 300 * NS
    orders = mm.desired_orders(_state(_ms(inventory=inv, last_data_ns=t), t))
    assert _summary(orders) == [("YES", "SELL", 0, D("0.49"), 20)]  # taker at the best bid
    assert not orders[0].post_only
    assert mm.decisions["0xm1"].reason == "unwind_timeout"


def test_position_stop_forces_exit_of_no_shares() -> None:
    inv = Inventory(no_qty=D(10), no_cost=D(5), opened_ns=T0)
    orders = MarketMaker().desired_orders(_state(_ms(inventory=inv, position_stop=True)))
    # NO best bid = 1 - YES best ask 0.51 = 0.49
    assert _summary(orders) == [("NO", "SELL", 0, D("0.49"), 10)]
    assert orders[0].token_id == "0xm1-no" and not orders[0].post_only


def test_reference_price_moves_fair_value() -> None:
    # strike 100, spot 100.5 with 300 s left and the vol floor 5e-5/sqrt(s):
    # s = 5e-5 x sqrt(300) = 0.000866, d2 = (ln 1.005 - s^2/2) / s = 5.76 -> P ~ 1 (0.999999+)
    # blend 0.5 x 1 + 0.5 x 0.5 = 0.75 (clamped inside [tick, 1 - tick] only at the ends)
    i = replace(info(end_ns=T0 + 300 * NS), ref_symbol="BTCUSDT", strike=D(100))
    mm = MarketMaker()
    ref = (RefPrice("BTCUSDT", D("100.5"), T0),)
    mm.desired_orders(_state(_ms(info=i), refs=ref))
    fair = mm.decisions["0xm1"].fair
    assert fair is not None and D("0.7499") < fair <= D("0.75")
    stale = (RefPrice("BTCUSDT", D("100.5"), T0 - 6 * NS),)  # older than ref_max_age_s
    mm.desired_orders(_state(_ms(info=i), refs=stale))
    assert mm.decisions["0xm1"].fair == D("0.5")


def test_screener_config_disables_and_reenables() -> None:
    mm = MarketMaker()
    mm.set_market_config("0xm1", {"enabled": False})
    assert mm.desired_orders(_state(_ms())) == []
    mm.set_market_config("0xm1", {"levels": 1})
    assert len(mm.desired_orders(_state(_ms()))) == 2


def test_cancel_fill_ratio_widens_and_holds() -> None:
    mm = MarketMaker()
    mm.on_cancels("0xm1", 50, T0 - NS)
    orders = mm.desired_orders(_state(_ms()))
    assert all(o.price_tol == D("0.04") for o in orders)  # 1 + 3 hold ticks


def test_exploration_mode() -> None:
    mm = MarketMaker(MMConfig(exploration=True))
    orders = mm.desired_orders(_state(_ms()))
    assert _summary(orders) == [
        ("YES", "BUY", 9, D("0.45"), 5), ("YES", "BUY", 9, D("0.30"), 5),
        ("YES", "BUY", 9, D("0.10"), 5), ("NO", "BUY", 9, D("0.45"), 5),
        ("NO", "BUY", 9, D("0.30"), 5), ("NO", "BUY", 9, D("0.10"), 5),
    ]


def test_same_inputs_same_orders() -> None:
    a, b = MarketMaker(), MarketMaker()
    for k in range(50):
        p = D("0.45") + D(k % 7) / 100
        bk = book([(str(p), "100")], [(str(p + D("0.02")), "80")])
        st = _state(_ms(yes_book=bk, last_data_ns=T0 + k * NS), T0 + k * NS)
        assert a.desired_orders(st) == b.desired_orders(st)
