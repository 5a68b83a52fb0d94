/* bn_orders.c - the order table, place/cancel over signed REST, their
 * answers, executionReports, and the one place fills and terminal states
 * are reported from (so the stream, the REST answers and a reconcile can
 * all see the same fill and it is still reported once). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "venues/binance/bn_filter.h"
#include "venues/binance/bn_internal.h"

/* ---- table ---- */

struct bn_order *bn_order_by_res(struct binance *b, uint64_t res)
{
    for (int i = 0; i < BN_MAX_ORDERS; i++)
        if (b->orders[i].used && b->orders[i].o.res == res)
            return &b->orders[i];
    return NULL;
}

struct bn_order *bn_order_by_cid(struct binance *b, const char *cid)
{
    if (cid == NULL || cid[0] == '\0')
        return NULL;
    for (int i = 0; i < BN_MAX_ORDERS; i++)
        if (b->orders[i].used && strcmp(b->orders[i].o.cid, cid) == 0)
            return &b->orders[i];
    return NULL;
}

struct bn_order *bn_order_by_oid(struct binance *b, int sym, int64_t order_id)
{
    for (int i = 0; i < BN_MAX_ORDERS; i++)
        if (b->orders[i].used && b->orders[i].sym == sym && b->orders[i].order_id == order_id &&
            order_id != 0)
            return &b->orders[i];
    return NULL;
}

static struct bn_order *order_new(struct binance *b)
{
    for (int i = 0; i < BN_MAX_ORDERS; i++) {
        if (!b->orders[i].used) {
            struct bn_order *o = &b->orders[i];
            int64_t *tids = o->tids;
            int cap = o->cap_tids;
            memset(o, 0, sizeof *o);
            o->tids = tids;       /* keep the allocation for the next order */
            o->cap_tids = cap;
            o->used = true;
            b->n_orders++;
            return o;
        }
    }
    return NULL;
}

void bn_order_free(struct binance *b, struct bn_order *o)
{
    if (!o->used)
        return;
    bn_closed_keep(b, o);
    o->used = false;
    o->n_tids = 0;
    b->n_orders--;
}

int bn_open_orders(const struct venue *v)
{
    return ((const struct binance *)v->impl)->n_orders;
}

/* ---- reports ---- */

static void report_init(struct venue_report *r, enum report_kind kind, const struct bn_order *o)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->res = o->o.res;
    r->inst = o->o.inst;
    if (o->order_id != 0)
        snprintf(r->voi, sizeof r->voi, "%" PRId64, o->order_id);
    r->ts_ns = clock_wall_ns();
}

static void ack(struct binance *b, struct bn_order *o)
{
    if (o->acked)
        return;
    o->acked = true;
    b->n_acks++;
    if (o->sent_ns != 0)
        b->last_rtt_ns = clock_mono_ns() - o->sent_ns;
    struct venue_report r;
    report_init(&r, REPORT_ACK, o);
    bn_emit_report(b, &r);
}

void bn_report_simple(struct binance *b, struct bn_order *o, enum report_kind kind, int64_t qty,
                      const char *reason)
{
    struct venue_report r;
    report_init(&r, kind, o);
    r.qty = qty;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    bn_emit_report(b, &r);
    if (kind != REPORT_ACK)
        bn_order_free(b, o);
}

void bn_reject_local(struct binance *b, const struct venue_order *vo, const char *why)
{
    b->n_rejects_local++;
    log_event(b->log, LOG_WARN, BN_ROOM, "order_refused_locally", "res=%" PRIu64 " reason=\"%s\"",
              vo->res, why);
    struct venue_report r;
    memset(&r, 0, sizeof r);
    r.kind = REPORT_REJECT;
    r.res = vo->res;
    r.inst = vo->inst;
    r.ts_ns = clock_wall_ns();
    snprintf(r.reason, sizeof r.reason, "%s", why);
    bn_emit_report(b, &r);
}

/* Commission in the quote currency at scale 8: Binance charges it in the
 * asset received (base on a buy), or in BNB when the account opts in. */
