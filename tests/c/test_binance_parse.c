/* test_binance_parse.c - the connector's JSON readers over every Binance
 * Spot fixture in ../shared/fixtures/binance/spot/ (docs examples and
 * captures), plus the filters they describe. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"
#include "venues/binance/bn_fastdepth.h"
#include "venues/binance/bn_filter.h"
#include "venues/binance/bn_parse.h"

static void fixture_path(char *out, size_t cap, const char *rel)
{
    const char *shared = getenv("SHARED_DIR");
    if (shared != NULL && *shared)
        snprintf(out, cap, "%s/fixtures/binance/spot/%s", shared, rel);
    else
        snprintf(out, cap, "%s/../shared/fixtures/binance/spot/%s", TRADER_SOURCE_DIR, rel);
}

static json_t *load(const char *rel)
{
    char path[1024];
    fixture_path(path, sizeof path, rel);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL)
        fail_msg("cannot load %s: %s", path, je.text);
    return j;
}

static int64_t dec(const char *s, unsigned scale)
{
    int64_t v = 0;
    assert_int_equal(money_parse_cstr(s, scale, &v), MONEY_OK);
    return v;
}

static void test_depth_snapshot(void **state)
{
    (void)state;
    json_t *j = load("market_data_json/spot_market_depth.json");
    struct bn_depth d;
    struct bn_level lv[64];
    assert_int_equal(bn_parse_depth(j, 2, 5, &d, lv, 64), 0);
    assert_true(d.first_id == 14527958487ULL && d.last_id == 14527958487ULL);
    assert_true(d.n_bids > 0 && d.n_asks > 0);
    assert_int_equal(lv[0].px, dec("60650", 2));
    assert_int_equal(lv[0].qty, dec("0.00213", 5));
    /* asks follow the bids; a book built from it is not crossed */
    assert_true(lv[d.n_bids].px > lv[0].px);
    /* too coarse a scale is refused, never rounded */
    assert_int_equal(bn_parse_depth(j, 2, 2, &d, lv, 64), -1);
    /* too small a buffer is refused */
    assert_int_equal(bn_parse_depth(j, 2, 5, &d, lv, 3), -1);
    json_decref(j);
}

static void test_depth_update(void **state)
{
    (void)state;
    /* No Spot depthUpdate fixture exists (research note 6): the docs shape. */
    const char *txt = "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\","
                      "\"E\":1700000000000,\"s\":\"BTCUSDT\",\"U\":157,\"u\":160,"
                      "\"b\":[[\"0.0024\",\"10\"]],\"a\":[[\"0.0026\",\"100\"],[\"0.0027\",\"0\"]]}}";
    json_t *j = json_loads(txt, 0, NULL);
    const json_t *ev = bn_event_body(j);
    assert_string_equal(bn_event_type(ev), "depthUpdate");
    struct bn_depth d;
    struct bn_level lv[8];
    assert_int_equal(bn_parse_depth(ev, 4, 0, &d, lv, 8), 0);
    assert_string_equal(d.symbol, "BTCUSDT");
    assert_true(d.first_id == 157 && d.last_id == 160);
    assert_int_equal(d.n_bids, 1);
    assert_int_equal(d.n_asks, 2);
    assert_int_equal(lv[2].qty, 0);
    json_decref(j);
}

/* The in-place scanner must read exactly what jansson reads, and hand
 * anything unusual back (UNHANDLED) rather than guess. */
