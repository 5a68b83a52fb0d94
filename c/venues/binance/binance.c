/* binance.c - the Binance Spot connector: lifecycle, venue_ops and the
 * recovery state machine (see bn_internal.h for the other files).
 *
 * The venue is trusted only while nothing could have been missed: both
 * WebSockets open, the user data stream subscribed, every book synced and
 * a reconcile finished since the last disconnect or gap.  Any of those
 * breaking makes it "blind": CONN_DOWN (the app halts the venue), then the
 * tick timer works through bn_advance() until it can reconcile and report
 * CONN_RECONCILING then CONN_UP. */
#include "venues/binance/binance.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "venues/binance/bn_internal.h"

#define TICK_MS 100

int64_t bn_now_ms(const struct binance *b)
{
    return clock_wall_ns() / NS_PER_MS + b->time_offset_ms;
}

int bn_sym_by_name(const struct binance *b, const char *sym)
{
    for (int i = 0; i < b->n_syms; i++)
        if (strcmp(b->syms[i].sym, sym) == 0)
            return i;
    return -1;
}

int bn_sym_by_inst(const struct binance *b, uint32_t inst)
{
    for (int i = 0; i < b->n_syms; i++)
        if (b->syms[i].inst == inst)
            return i;
    return -1;
}

/* ---- outbox: nothing reaches the app from inside one of its calls ---- */

static void drain_cb(uv_timer_t *t)
{
    struct binance *b = t->data;
    unsigned n = b->out_len;
    for (unsigned i = 0; i < n && !b->destroyed; i++) {
        struct bn_out out = b->outbox[b->out_head];
        b->out_head = (b->out_head + 1) % BN_OUTBOX;
        b->out_len--;
        if (out.is_conn) {
            b->base.sink.on_conn(b->base.sink.ctx, b->base.id, out.conn, out.why);
            /* The strategy acts on marks; a quiet book may send none for a
             * long time, so the marks are repeated once trading may resume. */
            for (int k = 0; out.conn == CONN_UP && k < b->n_syms && !b->destroyed; k++) {
                int64_t mid = bn_book_mid(&b->syms[k].book, b->syms[k].in->tick);
                if (mid > 0)
                    b->base.sink.on_mark(b->base.sink.ctx, b->syms[k].inst, mid,
                                         clock_wall_ns());
            }
        } else {
            b->base.sink.on_report(b->base.sink.ctx, b->base.id, &out.r);
        }
    }
    if (b->out_len > 0 && !b->destroyed)
        uv_timer_start(&b->drain, drain_cb, 0, 0);
}

static void push_out(struct binance *b, const struct bn_out *o)
{
    if (b->out_len == BN_OUTBOX) {
        /* Losing a report would corrupt positions: fail loudly and go blind
         * so a reconcile rebuilds the truth from the venue. */
        log_event(b->log, LOG_ERROR, BN_ROOM, "outbox_full", "res=%" PRIu64, o->r.res);
        return;
    }
    b->outbox[(b->out_head + b->out_len) % BN_OUTBOX] = *o;
    b->out_len++;
    if (b->out_len == 1 && !b->destroyed)
        uv_timer_start(&b->drain, drain_cb, 0, 0);
}

void bn_emit_report(struct binance *b, const struct venue_report *r)
{
    struct bn_out o;
    memset(&o, 0, sizeof o);
    o.r = *r;
    push_out(b, &o);
}

void bn_emit_conn(struct binance *b, enum venue_conn state, const char *why)
{
    if (b->conn == state)
        return;
    b->conn = state;
    struct bn_out o;
    memset(&o, 0, sizeof o);
    o.is_conn = true;
    o.conn = state;
    snprintf(o.why, sizeof o.why, "%s", why);
    push_out(b, &o);
}

void bn_go_blind(struct binance *b, const char *why)
{
    if (b->stopping)
        return;
    if (!b->blind || b->recon_active)
        log_event(b->log, LOG_WARN, BN_ROOM, "blind", "reason=\"%s\"", why);
    b->blind = true;
    b->recon_active = false;
    b->gen++;                       /* answers of an interrupted reconcile are ignored */
    b->recon_pending = 0;
    bn_emit_conn(b, CONN_DOWN, why);
}

/* ---- the state machine ---- */

static int64_t next_backoff(int64_t cur, const struct bn_config *c)
{
    int64_t n = cur <= 0 ? c->reconnect_min_ms : cur * 2;
    return n > c->reconnect_max_ms ? c->reconnect_max_ms : n;
}

static void request_time(struct binance *b)
{
    struct bn_req *q = bn_req_new(BN_REQ_TIME, -1, 0, 0);
    if (q != NULL && bn_rest_public(b, "/api/v3/time", q) == 0)
        b->time_inflight = true;
}

