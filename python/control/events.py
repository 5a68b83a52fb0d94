"""The live event stream for dashboards: a Redis Stream (default `trader:events`).

The recorder appends one entry per order, order event, fill and state change it reads from
the trader's journal, with the entry id `<journal seq>-<n>`. Redis refuses an id that is not
greater than the last one, so a replay after a recorder crash (it appends before it commits
to Postgres) cannot add an entry twice: the stream is exactly-once per journal record while
Redis is up, and simply has a gap for the time it was down (the record in Postgres is
complete either way; the stream is a live view, not the record).

    w = StreamWriter(redis_url)
    await w.append([(seq, {"kind": "fill", ...}), ...])   # False when Redis is unreachable
    async for entry_id, fields in read_stream(redis_url, last_id="0"): ...
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)

DEFAULT_STREAM = "trader:events"
MAXLEN = 100_000
_RETRY_AFTER_S = 2.0


class StreamWriter:
    """Appends journal-derived events; never raises for Redis trouble (it reports it)."""

    def __init__(self, url: str, stream: str = DEFAULT_STREAM, *, timeout: float = 0.5) -> None:
        self.stream = stream
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=True)
        self._down_until = 0.0
        self.down = False
        self.appended = 0

    async def append(self, events: Sequence[tuple[int, int, dict[str, str]]]) -> bool:
        """events: (journal seq, index within the record, fields). True when Redis took them
        (or already had them); False when it is down (the caller raises the alert)."""
        if not events:
            return True
        if time.monotonic() < self._down_until:
            return False
        pipe = self._redis.pipeline(transaction=False)
        for seq, n, fields in events:
            entry: dict[Any, Any] = dict(fields)
            pipe.xadd(self.stream, entry, id=f"{seq}-{n}", maxlen=MAXLEN,
                      approximate=True)
        try:
            results = await pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as e:
            self._down_until = time.monotonic() + _RETRY_AFTER_S
            if not self.down:
                log.warning("event stream: redis unreachable (%s); live events paused", e)
            self.down = True
            return False
        for r in results:
            if isinstance(r, ResponseError):
                if "equal or smaller" not in str(r):
                    log.error("event stream: XADD refused: %s", r)
            elif isinstance(r, Exception):
                self.down = True
                self._down_until = time.monotonic() + _RETRY_AFTER_S
                return False
            else:
                self.appended += 1
        if self.down:
            log.info("event stream: redis back")
        self.down = False
        return True

    async def close(self) -> None:
        await self._redis.aclose()


async def read_stream(url: str, stream: str = DEFAULT_STREAM, *, last_id: str = "0",
                      block_ms: int = 1000, count: int = 500
                      ) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Entries after last_id, then live ones as they come (a dashboard's loop)."""
    r = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        while True:
            resp: Any = await r.xread({stream: last_id}, count=count, block=block_ms)
            for _name, entries in resp or []:
                for entry_id, fields in entries:
                    last_id = str(entry_id)
                    yield last_id, {str(k): str(v) for k, v in fields.items()}
    finally:
        await r.aclose()
