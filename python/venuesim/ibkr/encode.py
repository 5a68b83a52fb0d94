"""Messages TWS sends, at server version 176, field for field.

Each function returns the field list of one message (message id first); `payload()` turns it
into the bytes that go inside a frame. Field order and spelling follow the official client's
decoder (ibapi 10.x decoder.py / orderdecoder.py) and captured TWS messages
(shared/fixtures/ibkr/responses), which the tests compare byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from venuesim.ibkr.model import CommissionReport, Contract, ContractSpec, Execution, OrderView
from venuesim.ibkr.wire import (
    UNSET_DOUBLE_TEXT,
    bool_text,
    int_or_empty,
    int_text,
    java_double,
    java_double_or_empty,
    join_fields,
    plain,
)

# incoming-to-client message ids (IBAPI message.IN)
TICK_PRICE = 1
TICK_SIZE = 2
ORDER_STATUS = 3
ERR_MSG = 4
OPEN_ORDER = 5
ACCT_VALUE = 6
PORTFOLIO_VALUE = 7
ACCT_UPDATE_TIME = 8
NEXT_VALID_ID = 9
CONTRACT_DATA = 10
EXECUTION_DATA = 11
MANAGED_ACCTS = 15
CURRENT_TIME = 49
CONTRACT_DATA_END = 52
OPEN_ORDER_END = 53
ACCT_DOWNLOAD_END = 54
EXECUTION_DATA_END = 55
TICK_SNAPSHOT_END = 57
MARKET_DATA_TYPE = 58
COMMISSION_REPORT = 59
POSITION_DATA = 61
POSITION_END = 62
ACCOUNT_SUMMARY = 63
ACCOUNT_SUMMARY_END = 64
ACCOUNT_UPDATE_MULTI = 73
ACCOUNT_UPDATE_MULTI_END = 74
TICK_REQ_PARAMS = 81
TICK_BY_TICK = 99
COMPLETED_ORDERS_END = 102

Fields = list[str]


def payload(fields: Sequence[str]) -> bytes:
    return join_fields(fields)


def handshake_reply(server_version: int, connection_time: str) -> Fields:
    """The only two-field message: the server version and TWS's connection time."""
    return [str(server_version), connection_time]


# ---- session / misc ----------------------------------------------------------------------

def next_valid_id(order_id: int) -> Fields:
    return [str(NEXT_VALID_ID), "1", str(order_id)]


def managed_accounts(accounts: Sequence[str]) -> Fields:
    return [str(MANAGED_ACCTS), "1", ",".join(accounts)]


def current_time(epoch_seconds: int) -> Fields:
    return [str(CURRENT_TIME), "1", str(epoch_seconds)]


def error(req_id: int, code: int, text: str, advanced_reject_json: str = "") -> Fields:
    """ERR_MSG version 2 with advancedOrderRejectJson (server 166..193)."""
    return [str(ERR_MSG), "2", str(req_id), str(code), text, advanced_reject_json]


# ---- market data -------------------------------------------------------------------------

def tick_price(req_id: int, tick_type: int, price: Decimal, size: Decimal,
               attr_mask: int) -> Fields:
    return [str(TICK_PRICE), "6", str(req_id), str(tick_type), java_double(price), plain(size),
            str(attr_mask)]


def tick_size(req_id: int, tick_type: int, size: Decimal) -> Fields:
    return [str(TICK_SIZE), "6", str(req_id), str(tick_type), plain(size)]


def tick_snapshot_end(req_id: int) -> Fields:
    return [str(TICK_SNAPSHOT_END), "1", str(req_id)]


def market_data_type(req_id: int, data_type: int) -> Fields:
    return [str(MARKET_DATA_TYPE), "1", str(req_id), str(data_type)]


def tick_req_params(req_id: int, min_tick: Decimal, bbo_exchange: str,
                    snapshot_permissions: int) -> Fields:
    return [str(TICK_REQ_PARAMS), str(req_id), plain(min_tick), bbo_exchange,
            str(snapshot_permissions)]


