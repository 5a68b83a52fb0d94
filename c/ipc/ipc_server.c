/* ipc_server.c - see ipc_server.h for the contract.
 *
 * Buffers. Each connection owns two fixed buffers allocated at accept and
 * never reallocated: `in` (two maximal frames, so a partial frame plus a
 * whole read always fit) and `out` (max_out_bytes plus one maximal frame).
 * Output layout:
 *     out.data [0 .. inflight)      handed to uv_write, must not move
 *              [.. released)        may be written by the next flush
 *              [.. out.len)         queued, waiting for ipc_server_flush
 * Writes start with uv_try_write (usually completes, no copy, no callback);
 * only the rest goes through uv_write. Bytes are dropped from the front when
 * written, never while a uv_write holds them. */
#include "ipc/ipc_server.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP (2 * (IPC_FRAME_HDR + IPC_MAX_FRAME))

struct ipc_conn {
    uv_pipe_t pipe;            /* first: the handle's address is the conn's */
    ipc_server_t *srv;
    ipc_conn_t *prev, *next;
    uint64_t id;
    pid_t pid;
    bool ready;                /* hello accepted */
    bool closing;              /* no more input handled, no more output queued */
    bool handle_closing;       /* uv_close called */
    bool notified;             /* on_close delivered (or not owed) */
    uint32_t topics;
    void *user;
    char client[IPC_MAX_IDENT + 1];
    uint64_t last_rx_ms;       /* uv_now of the last whole frame (or accept) */
    uint64_t closing_since_ms;
    ipc_buf_t in;
    ipc_buf_t out;
    size_t released;
    size_t inflight;
    uv_write_t wreq;
};

struct ipc_server {
    uv_loop_t *loop;
    ipc_server_config_t cfg;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char name[IPC_MAX_IDENT + 1];
    ino_t sock_ino;
    ipc_server_callbacks_t cb;
    void *app;
    uv_pipe_t listener;
    uv_timer_t hb_timer;
    uv_check_t flush_check;
    ipc_conn_t *conns;
    size_t nconns;
    uint64_t next_id;
    int open_handles;          /* server frees itself when this reaches 0 after stop */
    bool stopping;
    ipc_unpacker_t unpacker;   /* shared: frames are decoded one at a time */
    ipc_unpacker_t verify;     /* checks hand-built frames without disturbing `unpacker`,
                                * whose zone holds the request being answered */
    ipc_buf_t scratch;         /* broadcast encodes once here */
};

static void logf_(ipc_server_t *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(ipc_server_t *srv, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (srv->cb.log)
        srv->cb.log(srv->app, line);
    else
        fprintf(stderr, "ipc: %s\n", line);
}

static int64_t wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ipc_server_config_defaults(ipc_server_config_t *cfg, const char *path) {
    memset(cfg, 0, sizeof *cfg);
    cfg->path = path;
    cfg->max_out_bytes = 4u << 20;
    cfg->hb_interval_ms = 1000;
    cfg->hb_timeout_ms = 3000;
    cfg->max_conns = 32;
    cfg->check_peer_uid = true;
    cfg->peer_uid = geteuid();
}

/* ---- teardown ---- */

static void server_release(ipc_server_t *srv) {
    if (--srv->open_handles > 0) return;
    ipc_unpacker_destroy(&srv->unpacker);
    ipc_unpacker_destroy(&srv->verify);
    ipc_buf_free(&srv->scratch);
    free(srv);
}

static void conn_closed_cb(uv_handle_t *h) {
    ipc_conn_t *c = (ipc_conn_t *)h;
    ipc_server_t *srv = c->srv;
    ipc_buf_free(&c->in);
    ipc_buf_free(&c->out);
    free(c);
    server_release(srv);
}

static void conn_notify_closed(ipc_conn_t *c) {
    if (c->notified) return;
    c->notified = true;
    if (c->ready && c->srv->cb.on_close) c->srv->cb.on_close(c, c->srv->app);
}

/* Close the handle now: pending output is dropped, in-flight writes are
 * cancelled (their callback sees UV_ECANCELED). */
static void conn_destroy(ipc_conn_t *c) {
    if (c->handle_closing) return;
    c->closing = true;
    c->handle_closing = true;
    conn_notify_closed(c);
    ipc_server_t *srv = c->srv;
    if (c->prev) c->prev->next = c->next; else srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->nconns--;
    uv_close((uv_handle_t *)&c->pipe, conn_closed_cb);
}

/* ---- output ---- */

static void conn_flush(ipc_conn_t *c);

static void write_cb(uv_write_t *req, int status) {
    ipc_conn_t *c = req->data;
    if (status == UV_ECANCELED) return; /* handle is being closed */
    size_t done = c->inflight;
    c->inflight = 0;
    if (status < 0) {
        logf_(c->srv, "conn %llu: write failed: %s", (unsigned long long)c->id,
              uv_strerror(status));
        conn_destroy(c);
        return;
    }
    ipc_buf_consume(&c->out, done);
    c->released -= done;
    conn_flush(c);
}

/* Write the released bytes; close a closing connection once all is out. */
static void conn_flush(ipc_conn_t *c) {
    if (c->handle_closing || c->inflight > 0) return;
    if (c->released > 0) {
        uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->released);
        int n = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
        if (n < 0 && n != UV_EAGAIN) {
            logf_(c->srv, "conn %llu: write failed: %s", (unsigned long long)c->id,
                  uv_strerror(n));
            conn_destroy(c);
            return;
        }
        if (n > 0) {
            ipc_buf_consume(&c->out, (size_t)n);
            c->released -= (size_t)n;
        }
        if (c->released > 0) {
            /* the socket buffer is full: let libuv finish in the background */
            b = uv_buf_init(c->out.data, (unsigned)c->released);
            c->inflight = c->released;
            c->wreq.data = c;
            int rc = uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, write_cb);
            if (rc < 0) {
                c->inflight = 0;
                logf_(c->srv, "conn %llu: write failed: %s", (unsigned long long)c->id,
                      uv_strerror(rc));
                conn_destroy(c);
            }
            return;
        }
    }
    if (c->closing && c->out.len == 0) conn_destroy(c);
}

