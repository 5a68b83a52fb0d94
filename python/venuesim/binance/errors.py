"""Venue errors: the `{"code","msg"}` bodies Binance Spot sends, with their HTTP status."""

from __future__ import annotations

from typing import Any


class BinanceError(Exception):
    """A request rejected the way the venue rejects it (errors.md codes and messages)."""

    def __init__(self, code: int, msg: str, http_status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, "
                               "or malformed.")


def either(first: str, second: str) -> BinanceError:
    return BinanceError(-1102, f"Param '{first}' or '{second}' must be sent, "
                               "but both were empty/null!")


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def illegal_chars(name: str) -> BinanceError:
    return BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                               "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


def new_order_rejected(msg: str) -> BinanceError:
    return BinanceError(-2010, msg)


def cancel_rejected(msg: str) -> BinanceError:
    return BinanceError(-2011, msg)


INVALID_SYMBOL = (-1121, "Invalid symbol.")
BAD_API_KEY_FMT = (-2014, "API-key format invalid.")
REJECTED_MBX_KEY = (-2015, "Invalid API-key, IP, or permissions for action.")
INVALID_SIGNATURE = (-1022, "Signature for this request is not valid.")
TS_OUTSIDE_WINDOW = (-1021, "Timestamp for this request is outside of the recvWindow.")
TS_AHEAD = (-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
UNKNOWN_ORDER = "Unknown order sent."
NO_SUCH_ORDER = (-2013, "Order does not exist.")
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
WOULD_TAKE = "Order would immediately match and take."
DUPLICATE_ORDER = "Duplicate order sent."


def err(pair: tuple[int, str], http_status: int = 400) -> BinanceError:
    return BinanceError(pair[0], pair[1], http_status)
