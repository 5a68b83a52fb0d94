"""The trader IPC protocol (proto/PROTOCOL.md): frames, typed messages, validation.

A frame is a 4-byte big-endian length N (1..65536) followed by N bytes holding exactly one
msgpack map. Every map has "t" (the message type). Prices, quantities and money are decimal
strings on the wire and `Decimal` here; a float in one of those fields is a protocol error
(FLOAT_MONEY). Validation mirrors c/ipc (ipc_schema.c, ipc_decode.c) rule for rule and in
the same order, so both sides give the same error for the same bytes; proto/vectors holds
the shared test vectors.

    body = encode_body(Check(id=1, venue="binance", ...))   # msgpack map, no prefix
    frame = encode(msg)                                       # prefix + body
    msg = decode_body(body, TO_SERVER)                        # raises ProtocolError
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final, Literal, TypeAlias

import msgpack

PROTOCOL_VERSION: Final = 1
MAX_FRAME: Final = 65536
MAX_DEPTH: Final = 16
MAX_KEYS_PER_FRAME: Final = 4096
MAX_IDENT: Final = 128
MAX_TEXT: Final = 1024
MAX_DEC: Final = 40
_HDR = struct.Struct(">I")


class Code(IntEnum):
    """Error codes. 1..19 close the connection; 20.. are replies to one request."""

    FRAME_SIZE = 1
    MALFORMED = 2
    NOT_MAP = 3
    UNKNOWN_TYPE = 4
    MISSING_FIELD = 5
    BAD_TYPE = 6
    FLOAT_MONEY = 7
    BAD_VALUE = 8
    UNKNOWN_FIELD = 9
    DUP_FIELD = 10
    HANDSHAKE = 11
    VERSION = 12
    TIMEOUT = 13
    SHUTDOWN = 14
    UNKNOWN_RES = 20
    UNKNOWN_INSTRUMENT = 21
    INVALID = 22
    NOT_READY = 23
    INTERNAL = 24

    @property
    def fatal(self) -> bool:
        return self.value < 20


class ProtocolError(Exception):
    """A frame or message that breaks the protocol. `field` names the offending key."""

    def __init__(self, code: Code, reason: str, field: str | None = None) -> None:
        super().__init__(f"{code.name}: {reason}")
        self.code = code
        self.reason = reason
        self.field = field


Venue: TypeAlias = Literal["paper", "binance", "ibkr", "polymarket"]
Side: TypeAlias = Literal["buy", "sell"]
OrdType: TypeAlias = Literal["limit", "market"]
Tif: TypeAlias = Literal["gtc", "gtd", "ioc", "fok", "fak"]
ReportKind: TypeAlias = Literal["ack", "reject", "fill", "cancel", "expire"]
Liquidity: TypeAlias = Literal["maker", "taker"]
InstrumentKind: TypeAlias = Literal["spot", "stock", "fx", "binary"]
QueryWhat: TypeAlias = Literal["status", "positions", "limits", "orders"]
Scope: TypeAlias = Literal["global", "paper", "binance", "ibkr", "polymarket"]
TradingState: TypeAlias = Literal["ACTIVE", "REDUCING", "HALTED"]
Topic: TypeAlias = Literal["state", "refprice", "events"]

VENUES: Final = ("paper", "binance", "ibkr", "polymarket")
TOPICS: Final = ("state", "refprice", "events")

# ---- messages (field order = canonical wire order, "t" first) ----



@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    v: int
    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    id: int
    venue: Venue
    sym: str
    side: Side
    px: Decimal
    qty: Decimal
    ord: OrdType
    tif: Tif
    post_only: bool
    cid: str
    exp: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    id: int
    res: int
    kind: ReportKind
    voi: str | None = None
    tid: str | None = None
    px: Decimal | None = None
    qty: Decimal | None = None
    fee: Decimal | None = None
    fee_ccy: str | None = None
    liq: Liquidity | None = None
    reason: str | None = None
    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    id: int | None = None
    venue: Venue
    sym: str
    px: Decimal
    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    id: int
    venue: Venue
    sym: str
    kind: InstrumentKind
    market: str | None = None
    complement: str | None = None
    tick: Decimal
    lot: Decimal
    min_qty: Decimal
    min_notional: Decimal
    quote_ccy: str
    usd_rate: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolve:
    id: int
    venue: Venue
    sym: str
    px: Decimal
    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    id: int
    what: QueryWhat


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribe:
    id: int
    topics: tuple[Topic, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Kill:
    id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Unkill:
    id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Follow:
    """Stream the journal from seq `from_seq` on (0 or 1: from the start) as Jrec pushes."""

    id: int
    from_seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Hb:
    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HelloOk:
    v: int
    server: str
    jseq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Ok:
    id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Error:
    id: int | None = None
    code: int
    name: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOk:
    id: int
    res: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReject:
    id: int
    code: int
    name: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryOk:
    id: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    scope: Scope
    state: TradingState
    reason: str
    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RefPrice:
    sym: str
    px: Decimal
    ts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    kind: str
    venue: Venue | None = None
    sym: str | None = None
    reason: str
    ts: int
    data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Jrec:
    """One journal record pushed to a follower: seq, journal type, the record's map."""

    seq: int
    type: int
    rec: dict[str, Any]


