/* bn_user.c - the WebSocket API connection: the user data stream
 * subscription (userDataStream.subscribe.signature works with HMAC and
 * Ed25519 keys alike; listenKeys are retired) and its events. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "venues/binance/bn_internal.h"

void bn_api_on_open(void *ctx, struct bn_ws *ws)
{
    struct binance *b = ctx;
    (void)ws;
    b->api_backoff_ms = 0;
    b->user_subscribed = false;
    b->subscribe_inflight = false;
    log_event(b->log, LOG_INFO, BN_ROOM, "api_connected", "url=%s", b->cfg.ws_api_url);
    bn_advance(b);
}

void bn_api_on_close(void *ctx, struct bn_ws *ws, const char *why)
{
    struct binance *b = ctx;
    (void)ws;
    b->user_subscribed = false;
    b->subscribe_inflight = false;
    if (b->stopping)
        return;
    log_event(b->log, LOG_WARN, BN_ROOM, "api_disconnected", "reason=\"%s\"", why);
    bn_go_blind(b, "user data stream disconnected");
}

void bn_user_subscribe(struct binance *b)
{
    int64_t ts = bn_now_ms(b);
    char payload[512];
    int n = snprintf(payload, sizeof payload, "apiKey=%s&recvWindow=%" PRId64 "&timestamp=%" PRId64,
                     b->signer.api_key, b->cfg.recv_window_ms, ts);
    char sig[BN_SIG_CAP];
    if (n < 0 || (size_t)n >= sizeof payload || bn_sign(&b->signer, payload, (size_t)n, sig,
                                                         sizeof sig) < 0) {
        log_event(b->log, LOG_ERROR, BN_ROOM, "sign_failed", "what=userDataStream.subscribe");
        return;
    }
    b->subscribe_req_id = ++b->api_req_id;
    char msg[1024];
    n = snprintf(msg, sizeof msg,
                 "{\"id\":%" PRIu64 ",\"method\":\"userDataStream.subscribe.signature\","
                 "\"params\":{\"apiKey\":\"%s\",\"recvWindow\":%" PRId64 ",\"timestamp\":%" PRId64
                 ",\"signature\":\"%s\"}}",
                 b->subscribe_req_id, b->signer.api_key, b->cfg.recv_window_ms, ts, sig);
    if (n > 0 && (size_t)n < sizeof msg && bn_ws_send(&b->api, msg, (size_t)n) == 0)
        b->subscribe_inflight = true;
}

static void on_response(struct binance *b, const json_t *j)
{
    const json_t *id = json_object_get(j, "id");
    if (!json_is_integer(id) || (uint64_t)json_integer_value(id) != b->subscribe_req_id)
        return;
    b->subscribe_inflight = false;
    const json_t *status = json_object_get(j, "status");
    const json_t *result = json_object_get(j, "result");
    if (json_is_integer(status) && json_integer_value(status) == 200 && json_is_object(result)) {
        b->user_subscribed = true;
        log_event(b->log, LOG_INFO, BN_ROOM, "user_stream_subscribed", "subscription_id=%" PRId64,
                  (int64_t)json_integer_value(json_object_get(result, "subscriptionId")));
        bn_advance(b);
        return;
    }
    int code = 0;
    char msg[160] = "";
    bn_parse_error(json_object_get(j, "error"), &code, msg, sizeof msg);
    int64_t retry_ms = 1000;
    const char *what = "subscribe_failed";
    if (code == -1022 || code == -2014 || code == -2015) {
        /* Wrong key or signature: retrying fast would only burn weight. */
        what = "auth_failed";
        retry_ms = 30000;
    } else if (code == -1021) {
        what = "timestamp_rejected";
        b->time_ok = false;         /* re-measure the server clock first */
    }
    b->subscribe_retry_ns = clock_mono_ns() + retry_ms * NS_PER_MS;
    log_event(b->log, LOG_ERROR, BN_ROOM, what,
              "request=userDataStream.subscribe.signature code=%d msg=\"%s\" retry_ms=%" PRId64,
              code, msg, retry_ms);
}

void bn_api_on_text(void *ctx, struct bn_ws *ws, const char *text, size_t len)
{
    struct binance *b = ctx;
    (void)ws;
    json_t *j = json_loadb(text, len, 0, NULL);
    if (j == NULL) {
        log_event(b->log, LOG_WARN, BN_ROOM, "api_unparsable", "len=%zu", len);
        return;
    }
    if (json_object_get(j, "status") != NULL && json_object_get(j, "id") != NULL) {
        on_response(b, j);
        json_decref(j);
        return;
    }
    const json_t *ev = bn_event_body(j);
    const char *e = bn_event_type(ev);
    if (strcmp(e, "executionReport") == 0) {
        bn_on_exec(b, ev);
    } else if (strcmp(e, "eventStreamTerminated") == 0) {
        b->user_subscribed = false;
        bn_go_blind(b, "user data stream terminated");
    } else if (strcmp(e, "serverShutdown") == 0) {
        log_event(b->log, LOG_WARN, BN_ROOM, "server_shutdown", "stream=api action=reconnect");
        bn_ws_close(&b->api);
    } else if (strcmp(e, "outboundAccountPosition") == 0 || strcmp(e, "balanceUpdate") == 0) {
        log_event(b->log, LOG_DEBUG, BN_ROOM, "balance_event", "e=%s", e);
    }
    json_decref(j);
}
