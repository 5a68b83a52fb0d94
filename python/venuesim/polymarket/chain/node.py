"""The local Polygon node: py-evm through eth-tester, chain id 137, the Polymarket
contracts at their real addresses, and a JSON-RPC dispatcher for web3 clients.

Every method here is synchronous and touches py-evm, which is neither fast (tens of ms
per transaction) nor thread-safe: callers run them on the chain's single worker thread
(see worker.py), never on the event loop. `lock` guards against any other caller.
"""

from __future__ import annotations

import ast
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed, ValidationError
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.exceptions import ValidationError as EvmValidationError
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.providers.eth_tester.defaults import API_ENDPOINTS

from .addresses import (
    ADMIN,
    ADMIN_KEY,
    CHAIN_ID,
    COLLATERAL_ONRAMP,
    CTF,
    CTF_EXCHANGE_V2,
    NEG_RISK_CTF_EXCHANGE_V2,
    PUSD,
    TRADING_SPENDERS,
    USDC_E,
)
from .rawtx import RawTxError, check_raw_transaction

BUILD_DIR = Path(__file__).resolve().parent.parent / "contracts" / "build"
MAX_UINT256 = 2**256 - 1
EXCHANGE_FLOAT = 10**15  # micro pUSD / USDC.e each exchange holds (a billion dollars)
ADMIN_GAS = 5_000_000
GAS_PRICE = 10**9  # the fixed base fee + tip the node quotes (1 gwei)
GAS_MONEY = 100 * 10**18  # native POL the faucet gives each wallet it funds

EXCHANGES = (CTF_EXCHANGE_V2, NEG_RISK_CTF_EXCHANGE_V2)
CONTRACTS = {USDC_E: "USDCe", PUSD: "PolymarketUSD", COLLATERAL_ONRAMP: "CollateralOnramp",
             CTF: "ConditionalTokens", CTF_EXCHANGE_V2: "SimExchange",
             NEG_RISK_CTF_EXCHANGE_V2: "SimExchange"}


class RpcError(Exception):
    """A JSON-RPC error object: code, message and optional data."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            out["data"] = self.data
        return out


class AdminTxFailed(Exception):
    """An admin (faucet/settlement) transaction reverted; str() is the revert reason."""


def load_artifact(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BUILD_DIR / f"{name}.json").read_text())
    return data


@dataclass
class Receipt:
    tx_hash: str
    status: int
    block: int
    gas_used: int


@dataclass
class WalletState:
    """What the chain says about a wallet, in token base units (6 decimals)."""

    collateral: int = 0
    usdc: int = 0
    allowances: dict[str, int] = field(default_factory=dict)  # spender -> pUSD allowance
    operators: dict[str, bool] = field(default_factory=dict)  # operator -> CTF approval
    tokens: dict[str, int] = field(default_factory=dict)  # position id (decimal) -> balance


def _hexify(value: Any) -> Any:
    """web3-internal values to JSON-RPC: ints as QUANTITY hex, bytes as DATA hex."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: _hexify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hexify(v) for v in value]
    return value


def _revert_reason(exc: TransactionFailed) -> str:
    text = str(exc)
    return text.removeprefix("execution reverted: ")


def _revert_payload(exc: TransactionFailed) -> tuple[str, str]:
    """(message, data) of a JSON-RPC revert error as geth shapes it: Error(string)
    reasons in the message and ABI-encoded in data; custom errors as raw data only."""
    reason = _revert_reason(exc)
    if reason[:2] in ("b'", 'b"'):  # undecodable: a custom error's raw revert data
        try:
            raw = ast.literal_eval(reason)
        except (ValueError, SyntaxError):
            raw = b""
        if isinstance(raw, bytes):
            return "execution reverted", "0x" + raw.hex()
    return f"execution reverted: {reason}", "0x08c379a0" + abi_encode(["string"],
                                                                       [reason]).hex()


