"""De-duplication and rate limiting of alerts: pure bookkeeping, the caller passes the clock.

De-duplication: the first alert with a key is sent and opens a window of `dedup_window_s`;
later alerts with the same key inside the window are suppressed and counted. When the window
closes, `expire()` returns one `suppressed` summary for each key that had repeats (none for a
key that did not), and the next occurrence is sent again. A condition that flaps every few
seconds therefore costs one alert and one summary per window.

Rate limit: at most `rate_max` alerts in any `rate_window_s`, over all keys. Critical alerts
are never dropped by the rate limit (a crash must get through even during a burst of fills);
anything else over the limit is dropped and counted, and `expire()` returns one summary of what
was dropped once the window has room again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from alerts.model import Alert, rate_limited, suppressed


@dataclass
class _Seen:
    first_at: float
    last: Alert
    repeats: int = 0


@dataclass
class Throttle:
    dedup_window_s: float = 300.0
    rate_max: int = 20
    rate_window_s: float = 60.0
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _sent_at: deque[float] = field(default_factory=deque)
    _dropped: dict[str, int] = field(default_factory=dict)
    _dropped_first_at: float = 0.0
    suppressed_total: int = 0
    dropped_total: int = 0

    def admit(self, alert: Alert, now: float) -> bool:
        """True: send it now. False: suppressed (duplicate) or dropped (rate limit)."""
        seen = self._seen.get(alert.key)
        if seen is not None and now - seen.first_at < self.dedup_window_s:
            seen.repeats += 1
            seen.last = alert
            self.suppressed_total += 1
            return False
        self._trim(now)
        if alert.severity != "critical" and len(self._sent_at) >= self.rate_max:
            if not self._dropped:
                self._dropped_first_at = now
            self._dropped[alert.kind] = self._dropped.get(alert.kind, 0) + 1
            self.dropped_total += 1
            return False
        self._seen[alert.key] = _Seen(first_at=now, last=alert)
        self._sent_at.append(now)
        return True

    def expire(self, now: float) -> list[Alert]:
        """Summaries that are due: closed dedup windows with repeats, and rate-limit drops once
        there is room. They bypass both checks (they are what keeps the operator informed)."""
        out: list[Alert] = []
        for key in [k for k, s in self._seen.items() if now - s.first_at >= self.dedup_window_s]:
            seen = self._seen.pop(key)
            if seen.repeats > 0:
                out.append(suppressed(seen.last, seen.repeats, self.dedup_window_s))
        self._trim(now)
        if self._dropped and len(self._sent_at) < self.rate_max:
            count = sum(self._dropped.values())
            out.append(rate_limited(count, max(now - self._dropped_first_at, self.rate_window_s),
                                    self._dropped))
            self._dropped = {}
        for _ in out:
            self._sent_at.append(now)
        return out

    def next_due(self, now: float) -> float | None:
        """Seconds until expire() may have something to say (None: nothing pending)."""
        waits = [s.first_at + self.dedup_window_s - now for s in self._seen.values()
                 if s.repeats > 0]
        if self._dropped and self._sent_at:
            waits.append(self._sent_at[0] + self.rate_window_s - now)
        elif self._dropped:
            waits.append(0.0)
        return max(0.0, min(waits)) if waits else None

    def _trim(self, now: float) -> None:
        while self._sent_at and now - self._sent_at[0] >= self.rate_window_s:
            self._sent_at.popleft()
