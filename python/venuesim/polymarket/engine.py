"""The matching engine: validation-free core that places, matches, cancels and settles.

Everything that reaches here is already authenticated and validated (see orders.py).
Price-time priority per market on the mirrored YES book; taker fees by the market's
fee curve; makers pay none. A trade with a real wallet on either side is queued for
settlement on the local chain (chain/settlement.py moves it MATCHED -> MINED ->
CONFIRMED, or RETRYING -> FAILED, from the receipts); a trade between background-flow
accounts only (no wallets) moves along over sim time with a synthetic hash.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eth_utils.crypto import keccak

from .book import Book, Order
from .ledger import Ledger
from .markets import Catalogue, Market
from .signing import CTF_EXCHANGE_V2, NEG_RISK_CTF_EXCHANGE_V2
from .units import ONE, taker_fee

MINE_DELAY_S = 2.0  # sim seconds from match to the settlement transaction being mined
CONFIRM_DELAY_S = 6.0  # and to it being confirmed
FOK_KILLED = "order couldn't be fully filled. FOK orders are fully filled or killed."
FAK_KILLED = ("no orders found to match with FAK order. FAK orders are partially filled "
              "or killed if no match is found.")
POST_ONLY_CROSSES = "invalid post-only order: order crosses book"
# Observed venue text (base units): "not enough balance / allowance: the balance is not
# enough -> balance: 0, order amount: 5000000"; the allowance variant is by analogy.
NOT_ENOUGH_BALANCE = ("not enough balance / allowance: the balance is not enough -> "
                      "balance: {have}, order amount: {need}")
NOT_ENOUGH_ALLOWANCE = ("not enough balance / allowance: the allowance is not enough -> "
                        "allowance: {have}, order amount: {need}")


class Rejected(Exception):
    """An order the venue refuses; str() is the venue's error text."""


@dataclass
class Trade:
    id: str
    market: str
    taker: Order
    maker: Order
    size: int  # micro shares, the same for both legs
    taker_price: int  # micro, taker's own token
    maker_price: int  # micro, maker's own token
    fee: int  # micro pUSD paid by the taker
    fee_rate_bps: int
    match_time: float
    status: str = "MATCHED"
    last_update: float = 0.0
    tx_hash: str = ""
    fail: bool = False
    deltas: list[tuple[str, str, int]] = field(default_factory=list)
    attempts: int = 0  # settlement transactions sent
    block: int = 0  # block of the mined settlement

    @property
    def on_chain(self) -> bool:
        """A real wallet is on one side: settlement goes through the chain."""
        return bool(self.deltas)


@dataclass
class PlaceResult:
    order: Order
    trades: list[Trade]
    making: int  # what the taker gave (pUSD for BUY, shares for SELL), micro
    taking: int


@dataclass
class Event:
    kind: str  # book | last_trade | order | trade | new_market | resolved | tick_size
    market: str
    data: dict[str, Any] = field(default_factory=dict)


