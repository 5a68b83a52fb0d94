"""In-memory balances: pUSD collateral and conditional-token positions per address.

This is the slice before the local chain: the CLOB reads balances and approvals from
here, and matched trades settle here. House (background flow) accounts are not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Wallet:
    collateral: int = 0  # micro pUSD
    usdc: int = 0  # micro USDC.e (wrappable; informational without the chain)
    approved: bool = False  # pUSD approve + CTF setApprovalForAll for the exchanges
    tokens: dict[str, int] = field(default_factory=dict)  # token id -> micro shares


class Ledger:
    def __init__(self) -> None:
        self.wallets: dict[str, Wallet] = {}

    def wallet(self, address: str) -> Wallet:
        return self.wallets.setdefault(address.lower(), Wallet())

    def move(self, address: str, token_id: str, delta: int) -> None:
        """Add `delta` micro units of `token_id` ("" = pUSD collateral) to `address`."""
        w = self.wallet(address)
        if token_id == "":
            w.collateral += delta
        else:
            w.tokens[token_id] = w.tokens.get(token_id, 0) + delta
