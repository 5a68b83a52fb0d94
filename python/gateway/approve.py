"""`python -m gateway approve`: fund and approve a trading wallet for Polymarket CLOB V2.

Reads with web3.py what the wallet has (POL for gas, USDC.e, pUSD, allowances, CTF
operator approvals), plans what is missing:
  - with `--wrap AMOUNT`: USDC.e `approve` of exactly AMOUNT to the Collateral Onramp (if
    its allowance is short) and `wrap(USDC.e, wallet, AMOUNT)` into pUSD;
  - pUSD `approve(MAX)` to each V2 exchange and collateral adapter that lacks it;
  - Conditional Tokens `setApprovalForAll(operator, true)` to the same four;
prints the plan with gas estimates, asks for confirmation (unless `--yes`), sends the
transactions one by one with consecutive nonces, waits for each receipt, stops at the
first failure (nothing after it is sent), and finally calls the CLOB's
`/balance-allowance/update` so the venue sees the new state. `--dry-run` only prints.

The private key comes from env POLY_PRIVATE_KEY or `--key-file` (a file of mode 0600 or
stricter); it is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from eth_account import Account
from eth_utils.crypto import keccak
from web3 import AsyncWeb3
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3Exception
from web3.providers import AsyncHTTPProvider
from web3.types import TxParams

from .contracts import (
    CHAIN_ID,
    COLLATERAL_ONRAMP,
    CONDITIONAL_TOKENS,
    CTF_ABI,
    ERC20_ABI,
    MAX_UINT256,
    ONRAMP_ABI,
    PUSD,
    TRADING_OPERATORS,
    USDC_E,
    V1_FORBIDDEN,
)

DEFAULT_GAS = 200_000  # for a step that cannot be estimated before an earlier one is mined
GAS_BUFFER = Decimal("1.25")
RECEIPT_TIMEOUT_S = 120.0
ONE = 10**6  # USDC.e and pUSD have 6 decimals
KNOWN_ERRORS = {keccak(text="OnlyUnpaused()")[:4].hex(): "OnlyUnpaused()",
                keccak(text="UnsupportedAsset()")[:4].hex(): "UnsupportedAsset()"}


class ApproveError(Exception):
    """A reason to stop, printed as is."""


@dataclass
class ApproveConfig:
    rpc: str
    clob: str
    key: str  # never printed
    wrap: int  # USDC.e base units to wrap, 0 for none
    yes: bool
    dry_run: bool
    chain_id: int = CHAIN_ID
    receipt_timeout_s: float = RECEIPT_TIMEOUT_S


@dataclass
class Step:
    label: str
    contract: str
    abi: list[dict[str, Any]]
    fn: str
    args: tuple[Any, ...]
    depends_on: int | None = None  # index of the step this one needs mined first
    gas: int | None = None  # estimate; None: DEFAULT_GAS (depends on an earlier step)

    @property
    def gas_limit(self) -> int:
        return int(Decimal(self.gas) * GAS_BUFFER) if self.gas is not None else DEFAULT_GAS


def _usd(units: int) -> str:
    return f"{Decimal(units) / ONE:f}"


def parse_amount(text: str) -> int:
    """A USDC amount with at most 6 decimals, as base units; > 0."""
    try:
        d = Decimal(text)
    except InvalidOperation as exc:
        raise ApproveError(f"--wrap: not an amount: {text!r}") from exc
    units = d * ONE
    if not d.is_finite() or units != units.to_integral_value() or units <= 0:
        raise ApproveError(f"--wrap: need a positive amount with at most 6 decimals: {text!r}")
    return int(units)


def load_key(key_file: str | None) -> str:
    """The private key from `--key-file` (mode 0600 or stricter) or POLY_PRIVATE_KEY."""
    if key_file:
        st = os.stat(key_file)
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ApproveError(f"{key_file}: mode {stat.S_IMODE(st.st_mode):o} is too open; "
                               "chmod 600 it")
        with open(key_file, encoding="utf-8") as fh:
            key = fh.read().strip()
    else:
        key = os.environ.get("POLY_PRIVATE_KEY", "").strip()
    if not key:
        raise ApproveError("no private key: set POLY_PRIVATE_KEY or pass --key-file")
    try:
        Account.from_key(key)
    except (ValueError, TypeError):
        raise ApproveError("the private key is malformed") from None  # no key in tracebacks
    return key


def _revert_text(exc: Exception) -> str:
    if isinstance(exc, ContractCustomError):
        data = str(exc.data if isinstance(exc.data, str) else exc.message or "")
        return KNOWN_ERRORS.get(data.removeprefix("0x")[:8], f"custom error {data[:10]}")
    if isinstance(exc, ContractLogicError):
        return str(exc.message or exc)
    return str(exc)


class Approver:
    def __init__(self, cfg: ApproveConfig, out: TextIO) -> None:
        self.cfg = cfg
        self.out = out
        self.acct = Account.from_key(cfg.key)
        self.me = self.acct.address
        self.w3 = AsyncWeb3(AsyncHTTPProvider(cfg.rpc))

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _c(self, address: str, abi: list[dict[str, Any]]) -> Any:
        return self.w3.eth.contract(address=self.w3.to_checksum_address(address), abi=abi)

    async def plan(self) -> list[Step]:
        chain_id = await self.w3.eth.chain_id
        if chain_id != self.cfg.chain_id:
            raise ApproveError(f"the RPC serves chain {chain_id}, expected {self.cfg.chain_id}")
        usdc, pusd = self._c(USDC_E, ERC20_ABI), self._c(PUSD, ERC20_ABI)
        ctf = self._c(CONDITIONAL_TOKENS, CTF_ABI)
        me = self.me
        pol, usdc_bal, usdc_allow, pusd_bal = await asyncio.gather(
            self.w3.eth.get_balance(me), usdc.functions.balanceOf(me).call(),
            usdc.functions.allowance(me, COLLATERAL_ONRAMP).call(),
            pusd.functions.balanceOf(me).call())
        allowances = await asyncio.gather(*(pusd.functions.allowance(me, a).call()
                                             for _, a in TRADING_OPERATORS))
        approvals = await asyncio.gather(*(ctf.functions.isApprovedForAll(me, a).call()
                                           for _, a in TRADING_OPERATORS))
        self.pol = int(pol)
        self.say(f"wallet {me} on chain {chain_id}")
        self.say(f"  POL {Decimal(pol) / 10**18:f}  USDC.e {_usd(usdc_bal)}  "
                 f"pUSD {_usd(pusd_bal)}")
        steps: list[Step] = []
        wrap = self.cfg.wrap
        if wrap:
            if usdc_bal < wrap:
                raise ApproveError(f"USDC.e balance {_usd(usdc_bal)} is less than --wrap "
                                   f"{_usd(wrap)}")
            approve_idx: int | None = None
            if usdc_allow < wrap:
                approve_idx = len(steps)
                steps.append(Step(f"USDC.e approve(CollateralOnramp, {_usd(wrap)})", USDC_E,
                                  ERC20_ABI, "approve", (COLLATERAL_ONRAMP, wrap)))
            steps.append(Step(f"CollateralOnramp wrap(USDC.e, {me}, {_usd(wrap)})",
                              COLLATERAL_ONRAMP, ONRAMP_ABI, "wrap", (USDC_E, me, wrap),
                              depends_on=approve_idx))
        for (name, addr), allowance in zip(TRADING_OPERATORS, allowances, strict=True):
            if allowance < MAX_UINT256 // 2:
                steps.append(Step(f"pUSD approve({name} {addr}, MAX)", PUSD, ERC20_ABI,
                                  "approve", (addr, MAX_UINT256)))
        for (name, addr), approved in zip(TRADING_OPERATORS, approvals, strict=True):
            if not approved:
                steps.append(Step(f"ConditionalTokens setApprovalForAll({name} {addr}, true)",
                                  CONDITIONAL_TOKENS, CTF_ABI, "setApprovalForAll",
                                  (addr, True)))
        for s in steps:
            if any(isinstance(a, str) and a.lower() in V1_FORBIDDEN for a in s.args):
                raise ApproveError(f"refusing a V1 contract in {s.label}")
        await self._estimate(steps)
        return steps

    async def _estimate(self, steps: list[Step]) -> None:
        for i, s in enumerate(steps):
            fn = getattr(self._c(s.contract, s.abi).functions, s.fn)(*s.args)
            try:
                s.gas = int(await fn.estimate_gas({"from": self.me}))
            except (ContractLogicError, ContractCustomError, Web3Exception) as exc:
                if s.depends_on is None:
                    raise ApproveError(f"step {i + 1} ({s.label}) would revert: "
                                       f"{_revert_text(exc)}; nothing sent") from exc
                s.gas = None  # needs step depends_on mined first

    async def fees(self) -> tuple[int, int]:
        tip = int(await self.w3.eth.max_priority_fee)
        block = await self.w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0) or 0)
        return 2 * base + tip, tip

    def print_plan(self, steps: list[Step], max_fee: int) -> None:
        self.say(f"plan: {len(steps)} transaction(s)")
        for i, s in enumerate(steps, 1):
            gas = (f"gas {s.gas} (limit {s.gas_limit})" if s.gas is not None else
                   f"gas limit {s.gas_limit} (not estimable before step "
                   f"{(s.depends_on or 0) + 1} is mined)")
            self.say(f"  {i}. {s.label}  {gas}")
        total = sum(s.gas_limit for s in steps) * max_fee
        self.say(f"  max fee {max_fee / 10**9:.3f} gwei; at most "
                 f"{Decimal(total) / 10**18:f} POL for gas")
        if total > self.pol:
            raise ApproveError("not enough POL for gas; nothing sent")

    async def send(self, steps: list[Step], max_fee: int, tip: int) -> None:
        nonce = int(await self.w3.eth.get_transaction_count(self.me, "pending"))
        for i, s in enumerate(steps, 1):
            fn = getattr(self._c(s.contract, s.abi).functions, s.fn)(*s.args)
            tx = await fn.build_transaction({
                "from": self.me, "nonce": nonce, "gas": s.gas_limit, "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": tip, "chainId": self.cfg.chain_id})
            signed = self.acct.sign_transaction(tx)
            rest = f"; steps {i + 1}..{len(steps)} not sent" if i < len(steps) else ""
            try:
                tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except Web3Exception as exc:
                raise ApproveError(f"step {i} ({s.label}) refused by the node: {exc}"
                                   f"{rest}") from exc
            self.say(f"  sent {i}/{len(steps)} nonce {nonce} tx {tx_hash.to_0x_hex()}")
            try:
                receipt = await self.w3.eth.wait_for_transaction_receipt(
                    tx_hash, timeout=self.cfg.receipt_timeout_s, poll_latency=0.2)
            except TimeExhausted as exc:
                raise ApproveError(f"step {i}: no receipt after {self.cfg.receipt_timeout_s:.0f}"
                                   f" s for {tx_hash.to_0x_hex()}{rest}") from exc
            if receipt["status"] != 1:
                reason = await self._why(tx, int(receipt["blockNumber"]))
                raise ApproveError(f"step {i} ({s.label}) REVERTED in block "
                                   f"{receipt['blockNumber']}: {reason}{rest}")
            self.say(f"  mined {i}/{len(steps)} block {receipt['blockNumber']} "
                     f"gas used {receipt['gasUsed']}")
            nonce += 1

    async def _why(self, tx: dict[str, Any], block: int) -> str:
        """Replay the reverted call on the state it met, to learn the reason."""
        call: TxParams = {"from": tx["from"], "to": tx["to"], "data": tx["data"]}
        try:
            await self.w3.eth.call(call, block_identifier=max(block - 1, 0))
        except (ContractLogicError, ContractCustomError, Web3Exception) as exc:
            return _revert_text(exc)
        return "reverted (no reason given)"


def _clob_update(clob: str, key: str, chain_id: int) -> dict[str, Any]:
    """`GET /balance-allowance/update` as the official client does it (L2 auth)."""
    from py_clob_client_v2 import ClobClient  # noqa: PLC0415  # sync httpx: run in a thread
    from py_clob_client_v2.clob_types import AssetType, BalanceAllowanceParams  # noqa: PLC0415

    client = ClobClient(host=clob, chain_id=chain_id, key=key)
    client.set_api_creds(client.create_or_derive_api_key())
    params = BalanceAllowanceParams(asset_type=AssetType.COLLATERAL)
    client.update_balance_allowance(params)
    result: dict[str, Any] = client.get_balance_allowance(params)
    return result


async def run_approve(cfg: ApproveConfig, out: TextIO,
                      confirm: Callable[[str], bool] | None = None) -> int:
    """The approve verb; returns the exit status (0 done, 1 refused or failed)."""
    ap = Approver(cfg, out)
    try:
        steps = await ap.plan()
        max_fee, tip = await ap.fees()
        ap.print_plan(steps, max_fee)
        if cfg.dry_run:
            ap.say("dry run: nothing sent")
            return 0
        if steps:
            if not cfg.yes and (confirm is None or not confirm(
                    f"send {len(steps)} transaction(s) from {ap.me}? [y/N] ")):
                ap.say("not confirmed: nothing sent")
                return 1
            await ap.send(steps, max_fee, tip)
        else:
            ap.say("nothing to do on chain")
        try:
            bal = await asyncio.to_thread(_clob_update, cfg.clob, cfg.key, cfg.chain_id)
        except Exception as exc:  # the client raises its own and httpx types
            raise ApproveError(f"transactions done, but /balance-allowance/update failed: "
                               f"{type(exc).__name__}: {exc}") from exc
        ap.say(f"CLOB /balance-allowance/update: balance {_usd(int(bal['balance']))} pUSD; "
               f"allowances " + ", ".join(f"{k}={'MAX' if int(v) == MAX_UINT256 else v}"
                                         for k, v in bal.get("allowances", {}).items()))
        return 0
    except ApproveError as exc:
        ap.say(f"approve: {exc}")
        return 1
    except Web3Exception as exc:
        ap.say(f"approve: RPC error: {exc}")
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gateway approve",
                                description="approve (and fund) a Polymarket V2 wallet")
    p.add_argument("--rpc", default=os.environ.get("POLYGON_RPC_URL"),
                   help="Polygon JSON-RPC URL (default env POLYGON_RPC_URL)")
    p.add_argument("--clob", default="https://clob.polymarket.com")
    p.add_argument("--key-file", help="private key file, mode 0600 (else env POLY_PRIVATE_KEY)")
    p.add_argument("--wrap", help="USDC.e amount to wrap into pUSD, e.g. 25.5")
    p.add_argument("--yes", action="store_true", help="send without asking")
    p.add_argument("--dry-run", action="store_true", help="print the plan only")
    p.add_argument("--chain-id", type=int, default=CHAIN_ID)
    return p


def _ask(prompt: str) -> bool:
    if not sys.stdin.isatty():
        return False  # never send on an unanswerable prompt
    return input(prompt).strip().lower() in ("y", "yes")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if not args.rpc:
            raise ApproveError("--rpc (or env POLYGON_RPC_URL) is required")
        cfg = ApproveConfig(rpc=args.rpc, clob=args.clob, key=load_key(args.key_file),
                            wrap=parse_amount(args.wrap) if args.wrap else 0, yes=args.yes,
                            dry_run=args.dry_run, chain_id=args.chain_id)
    except (ApproveError, OSError) as exc:
        print(f"approve: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_approve(cfg, sys.stdout, _ask))
