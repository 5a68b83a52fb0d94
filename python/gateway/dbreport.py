"""Reports and replays from the record (Postgres), for `python -m gateway report|replay --dsn`.

The record holds what the gateway wrote: `orders` (the ladder level rides in the client order
id, `...-L<level>`), `fills`, `book_snapshots` (every `records.book_snapshot_s`), `rebates`
(paper: the maker rebate the venue would pay) and `resolutions` (older records: `risk_events`
RESOLVED rows). Times are the venue's (`venue_at`, set on a fast-forwarded simulator) where
the record has them, else wall-clock (`at`). It does not
pair the two outcome tokens of a market, so each token is reported in its own price space
(its own mid, its own settlement: 1 if it won, else 0); a token still held and unresolved is
marked at its last snapshot mid. Spread dynamics count minutes from a token's first snapshot.

Replay runs `gateway.mm` over the recorded snapshots with the mm paper matcher: public trades
are not recorded, so fills there come only from books moving through resting quotes.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.mm import report as mmreport
from gateway.mm.config import MMConfig
from gateway.mm.paper import PaperFill
from gateway.mm.replay import OrderLog, Replay, ReplayResult, Settlement, SpreadSample
from gateway.mm.strategy import MarketMaker
from gateway.mm.synth import BookEvent, Event, ResolveEvent
from gateway.mm.types import Book, FeeSchedule, Inventory, Level, MarketInfo

NS = 1_000_000_000
ZERO = Decimal(0)
VENUE = "polymarket"
_LEVEL = re.compile(r"-L(\d+)$")


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000) * 1000


@dataclass
class Loaded:
    orders: list[OrderLog]
    fills: list[PaperFill]
    spreads: list[SpreadSample]
    books: list[tuple[str, Book]]
    settlements: list[Settlement]
    start_ns: dict[str, int]
    marked: list[str]                  # tokens valued at their last mid (not resolved)
    rebate_rows: Decimal


async def _rows(store: Any, sql: str, *args: Any) -> list[Any]:
    rows: list[Any] = await store.fetch(sql, *args)
    return rows


def _book(r: Any) -> Book:
    bids = tuple(Level(p, s) for p, s in zip(r["bid_prices"], r["bid_sizes"], strict=True))
    asks = tuple(Level(p, s) for p, s in zip(r["ask_prices"], r["ask_sizes"], strict=True))
    return Book(tuple(sorted(bids, key=lambda lv: -lv.price)),
                tuple(sorted(asks, key=lambda lv: lv.price)), _ns(r["at"]))


async def load(store: Any) -> Loaded:
    snaps = await _rows(store, "SELECT instrument, coalesce(venue_at, at) AS at, bid_prices,"
                        " bid_sizes, ask_prices, ask_sizes FROM book_snapshots WHERE venue = $1"
                        " ORDER BY 2, seq", VENUE)
    books: list[tuple[str, Book]] = [(r["instrument"], _book(r)) for r in snaps]
    start: dict[str, int] = {}
    mids: dict[str, tuple[list[int], list[Decimal]]] = defaultdict(lambda: ([], []))
    spreads: list[SpreadSample] = []
    for tok, b in books:
        start.setdefault(tok, b.ts_ns)
        if b.mid is not None:
            times, values = mids[tok]
            times.append(b.ts_ns)
            values.append(b.mid)
        if b.spread is not None:
            spreads.append(SpreadSample(tok, b.ts_ns, (b.ts_ns - start[tok]) // NS, b.spread))

    def mid_at(tok: str, ts_ns: int) -> Decimal | None:
        ts, ms = mids.get(tok, ([], []))
        i = bisect.bisect_right(ts, ts_ns) - 1
        return ms[i] if i >= 0 else None

    orows = await _rows(store, "SELECT order_key, instrument, side, price, quantity,"
                        " client_order_id, post_only, coalesce(venue_at, created_at) AS created_at"
                        " FROM orders WHERE venue = $1 AND source = 'gateway' ORDER BY 8", VENUE)
    orders: dict[str, OrderLog] = {}
    for r in orows:
        m = _LEVEL.search(r["client_order_id"])
        orders[r["order_key"]] = OrderLog(
            r["order_key"], r["instrument"], "YES", r["side"].upper(), r["price"], r["quantity"],
            int(m.group(1)) if m else -1, bool(r["post_only"]), _ns(r["created_at"]))
    reb = await _rows(store, "SELECT instrument, amount, coalesce(venue_at, at) AS at FROM"
                      " rebates WHERE venue = $1 AND kind = 'rebate' ORDER BY 3, seq", VENUE)
    rebates: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
    for r in reb:
        rebates[(r["instrument"], _ns(r["at"]))].append(r["amount"])
    frows = await _rows(store, "SELECT trade_id, order_key, instrument, side, price, quantity,"
                        " fee, liquidity, coalesce(venue_at, at) AS at, at AS wall_at FROM fills"
                        " WHERE venue = $1 ORDER BY 9, trade_id", VENUE)
    fills: list[PaperFill] = []
    held: dict[str, Decimal] = defaultdict(Decimal)
    fill_ts: list[tuple[int, str, Decimal]] = []
    for r in frows:
        ts = _ns(r["at"])
        o = orders.get(r["order_key"])
        level = o.level if o is not None else -1
        rb = rebates.get((r["instrument"], ts))
        rebate = rb.pop(0) if rb else ZERO
        side = r["side"].upper()
        fills.append(PaperFill(r["trade_id"], r["order_key"], r["instrument"], r["instrument"],
                               "YES", side, r["price"], r["quantity"], level, r["liquidity"],
                               r["fee"], rebate, ts, mid_at(r["instrument"], ts)))
        if o is not None:
            o.filled += r["quantity"]
            if o.first_fill_ns is None:
                o.first_fill_ns = ts
        signed = r["quantity"] if side == "BUY" else -r["quantity"]
        held[r["instrument"]] += signed
        # wall-clock: a resolution is stamped on the wall clock, whoever recorded it
        fill_ts.append((_ns(r["wall_at"]), r["instrument"], signed))
    # a token's resolution (one row per token); a record from before `resolutions` existed
    # has the gateway's risk_events RESOLVED rows instead
    res = await _rows(store, "SELECT instrument AS scope_name, won, at FROM resolutions"
                      " WHERE venue = $1 UNION ALL"
                      " SELECT DISTINCT ON (scope_name) scope_name, text LIKE '%won', at"
                      " FROM risk_events WHERE state = 'RESOLVED' AND scope = 'market'"
                      " AND venue = $1 AND NOT EXISTS (SELECT 1 FROM resolutions x"
                      " WHERE x.venue = $1 AND x.instrument = risk_events.scope_name)"
                      " ORDER BY 1, 3", VENUE)
    settlements: list[Settlement] = []
    resolved: set[str] = set()
    for r in res:
        tok = r["scope_name"]
        if tok in resolved or (tok not in held and tok not in start):
            continue
        at_ns = _ns(r["at"])
        qty = sum((q for t, i, q in fill_ts if i == tok and t <= at_ns), ZERO)
        won = bool(r["won"])
        settlements.append(Settlement(tok, at_ns, won, qty if won else ZERO,
                                      Inventory(yes_qty=max(qty, ZERO))))
        resolved.add(tok)
    marked = []
    for tok, qty in held.items():
        if tok in resolved or qty == 0:
            continue
        last = mids.get(tok)
        px = last[1][-1] if last and last[1] else ZERO
        settlements.append(Settlement(tok, 0, False, qty * px, Inventory(yes_qty=qty)))
        marked.append(tok)
    return Loaded(list(orders.values()), fills, spreads, books, settlements, start, marked,
                  sum((r["amount"] for r in reb), ZERO))


def build(data: Loaded) -> mmreport.Report:
    return mmreport.build(orders=data.orders, fills=data.fills, spreads=data.spreads,
                          books=data.books, settlements=data.settlements, start_ns=data.start_ns)


def replay(data: Loaded, config: MMConfig, fees: FeeSchedule, tick: Decimal,
           min_size: Decimal) -> tuple[ReplayResult, mmreport.Report]:
    """The market maker over the recorded snapshots, each token as its own market."""
    infos = {tok: MarketInfo(tok, tok, f"{tok}:other", tick, min_size, fees, start_ns=s)
             for tok, s in data.start_ns.items()}
    events: list[Event] = [BookEvent(b.ts_ns, tok, b) for tok, b in data.books]
    for s in data.settlements:
        if s.ts_ns and s.market_id in infos:
            events.append(ResolveEvent(s.ts_ns, s.market_id, s.yes_wins))
    events.sort(key=lambda e: (e.ts_ns, 0 if isinstance(e, BookEvent) else 1))
    result = Replay(MarketMaker(config), list(infos.values())).run(events)
    rep = mmreport.build(orders=list(result.orders.values()), fills=result.fills,
                         spreads=result.spreads, books=result.books,
                         settlements=result.settlements,
                         start_ns={k: i.start_ns for k, i in infos.items()})
    return result, rep


def summary(data: Loaded, rep: mmreport.Report) -> str:
    lines = [mmreport.render(rep)]
    lines.append(f"record: {len(data.orders)} orders, {len(data.fills)} fills, "
                 f"{len(data.books)} book snapshots, rebates booked ${data.rebate_rows:.5f}")
    if data.marked:
        lines.append(f"{len(data.marked)} token(s) unresolved: marked at their last mid")
    return "\n".join(lines)


def levels_of(orders: Sequence[OrderLog]) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for o in orders:
        out[o.level] += 1
    return dict(sorted(out.items()))
