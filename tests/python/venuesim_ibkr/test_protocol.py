"""The wire as a hand-written client sees it: handshake, pacing, errors, faults, admin port."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

import pytest

UNSET_SPELLINGS = ("", "1.7976931348623157E308", "1.7976931348623157e+308")


async def test_handshake_and_start_api_sequence(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    reply = await c.handshake(100, 200)
    assert len(reply) == 2 and reply[0] == "176" and reply[1]    # version + connection time
    c.send(71, 2, 101, "")
    msgs = await c.recv_until(lambda m: m[0] == "4" and m[3] == "2158")
    assert msgs[0][:2] == ["9", "1"] and int(msgs[0][2]) >= 1
    assert msgs[1] == ["15", "1", "DU123456"]
    assert [(m[0], m[2], m[3]) for m in msgs[2:]] == [
        ("4", "-1", "2104"), ("4", "-1", "2106"), ("4", "-1", "2158")]
    c.send(49, 1)
    [msg] = await c.recv_until(lambda m: m[0] == "49")
    assert int(msg[2]) > 1_700_000_000
    await c.close()


async def test_client_below_176_is_refused_without_reply(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    body = b"v100..151"
    c.send_raw(b"API\0" + struct.pack(">I", len(body)) + body)
    assert await c.reader.read(100) == b""          # closed, nothing sent
    await c.close()


async def test_client_above_176_gets_version_then_is_dropped(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    reply = await c.handshake(177, 200)
    assert reply[0] == "176"
    assert await c.reader.read(100) == b""
    await c.close()
    assert sim.stats()["refused_handshakes"] >= 1


async def test_second_session_with_same_client_id_is_refused(sim: Any, raw_client: Any) -> None:
    a = await raw_client(sim)
    await a.connect(102)
    b = await raw_client(sim)
    await b.handshake()
    b.send(71, 2, 102, "")
    [msg] = await b.recv_until(lambda m: m[0] == "4")
    assert msg[3] == "326"
    assert await b.at_eof()
    await a.close()
    await b.close()


async def test_pacing_third_violation_closes(fresh_sim: Callable[..., Any],
                                             raw_client: Any) -> None:
    sim = fresh_sim()
    c = await raw_client(sim)
    await c.handshake()
    c.send(71, 2, 1, "")          # START_API is message 1 of this second
    for _ in range(51):
        c.send(49, 1)             # messages 2..52: the last two are over 50/s
    msgs = [await c.recv() for _ in range(5 + 49 + 2)]   # 5 = nextValidId, accounts, farms
    replies = [m for m in msgs if m[0] == "49"]
    errors = [m for m in msgs if m[0] == "4" and m[3] == "100"]
    assert len(replies) == 49 and len(errors) == 2
    assert errors[0][2] == "-1"
    assert errors[0][4] == "Max rate of messages per second has been exceeded."
    c.send(49, 1)                 # third violation inside the same second
    last = await c.recv()
    assert last[0] == "4" and last[3] == "100"
    assert await c.at_eof()
    stats = sim.stats()
    assert stats["pacing_violations"] == 3 and stats["paced_disconnects"] == 1


@pytest.mark.parametrize("unset", UNSET_SPELLINGS)
async def test_place_order_accepts_each_unset_double_spelling(
        sim: Any, raw_client: Any, lmt_order: Any, unset: str) -> None:
    c = await raw_client(sim)
    msgs = await c.connect(110 + UNSET_SPELLINGS.index(unset))
    order_id = int(msgs[0][2])
    c.send(*lmt_order(order_id, "BUY", "1", "1.00", unset=unset))
    opened = await c.recv_until(lambda m: m[0] == "3")
    open_order = next(m for m in opened if m[0] == "5")
    assert open_order[1] == str(order_id) and open_order[13:17] == ["BUY", "1", "LMT", "1.0"]
    assert len(open_order) == 136
    assert opened[-1][1:3] == [str(order_id), "Submitted"]
    c.send(4, 1, order_id, "")
    done = await c.recv_until(lambda m: m[0] == "4" and m[3] == "202")
    assert any(m[0] == "3" and m[2] == "Cancelled" for m in done)
    await c.close()


async def test_order_errors_on_the_wire(sim: Any, raw_client: Any, lmt_order: Any) -> None:
    c = await raw_client(sim)
    msgs = await c.connect(120)
    oid = int(msgs[0][2])
    c.send(*lmt_order(oid, "BUY", "1", "100.001"))
    [e110] = await c.recv_until(lambda m: m[0] == "4")
    assert e110[2:4] == [str(oid), "110"]
    assert e110[4] == ("The price does not conform to the minimum price variation for this "
                       "contract.")
    fields = lmt_order(oid + 1, "BUY", "1", "1.00")
    fields[3] = "NOPE"
    c.send(*fields)
    [e200] = await c.recv_until(lambda m: m[0] == "4")
    assert e200[2:4] == [str(oid + 1), "200"]
    c.send(*lmt_order(oid + 2, "BUY", "0.5", "1.00"))
    [e201] = await c.recv_until(lambda m: m[0] == "4")
    assert e201[2:4] == [str(oid + 2), "201"] and e201[4].startswith("Order rejected - reason:")
    c.send(*lmt_order(oid + 1, "BUY", "1", "1.00"))   # id below the highest used
    [e103] = await c.recv_until(lambda m: m[0] == "4")
    assert e103[2:4] == [str(oid + 1), "103"]
    c.send(4, 1, 999_999, "")
    [e10147] = await c.recv_until(lambda m: m[0] == "4")
    assert e10147[3] == "10147"
    await c.close()


async def test_snapshot_market_data(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    await c.connect(130)
    c.send(1, 11, 7, 12087792, "", "", "", 0.0, "", "", "IDEALPRO", "", "", "", "", 0, "",
           1, 0, "")
    msgs = await c.recv_until(lambda m: m[0] == "57")
    prices = {m[3]: float(m[4]) for m in msgs if m[0] == "1"}
    assert 0 < prices["1"] < prices["2"]           # bid below ask
    assert msgs[-1] == ["57", "1", "7"]
    c.send(1, 11, 8, 0, "ZZZ", "STK", "", 0.0, "", "", "SMART", "", "USD", "", "", 0, "",
           1, 0, "")
    [err] = await c.recv_until(lambda m: m[0] == "4")
    assert err[2:4] == ["8", "200"]
    await c.close()


async def test_connectivity_cycle_1100_then_1102(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    await c.connect(140)
    status, body = sim.post_faults({"connectivity_cycle": {"down_s": 0.2}})
    assert status == 200 and body["done"]["connectivity_cycle"] == 0.2
    msgs = await c.recv_until(lambda m: m[0] == "4" and m[3] == "1102")
    codes = [m[3] for m in msgs if m[0] == "4"]
    assert codes == ["1100", "1102"]
    await c.close()


async def test_fill_while_disconnected_is_reported_once_after_reconnect(
        fresh_sim: Callable[..., Any], raw_client: Any, lmt_order: Any) -> None:
    sim = fresh_sim()
    c = await raw_client(sim)
    msgs = await c.connect(5)
    oid = int(msgs[0][2])
    c.send(*lmt_order(oid, "BUY", "3", "1.00"))
    await c.recv_until(lambda m: m[0] == "3")
    status, body = sim.post_faults({"disconnect": True})
    assert status == 200 and body["done"]["disconnect"] == 1
    assert await c.at_eof()
    status, body = sim.post_faults({"fill_resting": True})
    assert body["done"]["fill_resting"] == 1
    c2 = await raw_client(sim)
    msgs = await c2.connect(5)
    assert int(msgs[0][2]) == oid + 1             # ids stay ahead of used ones
    c2.send(7, 3, 77, 0, "", "", "", "", "", "")
    got = await c2.recv_until(lambda m: m[0] == "55")
    execs = [m for m in got if m[0] == "11"]
    assert len(execs) == 1 and execs[0][1:3] == ["77", str(oid)]
    assert execs[0][18:21] == ["BOT", "3", "1.0"]
    assert sum(m[0] == "59" for m in got) == 1
    c2.send(5, 1)
    opened = await c2.recv_until(lambda m: m[0] == "53")
    assert opened == [["53", "1"]]                # filled orders are not open
    c2.send(61, 1)
    pos = await c2.recv_until(lambda m: m[0] == "62")
    # 3 shares at 1.00; commission capped at 1% of value (0.03), and IB's avgCost includes it
    assert [m[14:16] for m in pos if m[0] == "61"] == [["3", "1.01"]]
    await c2.close()


async def test_delayed_fills_fault(fresh_sim: Callable[..., Any], raw_client: Any,
                                   lmt_order: Any) -> None:
    sim = fresh_sim("--faults", "delay_fills=0.5", "--speed", "5")
    c = await raw_client(sim)
    msgs = await c.connect(6)
    oid = int(msgs[0][2])
    c.send(*lmt_order(oid, "BUY", "1", "10000.00"))    # marketable at once
    placed = await c.recv_until(lambda m: m[0] == "3")
    assert placed[-1][2] == "Submitted" and placed[-1][3] == "0"   # not filled on arrival
    filled = await c.recv_until(lambda m: m[0] == "3" and m[2] == "Filled", within=5)
    assert any(m[0] == "11" for m in filled)
    await c.close()


async def test_admin_rejects_bad_fault_requests(sim: Any) -> None:
    status, body = sim.post_faults({"delay_fills": "soon"})
    assert status == 400 and "delay_fills" in body["error"]
    status, body = sim.post_faults({"no_such_fault": 1})
    assert status == 400
    status, body = sim.post_faults({"set_mid": {"XYZ": "1"}})
    assert status == 400
    status, body = sim.post_faults({"connectivity_cycle": {"down_s": "x"}, "delay_fills": 1})
    assert status == 400
    stats = sim.stats()
    assert stats["faults"]["delay_fills"] == 0.0 and stats["server_version"] == 176


async def test_bad_length_prefix_closes(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    await c.connect(150)
    c.send_raw(struct.pack(">I", 0x1000000))
    assert await c.at_eof()
    await c.close()


async def test_requests_before_start_api_get_504(sim: Any, raw_client: Any) -> None:
    c = await raw_client(sim)
    await c.handshake()
    c.send(49, 1)
    msg = await asyncio.wait_for(c.recv(), 5)
    assert msg[0] == "4" and msg[3] == "504"
    await c.close()
