"""The record: typed rows (recorder.records) into Postgres, idempotently.

    store = await Store.open(dsn)               # applies migrations (recorder.migrate)
    inserted = await store.record_fill(fill)    # False when (venue, trade_id) is already there
    async with store.batch() as b:              # one transaction for many rows
        await b.record_order(order)
        await b.set_progress("trader", seq)     # the recorder's journal position, same commit
    await store.close()

Every write is keyed by the record's idempotency key (see records.py) and does nothing when
the key exists, so replaying anything (a recorder restart, a gateway retry, the gateway and the
recorder both writing the same Polymarket fill) never books a row twice. Positions follow the
fills: a fill that is inserted moves its (venue, instrument) position in the same transaction,
with the risk engine's arithmetic (average cost, realized PnL net of fees, in USD at the fill's
rate); a duplicate fill moves nothing. `record_position` overwrites a position explicitly (a
venue's own statement after a reconcile).

Two writers, one row: the gateway and the recorder both write Polymarket orders, fills and
resolutions under the same keys. The first write makes the row; a later write of the same key
only fills in what the first could not know (the gateway's venue time `venue_at`, and for an
order the placing client's source, time in force and post-only flag), never the money.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from recorder import migrate
from recorder.records import (
    AlertRecord,
    BookSnapshot,
    FillRecord,
    OrderEventRecord,
    OrderRecord,
    PnlSnapshot,
    PositionRecord,
    RebateRecord,
    ResolutionRecord,
    RiskEventRecord,
)

_ZERO = Decimal(0)
_CLOSING_KINDS = ("reject", "cancel", "expire")


@dataclass(frozen=True, slots=True)
class Position:
    quantity: Decimal
    avg_price: Decimal
    realized_pnl_usd: Decimal


def apply_fill(pos: Position, side: str, qty: Decimal, price: Decimal, *, fee: Decimal,
               usd_rate: Decimal) -> Position:
    """The position after one fill: average cost; realized = closed PnL minus the fee, in USD.

    Same method as the risk engine (c/risk/risk_book.c book_fill), in exact decimals: the
    engine rounds each fill's amounts to its fixed-point scales, so the two agree on quantity
    exactly and on realized PnL to within those roundings."""
    sign = 1 if side == "buy" else -1
    q, avg = pos.quantity, pos.avg_price
    realized = -fee
    if q == 0 or (q > 0) == (sign > 0):
        held = abs(q)
        new_avg = (held * avg + qty * price) / (held + qty)
        new_q = q + sign * qty
    else:
        held = abs(q)
        close = min(qty, held)
        pos_sign = 1 if q > 0 else -1
        realized += pos_sign * close * (price - avg)
        new_q = q + sign * qty
        new_avg = avg if qty < held else (price if qty > held else _ZERO)
    if new_q == 0:
        new_avg = _ZERO
    return Position(new_q, new_avg, pos.realized_pnl_usd + realized * usd_rate)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("record times must be timezone-aware (UTC)")
    return at


def _utc_opt(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


class Batch:
    """Writes on one connection inside one transaction (see Store.batch)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def record_order(self, r: OrderRecord) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO orders (venue, instrument, order_key, side, price, quantity,"
            " client_order_id, venue_order_id, source, tif, post_only, created_at, updated_at,"
            " venue_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12,$13)"
            " ON CONFLICT (venue, order_key) DO UPDATE SET source = EXCLUDED.source,"
            " tif = EXCLUDED.tif, post_only = EXCLUDED.post_only,"
            " venue_at = coalesce(orders.venue_at, EXCLUDED.venue_at)"
            # the journal knows an IPC order only as 'ipc': its placer's own record says more
            " WHERE orders.source = 'ipc' AND EXCLUDED.source <> 'ipc'"
            " RETURNING (xmax = 0) AS inserted",
            r.venue, r.instrument, r.order_key, r.side, r.price, r.quantity,
            r.client_order_id, r.venue_order_id, r.source, r.tif, r.post_only,
            _utc(r.created_at), _utc_opt(r.venue_at),
        )
        return row is True

    async def record_order_event(self, r: OrderEventRecord) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO order_events (venue, instrument, order_key, seq, kind, at,"
            " venue_order_id, reason, quantity, venue_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
            " ON CONFLICT (venue, order_key, seq) DO NOTHING RETURNING 1",
            r.venue, r.instrument, r.order_key, r.seq, r.kind, _utc(r.at), r.venue_order_id,
            r.reason, r.quantity, _utc_opt(r.venue_at),
        )
        if row is None:
            return False
        # the order's current state follows its events (an event for an order we never saw
        # opened is kept as an event; there is no row to move)
        if r.kind == "ack" and r.venue_order_id:
            await self.conn.execute(
                "UPDATE orders SET venue_order_id = $3, updated_at = $4"
                " WHERE venue = $1 AND order_key = $2",
                r.venue, r.order_key, r.venue_order_id, r.at,
            )
        elif r.kind == "fill" and r.quantity > 0:
            await self.conn.execute(
                "UPDATE orders SET filled_qty = filled_qty + $3, updated_at = $4,"
                " status = CASE WHEN status = 'open' AND filled_qty + $3 >= quantity"
                "               THEN 'filled' ELSE status END"
                " WHERE venue = $1 AND order_key = $2",
                r.venue, r.order_key, r.quantity, r.at,
            )
        elif r.kind in _CLOSING_KINDS:
            await self.conn.execute(
                "UPDATE orders SET status = $3, updated_at = $4"
                " WHERE venue = $1 AND order_key = $2 AND status = 'open'",
                r.venue, r.order_key, r.kind, r.at,
            )
        return True

    async def record_fill(self, r: FillRecord) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO fills (venue, instrument, trade_id, order_key, side, price, quantity,"
            " fee, fee_ccy, liquidity, at, venue_order_id, usd_rate, venue_at)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
            " ON CONFLICT (venue, trade_id) DO UPDATE SET venue_at = EXCLUDED.venue_at"
            " WHERE fills.venue_at IS NULL AND EXCLUDED.venue_at IS NOT NULL"
            " RETURNING (xmax = 0) AS inserted",
            r.venue, r.instrument, r.trade_id, r.order_key, r.side, r.price, r.quantity, r.fee,
            r.fee_ccy, r.liquidity, _utc(r.at), r.venue_order_id, r.usd_rate,
            _utc_opt(r.venue_at),
        )
        if row is not True:      # None: there already; False: there, venue time added
            return False
        cur = await self.conn.fetchrow(
            "SELECT quantity, avg_price, realized_pnl_usd FROM positions"
            " WHERE venue = $1 AND instrument = $2 FOR UPDATE",
            r.venue, r.instrument,
        )
        pos = Position(_ZERO, _ZERO, _ZERO) if cur is None else Position(
            cur["quantity"], cur["avg_price"], cur["realized_pnl_usd"])
        new = apply_fill(pos, r.side, r.quantity, r.price, fee=r.fee, usd_rate=r.usd_rate)
        await self._upsert_position(r.venue, r.instrument, new, r.at)
        return True

    async def _upsert_position(self, venue: str, instrument: str, p: Position,
                               at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO positions (venue, instrument, quantity, avg_price, realized_pnl_usd, at)"
            " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (venue, instrument) DO UPDATE SET"
            " quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price,"
            " realized_pnl_usd = EXCLUDED.realized_pnl_usd, at = EXCLUDED.at",
            venue, instrument, p.quantity, p.avg_price, p.realized_pnl_usd, _utc(at),
        )

    async def record_position(self, r: PositionRecord) -> None:
        await self._upsert_position(
            r.venue, r.instrument, Position(r.quantity, r.avg_price, r.realized_pnl_usd), r.at)

    async def record_book(self, r: BookSnapshot) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO book_snapshots (source, seq, venue, instrument, at, bid_prices,"
            " bid_sizes, ask_prices, ask_sizes, venue_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
            " ON CONFLICT (source, seq) DO NOTHING RETURNING 1",
            r.source, r.seq, r.venue, r.instrument, _utc(r.at),
            [lv.price for lv in r.bids], [lv.size for lv in r.bids],
            [lv.price for lv in r.asks], [lv.size for lv in r.asks], _utc_opt(r.venue_at),
        )
        return row is not None

    async def record_pnl(self, r: PnlSnapshot) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO pnl_snapshots (source, seq, venue, realized_usd, unrealized_usd,"
            " fees_usd, exposure_usd, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
            " ON CONFLICT (source, seq) DO NOTHING RETURNING 1",
            r.source, r.seq, r.venue, r.realized_usd, r.unrealized_usd, r.fees_usd,
            r.exposure_usd, _utc(r.at),
        )
        return row is not None

    async def record_risk_event(self, r: RiskEventRecord) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO risk_events (source, seq, scope, scope_name, state, reason, text, at,"
            " venue, instrument, hold_state) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
            " ON CONFLICT (source, seq) DO NOTHING RETURNING 1",
            r.source, r.seq, r.scope, r.scope_name, r.state, r.reason, r.text, _utc(r.at),
            r.venue, r.instrument, r.hold_state,
        )
        return row is not None

    async def record_rebate(self, r: RebateRecord) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO rebates (venue, instrument, source, seq, amount, ccy, kind, at,"
            " venue_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
            " ON CONFLICT (source, seq) DO NOTHING RETURNING 1",
            r.venue, r.instrument, r.source, r.seq, r.amount, r.ccy, r.kind, _utc(r.at),
            _utc_opt(r.venue_at),
        )
        return row is not None

    async def record_alert(self, r: AlertRecord) -> bool:
        row = await self.conn.fetchval(
            "INSERT INTO alerts (source, seq, kind, severity, text, at, venue, instrument,"
            " venue_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
            " ON CONFLICT (source, seq) DO NOTHING RETURNING 1",
            r.source, r.seq, r.kind, r.severity, r.text, _utc(r.at), r.venue, r.instrument,
            _utc_opt(r.venue_at),
        )
        return row is not None

    async def record_resolution(self, r: ResolutionRecord) -> bool:
        """One resolution per (venue, instrument): False when it is already recorded.

        Only the row: settling positions follows trader's RESOLVE record (the recorder,
        `settle_resolution`), as the engine's PnL does."""
        row = await self.conn.fetchval(
            "INSERT INTO resolutions (venue, instrument, won, at, source, seq)"
            " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (venue, instrument) DO NOTHING RETURNING 1",
            r.venue, r.instrument, r.won, _utc(r.at), r.source, r.seq,
        )
        return row is not None

    async def progress(self, source: str) -> int:
        v = await self.conn.fetchval(
            "SELECT last_seq FROM recorder_progress WHERE source = $1", source)
        return int(v) if v is not None else 0

    async def set_progress(self, source: str, seq: int) -> None:
        await self.conn.execute(
            "INSERT INTO recorder_progress (source, last_seq, updated_at) VALUES ($1,$2,$3)"
            " ON CONFLICT (source) DO UPDATE SET last_seq = EXCLUDED.last_seq,"
            " updated_at = EXCLUDED.updated_at",
            source, seq, datetime.now(UTC),
        )


