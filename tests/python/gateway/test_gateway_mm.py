"""The market maker inside the gateway, end to end: the real simulator, a real trader, real
Postgres and Redis (python/localsvc), the gateway as a subprocess.

- config: `[strategy] kind = "mm"` with `[strategy.mm]` validated field by field;
- paper mode quoting the ladder, records in Postgres (orders, book snapshots), screener
  configs followed live over Redis (a valid one changes the market's config, an invalid one
  is ignored with an alert and the last valid one kept), `report --dsn` from the record;
- a seeded fast-forwarded session on the 15-minute markets (`gateway.session`): several
  markets, fills on several ladder levels, rebates booked, trader never HALTED.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis
from gw_harness import PY, REPO, Gateway, Sim, Trader, wait_for, write_config
from venue_helpers import make_book

from control.screener import ScreenerConfig, publish_config
from gateway import config as gcfg
from gateway.session import run
from localsvc import PostgresHandle, RedisHandle, start_postgres, start_redis


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresHandle]:
    h = start_postgres()
    yield h
    h.stop()


@pytest.fixture
def redis_srv() -> Iterator[RedisHandle]:
    r = start_redis()
    yield r
    r.stop()


def test_mm_config_is_validated_by_field(tmp_path: Path) -> None:
    def load(strategy: str) -> gcfg.Config:
        p = tmp_path / "g.toml"
        p.write_text(f"""
[venue]
clob_url = "http://x"
ws_market_url = "ws://x"
ws_user_url = "ws://x"
gamma_url = "http://x"
[trader]
socket = "/tmp/x.sock"
{strategy}
""")
        return gcfg.load(p, env={})

    assert load("").strategy.kind == "builtin"
    c = load('[strategy]\nkind = "mm"\n[strategy.mm]\nlevels = 2\nmin_net_edge = "0.03"\n')
    assert c.strategy.kind == "mm" and c.strategy.mm == {"levels": 2, "min_net_edge": "0.03"}
    bad = {
        '[strategy]\nkind = "mm"\n[strategy.mm]\ngamma = 0.5\n': "strategy.mm.gamma:",
        '[strategy]\nkind = "mm"\n[strategy.mm]\nlevelz = 2\n': "strategy.mm.levelz: unknown",
        '[strategy]\nkind = "mm"\n[strategy.mm]\nsizing = "all-in"\n': "strategy.mm.sizing:",
        '[strategy]\nkind = "fancy"\n': "strategy.kind:",
        '[strategy]\n[strategy.mm]\nlevels = 2\n': "strategy.mm:",
        '[screener]\nrun = true\n': "screener.run:",
        '[screener]\nredis_url = "redis://x"\n[screener.params]\ntop_m = 3\n':
            "screener.params.top_m: unknown",
        '[timing]\nspeed = 10\n': None,
    }
    for text, field in bad.items():
        if field is None:
            assert load(text).timing.speed == 10
            continue
        with pytest.raises(gcfg.ConfigError) as ei:
            load(text)
        assert str(ei.value).startswith(field), (text, str(ei.value))


async def _publish(url: str, market: str, version: int, **kw: Any) -> None:
    base: dict[str, Any] = {"enabled": True, "order_size": "7", "max_position_usd": "10",
                            "min_net_edge": "0.02", "max_spread": "0.08", "ladder_levels": 2,
                            "sizing": "fixed"}
    base.update(kw)
    await publish_config(url, ScreenerConfig(
        market=market, version=version, enabled=base["enabled"],
        order_size=D(base["order_size"]), max_position_usd=D(base["max_position_usd"]),
        min_net_edge=D(base["min_net_edge"]), max_spread=D(base["max_spread"]),
        ladder_levels=base["ladder_levels"], sizing=base["sizing"]))


def test_mm_paper_records_and_follows_screener(tmp_path: Path, sim: Sim, trader: Trader,
                                               pg: PostgresHandle,
                                               redis_srv: RedisHandle) -> None:
    market = sim.fee_free_market()
    make_book(sim, market)
    cid = market["conditionId"]
    cfg = write_config(tmp_path, trader, discovery=f'condition_ids = ["{cid}"]')
    text = cfg.read_text().replace(f'jsonl = "{tmp_path / "records.jsonl"}"', f'dsn = "{pg.dsn}"')
    text += f"""
