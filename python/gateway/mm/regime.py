"""Regime governor: realized-volatility modes, the cancel-to-fill window, calendar pauses.

The two windows are small deterministic state machines fed with explicit timestamps, so a
replay of the same inputs gives the same decisions.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from gateway.mm.types import ONE, ZERO

NS = 1_000_000_000
Mode = Literal["QUIET", "TRENDING", "EVENT"]


class TimeSeries:
    """(ts_ns, value) samples over the last ``span_s`` seconds, oldest first, at least
    ``min_gap_ms`` apart (in between, only ``latest`` moves), with the running sum of squared
    consecutive changes kept incrementally so the realized volatility costs O(1) per update.
    ``log_returns`` squares log returns (spot prices) instead of differences (probabilities)."""

    def __init__(self, span_s: int, *, min_gap_ms: int = 0, log_returns: bool = False) -> None:
        self.span_ns = span_s * NS
        self.gap_ns = min_gap_ms * 1_000_000
        self.log = log_returns
        self.items: deque[tuple[int, Decimal]] = deque()
        self.latest: tuple[int, Decimal] | None = None
        self._ss = ZERO
        self._dt = 0

    def _term(self, a: tuple[int, Decimal], b: tuple[int, Decimal]) -> Decimal:
        if self.log:
            if a[1] <= 0 or b[1] <= 0:
                return ZERO
            r = math.log(float(b[1]) / float(a[1]))
            return Decimal(r * r)
        d = b[1] - a[1]
        return d * d

    def add(self, ts_ns: int, value: Decimal) -> None:
        if self.latest is not None and ts_ns < self.latest[0]:
            raise ValueError("samples must arrive in time order")
        self.latest = (ts_ns, value)
        if self.items and ts_ns - self.items[-1][0] < max(self.gap_ns, 1):
            return
        if self.items:
            prev = self.items[-1]
            self._ss += self._term(prev, (ts_ns, value))
            self._dt += ts_ns - prev[0]
        self.items.append((ts_ns, value))
        lo = ts_ns - self.span_ns
        while len(self.items) > 1 and self.items[0][0] < lo:
            a = self.items.popleft()
            b = self.items[0]
            self._ss -= self._term(a, b)
            self._dt -= b[0] - a[0]
        if len(self.items) == 1:
            self._ss, self._dt = ZERO, 0

    def samples(self) -> list[tuple[int, Decimal]]:
        out = list(self.items)
        if self.latest is not None and (not out or self.latest[0] > out[-1][0]):
            out.append(self.latest)
        return out

    def vol(self) -> Decimal:
        """Per-sqrt-second realized volatility over the stored samples."""
        if self._dt <= 0 or self._ss <= 0:
            return ZERO
        return (self._ss / (Decimal(self._dt) / NS)).sqrt()


def vol_mode(vol: Decimal, *, trending: Decimal, event: Decimal) -> Mode:
    if vol >= event:
        return "EVENT"
    if vol >= trending:
        return "TRENDING"
    return "QUIET"


class CancelFillWindow:
    """Cancels and fills over a sliding window; ratio = cancels / max(fills, 1)."""

    def __init__(self, window_s: int) -> None:
        self.window_ns = window_s * NS
        self.cancels: deque[int] = deque()
        self.fills: deque[int] = deque()

    def _trim(self, now_ns: int) -> None:
        lo = now_ns - self.window_ns
        for q in (self.cancels, self.fills):
            while q and q[0] < lo:
                q.popleft()

    def note_cancels(self, now_ns: int, n: int = 1) -> None:
        self.cancels.extend([now_ns] * n)
        self._trim(now_ns)

    def note_fill(self, now_ns: int) -> None:
        self.fills.append(now_ns)
        self._trim(now_ns)

    def ratio(self, now_ns: int) -> Decimal:
        self._trim(now_ns)
        return Decimal(len(self.cancels)) / max(len(self.fills), 1)


@dataclass(frozen=True, slots=True)
class Pause:
    start_ns: int
    end_ns: int
    reason: str
    markets: tuple[str, ...] = ()  # empty = every market


def parse_calendar(text: str) -> tuple[Pause, ...]:
    """Calendar file: a JSON list of {"start": ISO-8601, "end": ISO-8601, "reason": str,
    "markets": [condition ids] (optional)}; timestamps need an explicit offset."""
    raw = json.loads(text)
    if not isinstance(raw, list):
        raise ValueError("calendar: expected a JSON list")
    out: list[Pause] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not {"start", "end", "reason"} <= item.keys():
            raise ValueError(f"calendar[{i}]: needs start, end and reason")
        extra = item.keys() - {"start", "end", "reason", "markets"}
        if extra:
            raise ValueError(f"calendar[{i}]: unknown keys {sorted(extra)}")
        start, end = (datetime.fromisoformat(item[k]) for k in ("start", "end"))
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError(f"calendar[{i}]: timestamps need a UTC offset")
        s_ns, e_ns = int(start.timestamp()) * NS, int(end.timestamp()) * NS
        if e_ns <= s_ns:
            raise ValueError(f"calendar[{i}]: end before start")
        markets = item.get("markets", [])
        if not isinstance(markets, list) or not all(isinstance(m, str) for m in markets):
            raise ValueError(f"calendar[{i}]: markets must be a list of strings")
        out.append(Pause(s_ns, e_ns, str(item["reason"]), tuple(markets)))
    return tuple(out)


def paused(calendar: Iterable[Pause], market_id: str, now_ns: int) -> str:
    """The reason of a pause covering (market, now), or ""."""
    for p in calendar:
        if p.start_ns <= now_ns < p.end_ns and (not p.markets or market_id in p.markets):
            return p.reason
    return ""


@dataclass(frozen=True, slots=True)
class Governor:
    """What the regime says for one market now."""

    mode: Mode
    vol: Decimal
    widen: Decimal
    pause: str  # non-empty: do not quote, with the reason
    hold_ticks: int  # extra queue-keeping tolerance (cancel/fill ratio too high)


def govern(
    mode: Mode,
    vol: Decimal,
    *,
    cfr: Decimal,
    cfr_max: Decimal,
    cfr_widen: Decimal,
    cfr_hold_ticks: int,
    trending_widen: Decimal,
    event_pause: bool,
    event_widen: Decimal,
    calendar_reason: str,
) -> Governor:
    widen = ONE
    pause = calendar_reason and f"calendar: {calendar_reason}"
    if mode == "TRENDING":
        widen *= trending_widen
    elif mode == "EVENT":
        widen *= event_widen
        if event_pause and not pause:
            pause = "event_volatility"
    hold = 0
    if cfr > cfr_max:
        widen *= cfr_widen
        hold = cfr_hold_ticks
    return Governor(mode, vol if vol > ZERO else ZERO, widen, pause, hold)
