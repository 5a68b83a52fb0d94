/* bn_parse.c - see bn_parse.h. */
#include "venues/binance/bn_parse.h"

#include <stdio.h>
#include <string.h>

#include "core/money.h"

const json_t *bn_event_body(const json_t *msg)
{
    if (!json_is_object(msg))
        return NULL;
    const json_t *inner = json_object_get(msg, "event");
    if (json_is_object(inner))
        return inner;
    inner = json_object_get(msg, "data");
    if (json_is_object(inner) && json_object_get(msg, "stream") != NULL)
        return inner;
    return msg;
}

const char *bn_event_type(const json_t *ev)
{
    const char *e = json_string_value(json_object_get(ev, "e"));
    return e != NULL ? e : "";
}

static int amount_value(const json_t *v, unsigned scale, int64_t *out)
{
    if (json_is_string(v))
        return money_parse(json_string_value(v), json_string_length(v), scale, out) == MONEY_OK
                   ? 0 : -1;
    if (json_is_integer(v)) {
        int64_t m = money_pow10(scale);
        json_int_t i = json_integer_value(v);
        if (i > INT64_MAX / m || i < -INT64_MAX / m)
            return -1;
        *out = (int64_t)i * m;
        return 0;
    }
    return -1;
}

int bn_get_amount(const json_t *obj, const char *key, unsigned scale, int64_t *out)
{
    return amount_value(json_object_get(obj, key), scale, out);
}

static int get_str(const json_t *obj, const char *key, char *out, size_t cap, bool null_ok)
{
    const json_t *v = json_object_get(obj, key);
    if (null_ok && (v == NULL || json_is_null(v))) {
        out[0] = '\0';
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_int(const json_t *obj, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int bn_get_symbol(const json_t *obj, const char *key, char out[BN_SYM_CAP])
{
    return get_str(obj, key, out, BN_SYM_CAP, false);
}

static int levels(const json_t *arr, unsigned ps, unsigned qs, struct bn_level *lv, int cap,
                  int *n)
{
    if (!json_is_array(arr))
        return -1;
    size_t count = json_array_size(arr);
    if (count > (size_t)cap)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const json_t *l = json_array_get(arr, i);
        if (!json_is_array(l) || json_array_size(l) < 2 ||
            amount_value(json_array_get(l, 0), ps, &lv[i].px) != 0 ||
            amount_value(json_array_get(l, 1), qs, &lv[i].qty) != 0 || lv[i].px <= 0 ||
            lv[i].qty < 0)
            return -1;
    }
    *n = (int)count;
    return 0;
}

int bn_parse_depth(const json_t *j, unsigned price_scale, unsigned qty_scale,
                   struct bn_depth *out, struct bn_level *lv, int cap)
{
    memset(out, 0, sizeof *out);
    const json_t *bids, *asks;
    int64_t first, last;
    if (json_object_get(j, "lastUpdateId") != NULL) {
        if (get_int(j, "lastUpdateId", &last) != 0)
            return -1;
        first = last;
        bids = json_object_get(j, "bids");
        asks = json_object_get(j, "asks");
    } else {
        if (strcmp(bn_event_type(j), "depthUpdate") != 0 || get_int(j, "U", &first) != 0 ||
            get_int(j, "u", &last) != 0 || bn_get_symbol(j, "s", out->symbol) != 0)
            return -1;
        get_int(j, "E", &out->event_ms);
        bids = json_object_get(j, "b");
        asks = json_object_get(j, "a");
    }
    if (first < 0 || last < first)
        return -1;
    out->first_id = (uint64_t)first;
    out->last_id = (uint64_t)last;
    if (levels(bids, price_scale, qty_scale, lv, cap, &out->n_bids) != 0 ||
        levels(asks, price_scale, qty_scale, lv + out->n_bids, cap - out->n_bids,
               &out->n_asks) != 0)
        return -1;
    return 0;
}

int bn_parse_exec(const json_t *ev, unsigned price_scale, unsigned qty_scale,
                  struct bn_exec *out)
{
    memset(out, 0, sizeof *out);
    char side[8];
    const json_t *m = json_object_get(ev, "m");
    if (strcmp(bn_event_type(ev), "executionReport") != 0 ||
        bn_get_symbol(ev, "s", out->symbol) != 0 ||
        get_str(ev, "c", out->cid, sizeof out->cid, false) != 0 ||
        get_str(ev, "C", out->orig_cid, sizeof out->orig_cid, true) != 0 ||
        get_str(ev, "x", out->exec_type, sizeof out->exec_type, false) != 0 ||
        get_str(ev, "X", out->status, sizeof out->status, false) != 0 ||
        get_str(ev, "r", out->reject, sizeof out->reject, true) != 0 ||
        get_str(ev, "o", out->type, sizeof out->type, false) != 0 ||
        get_str(ev, "N", out->fee_asset, sizeof out->fee_asset, true) != 0 ||
        get_str(ev, "S", side, sizeof side, false) != 0 || get_int(ev, "i", &out->order_id) != 0 ||
        get_int(ev, "t", &out->trade_id) != 0 ||
        bn_get_amount(ev, "p", price_scale, &out->px) != 0 ||
        bn_get_amount(ev, "q", qty_scale, &out->qty) != 0 ||
        bn_get_amount(ev, "L", price_scale, &out->last_px) != 0 ||
        bn_get_amount(ev, "l", qty_scale, &out->last_qty) != 0 ||
        bn_get_amount(ev, "z", qty_scale, &out->cum_qty) != 0 ||
        bn_get_amount(ev, "n", 8, &out->fee) != 0 || get_int(ev, "E", &out->event_ms) != 0 ||
        get_int(ev, "T", &out->tx_ms) != 0 || !json_is_boolean(m))
        return -1;
    out->buy = strcmp(side, "BUY") == 0;
    out->maker = json_is_true(m);
    return 0;
}

int bn_parse_order(const json_t *j, unsigned price_scale, unsigned qty_scale,
                   struct bn_order_info *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j) || bn_get_symbol(j, "symbol", out->symbol) != 0 ||
        get_int(j, "orderId", &out->order_id) != 0)
        return -1;
    /* A cancel answer names the order's own id origClientOrderId (its
     * clientOrderId is the cancel request's). */
    const char *cid_key = json_object_get(j, "origClientOrderId") != NULL ? "origClientOrderId"
                                                                           : "clientOrderId";
    if (get_str(j, cid_key, out->cid, sizeof out->cid, false) != 0)
        return -1;
    if (json_object_get(j, "status") != NULL) {
        char side[8];
        if (get_str(j, "status", out->status, sizeof out->status, false) != 0 ||
            bn_get_amount(j, "price", price_scale, &out->px) != 0 ||
            bn_get_amount(j, "origQty", qty_scale, &out->qty) != 0 ||
            bn_get_amount(j, "executedQty", qty_scale, &out->executed) != 0 ||
            get_str(j, "side", side, sizeof side, false) != 0)
            return -1;
        out->buy = strcmp(side, "BUY") == 0;
    }
    if (get_int(j, "transactTime", &out->time_ms) != 0)
        get_int(j, "time", &out->time_ms);
    return 0;
}

