"""API credentials: L1 (ClobAuth EIP-712) creates/derives them, L2 (HMAC) uses them."""

from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass

from eth_utils.address import is_hex_address
from eth_utils.crypto import keccak

from .signing import hmac_signature, recover_clob_auth

L1_INVALID = "Invalid L1 Request headers"
L2_INVALID = "Unauthorized/Invalid api key"
TIMESTAMP_WINDOW_S = 30  # both directions, against the server's wall clock


class AuthError(Exception):
    """Refused credentials; str() is the venue's error text (HTTP 401)."""


@dataclass(frozen=True)
class ApiKey:
    key: str
    secret: str
    passphrase: str
    address: str  # checksummed L1 signer address


class KeyStore:
    """Deterministic credentials per (address, nonce), derived from a server secret."""

    def __init__(self, seed: int) -> None:
        self._server_secret = keccak(text=f"venuesim-polymarket-keys|{seed}")
        self.keys: dict[str, ApiKey] = {}
        self.created: set[tuple[str, int]] = set()

    def _derive(self, address: str, nonce: int) -> ApiKey:
        base = keccak(self._server_secret + address.lower().encode() + nonce.to_bytes(32, "big"))
        h = base.hex()
        key = f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
        secret = base64.urlsafe_b64encode(keccak(base + b"secret")).decode()
        passphrase = keccak(base + b"passphrase").hex()
        return ApiKey(key, secret, passphrase, address)

    def create(self, address: str, nonce: int) -> ApiKey:
        if (address.lower(), nonce) in self.created:
            raise AuthError("Could not create api key")
        self.created.add((address.lower(), nonce))
        k = self._derive(address, nonce)
        self.keys[k.key] = k
        return k

    def derive(self, address: str, nonce: int) -> ApiKey:
        if (address.lower(), nonce) not in self.created:
            raise AuthError("Could not derive api key!")
        return self._derive(address, nonce)

    def delete(self, key: str) -> None:
        k = self.keys.pop(key, None)
        if k is not None:
            self.created = {c for c in self.created if self._derive(c[0], c[1]).key != key}

    def check_l1(self, headers: dict[str, str], now: float | None = None) -> tuple[str, int]:
        """Return (address, nonce) for valid L1 headers, else raise AuthError."""
        try:
            address = headers["POLY_ADDRESS"]
            signature = headers["POLY_SIGNATURE"]
            ts = headers["POLY_TIMESTAMP"]
            nonce = int(headers.get("POLY_NONCE", "0"))
        except (KeyError, ValueError) as exc:
            raise AuthError(L1_INVALID) from exc
        if not is_hex_address(address) or nonce < 0:
            raise AuthError(L1_INVALID)
        _check_timestamp(ts, now, L1_INVALID)
        try:
            recovered = recover_clob_auth(address, ts, nonce, signature)
        except Exception as exc:  # malformed signature bytes of any kind
            raise AuthError(L1_INVALID) from exc
        if recovered.lower() != address.lower():
            raise AuthError(L1_INVALID)
        return recovered, nonce

    def check_l2(self, headers: dict[str, str], method: str, path: str, body: str,
                 now: float | None = None) -> ApiKey:
        try:
            k = self.keys[headers["POLY_API_KEY"]]
            ts = headers["POLY_TIMESTAMP"]
            sig = headers["POLY_SIGNATURE"]
            passphrase = headers["POLY_PASSPHRASE"]
            address = headers["POLY_ADDRESS"]
        except KeyError as exc:
            raise AuthError(L2_INVALID) from exc
        if not hmac.compare_digest(passphrase, k.passphrase) or \
                address.lower() != k.address.lower():
            raise AuthError(L2_INVALID)
        _check_timestamp(ts, now, L2_INVALID)
        expected = hmac_signature(k.secret, ts, method, path, body)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise AuthError(L2_INVALID)
        return k


def _check_timestamp(ts: str, now: float | None, message: str) -> None:
    try:
        value = int(ts)
    except ValueError as exc:
        raise AuthError(message) from exc
    current = time.time() if now is None else now
    if abs(current - value) > TIMESTAMP_WINDOW_S:
        raise AuthError(message)
