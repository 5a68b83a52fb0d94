"""The asyncio client (python/trader/ipc.py) against a fake trader on a real Unix socket."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
import uvloop

from trader import protocol as p
from trader.ipc import TraderClient, TraderError, TraderGone

D = Decimal
CHECK: dict[str, Any] = {
    "venue": "polymarket", "sym": "TOKEN", "side": "buy", "px": D("0.53"), "qty": D("10"),
    "ord": "limit", "tif": "gtc", "post_only": True, "cid": "mm-1",
}


async def test_requests_and_replies(fake: Any) -> None:
    client = await TraderClient.connect(fake.path, client="gateway")
    assert client.jseq == 7 and client.server == "fake"
    ok = await client.check(**CHECK)
    assert isinstance(ok, p.CheckOk) and ok.res == 1
    rej = await client.check(**(CHECK | {"sym": "REJECT"}))
    assert isinstance(rej, p.CheckReject) and rej.name == "MAX_POSITION"
    await client.report(res=ok.res, kind="fill", voi="v1", tid="t1", px=D("0.53"), qty=D("5"),
                        fee=D("-0.01"), fee_ccy="USDC", liq="maker", ts=1)
    with pytest.raises(TraderError) as info:
        await client.report(res=0, kind="cancel", ts=2)
    assert info.value.code == 20 and info.value.name == "UNKNOWN_RES"
    assert not client.gone  # a request error leaves the connection usable
    client.mark(venue="binance", sym="BTCUSDT", px=D("64000.5"), ts=3)
    data = await client.query("status")
    assert data["what"] == "status"
    assert any(isinstance(m, p.Mark) and m.px == D("64000.5") for m in fake.received)
    await client.register_instrument(p.Instrument(
        id=0, venue="polymarket", sym="YES", kind="binary", market="0xc0", complement="NO",
        tick=D("0.01"), lot=D("0.01"), min_qty=D("5"), min_notional=D("1"), quote_ccy="USDC",
        usd_rate=D("1")))
    await client.resolve(venue="polymarket", sym="YES", px=D("1"), ts=4)
    await client.kill("test")
    await client.unkill("test")
    await client.close()
    assert client.gone


async def test_pipelined_requests_resolve_by_id(fake: Any) -> None:
    client = await TraderClient.connect(fake.path)
    results = await asyncio.gather(*(client.check(**CHECK) for _ in range(2000)))
    assert sorted(r.res for r in results if isinstance(r, p.CheckOk)) == list(range(1, 2001))
    # out-of-order replies still reach the right caller
    fake.reverse_batch = 10
    syms = [f"S{i}" for i in range(50)]
    verdicts = await asyncio.gather(*(client.check(**(CHECK | {"sym": s})) for s in syms))
    checks = {m.id: m.sym for m in fake.received if isinstance(m, p.Check)}
    for v in verdicts:
        assert isinstance(v, p.CheckOk)
    assert [checks[v.id] for v in verdicts] == syms
    assert client.in_flight == 0
    await client.close()


async def test_pushes_iterator_and_callback(fake: Any) -> None:
    got: list[p.Push] = []
    cb_client = await TraderClient.connect(fake.path, on_push=got.append)
    it_client = await TraderClient.connect(fake.path)
    await cb_client.subscribe(["state"])
    await it_client.subscribe(["state", "events"])
    await it_client.kill("operator")
    pushes = it_client.pushes()
    first = await asyncio.wait_for(anext(pushes), 5)
    assert isinstance(first, p.State) and first.state == "HALTED" and first.reason == "operator"
    await cb_client.query("status")  # the push was sent before this reply
    assert [type(m) for m in got] == [p.State]
    await it_client.close()
    assert [m async for m in pushes] == []  # the iterator ends when the client is gone
    await cb_client.close()


async def test_heartbeat_timeout_fails_closed(fake: Any) -> None:
    reasons: list[str] = []
    client = await TraderClient.connect(fake.path, hb_interval=0.05, hb_timeout=0.3,
                                        on_gone=reasons.append)
    await client.query("status")
    fake.silent = True
    pending = asyncio.ensure_future(client.check(**CHECK))
    reason = await asyncio.wait_for(client.wait_gone(), 5)
    assert "no frame from trader" in reason
    with pytest.raises(TraderGone):
        await pending
    with pytest.raises(TraderGone):
        await client.check(**CHECK)
    with pytest.raises(TraderGone):
        client.mark(venue="binance", sym="X", px=D("1"), ts=1)
    assert reasons == [reason]  # on_gone exactly once


async def test_client_sends_heartbeats(fake: Any) -> None:
    client = await TraderClient.connect(fake.path, hb_interval=0.02, hb_timeout=2)
    for _ in range(200):
        if sum(isinstance(m, p.Hb) for m in fake.received) >= 2:
            break
        await asyncio.sleep(0.01)
    assert sum(isinstance(m, p.Hb) for m in fake.received) >= 2
    await client.close()


@pytest.mark.parametrize(
    ("action", "expect"),
    [
        ("close", "closed the connection"),
        ("garbage", "undecodable"),
        ("fatal_error", "MALFORMED"),
        ("unknown_reply", "unknown request id"),
    ],
)
async def test_trader_failures_make_client_gone(fake: Any, action: str, expect: str) -> None:
    client = await TraderClient.connect(fake.path, hb_timeout=30)
    fake.silent = True
    pending = asyncio.ensure_future(client.check(**CHECK))
    await asyncio.sleep(0.05)
    if action == "close":
        fake.close_all()
    elif action == "garbage":
        fake.send_raw(b"\x00\x00\x00\x01\xc1")
    elif action == "fatal_error":
        fake.send_raw(p.encode(p.Error(code=2, name="MALFORMED", reason="bad frame")))
    else:
        fake.send_raw(p.encode(p.Ok(id=999)))
    reason = await asyncio.wait_for(client.wait_gone(), 5)
    assert expect in reason
    with pytest.raises(TraderGone):
        await pending


async def test_float_money_never_leaves_the_client(fake: Any) -> None:
    client = await TraderClient.connect(fake.path)
    with pytest.raises(p.ProtocolError) as info:
        await client.check(**(CHECK | {"px": 0.53}))
    assert info.value.code is p.Code.FLOAT_MONEY
    with pytest.raises(p.ProtocolError):
        await client.check(**(CHECK | {"qty": D("NaN")}))
    await client.query("status")
    assert not any(isinstance(m, p.Check) for m in fake.received)
    assert not client.gone
    await client.close()


async def test_version_refused(fake: Any) -> None:
    fake.version_reply = 2
    with pytest.raises(TraderGone):
        await TraderClient.connect(fake.path)


async def test_no_trader_listening(sock_path: str) -> None:
    with pytest.raises(OSError):
        await TraderClient.connect(sock_path)


def test_works_on_uvloop(sock_path: str, fake_cls: Any) -> None:
    async def main() -> int:
        server = fake_cls(sock_path)
        await server.start()
        try:
            client = await TraderClient.connect(sock_path)
            out = await asyncio.gather(*(client.check(**CHECK) for _ in range(100)))
            await client.close()
            return len(out)
        finally:
            await server.stop()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()) == 100