int64_t bn_fee_in_quote(struct binance *b, const struct bn_symbol *s, int64_t fee,
                        const char *asset, int64_t px)
{
    if (fee == 0 || asset == NULL || asset[0] == '\0')
        return 0;
    if (strcmp(asset, s->f.quote) == 0)
        return fee;
    int64_t out = 0;
    if (strcmp(asset, s->f.base) == 0 &&
        money_mul(fee, 8, px, s->in->price_scale, 8, MONEY_ROUND_CEIL, &out) == MONEY_OK)
        return out;
    log_event(b->log, LOG_WARN, BN_ROOM, "fee_asset_unpriced",
              "symbol=%s asset=%s (fee not counted in quote terms)", s->sym, asset);
    return 0;
}

static bool tid_seen(const struct bn_order *o, int64_t tid)
{
    for (int i = 0; i < o->n_tids; i++)
        if (o->tids[i] == tid)
            return true;
    return false;
}

void bn_book_fill(struct binance *b, struct bn_order *o, int64_t tid, int64_t px, int64_t qty,
                  int64_t fee, const char *fee_asset, bool maker, int64_t ts_ms)
{
    if (tid < 0 || qty <= 0 || tid_seen(o, tid))
        return;
    if (o->n_tids == o->cap_tids) {
        int cap = o->cap_tids > 0 ? o->cap_tids * 2 : 8;
        int64_t *p = realloc(o->tids, (size_t)cap * sizeof *p);
        if (p == NULL) {
            log_event(b->log, LOG_ERROR, BN_ROOM, "out_of_memory", "what=trade ids");
            return;
        }
        o->tids = p;
        o->cap_tids = cap;
    }
    o->tids[o->n_tids++] = tid;
    const struct bn_symbol *s = &b->syms[o->sym];
    struct venue_report r;
    report_init(&r, REPORT_FILL, o);
    /* Trade ids are per symbol at Binance: the symbol makes them unique
     * across the venue for the risk engine's duplicate check. */
    snprintf(r.tid, sizeof r.tid, "%s:%" PRId64, s->sym, tid);
    r.px = px;
    r.qty = qty;
    r.fee = bn_fee_in_quote(b, s, fee, fee_asset, px);
    r.liq = maker ? LIQ_MAKER : LIQ_TAKER;
    /* The app may have closed the reservation meanwhile (venue.h): the
     * side lets it book the fill anyway. */
    r.side_known = true;
    r.side = o->o.side;
    if (ts_ms > 0)
        r.ts_ns = ts_ms * NS_PER_MS;
    o->filled += qty;
    b->n_fills++;
    bn_emit_report(b, &r);
    if (o->filled >= o->o.qty)
        bn_order_free(b, o);
}

static void request_trades(struct binance *b, struct bn_order *o, uint64_t gen)
{
    if (o->trades_inflight)
        return;
    char params[128];
    snprintf(params, sizeof params, "symbol=%s&orderId=%" PRId64, b->syms[o->sym].sym,
             o->order_id);
    struct bn_req *q = bn_req_new(BN_REQ_TRADES, o->sym, o->o.res, gen);
    if (q == NULL)
        return;
    if (gen != 0)
        b->recon_pending++;
    if (bn_rest_signed(b, "GET", "/api/v3/myTrades", params, q) == 0) {
        o->trades_inflight = true;
    } else if (gen != 0) {
        b->recon_pending--;
        bn_recon_fail(b, "could not send myTrades");
    }
}

