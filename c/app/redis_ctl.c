/* redis_ctl.c - kill channel subscription on the app's loop (see redis_ctl.h). */
#include "app/redis_ctl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
/* hiredis's own adapter: static functions that attach a context to a
 * uv_poll handle on our loop (one thread, no extra event loop). */
#include <hiredis/adapters/libuv.h>

#include "core/json_strict.h"

#define RETRY_MIN_MS 200
#define RETRY_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 3000

struct redis_ctl {
    uv_loop_t *loop;
    struct redis_ctl_config cfg;
    struct redis_ctl_callbacks cb;
    const struct logger *log;
    redisAsyncContext *ac;    /* NULL while disconnected */
    uv_timer_t retry_timer;   /* reconnect back-off */
    uv_timer_t connect_timer; /* gives up on a connect that hangs */
    uint64_t retry_ms;
    bool subscribed;
    bool down_reported;       /* an alert for the current outage went out */
    bool stopping;
    int open_handles;
};

/* ---- config ---- */

int redis_ctl_parse_url(const char *url, struct redis_ctl_config *cfg, char *err, size_t errlen)
{
    const char *p = url;
    if (strncmp(p, "redis://", 8) != 0) {
        snprintf(err, errlen, "redis.url must start with redis://");
        return -1;
    }
    p += 8;
    if (strchr(p, '@') != NULL) {
        snprintf(err, errlen, "redis.url must not carry a user or password (no secrets in config)");
        return -1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof cfg->host) {
        snprintf(err, errlen, "redis.url has no host or a host too long");
        return -1;
    }
    memcpy(cfg->host, p, hl);
    cfg->host[hl] = '\0';
    p += hl;
    cfg->port = 6379;
    cfg->db = 0;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535) {
            snprintf(err, errlen, "redis.url has a bad port");
            return -1;
        }
        cfg->port = (int)port;
        p = end;
    }
    if (*p == '/') {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (p[1] != '\0' && (end == p + 1 || db < 0 || db > 1000 || *end != '\0')) {
            snprintf(err, errlen, "redis.url has a bad db number");
            return -1;
        }
        cfg->db = p[1] != '\0' ? (int)db : 0;
        p = p[1] != '\0' ? end : p + 1;
    }
    if (*p != '\0') {
        snprintf(err, errlen, "redis.url has trailing characters");
        return -1;
    }
    return 0;
}

int redis_ctl_config_load(const json_t *root, struct redis_ctl_config *cfg, char *err,
                          size_t errlen)
{
    static const char *const keys[] = {"url", "kill_channel", NULL};
    memset(cfg, 0, sizeof *cfg);
    const json_t *r = NULL;
    bool present = false;
    if (js_get_object(root, "", "redis", JS_OPTIONAL, &r, &present, err, errlen) != 0)
        return -1;
    if (!present)
        return 0;
    char url[256];
    snprintf(cfg->kill_channel, sizeof cfg->kill_channel, "trader:kill");
    if (js_check_object(r, "redis", keys, err, errlen) != 0 ||
        js_get_string(r, "redis", "url", JS_REQUIRED, false, url, sizeof url, NULL, err,
                      errlen) != 0 ||
        js_get_string(r, "redis", "kill_channel", JS_OPTIONAL, false, cfg->kill_channel,
                      sizeof cfg->kill_channel, NULL, err, errlen) != 0)
        return -1;
    char why[160];
    if (redis_ctl_parse_url(url, cfg, why, sizeof why) != 0)
        return js_errorf(err, errlen, "redis", "url", "%s", why);
    cfg->enabled = true;
    return 0;
}

/* ---- connection ---- */

static void connect_now(struct redis_ctl *r);

static void report_down(struct redis_ctl *r, const char *why)
{
    bool was_up = r->subscribed;
    r->subscribed = false;
    if (r->stopping)
        return;
    if (was_up || !r->down_reported) {
        r->down_reported = true;
        char text[256];
        snprintf(text, sizeof text, "redis %s:%d %s: %s", r->cfg.host, r->cfg.port,
                 was_up ? "lost" : "unreachable", why);
        log_event(r->log, LOG_WARN, "redis", "down", "host=%s port=%d reason=\"%s\"",
                  r->cfg.host, r->cfg.port, why);
        r->cb.on_status(r->cb.ctx, false, text);
    }
}

static void retry_cb(uv_timer_t *t)
{
    struct redis_ctl *r = t->data;
    connect_now(r);
}

static void arm_retry(struct redis_ctl *r)
{
    if (r->stopping)
        return;
    uv_timer_start(&r->retry_timer, retry_cb, r->retry_ms, 0);
    r->retry_ms = r->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->retry_ms * 2;
}

