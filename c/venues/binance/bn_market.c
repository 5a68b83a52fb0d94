/* bn_market.c - the market stream (combined diff-depth streams of every
 * configured symbol), the local books and the marks they give. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "venues/binance/bn_fastdepth.h"
#include "venues/binance/bn_internal.h"

#define SNAPSHOT_MAX_FAILS 5
#define QUIET_SNAPSHOT_MS 500

int bn_market_open(struct binance *b)
{
    char url[BN_URL_CAP + BN_MAX_SYMBOLS * 48];
    int n = snprintf(url, sizeof url, "%s/stream?streams=", b->cfg.ws_streams_url);
    for (int i = 0; i < b->n_syms && n > 0 && (size_t)n < sizeof url; i++)
        n += snprintf(url + n, sizeof url - (size_t)n, "%s%s@%s", i > 0 ? "/" : "",
                      b->syms[i].lower, b->cfg.depth_stream);
    char err[256];
    if (bn_ws_open(&b->market, url, err, sizeof err) != 0) {
        log_event(b->log, LOG_WARN, BN_ROOM, "market_open_failed", "reason=\"%s\"", err);
        return -1;
    }
    return 0;
}

void bn_market_on_open(void *ctx, struct bn_ws *ws)
{
    struct binance *b = ctx;
    (void)ws;
    b->market_backoff_ms = 0;
    b->market_open_ns = clock_mono_ns();
    for (int i = 0; i < b->n_syms; i++) {
        bn_book_reset(&b->syms[i].book);
        b->syms[i].snapshot_fails = 0;
    }
    log_event(b->log, LOG_INFO, BN_ROOM, "market_connected", "symbols=%d", b->n_syms);
}

void bn_market_on_close(void *ctx, struct bn_ws *ws, const char *why)
{
    struct binance *b = ctx;
    (void)ws;
    for (int i = 0; i < b->n_syms; i++)
        bn_book_reset(&b->syms[i].book);
    if (b->stopping)
        return;
    log_event(b->log, LOG_WARN, BN_ROOM, "market_disconnected", "reason=\"%s\"", why);
    bn_go_blind(b, "market stream disconnected");
}

static void emit_mark(struct binance *b, struct bn_symbol *s, int64_t event_ms)
{
    int64_t mid = bn_book_mid(&s->book, s->in->tick);
    if (mid <= 0 || mid == s->last_mark)
        return;
    s->last_mark = mid;
    int64_t ts = event_ms > 0 ? event_ms * NS_PER_MS : clock_wall_ns();
    b->base.sink.on_mark(b->base.sink.ctx, s->inst, mid, ts);
}

static void gap(struct binance *b, struct bn_symbol *s, const char *what)
{
    log_event(b->log, LOG_WARN, BN_ROOM, "depth_gap", "symbol=%s what=\"%s\" gaps=%" PRIu64
              " action=resync", s->sym, what, s->book.gaps);
    bn_book_reset(&s->book);
    s->last_mark = 0;
    char why[96];
    snprintf(why, sizeof why, "depth sequence gap on %s: resync", s->sym);
    bn_go_blind(b, why);
}

/* One parsed diff into its book; a gap makes the venue blind. */
static void apply_diff(struct binance *b, struct bn_symbol *s, const struct bn_depth *d)
{
    struct bn_diff diff = {.first_id = d->first_id, .last_id = d->last_id, .lv = b->levels,
                           .n_bids = d->n_bids, .n_asks = d->n_asks};
    s->last_depth_ns = clock_mono_ns();
    bool was_synced = s->book.state == BN_BOOK_SYNCED;
    enum bn_book_rc br = bn_book_on_diff(&s->book, &diff);
    if (br == BN_BOOK_GAP)
        gap(b, s, "U > last update id + 1");
    else if (br == BN_BOOK_OVERFLOW || br == BN_BOOK_NOMEM)
        log_event(b->log, LOG_WARN, BN_ROOM, "depth_buffer_reset", "symbol=%s", s->sym);
    else if (was_synced)
        emit_mark(b, s, d->event_ms);
}