Message: TypeAlias = (
    Hello | Check | Report | Mark | Instrument | Resolve | Query | Subscribe | Kill | Unkill
    | Hb | HelloOk | Ok | Error | CheckOk | CheckReject | QueryOk | State | RefPrice | Event
    | Follow | Jrec
)
Reply: TypeAlias = Ok | Error | CheckOk | CheckReject | QueryOk
Push: TypeAlias = State | RefPrice | Event

# ---- schema ----

TO_SERVER: Final = "to_server"
TO_CLIENT: Final = "to_client"
Direction: TypeAlias = Literal["to_server", "to_client"]

_UINT, _INT, _BOOL, _IDENT, _TEXT, _UDEC, _SDEC, _ENUM, _TOPICS, _MAP = range(10)


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    kind: int
    required: bool
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    cls: type[Any]
    dirs: frozenset[str]
    fields: tuple[_Field, ...]
    by_key: dict[str, _Field]
    cross: Callable[[Any], None] | None


def _f(key: str, kind: int, required: bool = True, names: tuple[str, ...] = ()) -> _Field:
    return _Field(key, kind, required, names)


_SIDES = ("buy", "sell")
_ORDS = ("limit", "market")
_TIFS = ("gtc", "gtd", "ioc", "fok", "fak")
_RKINDS = ("ack", "reject", "fill", "cancel", "expire")
_LIQS = ("maker", "taker")
_IKINDS = ("spot", "stock", "fx", "binary")
_WHATS = ("status", "positions", "limits", "orders")
_SCOPES = ("global", *VENUES)
_STATES = ("ACTIVE", "REDUCING", "HALTED")


def _cross_check(m: Check) -> None:
    if m.tif == "gtd" and m.exp is None:
        raise ProtocolError(Code.MISSING_FIELD, "field 'exp' is required when tif is gtd", "exp")
    if m.tif != "gtd" and m.exp is not None:
        raise ProtocolError(Code.BAD_VALUE, "field 'exp' is only allowed when tif is gtd", "exp")


_FILL_ONLY = ("tid", "px", "qty", "fee", "fee_ccy", "liq")


def _cross_report(m: Report) -> None:
    is_fill = m.kind == "fill"
    if (is_fill or m.kind == "ack") and m.voi is None:
        raise ProtocolError(
            Code.MISSING_FIELD, f"field 'voi' is required when kind is {m.kind}", "voi"
        )
    for key in _FILL_ONLY:
        present = getattr(m, key) is not None
        if is_fill and not present:
            raise ProtocolError(
                Code.MISSING_FIELD, f"field '{key}' is required when kind is fill", key
            )
        if not is_fill and present:
            raise ProtocolError(
                Code.BAD_VALUE, f"field '{key}' is only allowed when kind is fill", key
            )


