"""Unit tests of python/trader/protocol.py beyond the shared vectors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader import protocol as p

D = Decimal


def _check(**kw: object) -> p.Check:
    base: dict[str, object] = {
        "id": 1, "venue": "binance", "sym": "BTCUSDT", "side": "buy", "px": D("1"),
        "qty": D("1"), "ord": "limit", "tif": "gtc", "post_only": False, "cid": "c",
    }
    return p.Check(**(base | kw))  # type: ignore[arg-type]


def test_dataclasses_follow_the_schema_order() -> None:
    for cls in (p.Hello, p.Check, p.Report, p.Mark, p.Instrument, p.Resolve, p.Query,
                p.Subscribe, p.Kill, p.Unkill, p.Hb, p.HelloOk, p.Ok, p.Error, p.CheckOk,
                p.CheckReject, p.QueryOk, p.State, p.RefPrice, p.Event):
        assert p.dataclass_fields(cls) == p.message_fields(cls), cls.__name__


@pytest.mark.parametrize(
    ("value", "wire"),
    [(D("0.530"), "0.530"), (D("1E+1"), "10"), (D("1E-8"), "0.00000001"), (7, "7")],
)
def test_decimal_wire_form(value: Decimal, wire: str) -> None:
    assert p.to_wire(_check(px=value))["px"] == wire


@pytest.mark.parametrize(
    ("value", "code"),
    [(0.5, p.Code.FLOAT_MONEY), (D("NaN"), p.Code.BAD_VALUE), (D("Infinity"), p.Code.BAD_VALUE),
     (D("-1"), p.Code.BAD_VALUE), ("0.5", p.Code.BAD_TYPE), (True, p.Code.BAD_TYPE)],
)
def test_encoder_refuses_bad_money(value: object, code: p.Code) -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.encode(_check(px=value))
    assert info.value.code is code and info.value.field == "px"


def test_encoder_applies_cross_field_rules() -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.encode(_check(tif="gtd"))
    assert info.value.code is p.Code.MISSING_FIELD and info.value.field == "exp"
    assert p.decode_body(p.encode(_check(tif="gtd", exp=5))[4:], p.TO_SERVER) == _check(
        tif="gtd", exp=5)


def test_frame_reader_partial_and_batched() -> None:
    frames = [p.encode(_check(id=i)) for i in range(5)]
    stream = b"".join(frames)
    for step in (1, 3, 7, len(stream)):
        reader = p.FrameReader()
        got: list[bytes] = []
        for i in range(0, len(stream), step):
            got.extend(reader.feed(stream[i : i + step]))
        assert [p.decode_body(b, p.TO_SERVER) for b in got] == [_check(id=i) for i in range(5)]
        assert reader.buffered == 0


def test_oversize_frames() -> None:
    with pytest.raises(p.ProtocolError) as info:
        p.encode(p.QueryOk(id=1, data={"pad": "x" * p.MAX_FRAME}))
    assert info.value.code is p.Code.FRAME_SIZE
    body = p.encode_body(p.QueryOk(id=1, data={"pad": "x" * (p.MAX_FRAME - 30)}))
    assert len(p.frame_of(body)) <= p.MAX_FRAME + 4


def test_codes_match_protocol_md() -> None:
    assert p.Code.FRAME_SIZE.fatal and not p.Code.UNKNOWN_RES.fatal
    assert [c.value for c in p.Code] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                         20, 21, 22, 23, 24]
