"""The Redis kill broadcast: one PUBLISH on the kill channel halts every trader subscribed.

    receivers = await publish_kill("redis://127.0.0.1:6379/0", "operator: flatten now")
    python -m control kill "reason" --redis redis://127.0.0.1:6379/0

`trader` subscribes to the channel itself (c/app/redis_ctl.c): any message is a kill (its
text is journaled as the reason). The return value is the number of subscribers that got it;
0 means no trader heard it, and the caller must use the kill file or `trader ctl kill`,
which never depend on Redis.
"""

from __future__ import annotations

import redis.asyncio as aioredis

DEFAULT_CHANNEL = "trader:kill"


async def publish_kill(url: str, reason: str, *, channel: str = DEFAULT_CHANNEL,
                       timeout_s: float = 2.0) -> int:
    r = aioredis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        n: int = await r.publish(channel, reason or "redis kill")
        return n
    finally:
        await r.aclose()