static void test_fast_depth_matches_jansson(void **state)
{
    (void)state;
    static const char *const same[] = {
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1700000000000,"
        "\"s\":\"BTCUSDT\",\"U\":157,\"u\":160,\"b\":[[\"65000.01000000\",\"0.00400000\"]],"
        "\"a\":[[\"65001.30\",\"0.004\"],[\"65001.40\",\"0.00000000\"]]}}",
        /* raw stream, other key order, whitespace, empty bid list */
        "{ \"u\": 9, \"U\": 9, \"s\": \"ETHUSDT\", \"e\": \"depthUpdate\", \"E\": 5,\n"
        "  \"b\": [], \"a\": [ [ \"3200.5\", \"1.25\" ] ] }",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct bn_depth a, b;
        struct bn_level la[8], lb[8];
        char sym[BN_SYM_CAP];
        assert_int_equal(bn_fast_depth_symbol(same[i], strlen(same[i]), sym), BN_FAST_OK);
        assert_int_equal(bn_fast_depth(same[i], strlen(same[i]), 2, 5, &a, la, 8), BN_FAST_OK);
        json_t *j = json_loads(same[i], 0, NULL);
        assert_int_equal(bn_parse_depth(bn_event_body(j), 2, 5, &b, lb, 8), 0);
        json_decref(j);
        assert_string_equal(a.symbol, b.symbol);
        assert_string_equal(sym, b.symbol);
        assert_true(a.first_id == b.first_id && a.last_id == b.last_id);
        assert_int_equal(a.event_ms, b.event_ms);
        assert_int_equal(a.n_bids, b.n_bids);
        assert_int_equal(a.n_asks, b.n_asks);
        assert_memory_equal(la, lb, (size_t)(a.n_bids + a.n_asks) * sizeof la[0]);
    }
    static const char *const refused[] = {
        /* an extra key the scanner does not know */
        "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":1,\"T\":3,"
        "\"b\":[],\"a\":[]}",
        /* an escaped string */
        "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTC\\u0055SDT\",\"U\":1,\"u\":1,\"b\":[],\"a\":[]}",
        /* too much precision for the scale: refused, never rounded */
        "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":1,"
        "\"b\":[[\"1.001\",\"1\"]],\"a\":[]}",
        /* u < U, trailing garbage, another event */
        "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":5,\"u\":4,\"b\":[],\"a\":[]}",
        "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":1,\"b\":[],\"a\":[]}x",
        "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\"}",
        "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":1,\"b\":[[\"1\"]],\"a\":[]}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct bn_depth a;
        struct bn_level la[8];
        assert_int_equal(bn_fast_depth(refused[i], strlen(refused[i]), 2, 5, &a, la, 8),
                         BN_FAST_UNHANDLED);
    }
}

static void test_exec_reports(void **state)
{
    (void)state;
    struct bn_exec x;
    json_t *j = load("user_data_json/execution_report_new.json");
    assert_int_equal(bn_parse_exec(bn_event_body(j), 8, 8, &x), 0);
    assert_string_equal(x.exec_type, "NEW");
    assert_string_equal(x.cid, "x-TD67BGP9-T0000000000000");
    assert_int_equal(x.order_id, 12345678);
    assert_int_equal(x.trade_id, -1);
    assert_true(x.buy);
    assert_int_equal(x.px, dec("2500", 8));
    json_decref(j);

    j = load("user_data_json/execution_report_trade.json");
    assert_int_equal(bn_parse_exec(bn_event_body(j), 2, 4, &x), 0);
    assert_string_equal(x.exec_type, "TRADE");
    assert_string_equal(x.status, "FILLED");
    assert_true(x.trade_id > 0);
    assert_int_equal(x.last_qty, dec("1", 4));
    assert_int_equal(x.cum_qty, x.qty);
    assert_true(x.fee > 0);
    assert_true(x.fee_asset[0] != '\0');
    json_decref(j);

    j = load("user_data_json/execution_report_expired.json");
    assert_int_equal(bn_parse_exec(bn_event_body(j), 8, 8, &x), 0);
    assert_string_equal(x.exec_type, "EXPIRED");
    json_decref(j);

    j = load("user_data_json/execution_report_stop_loss.json");
    assert_int_equal(bn_parse_exec(bn_event_body(j), 8, 8, &x), 0);
    assert_string_equal(x.type, "STOP_LOSS_LIMIT");
    assert_false(x.buy);
    json_decref(j);

    /* the current {"subscriptionId","event"} envelope */
    j = load("user_data_json/execution_report_wrapped.json");
    const json_t *ev = bn_event_body(j);
    assert_ptr_not_equal(ev, j);
    assert_int_equal(bn_parse_exec(ev, 8, 8, &x), 0);
    assert_string_equal(x.symbol, "ETHBTC");
    assert_string_equal(x.cid, "mUvoqJxFIILMdfAW5iGSOW");
    assert_int_equal(x.fee_asset[0], '\0');   /* N is null before any trade */
    json_decref(j);
}