static void sanitise(const char *in, size_t n, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        out[j++] = isprint((unsigned char)in[i]) ? in[i] : '?';
    out[j] = '\0';
}

static void on_reply(redisAsyncContext *ac, void *reply_v, void *priv)
{
    (void)ac;
    struct redis_ctl *r = priv;
    redisReply *reply = reply_v;
    if (reply == NULL || r->stopping) /* the context is going away */
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = reply->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        uv_timer_stop(&r->connect_timer);
        r->subscribed = true;
        r->down_reported = false;
        r->retry_ms = RETRY_MIN_MS;
        char text[256];
        snprintf(text, sizeof text, "subscribed to %s on redis %s:%d", r->cfg.kill_channel,
                 r->cfg.host, r->cfg.port);
        log_event(r->log, LOG_INFO, "redis", "up", "host=%s port=%d channel=%s", r->cfg.host,
                  r->cfg.port, r->cfg.kill_channel);
        r->cb.on_status(r->cb.ctx, true, text);
    } else if (strcmp(kind, "message") == 0) {
        const redisReply *payload = reply->element[2];
        char reason[200];
        if (payload->type == REDIS_REPLY_STRING && payload->len > 0)
            sanitise(payload->str, (size_t)payload->len, reason, sizeof reason);
        else
            snprintf(reason, sizeof reason, "redis broadcast");
        log_event(r->log, LOG_WARN, "redis", "kill_message", "channel=%s reason=\"%s\"",
                  r->cfg.kill_channel, reason);
        r->cb.on_kill(r->cb.ctx, reason);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_ctl *r = ac->data;
    if (status == REDIS_OK)
        return; /* the SUBSCRIBE reply says we are up */
    /* hiredis frees the context after this callback */
    uv_timer_stop(&r->connect_timer);
    r->ac = NULL;
    report_down(r, ac->errstr[0] != '\0' ? ac->errstr : "connect failed");
    arm_retry(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_ctl *r = ac->data;
    (void)status;
    uv_timer_stop(&r->connect_timer);
    r->ac = NULL;
    report_down(r, ac->errstr[0] != '\0' ? ac->errstr : "connection closed");
    arm_retry(r);
}

static void connect_timeout_cb(uv_timer_t *t)
{
    struct redis_ctl *r = t->data;
    if (r->ac == NULL || r->subscribed)
        return;
    /* Free from outside any hiredis callback, with our disconnect callback
     * detached: the outage is accounted for here. */
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    ac->onDisconnect = NULL;
    redisAsyncFree(ac);
    report_down(r, "connect or subscribe timed out");
    arm_retry(r);
}

static void connect_now(struct redis_ctl *r)
{
    if (r->stopping || r->ac != NULL)
        return;
    redisAsyncContext *ac = redisAsyncConnect(r->cfg.host, r->cfg.port);
    if (ac == NULL || ac->err) {
        report_down(r, ac != NULL ? ac->errstr : "out of memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        arm_retry(r);
        return;
    }
    ac->data = r;
    if (redisLibuvAttach(ac, r->loop) != REDIS_OK) {
        redisAsyncFree(ac);
        report_down(r, "cannot attach to the event loop");
        arm_retry(r);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    redisAsyncCommand(ac, on_reply, r, "SUBSCRIBE %s", r->cfg.kill_channel);
    uv_timer_start(&r->connect_timer, connect_timeout_cb, CONNECT_TIMEOUT_MS, 0);
}

int redis_ctl_start(struct redis_ctl **out, uv_loop_t *loop, const struct redis_ctl_config *cfg,
                    struct redis_ctl_callbacks cb, const struct logger *log)
{
    *out = NULL;
    struct redis_ctl *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->loop = loop;
    r->cfg = *cfg;
    r->cb = cb;
    r->log = log;
    r->retry_ms = RETRY_MIN_MS;
    uv_timer_init(loop, &r->retry_timer);
    uv_timer_init(loop, &r->connect_timer);
    r->retry_timer.data = r;
    r->connect_timer.data = r;
    r->open_handles = 2;
    connect_now(r);
    *out = r;
    return 0;
}

static void timer_closed(uv_handle_t *h)
{
    struct redis_ctl *r = h->data;
    if (--r->open_handles == 0)
        free(r);
}

void redis_ctl_stop(struct redis_ctl *r)
{
    if (r == NULL || r->stopping)
        return;
    r->stopping = true;
    if (r->ac != NULL) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        ac->onDisconnect = NULL;
        redisAsyncFree(ac); /* closes its uv_poll handle through the adapter */
    }
    uv_close((uv_handle_t *)&r->retry_timer, timer_closed);
    uv_close((uv_handle_t *)&r->connect_timer, timer_closed);
}

bool redis_ctl_up(const struct redis_ctl *r) { return r != NULL && r->subscribed; }