static void finalize(struct binance *b, struct bn_order *o, const char *status)
{
    int64_t rest = o->o.qty - o->filled;
    char why[128];
    if (strcmp(status, "CANCELED") == 0 || strcmp(status, "PENDING_CANCEL") == 0) {
        bn_report_simple(b, o, REPORT_CANCEL, rest, "canceled");
    } else if (strcmp(status, "EXPIRED") == 0 || strcmp(status, "EXPIRED_IN_MATCH") == 0) {
        snprintf(why, sizeof why, "%s", status);
        bn_report_simple(b, o, REPORT_EXPIRE, rest, why);
    } else if (strcmp(status, "REJECTED") == 0) {
        bn_report_simple(b, o, REPORT_REJECT, rest, "rejected by the venue");
    } else if (strcmp(status, "FILLED") == 0) {
        if (o->filled < o->o.qty) {
            /* The venue says filled but some trades never showed up: keep
             * the order so the next reconcile looks again. */
            log_event(b->log, LOG_ERROR, BN_ROOM, "fill_mismatch",
                      "res=%" PRIu64 " filled=%" PRId64 " qty=%" PRId64, o->o.res, o->filled,
                      o->o.qty);
            return;
        }
        bn_order_free(b, o);
    } else {
        /* NEW / PARTIALLY_FILLED: still working. */
        ack(b, o);
        o->final[0] = '\0';
    }
}

void bn_settle(struct binance *b, struct bn_order *o, const char *status, int64_t executed)
{
    if (o->order_id != 0 && executed > o->filled) {
        snprintf(o->final, sizeof o->final, "%s", status);
        request_trades(b, o, b->recon_active ? b->gen : 0);
        return;
    }
    finalize(b, o, status);
}

/* ---- executionReport ---- */

void bn_on_exec(struct binance *b, const json_t *ev)
{
    char sym[BN_SYM_CAP];
    int k = bn_get_symbol(ev, "s", sym) == 0 ? bn_sym_by_name(b, sym) : -1;
    if (k < 0)
        return;
    struct bn_symbol *s = &b->syms[k];
    struct bn_exec x;
    if (bn_parse_exec(ev, s->in->price_scale, s->in->qty_scale, &x) != 0) {
        log_event(b->log, LOG_ERROR, BN_ROOM, "exec_unparsable", "symbol=%s", sym);
        bn_go_blind(b, "unparsable executionReport");
        return;
    }
    struct bn_order *o = bn_order_by_cid(b, x.orig_cid);
    if (o == NULL)
        o = bn_order_by_cid(b, x.cid);
    if (o == NULL)
        o = bn_order_by_oid(b, k, x.order_id);
    if (o == NULL) {
        log_event(b->log, LOG_DEBUG, BN_ROOM, "exec_unknown_order",
                  "symbol=%s order_id=%" PRId64 " x=%s", sym, x.order_id, x.exec_type);
        return;
    }
    o->order_id = x.order_id;
    if (strcmp(x.exec_type, "NEW") == 0) {
        ack(b, o);
    } else if (strcmp(x.exec_type, "TRADE") == 0) {
        ack(b, o);
        bn_book_fill(b, o, x.trade_id, x.last_px, x.last_qty, x.fee, x.fee_asset, x.maker,
                     x.tx_ms);
    } else if (strcmp(x.exec_type, "CANCELED") == 0 || strcmp(x.exec_type, "EXPIRED") == 0 ||
               strcmp(x.exec_type, "TRADE_PREVENTION") == 0) {
        bn_settle(b, o, x.status, x.cum_qty);
    } else if (strcmp(x.exec_type, "REJECTED") == 0) {
        char why[128];
        snprintf(why, sizeof why, "rejected by the venue: %s", x.reject);
        bn_report_simple(b, o, REPORT_REJECT, o->o.qty - o->filled, why);
    }
}

/* ---- place ---- */

