"""The slow screener (hourly): scores markets and publishes per-market configs.

Scoring is pure over ``MarketStats``; publishing goes through a ``publish(market_id, config)``
callable (the Redis control plane in production), and ``MarketMaker.set_market_config`` applies
what arrives. Published configs are JSON-safe (decimals as strings) and valid
``MMConfig.with_overrides`` input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import pairwise
from typing import Any

from gateway.mm.fees import fee_per_share
from gateway.mm.types import FeeSchedule

NS = 1_000_000_000
HALF = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class MarketStats:
    market_id: str
    tick: Decimal
    avg_spread: Decimal  # time-averaged spread over the last hour
    volume_usd: Decimal  # last 24 h
    end_ns: int
    last_trade_ns: int
    mids: tuple[Decimal, ...] = ()  # equally spaced mid samples (same clock for all markets)
    fees: FeeSchedule = field(default_factory=FeeSchedule)


@dataclass(frozen=True, slots=True)
class ScreenerConfig:
    min_volume_usd: Decimal = Decimal(1000)
    dead_after_s: int = 3600
    min_ttl_s: int = 300
    max_spread: Decimal = Decimal("0.08")
    max_corr: Decimal = Decimal("0.9")
    top_n: int = 8


@dataclass(frozen=True, slots=True)
class Score:
    market_id: str
    score: Decimal
    enabled: bool
    reasons: tuple[str, ...]
    config: dict[str, Any]


def tick_edge(stats: MarketStats) -> Decimal:
    """What a maker can capture per share: half the spread less the tick it must improve by."""
    return max(Decimal(0), stats.avg_spread / 2 - stats.tick)


def correlation(a: Sequence[Decimal], b: Sequence[Decimal]) -> float | None:
    """Pearson correlation of the two series' changes; None when too short or flat."""
    n = min(len(a), len(b))
    if n < 3:
        return None
    da = [float(y - x) for x, y in pairwise(a[-n:])]
    db = [float(y - x) for x, y in pairwise(b[-n:])]
    ma, mb = sum(da) / len(da), sum(db) / len(db)
    cov = sum((x - ma) * (y - mb) for x, y in zip(da, db, strict=True))
    va = sum((x - ma) ** 2 for x in da)
    vb = sum((y - mb) ** 2 for y in db)
    if va == 0 or vb == 0:
        return None
    return cov / math.sqrt(va * vb)


def score_market(stats: MarketStats, now_ns: int, cfg: ScreenerConfig) -> Score:
    """Score = 100 x (tick edge + rebate per share at 0.5) + log10(1 + volume); a market is
    disabled when dead (no trade for ``dead_after_s`` or volume under the floor), expiring
    (under ``min_ttl_s`` left) or gapped (average spread over ``max_spread``)."""
    reasons: list[str] = []
    if now_ns - stats.last_trade_ns >= cfg.dead_after_s * NS:
        reasons.append("dead: no trades")
    if stats.volume_usd < cfg.min_volume_usd:
        reasons.append("dead: low volume")
    if stats.end_ns and stats.end_ns - now_ns < cfg.min_ttl_s * NS:
        reasons.append("expiring")
    if stats.avg_spread > cfg.max_spread:
        reasons.append("gapped")
    rebate = stats.fees.rebate_rate * fee_per_share(HALF, stats.fees)
    vol_term = Decimal(math.log10(1 + float(stats.volume_usd))).quantize(Decimal("0.0001"))
    score = 100 * (tick_edge(stats) + rebate) + vol_term
    enabled = not reasons
    config: dict[str, Any] = {"enabled": enabled}
    if enabled:
        config["min_half_spread"] = str(max(stats.tick, stats.avg_spread / 2))
    return Score(stats.market_id, score, enabled, tuple(reasons), config)


def screen(stats: Sequence[MarketStats], now_ns: int, cfg: ScreenerConfig) -> list[Score]:
    """Scores best first; of two markets moving together (|corr| > max_corr) only the better
    is enabled, and at most ``top_n`` are enabled in all."""
    by_id = {s.market_id: s for s in stats}
    scored = sorted(
        (score_market(s, now_ns, cfg) for s in stats), key=lambda x: (-x.score, x.market_id)
    )
    out: list[Score] = []
    chosen: list[str] = []
    for sc in scored:
        if sc.enabled:
            reason = ""
            for other in chosen:
                c = correlation(by_id[sc.market_id].mids, by_id[other].mids)
                if c is not None and abs(c) > float(cfg.max_corr):
                    reason = f"correlated with {other} ({c:.2f})"
                    break
            if not reason and len(chosen) >= cfg.top_n:
                reason = "below top_n"
            if reason:
                out.append(replace(sc, enabled=False, reasons=(reason,), config={"enabled": False}))
                continue
            chosen.append(sc.market_id)
        out.append(sc)
    return out


def publish_configs(
    scores: Sequence[Score], publish: Callable[[str, dict[str, Any]], None]
) -> int:
    """Publishes every market's config (disabled ones too, so the strategy stops them)."""
    for sc in scores:
        publish(sc.market_id, dict(sc.config))
    return len(scores)
