"""Checks on a signed raw transaction before it reaches py-evm, which (through
eth-tester) does not enforce the EIP-155 chain id: the chain id must be ours, the
signature well-formed (r, s in range, low s) and recoverable to a sender."""

from __future__ import annotations

import rlp
from eth_account import Account

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TYPED = (1, 2, 4)  # access-list, dynamic-fee, set-code; blob (3) has no place here


class RawTxError(Exception):
    pass


def _int(b: object) -> int:
    if not isinstance(b, bytes):
        raise RawTxError("malformed field")
    return int.from_bytes(b, "big")


def check_raw_transaction(raw: bytes, chain_id: int) -> str:
    """Return the recovered sender; raise RawTxError when the transaction is refused."""
    if not raw:
        raise RawTxError("empty transaction")
    try:
        if raw[0] >= 0xC0:
            fields = rlp.decode(raw)
            if not isinstance(fields, list) or len(fields) != 9:
                raise RawTxError("malformed legacy transaction")
            v = _int(fields[6])
            if v in (27, 28):
                raise RawTxError("only replay-protected (EIP-155) transactions allowed")
            if v not in (chain_id * 2 + 35, chain_id * 2 + 36):
                raise RawTxError(f"invalid chain id (v={v})")
        elif raw[0] in TYPED:
            fields = rlp.decode(raw[1:])
            if not isinstance(fields, list) or len(fields) < 4:
                raise RawTxError("malformed typed transaction")
            tx_chain = _int(fields[0])
            if tx_chain != chain_id:
                raise RawTxError(f"invalid chain id {tx_chain}, expected {chain_id}")
            if _int(fields[-3]) not in (0, 1):
                raise RawTxError("invalid signature y parity")
        else:
            raise RawTxError(f"unsupported transaction type {raw[0]}")
    except rlp.exceptions.DecodingError as exc:
        raise RawTxError("malformed transaction") from exc
    r, s = _int(fields[-2]), _int(fields[-1])
    if not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2):
        raise RawTxError("invalid signature")
    try:
        return str(Account.recover_transaction(raw))
    except Exception as exc:  # eth_keys raises several types for a bad signature
        raise RawTxError("invalid signature") from exc
