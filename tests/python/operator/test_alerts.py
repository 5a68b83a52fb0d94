"""Alerts end to end: a real trader (paper venue) drives each alert type through the watcher
to a local HTTP receiver standing in for Pushover and a webhook; de-duplication of a flapping
condition and the rate limit are checked on the same receiver."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from receiver import Receiver, start_receiver
from trader_harness import REPO, Trader, base_config, start_trader

from alerts import AlertManager, ConfigError, Throttle, load_config, model, throttle_for
from alerts.config import AlertConfig, parse
from alerts.senders import PushoverSender
from alerts.watcher import Watcher, next_summary_at
from trader.ipc import TraderClient

TOKEN, USER = "tok-SECRET-123", "usr-SECRET-456"
NOW = time.time_ns


@pytest.fixture
async def rx() -> AsyncIterator[Receiver]:
    r = await start_receiver()
    yield r
    await r.close()


def alert_cfg(rx: Receiver, **over: Any) -> AlertConfig:
    raw: dict[str, Any] = {"alerts": {
        "large_loss_usd": "0.5", "daily_summary_utc": "", "dedup_window_s": 300,
        "dashboard_url": "http://127.0.0.1:8765/",
        "pushover": {"token_env": "T_PO", "user_env": "U_PO", "url": rx.pushover_url},
        "webhook": {"url": rx.hook_url},
    }}
    raw["alerts"].update(over)
    return parse(raw, env={"T_PO": TOKEN, "U_PO": USER})


@contextlib.asynccontextmanager
async def watching(sock: str, cfg: AlertConfig) -> AsyncIterator[tuple[Watcher, AlertManager]]:
    async with AlertManager(cfg.senders, throttle=throttle_for(cfg), retry_after_s=0.1) as am:
        w = Watcher(sock, am, cfg, reconnect_s=0.2)
        task = asyncio.create_task(w.run())
        try:
            async with asyncio.timeout(10):
                await w.connected.wait()
            yield w, am
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def risky_config(tmp: Path, **global_limits: str) -> dict[str, Any]:
    cfg = base_config(tmp)
    cfg["risk"] = {"profile": "micro", "global": dict(global_limits)}
    return cfg


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[Trader]:
    t = start_trader(tmp_path, base_config(tmp_path))
    yield t
    t.stop()


async def buy_fill(c: TraderClient, px: str, qty: str, tid: str, side: str = "buy") -> int:
    c.mark(venue="paper", sym="BTCUSDT", px=Decimal(px), ts=NOW())
    v = await c.check(venue="paper", sym="BTCUSDT", side=side,  # type: ignore[arg-type]
                      px=Decimal(px), qty=Decimal(qty), cid=f"c-{tid}")
    assert hasattr(v, "res"), v
    await c.report(res=v.res, kind="fill", ts=NOW(), voi=f"V-{tid}", tid=tid, px=Decimal(px),
                   qty=Decimal(qty), fee=Decimal("0"), fee_ccy="USDT", liq="maker")
    return int(v.res)


def only(rx: Receiver, kind: str) -> dict[str, Any]:
    hooks = rx.hooks_of(kind)
    assert len(hooks) == 1, (kind, hooks)
    return hooks[0]


async def test_fills_large_loss_and_order_failure(rx: Receiver, trader: Trader) -> None:
    async with watching(trader.sock, alert_cfg(rx)) as (_w, am):
        c = await TraderClient.connect(trader.sock, client="test")
        await buy_fill(c, "60000", "0.0001", "T-1")
        await rx.wait(lambda: rx.hooks_of("trade_confirmation"))
        await buy_fill(c, "50000", "0.0001", "T-2", side="sell")  # realized -1 USD
        c.mark(venue="paper", sym="ETHUSDT", px=Decimal("3000"), ts=NOW())
        v = await c.check(venue="paper", sym="ETHUSDT", side="buy", px=Decimal("3000"),
                          qty=Decimal("0.002"), cid="c-rej")
        assert hasattr(v, "res"), v
        await c.report(res=v.res, kind="reject", ts=NOW(), reason="insufficient balance")
        await rx.wait(lambda: rx.hooks_of("order_failure") and rx.hooks_of("large_loss")
                      and len(rx.hooks_of("trade_confirmation")) == 2)
        await c.close()
        await am.flush()

    fills = rx.hooks_of("trade_confirmation")
    assert [f["fields"]["trade_id"] for f in fills] == ["T-1", "T-2"]
    assert fills[0]["venue"] == "paper" and fills[0]["sym"] == "BTCUSDT"
    assert fills[0]["fields"]["position_qty"] == "0.0001"
    assert Decimal(fills[1]["fields"]["realized_change_usd"]) == Decimal("-1")
    loss = only(rx, "large_loss")
    assert Decimal(loss["fields"]["loss_usd"]) == Decimal("1")
    assert loss["fields"]["threshold_usd"] == "0.5" and loss["severity"] == "warning"
    fail = only(rx, "order_failure")
    assert fail["sym"] == "ETHUSDT" and "insufficient balance" in fail["message"]
    # every webhook alert went to Pushover too, with the fields Pushover needs
    pushes = rx.pushover()
    assert len(pushes) == len(rx.hooks())
    assert {p["title"] for p in pushes} == {h["title"] for h in rx.hooks()}
    for p in pushes:
        assert p["token"] == TOKEN and p["user"] == USER
        assert p["message"] and p["title"] and p["priority"] in {"-1", "0", "1"}
        assert int(p["timestamp"]) > 1_700_000_000
        assert p["url"] == "http://127.0.0.1:8765/" and p["url_title"] == "dashboard"


async def test_daily_loss_and_drawdown_breaches(rx: Receiver, tmp_path: Path) -> None:
    t = start_trader(tmp_path, risky_config(tmp_path, max_daily_loss_usd="0.5",
                                            starting_capital_usd="100", max_drawdown_pct="1",
                                            position_stop_usd="50"))
    try:
        async with watching(t.sock, alert_cfg(rx)) as (_w, am):
            c = await TraderClient.connect(t.sock, client="test")
            await buy_fill(c, "60000", "0.0001", "B-1")
            c.mark(venue="paper", sym="BTCUSDT", px=Decimal("54000"), ts=NOW())  # -0.60
            await rx.wait(lambda: rx.hooks_of("daily_loss_breach"))
            c.mark(venue="paper", sym="BTCUSDT", px=Decimal("45000"), ts=NOW())  # -1.50
            await rx.wait(lambda: rx.hooks_of("drawdown_breach"))
            status = await c.query("status")
            await c.close()
            await am.flush()
    finally:
        t.stop()
    daily = only(rx, "daily_loss_breach")
    assert daily["severity"] == "critical" and "DAILY_LOSS" in daily["fields"]["reason"]
    assert "0.5" in daily["message"] and daily["fields"]["scope"] == "global"
    dd = only(rx, "drawdown_breach")
    assert "DRAWDOWN" in dd["message"] and "HALTED" in dd["message"]
    assert status["states"]["global"] == "HALTED"
    assert {p["title"] for p in rx.pushover()} >= {daily["title"], dd["title"]}
    # the state changes behind these were not alerted a second time
    assert not [h for h in rx.hooks_of("risk_event") if "DRAWDOWN" in h["message"]]


async def test_kill_is_a_critical_risk_event(rx: Receiver, trader: Trader) -> None:
    async with watching(trader.sock, alert_cfg(rx)) as (_w, _am):
        c = await TraderClient.connect(trader.sock, client="test")
        await c.kill("operator test")
        ev = await rx.wait(lambda: rx.hooks_of("risk_event"))
        await c.close()
    assert ev[0]["severity"] == "critical" and "operator test" in ev[0]["message"]


async def test_stale_heartbeat_then_recovered(rx: Receiver, trader: Trader) -> None:
    cfg = alert_cfg(rx, stale_after_s=2)
    async with watching(trader.sock, cfg) as (w, _am):
        trader.proc.send_signal(signal.SIGSTOP)  # hung: alive, silent
        try:
            stale = await rx.wait(lambda: rx.hooks_of("stale_heartbeat"))
        finally:
            trader.proc.send_signal(signal.SIGCONT)
        await rx.wait(lambda: rx.hooks_of("recovered"))
        await asyncio.wait_for(w.connected.wait(), 10)
    assert stale[0]["severity"] == "critical" and stale[0]["fields"]["limit_s"] == "2"
    assert not rx.hooks_of("crash")
    assert [p["priority"] for p in rx.pushover() if "stale" in p["title"]] == ["1"]


async def test_cli_sends_crash_when_trader_dies(rx: Receiver, trader: Trader,
                                                tmp_path: Path) -> None:
    conf = tmp_path / "alerts.toml"
    conf.write_text(
        "[alerts]\n"
        'daily_summary_utc = ""\n'
        "[alerts.pushover]\n"
        'token_env = "PO_TOKEN"\nuser_env = "PO_USER"\n'
        f'url = "{rx.pushover_url}"\n'
        "[alerts.webhook]\n"
        f'url = "{rx.hook_url}"\n')
    env = dict(os.environ, PO_TOKEN=TOKEN, PO_USER=USER,
               PYTHONPATH=str(REPO / "python"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alerts", "--socket", trader.sock, "--config", str(conf),
        env=env, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stderr is not None
        line = await asyncio.wait_for(proc.stderr.readline(), 15)
        assert b"watching" in line, line
        # the watcher has connected once the trader logs its client
        await rx.wait(lambda: b"client=alerts" in trader.log.read_bytes() or None, 10.0)
        trader.proc.send_signal(signal.SIGKILL)
        trader.proc.wait()
        crash = await rx.wait(lambda: rx.hooks_of("crash"))
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert crash[0]["severity"] == "critical" and crash[0]["fields"]["reason"]
    assert len(rx.hooks_of("crash")) == 1  # reconnect attempts do not repeat it
    assert TOKEN.encode() not in err and USER.encode() not in err


async def test_daily_summary_has_pnl_and_counts(rx: Receiver, trader: Trader) -> None:
    async with watching(trader.sock, alert_cfg(rx)) as (w, am):
        c = await TraderClient.connect(trader.sock, client="test")
        await buy_fill(c, "60000", "0.0001", "S-1")
        await rx.wait(lambda: rx.hooks_of("trade_confirmation"))
        await w.send_daily_summary()
        await am.flush()
        await c.close()
    s = only(rx, "daily_summary")
    f = s["fields"]
    assert f["fills"] == "1" and f["state"] == "ACTIVE" and f["positions"] == "1"
    for k in ("realized_usd", "unrealized_usd", "daily_usd", "fees_usd", "open_orders"):
        Decimal(f[k])  # present and a decimal
    assert f["day"] == dt.datetime.now(dt.UTC).date().isoformat()


def test_next_summary_time_is_the_next_utc_occurrence() -> None:
    t = dt.datetime(2026, 3, 1, 20, 59, 30, tzinfo=dt.UTC)
    assert next_summary_at(t, "21:00") == dt.datetime(2026, 3, 1, 21, 0, tzinfo=dt.UTC)
    t = dt.datetime(2026, 3, 1, 21, 0, 0, tzinfo=dt.UTC)
    assert next_summary_at(t, "21:00") == dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)


async def test_flapping_condition_is_one_alert_and_one_summary(rx: Receiver) -> None:
    cfg = alert_cfg(rx)
    thr = Throttle(dedup_window_s=1.0, rate_max=100, rate_window_s=60)
    async with AlertManager(cfg.senders, throttle=thr) as am:
        for i in range(10):  # a venue reconnecting and failing, over and over
            am.notify(model.order_failure("paper", "BTCUSDT", f"connection reset #{i}"))
        await am.flush()
        assert len(rx.hooks_of("order_failure")) == 1
        summary = await rx.wait(lambda: rx.hooks_of("suppressed"), within=10)
        assert summary[0]["fields"]["count"] == "9"
        assert "connection reset #9" in summary[0]["message"]
        # the window is over: the next occurrence is news again
        am.notify(model.order_failure("paper", "BTCUSDT", "connection reset #10"))
        await am.flush()
    assert len(rx.hooks_of("order_failure")) == 2
    assert len(rx.hooks_of("suppressed")) == 1
    assert am.throttle.suppressed_total == 9


async def test_rate_limit_drops_and_reports_but_lets_critical_through(rx: Receiver) -> None:
    cfg = alert_cfg(rx)
    thr = Throttle(dedup_window_s=300, rate_max=3, rate_window_s=1.0)
    async with AlertManager(cfg.senders, throttle=thr) as am:
        for i in range(10):
            am.notify(model.trade_confirmation("paper", "BTCUSDT", f"R-{i}"))
        am.notify(model.crash("test: process exited"))
        await am.flush()
        assert len(rx.hooks_of("trade_confirmation")) == 3
        assert len(rx.hooks_of("crash")) == 1
        dropped = await rx.wait(lambda: rx.hooks_of("suppressed"), within=10)
    assert dropped[0]["fields"]["count"] == "7"
    assert "trade_confirmation x7" in dropped[0]["message"]
    assert thr.dropped_total == 7


async def test_refused_pushover_is_logged_without_secrets(
        rx: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    rx.pushover_status = 400
    cfg = alert_cfg(rx)
    caplog.set_level(logging.DEBUG)
    async with AlertManager(cfg.senders, retry_after_s=0.05) as am:
        am.notify(model.order_failure("paper", "BTCUSDT", "x"))
        await am.flush()
    assert am.stats.failed == 1
    assert len(rx.pushover()) == 1  # a 4xx is not retried
    assert len(rx.hooks()) == 1  # the webhook still got it
    text = caplog.text + repr(cfg) + repr(cfg.senders)
    assert "400" in caplog.text
    assert TOKEN not in text and USER not in text


def test_config_errors_name_the_key_not_the_secret() -> None:
    raw = {"alerts": {"pushover": {"token_env": "NOPE_T", "user_env": "NOPE_U"}}}
    with pytest.raises(ConfigError, match="NOPE_T is unset"):
        parse(raw, env={})
    with pytest.raises(ConfigError, match=r"alerts\.webhok: unknown key"):
        parse({"alerts": {"webhok": {"url": "http://x"}}}, env={})
    with pytest.raises(ConfigError, match="large_loss_usd"):
        parse({"alerts": {"large_loss_usd": 1.5}}, env={})
    with pytest.raises(ConfigError, match="daily_summary_utc"):
        parse({"alerts": {"daily_summary_utc": "25:00"}}, env={})
    cfg = parse({"alerts": {"pushover": {"token_env": "A", "user_env": "B"}}},
                env={"A": "sekrit-a", "B": "sekrit-b"})
    po = cfg.senders[0]
    assert isinstance(po, PushoverSender) and po.url == "https://api.pushover.net/1/messages.json"
    assert "sekrit" not in repr(po)
    form = po.form(model.Alert("crash", "critical", "t" * 300, "m" * 2000, key="k"))
    assert len(form["title"]) == 250 and len(form["message"]) == 1024


def test_json_config_file(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"alerts": {"webhook": {"url": "http://127.0.0.1:1/h"},
                                        "rate_max": 5}}))
    cfg = load_config(f, env={})
    assert cfg.rate_max == 5 and [s.name for s in cfg.senders] == ["webhook"]
