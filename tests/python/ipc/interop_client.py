"""Scripted session of the Python client against the real C server.

Run by tests/c/test_ipc_server.c (test_python_client_interop), which serves the socket from
c/ipc with a small test app: check -> check_ok (sym "REJECT" -> check_reject), report on
res 0 -> error UNKNOWN_RES, kill -> ok + state HALTED push, query status -> {client, conns}.

    python interop_client.py <socket path>     exit status 0 = every step as expected
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal

import uvloop

from trader import protocol as p
from trader.ipc import TraderClient, TraderError

D = Decimal


async def session(path: str) -> None:
    client = await TraderClient.connect(path, client="interop", hb_timeout=10)
    args = {"venue": "polymarket", "sym": "TOKEN", "side": "buy", "px": D("0.53"),
            "qty": D("10"), "ord": "limit", "tif": "gtc", "post_only": True, "cid": "i-1"}
    ok = await client.check(**args)  # type: ignore[arg-type]
    assert isinstance(ok, p.CheckOk), ok
    rej = await client.check(**(args | {"sym": "REJECT"}))  # type: ignore[arg-type]
    assert isinstance(rej, p.CheckReject) and rej.name == "MAX_POSITION", rej
    await client.report(res=ok.res, kind="fill", voi="v", tid="t", px=D("0.53"), qty=D("1"),
                        fee=D("-0.001"), fee_ccy="USDC", liq="maker", ts=1)
    try:
        await client.report(res=0, kind="cancel", ts=2)
        raise AssertionError("report on res 0 must fail")
    except TraderError as e:
        assert e.name == "UNKNOWN_RES", e
    data = await client.query("status")
    assert data == {"client": "interop", "conns": 1}, data
    await client.subscribe(["state"])
    await client.kill("interop test")
    pushes = client.pushes()
    state = await asyncio.wait_for(anext(pushes), 5)
    assert isinstance(state, p.State) and state.state == "HALTED", state
    verdicts = await asyncio.gather(*(client.check(**args) for _ in range(2000)))  # type: ignore[arg-type]
    assert len({v.res for v in verdicts if isinstance(v, p.CheckOk)}) == 2000
    client.mark(venue="binance", sym="BTCUSDT", px=D("64000.5"), ts=3)
    try:
        await client.check(**(args | {"px": 0.53}))  # type: ignore[arg-type]
        raise AssertionError("a float price must not be sent")
    except p.ProtocolError as e:
        assert e.code is p.Code.FLOAT_MONEY
    assert not client.gone
    await client.close()


def main() -> int:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(session(sys.argv[1]))
    print("interop ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