def _cross_instrument(m: Instrument) -> None:
    if m.kind == "binary":
        for key in ("market", "complement"):
            if getattr(m, key) is None:
                raise ProtocolError(
                    Code.MISSING_FIELD, f"field '{key}' is required when kind is binary", key
                )
    elif m.complement is not None:
        raise ProtocolError(
            Code.BAD_VALUE, "field 'complement' is only allowed when kind is binary", "complement"
        )


def _spec(
    name: str, cls: type[Any], dirs: tuple[str, ...], flds: tuple[_Field, ...],
    cross: Callable[[Any], None] | None = None,
) -> _Spec:
    return _Spec(name, cls, frozenset(dirs), flds, {f.key: f for f in flds}, cross)


_S, _C, _B = (TO_SERVER,), (TO_CLIENT,), (TO_SERVER, TO_CLIENT)
_SPECS: Final[tuple[_Spec, ...]] = (
    _spec("hello", Hello, _S, (_f("v", _UINT), _f("client", _IDENT))),
    _spec("check", Check, _S, (
        _f("id", _UINT), _f("venue", _ENUM, names=VENUES), _f("sym", _IDENT),
        _f("side", _ENUM, names=_SIDES), _f("px", _UDEC), _f("qty", _UDEC),
        _f("ord", _ENUM, names=_ORDS), _f("tif", _ENUM, names=_TIFS), _f("post_only", _BOOL),
        _f("cid", _IDENT), _f("exp", _INT, False)), _cross_check),
    _spec("report", Report, _S, (
        _f("id", _UINT), _f("res", _UINT), _f("kind", _ENUM, names=_RKINDS),
        _f("voi", _IDENT, False), _f("tid", _IDENT, False), _f("px", _UDEC, False),
        _f("qty", _UDEC, False), _f("fee", _SDEC, False), _f("fee_ccy", _IDENT, False),
        _f("liq", _ENUM, False, _LIQS), _f("reason", _TEXT, False), _f("ts", _INT)),
        _cross_report),
    _spec("mark", Mark, _S, (
        _f("id", _UINT, False), _f("venue", _ENUM, names=VENUES), _f("sym", _IDENT),
        _f("px", _UDEC), _f("ts", _INT))),
    _spec("instrument", Instrument, _S, (
        _f("id", _UINT), _f("venue", _ENUM, names=VENUES), _f("sym", _IDENT),
        _f("kind", _ENUM, names=_IKINDS), _f("market", _IDENT, False),
        _f("complement", _IDENT, False), _f("tick", _UDEC), _f("lot", _UDEC),
        _f("min_qty", _UDEC), _f("min_notional", _UDEC), _f("quote_ccy", _IDENT),
        _f("usd_rate", _UDEC)), _cross_instrument),
    _spec("resolve", Resolve, _S, (
        _f("id", _UINT), _f("venue", _ENUM, names=VENUES), _f("sym", _IDENT), _f("px", _UDEC),
        _f("ts", _INT))),
    _spec("query", Query, _S, (_f("id", _UINT), _f("what", _ENUM, names=_WHATS))),
    _spec("subscribe", Subscribe, _S, (_f("id", _UINT), _f("topics", _TOPICS, names=TOPICS))),
    _spec("kill", Kill, _S, (_f("id", _UINT), _f("reason", _TEXT))),
    _spec("unkill", Unkill, _S, (_f("id", _UINT), _f("reason", _TEXT))),
    _spec("hb", Hb, _B, (_f("ts", _INT),)),
    _spec("hello_ok", HelloOk, _C, (_f("v", _UINT), _f("server", _IDENT), _f("jseq", _UINT))),
    _spec("ok", Ok, _C, (_f("id", _UINT),)),
    _spec("error", Error, _C, (
        _f("id", _UINT, False), _f("code", _INT), _f("name", _IDENT), _f("reason", _TEXT))),
    _spec("check_ok", CheckOk, _C, (_f("id", _UINT), _f("res", _UINT))),
    _spec("check_reject", CheckReject, _C, (
        _f("id", _UINT), _f("code", _INT), _f("name", _IDENT), _f("reason", _TEXT))),
    _spec("query_ok", QueryOk, _C, (_f("id", _UINT), _f("data", _MAP))),
    _spec("state", State, _C, (
        _f("scope", _ENUM, names=_SCOPES), _f("state", _ENUM, names=_STATES),
        _f("reason", _TEXT), _f("ts", _INT))),
    _spec("refprice", RefPrice, _C, (_f("sym", _IDENT), _f("px", _UDEC), _f("ts", _INT))),
    _spec("event", Event, _C, (
        _f("kind", _IDENT), _f("venue", _ENUM, False, VENUES), _f("sym", _IDENT, False),
        _f("reason", _TEXT), _f("ts", _INT), _f("data", _MAP, False))),
    _spec("follow", Follow, _S, (_f("id", _UINT), _f("from_seq", _UINT))),
    _spec("jrec", Jrec, _C, (_f("seq", _UINT), _f("type", _UINT), _f("rec", _MAP))),
)
_BY_NAME: Final = {s.name: s for s in _SPECS}
_BY_CLASS: Final = {s.cls: s for s in _SPECS}

