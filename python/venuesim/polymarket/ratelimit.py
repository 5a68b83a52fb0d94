"""Sliding-window rate limits per endpoint and client, with Poly-RateLimit-* headers.

The documented limits are per 10 s (and some per 10 min); a request over a limit gets
HTTP 429 with Retry-After. Windows run on real time, not sim time.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

# (method, path) -> [(limit, window seconds)]; "*" is the CLOB-wide default.
LIMITS: dict[tuple[str, str], list[tuple[int, float]]] = {
    ("*", "*"): [(9000, 10.0)],
    ("GET", "/book"): [(1500, 10.0)],
    ("GET", "/price"): [(1500, 10.0)],
    ("GET", "/midpoint"): [(1500, 10.0)],
    ("POST", "/books"): [(500, 10.0)],
    ("POST", "/prices"): [(500, 10.0)],
    ("POST", "/midpoints"): [(500, 10.0)],
    ("GET", "/tick-size"): [(200, 10.0)],
    ("GET", "/balance-allowance"): [(200, 10.0)],
    ("GET", "/balance-allowance/update"): [(50, 10.0)],
    ("GET", "/data/orders"): [(500, 10.0)],
    ("GET", "/data/trades"): [(500, 10.0)],
    ("POST", "/auth/api-key"): [(100, 10.0)],
    ("GET", "/auth/derive-api-key"): [(100, 10.0)],
    ("POST", "/order"): [(3500, 10.0), (36000, 600.0)],
    ("DELETE", "/order"): [(3000, 10.0), (30000, 600.0)],
    ("POST", "/orders"): [(1000, 10.0), (15000, 600.0)],
    ("GAMMA", "*"): [(4000, 10.0)],
    ("GAMMA", "/markets"): [(300, 10.0)],
    ("GAMMA", "/events"): [(500, 10.0)],
}


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the window frees a slot


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str, str, float], deque[float]] = {}

    def check(self, client: str, method: str, path: str, scale: float = 1.0,
              now: float | None = None) -> Verdict:
        t = time.monotonic() if now is None else now
        rules = LIMITS.get((method, path)) or LIMITS[("GAMMA", "*") if method == "GAMMA"
                                                     else ("*", "*")]
        worst: Verdict | None = None
        queues = []
        for limit, window in rules:
            eff = max(1, int(limit * scale))
            q = self._hits.setdefault((client, method, path, window), deque())
            while q and q[0] <= t - window:
                q.popleft()
            queues.append(q)
            reset = math.ceil(q[0] + window - t) if q else math.ceil(window)
            v = Verdict(len(q) < eff, eff, max(eff - len(q) - 1, 0), max(reset, 1))
            if worst is None or (not v.allowed and worst.allowed) or \
                    (v.allowed == worst.allowed and v.remaining < worst.remaining):
                worst = v
        assert worst is not None
        if worst.allowed:
            for q in queues:
                q.append(t)
        return worst
