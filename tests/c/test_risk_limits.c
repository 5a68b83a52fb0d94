/* test_risk_limits.c -- every pre-trade limit passes AT its bound and
 * rejects one tick or one lot past it; open orders count and are released. */
#include "test_risk_fixture.h"

static void test_max_order_notional(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t res;
    /* micro: $10 per order. 0.0002 BTC @ 50000 = 10.00 USD exactly. */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0002", &res), RISK_OK);
    assert_int_equal(risk_on_cancel(f.e, res, 0, f.now), 0);
    /* one lot past: 0.00021 BTC = 10.50 USD */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.00021", NULL), RISK_R_MAX_ORDER_NOTIONAL);
    assert_reason_has(&f, "MAX_ORDER_NOTIONAL: global order BTCUSDT notional 10.50 USD > limit 10.00 USD");
    /* one tick past: 50000.01 * 0.0002 = 10.000002 USD */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000.01", "0.0002", NULL), RISK_R_MAX_ORDER_NOTIONAL);
    fx_free(&f);
}

static void test_max_order_notional_market_override(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.n_markets = 1;
    lim.markets[0].venue = VENUE_POLYMARKET;
    snprintf(lim.markets[0].key, sizeof lim.markets[0].key, "0xmarket2");
    lim.markets[0].max_order_notional = usd("2");
    lim.markets[0].max_position = usd("4");
    struct fx f;
    fx_init(&f, &lim);
    uint64_t res;
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.40", "5", &res), RISK_OK); /* 2.00 */
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.40", "5.01", NULL), RISK_R_MAX_ORDER_NOTIONAL);
    assert_reason_has(&f, "market order");
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.40", "5", NULL), RISK_OK); /* 4.00 total */
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.40", "5", NULL), RISK_R_MAX_POSITION);
    assert_reason_has(&f, "market limit 4.00 USD");
    /* other markets keep the global bound */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", NULL), RISK_OK);
    fx_free(&f);
}

static void test_max_position_binary(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t a, b;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "10", &a), RISK_OK); /* 5.00 */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "10", &b), RISK_OK); /* 10.00: AT */
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, &bound), usd("10"));
    assert_int_equal(bound, usd("10"));
    assert_int_equal(risk_on_cancel(f.e, b, 0, f.now), 0);
    /* one tick past: 5.00 + 10 @ 0.51 = 10.10 */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.51", "10", NULL), RISK_R_MAX_POSITION);
    assert_reason_has(&f, "MAX_POSITION: market " COND1 " worst-case 10.10 USD > global limit 10.00 USD");
    /* one lot past: 5.00 + 10.01 @ 0.50 = 10.005 */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "10.01", NULL), RISK_R_MAX_POSITION);
    assert_reason_has(&f, "10.005 USD");
    /* the NO side of the same market counts against the same market */
    assert_int_equal(chk(&f, f.no1, RISK_BUY, "0.50", "10.01", NULL), RISK_OK);
    fx_free(&f);
}

static void test_max_position_linear_open_sells(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    /* hold 0.0002 BTC bought at 50000 = 10.00 */
    buy_filled(&f, f.btc, "50000", "0.0002", "t1");
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET,
                           risk_instruments(f.e)->items[f.btc].market, NULL),
                     usd("10"));
    /* selling what is held cannot lose: exposure unchanged, passes */
    uint64_t s1;
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0002", &s1), RISK_OK);
    /* a sell beyond the holding would open a short: 0.0002 short @ 50000 = 10.00
     * is AT the bound (the long side is also 10.00) */
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0002", NULL), RISK_OK);
    /* one tick past: a short of 0.0002 sold at 49999.99 is worth less than
     * at the mark, but the short side counts the higher of proceeds and
     * mark, and 0.0003 short (min notional is 5 USDT) is 15.00 */
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_R_MAX_POSITION);
    assert_reason_has(&f, "worst-case 15.00 USD");
    fx_free(&f);

    /* a held short is valued at the higher of its proceeds and the mark */
    fx_init(&f, NULL);
    uint64_t s2;
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0002", &s2), RISK_OK);
    fill(&f, s2, f.btc, RISK_SELL, "t9", "50000", "0.0002");
    uint32_t m = risk_instruments(f.e)->items[f.btc].market;
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, m, NULL), usd("10"));
    mark(&f, f.btc, "50500");
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, m, NULL), usd("10.10"));
    /* buying back is reducing and passes even above the limit */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50500", "0.0001", NULL), RISK_OK);
    fx_free(&f);
}

