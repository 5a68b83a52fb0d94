/* test_risk_book.c -- reservations, fills, positions, PnL, resolution,
 * duplicate fills and journal replay. */
#include "test_risk_fixture.h"

static void test_duplicate_fill_ignored(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t r;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", &r), RISK_OK);
    fill(&f, r, f.yes1, RISK_BUY, "trade-1", "0.50", "10");
    assert_int_equal(risk_on_fill(f.e, r, f.yes1, RISK_BUY, "trade-1", qt(&f, f.yes1, "10"),
                                  px(&f, f.yes1, "0.50"), 0, 1, f.now),
                     RISK_FILL_DUPLICATE);
    int64_t q, obq;
    risk_position(f.e, f.yes1, &q, NULL, &obq, NULL, NULL, NULL);
    assert_int_equal(q, qt(&f, f.yes1, "10"));
    assert_int_equal(obq, qt(&f, f.yes1, "10"));
    /* the same trade id on another venue is a different trade */
    uint64_t b;
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", &b), RISK_OK);
    fill(&f, b, f.btc, RISK_BUY, "trade-1", "50000", "0.0001");
    /* bad input is refused and books nothing */
    assert_int_equal(risk_on_fill(f.e, r, f.yes1, RISK_BUY, "", 1, 1, 0, 0, f.now), RISK_E_INVALID);
    assert_int_equal(risk_on_fill(f.e, r, f.no1, RISK_BUY, "x", 1, 1, 0, 0, f.now), RISK_E_INVALID);
    assert_int_equal(risk_on_fill(f.e, r, f.yes1, RISK_BUY, "x", 0, 1, 0, 0, f.now), RISK_E_INVALID);
    assert_int_equal(risk_on_cancel(f.e, 424242, 0, f.now), RISK_E_UNKNOWN_RESERVATION);
    fx_free(&f);
}

static void test_partial_fills_release_proportionally(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t r;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", &r), RISK_OK);
    assert_int_equal(risk_on_ack(f.e, r, "0xvenueorder"), 0);
    fill(&f, r, f.yes1, RISK_BUY, "a", "0.50", "7");
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("10"));
    fill(&f, r, f.yes1, RISK_BUY, "b", "0.49", "7"); /* better price: less cost */
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("9.93"));
    assert_int_equal(risk_open_reservations(f.e), 1);
    fill(&f, r, f.yes1, RISK_BUY, "c", "0.50", "6");
    assert_int_equal(risk_open_reservations(f.e), 0);
    int64_t q, cost, obq;
    risk_position(f.e, f.yes1, &q, &cost, &obq, NULL, NULL, NULL);
    assert_int_equal(q, qt(&f, f.yes1, "20"));
    assert_int_equal(obq, 0);
    assert_int_equal(cost, usd("9.93")); /* quote scale 8 == USD scale for USDC */
    assert_int_equal(risk_on_cancel(f.e, r, 0, f.now), RISK_E_UNKNOWN_RESERVATION);
    fx_free(&f);
}

static void test_overfill_and_unknown_reservation(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t r;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "10", &r), RISK_OK);
    drain_events(&f, 0, -1);
    fill(&f, r, f.yes1, RISK_BUY, "a", "0.50", "12");
    assert_int_equal(risk_open_reservations(f.e), 0);
    assert_int_equal(drain_events(&f, RISK_EV_ANOMALY, -1), 1);
    /* a fill racing a cancel: the reservation is gone, the fill still books */
    fill(&f, r, f.yes1, RISK_BUY, "b", "0.50", "5");
    assert_int_equal(drain_events(&f, RISK_EV_ANOMALY, -1), 1);
    int64_t q;
    risk_position(f.e, f.yes1, &q, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(q, qt(&f, f.yes1, "17"));
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("8.5"));
    fx_free(&f);
}

