"""Captured TWS messages: the simulator's encoder writes the same bytes for the same values.

Each fixture is read into typed values (ints, exact Decimals with their spelling normalised
away, None for unset), the message is rebuilt from those values with the simulator's encoder,
and the bytes are compared. The encoder must therefore know, field by field, whether TWS
writes "0", "0.0", "" or "1.7976931348623157E308".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from venuesim.ibkr import encode
from venuesim.ibkr.model import (
    EURUSD,
    CommissionReport,
    Contract,
    Execution,
    OrderView,
)
from venuesim.ibkr.wire import FieldReader, split_fields

_SHARED = Path(__file__).resolve().parents[3].parent / "shared"
FIXTURE_DIR = Path(os.environ.get("SHARED_DIR", _SHARED)) / "fixtures" / "ibkr" / "responses"


def load(name: str) -> bytes:
    return (FIXTURE_DIR / name).read_bytes().replace(b"\\x00", b"\0")


def contract_no_primary(r: FieldReader) -> Contract:
    con_id = r.integer()
    symbol, sec_type, last_trade = r.text(), r.text(), r.text()
    strike = r.double() or Decimal(0)
    right, multiplier, exchange, currency = r.text(), r.text(), r.text(), r.text()
    return Contract(con_id=con_id, symbol=symbol, sec_type=sec_type, last_trade=last_trade,
                    strike=strike, right=right, multiplier=multiplier, exchange=exchange,
                    currency=currency, local_symbol=r.text(), trading_class=r.text())


def build_account_summary(r: FieldReader) -> list[str]:
    r.skip(2)
    return encode.account_summary(r.integer(), r.text(), r.text(), r.text(), r.text())


def build_commission(r: FieldReader) -> list[str]:
    r.skip(2)
    exec_id = r.text()
    commission = r.double()
    assert commission is not None
    return encode.commission_report(CommissionReport(
        exec_id=exec_id, commission=commission, currency=r.text(), realized_pnl=r.double(),
        yield_=r.double(), yield_redemption_date=r.opt_integer()))


def build_contract_data(r: FieldReader) -> list[str]:
    """The EUR.USD capture must equal the simulator's configured EUR.USD, field for field."""
    r.skip()
    req_id = r.integer()
    assert r.text() == EURUSD.contract.symbol
    return encode.contract_data(req_id, EURUSD)


def build_error(r: FieldReader) -> list[str]:
    r.skip(2)
    return encode.error(r.integer(), r.integer(), r.text(), r.text())


def build_execution(r: FieldReader) -> list[str]:
    r.skip()
    req_id = r.integer()
    order_id = r.integer()
    contract = contract_no_primary(r)
    exec_id, time, account, exchange, side = r.text(), r.text(), r.text(), r.text(), r.text()
    shares, price = r.decimal(), r.double()
    perm_id, client_id, liquidation = r.integer(), r.integer(), r.integer()
    cum_qty, avg_price = r.decimal(), r.double()
    assert shares is not None and price is not None
    assert cum_qty is not None and avg_price is not None
    return encode.execution_data(req_id, Execution(
        order_id=order_id, contract=contract, exec_id=exec_id, time=time, account=account,
        exchange=exchange, side=side, shares=shares, price=price, perm_id=perm_id,
        client_id=client_id, liquidation=liquidation, cum_qty=cum_qty, avg_price=avg_price,
        order_ref=r.text(), ev_rule=r.text(), ev_multiplier=r.double(), model_code=r.text(),
        last_liquidity=r.integer()))


def build_managed_accounts(r: FieldReader) -> list[str]:
    r.skip(2)
    return encode.managed_accounts(r.text().split(","))


def build_next_valid_id(r: FieldReader) -> list[str]:
    r.skip(2)
    return encode.next_valid_id(r.integer())


def build_open_order(r: FieldReader) -> list[str]:
    """Only the order's own values are taken from the capture; every other field of the
    135 is the encoder's idea of TWS's defaults, so they must match TWS's."""
    r.skip()
    order_id = r.integer()
    contract = contract_no_primary(r)
    action, qty, order_type = r.text(), r.decimal(), r.text()
    lmt, aux = r.double(), r.double()
    tif, oca, account, open_close = r.text(), r.text(), r.text(), r.text()
    r.skip()  # origin
    order_ref, client_id, perm_id = r.text(), r.integer(), r.integer()
    outside_rth, hidden = r.boolean(), r.boolean()
    r.skip(21)  # discretionaryAmt .. stockRangeUpper
    display_size = r.opt_integer()
    r.skip(8)
    parent_id = r.integer()
    r.skip(35)
    status = r.text()
    assert qty is not None and lmt is not None and aux is not None
    return encode.open_order(OrderView(
        order_id=order_id, contract=contract, action=action, total_quantity=qty,
        order_type=order_type, lmt_price=lmt, aux_price=aux, tif=tif, account=account,
        order_ref=order_ref, client_id=client_id, perm_id=perm_id, status=status,
        oca_group=oca, open_close=open_close, outside_rth=outside_rth, hidden=hidden,
        parent_id=parent_id, display_size=display_size))


