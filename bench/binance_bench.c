/* binance_bench.c - the Binance connector's figures, and a driver the
 * end-to-end tests use to exercise the connector directly.
 *
 *   binance_bench book N            binance_book_apply: diff events applied per second
 *   binance_bench md_to_order N     binance_md_to_order: depth frame in -> signed order
 *                                   request handed to libcurl, in process (no network)
 *   binance_bench rtt CONFIG N      binance_order_rtt: post-only order -> ack against a
 *                                   venue (the simulator), then its cancel
 *   binance_bench parse KIND        one JSON document on stdin through the connector's
 *                                   parser for KIND (depth|depth_event|exec|order|trade|
 *                                   balances|filters|error), at scales 2/5 (BTCUSDT's);
 *                                   prints the fields read, exit 1 if it does not parse
 *   binance_bench order CONFIG SYMBOL BUY|SELL PX QTY [post_only] [cancel]
 *                                   one order through the connector; prints every
 *                                   report and connection change as a JSON line
 *
 * CONFIG is a trader config (instruments + venues.binance).  Figures print
 * one JSON object: name, p50_ns, p99_ns, ops_per_s, n. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/config.h"
#include "core/clock.h"
#include "core/money.h"
#include "risk/risk.h"
#include "venues/binance/binance.h"
#include "venues/binance/bn_book.h"
#include "venues/binance/bn_internal.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ops counts the operations in total_ns (n latency samples may be batches) */
static void report(const char *name, int64_t *lat, size_t n, double ops_n, int64_t total_ns,
                   const char *extra)
{
    qsort(lat, n, sizeof *lat, cmp_i64);
    double ops = total_ns > 0 ? ops_n * 1e9 / (double)total_ns : 0.0;
    printf("{\"name\":\"%s\",\"p50_ns\":%" PRId64 ",\"p99_ns\":%" PRId64
           ",\"ops_per_s\":%.0f,\"n\":%zu%s}\n",
           name, n ? lat[n / 2] : 0, n ? lat[(n * 99) / 100] : 0, ops, n, extra ? extra : "");
    fflush(stdout);
}

static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* ---- book: 1000 levels a side, diffs of 1-4 levels near the top ---- */

static int bench_book(long n)
{
    struct bn_book b;
    bn_book_init(&b, 1000);
    struct bn_level bids[1000], asks[1000];
    for (int i = 0; i < 1000; i++) {
        bids[i] = (struct bn_level){6500000 - i, 100 + i};
        asks[i] = (struct bn_level){6500001 + i, 100 + i};
    }
    bn_book_on_snapshot(&b, 1, bids, 1000, asks, 1000);
    /* pre-generate the events so the loop measures the book only */
    struct ev { struct bn_level lv[4]; int nb, na; } *evs = malloc((size_t)n * sizeof *evs);
    if (evs == NULL)
        return 1;
    uint64_t seed = 7;
    long levels = 0;
    for (long i = 0; i < n; i++) {
        int k = 1 + (int)(rng_next(&seed) % 4);
        evs[i].nb = (int)(rng_next(&seed) % (uint64_t)(k + 1));
        evs[i].na = k - evs[i].nb;
        for (int j = 0; j < k; j++) {
            bool bid = j < evs[i].nb;
            int64_t off = (int64_t)(rng_next(&seed) % 20);      /* near the top */
            int64_t qty = (rng_next(&seed) % 4 == 0) ? 0 : (int64_t)(rng_next(&seed) % 1000) + 1;
            evs[i].lv[j] = (struct bn_level){bid ? 6500000 - off : 6500001 + off, qty};
        }
        levels += k;
    }
    size_t batches = (size_t)(n / 1000);
    int64_t *lat = malloc((batches > 0 ? batches : 1) * sizeof *lat);
    int64_t t0 = clock_mono_ns(), tb = t0;
    uint64_t id = 1;
    for (long i = 0; i < n; i++) {
        struct bn_diff d = {.first_id = id + 1, .last_id = id + 1, .lv = evs[i].lv,
                            .n_bids = evs[i].nb, .n_asks = evs[i].na};
        id++;
        if (bn_book_on_diff(&b, &d) != BN_BOOK_OK) {
            fprintf(stderr, "book bench: unexpected result at %ld\n", i);
            return 1;
        }
        if ((i + 1) % 1000 == 0) {
            int64_t now = clock_mono_ns();
            lat[(i + 1) / 1000 - 1] = (now - tb) / 1000;      /* ns per event */
            tb = now;
        }
    }
    int64_t total = clock_mono_ns() - t0;
    char extra[96];
    snprintf(extra, sizeof extra, ",\"levels_per_s\":%.0f,\"book_levels\":%d",
             (double)levels * 1e9 / (double)total, b.bids.n + b.asks.n);
    report("binance_book_apply", lat, batches, (double)n, total, extra);
    free(lat);
    free(evs);
    bn_book_free(&b);
    return 0;
}

