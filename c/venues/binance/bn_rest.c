/* bn_rest.c - REST requests (public and signed), the rate-limit headers
 * and the 429/418 back-off, and dispatch of answers by request kind. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "venues/binance/bn_internal.h"

struct bn_req *bn_req_new(enum bn_req_kind kind, int sym, uint64_t res, uint64_t gen)
{
    struct bn_req *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->kind = kind;
    q->sym = sym;
    q->res = res;
    q->gen = gen;
    return q;
}

bool bn_backing_off(const struct binance *b) { return clock_mono_ns() < b->backoff_until_ns; }

int bn_rest_public(struct binance *b, const char *path_query, struct bn_req *req)
{
    char url[BN_URL_CAP + 1024];
    snprintf(url, sizeof url, "%s%s", b->cfg.rest_url, path_query);
    if (b->http == NULL || bn_http_request(b->http, "GET", url, NULL, req) != 0) {
        free(req);
        return -1;
    }
    return 0;
}

int bn_rest_signed(struct binance *b, const char *method, const char *path, const char *params,
                   struct bn_req *req)
{
    /* The payload is the query string exactly as sent; signature last. */
    char query[2048];
    int n = snprintf(query, sizeof query, "%s%srecvWindow=%" PRId64 "&timestamp=%" PRId64, params,
                     params[0] != '\0' ? "&" : "", b->cfg.recv_window_ms, bn_now_ms(b));
    char sig[BN_SIG_CAP * 3];
    if (n < 0 || (size_t)n >= sizeof query ||
        bn_sign_query(&b->signer, query, (size_t)n, sig, sizeof sig) < 0) {
        free(req);
        return -1;
    }
    char url[BN_URL_CAP + sizeof query + sizeof sig + 64];
    snprintf(url, sizeof url, "%s%s?%s&signature=%s", b->cfg.rest_url, path, query, sig);
    if (b->http == NULL || bn_http_request(b->http, method, url, b->signer.api_key, req) != 0) {
        free(req);
        return -1;
    }
    return 0;
}

int bn_error_text(const struct bn_http_resp *r, char *out, size_t cap)
{
    if (r->curl_code != 0) {
        snprintf(out, cap, "transport error: %s", r->curl_err != NULL ? r->curl_err : "?");
        return 0;
    }
    int code = 0;
    char msg[160] = "";
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    if (j == NULL || bn_parse_error(j, &code, msg, sizeof msg) != 0)
        snprintf(out, cap, "binance HTTP %ld: %.100s", r->status, r->body);
    else
        snprintf(out, cap, "binance %d: %s", code, msg);
    json_decref(j);
    return code;
}

/* Every answer: the weight and order counters; 429/418 start a back-off
 * that honours Retry-After (defaulting when absent). */
static void account_limits(struct binance *b, const struct bn_http_resp *r)
{
    if (r->used_weight_1m >= 0) {
        b->used_weight_1m = r->used_weight_1m;
        if (b->weight_limit_1m > 0 && r->used_weight_1m * 10 >= b->weight_limit_1m * 8)
            log_event(b->log, LOG_WARN, BN_ROOM, "weight_high",
                      "used_weight_1m=%" PRId64 " limit=%" PRId64, r->used_weight_1m,
                      b->weight_limit_1m);
    }
    if (r->order_count_10s >= 0)
        b->order_count_10s = r->order_count_10s;
    if (r->order_count_1d >= 0)
        b->order_count_1d = r->order_count_1d;
    if (r->status == 429 || r->status == 418) {
        int64_t secs = r->retry_after_s >= 0 ? r->retry_after_s : b->cfg.default_retry_after_s;
        if (secs < 1)
            secs = 1;
        int64_t until = clock_mono_ns() + secs * NS_PER_SEC;
        if (until > b->backoff_until_ns)
            b->backoff_until_ns = until;
        log_event(b->log, r->status == 418 ? LOG_ERROR : LOG_WARN, BN_ROOM, "rate_limited",
                  "status=%ld retry_after_s=%" PRId64 " used_weight_1m=%" PRId64
                  " action=backoff", r->status, secs, b->used_weight_1m);
    }
}

static void on_time(struct binance *b, const struct bn_http_resp *r)
{
    b->time_inflight = false;
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    const json_t *t = json_object_get(j, "serverTime");
    if (json_is_integer(t)) {
        /* Offset from the midpoint of the request: the server stamped it
         * somewhere in between. */
        int64_t local = clock_wall_ns() / NS_PER_MS - r->elapsed_ns / NS_PER_MS / 2;
        b->time_offset_ms = (int64_t)json_integer_value(t) - local;
        b->time_ok = true;
        log_event(b->log, LOG_INFO, BN_ROOM, "server_time", "offset_ms=%" PRId64,
                  b->time_offset_ms);
    } else {
        char why[256];
        bn_error_text(r, why, sizeof why);
        log_event(b->log, LOG_WARN, BN_ROOM, "server_time_failed", "reason=\"%s\"", why);
    }
    json_decref(j);
}

