"""Polygon addresses the local chain serves (sources in docs/SIMULATORS.md and
shared/research/polymarket.md section 2)."""

from __future__ import annotations

from eth_account import Account
from eth_utils.crypto import keccak

from ..signing import (
    COLLATERAL_PUSD,
    CONDITIONAL_TOKENS,
    CTF_EXCHANGE_V2,
    NEG_RISK_ADAPTER,
    NEG_RISK_CTF_EXCHANGE_V2,
)

CHAIN_ID = 137
USDC_E = "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174"
PUSD = COLLATERAL_PUSD
COLLATERAL_ONRAMP = "0x93070a847efEf7F70739046A929D47a521F5B8ee"
CTF = CONDITIONAL_TOKENS
# Collateral adapters as listed by the unified SDK (polymarket-client 0.14.0 environments.py);
# the ctf-exchange-v2 README lists other addresses (unverified, see the research notes).
CTF_COLLATERAL_ADAPTER = "0xAdA100Db00Ca00073811820692005400218FcE1f"
NEG_RISK_COLLATERAL_ADAPTER = "0xadA2005600Dec949baf300f4C6120000bDB6eAab"

# The spenders/operators a V2 trading wallet approves (pUSD approve and CTF
# setApprovalForAll); the CLOB reports pUSD allowances for these.
TRADING_SPENDERS = (CTF_EXCHANGE_V2, NEG_RISK_CTF_EXCHANGE_V2, CTF_COLLATERAL_ADAPTER,
                    NEG_RISK_COLLATERAL_ADAPTER)

# The simulator's admin: faucet, oracle (it prepares and resolves every condition) and
# settlement operator. A fixed development key: it only ever controls this local chain.
ADMIN_KEY = "0x" + keccak(text="venuesim-polymarket-admin").hex()
ADMIN = str(Account.from_key(ADMIN_KEY).address)

__all__ = ["ADMIN", "ADMIN_KEY", "CHAIN_ID", "COLLATERAL_ONRAMP", "CTF",
           "CTF_COLLATERAL_ADAPTER", "CTF_EXCHANGE_V2", "NEG_RISK_ADAPTER",
           "NEG_RISK_COLLATERAL_ADAPTER", "NEG_RISK_CTF_EXCHANGE_V2", "PUSD", "TRADING_SPENDERS",
           "USDC_E"]
