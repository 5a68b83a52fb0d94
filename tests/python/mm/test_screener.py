"""Screener: scores by hand, dead/expiring/gapped markets, correlation, publishing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mm_helpers import NS, T0

from gateway.mm.config import MMConfig
from gateway.mm.screener import (
    MarketStats,
    ScreenerConfig,
    correlation,
    publish_configs,
    score_market,
    screen,
)
from gateway.mm.strategy import MarketMaker
from gateway.mm.types import FeeSchedule

D = Decimal
CRYPTO = FeeSchedule(rate=D("0.07"), exponent=1, rebate_rate=D("0.2"))


def _stats(mid: str, **kw: Any) -> MarketStats:
    args: dict[str, Any] = {
        "market_id": mid, "tick": D("0.01"), "avg_spread": D("0.04"), "volume_usd": D(9999),
        "end_ns": T0 + 900 * NS, "last_trade_ns": T0 - 60 * NS,
    }
    args.update(kw)
    return MarketStats(**args)


def test_score_by_hand() -> None:
    # edge 0.04 / 2 - 0.01 = 0.01; rebate 0.2 x 0.07 x 0.25 = 0.0035; log10(10000) = 4
    # score = 100 x 0.0135 + 4 = 5.35
    sc = score_market(_stats("a", fees=CRYPTO), T0, ScreenerConfig())
    assert sc.score == D("5.35") and sc.enabled
    assert sc.config == {"enabled": True, "min_half_spread": "0.02"}
    # fee-free, spread of one tick: edge 0, score = log10(10000) = 4
    assert score_market(_stats("b", avg_spread=D("0.01")), T0, ScreenerConfig()).score == 4


def test_dead_expiring_gapped() -> None:
    cfg = ScreenerConfig()
    assert score_market(_stats("d", last_trade_ns=T0 - 3600 * NS), T0, cfg).reasons == (
        "dead: no trades",
    )
    assert "dead: low volume" in score_market(_stats("v", volume_usd=D(10)), T0, cfg).reasons
    assert score_market(_stats("e", end_ns=T0 + 299 * NS), T0, cfg).reasons == ("expiring",)
    assert score_market(_stats("g", avg_spread=D("0.09")), T0, cfg).reasons == ("gapped",)


def test_correlated_markets_keep_the_better_one() -> None:
    up = tuple(D("0.5") + D(k % 5) / 100 for k in range(20))
    same = tuple(p + D("0.1") for p in up)  # moves identically
    other = tuple(D("0.5") + D((k * 3) % 7) / 100 for k in range(20))
    c = correlation(up, same)
    assert c is not None and abs(c - 1.0) < 1e-12
    stats = [
        _stats("btc15", mids=up, fees=CRYPTO),
        _stats("btc15b", mids=same),
        _stats("sol15", mids=other, avg_spread=D("0.02")),
    ]
    scores = {s.market_id: s for s in screen(stats, T0, ScreenerConfig())}
    assert scores["btc15"].enabled and scores["sol15"].enabled
    assert not scores["btc15b"].enabled
    assert scores["btc15b"].reasons[0].startswith("correlated with btc15")
    top1 = screen(stats, T0, ScreenerConfig(top_n=1))
    assert [s.market_id for s in top1 if s.enabled] == ["btc15"]


def test_publish_reaches_the_strategy() -> None:
    published: dict[str, dict[str, Any]] = {}
    mm = MarketMaker(MMConfig())
    scores = screen([_stats("a"), _stats("dead", volume_usd=D(0))], T0, ScreenerConfig())

    def publish(market_id: str, cfg: dict[str, Any]) -> None:
        published[market_id] = cfg
        mm.set_market_config(market_id, cfg)

    assert publish_configs(scores, publish) == 2
    assert published["dead"] == {"enabled": False}
    assert not mm.config_for("dead").enabled
    assert mm.config_for("a").min_half_spread == D("0.02")