static void test_orders(void **state)
{
    (void)state;
    struct bn_order_info o;
    json_t *j = load("http_json/order_response.json");
    assert_int_equal(bn_parse_order(j, 8, 8, &o), 0);
    assert_string_equal(o.cid, "myOrder1");
    assert_string_equal(o.status, "NEW");
    assert_int_equal(o.order_id, 1);
    assert_int_equal(o.qty, dec("1", 8));
    json_decref(j);

    /* a cancel answer: the order's own id is origClientOrderId */
    j = load("http_json/cancel_order_response.json");
    assert_int_equal(bn_parse_order(j, 8, 8, &o), 0);
    assert_string_equal(o.cid, "myOrder1");
    assert_string_equal(o.status, "CANCELED");
    json_decref(j);

    j = load("http_json/new_order_full_response.json");
    assert_int_equal(bn_parse_order(j, 8, 8, &o), 0);
    assert_int_equal(o.order_id, 28);
    assert_string_equal(o.status, "FILLED");
    assert_int_equal(o.executed, dec("10", 8));
    assert_int_equal(o.time_ms, 1507725176595LL);
    json_decref(j);

    j = load("http_json/all_orders_response.json");
    size_t i;
    json_t *it;
    json_array_foreach(j, i, it)
        assert_int_equal(bn_parse_order(it, 8, 8, &o), 0);
    json_decref(j);

    /* DELETE openOrders: orders, then an OCO list entry that is not an order */
    j = load("http_json/cancel_open_orders_response.json");
    int orders = 0, lists = 0;
    json_array_foreach(j, i, it) {
        if (json_object_get(it, "orders") != NULL) {
            lists++;
            assert_int_equal(bn_parse_order(it, 8, 8, &o), -1);
        } else {
            assert_int_equal(bn_parse_order(it, 8, 8, &o), 0);
            assert_string_equal(o.status, "CANCELED");
            orders++;
        }
    }
    assert_int_equal(orders, 2);
    assert_int_equal(lists, 1);
    json_decref(j);
}

static void test_trades_and_balances(void **state)
{
    (void)state;
    json_t *j = load("http_json/account_trades_response.json");
    struct bn_trade t;
    assert_int_equal(bn_parse_trade(json_array_get(j, 0), 8, 8, &t), 0);
    assert_int_equal(t.id, 28457);
    assert_int_equal(t.order_id, 100234);
    assert_string_equal(t.fee_asset, "BNB");
    assert_int_equal(t.fee, dec("10.1", 8));
    assert_true(t.buyer);
    json_decref(j);
}

struct bal_seen { int n; int64_t first_free; char first[BN_ASSET_CAP]; };

static void on_bal(void *ctx, const struct bn_balance *b)
{
    struct bal_seen *s = ctx;
    if (s->n++ == 0) {
        s->first_free = b->free;
        snprintf(s->first, sizeof s->first, "%s", b->asset);
    }
}

static void test_balances(void **state)
{
    (void)state;
    struct bal_seen s = {0};
    json_t *j = load("http_json/account_response.json");
    assert_true(bn_parse_balances(j, on_bal, &s) > 0);
    assert_true(s.n > 0 && s.first[0] != '\0');
    json_decref(j);

    memset(&s, 0, sizeof s);
    j = load("user_data_json/account_position.json");
    assert_string_equal(bn_event_type(bn_event_body(j)), "outboundAccountPosition");
    assert_int_equal(bn_parse_balances(bn_event_body(j), on_bal, &s), 2);
    assert_string_equal(s.first, "USDT");
    assert_int_equal(s.first_free, dec("10000", 8));
    json_decref(j);

    memset(&s, 0, sizeof s);
    j = load("user_data_json/account_position_wrapped.json");
    assert_int_equal(bn_parse_balances(bn_event_body(j), on_bal, &s), 1);
    assert_string_equal(s.first, "ETH");
    json_decref(j);

    /* balanceUpdate: the connector only logs it; its delta is an amount */
    const char *names[] = {"user_data_json/balance_update.json",
                           "user_data_json/balance_update_wrapped.json"};
    for (int i = 0; i < 2; i++) {
        j = load(names[i]);
        const json_t *ev = bn_event_body(j);
        assert_string_equal(bn_event_type(ev), "balanceUpdate");
        int64_t d = 0;
        assert_int_equal(bn_get_amount(ev, "d", 8, &d), 0);
        assert_true(d > 0);
        json_decref(j);
    }
}

