/* test_risk_fixture.h -- shared setup for the risk engine tests.
 *
 * An engine with instruments on every venue: three Polymarket binary markets
 * (the first uses the real condition and token ids of the captured
 * gamma_market_crypto_twap.json fixture), Binance BTCUSDT and ETHUSDT, an
 * IBKR stock quoted in EUR. Amounts are written as decimal strings and
 * parsed at the instrument's scales, as the IPC layer does. */
#ifndef TEST_RISK_FIXTURE_H
#define TEST_RISK_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"
#include "risk/risk.h"

#define T0 (1767614400LL * 1000000000LL) /* 2026-01-05 12:00:00 UTC */
#define MS (1000000LL)
#define SEC (1000000000LL)

#define COND1 "0x2eea28aa905ace2f5cace17ea2b9e0e7b85a27f32ee14ed292f02fa104956bc4"
#define TOKEN1_YES "113013382422133157315656090194075928009220145127085300671933810669470922115281"
#define TOKEN1_NO "38034349155375505476764349018583065542443879908961992019053731521216367745079"

struct fx {
    struct risk_engine *e;
    uint32_t yes1, no1, yes2, no2, yes3, no3, btc, eth, sap;
    uint32_t m1, m2, m3;
    char reason[RISK_REASON_TEXT_CAP];
    int64_t now;
};

static inline int64_t px(const struct fx *f, uint32_t id, const char *s) {
    const struct instrument *in = instrument_get(risk_instruments(f->e), id);
    int64_t v = 0;
    assert_int_equal(money_parse_cstr(s, in->price_scale, &v), MONEY_OK);
    return v;
}

static inline int64_t qt(const struct fx *f, uint32_t id, const char *s) {
    const struct instrument *in = instrument_get(risk_instruments(f->e), id);
    int64_t v = 0;
    assert_int_equal(money_parse_cstr(s, in->qty_scale, &v), MONEY_OK);
    return v;
}

static inline int64_t usd(const char *s) {
    int64_t v = 0;
    assert_int_equal(money_parse_cstr(s, USD_SCALE, &v), MONEY_OK);
    return v;
}

static inline void add_binary(struct fx *f, const char *sym, const char *cond, uint32_t *id) {
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = VENUE_POLYMARKET;
    in.kind = INSTRUMENT_BINARY;
    in.price_scale = 3;
    in.qty_scale = 2;
    in.tick = 10;    /* 0.01 */
    in.lot = 1;      /* 0.01 shares */
    in.min_qty = 500; /* 5 shares */
    in.min_notional = 0;
    in.usd_rate = 100000000;
    snprintf(in.symbol, sizeof in.symbol, "%s", sym);
    snprintf(in.market_key, sizeof in.market_key, "%s", cond);
    snprintf(in.quote_ccy, sizeof in.quote_ccy, "USDC");
    char err[256];
    assert_int_equal(risk_add_instrument(f->e, &in, id, err, sizeof err), 0);
}

static inline void add_linear(struct fx *f, int venue, int kind, const char *sym, unsigned ps,
                              const char *tick, unsigned qs, const char *lot, const char *min_qty,
                              const char *min_notional, const char *ccy, const char *rate,
                              uint32_t *id) {
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = (uint8_t)venue;
    in.kind = (uint8_t)kind;
    in.price_scale = (uint8_t)ps;
    in.qty_scale = (uint8_t)qs;
    assert_int_equal(money_parse_cstr(tick, ps, &in.tick), 0);
    assert_int_equal(money_parse_cstr(lot, qs, &in.lot), 0);
    assert_int_equal(money_parse_cstr(min_qty, qs, &in.min_qty), 0);
    assert_int_equal(money_parse_cstr(min_notional, INSTRUMENT_QUOTE_SCALE, &in.min_notional), 0);
    assert_int_equal(money_parse_cstr(rate, INSTRUMENT_RATE_SCALE, &in.usd_rate), 0);
    snprintf(in.symbol, sizeof in.symbol, "%s", sym);
    snprintf(in.quote_ccy, sizeof in.quote_ccy, "%s", ccy);
    char err[256];
    assert_int_equal(risk_add_instrument(f->e, &in, id, err, sizeof err), 0);
}