/* After appending a frame: enforce the cap. */
static int conn_after_append(ipc_conn_t *c) {
    if (c->out.len > c->srv->cfg.max_out_bytes) {
        logf_(c->srv, "conn %llu (%s): slow reader, %zu bytes queued > %zu; disconnecting",
              (unsigned long long)c->id, c->client, c->out.len, c->srv->cfg.max_out_bytes);
        conn_destroy(c);
        return -1;
    }
    return IPC_OK;
}

int ipc_conn_send(ipc_conn_t *c, const ipc_msg_t *msg) {
    if (c->closing) return -1;
    ipc_err_t err;
    int rc = ipc_encode_frame(&c->out, msg, &err);
    if (rc != IPC_OK) {
        logf_(c->srv, "conn %llu: cannot send %s: %s", (unsigned long long)c->id,
              ipc_type_name(msg->type) ? ipc_type_name(msg->type) : "?", err.text);
        return rc;
    }
    return conn_after_append(c);
}

int ipc_conn_send_ok(ipc_conn_t *c, uint64_t id) {
    ipc_msg_t m = {.type = IPC_T_OK, .u.ok = {.id = id}};
    return ipc_conn_send(c, &m);
}

int ipc_conn_send_error(ipc_conn_t *c, bool has_id, uint64_t id, int code, const char *reason) {
    ipc_msg_t m = {.type = IPC_T_ERROR,
                   .u.error = {.has_id = has_id, .id = id, .code = code,
                               .name = ipc_cstr(ipc_code_name(code)),
                               .reason = ipc_cstr(reason ? reason : "")}};
    return ipc_conn_send(c, &m);
}

int ipc_conn_send_check_ok(ipc_conn_t *c, uint64_t id, uint64_t res) {
    ipc_msg_t m = {.type = IPC_T_CHECK_OK, .u.check_ok = {.id = id, .res = res}};
    return ipc_conn_send(c, &m);
}

int ipc_conn_send_check_reject(ipc_conn_t *c, uint64_t id, int64_t code, const char *name,
                               const char *reason) {
    ipc_msg_t m = {.type = IPC_T_CHECK_REJECT,
                   .u.check_reject = {.id = id, .code = code, .name = ipc_cstr(name),
                                      .reason = ipc_cstr(reason ? reason : "")}};
    return ipc_conn_send(c, &m);
}

msgpack_packer *ipc_conn_begin(ipc_conn_t *c, ipc_fw_t *fw) {
    if (c->closing) return NULL;
    return ipc_fw_begin(fw, &c->out);
}

