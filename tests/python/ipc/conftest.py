"""A small asyncio stand-in for the trader's IPC server, for testing the Python client.

It speaks the same framing and messages (decoded with trader.protocol, whose codec is
pinned by the shared vectors) and can misbehave on demand: go silent, reply out of order,
send garbage, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from trader import protocol as p


class FakeTrader:
    def __init__(self, path: str, *, hb_interval: float = 0.05, jseq: int = 7) -> None:
        self.path = path
        self.hb_interval = hb_interval
        self.jseq = jseq
        self.silent = False  # no hb, no replies
        self.reverse_batch = 0  # >0: hold checks and answer each batch in reverse order
        self.version_reply: int | None = None  # answer hello with a VERSION error
        self.received: list[p.Message] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.topics: dict[asyncio.StreamWriter, tuple[str, ...]] = {}
        self.next_res = 0
        self._held: list[p.Check] = []
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._handle, self.path)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in self.writers:
            w.close()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def broadcast(self, msg: p.Message, topic: str) -> None:
        for w, topics in self.topics.items():
            if topic in topics:
                w.write(p.encode(msg))

    def send_raw(self, data: bytes) -> None:
        for w in self.writers:
            w.write(data)

    def close_all(self) -> None:
        for w in self.writers:
            w.close()

    async def _heartbeats(self, w: asyncio.StreamWriter) -> None:
        while not w.is_closing():
            await asyncio.sleep(self.hb_interval)
            if not self.silent:
                w.write(p.encode(p.Hb(ts=time.time_ns())))

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.writers.append(w)
        hb = asyncio.create_task(self._heartbeats(w))
        try:
            while True:
                (n,) = p._HDR.unpack(await r.readexactly(4))
                msg = p.decode_body(await r.readexactly(n), p.TO_SERVER)
                self.received.append(msg)
                if not self.silent:
                    self._answer(msg, w)
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            hb.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hb
            self.topics.pop(w, None)
            w.close()
            self._tasks.discard(task)

    def _answer(self, msg: p.Message, w: asyncio.StreamWriter) -> None:
        out: p.Message | None = None
        if isinstance(msg, p.Hello):
            if self.version_reply is not None:
                out = p.Error(code=p.Code.VERSION, name="VERSION", reason="speak v1")
            else:
                out = p.HelloOk(v=1, server="fake", jseq=self.jseq)
        elif isinstance(msg, p.Check):
            if self.reverse_batch:
                self._held.append(msg)
                if len(self._held) == self.reverse_batch:
                    for c in reversed(self._held):
                        w.write(p.encode(self._verdict(c)))
                    self._held.clear()
                return
            out = self._verdict(msg)
        elif isinstance(msg, p.Report):
            out = (p.Error(id=msg.id, code=20, name="UNKNOWN_RES", reason="no such reservation")
                   if msg.res == 0 else p.Ok(id=msg.id))
        elif isinstance(msg, p.Mark):
            out = p.Ok(id=msg.id) if msg.id is not None else None
        elif isinstance(msg, p.Query):
            out = p.QueryOk(id=msg.id, data={"what": msg.what, "seen": len(self.received)})
        elif isinstance(msg, p.Subscribe):
            self.topics[w] = msg.topics
            out = p.Ok(id=msg.id)
        elif isinstance(msg, p.Kill):
            w.write(p.encode(p.Ok(id=msg.id)))
            self.broadcast(p.State(scope="global", state="HALTED", reason=msg.reason, ts=1),
                           "state")
        elif isinstance(msg, p.Unkill | p.Instrument | p.Resolve):
            out = p.Ok(id=msg.id)
        if out is not None:
            w.write(p.encode(out))

    def _verdict(self, c: p.Check) -> p.Message:
        if c.sym == "REJECT":
            return p.CheckReject(id=c.id, code=3, name="MAX_POSITION", reason="too big")
        self.next_res += 1
        return p.CheckOk(id=c.id, res=self.next_res)


@pytest.fixture
def sock_path() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="ipc", dir="/tmp")  # short: sun_path is 108 bytes
    yield str(Path(d) / "t.sock")
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fake_cls() -> type[FakeTrader]:
    """The class itself, for tests that run their own loop (uvloop)."""
    return FakeTrader


@pytest.fixture
async def fake(sock_path: str) -> AsyncIterator[FakeTrader]:
    server = FakeTrader(sock_path)
    await server.start()
    yield server
    await server.stop()