static void on_exinfo(struct binance *b, const struct bn_http_resp *r)
{
    b->exinfo_inflight = false;
    char why[256] = "";
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    const json_t *syms = json_object_get(j, "symbols");
    if (!json_is_array(syms)) {
        bn_error_text(r, why, sizeof why);
        goto fail;
    }
    size_t i;
    const json_t *lim;
    json_array_foreach(json_object_get(j, "rateLimits"), i, lim) {
        const char *t = json_string_value(json_object_get(lim, "rateLimitType"));
        const char *iv = json_string_value(json_object_get(lim, "interval"));
        const json_t *l = json_object_get(lim, "limit");
        const json_t *num = json_object_get(lim, "intervalNum");
        if (t == NULL || iv == NULL || !json_is_integer(l) || !json_is_integer(num))
            continue;
        if (strcmp(t, "REQUEST_WEIGHT") == 0 && strcmp(iv, "MINUTE") == 0 &&
            json_integer_value(num) == 1)
            b->weight_limit_1m = (int64_t)json_integer_value(l);
        if (strcmp(t, "ORDERS") == 0 && strcmp(iv, "SECOND") == 0 &&
            json_integer_value(num) == 10)
            b->order_limit_10s = (int64_t)json_integer_value(l);
    }
    for (int k = 0; k < b->n_syms; k++)
        b->syms[k].have_filters = false;
    const json_t *s;
    json_array_foreach(syms, i, s) {
        char name[BN_SYM_CAP];
        if (bn_get_symbol(s, "symbol", name) != 0)
            continue;
        int k = bn_sym_by_name(b, name);
        if (k < 0)
            continue;
        struct bn_symbol *sy = &b->syms[k];
        if (bn_parse_symbol_filters(s, sy->in->price_scale, sy->in->qty_scale, &sy->f, why,
                                    sizeof why) != 0)
            goto fail;
        if (strcmp(sy->f.quote, sy->in->quote_ccy) != 0) {
            snprintf(why, sizeof why, "%s: quote asset is %s but the config says %s", name,
                     sy->f.quote, sy->in->quote_ccy);
            goto fail;
        }
        if (sy->f.tick != sy->in->tick || sy->f.step != sy->in->lot)
            log_event(b->log, LOG_WARN, BN_ROOM, "filters_differ_from_config",
                      "symbol=%s (the exchange's filters are applied before sending)", name);
        sy->have_filters = true;
    }
    for (int k = 0; k < b->n_syms; k++) {
        if (!b->syms[k].have_filters) {
            snprintf(why, sizeof why, "symbol %s is not listed by exchangeInfo", b->syms[k].sym);
            goto fail;
        }
    }
    b->exinfo_ok = true;
    log_event(b->log, LOG_INFO, BN_ROOM, "exchange_info", "symbols=%d weight_limit_1m=%" PRId64
              " order_limit_10s=%" PRId64, b->n_syms, b->weight_limit_1m, b->order_limit_10s);
    json_decref(j);
    bn_advance(b);
    return;
fail:
    json_decref(j);
    b->exinfo_retry_ns = clock_mono_ns() + 5 * NS_PER_SEC;
    log_event(b->log, LOG_ERROR, BN_ROOM, "exchange_info_failed", "reason=\"%s\" retry_s=5", why);
}

void bn_http_done(void *ctx, void *user, const struct bn_http_resp *r)
{
    struct binance *b = ctx;
    struct bn_req *req = user;
    if (r->cancelled || b->destroyed) {
        free(req);
        return;
    }
    account_limits(b, r);
    switch (req->kind) {
    case BN_REQ_TIME:
        on_time(b, r);
        break;
    case BN_REQ_EXINFO:
        on_exinfo(b, r);
        break;
    case BN_REQ_SNAPSHOT:
        bn_on_snapshot(b, req, r);
        break;
    case BN_REQ_PLACE:
        bn_on_place(b, req, r);
        break;
    case BN_REQ_CANCEL:
        bn_on_cancel(b, req, r);
        break;
    case BN_REQ_QUERY:
        bn_on_query(b, req, r);
        break;
    case BN_REQ_TRADES:
        bn_on_trades(b, req, r);
        break;
    case BN_REQ_OPEN_ORDERS:
        bn_on_open_orders(b, req, r);
        break;
    case BN_REQ_ACCOUNT:
        bn_on_account(b, req, r);
        break;
    case BN_REQ_SWEEP:
        bn_on_sweep(b, req, r);
        break;
    case BN_REQ_OWNER:
        bn_on_owner(b, req, r);
        break;
    case BN_REQ_PROBE:
        bn_on_probe(b, req, r);
        break;
    case BN_REQ_CANCEL_FOREIGN:
        if (r->status != 200) {
            char why[256];
            bn_error_text(r, why, sizeof why);
            log_event(b->log, LOG_WARN, BN_ROOM, "foreign_cancel_failed",
                      "order_id=%" PRId64 " reason=\"%s\"", req->order_id, why);
        }
        bn_recon_step_done(b, req->gen);
        break;
    }
    free(req);
}
