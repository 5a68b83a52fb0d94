"""Keeping alerts in the record (Postgres): an `on_sent` hook for AlertManager.

    store = await Store.open(dsn)
    AlertManager(senders, on_sent=recording_hook(store, source="alerts"))

Every alert that passed de-duplication and the rate limit is recorded once it was attempted,
delivered or not (the text says which). `seq` is the alert's creation time in nanoseconds, so a
restarted process keeps (source, seq) unique without a counter.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from alerts.dispatcher import OnSent
from alerts.model import Alert
from recorder.records import AlertRecord


class AlertStore(Protocol):
    async def record_alert(self, r: AlertRecord) -> None: ...


def to_record(alert: Alert, *, source: str, delivered: bool) -> AlertRecord:
    text = f"{alert.title}: {alert.message}"
    if not delivered:
        text += " [NOT DELIVERED]"
    return AlertRecord(
        source=source, seq=alert.ts_ns, kind=alert.kind, severity=alert.severity, text=text,
        at=dt.datetime.fromtimestamp(alert.ts_ns // 1_000_000_000, tz=dt.UTC).replace(
            microsecond=alert.ts_ns // 1000 % 1_000_000),
        venue=alert.venue,
        instrument=alert.sym)


def recording_hook(store: AlertStore, *, source: str = "alerts") -> OnSent:
    async def hook(alert: Alert, delivered: bool) -> None:
        await store.record_alert(to_record(alert, source=source, delivered=delivered))
    return hook