int bn_parse_trade(const json_t *j, unsigned price_scale, unsigned qty_scale,
                   struct bn_trade *out)
{
    memset(out, 0, sizeof *out);
    const json_t *buyer = json_object_get(j, "isBuyer"), *maker = json_object_get(j, "isMaker");
    if (!json_is_object(j) || bn_get_symbol(j, "symbol", out->symbol) != 0 ||
        get_int(j, "id", &out->id) != 0 || get_int(j, "orderId", &out->order_id) != 0 ||
        bn_get_amount(j, "price", price_scale, &out->px) != 0 ||
        bn_get_amount(j, "qty", qty_scale, &out->qty) != 0 ||
        bn_get_amount(j, "commission", 8, &out->fee) != 0 ||
        get_str(j, "commissionAsset", out->fee_asset, sizeof out->fee_asset, true) != 0 ||
        get_int(j, "time", &out->time_ms) != 0 || !json_is_boolean(buyer) ||
        !json_is_boolean(maker))
        return -1;
    out->buyer = json_is_true(buyer);
    out->maker = json_is_true(maker);
    return 0;
}

int bn_parse_error(const json_t *j, int *code, char *msg, size_t cap)
{
    const json_t *c = json_object_get(j, "code"), *m = json_object_get(j, "msg");
    if (!json_is_integer(c))
        return -1;
    *code = (int)json_integer_value(c);
    snprintf(msg, cap, "%s", json_is_string(m) ? json_string_value(m) : "");
    return 0;
}

