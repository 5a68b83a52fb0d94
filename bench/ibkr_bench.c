/* ibkr_bench.c - IBKR figures for `make bench` (bench/bench_ibkr.py runs it):
 *   ibkr_bench decode FIXTURE_DIR N      messages decoded per second (every
 *                                        captured TWS message, round robin)
 *   ibkr_bench rtt HOST PORT N           placeOrder -> orderStatus Submitted
 *                                        through the connector against a TWS
 *                                        (the simulator), p50/p99
 * Each prints one JSON line: {"name","p50_ns","p99_ns","ops_per_s","n"}. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/clock.h"
#include "venues/ibkr/ibkr.h"
#include "venues/ibkr/ibkr_decode.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void emit(const char *name, int64_t *lat, size_t n, int64_t total_ns, size_t ops)
{
    qsort(lat, n, sizeof *lat, cmp_i64);
    printf("{\"name\":\"%s\",\"p50_ns\":%" PRId64 ",\"p99_ns\":%" PRId64
           ",\"ops_per_s\":%.0f,\"n\":%zu}\n",
           name, lat[n / 2], lat[n * 99 / 100 < n ? n * 99 / 100 : n - 1],
           (double)ops * 1e9 / (double)total_ns, ops);
}

#define MAX_MSGS 64

static int bench_decode(const char *dir, long n)
{
    static char payload[MAX_MSGS][8192];
    size_t len[MAX_MSGS];
    int count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < MAX_MSGS) {
        if (strstr(e->d_name, ".txt") == NULL)
            continue;
        char path[2048], raw[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        size_t r = fread(raw, 1, sizeof raw, f);
        fclose(f);
        size_t out = 0;
        for (size_t i = 0; i < r; i++) {
            if (i + 3 < r && memcmp(raw + i, "\\x00", 4) == 0) {
                payload[count][out++] = '\0';
                i += 3;
            } else {
                payload[count][out++] = raw[i];
            }
        }
        len[count++] = out;
    }
    closedir(d);
    if (count == 0)
        return 1;
    enum { BATCH = 1000 };
    size_t batches = (size_t)(n / BATCH) + 1;
    int64_t *lat = malloc(batches * sizeof *lat);
    struct ibkr_msg m;
    char err[128];
    int64_t start = clock_mono_ns();
    long done = 0;
    int64_t sink = 0;
    for (size_t b = 0; b < batches; b++) {
        int64_t t0 = clock_mono_ns();
        for (int i = 0; i < BATCH; i++, done++) {
            int k = (int)(done % count);
            if (ibkr_decode(payload[k], len[k], &m, NULL, NULL, err, sizeof err) != IBKR_DECODED)
                return 1;
            sink += m.id;
        }
        lat[b] = (clock_mono_ns() - t0) / BATCH;
    }
    int64_t total = clock_mono_ns() - start;
    emit("ibkr_decode", lat, batches, total, (size_t)done);
    free(lat);
    return sink == 0;
}

/* ---- round trip through the connector ---- */

struct rtt {
    uv_loop_t loop;
    struct venue *v;
    bool up;
    uint64_t acked, cancelled;
    int64_t mark;
};

static void on_report(void *ctx, enum venue_id venue, const struct venue_report *r)
{
    struct rtt *t = ctx;
    (void)venue;
    if (r->kind == REPORT_ACK)
        t->acked = r->res;
    else if (r->kind == REPORT_CANCEL || r->kind == REPORT_REJECT)
        t->cancelled = r->res;
}

static void on_mark(void *ctx, uint32_t inst, int64_t px, int64_t ts)
{
    struct rtt *t = ctx;
    (void)inst, (void)ts;
    t->mark = px;
}

static void on_conn(void *ctx, enum venue_id venue, enum venue_conn s, const char *why)
{
    struct rtt *t = ctx;
    (void)venue, (void)why;
    t->up = s == CONN_UP;
}

static bool spin(struct rtt *t, bool (*cond)(struct rtt *), int64_t timeout_ns)
{
    int64_t end = clock_mono_ns() + timeout_ns;
    while (!cond(t)) {
        if (clock_mono_ns() > end)
            return false;
        uv_run(&t->loop, UV_RUN_NOWAIT);
    }
    return true;
}

