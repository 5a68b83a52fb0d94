/* test_risk_states.c -- trading states, their reasons and events, and the
 * limits that act through states: daily loss (and its UTC reset), drawdown,
 * position stop, consecutive-loss breaker, operator and kill. */
#include "test_risk_fixture.h"

static void sell_filled(struct fx *f, uint32_t id, const char *price, const char *qty,
                        const char *trade) {
    uint64_t res;
    assert_int_equal(chk(f, id, RISK_SELL, price, qty, &res), RISK_OK);
    fill(f, res, id, RISK_SELL, trade, price, qty);
}

static int gstate(struct fx *f) { return risk_scope_state(f->e, RISK_SCOPE_GLOBAL, 0); }

static void test_daily_loss_and_utc_reset(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.global.max_daily_loss = usd("10");
    lim.position_stop = RISK_UNLIMITED;
    lim.global.max_positions = 3;
    lim.daily_reset_ms = 6 * 3600 * 1000; /* 06:00 UTC */
    struct fx f;
    fx_init(&f, &lim);
    buy_filled(&f, f.yes1, "0.50", "20", "t1");
    mark(&f, f.yes1, "0"); /* unrealized -10.00: AT the limit */
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_DAILY_LOSS, RISK_SCOPE_GLOBAL, 0, &bound), usd("10"));
    assert_int_equal(bound, usd("10"));
    drain_events(&f, 0, -1);

    buy_filled(&f, f.yes2, "0.50", "5", "t2");
    mark(&f, f.yes2, "0.49"); /* one tick more: 10.05 */
    assert_int_equal(gstate(&f), RISK_REDUCING);
    struct risk_event ev;
    assert_int_equal(risk_next_event(f.e, &ev), 1);
    assert_int_equal(ev.type, RISK_EV_LIMIT_BREACH);
    assert_int_equal(ev.code, RISK_R_DAILY_LOSS);
    assert_non_null(strstr(ev.text, "DAILY_LOSS: global daily loss 10.05 USD > limit 10.00 USD"));
    assert_int_equal(risk_next_event(f.e, &ev), 1);
    assert_int_equal(ev.type, RISK_EV_STATE);
    assert_int_equal(ev.code, RISK_REASON_DAILY_LOSS);
    assert_int_equal(ev.old_state, RISK_ACTIVE);
    assert_int_equal(ev.new_state, RISK_REDUCING);

    assert_int_equal(chk(&f, f.yes3, RISK_BUY, "0.50", "5", NULL), RISK_R_DAILY_LOSS);
    assert_reason_has(&f, "global is REDUCING (DAILY_LOSS)");
    assert_int_equal(chk(&f, f.yes2, RISK_SELL, "0.49", "5", NULL), RISK_OK);
    /* an operator cannot lift a daily-loss hold */
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_OPERATOR,
                                    "resume", f.now),
                     0);
    assert_int_equal(gstate(&f), RISK_REDUCING);

    /* T0 is 12:00 UTC: the reset is at 06:00 the next day */
    f.now = T0 + 18 * 3600 * SEC - 1;
    assert_int_equal(risk_tick(f.e, f.now), 0);
    assert_int_equal(gstate(&f), RISK_REDUCING);
    drain_events(&f, 0, -1);
    f.now += 1;
    assert_int_equal(risk_tick(f.e, f.now), 0);
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    assert_int_equal(drain_events(&f, RISK_EV_DAILY_RESET, -1), 1);
    assert_int_equal(usage(&f, RISK_R_DAILY_LOSS, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    int64_t daily;
    assert_int_equal(risk_pnl(f.e, RISK_SCOPE_GLOBAL, 0, NULL, NULL, &daily, NULL), 0);
    assert_int_equal(daily, 0);
    mark(&f, f.yes3, "0.50");
    assert_int_equal(chk(&f, f.yes3, RISK_BUY, "0.50", "5", NULL), RISK_OK);
    fx_free(&f);
}

static void test_daily_reset_event(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL); /* reset at 00:00 UTC */
    drain_events(&f, 0, -1);
    f.now = T0 + 12 * 3600 * SEC - 1; /* 23:59:59.999999999 */
    risk_tick(f.e, f.now);
    assert_int_equal(drain_events(&f, RISK_EV_DAILY_RESET, -1), 0);
    f.now += 1;
    risk_tick(f.e, f.now);
    assert_int_equal(drain_events(&f, RISK_EV_DAILY_RESET, -1), 1);
    f.now += 3600 * SEC;
    risk_tick(f.e, f.now);
    assert_int_equal(drain_events(&f, RISK_EV_DAILY_RESET, -1), 0);
    fx_free(&f);
}