_UDEC_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SDEC_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1
_KIND_WORDS = {
    _UINT: "an unsigned integer", _INT: "an integer", _BOOL: "a boolean", _IDENT: "a string",
    _TEXT: "a string", _ENUM: "a string", _UDEC: "a decimal string", _SDEC: "a decimal string",
    _TOPICS: "an array of strings", _MAP: "a map",
}


def _bad_type(f: _Field) -> ProtocolError:
    return ProtocolError(Code.BAD_TYPE, f"field '{f.key}' must be {_KIND_WORDS[f.kind]}", f.key)


def _bad_value(f: _Field, why: str) -> ProtocolError:
    return ProtocolError(Code.BAD_VALUE, f"field '{f.key}' {why}", f.key)


def _ident_ok(s: str) -> bool:
    """1..128 printable ASCII characters (0x20..0x7e): for ASCII, isprintable() is exactly that."""
    return 0 < len(s) <= MAX_IDENT and s.isascii() and s.isprintable()


def _decimal_ok(f: _Field, s: str) -> bool:
    regex = _SDEC_RE if f.kind == _SDEC else _UDEC_RE
    return len(s) <= MAX_DEC and regex.fullmatch(s) is not None


def _from_wire(f: _Field, v: Any) -> Any:
    """Validate one wire value and convert it to its Python type."""
    k = f.kind
    tv = type(v)
    if k in (_UINT, _INT):
        if tv is not int:
            raise _bad_type(f)
        if k == _UINT and v < 0:
            raise _bad_value(f, "must be >= 0")
        if k == _INT and v > _INT64_MAX:
            raise _bad_value(f, "exceeds int64")
        return v
    if k in (_UDEC, _SDEC):
        if tv is float:
            raise ProtocolError(
                Code.FLOAT_MONEY,
                f"field '{f.key}' is a float; money and quantities must be decimal strings",
                f.key,
            )
        if tv is not str:
            raise _bad_type(f)
        if not _decimal_ok(f, v):
            raise _bad_value(f, "is not a decimal string")
        return Decimal(v)
    if k == _IDENT:
        if tv is not str:
            raise _bad_type(f)
        if not _ident_ok(v):
            raise _bad_value(f, "must be 1..128 printable ASCII characters")
        return v
    if k == _ENUM:
        if tv is not str:
            raise _bad_type(f)
        if v not in f.names:
            raise _bad_value(f, f"has unknown value {v[:32]!r}")
        return v
    if k == _BOOL:
        if tv is not bool:
            raise _bad_type(f)
        return v
    if k == _TEXT:
        if tv is not str:
            raise _bad_type(f)
        if len(v) * 4 > MAX_TEXT and len(v.encode()) > MAX_TEXT:
            raise _bad_value(f, "is longer than 1024 bytes")
        return v
    if k == _TOPICS:
        if tv is not list:
            raise _bad_type(f)
        if not v:
            raise _bad_value(f, "must not be empty")
        seen: set[str] = set()
        for e in v:
            if type(e) is not str:
                raise _bad_type(f)
            if e not in f.names:
                raise _bad_value(f, "names an unknown topic")
            if e in seen:
                raise _bad_value(f, "repeats a topic")
            seen.add(e)
        return tuple(t for t in f.names if t in seen)  # canonical order
    if tv is not dict:  # _MAP
        raise _bad_type(f)
    return v


