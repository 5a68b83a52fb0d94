"""The simulator's clock: wall time plus an injectable skew (the `time_skew_ms` fault)."""

from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self.skew_ms = 0

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.skew_ms
