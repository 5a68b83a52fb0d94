"""The slow screener in the gateway, and the follower that applies its per-market configs.

Job (`[screener] run = true`): every `period_s` clock seconds, `gateway.mm.screener.screen`
scores every discovered market from what the gateway saw of it (time-averaged spread, traded
volume, last trade, mid samples; Gamma's best bid/ask for markets it does not subscribe to)
and publishes one config per market through `control.screener.publish_config` (schema v1,
versions increasing: the clock in milliseconds).

Follower (`[screener] redis_url`, `follow = true`): `control.screener.ConfigFollower` keeps the
last valid config of each market (an invalid or stale one is ignored with an alert); each
change is applied with `MarketMaker.set_market_config` and a market whose config says
`enabled = false` is not selected for quoting (`ScreenedSelector`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from gateway.config import ConfigError, DiscoveryConfig
from gateway.discovery import ConfigSelector, MarketInfo
from gateway.mm.config import MMConfig
from gateway.mm.screener import MarketStats, Score, ScreenerConfig, screen
from gateway.mm.types import FeeSchedule

log = logging.getLogger("gateway.screener")

NS = 1_000_000_000
ZERO = Decimal(0)
MID_SAMPLE_S = 60          # one mid sample per clock minute (the correlation series)


def screener_params(raw: dict[str, Any]) -> ScreenerConfig:
    """`[screener.params]` -> ScreenerConfig; the error names screener.params.<key>."""
    base = ScreenerConfig()
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    changes: dict[str, Any] = {}
    for k, v in raw.items():
        if k not in fields:
            raise ConfigError(f"screener.params.{k}: unknown key")
        cur = fields[k]
        if isinstance(cur, Decimal):
            if isinstance(v, bool) or not isinstance(v, str | int):
                raise ConfigError(f"screener.params.{k}: expected a decimal string")
            try:
                changes[k] = Decimal(str(v))
            except ArithmeticError as exc:
                raise ConfigError(f"screener.params.{k}: not a decimal: {v!r}") from exc
        else:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ConfigError(f"screener.params.{k}: expected a non-negative integer")
            changes[k] = v
    return dataclasses.replace(base, **changes)


def overrides_of(cfg: Any) -> dict[str, Any]:
    """A control.screener.ScreenerConfig (schema v1) -> MMConfig overrides."""
    return {"enabled": bool(cfg.enabled), "fixed_size": str(cfg.order_size),
            "max_market_usd": str(cfg.max_position_usd), "min_net_edge": str(cfg.min_net_edge),
            "max_spread": str(cfg.max_spread), "levels": int(cfg.ladder_levels),
            "sizing": str(cfg.sizing)}


class _Acc:
    __slots__ = ("last_mid_ns", "last_spread", "last_trade_ns", "mids", "spread_ns",
                 "spread_sum", "t_ns", "trades")

    def __init__(self) -> None:
        self.t_ns = 0                      # when last_spread began
        self.last_spread: Decimal | None = None
        self.spread_sum = ZERO             # spread x seconds
        self.spread_ns = 0
        self.trades: deque[tuple[int, Decimal]] = deque()   # (ts, usd)
        self.last_trade_ns = 0
        self.mids: deque[Decimal] = deque(maxlen=120)
        self.last_mid_ns = 0


class MarketStatsBook:
    """What the gateway saw of each market, for the screener (bounded memory)."""

    def __init__(self) -> None:
        self._acc: dict[str, _Acc] = {}

    def _a(self, market: str) -> _Acc:
        a = self._acc.get(market)
        if a is None:
            a = self._acc[market] = _Acc()
        return a

    def on_book(self, market: str, now_ns: int, spread: Decimal | None,
                mid: Decimal | None) -> None:
        a = self._a(market)
        if a.last_spread is not None and now_ns > a.t_ns:
            dt = now_ns - a.t_ns
            a.spread_sum += a.last_spread * dt / NS
            a.spread_ns += dt
        a.last_spread, a.t_ns = spread, now_ns
        if mid is not None and now_ns - a.last_mid_ns >= MID_SAMPLE_S * NS:
            a.mids.append(mid)
            a.last_mid_ns = now_ns

    def on_trade(self, market: str, now_ns: int, usd: Decimal) -> None:
        a = self._a(market)
        a.trades.append((now_ns, usd))
        a.last_trade_ns = now_ns
        while a.trades and now_ns - a.trades[0][0] > 86_400 * NS:
            a.trades.popleft()

    def stats(self, m: MarketInfo, now_ns: int) -> MarketStats:
        a = self._acc.get(m.condition_id)
        spread: Decimal | None = None
        volume = ZERO
        last_trade = 0
        mids: tuple[Decimal, ...] = ()
        if a is not None:
            if a.spread_ns > 0:
                spread = a.spread_sum / (Decimal(a.spread_ns) / NS)
            elif a.last_spread is not None:
                spread = a.last_spread
            volume = sum((u for t, u in a.trades if now_ns - t <= 86_400 * NS), ZERO)
            last_trade = a.last_trade_ns
            mids = tuple(a.mids)
            # the next period starts afresh (the score is about the last period)
            a.spread_sum, a.spread_ns = ZERO, 0
        if spread is None:
            spread = m.gamma_spread if m.gamma_spread is not None else Decimal(1)
        volume = max(volume, m.volume_24h)
        return MarketStats(
            m.condition_id, m.tick, spread, volume, int(m.end_ts * NS), last_trade, mids,
            FeeSchedule(m.fee_rate, int(m.fee_exponent), m.rebate_rate))

    def forget(self, keep: Iterable[str]) -> None:
        alive = set(keep)
        for k in [k for k in self._acc if k not in alive]:
            del self._acc[k]


def published_config(sc: Score, m: MarketInfo, mm: MMConfig, version: int) -> Any:
    """A mm.screener Score -> control.screener.ScreenerConfig (schema v1)."""
    from control.screener import ScreenerConfig as Published  # noqa: PLC0415 - needs redis

    size = mm.fixed_size if mm.fixed_size > 0 else m.min_size
    half = sc.config.get("min_half_spread")
    note = f"score {sc.score:.4f}" + (f"; {'; '.join(sc.reasons)}" if sc.reasons else "") + (
        f"; min_half_spread {half}" if half else "")
    return Published(market=m.condition_id, version=version, enabled=sc.enabled,
                     order_size=size, max_position_usd=min(mm.max_market_usd, Decimal(500)),
                     min_net_edge=mm.min_net_edge, max_spread=mm.max_spread,
                     ladder_levels=max(1, min(3, mm.levels)),
                     sizing=mm.sizing,  # type: ignore[arg-type]
                     note=note[:1000])


async def run_screener(url: str, markets: list[MarketInfo], stats: MarketStatsBook, *,
                       params: ScreenerConfig, mm: MMConfig, now_ns: int) -> list[Score]:
    """One screener pass: score every market and publish its config."""
    from control.screener import ConfigError as PubError  # noqa: PLC0415
    from control.screener import publish_config  # noqa: PLC0415

    by_id = {m.condition_id: m for m in markets}
    scores = screen([stats.stats(m, now_ns) for m in markets], now_ns, params)
    version = now_ns // 1_000_000
    for sc in scores:
        try:
            await publish_config(url, published_config(sc, by_id[sc.market_id], mm, version))
        except PubError as exc:
            log.warning("screener: %s not published: %s", sc.market_id[:12], exc)
    log.info("screener: %d markets scored, %d enabled", len(scores),
             sum(1 for s in scores if s.enabled))
    return scores


class ScreenedSelector:
    """The config's selection, minus markets the screener's config disables."""

    def __init__(self, cfg: DiscoveryConfig, enabled: Callable[[str], bool | None],
                 min_remaining_s: float = 120.0) -> None:
        self.base = ConfigSelector(cfg, min_remaining_s)
        self.enabled = enabled
        self.cfg = cfg

    def select(self, markets: list[MarketInfo], now_s: float) -> list[MarketInfo]:
        keep = [m for m in markets if self.enabled(m.condition_id) is not False]
        return self.base.select(keep, now_s)
