/* bn_http.h - HTTP requests through libcurl's multi interface on the app's
 * uv loop (curl_multi_socket_action driven by uv_poll and one uv_timer).
 *
 * Each request carries an opaque user pointer that comes back exactly once
 * in the completion callback: with the response, with a transport error, or
 * with `cancelled` when the client is closed first (so the owner can free
 * what it attached). */
#ifndef TRADER_VENUES_BINANCE_HTTP_H
#define TRADER_VENUES_BINANCE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct bn_http_resp {
    bool cancelled;          /* the client closed before an answer */
    int curl_code;           /* 0 = transport ok */
    const char *curl_err;    /* text for curl_code != 0 */
    long status;             /* HTTP status, 0 on transport error */
    const char *body;        /* NUL terminated */
    size_t len;
    int64_t used_weight_1m;  /* X-MBX-USED-WEIGHT-1M, -1 if absent */
    int64_t order_count_10s; /* X-MBX-ORDER-COUNT-10S, -1 if absent */
    int64_t order_count_1d;  /* X-MBX-ORDER-COUNT-1D, -1 if absent */
    int64_t retry_after_s;   /* Retry-After, -1 if absent */
    int64_t elapsed_ns;
};

typedef void (*bn_http_cb)(void *ctx, void *user, const struct bn_http_resp *r);

struct bn_http;

int bn_http_create(uv_loop_t *loop, bn_http_cb cb, void *ctx, long timeout_ms,
                   struct bn_http **out);

/* method: "GET", "POST", "DELETE". api_key (may be NULL) goes in
 * X-MBX-APIKEY.  0, or -1 (nothing queued, user not consumed). */
int bn_http_request(struct bn_http *h, const char *method, const char *url, const char *api_key,
                    void *user);

/* Requests in flight. */
int bn_http_pending(const struct bn_http *h);

/* Cancels every request (callbacks with cancelled = true, synchronously),
 * then closes the uv handles; memory goes when the last one has closed. */
void bn_http_close(struct bn_http *h);

#endif
