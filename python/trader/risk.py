"""cffi binding of the C risk engine (libtraderrisk.so).

The same limit code that runs inside ``trader`` is loaded here in ABI mode
(``ffi.dlopen``), so Python tools and property tests exercise the real
engine. The exported C API is flat (scalars, strings, one opaque pointer and
``struct risk_event``, whose layout is declared below exactly as in
c/risk/risk.h). Money crosses the boundary as int64 mantissas; at this edge it
is always ``Decimal``, never float.

The library path comes from ``TRADER_RISK_LIB``, defaulting to
``<repo>/build/release/lib/libtraderrisk.so``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import cffi

USD_SCALE: Final = 8
QUOTE_SCALE: Final = 8
RATE_SCALE: Final = 8
UNLIMITED: Final = (1 << 63) - 1
INSTRUMENT_NONE: Final = (1 << 32) - 1

_CDEF = """
struct risk_engine;
struct risk_event {
    uint64_t seq;
    int64_t ts_ns;
    int32_t type;
    int32_t code;
    int32_t scope;
    uint32_t scope_index;
    int32_t old_state;
    int32_t new_state;
    char text[200];
};
struct risk_engine *risk_engine_create_json(const char *risk_json, uint32_t max_instruments,
                                            uint32_t max_reservations, char *err, size_t errlen);
void risk_engine_destroy(struct risk_engine *e);
int risk_add_instrument_json(struct risk_engine *e, const char *instrument_json, uint32_t *id,
                             char *err, size_t errlen);
int risk_instrument_info(const struct risk_engine *e, uint32_t instrument, int *venue, int *kind,
                         int *price_scale, int *qty_scale, uint32_t *market, uint32_t *complement);
int risk_set_usd_rate(struct risk_engine *e, uint32_t instrument, int64_t usd_rate);
int risk_set_tick(struct risk_engine *e, uint32_t instrument, int64_t tick);
int risk_mark(struct risk_engine *e, uint32_t instrument, int64_t price, int64_t now_ns);
int risk_check(struct risk_engine *e, uint32_t instrument, int side, int64_t price, int64_t qty,
               uint32_t flags, int64_t now_ns, uint64_t *res_id, char *reason, size_t reason_len);
int risk_on_ack(struct risk_engine *e, uint64_t res_id, const char *venue_order_id);
int risk_on_reject(struct risk_engine *e, uint64_t res_id, int64_t now_ns);
int risk_on_cancel(struct risk_engine *e, uint64_t res_id, int expired, int64_t now_ns);
int risk_on_fill(struct risk_engine *e, uint64_t res_id, uint32_t instrument, int side,
                 const char *trade_id, int64_t qty, int64_t price, int64_t fee, int liquidity,
                 int64_t now_ns);
int risk_resolve_market(struct risk_engine *e, uint32_t market, uint32_t winner, int64_t now_ns);
int risk_set_position(struct risk_engine *e, uint32_t instrument, int64_t qty, int64_t cost,
                      int64_t now_ns);
int risk_restore_reservation(struct risk_engine *e, uint64_t res_id, uint32_t instrument,
                             int side, int64_t price, int64_t qty, int64_t now_ns);
int risk_tick(struct risk_engine *e, int64_t now_ns);
int risk_set_state(struct risk_engine *e, int scope, uint32_t index, int state, int reason,
                   const char *text, int64_t now_ns);
int risk_kill(struct risk_engine *e, const char *text, int64_t now_ns);
int risk_scope_state(const struct risk_engine *e, int scope, uint32_t index);
int risk_effective_state(const struct risk_engine *e, uint32_t instrument);
int risk_next_event(struct risk_engine *e, struct risk_event *out);
uint64_t risk_events_dropped(const struct risk_engine *e);
int risk_usage(const struct risk_engine *e, int limit, int scope, uint32_t index, int64_t now_ns,
               int64_t *value, int64_t *bound);
int risk_position(const struct risk_engine *e, uint32_t instrument, int64_t *qty, int64_t *cost,
                  int64_t *open_buy_qty, int64_t *open_sell_qty, int64_t *realized_usd,
                  int64_t *unrealized_usd);
int risk_pnl(const struct risk_engine *e, int scope, uint32_t index, int64_t *realized,
             int64_t *unrealized, int64_t *daily, int64_t *fees);
