/* trader_bench.c - the C figures of `make bench`.
 *
 *   trader_bench risk_check_inproc N
 *   trader_bench echo_server PATH             (bare Unix-socket echo, the floor's peer)
 *   trader_bench unix_pingpong_floor PATH N BYTES
 *   trader_bench ipc_rtt PATH N
 *   trader_bench journal_append N
 *
 * Each figure prints one JSON object: name, p50_ns, p99_ns, ops_per_s, n. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "ipc/ipc_client.h"
#include "journal/journal.h"
#include "risk/risk.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, int64_t *lat, size_t n, int64_t total_ns)
{
    qsort(lat, n, sizeof *lat, cmp_i64);
    double ops = total_ns > 0 ? (double)n * 1e9 / (double)total_ns : 0.0;
    printf("{\"name\":\"%s\",\"p50_ns\":%" PRId64 ",\"p99_ns\":%" PRId64
           ",\"ops_per_s\":%.0f,\"n\":%zu}\n",
           name, lat[n / 2], lat[(n * 99) / 100], ops, n);
    fflush(stdout);
}

/* ---- risk_check_inproc: one check (every limit evaluated) + its cancel ---- */

static int bench_risk(size_t n)
{
    struct risk_limits lim;
    risk_limits_default(&lim, RISK_PROFILE_WIDE);
    lim.global.max_order_notional = 1000000 * USD_ONE;
    lim.global.max_position = 1000000 * USD_ONE;
    lim.global.max_exposure = 10000000 * USD_ONE;
    lim.global.max_positions = 100;
    for (int v = 0; v < VENUE_COUNT; v++) {
        lim.venue[v].max_orders = 0;
        lim.venue[v].max_cancel_fill_x100 = 0;
    }
    struct risk_engine *e = risk_engine_create(&lim, 64, 1u << 16);
    if (e == NULL) {
        fprintf(stderr, "risk_engine_create failed\n");
        return 1;
    }
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = VENUE_BINANCE;
    in.kind = INSTRUMENT_SPOT;
    in.price_scale = 2;
    in.qty_scale = 5;
    in.tick = 1;
    in.lot = 1;
    in.min_qty = 1;
    in.min_notional = 5 * USD_ONE;
    in.usd_rate = USD_ONE;
    snprintf(in.symbol, sizeof in.symbol, "BTCUSDT");
    snprintf(in.quote_ccy, sizeof in.quote_ccy, "USDT");
    uint32_t id;
    char err[256];
    if (risk_add_instrument(e, &in, &id, err, sizeof err) != 0) {
        fprintf(stderr, "add instrument: %s\n", err);
        return 1;
    }
    int64_t now = clock_wall_ns();
    risk_mark(e, id, 6000000, now); /* 60000.00 */
    int64_t *lat = calloc(n, sizeof *lat);
    /* Warm up, then time each check separately and the whole run for ops/s. */
    for (size_t i = 0; i < 10000; i++) {
        uint64_t res;
        risk_check(e, id, (int)(i & 1), 5999000 + (int64_t)(i % 100), 100 + (int64_t)(i % 50), 0,
                   now, &res, NULL, 0);
        risk_on_cancel(e, res, 1, now);
    }
    int64_t checks_ns = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t res = 0;
        int side = (int)(i & 1);
        int64_t px = side == 0 ? 5999000 - (int64_t)(i % 100) : 6001000 + (int64_t)(i % 100);
        int64_t t0 = clock_mono_ns();
        int rc = risk_check(e, id, side, px, 100 + (int64_t)(i % 50), 0, now, &res, NULL, 0);
        int64_t t1 = clock_mono_ns();
        if (rc != RISK_OK) {
            fprintf(stderr, "unexpected reject %s at %zu\n", risk_code_name(rc), i);
            return 1;
        }
        lat[i] = t1 - t0;
        checks_ns += t1 - t0;
        risk_on_cancel(e, res, 1, now);
    }
    report("risk_check_inproc", lat, n, checks_ns);
    free(lat);
    risk_engine_destroy(e);
    return 0;
}

/* ---- the floor: a bare Unix-socket echo ---- */

static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
        perror("echo_server");
        return -1;
    }
    return fd;
}

static int connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    return fd;
}

/* Serves one connection at a time until killed: echo every byte back. */
static int echo_server(const char *path)
{
    int lfd = listen_unix(path);
    if (lfd < 0)
        return 1;
    printf("{\"ready\":true}\n");
    fflush(stdout);
    char buf[65536];
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        for (;;) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0)
                break;
            ssize_t off = 0;
            while (off < n) {
                ssize_t w = write(c, buf + off, (size_t)(n - off));
                if (w <= 0)
                    break;
                off += w;
            }
        }
        close(c);
    }
}

static int bench_floor(const char *path, size_t n, size_t bytes)
{
    int fd = connect_unix(path);
    if (fd < 0) {
        perror("connect");
        return 1;
    }
    char *out = calloc(1, bytes), *in = calloc(1, bytes);
    int64_t *lat = calloc(n, sizeof *lat);
    int64_t start = clock_mono_ns();
    for (size_t i = 0; i < n + 1000; i++) {
        int64_t t0 = clock_mono_ns();
        if (write(fd, out, bytes) != (ssize_t)bytes)
            return 1;
        size_t got = 0;
        while (got < bytes) {
            ssize_t r = read(fd, in + got, bytes - got);
            if (r <= 0)
                return 1;
            got += (size_t)r;
        }
        if (i >= 1000)
            lat[i - 1000] = clock_mono_ns() - t0;
        else
            start = clock_mono_ns();
    }
    report("unix_pingpong_floor_c", lat, n, clock_mono_ns() - start);
    close(fd);
    free(out);
    free(in);
    free(lat);
    return 0;
}

