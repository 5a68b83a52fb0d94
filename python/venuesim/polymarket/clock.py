"""Simulated time: wall-clock start, advanced `speed` times faster than real time."""

from __future__ import annotations

import time


class SimClock:
    """Sim seconds since the epoch; `speed` sim seconds pass per real second."""

    def __init__(self, start_epoch_s: float, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start_epoch_s
        self.speed = speed
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._mono0) * self.speed

    def now_ms(self) -> int:
        return int(self.now() * 1000)


def iso8601(epoch_s: float) -> str:
    """`2026-08-22T16:05:00Z`, the Gamma date encoding."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))