static void test_venue_daily_loss(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.venue[VENUE_POLYMARKET].scope.max_daily_loss = usd("2");
    lim.position_stop = RISK_UNLIMITED;
    struct fx f;
    fx_init(&f, &lim);
    buy_filled(&f, f.yes1, "0.50", "20", "t1");
    mark(&f, f.yes1, "0.40"); /* -2.00: AT */
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_VENUE, VENUE_POLYMARKET), RISK_ACTIVE);
    mark(&f, f.yes1, "0.39");
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_VENUE, VENUE_POLYMARKET), RISK_REDUCING);
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "5", NULL), RISK_R_DAILY_LOSS);
    assert_reason_has(&f, "venue polymarket is REDUCING (DAILY_LOSS)");
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_OK);
    fx_free(&f);
}

static void test_drawdown(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.max_drawdown_bps = 1000; /* 10% of 100 = 10.00 */
    lim.global.max_daily_loss = usd("50");
    lim.position_stop = RISK_UNLIMITED;
    struct fx f;
    fx_init(&f, &lim);
    uint64_t open;
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", &open), RISK_OK);
    buy_filled(&f, f.yes1, "0.50", "20", "t1");
    mark(&f, f.yes1, "0");
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_DRAWDOWN, RISK_SCOPE_GLOBAL, 0, &bound), usd("10"));
    assert_int_equal(bound, usd("10"));
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    buy_filled(&f, f.btc, "50000", "0.0001", "t2");
    mark(&f, f.btc, "49999.99"); /* 0.000001 more */
    assert_int_equal(gstate(&f), RISK_HALTED);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_R_DRAWDOWN);
    assert_reason_has(&f, "global is HALTED (DRAWDOWN): no new orders");
    /* cancels always pass */
    assert_int_equal(risk_on_cancel(f.e, open, 0, f.now), 0);
    /* an operator resume re-bases the peak */
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_OPERATOR,
                                    "acknowledged", f.now),
                     0);
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    assert_int_equal(usage(&f, RISK_R_DRAWDOWN, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_OK);
    fx_free(&f);
}

static void test_position_stop(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL); /* stop at -3.00 */
    buy_filled(&f, f.yes1, "0.50", "20", "t1");
    drain_events(&f, 0, -1);
    mark(&f, f.yes1, "0.36"); /* -2.80 */
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_MARKET, f.m1), RISK_ACTIVE);
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_POSITION_STOP, RISK_SCOPE_MARKET, f.m1, &bound), usd("2.8"));
    assert_int_equal(bound, usd("3"));
    mark(&f, f.yes1, "0.35"); /* -3.00: the stop */
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_MARKET, f.m1), RISK_REDUCING);
    struct risk_event ev;
    assert_int_equal(risk_next_event(f.e, &ev), 1);
    assert_int_equal(ev.type, RISK_EV_POSITION_STOP);
    assert_int_equal(ev.scope, RISK_SCOPE_MARKET);
    assert_int_equal(ev.scope_index, f.m1);
    assert_non_null(strstr(ev.text, "position PnL -3.00 USD <= stop -3.00 USD"));
    assert_int_equal(risk_next_event(f.e, &ev), 1);
    assert_int_equal(ev.type, RISK_EV_STATE);
    assert_int_equal(ev.code, RISK_REASON_POSITION_STOP);

    mark(&f, f.no1, "0.65");
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.35", "5", NULL), RISK_R_POSITION_STOP);
    assert_reason_has(&f, "is REDUCING (POSITION_STOP)");
    /* buying the complement does not raise the worst case: passes */
    uint64_t hedge;
    assert_int_equal(chk(&f, f.no1, RISK_BUY, "0.65", "5", &hedge), RISK_OK);
    /* ...but one that buys past the pair raises the worst case and is
     * blocked: now C = 10 + 3.25 = 13.25, Y = 20, N = 5, worst 8.25; with
     * 25 NO more @ 0.65, C = 29.50, N = 30, worst 29.50 - 20 = 9.50 */
    assert_int_equal(chk(&f, f.no1, RISK_BUY, "0.65", "25", NULL), RISK_R_POSITION_STOP);
    assert_int_equal(risk_on_cancel(f.e, hedge, 0, f.now), 0);
    /* other markets trade normally */
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "5", NULL), RISK_OK);
    /* exiting passes, and once flat the market is ACTIVE again */
    sell_filled(&f, f.yes1, "0.35", "20", "t2");
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_MARKET, f.m1), RISK_ACTIVE);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.35", "5", NULL), RISK_OK);
    /* the closed trip's loss does not count against the next one */
    mark(&f, f.yes1, "0.35");
    assert_int_equal(risk_scope_state(f.e, RISK_SCOPE_MARKET, f.m1), RISK_ACTIVE);
    assert_int_equal(usage(&f, RISK_R_POSITION_STOP, RISK_SCOPE_MARKET, f.m1, NULL), 0);
    fx_free(&f);
}

