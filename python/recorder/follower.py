"""One follow connection to `trader`: hello, `follow {from_seq}`, then a stream of Jrec.

The recorder's own small client (not trader.ipc.TraderClient) because it needs real flow
control: when the recorder falls behind (Postgres slow or down) this protocol stops reading
the socket (`pause_reading`), the kernel buffer fills, and the trader stops reading its
journal file for us (it paces followers on their queued output). Nothing piles up in memory
on either side; the journal on disk is the buffer.

Heartbeats go out every second whatever the consumer is doing, so a recorder waiting for
Postgres is not disconnected by the trader's liveness check.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import cast

from trader import protocol as p

log = logging.getLogger(__name__)

HIGH_WATER = 4096     # queued records before we stop reading the socket
LOW_WATER = 1024


class FollowGone(ConnectionError):
    """The trader connection ended (EOF, error frame, undecodable frame, silence)."""


class _Proto(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.reader = p.FrameReader()
        self.queue: deque[p.Message] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.gone: str | None = None
        self.paused = False
        self.last_rx = loop.time()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.set_gone(f"connection lost: {exc}" if exc else "trader closed the connection")

    def data_received(self, data: bytes) -> None:
        self.last_rx = self.loop.time()
        try:
            for body in self.reader.feed(data):
                msg = p.decode_body(body, p.TO_CLIENT)
                if type(msg) is p.Hb:
                    continue
                self.queue.append(msg)
        except p.ProtocolError as e:
            self.set_gone(f"undecodable frame from trader: {e}")
            return
        if len(self.queue) >= HIGH_WATER and not self.paused and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def _wake(self) -> None:
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    def set_gone(self, reason: str) -> None:
        if self.gone is None:
            self.gone = reason
            if self.transport is not None:
                self.transport.abort()
        self._wake()

    def send(self, msg: p.Message) -> None:
        if self.gone is not None or self.transport is None:
            raise FollowGone(self.gone or "not connected")
        self.transport.write(p.encode(msg))

    async def next(self) -> p.Message:
        while not self.queue:
            if self.gone is not None:
                raise FollowGone(self.gone)
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        msg = self.queue.popleft()
        if self.paused and len(self.queue) <= LOW_WATER and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
            self.last_rx = self.loop.time()  # silence while paused was ours, not the trader's
        return msg


class Follow:
    """A connected follow stream. Use `async with await Follow.open(...)`."""

    def __init__(self, proto: _Proto, jseq: int, hb_task: asyncio.Task[None]) -> None:
        self._proto = proto
        self.jseq = jseq                     # trader's last journal seq at hello
        self._hb_task = hb_task
        self.next_seq = 0

    @classmethod
    async def open(cls, path: str, from_seq: int, *, hb_interval: float = 1.0,
                   hb_timeout: float = 5.0, connect_s: float = 5.0) -> Follow:
        """Connect, handshake and start following at from_seq. Raises OSError/FollowGone."""
        loop = asyncio.get_running_loop()
        proto = _Proto(loop)
        async with asyncio.timeout(connect_s):
            await loop.create_unix_connection(lambda: proto, path)
            proto.send(p.Hello(v=p.PROTOCOL_VERSION, client="recorder"))
            hello = await proto.next()
            if not isinstance(hello, p.HelloOk):
                proto.set_gone(f"expected hello_ok, got {type(hello).__name__}")
                raise FollowGone(proto.gone or "")
        hb = asyncio.create_task(_heartbeat(proto, hb_interval, hb_timeout))
        f = cls(proto, hello.jseq, hb)
        f.next_seq = max(from_seq, 1)
        return f

    async def start(self, reply_s: float = 5.0) -> None:
        """Send follow and wait for its ok."""
        self._proto.send(p.Follow(id=1, from_seq=self.next_seq))
        async with asyncio.timeout(reply_s):
            while True:
                msg = await self._proto.next()
                if isinstance(msg, p.Ok) and msg.id == 1:
                    return
                if isinstance(msg, p.Error):
                    self._proto.set_gone(f"follow refused: {msg.name}: {msg.reason}")
                    raise FollowGone(self._proto.gone or "")
                # pushes before the ok cannot be jrecs (the trader pumps after the reply)

    async def next_batch(self, max_records: int) -> list[p.Jrec]:
        """Wait for at least one record, then take what is already here, up to max_records.

        Checks that seqs are consecutive from where we started; anything else is a broken
        stream (FollowGone), never a silently skipped record."""
        out: list[p.Jrec] = []
        proto = self._proto
        while True:
            if out and not proto.queue:
                return out
            msg = await proto.next()
            if isinstance(msg, p.Jrec):
                if msg.seq != self.next_seq:
                    proto.set_gone(f"journal seq {msg.seq} where {self.next_seq} was due")
                    raise FollowGone(proto.gone or "")
                self.next_seq += 1
                out.append(msg)
                if len(out) >= max_records:
                    return out
            elif isinstance(msg, p.Error):
                proto.set_gone(f"trader error {msg.name}: {msg.reason}")
                raise FollowGone(proto.gone or "")
            # state/event pushes are not subscribed to; anything else is ignored

    async def close(self) -> None:
        self._hb_task.cancel()
        try:
            await self._hb_task
        except asyncio.CancelledError:
            if (t := asyncio.current_task()) is not None and t.cancelling():
                raise
        self._proto.set_gone("closed by recorder")

    async def __aenter__(self) -> Follow:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _heartbeat(proto: _Proto, interval: float, silence_s: float) -> None:
    while proto.gone is None:
        await asyncio.sleep(interval)
        # paused reading also stops our view of the trader's heartbeats: only judge
        # silence while we are actually reading
        if proto.loop.time() - proto.last_rx > silence_s and not proto.paused:
            proto.set_gone(f"no frame from trader for {silence_s} s")
            return
        try:
            proto.send(p.Hb(ts=time.time_ns()))
        except FollowGone:
            return