uint32_t risk_open_reservations(const struct risk_engine *e);
size_t risk_format_status(const struct risk_engine *e, int64_t now_ns, char *buf, size_t cap);
const char *risk_code_name(int code);
const char *risk_reason_name(int reason);
"""

_REASON_CAP: Final = 256
_ERR_CAP: Final = 512


class Side(IntEnum):
    BUY = 0
    SELL = 1


class Scope(IntEnum):
    GLOBAL = 0
    VENUE = 1
    MARKET = 2


class State(IntEnum):
    ACTIVE = 0
    REDUCING = 1
    HALTED = 2


class Venue(IntEnum):
    PAPER = 0
    BINANCE = 1
    IBKR = 2
    POLYMARKET = 3


class Code(IntEnum):
    """Check results and limit ids; numbers and names match c/risk/risk.h."""

    OK = 0
    HALTED = 1
    REDUCE_ONLY = 2
    MAX_ORDER_NOTIONAL = 3
    MAX_POSITION = 4
    MAX_POSITIONS = 5
    MAX_EXPOSURE = 6
    DAILY_LOSS = 7
    DRAWDOWN = 8
    ORDER_RATE = 9
    CANCEL_FILL_RATIO = 10
    PRICE_COLLAR = 11
    STALE_MARK = 12
    NO_MARK = 13
    TICK = 14
    LOT = 15
    MIN_QTY = 16
    MIN_NOTIONAL = 17
    BAD_PRICE = 18
    BAD_QTY = 19
    NO_SHORT = 20
    UNKNOWN_INSTRUMENT = 21
    CAPACITY = 22
    RESOLVED = 23
    OVERFLOW = 24
    POSITION_STOP = 25
    LOSS_BREAKER = 26
    BAD_SIDE = 27


class Reason(IntEnum):
    NONE = 0
    OPERATOR = 1
    KILL = 2
    DAILY_LOSS = 3
    DRAWDOWN = 4
    LOSS_BREAKER = 5
    CONNECTION = 6
    POSITION_STOP = 7
    RESOLVED = 8
    RECONCILE = 9


class EventType(IntEnum):
    STATE = 1
    POSITION_STOP = 2
    LIMIT_BREACH = 3
    DAILY_RESET = 4
    ANOMALY = 5


# Limits whose usage is money (USD); the others are counts or ratios x100.
_USD_LIMITS: Final = frozenset(
    {
        Code.MAX_ORDER_NOTIONAL,
        Code.MAX_POSITION,
        Code.MAX_EXPOSURE,
        Code.DAILY_LOSS,
        Code.DRAWDOWN,
        Code.POSITION_STOP,
    }
)


class RiskError(Exception):
    """Bad input refused by the engine (nothing was booked)."""


def to_mantissa(value: Decimal | int | str, scale: int) -> int:
    """Exact Decimal -> int64 mantissa at `scale`; never rounds."""
    d = Decimal(value)
    if not d.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    scaled = d.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    m = int(scaled)
    if not -UNLIMITED <= m <= UNLIMITED:
        raise ValueError(f"{value} is out of range at scale {scale}")
    return m


def from_mantissa(m: int, scale: int) -> Decimal:
    return Decimal(m).scaleb(-scale)


def default_library_path() -> Path:
    env = os.environ.get("TRADER_RISK_LIB")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo / "build" / "release" / "lib" / "libtraderrisk.so"


_ffi = cffi.FFI()
_ffi.cdef(_CDEF)
_libs: dict[str, Any] = {}


def _load(path: Path) -> Any:
    key = str(path)
    if key not in _libs:
        _libs[key] = _ffi.dlopen(key)
    return _libs[key]


@dataclass(frozen=True)
class Instrument:
    id: int
    venue: Venue
    kind: int
    price_scale: int
    qty_scale: int
    market: int
    complement: int | None


@dataclass(frozen=True)
class CheckResult:
    code: Code
    reason: str
    res_id: int

    @property
    def accepted(self) -> bool:
        return self.code == Code.OK


@dataclass(frozen=True)
class Usage:
    value: Decimal | int
    bound: Decimal | int | None  # None: unlimited


@dataclass(frozen=True)
class Position:
    qty: Decimal
    cost: Decimal  # quote currency
    open_buy_qty: Decimal
    open_sell_qty: Decimal
    realized_usd: Decimal
    unrealized_usd: Decimal


@dataclass(frozen=True)
class Pnl:
    realized: Decimal
    unrealized: Decimal
    daily: Decimal
    fees: Decimal


@dataclass(frozen=True)
class RiskEvent:
    seq: int
    ts_ns: int
    type: EventType
    code: int
    scope: Scope
    scope_index: int
    old_state: State
    new_state: State
    text: str


class RiskEngine:
    """One engine instance (not thread safe, like the C engine)."""

    def __init__(
        self,
        limits: Mapping[str, Any] | str | None = None,
        *,
        max_instruments: int = 256,
        max_reservations: int = 4096,
        library: Path | None = None,
    ) -> None:
        self._lib = _load(library or default_library_path())
        text = limits if isinstance(limits, str) else json.dumps(dict(limits or {}))
        err = _ffi.new("char[]", _ERR_CAP)
        ptr = self._lib.risk_engine_create_json(
            text.encode(), max_instruments, max_reservations, err, _ERR_CAP
        )
        if ptr == _ffi.NULL:
            raise RiskError(_ffi.string(err).decode())
        self._e: Any = ptr
        self._instruments: dict[int, Instrument] = {}

    # ---- lifecycle ----
    def close(self) -> None:
        if self._e is not None:
            self._lib.risk_engine_destroy(self._e)
            self._e = None

    def __enter__(self) -> RiskEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _eng(self) -> Any:
        if self._e is None:
            raise RiskError("engine is closed")
        return self._e

    @staticmethod
    def _rc(rc: int, what: str) -> int:
        if rc < 0:
            raise RiskError(f"{what} refused (code {rc})")
        return rc

    # ---- instruments and market data ----
    def add_instrument(self, spec: Mapping[str, Any]) -> Instrument:
        err = _ffi.new("char[]", _ERR_CAP)
        out = _ffi.new("uint32_t *")
        rc = self._lib.risk_add_instrument_json(
            self._eng(), json.dumps(dict(spec)).encode(), out, err, _ERR_CAP
        )
        if rc != 0:
            raise RiskError(_ffi.string(err).decode())
        return self.instrument(int(out[0]))

    def instrument(self, instrument_id: int) -> Instrument:
        cached = self._instruments.get(instrument_id)
        # The complement is linked when the second outcome registers: refresh.
        if cached is not None and cached.complement is not None:
            return cached
        venue, kind, ps, qs = (_ffi.new("int *") for _ in range(4))
        market, comp = _ffi.new("uint32_t *"), _ffi.new("uint32_t *")
        rc = self._lib.risk_instrument_info(
            self._eng(), instrument_id, venue, kind, ps, qs, market, comp
        )
        if rc != 0:
            raise RiskError(f"unknown instrument {instrument_id}")
        inst = Instrument(
            id=instrument_id,
            venue=Venue(venue[0]),
            kind=int(kind[0]),
            price_scale=int(ps[0]),
            qty_scale=int(qs[0]),
            market=int(market[0]),
            complement=None if comp[0] == INSTRUMENT_NONE else int(comp[0]),
        )
        self._instruments[instrument_id] = inst
        return inst

    def mark(self, instrument_id: int, price: Decimal, now_ns: int) -> None:
        inst = self.instrument(instrument_id)
        self._rc(
            self._lib.risk_mark(
                self._eng(), instrument_id, to_mantissa(price, inst.price_scale), now_ns
            ),
            "mark",
        )

    def set_usd_rate(self, instrument_id: int, rate: Decimal) -> None:
        self._rc(
            self._lib.risk_set_usd_rate(self._eng(), instrument_id, to_mantissa(rate, RATE_SCALE)),
            "usd rate",
        )

    # ---- pre-trade check and venue reports ----
    def check(
        self,
        instrument_id: int,
        side: Side,
        price: Decimal,
        qty: Decimal,
        now_ns: int,
        *,
        reduce_only: bool = False,
    ) -> CheckResult:
        inst = self.instrument(instrument_id)
        res = _ffi.new("uint64_t *")
        reason = _ffi.new("char[]", _REASON_CAP)
        code = self._lib.risk_check(
            self._eng(),
            instrument_id,
            int(side),
            to_mantissa(price, inst.price_scale),
            to_mantissa(qty, inst.qty_scale),
            1 if reduce_only else 0,
            now_ns,
            res,
            reason,
            _REASON_CAP,
        )
        if code == Code.OK:
            return CheckResult(Code.OK, "", int(res[0]))
        return CheckResult(Code(code), _ffi.string(reason).decode(), 0)

    def on_ack(self, res_id: int, venue_order_id: str) -> None:
        self._rc(self._lib.risk_on_ack(self._eng(), res_id, venue_order_id.encode()), "ack")

    def on_reject(self, res_id: int, now_ns: int) -> None:
        self._rc(self._lib.risk_on_reject(self._eng(), res_id, now_ns), "reject")

    def on_cancel(self, res_id: int, now_ns: int, *, expired: bool = False) -> None:
        rc = self._lib.risk_on_cancel(self._eng(), res_id, 1 if expired else 0, now_ns)
        self._rc(rc, "cancel")

    def on_fill(
        self,
        res_id: int,
        instrument_id: int,
        side: Side,
        *,
        trade_id: str,
        qty: Decimal,
        price: Decimal,
        now_ns: int,
        fee: Decimal = Decimal(0),
        liquidity: int = 0,
    ) -> bool:
        """Books a fill; False when (venue, trade_id) was already booked."""
        inst = self.instrument(instrument_id)
        rc = self._rc(
            self._lib.risk_on_fill(
                self._eng(),
                res_id,
                instrument_id,
                int(side),
                trade_id.encode(),
                to_mantissa(qty, inst.qty_scale),
                to_mantissa(price, inst.price_scale),
                to_mantissa(fee, QUOTE_SCALE),
                liquidity,
                now_ns,
            ),
            "fill",
        )
        return rc == 0

    def resolve_market(self, market: int, winner: int | None, now_ns: int) -> None:
        w = INSTRUMENT_NONE if winner is None else winner
        self._rc(self._lib.risk_resolve_market(self._eng(), market, w, now_ns), "resolve")

    def tick(self, now_ns: int) -> None:
        self._rc(self._lib.risk_tick(self._eng(), now_ns), "tick")

    def set_state(
        self, scope: Scope, index: int, state: State, *, reason: Reason, text: str, now_ns: int
    ) -> None:
        self._rc(
            self._lib.risk_set_state(
                self._eng(), int(scope), index, int(state), int(reason), text.encode(), now_ns
            ),
            "set_state",
        )

    def kill(self, text: str, now_ns: int) -> None:
        self._rc(self._lib.risk_kill(self._eng(), text.encode(), now_ns), "kill")

    # ---- queries ----
    def scope_state(self, scope: Scope, index: int = 0) -> State:
        return State(self._rc(self._lib.risk_scope_state(self._eng(), int(scope), index), "state"))

    def usage(self, limit: Code, scope: Scope, index: int, now_ns: int) -> Usage:
        value, bound = _ffi.new("int64_t *"), _ffi.new("int64_t *")
        rc = self._lib.risk_usage(self._eng(), int(limit), int(scope), index, now_ns, value, bound)
        if rc != 0:
            raise RiskError(f"{limit.name} has no usage at {scope.name} scope")
        v, b = int(value[0]), int(bound[0])
        if limit in _USD_LIMITS:
            usd_bound = None if b == UNLIMITED else from_mantissa(b, USD_SCALE)
            return Usage(from_mantissa(v, USD_SCALE), usd_bound)
        return Usage(v, None if b == UNLIMITED else b)

    def position(self, instrument_id: int) -> Position:
        inst = self.instrument(instrument_id)
        out = [_ffi.new("int64_t *") for _ in range(6)]
        self._rc(self._lib.risk_position(self._eng(), instrument_id, *out), "position")
        q, c, ob, os_, r, u = (int(p[0]) for p in out)
        return Position(
            qty=from_mantissa(q, inst.qty_scale),
            cost=from_mantissa(c, QUOTE_SCALE),
            open_buy_qty=from_mantissa(ob, inst.qty_scale),
            open_sell_qty=from_mantissa(os_, inst.qty_scale),
            realized_usd=from_mantissa(r, USD_SCALE),
            unrealized_usd=from_mantissa(u, USD_SCALE),
        )

    def pnl(self, scope: Scope, index: int = 0) -> Pnl:
        out = [_ffi.new("int64_t *") for _ in range(4)]
        self._rc(self._lib.risk_pnl(self._eng(), int(scope), index, *out), "pnl")
        r, u, d, f = (from_mantissa(int(p[0]), USD_SCALE) for p in out)
        return Pnl(realized=r, unrealized=u, daily=d, fees=f)

    def open_reservations(self) -> int:
        return int(self._lib.risk_open_reservations(self._eng()))

    def events(self) -> Iterator[RiskEvent]:
        """Drains the engine's event queue."""
        ev = _ffi.new("struct risk_event *")
        while self._lib.risk_next_event(self._eng(), ev):
            yield RiskEvent(
                seq=int(ev.seq),
                ts_ns=int(ev.ts_ns),
                type=EventType(ev.type),
                code=int(ev.code),
                scope=Scope(ev.scope),
                scope_index=int(ev.scope_index),
                old_state=State(ev.old_state),
                new_state=State(ev.new_state),
                text=_ffi.string(ev.text).decode(errors="replace"),
            )

    def status(self, now_ns: int) -> str:
        buf = _ffi.new("char[]", 65536)
        n = self._lib.risk_format_status(self._eng(), now_ns, buf, 65536)
        return bytes(_ffi.buffer(buf, n)).decode(errors="replace")