/* ---- shared: a connector built from a trader config ---- */

struct drv {
    uv_loop_t *loop;
    uv_loop_t own_loop;
    struct venue *v;
    struct risk_engine *risk;
    struct app_config cfg;
    struct logger log;
    enum venue_conn conn;
    int64_t mark[64];
    /* md_to_order */
    uint32_t inst;
    int64_t t_in;
    int64_t t_out;
    uint64_t last_res;
    bool print;
    /* rtt / order */
    uint64_t want_res;
    enum report_kind last_kind;
    bool got;
    int64_t got_ns;
};

static void print_report(const struct venue_report *r)
{
    static const char *const k[] = {"ack", "reject", "fill", "cancel", "expire"};
    printf("{\"event\":\"report\",\"kind\":\"%s\",\"res\":%" PRIu64 ",\"voi\":\"%s\","
           "\"tid\":\"%s\",\"px\":%" PRId64 ",\"qty\":%" PRId64 ",\"fee\":%" PRId64
           ",\"reason\":\"",
           k[r->kind], r->res, r->voi, r->tid, r->px, r->qty, r->fee);
    for (const char *p = r->reason; *p; p++)
        if (*p != '"' && *p != '\\')
            putchar(*p);
    printf("\"}\n");
    fflush(stdout);
}

static void on_report(void *ctx, enum venue_id venue, const struct venue_report *r)
{
    struct drv *d = ctx;
    (void)venue;
    if (d->print)
        print_report(r);
    if (r->res == d->want_res) {
        d->got = true;
        d->last_kind = r->kind;
        d->got_ns = clock_mono_ns();
    }
}

static void on_mark_md(void *ctx, uint32_t inst, int64_t px, int64_t ts)
{
    struct drv *d = ctx;
    (void)ts;
    if (inst < 64)
        d->mark[inst] = px;
    if (d->t_in == 0)
        return;
    /* the strategy's decision, compressed: a post-only bid one tick under
     * the mark, through the risk engine, to the connector */
    const struct instrument *in = instrument_get(risk_instruments(d->risk), inst);
    int64_t now = clock_wall_ns();
    risk_mark(d->risk, inst, px, now);
    uint64_t res = 0;
    int64_t bid = px - in->tick * 2;
    int64_t qty = in->min_qty * 10;
    if (risk_check(d->risk, inst, SIDE_BUY, bid, qty, 0, now, &res, NULL, 0) != RISK_OK)
        return;
    struct venue_order o;
    memset(&o, 0, sizeof o);
    o.res = res;
    o.inst = inst;
    o.side = SIDE_BUY;
    o.type = ORD_LIMIT;
    o.post_only = true;
    o.px = bid;
    o.qty = qty;
    snprintf(o.cid, sizeof o.cid, "b%" PRIu64, res);
    if (d->v->ops->place(d->v, &o) == 0) {
        d->t_out = clock_mono_ns();
        d->last_res = res;
    }
}

static void on_mark(void *ctx, uint32_t inst, int64_t px, int64_t ts)
{
    struct drv *d = ctx;
    (void)ts;
    if (inst < 64)
        d->mark[inst] = px;
}

static void on_conn(void *ctx, enum venue_id venue, enum venue_conn state, const char *why)
{
    struct drv *d = ctx;
    (void)venue;
    d->conn = state;
    if (d->print) {
        printf("{\"event\":\"conn\",\"state\":%d,\"why\":\"%s\"}\n", (int)state, why);
        fflush(stdout);
    }
}

