"""The gateway's clock: wall time, or the simulator's fast-forwarded time.

Against a simulator started with `--speed X`, every market's window, every Gamma date and
every strategy window (volatility, stall, exits) runs X times faster than real time, so the
strategy, paper fills and records must read the venue's clock, not the wall. `Clock.sync`
anchors it once at start on the `timestamp` of a venue `/book` (the simulator's `/time`
answers wall time, as the venue's does for request signing) and then advances it `speed`
times faster than the monotonic clock. Timeouts of sockets, heartbeats and trader checks stay
in real seconds (they are about processes, not markets). Live mode refuses any speed but 1.
"""

from __future__ import annotations

import time

NS = 1_000_000_000


class Clock:
    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._epoch_ns: int | None = None     # clock time at _mono0 (None: wall clock)
        self._mono0 = 0

    @property
    def synced(self) -> bool:
        return self._epoch_ns is not None

    @property
    def fast(self) -> bool:
        return self.speed != 1.0

    def sync(self, venue_epoch_s: float) -> None:
        """Anchor on the venue's time (seconds since the epoch) as read just now."""
        self._epoch_ns = int(venue_epoch_s * NS)
        self._mono0 = time.monotonic_ns()

    def now_ns(self) -> int:
        if self._epoch_ns is None:
            return time.time_ns()
        return self._epoch_ns + int((time.monotonic_ns() - self._mono0) * self.speed)

    def now_s(self) -> float:
        return self.now_ns() / NS

    def real_s(self, clock_s: float) -> float:
        """Real seconds that `clock_s` seconds of this clock take."""
        return clock_s / self.speed
