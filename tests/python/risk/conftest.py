"""Fixtures for the risk engine binding tests: the real libtraderrisk.so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trader.risk import RiskEngine, default_library_path

T0 = 1767614400 * 1_000_000_000  # 2026-01-05 12:00:00 UTC

# Limits for the tests: exposure bounds as in the micro profile (a tighter
# global exposure so it binds), stops and loss rules out of the way so the
# properties are about the exposure limits.
LIMITS: dict[str, Any] = {
    "profile": "micro",
    "global": {
        "max_order_notional_usd": "10",
        "max_position_usd": "10",
        "max_positions": 2,
        "max_exposure_usd": "15",
        "max_daily_loss_usd": "100000",
        "max_drawdown_pct": "100",
        "position_stop_usd": "100000",
        "loss_breaker": {"losses": 0},
    },
    "venues": {
        v: {
            "stale_mark_ms": 0,
            "price_collar_bps": 0,
            "max_cancel_fill_ratio": "0",
            "orders_per_window": 0,
        }
        for v in ("polymarket", "binance")
    },
}


def binary_spec(symbol: str, market: str) -> dict[str, Any]:
    return {
        "venue": "polymarket",
        "kind": "binary",
        "symbol": symbol,
        "market": market,
        "price_scale": 2,
        "qty_scale": 0,
        "tick": "0.01",
        "lot": "1",
        "min_qty": "1",
        "quote_ccy": "USDC",
    }


BTC_SPEC: dict[str, Any] = {
    "venue": "binance",
    "kind": "spot",
    "symbol": "BTCUSDT",
    "price_scale": 0,
    "qty_scale": 3,
    "tick": "1",
    "lot": "0.001",
    "quote_ccy": "USDT",
}


@pytest.fixture(scope="session")
def risk_lib() -> Path:
    path = default_library_path()
    if not path.exists():
        pytest.fail(
            f"{path} is missing: build it first (make, or cmake --build <dir> --target "
            "traderrisk) and/or set TRADER_RISK_LIB"
        )
    return path


@dataclass(frozen=True)
class RiskEnv:
    """What the tests need to build engines (test modules cannot import
    this conftest, so it travels as a session fixture)."""

    lib: Path
    limits: dict[str, Any]
    binary_spec: Callable[[str, str], dict[str, Any]]
    btc_spec: dict[str, Any]
    t0: int

    def engine(self, limits: dict[str, Any] | None = None) -> RiskEngine:
        return RiskEngine(limits if limits is not None else self.limits, library=self.lib)


@pytest.fixture(scope="session")
def risk_env(risk_lib: Path) -> RiskEnv:
    return RiskEnv(risk_lib, LIMITS, binary_spec, BTC_SPEC, T0)


@pytest.fixture
def engine(risk_env: RiskEnv) -> Iterator[RiskEngine]:
    with risk_env.engine() as e:
        yield e