static void test_realized_pnl_with_fees(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t r;
    int64_t fee1, fee2;
    money_parse_cstr("0.01", INSTRUMENT_QUOTE_SCALE, &fee1);
    money_parse_cstr("0.0102", INSTRUMENT_QUOTE_SCALE, &fee2);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0002", &r), RISK_OK);
    assert_int_equal(risk_on_fill(f.e, r, f.btc, RISK_BUY, "1", qt(&f, f.btc, "0.0002"),
                                  px(&f, f.btc, "50000"), fee1, 2, f.now),
                     0);
    mark(&f, f.btc, "51000");
    int64_t realized, unrealized, daily, fees;
    risk_pnl(f.e, RISK_SCOPE_GLOBAL, 0, &realized, &unrealized, &daily, &fees);
    assert_int_equal(realized, -usd("0.01"));
    assert_int_equal(unrealized, usd("0.2"));
    assert_int_equal(daily, usd("0.19"));
    /* sold in two halves (max order notional is 10.00), 0.0051 fee each */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(chk(&f, f.btc, RISK_SELL, "51000", "0.0001", &r), RISK_OK);
        assert_int_equal(risk_on_fill(f.e, r, f.btc, RISK_SELL, i ? "3" : "2",
                                      qt(&f, f.btc, "0.0001"), px(&f, f.btc, "51000"), fee2 / 2,
                                      1, f.now),
                         0);
    }
    risk_pnl(f.e, RISK_SCOPE_GLOBAL, 0, &realized, &unrealized, &daily, &fees);
    assert_int_equal(realized, usd("0.1798"));
    assert_int_equal(unrealized, 0);
    assert_int_equal(fees, usd("0.0202"));
    risk_pnl(f.e, RISK_SCOPE_VENUE, VENUE_BINANCE, &realized, NULL, NULL, NULL);
    assert_int_equal(realized, usd("0.1798"));
    risk_pnl(f.e, RISK_SCOPE_VENUE, VENUE_POLYMARKET, &realized, NULL, NULL, NULL);
    assert_int_equal(realized, 0);
    fx_free(&f);
}

static void test_partial_close_average_cost(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    buy_filled(&f, f.yes1, "0.40", "10", "a");
    mark(&f, f.yes1, "0.55");
    buy_filled(&f, f.yes1, "0.60", "10", "b"); /* avg 0.50 */
    uint64_t r;
    assert_int_equal(chk(&f, f.yes1, RISK_SELL, "0.55", "5", &r), RISK_OK);
    fill(&f, r, f.yes1, RISK_SELL, "c", "0.55", "5");
    int64_t q, cost, realized;
    risk_position(f.e, f.yes1, &q, &cost, NULL, NULL, &realized, NULL);
    assert_int_equal(q, qt(&f, f.yes1, "15"));
    assert_int_equal(cost, usd("7.5"));
    assert_int_equal(realized, usd("0.25"));
    fx_free(&f);
}

static void test_foreign_currency(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    mark(&f, f.sap, "5");
    buy_filled(&f, f.sap, "5", "1", "ib-1"); /* 5 EUR at 1.08 = 5.40 USD */
    uint32_t m = risk_instruments(f.e)->items[f.sap].market;
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, m, NULL), usd("5.4"));
    assert_int_equal(risk_set_usd_rate(f.e, f.sap, 110000000), 0);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, m, NULL), usd("5.5"));
    /* 2 EUR per share order notional at 1.10: 9 shares = 9.90 USD, 10 = 11.00 */
    assert_int_equal(chk(&f, f.sap, RISK_SELL, "5", "1", NULL), RISK_OK);
    mark(&f, f.sap, "6");
    int64_t unrealized;
    risk_pnl(f.e, RISK_SCOPE_VENUE, VENUE_IBKR, NULL, &unrealized, NULL, NULL);
    assert_int_equal(unrealized, usd("1.1"));
    assert_int_equal(risk_set_usd_rate(f.e, f.sap, 0), RISK_E_INVALID);
    fx_free(&f);
}

static void test_resolution(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    buy_filled(&f, f.yes1, "0.40", "10", "a"); /* 4.00 */
    buy_filled(&f, f.no1, "0.50", "10", "b");  /* 5.00: pair locked, C 9 - 10 => 0 */
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), 0);
    uint64_t open;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.40", "5", &open), RISK_OK);
    assert_int_equal(risk_resolve_market(f.e, f.m1, f.yes1, f.now), 0);
    int64_t realized, q;
    risk_pnl(f.e, RISK_SCOPE_MARKET, f.m1, &realized, NULL, NULL, NULL);
    assert_int_equal(realized, usd("1")); /* 10 * 1 - 4 - 5 */
    risk_position(f.e, f.no1, &q, NULL, NULL, NULL, &realized, NULL);
    assert_int_equal(q, 0);
    assert_int_equal(realized, -usd("5"));
    assert_int_equal(risk_open_reservations(f.e), 0);
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_MARKET, f.m1), RISK_HALTED);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.40", "5", NULL), RISK_R_RESOLVED);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITIONS, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    assert_int_equal(risk_resolve_market(f.e, f.m2, f.yes1, f.now), RISK_E_INVALID);
    fx_free(&f);
}

static void test_set_position_reconcile(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    assert_int_equal(risk_set_position(f.e, f.yes2, qt(&f, f.yes2, "8"), usd("4"), f.now), 0);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m2, NULL), usd("4"));
    assert_int_equal(usage(&f, RISK_R_MAX_POSITIONS, RISK_SCOPE_GLOBAL, 0, NULL), 1);
    assert_int_equal(risk_set_position(f.e, f.yes2, -1, 0, f.now), RISK_E_INVALID);
    assert_int_equal(risk_set_position(f.e, f.yes2, 0, usd("4"), f.now), 0);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITIONS, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    fx_free(&f);
}

