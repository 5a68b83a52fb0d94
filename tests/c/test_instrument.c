/* test_instrument.c -- the instrument registry and the strict JSON readers,
 * fed with the captured Polymarket and Binance fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/instrument.h"
#include "core/json_strict.h"
#include "core/money.h"

static json_t *load_fixture(const char *rel) {
    const char *shared = getenv("SHARED_DIR");
    char path[1024];
    if (shared && *shared)
        snprintf(path, sizeof path, "%s/fixtures/%s", shared, rel);
    else
        snprintf(path, sizeof path, "%s/../shared/fixtures/%s", TRADER_SOURCE_DIR, rel);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL) fail_msg("cannot load %s: %s", path, je.text);
    return j;
}

/* Instruments for the two outcomes of the captured crypto up/down market,
 * built as the gateway would send them (decimals as strings). */
static void polymarket_pair(struct instrument *yes, struct instrument *no, char *cond,
                            size_t cond_cap) {
    json_t *m = load_fixture("polymarket/gamma_market_crypto_twap.json");
    if (json_is_array(m)) {
        json_t *first = json_incref(json_array_get(m, 0));
        json_decref(m);
        m = first;
    }
    json_t *ids = json_loads(json_string_value(json_object_get(m, "clobTokenIds")), 0, NULL);
    assert_non_null(ids);
    snprintf(cond, cond_cap, "%s", json_string_value(json_object_get(m, "conditionId")));
    char tick[32], min_size[32];
    snprintf(tick, sizeof tick, "%g", json_number_value(json_object_get(m, "orderPriceMinTickSize")));
    snprintf(min_size, sizeof min_size, "%g", json_number_value(json_object_get(m, "orderMinSize")));
    struct instrument *out[2] = {yes, no};
    for (int k = 0; k < 2; k++) {
        json_t *spec = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s}", "venue",
                                 "polymarket", "kind", "binary", "symbol",
                                 json_string_value(json_array_get(ids, (size_t)k)), "market", cond,
                                 "price_scale", 4, "qty_scale", 2, "tick", tick, "lot", "0.01",
                                 "min_qty", min_size, "quote_ccy", "USDC");
        char err[256];
        if (instrument_from_json(spec, "instrument", out[k], err, sizeof err) != 0) fail_msg("%s", err);
        json_decref(spec);
    }
    json_decref(ids);
    json_decref(m);
}

static void test_binary_pair_linked(void **state) {
    (void)state;
    struct instrument_registry r;
    assert_int_equal(instrument_registry_init(&r, 8), 0);
    struct instrument yes, no;
    char cond[128];
    polymarket_pair(&yes, &no, cond, sizeof cond);
    assert_true(strlen(yes.symbol) >= 77);
    assert_int_equal(yes.tick, 100); /* 0.01 at scale 4 */
    assert_int_equal(yes.min_qty, 500);
    char err[256];
    uint32_t y, n;
    assert_int_equal(instrument_registry_add(&r, &yes, &y, err, sizeof err), 0);
    assert_int_equal(instrument_get(&r, y)->complement, INSTRUMENT_NONE);
    assert_int_equal(instrument_registry_add(&r, &no, &n, err, sizeof err), 0);
    assert_int_equal(instrument_get(&r, y)->complement, n);
    assert_int_equal(instrument_get(&r, n)->complement, y);
    assert_int_equal(instrument_get(&r, y)->market, instrument_get(&r, n)->market);
    assert_int_equal(r.market_count, 1);
    uint32_t found, market;
    assert_int_equal(instrument_find(&r, VENUE_POLYMARKET, no.symbol, strlen(no.symbol), &found), 0);
    assert_int_equal(found, n);
    assert_int_equal(instrument_find(&r, VENUE_BINANCE, no.symbol, strlen(no.symbol), &found), -1);
    assert_int_equal(instrument_find_market(&r, VENUE_POLYMARKET, cond, strlen(cond), &market), 0);
    assert_int_equal(market, instrument_get(&r, y)->market);
    assert_string_equal(r.markets[market].key, cond);

    /* re-registering is idempotent (the gateway re-sends after reconnects) */
    uint32_t again;
    yes.tick = 10; /* ticks change at runtime and do not make it different */
    assert_int_equal(instrument_registry_add(&r, &yes, &again, err, sizeof err), 0);
    assert_int_equal(again, y);
    yes.qty_scale = 3;
    assert_int_equal(instrument_registry_add(&r, &yes, &again, err, sizeof err), -1);
    assert_non_null(strstr(err, "different definition"));
    /* a third outcome cannot join a binary market */
    struct instrument third = no;
    snprintf(third.symbol, sizeof third.symbol, "123");
    assert_int_equal(instrument_registry_add(&r, &third, &again, err, sizeof err), -1);
    assert_non_null(strstr(err, "already has two outcomes"));
    /* runtime updates */
    assert_int_equal(instrument_set_tick(&r, y, 10), 0);
    assert_int_equal(instrument_get(&r, y)->tick, 10);
    assert_int_equal(instrument_set_tick(&r, y, 10000), -1); /* 1.0 is no binary tick */
    assert_int_equal(instrument_set_usd_rate(&r, y, 0), -1);
    assert_int_equal(instrument_set_usd_rate(&r, 99, 1), -1);
    instrument_registry_free(&r);
}

