"""Latency samples the bench and `status` read (bounded; nanoseconds)."""

from __future__ import annotations

from collections import deque
from typing import Any


class Samples:
    def __init__(self, cap: int = 20_000) -> None:
        self.values: deque[int] = deque(maxlen=cap)

    def add(self, ns: int) -> None:
        self.values.append(ns)

    def summary(self) -> dict[str, Any]:
        v = sorted(self.values)
        if not v:
            return {"n": 0}
        return {"n": len(v), "p50_ns": v[len(v) // 2],
                "p99_ns": v[min(len(v) - 1, int(len(v) * 0.99))], "max_ns": v[-1]}


class Metrics:
    def __init__(self) -> None:
        self.tick_to_cancel = Samples()   # market-channel frame received -> cancel on the wire
        self.order_rtt = Samples()        # check + sign + post + venue ack
        self.check = Samples()            # trader check round trip
        self.sign = Samples()             # EIP-712 signing of one order

    def summary(self) -> dict[str, Any]:
        return {"tick_to_cancel": self.tick_to_cancel.summary(),
                "order_rtt": self.order_rtt.summary(), "check": self.check.summary(),
                "sign": self.sign.summary()}
