"""The simulated broker behind the socket: accounts, orders, matching, executions, positions.

State lives here, not in a session, so an order keeps working (and can fill) while its client
is disconnected; the client finds the fill with reqExecutions after it reconnects, as with TWS.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from venuesim.ibkr import encode
from venuesim.ibkr import errors as err
from venuesim.ibkr.decode import ExecutionFilter, PlaceOrder
from venuesim.ibkr.encode import Fields
from venuesim.ibkr.market import Flow, Market
from venuesim.ibkr.model import (
    ZERO,
    CommissionReport,
    Contract,
    ContractSpec,
    Execution,
    OrderView,
)

EASTERN = ZoneInfo("US/Eastern")
CENT = Decimal("0.01")
OPEN_STATUSES = frozenset({"PreSubmitted", "Submitted"})


@dataclass
class Account:
    account_id: str
    cash: dict[str, Decimal]


@dataclass
class Position:
    qty: Decimal = ZERO
    avg_cost: Decimal = ZERO       # per unit, commissions included (as IB reports it)
    realized: Decimal = ZERO


class Sink(Protocol):
    """A connected client as the broker sees it."""

    client_id: int

    def send(self, fields: Fields) -> None: ...

    def on_market(self, market: Market, flow: Flow | None) -> None: ...

    def on_position(self, account: str, spec: ContractSpec, pos: Position) -> None: ...


@dataclass
class SimOrder:
    client_id: int
    order_id: int
    perm_id: int
    spec: ContractSpec
    action: str
    qty: Decimal
    order_type: str
    lmt: Decimal | None
    tif: str
    account: str
    order_ref: str
    oca_group: str
    outside_rth: bool
    hidden: bool
    display_size: int | None
    parent_id: int
    eligible_at: float
    status: str = "Submitted"
    filled: Decimal = ZERO
    avg_price: Decimal = ZERO
    last_fill: Decimal = ZERO
    commission: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def view(self) -> OrderView:
        return OrderView(order_id=self.order_id, contract=self.spec.contract, action=self.action,
                         total_quantity=self.qty, order_type=self.order_type,
                         lmt_price=self.lmt if self.lmt is not None else ZERO, aux_price=ZERO,
                         tif=self.tif, account=self.account, order_ref=self.order_ref,
                         client_id=self.client_id, perm_id=self.perm_id, status=self.status,
                         oca_group=self.oca_group, outside_rth=self.outside_rth,
                         hidden=self.hidden, parent_id=self.parent_id,
                         display_size=self.display_size,
                         commission=self.commission if self.filled else None,
                         commission_currency="USD" if self.filled else "")


@dataclass
class BrokerStats:
    orders_placed: int = 0
    orders_rejected: int = 0
    orders_cancelled: int = 0
    fills: int = 0
    errors: dict[int, int] = field(default_factory=dict)


def commission_for(spec: ContractSpec, qty: Decimal, price: Decimal) -> Decimal:
    """IBKR Pro fixed rates: stocks USD 0.005/share, min 1.00, max 1% of value;
    IDEALPRO forex 0.2 bp of value, min USD 2.00."""
    value = qty * price
    if spec.contract.sec_type == "STK":
        fee = min(max(Decimal("1.00"), qty * Decimal("0.005")), value * Decimal("0.01"))
    else:
        fee = max(Decimal("2.00"), value * Decimal("0.00002"))
    return fee.quantize(CENT)


class Broker:
    def __init__(self, accounts: list[Account], contracts: Iterable[ContractSpec],
                 seed: int) -> None:
        if not accounts:
            raise ValueError("at least one account is needed")
        self.accounts = {a.account_id: a for a in accounts}
        self.account_ids = [a.account_id for a in accounts]
        rng = random.Random(seed)
        self.specs = list(contracts)
        self.markets = {s.contract.con_id: Market(s, random.Random(rng.getrandbits(64)))
                        for s in self.specs}
        self.positions: dict[tuple[str, int], Position] = {}
        self.orders: dict[tuple[int, int], SimOrder] = {}
        self.max_order_id: dict[int, int] = {}
        self.executions: list[tuple[Execution, CommissionReport]] = []
        self.sessions: dict[int, Sink] = {}
        self.stats = BrokerStats()
        self.delay_fills_s = 0.0
        self.paused = False           # TWS lost its link to IB (1100): no matching, no data
        self._perm_id = 1_300_000_000 + rng.randrange(10_000_000)
        self._exec_prefix = rng.getrandbits(32)
        self._exec_seq = rng.getrandbits(16) << 16

    # ---- lookups ---------------------------------------------------------------------------

    def resolve(self, c: Contract) -> list[ContractSpec]:
        """Every configured contract the request's filled-in fields agree with."""
        found = []
        for spec in self.specs:
            s = spec.contract
            if c.con_id:
                if c.con_id == s.con_id:
                    found.append(spec)
                continue
            if c.symbol and c.symbol.upper() != s.symbol and not (
                    c.local_symbol and c.local_symbol.upper() == s.local_symbol):
                continue
            if not c.symbol and not c.local_symbol:
                continue
            if c.local_symbol and c.local_symbol.upper() != s.local_symbol:
                continue
            if c.sec_type and c.sec_type.upper() != s.sec_type:
                continue
            if c.currency and c.currency.upper() != s.currency:
                continue
            if c.exchange and c.exchange.upper() not in spec.valid_exchanges.split(","):
                continue
            found.append(spec)
        return found

    def next_order_id(self, client_id: int) -> int:
        return self.max_order_id.get(client_id, 0) + 1

    def _error(self, sink: Sink, req_id: int, code: int, text: str) -> None:
        self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
        sink.send(encode.error(req_id, code, text))

    def _owner(self, order: SimOrder) -> Sink | None:
        return self.sessions.get(order.client_id)

    def _emit(self, order: SimOrder, *messages: Fields) -> None:
        sink = self._owner(order)
        if sink is not None:
            for fields in messages:
                sink.send(fields)

    def _status_msg(self, o: SimOrder) -> Fields:
        return encode.order_status(o.order_id, o.status, filled=o.filled, remaining=o.remaining,
                                   avg_fill_price=o.avg_price, perm_id=o.perm_id,
                                   parent_id=o.parent_id, last_fill_price=o.last_fill,
                                   client_id=o.client_id)

    # ---- orders ----------------------------------------------------------------------------

    def place(self, sink: Sink, req: PlaceOrder, now: float) -> None:
        client_id = sink.client_id
        oid = req.order_id
        existing = self.orders.get((client_id, oid))
        if existing is not None and not existing.is_open:
            self._error(sink, oid, err.DUPLICATE_ORDER_ID, err.DUPLICATE_ORDER_ID_TEXT)
            return
        if existing is None and oid <= self.max_order_id.get(client_id, 0):
            self._error(sink, oid, err.DUPLICATE_ORDER_ID, err.DUPLICATE_ORDER_ID_TEXT)
            return
        if oid <= 0:
            self._reject(sink, oid, f"invalid order id {oid}")
            return
        # an id is used up once TWS has seen it, even if the order is then refused
        self.max_order_id[client_id] = max(self.max_order_id.get(client_id, 0), oid)
        specs = self.resolve(req.contract)
        if len(specs) != 1:
            self._error(sink, oid, err.NO_SECURITY_DEFINITION, err.NO_SECURITY_DEFINITION_TEXT)
            return
        spec = specs[0]
        reason = self._validate(spec, req)
        if reason is not None:
            self._reject(sink, oid, reason)
            return
        assert req.total_quantity is not None
        if req.order_type == "LMT":
            assert req.lmt_price is not None
            if req.lmt_price % spec.min_tick != 0:
                self._error(sink, oid, err.MIN_TICK, err.MIN_TICK_TEXT)
                return
        if existing is not None:
            self._modify(existing, req, spec)
            return
        account = req.account or self.account_ids[0]
        self._perm_id += 1
        order = SimOrder(client_id=client_id, order_id=oid, perm_id=self._perm_id, spec=spec,
                         action=req.action, qty=req.total_quantity, order_type=req.order_type,
                         lmt=req.lmt_price if req.order_type == "LMT" else None,
                         tif=req.tif or "DAY", account=account, order_ref=req.order_ref,
                         oca_group=req.oca_group, outside_rth=req.outside_rth,
                         hidden=req.hidden, display_size=req.display_size,
                         parent_id=req.parent_id, eligible_at=now + self.delay_fills_s)
        self.orders[(client_id, oid)] = order
        self.stats.orders_placed += 1
        self._emit(order, encode.open_order(order.view()), self._status_msg(order))
        if not self.paused and self.delay_fills_s <= 0:
            self._match_on_arrival(order)

    def _validate(self, spec: ContractSpec, req: PlaceOrder) -> str | None:
        if req.conditions:
            return "conditional orders are not supported"
        if req.what_if:
            return "what-if orders are not supported"
        if req.order_type not in ("LMT", "MKT"):
            return f"order type {req.order_type} is not supported"
        if req.action not in ("BUY", "SELL"):
            return f"invalid action {req.action!r}"
        if req.tif not in ("", "DAY", "GTC", "IOC"):
            return f"time in force {req.tif} is not supported"
        if req.account and req.account not in self.accounts:
            return f"account {req.account} is not managed by this login"
        qty = req.total_quantity
        if qty is None or qty <= 0:
            return "the order size must be positive"
        if qty < spec.min_size or qty % spec.size_increment != 0:
            return (f"size {qty} does not conform to the size increment "
                    f"{spec.size_increment} (minimum {spec.min_size})")
        if req.order_type == "LMT" and (req.lmt_price is None or req.lmt_price <= 0):
            return "a limit order needs a positive limit price"
        return None

    def _reject(self, sink: Sink, order_id: int, reason: str) -> None:
        self.stats.orders_rejected += 1
        self._error(sink, order_id, err.ORDER_REJECTED, err.rejected(reason))

    def _modify(self, order: SimOrder, req: PlaceOrder, spec: ContractSpec) -> None:
        assert req.total_quantity is not None
        if spec is not order.spec or req.action != order.action or (
                req.order_type != order.order_type) or req.total_quantity < order.filled:
            sink = self._owner(order)
            if sink is not None:
                self._reject(sink, order.order_id, "the modification changes the order's kind")
            return
        order.qty = req.total_quantity
        order.lmt = req.lmt_price if order.order_type == "LMT" else None
        if order.remaining == 0:
            order.status = "Filled"
        self._emit(order, encode.open_order(order.view()), self._status_msg(order))
        if not self.paused and self.delay_fills_s <= 0 and order.is_open:
            self._match_on_arrival(order)

    def cancel(self, sink: Sink, order_id: int) -> None:
        order = self.orders.get((sink.client_id, order_id))
        if order is None or not order.is_open:
            self._error(sink, order_id, err.CANCEL_NOT_FOUND, err.cancel_not_found(order_id))
            return
        self._cancel(order, "")

    def _cancel(self, order: SimOrder, reason: str) -> None:
        order.status = "Cancelled"
        self.stats.orders_cancelled += 1
        self._emit(order, self._status_msg(order))
        sink = self._owner(order)
        if sink is not None:
            self._error(sink, order.order_id, err.ORDER_CANCELLED, err.cancelled(reason))

    def global_cancel(self) -> None:
        for order in list(self.orders.values()):
            if order.is_open:
                self._cancel(order, "")

    def open_orders(self, client_id: int | None) -> list[SimOrder]:
        return [o for o in self.orders.values()
                if o.is_open and (client_id is None or o.client_id == client_id)]

    def status_msg(self, order: SimOrder) -> Fields:
        return self._status_msg(order)

    # ---- matching --------------------------------------------------------------------------

    def _touch(self, order: SimOrder) -> Decimal:
        m = self.markets[order.spec.contract.con_id]
        return m.ask if order.action == "BUY" else m.bid

    def _marketable(self, order: SimOrder) -> bool:
        if order.lmt is None:
            return True
        touch = self._touch(order)
        return order.lmt >= touch if order.action == "BUY" else order.lmt <= touch

    def _match_on_arrival(self, order: SimOrder) -> None:
        if self._marketable(order):
            self._fill(order, order.remaining, self._touch(order), liquidity=2)
        elif order.tif == "IOC":
            self._cancel(order, "")

    def step(self, now: float) -> None:
        """One market tick: move every quote, fill what the move or the flow reaches."""
        if self.paused:
            return
        for market in self.markets.values():
            flow = market.step()
            self._match_resting(market, flow, now)
            for sink in list(self.sessions.values()):
                sink.on_market(market, flow)

    def _match_resting(self, market: Market, flow: Flow | None, now: float) -> None:
        con_id = market.spec.contract.con_id
        resting = [o for o in self.orders.values()
                   if o.is_open and o.spec.contract.con_id == con_id and o.eligible_at <= now]
        for order in resting:
            if self._marketable(order):
                # the quote walked onto the order (or a delayed fill came due); the touch is
                # never worse than the limit
                self._fill(order, order.remaining, self._touch(order),
                           liquidity=2 if order.lmt is None else 1)
        if flow is None:
            return
        left = flow.size
        hit_side = "BUY" if flow.side == "SELL" else "SELL"
        candidates = [o for o in resting if o.is_open and o.action == hit_side
                      and o.lmt is not None
                      and (o.lmt >= flow.price if hit_side == "BUY" else o.lmt <= flow.price)]
        candidates.sort(key=lambda o: (-o.lmt if o.lmt is not None and hit_side == "BUY"
                                       else o.lmt or ZERO, o.perm_id))
        for order in candidates:
            if left <= 0:
                break
            qty = min(left, order.remaining)
            assert order.lmt is not None
            self._fill(order, qty, order.lmt, liquidity=1)
            left -= qty
        for order in resting:
            if order.is_open and order.tif == "IOC":
                self._cancel(order, "")

    def fill_resting(self) -> int:
        """Operator control: fill every open order at its limit (or the touch for MKT)."""
        count = 0
        for order in list(self.orders.values()):
            if order.is_open:
                price = order.lmt if order.lmt is not None else self._touch(order)
                self._fill(order, order.remaining, price, liquidity=1)
                count += 1
        return count

    def _fill(self, order: SimOrder, qty: Decimal, price: Decimal, liquidity: int) -> None:
        spec = order.spec
        fee = commission_for(spec, qty, price)
        order.avg_price = (order.avg_price * order.filled + price * qty) / (order.filled + qty)
        order.filled += qty
        order.last_fill = price
        order.commission += fee
        if order.remaining == 0:
            order.status = "Filled"
        realized = self._book(order, qty, price, fee)
        self._exec_seq += 1
        exec_id = f"{self._exec_prefix:08x}.{self._exec_seq:08x}.01.01"
        stamp = dt.datetime.now(EASTERN).strftime("%Y%m%d %H:%M:%S") + " US/Eastern"
        execution = Execution(order_id=order.order_id, contract=spec.contract, exec_id=exec_id,
                              time=stamp, account=order.account,
                              exchange=spec.contract.exchange if spec.contract.exchange
                              != "SMART" else spec.contract.primary_exchange,
                              side="BOT" if order.action == "BUY" else "SLD", shares=qty,
                              price=price, perm_id=order.perm_id, client_id=order.client_id,
                              liquidation=0, cum_qty=order.filled, avg_price=order.avg_price,
                              order_ref=order.order_ref, last_liquidity=liquidity)
        report = CommissionReport(exec_id=exec_id, commission=fee, currency="USD",
                                  realized_pnl=realized)
        self.executions.append((execution, report))
        self.stats.fills += 1
        messages = [encode.execution_data(-1, execution)]
        if order.status == "Filled":
            messages.append(encode.open_order(order.view()))
        messages += [self._status_msg(order), encode.commission_report(report)]
        self._emit(order, *messages)
        pos = self.positions[(order.account, spec.contract.con_id)]
        for sink in list(self.sessions.values()):
            sink.on_position(order.account, spec, pos)

    def _book(self, order: SimOrder, qty: Decimal, price: Decimal, fee: Decimal) -> Decimal | None:
        """Cash and position for one fill; returns realized PnL when the fill reduces."""
        spec = order.spec
        c = spec.contract
        account = self.accounts[order.account]
        signed = qty if order.action == "BUY" else -qty
        account.cash[c.currency] = account.cash.get(c.currency, ZERO) - signed * price - fee
        if c.sec_type == "CASH":
            account.cash[c.symbol] = account.cash.get(c.symbol, ZERO) + signed
        pos = self.positions.setdefault((order.account, c.con_id), Position())
        if pos.qty == 0 or (pos.qty > 0) == (signed > 0):
            total = pos.qty + signed
            pos.avg_cost = (pos.avg_cost * abs(pos.qty) + price * qty + fee) / abs(total)
            pos.qty = total
            return None
        closed = min(qty, abs(pos.qty))
        direction = 1 if pos.qty > 0 else -1
        realized = (price - pos.avg_cost) * closed * direction - fee
        pos.realized += realized
        pos.qty += signed
        if pos.qty == 0:
            pos.avg_cost = ZERO
        elif (pos.qty > 0) != (direction > 0):   # flipped through zero
            pos.avg_cost = price
        return realized.quantize(CENT)

    # ---- account views ---------------------------------------------------------------------

    def executions_for(self, f: ExecutionFilter) -> list[tuple[Execution, CommissionReport]]:
        out = []
        for execution, report in self.executions:
            if f.client_id and execution.client_id != f.client_id:
                continue
            if f.account and execution.account != f.account:
                continue
            if f.symbol and execution.contract.symbol != f.symbol.upper():
                continue
            if f.sec_type and execution.contract.sec_type != f.sec_type.upper():
                continue
            if f.side and execution.side != {"BUY": "BOT", "SELL": "SLD"}.get(
                    f.side.upper(), f.side.upper()):
                continue
            if f.time and execution.time[:17] < f.time.replace("-", " ")[:17]:
                continue
            out.append((execution, report))
        return out

    def usd_rate(self, currency: str) -> Decimal:
        if currency == "USD":
            return Decimal(1)
        for m in self.markets.values():
            c = m.spec.contract
            if c.sec_type == "CASH" and c.symbol == currency and c.currency == "USD":
                return m.mid()
        return ZERO

    def mark(self, con_id: int) -> Decimal:
        return self.markets[con_id].mid()

    def position_rows(self, account: str) -> list[tuple[ContractSpec, Position]]:
        rows = []
        for spec in self.specs:
            pos = self.positions.get((account, spec.contract.con_id))
            if pos is not None:
                rows.append((spec, pos))
        return rows

    def summary(self, account_id: str) -> dict[str, Decimal]:
        account = self.accounts[account_id]
        cash = sum((v * self.usd_rate(k) for k, v in account.cash.items()), ZERO)
        gross = ZERO
        for spec, pos in self.position_rows(account_id):
            if spec.contract.sec_type != "CASH":
                gross += abs(pos.qty) * self.mark(spec.contract.con_id)
        stock_value = sum((pos.qty * self.mark(spec.contract.con_id)
                           for spec, pos in self.position_rows(account_id)
                           if spec.contract.sec_type != "CASH"), ZERO)
        net = cash + stock_value
        return {"NetLiquidation": net, "TotalCashValue": cash, "GrossPositionValue": gross,
                "AvailableFunds": net - gross / 4, "BuyingPower": (net - gross / 4) * 4,
                "ExcessLiquidity": net - gross / 4, "EquityWithLoanValue": net,
                "InitMarginReq": gross / 4, "MaintMarginReq": gross / 4}
