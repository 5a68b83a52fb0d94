/* ipc_server.h - the trader's IPC server: a Unix stream socket on a libuv loop.
 *
 * What the server does by itself:
 *  - binds the path (removing a stale socket file only if nothing listens on
 *    it), makes it mode 0600 before listening, checks every peer's uid with
 *    SO_PEERCRED and closes connections from any other uid;
 *  - frames and decodes input, validates every message (ipc_codec.h); any
 *    protocol error queues an `error` frame and closes THAT connection only;
 *    the server never exits on client input;
 *  - the handshake: the first frame must be hello with v == 1; it answers
 *    hello_ok (jseq from callbacks.journal_seq) and then calls on_connect;
 *  - heartbeats: sends hb every hb_interval_ms to every connection and closes
 *    (error TIMEOUT) a connection that sent nothing for hb_timeout_ms;
 *    incoming hb frames are consumed here, never passed to the app;
 *  - output: ipc_conn_send* append to a per-connection buffer bounded by
 *    max_out_bytes; a reader too slow to keep it below that is disconnected,
 *    the loop never waits for anyone.
 *
 * What the app does: handle on_message (check, report, mark, instrument,
 * resolve, query, subscribe, kill, unkill) and reply with ipc_conn_send*.
 * Replies must be queued from inside on_message (or later, in request order)
 * so a connection's replies go out in the order its requests came in.
 *
 * Group commit (defer_writes = true): queued output is not written until the
 * app calls ipc_server_flush(), which writes everything queued so far, on all
 * connections, in one batch. Call it from a uv_check callback right after the
 * journal has made every queued decision durable:
 *     poll phase:  reads -> on_message -> risk decision -> journal append -> reply queued
 *     check phase: journal write+fdatasync -> ipc_server_flush()
 * so no client ever sees an answer the journal could lose. With
 * defer_writes = false the server flushes by itself once per loop iteration.
 *
 * Minimal app:
 *     static void on_message(ipc_conn_t *c, const ipc_msg_t *m, const msgpack_object *raw,
 *                            void *app) {
 *         switch (m->type) {
 *         case IPC_T_CHECK:     decision = risk_check(app, &m->u.check);  (copy slices!)
 *                               journal_append(...);
 *                               ok ? ipc_conn_send_check_ok(c, m->u.check.id, res)
 *                                  : ipc_conn_send_check_reject(c, m->u.check.id, code,
 *                                                               name, reason);
 *                               break;
 *         case IPC_T_SUBSCRIBE: ipc_conn_set_topics(c, m->u.subscribe.topics);
 *                               ipc_conn_send_ok(c, m->u.subscribe.id);
 *                               (then push current states to c)
 *                               break;
 *         ...
 *         }
 *     }
 *     ipc_server_config_t cfg; ipc_server_config_defaults(&cfg, path);
 *     cfg.defer_writes = true;
 *     ipc_server_callbacks_t cb = {.on_message = on_message, .journal_seq = jseq, ...};
 *     if (ipc_server_start(&srv, loop, &cfg, &cb, app, err, sizeof err) != 0) die(err);
 *     ... uv_check callback: journal_sync(); ipc_server_flush(srv);
 *     ... state change: ipc_server_broadcast(srv, IPC_TOPIC_STATE, &state_msg);
 *     ... shutdown:     ipc_server_stop(srv); then keep running the loop until it drains.
 *
 * Signals: ipc_server_start sets SIGPIPE to SIG_IGN for the process, so a
 * client vanishing mid-write is an EPIPE on that connection, not the death of
 * the trader.
 *
 * Threading: everything runs on the loop's thread; nothing here is
 * thread-safe. */
#ifndef TRADER_IPC_SERVER_H
#define TRADER_IPC_SERVER_H

#include "ipc/ipc_codec.h"
#include "ipc/ipc_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

typedef struct ipc_server ipc_server_t;
typedef struct ipc_conn ipc_conn_t;

typedef struct ipc_server_callbacks {
    /* Handshake done (hello_ok queued). Optional. */
    void (*on_connect)(ipc_conn_t *conn, void *app);
    /* A validated message other than hello/hb. msg's strings and raw point
     * into the read buffer: valid only during this call. */
    void (*on_message)(ipc_conn_t *conn, const ipc_msg_t *msg, const msgpack_object *raw,
                       void *app);
    /* The connection is closing (error, timeout, peer gone, slow reader,
     * server stop). Called once, only for connections that got on_connect.
     * Drop every reference to conn here: it is freed soon after. Optional. */
    void (*on_close)(ipc_conn_t *conn, void *app);
    /* Last journal sequence number, sent in hello_ok. Optional (0). */
    uint64_t (*journal_seq)(void *app);
    /* One log line without newline. Optional: default is stderr. */
    void (*log)(void *app, const char *line);
} ipc_server_callbacks_t;

