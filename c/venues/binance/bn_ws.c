/* bn_ws.c - see bn_ws.h. */
#include "venues/binance/bn_ws.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#define BN_WS_RX_MAX (16u << 20)   /* a frame larger than this is a broken peer */

struct bn_ws_msg {
    struct bn_ws_msg *next;
    size_t len;
    unsigned char buf[];           /* LWS_PRE bytes of headroom, then the text */
};

struct bn_ws_ctx {
    struct lws_context *lws;     /* lws writes NULL here once fully destroyed */
    bool destroying;
    uv_timer_t reaper;           /* keeps the loop alive until lws is gone */
    int reaper_ticks;
};

static void drop_tx(struct bn_ws *ws)
{
    while (ws->tx_head != NULL) {
        struct bn_ws_msg *m = ws->tx_head;
        ws->tx_head = m->next;
        free(m);
    }
    ws->tx_tail = NULL;
}

static void closed(struct bn_ws *ws, const char *why)
{
    if (ws->state == BN_WS_IDLE)
        return;
    ws->state = BN_WS_IDLE;
    ws->wsi = NULL;
    ws->rx_len = 0;
    ws->close_wanted = false;
    ws->ping_wanted = false;
    drop_tx(ws);
    if (ws->cb.on_close != NULL)
        ws->cb.on_close(ws->cb.ctx, ws, why);
}

