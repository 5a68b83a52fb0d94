/* binance_fuzz.c - libFuzzer target for the Binance Spot JSON readers
 * (c/venues/binance/bn_parse.c) and the local order book they feed
 * (bn_book.c): REST answers (order, myTrades, account, exchangeInfo, depth
 * snapshot, errors), market stream frames (depthUpdate, combined-stream
 * envelope) and user data frames (executionReport, balances, the WS API
 * envelope).
 *
 * The input is one or more JSON texts back to back (a capture of what the
 * connector reads). Each text is parsed with jansson as the connector does
 * (json_loadb) and given to EVERY reader, because the reader a frame reaches
 * depends on fields the fuzzer controls; an array is also walked item by
 * item, as the connector walks openOrders / myTrades. Depth messages are
 * applied to one book (a snapshot when it has lastUpdateId, else a diff), at
 * two instrument scales. Properties: parsed strings are terminated inside
 * their buffers, level counts are within the cap, and after every change the
 * book's sides are strictly ordered with positive quantities. Seeds:
 * ../shared/fixtures/binance (fuzz/seed_corpus.py). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "venues/binance/bn_book.h"
#include "venues/binance/bn_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BN_FUZZ_LEVELS 512
#define BN_FUZZ_MAX_DOCS 16

static const struct {
    unsigned px, qty;
} bn_fuzz_scales[] = {{2, 5}, {8, 8}};

static bool bn_fuzz_term(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void bn_fuzz_check_side(const struct bn_side *s)
{
    FUZZ_CHECK(s->n >= 0 && s->n <= s->cap, "side n %d cap %d", s->n, s->cap);
    for (int i = 0; i < s->n; i++) {
        FUZZ_CHECK(s->lv[i].qty > 0, "level %d qty %lld", i, (long long)s->lv[i].qty);
        if (i > 0)
            FUZZ_CHECK(s->bids ? s->lv[i - 1].px < s->lv[i].px : s->lv[i - 1].px > s->lv[i].px,
                       "%s side out of order at %d", s->bids ? "bid" : "ask", i);
    }
}

static void bn_fuzz_depth(const json_t *j, unsigned ps, unsigned qs, struct bn_book *book,
                          struct bn_level *lv)
{
    struct bn_depth d;
    if (bn_parse_depth(j, ps, qs, &d, lv, BN_FUZZ_LEVELS) != 0)
        return;
    FUZZ_CHECK(d.n_bids >= 0 && d.n_asks >= 0 && d.n_bids + d.n_asks <= BN_FUZZ_LEVELS,
               "level counts %d + %d", d.n_bids, d.n_asks);
    FUZZ_CHECK(d.first_id <= d.last_id && bn_fuzz_term(d.symbol, sizeof d.symbol),
               "depth ids/symbol");
    if (json_object_get(j, "lastUpdateId") != NULL) {
        (void)bn_book_on_snapshot(book, d.last_id, lv, d.n_bids, lv + d.n_bids, d.n_asks);
    } else {
        struct bn_diff diff = {.first_id = d.first_id, .last_id = d.last_id, .lv = lv,
                               .n_bids = d.n_bids, .n_asks = d.n_asks};
        (void)bn_book_on_diff(book, &diff);
    }
    bn_fuzz_check_side(&book->bids);
    bn_fuzz_check_side(&book->asks);
    int64_t bid = 0, ask = 0;
    (void)bn_book_best(book, &bid, &ask);
    (void)bn_book_mid(book, 1);
    FUZZ_CHECK(bn_book_pending(book) >= 0, "pending < 0");
}

static void bn_fuzz_balance(void *ctx, const struct bn_balance *b)
{
    (void)ctx;
    FUZZ_CHECK(bn_fuzz_term(b->asset, sizeof b->asset), "balance asset unterminated");
}

/* Every object reader on one JSON value. */
static void bn_fuzz_object(const json_t *j, unsigned ps, unsigned qs)
{
    if (j == NULL)
        return;
    struct bn_exec ex;
    if (bn_parse_exec(j, ps, qs, &ex) == 0)
        FUZZ_CHECK(bn_fuzz_term(ex.symbol, sizeof ex.symbol) &&
                       bn_fuzz_term(ex.cid, sizeof ex.cid) &&
                       bn_fuzz_term(ex.orig_cid, sizeof ex.orig_cid) &&
                       bn_fuzz_term(ex.exec_type, sizeof ex.exec_type) &&
                       bn_fuzz_term(ex.status, sizeof ex.status) &&
                       bn_fuzz_term(ex.reject, sizeof ex.reject) &&
                       bn_fuzz_term(ex.type, sizeof ex.type) &&
                       bn_fuzz_term(ex.fee_asset, sizeof ex.fee_asset),
                   "executionReport string unterminated");
    struct bn_order_info oi;
    if (bn_parse_order(j, ps, qs, &oi) == 0)
        FUZZ_CHECK(bn_fuzz_term(oi.symbol, sizeof oi.symbol) &&
                       bn_fuzz_term(oi.cid, sizeof oi.cid) &&
                       bn_fuzz_term(oi.status, sizeof oi.status),
                   "order string unterminated");
    struct bn_trade tr;
    if (bn_parse_trade(j, ps, qs, &tr) == 0)
        FUZZ_CHECK(bn_fuzz_term(tr.symbol, sizeof tr.symbol) &&
                       bn_fuzz_term(tr.fee_asset, sizeof tr.fee_asset),
                   "trade string unterminated");
    int code = 0;
    char msg[128];
    if (bn_parse_error(j, &code, msg, sizeof msg) == 0)
        FUZZ_CHECK(bn_fuzz_term(msg, sizeof msg), "error msg unterminated");
    (void)bn_parse_balances(j, bn_fuzz_balance, NULL);
    struct bn_filters f;
    char why[256];
    if (bn_parse_symbol_filters(j, ps, qs, &f, why, sizeof why) == 0)
        FUZZ_CHECK(bn_fuzz_term(f.symbol, sizeof f.symbol) && bn_fuzz_term(f.base, sizeof f.base) &&
                       bn_fuzz_term(f.quote, sizeof f.quote),
                   "filters string unterminated");
    else
        FUZZ_CHECK(bn_fuzz_term(why, sizeof why), "filters error unterminated");
    char sym[BN_SYM_CAP];
    if (bn_get_symbol(j, "s", sym) == 0)
        FUZZ_CHECK(bn_fuzz_term(sym, sizeof sym), "symbol unterminated");
}