[strategy]
kind = "mm"
[strategy.mm]
stall_s = 3600
max_spread = "0.2"
[screener]
redis_url = "{redis_srv.url}"
"""
    cfg.write_text(text)
    gw = Gateway(tmp_path, cfg, sim, "paper")
    try:
        # the ladder rests: both outcomes, more than one level
        st = wait_for(lambda: len((s := gw.status()).get("open_orders", [])) >= 4 and s, 30)
        assert {o["token"] for o in st["open_orders"]} == set(json.loads(market["clobTokenIds"]))
        assert st["strategy"]["kind"] == "mm"
        assert st["strategy"]["markets"][cid]["fixed_size"] == "0"     # the default
        # a valid screener config changes this market's config live ...
        asyncio.run(_publish(redis_srv.url, cid, 5))
        st = wait_for(lambda: (s := gw.status())["strategy"]["markets"][cid][
            "screener_version"] == 5 and s, 20)
        mc = st["strategy"]["markets"][cid]
        assert (mc["fixed_size"], mc["levels"]) == ("7", 2)
        # ... an invalid one is ignored with an alert, the last valid one kept
        r = redis.Redis.from_url(redis_srv.url)
        r.set(f"trader:screener:config:{cid}", json.dumps({"schema": 1, "market": cid,
                                                           "version": 6, "enabled": "yes"}))
        r.publish("trader:screener:changed", cid)
        r.close()
        st = wait_for(lambda: (s := gw.status())["alerts"] and s, 20)
        assert st["alerts"][-1]["kind"] == "invalid_config"
        assert st["strategy"]["markets"][cid]["screener_version"] == 5
        assert st["strategy"]["markets"][cid]["fixed_size"] == "7"
        # a config that disables the market: it is no longer quoted, every order cancelled
        asyncio.run(_publish(redis_srv.url, cid, 7, enabled=False))
        st = wait_for(lambda: not (s := gw.status())["open_orders"] and not s["markets"]
                      and s, 20)
        assert st["state"] == "QUOTING"
        # records: orders (the ladder level in the client id) and book snapshots every 1 s
        wait_for(lambda: gw.status()["records"]["written"] > 10, 20)
    finally:
        gw.stop()
    assert gw.proc.returncode == 0

    async def rows() -> tuple[list[Any], int, int]:
        conn = await asyncpg.connect(pg.dsn)
        try:
            orders = await conn.fetch("SELECT client_order_id, post_only, status FROM orders"
                                      " WHERE source = 'gateway'")
            books = await conn.fetchval("SELECT count(*) FROM book_snapshots")
            alerts = await conn.fetchval("SELECT count(*) FROM alerts WHERE kind ="
                                         " 'screener_invalid_config'")
            return orders, books, alerts
        finally:
            await conn.close()

    orders, books, alerts = asyncio.run(rows())
    assert orders and all(o["post_only"] for o in orders)
    assert {o["client_order_id"].rsplit("-", 1)[1] for o in orders} >= {"L1", "L2"}
    assert all(o["status"] in ("cancel", "reject") for o in orders)   # stopped: all closed
    assert books >= 2 and alerts == 1
    out = subprocess.run([PY, "-m", "gateway", "report", "--dsn", pg.dsn], capture_output=True,
                         text=True, timeout=60, cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=str(REPO / "python")), check=False)
    assert out.returncode == 0, out.stderr
    assert f"record: {len(orders)} orders" in out.stdout


def test_mm_session_on_the_simulator(tmp_path: Path) -> None:
    """45 simulated minutes at x180 (15 s) on the 15-minute markets, through Postgres."""
    res = asyncio.run(run(tmp_path / "work", hours=0.75, speed=180, seed=11,
                          out=tmp_path / "charts"))
    rep, data = res.report, res.data
    quoted = {o.market_id for o in data.orders}
    assert len(quoted) >= 4, quoted                 # tokens of at least two markets
    assert rep.fills >= 5 and len([lv for lv in rep.levels_filled if lv >= 1]) >= 2, \
        rep.levels_filled
    assert rep.rebates > 0 and data.rebate_rows == rep.rebates
    assert not [b for b in res.breaches if "HALTED" in b], res.breaches
    assert len(list((tmp_path / "charts").glob("*.png"))) == 7
    assert "fill rate by ladder level" in res.text