static int drv_open(struct drv *d, const char *path, bool md)
{
    memset(d, 0, sizeof *d);
    /* a loop of our own, as the trader has (not uv_default_loop) */
    uv_loop_init(&d->own_loop);
    d->loop = &d->own_loop;
    logger_init(&d->log, stderr, LOG_WARN);
    struct instrument_registry reg;
    char err[1024];
    instrument_registry_init(&reg, 64);
    if (config_load(path, &d->cfg, &reg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    d->risk = risk_engine_create(&d->cfg.risk, 64, 1u << 16);
    for (uint32_t i = 0; i < reg.count; i++) {
        uint32_t id;
        if (risk_add_instrument(d->risk, &reg.items[i], &id, err, sizeof err) != 0)
            return -1;
    }
    instrument_registry_free(&reg);
    struct venue_sink sink = {.ctx = d, .on_report = on_report,
                              .on_mark = md ? on_mark_md : on_mark, .on_conn = on_conn};
    const json_t *bcfg = json_object_get(json_object_get(d->cfg.root, "venues"), "binance");
    if (binance_venue_create(d->loop, risk_instruments(d->risk), bcfg, &d->log, sink, &d->v, err,
                             sizeof err) != 0) {
        fprintf(stderr, "binance: %s\n", err);
        return -1;
    }
    return 0;
}

static void drv_close(struct drv *d)
{
    d->v->ops->stop(d->v);
    d->v->ops->destroy(d->v);
    uv_run(d->loop, UV_RUN_DEFAULT);
    risk_engine_destroy(d->risk);
    config_free(&d->cfg);
    uv_loop_close(d->loop);
}

/* Runs the loop until pred or the deadline. */
static bool run_until(struct drv *d, bool (*pred)(struct drv *), int64_t timeout_ms)
{
    int64_t end = clock_mono_ns() + timeout_ms * NS_PER_MS;
    while (!pred(d)) {
        if (clock_mono_ns() > end)
            return false;
        uv_run(d->loop, UV_RUN_ONCE);
    }
    return true;
}

static bool is_up(struct drv *d) { return d->conn == CONN_UP; }
static bool got(struct drv *d) { return d->got; }

/* ---- md_to_order: a depth frame through the connector's own handler ---- */

static int bench_md(const char *cfg, long n)
{
    struct drv d;
    if (drv_open(&d, cfg, true) != 0)
        return 1;
    struct binance *b = d.v->impl;
    struct bn_symbol *s = &b->syms[0];
    /* what start-up would have learned from the venue */
    b->time_ok = true;
    b->exinfo_ok = true;
    s->have_filters = true;
    memset(&s->f, 0, sizeof s->f);
    snprintf(s->f.symbol, sizeof s->f.symbol, "%s", s->sym);
    snprintf(s->f.quote, sizeof s->f.quote, "%s", s->in->quote_ccy);
    s->f.trading = s->f.limit_maker = true;
    s->f.tick = s->in->tick;
    s->f.step = s->in->lot;
    struct bn_level bids[20], asks[20];
    int64_t base = 6500000;
    for (int i = 0; i < 20; i++) {
        bids[i] = (struct bn_level){base - 130 * i, 400};
        asks[i] = (struct bn_level){base + 130 + 130 * i, 400};
    }
    bn_book_on_snapshot(&s->book, 100, bids, 20, asks, 20);
    int64_t *lat = malloc((size_t)n * sizeof *lat);
    size_t got_n = 0;
    char frame[512];
    int64_t t0 = clock_mono_ns();
    for (long i = 0; i < n; i++) {
        /* the best ask alternates, so every frame moves the mid */
        int64_t ask = base + 130 + ((i & 1) ? 0 : 10);
        snprintf(frame, sizeof frame,
                 "{\"stream\":\"%s@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,"
                 "\"s\":\"%s\",\"U\":%ld,\"u\":%ld,\"b\":[[\"%" PRId64 ".%02d\",\"0.00400000\"]],"
                 "\"a\":[[\"%" PRId64 ".%02" PRId64 "\",\"0.00400000\"],[\"%" PRId64 ".%02" PRId64
                 "\",\"0\"]]}}",
                 s->lower, s->sym, 101 + i, 101 + i, base / 100, 0, ask / 100, ask % 100,
                 (base + 130 + ((i & 1) ? 10 : 0)) / 100, (base + 130 + ((i & 1) ? 10 : 0)) % 100);
        d.t_out = 0;
        d.t_in = clock_mono_ns();
        bn_market_handle(b, frame, strlen(frame));
        if (d.t_out != 0)
            lat[got_n++] = d.t_out - d.t_in;
        /* release what the order held, so the next one is not refused */
        struct bn_order *o = bn_order_by_res(b, d.last_res);
        if (o != NULL)
            bn_order_free(b, o);
        risk_on_reject(d.risk, d.last_res, clock_wall_ns());
        if ((i & 255) == 255)
            uv_run(d.loop, UV_RUN_NOWAIT);  /* let curl fail its queued requests */
    }
    int64_t total = clock_mono_ns() - t0;
    d.t_in = 0;
    if (got_n == 0) {
        fprintf(stderr, "md_to_order: no order was built\n");
        return 1;
    }
    report("binance_md_to_order", lat, got_n, (double)got_n, total, NULL);
    free(lat);
    drv_close(&d);
    return 0;
}

/* ---- rtt and order: against a real venue (the simulator) ---- */

static uint64_t next_res = 1000000;

static int place(struct drv *d, uint32_t inst, enum order_side side, int64_t px, int64_t qty,
                 bool post_only)
{
    struct venue_order o;
    memset(&o, 0, sizeof o);
    o.res = ++next_res;
    o.inst = inst;
    o.side = side;
    o.type = ORD_LIMIT;
    o.tif = TIF_GTC;
    o.post_only = post_only;
    o.px = px;
    o.qty = qty;
    snprintf(o.cid, sizeof o.cid, "bench%" PRIu64 "-%" PRId64, o.res,
             (int64_t)(clock_wall_ns() / NS_PER_MS));
    d->want_res = o.res;
    d->got = false;
    return d->v->ops->place(d->v, &o);
}

static int bench_rtt(const char *cfg, long n)
{
    struct drv d;
    if (drv_open(&d, cfg, false) != 0)
        return 1;
    d.v->ops->start(d.v);
    if (!run_until(&d, is_up, 20000)) {
        fprintf(stderr, "rtt: venue not up\n");
        return 1;
    }
    struct binance *b = d.v->impl;
    struct bn_symbol *s = &b->syms[0];
    int64_t *lat = malloc((size_t)n * sizeof *lat);
    size_t k = 0;
    int64_t t0 = clock_mono_ns();
    for (long i = 0; i < n; i++) {
        int64_t mark = d.mark[s->inst];
        int64_t px = mark - mark / 100;               /* 1 % under: rests, never fills */
        px -= px % s->in->tick;
        int64_t qty = s->f.min_notional > 0 ? 0 : s->in->min_qty;
        if (qty == 0) {
            /* smallest lot multiple worth min_notional (+10 %) at px */
            int64_t need = 0;
            money_div(s->f.min_notional + s->f.min_notional / 10, 8, px, s->in->price_scale,
                      s->in->qty_scale, MONEY_ROUND_CEIL, &need);
            qty = need + (s->in->lot - need % s->in->lot) % s->in->lot;
        }
        int64_t t = clock_mono_ns();
        if (place(&d, s->inst, SIDE_BUY, px, qty, true) != 0 || !run_until(&d, got, 5000))
            break;
        if (d.last_kind == REPORT_ACK)
            lat[k++] = d.got_ns - t;
        uint64_t res = d.want_res;
        d.got = false;
        d.v->ops->cancel(d.v, res);
        run_until(&d, got, 5000);
    }
    int64_t total = clock_mono_ns() - t0;
    report("binance_order_rtt", lat, k, (double)k, total, NULL);
    free(lat);
    drv_close(&d);
    return k > 0 ? 0 : 1;
}

static int drive_order(int argc, char **argv)
{
    /* CONFIG SYMBOL SIDE PX QTY [post_only] [cancel] */
    struct drv d;
    if (argc < 7 || drv_open(&d, argv[2], false) != 0)
        return 2;
    d.print = true;
    struct binance *b = d.v->impl;
    int k = bn_sym_by_name(b, argv[3]);
    if (k < 0)
        return 2;
    const struct instrument *in = b->syms[k].in;
    int64_t px = 0, qty = 0;
    if (money_parse_cstr(argv[5], in->price_scale, &px) != 0 ||
        money_parse_cstr(argv[6], in->qty_scale, &qty) != 0)
        return 2;
    bool post_only = false, cancel = false;
    for (int i = 7; i < argc; i++) {
        post_only = post_only || strcmp(argv[i], "post_only") == 0;
        cancel = cancel || strcmp(argv[i], "cancel") == 0;
    }
    d.v->ops->start(d.v);
    if (!run_until(&d, is_up, 20000)) {
        printf("{\"event\":\"error\",\"why\":\"venue not up\"}\n");
        drv_close(&d);
        return 1;
    }
    place(&d, b->syms[k].inst, strcmp(argv[4], "BUY") == 0 ? SIDE_BUY : SIDE_SELL, px, qty,
          post_only);
    bool ok = run_until(&d, got, 10000);
    if (ok && cancel && d.last_kind == REPORT_ACK) {
        d.got = false;
        d.v->ops->cancel(d.v, d.want_res);
        ok = run_until(&d, got, 10000);
    }
    drv_close(&d);
    return ok ? 0 : 1;
}

static void count_balance(void *ctx, const struct bn_balance *b)
{
    (void)b;
    (*(int *)ctx)++;
}

static int parse_stdin(const char *kind)
{
    json_error_t je;
    json_t *j = json_loadf(stdin, 0, &je);
    if (j == NULL)
        return 1;
    const json_t *ev = bn_event_body(j);
    int rc = 1;
    struct bn_level lv[4096];
    if (strcmp(kind, "depth") == 0 || strcmp(kind, "depth_event") == 0) {
        struct bn_depth d;
        if (bn_parse_depth(ev, 2, 5, &d, lv, 4096) == 0) {
            printf("{\"first_id\":%" PRIu64 ",\"last_id\":%" PRIu64 ",\"bids\":%d,\"asks\":%d}\n",
                   d.first_id, d.last_id, d.n_bids, d.n_asks);
            rc = 0;
        }
    } else if (strcmp(kind, "exec") == 0) {
        struct bn_exec x;
        if (bn_parse_exec(ev, 2, 5, &x) == 0) {
            printf("{\"x\":\"%s\",\"X\":\"%s\",\"order_id\":%" PRId64 ",\"trade_id\":%" PRId64
                   ",\"last_qty\":%" PRId64 ",\"fee\":%" PRId64 "}\n", x.exec_type, x.status,
                   x.order_id, x.trade_id, x.last_qty, x.fee);
            rc = 0;
        }
    } else if (strcmp(kind, "order") == 0) {
        struct bn_order_info o;
        if (bn_parse_order(j, 2, 5, &o) == 0) {
            printf("{\"order_id\":%" PRId64 ",\"cid\":\"%s\",\"status\":\"%s\",\"executed\":%" PRId64
                   "}\n", o.order_id, o.cid, o.status, o.executed);
            rc = 0;
        }
    } else if (strcmp(kind, "trade") == 0) {
        struct bn_trade t;
        if (bn_parse_trade(j, 2, 5, &t) == 0) {
            printf("{\"id\":%" PRId64 ",\"order_id\":%" PRId64 ",\"qty\":%" PRId64 ",\"fee\":%" PRId64
                   ",\"fee_asset\":\"%s\"}\n", t.id, t.order_id, t.qty, t.fee, t.fee_asset);
            rc = 0;
        }
    } else if (strcmp(kind, "balances") == 0) {
        int n = 0;
        if (bn_parse_balances(ev, count_balance, &n) >= 0) {
            printf("{\"balances\":%d}\n", n);
            rc = 0;
        }
    } else if (strcmp(kind, "filters") == 0) {
        struct bn_filters f;
        char err[256];
        if (bn_parse_symbol_filters(j, 2, 5, &f, err, sizeof err) == 0) {
            printf("{\"tick\":%" PRId64 ",\"step\":%" PRId64 ",\"min_notional\":%" PRId64
                   ",\"limit_maker\":%s}\n", f.tick, f.step, f.min_notional,
                   f.limit_maker ? "true" : "false");
            rc = 0;
        }
    } else if (strcmp(kind, "error") == 0) {
        int code = 0;
        char msg[256];
        if (bn_parse_error(j, &code, msg, sizeof msg) == 0) {
            printf("{\"code\":%d}\n", code);
            rc = 0;
        }
    }
    json_decref(j);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "parse") == 0)
        return parse_stdin(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "book") == 0)
        return bench_book(atol(argv[2]));
    if (argc >= 4 && strcmp(argv[1], "md_to_order") == 0)
        return bench_md(argv[2], atol(argv[3]));
    if (argc >= 4 && strcmp(argv[1], "rtt") == 0)
        return bench_rtt(argv[2], atol(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "order") == 0)
        return drive_order(argc, argv);
    fprintf(stderr, "usage: binance_bench book N | md_to_order CONFIG N | rtt CONFIG N | "
                    "order CONFIG SYMBOL BUY|SELL PX QTY [post_only] [cancel]\n");
    return 2;
}