class Chain:
    """One in-memory chain. Construct and use only on the chain thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        genesis = PyEVMBackend.generate_genesis_state(num_accounts=1)
        state: dict[bytes, dict[str, Any]] = dict(genesis)
        state[to_canonical_address(ADMIN)] = {"balance": 10**24, "nonce": 0, "code": b"",
                                              "storage": {}}
        self.artifacts = {name: load_artifact(name) for name in set(CONTRACTS.values())}
        for addr, name in CONTRACTS.items():
            code = bytes.fromhex(self.artifacts[name]["deployedBytecode"].removeprefix("0x"))
            state[to_canonical_address(addr)] = {"balance": 0, "nonce": 1, "code": code,
                                                 "storage": {}}
        backend = PyEVMBackend(genesis_state=state)
        # eth-tester hard-codes its own chain id on a per-instance chain class.
        type(backend.chain).chain_id = CHAIN_ID
        self.tester = EthereumTester(backend)
        endpoints = {ns: dict(fns) for ns, fns in API_ENDPOINTS.items()}
        endpoints["eth"]["chainId"] = lambda *_a: CHAIN_ID
        endpoints["net"]["version"] = lambda *_a: str(CHAIN_ID)
        endpoints["eth"]["gasPrice"] = lambda *_a: GAS_PRICE
        self.provider = EthereumTesterProvider(self.tester, api_endpoints=endpoints)
        self._rpc_w3 = Web3(self.provider, middleware=[])
        self._request = self.provider.request_func(self._rpc_w3, self._rpc_w3.middleware_onion)
        self.w3 = Web3(self.provider)
        self.contracts = {addr: self.w3.eth.contract(address=to_checksum_address(addr),
                                                     abi=self.artifacts[name]["abi"])
                          for addr, name in CONTRACTS.items()}
        self._admin_nonce = 0
        self.raw_tx_count = 0  # eth_sendRawTransaction calls accepted, for tests/stats
        self.raw_tx_refused = 0
        self._initialize()

    # ---- admin transactions --------------------------------------------------------
    def _initialize(self) -> None:
        self.admin_call(USDC_E, "initialize", ADMIN)
        self.admin_call(PUSD, "initialize", ADMIN)
        self.admin_call(PUSD, "setOnramp", to_checksum_address(COLLATERAL_ONRAMP))
        self.admin_call(COLLATERAL_ONRAMP, "initialize", ADMIN, to_checksum_address(USDC_E),
                        to_checksum_address(PUSD))
        self.admin_call(CTF, "initialize", ADMIN)
        for ex in EXCHANGES:
            self.admin_call(ex, "initialize", ADMIN, to_checksum_address(PUSD),
                            to_checksum_address(USDC_E), to_checksum_address(CTF))
            self.admin_call(USDC_E, "adminMint", to_checksum_address(ex), EXCHANGE_FLOAT)
            self.admin_call(PUSD, "adminMint", to_checksum_address(ex), EXCHANGE_FLOAT)

    def admin_call(self, contract: str, fn: str, *args: Any, check: bool = True) -> Receipt:
        """Sign and mine one admin transaction; raise AdminTxFailed if it reverts."""
        with self.lock:
            data = self.contracts[contract].encode_abi(fn, args=list(args))
            tx = {"to": to_checksum_address(contract), "data": data, "gas": ADMIN_GAS,
                  "maxFeePerGas": 2 * GAS_PRICE, "maxPriorityFeePerGas": GAS_PRICE,
                  "nonce": self._admin_nonce, "chainId": CHAIN_ID, "value": 0, "type": 2}
            signed = Account.sign_transaction(tx, ADMIN_KEY)
            self._admin_nonce += 1
            tx_hash = self.tester.send_raw_transaction("0x" + signed.raw_transaction.hex())
            r = self.tester.get_transaction_receipt(tx_hash)
            receipt = Receipt(str(tx_hash), int(r["status"]), int(r["block_number"]),
                              int(r["gas_used"]))
        if check and receipt.status != 1:
            raise AdminTxFailed(f"{fn} reverted: {self.revert_reason(contract, data)}")
        return receipt

    def admin_transfer(self, to: str, value: int) -> Receipt:
        """Send native POL (gas money) from the admin."""
        with self.lock:
            tx = {"to": to_checksum_address(to), "data": "0x", "gas": 21_000,
                  "maxFeePerGas": 2 * GAS_PRICE, "maxPriorityFeePerGas": GAS_PRICE,
                  "nonce": self._admin_nonce, "chainId": CHAIN_ID, "value": value, "type": 2}
            signed = Account.sign_transaction(tx, ADMIN_KEY)
            self._admin_nonce += 1
            tx_hash = self.tester.send_raw_transaction("0x" + signed.raw_transaction.hex())
            r = self.tester.get_transaction_receipt(tx_hash)
        return Receipt(str(tx_hash), int(r["status"]), int(r["block_number"]), int(r["gas_used"]))

    def revert_reason(self, contract: str, data: str) -> str:
        """Re-run a call to learn why it reverts (py-evm keeps no reason in receipts)."""
        with self.lock:
            try:
                self.tester.call({"from": ADMIN, "to": to_checksum_address(contract),
                                  "data": data})
            except TransactionFailed as exc:
                return _revert_reason(exc)
        return "unknown"

    def mine(self, blocks: int = 1) -> int:
        with self.lock:
            self.tester.mine_blocks(blocks)
            return self.block_number()

    def block_number(self) -> int:
        return int(self.tester.get_block_by_number("latest")["number"])

    # ---- faucet --------------------------------------------------------------------
    def fund(self, address: str, pusd: int, usdc: int, approved: bool | None) -> None:
        """Credit pUSD / USDC.e (and 100 POL for gas when the wallet has little) and,
        when `approved` is true, set every trading approval the venue needs; `approved`
        false revokes them, None leaves them alone."""
        who = to_checksum_address(address)
        if int(self.tester.get_balance(who)) < GAS_MONEY // 10:
            self.admin_transfer(who, GAS_MONEY)
        if pusd:
            self.admin_call(PUSD, "adminMint", who, pusd)
        if usdc:
            self.admin_call(USDC_E, "adminMint", who, usdc)
        if approved is None:
            return
        for spender in TRADING_SPENDERS:
            self.admin_call(PUSD, "adminApprove", who, to_checksum_address(spender),
                            MAX_UINT256 if approved else 0)
            self.admin_call(CTF, "adminSetApprovalForAll", who, to_checksum_address(spender),
                            approved)

    # ---- reads ---------------------------------------------------------------------
    def read_wallet(self, address: str, token_ids: list[str]) -> WalletState:
        who = to_checksum_address(address)
        with self.lock:
            pusd = self.contracts[PUSD].functions
            ctf = self.contracts[CTF].functions
            state = WalletState(
                collateral=int(pusd.balanceOf(who).call()),
                usdc=int(self.contracts[USDC_E].functions.balanceOf(who).call()))
            for s in TRADING_SPENDERS:
                state.allowances[s] = int(pusd.allowance(who, to_checksum_address(s)).call())
                state.operators[s] = bool(ctf.isApprovedForAll(who,
                                                               to_checksum_address(s)).call())
            for t in token_ids:
                state.tokens[t] = int(ctf.balanceOf(who, int(t)).call())
        return state

    def read_balances(self, address: str, spender: str, token_ids: list[str]
                      ) -> tuple[int, int, dict[str, int]]:
        """What a settlement can change: pUSD balance, the pUSD allowance to the settling
        exchange and the market's token balances (4 calls instead of read_wallet's 10+)."""
        who = to_checksum_address(address)
        with self.lock:
            pusd = self.contracts[PUSD].functions
            ctf = self.contracts[CTF].functions
            bal = int(pusd.balanceOf(who).call())
            allowance = int(pusd.allowance(who, to_checksum_address(spender)).call())
            tokens = {t: int(ctf.balanceOf(who, int(t)).call()) for t in token_ids}
        return bal, allowance, tokens

    # ---- settlement ----------------------------------------------------------------
    def settle(self, exchange: str, ref: bytes, ops: list[tuple[int, str, bytes, int, int]]
               ) -> Receipt:
        """One SimExchange.settle transaction; the receipt says whether it reverted."""
        return self.admin_call(exchange, "settle", ref, ops, check=False)

    # ---- JSON-RPC ------------------------------------------------------------------
    def rpc(self, method: str, params: list[Any]) -> Any:
        """Answer one JSON-RPC call with a JSON-ready result, or raise RpcError."""
        if method == "eth_sendRawTransaction":
            return self._send_raw(params)
        if method == "eth_maxPriorityFeePerGas":
            return hex(GAS_PRICE)
        if method == "eth_chainId":
            return hex(CHAIN_ID)
        with self.lock:
            try:
                resp = self._request(method, params)
            except TransactionFailed as exc:
                message, data = _revert_payload(exc)
                raise RpcError(3, message, data) from exc
            except (ValidationError, EvmValidationError, ValueError, TypeError,
                    KeyError) as exc:
                raise RpcError(-32602, f"invalid params: {exc}") from exc
        if "error" in resp:
            err = resp["error"]
            raise RpcError(int(err.get("code", -32603)), str(err.get("message", "error")))
        return _hexify(resp.get("result"))

    def _send_raw(self, params: list[Any]) -> str:
        if len(params) != 1 or not isinstance(params[0], str):
            raise RpcError(-32602, "invalid params: expected one raw transaction")
        try:
            raw = bytes.fromhex(params[0].removeprefix("0x"))
            check_raw_transaction(raw, CHAIN_ID)
        except (ValueError, RawTxError) as exc:
            self.raw_tx_refused += 1
            raise RpcError(-32000, f"invalid transaction: {exc}") from exc
        with self.lock:
            try:
                tx_hash = self.tester.send_raw_transaction("0x" + raw.hex())
            except (ValidationError, EvmValidationError, TransactionFailed) as exc:
                # py-evm refuses: unaffordable gas (e.g. a signature that recovers to
                # an unfunded stranger), a wrong nonce, an intrinsic gas too low ...
                self.raw_tx_refused += 1
                raise RpcError(-32000, f"transaction refused: {exc}") from exc
        self.raw_tx_count += 1
        return str(tx_hash)
