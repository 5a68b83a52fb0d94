/* ipc_client.h - a small blocking client for the trader IPC protocol, for
 * `trader ctl` and the C benchmark: one request in flight at a time.
 *
 *   char e[256];
 *   ipc_client_t *cl = ipc_client_open(path, "ctl", 2000, e, sizeof e);
 *   ipc_msg_t req = {.type = IPC_T_QUERY,
 *                    .u.query = {.id = ipc_client_next_id(cl), .what = IPC_Q_STATUS}};
 *   ipc_msg_t rep;
 *   if (ipc_client_call(cl, &req, &rep, 2000) == IPC_OK && rep.type == IPC_T_QUERY_OK) ...
 *   ipc_client_close(cl);
 *
 * Strings in a returned message point into the client's read buffer and stay
 * valid until the next call on the client. The server drops a client that
 * sends nothing for its heartbeat timeout (3 s by default): a client that
 * idles longer must call ipc_client_hb() now and then. */
#ifndef TRADER_IPC_CLIENT_H
#define TRADER_IPC_CLIENT_H

#include "ipc/ipc_msg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ipc_client ipc_client_t;

/* Transport failures (negative, unlike ipc_code_t). */
enum {
    IPC_CLIENT_TIMEOUT = -1,
    IPC_CLIENT_CLOSED = -2,   /* the server closed the connection */
    IPC_CLIENT_IO = -3,       /* read/write/connect error */
};

/* Connect, send hello, wait for hello_ok. NULL on failure, with a sentence in
 * errbuf (including the server's error reason if it sent one). */
ipc_client_t *ipc_client_open(const char *path, const char *client_name, int timeout_ms,
                              char *errbuf, size_t errlen);
void ipc_client_close(ipc_client_t *cl);

uint64_t ipc_client_jseq(const ipc_client_t *cl);  /* from hello_ok */
uint64_t ipc_client_next_id(ipc_client_t *cl);     /* 1, 2, ... */
int ipc_client_fd(const ipc_client_t *cl);
const char *ipc_client_last_error(const ipc_client_t *cl);

/* Send req (whose id the caller set) and wait up to timeout_ms for the reply
 * carrying the same id (ok, error, check_ok, check_reject, query_ok) or an
 * error without id (the server is closing the connection). hb and pushes
 * in between are skipped. Returns IPC_OK with *reply set, an
 * IPC_CLIENT_* failure, or an ipc_code_t if the server sent a frame this
 * client cannot decode. */
int ipc_client_call(ipc_client_t *cl, const ipc_msg_t *req, ipc_msg_t *reply, int timeout_ms);

/* Send one message, wait for nothing (mark without id, hb). */
int ipc_client_send(ipc_client_t *cl, const ipc_msg_t *msg);
int ipc_client_hb(ipc_client_t *cl);
/* Send raw bytes (tests: garbage, oversize frames). */
int ipc_client_send_raw(ipc_client_t *cl, const void *bytes, size_t len);
/* Receive the next frame of any type (hb included). */
int ipc_client_recv(ipc_client_t *cl, ipc_msg_t *msg, int timeout_ms);

#endif
