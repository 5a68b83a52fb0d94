"""TWS socket framing and field spelling, as TWS itself writes and reads them.

A message is a 4-byte big-endian length followed by a payload of NUL-terminated ASCII fields
(the last field is terminated too). Numbers have several spellings on this wire and the exact
one matters to anyone comparing bytes, so every outgoing field goes through one of the
formatters below and every incoming one through `FieldReader`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

MAX_PAYLOAD = 0xFFFFFF          # IBAPI const.MAX_MSG_LEN; longer is error 507 "Bad message length"
UNSET_INT = 2**31 - 1           # Java Integer.MAX_VALUE, "no value" for int fields
UNSET_DOUBLE_TEXT = "1.7976931348623157E308"   # Java Double.MAX_VALUE as TWS prints it
# The three spellings of an unset double a client may send: empty, TWS's, and Python's repr
# (IBAPI sends the latter for some fields).
UNSET_DOUBLE_SPELLINGS = frozenset({"", UNSET_DOUBLE_TEXT, "1.7976931348623157e+308"})
INFINITE = Decimal("Infinity")


class ProtocolError(ValueError):
    """A message that cannot be read: wrong field count, a number that is not a number."""


def frame(payload: bytes) -> bytes:
    """Length-prefix one payload."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return struct.pack(">I", len(payload)) + payload


def join_fields(fields: Sequence[str]) -> bytes:
    """Fields to a payload: each NUL-terminated, ASCII only (TWS rejects anything else)."""
    try:
        return b"".join(f.encode("ascii") + b"\0" for f in fields)
    except UnicodeEncodeError as exc:
        raise ProtocolError(f"non-ASCII field: {exc}") from exc


def split_fields(payload: bytes) -> list[str]:
    """A payload to its fields; the trailing NUL is required."""
    if not payload.endswith(b"\0"):
        raise ProtocolError("payload does not end with NUL")
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"non-ASCII payload: {exc}") from exc
    return text.split("\0")[:-1]


# ---- outgoing number spellings ------------------------------------------------------------
# TWS is written in Java and prints most doubles with Double.toString ("0.0", "150.25",
# "1000.0"); a few messages (contract details, order status, parts of openOrder) print them
# compactly ("0", "0.00005"). Which one a field uses is taken from captured TWS messages.


def _as_double(value: Decimal) -> Decimal:
    """The value a Java double would hold, written with the fewest digits that identify it
    (what Double.toString and Python's float repr both print)."""
    return Decimal(repr(float(value)))


def plain(value: Decimal) -> str:
    """Compact decimal text: no exponent, no trailing zeros, no trailing point ("0", "0.00005")."""
    if not value.is_finite():
        raise ProtocolError(f"not a finite number: {value}")
    if len(value.as_tuple().digits) > 15:       # e.g. an average price 1.3333...
        value = _as_double(value)
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def java_double(value: Decimal | None) -> str:
    """Double.toString spelling for the magnitudes prices have; None is Double.MAX_VALUE."""
    if value is None:
        return UNSET_DOUBLE_TEXT
    if value == INFINITE:
        return "Infinity"
    if not value.is_finite():
        raise ProtocolError(f"not a number: {value}")
    magnitude = abs(value)
    if magnitude == 0 or Decimal("0.001") <= magnitude < Decimal(10_000_000):
        text = plain(value)
        return text if "." in text else text + ".0"
    # Java switches to computerized scientific notation outside [1e-3, 1e7): "1.0E7"
    sign, digits, exponent = _as_double(value).normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits))
    power = exponent + len(digits) - 1
    fraction = mantissa[1:] or "0"
    return f"{'-' if sign else ''}{mantissa[0]}.{fraction}E{power}"


def java_double_or_empty(value: Decimal | None) -> str:
    """A double field that TWS leaves empty when unset."""
    return "" if value is None else java_double(value)


def plain_or_empty(value: Decimal | None) -> str:
    return "" if value is None else plain(value)


def int_text(value: int | None) -> str:
    """An int field; None is Integer.MAX_VALUE as TWS sends it."""
    return str(UNSET_INT if value is None else value)


def int_or_empty(value: int | None) -> str:
    return "" if value is None else str(value)


def bool_text(value: bool) -> str:
    return "1" if value else "0"


# ---- incoming ----------------------------------------------------------------------------


class FieldReader:
    """Reads typed fields from one message in order; every misuse is a ProtocolError."""

    def __init__(self, fields: Sequence[str], start: int = 0) -> None:
        self._fields = fields
        self._pos = start

    @property
    def remaining(self) -> int:
        return len(self._fields) - self._pos

    def text(self) -> str:
        if self._pos >= len(self._fields):
            raise ProtocolError(f"message ends after {len(self._fields)} fields")
        value = self._fields[self._pos]
        self._pos += 1
        return value

    def skip(self, count: int = 1) -> None:
        for _ in range(count):
            self.text()

    def integer(self) -> int:
        raw = self.text()
        try:
            return int(raw) if raw else 0
        except ValueError as exc:
            raise ProtocolError(f"field {self._pos} is not an integer: {raw!r}") from exc

    def opt_integer(self) -> int | None:
        """Empty and Integer.MAX_VALUE both mean unset."""
        raw = self.text()
        if raw == "":
            return None
        try:
            value = int(raw)
        except ValueError as exc:
            raise ProtocolError(f"field {self._pos} is not an integer: {raw!r}") from exc
        return None if value == UNSET_INT else value

    def boolean(self) -> bool:
        raw = self.text()
        if raw in ("", "0", "false", "False"):
            return False
        if raw in ("1", "true", "True"):
            return True
        raise ProtocolError(f"field {self._pos} is not a boolean: {raw!r}")

    def double(self) -> Decimal | None:
        """A double as an exact Decimal; the three unset spellings give None."""
        raw = self.text()
        if raw in UNSET_DOUBLE_SPELLINGS:
            return None
        if raw in ("Infinite", "Infinity"):
            return INFINITE
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ProtocolError(f"field {self._pos} is not a number: {raw!r}") from exc
        if not value.is_finite():
            raise ProtocolError(f"field {self._pos} is not a finite number: {raw!r}")
        return value.normalize()

    def decimal(self) -> Decimal | None:
        """A Decimal size field ("1000", "1.24115341"); unset spellings give None."""
        return self.double()
