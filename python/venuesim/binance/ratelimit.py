"""Request weight per IP (1 MINUTE) and unfilled order counts per account (10 SECOND, 1 DAY).

Windows are aligned to the clock like the venue's: a request at 00:01:23 counts toward the
00:01:00 minute. Past the weight limit a request gets HTTP 429 with Retry-After; a client that
keeps sending before Retry-After has elapsed is banned with HTTP 418 (2 minutes, doubling on
every repeat ban, as the venue's bans "scale in duration").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import BinanceError

MINUTE_MS = 60_000
TEN_S_MS = 10_000
DAY_MS = 86_400_000


@dataclass
class IpState:
    window: int = -1
    used: int = 0
    cooldown_until: int = 0  # Retry-After of the last 429, in ms
    ignored: int = 0  # requests sent during that cooldown
    banned_until: int = 0
    bans: int = 0


@dataclass
class OrderCounts:
    window_10s: int = -1
    count_10s: int = 0
    window_1d: int = -1
    count_1d: int = 0


@dataclass
class RateLimiter:
    weight_limit: int = 6000
    orders_10s: int = 50
    orders_1d: int = 160_000
    ignored_429s_before_ban: int = 3
    ban_ms: int = 120_000
    forced_429s: int = 0  # the `rate_limit_next` fault
    forced_retry_after_s: int = 1
    ips: dict[str, IpState] = field(default_factory=dict)
    orders: dict[int, OrderCounts] = field(default_factory=dict)
    responses_429: int = 0
    responses_418: int = 0

    def used_weight(self, ip: str, now_ms: int) -> int:
        state = self.ips.get(ip)
        if state is None or state.window != now_ms // MINUTE_MS:
            return 0
        return state.used

    def charge(self, ip: str, weight: int, now_ms: int) -> int:
        """Count a request's weight; raise 429/418 as the venue would. Returns weight used."""
        state = self.ips.setdefault(ip, IpState())
        window = now_ms // MINUTE_MS
        if state.window != window:
            state.window, state.used = window, 0
        state.used += weight
        if now_ms < state.banned_until:
            self.responses_418 += 1
            raise self._banned(state, now_ms)
        if now_ms < state.cooldown_until:
            state.ignored += 1
            if state.ignored >= self.ignored_429s_before_ban:
                state.bans += 1
                state.banned_until = now_ms + self.ban_ms * (2 ** (state.bans - 1))
                state.ignored = 0
                state.cooldown_until = 0
                self.responses_418 += 1
                raise self._banned(state, now_ms)
        if self.forced_429s > 0:
            self.forced_429s -= 1
            return self._too_many(state, now_ms, now_ms + self.forced_retry_after_s * 1000)
        if state.used > self.weight_limit:
            return self._too_many(state, now_ms, (window + 1) * MINUTE_MS)
        return state.used

    def _too_many(self, state: IpState, now_ms: int, until_ms: int) -> int:
        state.cooldown_until = max(state.cooldown_until, until_ms)
        retry_after = max(1, -(-(state.cooldown_until - now_ms) // 1000))
        self.responses_429 += 1
        raise BinanceError(
            -1003, f"Too much request weight used; current limit is {self.weight_limit} request "
                   "weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                   "polling the API.", 429, {"Retry-After": str(retry_after)})

    def _banned(self, state: IpState, now_ms: int) -> BinanceError:
        retry_after = max(1, -(-(state.banned_until - now_ms) // 1000))
        return BinanceError(
            -1003, f"Way too much request weight used; IP banned until {state.banned_until}. "
                   "Please use WebSocket Streams for live updates to avoid bans.", 418,
            {"Retry-After": str(retry_after)})

    def count_order(self, uid: int, now_ms: int) -> tuple[int, int]:
        """Count one new order for an account; 429 -1015 past either limit."""
        counts = self.orders.setdefault(uid, OrderCounts())
        if counts.window_10s != now_ms // TEN_S_MS:
            counts.window_10s, counts.count_10s = now_ms // TEN_S_MS, 0
        if counts.window_1d != now_ms // DAY_MS:
            counts.window_1d, counts.count_1d = now_ms // DAY_MS, 0
        if counts.count_10s >= self.orders_10s:
            until = (counts.window_10s + 1) * TEN_S_MS
            raise BinanceError(-1015, f"Too many new orders; current limit is {self.orders_10s} "
                                      "orders per 10 SECOND.", 429,
                               {"Retry-After": str(max(1, -(-(until - now_ms) // 1000)))})
        if counts.count_1d >= self.orders_1d:
            until = (counts.window_1d + 1) * DAY_MS
            raise BinanceError(-1015, f"Too many new orders; current limit is {self.orders_1d} "
                                      "orders per 1 DAY.", 429,
                               {"Retry-After": str(max(1, -(-(until - now_ms) // 1000)))})
        counts.count_10s += 1
        counts.count_1d += 1
        return counts.count_10s, counts.count_1d

    def order_counts(self, uid: int, now_ms: int) -> tuple[int, int]:
        counts = self.orders.get(uid)
        if counts is None:
            return 0, 0
        c10 = counts.count_10s if counts.window_10s == now_ms // TEN_S_MS else 0
        c1d = counts.count_1d if counts.window_1d == now_ms // DAY_MS else 0
        return c10, c1d
