"""Market discovery from Gamma: which markets exist, accept orders, and should be quoted.

Gamma's `clobTokenIds` and `outcomes` are JSON-encoded strings; tick size, minimum size,
neg-risk flag and the fee schedule come per market. The set is re-scanned every
`discovery.rescan_s` seconds; the screener's per-market config (Redis, wired later) plugs
in as a `MarketSelector`. The default selector quotes every discovered market matching
the config, up to `discovery.max_markets`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from gateway.config import DiscoveryConfig
from gateway.rest import PublicClob

log = logging.getLogger("gateway.discovery")

PAGE = 500


@dataclass(frozen=True, slots=True)
class MarketInfo:
    condition_id: str
    question: str
    slug: str
    tokens: tuple[str, str]          # outcome 0 (YES/Up), outcome 1 (NO/Down)
    outcomes: tuple[str, str]
    tick: Decimal
    min_size: Decimal
    neg_risk: bool
    fees_enabled: bool
    fee_rate: Decimal                # taker fee curve: size x rate x (p(1-p))^exponent
    fee_exponent: Decimal
    rebate_rate: Decimal
    end_ts: float                    # unix seconds, 0 when unknown
    accepting: bool
    crypto_15m: bool
    asset: str                       # "BTC", ... for crypto markets, else ""
    start_ts: float = 0.0            # window start of a crypto market (eventStartTime), else 0
    gamma_spread: Decimal | None = None   # Gamma's best ask - best bid at the scan
    volume_24h: Decimal = Decimal(0)      # Gamma's volume24hr when it has one

    def complement(self, token: str) -> str:
        return self.tokens[1] if token == self.tokens[0] else self.tokens[0]


def _dec(v: Any, default: str = "0") -> Decimal:
    if v is None or isinstance(v, bool):
        return Decimal(default)
    return Decimal(str(v))


def _ts(v: Any) -> float:
    if not isinstance(v, str) or not v:
        return 0.0
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def parse_market(m: dict[str, Any]) -> MarketInfo | None:
    """One Gamma market object -> MarketInfo; None when it is not a tradable binary."""
    try:
        tokens = json.loads(m.get("clobTokenIds") or "[]")
        outcomes = json.loads(m.get("outcomes") or "[]")
    except (TypeError, json.JSONDecodeError):
        return None
    if len(tokens) != 2 or len(outcomes) != 2 or not m.get("conditionId"):
        return None
    raw_sched, raw_crypto = m.get("feeSchedule"), m.get("cryptoMarketConfig")
    sched: dict[str, Any] = raw_sched if isinstance(raw_sched, dict) else {}
    crypto: dict[str, Any] = raw_crypto if isinstance(raw_crypto, dict) else {}
    fees = bool(m.get("feesEnabled"))
    return MarketInfo(
        condition_id=str(m["conditionId"]), question=str(m.get("question", "")),
        slug=str(m.get("slug", "")), tokens=(str(tokens[0]), str(tokens[1])),
        outcomes=(str(outcomes[0]), str(outcomes[1])),
        tick=_dec(m.get("orderPriceMinTickSize"), "0.01"),
        min_size=_dec(m.get("orderMinSize"), "5"), neg_risk=bool(m.get("negRisk")),
        fees_enabled=fees,
        fee_rate=_dec(sched.get("rate")) if fees else Decimal(0),
        fee_exponent=_dec(sched.get("exponent"), "1"),
        rebate_rate=_dec(sched.get("rebateRate")) if fees else Decimal(0),
        end_ts=_ts(m.get("endDate")),
        accepting=bool(m.get("acceptingOrders")) and bool(m.get("enableOrderBook", True))
        and bool(m.get("active")) and not bool(m.get("closed")),
        crypto_15m=str(crypto.get("duration", "")) == "15m",
        asset=str(crypto.get("asset", "")).upper(),
        start_ts=_ts(m.get("eventStartTime")),
        gamma_spread=_opt_dec(m.get("spread")),
        volume_24h=_opt_dec(m.get("volume24hr")) or Decimal(0))


def _opt_dec(v: Any) -> Decimal | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v))
    except ArithmeticError:
        return None
    return d if d.is_finite() and d >= 0 else None


class MarketSelector(Protocol):
    """Decides which discovered markets to quote (the screener plugs in here)."""

    def select(self, markets: list[MarketInfo], now_s: float) -> list[MarketInfo]: ...


class ConfigSelector:
    """Default: every accepting market the config asks for, up to max_markets."""

    def __init__(self, cfg: DiscoveryConfig, min_remaining_s: float = 120.0) -> None:
        self.cfg = cfg
        self.min_remaining_s = min_remaining_s

    def wanted(self, m: MarketInfo, now_s: float) -> bool:
        if not m.accepting:
            return False
        if m.end_ts and m.end_ts - now_s < self.min_remaining_s:
            return False   # too close to resolution to start quoting
        if self.cfg.condition_ids:
            return m.condition_id in self.cfg.condition_ids
        if m.crypto_15m:
            return self.cfg.crypto_15m and (not self.cfg.assets or m.asset in self.cfg.assets)
        return self.cfg.fee_free and not m.fees_enabled

    def select(self, markets: list[MarketInfo], now_s: float) -> list[MarketInfo]:
        chosen = [m for m in markets if self.wanted(m, now_s)]
        # crypto windows first (they carry the rebates), soonest ending first; then the rest
        chosen.sort(key=lambda m: (not m.crypto_15m, m.end_ts or 1e18, m.condition_id))
        return chosen[: self.cfg.max_markets]


async def scan(clob: PublicClob) -> list[MarketInfo]:
    """Every active, open market Gamma lists (paged)."""
    out: list[MarketInfo] = []
    offset = 0
    while True:
        page = await clob.gamma("/markets", {"active": "true", "closed": "false",
                                             "limit": str(PAGE), "offset": str(offset)})
        if not isinstance(page, list) or not page:
            break
        for raw in page:
            if isinstance(raw, dict) and (m := parse_market(raw)) is not None:
                out.append(m)
        if len(page) < PAGE:
            break
        offset += PAGE
    return out
