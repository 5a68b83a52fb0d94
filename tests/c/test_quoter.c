/* test_quoter.c - the C quoting strategy: two-sided post-only quotes with
 * inventory skew and a refresh tolerance, and what it does in each trading
 * state of its instrument (ACTIVE quotes both sides, REDUCE_ONLY only the
 * exit side and no more than the position, HALTED nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/instrument.h"
#include "strategy/quoter.h"

#define MAX_SEEN 64

struct seen {
    int n_place, n_cancel;
    struct venue_order placed[MAX_SEEN];
    uint64_t cancelled[MAX_SEEN];
    uint64_t next_res;
};

static uint64_t fake_place(void *ctx, const struct venue_order *o)
{
    struct seen *s = ctx;
    assert_true(s->n_place < MAX_SEEN);
    s->placed[s->n_place++] = *o;
    return ++s->next_res;
}

static void fake_cancel(void *ctx, uint32_t inst, uint64_t res)
{
    (void)inst;
    struct seen *s = ctx;
    assert_true(s->n_cancel < MAX_SEEN);
    s->cancelled[s->n_cancel++] = res;
}

struct fx {
    struct instrument_registry reg;
    struct quoter q;
    struct seen seen;
    uint32_t btc;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    assert_int_equal(instrument_registry_init(&f.reg, 8), 0);
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = VENUE_BINANCE;
    in.kind = INSTRUMENT_SPOT;
    in.price_scale = 2;
    in.qty_scale = 5;
    in.tick = 1;      /* 0.01 */
    in.lot = 1;       /* 0.00001 */
    in.usd_rate = 100000000;
    snprintf(in.symbol, sizeof in.symbol, "BTCUSDT");
    snprintf(in.quote_ccy, sizeof in.quote_ccy, "USDT");
    char err[128];
    assert_int_equal(instrument_registry_add(&f.reg, &in, &f.btc, err, sizeof err), 0);
    struct quoter_config cfg = {.enabled = true, .n_lines = 1};
    cfg.lines[0] = (struct quote_line_config){.inst = f.btc, .size = 10, .max_inventory = 20,
                                              .half_spread_bps = 5, .skew_bps = 2,
                                              .tolerance_bps = 2, .min_requote_ms = 0};
    quoter_init(&f.q, &f.reg, &cfg,
                (struct quoter_actions){.ctx = &f.seen, .place = fake_place, .cancel = fake_cancel});
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    instrument_registry_free(&f->reg);
    return 0;
}

static void report(struct fx *f, enum report_kind kind, uint64_t res, int64_t qty)
{
    struct venue_report r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.res = res;
    r.inst = f->btc;
    r.qty = qty;
    r.px = 6000000;
    quoter_on_report(&f->q, &r);
}

static void test_two_sided_post_only_around_the_mark(void **state)
{
    struct fx *f = *state;
    quoter_on_mark(&f->q, f->btc, 6000000, 1); /* 60000.00 */
    assert_int_equal(f->seen.n_place, 2);
    const struct venue_order *bid = &f->seen.placed[0], *ask = &f->seen.placed[1];
    assert_int_equal(bid->side, SIDE_BUY);
    assert_int_equal(ask->side, SIDE_SELL);
    assert_true(bid->post_only && ask->post_only);
    /* 5 bps either side of 60000.00: 59970.00 / 60030.00 */
    assert_int_equal(bid->px, 5997000);
    assert_int_equal(ask->px, 6003000);
    /* a mark move within the tolerance keeps both orders (queue position) */
    quoter_on_mark(&f->q, f->btc, 6000100, 2);
    assert_int_equal(f->seen.n_place, 2);
    assert_int_equal(f->seen.n_cancel, 0);
}

static void test_reduce_only_quotes_the_exit_side_only(void **state)
{
    struct fx *f = *state;
    quoter_on_mark(&f->q, f->btc, 6000000, 1);
    uint64_t bid = 1, ask = 2;
    report(f, REPORT_ACK, bid, 0);
    report(f, REPORT_ACK, ask, 0);
    report(f, REPORT_FILL, bid, 10); /* long 10 lots: the bid is done */
    int placed = f->seen.n_place;

    quoter_set_line_state(&f->q, f->btc, QUOTE_REDUCE_ONLY);
    /* the ask (the exit) stays; nothing new on the bid side */
    assert_int_equal(f->seen.n_cancel, 0);
    quoter_on_mark(&f->q, f->btc, 6000000, 2);
    for (int i = placed; i < f->seen.n_place; i++)
        assert_int_equal(f->seen.placed[i].side, SIDE_SELL);

    /* flat again: reduce-only quotes nothing at all */
    report(f, REPORT_FILL, ask, 10);
    placed = f->seen.n_place;
    quoter_on_mark(&f->q, f->btc, 6000000, 3);
    assert_int_equal(f->seen.n_place, placed);

    /* ACTIVE again: both sides come back with the next mark */
    quoter_set_line_state(&f->q, f->btc, QUOTE_ACTIVE);
    quoter_on_mark(&f->q, f->btc, 6000000, 4);
    assert_int_equal(f->seen.n_place, placed + 2);
}

static void test_halted_cancels_both_and_quotes_nothing(void **state)
{
    struct fx *f = *state;
    quoter_on_mark(&f->q, f->btc, 6000000, 1);
    assert_int_equal(f->seen.n_place, 2);
    quoter_set_line_state(&f->q, f->btc, QUOTE_HALTED);
    assert_int_equal(f->seen.n_cancel, 2);
    report(f, REPORT_CANCEL, 1, 0);
    report(f, REPORT_CANCEL, 2, 0);
    quoter_on_mark(&f->q, f->btc, 6100000, 2);
    assert_int_equal(f->seen.n_place, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_sided_post_only_around_the_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reduce_only_quotes_the_exit_side_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_halted_cancels_both_and_quotes_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
