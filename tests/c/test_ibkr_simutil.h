/* test_ibkr_simutil.h - runs the real TWS simulator (python -m venuesim
 * ibkr) for the IBKR connector tests and drives the connector on a real uv
 * loop against it: real sockets, the real wire, no stand-ins.  The
 * simulator's admin port (faults, stats) is reached with libcurl. */
#ifndef TEST_IBKR_SIMUTIL_H
#define TEST_IBKR_SIMUTIL_H

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "core/clock.h"
#include "core/instrument.h"
#include "core/log.h"
#include "venues/ibkr/ibkr.h"

struct sim {
    pid_t pid;
    char host[64];
    int port;
    char admin[128];
};

static int sim_start(struct sim *s)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char py[1024], pypath[1024];
        snprintf(py, sizeof py, "%s/.venv/bin/python", TRADER_SOURCE_DIR);
        snprintf(pypath, sizeof pypath, "%s/python", TRADER_SOURCE_DIR);
        setenv("PYTHONPATH", pypath, 1);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(py, py, "-m", "venuesim", "ibkr", "--host", "127.0.0.1", "--port", "0",
              "--seed", "5", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    s->pid = pid;
    FILE *f = fdopen(fds[0], "r");
    char line[1024];
    if (f == NULL || fgets(line, sizeof line, f) == NULL)
        return -1;
    fclose(f);
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    const char *tws = json_string_value(json_object_get(json_object_get(j, "urls"), "tws"));
    const char *admin = json_string_value(json_object_get(json_object_get(j, "urls"), "admin"));
    if (tws == NULL || admin == NULL)
        return -1;
    const char *colon = strrchr(tws, ':');
    snprintf(s->host, sizeof s->host, "%.*s", (int)(colon - tws), tws);
    s->port = atoi(colon + 1);
    snprintf(s->admin, sizeof s->admin, "%s", admin);
    json_decref(j);
    return 0;
}