def tick_by_tick_bid_ask(req_id: int, time: int, *, bid: Decimal, ask: Decimal, bid_size: Decimal,
                         ask_size: Decimal, attr_mask: int) -> Fields:
    return [str(TICK_BY_TICK), str(req_id), "3", str(time), java_double(bid), java_double(ask),
            plain(bid_size), plain(ask_size), str(attr_mask)]


# ---- contracts ---------------------------------------------------------------------------

def contract_data(req_id: int, spec: ContractSpec) -> Fields:
    """CONTRACT_DATA without version field (server >= 164), non-bond layout."""
    c = spec.contract
    fields = [str(CONTRACT_DATA), str(req_id), c.symbol, c.sec_type, c.last_trade,
              plain(c.strike), c.right, c.exchange, c.currency, c.local_symbol, spec.market_name,
              c.trading_class, str(c.con_id), plain(spec.min_tick), c.multiplier,
              spec.order_types, spec.valid_exchanges, str(spec.price_magnifier),
              str(spec.under_con_id), spec.long_name, c.primary_exchange, "", spec.industry,
              spec.category, spec.subcategory, spec.time_zone, spec.trading_hours,
              spec.liquid_hours, "", "", str(len(spec.sec_ids))]
    for tag, value in spec.sec_ids:
        fields += [tag, value]
    fields += [str(spec.agg_group), "", "", spec.market_rule_ids, "", spec.stock_type,
               plain(spec.min_size), plain(spec.size_increment),
               plain(spec.suggested_size_increment)]
    return fields


def contract_data_end(req_id: int) -> Fields:
    return [str(CONTRACT_DATA_END), "1", str(req_id)]


def _contract_no_primary(c: Contract, strike: str) -> Fields:
    """conId..tradingClass without primaryExchange, as executions/positions/orders carry it."""
    return [str(c.con_id), c.symbol, c.sec_type, c.last_trade, strike, c.right, c.multiplier,
            c.exchange, c.currency, c.local_symbol, c.trading_class]


# ---- orders ------------------------------------------------------------------------------

def order_status(order_id: int, status: str, *, filled: Decimal, remaining: Decimal,
                 avg_fill_price: Decimal, perm_id: int, parent_id: int,
                 last_fill_price: Decimal, client_id: int, why_held: str = "",
                 mkt_cap_price: Decimal = Decimal(0)) -> Fields:
    """ORDER_STATUS without version field (server >= 131)."""
    return [str(ORDER_STATUS), str(order_id), status, plain(filled), plain(remaining),
            plain(avg_fill_price), str(perm_id), str(parent_id), plain(last_fill_price),
            str(client_id), why_held, plain(mkt_cap_price)]


def open_order(o: OrderView) -> Fields:
    """OPEN_ORDER (no version field since 145) for a plain, non-combo, non-algo order.

    135 fields. Every constant below is what TWS sends for such an order (fixture
    open_order_1.txt); the numbers in comments are IBAPI orderdecoder's field positions.
    """
    c = o.contract
    unset = UNSET_DOUBLE_TEXT
    return [
        str(OPEN_ORDER), str(o.order_id),                                   # 1
        *_contract_no_primary(c, plain(c.strike)),                          # 2-12
        o.action, plain(o.total_quantity), o.order_type,                    # 13-15
        java_double(o.lmt_price), java_double(o.aux_price), o.tif,          # 16-18
        o.oca_group, o.account, o.open_close, "0", o.order_ref,             # 19-23 origin 0
        str(o.client_id), str(o.perm_id),                                   # 24-25
        bool_text(o.outside_rth), bool_text(o.hidden), "0", "",             # 26-29
        f"{o.perm_id}.0/{o.account}/100",                                   # 30 sharesAllocation
        "", "", "", "",                                                     # 31-34 FA fields
        "", "", "", "", "", "0", "", "-1", "0",                             # 35-43
        "", "", "", "", "",                                                 # 44-48
        int_text(o.display_size), "0", "0", "0", "", "3", "0", "0", "",     # 49-57
        str(o.parent_id), "0", "", "0",                                     # 58-61
        "None", "",                                                         # 62-63 deltaNeutral
        "0", "", "", "", "?", "0", "0", "",                                 # 64-71
        "0", "0", "", "", "", "",                                           # 72-77
        "", "0", "0", "0",                                                  # 78-81 combo
        int_text(None), int_text(None), "",                                 # 82-84 scale
        "", "0", "", "IB", "0", "0", "",                                    # 85-91
        "0", "0", o.status,                                                 # 92-94
        *([unset] * 9),                                                     # 95-103 margins
        java_double_or_empty(o.commission), "", "",                         # 104-106
        o.commission_currency, o.warning_text,                              # 107-108
        "0", "0", "0",                                                      # 109-111
        "None", *([unset] * 6), "0",                                        # 112-119
        "", "", "", "0", "1", "0", "0", "0",                                # 120-127
        "", "", "0", "", "", "", "", "",                                    # 128-135
    ]


