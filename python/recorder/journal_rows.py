"""Journal records (c/app/jrec.h, pushed as `jrec`) -> rows of the record.

The journal map of each type, as c/app/jrec.c writes it (amounts are decimal strings):
  1 INSTRUMENT {ts, venue, kind, sym, market, price_scale, qty_scale, tick, lot, min_qty,
                min_notional, quote_ccy, usd_rate}
  2 ACCEPT     {ts, res, venue, sym, side(0 buy, 1 sell), px, qty, local(0/1), cid}
  3 REPORT     {ts, res, venue, sym, side, kind(0 ack 1 reject 2 fill 3 cancel 4 expire), voi,
                tid, px, qty, fee, liq(0 unknown 1 maker 2 taker), reason, [ccy, usd_rate]}
  4 STATE      {ts, scope(0 global 1 venue 2 market), index, state(0 ACTIVE 1 REDUCING
                2 HALTED), reason(risk reason code), text, [eff]}
                `state` is the hold of `reason` that changed; `eff` (trader since
                migration 002) the scope's state after it, the strictest of all its holds
  5 RESOLVE    {ts, venue, sym, winner(0/1)}  -- winner: whether `sym` won

Every row is keyed so that applying a record twice writes nothing the second time: orders
by (venue, reservation id), order events by (venue, reservation id, journal seq), fills by
(venue, trade id), state changes by (journal source, journal seq), resolutions by (venue,
token) and their settlement of positions by (venue, market).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from recorder.records import (
    FillRecord,
    Liquidity,
    OrderEventKind,
    OrderEventRecord,
    OrderRecord,
    RiskEventRecord,
    Side,
)
from recorder.store import Bulk, InstrumentRow, ResolveRow

T_INSTRUMENT, T_ACCEPT, T_REPORT, T_STATE, T_RESOLVE = 1, 2, 3, 4, 5
_KINDS: Final[tuple[OrderEventKind, ...]] = ("ack", "reject", "fill", "cancel", "expire")
_LIQ: Final[tuple[Liquidity, ...]] = ("unknown", "maker", "taker")
_SCOPES: Final = ("global", "venue", "market")
_STATES: Final = ("ACTIVE", "REDUCING", "HALTED")
_VENUES: Final = ("paper", "binance", "ibkr", "polymarket")
_REASONS: Final = ("none", "operator", "kill", "daily_loss", "drawdown", "loss_breaker",
                   "connection", "position_stop", "resolved", "reconcile")


class BadRecord(ValueError):
    """A journal record this recorder cannot read (recorded as an alert, never skipped silently)."""


def ts_to_dt(ns: int) -> datetime:
    """int64 ns since the epoch -> aware UTC datetime (microseconds; no float on the way)."""
    sec, rem = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(sec, UTC) + timedelta(microseconds=rem // 1000)


def _s(rec: dict[str, Any], key: str) -> str:
    v = rec.get(key)
    if type(v) is not str:
        raise BadRecord(f"field {key!r} missing or not a string")
    return v


def _i(rec: dict[str, Any], key: str) -> int:
    v = rec.get(key)
    if type(v) is not int:
        raise BadRecord(f"field {key!r} missing or not an integer")
    return v


def _d(rec: dict[str, Any], key: str) -> Decimal:
    try:
        return Decimal(_s(rec, key))
    except ArithmeticError as e:
        raise BadRecord(f"field {key!r} is not a decimal") from e


@dataclass
class InstrumentInfo:
    quote_ccy: str
    usd_rate: Decimal


class JournalRows:
    """Applies journal records to a Batch; remembers what INSTRUMENT records said.

    `source` names the journal (one trader); it keys state changes, which carry no id of
    their own. Returns, for each record, the live events for the dashboard stream."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.instruments: dict[tuple[str, str], InstrumentInfo] = {}

    def apply(self, b: Bulk, seq: int, rtype: int, rec: dict[str, Any]
              ) -> list[dict[str, str]]:
        """Adds the record's rows to b (written by store.write_bulk); returns live events."""
        if "unreadable" in rec:
            raise BadRecord(f"trader could not send record {seq}: {rec['unreadable']}")
        if rtype == T_ACCEPT:
            return self._accept(b, seq, rec)
        if rtype == T_REPORT:
            return self._report(b, seq, rec)
        if rtype == T_STATE:
            return self._state(b, seq, rec)
        if rtype == T_INSTRUMENT:
            venue, sym = _s(rec, "venue"), _s(rec, "sym")
            info = InstrumentInfo(_s(rec, "quote_ccy"), _d(rec, "usd_rate"))
            self.instruments[(venue, sym)] = info
            b.instruments.append(InstrumentRow(
                venue=venue, instrument=sym, market=_s(rec, "market"), kind=_i(rec, "kind"),
                quote_ccy=info.quote_ccy, usd_rate=info.usd_rate, at=ts_to_dt(_i(rec, "ts"))))
            return []
        if rtype == T_RESOLVE:
            venue, sym = _s(rec, "venue"), _s(rec, "sym")
            won = _i(rec, "winner") != 0
            at = ts_to_dt(_i(rec, "ts"))
            b.risk_events.append(RiskEventRecord(
                source=self.source, seq=seq, scope="market", scope_name=sym, state="RESOLVED",
                reason="resolved", text=f"{sym} resolved: {'won' if won else 'lost'}",
                at=at, venue=venue, instrument=sym))
            # the resolution row and the settlement of the market's positions (store)
            b.resolves.append(ResolveRow(source=self.source, seq=seq, venue=venue,
                                         instrument=sym, won=won, at=at))
            return [{"kind": "resolve", "venue": venue, "sym": sym, "won": str(int(won))}]
        return []  # a type this recorder does not know: newer trader; nothing to book

    def _accept(self, b: Bulk, seq: int, rec: dict[str, Any]) -> list[dict[str, str]]:
        venue, sym, res = _s(rec, "venue"), _s(rec, "sym"), _i(rec, "res")
        side: Side = "buy" if _i(rec, "side") == 0 else "sell"
        at = ts_to_dt(_i(rec, "ts"))
        key = str(res)
        b.orders.append(OrderRecord(
            venue=venue, instrument=sym, order_key=key, side=side, price=_d(rec, "px"),
            quantity=_d(rec, "qty"), client_order_id=_s(rec, "cid"), created_at=at,
            source="trader" if _i(rec, "local") else "ipc"))
        b.events.append(OrderEventRecord(
            venue=venue, instrument=sym, order_key=key, seq=seq, kind="accept", at=at))
        return [{"kind": "order", "venue": venue, "sym": sym, "res": key, "side": side,
                 "px": _s(rec, "px"), "qty": _s(rec, "qty"), "cid": _s(rec, "cid")}]

    def _report(self, b: Bulk, seq: int, rec: dict[str, Any]) -> list[dict[str, str]]:
        venue, sym, res = _s(rec, "venue"), _s(rec, "sym"), _i(rec, "res")
        k = _i(rec, "kind")
        if not 0 <= k < len(_KINDS):
            raise BadRecord(f"report kind {k} unknown")
        kind = _KINDS[k]
        at = ts_to_dt(_i(rec, "ts"))
        key = str(res)
        voi = _s(rec, "voi")
        ev: dict[str, str] = {"kind": kind, "venue": venue, "sym": sym, "res": key}
        fill: FillRecord | None = None
        if kind == "fill":
            info = self.instruments.get((venue, sym))
            ccy = rec.get("ccy") if type(rec.get("ccy")) is str else None
            usd_rate = _d(rec, "usd_rate") if "usd_rate" in rec else None
            side: Side = "buy" if _i(rec, "side") == 0 else "sell"
            liq = _i(rec, "liq")
            fill = FillRecord(
                venue=venue, instrument=sym, trade_id=_s(rec, "tid"), order_key=key, side=side,
                price=_d(rec, "px"), quantity=_d(rec, "qty"), fee=_d(rec, "fee"),
                fee_ccy=ccy or (info.quote_ccy if info else ""),
                liquidity=_LIQ[liq] if 0 <= liq < len(_LIQ) else "unknown",
                at=at, venue_order_id=voi,
                usd_rate=usd_rate or (info.usd_rate if info else Decimal(1)))
            ev |= {"side": side, "px": _s(rec, "px"), "qty": _s(rec, "qty"),
                   "tid": fill.trade_id, "fee": _s(rec, "fee")}
        reason = rec.get("reason")
        # the event's booked quantity is set by write_bulk: the fill's quantity if its trade
        # id is new, 0 if it was booked before (the engine ignores a repeated trade id too)
        if fill is not None:
            b.fills.append((len(b.events), fill))
        b.events.append(OrderEventRecord(
            venue=venue, instrument=sym, order_key=key, seq=seq, kind=kind, at=at,
            venue_order_id=voi, reason=reason if type(reason) is str else ""))
        return [ev]

    def _state(self, b: Bulk, seq: int, rec: dict[str, Any]) -> list[dict[str, str]]:
        scope_i, index, state_i, reason_i = (_i(rec, "scope"), _i(rec, "index"),
                                             _i(rec, "state"), _i(rec, "reason"))
        scope = _SCOPES[scope_i] if 0 <= scope_i < len(_SCOPES) else str(scope_i)
        if scope == "global":
            name, venue = "global", ""
        elif scope == "venue" and 0 <= index < len(_VENUES):
            name = venue = _VENUES[index]
        else:
            name, venue = str(index), ""
        hold = _STATES[state_i] if 0 <= state_i < len(_STATES) else str(state_i)
        reason = _REASONS[reason_i] if 0 <= reason_i < len(_REASONS) else str(reason_i)
        text = _s(rec, "text")
        # the scope's state after the change: trader writes it ("eff"); a record from an
        # older trader has only the hold, which is then the best the record knows
        state = hold
        if "eff" in rec:
            eff_i = _i(rec, "eff")
            state = _STATES[eff_i] if 0 <= eff_i < len(_STATES) else str(eff_i)
        b.risk_events.append(RiskEventRecord(
            source=self.source, seq=seq, scope=scope, scope_name=name, state=state,
            reason=reason, text=text, at=ts_to_dt(_i(rec, "ts")), venue=venue,
            hold_state=hold))
        return [{"kind": "state", "scope": name, "state": state, "hold": hold,
                 "reason": reason, "text": text}]
