"""TWS error codes and their texts (IBKR message codes page; IBAPI errors.py)."""

from __future__ import annotations

NO_REQ_ID = -1

PACING = 100
PACING_TEXT = "Max rate of messages per second has been exceeded."
DUPLICATE_ORDER_ID = 103
DUPLICATE_ORDER_ID_TEXT = "Duplicate order id"
MIN_TICK = 110
MIN_TICK_TEXT = "The price does not conform to the minimum price variation for this contract."
NO_SECURITY_DEFINITION = 200
NO_SECURITY_DEFINITION_TEXT = "No security definition has been found for the request"
ORDER_REJECTED = 201
ORDER_REJECTED_PREFIX = "Order rejected - reason:"
ORDER_CANCELLED = 202
ORDER_CANCELLED_PREFIX = "Order Canceled - reason:"
UNKNOWN_TICKER = 300
READ_ERROR = 320
READ_ERROR_TEXT = "Server error when reading an API client request."
NOT_CONNECTED = 504
NOT_CONNECTED_TEXT = "Not connected"
CANCEL_NOT_FOUND = 10147
CONNECTIVITY_LOST = 1100
CONNECTIVITY_LOST_TEXT = "Connectivity between IB and Trader Workstation has been lost."
RESTORED_DATA_LOST = 1101
RESTORED_DATA_LOST_TEXT = ("Connectivity between IB and Trader Workstation has been restored - "
                           "data lost.")
RESTORED_DATA_KEPT = 1102
RESTORED_DATA_KEPT_TEXT = ("Connectivity between IB and Trader Workstation has been restored - "
                           "data maintained.")

# farm status messages TWS sends right after START_API (codes 2104/2106/2158, id -1)
FARM_MESSAGES: tuple[tuple[int, str], ...] = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefil"),
)


def rejected(reason: str) -> str:
    return f"{ORDER_REJECTED_PREFIX} {reason}"


def cancelled(reason: str = "") -> str:
    return f"{ORDER_CANCELLED_PREFIX}{' ' + reason if reason else ''}"


def cancel_not_found(order_id: int) -> str:
    return f"OrderId {order_id} that needs to be cancelled is not found."


def unknown_ticker(req_id: int) -> str:
    return f"Can't find EId with tickerId:{req_id}"