typedef struct ipc_server_config {
    const char *path;          /* socket path (< 108 bytes) */
    size_t max_out_bytes;      /* per-connection output cap; 0 = 4 MiB */
    uint32_t hb_interval_ms;   /* 0 = 1000 */
    uint32_t hb_timeout_ms;    /* 0 = 3000 */
    uint32_t max_conns;        /* 0 = 32; more are accepted and closed at once */
    bool defer_writes;         /* see group commit above */
    bool check_peer_uid;       /* refuse peers whose uid != peer_uid */
    uid_t peer_uid;            /* normally geteuid(); tests set another to prove the check */
    const char *server_name;   /* in hello_ok; NULL = "trader" */
} ipc_server_config_t;

/* Fill cfg with defaults: 4 MiB, 1 s, 3 s, 32, no deferral, peer uid =
 * geteuid() checked. */
void ipc_server_config_defaults(ipc_server_config_t *cfg, const char *path);

/* Bind, chmod 0600 and listen. The bind runs under umask 0177 (restored right
 * after; umask is per process, so call this at startup, before other threads
 * create files). Sets SIGPIPE to SIG_IGN (see above). On failure returns a negative errno-style
 * code (UV_EADDRINUSE when another server listens on path) and writes a
 * sentence to errbuf. */
int ipc_server_start(ipc_server_t **out, uv_loop_t *loop, const ipc_server_config_t *cfg,
                     const ipc_server_callbacks_t *cb, void *app, char *errbuf, size_t errlen);

/* Write everything queued so far on every connection (group commit). */
void ipc_server_flush(ipc_server_t *srv);

/* Close every connection (each gets an error SHUTDOWN frame if it can be
 * written at once), the listener and the timers, and remove the socket file
 * if it is still ours. The server frees itself once libuv has closed its
 * handles, so keep running the loop; never touch srv after this call. */
void ipc_server_stop(ipc_server_t *srv);

/* Queue msg to every handshaken connection subscribed to any topic in
 * topic_mask (IPC_TOPIC_*). Encoded once. Returns the number of
 * connections it was queued to, or a negative ipc_code_t if msg does not
 * encode. */
int ipc_server_broadcast(ipc_server_t *srv, uint32_t topic_mask, const ipc_msg_t *msg);

size_t ipc_server_conn_count(const ipc_server_t *srv);

/* ---- per connection ---- */

/* Queue one message. IPC_OK; a validation ipc_code_t if msg does not encode
 * (nothing queued: an app bug); -1 if the connection is closing or was just
 * closed for exceeding max_out_bytes. */
int ipc_conn_send(ipc_conn_t *conn, const ipc_msg_t *msg);
int ipc_conn_send_ok(ipc_conn_t *conn, uint64_t id);
int ipc_conn_send_error(ipc_conn_t *conn, bool has_id, uint64_t id, int code, const char *reason);
int ipc_conn_send_check_ok(ipc_conn_t *conn, uint64_t id, uint64_t res);
int ipc_conn_send_check_reject(ipc_conn_t *conn, uint64_t id, int64_t code, const char *name,
                               const char *reason);

/* Hand-built frames, e.g. query_ok with its free-form data map:
 *     ipc_fw_t fw;
 *     msgpack_packer *pk = ipc_conn_begin_query_ok(conn, id, &fw);
 *     if (pk) { msgpack_pack_map(pk, 2); ...; ipc_conn_end(conn, &fw); }
 * begin returns NULL if the connection is closing. end returns like
 * ipc_conn_send; the frame must hold one valid map of <= IPC_MAX_FRAME. */
msgpack_packer *ipc_conn_begin(ipc_conn_t *conn, ipc_fw_t *fw);
msgpack_packer *ipc_conn_begin_query_ok(ipc_conn_t *conn, uint64_t id, ipc_fw_t *fw);
int ipc_conn_end(ipc_conn_t *conn, ipc_fw_t *fw);

/* Queue an error frame and close the connection once it is written. */
void ipc_conn_close(ipc_conn_t *conn, int code, const char *reason);

void ipc_conn_set_topics(ipc_conn_t *conn, uint32_t topic_mask);
uint32_t ipc_conn_topics(const ipc_conn_t *conn);
void ipc_conn_set_user(ipc_conn_t *conn, void *user);
void *ipc_conn_user(const ipc_conn_t *conn);
uint64_t ipc_conn_id(const ipc_conn_t *conn);        /* 1, 2, ... per server */
const char *ipc_conn_client(const ipc_conn_t *conn); /* hello's client name */
pid_t ipc_conn_pid(const ipc_conn_t *conn);          /* from SO_PEERCRED */
size_t ipc_conn_pending(const ipc_conn_t *conn);     /* queued output bytes */

#endif
