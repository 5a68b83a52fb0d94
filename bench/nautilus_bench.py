"""nautilus_trader's RiskEngine checking LIMIT orders (the peer of risk_check_inproc).

Runs in .venv-bench (nautilus_trader==1.221.0, the Cython engine from PyPI), wired
by hand as nautilus's own RiskEngine tests do: LiveClock, MessageBus, Cache,
Portfolio, a multi-currency cash account (USDT 1e9, BTC 1e6), BTCUSDT, and no-op
sinks for the execution engine's endpoints. Times `RiskEngine.execute(SubmitOrder)`
over pre-built orders, like ../shared/research/nautilus-riskengine-bench.md.
Prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections import deque
from decimal import Decimal

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.model.currencies import BTC, USDT
from nautilus_trader.model.enums import AccountType, OrderSide
from nautilus_trader.model.events import AccountState
from nautilus_trader.model.identifiers import AccountId, StrategyId, TraderId
from nautilus_trader.model.objects import AccountBalance, Money, Price, Quantity
from nautilus_trader.portfolio.portfolio import Portfolio
from nautilus_trader.risk.config import RiskEngineConfig
from nautilus_trader.risk.engine import RiskEngine
from nautilus_trader.test_kit.providers import TestInstrumentProvider


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    clock = LiveClock()
    trader_id = TraderId("TRADER-001")
    msgbus = MessageBus(trader_id=trader_id, clock=clock)
    cache = Cache(database=None)
    portfolio = Portfolio(msgbus=msgbus, cache=cache, clock=clock)
    sink: deque[object] = deque(maxlen=16)
    msgbus.register(endpoint="ExecEngine.execute", handler=sink.append)
    msgbus.register(endpoint="ExecEngine.process", handler=sink.append)
    instrument = TestInstrumentProvider.btcusdt_binance()
    cache.add_instrument(instrument)
    account_id = AccountId("BINANCE-001")
    state = AccountState(
        account_id=account_id, account_type=AccountType.CASH, base_currency=None, reported=True,
        balances=[AccountBalance(Money(1_000_000_000, USDT), Money(0, USDT),
                                 Money(1_000_000_000, USDT)),
                  AccountBalance(Money(1_000_000, BTC), Money(0, BTC), Money(1_000_000, BTC))],
        margins=[], info={}, event_id=UUID4(), ts_event=0, ts_init=0)
    portfolio.update_account(state)
    engine = RiskEngine(portfolio, msgbus, cache, clock, RiskEngineConfig(
        bypass=False, max_order_submit_rate="1000000000/00:00:01",
        max_notional_per_order={str(instrument.id): 10_000_000}))
    engine.start()
    strategy_id = StrategyId("S-001")
    factory = OrderFactory(trader_id, strategy_id, clock)
    rng = random.Random(42)
    commands = []
    for i in range(n):
        order = factory.limit(
            instrument.id, OrderSide.BUY if i % 2 == 0 else OrderSide.SELL,
            Quantity.from_str(str(Decimal(rng.randint(1000, 500000)) / Decimal(1_000_000))),
            Price.from_str(str(Decimal(rng.randint(4_500_000, 5_500_000)) / Decimal(100))))
        commands.append(SubmitOrder(trader_id, strategy_id, order, UUID4(), clock.timestamp_ns(),
                                    position_id=None))
    for c in commands[:10_000]:  # warm-up, untimed
        engine.execute(c)
    gc.disable()
    t0 = time.perf_counter_ns()
    for c in commands:
        engine.execute(c)
    batch = time.perf_counter_ns() - t0
    lat = []
    pc = time.perf_counter_ns
    for c in commands:
        a = pc()
        engine.execute(c)
        lat.append(pc() - a)
    gc.enable()
    denied = sum(1 for m in sink if type(m).__name__ == "OrderDenied")
    lat.sort()
    print(json.dumps({"name": "nautilus_riskengine_check", "p50_ns": lat[len(lat) // 2],
                      "p99_ns": lat[len(lat) * 99 // 100], "ops_per_s": round(n * 1e9 / batch),
                      "n": n, "peer": "nautilus_trader 1.221.0 RiskEngine.execute(SubmitOrder)",
                      "denied_in_last_sink_window": denied}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
