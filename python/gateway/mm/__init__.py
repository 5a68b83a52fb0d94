"""The Polymarket market maker as a pure strategy package.

Everything here is a function of its inputs (books, trades, inventory, reference prices, config
and an explicit ``now``): no sockets, files or clock reads, so it is unit-testable and replayable.
``strategy.MarketMaker.desired_orders(state)`` returns the orders that should rest; an execution
layer turns that into venue calls with ``reconcile.reconcile`` (queue-keeping diff, batches of 15).
Money is ``Decimal`` throughout; probabilities from the normal CDF are computed in float and
quantized back to ``Decimal`` at the boundary.
"""