static void test_loss_breaker(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO); /* 3 losses, 30 min, REDUCING */
    struct fx f;
    fx_init(&f, &lim);
    char t[16];
    int n = 0;
    /* two losers and a winner: no trip */
    for (int i = 0; i < 2; i++) {
        snprintf(t, sizeof t, "t%d", n++);
        buy_filled(&f, f.yes1, "0.50", "10", t);
        snprintf(t, sizeof t, "t%d", n++);
        sell_filled(&f, f.yes1, "0.49", "10", t);
    }
    snprintf(t, sizeof t, "t%d", n++);
    buy_filled(&f, f.yes1, "0.50", "10", t);
    snprintf(t, sizeof t, "t%d", n++);
    sell_filled(&f, f.yes1, "0.51", "10", t);
    assert_int_equal(usage(&f, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    for (int i = 0; i < 2; i++) {
        snprintf(t, sizeof t, "t%d", n++);
        buy_filled(&f, f.yes1, "0.50", "10", t);
        snprintf(t, sizeof t, "t%d", n++);
        sell_filled(&f, f.yes1, "0.49", "10", t);
    }
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, &bound), 2);
    assert_int_equal(bound, 3);
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    drain_events(&f, 0, -1);
    snprintf(t, sizeof t, "t%d", n++);
    buy_filled(&f, f.yes1, "0.50", "10", t);
    snprintf(t, sizeof t, "t%d", n++);
    sell_filled(&f, f.yes1, "0.49", "10", t);
    assert_int_equal(gstate(&f), RISK_REDUCING);
    assert_int_equal(drain_events(&f, RISK_EV_LIMIT_BREACH, RISK_R_LOSS_BREAKER), 1);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "5", NULL), RISK_R_LOSS_BREAKER);
    assert_reason_has(&f, "global is REDUCING (LOSS_BREAKER)");
    f.now += 30 * 60 * SEC - 1;
    risk_tick(f.e, f.now);
    assert_int_equal(gstate(&f), RISK_REDUCING);
    f.now += 1;
    risk_tick(f.e, f.now);
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    fx_free(&f);
}

/* A fill through zero (long -> short -> long) closes a round trip each
 * time: three losing flips trip the breaker just as three closes do. */
