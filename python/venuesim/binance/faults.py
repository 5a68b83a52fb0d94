"""Fault injection: parsed from --faults SPEC or POST /_sim/faults, consulted by transports.

SPEC is a comma-separated list of `name=value` (or bare `name` for one-shot actions):
  rest_5xx=N           the next N /api/v3 requests get HTTP 503 -1001 and are not executed
  rest_unknown=N       the next N /api/v3 requests ARE executed, then answered HTTP 503 -1007
                       (execution status unknown: the client must query to find out)
  rest_5xx_rate=P      each /api/v3 request fails like rest_5xx with probability P (seeded)
  rate_limit_next=N    the next N requests get HTTP 429 -1003 (Retry-After: retry_after)
  retry_after=S        Retry-After seconds for rate_limit_next (default 1)
  weight_limit=N       REQUEST_WEIGHT per minute (default 6000)
  time_skew_ms=MS      the server clock runs MS ahead (negative: behind)
  skip_depth=N         the next N diff-depth events are never sent (a U/u gap for clients)
  stall_market=S       market streams send nothing (no data, no pings) for S seconds
  stall_user=S         WebSocket API connections send nothing for S seconds
  drop_market          close every market stream connection now (one-shot)
  drop_user            close every WebSocket API connection now (one-shot)
  server_shutdown      send serverShutdown on every connection, close them 1 s later
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("drop_market", "drop_user", "server_shutdown")
INT_KEYS = ("rest_5xx", "rest_unknown", "rate_limit_next", "retry_after", "weight_limit",
            "time_skew_ms", "skip_depth")
FLOAT_KEYS = ("rest_5xx_rate", "stall_market", "stall_user")


class FaultSpecError(ValueError):
    pass


@dataclass
class Faults:
    rest_5xx: int = 0
    rest_unknown: int = 0
    rest_5xx_rate: float = 0.0
    skip_depth: int = 0
    stall_market_until: float = 0.0
    stall_user_until: float = 0.0
    applied: list[str] = field(default_factory=list)

    def market_stalled(self) -> bool:
        return time.monotonic() < self.stall_market_until

    def user_stalled(self) -> bool:
        return time.monotonic() < self.stall_user_until


def parse_spec(spec: str) -> dict[str, Any]:
    """`a=1,b` -> {"a": 1, "b": True}, validated."""
    out: dict[str, Any] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, _, raw = item.partition("=")
        out[name.strip()] = raw.strip() if raw else True
    return validate(out)


def validate(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in doc.items():
        if name in ACTIONS:
            if value not in (True, "true", "1", 1):
                raise FaultSpecError(f"{name} is an action; give it without a value")
            out[name] = True
        elif name in INT_KEYS:
            try:
                out[name] = int(value)
            except (TypeError, ValueError) as exc:
                raise FaultSpecError(f"{name} needs an integer, got {value!r}") from exc
            if name != "time_skew_ms" and out[name] < 0:
                raise FaultSpecError(f"{name} must be >= 0")
        elif name in FLOAT_KEYS:
            try:
                out[name] = float(value)
            except (TypeError, ValueError) as exc:
                raise FaultSpecError(f"{name} needs a number, got {value!r}") from exc
            if not 0 <= out[name] <= (1 if name == "rest_5xx_rate" else 86400):
                raise FaultSpecError(f"{name} out of range: {value!r}")
        else:
            raise FaultSpecError(f"unknown fault {name!r}")
    return out