class Store:
    """A pool of connections to the record. Each record_* call is its own transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str, *, migrate: bool = True, min_size: int = 0,
                   max_size: int = 4) -> Store:
        """Connect (raises OSError / asyncpg errors when Postgres is not there) and apply
        the migrations unless migrate=False."""
        pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size,
                                         command_timeout=30)
        assert pool is not None
        if migrate:
            try:
                async with pool.acquire() as conn:
                    await _migrate(conn)
            except BaseException:
                await pool.close()
                raise
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    def terminate(self) -> None:
        """Drop every connection now (after the server went away)."""
        self._pool.terminate()

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """One connection, one transaction: every write inside commits together or not at all."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield Batch(conn)

    async def record_order(self, r: OrderRecord) -> None:
        async with self.batch() as b:
            await b.record_order(r)

    async def record_order_event(self, r: OrderEventRecord) -> None:
        async with self.batch() as b:
            await b.record_order_event(r)

    async def record_fill(self, r: FillRecord) -> bool:
        async with self.batch() as b:
            return await b.record_fill(r)

    async def record_position(self, r: PositionRecord) -> None:
        async with self.batch() as b:
            await b.record_position(r)

    async def record_book(self, r: BookSnapshot) -> None:
        async with self.batch() as b:
            await b.record_book(r)

    async def record_pnl(self, r: PnlSnapshot) -> None:
        async with self.batch() as b:
            await b.record_pnl(r)

    async def record_risk_event(self, r: RiskEventRecord) -> None:
        async with self.batch() as b:
            await b.record_risk_event(r)

    async def record_rebate(self, r: RebateRecord) -> None:
        async with self.batch() as b:
            await b.record_rebate(r)

    async def record_alert(self, r: AlertRecord) -> None:
        async with self.batch() as b:
            await b.record_alert(r)

    async def record_resolution(self, r: ResolutionRecord) -> bool:
        async with self.batch() as b:
            return await b.record_resolution(r)

    async def progress(self, source: str) -> int:
        async with self._pool.acquire() as conn:
            return await Batch(conn).progress(source)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Read-only helper for reports and tests."""
        async with self._pool.acquire() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows


async def _migrate(conn: asyncpg.Connection) -> None:
    await migrate.apply(conn)


# ---- bulk path: the recorder writes a whole batch of journal records in a few statements ----


@dataclass
class Bulk:
    """Rows of many journal records, written by Batch.write_bulk with one statement per table.

    Same keys and the same effects as the record_* calls one by one, in journal order:
    a fill moves its position only if its (venue, trade_id) is new, and a fill event books
    quantity only for such a fill."""

    orders: list[OrderRecord] = field(default_factory=list)
    events: list[OrderEventRecord] = field(default_factory=list)
    # (index into events of the fill's event, the fill)
    fills: list[tuple[int, FillRecord]] = field(default_factory=list)
    risk_events: list[RiskEventRecord] = field(default_factory=list)
    alerts: list[AlertRecord] = field(default_factory=list)
    instruments: list[InstrumentRow] = field(default_factory=list)
    # applied after every other row of the bulk: whoever fills a Bulk ends it at a resolve
    # (the recorder does), so the resolve sees the fills before it and none after it
    resolves: list[ResolveRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InstrumentRow:
    """An INSTRUMENT journal record: what settling a market needs to know."""
    venue: str
    instrument: str
    market: str
    kind: int
    quote_ccy: str
    usd_rate: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class ResolveRow:
    """A RESOLVE journal record: `instrument` won (pays 1) or lost (pays 0)."""
    source: str
    seq: int
    venue: str
    instrument: str
    won: bool
    at: datetime


async def write_bulk(conn: asyncpg.Connection, bulk: Bulk) -> None:
    if bulk.orders:
        o = bulk.orders
        await conn.execute(
            "INSERT INTO orders (venue, instrument, order_key, side, price, quantity,"
            " client_order_id, venue_order_id, source, tif, post_only, created_at, updated_at)"
            " SELECT v, i, k, s, p, q, c, vo, src, tif, po, at, at FROM unnest("
            "$1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[],"
            " $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::timestamptz[])"
            " AS t(v, i, k, s, p, q, c, vo, src, tif, po, at)"
            " ON CONFLICT (venue, order_key) DO NOTHING",
            [r.venue for r in o], [r.instrument for r in o], [r.order_key for r in o],
            [r.side for r in o], [r.price for r in o], [r.quantity for r in o],
            [r.client_order_id for r in o], [r.venue_order_id for r in o],
            [r.source for r in o], [r.tif for r in o], [r.post_only for r in o],
            [_utc(r.created_at) for r in o])
    events = list(bulk.events)
    if bulk.fills:
        f = [r for _, r in bulk.fills]
        rows = await conn.fetch(
            "INSERT INTO fills (venue, instrument, trade_id, order_key, side, price, quantity,"
            " fee, fee_ccy, liquidity, at, venue_order_id, usd_rate)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::numeric[], $7::numeric[], $8::numeric[], $9::text[], $10::text[],"
            " $11::timestamptz[], $12::text[], $13::numeric[])"
            " ON CONFLICT (venue, trade_id) DO NOTHING RETURNING venue, trade_id",
            [r.venue for r in f], [r.instrument for r in f], [r.trade_id for r in f],
            [r.order_key for r in f], [r.side for r in f], [r.price for r in f],
            [r.quantity for r in f], [r.fee for r in f], [r.fee_ccy for r in f],
            [r.liquidity for r in f], [_utc(r.at) for r in f], [r.venue_order_id for r in f],
            [r.usd_rate for r in f])
        new = {(r["venue"], r["trade_id"]) for r in rows}
        booked: list[FillRecord] = []
        for ev_i, r in bulk.fills:
            if (r.venue, r.trade_id) in new:
                new.discard((r.venue, r.trade_id))     # a repeat inside the batch books once
                booked.append(r)
                fe = events[ev_i]
                events[ev_i] = OrderEventRecord(
                    venue=fe.venue, instrument=fe.instrument, order_key=fe.order_key,
                    seq=fe.seq, kind=fe.kind, at=fe.at, venue_order_id=fe.venue_order_id,
                    reason=fe.reason, quantity=r.quantity)
        if booked:
            await _bulk_positions(conn, booked)
    if events:
        e = events
        rows = await conn.fetch(
            "INSERT INTO order_events (venue, instrument, order_key, seq, kind, at,"
            " venue_order_id, reason, quantity) SELECT * FROM unnest($1::text[], $2::text[],"
            " $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[],"
            " $9::numeric[]) ON CONFLICT (venue, order_key, seq) DO NOTHING"
            " RETURNING venue, order_key, seq",
            [r.venue for r in e], [r.instrument for r in e], [r.order_key for r in e],
            [r.seq for r in e], [r.kind for r in e], [_utc(r.at) for r in e],
            [r.venue_order_id for r in e], [r.reason for r in e], [r.quantity for r in e])
        inserted = {(r["venue"], r["order_key"], r["seq"]) for r in rows}
        await _bulk_order_updates(conn, [r for r in e
                                         if (r.venue, r.order_key, r.seq) in inserted])
    if bulk.risk_events:
        r_ = bulk.risk_events
        await conn.execute(
            "INSERT INTO risk_events (source, seq, scope, scope_name, state, reason, text, at,"
            " venue, instrument, hold_state) SELECT * FROM unnest($1::text[], $2::bigint[],"
            " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],"
            " $9::text[], $10::text[], $11::text[]) ON CONFLICT (source, seq) DO NOTHING",
            [r.source for r in r_], [r.seq for r in r_], [r.scope for r in r_],
            [r.scope_name for r in r_], [r.state for r in r_], [r.reason for r in r_],
            [r.text for r in r_], [_utc(r.at) for r in r_], [r.venue for r in r_],
            [r.instrument for r in r_], [r.hold_state for r in r_])
    b = Batch(conn)
    for ins in bulk.instruments:
        # a re-registration (new tick or rate) overwrites: the latest rate settles, as in
        # the engine, which converts with the instrument's current rate
        await conn.execute(
            "INSERT INTO instruments (venue, instrument, market, kind, quote_ccy, usd_rate, at)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (venue, instrument) DO UPDATE SET"
            " market = EXCLUDED.market, kind = EXCLUDED.kind, quote_ccy = EXCLUDED.quote_ccy,"
            " usd_rate = EXCLUDED.usd_rate, at = EXCLUDED.at",
            ins.venue, ins.instrument, ins.market, ins.kind, ins.quote_ccy, ins.usd_rate,
            _utc(ins.at))
    for res in bulk.resolves:
        warning = await settle_resolution(conn, res)
        if warning:
            bulk.alerts.append(AlertRecord(
                source=f"recorder:{res.source}", seq=res.seq, kind="resolve_incomplete",
                severity="error", text=warning, at=datetime.now(UTC), venue=res.venue,
                instrument=res.instrument))
    for a in bulk.alerts:
        await b.record_alert(a)


_BINARY = 3   # c/core/instrument.h INSTRUMENT_BINARY


async def settle_resolution(conn: asyncpg.Connection, r: ResolveRow) -> str:
    """A RESOLVE record into the record, exactly as the engine books it.

    c/risk/risk_book.c risk_resolve_market (called by trader's on_resolve, c/app/dispatch.c):
    the first resolve of a market books every held outcome of it as a fill closing the
    position at 1 (the winner) or 0 (the others), fee 0, realized PnL in USD at the
    instrument's rate. The winner is the named
    outcome if it won, else its complement (the market's other outcome). A later resolve of
    the same market changes nothing (the engine's `resolved` flag; here the `settlements`
    row, written in the same transaction as the journal position, so a replayed record is a
    no-op too). Returns a warning for an alert ('' = none)."""
    await conn.execute(
        "INSERT INTO resolutions (venue, instrument, won, at, source, seq)"
        " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (venue, instrument) DO NOTHING",
        r.venue, r.instrument, r.won, _utc(r.at), r.source, r.seq)
    me = await conn.fetchrow(
        "SELECT market, kind FROM instruments WHERE venue = $1 AND instrument = $2",
        r.venue, r.instrument)
    warning = ""
    rates: dict[str, Decimal] = {}
    if me is None:
        # trader journals an instrument before any record naming it; not knowing it means
        # the record was started after its INSTRUMENT record (a record older than this
        # table): settle the named outcome alone and say so
        market = r.instrument
        rates[r.instrument] = Decimal(1)
        warning = (f"resolve of {r.instrument}: instrument not in the record, its market's "
                   "other outcome (if held) is not settled")
    else:
        market = me["market"]
        for row in await conn.fetch(
                "SELECT instrument, usd_rate FROM instruments WHERE venue = $1 AND market = $2"
                " ORDER BY instrument", r.venue, market):
            rates[row["instrument"]] = row["usd_rate"]
        if me["kind"] != _BINARY:
            return f"resolve of {r.instrument}: not a binary outcome; nothing settled"
    others = [i for i in rates if i != r.instrument]
    winner = r.instrument if r.won else (others[0] if len(others) == 1 else "")
    first = await conn.fetchval(
        "INSERT INTO settlements (venue, market, winner, source, seq, at)"
        " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (venue, market) DO NOTHING RETURNING 1",
        r.venue, market, winner, r.source, r.seq, _utc(r.at))
    if first is None:
        return ""
    names = list(rates)
    rows = await conn.fetch(
        "SELECT instrument, quantity, avg_price, realized_pnl_usd FROM positions"
        " WHERE venue = $1 AND instrument = ANY($2::text[]) ORDER BY instrument FOR UPDATE",
        r.venue, names)
    for row in rows:
        q = row["quantity"]
        if q == 0:
            continue
        pos = Position(q, row["avg_price"], row["realized_pnl_usd"])
        settle = Decimal(1) if row["instrument"] == winner else _ZERO
        new = apply_fill(pos, "sell" if q > 0 else "buy", abs(q), settle, fee=_ZERO,
                         usd_rate=rates[row["instrument"]])
        await Batch(conn)._upsert_position(r.venue, row["instrument"], new, r.at)
    # open orders: the engine frees their reservations, but trader keeps each order (`ctl
    # orders`) until the venue's cancel report, which closes it here too
    return warning


async def _bulk_positions(conn: asyncpg.Connection, fills: list[FillRecord]) -> None:
    keys = sorted({(r.venue, r.instrument) for r in fills})
    rows = await conn.fetch(
        "SELECT p.venue, p.instrument, p.quantity, p.avg_price, p.realized_pnl_usd"
        " FROM positions p JOIN unnest($1::text[], $2::text[]) AS k(v, i)"
        " ON p.venue = k.v AND p.instrument = k.i FOR UPDATE OF p",
        [k[0] for k in keys], [k[1] for k in keys])
    pos = {(r["venue"], r["instrument"]): Position(r["quantity"], r["avg_price"],
                                                   r["realized_pnl_usd"]) for r in rows}
    last_at: dict[tuple[str, str], datetime] = {}
    for r in fills:
        k = (r.venue, r.instrument)
        pos[k] = apply_fill(pos.get(k, Position(_ZERO, _ZERO, _ZERO)), r.side, r.quantity,
                            r.price, fee=r.fee, usd_rate=r.usd_rate)
        last_at[k] = r.at
    ks = list(last_at)
    await conn.execute(
        "INSERT INTO positions (venue, instrument, quantity, avg_price, realized_pnl_usd, at)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[],"
        " $5::numeric[], $6::timestamptz[]) ON CONFLICT (venue, instrument) DO UPDATE SET"
        " quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price,"
        " realized_pnl_usd = EXCLUDED.realized_pnl_usd, at = EXCLUDED.at",
        [k[0] for k in ks], [k[1] for k in ks], [pos[k].quantity for k in ks],
        [pos[k].avg_price for k in ks], [pos[k].realized_pnl_usd for k in ks],
        [_utc(last_at[k]) for k in ks])


async def _bulk_order_updates(conn: asyncpg.Connection, events: list[OrderEventRecord]) -> None:
    """Fold the new events of each order (in journal order) into one update per order."""
    agg: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        if e.kind == "accept":
            continue
        a = agg.setdefault((e.venue, e.order_key),
                           {"voi": "", "add": _ZERO, "close": "", "at": e.at})
        a["at"] = e.at
        if e.kind == "ack" and e.venue_order_id:
            a["voi"] = e.venue_order_id
        elif e.kind == "fill":
            a["add"] += e.quantity
        elif e.kind in _CLOSING_KINDS and not a["close"]:
            a["close"] = e.kind
    if not agg:
        return
    ks = list(agg)
    await conn.execute(
        "UPDATE orders o SET"
        " venue_order_id = CASE WHEN u.voi <> '' THEN u.voi ELSE o.venue_order_id END,"
        " filled_qty = o.filled_qty + u.add, updated_at = u.at,"
        " status = CASE WHEN o.status <> 'open' THEN o.status"
        "               WHEN o.filled_qty + u.add >= o.quantity THEN 'filled'"
        "               WHEN u.close <> '' THEN u.close ELSE 'open' END"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[],"
        " $6::timestamptz[]) AS u(v, k, voi, add, close, at)"
        " WHERE o.venue = u.v AND o.order_key = u.k",
        [k[0] for k in ks], [k[1] for k in ks], [agg[k]["voi"] for k in ks],
        [agg[k]["add"] for k in ks], [agg[k]["close"] for k in ks],
        [_utc(agg[k]["at"]) for k in ks])
