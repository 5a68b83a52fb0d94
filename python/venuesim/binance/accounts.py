"""Accounts from the --accounts file: API keys, balances (free/locked), commissions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from Crypto.PublicKey import ECC

MAKER_RATE = Decimal("0.001")
TAKER_RATE = Decimal("0.001")


class AccountsFileError(ValueError):
    """The --accounts file is malformed; the message says where."""


@dataclass
class Balance:
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


@dataclass
class Account:
    uid: int
    api_key: str
    hmac_secret: str | None
    ed25519_key: ECC.EccKey | None
    balances: dict[str, Balance] = field(default_factory=dict)
    update_time: int = 0

    @property
    def key_type(self) -> str:
        return "HMAC" if self.hmac_secret is not None else "ED25519"

    def balance(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance())


def _decimal(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise AccountsFileError(f"{where}: not a decimal amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise AccountsFileError(f"{where}: amount must be finite and >= 0: {value!r}")
    return amount


def parse_accounts(doc: Any) -> list[Account]:
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list):
        raise AccountsFileError('expected {"accounts": [...]}')
    accounts: list[Account] = []
    seen: set[str] = set()
    for index, entry in enumerate(doc["accounts"]):
        where = f"accounts[{index}]"
        if not isinstance(entry, dict):
            raise AccountsFileError(f"{where}: expected an object")
        api_key = entry.get("api_key")
        if not isinstance(api_key, str) or not api_key:
            raise AccountsFileError(f"{where}: api_key must be a non-empty string")
        if api_key in seen:
            raise AccountsFileError(f"{where}: duplicate api_key")
        seen.add(api_key)
        secret = entry.get("hmac_secret")
        pem = entry.get("ed25519_public_key_pem")
        if (secret is None) == (pem is None):
            raise AccountsFileError(f"{where}: give exactly one of hmac_secret or "
                                    "ed25519_public_key_pem")
        key: ECC.EccKey | None = None
        if pem is not None:
            try:
                key = ECC.import_key(str(pem))
            except (ValueError, IndexError, TypeError) as exc:
                raise AccountsFileError(f"{where}: ed25519_public_key_pem does not parse") from exc
            if key.curve != "Ed25519":
                raise AccountsFileError(f"{where}: key is {key.curve}, not Ed25519")
        elif not isinstance(secret, str) or not secret:
            raise AccountsFileError(f"{where}: hmac_secret must be a non-empty string")
        balances_doc = entry.get("balances", {})
        if not isinstance(balances_doc, dict):
            raise AccountsFileError(f"{where}: balances must be an object")
        balances = {str(asset): Balance(_decimal(amount, f"{where}.balances.{asset}"))
                     for asset, amount in balances_doc.items()}
        accounts.append(Account(uid=354937868 + index, api_key=api_key, hmac_secret=secret,
                                ed25519_key=key, balances=balances))
    return accounts


def load_accounts(path: Path) -> list[Account]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise AccountsFileError(f"{path}: {exc}") from exc
    return parse_accounts(doc)
