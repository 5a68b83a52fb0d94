"""`python -m gateway status` as readable tables (the JSON stays available with --json).

Pure: takes the dict the running gateway answers on its control socket (`Gateway.status`)
and returns text. Missing sections print as "-" rather than failing, so an older or a
half-started gateway still shows what it has."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def _cell(v: Any) -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _short(token: Any, n: int = 12) -> str:
    s = _cell(token)
    return s if len(s) <= n + 3 else f"{s[:6]}…{s[-(n - 6):]}"


def _table(title: str, heads: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    body = [[_cell(c) for c in r] for r in rows]
    if not body:
        return [title, "  (none)", ""]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(heads)]
    out = [title, "  " + "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    out.append("")
    return out


def _age(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def render(st: dict[str, Any]) -> str:
    blocked = st.get("blocked")
    lines = [f"gateway  mode {_cell(st.get('mode'))}  state {_cell(st.get('state'))}"
             + (f" ({blocked})" if blocked else "")
             + f"  pid {_cell(st.get('pid'))}  up {_age(st.get('uptime_s'))}", ""]

    trader = st.get("trader") or {}
    conns = st.get("connections") or {}
    states = trader.get("states") or {}
    lines += _table("CONNECTIONS", ["LINK", "UP", "DETAIL"], [
        ["trader", trader.get("connected"),
         ", ".join(f"{k} {v}" for k, v in sorted(states.items())) or None],
        ["market channel", conns.get("market_ws"), None],
        ["user channel", conns.get("user_ws"),
         f"reconnects {conns.get('user_ws_reconnects')}"
         if conns.get("user_ws_reconnects") is not None else None],
        ["order heartbeat", conns.get("heartbeats_ok"), conns.get("heartbeat_error")],
    ])

    markets = st.get("markets") or []
    lines += _table("MARKETS", ["MARKET", "TICK", "BID", "ASK"], [
        [m.get("slug") or _short(m.get("condition_id")), m.get("tick"),
         *((m.get("best") or [None, None])[:2])]
        for m in markets])

    positions = st.get("positions") or {}
    lines += _table("POSITIONS (shares)", ["TOKEN", "QTY"],
                    [[_short(t), q] for t, q in sorted(positions.items())])

    orders = st.get("open_orders") or []
    lines += _table("OPEN ORDERS", ["TOKEN", "SIDE", "PRICE", "SIZE", "MATCHED", "STATE", "RES"], [
        [_short(o.get("token")), o.get("side"), o.get("price"), o.get("size"),
         o.get("matched"), o.get("state"), o.get("res")] for o in orders])

    pnl = st.get("pnl")
    if isinstance(pnl, dict):
        lines += _table("PNL (USD, from trader)", ["REALIZED", "UNREALIZED", "DAILY", "FEES"],
                        [[pnl.get("realized"), pnl.get("unrealized"), pnl.get("daily"),
                          pnl.get("fees")]])

    counters = st.get("counters") or {}
    if counters:
        lines += _table("COUNTERS", ["WHAT", "N"],
                        [[k, v] for k, v in counters.items() if v is not None])
    strategy = st.get("strategy") or {}
    if strategy:
        lines.append(f"strategy {strategy.get('kind', '-')}"
                     + (f"  cycles {strategy.get('cycles')}  fills by level "
                        f"{strategy.get('fills_by_level')}  rebates {strategy.get('rebates')}"
                        if strategy.get("kind") == "mm" else ""))
    return "\n".join(lines).rstrip() + "\n"