static inline void mark(struct fx *f, uint32_t id, const char *price) {
    assert_int_equal(risk_mark(f->e, id, px(f, id, price), f->now), 0);
}

/* Engine with `lim` (NULL: micro defaults), instruments, fresh marks. */
static inline void fx_init(struct fx *f, const struct risk_limits *lim) {
    memset(f, 0, sizeof *f);
    struct risk_limits def;
    risk_limits_default(&def, RISK_PROFILE_MICRO);
    f->e = risk_engine_create(lim ? lim : &def, 64, 256);
    assert_non_null(f->e);
    f->now = T0;
    add_binary(f, TOKEN1_YES, COND1, &f->yes1);
    add_binary(f, TOKEN1_NO, COND1, &f->no1);
    add_binary(f, "1002", "0xmarket2", &f->yes2);
    add_binary(f, "1003", "0xmarket2", &f->no2);
    add_binary(f, "1004", "0xmarket3", &f->yes3);
    add_binary(f, "1005", "0xmarket3", &f->no3);
    add_linear(f, VENUE_BINANCE, INSTRUMENT_SPOT, "BTCUSDT", 2, "0.01", 8, "0.00001", "0.00001",
               "5", "USDT", "1", &f->btc);
    /* ETHUSDT filters from the captured notional_both.json exchangeInfo. */
    add_linear(f, VENUE_BINANCE, INSTRUMENT_SPOT, "ETHUSDT", 2, "0.01", 4, "0.0001", "0.0001",
               "23.45678912", "USDT", "1", &f->eth);
    add_linear(f, VENUE_IBKR, INSTRUMENT_STOCK, "SAP", 2, "0.01", 0, "1", "1", "0", "EUR", "1.08",
               &f->sap);
    const struct instrument_registry *r = risk_instruments(f->e);
    f->m1 = r->items[f->yes1].market;
    f->m2 = r->items[f->yes2].market;
    f->m3 = r->items[f->yes3].market;
    mark(f, f->yes1, "0.50");
    mark(f, f->no1, "0.50");
    mark(f, f->yes2, "0.50");
    mark(f, f->no2, "0.50");
    mark(f, f->yes3, "0.50");
    mark(f, f->no3, "0.50");
    mark(f, f->btc, "50000");
    mark(f, f->eth, "2000");
    mark(f, f->sap, "100");
}

static inline void fx_free(struct fx *f) { risk_engine_destroy(f->e); }

/* Check an order written in decimals; the reason lands in f->reason. */
static inline int chk(struct fx *f, uint32_t id, int side, const char *price, const char *qty,
                      uint64_t *res) {
    uint64_t unused;
    f->reason[0] = '\0';
    return risk_check(f->e, id, side, px(f, id, price), qt(f, id, qty), 0, f->now,
                      res ? res : &unused, f->reason, sizeof f->reason);
}

static inline void fill(struct fx *f, uint64_t res, uint32_t id, int side, const char *trade,
                        const char *price, const char *qty) {
    assert_int_equal(risk_on_fill(f->e, res, id, side, trade, qt(f, id, qty), px(f, id, price), 0,
                                  1, f->now),
                     0);
}

/* Accept and fully fill an order. */
static inline void buy_filled(struct fx *f, uint32_t id, const char *price, const char *qty,
                              const char *trade) {
    uint64_t res;
    assert_int_equal(chk(f, id, RISK_BUY, price, qty, &res), RISK_OK);
    fill(f, res, id, RISK_BUY, trade, price, qty);
}

static inline int64_t usage(struct fx *f, int limit, int scope, uint32_t index, int64_t *bound) {
    int64_t v = 0, b = 0;
    assert_int_equal(risk_usage(f->e, limit, scope, index, f->now, &v, &b), 0);
    if (bound) *bound = b;
    return v;
}

static inline void assert_reason_has(const struct fx *f, const char *needle) {
    if (strstr(f->reason, needle) == NULL) fail_msg("reason \"%s\" lacks \"%s\"", f->reason, needle);
}

/* Drains events; returns how many had `type` (and code, if code >= 0). */
static inline int drain_events(struct fx *f, int type, int code) {
    struct risk_event ev;
    int n = 0;
    while (risk_next_event(f->e, &ev)) {
        if (ev.type == type && (code < 0 || ev.code == code)) n++;
    }
    return n;
}

#endif
