"""Exits, guards, regime governor, reconciliation, post-only retries, exploration, config."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mm_helpers import NS, T0, book, info

from gateway.mm.config import MMConfig
from gateway.mm.exits import adverse_move, decide_exit
from gateway.mm.exploration import exploration_orders
from gateway.mm.guards import closing, flow_imbalance, gapped, micro_move, stalled
from gateway.mm.inventory import Unpaired
from gateway.mm.reconcile import (
    batches,
    is_post_only_reject,
    post_only_retry,
    reconcile,
)
from gateway.mm.regime import CancelFillWindow, TimeSeries, govern, parse_calendar, paused, vol_mode
from gateway.mm.types import DesiredOrder, RestingOrder, Trade

D = Decimal


# ---- exits ----
def _exit(pos: Unpaired | None, fair: str, **kw: object) -> tuple[str, str]:
    args: dict[str, object] = {
        "now_ns": T0, "opened_ns": T0 - 60 * NS, "soft_since_ns": None, "want_soft": "",
        "position_stop": False, "unwind_timeout_s": 300, "max_age_s": 3600,
        "max_adverse": D("0.15"),
    }
    args.update(kw)
    d = decide_exit(pos, D(fair), **args)  # type: ignore[arg-type]
    return d.mode, d.reason


def test_exit_rules() -> None:
    pos = Unpaired("YES", D(10), D("0.50"))
    assert _exit(None, "0.5") == ("none", "")
    assert _exit(pos, "0.50") == ("none", "")
    assert _exit(pos, "0.50", want_soft="inventory_cap") == ("soft", "inventory_cap")
    # passive unwind running 299 s: still soft; at 300 s: forced
    assert _exit(pos, "0.5", want_soft="x", soft_since_ns=T0 - 299 * NS)[0] == "soft"
    assert _exit(pos, "0.5", want_soft="x", soft_since_ns=T0 - 300 * NS) == (
        "forced", "unwind_timeout"
    )
    # position age 1 h
    assert _exit(pos, "0.5", opened_ns=T0 - 3600 * NS) == ("forced", "max_age")
    # adverse move: (0.50 - 0.425) / 0.50 = 0.15 -> forced; 0.43 -> 0.14 -> none
    assert adverse_move(pos, D("0.425")) == D("0.15")
    assert _exit(pos, "0.425") == ("forced", "adverse_move")
    assert _exit(pos, "0.43") == ("none", "")
    assert _exit(pos, "0.5", position_stop=True) == ("forced", "position_stop")


# ---- guards ----
def test_gapped_guard() -> None:
    assert gapped(book([("0.40", "10")], [("0.49", "10")]), D("0.08"))  # 9 cents
    assert not gapped(book([("0.40", "10")], [("0.48", "10")]), D("0.08"))  # exactly 8
    assert gapped(book([("0.40", "10")], []), D("0.08"))  # one-sided


def test_stall_closing_micro_move() -> None:
    assert stalled(T0 - 10 * NS, T0, 10)
    assert not stalled(T0 - 9 * NS, T0, 10)
    assert stalled(0, T0, 10)  # never heard from the market: fail closed
    assert closing(T0 + 60 * NS, T0, 60) and not closing(T0 + 61 * NS, T0, 60)
    assert not closing(0, T0, 60)
    mids = [(T0 - 10 * NS, D("0.40")), (T0 - 4 * NS, D("0.45")), (T0, D("0.50"))]
    assert micro_move(mids, T0, 5) == D("0.05")  # the sample 10 s ago is outside the window


def test_order_flow_imbalance() -> None:
    trades = [Trade(D("0.5"), D(40), "SELL", T0 - NS), Trade(D("0.5"), D(5), "BUY", T0 - NS)]
    # (5 - 40) / 45 = -0.777... <= -0.7: aggressive sellers threaten the YES bids
    f = flow_imbalance(trades, T0, window_s=10, min_volume=D(20), threshold=D("0.7"))
    assert f.pull_bids and not f.pull_asks
    # below the volume floor nothing is pulled
    f = flow_imbalance(trades, T0, window_s=10, min_volume=D(50), threshold=D("0.7"))
    assert not f.pull_bids
    old = [Trade(D("0.5"), D(100), "BUY", T0 - 11 * NS)]
    assert flow_imbalance(old, T0, window_s=10, min_volume=D(1), threshold=D("0.7")).imbalance == 0


# ---- regime ----
def test_time_series_vol_is_incremental_and_windowed() -> None:
    ts = TimeSeries(10, min_gap_ms=1000)
    for i, p in enumerate(["0.50", "0.51", "0.49", "0.49"]):
        ts.add(T0 + i * NS, D(p))
    # (0.0001 + 0.0004 + 0) / 3 s -> sqrt(0.000166...)
    assert abs(ts.vol() - (D("0.0005") / 3).sqrt()) < D("1e-20")
    ts.add(T0 + 3 * NS + NS // 2, D("0.90"))  # inside the 1 s gap: only `latest` moves
    assert ts.samples()[-1] == (T0 + 3 * NS + NS // 2, D("0.90"))
    ts.add(T0 + 13 * NS, D("0.49"))  # drops the first three samples: (0.49 -> 0.49) over 10 s
    assert ts.vol() == 0
    with pytest.raises(ValueError, match="time order"):
        ts.add(T0, D("0.5"))


def test_vol_modes_and_governor() -> None:
    assert vol_mode(D("0.001"), trending=D("0.0015"), event=D("0.004")) == "QUIET"
    assert vol_mode(D("0.002"), trending=D("0.0015"), event=D("0.004")) == "TRENDING"
    assert vol_mode(D("0.004"), trending=D("0.0015"), event=D("0.004")) == "EVENT"
    kw = {"cfr_max": D(20), "cfr_widen": D("1.5"), "cfr_hold_ticks": 3,
          "trending_widen": D("1.5"), "event_pause": True, "event_widen": D("2.5"),
          "calendar_reason": ""}
    g = govern("TRENDING", D("0.002"), cfr=D(21), **kw)  # type: ignore[arg-type]
    assert (g.widen, g.hold_ticks, g.pause) == (D("2.25"), 3, "")
    g = govern("EVENT", D("0.01"), cfr=D(1), **kw)  # type: ignore[arg-type]
    assert g.pause == "event_volatility"
    g = govern("QUIET", D(0), cfr=D(1), **{**kw, "calendar_reason": "FOMC"})  # type: ignore[arg-type]
    assert g.pause == "calendar: FOMC"


def test_cancel_fill_window() -> None:
    w = CancelFillWindow(600)
    w.note_cancels(T0, 30)
    w.note_fill(T0 + NS)
    assert w.ratio(T0 + NS) == 30
    w.note_fill(T0 + 2 * NS)
    assert w.ratio(T0 + 2 * NS) == 15
    assert w.ratio(T0 + 601 * NS) == 0  # the cancels slid out of the window, the fills not yet


def test_calendar() -> None:
    cal = parse_calendar(
        '[{"start": "2026-01-05T12:00:00+00:00", "end": "2026-01-05T12:30:00+00:00",'
        ' "reason": "FOMC"},'
        ' {"start": "2026-01-05T13:00:00Z", "end": "2026-01-05T13:05:00Z", "reason": "m2 only",'
        '  "markets": ["0xm2"]}]'
    )
    assert paused(cal, "0xm1", T0) == "FOMC"
    assert paused(cal, "0xm1", T0 + 1800 * NS) == ""  # end is exclusive
    assert paused(cal, "0xm1", T0 + 3600 * NS) == ""
    assert paused(cal, "0xm2", T0 + 3600 * NS) == "m2 only"
    for bad in ('{"a": 1}', '[{"start": "2026-01-05T12:00:00", "end": "2026-01-05T13:00:00",'
                ' "reason": "naive"}]', '[{"start": "x"}]'):
        with pytest.raises(ValueError):
            parse_calendar(bad)


# ---- reconciliation ----
def _d(price: str, size: str, level: int = 1, token: str = "Y") -> DesiredOrder:
    return DesiredOrder("m", token, "YES", "BUY", D(price), D(size), level, price_tol=D("0.01"))


def _r(oid: str, price: str, size: str, token: str = "Y") -> RestingOrder:
    return RestingOrder(oid, token, "BUY", D(price), D(size))


def test_reconcile_unchanged_sends_nothing() -> None:
    desired = [_d("0.45", "5", 1), _d("0.43", "10", 2), _d("0.41", "20", 3)]
    resting = [_r("a", "0.45", "5"), _r("b", "0.43", "10"), _r("c", "0.41", "20")]
    plan = reconcile(desired, resting, size_tol=D("0.25"))
    assert plan.cancels == () and plan.places == ()
    assert [r.order_id for r in plan.kept] == ["a", "b", "c"]
    # within tolerance (one tick, 20% size) still counts as unchanged: queue position kept
    plan = reconcile([_d("0.46", "6", 1)], [_r("a", "0.45", "5")], size_tol=D("0.25"))
    assert plan.cancels == () and plan.places == ()


def test_reconcile_sends_exactly_the_difference() -> None:
    # L1 moved two ticks, L2 unchanged, L3 gone, a new NO bid appears
    desired = [_d("0.47", "5", 1), _d("0.43", "10", 2), _d("0.50", "5", 1, token="N")]
    resting = [_r("a", "0.45", "5"), _r("b", "0.43", "10"), _r("c", "0.41", "20")]
    plan = reconcile(desired, resting, size_tol=D("0.25"))
    assert sorted(r.order_id for r in plan.cancels) == ["a", "c"]
    assert [(p.token_id, p.price, p.size) for p in plan.places] == [
        ("Y", D("0.47"), 5), ("N", D("0.50"), 5)
    ]
    # partly filled (4 of 10 left): keep the queue place, top up the missing 6 at its price
    plan = reconcile([_d("0.43", "10", 2)], [_r("b", "0.43", "4")], size_tol=D("0.25"),
                     min_size={"Y": D(5)})
    assert plan.cancels == () and [(p.price, p.size) for p in plan.places] == [(D("0.43"), 6)]
    # a top-up under the venue minimum is not sent
    plan = reconcile([_d("0.43", "10", 2)], [_r("b", "0.43", "7")], size_tol=D("0.25"),
                     min_size={"Y": D(5)})
    assert plan.places == () and plan.cancels == ()
    # too big: cancel and replace
    plan = reconcile([_d("0.43", "5", 2)], [_r("b", "0.43", "10")], size_tol=D("0.25"))
    assert [r.order_id for r in plan.cancels] == ["b"] and len(plan.places) == 1
    # a taker exit is never matched to a resting order
    taker = DesiredOrder("m", "Y", "YES", "SELL", D("0.44"), D(5), 0, post_only=False)
    plan = reconcile([taker], [RestingOrder("s", "Y", "SELL", D("0.44"), D(5))], size_tol=D(0))
    assert plan.places == (taker,) and [r.order_id for r in plan.cancels] == ["s"]


def test_batches_of_15() -> None:
    assert [len(b) for b in batches(list(range(40)))] == [15, 15, 10]
    assert batches([]) == []


def test_post_only_retry_stops_after_three() -> None:
    o = DesiredOrder("m", "Y", "YES", "BUY", D("0.50"), D(5), 1)
    prices = []
    attempt = o
    for n in range(10):
        nxt = post_only_retry(attempt, n, D("0.01"))
        if nxt is None:
            break
        prices.append(nxt.price)
        attempt = nxt
    assert prices == [D("0.49"), D("0.48"), D("0.47")]
    sell = DesiredOrder("m", "Y", "YES", "SELL", D("0.98"), D(5), 1)
    assert post_only_retry(sell, 0, D("0.01")) is not None
    assert post_only_retry(post_only_retry(sell, 0, D("0.01")), 1, D("0.01")) is None  # type: ignore[arg-type]
    assert is_post_only_reject("invalid post-only order: order crosses book")
    assert is_post_only_reject("order 0xabc crosses the book")
    assert not is_post_only_reject("Size (3) lower than the minimum: 5")


# ---- exploration ----
def test_exploration_ladder() -> None:
    i = info()
    b = book([("0.40", "100")], [("0.42", "100")])  # NO asks at 1 - 0.40 = 0.60
    orders = exploration_orders(i, b, None, [D("0.45"), D("0.30"), D("0.10")], D(5))
    # YES 0.45 would cross the 0.42 ask: skipped; the NO side takes all three
    assert [(o.outcome, o.price) for o in orders] == [
        ("YES", D("0.30")), ("YES", D("0.10")),
        ("NO", D("0.45")), ("NO", D("0.30")), ("NO", D("0.10")),
    ]
    assert all(o.side == "BUY" and o.size == 5 and o.post_only for o in orders)


# ---- config ----
def test_config_overrides_are_strict() -> None:
    cfg = MMConfig().with_overrides({"min_net_edge": "0.03", "levels": 2, "sizing": "kelly"})
    assert (cfg.min_net_edge, cfg.levels, cfg.sizing) == (D("0.03"), 2, "kelly")
    for bad in ({"nope": 1}, {"min_net_edge": 0.03}, {"levels": "2"}, {"sizing": "yolo"},
                {"enabled": 1}, {"exploration_levels": ["0.4", "x"]}):
        with pytest.raises(ValueError):
            MMConfig().with_overrides(bad)
