"""Gateway parts on their own: config and secrets, the mode guards, the dry-run structure,
the 429 back-off against the simulator, the execution diff and the paper queue model."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from gw_harness import KEY0, PY, REPO, Sim, Trader, write_config
from venue_helpers import tokens

from gateway import config as gcfg
from gateway.book import Book
from gateway.discovery import MarketInfo
from gateway.execution import diff
from gateway.orders import Tracked
from gateway.paper import PaperFill, PaperVenue, taker_fee
from gateway.rest import PublicClob, retry_after_of
from gateway.strategy import DesiredOrder
from gateway.venue import PlaceRequest

D = Decimal


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ, PYTHONPATH=str(REPO / "python"), **(env or {}))
    return subprocess.run([PY, "-m", "gateway", *args], capture_output=True, text=True,
                          timeout=60, env=e, cwd=REPO, check=False)


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    good = (REPO / "config" / "gateway_sim.toml").read_text()
    cases = {
        "sizee = 1\n": "quote.sizee: unknown key",
        'size = 0.5\n': "quote.size: expected a decimal string",
    }
    for line, want in cases.items():
        p = tmp_path / "c.toml"
        p.write_text(good.replace('size = "5"\n', line))
        with pytest.raises(gcfg.ConfigError, match=want.replace(".", r"\.")):
            gcfg.load(p, env={})
    p.write_text(good.replace('signature_type = "EOA"', 'signature_type = "POLY_1271"'))
    with pytest.raises(gcfg.ConfigError, match=r"wallet\.funder: required"):
        gcfg.load(p, env={})
    cfg = gcfg.load(REPO / "config" / "gateway_sim.toml",
                    env={"GATEWAY_CLOB_URL": "http://127.0.0.1:9"})
    assert cfg.venue.clob_url == "http://127.0.0.1:9" and cfg.quote.size == D("5")
    assert gcfg.load(REPO / "config" / "gateway.example.toml", env={}).venue.clob_url == \
        "https://clob.polymarket.com"


def test_secrets_only_from_env_or_owner_only_file(tmp_path: Path) -> None:
    cfg = gcfg.load(REPO / "config" / "gateway_sim.toml", env={})
    with pytest.raises(gcfg.ConfigError, match="no wallet key"):
        gcfg.wallet_key(cfg, env={})
    key = gcfg.wallet_key(cfg, env={"POLY_PRIVATE_KEY": KEY0})
    assert key.reveal() == KEY0 and KEY0 not in repr(key) and KEY0 not in f"{key}"
    kf = tmp_path / "key"
    kf.write_text(KEY0)
    os.chmod(kf, 0o644)
    p = tmp_path / "c.toml"
    p.write_text((REPO / "config" / "gateway_sim.toml").read_text().replace(
        'key_file = ""', f'key_file = "{kf}"'))
    cfg2 = gcfg.load(p, env={})
    with pytest.raises(gcfg.ConfigError, match=r"wallet\.key_file: .* mode 0644"):
        gcfg.wallet_key(cfg2, env={})
    os.chmod(kf, 0o600)
    assert gcfg.wallet_key(cfg2, env={}).reveal() == KEY0
    with pytest.raises(gcfg.ConfigError, match="POLY_API_PASSPHRASE"):
        gcfg.api_creds(cfg, env={"POLY_API_KEY": "k", "POLY_API_SECRET": "s"})
    out = tmp_path / "creds.json"
    gcfg.write_creds_file(str(out), gcfg.ApiCreds("k", gcfg.Secret("s"), gcfg.Secret("p")))
    assert os.stat(out).st_mode & 0o777 == 0o600


def test_live_needs_config_opt_in_and_confirm_flag(tmp_path: Path) -> None:
    env = {"POLY_PRIVATE_KEY": KEY0}
    r = _run(["--mode", "live", "--config", "config/gateway_sim.toml", "--confirm-live"], env)
    assert r.returncode == 2 and "live: --mode live needs live = true" in r.stderr
    p = tmp_path / "c.toml"
    p.write_text((REPO / "config" / "gateway_sim.toml").read_text().replace(
        "live = false", "live = true"))
    r = _run(["--mode", "live", "--config", str(p)], env)
    assert r.returncode == 2 and "--confirm-live" in r.stderr
    r = _run(["status", "--config", str(p)])
    assert r.returncode == 3        # not running


def test_dry_run_builds_no_signer_and_no_order_client(tmp_path: Path, trader: Trader) -> None:
    cfg = write_config(tmp_path, trader)
    code = f"""
import asyncio, sys, aiohttp
from gateway import config
from gateway.app import Gateway
from gateway.rest import PrivateClob
from gateway.venue import DryRunVenue
async def main():
    cfg = config.load({str(cfg)!r}, env={{}})
    gw = Gateway(cfg, "dry-run")
    async with aiohttp.ClientSession() as s:
        await gw._build(s)
    assert isinstance(gw.venue, DryRunVenue), gw.venue
    assert gw.private is None and gw.user_ws is None
    assert not isinstance(gw.public, PrivateClob)
    assert not hasattr(gw.public, "post_order")
    assert "gateway.wallet" not in sys.modules and "py_clob_client_v2" not in sys.modules
    print("OK")
