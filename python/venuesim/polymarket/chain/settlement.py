"""Settlement of the CLOB's matched trades into the local chain.

Jobs run one at a time, in the order the engine produced them: a trade's settlement
transaction is sent once MINE_DELAY_S sim seconds have passed since the match (the
venue batches matches into Polygon blocks), its receipt moves the trade to MINED (or
RETRYING, then FAILED after a second revert), and CONFIRMED follows CONFIRMATIONS blocks
later; the chain mines an empty block every BLOCK_S sim seconds while a trade waits.
After each transaction the wallets involved are re-read so the CLOB's view carries the
settled amounts instead of the pending ones. Resolved markets get their payouts reported
by the oracle (the admin) and winning positions auto-redeemed into pUSD; daily rebates
are paid in pUSD from the exchange.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ..clock import SimClock
from ..engine import Engine, Trade
from ..ledger import Ledger
from ..markets import Catalogue, Market
from .addresses import ADMIN, CTF, CTF_EXCHANGE_V2, NEG_RISK_CTF_EXCHANGE_V2
from .node import Chain, WalletState
from .worker import ChainWorker

MINE_DELAY_S = 2.0  # sim seconds from match to the settlement transaction
BLOCK_S = 2.0  # sim seconds per empty block while a settlement awaits confirmations
CONFIRMATIONS = 2  # blocks on top of the settlement's block before CONFIRMED
MAX_ATTEMPTS = 2  # a settlement that reverts twice is FAILED
IDLE_S = 0.02  # real seconds between polls when nothing is due

# SimExchange.Op kinds (contracts/src/SimExchange.sol)
PULL_COLLATERAL, PAY_COLLATERAL, PULL_POSITION, DELIVER_POSITION = 0, 1, 2, 3
MERGE_HELD, PREPARE, REDEEM_FOR, FAIL = 4, 5, 6, 7
ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = b"\x00" * 32

Op = tuple[int, str, bytes, int, int]


@dataclass
class Job:
    kind: str  # trade | resolve | payout
    not_before: float  # sim time
    trade: Trade | None = None
    market: Market | None = None
    payee: str = ""
    amount: int = 0
    attempts: int = 0


@dataclass
class Counters:
    settled: int = 0
    reverted: int = 0
    failed: int = 0
    redeemed: int = 0
    payouts: int = 0
    tx_hashes: dict[str, str] = field(default_factory=dict)


def exchange_for(m: Market) -> str:
    return NEG_RISK_CTF_EXCHANGE_V2 if m.neg_risk else CTF_EXCHANGE_V2


class Settler:
    def __init__(self, clock: SimClock, engine: Engine, catalogue: Catalogue, ledger: Ledger,
                 worker: ChainWorker, *, on_change: Callable[[], None]) -> None:
        self.clock = clock
        self.engine = engine
        self.catalogue = catalogue
        self.ledger = ledger
        self.worker = worker
        self.on_change = on_change
        self.jobs: deque[Job] = deque()
        self.confirming: list[Trade] = []
        self.prepared: set[str] = set()  # condition ids prepared on chain
        self.last_block_at = clock.now()
        self.head = 0  # last block number seen, for stats
        self.counters = Counters()

    @property
    def chain(self) -> Chain:
        return self.worker.chain

    # ---- queue ---------------------------------------------------------------------
    def collect(self) -> None:
        e = self.engine
        for t in e.to_settle:
            self.jobs.append(Job("trade", t.match_time + MINE_DELAY_S, trade=t))
        for m in e.resolutions:
            self.jobs.append(Job("resolve", self.clock.now(), market=m))
        for addr, amount in e.payouts:
            self.jobs.append(Job("payout", self.clock.now(), payee=addr, amount=amount))
        e.to_settle, e.resolutions, e.payouts = [], [], []

    def busy(self) -> bool:
        return bool(self.jobs or self.confirming or self.engine.to_settle
                    or self.engine.resolutions or self.engine.payouts)

    async def run(self) -> None:
        while True:
            if not await self.step():
                await asyncio.sleep(IDLE_S)

    async def step(self) -> bool:
        """Do the next due job or confirmation; return whether anything happened."""
        self.collect()
        did = False
        if self.jobs and self.jobs[0].not_before <= self.clock.now():
            job = self.jobs.popleft()
            if job.kind == "trade":
                await self._settle_trade(job)
            elif job.kind == "resolve":
                await self._resolve(job)
            else:
                await self._payout(job)
            did = True
        if self.confirming:
            did = await self._confirm() or did
        if did:
            self.on_change()
        return did

    # ---- trades --------------------------------------------------------------------
    def trade_ops(self, t: Trade) -> list[Op]:
        m = self.catalogue.markets[t.market]
        cond = bytes.fromhex(m.condition_id.removeprefix("0x"))
        ops: list[Op] = []
        if m.condition_id not in self.prepared:
            ops.append((PREPARE, ADMIN, bytes.fromhex(m.question_id.removeprefix("0x")), 0, 2))
        if t.fail:  # the trade_fail fault: the settlement reverts on chain
            ops.append((FAIL, ZERO_ADDRESS, ZERO32, 0, 0))
        cash: dict[str, int] = {}
        shares: dict[tuple[str, str], int] = {}
        for addr, token, delta in t.deltas:
            if token == "":
                cash[addr] = cash.get(addr, 0) + delta
            else:
                shares[(addr, token)] = shares.get((addr, token), 0) + delta
        # Take first (pUSD and tokens into the exchange), then give: the exchange
        # delivers what it took, splitting USDC.e into a new pair for what it lacks.
        for addr, v in sorted(cash.items()):
            if v < 0:
                ops.append((PULL_COLLATERAL, to_checksum_address(addr), cond, 0, -v))
        for (addr, token), v in sorted(shares.items()):
            if v < 0:
                ops.append((PULL_POSITION, to_checksum_address(addr), cond,
                            1 << m.token_index(token), -v))
        for (addr, token), v in sorted(shares.items()):
            if v > 0:
                ops.append((DELIVER_POSITION, to_checksum_address(addr), cond,
                            1 << m.token_index(token), v))
        for addr, v in sorted(cash.items()):
            if v > 0:
                ops.append((PAY_COLLATERAL, to_checksum_address(addr), cond, 0, v))
        ops.append((MERGE_HELD, ZERO_ADDRESS, cond, 0, 0))
        return ops

    def _read(self, addresses: list[str], tokens: list[str]) -> dict[str, WalletState]:
        return {a: self.chain.read_wallet(a, tokens) for a in addresses}

    def _apply(self, states: dict[str, WalletState]) -> None:
        for addr, st in states.items():
            self.ledger.apply_chain(addr, st)

    def _read_balances(self, addresses: list[str], spender: str, tokens: list[str]
                       ) -> dict[str, tuple[int, int, dict[str, int]]]:
        return {a: self.chain.read_balances(a, spender, tokens) for a in addresses}

    def _apply_balances(self, spender: str,
                        reads: dict[str, tuple[int, int, dict[str, int]]]) -> None:
        for addr, (bal, allowance, tokens) in reads.items():
            w = self.ledger.wallet(addr)
            if not w.read:  # never fully read: do it on first contact instead
                continue
            w.collateral = bal
            w.allowances[spender] = allowance
            w.tokens.update(tokens)

    async def _settle_trade(self, job: Job) -> None:
        t = job.trade
        assert t is not None
        m = self.catalogue.markets[t.market]
        ops = self.trade_ops(t)
        t.attempts += 1
        receipt = await self.worker.call(self.chain.settle, exchange_for(m),
                                         keccak(text=f"trade|{t.id}"), ops)
        self.head = max(self.head, receipt.block)
        addresses = sorted({a for a, _, _ in t.deltas})
        spender = exchange_for(m)
        reads = await self.worker.call(self._read_balances, addresses, spender,
                                       list(m.token_ids))
        now = self.clock.now()
        if receipt.status == 1:
            self.prepared.add(m.condition_id)
            self.ledger.unpend(t.deltas)
            self._apply_balances(spender, reads)
            t.tx_hash = receipt.tx_hash
            t.block = receipt.block
            self.counters.settled += 1
            self.engine.set_trade(t, "MINED", now)
            self.confirming.append(t)
            return
        self.counters.reverted += 1
        if t.attempts < MAX_ATTEMPTS:
            self.engine.set_trade(t, "RETRYING", now)
            self.jobs.append(Job("trade", now + MINE_DELAY_S, trade=t))
            return
        self.ledger.unpend(t.deltas)  # it never happened
        self._apply_balances(spender, reads)
        self.counters.failed += 1
        self.engine.set_trade(t, "FAILED", now)

    async def _confirm(self) -> bool:
        head = await self.worker.call(self.chain.block_number)
        self.head = head
        done = [t for t in self.confirming if head >= t.block + CONFIRMATIONS]
        now = self.clock.now()
        for t in done:
            self.confirming.remove(t)
            self.engine.set_trade(t, "CONFIRMED", now)
        if self.confirming and now - self.last_block_at >= BLOCK_S:
            await self.worker.call(self.chain.mine, 1)
            self.last_block_at = now
        return bool(done)

    # ---- resolution and payouts -----------------------------------------------------
    async def _resolve(self, job: Job) -> None:
        m = job.market
        assert m is not None and m.winner is not None
        if m.condition_id not in self.prepared:
            return  # never traded on chain: nothing to report or redeem
        payouts = [1 if i == m.winner else 0 for i in range(2)]
        qid = bytes.fromhex(m.question_id.removeprefix("0x"))
        await self.worker.call(lambda: self.chain.admin_call(CTF, "reportPayouts", qid,
                                                             payouts, check=False))
        cond = bytes.fromhex(m.condition_id.removeprefix("0x"))
        holders = sorted(a for a, w in self.ledger.wallets.items()
                         if any(w.available_tokens(t) > 0 for t in m.token_ids))
        for addr in holders:
            op: Op = (REDEEM_FOR, to_checksum_address(addr), cond, 0, 0)
            receipt = await self.worker.call(self.chain.settle, exchange_for(m),
                                             keccak(text=f"redeem|{m.condition_id}|{addr}"),
                                             [op])
            if receipt.status == 1:
                self.counters.redeemed += 1
            states = await self.worker.call(self._read, [addr], list(m.token_ids))
            self._apply(states)

    async def _payout(self, job: Job) -> None:
        op: Op = (PAY_COLLATERAL, to_checksum_address(job.payee), ZERO32, 0, job.amount)
        receipt = await self.worker.call(self.chain.settle, CTF_EXCHANGE_V2,
                                         keccak(text=f"rebate|{job.payee}|{job.not_before}"),
                                         [op])
        self.ledger.unpend([(job.payee, "", job.amount)])
        if receipt.status == 1:
            self.counters.payouts += 1
        states = await self.worker.call(self._read, [job.payee], [])
        self._apply(states)