int bn_market_handle(struct binance *b, const char *text, size_t len)
{
    char sym[BN_SYM_CAP];
    struct bn_depth d;
    /* the hot path: a plain depthUpdate read in place */
    if (bn_fast_depth_symbol(text, len, sym) == BN_FAST_OK) {
        int k = bn_sym_by_name(b, sym);
        if (k >= 0 && bn_fast_depth(text, len, b->syms[k].in->price_scale,
                                    b->syms[k].in->qty_scale, &d, b->levels,
                                    BN_MAX_LEVELS) == BN_FAST_OK &&
            strcmp(d.symbol, sym) == 0) {
            apply_diff(b, &b->syms[k], &d);
            return 0;
        }
    }
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    if (j == NULL)
        return -1;
    const json_t *ev = bn_event_body(j);
    const char *e = bn_event_type(ev);
    int rc = 0;
    if (strcmp(e, "depthUpdate") == 0) {
        int k = bn_get_symbol(ev, "s", sym) == 0 ? bn_sym_by_name(b, sym) : -1;
        if (k < 0) {
            rc = -1;
        } else if (bn_parse_depth(ev, b->syms[k].in->price_scale, b->syms[k].in->qty_scale, &d,
                                  b->levels, BN_MAX_LEVELS) != 0) {
            log_event(b->log, LOG_ERROR, BN_ROOM, "depth_unparsable", "symbol=%s", sym);
            gap(b, &b->syms[k], "unparsable depth event");
            rc = -1;
        } else {
            apply_diff(b, &b->syms[k], &d);
        }
    } else if (strcmp(e, "serverShutdown") == 0) {
        log_event(b->log, LOG_WARN, BN_ROOM, "server_shutdown", "stream=market action=reconnect");
        bn_ws_close(&b->market);
    }
    json_decref(j);
    return rc;
}

void bn_market_on_text(void *ctx, struct bn_ws *ws, const char *text, size_t len)
{
    (void)ws;
    bn_market_handle(ctx, text, len);
}

bool bn_books_synced(const struct binance *b)
{
    for (int i = 0; i < b->n_syms; i++)
        if (b->syms[i].book.state != BN_BOOK_SYNCED)
            return false;
    return true;
}

/* Step 2 of the procedure: a snapshot once the first diff is buffered. */
void bn_market_snapshots(struct binance *b)
{
    int64_t now = clock_mono_ns();
    for (int i = 0; i < b->n_syms; i++) {
        struct bn_symbol *s = &b->syms[i];
        /* Normally the first buffered diff triggers the snapshot; a quiet
         * symbol may send none for a while, and then a snapshot taken
         * while subscribed is just as valid (the next diff must join it). */
        bool quiet = bn_book_pending(&s->book) == 0 &&
                     now - b->market_open_ns >= QUIET_SNAPSHOT_MS * NS_PER_MS;
        if (s->book.state == BN_BOOK_SYNCED || s->snapshot_inflight ||
            (bn_book_pending(&s->book) == 0 && !quiet) || now < s->snapshot_retry_ns)
            continue;
        char path[128];
        snprintf(path, sizeof path, "/api/v3/depth?symbol=%s&limit=%" PRId64, s->sym,
                 b->cfg.depth_limit);
        struct bn_req *q = bn_req_new(BN_REQ_SNAPSHOT, i, 0, 0);
        if (q != NULL && bn_rest_public(b, path, q) == 0)
            s->snapshot_inflight = true;
    }
}

void bn_on_snapshot(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    struct bn_symbol *s = &b->syms[req->sym];
    s->snapshot_inflight = false;
    char why[256] = "";
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    struct bn_depth d;
    enum bn_book_rc rc = BN_BOOK_GAP;
    if (j == NULL) {
        bn_error_text(r, why, sizeof why);
    } else if (bn_parse_depth(j, s->in->price_scale, s->in->qty_scale, &d, b->levels,
                              BN_MAX_LEVELS) != 0) {
        snprintf(why, sizeof why, "unparsable depth snapshot");
    } else if (b->market.state != BN_WS_OPEN) {
        snprintf(why, sizeof why, "market stream closed meanwhile");
    } else {
        rc = bn_book_on_snapshot(&s->book, d.last_id, b->levels, d.n_bids, b->levels + d.n_bids,
                                 d.n_asks);
        if (rc == BN_BOOK_SNAPSHOT_OLD)
            snprintf(why, sizeof why, "snapshot %" PRIu64 " older than buffered diff %" PRIu64,
                     d.last_id, bn_book_first_pending_id(&s->book));
        else if (rc != BN_BOOK_OK)
            snprintf(why, sizeof why, "buffered diffs do not join snapshot %" PRIu64, d.last_id);
    }
    json_decref(j);
    if (rc == BN_BOOK_OK) {
        s->snapshot_fails = 0;
        log_event(b->log, LOG_INFO, BN_ROOM, "book_synced",
                  "symbol=%s last_update_id=%" PRIu64 " bids=%d asks=%d", s->sym,
                  s->book.last_id, s->book.bids.n, s->book.asks.n);
        s->last_mark = 0;
        s->last_depth_ns = clock_mono_ns();
        s->stall_check_ns = 0;
        emit_mark(b, s, 0);
        bn_advance(b);
        return;
    }
    /* Retry with a growing pause (250 ms doubling, 3 s cap). */
    s->snapshot_fails++;
    int64_t delay_ms = 250LL << (s->snapshot_fails < 4 ? s->snapshot_fails - 1 : 3);
    if (delay_ms > 3000)
        delay_ms = 3000;
    s->snapshot_retry_ns = clock_mono_ns() + delay_ms * NS_PER_MS;
    log_event(b->log, s->snapshot_fails >= SNAPSHOT_MAX_FAILS ? LOG_ERROR : LOG_WARN, BN_ROOM,
              "snapshot_failed", "symbol=%s reason=\"%s\" attempt=%d retry_ms=%" PRId64, s->sym,
              why, s->snapshot_fails, delay_ms);
}

