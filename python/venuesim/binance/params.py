"""Parameter parsing with the venue's validation errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from .errors import BinanceError, illegal_chars, mandatory
from .symbols import SYMBOLS, SymbolSpec

DECIMAL_RE = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
CLIENT_ID_RE = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")


def decimal(params: dict[str, str], name: str, required: bool = False) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise mandatory(name)
        return None
    if not DECIMAL_RE.match(raw):
        raise illegal_chars(name)
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise illegal_chars(name) from exc
    if "." in raw and len(raw.split(".")[1].rstrip("0")) > 8:
        raise BinanceError(-1111, f"Parameter '{name}' has too much precision.")
    return value


def integer(params: dict[str, str], name: str, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise mandatory(name)
        return None
    if not re.fullmatch(r"-?[0-9]{1,19}", raw):
        raise mandatory(name)
    return int(raw)


def boolean(params: dict[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return raw.lower() == "true"


def symbol(params: dict[str, str], required: bool = True) -> SymbolSpec | None:
    raw = params.get("symbol")
    if raw is None or raw == "":
        if required:
            raise mandatory("symbol")
        return None
    spec = SYMBOLS.get(raw)
    if spec is None:
        raise BinanceError(-1121, "Invalid symbol.")
    return spec


def symbol_list(params: dict[str, str]) -> list[SymbolSpec] | None:
    if "symbol" in params:
        spec = symbol(params)
        assert spec is not None
        return [spec]
    raw = params.get("symbols")
    if raw is None:
        return None
    try:
        names = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BinanceError(-1100, "Illegal characters found in parameter 'symbols'; "
                                  f"legal range is '{SYMBOLS_RANGE}'.") from exc
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise mandatory("symbols")
    if len(set(names)) != len(names):
        raise BinanceError(-1151, "Symbol is present multiple times in the list.")
    out = []
    for name in names:
        spec = SYMBOLS.get(name)
        if spec is None:
            raise BinanceError(-1121, "Invalid symbol.")
        out.append(spec)
    return out


def client_id(params: dict[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw == "":
        raise BinanceError(-1118 if name == "newClientOrderId" else -1119,
                           "New client order ID was empty." if name == "newClientOrderId"
                           else "Original client order ID was empty.")
    if not CLIENT_ID_RE.match(raw):
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range "
                                  "is '^[a-zA-Z0-9-_]{1,36}$'.")
    return raw


def read_all(params: dict[str, str], allowed: frozenset[str]) -> None:
    """The venue refuses parameters an endpoint does not read."""
    unread = [k for k in params if k not in allowed]
    if unread:
        read = len(params) - len(unread)
        raise BinanceError(-1104, f"Not all sent parameters were read; read '{read}' "
                                  f"parameter(s) but was sent '{len(params)}'.")
