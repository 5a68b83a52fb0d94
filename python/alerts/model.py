"""What an alert is, and one constructor per kind an operator is told about.

An Alert carries everything a sender needs (title, message, priority, an optional link) plus
`fields`, the structured facts (venue, symbol, amounts as decimal strings) a webhook consumer
reads without parsing prose. `key` is the de-duplication identity: the same condition produces
the same key, so a flapping condition is one alert and a count, not a flood.

The gateway and the trader-side watcher both build alerts with these functions and hand them
to an `AlertManager` (dispatcher.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Kind = Literal[
    "crash", "stale_heartbeat", "recovered", "drawdown_breach", "daily_loss_breach",
    "large_loss", "order_failure", "trade_confirmation", "daily_summary", "risk_event",
    "suppressed",
]
Severity = Literal["info", "warning", "critical"]

# Pushover priority by severity: -1 quiet, 0 normal, 1 high (bypasses quiet hours). 2
# (emergency, needs retry/expire and an acknowledgement) is deliberately not used.
PRIORITY: dict[Severity, int] = {"info": -1, "warning": 0, "critical": 1}


@dataclass(frozen=True)
class Alert:
    kind: Kind
    severity: Severity
    title: str
    message: str
    key: str
    source: str = "trader"
    venue: str = ""
    sym: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    ts_ns: int = field(default_factory=time.time_ns)

    @property
    def priority(self) -> int:
        return PRIORITY[self.severity]

    def as_json(self) -> dict[str, object]:
        """The webhook body: flat, every amount a decimal string."""
        return {
            "kind": self.kind, "severity": self.severity, "priority": self.priority,
            "title": self.title, "message": self.message, "key": self.key,
            "source": self.source, "venue": self.venue, "sym": self.sym,
            "fields": dict(self.fields), "ts_ns": self.ts_ns,
        }


def _d(x: Decimal | str) -> str:
    return str(x)


def crash(reason: str, *, source: str = "trader") -> Alert:
    return Alert("crash", "critical", f"{source} is down",
                 f"{source} connection lost: {reason}. Trading through it has stopped.",
                 key=f"down:{source}", source=source, fields={"reason": reason})


def stale_heartbeat(silent_s: float, limit_s: float, *, source: str = "trader") -> Alert:
    return Alert("stale_heartbeat", "critical", f"{source} heartbeat stale",
                 f"no frame from {source} for {silent_s:.0f} s (limit {limit_s:.0f} s): it may"
                 " be hung; check it and its venues.",
                 key=f"down:{source}", source=source,
                 fields={"silent_s": f"{silent_s:.0f}", "limit_s": f"{limit_s:.0f}"})


def recovered(down_s: float, *, source: str = "trader") -> Alert:
    return Alert("recovered", "warning", f"{source} reachable again",
                 f"{source} answers again after {down_s:.0f} s; it replays its journal and keeps"
                 " venues HALTED until reconciled.",
                 key=f"up:{source}", source=source, fields={"down_s": f"{down_s:.0f}"})


def drawdown_breach(text: str, *, source: str = "trader") -> Alert:
    return Alert("drawdown_breach", "critical", "Drawdown limit breached",
                 f"{text}. Trading is HALTED.", key="drawdown", source=source,
                 fields={"reason": text})


def daily_loss_breach(text: str, *, scope: str = "global", source: str = "trader") -> Alert:
    return Alert("daily_loss_breach", "critical", f"Daily loss limit breached ({scope})",
                 f"{text}. {scope} is REDUCING (only exposure-reducing orders pass).",
                 key=f"daily_loss:{scope}", source=source, venue="" if scope == "global" else scope,
                 fields={"reason": text, "scope": scope})


def large_loss(venue: str, sym: str, loss_usd: Decimal, threshold_usd: Decimal, *,
               detail: str = "", source: str = "trader") -> Alert:
    msg = f"{venue} {sym}: loss {_d(loss_usd)} USD (alert threshold {_d(threshold_usd)} USD)"
    if detail:
        msg += f". {detail}"
    return Alert("large_loss", "warning", f"Large loss on {sym}", msg,
                 key=f"large_loss:{venue}:{sym}", source=source, venue=venue, sym=sym,
                 fields={"loss_usd": _d(loss_usd), "threshold_usd": _d(threshold_usd),
                         "detail": detail})


def order_failure(venue: str, sym: str, reason: str, *, source: str = "trader") -> Alert:
    return Alert("order_failure", "warning", f"Order failed on {venue} {sym}",
                 f"{venue} {sym}: order rejected or failed: {reason or '(no reason given)'}",
                 key=f"order_failure:{venue}:{sym}", source=source, venue=venue, sym=sym,
                 fields={"reason": reason})


def trade_confirmation(venue: str, sym: str, trade_id: str, *,
                       details: dict[str, str] | None = None, source: str = "trader") -> Alert:
    extra = details or {}
    parts = [f"{venue} {sym} fill {trade_id}"]
    parts += [f"{k} {v}" for k, v in extra.items()]
    return Alert("trade_confirmation", "info", f"Fill {sym}", ", ".join(parts),
                 key=f"fill:{venue}:{trade_id}", source=source, venue=venue, sym=sym,
                 fields={"trade_id": trade_id, **extra})


def daily_summary(day: str, facts: dict[str, str], *, source: str = "trader") -> Alert:
    body = "; ".join(f"{k} {v}" for k, v in facts.items())
    return Alert("daily_summary", "info", f"Daily summary {day}", body,
                 key=f"summary:{day}", source=source, fields={"day": day, **facts})


def risk_event(kind: str, text: str, *, venue: str = "", severity: Severity = "warning",
               source: str = "trader") -> Alert:
    return Alert("risk_event", severity, f"Risk event: {kind}", text,
                 key=f"risk:{kind}:{venue}", source=source, venue=venue,
                 fields={"event": kind, "reason": text})


def suppressed(of: Alert, count: int, window_s: float) -> Alert:
    """Sent when a de-duplication window closes with repeats in it."""
    return Alert("suppressed", of.severity, f"{of.title} (repeated x{count})",
                 f"'{of.title}' happened {count} more time(s) in the last {window_s:.0f} s"
                 f" after the first alert; last: {of.message}",
                 key=f"suppressed:{of.key}", source=of.source, venue=of.venue, sym=of.sym,
                 fields={"of_key": of.key, "of_kind": of.kind, "count": str(count),
                         "window_s": f"{window_s:.0f}"})


def rate_limited(count: int, window_s: float, kinds: dict[str, int]) -> Alert:
    """Sent when alerts were dropped by the rate limit and the window has room again."""
    by_kind = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
    return Alert("suppressed", "warning", f"{count} alert(s) dropped by the rate limit",
                 f"{count} alert(s) over the rate limit in {window_s:.0f} s were not sent:"
                 f" {by_kind}", key="rate_limited", source="alerts",
                 fields={"count": str(count), "window_s": f"{window_s:.0f}", "kinds": by_kind})