static void request_exinfo(struct binance *b)
{
    /* symbols=["A","B"] percent-encoded: only what we trade (the full
     * document is megabytes on the real venue). */
    char list[BN_MAX_SYMBOLS * (BN_SYM_CAP + 8) + 16] = "%5B";
    for (int i = 0; i < b->n_syms; i++) {
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%%22%s%%22", i > 0 ? "%2C" : "", b->syms[i].sym);
    }
    size_t n = strlen(list);
    snprintf(list + n, sizeof list - n, "%%5D");
    char path[sizeof list + 64];
    snprintf(path, sizeof path, "/api/v3/exchangeInfo?symbols=%s", list);
    struct bn_req *q = bn_req_new(BN_REQ_EXINFO, -1, 0, 0);
    if (q != NULL && bn_rest_public(b, path, q) == 0)
        b->exinfo_inflight = true;
}

void bn_advance(struct binance *b)
{
    if (!b->started || b->stopping)
        return;
    int64_t now = clock_mono_ns();
    bool off = bn_backing_off(b);
    if (!b->time_ok && !b->time_inflight && !off)
        request_time(b);
    if (!b->exinfo_ok) {
        if (!b->exinfo_inflight && !off && now >= b->exinfo_retry_ns)
            request_exinfo(b);
        return;
    }
    char err[256];
    if (b->market.state == BN_WS_IDLE && now >= b->market_retry_ns) {
        b->market_backoff_ms = next_backoff(b->market_backoff_ms, &b->cfg);
        b->market_retry_ns = now + b->market_backoff_ms * NS_PER_MS;
        if (bn_market_open(b) != 0)
            log_event(b->log, LOG_WARN, BN_ROOM, "market_connect_failed", "retry_ms=%" PRId64,
                      b->market_backoff_ms);
    }
    if (b->api.state == BN_WS_IDLE && now >= b->api_retry_ns) {
        b->api_backoff_ms = next_backoff(b->api_backoff_ms, &b->cfg);
        b->api_retry_ns = now + b->api_backoff_ms * NS_PER_MS;
        if (bn_ws_open(&b->api, b->cfg.ws_api_url, err, sizeof err) != 0)
            log_event(b->log, LOG_WARN, BN_ROOM, "api_connect_failed", "reason=\"%s\"", err);
    }
    if (b->api.state == BN_WS_OPEN && !b->user_subscribed && !b->subscribe_inflight &&
        now >= b->subscribe_retry_ns)
        bn_user_subscribe(b);
    if (b->market.state == BN_WS_OPEN && !off)
        bn_market_snapshots(b);
    bn_retry_cancels(b);
    if (b->blind && !b->recon_active && !off && now >= b->recon_retry_ns && b->time_ok &&
        b->market.state == BN_WS_OPEN && b->api.state == BN_WS_OPEN && b->user_subscribed &&
        bn_books_synced(b))
        bn_reconcile_start(b);
}

/* A socket that has been silent for ws_ping_ms is pinged; one silent for
 * ws_timeout_ms (no frame, no pong) is dead even if TCP has not noticed:
 * it is closed, which makes the venue blind and reconnects it. */
static void watch(struct binance *b, struct bn_ws *ws, int64_t now)
{
    if (ws->state != BN_WS_OPEN)
        return;
    int64_t idle = now - ws->last_rx_ns;
    if (idle >= b->cfg.ws_timeout_ms * NS_PER_MS) {
        log_event(b->log, LOG_WARN, BN_ROOM, "stream_silent",
                  "stream=%s silent_ms=%" PRId64 " action=reconnect", ws->name,
                  (int64_t)(idle / NS_PER_MS));
        bn_ws_close(ws);
    } else if (idle >= b->cfg.ws_ping_ms * NS_PER_MS &&
               now - ws->last_ping_ns >= b->cfg.ws_ping_ms * NS_PER_MS) {
        bn_ws_ping(ws);
    }
}

static void tick_cb(uv_timer_t *t)
{
    struct binance *b = t->data;
    int64_t now = clock_mono_ns();
    watch(b, &b->market, now);
    watch(b, &b->api, now);
    bn_market_watch_stall(b, now);
    bn_advance(b);
}

/* ---- venue_ops ---- */

static struct binance *bn_of(const struct venue *v) { return (struct binance *)v->impl; }

static int bn_start(struct venue *v)
{
    struct binance *b = bn_of(v);
    b->started = true;
    b->blind = true;
    b->conn = CONN_DOWN;
    log_event(b->log, LOG_INFO, BN_ROOM, "starting",
              "rest=%s streams=%s api=%s key_type=%s symbols=%d", b->cfg.rest_url,
              b->cfg.ws_streams_url, b->cfg.ws_api_url,
              b->signer.type == BN_KEY_HMAC ? "hmac" : "ed25519", b->n_syms);
    uv_timer_start(&b->tick, tick_cb, 0, TICK_MS);
    return 0;
}

static void bn_stop(struct venue *v)
{
    struct binance *b = bn_of(v);
    b->stopping = true;
    uv_timer_stop(&b->tick);
}