asyncio.run(main())
"""
    r = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=str(REPO / "python")), check=False)
    assert r.stdout.strip() == "OK", r.stderr


async def test_429_backs_off_for_retry_after(sim: Sim) -> None:
    # one /tick-size request per 10 s window: the second is refused with Retry-After
    tok = tokens(sim.fee_free_market())[0]
    sim.faults(rate_limit_scale=0.001)
    async with aiohttp.ClientSession() as session:
        clob = PublicClob(session, sim.clob, sim.urls["gamma"])
        assert await clob.get("/tick-size", {"token_id": tok}) == {"minimum_tick_size": 0.01}
        t0 = time.monotonic()
        body = await clob.get("/tick-size", {"token_id": tok})   # 429, wait, retry: 200
        waited = time.monotonic() - t0
    assert body == {"minimum_tick_size": 0.01}
    assert clob.rate_limited == 1 and clob.last_retry_after >= 1
    assert waited >= clob.last_retry_after - 0.05


def test_retry_after_forms() -> None:
    assert retry_after_of({"Retry-After": "3"}, None) == 3
    assert retry_after_of({}, {"retry_after_seconds": 2}) == 2
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    assert 3 <= retry_after_of({"Retry-After": date}, None) <= 5
    assert retry_after_of({}, {}) == 1


def _tracked(token: str, side: str, px: str) -> Tracked:
    return Tracked(f"c{token}{side}{px}", token, "m", side, D(px), D(5), 0)  # type: ignore[arg-type]


def test_diff_keeps_orders_within_tolerance() -> None:
    resting = [_tracked("A", "BUY", "0.48"), _tracked("B", "BUY", "0.40")]
    desired = [DesiredOrder("m", "A", "BUY", D("0.49"), D(5)),
               DesiredOrder("m", "B", "BUY", D("0.45"), D(5))]
    keep, cancel, place = diff(desired, resting, lambda _t: D("0.01"), 1)
    assert [o.price for o in keep] == [D("0.48")]          # one tick away: keeps its queue
    assert [o.price for o in cancel] == [D("0.40")]
    assert [d.price for d in place] == [D("0.45")]


def _market() -> MarketInfo:
    return MarketInfo("m", "q", "s", ("Y", "N"), ("Yes", "No"), D("0.01"), D(5), False, True,
                      D("0.07"), D(1), D("0.2"), 0.0, True, True, "BTC")


async def test_paper_queue_and_fees() -> None:
    m = _market()
    yes, no = Book("Y", "m", D("0.01")), Book("N", "m", D("0.01"))
    yes.snapshot({"bids": [{"price": "0.47", "size": "20"}],
                  "asks": [{"price": "0.53", "size": "20"}]})
    no.snapshot({"bids": [{"price": "0.47", "size": "20"}],
                 "asks": [{"price": "0.53", "size": "20"}]})
    fills: list[PaperFill] = []
    pv = PaperVenue({"Y": yes, "N": no}, lambda t: m if t in ("Y", "N") else None, fills.append)
    [r] = await pv.place([PlaceRequest("c1", "m", "Y", "BUY", D("0.47"), D(5), D("0.01"),
                                       False)])
    assert r.ok and pv.orders[r.voi].ahead == 20
    # post-only crossing orders are refused, as by the venue
    [x] = await pv.place([PlaceRequest("c2", "m", "Y", "BUY", D("0.53"), D(5), D("0.01"),
                                       False)])
    assert not x.ok and "crosses book" in x.error
    # a taker SELL of 15 YES at 0.47 seen as a BUY NO at 0.53 (price_change first)
    yes.apply("BUY", D("0.47"), D(5))
    pv.on_level("Y", "BUY", D("0.47"), D(5))
    pv.on_trade("N", "BUY", D("0.53"), D(15))
    assert fills == [] and pv.orders[r.voi].ahead == 5
    pv.on_trade("Y", "SELL", D("0.47"), D(8))      # 5 ahead, then 3 of ours
    assert [(f.qty, f.liquidity, f.fee) for f in fills] == [(D(3), "maker", D(0))]
    # a non-post-only BUY that crosses takes the ask and pays the taker fee curve
    await pv.place([PlaceRequest("c3", "m", "Y", "BUY", D("0.53"), D(10), D("0.01"), False,
                                 post_only=False)])
    # its fills arrive after place() returned (the caller knows the order id first)
    assert fills[-1].liquidity == "maker"
    await asyncio.sleep(0)
    assert fills[-1].liquidity == "taker" and fills[-1].qty == 10
    assert fills[-1].fee == taker_fee(D(10), D("0.53"), m) == D("0.17437")
    # the on-chain example of shared/research/polymarket.md: 7.575758 sh @0.66, rate 0.05
    m5 = dataclasses.replace(m, fee_rate=D("0.05"))
    assert taker_fee(D("7.575758"), D("0.66"), m5) == D("0.08500")
