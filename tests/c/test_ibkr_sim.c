/* test_ibkr_sim.c - the IBKR connector against the real TWS simulator:
 * the order life cycle of a stock LMT and a forex MKT order, 110 for an
 * off-tick price, 103 for a reused order id, a fill that happens while the
 * connection is down booked exactly once, 1100/1102, pacing under a burst,
 * and a client outside the version range refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "test_ibkr_simutil.h"
#include "venues/ibkr/ibkr_encode.h"

static struct {
    uint64_t res;
    enum report_kind kind;
    int count;
} want;

static bool have_want(struct harness *h) { return count_reports(h, want.res, want.kind) >= want.count; }

static bool wait_report(struct harness *h, uint64_t res, enum report_kind kind, int count)
{
    want.res = res;
    want.kind = kind;
    want.count = count;
    return h_run_until(h, have_want, 15000);
}

static bool have_marks(struct harness *h) { return h->marks[h->aapl] > 0 && h->marks[h->eur] > 0; }

static struct venue_order order(uint64_t res, uint32_t inst, enum order_side side,
                                enum order_type type, int64_t px, int64_t qty)
{
    struct venue_order o;
    memset(&o, 0, sizeof o);
    o.res = res;
    o.inst = inst;
    o.side = side;
    o.type = type;
    o.tif = type == ORD_MARKET ? TIF_IOC : TIF_GTC;
    o.px = px;
    o.qty = qty;
    snprintf(o.cid, sizeof o.cid, "t%llu", (unsigned long long)res);
    return o;
}

struct fixture {
    struct sim sim;
    struct harness h;
};

static int setup_with(void **state, const char *tick, int scale, const char *extra)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (sim_start(&f->sim) != 0 || h_init(&f->h, &f->sim, tick, scale, extra) != 0)
        return -1;
    assert_int_equal(f->h.v->ops->start(f->h.v), 0);
    if (!h_run_until(&f->h, is_up, 15000) || !h_run_until(&f->h, have_marks, 15000))
        return -1;
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_with(state, "0.01", 2, NULL); }
static int setup_fine_tick(void **state) { return setup_with(state, "0.001", 3, NULL); }

static int teardown(void **state)
{
    struct fixture *f = *state;
    h_free(&f->h);
    sim_stop(&f->sim);
    free(f);
    return 0;
}

static void test_stock_lmt_life_cycle(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    struct ibkr_stats st;
    ibkr_venue_stats(h->v, &st);
    assert_int_equal(st.server_version, 176);
    int64_t mark = h->marks[h->aapl];

    /* resting: acked, then cancelled on request */
    struct venue_order o = order(1, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 1000, 2);
    o.post_only = true;
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 1, REPORT_ACK, 1));
    assert_true(find_report(h, 1, REPORT_ACK)->voi[0] != '\0'); /* permId */
    assert_int_equal(h->v->ops->open_orders(h->v), 1);
    assert_int_equal(h->v->ops->cancel(h->v, 1), 0);
    assert_true(wait_report(h, 1, REPORT_CANCEL, 1));
    assert_int_equal(find_report(h, 1, REPORT_CANCEL)->qty, 2);
    assert_int_equal(count_reports(h, 1, REPORT_FILL), 0);

    /* post-only that would take: refused locally, clearly */
    o = order(2, h->aapl, SIDE_BUY, ORD_LIMIT, mark + 1000, 1);
    o.post_only = true;
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 2, REPORT_REJECT, 1));
    assert_non_null(strstr(find_report(h, 2, REPORT_REJECT)->reason, "post-only"));

    /* marketable: acked, filled at the touch with IBKR's minimum commission */
    o = order(3, h->aapl, SIDE_BUY, ORD_LIMIT, mark + 1000, 3);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 3, REPORT_FILL, 1));
    h_run_for(h, 200);
    const struct venue_report *r = find_report(h, 3, REPORT_FILL);
    assert_int_equal(count_reports(h, 3, REPORT_ACK), 1);
    assert_int_equal(count_reports(h, 3, REPORT_FILL), 1);
    assert_int_equal(r->qty, 3);
    assert_true(r->px > mark && r->px <= mark + 1000);
    assert_int_equal(r->fee, 100000000); /* USD 1.00 minimum, scale 8 */
    assert_int_equal(r->liq, LIQ_TAKER);
    assert_true(strlen(r->tid) > 10);   /* the execId */
    assert_int_equal(h->v->ops->open_orders(h->v), 0);
    assert_int_equal(sim_stat(&f->sim, "fills"), 1);
}

