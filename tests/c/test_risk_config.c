/* test_risk_config.c -- risk limits from JSON: profiles, overrides, and
 * errors that name the bad key's full path. */
#include "test_risk_fixture.h"

static int parse(const char *text, struct risk_limits *out, char *err, size_t errlen) {
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) fail_msg("test JSON invalid: %s", je.text);
    int rc = risk_limits_from_json(j, out, err, errlen);
    json_decref(j);
    return rc;
}

static void expect_error(const char *text, const char *want) {
    struct risk_limits l;
    char err[256] = "";
    assert_int_equal(parse(text, &l, err, sizeof err), -1);
    if (strstr(err, want) == NULL) fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_defaults_are_micro(void **state) {
    (void)state;
    struct risk_limits l;
    char err[256];
    assert_int_equal(parse("{}", &l, err, sizeof err), 0);
    assert_int_equal(l.profile, RISK_PROFILE_MICRO);
    assert_int_equal(l.global.max_position, usd("10"));
    assert_int_equal(l.global.max_positions, 2);
    assert_int_equal(l.global.max_exposure, usd("40"));
    assert_int_equal(l.global.max_daily_loss, usd("20"));
    assert_int_equal(l.position_stop, usd("3"));
    assert_int_equal(l.venue[VENUE_POLYMARKET].max_orders, 3000);
    assert_int_equal(l.venue[VENUE_POLYMARKET].order_window_ms, 600000);
    assert_int_equal(parse("{\"profile\":\"wide\"}", &l, err, sizeof err), 0);
    assert_int_equal(l.global.max_daily_loss, usd("50"));
}

static void test_full_document(void **state) {
    (void)state;
    const char *doc =
        "{\"profile\":\"micro\","
        " \"global\":{\"max_order_notional_usd\":\"7.5\",\"max_position_usd\":8,"
        "   \"max_positions\":3,\"max_exposure_usd\":\"30\",\"max_daily_loss_usd\":\"12.25\","
        "   \"starting_capital_usd\":\"250\",\"max_drawdown_pct\":\"12.5\","
        "   \"position_stop_usd\":\"2.5\",\"daily_reset_utc\":\"21:30\","
        "   \"loss_breaker\":{\"losses\":4,\"cooldown_s\":600,\"state\":\"halted\"}},"
        " \"venues\":{\"polymarket\":{\"orders_per_window\":2500,\"order_window_ms\":600000,"
        "   \"max_exposure_usd\":\"20\",\"max_cancel_fill_ratio\":\"25.5\","
        "   \"cancel_fill_window_ms\":60000,\"cancel_fill_min_sample\":10,"
        "   \"price_collar_bps\":800,\"price_collar_min_ticks\":3,\"stale_mark_ms\":15000,"
        "   \"require_mark\":false},"
        "   \"binance\":{\"max_order_notional_usd\":\"5\"}},"
        " \"markets\":[{\"venue\":\"polymarket\",\"market\":\"0xabc\",\"max_position_usd\":\"3\"}]}";
    struct risk_limits l;
    char err[256];
    if (parse(doc, &l, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(l.global.max_order_notional, usd("7.5"));
    assert_int_equal(l.global.max_position, usd("8"));
    assert_int_equal(l.global.max_positions, 3);
    assert_int_equal(l.global.max_daily_loss, usd("12.25"));
    assert_int_equal(l.starting_capital, usd("250"));
    assert_int_equal(l.max_drawdown_bps, 1250);
    assert_int_equal(l.daily_reset_ms, (21 * 3600 + 30 * 60) * 1000LL);
    assert_int_equal(l.breaker_losses, 4);
    assert_int_equal(l.breaker_cooldown_ms, 600000);
    assert_int_equal(l.breaker_state, RISK_HALTED);
    const struct risk_venue_limits *pm = &l.venue[VENUE_POLYMARKET];
    assert_int_equal(pm->max_orders, 2500);
    assert_int_equal(pm->scope.max_exposure, usd("20"));
    assert_int_equal(pm->max_cancel_fill_x100, 2550);
    assert_int_equal(pm->price_collar_bps, 800);
    assert_false(pm->require_mark);
    assert_int_equal(l.venue[VENUE_BINANCE].scope.max_order_notional, usd("5"));
    assert_int_equal(l.venue[VENUE_BINANCE].scope.max_exposure, RISK_UNLIMITED);
    assert_int_equal(l.n_markets, 1);
    assert_string_equal(l.markets[0].key, "0xabc");
    assert_int_equal(l.markets[0].max_position, usd("3"));
    assert_int_equal(l.markets[0].max_order_notional, RISK_UNLIMITED);

    /* the same text through the flat entry point used by Python */
    struct risk_engine *e = risk_engine_create_json(doc, 8, 8, err, sizeof err);
    assert_non_null(e);
    assert_int_equal(risk_get_limits(e)->global.max_positions, 3);
    uint32_t id;
    assert_int_equal(risk_add_instrument_json(
                         e,
                         "{\"venue\":\"polymarket\",\"kind\":\"binary\",\"symbol\":\"1\","
                         "\"market\":\"0xabc\",\"price_scale\":3,\"qty_scale\":2,\"tick\":\"0.01\","
                         "\"lot\":\"0.01\",\"min_qty\":\"5\",\"quote_ccy\":\"USDC\"}",
                         &id, err, sizeof err),
                     0);
    int64_t v, b;
    assert_int_equal(risk_usage(e, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, 0, T0, &v, &b), 0);
    assert_int_equal(b, usd("3")); /* the override applies to the new market */
    assert_int_equal(risk_add_instrument_json(e, "{\"venue\":\"x\"}", &id, err, sizeof err), -1);
    assert_non_null(strstr(err, "instrument.venue"));
    assert_int_equal(risk_add_instrument_json(e, "{nope", &id, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid JSON"));
    risk_engine_destroy(e);
    assert_null(risk_engine_create_json("{\"global\":{\"max_positions\":-1}}", 8, 8, err, sizeof err));
    assert_non_null(strstr(err, "risk.global.max_positions: -1 is out of range"));
}

static void test_errors_name_the_key(void **state) {
    (void)state;
    expect_error("{\"venues\":{\"binance\":{\"max_order_notional_usd\":10.5}}}",
                 "risk.venues.binance.max_order_notional_usd: expected a decimal string or integer");
    expect_error("{\"global\":{\"max_exposure_uds\":\"40\"}}", "risk.global.max_exposure_uds: unknown key");
    expect_error("{\"venues\":{\"kraken\":{}}}", "risk.venues.kraken: unknown key");
    expect_error("{\"venues\":{\"ibkr\":{\"require_mark\":1}}}",
                 "risk.venues.ibkr.require_mark: expected true or false, got an integer");
    expect_error("{\"profile\":\"huge\"}", "risk.profile: \"huge\" is not one of: micro, wide");
    expect_error("{\"global\":{\"daily_reset_utc\":\"24:00\"}}",
                 "risk.global.daily_reset_utc: expected \"HH:MM\" or \"HH:MM:SS\" (UTC), got \"24:00\"");
    expect_error("{\"global\":{\"daily_reset_utc\":\"7:00\"}}", "risk.global.daily_reset_utc");
    expect_error("{\"global\":{\"loss_breaker\":{\"state\":\"active\"}}}",
                 "risk.global.loss_breaker.state: must be \"reducing\" or \"halted\"");
    expect_error("{\"global\":{\"loss_breaker\":{\"cooldown\":5}}}",
                 "risk.global.loss_breaker.cooldown: unknown key");
    expect_error("{\"global\":{\"max_drawdown_pct\":\"100.01\"}}",
                 "risk.global.max_drawdown_pct: 100.01 is out of range [0, 100]");
    expect_error("{\"global\":{\"max_position_usd\":\"1.000000001\"}}",
                 "risk.global.max_position_usd: \"1.000000001\": more decimals than the scale allows");
    expect_error("{\"global\":{\"max_position_usd\":\"-1\"}}", "risk.global.max_position_usd: -1 is out of range");
    expect_error("{\"markets\":[{\"venue\":\"polymarket\"}]}", "risk.markets[0].market: required key is missing");
    expect_error("{\"markets\":{}}", "risk.markets: expected an array");
    expect_error("{\"venues\":{\"polymarket\":{\"orders_per_window\":100001}}}",
                 "risk.venues.polymarket.orders_per_window: 100001 is out of range");
    expect_error("[]", "risk: expected an object, got an array");
}

static void test_set_limits_at_runtime(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", NULL), RISK_OK);
    struct risk_limits l = *risk_get_limits(f.e);
    l.global.max_position = usd("5");
    l.venue[VENUE_BINANCE].max_orders = 1;
    assert_int_equal(risk_set_limits(f.e, &l), 0);
    /* the open order stays; new increases see the new bound */
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("10"));
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "5", NULL), RISK_R_MAX_POSITION);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_OK);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_R_ORDER_RATE);
    l.breaker_state = RISK_ACTIVE;
    assert_int_equal(risk_set_limits(f.e, &l), -1);
    fx_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_micro),
        cmocka_unit_test(test_full_document),
        cmocka_unit_test(test_errors_name_the_key),
        cmocka_unit_test(test_set_limits_at_runtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