def open_order_end() -> Fields:
    return [str(OPEN_ORDER_END), "1"]


def completed_orders_end() -> Fields:
    return [str(COMPLETED_ORDERS_END)]


def execution_data(req_id: int, e: Execution) -> Fields:
    """EXECUTION_DATA without version field (server >= 136), 30 fields after the id."""
    c = e.contract
    return [str(EXECUTION_DATA), str(req_id), str(e.order_id),
            *_contract_no_primary(c, java_double(c.strike)),
            e.exec_id, e.time, e.account, e.exchange, e.side, plain(e.shares),
            java_double(e.price), str(e.perm_id), str(e.client_id), str(e.liquidation),
            plain(e.cum_qty), java_double(e.avg_price), e.order_ref, e.ev_rule,
            java_double_or_empty(e.ev_multiplier), e.model_code, str(e.last_liquidity)]


def execution_data_end(req_id: int) -> Fields:
    return [str(EXECUTION_DATA_END), "1", str(req_id)]


def commission_report(r: CommissionReport) -> Fields:
    return [str(COMMISSION_REPORT), "1", r.exec_id, java_double(r.commission), r.currency,
            java_double(r.realized_pnl), java_double(r.yield_),
            int_or_empty(r.yield_redemption_date)]


# ---- account -----------------------------------------------------------------------------

def position(account: str, c: Contract, qty: Decimal, avg_cost: Decimal) -> Fields:
    return [str(POSITION_DATA), "3", account, *_contract_no_primary(c, java_double(c.strike)),
            plain(qty), java_double(avg_cost)]


def position_end() -> Fields:
    return [str(POSITION_END), "1"]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    return [str(ACCOUNT_SUMMARY), "1", str(req_id), account, tag, value, currency]


def account_summary_end(req_id: int) -> Fields:
    return [str(ACCOUNT_SUMMARY_END), "1", str(req_id)]


def account_value(key: str, value: str, currency: str, account: str) -> Fields:
    return [str(ACCT_VALUE), "2", key, value, currency, account]


def portfolio_value(c: Contract, qty: Decimal, *, market_price: Decimal, market_value: Decimal,
                    avg_cost: Decimal, unrealized: Decimal, realized: Decimal,
                    account: str) -> Fields:
    """PORTFOLIO_VALUE version 8: carries primaryExchange where others carry exchange."""
    return [str(PORTFOLIO_VALUE), "8", str(c.con_id), c.symbol, c.sec_type, c.last_trade,
            java_double(c.strike), c.right, c.multiplier, c.primary_exchange, c.currency,
            c.local_symbol, c.trading_class, plain(qty), java_double(market_price),
            java_double(market_value), java_double(avg_cost), java_double(unrealized),
            java_double(realized), account]


def account_update_time(hh_mm: str) -> Fields:
    return [str(ACCT_UPDATE_TIME), "1", hh_mm]


def account_download_end(account: str) -> Fields:
    return [str(ACCT_DOWNLOAD_END), "1", account]


def account_update_multi(req_id: int, account: str, model_code: str, *, key: str, value: str,
                         currency: str) -> Fields:
    return [str(ACCOUNT_UPDATE_MULTI), "1", str(req_id), account, model_code, key, value,
            currency]


def account_update_multi_end(req_id: int) -> Fields:
    return [str(ACCOUNT_UPDATE_MULTI_END), "1", str(req_id)]

