/* bn_filter.h - the exchange filters checked before an order is sent, so
 * a bad order is refused locally with the filter's name instead of costing
 * a request (and request weight) to learn "-1013 Filter failure". */
#ifndef TRADER_VENUES_BINANCE_FILTER_H
#define TRADER_VENUES_BINANCE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "venues/binance/bn_parse.h"

/* 0 if a LIMIT order (px, qty at the filters' scales) passes PRICE_FILTER,
 * LOT_SIZE, NOTIONAL/MIN_NOTIONAL and the symbol status; else -1 with
 * "Filter failure: <FILTER> (...)" in why.  scale_sum = price_scale +
 * qty_scale (the scale of px * qty).  open_orders is the symbol's current
 * open order count (MAX_NUM_ORDERS). */
int bn_filter_check(const struct bn_filters *f, int64_t px, int64_t qty, unsigned price_scale,
                    unsigned qty_scale, int open_orders, char *why, size_t cap);

#endif