static void test_loss_breaker_counts_flips(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO); /* 3 losses, 30 min, REDUCING */
    lim.venue[VENUE_BINANCE].stale_mark_ms = 0;
    struct fx f;
    fx_init(&f, &lim);
    buy_filled(&f, f.btc, "50000", "0.0001", "f1");
    sell_filled(&f, f.btc, "49990", "0.0002", "f2"); /* long closed at a loss, short opened */
    assert_int_equal(usage(&f, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, NULL), 1);
    buy_filled(&f, f.btc, "50000", "0.0002", "f3");  /* short closed at a loss, long opened */
    assert_int_equal(usage(&f, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, NULL), 2);
    assert_int_equal(gstate(&f), RISK_ACTIVE);
    drain_events(&f, 0, -1);
    sell_filled(&f, f.btc, "49990", "0.0002", "f4");
    assert_int_equal(gstate(&f), RISK_REDUCING);
    assert_int_equal(drain_events(&f, RISK_EV_LIMIT_BREACH, RISK_R_LOSS_BREAKER), 1);
    /* a winning flip resets the streak instead */
    fx_free(&f);
    fx_init(&f, &lim);
    buy_filled(&f, f.btc, "50000", "0.0001", "g1");
    sell_filled(&f, f.btc, "49990", "0.0002", "g2");
    assert_int_equal(usage(&f, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, NULL), 1);
    buy_filled(&f, f.btc, "49980", "0.0002", "g3");
    assert_int_equal(usage(&f, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    fx_free(&f);
}

static void test_operator_kill_connection(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    buy_filled(&f, f.yes1, "0.50", "10", "t1");
    drain_events(&f, 0, -1);
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_VENUE, VENUE_POLYMARKET, RISK_REDUCING,
                                    RISK_REASON_OPERATOR, "manual", f.now),
                     0);
    struct risk_event ev;
    assert_int_equal(risk_next_event(f.e, &ev), 1);
    assert_int_equal(ev.type, RISK_EV_STATE);
    assert_int_equal(ev.scope, RISK_SCOPE_VENUE);
    assert_int_equal(ev.scope_index, VENUE_POLYMARKET);
    assert_int_equal(ev.code, RISK_REASON_OPERATOR);
    assert_string_equal(ev.text, "venue polymarket ACTIVE -> REDUCING: OPERATOR: manual");
    assert_int_equal(risk_effective_state(f.e, f.yes1), RISK_REDUCING);
    assert_int_equal(risk_effective_state(f.e, f.btc), RISK_ACTIVE);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "5", NULL), RISK_R_REDUCE_ONLY);
    assert_reason_has(&f, "REDUCE_ONLY: venue polymarket is REDUCING (OPERATOR): order would increase exposure");
    uint64_t exit_order;
    assert_int_equal(chk(&f, f.yes1, RISK_SELL, "0.50", "10", &exit_order), RISK_OK);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_OK);

    assert_int_equal(risk_kill(f.e, "touch .kill_switch", f.now), 0);
    assert_int_equal(risk_effective_state(f.e, f.btc), RISK_HALTED);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_HALTED);
    assert_reason_has(&f, "HALTED: global is HALTED (KILL): no new orders");
    /* cancels always pass; even exits are held while HALTED */
    assert_int_equal(risk_on_cancel(f.e, exit_order, 0, f.now), 0);
    assert_int_equal(chk(&f, f.yes1, RISK_SELL, "0.50", "5", NULL), RISK_R_HALTED);
    assert_int_equal(drain_events(&f, RISK_EV_STATE, RISK_REASON_KILL), 1);

    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_OPERATOR,
                                    NULL, f.now),
                     0);
    assert_int_equal(risk_effective_state(f.e, f.btc), RISK_ACTIVE);
    assert_int_equal(risk_effective_state(f.e, f.yes1), RISK_REDUCING);

    /* a stale connection's hold is not the operator's to lift */
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_VENUE, VENUE_BINANCE, RISK_HALTED,
                                    RISK_REASON_CONNECTION, "market ws silent 5 s", f.now),
                     0);
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_VENUE, VENUE_BINANCE, RISK_ACTIVE,
                                    RISK_REASON_OPERATOR, NULL, f.now),
                     0);
    assert_int_equal(risk_effective_state(f.e, f.btc), RISK_HALTED);
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_VENUE, VENUE_BINANCE, RISK_ACTIVE,
                                    RISK_REASON_CONNECTION, "reconnected", f.now),
                     0);
    assert_int_equal(risk_effective_state(f.e, f.btc), RISK_ACTIVE);
    /* two holds: the state is the strictest, lifting one leaves the other */
    risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_REDUCING, RISK_REASON_RECONCILE, NULL, f.now);
    risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_HALTED, RISK_REASON_KILL, NULL, f.now);
    risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_KILL, NULL, f.now);
    assert_int_equal(gstate(&f), RISK_REDUCING);
    assert_int_equal(risk_set_state(f.e, 9, 0, RISK_HALTED, RISK_REASON_KILL, NULL, f.now),
                     RISK_E_INVALID);
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_MARKET, 999, RISK_HALTED, RISK_REASON_KILL,
                                    NULL, f.now),
                     RISK_E_INVALID);
    assert_int_equal(risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, 3, RISK_REASON_KILL, NULL, f.now),
                     RISK_E_INVALID);
    fx_free(&f);
}