static void test_forex_mkt_life_cycle(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    int64_t mark = h->marks[h->eur];
    /* 200.00 EUR at market, worst price 1% away */
    struct venue_order o = order(10, h->eur, SIDE_SELL, ORD_MARKET, mark - mark / 100, 20000);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 10, REPORT_FILL, 1));
    h_run_for(h, 200);
    const struct venue_report *r = find_report(h, 10, REPORT_FILL);
    assert_int_equal(count_reports(h, 10, REPORT_ACK), 1);
    assert_int_equal(count_reports(h, 10, REPORT_FILL), 1);
    assert_int_equal(count_reports(h, 10, REPORT_EXPIRE) + count_reports(h, 10, REPORT_CANCEL), 0);
    assert_int_equal(r->qty, 20000);
    assert_true(r->px < mark && r->px > mark - 100);
    assert_int_equal(r->fee, 200000000); /* IDEALPRO minimum USD 2.00 */
    assert_int_equal(h->v->ops->open_orders(h->v), 0);
}

static void test_off_tick_price_rejected_110(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    int64_t mark = h->marks[h->aapl];           /* price scale 3 here */
    int64_t px = mark - mark % 10 - 995;        /* x.xx5: off TWS's 0.01 grid */
    struct venue_order o = order(20, h->aapl, SIDE_BUY, ORD_LIMIT, px, 1);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 20, REPORT_REJECT, 1));
    const char *why = find_report(h, 20, REPORT_REJECT)->reason;
    assert_non_null(strstr(why, "IBKR 110"));
    assert_non_null(strstr(why, "minimum price variation"));
    assert_int_equal(h->v->ops->open_orders(h->v), 0);
    /* the same order on the grid goes through */
    o = order(21, h->aapl, SIDE_BUY, ORD_LIMIT, px - 5, 1);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 21, REPORT_ACK, 1));
}

static void test_reused_order_id_rejected_103(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    int64_t mark = h->marks[h->aapl];
    struct ibkr_stats st;
    ibkr_venue_stats(h->v, &st);
    int64_t used = st.next_order_id;
    struct venue_order o = order(30, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 2000, 1);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 30, REPORT_ACK, 1));
    assert_int_equal(h->v->ops->cancel(h->v, 30), 0);
    assert_true(wait_report(h, 30, REPORT_CANCEL, 1));
    h_run_for(h, 300); /* TWS's 202 for that id must not meet the reused id */

    ibkr_venue_force_next_order_id(h->v, used); /* as a stale nextValidId would */
    o = order(31, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 2000, 1);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 31, REPORT_REJECT, 1));
    assert_non_null(strstr(find_report(h, 31, REPORT_REJECT)->reason, "IBKR 103"));
    /* the connector asked TWS for the next valid id: the next order works */
    h_run_for(h, 300);
    o = order(32, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 2000, 1);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 32, REPORT_ACK, 1));
    assert_int_equal(count_reports(h, 32, REPORT_REJECT), 0);
}

static void test_fill_while_disconnected_booked_once(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    int64_t mark = h->marks[h->aapl];
    struct venue_order o = order(40, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 500, 4);
    assert_int_equal(h->v->ops->place(h->v, &o), 0);
    assert_true(wait_report(h, 40, REPORT_ACK, 1));

    json_decref(sim_admin(&f->sim, "/_sim/faults", "{\"disconnect\": true}"));
    assert_true(h_run_until(h, is_down, 10000));
    /* the order fills while nobody is connected (reconnect waits >= 300 ms) */
    json_t *j = sim_admin(&f->sim, "/_sim/faults", "{\"fill_resting\": true}");
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "done"),
                                                        "fill_resting")), 1);
    json_decref(j);
    assert_int_equal(count_reports(h, 40, REPORT_FILL), 0);

    assert_true(h_run_until(h, is_up, 15000));
    h_run_for(h, 300);
    assert_int_equal(count_reports(h, 40, REPORT_FILL), 1);
    assert_int_equal(count_reports(h, 40, REPORT_CANCEL), 0);
    const struct venue_report *r = find_report(h, 40, REPORT_FILL);
    assert_int_equal(r->qty, 4);
    assert_int_equal(r->px, mark - 500);
    assert_int_equal(r->fee, 100000000);
    assert_int_equal(h->v->ops->open_orders(h->v), 0);

    /* a second reconnect re-reads the same executions: still booked once */
    int ups = h->n_up;
    json_decref(sim_admin(&f->sim, "/_sim/faults", "{\"disconnect\": true}"));
    assert_true(h_run_until(h, is_down, 10000));
    assert_true(h_run_until(h, is_up, 15000));
    h_run_for(h, 300);
    assert_true(h->n_up > ups);
    assert_int_equal(count_reports(h, 40, REPORT_FILL), 1);
    assert_int_equal(sim_stat(&f->sim, "fills"), 1);
}

