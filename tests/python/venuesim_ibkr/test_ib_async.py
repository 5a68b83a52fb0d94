"""The official-style client, unchanged, against the simulator: ib_async 2.1.0."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from ib_async import IB, Forex, LimitOrder, MarketOrder, Stock, Trade


async def wait_for(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Functional deadline: the condition must come true within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


CLIENT_IDS = itertools.count(10)   # distinct per test: the simulator is shared by the module


@pytest.fixture
async def ib(sim: Any) -> AsyncIterator[IB]:
    client = IB()
    await client.connectAsync(sim.host, sim.port, clientId=next(CLIENT_IDS), timeout=5)
    yield client
    client.disconnect()


async def test_connect_qualify_fill_executions_commissions_positions(ib: IB) -> None:
    assert ib.isConnected()
    assert ib.managedAccounts() == ["DU123456"]
    assert ib.client.serverVersion() == 176

    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    assert aapl.conId == 265598 and aapl.primaryExchange == "NASDAQ"
    [details] = await ib.reqContractDetailsAsync(aapl)
    assert details.minTick == 0.01 and details.longName == "APPLE INC"

    ticker = ib.reqMktData(aapl, "", False, False)
    await wait_for(lambda: ticker.bid > 0 and ticker.ask > ticker.bid)

    # a marketable limit: buy 5 ticks through the ask
    limit = float((Decimal(str(ticker.ask)) + Decimal("0.05")).quantize(Decimal("0.01")))
    trade: Trade = ib.placeOrder(aapl, LimitOrder("BUY", 10, limit))
    await wait_for(lambda: trade.orderStatus.status == "Filled")
    assert trade.orderStatus.filled == 10 and trade.orderStatus.remaining == 0
    assert trade.orderStatus.avgFillPrice <= limit

    await wait_for(lambda: len(trade.fills) == 1
                   and trade.fills[0].commissionReport.commission > 0)
    fill = trade.fills[0]
    assert fill.execution.side == "BOT" and fill.execution.shares == 10
    assert fill.execution.acctNumber == "DU123456"
    assert fill.commissionReport.commission == 1.0      # max(1.00, 10 x 0.005) USD
    assert fill.commissionReport.currency == "USD"

    fills = await ib.reqExecutionsAsync()
    mine = [f for f in fills if f.execution.execId == fill.execution.execId]
    assert len(mine) == 1 and mine[0].execution.orderId == trade.order.orderId

    await wait_for(lambda: any(p.contract.conId == 265598 for p in ib.positions()))
    [pos] = [p for p in await ib.reqPositionsAsync() if p.contract.conId == 265598]
    assert pos.position >= 10 and pos.account == "DU123456"

    summary = {v.tag: v.value for v in await ib.accountSummaryAsync()}
    assert Decimal(summary["NetLiquidation"]) > 0
    assert Decimal(summary["TotalCashValue"]) < Decimal(100000)


async def test_forex_market_order_fills(ib: IB) -> None:
    [eurusd] = await ib.qualifyContractsAsync(Forex("EURUSD"))
    assert eurusd.conId == 12087792 and eurusd.exchange == "IDEALPRO"
    trade = ib.placeOrder(eurusd, MarketOrder("SELL", 20000))
    await wait_for(lambda: trade.orderStatus.status == "Filled")
    assert trade.orderStatus.filled == 20000
    await wait_for(lambda: len(trade.fills) == 1 and trade.fills[0].commissionReport.execId != "")
    assert trade.fills[0].execution.side == "SLD"
    assert trade.fills[0].commissionReport.commission == 2.0   # IDEALPRO minimum


async def test_off_tick_price_is_error_110(ib: IB) -> None:
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    errors: list[tuple[int, int]] = []
    ib.errorEvent += lambda req_id, code, *_: errors.append((req_id, code))
    trade = ib.placeOrder(aapl, LimitOrder("BUY", 1, 100.005))
    await wait_for(lambda: (trade.order.orderId, 110) in errors)
    await wait_for(lambda: trade.orderStatus.status == "Cancelled")
    assert ib.openTrades() == []


async def test_reused_order_id_is_error_103(ib: IB) -> None:
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    errors: list[tuple[int, int]] = []
    ib.errorEvent += lambda req_id, code, *_: errors.append((req_id, code))
    first = ib.placeOrder(aapl, MarketOrder("BUY", 1))
    await wait_for(lambda: first.orderStatus.status == "Filled")
    reused = MarketOrder("SELL", 1)
    reused.orderId = first.order.orderId
    ib.client.placeOrder(reused.orderId, aapl, reused)
    await wait_for(lambda: (first.order.orderId, 103) in errors)


async def test_resting_order_cancel_is_202(ib: IB) -> None:
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    errors: list[int] = []
    ib.errorEvent += lambda req_id, code, *_: errors.append(code)
    trade = ib.placeOrder(aapl, LimitOrder("BUY", 1, 1.00))    # far below the market
    await wait_for(lambda: trade.orderStatus.status == "Submitted")
    assert [t.order.orderId for t in await ib.reqOpenOrdersAsync()].count(
        trade.order.orderId) == 1
    ib.cancelOrder(trade.order)
    await wait_for(lambda: trade.orderStatus.status == "Cancelled")
    assert 202 in errors


async def test_unknown_contract_is_not_qualified(ib: IB) -> None:
    result = await ib.qualifyContractsAsync(Stock("NOPE", "SMART", "USD"))
    assert result == [None]


async def test_modifying_a_resting_order_to_marketable_fills_it(ib: IB) -> None:
    [aapl] = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    order = LimitOrder("BUY", 2, 1.00)
    trade = ib.placeOrder(aapl, order)
    await wait_for(lambda: trade.orderStatus.status == "Submitted")
    order.lmtPrice = 10000.00          # same order id, new price: a modification
    ib.placeOrder(aapl, order)
    await wait_for(lambda: trade.orderStatus.status == "Filled")
    assert trade.orderStatus.filled == 2 and trade.orderStatus.avgFillPrice < 10000
