"""Market-maker configuration: one frozen record, overridable per market (screener, Redis).

Every price/edge figure is in price units of a $1 binary payout (0.02 = 2 cents = 2% of payout).
"""

from __future__ import annotations

# Decimal is immutable, so Decimal defaults are safe to share between instances.
# ruff: noqa: RUF009
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

D = Decimal
SIZING_MODES = frozenset({"fixed", "allocator", "kelly", "half_kelly"})


@dataclass(frozen=True, slots=True)
class MMConfig:
    # fair value
    micro_depth: int = 3  # book levels per side in the volume-weighted micro-price
    model_weight: D = D("0.5")  # weight of the spot/strike model in the blend (up/down markets)
    ref_max_age_s: int = 5  # reference price older than this is ignored
    ref_vol_floor: D = D("0.00005")  # per-sqrt-second floor on the spot's realized vol
    # Avellaneda-Stoikov
    gamma: D = D("0.1")  # risk aversion
    kappa: D = D("100")  # order-arrival decay
    horizon_s: int = 900  # T - t cap (seconds)
    inventory_unit: D = D("5")  # shares per unit of q
    vol_floor: D = D("0.0002")  # per-sqrt-second floor on the mid's realized vol
    min_half_spread: D = D("0.01")
    # ladder
    levels: int = 3
    level_step_ticks: int = 2  # distance between ladder levels
    level_mults: tuple[int, ...] = (1, 2, 4)
    price_tol_ticks: int = 1  # queue keeping: a resting order this close is left alone
    size_tol: D = D("0.25")  # ... and whose size is within this fraction
    pair_margin: D = D("0.01")  # YES bid + NO bid (or + held complement cost) <= 1 - margin
    max_market_usd: D = D("40")  # worst-case loss budget per market (as trader counts it)
    max_net_shares: D = D("40")  # net delta beyond which the increasing side stops
    # fee-aware edge
    min_net_edge: D = D("0.02")
    exit_fee_weight: D = D("0.25")  # share of maker fills expected to exit as takers
    # sizing: fixed | allocator | kelly | half_kelly
    sizing: str = "fixed"
    fixed_size: D = D("0")  # 0 = orderMinSize
    alloc_usd: D = D("5")
    max_size: D = D("100")
    # exits
    unwind_timeout_s: int = 300
    max_position_age_s: int = 3600
    max_adverse_move: D = D("0.15")
    # guards
    max_spread: D = D("0.08")
    microvol_window_s: int = 5
    microvol_max_move: D = D("0.08")
    microvol_cooldown_s: int = 30
    ofi_window_s: int = 10
    ofi_min_volume: D = D("50")
    ofi_threshold: D = D("0.7")
    stall_s: int = 10
    stop_before_end_s: int = 60
    # regime governor
    vol_window_s: int = 120
    # Per-sqrt-second vol of the YES mid. An at-the-money up/down market moves about
    # 0.4 / sqrt(seconds left) by construction (0.013 with 15 minutes left), so these sit above it.
    trending_vol: D = D("0.02")
    event_vol: D = D("0.04")
    trending_widen: D = D("1.5")
    event_pause: bool = True
    event_widen: D = D("2.5")
    cfr_window_s: int = 600
    cfr_max: D = D("20")  # cancels per fill before widening and holding
    cfr_widen: D = D("1.5")
    cfr_hold_ticks: int = 3
    # exploration
    exploration: bool = False
    exploration_levels: tuple[D, ...] = (D("0.45"), D("0.30"), D("0.10"))
    enabled: bool = True

    def with_overrides(self, overrides: Mapping[str, Any]) -> MMConfig:
        """A copy with ``overrides`` applied; unknown keys and bad values raise ValueError."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for key, raw in overrides.items():
            if key not in fields:
                raise ValueError(f"mm config: unknown key {key!r}")
            changes[key] = _coerce(key, getattr(self, key), raw)
        out = dataclasses.replace(self, **changes)
        if out.sizing not in SIZING_MODES:
            raise ValueError(f"mm config: sizing must be one of {sorted(SIZING_MODES)}")
        return out


def _decimal(key: str, raw: Any) -> Decimal:
    if isinstance(raw, float | bool):
        raise ValueError(f"mm config: {key} must be a decimal string or int, not {raw!r}")
    try:
        d = Decimal(raw)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"mm config: {key}: {raw!r} is not a number") from exc
    if not d.is_finite():
        raise ValueError(f"mm config: {key}: {raw!r} is not finite")
    return d


def _coerce(key: str, current: Any, raw: Any) -> Any:
    if isinstance(current, bool):
        if not isinstance(raw, bool):
            raise ValueError(f"mm config: {key} must be a boolean")
        return raw
    if isinstance(current, int):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"mm config: {key} must be an integer")
        return raw
    if isinstance(current, Decimal):
        return _decimal(key, raw)
    if isinstance(current, str):
        if not isinstance(raw, str):
            raise ValueError(f"mm config: {key} must be a string")
        return raw
    if isinstance(current, tuple):
        if not isinstance(raw, list | tuple):
            raise ValueError(f"mm config: {key} must be a list")
        if current and isinstance(current[0], int):
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in raw):
                raise ValueError(f"mm config: {key} must be a list of integers")
            return tuple(raw)
        return tuple(_decimal(key, x) for x in raw)
    raise ValueError(f"mm config: {key} cannot be overridden")
