"""Per-market screener configs over Redis: versioned JSON, validated before use.

The slow screener scores markets and publishes one config per market; the market maker
follows them. Schema version 1 (every key required unless marked optional; unknown keys are
refused; amounts are decimal STRINGS, a JSON number with a fraction is refused like in the
trader's own config):

    {"schema": 1, "market": "<condition id or symbol>", "version": 7, "enabled": true,
     "order_size": "5", "max_position_usd": "10", "min_net_edge": "0.02", "max_spread": "0.08",
     "ladder_levels": 3, "sizing": "fixed" | "allocator" | "kelly" | "half_kelly",
     "score": "0.73" (optional), "note": "..." (optional)}

Redis layout: the config at `trader:screener:config:<market>` (a JSON string), a change
notice (the market) on channel `trader:screener:changed`. `version` must increase per market:
the publisher refuses an older or equal one (WATCH/MULTI, so two screeners cannot interleave),
and the follower ignores one (a replayed or reordered notice never rolls a config back).

ConfigFollower keeps the last VALID config of every market. An invalid config, a stale
version, or Redis being down never removes or changes what it has: trading goes on under the
last valid configs, and `on_alert(kind, text)` is called (kinds: invalid_config,
stale_config, redis_down, redis_up) so the operator hears about it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

log = logging.getLogger(__name__)

SCHEMA: Final = 1
KEY_PREFIX: Final = "trader:screener:config:"
CHANNEL: Final = "trader:screener:changed"
Sizing = Literal["fixed", "allocator", "kelly", "half_kelly"]
_SIZINGS: Final = ("fixed", "allocator", "kelly", "half_kelly")
_DEC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_REQUIRED: Final = ("schema", "market", "version", "enabled", "order_size", "max_position_usd",
                    "min_net_edge", "max_spread", "ladder_levels", "sizing")
_OPTIONAL: Final = ("score", "note")

AlertFn = Callable[[str, str], None]


class ConfigError(ValueError):
    """A config that must not be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class ScreenerConfig:
    market: str
    version: int
    enabled: bool
    order_size: Decimal
    max_position_usd: Decimal
    min_net_edge: Decimal
    max_spread: Decimal
    ladder_levels: int
    sizing: Sizing
    score: Decimal | None = None
    note: str = ""

    def to_json(self) -> str:
        d: dict[str, Any] = {"schema": SCHEMA} | asdict(self)
        for k, v in list(d.items()):
            if isinstance(v, Decimal):
                d[k] = format(v, "f")
            elif v is None:
                del d[k]
        if not d.get("note"):
            d.pop("note", None)
        return json.dumps(d, sort_keys=True)


def _dec(d: dict[str, Any], key: str, lo: Decimal, hi: Decimal) -> Decimal:
    v = d[key]
    if not isinstance(v, str) or _DEC.fullmatch(v) is None:
        raise ConfigError(f"{key}: must be a decimal string like \"0.02\" (got {v!r})")
    try:
        x = Decimal(v)
    except InvalidOperation as e:
        raise ConfigError(f"{key}: not a decimal") from e
    if not lo <= x <= hi:
        raise ConfigError(f"{key}: {v} is outside {lo}..{hi}")
    return x