int bn_parse_balances(const json_t *j, void (*fn)(void *ctx, const struct bn_balance *b),
                      void *ctx)
{
    const json_t *arr = json_object_get(j, "balances");
    bool stream = false;
    if (arr == NULL) {
        arr = json_object_get(j, "B");
        stream = true;
    }
    if (!json_is_array(arr))
        return -1;
    size_t i;
    const json_t *b;
    json_array_foreach(arr, i, b) {
        struct bn_balance bal;
        memset(&bal, 0, sizeof bal);
        if (get_str(b, stream ? "a" : "asset", bal.asset, sizeof bal.asset, false) != 0 ||
            bn_get_amount(b, stream ? "f" : "free", 8, &bal.free) != 0 ||
            bn_get_amount(b, stream ? "l" : "locked", 8, &bal.locked) != 0)
            return -1;
        fn(ctx, &bal);
    }
    return (int)i;
}

static int filter_amount(const json_t *f, const char *key, unsigned scale, int64_t *out,
                         const char *sym, const char *ftype, char *err, size_t errlen)
{
    if (bn_get_amount(f, key, scale, out) != 0) {
        const char *raw = json_string_value(json_object_get(f, key));
        snprintf(err, errlen, "%s %s.%s = %s does not fit the configured scale %u", sym, ftype,
                 key, raw != NULL ? raw : "(missing)", scale);
        return -1;
    }
    return 0;
}

int bn_parse_symbol_filters(const json_t *sym, unsigned price_scale, unsigned qty_scale,
                            struct bn_filters *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char status[BN_WORD_CAP];
    if (bn_get_symbol(sym, "symbol", out->symbol) != 0 ||
        get_str(sym, "status", status, sizeof status, false) != 0 ||
        get_str(sym, "baseAsset", out->base, sizeof out->base, false) != 0 ||
        get_str(sym, "quoteAsset", out->quote, sizeof out->quote, false) != 0) {
        snprintf(err, errlen, "exchangeInfo symbol entry lacks symbol/status/baseAsset/quoteAsset");
        return -1;
    }
    out->trading = strcmp(status, "TRADING") == 0;
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(sym, "orderTypes"), i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), "LIMIT_MAKER") == 0)
            out->limit_maker = true;
    const json_t *filters = json_object_get(sym, "filters");
    if (!json_is_array(filters)) {
        snprintf(err, errlen, "%s: exchangeInfo has no filters array", out->symbol);
        return -1;
    }
    json_array_foreach(filters, i, v) {
        const char *t = json_string_value(json_object_get(v, "filterType"));
        if (t == NULL)
            continue;
        const char *s = out->symbol;
        if (strcmp(t, "PRICE_FILTER") == 0) {
            if (filter_amount(v, "minPrice", price_scale, &out->min_px, s, t, err, errlen) ||
                filter_amount(v, "maxPrice", price_scale, &out->max_px, s, t, err, errlen) ||
                filter_amount(v, "tickSize", price_scale, &out->tick, s, t, err, errlen))
                return -1;
        } else if (strcmp(t, "LOT_SIZE") == 0) {
            if (filter_amount(v, "minQty", qty_scale, &out->min_qty, s, t, err, errlen) ||
                filter_amount(v, "maxQty", qty_scale, &out->max_qty, s, t, err, errlen) ||
                filter_amount(v, "stepSize", qty_scale, &out->step, s, t, err, errlen))
                return -1;
        } else if (strcmp(t, "NOTIONAL") == 0 || strcmp(t, "MIN_NOTIONAL") == 0) {
            /* A symbol may carry both: the venue enforces both, so the
             * larger minimum is the one that binds. */
            int64_t mn = 0, mx = 0;
            if (filter_amount(v, "minNotional", 8, &mn, s, t, err, errlen) ||
                (strcmp(t, "NOTIONAL") == 0 &&
                 filter_amount(v, "maxNotional", 8, &mx, s, t, err, errlen)))
                return -1;
            if (mn > out->min_notional)
                out->min_notional = mn;
            if (mx > 0)
                out->max_notional = mx;
        } else if (strcmp(t, "MAX_NUM_ORDERS") == 0) {
            const json_t *n = json_object_get(v, "maxNumOrders");
            out->max_num_orders = json_is_integer(n) ? (int)json_integer_value(n) : 0;
        }
    }
    return 0;
}
