"""Polygon contract addresses and the few ABI fragments the gateway's approve verb uses.

Addresses are the official CLOB V2 ones (docs.polymarket.com/resources/contracts,
polymarket-client 0.14.0 environments.py; see shared/research/polymarket.md section 2 and
7). The gateway never imports the simulator: these are kept here on purpose, and a test
checks they agree with the simulator's.
"""

from __future__ import annotations

from typing import Any

CHAIN_ID = 137
USDC_E = "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174"
PUSD = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"
COLLATERAL_ONRAMP = "0x93070a847efEf7F70739046A929D47a521F5B8ee"
CONDITIONAL_TOKENS = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"
CTF_EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_CTF_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
CTF_COLLATERAL_ADAPTER = "0xAdA100Db00Ca00073811820692005400218FcE1f"
NEG_RISK_COLLATERAL_ADAPTER = "0xadA2005600Dec949baf300f4C6120000bDB6eAab"

# pUSD `approve` and CTF `setApprovalForAll` targets of a V2 trading wallet, in order.
TRADING_OPERATORS: tuple[tuple[str, str], ...] = (
    ("CTF Exchange V2", CTF_EXCHANGE_V2),
    ("NegRisk CTF Exchange V2", NEG_RISK_CTF_EXCHANGE_V2),
    ("CtfCollateralAdapter", CTF_COLLATERAL_ADAPTER),
    ("NegRiskCtfCollateralAdapter", NEG_RISK_COLLATERAL_ADAPTER),
)

# V1 contracts: approving these is a known pitfall of older examples; never a target.
V1_FORBIDDEN = frozenset(a.lower() for a in (
    "0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E",  # CTF Exchange (V1)
    "0xC5d563A36AE78145C45a50134d48A1215220f80a",  # NegRisk CTF Exchange (V1)
))

MAX_UINT256 = 2**256 - 1


def _fn(name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str
        ) -> dict[str, Any]:
    return {"type": "function", "name": name, "stateMutability": mutability,
            "inputs": [{"name": n, "type": t} for n, t in inputs],
            "outputs": [{"name": "", "type": t} for t in outputs]}


ERC20_ABI: list[dict[str, Any]] = [
    _fn("balanceOf", [("account", "address")], ["uint256"], "view"),
    _fn("allowance", [("owner", "address"), ("spender", "address")], ["uint256"], "view"),
    _fn("approve", [("spender", "address"), ("value", "uint256")], ["bool"], "nonpayable"),
]
ONRAMP_ABI: list[dict[str, Any]] = [
    _fn("wrap", [("_asset", "address"), ("_to", "address"), ("_amount", "uint256")], [],
        "nonpayable"),
    {"type": "error", "name": "OnlyUnpaused", "inputs": []},
]
CTF_ABI: list[dict[str, Any]] = [
    _fn("isApprovedForAll", [("owner", "address"), ("operator", "address")], ["bool"], "view"),
    _fn("setApprovalForAll", [("operator", "address"), ("approved", "bool")], [],
        "nonpayable"),
]
