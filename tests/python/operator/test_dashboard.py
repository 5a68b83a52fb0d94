"""The dashboard in headless Chromium (Debian's chromium + chromedriver, driven by selenium)
against a real trader on the paper venue: refused without the token, loads with it, updates
when a fill goes through the trader, and its kill button halts trading. Leaves a screenshot in
build/dashboard.png."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from trader_harness import REPO, FrameClient, Trader, base_config, start_trader, wait_for

TOKEN = "dash-token-0123456789abcdef"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
NOW = time.time_ns


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[Trader]:
    t = start_trader(tmp_path, base_config(tmp_path))
    yield t
    t.stop()


@pytest.fixture
def dashboard(trader: Trader) -> Iterator[str]:
    env = dict(os.environ, DASHBOARD_TOKEN=TOKEN, PYTHONPATH=str(REPO / "python"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "--socket", trader.sock, "--port", "0",
         "--token-env", "DASHBOARD_TOKEN", "--poll-s", "0.3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else b""
        url: str = json.loads(line)["url"]
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def http(url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_refuses_without_token_and_cross_origin_kills(trader: Trader, dashboard: str) -> None:
    assert http(dashboard)[0] == 401
    assert http(dashboard + "api/snapshot")[0] == 401
    assert http(dashboard + "api/stream")[0] == 401
    assert http(dashboard + "?token=wrong-token-wrong-token")[0] == 401
    assert http(dashboard + "api/snapshot", headers={"Authorization": "Bearer nope"})[0] == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    status, body = http(dashboard + "api/snapshot", headers=bearer)
    assert status == 200 and "status" in json.loads(body)
    # a page on another origin cannot kill, even with the token in hand
    evil = dict(bearer, Origin="http://evil.example", **{"X-Dashboard": "kill"})
    assert http(dashboard + "api/kill", method="POST", headers=evil, body=b"{}")[0] == 403
    no_header = dict(bearer, Origin=dashboard.rstrip("/"))
    assert http(dashboard + "api/kill", method="POST", headers=no_header, body=b"{}")[0] == 403
    port = dashboard.rsplit(":", 1)[1].rstrip("/")
    rebound = dict(bearer, Host=f"attacker.example:{port}")
    assert http(dashboard + "api/snapshot", headers=rebound)[0] == 421
    assert trader.ctl("status")["states"]["global"] == "ACTIVE"


def _browser() -> Any:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed "
                    "(apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1800", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def test_page_updates_on_fill_and_kill_button_halts(trader: Trader, dashboard: str) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    driver = _browser()
    try:
        wait = WebDriverWait(driver, 20, poll_frequency=0.05)
        driver.get(dashboard)
        assert "token required" in driver.find_element(By.TAG_NAME, "body").text
        driver.get(dashboard + "?token=" + TOKEN)
        assert "token=" not in driver.current_url  # cleaned from the address bar
        wait.until(lambda d: d.find_element(By.ID, "global-state").text == "ACTIVE")
        wait.until(lambda d: "trader connected" in d.find_element(By.ID, "link").text)
        limits = driver.find_element(By.ID, "limits").text
        assert "MAX_EXPOSURE" in limits and "%" in limits

        # a fill through the trader's paper venue, reported over IPC
        c = FrameClient(trader.sock, "test")
        for px in ("60000", "60100"):
            assert c.call({"t": "mark", "venue": "paper", "sym": "BTCUSDT", "px": px,
                           "ts": NOW()})["t"] == "ok"
        ok = c.call({"t": "check", "venue": "paper", "sym": "BTCUSDT", "side": "buy",
                     "px": "60000", "qty": "0.0001", "ord": "limit", "tif": "gtc",
                     "post_only": True, "cid": "dash-1"})
        assert ok["t"] == "check_ok", ok
        rep = c.call({"t": "report", "res": ok["res"], "kind": "fill", "voi": "V-DASH",
                      "tid": "DASH-FILL-1", "px": "60000", "qty": "0.0001", "fee": "0.01",
                      "fee_ccy": "USDT", "liq": "maker", "ts": NOW()})
        assert rep["t"] == "ok", rep
        wait.until(lambda d: "DASH-FILL-1" in d.find_element(By.ID, "fills").text)
        wait.until(lambda d: "0.0001" in d.find_element(By.ID, "positions").text)
        for px in ("59900", "60200", "60050"):  # a PnL line worth drawing
            c.call({"t": "mark", "venue": "paper", "sym": "BTCUSDT", "px": px, "ts": NOW()})
            time.sleep(0.4)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#pnl-chart polyline"))
        c.close()
        (REPO / "build").mkdir(exist_ok=True)
        assert driver.save_screenshot(str(REPO / "build" / "dashboard.png"))

        # the kill button: two clicks (arm, confirm), then the trader is HALTED
        driver.find_element(By.ID, "kill").click()
        driver.find_element(By.ID, "kill-confirm").click()
        wait.until(lambda d: "killed: HALTED" in d.find_element(By.ID, "kill-result").text)
        wait.until(lambda d: d.find_element(By.ID, "global-state").text == "HALTED")
        status = trader.ctl("status")
        assert status["states"]["global"] == "HALTED"
        wait.until(lambda d: "kill" in d.find_element(By.ID, "events").text)
        assert "dashboard: kill button" in trader.log.read_text()
    finally:
        driver.quit()
    assert wait_for(lambda: (REPO / "build" / "dashboard.png").stat().st_size > 10_000)


def test_chromium_is_debians() -> None:
    """The browser test must not silently use a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    assert shutil.which("chromium") == CHROMIUM