def _to_wire(f: _Field, v: Any) -> Any:
    """Validate one Python value (encoder side) and convert it to its wire form."""
    if f.kind in (_UDEC, _SDEC):
        if type(v) is float:
            raise ProtocolError(Code.FLOAT_MONEY, f"field '{f.key}' is a float", f.key)
        if isinstance(v, Decimal):
            if not v.is_finite():
                raise _bad_value(f, "must be finite")
            s = format(v, "f")
        elif type(v) is int:
            s = str(v)
        else:
            raise _bad_type(f)
        if not _decimal_ok(f, s):
            raise _bad_value(f, f"cannot be sent as {s!r}")
        return s
    if f.kind == _TOPICS:
        v = list(v) if isinstance(v, tuple | list) else v
    if f.kind == _UINT and type(v) is int and v > _UINT64_MAX:
        raise _bad_value(f, "exceeds uint64")
    if f.kind == _INT and type(v) is int and v < -_INT64_MAX - 1:
        raise _bad_value(f, "below int64")
    out = _from_wire(f, v)
    return list(out) if f.kind == _TOPICS else v


# ---- structural checks done while unpacking ----


def _reject_ext(code: int, data: bytes) -> Any:
    raise ProtocolError(Code.MALFORMED, "ext types are not allowed")