static int rx_append(struct bn_ws *ws, const void *in, size_t len)
{
    if (ws->rx_len + len + 1 > ws->rx_cap) {
        size_t cap = ws->rx_cap > 0 ? ws->rx_cap : 16384;
        while (cap < ws->rx_len + len + 1)
            cap *= 2;
        if (cap > BN_WS_RX_MAX)
            return -1;
        char *p = realloc(ws->rx, cap);
        if (p == NULL)
            return -1;
        ws->rx = p;
        ws->rx_cap = cap;
    }
    memcpy(ws->rx + ws->rx_len, in, len);
    ws->rx_len += len;
    ws->rx[ws->rx_len] = '\0';
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct bn_ws *ws = user;
    char why[160];
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (ws == NULL)
            break;
        ws->state = BN_WS_OPEN;
        ws->last_rx_ns = clock_mono_ns();
        if (ws->cb.on_open != NULL)
            ws->cb.on_open(ws->cb.ctx, ws);
        if (ws->tx_head != NULL || ws->close_wanted)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (ws == NULL || ws->state != BN_WS_OPEN)
            break;
        ws->last_rx_ns = clock_mono_ns();
        if (rx_append(ws, in, len) != 0)
            return -1;
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
            size_t n = ws->rx_len;
            ws->rx_len = 0;
            if (!lws_frame_is_binary(wsi) && ws->cb.on_text != NULL)
                ws->cb.on_text(ws->cb.ctx, ws, ws->rx, n);
            /* on_text may have closed us */
            if (ws->close_wanted)
                lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (ws != NULL)
            ws->last_rx_ns = clock_mono_ns();
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (ws == NULL)
            break;
        if (ws->close_wanted) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        if (ws->ping_wanted) {
            unsigned char ping[LWS_PRE + 8];
            ws->ping_wanted = false;
            if (lws_write(wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
                return -1;
            if (ws->tx_head != NULL)
                lws_callback_on_writable(wsi);
            break;
        }
        if (ws->tx_head != NULL) {
            struct bn_ws_msg *m = ws->tx_head;
            int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
            if (n < (int)m->len)
                return -1;
            ws->tx_head = m->next;
            if (ws->tx_head == NULL)
                ws->tx_tail = NULL;
            free(m);
            if (ws->tx_head != NULL)
                lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (ws == NULL)
            break;
        snprintf(why, sizeof why, "connect failed: %.*s", (int)(in != NULL ? len : 0),
                 in != NULL ? (const char *)in : "");
        closed(ws, why);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (ws != NULL)
            closed(ws, ws->close_wanted ? "closed by us" : "closed by peer");
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        /* Last word on a wsi: whatever happened, the connection is gone. */
        if (ws != NULL && ws->wsi == wsi)
            closed(ws, "connection destroyed");
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"bn", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int bn_ws_ctx_create(uv_loop_t *loop, struct bn_ws_ctx **out, char *err, size_t errlen)
{
    struct bn_ws_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* lws logs go to stderr unformatted; keep only its errors. */
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    void *loops[1] = {loop};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.timeout_secs = 10;
    info.connect_timeout_secs = 10;
    info.user = c;
    info.pcontext = &c->lws;
    c->lws = lws_create_context(&info);
    if (c->lws == NULL) {
        free(c);
        snprintf(err, errlen, "libwebsockets: cannot create a context on the libuv loop "
                 "(is libwebsockets-evlib_uv installed?)");
        return -1;
    }
    uv_timer_init(loop, &c->reaper);
    c->reaper.data = c;
    *out = c;
    return 0;
}

static void reaper_closed(uv_handle_t *h) { free(h->data); }

/* lws finishes destroying a context on a foreign loop from its own handle
 * close callbacks, which it does not count as keeping the loop alive: poll
 * until it reports the context gone (pcontext), so uv_run cannot return
 * first and leave the context (and its TLS state) unfreed. */
static void reaper_cb(uv_timer_t *t)
{
    struct bn_ws_ctx *c = t->data;
    if (c->lws != NULL && ++c->reaper_ticks < 200)
        return;
    if (c->lws != NULL)
        lws_context_destroy(c->lws);   /* the documented second call */
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, reaper_closed);
}

void bn_ws_ctx_destroy(struct bn_ws_ctx *c)
{
    if (c == NULL)
        return;
    c->destroying = true;
    lws_context_destroy(c->lws);
    uv_timer_start(&c->reaper, reaper_cb, 0, 5);
}

void bn_ws_init(struct bn_ws *ws, struct bn_ws_ctx *c, const char *name,
                struct bn_ws_callbacks cb)
{
    memset(ws, 0, sizeof *ws);
    ws->wctx = c;
    ws->cb = cb;
    snprintf(ws->name, sizeof ws->name, "%s", name);
}

int bn_ws_open(struct bn_ws *ws, const char *url, char *err, size_t errlen)
{
    if (ws->state != BN_WS_IDLE || ws->wctx->destroying) {
        snprintf(err, errlen, "connection busy");
        return -1;
    }
    char buf[2048];
    if (strlen(url) >= sizeof buf) {
        snprintf(err, errlen, "URL too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", url);
    const char *prot = NULL, *addr = NULL, *path = NULL;
    int port = 0;
    if (lws_parse_uri(buf, &prot, &addr, &port, &path) != 0) {
        snprintf(err, errlen, "bad URL %s", url);
        return -1;
    }
    bool tls = strcmp(prot, "wss") == 0;
    if (!tls && strcmp(prot, "ws") != 0) {
        snprintf(err, errlen, "URL %s: scheme must be ws or wss", url);
        return -1;
    }
    char full_path[2048];
    snprintf(full_path, sizeof full_path, "/%s", path);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ws->wctx->lws;
    ci.address = addr;
    ci.port = port;
    ci.path = full_path;
    ci.host = addr;
    ci.origin = addr;
    ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    ci.protocol = NULL;
    ci.local_protocol_name = "bn";
    ci.userdata = ws;
    /* No pwsi: lws would keep that pointer and write through it when the
     * connection dies, possibly after the owner is gone. */
    ws->state = BN_WS_CONNECTING;
    ws->close_wanted = false;
    ws->rx_len = 0;
    /* The connect callbacks (even an immediate error) may fire inside. */
    struct lws *wsi = lws_client_connect_via_info(&ci);
    if (wsi == NULL) {
        if (ws->state == BN_WS_CONNECTING) {
            ws->state = BN_WS_IDLE;
            snprintf(err, errlen, "cannot start a connection to %s", url);
            return -1;
        }
        return 0;                  /* failed inside: on_close has run */
    }
    if (ws->state != BN_WS_IDLE)
        ws->wsi = wsi;
    return 0;
}

int bn_ws_send(struct bn_ws *ws, const char *text, size_t len)
{
    if (ws->state != BN_WS_OPEN || ws->wsi == NULL)
        return -1;
    struct bn_ws_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (m == NULL)
        return -1;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    if (ws->tx_tail != NULL)
        ws->tx_tail->next = m;
    else
        ws->tx_head = m;
    ws->tx_tail = m;
    lws_callback_on_writable(ws->wsi);
    return 0;
}

void bn_ws_ping(struct bn_ws *ws)
{
    if (ws->state != BN_WS_OPEN || ws->wsi == NULL)
        return;
    ws->ping_wanted = true;
    ws->last_ping_ns = clock_mono_ns();
    lws_callback_on_writable(ws->wsi);
}

void bn_ws_close(struct bn_ws *ws)
{
    if (ws->state == BN_WS_IDLE || ws->close_wanted)
        return;
    ws->close_wanted = true;
    if (ws->wsi != NULL) {
        ws->state = BN_WS_CLOSING;
        lws_callback_on_writable(ws->wsi);
        /* A peer that never lets us write still goes: kill after 2 s. */
        lws_set_timeout(ws->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
    }
}

void bn_ws_detach(struct bn_ws *ws)
{
    if (ws->wsi != NULL)
        lws_set_wsi_user(ws->wsi, NULL);
    ws->wsi = NULL;
    ws->state = BN_WS_IDLE;
    drop_tx(ws);
}

void bn_ws_free(struct bn_ws *ws)
{
    drop_tx(ws);
    free(ws->rx);
    ws->rx = NULL;
    ws->rx_cap = ws->rx_len = 0;
}
