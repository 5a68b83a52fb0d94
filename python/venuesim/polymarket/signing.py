"""Signature checks the venue performs: ClobAuth (L1), HMAC (L2), V2 order EIP-712.

Everything here is recomputed from the wire fields; nothing is trusted from the client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

CHAIN_ID = 137
CTF_EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_CTF_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
COLLATERAL_PUSD = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"
CONDITIONAL_TOKENS = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"
NEG_RISK_ADAPTER = "0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296"

CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"

ORDER_TYPE_STRING = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,"
    "uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,"
    "uint256 timestamp,bytes32 metadata,bytes32 builder)"
)
_TYPED_DATA_SIGN_STRING = (
    "TypedDataSign(Order contents,string name,string version,uint256 chainId,"
    "address verifyingContract,bytes32 salt)" + ORDER_TYPE_STRING
)
_DOMAIN_TYPE_STRING = (
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

_ORDER_FIELDS: list[dict[str, str]] = [
    {"name": "salt", "type": "uint256"},
    {"name": "maker", "type": "address"},
    {"name": "signer", "type": "address"},
    {"name": "tokenId", "type": "uint256"},
    {"name": "makerAmount", "type": "uint256"},
    {"name": "takerAmount", "type": "uint256"},
    {"name": "side", "type": "uint8"},
    {"name": "signatureType", "type": "uint8"},
    {"name": "timestamp", "type": "uint256"},
    {"name": "metadata", "type": "bytes32"},
    {"name": "builder", "type": "bytes32"},
]

SIG_EOA = 0
SIG_POLY_PROXY = 1
SIG_POLY_GNOSIS_SAFE = 2
SIG_POLY_1271 = 3


class SignatureError(Exception):
    """A signature that does not verify; the message is the venue's error text."""


@dataclass(frozen=True)
class OrderStruct:
    """The signed V2 Order struct, decoded from the JSON body."""

    salt: int
    maker: str
    signer: str
    token_id: int
    maker_amount: int
    taker_amount: int
    side: int  # 0 BUY, 1 SELL
    signature_type: int
    timestamp: int
    metadata: bytes
    builder: bytes


def _typed_message(order: OrderStruct, exchange: str) -> dict[str, Any]:
    return {
        "primaryType": "Order",
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Order": _ORDER_FIELDS,
        },
        "domain": {
            "name": "Polymarket CTF Exchange",
            "version": "2",
            "chainId": CHAIN_ID,
            "verifyingContract": exchange,
        },
        "message": {
            "salt": order.salt,
            "maker": order.maker,
            "signer": order.signer,
            "tokenId": order.token_id,
            "makerAmount": order.maker_amount,
            "takerAmount": order.taker_amount,
            "side": order.side,
            "signatureType": order.signature_type,
            "timestamp": order.timestamp,
            "metadata": order.metadata,
            "builder": order.builder,
        },
    }


def order_hash(order: OrderStruct, exchange: str) -> str:
    """The EIP-712 digest of the order: the venue's order id."""
    signable = encode_typed_data(full_message=_typed_message(order, exchange))
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    return "0x" + digest.hex()


def _app_domain_separator(exchange: str) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=_DOMAIN_TYPE_STRING),
                keccak(text="Polymarket CTF Exchange"),
                keccak(text="2"),
                CHAIN_ID,
                exchange,
            ],
        )
    )


def _contents_hash(order: OrderStruct) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "uint256", "address", "address", "uint256", "uint256", "uint256",
             "uint8", "uint8", "uint256", "bytes32", "bytes32"],
            [keccak(text=ORDER_TYPE_STRING), order.salt, order.maker, order.signer,
             order.token_id, order.maker_amount, order.taker_amount, order.side,
             order.signature_type, order.timestamp, order.metadata, order.builder],
        )
    )


def recover_order_signer(order: OrderStruct, signature_hex: str, exchange: str) -> str:
    """The EOA whose key produced `signature_hex` for this order.

    EOA orders carry a plain 65-byte signature over the EIP-712 digest. POLY_1271
    (deposit wallet) orders carry an ERC-7739 TypedDataSign envelope: the inner
    65-byte signature, the app domain separator, the contents hash, the contents
    type string and its 2-byte length; every part is checked against the order.
    """
    try:
        raw = bytes.fromhex(signature_hex.removeprefix("0x"))
    except ValueError as exc:
        raise SignatureError("invalid signature") from exc
    if order.signature_type != SIG_POLY_1271:
        if len(raw) != 65:
            raise SignatureError("invalid signature")
        signable = encode_typed_data(full_message=_typed_message(order, exchange))
        try:
            return str(Account.recover_message(signable, signature=raw))
        except Exception as exc:  # eth_keys raises several types for malformed input
            raise SignatureError("invalid signature") from exc
    type_bytes = ORDER_TYPE_STRING.encode()
    expected_len = 65 + 32 + 32 + len(type_bytes) + 2
    if len(raw) != expected_len:
        raise SignatureError("invalid POLY_1271 signature")
    inner, app_sep, contents = raw[:65], raw[65:97], raw[97:129]
    ctype, clen = raw[129:-2], int.from_bytes(raw[-2:], "big")
    if (app_sep != _app_domain_separator(exchange) or contents != _contents_hash(order)
            or ctype != type_bytes or clen != len(type_bytes)):
        raise SignatureError("invalid POLY_1271 signature")
    struct_hash = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "bytes32", "uint256", "address", "bytes32"],
            [keccak(text=_TYPED_DATA_SIGN_STRING), contents, keccak(text="DepositWallet"),
             keccak(text="1"), CHAIN_ID, order.signer, b"\x00" * 32],
        )
    )
    digest = keccak(b"\x19\x01" + app_sep + struct_hash)
    try:
        return str(Account._recover_hash(digest, signature=inner))
    except Exception as exc:
        raise SignatureError("invalid POLY_1271 signature") from exc


def recover_clob_auth(address: str, timestamp: str, nonce: int, signature_hex: str) -> str:
    """The address that signed the ClobAuth EIP-712 message (L1 auth)."""
    typed = {
        "primaryType": "ClobAuth",
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "ClobAuth": [
                {"name": "address", "type": "address"},
                {"name": "timestamp", "type": "string"},
                {"name": "nonce", "type": "uint256"},
                {"name": "message", "type": "string"},
            ],
        },
        "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": CHAIN_ID},
        "message": {"address": to_checksum_address(address), "timestamp": timestamp,
                    "nonce": nonce, "message": CLOB_AUTH_MESSAGE},
    }
    signable = encode_typed_data(full_message=typed)
    raw = bytes.fromhex(signature_hex.removeprefix("0x"))
    return str(Account.recover_message(signable, signature=raw))


def hmac_signature(secret_b64: str, timestamp: str, method: str, path: str, body: str) -> str:
    """urlsafe-base64(HMAC-SHA256(urlsafe_b64decode(secret), ts+METHOD+path+body))."""
    key = base64.urlsafe_b64decode(secret_b64 + "=" * (-len(secret_b64) % 4))
    message = f"{timestamp}{method}{path}{body.replace(chr(39), chr(34))}"
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()