/* One journaled step: a check (and its reservation), a fill, or a cancel. */
struct step {
    int kind; /* 0 check, 1 fill, 2 cancel */
    uint32_t instrument;
    int side;
    const char *price, *qty, *trade;
    int order; /* index of the check step whose reservation this refers to */
};

static void test_replay_reproduces_state(void **state) {
    (void)state;
    struct fx live, replay;
    fx_init(&live, NULL);
    fx_init(&replay, NULL);
    const struct step steps[] = {
        {0, live.yes1, RISK_BUY, "0.50", "20", NULL, 0},
        {1, live.yes1, RISK_BUY, "0.48", "8", "f1", 0},
        {0, live.btc, RISK_BUY, "50000", "0.0001", NULL, 2},
        {0, live.no1, RISK_BUY, "0.45", "10", NULL, 3},
        {2, 0, 0, NULL, NULL, NULL, 2},
        {1, live.no1, RISK_BUY, "0.45", "10", "f2", 3},
        {1, live.yes1, RISK_BUY, "0.50", "4", "f3", 0},
    };
    uint64_t ids[8] = {0};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step *s = &steps[i];
        if (s->kind == 0) {
            assert_int_equal(chk(&live, s->instrument, s->side, s->price, s->qty, &ids[i]), RISK_OK);
            /* the journal holds the accepted order; replay restores it */
            assert_int_equal(risk_restore_reservation(replay.e, ids[i], s->instrument, s->side,
                                                      px(&live, s->instrument, s->price),
                                                      qt(&live, s->instrument, s->qty), replay.now),
                             0);
        } else if (s->kind == 1) {
            fill(&live, ids[s->order], s->instrument, s->side, s->trade, s->price, s->qty);
            fill(&replay, ids[s->order], s->instrument, s->side, s->trade, s->price, s->qty);
        } else {
            assert_int_equal(risk_on_cancel(live.e, ids[s->order], 0, live.now), 0);
            assert_int_equal(risk_on_cancel(replay.e, ids[s->order], 0, replay.now), 0);
        }
    }
    const int limits[] = {RISK_R_MAX_EXPOSURE, RISK_R_MAX_POSITIONS, RISK_R_DAILY_LOSS,
                          RISK_R_DRAWDOWN, RISK_R_ORDER_RATE};
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        int scope = limits[k] == RISK_R_ORDER_RATE ? RISK_SCOPE_VENUE : RISK_SCOPE_GLOBAL;
        for (uint32_t v = 0; v < (scope == RISK_SCOPE_VENUE ? VENUE_COUNT : 1u); v++) {
            int64_t b1, b2;
            int64_t v1 = 0, v2 = 0;
            risk_usage(live.e, limits[k], scope, v, live.now, &v1, &b1);
            risk_usage(replay.e, limits[k], scope, v, replay.now, &v2, &b2);
            assert_int_equal(v1, v2);
        }
    }
    for (uint32_t m = 0; m < 3; m++) {
        uint32_t mk[3] = {live.m1, live.m2, live.m3};
        assert_int_equal(usage(&live, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, mk[m], NULL),
                         usage(&replay, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, mk[m], NULL));
    }
    assert_int_equal(risk_open_reservations(live.e), risk_open_reservations(replay.e));
    /* a replayed duplicate fill is ignored, a duplicate id refused */
    assert_int_equal(risk_on_fill(replay.e, ids[0], replay.yes1, RISK_BUY, "f1", 800, 480, 0, 0,
                                  replay.now),
                     RISK_FILL_DUPLICATE);
    assert_int_equal(risk_restore_reservation(replay.e, ids[0], replay.yes1, RISK_BUY, 500, 100,
                                              replay.now),
                     RISK_E_DUPLICATE_ID);
    /* new ids continue after the restored ones */
    uint64_t next;
    assert_int_equal(chk(&replay, replay.yes2, RISK_BUY, "0.50", "5", &next), RISK_OK);
    assert_true(next > ids[3]);
    fx_free(&live);
    fx_free(&replay);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_fill_ignored),
        cmocka_unit_test(test_partial_fills_release_proportionally),
        cmocka_unit_test(test_overfill_and_unknown_reservation),
        cmocka_unit_test(test_realized_pnl_with_fees),
        cmocka_unit_test(test_partial_close_average_cost),
        cmocka_unit_test(test_foreign_currency),
        cmocka_unit_test(test_resolution),
        cmocka_unit_test(test_set_position_reconcile),
        cmocka_unit_test(test_replay_reproduces_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
