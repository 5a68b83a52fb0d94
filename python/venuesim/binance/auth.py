"""Request signing and timing security, checked the way the venue checks them.

REST: the payload is the query string joined without separator to the body, both exactly as
sent, minus the `signature` parameter. HMAC-SHA256 signatures are hex (case-insensitive);
Ed25519 signatures are base64 (percent-encoded on the wire, case-sensitive).
WebSocket API: every param but `signature`, sorted by name, joined as `k=v&...`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, unquote_plus

from Crypto.Signature import eddsa

from .accounts import Account
from .errors import (
    BAD_API_KEY_FMT,
    INVALID_SIGNATURE,
    REJECTED_MBX_KEY,
    TS_AHEAD,
    TS_OUTSIDE_WINDOW,
    BinanceError,
    err,
    mandatory,
)

MAX_RECV_WINDOW = Decimal(60000)
DEFAULT_RECV_WINDOW = Decimal(5000)


def strip_signature(raw: str) -> tuple[str, str | None]:
    """Split `a=1&signature=xx&b=2` into (`a=1&b=2`, decoded signature)."""
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signature = unquote_plus(part[len("signature="):])
        else:
            kept.append(part)
    return "&".join(kept), signature


def lookup_key(accounts: dict[str, Account], api_key: str | None) -> Account:
    if api_key is None or api_key == "":
        raise err(BAD_API_KEY_FMT, 401)
    if not all(33 <= ord(ch) < 127 for ch in api_key):
        raise err(BAD_API_KEY_FMT, 401)
    account = accounts.get(api_key)
    if account is None:
        raise err(REJECTED_MBX_KEY, 401)
    return account


def verify(account: Account, payload: str, signature: str | None) -> None:
    if signature is None or signature == "":
        raise mandatory("signature")
    if account.hmac_secret is not None:
        expected = hmac.new(account.hmac_secret.encode(), payload.encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise err(INVALID_SIGNATURE)
        return
    assert account.ed25519_key is not None
    try:
        raw = base64.b64decode(signature, validate=True)
        eddsa.new(account.ed25519_key, "rfc8032").verify(payload.encode(), raw)
    except (ValueError, binascii.Error) as exc:
        raise err(INVALID_SIGNATURE) from exc


def check_timing(params: dict[str, str], now_ms: int) -> None:
    """timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow."""
    raw_ts = params.get("timestamp")
    if raw_ts is None or raw_ts == "":
        raise mandatory("timestamp")
    try:
        timestamp = Decimal(raw_ts)
    except InvalidOperation as exc:
        raise mandatory("timestamp") from exc
    if not timestamp.is_finite() or timestamp != timestamp.to_integral_value():
        raise mandatory("timestamp")
    if timestamp > 10**14:  # microseconds are accepted since 2024-12
        timestamp = timestamp / 1000
    window = DEFAULT_RECV_WINDOW
    if "recvWindow" in params:
        try:
            window = Decimal(params["recvWindow"])
        except InvalidOperation as exc:
            raise mandatory("recvWindow") from exc
        if not window.is_finite() or window < 0 or -window.as_tuple().exponent > 3:  # type: ignore[operator]
            raise mandatory("recvWindow")
        if window > MAX_RECV_WINDOW:
            raise BinanceError(-1131, "recvWindow must be less than 60000")
    if timestamp >= now_ms + 1000:
        raise err(TS_AHEAD)
    if now_ms - timestamp > window:
        raise err(TS_OUTSIDE_WINDOW)


def ws_payload(params: dict[str, Any], encode: bool) -> str:
    """WebSocket API signature payload: params but `signature`, sorted, `k=v` joined by `&`."""
    parts = []
    for name in sorted(k for k in params if k != "signature"):
        value = ws_value(params[name])
        parts.append(f"{name}={quote(value, safe='') if encode else value}")
    return "&".join(parts)


def ws_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def verify_ws(account: Account, params: dict[str, Any]) -> None:
    """Check the documented form first; accept the percent-encoded form too (some clients
    sign urlencode(params), which only differs for characters outside [A-Za-z0-9._-])."""
    signature = params.get("signature")
    if not isinstance(signature, str):
        raise mandatory("signature")
    try:
        verify(account, ws_payload(params, encode=False), signature)
    except BinanceError:
        verify(account, ws_payload(params, encode=True), signature)