static void test_filters(void **state)
{
    (void)state;
    char err[256];
    struct bn_filters f;
    json_t *j = load("http_json/exchange_info_response.json");
    const json_t *sym = json_array_get(json_object_get(j, "symbols"), 0);
    assert_int_equal(bn_parse_symbol_filters(sym, 8, 8, &f, err, sizeof err), 0);
    assert_string_equal(f.base, "ETH");
    assert_string_equal(f.quote, "BTC");
    assert_true(f.trading);
    json_decref(j);

    j = load("http_json/notional_both.json");
    assert_int_equal(bn_parse_symbol_filters(j, 2, 4, &f, err, sizeof err), 0);
    assert_int_equal(f.tick, dec("0.01", 2));
    assert_int_equal(f.step, dec("0.0001", 4));
    /* both MIN_NOTIONAL and NOTIONAL: the larger minimum binds */
    assert_int_equal(f.min_notional, dec("23.45678912", 8));
    assert_int_equal(f.max_notional, dec("98.76543219", 8));
    f.trading = true;
    assert_int_equal(bn_filter_check(&f, dec("2000", 2), dec("0.02", 4), 2, 4, 0, err,
                                     sizeof err), 0);
    /* off the minPrice + k * tick grid (Binance: (price - minPrice) % tick) */
    f.tick = dec("0.05", 2);
    assert_int_equal(bn_filter_check(&f, dec("2000.02", 2), dec("0.02", 4), 2, 4, 0, err,
                                     sizeof err), -1);
    assert_non_null(strstr(err, "PRICE_FILTER"));
    f.tick = dec("0.01", 2);
    f.step = dec("0.0005", 4);      /* 0.0003 is off the 0.0001 + k*0.0005 grid */
    assert_int_equal(bn_filter_check(&f, dec("2000", 2), dec("0.0003", 4), 2, 4, 0, err,
                                     sizeof err), -1);
    f.step = dec("0.0001", 4);
    assert_non_null(strstr(err, "LOT_SIZE"));
    /* 2000 * 0.01 = 20 < 23.45678912 */
    assert_int_equal(bn_filter_check(&f, dec("2000", 2), dec("0.01", 4), 2, 4, 0, err,
                                     sizeof err), -1);
    assert_non_null(strstr(err, "NOTIONAL"));
    /* 2000 * 0.05 = 100 > 98.76543219 */
    assert_int_equal(bn_filter_check(&f, dec("2000", 2), dec("0.05", 4), 2, 4, 0, err,
                                     sizeof err), -1);
    json_decref(j);

    j = load("http_json/notional_min.json");
    assert_int_equal(bn_parse_symbol_filters(j, 2, 4, &f, err, sizeof err), 0);
    assert_int_equal(f.min_notional, dec("12.34567891", 8));
    assert_int_equal(f.max_notional, 0);
    json_decref(j);

    j = load("http_json/notional_range.json");
    assert_int_equal(bn_parse_symbol_filters(j, 2, 4, &f, err, sizeof err), 0);
    assert_int_equal(f.min_notional, dec("23.45678912", 8));
    /* a tick finer than the configured scale is a config error */
    assert_int_equal(bn_parse_symbol_filters(j, 1, 4, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "PRICE_FILTER"));
    json_decref(j);
}

static void test_errors_and_time(void **state)
{
    (void)state;
    json_t *j = load("http_json/server_time_response.json");
    assert_int_equal(json_integer_value(json_object_get(j, "serverTime")), 1499827319559LL);
    json_decref(j);
    j = json_loads("{\"code\":-2010,\"msg\":\"Order would immediately match and take.\"}", 0,
                   NULL);
    int code = 0;
    char msg[128];
    assert_int_equal(bn_parse_error(j, &code, msg, sizeof msg), 0);
    assert_int_equal(code, -2010);
    assert_string_equal(msg, "Order would immediately match and take.");
    json_decref(j);
}