def build_position(r: FieldReader) -> list[str]:
    r.skip(2)
    account = r.text()
    contract = contract_no_primary(r)
    qty, avg_cost = r.decimal(), r.double()
    assert qty is not None and avg_cost is not None
    return encode.position(account, contract, qty, avg_cost)


def build_order_status(r: FieldReader) -> list[str]:
    r.skip()
    order_id, status = r.integer(), r.text()
    filled, remaining, avg = r.decimal(), r.decimal(), r.double()
    perm_id, parent_id = r.integer(), r.integer()
    last = r.double()
    client_id, why_held, cap = r.integer(), r.text(), r.double()
    assert filled is not None and remaining is not None and avg is not None
    assert last is not None and cap is not None
    return encode.order_status(order_id, status, filled=filled, remaining=remaining,
                               avg_fill_price=avg, perm_id=perm_id, parent_id=parent_id,
                               last_fill_price=last, client_id=client_id, why_held=why_held,
                               mkt_cap_price=cap)


def build_tick_by_tick(r: FieldReader) -> list[str]:
    r.skip()
    req_id = r.integer()
    assert r.integer() == 3
    time = r.integer()
    bid, ask, bid_size, ask_size = r.double(), r.double(), r.decimal(), r.decimal()
    assert bid is not None and ask is not None
    assert bid_size is not None and ask_size is not None
    return encode.tick_by_tick_bid_ask(req_id, time, bid=bid, ask=ask, bid_size=bid_size,
                                       ask_size=ask_size, attr_mask=r.integer())


BUILDERS: dict[str, Callable[[FieldReader], list[str]]] = {
    **{f"account_summary_{i}.txt": build_account_summary for i in range(1, 7)},
    "commission_report_1.txt": build_commission,
    "contract_details_eurusd.txt": build_contract_data,
    **{f"data_connections_{i}.txt": build_error for i in range(1, 4)},
    "execution_details_1.txt": build_execution,
    "managed_accounts.txt": build_managed_accounts,
    "next_valid_id.txt": build_next_valid_id,
    "open_order_1.txt": build_open_order,
    "open_positions.txt": build_position,
    "order_status_1.txt": build_order_status,
    "position_1.txt": build_position,
    "quote_tick_1.txt": build_tick_by_tick,
    "quote_tick_2.txt": build_tick_by_tick,
}


def test_every_fixture_has_a_builder() -> None:
    on_disk = sorted(p.name for p in Path(FIXTURE_DIR).iterdir() if p.is_file())
    assert on_disk == sorted(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_encoder_is_byte_identical(name: str) -> None:
    captured = load(name)
    reader = FieldReader(split_fields(captured))
    rebuilt = encode.payload(BUILDERS[name](reader))
    assert rebuilt == captured


def test_hand_built_order_status_matches_capture() -> None:
    """Values typed in by hand, not read from the capture: the spelling is the encoder's."""
    fields = encode.order_status(216, "Filled", filled=Decimal(3000), remaining=Decimal(0),
                                 avg_fill_price=Decimal("1.08725"), perm_id=1351823369,
                                 parent_id=0, last_fill_price=Decimal("1.08725"), client_id=2)
    assert encode.payload(fields) == load("order_status_1.txt")


def test_hand_built_position_matches_capture() -> None:
    eurusd = Contract(con_id=12087792, symbol="EUR", sec_type="CASH", currency="USD",
                      local_symbol="EUR.USD", trading_class="EUR.USD")
    fields = encode.position("DU5524716", eurusd, Decimal(0), Decimal(0))
    assert encode.payload(fields) == load("position_1.txt")


def test_hand_built_commission_matches_capture() -> None:
    report = CommissionReport(exec_id="0000e215.656d0002.01.01", commission=Decimal("2.50"),
                              currency="USD")
    assert encode.payload(encode.commission_report(report)) == load("commission_report_1.txt")
