"""Requests a client sends, read at server version 176 (IBAPI client.py / ib_async client.py).

Only what the simulator acts on is kept; every field is still consumed in order, including
the conditional groups of PLACE_ORDER, so a misaligned message is caught instead of guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from venuesim.ibkr.model import Contract
from venuesim.ibkr.wire import FieldReader, ProtocolError

# outgoing-from-client message ids (IBAPI message.OUT)
REQ_MKT_DATA = 1
CANCEL_MKT_DATA = 2
PLACE_ORDER = 3
CANCEL_ORDER = 4
REQ_OPEN_ORDERS = 5
REQ_ACCT_DATA = 6
REQ_EXECUTIONS = 7
REQ_IDS = 8
REQ_CONTRACT_DATA = 9
REQ_AUTO_OPEN_ORDERS = 15
REQ_ALL_OPEN_ORDERS = 16
REQ_MANAGED_ACCTS = 17
REQ_CURRENT_TIME = 49
REQ_GLOBAL_CANCEL = 58
REQ_MARKET_DATA_TYPE = 59
REQ_POSITIONS = 61
REQ_ACCOUNT_SUMMARY = 62
CANCEL_ACCOUNT_SUMMARY = 63
CANCEL_POSITIONS = 64
START_API = 71
REQ_ACCOUNT_UPDATES_MULTI = 76
CANCEL_ACCOUNT_UPDATES_MULTI = 77
REQ_TICK_BY_TICK_DATA = 97
CANCEL_TICK_BY_TICK_DATA = 98
REQ_COMPLETED_ORDERS = 99


def read_contract(r: FieldReader, with_primary: bool = True) -> Contract:
    """conId, symbol, secType, lastTrade, strike, right, multiplier, exchange,
    [primaryExchange], currency, localSymbol, tradingClass."""
    con_id = r.integer()
    symbol = r.text()
    sec_type = r.text()
    last_trade = r.text()
    strike = r.double() or Decimal(0)
    right = r.text()
    multiplier = r.text()
    exchange = r.text()
    primary = r.text() if with_primary else ""
    currency = r.text()
    local_symbol = r.text()
    trading_class = r.text()
    return Contract(con_id=con_id, symbol=symbol, sec_type=sec_type, last_trade=last_trade,
                    strike=strike, right=right, multiplier=multiplier, exchange=exchange,
                    primary_exchange=primary, currency=currency, local_symbol=local_symbol,
                    trading_class=trading_class)


@dataclass(frozen=True)
class MktDataRequest:
    req_id: int
    contract: Contract
    generic_ticks: str
    snapshot: bool


def read_mkt_data(r: FieldReader) -> MktDataRequest:
    r.skip()  # version 11
    req_id = r.integer()
    contract = read_contract(r)
    if contract.sec_type == "BAG":
        for _ in range(r.integer()):
            r.skip(4)
    if r.boolean():
        r.skip(3)  # delta-neutral contract
    generic = r.text()
    snapshot = r.boolean()
    if r.remaining:
        r.skip()  # regulatorySnapshot
    return MktDataRequest(req_id, contract, generic, snapshot)


@dataclass(frozen=True)
class ContractDetailsRequest:
    req_id: int
    contract: Contract


def read_contract_details(r: FieldReader) -> ContractDetailsRequest:
    r.skip()  # version 8
    req_id = r.integer()
    contract = read_contract(r)
    return ContractDetailsRequest(req_id, contract)


@dataclass(frozen=True)
class TickByTickRequest:
    req_id: int
    contract: Contract
    tick_type: str


def read_tick_by_tick(r: FieldReader) -> TickByTickRequest:
    req_id = r.integer()
    contract = read_contract(r)
    return TickByTickRequest(req_id, contract, r.text())


@dataclass(frozen=True)
class PlaceOrder:
    """The order fields the simulator uses; the rest are read and dropped."""

    order_id: int
    contract: Contract
    action: str
    total_quantity: Decimal | None
    order_type: str
    lmt_price: Decimal | None
    aux_price: Decimal | None
    tif: str
    oca_group: str
    account: str
    open_close: str
    order_ref: str
    transmit: bool
    parent_id: int
    display_size: int | None
    outside_rth: bool
    hidden: bool
    what_if: bool
    algo_strategy: str
    conditions: int
    cash_qty: Decimal | None


def read_place_order(r: FieldReader) -> PlaceOrder:
    """PLACE_ORDER at server 176: no version field; 114 fields for a plain order."""
    order_id = r.integer()
    contract = read_contract(r)
    r.skip(2)  # secIdType, secId
    action = r.text()
    total_quantity = r.decimal()
    order_type = r.text()
    lmt_price = r.double()
    aux_price = r.double()
    tif = r.text()
    oca_group = r.text()
    account = r.text()
    open_close = r.text()
    r.skip()  # origin
    order_ref = r.text()
    transmit = r.boolean()
    parent_id = r.integer()
    r.skip(2)  # blockOrder, sweepToFill
    display_size = r.opt_integer()
    r.skip()  # triggerMethod
    outside_rth = r.boolean()
    hidden = r.boolean()
    if contract.sec_type == "BAG":
        for _ in range(r.integer()):
            r.skip(8)
        for _ in range(r.integer()):
            r.skip()
        for _ in range(r.integer()):
            r.skip(2)
    # sharesAllocation, discretionaryAmt, goodAfterTime, goodTillDate, faGroup, faMethod,
    # faPercentage, faProfile (< 177), modelCode, shortSaleSlot, designatedLocation, exemptCode,
    # ocaType, rule80A, settlingFirm, allOrNone, minQty, percentOffset, eTradeOnly,
    # firmQuoteOnly, nbboPriceCap, auctionStrategy, startingPrice, stockRefPrice, delta,
    # stockRangeLower, stockRangeUpper, overridePercentageConstraints, volatility,
    # volatilityType
    r.skip(30)
    if r.text():  # deltaNeutralOrderType
        r.skip(1 + 8)
    else:
        r.skip(1)  # deltaNeutralAuxPrice
    # continuousUpdate, referencePriceType, trailStopPrice, trailingPercent,
    # scaleInitLevelSize, scaleSubsLevelSize
    r.skip(6)
    increment = r.double()
    if increment is not None and increment > 0:
        r.skip(7)
    r.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if r.text():  # hedgeType
        r.skip()  # hedgeParam
    r.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if r.boolean():
        r.skip(3)  # delta-neutral contract
    algo_strategy = r.text()
    if algo_strategy:
        for _ in range(r.integer()):
            r.skip(2)
    r.skip()  # algoId
    what_if = r.boolean()
    r.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    if order_type in ("PEG BENCH", "PEGBENCH"):
        r.skip(5)
    conditions = r.integer()
    cash_qty: Decimal | None = None
    if conditions == 0:
        # adjustedOrderType, triggerPrice, lmtPriceOffset, adjustedStopPrice,
        # adjustedStopLimitPrice, adjustedTrailingAmount, adjustableTrailingUnit, extOperator,
        # softDollarTier name and value
        r.skip(10)
        cash_qty = r.double()
        # mifid2 x4, dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpToLimitPrice,
        # usePriceMgmtAlgo, duration, postToAts, autoCancelParent, advancedErrorOverride,
        # manualOrderTime
        r.skip(13)
    # Conditions have per-type layouts; such orders are rejected before their tail matters.
    return PlaceOrder(order_id=order_id, contract=contract, action=action,
                      total_quantity=total_quantity, order_type=order_type,
                      lmt_price=lmt_price, aux_price=aux_price, tif=tif, oca_group=oca_group,
                      account=account, open_close=open_close, order_ref=order_ref,
                      transmit=transmit, parent_id=parent_id, display_size=display_size,
                      outside_rth=outside_rth, hidden=hidden, what_if=what_if,
                      algo_strategy=algo_strategy, conditions=conditions, cash_qty=cash_qty)


@dataclass(frozen=True)
class ExecutionFilter:
    req_id: int
    client_id: int
    account: str
    time: str
    symbol: str
    sec_type: str
    exchange: str
    side: str


def read_executions(r: FieldReader) -> ExecutionFilter:
    r.skip()  # version 3
    return ExecutionFilter(req_id=r.integer(), client_id=r.integer(), account=r.text(),
                           time=r.text(), symbol=r.text(), sec_type=r.text(),
                           exchange=r.text(), side=r.text())


def parse_version_range(text: str) -> tuple[int, int]:
    """`v<min>..<max>[ options]` from the handshake; a bare `v<n>` means min = max = n."""
    if not text.startswith("v"):
        raise ProtocolError(f"handshake does not start with 'v': {text[:20]!r}")
    body = text[1:].split(" ", 1)[0]
    low, sep, high = body.partition("..")
    try:
        lo = int(low)
        hi = int(high) if sep else lo
    except ValueError as exc:
        raise ProtocolError(f"bad version range: {body[:20]!r}") from exc
    if lo > hi:
        raise ProtocolError(f"empty version range: {body!r}")
    return lo, hi