static void sim_stop(struct sim *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

struct membuf {
    char data[65536];
    size_t len;
};

static size_t mem_write(char *p, size_t size, size_t n, void *ctx)
{
    struct membuf *m = ctx;
    size_t len = size * n;
    if (len > sizeof m->data - 1 - m->len)
        len = sizeof m->data - 1 - m->len;
    memcpy(m->data + m->len, p, len);
    m->len += len;
    m->data[m->len] = '\0';
    return size * n;
}

/* GET (body NULL) or POST a JSON body to the admin port; returns the
 * parsed reply (caller decrefs) or NULL. */
static json_t *sim_admin(const struct sim *s, const char *path, const char *body)
{
    static struct membuf m;
    m.len = 0;
    m.data[0] = '\0';
    char url[256];
    snprintf(url, sizeof url, "%s%s", s->admin, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mem_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return NULL;
    json_error_t je;
    return json_loads(m.data, 0, &je);
}

static int64_t sim_stat(const struct sim *s, const char *key)
{
    json_t *j = sim_admin(s, "/_sim/stats", NULL);
    int64_t v = j != NULL ? json_integer_value(json_object_get(j, key)) : -1;
    json_decref(j);
    return v;
}

/* ---- the connector under test, with a sink that records everything ---- */

#define H_MAX_REPORTS 2048

struct harness {
    uv_loop_t loop;
    uv_timer_t tick;
    struct instrument_registry reg;
    struct logger log;
    struct venue *v;
    struct venue_report reports[H_MAX_REPORTS];
    int n_reports;
    enum venue_conn conn;
    int n_down, n_reconciling, n_up;
    char last_conn_reason[256];
    int64_t marks[8];
    int n_marks;
    uint32_t aapl, eur;
};

static void h_report(void *ctx, enum venue_id venue, const struct venue_report *r)
{
    struct harness *h = ctx;
    (void)venue;
    if (h->n_reports < H_MAX_REPORTS)
        h->reports[h->n_reports++] = *r;
}

static void h_mark(void *ctx, uint32_t inst, int64_t px, int64_t ts)
{
    struct harness *h = ctx;
    (void)ts;
    if (inst < 8)
        h->marks[inst] = px;
    h->n_marks++;
}

static void h_conn(void *ctx, enum venue_id venue, enum venue_conn state, const char *reason)
{
    struct harness *h = ctx;
    (void)venue;
    h->conn = state;
    h->n_down += state == CONN_DOWN;
    h->n_reconciling += state == CONN_RECONCILING;
    h->n_up += state == CONN_UP;
    snprintf(h->last_conn_reason, sizeof h->last_conn_reason, "%s", reason);
}

static void h_tick(uv_timer_t *t) { (void)t; }

static void add_inst(struct harness *h, const char *json, uint32_t *id)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    struct instrument in;
    char err[256];
    if (j == NULL || instrument_from_json(j, "t", &in, err, sizeof err) != 0 ||
        instrument_registry_add(&h->reg, &in, id, err, sizeof err) != 0) {
        fprintf(stderr, "instrument: %s\n", err);
        abort();
    }
    json_decref(j);
}

/* aapl_tick: "0.01" as TWS has it, or finer to provoke 110. */
static int h_init(struct harness *h, const struct sim *s, const char *aapl_tick, int aapl_scale,
                  const char *extra_cfg)
{
    memset(h, 0, sizeof *h);
    uv_loop_init(&h->loop);
    uv_timer_init(&h->loop, &h->tick);
    uv_timer_start(&h->tick, h_tick, 5, 5);
    logger_init(&h->log, stderr, getenv("IBKR_TEST_DEBUG") != NULL ? LOG_DEBUG : LOG_WARN);
    instrument_registry_init(&h->reg, 8);
    char aapl[512];
    snprintf(aapl, sizeof aapl,
             "{\"venue\":\"ibkr\",\"kind\":\"stock\",\"symbol\":\"AAPL\",\"price_scale\":%d,"
             "\"qty_scale\":0,\"tick\":\"%s\",\"lot\":\"1\",\"min_qty\":\"1\","
             "\"min_notional\":\"0\",\"quote_ccy\":\"USD\",\"usd_rate\":\"1\"}",
             aapl_scale, aapl_tick);
    add_inst(h, aapl, &h->aapl);
    add_inst(h, "{\"venue\":\"ibkr\",\"kind\":\"fx\",\"symbol\":\"EUR.USD\",\"price_scale\":5,"
                "\"qty_scale\":2,\"tick\":\"0.00005\",\"lot\":\"0.01\",\"min_qty\":\"0.01\","
                "\"min_notional\":\"0\",\"quote_ccy\":\"USD\",\"usd_rate\":\"1\"}",
             &h->eur);
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"host\":\"%s\",\"port\":%d,\"client_id\":7,\"reconnect_min_ms\":300,"
             "\"reconnect_max_ms\":2000,\"stage_timeout_ms\":10000%s%s}",
             s->host, s->port, extra_cfg != NULL ? "," : "", extra_cfg != NULL ? extra_cfg : "");
    json_error_t je;
    json_t *j = json_loads(cfg, 0, &je);
    struct venue_sink sink = {.ctx = h, .on_report = h_report, .on_mark = h_mark,
                              .on_conn = h_conn};
    char err[512];
    int rc = ibkr_venue_create(&h->loop, &h->reg, j, &h->log, sink, &h->v, err, sizeof err);
    json_decref(j);
    if (rc != 0)
        fprintf(stderr, "ibkr_venue_create: %s\n", err);
    return rc;
}

/* Runs the loop until cond(h) or timeout_ms; returns cond's last value. */
static bool h_run_until(struct harness *h, bool (*cond)(struct harness *), int timeout_ms)
{
    int64_t end = clock_mono_ns() + (int64_t)timeout_ms * NS_PER_MS;
    while (!cond(h)) {
        if (clock_mono_ns() > end)
            return false;
        uv_run(&h->loop, UV_RUN_ONCE);
    }
    return true;
}

static void h_run_for(struct harness *h, int ms)
{
    int64_t end = clock_mono_ns() + (int64_t)ms * NS_PER_MS;
    while (clock_mono_ns() < end)
        uv_run(&h->loop, UV_RUN_ONCE);
}

static void h_free(struct harness *h)
{
    if (h->v != NULL) {
        h->v->ops->stop(h->v);
        h->v->ops->destroy(h->v);
    }
    uv_close((uv_handle_t *)&h->tick, NULL);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&h->loop) != 0)
        fprintf(stderr, "loop still has handles\n");
    instrument_registry_free(&h->reg);
}

static bool is_up(struct harness *h) { return h->conn == CONN_UP; }
static bool is_down(struct harness *h) { return h->conn == CONN_DOWN; }

static int count_reports(const struct harness *h, uint64_t res, enum report_kind kind)
{
    int n = 0;
    for (int i = 0; i < h->n_reports; i++)
        n += h->reports[i].res == res && h->reports[i].kind == kind;
    return n;
}

static const struct venue_report *find_report(const struct harness *h, uint64_t res,
                                              enum report_kind kind)
{
    for (int i = 0; i < h->n_reports; i++)
        if (h->reports[i].res == res && h->reports[i].kind == kind)
            return &h->reports[i];
    return NULL;
}

#endif