def parse_config(d: Any) -> ScreenerConfig:
    """Validate a decoded JSON value; raises ConfigError naming the first bad key."""
    if not isinstance(d, dict):
        raise ConfigError("a config is a JSON object")
    unknown = sorted(set(d) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key")
    for k in _REQUIRED:
        if k not in d:
            raise ConfigError(f"{k}: required")
    if type(d["schema"]) is not int or d["schema"] != SCHEMA:
        raise ConfigError(f"schema: only version {SCHEMA} is understood (got {d['schema']!r})")
    market = d["market"]
    if (not isinstance(market, str) or not 0 < len(market) <= 128 or not market.isascii()
            or not market.isprintable()):
        raise ConfigError("market: 1..128 printable ASCII characters")
    version = d["version"]
    if type(version) is not int or not 1 <= version < 2**63:
        raise ConfigError("version: a positive integer")
    if type(d["enabled"]) is not bool:
        raise ConfigError("enabled: true or false")
    levels = d["ladder_levels"]
    if type(levels) is not int or not 1 <= levels <= 3:
        raise ConfigError("ladder_levels: 1, 2 or 3")
    if d["sizing"] not in _SIZINGS:
        raise ConfigError(f"sizing: one of {', '.join(_SIZINGS)}")
    note = d.get("note", "")
    if not isinstance(note, str) or len(note) > 1000:
        raise ConfigError("note: a string of at most 1000 characters")
    one, big = Decimal(1), Decimal(1_000_000)
    size = _dec(d, "order_size", Decimal(0), big)
    if size == 0:
        raise ConfigError("order_size: must be positive")
    return ScreenerConfig(
        market=market, version=version, enabled=d["enabled"], order_size=size,
        max_position_usd=_dec(d, "max_position_usd", Decimal(0), Decimal(500)),
        min_net_edge=_dec(d, "min_net_edge", Decimal(0), one),
        max_spread=_dec(d, "max_spread", Decimal(0), one),
        ladder_levels=levels, sizing=d["sizing"],
        score=_dec(d, "score", Decimal(0), one) if "score" in d else None, note=note)


def parse_config_json(text: str | bytes) -> ScreenerConfig:
    try:
        raw = json.loads(text, parse_float=_refuse_float, parse_constant=_refuse_float)
    except ValueError as e:
        raise ConfigError(f"not JSON: {e}") from e
    return parse_config(raw)


def _refuse_float(s: str) -> Any:
    raise ConfigError(f"{s}: numbers with a fraction must be decimal strings")


async def publish_config(url: str, cfg: ScreenerConfig, *, timeout_s: float = 2.0) -> None:
    """SET the config and PUBLISH the notice, refusing a version that does not increase."""
    key = KEY_PREFIX + cfg.market
    r = aioredis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        async with r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    cur = await pipe.get(key)
                    if cur is not None:
                        try:
                            old = parse_config_json(cur)
                            if old.version >= cfg.version:
                                raise ConfigError(
                                    f"version: {cfg.version} does not increase on {old.version}")
                        except ConfigError as e:
                            if "does not increase" in str(e):
                                raise
                            # an invalid config in Redis may be replaced by a valid one
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, cfg.to_json())
                    pipe.publish(CHANNEL, cfg.market)
                    await pipe.execute()
                    return
                except WatchError:
                    continue
    finally:
        await r.aclose()


class ConfigFollower:
    """Keeps the last valid config per market; see the module docstring."""

    def __init__(self, url: str, *, on_alert: AlertFn | None = None,
                 retry_min_s: float = 0.2, retry_max_s: float = 2.0) -> None:
        self.url = url
        self.configs: dict[str, ScreenerConfig] = {}
        self.redis_up = False
        self.loaded = asyncio.Event()     # set after each successful (re)load
        self._alert = on_alert or (lambda kind, text: None)
        self._retry = (retry_min_s, retry_max_s)
        self._down_alerted = False

    def get(self, market: str) -> ScreenerConfig | None:
        return self.configs.get(market)

    def _raise(self, kind: str, text: str) -> None:
        (log.info if kind == "redis_up" else log.warning)("screener config: %s: %s", kind, text)
        self._alert(kind, text)

    def offer(self, market: str, raw: str | bytes | None) -> bool:
        """Consider one config read from Redis; True when it became the current one."""
        if raw is None:
            return False  # deleted: keep the last valid config (a hole is not a config)
        try:
            cfg = parse_config_json(raw)
        except ConfigError as e:
            self._raise("invalid_config", f"{market}: {e}; keeping version "
                        f"{self.configs[market].version if market in self.configs else 'none'}")
            return False
        if cfg.market != market:
            self._raise("invalid_config", f"{market}: key holds a config for {cfg.market}")
            return False
        cur = self.configs.get(market)
        if cur is not None and cfg.version <= cur.version:
            if cfg.version < cur.version:
                self._raise("stale_config", f"{market}: version {cfg.version} < {cur.version}")
            return False
        self.configs[market] = cfg
        return True

    async def run(self) -> None:
        """Follow until cancelled; reconnects with back-off when Redis goes away."""
        delay = self._retry[0]
        while True:
            r = aioredis.Redis.from_url(self.url, socket_connect_timeout=1.0)
            ps = r.pubsub()
            try:
                await ps.subscribe(CHANNEL)   # first: no notice between load and listen is lost
                async for key in r.scan_iter(match=KEY_PREFIX + "*", count=500):
                    k = key.decode() if isinstance(key, bytes) else str(key)
                    self.offer(k[len(KEY_PREFIX):], await r.get(k))
                if not self.redis_up and self._down_alerted:
                    self._raise("redis_up", "screener configs followed again")
                self.redis_up = True
                self._down_alerted = False
                delay = self._retry[0]
                self.loaded.set()
                while True:
                    msg = await ps.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is None or msg.get("type") != "message":
                        continue
                    data = msg["data"]
                    market = data.decode() if isinstance(data, bytes) else str(data)
                    self.offer(market, await r.get(KEY_PREFIX + market))
            except (RedisError, OSError) as e:
                self.redis_up = False
                self.loaded.clear()
                if not self._down_alerted:
                    self._down_alerted = True
                    self._raise("redis_down", f"no new configs; trading goes on under the last "
                                f"valid ones ({len(self.configs)} markets): {e}")
            finally:
                try:
                    await ps.aclose()  # type: ignore[no-untyped-call]
                    await r.aclose()
                except (RedisError, OSError):
                    pass
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry[1])