static void test_reducing_linear(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    buy_filled(&f, f.btc, "50000", "0.0002", "t1");
    risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_REDUCING, RISK_REASON_OPERATOR, NULL, f.now);
    uint64_t a;
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", &a), RISK_OK);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_OK);
    /* a third sell would flip the position short */
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_R_REDUCE_ONLY);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_REDUCE_ONLY);
    /* the reduce-only flag applies in ACTIVE too */
    risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_OPERATOR, NULL, f.now);
    uint64_t r;
    assert_int_equal(risk_check(f.e, f.btc, RISK_BUY, px(&f, f.btc, "50000"), qt(&f, f.btc, "0.0001"),
                                RISK_ORDER_REDUCE_ONLY, f.now, &r, f.reason, sizeof f.reason),
                     RISK_R_REDUCE_ONLY);
    assert_int_equal(risk_on_cancel(f.e, a, 0, f.now), 0);
    assert_int_equal(risk_check(f.e, f.btc, RISK_SELL, px(&f, f.btc, "50000"),
                                qt(&f, f.btc, "0.0001"), RISK_ORDER_REDUCE_ONLY, f.now, &r, NULL, 0),
                     RISK_OK);
    fx_free(&f);
}

static void test_event_queue_bounded(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    for (int i = 0; i < 200; i++) {
        risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_HALTED, RISK_REASON_KILL, NULL, f.now + i);
        risk_set_state(f.e, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_KILL, NULL, f.now + i);
    }
    assert_int_equal(risk_events_dropped(f.e), 400 - RISK_EVENT_QUEUE_CAP);
    struct risk_event ev, last;
    int n = 0;
    uint64_t prev = 0;
    while (risk_next_event(f.e, &ev)) {
        assert_true(ev.seq > prev);
        prev = ev.seq;
        last = ev;
        n++;
    }
    assert_int_equal(n, RISK_EVENT_QUEUE_CAP);
    assert_int_equal(last.seq, 400);
    assert_int_equal(last.new_state, RISK_ACTIVE);
    fx_free(&f);
}

static void test_status_text(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    buy_filled(&f, f.yes1, "0.50", "10", "t1");
    char buf[8192];
    size_t n = risk_format_status(f.e, f.now, buf, sizeof buf);
    assert_true(n > 0 && n < sizeof buf);
    assert_non_null(strstr(buf, "MAX_EXPOSURE"));
    assert_non_null(strstr(buf, "5.00 / 40.00 USD"));
    assert_non_null(strstr(buf, "market polymarket:" COND1 " ACTIVE"));
    /* truncation is safe */
    char small[16];
    size_t m = risk_format_status(f.e, f.now, small, sizeof small);
    assert_true(m < sizeof small);
    assert_int_equal(strlen(small), m);
    fx_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily_loss_and_utc_reset),
        cmocka_unit_test(test_daily_reset_event),
        cmocka_unit_test(test_venue_daily_loss),
        cmocka_unit_test(test_drawdown),
        cmocka_unit_test(test_position_stop),
        cmocka_unit_test(test_loss_breaker),
        cmocka_unit_test(test_loss_breaker_counts_flips),
        cmocka_unit_test(test_operator_kill_connection),
        cmocka_unit_test(test_reducing_linear),
        cmocka_unit_test(test_event_queue_bounded),
        cmocka_unit_test(test_status_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
