/* bn_parse.h - Binance Spot JSON messages into typed structs (jansson).
 *
 * Every reader ignores keys it does not need (Binance adds fields without
 * notice) and fails on a missing or malformed key it does need.  Amounts
 * are decimal strings on the wire; they are parsed exactly into int64 at
 * the scale the caller gives (an instrument's price/qty scale, or 8 for
 * commissions); a value with more precision than that scale is an error,
 * never rounded. */
#ifndef TRADER_VENUES_BINANCE_PARSE_H
#define TRADER_VENUES_BINANCE_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "venues/binance/bn_book.h"

#define BN_SYM_CAP 24
#define BN_CID_CAP 48
#define BN_ASSET_CAP 16
#define BN_WORD_CAP 40

/* The unwrapped event of a WS frame: the {"subscriptionId","event"} user
 * data envelope, the {"stream","data"} combined-stream envelope or a bare
 * event.  Returns the inner object (borrowed) or NULL. */
const json_t *bn_event_body(const json_t *msg);

/* "e" of an event ("" if none). */
const char *bn_event_type(const json_t *ev);

/* Decimal string member at scale. 0 or -1. */
int bn_get_amount(const json_t *obj, const char *key, unsigned scale, int64_t *out);

/* Symbol member (key "s" in events, "symbol" in REST). 0 or -1. */
int bn_get_symbol(const json_t *obj, const char *key, char out[BN_SYM_CAP]);

/* Depth: a depthUpdate event (U, u, b, a) or a REST snapshot
 * (lastUpdateId, bids, asks: then first_id = last_id = lastUpdateId).
 * Levels go to lv (bids first); at most cap levels in all. */
struct bn_depth {
    char symbol[BN_SYM_CAP];     /* "" for a snapshot */
    uint64_t first_id, last_id;
    int64_t event_ms;
    int n_bids, n_asks;
};
int bn_parse_depth(const json_t *j, unsigned price_scale, unsigned qty_scale,
                   struct bn_depth *out, struct bn_level *lv, int cap);

/* executionReport (user data stream). */
struct bn_exec {
    char symbol[BN_SYM_CAP];
    char cid[BN_CID_CAP];        /* c: the order's id, or the cancel's id on CANCELED */
    char orig_cid[BN_CID_CAP];   /* C: the cancelled order's id ("" if none) */
    char exec_type[BN_WORD_CAP]; /* x: NEW TRADE CANCELED EXPIRED REJECTED ... */
    char status[BN_WORD_CAP];    /* X: NEW PARTIALLY_FILLED FILLED ... */
    char reject[BN_WORD_CAP * 2];/* r */
    char type[BN_WORD_CAP];      /* o */
    char fee_asset[BN_ASSET_CAP];/* N ("" when null) */
    bool buy;
    bool maker;
    int64_t order_id;            /* i */
    int64_t trade_id;            /* t (-1 without a trade) */
    int64_t px, qty;             /* p, q */
    int64_t last_px, last_qty;   /* L, l */
    int64_t cum_qty;             /* z */
    int64_t fee;                 /* n at scale 8 */
    int64_t event_ms, tx_ms;     /* E, T */
};
int bn_parse_exec(const json_t *ev, unsigned price_scale, unsigned qty_scale,
                  struct bn_exec *out);

/* An order object: POST order (any response type), GET order, an
 * openOrders item, a DELETE order answer. */
struct bn_order_info {
    char symbol[BN_SYM_CAP];
    char cid[BN_CID_CAP];        /* the order's own client id (origClientOrderId on cancel) */
    char status[BN_WORD_CAP];    /* "" for an ACK response */
    int64_t order_id;
    int64_t px, qty, executed;   /* 0 when absent (ACK) */
    bool buy;
    int64_t time_ms;
};
int bn_parse_order(const json_t *j, unsigned price_scale, unsigned qty_scale,
                   struct bn_order_info *out);

/* One myTrades item. */
struct bn_trade {
    char symbol[BN_SYM_CAP];
    char fee_asset[BN_ASSET_CAP];
    int64_t id, order_id;
    int64_t px, qty, fee;        /* fee at scale 8 */
    bool buyer, maker;
    int64_t time_ms;
};
int bn_parse_trade(const json_t *j, unsigned price_scale, unsigned qty_scale,
                   struct bn_trade *out);

/* {"code":-2010,"msg":"..."} (REST) or the WS API "error" object. */
int bn_parse_error(const json_t *j, int *code, char *msg, size_t cap);

/* One "balances" entry of account / an outboundAccountPosition B entry. */
struct bn_balance {
    char asset[BN_ASSET_CAP];
    int64_t free, locked;        /* scale 8 */
};
/* Walks account.balances (REST) or outboundAccountPosition.B; calls fn for
 * each.  Returns the count or -1. */
int bn_parse_balances(const json_t *j, void (*fn)(void *ctx, const struct bn_balance *b),
                      void *ctx);

/* Exchange filters of one exchangeInfo symbol, at the instrument's scales
 * (notional at scale 8).  A zero bound means "not checked". */
struct bn_filters {
    char symbol[BN_SYM_CAP];
    char base[BN_ASSET_CAP], quote[BN_ASSET_CAP];
    bool trading;                /* status == TRADING */
    bool limit_maker;            /* LIMIT_MAKER in orderTypes */
    int64_t min_px, max_px, tick;
    int64_t min_qty, max_qty, step;
    int64_t min_notional, max_notional;  /* scale 8 */
    int max_num_orders;
};
int bn_parse_symbol_filters(const json_t *sym, unsigned price_scale, unsigned qty_scale,
                            struct bn_filters *out, char *err, size_t errlen);

#endif