static void test_binance_filters_from_fixture(void **state) {
    (void)state;
    json_t *info = load_fixture("binance/spot/http_json/notional_both.json");
    /* a symbol entry of exchangeInfo's symbols[] */
    json_t *sym = json_object_get(info, "symbols") ? json_array_get(json_object_get(info, "symbols"), 0)
                                                   : info;
    const char *tick = NULL, *step = NULL, *min_qty = NULL, *min_notional = NULL;
    size_t i;
    json_t *flt;
    json_array_foreach(json_object_get(sym, "filters"), i, flt) {
        const char *type = json_string_value(json_object_get(flt, "filterType"));
        if (strcmp(type, "PRICE_FILTER") == 0) tick = json_string_value(json_object_get(flt, "tickSize"));
        if (strcmp(type, "LOT_SIZE") == 0) {
            step = json_string_value(json_object_get(flt, "stepSize"));
            min_qty = json_string_value(json_object_get(flt, "minQty"));
        }
        if (strcmp(type, "NOTIONAL") == 0)
            min_notional = json_string_value(json_object_get(flt, "minNotional"));
    }
    assert_non_null(tick);
    assert_non_null(step);
    assert_non_null(min_notional);
    json_t *spec = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s}", "venue", "binance",
                             "kind", "spot", "symbol", json_string_value(json_object_get(sym, "symbol")),
                             "price_scale", 2, "qty_scale", 4, "tick", tick, "lot", step, "min_qty",
                             min_qty, "min_notional", min_notional, "quote_ccy", "USDT");
    struct instrument in;
    char err[256];
    if (instrument_from_json(spec, "instrument", &in, err, sizeof err) != 0) fail_msg("%s", err);
    assert_string_equal(in.symbol, "ETHUSDT");
    assert_int_equal(in.tick, 1);
    assert_int_equal(in.lot, 1);
    assert_int_equal(in.min_notional, 2345678912LL);
    assert_int_equal(in.usd_rate, 100000000);
    struct instrument_registry r;
    assert_int_equal(instrument_registry_init(&r, 2), 0);
    uint32_t id;
    assert_int_equal(instrument_registry_add(&r, &in, &id, err, sizeof err), 0);
    assert_string_equal(r.items[id].market_key, "ETHUSDT");
    json_decref(spec);
    json_decref(info);
    instrument_registry_free(&r);
}

