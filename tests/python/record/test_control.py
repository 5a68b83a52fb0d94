"""The Redis control plane against a real redis-server: screener configs (validated,
versioned, last valid kept when Redis is down or a new one is bad) and the event stream."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis
from record_checks import wait_until

from control.events import StreamWriter, read_stream
from control.screener import (
    CHANNEL,
    KEY_PREFIX,
    ConfigError,
    ConfigFollower,
    parse_config,
    parse_config_json,
    publish_config,
)
from localsvc import RedisHandle

MARKET = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"


def raw(**changes: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "schema": 1, "market": MARKET, "version": 1, "enabled": True, "order_size": "5",
        "max_position_usd": "10", "min_net_edge": "0.02", "max_spread": "0.08",
        "ladder_levels": 3, "sizing": "half_kelly", "score": "0.7"}
    for k, v in changes.items():
        if v is None:
            d.pop(k)
        else:
            d[k] = v
    return d


def test_schema_validation() -> None:
    cfg = parse_config(raw())
    assert cfg.min_net_edge == Decimal("0.02") and cfg.ladder_levels == 3
    assert parse_config_json(cfg.to_json()) == cfg
    bad = [
        (raw(extra=1), "extra: unknown key"),
        (raw(version=None), "version: required"),
        (raw(schema=2), "schema"),
        (raw(version=0), "version"),
        (raw(enabled="yes"), "enabled"),
        (raw(order_size="0"), "order_size"),
        (raw(max_position_usd="501"), "max_position_usd"),
        (raw(min_net_edge=0.02), "min_net_edge"),         # a float: refused
        (raw(max_spread="1e-2"), "max_spread"),
        (raw(ladder_levels=4), "ladder_levels"),
        (raw(sizing="martingale"), "sizing"),
        (raw(market=""), "market"),
    ]
    for d, what in bad:
        with pytest.raises(ConfigError, match=what):
            parse_config(d)
    with pytest.raises(ConfigError, match="fraction"):
        parse_config_json(json.dumps(raw()).replace('"0.02"', "0.02"))


async def test_follower_keeps_last_valid_config(redis_server: RedisHandle) -> None:
    alerts: list[tuple[str, str]] = []
    f = ConfigFollower(redis_server.url, on_alert=lambda k, t: alerts.append((k, t)),
                       retry_max_s=0.3)
    await publish_config(redis_server.url, parse_config(raw(version=1)))
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(f.run())
        try:
            await asyncio.wait_for(f.loaded.wait(), 5)
            assert f.get(MARKET) is not None and f.get(MARKET).version == 1  # type: ignore[union-attr]

            async def version(n: int) -> bool:
                c = f.get(MARKET)
                return c is not None and c.version == n

            await publish_config(redis_server.url, parse_config(raw(version=2, enabled=False)))
            await wait_until(lambda: version(2), 5, "version 2 followed")
            # an invalid config written behind the publisher's back: refused, v2 kept
            r = aioredis.Redis.from_url(redis_server.url)
            await r.set(KEY_PREFIX + MARKET, json.dumps(raw(version=3, ladder_levels=9)))
            await r.publish(CHANNEL, MARKET)
            await r.aclose()

            async def alerted(kind: str) -> bool:
                return any(k == kind for k, _ in alerts)

            await wait_until(lambda: alerted("invalid_config"), 5, "invalid_config alert")
            assert await version(2)
            # the publisher refuses a version that does not increase
            await publish_config(redis_server.url, parse_config(raw(version=3)))
            with pytest.raises(ConfigError, match="does not increase"):
                await publish_config(redis_server.url, parse_config(raw(version=3)))
            await wait_until(lambda: version(3), 5, "version 3 followed")
            # Redis down: alert, configs kept
            redis_server.kill9()
            await wait_until(lambda: alerted("redis_down"), 5, "redis_down alert")
            assert not f.redis_up and await version(3)
            redis_server.restart()                         # empty: no persistence
            await wait_until(lambda: alerted("redis_up"), 10, "redis_up alert")
            assert await version(3)                        # an empty Redis removes nothing
            await publish_config(redis_server.url, parse_config(raw(version=4)))
            await wait_until(lambda: version(4), 5, "version 4 after the outage")
        finally:
            task.cancel()


async def test_event_stream_is_exactly_once_per_record(redis_server: RedisHandle) -> None:
    w = StreamWriter(redis_server.url, "test:events")
    evs = [(5, 0, {"kind": "fill", "tid": "a"}), (5, 1, {"kind": "state"}),
           (6, 0, {"kind": "order"})]
    assert await w.append(evs)
    assert await w.append(evs)                 # a replay after a crash: nothing twice
    got = []
    async for entry_id, fields in read_stream(redis_server.url, "test:events", block_ms=100):
        got.append((entry_id, fields["kind"]))
        if len(got) == 3:
            break
    assert got == [("5-0", "fill"), ("5-1", "state"), ("6-0", "order")]
    redis_server.kill9()
    assert await w.append([(7, 0, {"kind": "fill"})]) is False    # down: reported, no raise
    await w.close()
