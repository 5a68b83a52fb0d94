/* ipc_client.c - see ipc_client.h.  A plain blocking socket: a reply is
 * awaited with one blocking read (SO_RCVTIMEO bounds the wait) rather than
 * poll() then read(), one syscall less per round trip. */
#include "ipc/ipc_client.h"

#include "ipc/ipc_codec.h"
#include "ipc/ipc_frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct ipc_client {
    int fd;
    uint64_t next_id;
    uint64_t jseq;
    ipc_buf_t in;
    size_t in_used;            /* bytes of the last returned frame, dropped on next recv */
    ipc_buf_t out;
    ipc_unpacker_t unpacker;
    int rcvtimeo_ms;           /* SO_RCVTIMEO currently set on fd (-1: unknown) */
    char err[256];
};

/* Bounds one blocking read; set only when the wanted bound changes. */
static int set_rcvtimeo(ipc_client_t *cl, int64_t ms) {
    if (ms < 1) ms = 1;
    if (ms == cl->rcvtimeo_ms) return 0;
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    if (setsockopt(cl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return -1;
    cl->rcvtimeo_ms = (int)ms;
    return 0;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int write_all(ipc_client_t *cl, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(cl->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            snprintf(cl->err, sizeof cl->err, "write: %s", strerror(errno));
            return errno == EPIPE || errno == ECONNRESET ? IPC_CLIENT_CLOSED : IPC_CLIENT_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return IPC_OK;
}

int ipc_client_send_raw(ipc_client_t *cl, const void *bytes, size_t len) {
    return write_all(cl, bytes, len);
}

int ipc_client_send(ipc_client_t *cl, const ipc_msg_t *msg) {
    ipc_err_t e;
    cl->out.len = 0;
    int rc = ipc_encode_frame(&cl->out, msg, &e);
    if (rc != IPC_OK) {
        snprintf(cl->err, sizeof cl->err, "encode: %s", e.text);
        return rc;
    }
    return write_all(cl, cl->out.data, cl->out.len);
}

int ipc_client_hb(ipc_client_t *cl) {
    ipc_msg_t hb = {.type = IPC_T_HB, .u.hb = {.ts = wall_ns()}};
    return ipc_client_send(cl, &hb);
}

int ipc_client_recv(ipc_client_t *cl, ipc_msg_t *msg, int timeout_ms) {
    ipc_buf_consume(&cl->in, cl->in_used);
    cl->in_used = 0;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        const char *body;
        size_t blen, used;
        ipc_err_t e;
        ipc_next_t nx = ipc_frame_next(cl->in.data, cl->in.len, &body, &blen, &used, &e);
        if (nx == IPC_NEXT_ERROR) {
            snprintf(cl->err, sizeof cl->err, "from server: %s", e.text);
            return e.code;
        }
        if (nx == IPC_NEXT_FRAME) {
            msgpack_object obj;
            int rc = ipc_unpack(&cl->unpacker, body, blen, &obj, &e);
            if (rc == IPC_OK) rc = ipc_decode(&obj, IPC_DIR_TO_CLIENT, msg, &e);
            if (rc != IPC_OK) {
                snprintf(cl->err, sizeof cl->err, "from server: %s", e.text);
                return rc;
            }
            cl->in_used = used;
            return IPC_OK;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            snprintf(cl->err, sizeof cl->err, "timed out after %d ms", timeout_ms);
            return IPC_CLIENT_TIMEOUT;
        }
        if (set_rcvtimeo(cl, left) != 0) {
            snprintf(cl->err, sizeof cl->err, "setsockopt(SO_RCVTIMEO): %s", strerror(errno));
            return IPC_CLIENT_IO;
        }
        ssize_t r = read(cl->fd, cl->in.data + cl->in.len, cl->in.cap - cl->in.len);
        if (r == 0) {
            snprintf(cl->err, sizeof cl->err, "server closed the connection");
            return IPC_CLIENT_CLOSED;
        }
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            snprintf(cl->err, sizeof cl->err, "read: %s", strerror(errno));
            return errno == ECONNRESET ? IPC_CLIENT_CLOSED : IPC_CLIENT_IO;
        }
        cl->in.len += (size_t)r;
    }
}

/* id of a reply, if msg is one */
static bool reply_id(const ipc_msg_t *m, uint64_t *id) {
    switch (m->type) {
    case IPC_T_OK: *id = m->u.ok.id; return true;
    case IPC_T_CHECK_OK: *id = m->u.check_ok.id; return true;
    case IPC_T_CHECK_REJECT: *id = m->u.check_reject.id; return true;
    case IPC_T_QUERY_OK: *id = m->u.query_ok.id; return true;
    case IPC_T_ERROR: *id = m->u.error.id; return m->u.error.has_id;
    default: return false;
    }
}

int ipc_client_call(ipc_client_t *cl, const ipc_msg_t *req, ipc_msg_t *reply, int timeout_ms) {
    uint64_t want;
    switch (req->type) {
    case IPC_T_CHECK: want = req->u.check.id; break;
    case IPC_T_REPORT: want = req->u.report.id; break;
    case IPC_T_MARK: want = req->u.mark.id; break;
    case IPC_T_INSTRUMENT: want = req->u.instrument.id; break;
    case IPC_T_RESOLVE: want = req->u.resolve.id; break;
    case IPC_T_QUERY: want = req->u.query.id; break;
    case IPC_T_SUBSCRIBE: want = req->u.subscribe.id; break;
    case IPC_T_KILL: case IPC_T_UNKILL: want = req->u.kill.id; break;
    default:
        snprintf(cl->err, sizeof cl->err, "%s is not a request", ipc_type_name(req->type));
        return IPC_E_INVALID;
    }
    int rc = ipc_client_send(cl, req);
    if (rc != IPC_OK) return rc;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        rc = ipc_client_recv(cl, reply, left > 0 ? (int)left : 0);
        if (rc != IPC_OK) return rc;
        uint64_t id = 0;
        bool has = reply_id(reply, &id);
        if (has && id == want) return IPC_OK;
        if (reply->type == IPC_T_ERROR && !has) {
            snprintf(cl->err, sizeof cl->err, "server error %s: %.*s",
                     ipc_code_name((int)reply->u.error.code), (int)reply->u.error.reason.n,
                     reply->u.error.reason.p);
            return IPC_OK;
        }
    }
}

ipc_client_t *ipc_client_open(const char *path, const char *client_name, int timeout_ms,
                              char *errbuf, size_t errlen) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(errbuf, errlen, "socket path too long");
        return NULL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ipc_client_t *cl = calloc(1, sizeof *cl);
    if (cl == NULL || ipc_buf_init(&cl->in, 2 * (IPC_FRAME_HDR + IPC_MAX_FRAME)) != 0 ||
        ipc_buf_init(&cl->out, IPC_FRAME_HDR + IPC_MAX_FRAME) != 0 ||
        ipc_unpacker_init(&cl->unpacker) != 0) {
        snprintf(errbuf, errlen, "out of memory");
        if (cl) {
            ipc_buf_free(&cl->in);
            ipc_buf_free(&cl->out);
            free(cl);
        }
        return NULL;
    }
    cl->rcvtimeo_ms = -1;
    cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (cl->fd < 0 || connect(cl->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(errbuf, errlen, "connect %s: %s", path, strerror(errno));
        ipc_client_close(cl);
        return NULL;
    }
    ipc_msg_t hello = {.type = IPC_T_HELLO,
                       .u.hello = {.v = IPC_PROTOCOL_VERSION, .client = ipc_cstr(client_name)}};
    ipc_msg_t rep;
    int rc = ipc_client_send(cl, &hello);
    if (rc == IPC_OK) rc = ipc_client_recv(cl, &rep, timeout_ms);
    if (rc == IPC_OK && rep.type == IPC_T_HELLO_OK) {
        cl->jseq = rep.u.hello_ok.jseq;
        return cl;
    }
    if (rc == IPC_OK && rep.type == IPC_T_ERROR)
        snprintf(errbuf, errlen, "server refused hello: %s: %.*s",
                 ipc_code_name((int)rep.u.error.code), (int)rep.u.error.reason.n,
                 rep.u.error.reason.p);
    else if (rc == IPC_OK)
        snprintf(errbuf, errlen, "expected hello_ok, got %s", ipc_type_name(rep.type));
    else
        snprintf(errbuf, errlen, "handshake: %s", cl->err);
    ipc_client_close(cl);
    return NULL;
}

void ipc_client_close(ipc_client_t *cl) {
    if (cl == NULL) return;
    if (cl->fd >= 0) close(cl->fd);
    ipc_unpacker_destroy(&cl->unpacker);
    ipc_buf_free(&cl->in);
    ipc_buf_free(&cl->out);
    free(cl);
}

uint64_t ipc_client_jseq(const ipc_client_t *cl) { return cl->jseq; }
uint64_t ipc_client_next_id(ipc_client_t *cl) { return ++cl->next_id; }
int ipc_client_fd(const ipc_client_t *cl) { return cl->fd; }
const char *ipc_client_last_error(const ipc_client_t *cl) { return cl->err; }
