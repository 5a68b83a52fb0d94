"""The simulator's local Polygon: JSON-RPC for web3.py, the faucet, the contracts at
their real addresses, raw-transaction checks and on-chain settlement of CLOB trades."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from eth_account import Account
from pm_harness import ADDR0, ADDR1, ADDR2, ADDR3, ADDR4, KEY0, KEY3, KEY4, SimProcess
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import OrderArgsV2, OrderType
from web3 import Web3
from web3.exceptions import Web3RPCError

# Official Polygon addresses (shared/research/polymarket.md section 2).
USDC_E = "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174"
PUSD = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"
ONRAMP = "0x93070a847efEf7F70739046A929D47a521F5B8ee"
CTF = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
MAX = 2**256 - 1

ERC20_ABI: list[dict[str, Any]] = [
    {"name": n, "type": "function", "stateMutability": "view", "inputs": i,
     "outputs": [{"name": "", "type": o}]}
    for n, i, o in [
        ("balanceOf", [{"name": "a", "type": "address"}], "uint256"),
        ("allowance", [{"name": "o", "type": "address"}, {"name": "s", "type": "address"}],
         "uint256"),
        ("decimals", [], "uint8"), ("symbol", [], "string")]] + [
    {"name": "transfer", "type": "function", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "v", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"name": "approve", "type": "function", "stateMutability": "nonpayable",
     "inputs": [{"name": "s", "type": "address"}, {"name": "v", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]}]
ONRAMP_ABI: list[dict[str, Any]] = [
    {"name": "wrap", "type": "function", "stateMutability": "nonpayable", "outputs": [],
     "inputs": [{"name": "_asset", "type": "address"}, {"name": "_to", "type": "address"},
                {"name": "_amount", "type": "uint256"}]}]
CTF_ABI: list[dict[str, Any]] = [
    {"name": "balanceOf", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "o", "type": "address"}, {"name": "id", "type": "uint256"}],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "isApprovedForAll", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "o", "type": "address"}, {"name": "op", "type": "address"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"name": "getCollectionId", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "p", "type": "bytes32"}, {"name": "c", "type": "bytes32"},
                {"name": "i", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bytes32"}]},
    {"name": "getPositionId", "type": "function", "stateMutability": "pure",
     "inputs": [{"name": "t", "type": "address"}, {"name": "c", "type": "bytes32"}],
     "outputs": [{"name": "", "type": "uint256"}]}]


@pytest.fixture(scope="module")
def chain_sim() -> Iterator[SimProcess]:
    wallets = [{"address": ADDR0, "collateral": "1000", "usdc": "0", "approved": True},
               {"address": ADDR1, "collateral": "1000", "usdc": "0", "approved": False},
               {"address": ADDR2, "collateral": "0", "usdc": "50", "approved": False},
               {"address": ADDR3, "collateral": "5", "usdc": "20"},
               {"address": ADDR4, "collateral": "1000", "usdc": "0", "approved": True}]
    s = SimProcess(["--seed", "5", "--no-flow", "--speed", "5"], wallets)
    yield s
    s.stop()


def _w3(sim: SimProcess) -> Web3:
    return Web3(Web3.HTTPProvider(sim.urls["rpc"]))


def _market(sim: SimProcess) -> dict[str, Any]:
    for m in httpx.get(f"{sim.urls['gamma']}/markets").json():
        if m["acceptingOrders"] and not m["negRisk"] and not m["feesEnabled"] \
                and m["orderPriceMinTickSize"] == 0.01:
            return dict(m)
    raise AssertionError("no open market")


def test_web3_reads_faucet_funding(chain_sim: SimProcess) -> None:
    assert chain_sim.urls["rpc"].endswith("/rpc")
    w3 = _w3(chain_sim)
    assert w3.eth.chain_id == 137 and w3.net.version == "137"
    for addr in (USDC_E, PUSD, ONRAMP, CTF, EXCHANGE_V2, NEG_RISK_EXCHANGE_V2):
        assert len(w3.eth.get_code(Web3.to_checksum_address(addr))) > 100, addr
    pusd = w3.eth.contract(address=Web3.to_checksum_address(PUSD), abi=ERC20_ABI)
    usdc = w3.eth.contract(address=Web3.to_checksum_address(USDC_E), abi=ERC20_ABI)
    ctf = w3.eth.contract(address=Web3.to_checksum_address(CTF), abi=CTF_ABI)
    assert pusd.functions.decimals().call() == 6 and usdc.functions.decimals().call() == 6
    assert pusd.functions.symbol().call() == "pUSD"
    assert pusd.functions.balanceOf(ADDR0).call() == 1000 * 10**6
    assert usdc.functions.balanceOf(ADDR2).call() == 50 * 10**6
    assert pusd.functions.balanceOf(ADDR2).call() == 0
    # approved: true -> max pUSD allowance and CTF operator approval on the V2 exchanges
    for ex in (EXCHANGE_V2, NEG_RISK_EXCHANGE_V2):
        assert pusd.functions.allowance(ADDR0, ex).call() == MAX
        assert ctf.functions.isApprovedForAll(ADDR0, ex).call() is True
        assert pusd.functions.allowance(ADDR1, ex).call() == 0
        assert ctf.functions.isApprovedForAll(ADDR1, ex).call() is False
    assert w3.eth.get_balance(ADDR2) > 0  # gas money from the faucet
    block = w3.eth.get_block("latest")
    assert block["number"] == w3.eth.block_number > 0


def test_token_ids_are_ctf_position_ids(chain_sim: SimProcess) -> None:
    ctf = _w3(chain_sim).eth.contract(address=Web3.to_checksum_address(CTF), abi=CTF_ABI)
    m = _market(chain_sim)
    tokens = json.loads(m["clobTokenIds"])
    for index_set, token in ((1, tokens[0]), (2, tokens[1])):
        coll = ctf.functions.getCollectionId(b"\x00" * 32, bytes.fromhex(m["conditionId"][2:]),
                                             index_set).call()
        assert str(ctf.functions.getPositionId(USDC_E, coll).call()) == token


def _raw_transfer(w3: Web3, key: str, to: str, amount: int, *, chain_id: int = 137,
                  nonce: int | None = None) -> bytes:
    acct = Account.from_key(key)
    pusd = w3.eth.contract(address=Web3.to_checksum_address(PUSD), abi=ERC20_ABI)
    tx = pusd.functions.transfer(to, amount).build_transaction({
        "from": acct.address, "chainId": chain_id, "gas": 100_000,
        "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(acct.address) if nonce is None else nonce})
    return bytes(acct.sign_transaction(tx).raw_transaction)


def test_raw_transactions_are_verified(chain_sim: SimProcess) -> None:
    w3 = _w3(chain_sim)
    pusd = w3.eth.contract(address=Web3.to_checksum_address(PUSD), abi=ERC20_ABI)
    before = chain_sim.stats()["chain"]["raw_transactions"]
    good = _raw_transfer(w3, KEY3, ADDR1, 1_000_000)
    bad = bytearray(good)
    bad[-5] ^= 0x55  # corrupt s: the signature no longer verifies (or recovers to a stranger)
    with pytest.raises(Web3RPCError):
        w3.eth.send_raw_transaction(bytes(bad))
    with pytest.raises(Web3RPCError, match="chain id"):
        w3.eth.send_raw_transaction(_raw_transfer(w3, KEY3, ADDR1, 1_000_000, chain_id=1))
    assert chain_sim.stats()["chain"]["raw_transactions"] == before
    assert pusd.functions.balanceOf(ADDR3).call() == 5 * 10**6
    tx_hash = w3.eth.send_raw_transaction(good)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert receipt["status"] == 1
    assert w3.eth.get_transaction(tx_hash)["from"] == ADDR3
    assert pusd.functions.balanceOf(ADDR3).call() == 4 * 10**6
    assert chain_sim.stats()["chain"]["raw_transactions"] == before + 1


def test_wrap_through_the_onramp(chain_sim: SimProcess) -> None:
    w3 = _w3(chain_sim)
    acct = Account.from_key(KEY3)
    usdc = w3.eth.contract(address=Web3.to_checksum_address(USDC_E), abi=ERC20_ABI)
    pusd = w3.eth.contract(address=Web3.to_checksum_address(PUSD), abi=ERC20_ABI)
    onramp = w3.eth.contract(address=Web3.to_checksum_address(ONRAMP), abi=ONRAMP_ABI)
    start_pusd = pusd.functions.balanceOf(ADDR3).call()
    nonce = w3.eth.get_transaction_count(ADDR3)
    for fn in (usdc.functions.approve(ONRAMP, 7 * 10**6),
               onramp.functions.wrap(USDC_E, ADDR3, 7 * 10**6)):
        tx = fn.build_transaction({"from": ADDR3, "nonce": nonce, "chainId": 137,
                                   "gas": 200_000})
        h = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
        assert w3.eth.wait_for_transaction_receipt(h, timeout=10)["status"] == 1
        nonce += 1
    assert usdc.functions.balanceOf(ADDR3).call() == 13 * 10**6
    assert pusd.functions.balanceOf(ADDR3).call() == start_pusd + 7 * 10**6
    # the Onramp pulls only what it was approved for
    with pytest.raises(Exception, match="insufficient allowance"):
        onramp.functions.wrap(USDC_E, ADDR3, 1).call({"from": ADDR3})


async def _user_trades(sim: SimProcess, creds: Any, statuses: list[tuple[str, str]],
                       stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as s, s.ws_connect(sim.urls["ws_user"]) as ws:
        await ws.send_str(json.dumps({"type": "user", "auth": {
            "apiKey": creds.api_key, "secret": creds.api_secret,
            "passphrase": creds.api_passphrase}}))
        while not stop.is_set():
            try:
                msg = await ws.receive(timeout=0.2)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT or msg.data == "PONG":
                continue
            data = json.loads(msg.data)
            for ev in data if isinstance(data, list) else [data]:
                if ev.get("event_type") == "trade":
                    statuses.append((ev["id"], ev["status"]))


async def _until(cond: Any, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _client(sim: SimProcess, key: str) -> ClobClient:
    c = ClobClient(host=sim.clob, chain_id=137, key=key)
    c.set_api_creds(c.create_or_derive_api_key())
    return c


async def test_matched_trade_settles_on_chain(chain_sim: SimProcess) -> None:
    w3 = _w3(chain_sim)
    pusd = w3.eth.contract(address=Web3.to_checksum_address(PUSD), abi=ERC20_ABI)
    ctf = w3.eth.contract(address=Web3.to_checksum_address(CTF), abi=CTF_ABI)
    maker, taker = _client(chain_sim, KEY0), _client(chain_sim, KEY4)
    yes, no = json.loads(_market(chain_sim)["clobTokenIds"])
    p0, p4 = (pusd.functions.balanceOf(a).call() for a in (ADDR0, ADDR4))
    statuses: list[tuple[str, str]] = []
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(_user_trades(chain_sim, taker.creds, statuses, stop))
        await asyncio.sleep(0.3)  # subscribed before the trade
        maker.post_order(maker.create_order(OrderArgsV2(token_id=yes, price=0.30, size=20.0,
                                                        side="BUY")), OrderType.GTC)
        # BUY NO at 0.70 against BUY YES at 0.30: the complete set is minted on chain
        resp = taker.post_order(taker.create_order(OrderArgsV2(token_id=no, price=0.70,
                                                               size=10.0, side="BUY")),
                                OrderType.FOK)
        assert resp["status"] == "matched"
        tid = resp["tradeIDs"][0]
        # matched, not yet on chain: the CLOB already counts it, the chain does not
        assert int(taker.get_balance_allowance()["balance"]) == p4 - 7 * 10**6
        await _until(lambda: (tid, "CONFIRMED") in statuses)
        stop.set()
    mine = [s for t, s in statuses if t == tid]
    assert mine == ["MATCHED", "MINED", "CONFIRMED"], mine
    assert pusd.functions.balanceOf(ADDR0).call() == p0 - 3 * 10**6
    assert pusd.functions.balanceOf(ADDR4).call() == p4 - 7 * 10**6
    assert ctf.functions.balanceOf(ADDR0, int(yes)).call() == 10 * 10**6
    assert ctf.functions.balanceOf(ADDR4, int(no)).call() == 10 * 10**6
    trade = next(t for t in taker.get_trades() if t["id"] == tid)
    receipt = w3.eth.get_transaction_receipt(trade["transaction_hash"])
    assert receipt["status"] == 1 and receipt["to"] == EXCHANGE_V2
    assert w3.eth.block_number >= receipt["blockNumber"] + 2  # confirmations
    # the CLOB's view now comes from the chain read after settlement
    assert int(taker.get_balance_allowance()["balance"]) == p4 - 7 * 10**6
    maker.cancel_all()
    # the maker sells back 4 YES to a resting bid of the taker: tokens move wallet to wallet
    taker.post_order(taker.create_order(OrderArgsV2(token_id=yes, price=0.25, size=5.0,
                                                    side="BUY")), OrderType.GTC)
    sell = maker.post_order(maker.create_order(OrderArgsV2(token_id=yes, price=0.25, size=4.0,
                                                           side="SELL")), OrderType.FOK)
    assert sell["status"] == "matched"
    sid = sell["tradeIDs"][0]

    def confirmed() -> bool:
        return any(t["id"] == sid and t["status"] == "CONFIRMED" for t in maker.get_trades())
    await _until(confirmed)
    assert ctf.functions.balanceOf(ADDR0, int(yes)).call() == 6 * 10**6
    assert ctf.functions.balanceOf(ADDR4, int(yes)).call() == 4 * 10**6
    assert pusd.functions.balanceOf(ADDR0).call() == p0 - 3 * 10**6 + 1_000_000
    taker.cancel_all()


async def test_trade_fail_fault_reverts_on_chain(chain_sim: SimProcess) -> None:
    w3 = _w3(chain_sim)
    pusd = w3.eth.contract(address=Web3.to_checksum_address(PUSD), abi=ERC20_ABI)
    maker, taker = _client(chain_sim, KEY0), _client(chain_sim, KEY4)
    yes, no = json.loads(_market(chain_sim)["clobTokenIds"])
    p0, p4 = (pusd.functions.balanceOf(a).call() for a in (ADDR0, ADDR4))
    statuses: list[tuple[str, str]] = []
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(_user_trades(chain_sim, taker.creds, statuses, stop))
        await asyncio.sleep(0.3)
        chain_sim.faults(trade_fail=1.0)
        try:
            maker.post_order(maker.create_order(OrderArgsV2(
                token_id=yes, price=0.40, size=5.0, side="BUY")), OrderType.GTC)
            resp = taker.post_order(taker.create_order(OrderArgsV2(
                token_id=no, price=0.60, size=5.0, side="BUY")), OrderType.FOK)
        finally:
            chain_sim.faults(trade_fail=0.0)
        tid = resp["tradeIDs"][0]
        await _until(lambda: any(t == tid and s in ("FAILED", "CONFIRMED")
                                 for t, s in statuses))
        stop.set()
    assert [s for t, s in statuses if t == tid] == ["MATCHED", "RETRYING", "FAILED"]
    # both settlement attempts reverted: nothing moved on chain, the CLOB un-pends
    assert pusd.functions.balanceOf(ADDR0).call() == p0
    assert pusd.functions.balanceOf(ADDR4).call() == p4
    assert int(taker.get_balance_allowance()["balance"]) == p4
    assert chain_sim.stats()["chain"]["failed"] >= 1
    maker.cancel_all()