static void test_registry_capacity_and_many_lookups(void **state) {
    (void)state;
    struct instrument_registry r;
    assert_int_equal(instrument_registry_init(&r, 1000), 0);
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = VENUE_IBKR;
    in.kind = INSTRUMENT_STOCK;
    in.price_scale = 2;
    in.tick = 1;
    in.lot = 1;
    in.usd_rate = 100000000;
    snprintf(in.quote_ccy, sizeof in.quote_ccy, "USD");
    char err[256];
    uint32_t id;
    for (int k = 0; k < 1000; k++) {
        snprintf(in.symbol, sizeof in.symbol, "S%05d", k);
        assert_int_equal(instrument_registry_add(&r, &in, &id, err, sizeof err), 0);
        assert_int_equal(id, (uint32_t)k);
    }
    const struct instrument *first = instrument_get(&r, 0);
    snprintf(in.symbol, sizeof in.symbol, "FULL");
    assert_int_equal(instrument_registry_add(&r, &in, &id, err, sizeof err), -1);
    assert_non_null(strstr(err, "registry is full"));
    for (int k = 999; k >= 0; k--) {
        char s[16];
        snprintf(s, sizeof s, "S%05d", k);
        uint32_t got;
        assert_int_equal(instrument_find(&r, VENUE_IBKR, s, strlen(s), &got), 0);
        assert_int_equal(got, (uint32_t)k);
    }
    assert_ptr_equal(first, instrument_get(&r, 0)); /* no reallocation */
    assert_null(instrument_get(&r, 1000));
    instrument_registry_free(&r);
}

static void expect_instrument_error(const char *text, const char *want) {
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    struct instrument in;
    char err[256] = "";
    assert_int_equal(instrument_from_json(j, "instruments[3]", &in, err, sizeof err), -1);
    if (strstr(err, want) == NULL) fail_msg("error \"%s\" lacks \"%s\"", err, want);
    json_decref(j);
}

static void test_instrument_json_errors(void **state) {
    (void)state;
    expect_instrument_error(
        "{\"venue\":\"binance\",\"kind\":\"spot\",\"symbol\":\"X\",\"price_scale\":2,\"qty_scale\":2,"
        "\"tick\":\"0.01\",\"lot\":\"0.01\",\"colour\":1}",
        "instruments[3].colour: unknown key");
    expect_instrument_error(
        "{\"venue\":\"binance\",\"kind\":\"spot\",\"symbol\":\"X\",\"price_scale\":2,\"qty_scale\":2,"
        "\"tick\":0.01,\"lot\":\"0.01\"}",
        "instruments[3].tick: expected a decimal string or integer, got a real number");
    expect_instrument_error(
        "{\"venue\":\"kraken\",\"kind\":\"spot\",\"symbol\":\"X\",\"price_scale\":2,\"qty_scale\":2,"
        "\"tick\":\"0.01\",\"lot\":\"0.01\"}",
        "instruments[3].venue: \"kraken\" is not one of: paper, binance, ibkr, polymarket");
    expect_instrument_error(
        "{\"venue\":\"polymarket\",\"kind\":\"binary\",\"symbol\":\"1\",\"price_scale\":2,"
        "\"qty_scale\":2,\"tick\":\"0.01\",\"lot\":\"0.01\"}",
        "instruments[3].market: required key is missing");
    expect_instrument_error(
        "{\"venue\":\"binance\",\"kind\":\"spot\",\"symbol\":\"X\",\"price_scale\":2,\"qty_scale\":2,"
        "\"tick\":\"0.001\",\"lot\":\"0.01\"}",
        "instruments[3].tick: \"0.001\": more decimals than the scale allows");
    expect_instrument_error(
        "{\"venue\":\"binance\",\"kind\":\"spot\",\"symbol\":\"X\",\"price_scale\":\"2\","
        "\"qty_scale\":2,\"tick\":\"0.01\",\"lot\":\"0.01\"}",
        "instruments[3].price_scale: expected an integer, got a string");
    expect_instrument_error(
        "{\"venue\":\"binance\",\"kind\":\"spot\",\"symbol\":\"X\",\"price_scale\":2,\"qty_scale\":2,"
        "\"tick\":\"0\",\"lot\":\"0.01\"}",
        "instruments[3].tick: 0 is out of range");
    expect_instrument_error("[1]", "instruments[3]: expected an object, got an array");
}