/* ---- stall watch ----
 * A stream can stay open and answer pings while sending no data (a stuck
 * publisher, a stalled proxy): the socket watchdog in binance.c cannot see
 * that.  But silence alone proves nothing either: Binance sends a diff
 * only when the book changed, and a quiet symbol can be silent for a long
 * time.  So a synced symbol silent for stall_after_ms is probed: a small
 * REST depth snapshot gives the venue's lastUpdateId.  If the venue's book
 * has moved past ours and still no diff arrives within a grace (2 s, 4 s
 * for the 1000 ms stream: a diff may be on its way; a false alarm halts
 * the venue and cancels its orders, so the grace errs long), the stream
 * is stalled: the venue goes blind and the market stream is reconnected,
 * which resubscribes, resyncs every book and reconciles. */

static int64_t stall_grace_ms(const struct binance *b)
{
    return strcmp(b->cfg.depth_stream, "depth") == 0 ? 4000 : 2000;
}

static void stalled(struct binance *b, struct bn_symbol *s, int64_t now)
{
    int64_t silent_ms = (now - s->last_depth_ns) / NS_PER_MS;
    log_event(b->log, LOG_WARN, BN_ROOM, "market_stalled",
              "symbol=%s silent_ms=%" PRId64 " venue_update_id=%" PRIu64
              " book_update_id=%" PRIu64 " action=reconnect", s->sym, silent_ms,
              s->probe_venue_id, s->book.last_id);
    char why[128];
    snprintf(why, sizeof why, "market data stalled on %s: no depth event for %" PRId64
             " ms while the venue's book moved on", s->sym, silent_ms);
    bn_go_blind(b, why);
    bn_ws_close(&b->market);
}

void bn_market_watch_stall(struct binance *b, int64_t now)
{
    if (b->cfg.stall_after_ms <= 0 || b->market.state != BN_WS_OPEN || b->stopping)
        return;
    for (int i = 0; i < b->n_syms; i++) {
        struct bn_symbol *s = &b->syms[i];
        if (s->book.state != BN_BOOK_SYNCED) {
            s->stall_check_ns = 0;
            continue;
        }
        if (s->stall_check_ns != 0 && now >= s->stall_check_ns) {
            s->stall_check_ns = 0;
            if (s->last_depth_ns < s->probe_sent_ns) {
                stalled(b, s, now);
                return;
            }
        }
        if (s->probe_inflight || s->stall_check_ns != 0 || now < s->probe_next_ns ||
            now - s->last_depth_ns < b->cfg.stall_after_ms * NS_PER_MS || bn_backing_off(b))
            continue;
        char path[96];
        snprintf(path, sizeof path, "/api/v3/depth?symbol=%s&limit=5", s->sym);
        struct bn_req *q = bn_req_new(BN_REQ_PROBE, i, 0, 0);
        if (q != NULL && bn_rest_public(b, path, q) == 0) {
            s->probe_inflight = true;
            s->probe_sent_ns = now;
        }
    }
}

void bn_on_probe(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    struct bn_symbol *s = &b->syms[req->sym];
    s->probe_inflight = false;
    int64_t now = clock_mono_ns();
    s->probe_next_ns = now + b->cfg.stall_after_ms * NS_PER_MS;
    if (s->last_depth_ns >= s->probe_sent_ns || s->book.state != BN_BOOK_SYNCED)
        return;                         /* data came meanwhile, or resyncing anyway */
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    struct bn_depth d;
    if (j == NULL || bn_parse_depth(j, s->in->price_scale, s->in->qty_scale, &d, b->levels,
                                    BN_MAX_LEVELS) != 0) {
        json_decref(j);
        return;                         /* no verdict; probe again later */
    }
    json_decref(j);
    if (d.last_id > s->book.last_id) {
        s->probe_venue_id = d.last_id;
        s->stall_check_ns = now + stall_grace_ms(b) * NS_PER_MS;
    }
}