static void test_max_positions(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t a;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "5", &a), RISK_OK);
    buy_filled(&f, f.yes2, "0.50", "5", "t1"); /* held position */
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_MAX_POSITIONS, RISK_SCOPE_GLOBAL, 0, &bound), 2);
    assert_int_equal(bound, 2);
    assert_int_equal(chk(&f, f.yes3, RISK_BUY, "0.50", "5", NULL), RISK_R_MAX_POSITIONS);
    assert_reason_has(&f, "global positions 3 > limit 2");
    /* more in an already open market is fine */
    assert_int_equal(chk(&f, f.no1, RISK_BUY, "0.50", "5", NULL), RISK_OK);
    /* the market with only open orders frees its slot when they go */
    assert_int_equal(risk_on_cancel(f.e, a, 0, f.now), 0);
    assert_int_equal(chk(&f, f.yes3, RISK_BUY, "0.50", "5", NULL), RISK_R_MAX_POSITIONS);
    fx_free(&f);
}

static void test_max_positions_released(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t a, b;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "5", &a), RISK_OK);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "5", &b), RISK_OK);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_MAX_POSITIONS);
    assert_int_equal(risk_on_reject(f.e, b, f.now), 0);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_OK);
    fx_free(&f);
}

static void test_max_exposure_global_and_venue(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.global.max_positions = 10;
    lim.global.max_exposure = usd("25");
    struct fx f;
    fx_init(&f, &lim);
    uint64_t c;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", NULL), RISK_OK);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "20", NULL), RISK_OK);
    assert_int_equal(chk(&f, f.yes3, RISK_BUY, "0.50", "10", &c), RISK_OK); /* 25.00: AT */
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_MAX_EXPOSURE, RISK_SCOPE_GLOBAL, 0, &bound), usd("25"));
    assert_int_equal(bound, usd("25"));
    assert_int_equal(risk_on_cancel(f.e, c, 0, f.now), 0);
    assert_int_equal(chk(&f, f.yes3, RISK_BUY, "0.51", "10", NULL), RISK_R_MAX_EXPOSURE);
    assert_reason_has(&f, "MAX_EXPOSURE: global exposure 25.10 USD > limit 25.00 USD");
    fx_free(&f);

    lim.global.max_exposure = usd("40");
    lim.venue[VENUE_POLYMARKET].scope.max_exposure = usd("15");
    fx_init(&f, &lim);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", NULL), RISK_OK);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "10", &c), RISK_OK); /* venue 15.00 */
    assert_int_equal(usage(&f, RISK_R_MAX_EXPOSURE, RISK_SCOPE_VENUE, VENUE_POLYMARKET, &bound),
                     usd("15"));
    assert_int_equal(risk_on_cancel(f.e, c, 0, f.now), 0);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.50", "10.01", NULL), RISK_R_MAX_EXPOSURE);
    assert_reason_has(&f, "venue polymarket exposure 15.005 USD > limit 15.00 USD");
    /* another venue is not limited by the polymarket bound */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0002", NULL), RISK_OK);
    fx_free(&f);
}

static void test_open_orders_released_on_fill(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t a;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "20", &a), RISK_OK); /* 10.00 open */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "5", NULL), RISK_R_MAX_POSITION);
    /* half fills at a better price: 10 @ 0.40 held (4.00) + 10 open @ 0.50 (5.00) */
    fill(&f, a, f.yes1, RISK_BUY, "t1", "0.40", "10");
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("9"));
    int64_t q, obq;
    assert_int_equal(risk_position(f.e, f.yes1, &q, NULL, &obq, NULL, NULL, NULL), 0);
    assert_int_equal(q, qt(&f, f.yes1, "10"));
    assert_int_equal(obq, qt(&f, f.yes1, "10"));
    /* exactly 1.00 of room left (min qty is 5 shares): 5 @ 0.45 is too much */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.45", "5", NULL), RISK_R_MAX_POSITION);
    uint64_t b;
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.20", "5", &b), RISK_OK); /* 10.00 AT */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.01", "5", NULL), RISK_R_MAX_POSITION);
    fill(&f, a, f.yes1, RISK_BUY, "t2", "0.50", "10");
    assert_int_equal(risk_open_reservations(f.e), 1);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("10"));
    assert_int_equal(risk_on_cancel(f.e, b, 1, f.now), 0);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("9"));
    assert_int_equal(risk_open_reservations(f.e), 0);
    fx_free(&f);
}

