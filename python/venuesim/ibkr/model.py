"""Plain values the simulator trades in: contracts, their details, executions, orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Contract:
    """The contract fields as they travel on the wire (IBAPI Contract attribute order)."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade: str = ""
    strike: Decimal = ZERO
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""


@dataclass(frozen=True)
class ContractSpec:
    """One tradable contract: what reqContractDetails answers and what orders are checked by."""

    contract: Contract
    market_name: str
    min_tick: Decimal
    order_types: str
    valid_exchanges: str
    long_name: str
    time_zone: str
    trading_hours: str
    liquid_hours: str
    agg_group: int
    market_rule_ids: str
    min_size: Decimal
    size_increment: Decimal
    suggested_size_increment: Decimal
    price_magnifier: int = 1
    under_con_id: int = 0
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    stock_type: str = ""
    sec_ids: tuple[tuple[str, str], ...] = ()
    # simulation parameters, never on the wire
    start_price: Decimal = ZERO
    spread_ticks: int = 1

    @property
    def key(self) -> str:
        """Short name used in stats and logs."""
        return self.contract.local_symbol


_HOURS = ("20231204:0400-20231204:2000;20231205:0400-20231205:2000;"
          "20231206:0400-20231206:2000;20231207:0400-20231207:2000")
_FX_HOURS = (";20231203:1715-20231204:1700;20231204:1715-20231205:1700;"
             "20231205:1715-20231206:1700;20231206:1715-20231207:1700;"
             "20231207:1715-20231208:1700")
_FX_ORDER_TYPES = ("ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,CASHQTY,COND,CONDORDER,"
                   "DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,MIT,MKT,NONALGO,"
                   "OCA,REL,RELPCTOFS,SCALE,SCALERST,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,"
                   "WHATIF")
_STK_ORDER_TYPES = ("ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,"
                    "DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,LOC,MIT,MKT,MOC,"
                    "NONALGO,OCA,REL,RTH,SCALE,SCALERST,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,"
                    "TRAILMIT,WHATIF")

AAPL = ContractSpec(
    contract=Contract(con_id=265598, symbol="AAPL", sec_type="STK", exchange="SMART",
                      primary_exchange="NASDAQ", currency="USD", local_symbol="AAPL",
                      trading_class="NMS"),
    market_name="NMS", min_tick=Decimal("0.01"), order_types=_STK_ORDER_TYPES,
    valid_exchanges="SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,NASDAQ,BATS,IEX",
    long_name="APPLE INC", time_zone="US/Eastern", trading_hours=_HOURS,
    liquid_hours=_HOURS, agg_group=1, market_rule_ids="26,26,26,26,26,26,26,26,26,26,26",
    min_size=Decimal(1), size_increment=Decimal(1), suggested_size_increment=Decimal(100),
    industry="Technology", category="Computers", subcategory="Computers", stock_type="COMMON",
    sec_ids=(("ISIN", "US0378331005"),), start_price=Decimal("190.00"), spread_ticks=2,
)

# Contract details as captured from TWS (fixture contract_details_eurusd.txt).
EURUSD = ContractSpec(
    contract=Contract(con_id=12087792, symbol="EUR", sec_type="CASH", exchange="IDEALPRO",
                      currency="USD", local_symbol="EUR.USD", trading_class="EUR.USD"),
    market_name="EUR.USD", min_tick=Decimal("0.00005"), order_types=_FX_ORDER_TYPES,
    valid_exchanges="IDEALPRO", long_name="European Monetary Union Euro",
    time_zone="US/Eastern", trading_hours=_FX_HOURS, liquid_hours=_FX_HOURS, agg_group=4,
    market_rule_ids="3188", min_size=Decimal("0.01"), size_increment=Decimal("0.01"),
    suggested_size_increment=Decimal("0.01"), start_price=Decimal("1.08500"), spread_ticks=1,
)

DEFAULT_CONTRACTS: tuple[ContractSpec, ...] = (AAPL, EURUSD)


@dataclass(frozen=True)
class Execution:
    """One fill as EXECUTION_DATA carries it."""

    order_id: int
    contract: Contract
    exec_id: str
    time: str
    account: str
    exchange: str
    side: str                 # BOT / SLD
    shares: Decimal
    price: Decimal
    perm_id: int
    client_id: int
    liquidation: int
    cum_qty: Decimal
    avg_price: Decimal
    order_ref: str
    ev_rule: str = ""
    ev_multiplier: Decimal | None = None
    model_code: str = ""
    last_liquidity: int = 0   # 1 added, 2 removed liquidity


@dataclass(frozen=True)
class CommissionReport:
    exec_id: str
    commission: Decimal
    currency: str
    realized_pnl: Decimal | None = None
    yield_: Decimal | None = None
    yield_redemption_date: int | None = None


@dataclass
class OrderView:
    """What openOrder reports of an order; everything else is sent as TWS's defaults."""

    order_id: int
    contract: Contract
    action: str
    total_quantity: Decimal
    order_type: str
    lmt_price: Decimal
    aux_price: Decimal
    tif: str
    account: str
    order_ref: str
    client_id: int
    perm_id: int
    status: str
    oca_group: str = ""
    open_close: str = ""
    outside_rth: bool = False
    hidden: bool = False
    parent_id: int = 0
    display_size: int | None = None
    commission: Decimal | None = None
    commission_currency: str = ""
    warning_text: str = ""
