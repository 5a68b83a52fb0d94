/* redis_ctl.h - the trader's own line to the Redis control plane.
 *
 * The trader subscribes itself (hiredis async on the app's libuv loop) to
 * the kill channel, so a Redis kill broadcast halts it even when the
 * gateway, the recorder or any other Python process is down. Any message on
 * the channel is a kill (its payload is journaled as the reason): a control
 * channel that can only ever halt needs no parsing that could fail open.
 *
 * Redis is never the only way to kill: the kill file and `trader ctl kill`
 * do not depend on it. Redis down = trading goes on, an alert is raised
 * (on_status(up=false)), and the connection is retried with back-off
 * (200 ms doubling to 2 s); a kill published while we were disconnected is
 * lost by Redis pub/sub by design, which is why the other two ways exist.
 *
 * Config (optional section "redis"; absent = no Redis):
 *   {"url": "redis://127.0.0.1:6379/0", "kill_channel": "trader:kill"}
 * The url names host, port and db (db is irrelevant to pub/sub). A url with
 * a user or password is refused: secrets never go in the config file. */
#ifndef TRADER_APP_REDIS_CTL_H
#define TRADER_APP_REDIS_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/log.h"

struct redis_ctl_config {
    bool enabled;
    char host[128];
    int port;
    int db;
    char kill_channel[128];
};

struct redis_ctl_callbacks {
    void *ctx;
    /* A message arrived on the kill channel; reason is its (sanitised) payload. */
    void (*on_kill)(void *ctx, const char *reason);
    /* Subscribed (up) or lost / could not connect (down); text says why. */
    void (*on_status)(void *ctx, bool up, const char *text);
};

struct redis_ctl;

/* Parses "redis://host[:port][/db]" into cfg. 0, or -1 with err. */
int redis_ctl_parse_url(const char *url, struct redis_ctl_config *cfg, char *err, size_t errlen);

/* Reads the optional "redis" section of the config root (path names the
 * file for errors). Leaves cfg->enabled false when absent. 0 or -1. */
int redis_ctl_config_load(const json_t *root, struct redis_ctl_config *cfg, char *err,
                          size_t errlen);

/* Starts connecting; never fails because Redis is down (it retries). -1
 * only when memory or the loop refuse. */
int redis_ctl_start(struct redis_ctl **out, uv_loop_t *loop, const struct redis_ctl_config *cfg,
                    struct redis_ctl_callbacks cb, const struct logger *log);

/* Disconnects and frees once the loop has closed its handles. NULL-safe. */
void redis_ctl_stop(struct redis_ctl *r);

/* Subscribed right now. */
bool redis_ctl_up(const struct redis_ctl *r);

#endif
