"""Injected faults, set by `--faults SPEC` or `POST /_sim/faults` (JSON object).

SPEC is comma-separated key=value: http_500, http_425, http_503 (probabilities per
CLOB request), slow_ms (added latency), mode (normal | post_only | cancel_only),
ws_market / ws_user (ok | stall | drop), trade_fail (probability a trade ends
FAILED after RETRYING: its settlement transaction reverts on chain, twice),
rate_limit_scale (multiplies every rate limit), onramp_paused (true: the Collateral
Onramp is paused on chain, so `wrap` reverts with OnlyUnpaused()).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

WS_STATES = ("ok", "stall", "drop")
MODES = ("normal", "post_only", "cancel_only")


class FaultSpecError(ValueError):
    pass


@dataclass
class Faults:
    http_500: float = 0.0
    http_425: float = 0.0
    http_503: float = 0.0
    slow_ms: int = 0
    mode: str = "normal"
    ws_market: str = "ok"
    ws_user: str = "ok"
    trade_fail: float = 0.0
    rate_limit_scale: float = 1.0
    onramp_paused: bool = False

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for key, raw in values.items():
            if key not in known:
                raise FaultSpecError(f"unknown fault {key!r}")
            current = getattr(self, key)
            if isinstance(current, bool):
                if str(raw).lower() not in ("true", "false", "1", "0"):
                    raise FaultSpecError(f"{key} is true or false")
                setattr(self, key, str(raw).lower() in ("true", "1"))
                continue
            try:
                value: Any = type(current)(raw)
            except (TypeError, ValueError) as exc:
                raise FaultSpecError(f"bad value for {key}: {raw!r}") from exc
            if key in ("ws_market", "ws_user") and value not in WS_STATES:
                raise FaultSpecError(f"{key} must be one of {WS_STATES}")
            if key == "mode" and value not in MODES:
                raise FaultSpecError(f"mode must be one of {MODES}")
            if isinstance(value, float) and key != "rate_limit_scale" and not 0 <= value <= 1:
                raise FaultSpecError(f"{key} is a probability in [0, 1]")
            if key == "rate_limit_scale" and value <= 0:
                raise FaultSpecError("rate_limit_scale must be positive")
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_spec(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        if "=" not in part:
            raise FaultSpecError(f"fault {part!r} is not key=value")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out