static void release(struct binance *b)
{
    if (--b->open_handles > 0)
        return;
    for (int i = 0; i < b->n_syms; i++)
        bn_book_free(&b->syms[i].book);
    for (int i = 0; i < BN_MAX_ORDERS; i++)
        free(b->orders[i].tids);
    bn_ws_free(&b->market);
    bn_ws_free(&b->api);
    bn_signer_free(&b->signer);
    free(b);
}

static void handle_closed(uv_handle_t *h) { release(h->data); }

static void bn_destroy(struct venue *v)
{
    struct binance *b = bn_of(v);
    b->stopping = true;
    b->destroyed = true;
    /* Close the sockets first: their callbacks still see a whole struct. */
    bn_ws_detach(&b->market);
    bn_ws_detach(&b->api);
    if (b->wsctx != NULL)
        bn_ws_ctx_destroy(b->wsctx);
    b->wsctx = NULL;
    if (b->http != NULL)
        bn_http_close(b->http);
    b->http = NULL;
    uv_close((uv_handle_t *)&b->tick, handle_closed);
    uv_close((uv_handle_t *)&b->drain, handle_closed);
}

static const struct venue_ops bn_ops = {
    .name = "binance",
    .start = bn_start,
    .place = bn_place,
    .cancel = bn_cancel,
    .cancel_all = bn_cancel_all,
    .reconcile = bn_reconcile_op,
    .adopt = bn_adopt,
    .open_orders = bn_open_orders,
    .stop = bn_stop,
    .destroy = bn_destroy,
};

static int add_symbols(struct binance *b, const struct instrument_registry *reg, char *err,
                       size_t errlen)
{
    for (uint32_t i = 0; i < reg->count; i++) {
        const struct instrument *in = &reg->items[i];
        if (in->venue != VENUE_BINANCE)
            continue;
        if (b->n_syms == BN_MAX_SYMBOLS) {
            snprintf(err, errlen, "venues.binance: at most %d instruments", BN_MAX_SYMBOLS);
            return -1;
        }
        size_t n = strlen(in->symbol);
        if (n == 0 || n >= BN_SYM_CAP) {
            snprintf(err, errlen, "instrument %s: not a Binance symbol", in->symbol);
            return -1;
        }
        struct bn_symbol *s = &b->syms[b->n_syms++];
        s->inst = in->id;
        s->in = in;
        snprintf(s->sym, sizeof s->sym, "%s", in->symbol);
        for (size_t k = 0; k <= n; k++) {
            char c = in->symbol[k];
            s->lower[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        bn_book_init(&s->book, 5000);
        s->last_tid = -1;
    }
    if (b->n_syms == 0) {
        snprintf(err, errlen, "no instrument with \"venue\": \"binance\" in \"instruments\"");
        return -1;
    }
    return 0;
}

int binance_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                         const json_t *cfg, const struct logger *log, struct venue_sink sink,
                         struct venue **out, char *err, size_t errlen)
{
    *out = NULL;
    struct binance *b = calloc(1, sizeof *b);
    if (b == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (bn_config_load(cfg, &b->cfg, &b->signer, err, errlen) != 0) {
        bn_signer_free(&b->signer);
        free(b);
        return -1;
    }
    b->loop = loop;
    b->reg = reg;
    b->log = log;
    b->base.ops = &bn_ops;
    b->base.id = VENUE_BINANCE;
    b->base.sink = sink;
    b->base.impl = b;
    if (add_symbols(b, reg, err, errlen) != 0)
        goto fail;
    if (bn_http_create(loop, bn_http_done, b, (long)b->cfg.request_timeout_ms, &b->http) != 0) {
        snprintf(err, errlen, "cannot create the libcurl multi handle");
        goto fail;
    }
    if (bn_ws_ctx_create(loop, &b->wsctx, err, errlen) != 0) {
        bn_http_close(b->http);
        b->http = NULL;
        goto fail;
    }
    struct bn_ws_callbacks mcb = {.ctx = b, .on_open = bn_market_on_open,
                                  .on_text = bn_market_on_text, .on_close = bn_market_on_close};
    struct bn_ws_callbacks acb = {.ctx = b, .on_open = bn_api_on_open,
                                  .on_text = bn_api_on_text, .on_close = bn_api_on_close};
    bn_ws_init(&b->market, b->wsctx, "market", mcb);
    bn_ws_init(&b->api, b->wsctx, "api", acb);
    uv_timer_init(loop, &b->tick);
    b->tick.data = b;
    uv_timer_init(loop, &b->drain);
    b->drain.data = b;
    b->open_handles = 2;
    b->order_limit_10s = 50;
    b->weight_limit_1m = 6000;
    *out = &b->base;
    return 0;
fail:
    for (int i = 0; i < b->n_syms; i++)
        bn_book_free(&b->syms[i].book);
    bn_signer_free(&b->signer);
    free(b);
    return -1;
}
