"""Market streams over real WebSockets: Spot diff-depth U/u continuity, the skip fault,
envelopes, pings with their pong deadline, serverShutdown."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from bn_harness import Sim, start_sim


async def next_json(ws: aiohttp.ClientWebSocketResponse) -> Any:
    while True:
        msg = await ws.receive(timeout=5.0)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        if msg.type == aiohttp.WSMsgType.PING:
            await ws.pong(msg.data)
            continue
        raise AssertionError(f"unexpected frame {msg.type}")


async def test_depth_sequence_is_continuous(http: aiohttp.ClientSession, live_sim: Sim
                                            ) -> None:
    url = f"{live_sim.ws_streams}/stream?streams=btcusdt@depth@100ms/btcusdt@trade"
    async with http.ws_connect(url, autoping=False) as ws:
        last_u = None
        depth_events = 0
        while depth_events < 15:
            frame = await next_json(ws)
            assert set(frame) == {"stream", "data"}
            data = frame["data"]
            if frame["stream"] == "btcusdt@trade":
                assert data["e"] == "trade"
                continue
            assert frame["stream"] == "btcusdt@depth@100ms"
            assert set(data) == {"e", "E", "s", "U", "u", "b", "a"}  # Spot: no T, no pu
            assert data["U"] <= data["u"]
            if last_u is not None:
                assert data["U"] == last_u + 1
            last_u = data["u"]
            depth_events += 1


async def test_snapshot_then_diffs_rebuild_the_book(http: aiohttp.ClientSession, live_sim: Sim
                                                    ) -> None:
    """The documented procedure: buffer, snapshot, drop u <= lastUpdateId, apply."""
    url = f"{live_sim.ws_streams}/ws/ethusdt@depth@100ms"
    async with http.ws_connect(url, autoping=False) as ws:
        first = await next_json(ws)
        async with http.get(f"{live_sim.rest}/api/v3/depth",
                            params={"symbol": "ETHUSDT", "limit": "5000"}) as resp:
            snap = await resp.json()
        assert snap["lastUpdateId"] >= first["U"] - 1
        bids = {p: q for p, q in snap["bids"]}
        asks = {p: q for p, q in snap["asks"]}
        book_id = snap["lastUpdateId"]
        applied = 0
        while applied < 10:
            event = await next_json(ws)
            if event["u"] <= book_id:
                continue
            assert event["U"] <= book_id + 1 <= event["u"]
            for side, levels in ((bids, event["b"]), (asks, event["a"])):
                for price, qty in levels:
                    if float(qty) == 0:
                        side.pop(price, None)
                    else:
                        side[price] = qty
            book_id = event["u"]
            applied += 1
        assert max(map(float, bids)) < min(map(float, asks))


async def test_skip_depth_fault_makes_a_gap(http: aiohttp.ClientSession, live_sim: Sim
                                            ) -> None:
    url = f"{live_sim.ws_streams}/ws/solusdt@depth@100ms"
    async with http.ws_connect(url, autoping=False) as ws:
        previous = await next_json(ws)
        async with http.post(f"{live_sim.rest}/_sim/faults", json={"skip_depth": 1}) as resp:
            assert resp.status == 200
        gaps = 0
        for _ in range(8):
            event = await next_json(ws)
            if event["U"] != previous["u"] + 1:
                gaps += 1
                assert event["U"] > previous["u"] + 1
            previous = event
        assert gaps == 1


async def test_book_ticker_and_controls(http: aiohttp.ClientSession, live_sim: Sim) -> None:
    async with http.ws_connect(f"{live_sim.ws_streams}/ws/btcusdt@bookTicker",
                               autoping=False) as ws:
        ticker = await next_json(ws)
        assert set(ticker) == {"u", "s", "b", "B", "a", "A"}  # Spot: no e, E, T
        assert float(ticker["b"]) < float(ticker["a"])
        await ws.send_json({"method": "SUBSCRIBE", "params": ["xrpusdt@trade"], "id": 7})
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 8})
        replies = {}
        while len(replies) < 2:
            frame = await next_json(ws)
            if "id" in frame:
                replies[frame["id"]] = frame
        assert replies[7] == {"result": None, "id": 7}
        assert replies[8] == {"result": ["btcusdt@bookTicker", "xrpusdt@trade"], "id": 8}
    async with http.get(f"{live_sim.ws_streams}/ws/nosuch@depth") as resp:
        assert resp.status == 400


async def test_ping_and_pong_deadline() -> None:
    """At --speed 30 the 20 s ping comes every 0.67 s and the 60 s pong deadline is 2 s:
    a client that never answers is disconnected, one that answers stays."""
    sim = start_sim(["--seed", "2", "--speed", "30", "--no-flow"])
    try:
        async with aiohttp.ClientSession() as http:
            url = f"{sim.ws_streams}/ws/btcusdt@trade"
            async with http.ws_connect(url, autoping=False) as silent, \
                    http.ws_connect(url, autoping=True) as polite:
                msg = await silent.receive(timeout=3)
                assert msg.type == aiohttp.WSMsgType.PING
                loop = asyncio.get_running_loop()
                start = loop.time()
                while True:
                    msg = await silent.receive(timeout=5)
                    if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                    aiohttp.WSMsgType.CLOSING):
                        break
                assert loop.time() - start < 4.0
                assert not polite.closed
    finally:
        sim.stop()


async def test_server_shutdown_event(http: aiohttp.ClientSession, live_sim: Sim) -> None:
    async with http.ws_connect(f"{live_sim.ws_streams}/stream?streams=btcusdt@trade",
                               autoping=True) as ws:
        await asyncio.sleep(0.2)
        async with http.post(f"{live_sim.rest}/_sim/faults", json={"server_shutdown": True}):
            pass
        while True:
            frame = await next_json(ws)
            if frame["stream"] == "!serverShutdown":
                assert frame["data"]["e"] == "serverShutdown"
                break
        msg = await ws.receive(timeout=5)
        while msg.type == aiohttp.WSMsgType.TEXT:
            msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