static void test_json_strict_readers(void **state) {
    (void)state;
    json_t *o = json_loads("{\"n\":5,\"b\":true,\"s\":\"abc\",\"d\":\"10.50\",\"i\":10,"
                           "\"r\":10.5,\"e\":\"halted\",\"z\":null}",
                           0, NULL);
    assert_non_null(o);
    char err[256];
    int64_t n = -1;
    bool present = true;
    assert_int_equal(js_get_int(o, "cfg", "n", JS_REQUIRED, 0, 10, &n, &present, err, sizeof err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(js_get_int(o, "cfg", "n", JS_REQUIRED, 0, 4, &n, NULL, err, sizeof err), -1);
    assert_string_equal(err, "cfg.n: 5 is out of range [0, 4]");
    assert_int_equal(js_get_int(o, "cfg", "missing", JS_OPTIONAL, 0, 4, &n, &present, err, sizeof err), 0);
    assert_false(present);
    assert_int_equal(n, 5);
    assert_int_equal(js_get_int(o, "cfg", "z", JS_OPTIONAL, 0, 4, &n, &present, err, sizeof err), 0);
    assert_false(present);
    assert_int_equal(js_get_int(o, "cfg", "missing", JS_REQUIRED, 0, 4, &n, NULL, err, sizeof err), -1);
    assert_string_equal(err, "cfg.missing: required key is missing");
    bool b = false;
    assert_int_equal(js_get_bool(o, "cfg", "b", JS_REQUIRED, &b, NULL, err, sizeof err), 0);
    assert_true(b);
    assert_int_equal(js_get_bool(o, "cfg", "n", JS_REQUIRED, &b, NULL, err, sizeof err), -1);
    assert_string_equal(err, "cfg.n: expected true or false, got an integer");
    char s[4];
    assert_int_equal(js_get_string(o, "", "s", JS_REQUIRED, false, s, sizeof s, NULL, err, sizeof err), 0);
    assert_string_equal(s, "abc");
    char tiny[3];
    assert_int_equal(js_get_string(o, "", "s", JS_REQUIRED, false, tiny, sizeof tiny, NULL, err, sizeof err), -1);
    assert_string_equal(err, "s: longer than 2 characters");
    int64_t d = 0;
    assert_int_equal(js_get_decimal(o, "risk.global", "d", JS_REQUIRED, 8, 0, INT64_MAX, &d, NULL, err, sizeof err), 0);
    assert_int_equal(d, 1050000000);
    assert_int_equal(js_get_decimal(o, "risk.global", "i", JS_REQUIRED, 8, 0, INT64_MAX, &d, NULL, err, sizeof err), 0);
    assert_int_equal(d, 1000000000);
    assert_int_equal(js_get_decimal(o, "risk.venues.binance", "r", JS_REQUIRED, 8, 0, INT64_MAX, &d, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "risk.venues.binance.r: expected a decimal string or integer, got a real number"));
    assert_int_equal(js_get_decimal(o, "x", "b", JS_REQUIRED, 8, 0, INT64_MAX, &d, NULL, err, sizeof err), -1);
    assert_string_equal(err, "x.b: expected a decimal string or integer, got a boolean");
    assert_int_equal(js_get_decimal(o, "x", "d", JS_REQUIRED, 8, 0, 1000000000, &d, NULL, err, sizeof err), -1);
    assert_string_equal(err, "x.d: 10.5 is out of range [0, 10]");
    static const char *const states[] = {"active", "reducing", "halted"};
    int e = -1;
    assert_int_equal(js_get_enum(o, "x", "e", JS_REQUIRED, states, 3, &e, NULL, err, sizeof err), 0);
    assert_int_equal(e, 2);
    static const char *const allowed[] = {"n", "b", "s", "d", "i", "r", "e", NULL};
    assert_int_equal(js_check_object(o, "cfg", allowed, err, sizeof err), -1);
    assert_string_equal(err, "cfg.z: unknown key");
    const json_t *sub = NULL;
    assert_int_equal(js_get_object(o, "cfg", "s", JS_REQUIRED, &sub, NULL, err, sizeof err), -1);
    assert_string_equal(err, "cfg.s: expected an object, got a string");
    json_decref(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_pair_linked),
        cmocka_unit_test(test_binance_filters_from_fixture),
        cmocka_unit_test(test_registry_capacity_and_many_lookups),
        cmocka_unit_test(test_instrument_json_errors),
        cmocka_unit_test(test_json_strict_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