static bool link_lost(struct harness *h) { return h->conn == CONN_DOWN && strstr(h->last_conn_reason, "1100") != NULL; }

static void test_1100_halts_1102_reconciles(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    int rec = h->n_reconciling;
    json_decref(sim_admin(&f->sim, "/_sim/faults", "{\"connectivity_cycle\": {\"down_s\": 0.5}}"));
    assert_true(h_run_until(h, link_lost, 10000));
    /* nothing trades while TWS has lost IB */
    struct venue_order o = order(50, h->aapl, SIDE_BUY, ORD_LIMIT, h->marks[h->aapl] - 500, 1);
    assert_int_equal(h->v->ops->place(h->v, &o), -1);
    assert_true(h_run_until(h, is_up, 10000));
    assert_true(h->n_reconciling > rec);
    struct ibkr_stats st;
    ibkr_venue_stats(h->v, &st);
    assert_int_equal(st.connects, 1); /* the socket stayed up */
}

static int n_acked_and_cancelled;

static bool burst_done(struct harness *h)
{
    int n = 0;
    for (uint64_t res = 100; res < 190; res++)
        n += count_reports(h, res, REPORT_CANCEL) == 1;
    n_acked_and_cancelled = n;
    return n == 90;
}

static void test_pacing_under_a_burst(void **state)
{
    struct fixture *f = *state;
    struct harness *h = &f->h;
    int64_t mark = h->marks[h->aapl];
    /* 90 orders at once, then 90 cancels at once: two bursts of twice
     * TWS's per-second budget */
    for (uint64_t res = 100; res < 190; res++) {
        struct venue_order o = order(res, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 3000, 1);
        assert_int_equal(h->v->ops->place(h->v, &o), 0);
    }
    for (uint64_t res = 100; res < 190; res++)
        assert_true(wait_report(h, res, REPORT_ACK, 1));
    /* a cancel that overtakes its own queued order: never sent at all */
    struct venue_order late = order(99, h->aapl, SIDE_BUY, ORD_LIMIT, mark - 3000, 1);
    for (uint64_t res = 100; res < 190; res++)
        assert_int_equal(h->v->ops->cancel(h->v, res), 0);
    assert_int_equal(h->v->ops->place(h->v, &late), 0);
    assert_int_equal(h->v->ops->cancel(h->v, 99), 0);
    assert_true(h_run_until(h, burst_done, 30000));
    assert_true(wait_report(h, 99, REPORT_CANCEL, 1));
    assert_int_equal(count_reports(h, 99, REPORT_ACK), 0);
    assert_int_equal(sim_stat(&f->sim, "orders_placed"), 90);
    struct ibkr_stats st;
    ibkr_venue_stats(h->v, &st);
    assert_true(st.max_in_window <= 45);
    assert_true(st.max_in_window >= 40); /* the burst did fill the window */
    assert_int_equal(sim_stat(&f->sim, "pacing_violations"), 0);
    assert_int_equal(sim_stat(&f->sim, "paced_disconnects"), 0);
    assert_int_equal(h->v->ops->open_orders(h->v), 0);
}

/* A client whose version range stops below 176 is dropped without a
 * reply; the connector's own range v100..176 is answered with 176. */
static void test_version_range_refused(void **state)
{
    struct fixture *f = *state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->sim.port)};
    inet_pton(AF_INET, f->sim.host, &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct ibkr_buf b;
    ibkr_buf_reset(&b);
    assert_int_equal(ibkr_enc_handshake(&b, 100, 170), 0);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    char buf[64];
    assert_int_equal(read(fd, buf, sizeof buf), 0); /* closed, no version */
    close(fd);
    assert_true(sim_stat(&f->sim, "refused_handshakes") >= 1);
    struct ibkr_stats st;
    ibkr_venue_stats(f->h.v, &st);
    assert_int_equal(st.server_version, 176);
    assert_int_equal(st.phase, IBKR_PHASE_UP);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stock_lmt_life_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forex_mkt_life_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_tick_price_rejected_110, setup_fine_tick,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reused_order_id_rejected_103, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fill_while_disconnected_booked_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_1100_halts_1102_reconciles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pacing_under_a_burst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_range_refused, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
