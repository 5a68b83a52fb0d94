"""Conditional Tokens id derivations, the same arithmetic as ConditionalTokens.sol:
conditionId = keccak256(oracle, questionId, slots); collectionId = the hash of
(conditionId, indexSet) mapped onto alt_bn128 (parent 0); positionId =
keccak256(collateral, collectionId). The CLOB's token ids are these position ids."""

from __future__ import annotations

from eth_utils.crypto import keccak

P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
B = 3


def condition_id(oracle: str, question_id: bytes, slots: int = 2) -> bytes:
    return keccak(bytes.fromhex(oracle.removeprefix("0x")) + question_id
                  + slots.to_bytes(32, "big"))


def collection_id(cond: bytes, index_set: int) -> bytes:
    x1 = int.from_bytes(keccak(cond + index_set.to_bytes(32, "big")), "big")
    odd = x1 >> 255 != 0
    while True:
        x1 = (x1 + 1) % P
        yy = (x1 * x1 % P * x1 + B) % P
        y1 = pow(yy, (P + 1) // 4, P)
        if y1 * y1 % P == yy:
            break
    if (odd and y1 % 2 == 0) or (not odd and y1 % 2 == 1):
        y1 = P - y1
    if y1 % 2 == 1:
        x1 ^= 1 << 254
    return x1.to_bytes(32, "big")


def position_id(collateral: str, cond: bytes, index_set: int) -> int:
    coll = bytes.fromhex(collateral.removeprefix("0x"))
    return int.from_bytes(keccak(coll + collection_id(cond, index_set)), "big")
