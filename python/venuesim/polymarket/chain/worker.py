"""The chain's one thread: py-evm is slow and not thread-safe, so every chain call runs
on a single-thread executor, off the event loop, in submission order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .node import Chain

T = TypeVar("T")


class ChainWorker:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polymarket-chain")
        self.chain: Chain = self._pool.submit(Chain).result()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """For start-up only, before the event loop serves anything."""
        return self._pool.submit(fn, *args).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