static bool cid_ok(const char *cid)
{
    size_t n = strlen(cid);
    if (n == 0 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = cid[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ':' || c == '/' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int bn_place(struct venue *v, const struct venue_order *vo)
{
    struct binance *b = v->impl;
    char why[192];
    int k = bn_sym_by_inst(b, vo->inst);
    if (k < 0)
        return -1;
    struct bn_symbol *s = &b->syms[k];
    if (!b->time_ok) {
        bn_reject_local(b, vo, "server time not synchronised yet (timestamps would be refused)");
        return 0;
    }
    if (b->stopping || !s->have_filters) {
        bn_reject_local(b, vo, "connector not ready (exchange filters not loaded)");
        return 0;
    }
    if (bn_backing_off(b)) {
        snprintf(why, sizeof why, "rate limited: backing off for another %" PRId64 " ms "
                 "(Retry-After)", (int64_t)((b->backoff_until_ns - clock_mono_ns()) / NS_PER_MS));
        bn_reject_local(b, vo, why);
        return 0;
    }
    int open_sym = 0;
    for (int i = 0; i < BN_MAX_ORDERS; i++)
        open_sym += b->orders[i].used && b->orders[i].sym == k;
    if (bn_filter_check(&s->f, vo->px, vo->qty, s->in->price_scale, s->in->qty_scale, open_sym,
                        why, sizeof why) != 0) {
        char msg[224];
        snprintf(msg, sizeof msg, "%s [checked before sending]", why);
        bn_reject_local(b, vo, msg);
        return 0;
    }
    if (vo->type == ORD_MARKET || vo->tif == TIF_GTD) {
        bn_reject_local(b, vo, "only LIMIT (GTC/IOC/FOK) and LIMIT_MAKER orders are supported");
        return 0;
    }
    if (vo->post_only && !s->f.limit_maker) {
        bn_reject_local(b, vo, "LIMIT_MAKER is not allowed on this symbol");
        return 0;
    }
    struct bn_order *o = order_new(b);
    if (o == NULL) {
        bn_reject_local(b, vo, "too many open orders in the connector");
        return 0;
    }
    o->o = *vo;
    o->sym = k;
    if (o->o.cid[0] == '\0')
        snprintf(o->o.cid, sizeof o->o.cid, "tr%" PRIu64, vo->res);
    if (!cid_ok(o->o.cid)) {
        bn_order_free(b, o);
        bn_reject_local(b, vo, "client order id does not match ^[.A-Z:/a-z0-9_-]{1,36}$");
        return 0;
    }
    char px[MONEY_FMT_MAX], qty[MONEY_FMT_MAX];
    money_format(vo->px, s->in->price_scale, px, sizeof px);
    money_format(vo->qty, s->in->qty_scale, qty, sizeof qty);
    const char *side = vo->side == SIDE_BUY ? "BUY" : "SELL";
    char params[512];
    if (vo->post_only)
        snprintf(params, sizeof params, "symbol=%s&side=%s&type=LIMIT_MAKER&quantity=%s&price=%s"
                 "&newClientOrderId=%s&newOrderRespType=ACK", s->sym, side, qty, px, o->o.cid);
    else
        snprintf(params, sizeof params, "symbol=%s&side=%s&type=LIMIT&timeInForce=%s&quantity=%s"
                 "&price=%s&newClientOrderId=%s&newOrderRespType=ACK", s->sym, side,
                 vo->tif == TIF_FOK ? "FOK" : (vo->tif == TIF_IOC || vo->tif == TIF_FAK) ? "IOC"
                                                                                         : "GTC",
                 qty, px, o->o.cid);
    struct bn_req *q = bn_req_new(BN_REQ_PLACE, k, vo->res, 0);
    o->sent_ns = clock_mono_ns();
    o->place_inflight = true;
    if (q == NULL || bn_rest_signed(b, "POST", "/api/v3/order", params, q) != 0) {
        bn_order_free(b, o);
        return -1;
    }
    b->n_place_sent++;
    log_event(b->log, LOG_DEBUG, BN_ROOM, "order_sent", "res=%" PRIu64 " cid=%s %s", vo->res,
              o->o.cid, params);
    return 0;
}

static void send_cancel(struct binance *b, struct bn_order *o)
{
    char params[160];
    snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", b->syms[o->sym].sym,
             o->o.cid);
    struct bn_req *q = bn_req_new(BN_REQ_CANCEL, o->sym, o->o.res, 0);
    if (q != NULL && bn_rest_signed(b, "DELETE", "/api/v3/order", params, q) == 0)
        o->cancel_inflight = true;
}

void bn_on_place(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    struct bn_order *o = bn_order_by_res(b, req->res);
    if (o == NULL)
        return;                     /* already settled by the stream */
    o->place_inflight = false;
    const struct bn_symbol *s = &b->syms[o->sym];
    if (r->status == 200) {
        json_t *j = json_loadb(r->body, r->len, 0, NULL);
        struct bn_order_info info;
        if (j != NULL && bn_parse_order(j, s->in->price_scale, s->in->qty_scale, &info) == 0)
            o->order_id = info.order_id;
        json_decref(j);
        ack(b, o);
        if (o->cancel_wanted && !o->cancel_inflight)
            send_cancel(b, o);
        return;
    }
    char why[256];
    int code = bn_error_text(r, why, sizeof why);
    if (r->status >= 400 && r->status < 500) {
        /* The venue refused it: it never rested. */
        if (code == -1021) {
            log_event(b->log, LOG_ERROR, BN_ROOM, "timestamp_rejected",
                      "res=%" PRIu64 " reason=\"%s\" action=resync_time", o->o.res, why);
            b->time_ok = false;
        } else if (code == -1022 || code == -2014 || code == -2015) {
            log_event(b->log, LOG_ERROR, BN_ROOM, "auth_failed", "res=%" PRIu64 " reason=\"%s\"",
                      o->o.res, why);
        }
        bn_report_simple(b, o, REPORT_REJECT, o->o.qty, why);
        return;
    }
    /* 5xx or no answer: execution status unknown.  Never assume either
     * way: go blind and let the reconcile ask the venue. */
    log_event(b->log, LOG_WARN, BN_ROOM, "order_status_unknown", "res=%" PRIu64 " reason=\"%s\"",
              o->o.res, why);
    bn_go_blind(b, "order status unknown after a 5xx or transport error");
}

/* ---- cancel ---- */

int bn_cancel(struct venue *v, uint64_t res)
{
    struct binance *b = v->impl;
    struct bn_order *o = bn_order_by_res(b, res);
    if (o == NULL)
        return -2;
    if (o->cancel_inflight)
        return 0;
    if (o->place_inflight) {
        o->cancel_wanted = true;    /* sent once the place is answered */
        return 0;
    }
    /* Cancels go out even while backing off from a 429: they only reduce
     * exposure, and a kill must leave nothing open. */
    send_cancel(b, o);
    return o->cancel_inflight ? 0 : -1;
}

int bn_cancel_all(struct venue *v)
{
    struct binance *b = v->impl;
    int rc = 0;
    for (int i = 0; i < BN_MAX_ORDERS; i++)
        if (b->orders[i].used && bn_cancel(v, b->orders[i].o.res) == -1)
            rc = -1;
    return rc;
}

void bn_on_cancel(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    struct bn_order *o = bn_order_by_res(b, req->res);
    if (o == NULL)
        return;
    o->cancel_inflight = false;
    const struct bn_symbol *s = &b->syms[o->sym];
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    struct bn_order_info info;
    if (r->status == 200 && j != NULL &&
        bn_parse_order(j, s->in->price_scale, s->in->qty_scale, &info) == 0) {
        o->order_id = info.order_id;
        json_decref(j);
        bn_settle(b, o, info.status[0] != '\0' ? info.status : "CANCELED", info.executed);
        return;
    }
    json_decref(j);
    char why[256];
    int code = bn_error_text(r, why, sizeof why);
    if (code == -2011) {
        /* Unknown order: it filled or was cancelled already - ask. */
        char params[160];
        snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", s->sym, o->o.cid);
        struct bn_req *q = bn_req_new(BN_REQ_QUERY, o->sym, o->o.res, 0);
        if (q != NULL && bn_rest_signed(b, "GET", "/api/v3/order", params, q) == 0)
            o->query_inflight = true;
        return;
    }
    bool retry = code == -1021 || r->status == 429 || r->status == 418 || r->status >= 500 ||
                 r->curl_code != 0;
    if (code == -1021) {
        log_event(b->log, LOG_ERROR, BN_ROOM, "timestamp_rejected",
                  "res=%" PRIu64 " request=cancel reason=\"%s\" action=resync_time", o->o.res,
                  why);
        b->time_ok = false;
    }
    o->cancel_retry = retry;
    log_event(b->log, LOG_WARN, BN_ROOM, "cancel_failed", "res=%" PRIu64 " reason=\"%s\" retry=%s",
              o->o.res, why, retry ? "yes" : "no");
}

void bn_retry_cancels(struct binance *b)
{
    if (!b->time_ok || bn_backing_off(b))
        return;
    for (int i = 0; i < BN_MAX_ORDERS; i++) {
        struct bn_order *o = &b->orders[i];
        if (o->used && o->cancel_retry && !o->cancel_inflight) {
            o->cancel_retry = false;
            send_cancel(b, o);
        }
    }
}

/* ---- order status and trades (also used by the reconcile) ---- */

void bn_on_query(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    bool in_recon = req->gen != 0;
    bool current = in_recon && req->gen == b->gen && b->recon_active;
    struct bn_order *o = bn_order_by_res(b, req->res);
    if (o != NULL)
        o->query_inflight = false;
    if (in_recon && !current)
        return;
    if (o == NULL) {
        if (current)
            bn_recon_step_done(b, req->gen);
        return;
    }
    const struct bn_symbol *s = &b->syms[o->sym];
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    struct bn_order_info info;
    if (r->status == 200 && j != NULL &&
        bn_parse_order(j, s->in->price_scale, s->in->qty_scale, &info) == 0) {
        json_decref(j);
        o->order_id = info.order_id;
        /* settle may add a myTrades request to the reconcile before this
         * step counts as done */
        bn_settle(b, o, info.status, info.executed);
        if (current)
            bn_recon_step_done(b, req->gen);
        return;
    }
    json_decref(j);
    char why[256];
    int code = bn_error_text(r, why, sizeof why);
    if (code == -2013) {
        /* The venue never had it: the order did not reach the book. */
        bn_report_simple(b, o, REPORT_REJECT, o->o.qty, "order not found at the venue");
        if (current)
            bn_recon_step_done(b, req->gen);
        return;
    }
    log_event(b->log, LOG_WARN, BN_ROOM, "query_failed", "res=%" PRIu64 " reason=\"%s\"",
              o->o.res, why);
    if (current)
        bn_recon_fail(b, "order status query failed");
}

void bn_on_trades(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    bool in_recon = req->gen != 0;
    bool current = in_recon && req->gen == b->gen && b->recon_active;
    struct bn_order *o = bn_order_by_res(b, req->res);
    if (o != NULL)
        o->trades_inflight = false;
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    if (!json_is_array(j)) {
        char why[256];
        bn_error_text(r, why, sizeof why);
        log_event(b->log, LOG_WARN, BN_ROOM, "trades_failed", "res=%" PRIu64 " reason=\"%s\"",
                  req->res, why);
        json_decref(j);
        if (current)
            bn_recon_fail(b, "myTrades failed");
        else if (o != NULL && !in_recon)
            bn_go_blind(b, "could not fetch the trades of a finished order");
        return;
    }
    if (o != NULL) {
        const struct bn_symbol *s = &b->syms[o->sym];
        char final[BN_WORD_CAP];
        snprintf(final, sizeof final, "%s", o->final);
        size_t i;
        const json_t *t;
        int booked = 0;
        json_array_foreach(j, i, t) {
            struct bn_trade tr;
            if (bn_parse_trade(t, s->in->price_scale, s->in->qty_scale, &tr) != 0 ||
                tr.order_id != o->order_id || !o->used)
                continue;
            uint64_t before = b->n_fills;
            bn_book_fill(b, o, tr.id, tr.px, tr.qty, tr.fee, tr.fee_asset, tr.maker, tr.time_ms);
            booked += b->n_fills > before;
        }
        if (booked > 0) {
            b->recon_fills += booked;
            log_event(b->log, LOG_WARN, BN_ROOM, "fills_from_rest", "res=%" PRIu64
                      " fills=%d (seen only through myTrades)", req->res, booked);
        }
        if (o->used && final[0] != '\0')
            finalize(b, o, final);
    }
    json_decref(j);
    if (current)
        bn_recon_step_done(b, req->gen);
}
