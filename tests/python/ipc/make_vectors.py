"""Generate proto/vectors/*.json: the shared test vectors of the trader IPC protocol.

Deliberately independent of python/trader/protocol.py (and of the C code): it builds
every frame from plain dicts with msgpack.packb, or byte by byte for the invalid ones,
so both implementations are checked against the spec rather than against each other.

    .venv/bin/python tests/python/ipc/make_vectors.py     # rewrite the files

Each file is a JSON array of vectors:
    {"name", "dir": "to_server"|"to_client", "hex": <frame incl. 4-byte length>,
     "value": <decoded map>}                               valid, canonical bytes
    {"name", "dir", "hex", "error": <code name>, "field"?: <offending key>}   invalid
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any

import msgpack

VECTOR_DIR = Path(__file__).resolve().parents[3] / "proto" / "vectors"

TS = 1_764_000_000_123_456_789  # 2025-11-24T16:00:00.123456789Z in ns
TOKEN_YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
TOKEN_NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
CONDITION = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"


def frame(body: bytes) -> str:
    return (struct.pack(">I", len(body)) + body).hex()


def pack(value: Any) -> bytes:
    out: bytes = msgpack.packb(value, use_bin_type=True)
    return out


def valid(name: str, direction: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "dir": direction, "hex": frame(pack(value)), "value": value}


def invalid_body(
    name: str, direction: str, body: bytes, error: str, field: str | None = None
) -> dict[str, Any]:
    v: dict[str, Any] = {"name": name, "dir": direction, "hex": frame(body), "error": error}
    if field is not None:
        v["field"] = field
    return v


def invalid(
    name: str, direction: str, value: Any, error: str, field: str | None = None
) -> dict[str, Any]:
    return invalid_body(name, direction, pack(value), error, field)


S, C = "to_server", "to_client"

CHECK = {
    "t": "check", "id": 7, "venue": "polymarket", "sym": TOKEN_YES, "side": "buy",
    "px": "0.53", "qty": "12.5", "ord": "limit", "tif": "gtc", "post_only": True,
    "cid": "mm-1764000000-0001",
}
FILL = {
    "t": "report", "id": 12, "res": 41, "kind": "fill", "voi": "0xab12cd34", "tid": "t-9001",
    "px": "0.53", "qty": "5", "fee": "-0.0132", "fee_ccy": "USDC", "liq": "maker", "ts": TS,
}
INSTRUMENT_BINARY = {
    "t": "instrument", "id": 3, "venue": "polymarket", "sym": TOKEN_YES, "kind": "binary",
    "market": CONDITION, "complement": TOKEN_NO, "tick": "0.01", "lot": "0.01",
    "min_qty": "5", "min_notional": "1", "quote_ccy": "USDC", "usd_rate": "1",
}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def handshake() -> list[dict[str, Any]]:
    return [
        valid("hello_gateway", S, {"t": "hello", "v": 1, "client": "gateway"}),
        valid("hello_recorder", S, {"t": "hello", "v": 1, "client": "recorder"}),
        # decodes fine; the server then answers VERSION and closes (see PROTOCOL.md)
        valid("hello_future_version", S, {"t": "hello", "v": 2, "client": "gateway"}),
        valid("hello_ok", C, {"t": "hello_ok", "v": 1, "server": "trader", "jseq": 1042}),
        valid("hello_ok_empty_journal", C,
              {"t": "hello_ok", "v": 1, "server": "trader", "jseq": 0}),
        invalid("hello_missing_client", S, {"t": "hello", "v": 1}, "MISSING_FIELD", "client"),
        invalid("hello_version_string", S, {"t": "hello", "v": "1", "client": "gateway"},
                "BAD_TYPE", "v"),
        valid("hb_client", S, {"t": "hb", "ts": TS}),
        valid("hb_server", C, {"t": "hb", "ts": TS + 1_000_000_000}),
        invalid("hb_ts_float", S, {"t": "hb", "ts": 1.5}, "BAD_TYPE", "ts"),
    ]


def check() -> list[dict[str, Any]]:
    return [
        valid("check_polymarket_post_only", S, CHECK),
        valid("check_binance_market_ioc", S, {
            "t": "check", "id": 8, "venue": "binance", "sym": "BTCUSDT", "side": "sell",
            "px": "64000.5", "qty": "0.00015", "ord": "market", "tif": "ioc",
            "post_only": False, "cid": "x-1"}),
        valid("check_ibkr_gtd", S, {
            "t": "check", "id": 9, "venue": "ibkr", "sym": "BRK B", "side": "buy",
            "px": "412.07", "qty": "1", "ord": "limit", "tif": "gtd", "post_only": False,
            "cid": "ib-77", "exp": TS + 3_600_000_000_000}),
        valid("check_big_id_fak", S, with_(CHECK, id=9_007_199_254_740_993, tif="fak",
                                           post_only=False, venue="paper")),
        valid("check_fok", S, with_(CHECK, id=0, tif="fok", post_only=False, px="0.999")),
        valid("check_ok", C, {"t": "check_ok", "id": 7, "res": 9_223_372_036_854_775_807}),
        valid("check_reject", C, {
            "t": "check_reject", "id": 7, "code": 3, "name": "MAX_POSITION",
            "reason": "position would be 10.60 USD > limit 10.00 USD"}),
        invalid("check_missing_qty", S, with_(CHECK, qty=None), "MISSING_FIELD", "qty"),
        invalid("check_px_float64", S, with_(CHECK, px=0.53), "FLOAT_MONEY", "px"),
        invalid_body(
            "check_qty_float32", S,
            b"\x82\xa1t\xa5check\xa3qty\xca" + struct.pack(">f", 12.5), "FLOAT_MONEY", "qty"),
        invalid("check_px_integer", S, with_(CHECK, px=1), "BAD_TYPE", "px"),
        invalid("check_px_exponent", S, with_(CHECK, px="5.3e-1"), "BAD_VALUE", "px"),
        invalid("check_px_negative", S, with_(CHECK, px="-0.53"), "BAD_VALUE", "px"),
        invalid("check_px_space", S, with_(CHECK, px=" 0.53"), "BAD_VALUE", "px"),
        invalid("check_px_trailing_dot", S, with_(CHECK, px="0."), "BAD_VALUE", "px"),
        invalid("check_px_leading_dot", S, with_(CHECK, px=".5"), "BAD_VALUE", "px"),
        invalid("check_px_too_long", S, with_(CHECK, px="0." + "1" * 39), "BAD_VALUE", "px"),
        invalid("check_bad_side", S, with_(CHECK, side="hold"), "BAD_VALUE", "side"),
        invalid("check_bad_venue", S, with_(CHECK, venue="kraken"), "BAD_VALUE", "venue"),
        invalid("check_post_only_int", S, with_(CHECK, post_only=1), "BAD_TYPE", "post_only"),
        invalid("check_id_string", S, with_(CHECK, id="7"), "BAD_TYPE", "id"),
        invalid("check_id_bool", S, with_(CHECK, id=True), "BAD_TYPE", "id"),
        invalid("check_id_negative", S, with_(CHECK, id=-1), "BAD_VALUE", "id"),
        invalid("check_empty_sym", S, with_(CHECK, sym=""), "BAD_VALUE", "sym"),
        invalid("check_sym_control_char", S, with_(CHECK, sym="BTC\nUSDT"), "BAD_VALUE", "sym"),
        invalid("check_cid_too_long", S, with_(CHECK, cid="c" * 129), "BAD_VALUE", "cid"),
        invalid("check_sym_binary", S, with_(CHECK, sym=b"BTCUSDT"), "BAD_TYPE", "sym"),
        invalid("check_sym_nil", S, with_(CHECK, sym=None) | {"sym": None}, "BAD_TYPE", "sym"),
        invalid("check_gtd_without_exp", S, with_(CHECK, tif="gtd", post_only=False),
                "MISSING_FIELD", "exp"),
        invalid("check_exp_without_gtd", S, with_(CHECK, exp=TS), "BAD_VALUE", "exp"),
        invalid("check_unknown_field", S, with_(CHECK, price="0.53"), "UNKNOWN_FIELD", "price"),
        invalid("check_wrong_direction", S, {"t": "check_ok", "id": 7, "res": 1},
                "UNKNOWN_TYPE", "t"),
    ]


def report() -> list[dict[str, Any]]:
    base = {"t": "report", "id": 11, "res": 41}
    return [
        valid("report_ack", S, base | {"kind": "ack", "voi": "0xab12cd34", "ts": TS}),
        valid("report_fill_maker_rebate", S, FILL),
        valid("report_fill_taker", S, with_(FILL, id=13, tid="t-9002", liq="taker",
                                            fee="0.0125", qty="7.5")),
        valid("report_reject_before_ack", S, base | {
            "kind": "reject", "reason": "INVALID_ORDER_MIN_TICK_SIZE: tick 0.01", "ts": TS}),
        valid("report_cancel", S, base | {"kind": "cancel", "voi": "0xab12cd34", "ts": TS}),
        valid("report_expire_unicode_reason", S, base | {
            "kind": "expire", "voi": "0xab12cd34", "reason": "expirée — GTD", "ts": TS}),
        valid("ok", C, {"t": "ok", "id": 11}),
        valid("error_with_id", C, {"t": "error", "id": 11, "code": 20, "name": "UNKNOWN_RES",
                                   "reason": "reservation 41 is not open"}),
        valid("error_without_id", C, {"t": "error", "code": 2, "name": "MALFORMED",
                                      "reason": "invalid msgpack byte at byte 0"}),
        invalid("report_fill_missing_px", S, with_(FILL, px=None), "MISSING_FIELD", "px"),
        invalid("report_fill_missing_voi", S, with_(FILL, voi=None), "MISSING_FIELD", "voi"),
        invalid("report_ack_with_px", S, base | {"kind": "ack", "voi": "v", "px": "1", "ts": TS},
                "BAD_VALUE", "px"),
        invalid("report_fee_float", S, with_(FILL, fee=-0.01), "FLOAT_MONEY", "fee"),
        invalid("report_bad_kind", S, base | {"kind": "partial", "ts": TS}, "BAD_VALUE", "kind"),
        invalid("report_bad_liq", S, with_(FILL, liq="both"), "BAD_VALUE", "liq"),
        invalid("report_ts_over_int64", S, with_(FILL, ts=2**63), "BAD_VALUE", "ts"),
        invalid("report_missing_ts", S, with_(FILL, ts=None), "MISSING_FIELD", "ts"),
        invalid_body("report_reason_bad_utf8", S,
                     b"\x83\xa1t\xa6report\xa2id\x0b\xa6reason\xa2\xc3\x28", "MALFORMED"),
        *(invalid_body(f"report_reason_{what}", S,
                       b"\x83\xa1t\xa6report\xa2id\x0b\xa6reason" + bytes([0xA0 | len(bad)])
                       + bad, "MALFORMED")
          for what, bad in [("overlong", b"\xc0\xaf"), ("overlong_3byte", b"\xe0\x80\xaf"),
                            ("surrogate", b"\xed\xa0\x80"),
                            ("above_u10ffff", b"\xf4\x90\x80\x80"),
                            ("truncated_sequence", b"\xe2\x82"), ("lone_continuation", b"\x80")]),
        valid("report_reject_astral_reason", S, base | {
            "kind": "reject", "reason": "rejected \U0001f6ab \u00e9\u20ac", "ts": TS}),
    ]


def mark_instrument_resolve() -> list[dict[str, Any]]:
    return [
        valid("mark", S, {"t": "mark", "venue": "binance", "sym": "ETHUSDT", "px": "3120.45",
                          "ts": TS}),
        valid("mark_with_id", S, {"t": "mark", "id": 5, "venue": "polymarket",
                                  "sym": TOKEN_NO, "px": "0.47", "ts": TS}),
        invalid("mark_px_float", S, {"t": "mark", "venue": "binance", "sym": "ETHUSDT",
                                     "px": 3120.45, "ts": TS}, "FLOAT_MONEY", "px"),
        valid("instrument_binary", S, INSTRUMENT_BINARY),
        valid("instrument_spot", S, {
            "t": "instrument", "id": 4, "venue": "binance", "sym": "BTCUSDT", "kind": "spot",
            "market": "BTCUSDT", "tick": "0.01", "lot": "0.00001", "min_qty": "0.00001",
            "min_notional": "5", "quote_ccy": "USDT", "usd_rate": "1.0002"}),
        valid("instrument_stock", S, {
            "t": "instrument", "id": 5, "venue": "ibkr", "sym": "AAPL", "kind": "stock",
            "tick": "0.01", "lot": "1", "min_qty": "1", "min_notional": "0",
            "quote_ccy": "USD", "usd_rate": "1"}),
        invalid("instrument_binary_no_complement", S, with_(INSTRUMENT_BINARY, complement=None),
                "MISSING_FIELD", "complement"),
        invalid("instrument_spot_with_complement", S,
                with_(INSTRUMENT_BINARY, kind="spot"), "BAD_VALUE", "complement"),
        invalid("instrument_bad_kind", S, with_(INSTRUMENT_BINARY, kind="future"),
                "BAD_VALUE", "kind"),
        invalid("instrument_tick_float", S, with_(INSTRUMENT_BINARY, tick=0.01),
                "FLOAT_MONEY", "tick"),
        valid("resolve_yes_wins", S, {"t": "resolve", "id": 21, "venue": "polymarket",
                                      "sym": TOKEN_YES, "px": "1", "ts": TS}),
        valid("resolve_no_loses", S, {"t": "resolve", "id": 22, "venue": "polymarket",
                                      "sym": TOKEN_NO, "px": "0", "ts": TS}),
    ]


def query_subscribe_kill() -> list[dict[str, Any]]:
    data = {
        "state": "ACTIVE",
        "venues": {"binance": "ACTIVE", "polymarket": "REDUCING"},
        "positions": [{"venue": "binance", "sym": "BTCUSDT", "qty": "0.0001",
                       "upnl": "-0.12"}],
        "jseq": 1042,
        "killed": False,
    }
    deep: Any = 1
    for _ in range(14):  # query_ok map (1) > data map (2) > 14 arrays = depth 16: allowed
        deep = [deep]
    too_deep = [deep]
    return [
        *(valid(f"query_{w}", S, {"t": "query", "id": 30 + i, "what": w})
          for i, w in enumerate(["status", "positions", "limits", "orders"])),
        valid("query_ok", C, {"t": "query_ok", "id": 30, "data": data}),
        valid("query_ok_depth_16", C, {"t": "query_ok", "id": 31, "data": {"d": deep}}),
        invalid("query_ok_depth_17", C, {"t": "query_ok", "id": 31, "data": {"d": too_deep}},
                "MALFORMED"),
        invalid("query_bad_what", S, {"t": "query", "id": 1, "what": "pnl"}, "BAD_VALUE", "what"),
        valid("subscribe_all", S, {"t": "subscribe", "id": 40,
                                   "topics": ["state", "refprice", "events"]}),
        valid("subscribe_refprice", S, {"t": "subscribe", "id": 41, "topics": ["refprice"]}),
        invalid("subscribe_empty", S, {"t": "subscribe", "id": 1, "topics": []},
                "BAD_VALUE", "topics"),
        invalid("subscribe_unknown_topic", S, {"t": "subscribe", "id": 1, "topics": ["fills"]},
                "BAD_VALUE", "topics"),
        invalid("subscribe_repeated_topic", S,
                {"t": "subscribe", "id": 1, "topics": ["state", "state"]}, "BAD_VALUE", "topics"),
        invalid("subscribe_topics_string", S, {"t": "subscribe", "id": 1, "topics": "state"},
                "BAD_TYPE", "topics"),
        valid("kill", S, {"t": "kill", "id": 50, "reason": "operator: stop"}),
        valid("unkill", S, {"t": "unkill", "id": 51, "reason": "operator: resume"}),
        invalid("kill_no_reason", S, {"t": "kill", "id": 50}, "MISSING_FIELD", "reason"),
        valid("state_global_halted", C, {"t": "state", "scope": "global", "state": "HALTED",
                                         "reason": "kill switch file", "ts": TS}),
        valid("state_venue_reducing", C, {"t": "state", "scope": "polymarket",
                                          "state": "REDUCING", "reason": "daily loss 80%",
                                          "ts": TS}),
        valid("refprice", C, {"t": "refprice", "sym": "BTCUSDT", "px": "64001.25", "ts": TS}),
        valid("event_fill", C, {"t": "event", "kind": "fill", "venue": "binance",
                                "sym": "BTCUSDT", "reason": "filled 0.0001 @ 64000",
                                "ts": TS, "data": {"res": 41, "qty": "0.0001"}}),
        valid("event_plain", C, {"t": "event", "kind": "limit", "reason": "max exposure hit",
                                 "ts": TS}),
        invalid("state_bad_state", C, {"t": "state", "scope": "global", "state": "PAUSED",
                                       "reason": "", "ts": TS}, "BAD_VALUE", "state"),
    ]


def follow() -> list[dict[str, Any]]:
    accept = {"ts": TS, "res": 41, "venue": "paper", "sym": "BTCUSDT", "side": 0,
              "px": "60000.01", "qty": "0.0001", "local": 1, "cid": "q-1"}
    return [
        valid("follow_from_start", S, {"t": "follow", "id": 60, "from_seq": 0}),
        valid("follow_from_seq", S, {"t": "follow", "id": 61, "from_seq": 1043}),
        invalid("follow_missing_from", S, {"t": "follow", "id": 60}, "MISSING_FIELD",
                "from_seq"),
        invalid("follow_from_negative", S, {"t": "follow", "id": 60, "from_seq": -1},
                "BAD_VALUE", "from_seq"),
        invalid("follow_from_string", S, {"t": "follow", "id": 60, "from_seq": "5"},
                "BAD_TYPE", "from_seq"),
        invalid("follow_wrong_direction", C, {"t": "follow", "id": 60, "from_seq": 1},
                "UNKNOWN_TYPE", "t"),
        valid("jrec_accept", C, {"t": "jrec", "seq": 1043, "type": 2, "rec": accept}),
        valid("jrec_unreadable", C, {"t": "jrec", "seq": 1044, "type": 3,
                                     "rec": {"unreadable": "record cannot be sent as a map"}}),
        invalid("jrec_rec_not_map", C, {"t": "jrec", "seq": 1, "type": 2, "rec": [1, 2]},
                "BAD_TYPE", "rec"),
        invalid("jrec_missing_seq", C, {"t": "jrec", "type": 2, "rec": accept},
                "MISSING_FIELD", "seq"),
        invalid("jrec_to_server", S, {"t": "jrec", "seq": 1, "type": 2, "rec": accept},
                "UNKNOWN_TYPE", "t"),
    ]


def structure() -> list[dict[str, Any]]:
    many = {"t": "hb", "ts": 1} | {f"k{i}": 0 for i in range(4094)}
    return [
        invalid_body("garbage_byte", S, b"\xc1", "MALFORMED"),
        invalid_body("truncated_map", S, b"\x82\xa1t\xa2hb", "MALFORMED"),
        invalid_body("trailing_bytes", S, pack({"t": "hb", "ts": 1}) + b"\x00", "MALFORMED"),
        invalid_body("two_maps_one_frame", S,
                     pack({"t": "hb", "ts": 1}) + pack({"t": "hb", "ts": 2}), "MALFORMED"),
        invalid_body("ext_type", S, b"\x82\xa1t\xa2hb\xa2ts\xd4\x01\x00", "MALFORMED"),
        invalid_body("timestamp_ext", S, b"\x82\xa1t\xa2hb\xa2ts\xd6\xff\x00\x00\x00\x01",
                     "MALFORMED"),
        invalid_body("integer_key", S, b"\x82\xa1t\xa2hb\x01\x02", "MALFORMED"),
        invalid_body("huge_declared_array", S, b"\xdd\xff\xff\xff\xff", "MALFORMED"),
        invalid_body("huge_declared_map", S, b"\xdf\x7f\xff\xff\xff\xa1t", "MALFORMED"),
        invalid("too_many_map_entries", S, many | {"k4094": 0}, "MALFORMED"),
        invalid("many_map_entries_unknown_field", S, many, "UNKNOWN_FIELD", "k0"),
        invalid("not_a_map_array", S, [{"t": "hb", "ts": 1}], "NOT_MAP"),
        invalid("not_a_map_string", S, "hb", "NOT_MAP"),
        invalid("missing_type", S, {"ts": 1}, "MISSING_FIELD", "t"),
        invalid("type_not_string", S, {"t": 5, "ts": 1}, "BAD_TYPE", "t"),
        invalid("unknown_type", S, {"t": "bogus", "id": 1}, "UNKNOWN_TYPE", "t"),
        invalid_body("duplicate_key", S, b"\x83\xa1t\xa2hb\xa2ts\x01\xa2ts\x02", "DUP_FIELD",
                     "ts"),
        invalid("unknown_type_to_client", C, {"t": "check", "id": 1}, "UNKNOWN_TYPE", "t"),
        # frame-level: the length prefix itself is refused (hex is the whole stream)
        {"name": "frame_zero_length", "dir": S, "hex": "00000000", "error": "FRAME_SIZE"},
        {"name": "frame_over_max", "dir": S, "hex": "00010001" + "00" * 16,
         "error": "FRAME_SIZE"},
        {"name": "frame_max_header_only", "dir": S, "hex": "ffffffff", "error": "FRAME_SIZE"},
    ]


def build() -> dict[str, list[dict[str, Any]]]:
    return {
        "handshake.json": handshake(),
        "check.json": check(),
        "report.json": report(),
        "mark_instrument_resolve.json": mark_instrument_resolve(),
        "query_subscribe_kill.json": query_subscribe_kill(),
        "structure.json": structure(),
        "follow.json": follow(),
    }


def render(vectors: list[dict[str, Any]]) -> str:
    return json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    VECTOR_DIR.mkdir(parents=True, exist_ok=True)
    for name, vectors in build().items():
        (VECTOR_DIR / name).write_text(render(vectors), encoding="utf-8")
        print(f"{name}: {len(vectors)} vectors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