msgpack_packer *ipc_conn_begin_query_ok(ipc_conn_t *c, uint64_t id, ipc_fw_t *fw) {
    msgpack_packer *pk = ipc_conn_begin(c, fw);
    if (pk == NULL) return NULL;
    msgpack_pack_map(pk, 3);
    ipc_pack_cstr(pk, "t");
    ipc_pack_cstr(pk, "query_ok");
    ipc_pack_cstr(pk, "id");
    msgpack_pack_uint64(pk, id);
    ipc_pack_cstr(pk, "data");
    return pk;
}

int ipc_conn_end(ipc_conn_t *c, ipc_fw_t *fw) {
    if (ipc_fw_end(fw) != 0) {
        logf_(c->srv, "conn %llu: hand-built frame too large or out of space; dropped",
              (unsigned long long)c->id);
        return IPC_E_FRAME_SIZE;
    }
    /* never send what a client would have to refuse: decode it like one */
    ipc_err_t err;
    msgpack_object obj;
    ipc_msg_t msg;
    const char *body = c->out.data + fw->start + IPC_FRAME_HDR;
    size_t len = c->out.len - fw->start - IPC_FRAME_HDR;
    int rc = ipc_unpack(&c->srv->verify, body, len, &obj, &err);
    if (rc == IPC_OK) rc = ipc_decode(&obj, IPC_DIR_TO_CLIENT, &msg, &err);
    if (rc != IPC_OK) {
        c->out.len = fw->start;
        logf_(c->srv, "conn %llu: hand-built frame is invalid (%s: %s); dropped",
              (unsigned long long)c->id, ipc_code_name(rc), err.text);
        return rc;
    }
    return conn_after_append(c);
}

/* Queue an error frame and close once it is written. Earlier queued replies
 * still wait for the app's flush (they may depend on the journal), so the
 * error goes out after them, never before. */
static void close_with_error(ipc_conn_t *c, bool has_id, uint64_t id, int code,
                             const char *reason) {
    if (c->closing) return;
    ipc_conn_send_error(c, has_id, id, code, reason);
    c->closing = true;
    c->closing_since_ms = uv_now(c->srv->loop);
    uv_read_stop((uv_stream_t *)&c->pipe);
    conn_notify_closed(c);
    if (!c->srv->cfg.defer_writes) {
        c->released = c->out.len;
        conn_flush(c);
    }
}

void ipc_conn_close(ipc_conn_t *c, int code, const char *reason) {
    close_with_error(c, false, 0, code, reason);
}

static void protocol_error(ipc_conn_t *c, const msgpack_object *obj, const ipc_err_t *err) {
    uint64_t id = 0;
    bool has_id = obj != NULL && ipc_peek_id(obj, &id);
    logf_(c->srv, "conn %llu (%s): %s: %s; closing", (unsigned long long)c->id,
          c->client[0] ? c->client : "?", ipc_code_name(err->code), err->text);
    close_with_error(c, has_id, id, err->code, err->text);
}

void ipc_server_flush(ipc_server_t *srv) {
    ipc_conn_t *next;
    for (ipc_conn_t *c = srv->conns; c; c = next) {
        next = c->next; /* conn_flush may unlink c */
        c->released = c->out.len;
        conn_flush(c);
    }
}

static void flush_check_cb(uv_check_t *h) { ipc_server_flush(h->data); }

int ipc_server_broadcast(ipc_server_t *srv, uint32_t topic_mask, const ipc_msg_t *msg) {
    ipc_err_t err;
    srv->scratch.len = 0;
    int rc = ipc_encode_frame(&srv->scratch, msg, &err);
    if (rc != IPC_OK) {
        logf_(srv, "cannot broadcast: %s", err.text);
        return -rc;
    }
    int sent = 0;
    ipc_conn_t *next;
    for (ipc_conn_t *c = srv->conns; c; c = next) {
        next = c->next;
        if (!c->ready || c->closing || !(c->topics & topic_mask)) continue;
        if (ipc_buf_write(&c->out, srv->scratch.data, srv->scratch.len) != 0) {
            conn_destroy(c); /* cannot happen below the cap; be safe */
            continue;
        }
        if (conn_after_append(c) == IPC_OK) sent++;
    }
    return sent;
}

/* ---- input ---- */