static void test_yes_no_pair_nets_out(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    buy_filled(&f, f.yes1, "0.50", "20", "t1"); /* 10.00 at risk */
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("10"));
    /* buying the complement locks the pair: worst case falls to 0 */
    uint64_t r;
    assert_int_equal(chk(&f, f.no1, RISK_BUY, "0.50", "20", &r), RISK_OK);
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), 0);
    fill(&f, r, f.no1, RISK_BUY, "t2", "0.45", "20");
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), 0);
    assert_int_equal(usage(&f, RISK_R_MAX_EXPOSURE, RISK_SCOPE_GLOBAL, 0, NULL), 0);
    /* paying 0.45 for NO after 0.50 for YES locks in 20 * 0.05 = 1.00 of profit;
     * unpaired shares are at risk again: */
    buy_filled(&f, f.yes1, "0.55", "10", "t3");
    /* Y = 30, N = 20, C = 10 + 9 + 5.5 = 24.5, worst case 24.5 - 20 = 4.50 */
    assert_int_equal(usage(&f, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, f.m1, NULL), usd("4.5"));
    fx_free(&f);
}

static void test_order_validity(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.global.max_order_notional = usd("100");
    lim.global.max_position = usd("100");
    struct fx f;
    fx_init(&f, &lim);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.505", "5", NULL), RISK_R_TICK);
    assert_reason_has(&f, "price 0.505 is not a multiple of tick 0.01");
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.51", "5", NULL), RISK_OK);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "4.99", NULL), RISK_R_MIN_QTY);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "0", NULL), RISK_R_BAD_QTY);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "1", "5", NULL), RISK_R_BAD_PRICE);
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0", "5", NULL), RISK_R_BAD_PRICE);
    assert_int_equal(chk(&f, f.yes1, RISK_SELL, "0.50", "5", NULL), RISK_R_NO_SHORT);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.000105", NULL), RISK_R_LOT);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.00011", NULL), RISK_OK);
    /* ETHUSDT NOTIONAL min 23.45678912: 0.0117 @ 2000 = 23.40 < min, 0.0118 = 23.60 */
    assert_int_equal(chk(&f, f.eth, RISK_BUY, "2000", "0.0117", NULL), RISK_R_MIN_NOTIONAL);
    assert_reason_has(&f, "notional 23.4 USDT < minimum 23.45678912 USDT");
    assert_int_equal(chk(&f, f.eth, RISK_BUY, "2000", "0.0118", NULL), RISK_R_MAX_POSITIONS);
    uint64_t unused;
    assert_int_equal(risk_check(f.e, 999, RISK_BUY, 1, 1, 0, f.now, &unused, f.reason, sizeof f.reason),
                     RISK_R_UNKNOWN_INSTRUMENT);
    assert_int_equal(risk_check(f.e, f.yes1, 7, 500, 500, 0, f.now, &unused, NULL, 0), RISK_R_BAD_SIDE);
    fx_free(&f);
}

static void test_min_notional_exact_boundary(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.global.max_order_notional = usd("100");
    lim.global.max_position = usd("100");
    struct fx f;
    fx_init(&f, &lim);
    mark(&f, f.eth, "2345.67");
    /* 0.01 @ 2345.67 = 23.4567 < 23.45678912; one tick up 2345.68 -> 23.4568 passes */
    assert_int_equal(chk(&f, f.eth, RISK_BUY, "2345.67", "0.01", NULL), RISK_R_MIN_NOTIONAL);
    assert_int_equal(chk(&f, f.eth, RISK_BUY, "2345.68", "0.01", NULL), RISK_OK);
    fx_free(&f);
}

static void test_price_collar(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    /* binance collar 200 bps of mark 50000 = 1000 */
    uint64_t r;
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "51000", "0.0001", &r), RISK_OK);
    risk_on_cancel(f.e, r, 0, f.now);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "51000.01", "0.0001", NULL), RISK_R_PRICE_COLLAR);
    assert_reason_has(&f, "buy 51000.01 > collar 51000 (mark 50000, 200 bps)");
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "49000", "0.0002", &r), RISK_OK);
    risk_on_cancel(f.e, r, 0, f.now);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "48999.99", "0.0002", NULL), RISK_R_PRICE_COLLAR);
    /* passive prices far from the mark only rest: not a fat finger */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "40000", "0.0002", NULL), RISK_OK);
    /* binaries: 1000 bps of 0.50 = 0.05, at least 5 ticks = 0.05 */
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.55", "5", &r), RISK_OK);
    risk_on_cancel(f.e, r, 0, f.now);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.56", "5", NULL), RISK_R_PRICE_COLLAR);
    fx_free(&f);
}

