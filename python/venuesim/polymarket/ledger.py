"""The CLOB's view of wallets: the last chain read plus trades not yet on chain.

The chain (chain/node.py) is the truth. The CLOB keeps, per wallet, what it last read
from the chain (pUSD and USDC.e balances, pUSD allowances, CTF operator approvals,
outcome-token balances) and adds the deltas of matched trades whose settlement has not
been mined yet, so a wallet cannot spend the same pUSD twice while a trade settles.
Like the venue, it re-reads the chain on `/balance-allowance/update`, after each of the
wallet's settlements and on first contact, not on every order. House (background flow)
accounts have no wallets here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ChainState(Protocol):
    collateral: int
    usdc: int
    allowances: dict[str, int]
    operators: dict[str, bool]
    tokens: dict[str, int]


@dataclass
class Wallet:
    collateral: int = 0  # micro pUSD on chain (last read)
    usdc: int = 0  # micro USDC.e on chain (last read)
    allowances: dict[str, int] = field(default_factory=dict)  # spender -> pUSD allowance
    operators: dict[str, bool] = field(default_factory=dict)  # operator -> CTF approval
    tokens: dict[str, int] = field(default_factory=dict)  # token id -> micro shares on chain
    pending_collateral: int = 0  # matched, not yet settled on chain
    pending_tokens: dict[str, int] = field(default_factory=dict)
    read: bool = False  # the chain has been read for this wallet at least once

    @property
    def available_collateral(self) -> int:
        return self.collateral + self.pending_collateral

    def available_tokens(self, token_id: str) -> int:
        return self.tokens.get(token_id, 0) + self.pending_tokens.get(token_id, 0)

    def token_ids(self) -> set[str]:
        return {t for t, q in self.tokens.items() if q} | {
            t for t, q in self.pending_tokens.items() if q}

    @property
    def approved(self) -> bool:
        """Every trading spender has a pUSD allowance and CTF operator approval."""
        return bool(self.allowances) and all(self.allowances.values()) and all(
            self.operators.values())


class Ledger:
    def __init__(self) -> None:
        self.wallets: dict[str, Wallet] = {}

    def wallet(self, address: str) -> Wallet:
        return self.wallets.setdefault(address.lower(), Wallet())

    def move(self, address: str, token_id: str, delta: int) -> None:
        """Add a pending (matched, unsettled) delta: `token_id` "" is pUSD."""
        w = self.wallet(address)
        if token_id == "":
            w.pending_collateral += delta
        else:
            w.pending_tokens[token_id] = w.pending_tokens.get(token_id, 0) + delta

    def unpend(self, deltas: list[tuple[str, str, int]]) -> None:
        """Drop pending deltas once their settlement is mined (the chain read that
        follows carries them) or has failed (they never happened)."""
        for addr, token, delta in deltas:
            self.move(addr, token, -delta)

    def apply_chain(self, address: str, state: ChainState) -> None:
        w = self.wallet(address)
        w.collateral = state.collateral
        w.usdc = state.usdc
        w.allowances = dict(state.allowances)
        w.operators = dict(state.operators)
        w.tokens.update(state.tokens)
        w.read = True