static void handle_frame(ipc_conn_t *c, const char *body, size_t len) {
    ipc_server_t *srv = c->srv;
    ipc_err_t err;
    msgpack_object obj;
    ipc_msg_t msg;
    c->last_rx_ms = uv_now(srv->loop);
    int rc = ipc_unpack(&srv->unpacker, body, len, &obj, &err);
    if (rc != IPC_OK) {
        protocol_error(c, NULL, &err);
        return;
    }
    rc = ipc_decode(&obj, IPC_DIR_TO_SERVER, &msg, &err);
    if (rc != IPC_OK) {
        protocol_error(c, &obj, &err);
        return;
    }
    if (!c->ready) {
        if (msg.type != IPC_T_HELLO) {
            ipc_err_set(&err, IPC_E_HANDSHAKE, "t", "first frame must be hello, got %s",
                        ipc_type_name(msg.type));
            protocol_error(c, &obj, &err);
            return;
        }
        memcpy(c->client, msg.u.hello.client.p, msg.u.hello.client.n);
        c->client[msg.u.hello.client.n] = '\0';
        if (msg.u.hello.v != IPC_PROTOCOL_VERSION) {
            ipc_err_set(&err, IPC_E_VERSION, "v", "protocol version %llu not supported; server speaks %u",
                        (unsigned long long)msg.u.hello.v, IPC_PROTOCOL_VERSION);
            protocol_error(c, &obj, &err);
            return;
        }
        ipc_msg_t ok = {.type = IPC_T_HELLO_OK,
                        .u.hello_ok = {.v = IPC_PROTOCOL_VERSION, .server = ipc_cstr(srv->name),
                                       .jseq = srv->cb.journal_seq ? srv->cb.journal_seq(srv->app)
                                                                   : 0}};
        if (ipc_conn_send(c, &ok) != IPC_OK) return;
        c->ready = true;
        logf_(srv, "conn %llu: %s connected (pid %d)", (unsigned long long)c->id, c->client,
              (int)c->pid);
        if (srv->cb.on_connect) srv->cb.on_connect(c, srv->app);
        return;
    }
    switch (msg.type) {
    case IPC_T_HB:
        return;
    case IPC_T_HELLO:
        ipc_err_set(&err, IPC_E_HANDSHAKE, "t", "hello after the handshake");
        protocol_error(c, &obj, &err);
        return;
    default:
        if (srv->cb.on_message) srv->cb.on_message(c, &msg, &obj, srv->app);
        return;
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    ipc_conn_t *c = (ipc_conn_t *)h;
    /* after compaction at most one partial frame remains, so there is always
     * room for at least one more maximal frame */
    *buf = uv_buf_init(c->in.data + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    ipc_conn_t *c = (ipc_conn_t *)s;
    if (nread < 0) {
        if (nread != UV_EOF)
            logf_(c->srv, "conn %llu: read failed: %s", (unsigned long long)c->id,
                  uv_strerror((int)nread));
        conn_destroy(c);
        return;
    }
    c->in.len += (size_t)nread;
    size_t off = 0;
    while (!c->closing) {
        const char *body;
        size_t blen, used;
        ipc_err_t err;
        ipc_next_t nx = ipc_frame_next(c->in.data + off, c->in.len - off, &body, &blen, &used, &err);
        if (nx == IPC_NEXT_MORE) break;
        if (nx == IPC_NEXT_ERROR) {
            protocol_error(c, NULL, &err);
            break;
        }
        handle_frame(c, body, blen);
        off += used;
    }
    if (!c->handle_closing) ipc_buf_consume(&c->in, off);
}

static void refused_cb(uv_handle_t *h) { free((ipc_conn_t *)h); }

/* Close a connection that never became a full ipc_conn (no buffers yet). */
static void refuse(uv_pipe_t *p) { uv_close((uv_handle_t *)p, refused_cb); }

static void connection_cb(uv_stream_t *server, int status) {
    ipc_server_t *srv = server->data;
    if (status < 0) {
        logf_(srv, "accept failed: %s", uv_strerror(status));
        return;
    }
    ipc_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL) return;
    uv_pipe_init(srv->loop, &c->pipe, 0);
    if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
        refuse(&c->pipe);
        return;
    }
    uv_os_fd_t fd;
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
        logf_(srv, "refused a connection: cannot read peer credentials");
        refuse(&c->pipe);
        return;
    }
    if (srv->cfg.check_peer_uid && cred.uid != srv->cfg.peer_uid) {
        logf_(srv, "refused a connection from uid %u pid %d: only uid %u may connect",
              (unsigned)cred.uid, (int)cred.pid, (unsigned)srv->cfg.peer_uid);
        refuse(&c->pipe);
        return;
    }
    if (srv->nconns >= srv->cfg.max_conns || srv->stopping) {
        logf_(srv, "refused a connection from pid %d: %zu connections open", (int)cred.pid,
              srv->nconns);
        refuse(&c->pipe);
        return;
    }
    if (ipc_buf_init(&c->in, IN_CAP) != 0 ||
        ipc_buf_init(&c->out, srv->cfg.max_out_bytes + IPC_FRAME_HDR + IPC_MAX_FRAME) != 0) {
        ipc_buf_free(&c->in);
        logf_(srv, "refused a connection: out of memory");
        refuse(&c->pipe);
        return;
    }
    c->srv = srv;
    c->id = ++srv->next_id;
    c->pid = cred.pid;
    c->last_rx_ms = uv_now(srv->loop);
    c->pipe.data = c;
    c->next = srv->conns;
    if (srv->conns) srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    srv->open_handles++;
    uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
}