/* Every file under spot/ must be one the test knows how to read: a new
 * fixture fails here until someone decides what reads it. */
static void test_every_fixture(void **state)
{
    (void)state;
    static const char *const dirs[] = {"http_json", "market_data_json", "user_data_json"};
    int seen = 0;
    for (int d = 0; d < 3; d++) {
        char path[1024];
        fixture_path(path, sizeof path, dirs[d]);
        DIR *dir = opendir(path);
        assert_non_null(dir);
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (strstr(de->d_name, ".json") == NULL)
                continue;
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], de->d_name);
            json_t *j = load(rel);
            /* arrays (klines, trade lists) have no envelope */
            const json_t *ev = json_is_array(j) ? j : bn_event_body(j);
            assert_non_null(ev);
            const char *e = bn_event_type(ev);
            const char *n = de->d_name;
            struct bn_exec x;
            struct bn_order_info o;
            struct bn_trade t;
            struct bn_depth dp;
            struct bn_level lv[256];
            struct bn_filters f;
            char err[256];
            if (strcmp(e, "executionReport") == 0) {
                assert_int_equal(bn_parse_exec(ev, 8, 8, &x), 0);
            } else if (strcmp(e, "outboundAccountPosition") == 0 ||
                       strcmp(n, "account_response.json") == 0) {
                struct bal_seen s = {0};
                assert_true(bn_parse_balances(ev, on_bal, &s) > 0);
            } else if (json_object_get(ev, "lastUpdateId") != NULL) {
                assert_int_equal(bn_parse_depth(ev, 8, 8, &dp, lv, 256), 0);
            } else if (strcmp(n, "account_trades_response.json") == 0) {
                assert_int_equal(bn_parse_trade(json_array_get(j, 0), 8, 8, &t), 0);
            } else if (strstr(n, "order") != NULL && json_is_object(j)) {
                assert_int_equal(bn_parse_order(j, 8, 8, &o), 0);
            } else if (strstr(n, "orders") != NULL) {
                assert_true(json_is_array(j));
            } else if (strncmp(n, "notional_", 9) == 0) {
                assert_int_equal(bn_parse_symbol_filters(j, 8, 8, &f, err, sizeof err), 0);
            } else if (strcmp(n, "exchange_info_response.json") == 0) {
                assert_true(json_is_array(json_object_get(j, "symbols")));
            } else if (strcmp(e, "balanceUpdate") == 0 || strcmp(e, "listStatus") == 0 ||
                       strcmp(e, "trade") == 0 || strcmp(e, "aggTrade") == 0 ||
                       strcmp(e, "24hrTicker") == 0) {
                /* events the connector recognises and does not consume */
                assert_non_null(json_object_get(ev, "E"));
            } else if (json_object_get(ev, "u") != NULL && json_object_get(ev, "b") != NULL) {
                assert_string_equal(n, "ws_spot_ticker_book.json");   /* bookTicker has no e */
            } else {
                /* REST market data the connector does not request */
                static const char *const known[] = {
                    "avg_price_response.json", "book_ticker_response.json",
                    "klines_response.json", "server_time_response.json",
                    "ticker_24hr_response.json", "ticker_price_response.json",
                    "trades_response.json", NULL};
                bool ok = false;
                for (int k = 0; known[k] != NULL; k++)
                    ok = ok || strcmp(n, known[k]) == 0;
                if (!ok)
                    fail_msg("fixture %s is read by nothing", rel);
            }
            json_decref(j);
            seen++;
        }
        closedir(dir);
    }
    assert_true(seen >= 33);       /* 18 http + 5 market + 10 user today */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_snapshot),  cmocka_unit_test(test_depth_update),
        cmocka_unit_test(test_fast_depth_matches_jansson),
        cmocka_unit_test(test_exec_reports),    cmocka_unit_test(test_orders),
        cmocka_unit_test(test_trades_and_balances), cmocka_unit_test(test_balances),
        cmocka_unit_test(test_filters),         cmocka_unit_test(test_errors_and_time),
        cmocka_unit_test(test_every_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
