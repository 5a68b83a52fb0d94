"""AlertManager: the one place alerts go through, from the watcher and from the gateway.

    async with AlertManager(cfg.senders, throttle=Throttle(...)) as alerts:
        alerts.notify(order_failure("polymarket", token, "post-only would cross"))

`notify()` never blocks and never raises: it applies de-duplication and the rate limit
(throttle.py) and queues what passes; one task sends the queue in order to every sender, and
sends the de-dup / rate-limit summaries when their windows close. Leaving the `async with`
sends what is still queued (and the pending summaries) before returning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

import aiohttp

from alerts.model import Alert
from alerts.senders import Sender, deliver
from alerts.throttle import Throttle

log = logging.getLogger(__name__)

OnSent = Callable[[Alert, bool], Awaitable[None]]


@dataclass
class Stats:
    queued: int = 0
    delivered: int = 0
    failed: int = 0


class AlertManager:
    def __init__(
        self, senders: Sequence[Sender], *, throttle: Throttle | None = None,
        clock: Callable[[], float] = time.monotonic, on_sent: OnSent | None = None,
        timeout_s: float = 10.0, retry_after_s: float = 1.0,
    ) -> None:
        self.senders = tuple(senders)
        self.throttle = throttle or Throttle()
        self.clock = clock
        self.on_sent = on_sent  # e.g. record the alert (recorder Store.record_alert)
        self.stats = Stats()
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._queue: asyncio.Queue[Alert | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AlertManager:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        self._task = asyncio.create_task(self._run(), name="alerts-sender")
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        # The sender task is owned here and always awaited: on a clean exit it drains the
        # queue first; when the body failed it is cancelled and the body's error propagates
        # unchanged (not wrapped in an ExceptionGroup).
        assert self._task is not None
        try:
            if e is None:
                self._queue.put_nowait(None)
                await self._task
            else:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        finally:
            if self._session is not None:
                await self._session.close()

    def notify(self, alert: Alert) -> bool:
        """Queue the alert unless de-duplicated or rate-limited. True when queued."""
        if not self.throttle.admit(alert, self.clock()):
            return False
        self.stats.queued += 1
        self._queue.put_nowait(alert)
        return True

    async def flush(self) -> None:
        """Returns once everything queued so far has been sent (or given up on)."""
        await self._queue.join()

    async def _send(self, alert: Alert) -> None:
        assert self._session is not None
        ok = True
        for sender in self.senders:
            if not await deliver(self._session, sender, alert, retry_after_s=self.retry_after_s):
                ok = False
        if ok:
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
        log.info("alert %s key=%s delivered=%s: %s", alert.kind, alert.key, ok, alert.title)
        if self.on_sent is not None:
            try:
                await self.on_sent(alert, ok)
            except Exception:  # a recording failure must not stop alerting
                log.exception("alert on_sent hook failed")

    async def _run(self) -> None:
        while True:
            # A repeat suppressed meanwhile may bring a summary due sooner: look every second.
            due = self.throttle.next_due(self.clock())
            due = 1.0 if due is None else min(due, 1.0)
            try:
                async with asyncio.timeout(due):
                    item = await self._queue.get()
            except TimeoutError:
                for summary in self.throttle.expire(self.clock()):
                    self.stats.queued += 1
                    await self._send(summary)
                continue
            try:
                if item is None:  # closing: what is pending is sent, then stop
                    later = (self.clock() + self.throttle.dedup_window_s
                             + self.throttle.rate_window_s)
                    for summary in self.throttle.expire(later):
                        await self._send(summary)
                    return
                await self._send(item)
                for summary in self.throttle.expire(self.clock()):
                    self.stats.queued += 1
                    await self._send(summary)
            finally:
                self._queue.task_done()