static void test_stale_and_missing_mark(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    uint64_t r;
    f.now = T0 + 5000 * MS; /* binance stale_mark_ms 5000: AT the bound */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", &r), RISK_OK);
    risk_on_cancel(f.e, r, 0, f.now);
    f.now += 1;
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_STALE_MARK);
    assert_reason_has(&f, "BTCUSDT mark is 5000 ms old > limit 5000 ms");
    mark(&f, f.btc, "50000");
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", &r), RISK_OK);
    risk_on_cancel(f.e, r, 0, f.now);
    /* a held position can still be exited when its mark goes stale, and
     * the exit is collared against the last mark (binance 200 bps) */
    buy_filled(&f, f.btc, "50000", "0.00011", "s1");
    f.now += 5000 * MS + 1;
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_STALE_MARK);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "49000", "0.00022", NULL), RISK_R_STALE_MARK);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "48999.99", "0.00011", NULL), RISK_R_PRICE_COLLAR);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "49000", "0.00011", NULL), RISK_OK);
    fx_free(&f);

    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.venue[VENUE_POLYMARKET].require_mark = false;
    fx_init(&f, &lim);
    uint32_t yes4, no4;
    add_binary(&f, "2001", "0xnomark", &yes4);
    add_binary(&f, "2002", "0xnomark", &no4);
    uint32_t aapl;
    add_linear(&f, VENUE_IBKR, INSTRUMENT_STOCK, "AAPL", 2, "0.01", 0, "1", "1", "0", "USD", "1",
               &aapl);
    assert_int_equal(chk(&f, aapl, RISK_BUY, "5", "1", NULL), RISK_R_NO_MARK);
    assert_reason_has(&f, "AAPL has no mark price");
    assert_int_equal(chk(&f, yes4, RISK_BUY, "0.50", "5", NULL), RISK_OK);
    fx_free(&f);
}

/* A Polymarket tick_size_change arrives as the same instrument registered
 * again with a finer tick: the engine takes it (same id), and a price on
 * the new grid passes tick conformance. */
static void test_reregister_changes_tick(void **state) {
    (void)state;
    struct fx f;
    fx_init(&f, NULL);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.505", "5", NULL), RISK_R_TICK);
    struct instrument in = *instrument_get(risk_instruments(f.e), f.yes2);
    in.tick = 1; /* 0.001 */
    uint32_t id = 0;
    char err[256];
    assert_int_equal(risk_add_instrument(f.e, &in, &id, err, sizeof err), 0);
    assert_int_equal(id, f.yes2);
    assert_int_equal(instrument_get(risk_instruments(f.e), f.yes2)->tick, 1);
    assert_int_equal(chk(&f, f.yes2, RISK_BUY, "0.505", "5", NULL), RISK_OK);
    /* anything else different is still a conflict */
    in.lot = 2;
    assert_int_not_equal(risk_add_instrument(f.e, &in, &id, err, sizeof err), 0);
    fx_free(&f);
}

static void test_order_rate(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.venue[VENUE_BINANCE].max_orders = 3;
    lim.venue[VENUE_BINANCE].order_window_ms = 1000;
    lim.venue[VENUE_BINANCE].stale_mark_ms = 0;
    struct fx f;
    fx_init(&f, &lim);
    uint64_t r;
    for (int i = 0; i < 3; i++) {
        f.now = T0 + i * MS;
        assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", &r), RISK_OK);
        risk_on_cancel(f.e, r, 1, f.now);
    }
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_ORDER_RATE, RISK_SCOPE_VENUE, VENUE_BINANCE, &bound), 3);
    assert_int_equal(bound, 3);
    f.now = T0 + 999 * MS;
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_ORDER_RATE);
    assert_reason_has(&f, "venue binance orders 4 in 1000 ms > limit 3");
    /* other venues have their own window */
    assert_int_equal(chk(&f, f.yes1, RISK_BUY, "0.50", "5", NULL), RISK_OK);
    f.now = T0 + 1000 * MS; /* the first order left the window */
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_OK);
    assert_int_equal(chk(&f, f.btc, RISK_BUY, "50000", "0.0001", NULL), RISK_R_ORDER_RATE);
    fx_free(&f);
}

