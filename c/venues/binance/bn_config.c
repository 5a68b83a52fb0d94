/* bn_config.c - see bn_config.h. */
#include "venues/binance/bn_config.h"

#include <stdio.h>
#include <string.h>

#include "core/json_strict.h"

#define PATH "venues.binance"

static int url_key(const json_t *cfg, const char *key, const char *const *schemes, char *out,
                   char *err, size_t errlen)
{
    if (js_get_string(cfg, PATH, key, JS_REQUIRED, false, out, BN_URL_CAP, NULL, err,
                      errlen) != 0)
        return -1;
    for (int i = 0; schemes[i] != NULL; i++)
        if (strncmp(out, schemes[i], strlen(schemes[i])) == 0) {
            size_t n = strlen(out);
            while (n > 0 && out[n - 1] == '/')
                out[--n] = '\0';
            return 0;
        }
    return js_errorf(err, errlen, PATH, key, "must start with %s or %s", schemes[0], schemes[1]);
}

int bn_config_load(const json_t *cfg, struct bn_config *out, struct bn_signer *signer, char *err,
                   size_t errlen)
{
    static const char *const keys[] = {"description", "rest_url", "ws_streams_url", "ws_api_url",
                                       "credentials", "depth_stream", "depth_limit",
                                       "recv_window_ms", "request_timeout_ms", "reconnect_min_ms",
                                       "reconnect_max_ms", "default_retry_after_s",
                                       "ws_ping_ms", "ws_timeout_ms", "stall_after_ms",
                                       "trades_lookback_ms", NULL};
    static const char *const http[] = {"http://", "https://", NULL};
    static const char *const ws[] = {"ws://", "wss://", NULL};
    memset(out, 0, sizeof *out);
    if (cfg == NULL || !json_is_object(cfg)) {
        snprintf(err, errlen, PATH ": missing (the Binance connector needs its section)");
        return -1;
    }
    if (js_check_object(cfg, PATH, keys, err, errlen) != 0)
        return -1;
    snprintf(out->depth_stream, sizeof out->depth_stream, "depth@100ms");
    out->depth_limit = 1000;
    out->recv_window_ms = 5000;
    out->request_timeout_ms = 10000;
    out->reconnect_min_ms = 500;
    out->reconnect_max_ms = 30000;
    out->default_retry_after_s = 60;
    out->ws_ping_ms = 5000;
    out->ws_timeout_ms = 15000;
    out->stall_after_ms = 5000;
    out->trades_lookback_ms = 3600000;
    int stream = 0;
    static const char *const streams[] = {"depth@100ms", "depth"};
    bool present = false;
    if (url_key(cfg, "rest_url", http, out->rest_url, err, errlen) != 0 ||
        url_key(cfg, "ws_streams_url", ws, out->ws_streams_url, err, errlen) != 0 ||
        url_key(cfg, "ws_api_url", ws, out->ws_api_url, err, errlen) != 0 ||
        js_get_enum(cfg, PATH, "depth_stream", JS_OPTIONAL, streams, 2, &stream, &present, err,
                    errlen) != 0 ||
        js_get_int(cfg, PATH, "depth_limit", JS_OPTIONAL, 5, 5000, &out->depth_limit, NULL, err,
                   errlen) != 0 ||
        js_get_int(cfg, PATH, "recv_window_ms", JS_OPTIONAL, 100, 60000, &out->recv_window_ms,
                   NULL, err, errlen) != 0 ||
        js_get_int(cfg, PATH, "request_timeout_ms", JS_OPTIONAL, 100, 120000,
                   &out->request_timeout_ms, NULL, err, errlen) != 0 ||
        js_get_int(cfg, PATH, "reconnect_min_ms", JS_OPTIONAL, 10, 600000, &out->reconnect_min_ms,
                   NULL, err, errlen) != 0 ||
        js_get_int(cfg, PATH, "reconnect_max_ms", JS_OPTIONAL, 10, 600000, &out->reconnect_max_ms,
                   NULL, err, errlen) != 0 ||
        js_get_int(cfg, PATH, "default_retry_after_s", JS_OPTIONAL, 1, 86400,
                   &out->default_retry_after_s, NULL, err, errlen) != 0 ||
        js_get_int(cfg, PATH, "ws_ping_ms", JS_OPTIONAL, 100, 600000, &out->ws_ping_ms, NULL,
                   err, errlen) != 0 ||
        js_get_int(cfg, PATH, "ws_timeout_ms", JS_OPTIONAL, 200, 600000, &out->ws_timeout_ms,
                   NULL, err, errlen) != 0 ||
        js_get_int(cfg, PATH, "stall_after_ms", JS_OPTIONAL, 0, 600000, &out->stall_after_ms,
                   NULL, err, errlen) != 0 ||
        /* myTrades refuses a window over 24 h */
        js_get_int(cfg, PATH, "trades_lookback_ms", JS_OPTIONAL, 60000, 86400000,
                   &out->trades_lookback_ms, NULL, err, errlen) != 0)
        return -1;
    if (out->ws_timeout_ms <= out->ws_ping_ms)
        return js_errorf(err, errlen, PATH, "ws_timeout_ms", "must be > ws_ping_ms");
    if (present)
        snprintf(out->depth_stream, sizeof out->depth_stream, "%s", streams[stream]);
    if (out->reconnect_max_ms < out->reconnect_min_ms)
        return js_errorf(err, errlen, PATH, "reconnect_max_ms", "must be >= reconnect_min_ms");
    const json_t *creds = NULL;
    if (js_get_object(cfg, PATH, "credentials", JS_REQUIRED, &creds, NULL, err, errlen) != 0)
        return -1;
    return bn_signer_load(signer, creds, PATH ".credentials", err, errlen);
}
