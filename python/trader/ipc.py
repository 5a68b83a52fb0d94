"""Asyncio client of the trader IPC socket (works on the default loop and on uvloop).

    client = await TraderClient.connect("/run/trader/trader.sock", client="gateway")
    verdict = await client.check(venue="polymarket", sym=token, side="buy", px=Decimal("0.53"),
                                 qty=Decimal("10"), ord="limit", tif="gtc", post_only=True,
                                 cid="mm-1")
    if isinstance(verdict, CheckOk): ...           # reservation verdict.res
    await client.close()

Many requests may be in flight at once (pipelining): each carries an id and its reply
resolves the matching future. Frames written in one loop iteration go out in one write
(a lone request is written at once, for latency).

Cancelling an awaiting request (e.g. with a timeout) does not cancel it in the trader: a
check the trader already approved stays reserved there (counted against the limits, the
safe direction) until a report releases it; its late reply is dropped here.

Fail closed: when the trader goes away (EOF, socket error, no frame for `hb_timeout`
seconds, a frame we cannot decode, an error that closes the connection) the client is
*gone*: every pending and future request raises TraderGone, `on_gone(reason)` is called
once, `wait_gone()` returns and `pushes()` ends. A gateway must stop trading on that
signal - it has lost its risk authority.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from typing import Any, cast

from trader import protocol as p

log = logging.getLogger(__name__)

PushCallback = Callable[[p.Push], None]
GoneCallback = Callable[[str], None]


class TraderGone(ConnectionError):
    """The trader connection is gone; nothing sent can be trusted to have been decided."""


class TraderError(Exception):
    """The trader answered a request with an error reply (the connection stays usable)."""

    def __init__(self, code: int, name: str, reason: str) -> None:
        super().__init__(f"{name} ({code}): {reason}")
        self.code = code
        self.name = name
        self.reason = reason


def now_ns() -> int:
    return time.time_ns()


_FIRST_REQUEST_ERROR = 20  # codes below are protocol errors that close the connection


class _Protocol(asyncio.Protocol):
    """Frames in, frames out. Owns the connection state; TraderClient is the API."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, on_push: PushCallback | None,
        on_gone: GoneCallback | None, max_queued_pushes: int,
    ) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.reader = p.FrameReader()
        self.pending: dict[int, asyncio.Future[p.Message]] = {}
        self.hello: asyncio.Future[p.HelloOk] = loop.create_future()
        self.on_push = on_push
        self.on_gone = on_gone
        self.pushes: deque[p.Push] = deque()
        self.max_queued_pushes = max_queued_pushes
        self.push_waiter: asyncio.Future[None] | None = None
        self.gone_reason: str | None = None
        self.gone_event = asyncio.Event()
        self.last_rx = loop.time()
        self.wbuf = bytearray()
        self.flush_scheduled = False
        self.hb_timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they quack alike
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.set_gone(f"connection lost: {exc}" if exc else "trader closed the connection")

    def data_received(self, data: bytes) -> None:
        self.last_rx = self.loop.time()
        try:
            for body in self.reader.feed(data):
                self.dispatch(p.decode_body(body, p.TO_CLIENT))
                if self.gone_reason is not None:
                    return
        except p.ProtocolError as e:
            self.set_gone(f"undecodable frame from trader: {e}")

    # -- inbound --

    def dispatch(self, msg: p.Message) -> None:
        tm = type(msg)
        if isinstance(msg, p.CheckOk | p.CheckReject | p.Ok | p.QueryOk):
            self.resolve(msg.id, msg)
        elif tm is p.Hb:
            return
        elif tm is p.Error:
            assert isinstance(msg, p.Error)
            fatal = msg.code < _FIRST_REQUEST_ERROR  # the trader closes after these
            if msg.id is not None and (msg.id in self.pending or not fatal):
                self.resolve(msg.id, msg)
            if fatal or msg.id is None:
                self.set_gone(f"trader error {msg.name}: {msg.reason}")
        elif tm is p.HelloOk:
            assert isinstance(msg, p.HelloOk)
            if self.hello.done():
                self.set_gone("unexpected second hello_ok")
            else:
                self.hello.set_result(msg)
        else:  # State, RefPrice, Event
            self.push(msg)  # type: ignore[arg-type]

    def resolve(self, rid: int, msg: p.Message) -> None:
        fut = self.pending.pop(rid, None)
        if fut is None:
            # a reply to nothing we asked: the stream is out of step, trust nothing
            self.set_gone(f"reply for unknown request id {rid}")
            return
        if not fut.done():
            fut.set_result(msg)

    def push(self, msg: p.Push) -> None:
        if self.on_push is not None:
            self.on_push(msg)
            return
        if len(self.pushes) >= self.max_queued_pushes:
            self.set_gone("push consumer too slow")
            return
        self.pushes.append(msg)
        w = self.push_waiter
        if w is not None and not w.done():
            w.set_result(None)

    # -- outbound (coalesced: one write per loop iteration) --

    def send(self, frame: bytes) -> None:
        if self.gone_reason is not None:
            raise TraderGone(self.gone_reason)
        if not self.pending and not self.wbuf and self.transport is not None:
            # nothing in flight: a lone request, write now for the lowest latency
            self.transport.write(frame)
            return
        self.wbuf += frame
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        if self.wbuf and self.transport is not None and self.gone_reason is None:
            self.transport.write(bytes(self.wbuf))
        self.wbuf.clear()

    # -- liveness --

    def start_heartbeats(self, interval: float, timeout: float) -> None:
        def tick() -> None:
            if self.gone_reason is not None:
                return
            silent = self.loop.time() - self.last_rx
            if silent > timeout:
                self.set_gone(f"no frame from trader for {silent:.1f} s (timeout {timeout} s)")
                return
            self.send(p.encode(p.Hb(ts=now_ns())))
            self.hb_timer = self.loop.call_later(interval, tick)

        self.hb_timer = self.loop.call_later(interval, tick)

    def set_gone(self, reason: str, *, graceful: bool = False) -> None:
        """Enter the terminal state. graceful: our own close, let queued bytes drain."""
        if self.gone_reason is not None:
            return
        self.gone_reason = reason
        (log.info if graceful else log.error)("trader gone: %s", reason)
        if self.hb_timer is not None:
            self.hb_timer.cancel()
        err = TraderGone(reason)
        if not self.hello.done():
            self.hello.set_exception(err)
            self.hello.exception()  # mark retrieved: connect() may already have given up
        pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(err)
        if self.transport is not None:
            if graceful:
                self.transport.close()
            else:
                self.transport.abort()
        w = self.push_waiter
        if w is not None and not w.done():
            w.set_result(None)
        self.gone_event.set()
        if self.on_gone is not None:
            self.on_gone(reason)




