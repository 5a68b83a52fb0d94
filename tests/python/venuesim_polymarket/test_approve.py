"""`python -m gateway approve` (gateway/approve.py) against the simulator's chain and CLOB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pm_harness import ADDR1, ADDR2, ADDR3, KEY1, KEY2, KEY3, SimProcess
from py_clob_client_v2 import ClobClient
from py_clob_client_v2.clob_types import CreateOrderOptions, OrderArgsV2, RequestArgs
from py_clob_client_v2.headers.headers import create_level_2_headers
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
from py_clob_client_v2.signer import Signer
from web3 import Web3

from gateway import approve, contracts
from venuesim.polymarket.chain import addresses as sim_addresses

MAX = 2**256 - 1


@pytest.fixture(scope="module")
def asim() -> Iterator[SimProcess]:
    wallets = [{"address": ADDR1, "collateral": "100", "usdc": "0", "approved": False},
               {"address": ADDR2, "collateral": "20", "usdc": "50", "approved": False},
               {"address": ADDR3, "collateral": "0", "usdc": "10", "approved": False}]
    s = SimProcess(["--seed", "9", "--no-flow"], wallets)
    yield s
    s.stop()


def _raw_count(sim: SimProcess) -> int:
    return int(sim.stats()["chain"]["raw_transactions"])


def _run(sim: SimProcess, key: str, *extra: str, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setenv("POLY_PRIVATE_KEY", key)
    rc = approve.main(["--rpc", sim.urls["rpc"], "--clob", sim.clob, *extra])
    out = capsys.readouterr()
    text = out.out + out.err
    assert key.removeprefix("0x") not in text  # the key is never printed
    return rc, text


def _order(sim: SimProcess, key: str) -> httpx.Response:
    client = ClobClient(host=sim.clob, chain_id=137, key=key)
    creds = client.create_or_derive_api_key()
    market = next(m for m in httpx.get(f"{sim.urls['gamma']}/markets").json()
                  if m["acceptingOrders"] and not m["negRisk"] and not m["feesEnabled"]
                  and m["orderPriceMinTickSize"] == 0.01)
    yes = json.loads(market["clobTokenIds"])[0]
    signed = client.builder.build_order(OrderArgsV2(token_id=yes, price=0.5, size=10,
                                                    side="BUY"),
                                        CreateOrderOptions(tick_size="0.01", neg_risk=False))
    body = order_to_json_v2(signed, creds.api_key, "GTC")
    text = json.dumps(body, separators=(",", ":"))
    headers = create_level_2_headers(Signer(key, 137), creds, RequestArgs(
        method="POST", request_path="/order", body=body, serialized_body=text))
    return httpx.post(sim.clob + "/order", headers=headers, content=text)


def test_addresses_agree_with_the_simulator() -> None:
    assert contracts.PUSD == sim_addresses.PUSD and contracts.USDC_E == sim_addresses.USDC_E
    assert contracts.COLLATERAL_ONRAMP == sim_addresses.COLLATERAL_ONRAMP
    assert contracts.CONDITIONAL_TOKENS == sim_addresses.CTF
    assert [a for _, a in contracts.TRADING_OPERATORS] == list(sim_addresses.TRADING_SPENDERS)
    assert not {a.lower() for _, a in contracts.TRADING_OPERATORS} & contracts.V1_FORBIDDEN


def test_dry_run_sends_nothing(asim: SimProcess, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    before = _raw_count(asim)
    rc, out = _run(asim, KEY1, "--dry-run", monkeypatch=monkeypatch, capsys=capsys)
    assert rc == 0, out
    assert "plan: 8 transaction(s)" in out and "dry run: nothing sent" in out
    assert out.count("pUSD approve(") == 4 and out.count("setApprovalForAll(") == 4
    assert "gas " in out and "POL for gas" in out
    assert _raw_count(asim) == before
    w3 = Web3(Web3.HTTPProvider(asim.urls["rpc"]))
    assert w3.eth.get_transaction_count(ADDR1) == 0


def test_key_file_must_be_private(asim: SimProcess, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    kf = tmp_path / "key"
    kf.write_text(KEY1)
    kf.chmod(0o644)
    rc = approve.main(["--rpc", asim.urls["rpc"], "--key-file", str(kf), "--dry-run"])
    err = capsys.readouterr().err
    assert rc == 2 and "too open" in err and KEY1[2:] not in err


def test_approve_end_to_end(asim: SimProcess, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    w3 = Web3(Web3.HTTPProvider(asim.urls["rpc"]))
    refused = _order(asim, KEY2)
    assert refused.status_code == 400
    assert refused.json()["error"] == ("not enough balance / allowance: the allowance is not "
                                       "enough -> allowance: 0, order amount: 5000000")
    kf = tmp_path / "key"
    kf.write_text(KEY2 + "\n")
    kf.chmod(0o600)
    before, nonce0 = _raw_count(asim), w3.eth.get_transaction_count(ADDR2)
    rc = approve.main(["--rpc", asim.urls["rpc"], "--clob", asim.clob, "--key-file", str(kf),
                       "--wrap", "30", "--yes"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert KEY2[2:] not in out
    assert "plan: 10 transaction(s)" in out
    assert "USDC.e approve(CollateralOnramp, 30)" in out and "wrap(USDC.e" in out
    nonces = [int(line.split(" nonce ")[1].split()[0]) for line in out.splitlines()
              if line.strip().startswith("sent ")]
    assert nonces == list(range(nonce0, nonce0 + 10))
    hashes = [line.split(" tx ")[1].strip() for line in out.splitlines()
              if line.strip().startswith("sent ")]
    for n, h in zip(nonces, hashes, strict=True):
        assert w3.eth.get_transaction(h)["nonce"] == n
        assert w3.eth.get_transaction_receipt(h)["status"] == 1
    assert out.count("mined ") == 10
    assert _raw_count(asim) == before + 10
    assert w3.eth.get_transaction_count(ADDR2) == nonce0 + 10
    pusd = w3.eth.contract(address=Web3.to_checksum_address(contracts.PUSD),
                           abi=contracts.ERC20_ABI)
    assert pusd.functions.balanceOf(ADDR2).call() == 50 * 10**6
    assert pusd.functions.allowance(ADDR2, contracts.CTF_EXCHANGE_V2).call() == MAX
    assert "CLOB /balance-allowance/update: balance 50 pUSD" in out
    accepted = _order(asim, KEY2)
    assert accepted.status_code == 200 and accepted.json()["status"] == "live"
    # a second run finds nothing missing and sends nothing
    rc = approve.main(["--rpc", asim.urls["rpc"], "--clob", asim.clob, "--key-file", str(kf),
                       "--yes"])
    out = capsys.readouterr().out
    assert rc == 0 and "plan: 0 transaction(s)" in out and "nothing to do on chain" in out
    assert _raw_count(asim) == before + 10


def test_reverted_transaction_stops_the_run(asim: SimProcess, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    w3 = Web3(Web3.HTTPProvider(asim.urls["rpc"]))
    before = _raw_count(asim)
    asim.faults(onramp_paused=True)
    try:
        rc, out = _run(asim, KEY3, "--wrap", "5", "--yes", monkeypatch=monkeypatch,
                       capsys=capsys)
    finally:
        asim.faults(onramp_paused=False)
    assert rc == 1, out
    assert "plan: 10 transaction(s)" in out
    assert "step 2 (CollateralOnramp wrap" in out and "REVERTED" in out
    assert "OnlyUnpaused()" in out and "steps 3..10 not sent" in out
    assert "balance-allowance/update" not in out
    assert _raw_count(asim) == before + 2  # the USDC.e approve and the reverted wrap
    assert w3.eth.get_transaction_count(ADDR3) == 2
    pusd = w3.eth.contract(address=Web3.to_checksum_address(contracts.PUSD),
                           abi=contracts.ERC20_ABI)
    assert pusd.functions.allowance(ADDR3, contracts.CTF_EXCHANGE_V2).call() == 0
    assert pusd.functions.balanceOf(ADDR3).call() == 0