static void bn_fuzz_doc(const json_t *j, struct bn_book *book, struct bn_level *lv)
{
    const json_t *ev = bn_event_body(j);
    (void)bn_event_type(ev);
    for (size_t s = 0; s < sizeof bn_fuzz_scales / sizeof bn_fuzz_scales[0]; s++) {
        unsigned ps = bn_fuzz_scales[s].px, qs = bn_fuzz_scales[s].qty;
        /* the book keeps one scale: only the first pair feeds it */
        if (s == 0) {
            bn_fuzz_depth(ev, ps, qs, book, lv);
            if (ev != j)
                bn_fuzz_depth(j, ps, qs, book, lv);
        }
        bn_fuzz_object(j, ps, qs);
        if (ev != NULL && ev != j)
            bn_fuzz_object(ev, ps, qs);
        bn_fuzz_object(json_object_get(j, "error"), ps, qs);
        /* bn_user.c hands the WS API "error" member over even when absent */
        int code = 0;
        char msg[64];
        (void)bn_parse_error(json_object_get(j, "error"), &code, msg, sizeof msg);
        size_t i;
        const json_t *item;
        json_array_foreach(j, i, item) bn_fuzz_object(item, ps, qs);
        json_array_foreach(json_object_get(j, "symbols"), i, item) bn_fuzz_object(item, ps, qs);
        json_array_foreach(json_object_get(j, "result"), i, item) bn_fuzz_object(item, ps, qs);
        if (json_is_object(json_object_get(j, "result")))
            bn_fuzz_object(json_object_get(j, "result"), ps, qs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bn_book book;
    bn_book_init(&book, 8);
    struct bn_level *lv = calloc(BN_FUZZ_LEVELS, sizeof *lv);
    char *text = fuzz_dup(data, size);
    if (lv == NULL)
        abort();
    size_t off = 0;
    for (int n = 0; n < BN_FUZZ_MAX_DOCS && off < size; n++) {
        json_error_t jerr;
        json_t *j = json_loadb(text + off, size - off, JSON_DISABLE_EOF_CHECK, &jerr);
        if (j == NULL)
            break;
        bn_fuzz_doc(j, &book, lv);
        json_decref(j);
        if (jerr.position <= 0)
            break;
        off += (size_t)jerr.position;
    }
    free(text);
    free(lv);
    bn_book_free(&book);
    return 0;
}