static void test_cancel_fill_ratio(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    lim.venue[VENUE_BINANCE].max_cancel_fill_x100 = 200; /* 2 cancels per fill */
    lim.venue[VENUE_BINANCE].cancel_fill_min_sample = 4;
    struct fx f;
    fx_init(&f, &lim);
    buy_filled(&f, f.btc, "50000", "0.0001", "t1");
    buy_filled(&f, f.btc, "50000", "0.0001", "t2");
    uint64_t r;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", &r), RISK_OK);
        assert_int_equal(risk_on_cancel(f.e, r, 0, f.now), 0);
    }
    /* 4 cancels / 2 fills = 2.00: AT the bound */
    int64_t bound;
    assert_int_equal(usage(&f, RISK_R_CANCEL_FILL_RATIO, RISK_SCOPE_VENUE, VENUE_BINANCE, &bound), 200);
    assert_int_equal(bound, 200);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", &r), RISK_OK);
    /* expiries do not count as cancels */
    assert_int_equal(risk_on_cancel(f.e, r, 1, f.now), 0);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", &r), RISK_OK);
    assert_int_equal(risk_on_cancel(f.e, r, 0, f.now), 0);
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_R_CANCEL_FILL_RATIO);
    assert_reason_has(&f, "venue binance 5 cancels / 2 fills > ratio 2 in 600000 ms");
    /* the window slides: ten minutes later the history is gone */
    f.now += 600 * SEC + 20 * SEC;
    mark(&f, f.btc, "50000");
    assert_int_equal(chk(&f, f.btc, RISK_SELL, "50000", "0.0001", NULL), RISK_OK);
    fx_free(&f);
}

static void test_capacity(void **state) {
    (void)state;
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_MICRO);
    struct risk_engine *e = risk_engine_create(&lim, 4, 2);
    assert_non_null(e);
    char err[256];
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = VENUE_PAPER;
    in.kind = INSTRUMENT_SPOT;
    in.price_scale = 2;
    in.qty_scale = 0;
    in.tick = 1;
    in.lot = 1;
    in.usd_rate = 100000000;
    snprintf(in.symbol, sizeof in.symbol, "X");
    snprintf(in.quote_ccy, sizeof in.quote_ccy, "USD");
    uint32_t id;
    assert_int_equal(risk_add_instrument(e, &in, &id, err, sizeof err), 0);
    assert_int_equal(risk_mark(e, id, 100, T0), 0);
    uint64_t r1, r2, r3;
    assert_int_equal(risk_check(e, id, RISK_BUY, 100, 1, 0, T0, &r1, NULL, 0), RISK_OK);
    assert_int_equal(risk_check(e, id, RISK_BUY, 100, 1, 0, T0, &r2, NULL, 0), RISK_OK);
    assert_int_equal(risk_check(e, id, RISK_BUY, 100, 1, 0, T0, &r3, err, sizeof err), RISK_R_CAPACITY);
    assert_int_equal(risk_on_cancel(e, r1, 0, T0), 0);
    assert_int_equal(risk_check(e, id, RISK_BUY, 100, 1, 0, T0, &r3, NULL, 0), RISK_OK);
    assert_true(r3 > r2);
    risk_engine_destroy(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_order_notional),
        cmocka_unit_test(test_max_order_notional_market_override),
        cmocka_unit_test(test_max_position_binary),
        cmocka_unit_test(test_max_position_linear_open_sells),
        cmocka_unit_test(test_max_positions),
        cmocka_unit_test(test_max_positions_released),
        cmocka_unit_test(test_max_exposure_global_and_venue),
        cmocka_unit_test(test_open_orders_released_on_fill),
        cmocka_unit_test(test_yes_no_pair_nets_out),
        cmocka_unit_test(test_order_validity),
        cmocka_unit_test(test_min_notional_exact_boundary),
        cmocka_unit_test(test_price_collar),
        cmocka_unit_test(test_stale_and_missing_mark),
        cmocka_unit_test(test_reregister_changes_tick),
        cmocka_unit_test(test_order_rate),
        cmocka_unit_test(test_cancel_fill_ratio),
        cmocka_unit_test(test_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