class _PairsHook:
    """object_pairs_hook: every key a str, no duplicates, bounded entries per frame."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
        self.total += len(pairs)
        if self.total > MAX_KEYS_PER_FRAME:
            raise ProtocolError(Code.MALFORMED, "too many map entries in frame")
        for k, _ in pairs:
            if type(k) is not str:
                raise ProtocolError(Code.MALFORMED, "map key is not a string")
        d = dict(pairs)
        if len(d) != len(pairs):
            seen: set[str] = set()
            for k, _ in pairs:
                if k in seen:
                    raise ProtocolError(Code.DUP_FIELD, f"duplicate key {k[:20]!r}", k)
                seen.add(k)
        return d


def _check_nested(v: Any, depth: int) -> None:
    """Depth and ext checks for a container value (top-level map = depth 1)."""
    tv = type(v)
    if tv is dict or tv is list:
        if depth > MAX_DEPTH:
            raise ProtocolError(Code.MALFORMED, "nesting too deep")
        for e in v.values() if tv is dict else v:
            _check_nested(e, depth + 1)
    elif tv is msgpack.Timestamp or tv is msgpack.ExtType:
        raise ProtocolError(Code.MALFORMED, "ext types are not allowed")


def _unpack_strict(body: bytes | memoryview) -> Any:
    """Unpack with every structural check (pairs hook on every map, depth walk)."""
    try:
        obj = msgpack.unpackb(
            body, raw=False, strict_map_key=False, object_pairs_hook=_PairsHook(),
            ext_hook=_reject_ext, use_list=True,
        )
    except ProtocolError:
        raise
    except (ValueError, TypeError, RecursionError) as e:  # msgpack's own errors are ValueError
        raise ProtocolError(Code.MALFORMED, f"not one valid msgpack value: {e}") from None
    if type(obj) is dict:
        for v in obj.values():
            if type(v) in _NESTED:
                _check_nested(v, 2)
    else:
        _check_nested(obj, 1)
    return obj


_NESTED: Final = (dict, list, msgpack.Timestamp, msgpack.ExtType)


def _map_count(body: bytes | memoryview) -> int:
    """Entry count in the header of a top-level map (-1 if the body is not a map)."""
    b0 = body[0]
    if 0x80 <= b0 <= 0x8F:
        return b0 & 0x0F
    if b0 == 0xDE:
        return int.from_bytes(body[1:3], "big")
    if b0 == 0xDF:
        return int.from_bytes(body[1:5], "big")
    return -1


def unpack_body(body: bytes | memoryview) -> Any:
    """msgpack bytes -> Python value, with the protocol's structural rules.

    Fast path for the common case (a flat map, which is every hot message): a plain
    unpack plus a header count comparison finds duplicate keys without a per-map hook.
    Anything else (nested containers, odd keys, a count mismatch) takes the strict path,
    which also produces the exact error."""
    try:
        obj = msgpack.unpackb(body, raw=False, strict_map_key=False, ext_hook=_reject_ext)
    except ProtocolError:
        raise
    except (ValueError, TypeError, RecursionError):
        return _unpack_strict(body)
    if type(obj) is not dict or len(obj) != _map_count(body) or len(obj) > MAX_KEYS_PER_FRAME:
        return _unpack_strict(body)
    for k, v in obj.items():
        if type(k) is not str or type(v) in _NESTED:
            return _unpack_strict(body)
    return obj


def decode_map(obj: Any, direction: Direction) -> Message:
    """A decoded msgpack value -> typed message (the checks of c/ipc/ipc_decode.c)."""
    if type(obj) is not dict:
        raise ProtocolError(Code.NOT_MAP, "a frame must hold a msgpack map")
    if "t" not in obj:
        raise ProtocolError(Code.MISSING_FIELD, "field 't' (message type) is missing", "t")
    t = obj["t"]
    if type(t) is not str:
        raise ProtocolError(Code.BAD_TYPE, "field 't' must be a string", "t")
    if t == "check_ok" and len(obj) == 3 and direction == TO_CLIENT:
        rid, res = obj.get("id"), obj.get("res")
        if type(rid) is int and type(res) is int and rid >= 0 and res >= 0:
            return CheckOk(id=rid, res=res)  # the hot reply; anything odd takes the long way
    spec = _BY_NAME.get(t)
    if spec is None or direction not in spec.dirs:
        raise ProtocolError(Code.UNKNOWN_TYPE, f"unknown message type {t[:32]!r}", "t")
    values: dict[str, Any] = {}
    by_key = spec.by_key
    for k, v in obj.items():
        if k == "t":
            continue
        f = by_key.get(k)
        if f is None:
            raise ProtocolError(Code.UNKNOWN_FIELD, f"unknown field {k[:32]!r} in {t}", k)
        values[k] = _from_wire(f, v)
    for f in spec.fields:
        if f.required and f.key not in values:
            raise ProtocolError(
                Code.MISSING_FIELD, f"field '{f.key}' is required in {t}", f.key
            )
    msg: Message = spec.cls(**values)
    if spec.cross is not None:
        spec.cross(msg)
    return msg


def decode_body(body: bytes | memoryview, direction: Direction) -> Message:
    return decode_map(unpack_body(body), direction)


def to_wire(msg: Message) -> dict[str, Any]:
    """Typed message -> the plain map that goes on the wire (validated, canonical order)."""
    spec = _BY_CLASS.get(type(msg))
    if spec is None:
        raise TypeError(f"not a protocol message: {type(msg).__name__}")
    out: dict[str, Any] = {"t": spec.name}
    for f in spec.fields:
        v = getattr(msg, f.key)
        if v is None:
            if f.required:
                raise ProtocolError(
                    Code.MISSING_FIELD, f"cannot encode {spec.name}: '{f.key}' is required",
                    f.key,
                )
            continue
        out[f.key] = _to_wire(f, v)
    if spec.cross is not None:
        spec.cross(msg)
    return out


_packer = msgpack.Packer(use_bin_type=True, autoreset=True)


def _fast_dec(v: object) -> str | None:
    """Wire form of an unsigned Decimal in plain notation, else None (take the long way).

    str(Decimal) yields only ASCII digits, '.', '-', 'E', '+', letters of NaN/Infinity; so
    digits with at most one '.' inside is exactly the unsigned decimal grammar here."""
    if type(v) is Decimal:
        s = str(v)
        if len(s) <= MAX_DEC and s.replace(".", "", 1).isdigit() and s[-1] != ".":
            return s
    return None


def encode_check(
    *, id: int, venue: str, sym: str, side: str, px: Decimal, qty: Decimal, ord: str,
    tif: str, post_only: bool, cid: str, exp: int | None = None,
) -> bytes:
    """Frame for a check, without building a Check first: the client's hot path.

    Same rules as encode(Check(...)); anything unusual is handed to that generic path,
    which raises the precise ProtocolError."""
    pxs, qtys = _fast_dec(px), _fast_dec(qty)
    if (
        type(id) is int and 0 <= id <= _UINT64_MAX and venue in VENUES
        and type(sym) is str and _ident_ok(sym) and side in _SIDES
        and pxs is not None and qtys is not None and ord in _ORDS and tif in _TIFS
        and type(post_only) is bool and type(cid) is str and _ident_ok(cid)
        and exp is None and tif != "gtd"
    ):
        body: bytes = _packer.pack({
            "t": "check", "id": id, "venue": venue, "sym": sym, "side": side, "px": pxs,
            "qty": qtys, "ord": ord, "tif": tif, "post_only": post_only, "cid": cid,
        })
        return frame_of(body)
    return encode(Check(
        id=id, venue=venue, sym=sym, side=side, px=px, qty=qty, ord=ord,  # type: ignore[arg-type]
        tif=tif, post_only=post_only, cid=cid, exp=exp,  # type: ignore[arg-type]
    ))


def frame_of(body: bytes) -> bytes:
    n = len(body)
    if n == 0 or n > MAX_FRAME:
        raise ProtocolError(Code.FRAME_SIZE, f"frame length {n} is outside 1..{MAX_FRAME}")
    return _HDR.pack(n) + body


def encode_body(msg: Message) -> bytes:
    return _packer.pack(to_wire(msg))  # type: ignore[no-any-return]


def encode(msg: Message) -> bytes:
    """Typed message -> whole frame (length prefix + msgpack map)."""
    return frame_of(encode_body(msg))


def message_fields(cls: type[Any]) -> tuple[str, ...]:
    """Wire keys of a message class in canonical order (for tests and docs)."""
    return tuple(f.key for f in _BY_CLASS[cls].fields)


def dataclass_fields(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class FrameReader:
    """Incremental frame splitter: feed bytes as they arrive, iterate whole frame bodies.

    Handles partial frames and many frames per read. A bad length prefix raises
    ProtocolError(FRAME_SIZE); the stream is unusable afterwards.
    """

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[bytes]:
        buf = self._buf
        buf += data
        off = 0
        n_buf = len(buf)
        try:
            while n_buf - off >= 4:
                (n,) = _HDR.unpack_from(buf, off)
                if n == 0 or n > MAX_FRAME:
                    raise ProtocolError(
                        Code.FRAME_SIZE, f"frame length {n} is outside 1..{MAX_FRAME}"
                    )
                end = off + 4 + n
                if end > n_buf:
                    break
                yield bytes(buf[off + 4 : end])
                off = end
        finally:
            if off:
                del buf[:off]

    @property
    def buffered(self) -> int:
        return len(self._buf)