/* ---- ipc_rtt: check -> trader -> reply, one in flight; then cancel it ---- */

static int bench_ipc(const char *path, size_t n)
{
    char err[256];
    ipc_client_t *cl = ipc_client_open(path, "bench", 5000, err, sizeof err);
    if (cl == NULL) {
        fprintf(stderr, "ipc_client_open: %s\n", err);
        return 1;
    }
    ipc_msg_t mk;
    memset(&mk, 0, sizeof mk);
    mk.type = IPC_T_MARK;
    mk.u.mark.has_id = true;
    mk.u.mark.id = ipc_client_next_id(cl);
    mk.u.mark.venue = IPC_VENUE_PAPER;
    mk.u.mark.sym = (ipc_str_t){"BTCUSDT", 7};
    mk.u.mark.px = (ipc_str_t){"60000", 5};
    mk.u.mark.ts = clock_wall_ns();
    ipc_msg_t rep;
    if (ipc_client_call(cl, &mk, &rep, 5000) != IPC_OK || rep.type != IPC_T_OK) {
        fprintf(stderr, "mark refused\n");
        return 1;
    }
    int64_t *lat = calloc(n, sizeof *lat);
    int64_t checks_ns = 0;
    size_t warm = 1000;
    for (size_t i = 0; i < n + warm; i++) {
        ipc_msg_t ck;
        memset(&ck, 0, sizeof ck);
        ck.type = IPC_T_CHECK;
        ck.u.check.id = ipc_client_next_id(cl);
        ck.u.check.venue = IPC_VENUE_PAPER;
        ck.u.check.sym = (ipc_str_t){"BTCUSDT", 7};
        ck.u.check.side = IPC_SIDE_BUY;
        ck.u.check.px = (ipc_str_t){"59990.5", 7};
        ck.u.check.qty = (ipc_str_t){"0.001", 5};
        ck.u.check.ord = IPC_ORD_LIMIT;
        ck.u.check.tif = IPC_TIF_GTC;
        ck.u.check.post_only = true;
        ck.u.check.cid = (ipc_str_t){"bench", 5};
        int64_t t0 = clock_mono_ns();
        int rc = ipc_client_call(cl, &ck, &rep, 5000);
        int64_t t1 = clock_mono_ns();
        if (rc != IPC_OK || rep.type != IPC_T_CHECK_OK) {
            fprintf(stderr, "check %zu failed: rc=%d type=%d\n", i, rc, rep.type);
            return 1;
        }
        if (i >= warm) {
            lat[i - warm] = t1 - t0;
            checks_ns += t1 - t0;
        }
        ipc_msg_t cx;
        memset(&cx, 0, sizeof cx);
        cx.type = IPC_T_REPORT;
        cx.u.report.id = ipc_client_next_id(cl);
        cx.u.report.res = rep.u.check_ok.res;
        cx.u.report.kind = IPC_RK_CANCEL;
        cx.u.report.ts = clock_wall_ns();
        if (ipc_client_call(cl, &cx, &rep, 5000) != IPC_OK || rep.type != IPC_T_OK) {
            fprintf(stderr, "cancel %zu failed\n", i);
            return 1;
        }
    }
    report("ipc_rtt_c", lat, n, checks_ns);
    free(lat);
    ipc_client_close(cl);
    return 0;
}

/* ---- journal: append + flush per record (no fsync), 200-byte payloads ---- */

static int bench_journal(size_t n)
{
    char dir[] = "/tmp/trader-bench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/j.tj", dir);
    journal *j;
    if (journal_open(&j, path, NULL, NULL, err, sizeof err) != JOURNAL_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    char payload[200];
    memset(payload, 'x', sizeof payload);
    int64_t *lat = calloc(n, sizeof *lat);
    int64_t start = clock_mono_ns();
    for (size_t i = 0; i < n; i++) {
        int64_t t0 = clock_mono_ns();
        journal_append(j, 1, payload, sizeof payload, NULL, err, sizeof err);
        journal_flush(j, err, sizeof err);
        lat[i] = clock_mono_ns() - t0;
    }
    report("journal_append_flush", lat, n, clock_mono_ns() - start);
    journal_close(j);
    unlink(path);
    rmdir(dir);
    free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "risk_check_inproc") == 0)
        return bench_risk((size_t)atol(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "echo_server") == 0)
        return echo_server(argv[2]);
    if (argc >= 5 && strcmp(argv[1], "unix_pingpong_floor") == 0)
        return bench_floor(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]));
    if (argc >= 4 && strcmp(argv[1], "ipc_rtt") == 0)
        return bench_ipc(argv[2], (size_t)atol(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "journal_append") == 0)
        return bench_journal((size_t)atol(argv[2]));
    fprintf(stderr, "usage: trader_bench risk_check_inproc N | echo_server PATH |\n"
                    "       unix_pingpong_floor PATH N BYTES | ipc_rtt PATH N | journal_append N\n");
    return 2;
}