/* ---- heartbeats ---- */

static void hb_cb(uv_timer_t *t) {
    ipc_server_t *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    ipc_msg_t hb = {.type = IPC_T_HB, .u.hb = {.ts = wall_ns()}};
    ipc_conn_t *next;
    for (ipc_conn_t *c = srv->conns; c; c = next) {
        next = c->next;
        if (c->closing) {
            /* output that never drains (e.g. the app stopped flushing) */
            if (now - c->closing_since_ms > srv->cfg.hb_timeout_ms) conn_destroy(c);
            continue;
        }
        if (now - c->last_rx_ms > srv->cfg.hb_timeout_ms) {
            ipc_err_t err;
            ipc_err_set(&err, IPC_E_TIMEOUT, "", "nothing received for %llu ms",
                        (unsigned long long)(now - c->last_rx_ms));
            protocol_error(c, NULL, &err);
            continue;
        }
        if (c->ready) ipc_conn_send(c, &hb);
    }
}

/* ---- listen / stop ---- */

static int take_over_path(const char *path, char *errbuf, size_t errlen) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(errbuf, errlen, "%s exists and is not a socket; not touching it", path);
        return UV_EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    close(fd);
    if (rc == 0) {
        snprintf(errbuf, errlen, "another server is listening on %s", path);
        return UV_EADDRINUSE;
    }
    if (e != ECONNREFUSED) {
        snprintf(errbuf, errlen, "cannot probe %s: %s", path, strerror(e));
        return -e;
    }
    if (unlink(path) != 0 && errno != ENOENT) return -errno;
    return 0;
}

static void handle_closed_cb(uv_handle_t *h) { server_release(h->data); }