class Engine:
    def __init__(self, catalogue: Catalogue, ledger: Ledger, seed: int) -> None:
        self.catalogue = catalogue
        self.ledger = ledger
        self.books: dict[str, Book] = {}
        self.orders: dict[str, Order] = {}
        self.live: dict[str, Order] = {}  # resting orders only, for cheap scans
        self.pending: dict[str, Trade] = {}  # trades not yet CONFIRMED or FAILED
        self.trades: dict[str, Trade] = {}
        self.trade_order: list[str] = []
        self.events: list[Event] = []
        self.rng = random.Random(seed ^ 0x7EADE)
        self.trade_fail_probability = 0.0
        self._seq = 0
        self.fees_by_market: dict[str, int] = {}  # all taker fees, for stats
        self.period_fees: dict[str, int] = {}  # taker fees since the last rebate payout
        self.fees_by_owner: dict[str, int] = {}
        # fee-equivalent of maker fills per (market, maker address), the rebate weights
        self.maker_fee_equiv: dict[str, dict[str, int]] = {}
        self.rebates_paid: dict[str, int] = {}  # maker address -> micro pUSD
        self.rebate_log: list[dict[str, Any]] = []
        self.house_addresses: set[str] = set()
        # Work for the chain settler, drained by it: matched trades with real wallets,
        # resolved markets (report payouts, auto-redeem) and rebate payouts.
        self.to_settle: list[Trade] = []
        self.resolutions: list[Market] = []
        self.payouts: list[tuple[str, int]] = []

    # ---- helpers -------------------------------------------------------------------
    def book(self, market: str) -> Book:
        return self.books.setdefault(market, Book())

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _emit(self, kind: str, market: str, **data: Any) -> None:
        self.events.append(Event(kind, market, data))

    def drain(self) -> list[Event]:
        out, self.events = self.events, []
        return out

    def open_orders(self, owner: str | None = None) -> list[Order]:
        return [o for o in self.live.values()
                if o.status == "LIVE" and (owner is None or o.owner == owner)]

    def reserved(self, address: str) -> tuple[int, dict[str, int]]:
        """pUSD and shares locked by an address's resting orders."""
        cash = 0
        shares: dict[str, int] = {}
        for o in self.live.values():
            if o.status != "LIVE" or o.house or o.maker_address != address.lower():
                continue
            if o.side == "BUY":
                cash += o.remaining * o.price // ONE
            else:
                shares[o.token_id] = shares.get(o.token_id, 0) + o.remaining
        return cash, shares

    # ---- placing -------------------------------------------------------------------
    def check_funds(self, m: Market, o: Order) -> None:
        """Balance and approval as the CLOB last read them from the chain, less what
        resting orders reserve, plus trades matched but not yet settled. The spender is
        the exchange that settles the market (NegRisk CTF Exchange V2 for neg-risk)."""
        if o.house:
            return
        w = self.ledger.wallet(o.maker_address)
        cash, shares = self.reserved(o.maker_address)
        spender = NEG_RISK_CTF_EXCHANGE_V2 if m.neg_risk else CTF_EXCHANGE_V2
        if o.side == "BUY":
            need = o.size * o.price // ONE
            if m.fees_enabled:
                need += taker_fee(o.size, o.price, m.fee_rate, m.fee_exponent)
            have = max(w.available_collateral - cash, 0)
            if have < need:
                raise Rejected(NOT_ENOUGH_BALANCE.format(have=have, need=need))
            allowance = max(w.allowances.get(spender, 0) - cash, 0)
            if allowance < need:
                raise Rejected(NOT_ENOUGH_ALLOWANCE.format(have=allowance, need=need))
        else:
            have = max(w.available_tokens(o.token_id) - shares.get(o.token_id, 0), 0)
            if have < o.size:
                raise Rejected(NOT_ENOUGH_BALANCE.format(have=have, need=o.size))
            if not w.operators.get(spender, False):
                raise Rejected(NOT_ENOUGH_ALLOWANCE.format(have=0, need=o.size))

    def place(self, o: Order, post_only: bool, now: float) -> PlaceResult:
        m = self.catalogue.markets[o.market]
        book = self.book(o.market)
        limit_yes = o.yes_price
        self.check_funds(m, o)
        against = [r for r in book.crossing(o.buys_yes, limit_yes) if r.status == "LIVE"]
        if post_only and against:
            raise Rejected(POST_ONLY_CROSSES)
        available = sum(r.remaining for r in against)
        if o.order_type == "FOK" and available < o.size:
            self._emit("order", o.market, order=o, type="CANCELLATION",
                       status="CANCELED_" + FOK_KILLED)
            raise Rejected(FOK_KILLED)
        if o.order_type == "FAK" and available == 0:
            raise Rejected(FAK_KILLED)
        if not o.house:  # house flow orders are not kept once they leave the book
            self.orders[o.id] = o
        trades: list[Trade] = []
        making = taking = 0
        changed: set[tuple[bool, int]] = set()
        for r in against:
            if o.remaining == 0:
                break
            qty = min(o.remaining, r.remaining)
            t = self._fill(m, o, r, qty, now)
            trades.append(t)
            changed.add((r.buys_yes, r.yes_price))
            notional = qty * t.taker_price // ONE
            making += notional if o.side == "BUY" else qty
            taking += qty if o.side == "BUY" else notional
            if r.remaining == 0:
                r.status = "MATCHED"
                book.remove(r)
                self.live.pop(r.id, None)
        if o.remaining > 0 and o.order_type in ("GTC", "GTD"):
            book.add(o)
            self.live[o.id] = o
            changed.add((o.buys_yes, o.yes_price))
            if not trades:
                self._emit("order", o.market, order=o, type="PLACEMENT", status="LIVE")
            else:
                self._emit("order", o.market, order=o, type="UPDATE", status="LIVE")
        elif o.remaining == 0:
            o.status = "MATCHED"
            self._emit("order", o.market, order=o, type="UPDATE", status="MATCHED")
        else:  # FAK remainder is killed
            o.status = "CANCELED"
            self._emit("order", o.market, order=o, type="CANCELLATION", status="CANCELED")
        if changed:
            self._emit("book", o.market, levels=sorted(changed))
        for t in trades:
            self._emit("trade", o.market, trade=t)
            self._emit("last_trade", o.market, trade=t)
        return PlaceResult(o, trades, making, taking)

    def _fill(self, m: Market, taker: Order, maker: Order, qty: int, now: float) -> Trade:
        yes = maker.yes_price
        taker_price = yes if taker.outcome_index == 0 else ONE - yes
        maker_price = maker.price
        fee = taker_fee(qty, taker_price, m.fee_rate, m.fee_exponent) if m.fees_enabled else 0
        tid = str(_uuid(f"trade|{taker.id}|{maker.id}|{self.next_seq()}"))
        bps = int(m.fee_rate * 10000) if m.fees_enabled else 0
        t = Trade(tid, m.condition_id, taker, maker, qty, taker_price, maker_price, fee, bps,
                  now, last_update=now, fail=self.rng.random() < self.trade_fail_probability)
        for leg, price in ((taker, taker_price), (maker, maker_price)):
            if leg.house:
                continue
            cash = qty * price // ONE
            sign = 1 if leg.side == "BUY" else -1
            t.deltas.append((leg.maker_address, leg.token_id, sign * qty))
            t.deltas.append((leg.maker_address, "", -sign * cash))
        if fee and not taker.house:
            t.deltas.append((taker.maker_address, "", -fee))
        for addr, token, delta in t.deltas:
            self.ledger.move(addr, token, delta)
        if t.on_chain:
            self.to_settle.append(t)
        taker.matched += qty
        maker.matched += qty
        taker.associate_trades.append(tid)
        maker.associate_trades.append(tid)
        self.trades[tid] = t
        self.pending[tid] = t
        self.trade_order.append(tid)
        self.fees_by_market[m.condition_id] = self.fees_by_market.get(m.condition_id, 0) + fee
        self.period_fees[m.condition_id] = self.period_fees.get(m.condition_id, 0) + fee
        self.fees_by_owner[taker.owner] = self.fees_by_owner.get(taker.owner, 0) + fee
        if m.fees_enabled:
            weights = self.maker_fee_equiv.setdefault(m.condition_id, {})
            equiv = taker_fee(qty, maker_price, m.fee_rate, m.fee_exponent)
            weights[maker.maker_address] = weights.get(maker.maker_address, 0) + equiv
        if maker.remaining > 0:
            self._emit("order", m.condition_id, order=maker, type="UPDATE", status="LIVE")
        else:
            self._emit("order", m.condition_id, order=maker, type="UPDATE", status="MATCHED")
        return t

    # ---- cancels -------------------------------------------------------------------
    def cancel(self, owner: str, ids: list[str], status: str = "CANCELED"
               ) -> tuple[list[str], dict[str, str]]:
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for oid in ids:
            o = self.orders.get(oid)
            if o is None or o.owner != owner:
                not_canceled[oid] = "order not found"
            elif o.status != "LIVE":
                not_canceled[oid] = "already canceled or matched"
            else:
                self._remove(o, status)
                canceled.append(oid)
        return canceled, not_canceled

    def _remove(self, o: Order, status: str) -> None:
        o.status = status
        self.book(o.market).remove(o)
        self.live.pop(o.id, None)
        self._emit("book", o.market, levels=[(o.buys_yes, o.yes_price)])
        self._emit("order", o.market, order=o, type="CANCELLATION", status=status)

    def cancel_where(self, owner: str, market: str = "", asset_id: str = "",
                     status: str = "CANCELED") -> list[str]:
        ids = [o.id for o in self.open_orders(owner)
               if (not market or o.market == market) and (not asset_id or o.token_id == asset_id)]
        for oid in ids:
            self._remove(self.live[oid], status)
        return ids

    # ---- time ----------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Expire GTD orders and move trades along MATCHED -> MINED -> CONFIRMED."""
        for o in list(self.open_orders()):
            if o.order_type == "GTD" and 0 < o.expiration <= now:
                self._remove(o, "CANCELED_EXPIRED_ORDER")
        for t in list(self.pending.values()):
            if t.status in ("CONFIRMED", "FAILED"):
                del self.pending[t.id]
                continue
            if t.on_chain:
                continue  # the chain settler moves it
            age = now - t.match_time
            if t.fail:
                if t.status == "MATCHED" and age >= MINE_DELAY_S:
                    self._set_trade(t, "RETRYING", now)
                elif t.status == "RETRYING" and age >= CONFIRM_DELAY_S:
                    self._set_trade(t, "FAILED", now)
            elif t.status == "MATCHED" and age >= MINE_DELAY_S:
                t.tx_hash = "0x" + keccak(text=f"tx|{t.id}").hex()
                self._set_trade(t, "MINED", now)
            elif t.status == "MINED" and age >= CONFIRM_DELAY_S:
                self._set_trade(t, "CONFIRMED", now)

    def set_trade(self, t: Trade, status: str, now: float) -> None:
        self._set_trade(t, status, now)

    def _set_trade(self, t: Trade, status: str, now: float) -> None:
        t.status = status
        t.last_update = now
        self._emit("trade", t.market, trade=t)

    def resolve(self, m: Market, now: float) -> None:
        """Cancel what rests; the settler reports the payouts on chain and auto-redeems
        (1 pUSD per winning share) once the market's earlier trades have settled."""
        for o in list(self.open_orders()):
            if o.market == m.condition_id:
                self._remove(o, "CANCELED_MARKET_RESOLVED")
        if m.winner is not None:
            self.resolutions.append(m)

    def pay_rebates(self, day: str) -> None:
        """Pay each fee market's rebate pool (rebateRate x taker fees) to its makers,
        pro rata to their fee-equivalent maker volume, then start a new period."""
        for cond, weights in self.maker_fee_equiv.items():
            m = self.catalogue.markets[cond]
            pool = int(Decimal(self.period_fees.get(cond, 0)) * m.rebate_rate)
            total = sum(weights.values())
            if pool <= 0 or total <= 0:
                continue
            for addr, wgt in sorted(weights.items()):
                amount = pool * wgt // total
                if amount <= 0:
                    continue
                self.rebates_paid[addr] = self.rebates_paid.get(addr, 0) + amount
                if addr not in self.house_addresses:
                    self.ledger.move(addr, "", amount)
                    self.payouts.append((addr, amount))
                self.rebate_log.append({"date": day, "condition_id": cond, "maker_address": addr,
                                        "amount": amount, "pool": pool})
        self.maker_fee_equiv = {}
        self.period_fees = {}


def _uuid(text: str) -> str:
    h = keccak(text=text).hex()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