class TraderClient:
    """One connection to `trader`. Create with `await TraderClient.connect(path)`."""

    def __init__(self, proto: _Protocol, hello: p.HelloOk) -> None:
        self._proto = proto
        self._next_id = 0
        self.jseq = hello.jseq
        self.server = hello.server

    @classmethod
    async def connect(
        cls, path: str, *, client: str = "gateway", hb_interval: float = 1.0,
        hb_timeout: float = 3.0, connect_timeout: float = 5.0,
        on_push: PushCallback | None = None, on_gone: GoneCallback | None = None,
        max_queued_pushes: int = 100_000,
    ) -> TraderClient:
        """Connect and handshake. Raises TraderGone (or OSError) if the trader is not there."""
        loop = asyncio.get_running_loop()
        proto = _Protocol(loop, on_push, on_gone, max_queued_pushes)
        async with asyncio.timeout(connect_timeout):
            await loop.create_unix_connection(lambda: proto, path)
            proto.send(p.encode(p.Hello(v=p.PROTOCOL_VERSION, client=client)))
            try:
                hello = await proto.hello
            except BaseException:
                proto.set_gone("handshake did not complete")
                raise
        proto.start_heartbeats(hb_interval, hb_timeout)
        return cls(proto, hello)

    # -- state --

    @property
    def gone(self) -> bool:
        return self._proto.gone_reason is not None

    @property
    def gone_reason(self) -> str | None:
        return self._proto.gone_reason

    async def wait_gone(self) -> str:
        await self._proto.gone_event.wait()
        return self._proto.gone_reason or ""

    @property
    def in_flight(self) -> int:
        return len(self._proto.pending)

    async def close(self) -> None:
        """Close on purpose (pending requests fail with TraderGone)."""
        self._proto.flush()
        self._proto.set_gone("closed by client", graceful=True)

    # -- requests --

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def _call_frame(self, frame: bytes, rid: int) -> p.Message:
        proto = self._proto
        proto.send(frame)  # raises TraderGone when gone; the write happens next iteration
        fut: asyncio.Future[p.Message] = proto.loop.create_future()
        proto.pending[rid] = fut
        return await fut

    async def _call_ok(self, msg: p.Message, rid: int) -> p.Message:
        # encode first: invalid arguments raise ProtocolError here and nothing is sent
        rep = await self._call_frame(p.encode(msg), rid)
        if isinstance(rep, p.Error):
            raise TraderError(rep.code, rep.name, rep.reason)
        return rep

    async def check(
        self, *, venue: p.Venue, sym: str, side: p.Side, px: Decimal, qty: Decimal,
        ord: p.OrdType = "limit", tif: p.Tif = "gtc", post_only: bool = False, cid: str,
        exp: int | None = None,
    ) -> p.CheckOk | p.CheckReject:
        """Pre-trade check. CheckOk carries the reservation id to report against."""
        self._next_id += 1
        rid = self._next_id
        frame = p.encode_check(id=rid, venue=venue, sym=sym, side=side, px=px, qty=qty,
                               ord=ord, tif=tif, post_only=post_only, cid=cid, exp=exp)
        rep = await self._call_frame(frame, rid)
        if type(rep) is p.CheckOk or type(rep) is p.CheckReject:
            return rep
        if isinstance(rep, p.Error):
            raise TraderError(rep.code, rep.name, rep.reason)
        reason = f"unexpected reply to check: {type(rep).__name__}"
        self._proto.set_gone(reason)
        raise TraderGone(reason)

    async def report(
        self, *, res: int, kind: p.ReportKind, ts: int, voi: str | None = None,
        tid: str | None = None, px: Decimal | None = None, qty: Decimal | None = None,
        fee: Decimal | None = None, fee_ccy: str | None = None, liq: p.Liquidity | None = None,
        reason: str | None = None,
    ) -> None:
        """Venue report on a reservation; returns once the trader has accepted it."""
        rid = self._new_id()
        await self._call_ok(
            p.Report(id=rid, res=res, kind=kind, voi=voi, tid=tid, px=px, qty=qty, fee=fee,
                     fee_ccy=fee_ccy, liq=liq, reason=reason, ts=ts),
            rid,
        )

    def mark(self, *, venue: p.Venue, sym: str, px: Decimal, ts: int) -> None:
        """Mark price, fire and forget (no id, no reply)."""
        self._proto.send(p.encode(p.Mark(venue=venue, sym=sym, px=px, ts=ts)))

    async def register_instrument(self, inst: p.Instrument) -> None:
        """Register an instrument; `inst.id` is replaced by a fresh request id."""
        rid = self._new_id()
        fields = {k: getattr(inst, k) for k in p.message_fields(p.Instrument)}
        await self._call_ok(p.Instrument(**(fields | {"id": rid})), rid)

    async def resolve(self, *, venue: p.Venue, sym: str, px: Decimal, ts: int) -> None:
        """A binary outcome settled at px ("1" won, "0" lost)."""
        rid = self._new_id()
        await self._call_ok(p.Resolve(id=rid, venue=venue, sym=sym, px=px, ts=ts), rid)

    async def query(self, what: p.QueryWhat) -> dict[str, Any]:
        rid = self._new_id()
        rep = await self._call_ok(p.Query(id=rid, what=what), rid)
        assert isinstance(rep, p.QueryOk), rep
        return rep.data

    async def subscribe(self, topics: Iterable[p.Topic]) -> None:
        rid = self._new_id()
        await self._call_ok(p.Subscribe(id=rid, topics=tuple(topics)), rid)

    async def kill(self, reason: str) -> None:
        rid = self._new_id()
        await self._call_ok(p.Kill(id=rid, reason=reason), rid)

    async def unkill(self, reason: str) -> None:
        rid = self._new_id()
        await self._call_ok(p.Unkill(id=rid, reason=reason), rid)

    # -- pushes --

    async def pushes(self) -> AsyncIterator[p.Push]:
        """Pushes (state, refprice, event) in arrival order; ends when the client is gone.

        Only when no on_push callback was given to connect()."""
        proto = self._proto
        while True:
            while proto.pushes:
                yield proto.pushes.popleft()
            if proto.gone_reason is not None:
                return
            proto.push_waiter = proto.loop.create_future()
            try:
                await proto.push_waiter
            finally:
                proto.push_waiter = None


@contextlib.asynccontextmanager
async def connected(path: str, **kwargs: Any) -> AsyncIterator[TraderClient]:
    """`async with connected(path) as client:` - closes the client on exit."""
    client = await TraderClient.connect(path, **kwargs)
    try:
        yield client
    finally:
        await client.close()