int ipc_server_start(ipc_server_t **out, uv_loop_t *loop, const ipc_server_config_t *cfg,
                     const ipc_server_callbacks_t *cb, void *app, char *errbuf, size_t errlen) {
    *out = NULL;
    snprintf(errbuf, errlen, "ok");
    size_t plen = cfg->path ? strlen(cfg->path) : 0;
    ipc_server_t *srv = calloc(1, sizeof *srv);
    if (srv == NULL) return UV_ENOMEM;
    if (plen == 0 || plen >= sizeof srv->path) {
        snprintf(errbuf, errlen, "socket path is empty or longer than %zu bytes",
                 sizeof srv->path - 1);
        free(srv);
        return UV_ENAMETOOLONG;
    }
    srv->loop = loop;
    srv->cfg = *cfg;
    if (srv->cfg.max_out_bytes == 0) srv->cfg.max_out_bytes = 4u << 20;
    if (srv->cfg.hb_interval_ms == 0) srv->cfg.hb_interval_ms = 1000;
    if (srv->cfg.hb_timeout_ms == 0) srv->cfg.hb_timeout_ms = 3000;
    if (srv->cfg.max_conns == 0) srv->cfg.max_conns = 32;
    memcpy(srv->path, cfg->path, plen + 1);
    snprintf(srv->name, sizeof srv->name, "%s", cfg->server_name ? cfg->server_name : "trader");
    srv->cfg.path = srv->path;
    srv->cfg.server_name = srv->name;
    srv->cb = *cb;
    srv->app = app;
    if (ipc_unpacker_init(&srv->unpacker) != 0 || ipc_unpacker_init(&srv->verify) != 0 ||
        ipc_buf_init(&srv->scratch, IPC_FRAME_HDR + IPC_MAX_FRAME) != 0) {
        ipc_unpacker_destroy(&srv->unpacker);
        ipc_unpacker_destroy(&srv->verify);
        free(srv);
        return UV_ENOMEM;
    }

    /* A client that disconnects while we write would otherwise kill the
     * whole trader with SIGPIPE (libuv writes to pipes with write(2), which
     * has no MSG_NOSIGNAL). Process-wide on purpose; documented in the header. */
    signal(SIGPIPE, SIG_IGN);

    int rc = take_over_path(srv->path, errbuf, errlen);
    if (rc == 0) {
        uv_pipe_init(loop, &srv->listener, 0);
        srv->listener.data = srv;
        srv->open_handles = 1;
        /* umask closes the window between bind and chmod where the socket
         * would have the default mode */
        mode_t old = umask(0177);
        rc = uv_pipe_bind(&srv->listener, srv->path);
        umask(old);
        struct stat st;
        if (rc == 0 && (chmod(srv->path, 0600) != 0 || lstat(srv->path, &st) != 0)) rc = -errno;
        if (rc == 0) srv->sock_ino = st.st_ino;
        if (rc == 0) rc = uv_listen((uv_stream_t *)&srv->listener, 64, connection_cb);
        if (rc != 0) {
            snprintf(errbuf, errlen, "cannot listen on %s: %s", srv->path, uv_strerror(rc));
            if (srv->sock_ino) unlink(srv->path);
            srv->stopping = true;
            uv_close((uv_handle_t *)&srv->listener, handle_closed_cb); /* frees srv */
            return rc;
        }
    } else {
        if (strcmp(errbuf, "ok") == 0) snprintf(errbuf, errlen, "%s: %s", srv->path, uv_strerror(rc));
        ipc_unpacker_destroy(&srv->unpacker);
        ipc_unpacker_destroy(&srv->verify);
        ipc_buf_free(&srv->scratch);
        free(srv);
        return rc;
    }
    uv_timer_init(loop, &srv->hb_timer);
    srv->hb_timer.data = srv;
    srv->open_handles++;
    uv_timer_start(&srv->hb_timer, hb_cb, srv->cfg.hb_interval_ms, srv->cfg.hb_interval_ms);
    uv_check_init(loop, &srv->flush_check);
    srv->flush_check.data = srv;
    srv->open_handles++;
    if (!srv->cfg.defer_writes) uv_check_start(&srv->flush_check, flush_check_cb);
    logf_(srv, "listening on %s (mode 0600)", srv->path);
    *out = srv;
    return 0;
}

void ipc_server_stop(ipc_server_t *srv) {
    if (srv->stopping) return;
    srv->stopping = true;
    while (srv->conns) {
        ipc_conn_t *c = srv->conns;
        if (!c->closing) {
            /* best effort: one non-blocking write of what is queued plus a
             * SHUTDOWN error; we do not wait for slow readers */
            ipc_conn_send_error(c, false, 0, IPC_E_SHUTDOWN, "server stopping");
            if (c->inflight == 0 && c->out.len > 0) {
                uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
                (void)uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
            }
        }
        conn_destroy(c);
    }
    struct stat st;
    if (lstat(srv->path, &st) == 0 && st.st_ino == srv->sock_ino) unlink(srv->path);
    uv_close((uv_handle_t *)&srv->listener, handle_closed_cb);
    uv_close((uv_handle_t *)&srv->hb_timer, handle_closed_cb);
    uv_close((uv_handle_t *)&srv->flush_check, handle_closed_cb);
}

size_t ipc_server_conn_count(const ipc_server_t *srv) { return srv->nconns; }

void ipc_conn_set_topics(ipc_conn_t *c, uint32_t mask) { c->topics = mask; }
uint32_t ipc_conn_topics(const ipc_conn_t *c) { return c->topics; }
void ipc_conn_set_user(ipc_conn_t *c, void *user) { c->user = user; }
void *ipc_conn_user(const ipc_conn_t *c) { return c->user; }
uint64_t ipc_conn_id(const ipc_conn_t *c) { return c->id; }
const char *ipc_conn_client(const ipc_conn_t *c) { return c->client; }
pid_t ipc_conn_pid(const ipc_conn_t *c) { return c->pid; }
size_t ipc_conn_pending(const ipc_conn_t *c) { return c->out.len; }
