"""Alerts land in the record: AlertManager's on_sent hook writes them through the recorder's
Store into a throwaway Postgres, delivered or not, once per alert."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from receiver import start_receiver

from alerts import AlertManager, Throttle, model
from alerts.record import recording_hook
from alerts.senders import WebhookSender


async def test_sent_alerts_are_recorded(tmp_path: Path) -> None:
    localsvc = pytest.importorskip("localsvc")
    store_mod = pytest.importorskip("recorder.store")
    pg = localsvc.start_postgres(tmp_path)
    rx = await start_receiver()
    try:
        store = await store_mod.Store.open(pg.dsn)
        try:
            senders = [WebhookSender(rx.hook_url)]
            async with AlertManager(senders, throttle=Throttle(dedup_window_s=60),
                                    on_sent=recording_hook(store, source="alerts-test")) as am:
                am.notify(model.order_failure("paper", "BTCUSDT", "rejected: post-only"))
                am.notify(model.order_failure("paper", "BTCUSDT", "again"))  # de-duplicated
                am.notify(model.crash("test"))
                await am.flush()
        finally:
            await store.close()
        conn = await asyncpg.connect(pg.dsn)
        try:
            rows = await conn.fetch(
                "SELECT kind, severity, text, venue, instrument FROM alerts"
                " WHERE source = 'alerts-test' ORDER BY seq")
        finally:
            await conn.close()
    finally:
        await rx.close()
        pg.stop()
    got = [(r["kind"], r["severity"], r["venue"], r["instrument"]) for r in rows]
    assert got[:2] == [("order_failure", "warning", "paper", "BTCUSDT"),
                       ("crash", "critical", "", "")]
    assert "rejected: post-only" in rows[0]["text"] and "NOT DELIVERED" not in rows[0]["text"]
    # at exit the pending de-dup summary is sent and recorded too
    assert [r["kind"] for r in rows[2:]] == ["suppressed"]
