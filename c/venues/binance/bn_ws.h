/* bn_ws.h - WebSocket client connections through libwebsockets running on
 * the app's uv loop (lws "foreign loop" integration, LWS_SERVER_OPTION_LIBUV).
 *
 * One bn_ws_ctx per connector; connections are embedded in their owner and
 * reused across reconnects.  Text messages are reassembled from fragments
 * before on_text.  on_close is called once per opened connection, whatever
 * ended it (refused, dropped by the peer, bn_ws_close, context teardown).
 * Server pings are answered by lws. */
#ifndef TRADER_VENUES_BINANCE_WS_H
#define TRADER_VENUES_BINANCE_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct bn_ws_ctx;
struct bn_ws;

struct bn_ws_callbacks {
    void *ctx;
    void (*on_open)(void *ctx, struct bn_ws *ws);
    void (*on_text)(void *ctx, struct bn_ws *ws, const char *text, size_t len);
    void (*on_close)(void *ctx, struct bn_ws *ws, const char *why);
};

enum bn_ws_state { BN_WS_IDLE = 0, BN_WS_CONNECTING = 1, BN_WS_OPEN = 2, BN_WS_CLOSING = 3 };

struct bn_ws_msg;

struct bn_ws {
    struct bn_ws_ctx *wctx;
    struct bn_ws_callbacks cb;
    enum bn_ws_state state;
    void *wsi;                       /* struct lws * while connecting/open */
    char name[16];                   /* for logs: "market", "api" */
    char *rx;                        /* reassembly buffer */
    size_t rx_len, rx_cap;
    struct bn_ws_msg *tx_head, *tx_tail;
    bool close_wanted;
    bool ping_wanted;
    int64_t last_rx_ns;              /* monotonic time of the last frame or pong */
    int64_t last_ping_ns;
};

int bn_ws_ctx_create(uv_loop_t *loop, struct bn_ws_ctx **out, char *err, size_t errlen);
/* Closes every connection (their on_close runs now) and destroys the lws
 * context; lws's own uv handles finish closing on the loop afterwards. */
void bn_ws_ctx_destroy(struct bn_ws_ctx *c);

void bn_ws_init(struct bn_ws *ws, struct bn_ws_ctx *c, const char *name,
                struct bn_ws_callbacks cb);

/* Opens ws:// or wss:// url (must be IDLE).  0, or -1 with err. */
int bn_ws_open(struct bn_ws *ws, const char *url, char *err, size_t errlen);

/* Queues a text message (copied); sent when the socket is writable. */
int bn_ws_send(struct bn_ws *ws, const char *text, size_t len);

/* Sends a ping frame when writable (liveness: the pong updates last_rx_ns). */
void bn_ws_ping(struct bn_ws *ws);

/* Starts closing; on_close follows from the loop. */
void bn_ws_close(struct bn_ws *ws);

/* Before teardown: lws forgets this connection's user pointer (its final
 * close runs later on the loop, after the owner may be freed); no
 * on_close follows. */
void bn_ws_detach(struct bn_ws *ws);

/* Frees buffers (after the connection is IDLE). */
void bn_ws_free(struct bn_ws *ws);

#endif