static uint64_t want;
static bool ready(struct rtt *t) { return t->up && t->mark > 0; }
static bool acked(struct rtt *t) { return t->acked == want; }
static bool cancelled(struct rtt *t) { return t->cancelled == want; }

static int bench_rtt(const char *host, int port, long n)
{
    struct rtt t;
    memset(&t, 0, sizeof t);
    uv_loop_init(&t.loop);
    struct logger log;
    logger_init(&log, stderr, LOG_ERROR);
    struct instrument_registry reg;
    instrument_registry_init(&reg, 4);
    json_error_t je;
    json_t *ij = json_loads("{\"venue\":\"ibkr\",\"kind\":\"stock\",\"symbol\":\"AAPL\","
                            "\"price_scale\":2,\"qty_scale\":0,\"tick\":\"0.01\",\"lot\":\"1\","
                            "\"min_qty\":\"1\",\"min_notional\":\"0\",\"quote_ccy\":\"USD\","
                            "\"usd_rate\":\"1\"}", 0, &je);
    struct instrument in;
    uint32_t id;
    char err[512];
    if (instrument_from_json(ij, "bench", &in, err, sizeof err) != 0 ||
        instrument_registry_add(&reg, &in, &id, err, sizeof err) != 0)
        return 1;
    json_decref(ij);
    char cfgs[256];
    snprintf(cfgs, sizeof cfgs, "{\"host\":\"%s\",\"port\":%d,\"client_id\":99}", host, port);
    json_t *cfg = json_loads(cfgs, 0, &je);
    struct venue_sink sink = {.ctx = &t, .on_report = on_report, .on_mark = on_mark,
                              .on_conn = on_conn};
    if (ibkr_venue_create(&t.loop, &reg, cfg, &log, sink, &t.v, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    json_decref(cfg);
    t.v->ops->start(t.v);
    if (!spin(&t, ready, 20 * NS_PER_SEC))
        return 1;
    int64_t *lat = calloc((size_t)n, sizeof *lat);
    int64_t start = clock_mono_ns();
    for (long i = 0; i < n; i++) {
        struct venue_order o;
        memset(&o, 0, sizeof o);
        o.res = want = (uint64_t)i + 1;
        o.inst = id;
        o.side = SIDE_BUY;
        o.type = ORD_LIMIT;
        o.tif = TIF_GTC;
        o.px = t.mark - t.mark / 10; /* 10% below: rests */
        o.px -= o.px % in.tick;
        o.qty = 1;
        snprintf(o.cid, sizeof o.cid, "b%ld", i);
        int64_t t0 = clock_mono_ns();
        if (t.v->ops->place(t.v, &o) != 0 || !spin(&t, acked, 10 * NS_PER_SEC))
            return 1;
        lat[i] = clock_mono_ns() - t0;
        t.v->ops->cancel(t.v, o.res);
        if (!spin(&t, cancelled, 10 * NS_PER_SEC))
            return 1;
        /* two messages per round: stay under the pacing budget so queueing
         * is not what we measure */
        int64_t next = t0 + 60 * NS_PER_MS;
        while (clock_mono_ns() < next)
            uv_run(&t.loop, UV_RUN_NOWAIT);
    }
    int64_t total = clock_mono_ns() - start;
    emit("ibkr_order_rtt", lat, (size_t)n, total, (size_t)n);
    free(lat);
    t.v->ops->stop(t.v);
    t.v->ops->destroy(t.v);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    uv_loop_close(&t.loop);
    instrument_registry_free(&reg);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "decode") == 0)
        return bench_decode(argv[2], atol(argv[3]));
    if (argc == 5 && strcmp(argv[1], "rtt") == 0)
        return bench_rtt(argv[2], atoi(argv[3]), atol(argv[4]));
    fprintf(stderr, "usage: ibkr_bench decode FIXTURE_DIR N | rtt HOST PORT N\n");
    return 2;
}
