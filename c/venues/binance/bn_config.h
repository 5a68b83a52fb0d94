/* bn_config.h - the "venues.binance" config section (validated strictly
 * by the connector itself; errors name the key's path). */
#ifndef TRADER_VENUES_BINANCE_CONFIG_H
#define TRADER_VENUES_BINANCE_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "venues/binance/bn_sign.h"

#define BN_URL_CAP 512

struct bn_config {
    char rest_url[BN_URL_CAP];       /* e.g. https://testnet.binance.vision */
    char ws_streams_url[BN_URL_CAP]; /* e.g. wss://stream.testnet.binance.vision */
    char ws_api_url[BN_URL_CAP];     /* e.g. wss://ws-api.testnet.binance.vision/ws-api/v3 */
    char depth_stream[32];           /* "depth@100ms" (default) or "depth" */
    int64_t depth_limit;             /* REST snapshot size, default 1000 */
    int64_t recv_window_ms;          /* default 5000 */
    int64_t request_timeout_ms;      /* default 10000 */
    int64_t reconnect_min_ms;        /* first reconnect delay, default 500 */
    int64_t reconnect_max_ms;        /* cap of the doubling delay, default 30000 */
    int64_t default_retry_after_s;   /* 429/418 without Retry-After, default 60 */
    int64_t ws_ping_ms;              /* ping a socket silent this long, default 5000 */
    int64_t ws_timeout_ms;           /* drop a socket silent (no frame, no pong) this long,
                                      * default 15000 */
    int64_t stall_after_ms;          /* no depth event on a synced symbol this long: probe
                                      * the venue's book id, stalled if it moved on;
                                      * default 5000, 0 = off */
    int64_t trades_lookback_ms;      /* first trade sweep of a process: the account's
                                      * trades of this window, default 3600000 */
};

/* Parses cfg (venues.binance) and loads the credentials into signer.
 * 0 or -1 with err ("venues.binance.<key>: ..."). */
int bn_config_load(const json_t *cfg, struct bn_config *out, struct bn_signer *signer, char *err,
                   size_t errlen);

#endif
