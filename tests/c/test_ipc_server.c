/* test_ipc_server.c - the IPC server on a real libuv loop (its own thread)
 * with real Unix-socket clients: handshake, replies in order, protocol errors
 * closing one connection only, 0600 mode, stale sockets, peer uid refusal,
 * heartbeats, slow readers, broadcast and deferred (group-commit) writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/ipc_client.h"
#include "ipc/ipc_server.h"

#define T_MS 3000 /* generous functional deadline for replies */

enum { CMD_NONE, CMD_STOP, CMD_FLUSH };

typedef struct app {
    uv_loop_t loop;
    uv_async_t async;
    ipc_server_t *srv;
    pthread_t thread;
    atomic_int cmd;
    atomic_int connects, closes;
    uint64_t next_res;
    pthread_mutex_t mu;
    char log[16384];
    char dir[64];
    char path[128];
} app_t;

static void app_log(void *ctx, const char *line) {
    app_t *a = ctx;
    pthread_mutex_lock(&a->mu);
    size_t n = strlen(a->log);
    snprintf(a->log + n, sizeof a->log - n, "%s\n", line);
    pthread_mutex_unlock(&a->mu);
}

static bool log_has(app_t *a, const char *needle) {
    pthread_mutex_lock(&a->mu);
    bool found = strstr(a->log, needle) != NULL;
    pthread_mutex_unlock(&a->mu);
    return found;
}

static uint64_t app_jseq(void *ctx) { (void)ctx; return 42; }
static void app_connect(ipc_conn_t *c, void *ctx) { (void)c; atomic_fetch_add(&((app_t *)ctx)->connects, 1); }
static void app_close(ipc_conn_t *c, void *ctx) { (void)c; atomic_fetch_add(&((app_t *)ctx)->closes, 1); }

static void app_message(ipc_conn_t *c, const ipc_msg_t *m, const msgpack_object *raw, void *ctx) {
    app_t *a = ctx;
    (void)raw;
    switch (m->type) {
    case IPC_T_CHECK:
        if (ipc_str_eq(m->u.check.sym, "REJECT"))
            ipc_conn_send_check_reject(c, m->u.check.id, 3, "MAX_POSITION", "too big");
        else
            ipc_conn_send_check_ok(c, m->u.check.id, ++a->next_res);
        break;
    case IPC_T_QUERY: {
        ipc_fw_t fw;
        msgpack_packer *pk = ipc_conn_begin_query_ok(c, m->u.query.id, &fw);
        if (pk == NULL) break;
        if (m->u.query.what == IPC_Q_ORDERS) { /* a big reply, for the slow reader test */
            static char pad[60000];
            memset(pad, 'x', sizeof pad);
            msgpack_pack_map(pk, 1);
            ipc_pack_cstr(pk, "pad");
            msgpack_pack_str(pk, sizeof pad);
            msgpack_pack_str_body(pk, pad, sizeof pad);
        } else if (m->u.query.what == IPC_Q_LIMITS) { /* an app bug: data not a map */
            msgpack_pack_uint64(pk, 5);
            if (ipc_conn_end(c, &fw) != IPC_OK)
                ipc_conn_send_error(c, true, m->u.query.id, IPC_E_INTERNAL, "bad query_ok");
            break;
        } else {
            msgpack_pack_map(pk, 2);
            ipc_pack_cstr(pk, "client");
            ipc_pack_cstr(pk, ipc_conn_client(c));
            ipc_pack_cstr(pk, "conns");
            msgpack_pack_uint64(pk, ipc_server_conn_count(a->srv));
        }
        ipc_conn_end(c, &fw);
        break;
    }
    case IPC_T_SUBSCRIBE:
        ipc_conn_set_topics(c, m->u.subscribe.topics);
        ipc_conn_send_ok(c, m->u.subscribe.id);
        break;
    case IPC_T_KILL: {
        ipc_conn_send_ok(c, m->u.kill.id);
        ipc_msg_t st = {.type = IPC_T_STATE,
                        .u.state = {.scope = IPC_SCOPE_GLOBAL, .state = IPC_STATE_HALTED,
                                    .reason = m->u.kill.reason, .ts = 1}};
        ipc_server_broadcast(a->srv, IPC_TOPIC_STATE, &st);
        break;
    }
    case IPC_T_REPORT:
        if (m->u.report.res == 0)
            ipc_conn_send_error(c, true, m->u.report.id, IPC_E_UNKNOWN_RES, "no reservation 0");
        else
            ipc_conn_send_ok(c, m->u.report.id);
        break;
    case IPC_T_MARK:
        if (m->u.mark.has_id) ipc_conn_send_ok(c, m->u.mark.id);
        break;
    default:
        ipc_conn_send_ok(c, m->u.instrument.id);
        break;
    }
}

static void async_cb(uv_async_t *h) {
    app_t *a = h->data;
    int cmd = atomic_exchange(&a->cmd, CMD_NONE);
    if (cmd == CMD_FLUSH) ipc_server_flush(a->srv);
    if (cmd == CMD_STOP) {
        ipc_server_stop(a->srv);
        uv_close((uv_handle_t *)h, NULL);
    }
}

static void *loop_thread(void *arg) {
    app_t *a = arg;
    uv_run(&a->loop, UV_RUN_DEFAULT);
    return NULL;
}

static const ipc_server_callbacks_t callbacks = {
    .on_connect = app_connect, .on_message = app_message, .on_close = app_close,
    .journal_seq = app_jseq, .log = app_log,
};

/* Start a server; tweak(cfg) may change the config first. */
static app_t *start_with(void (*tweak)(ipc_server_config_t *, app_t *)) {
    app_t *a = calloc(1, sizeof *a);
    assert_non_null(a);
    pthread_mutex_init(&a->mu, NULL);
    snprintf(a->dir, sizeof a->dir, "/tmp/ipc_test_XXXXXX");
    assert_non_null(mkdtemp(a->dir));
    snprintf(a->path, sizeof a->path, "%s/trader.sock", a->dir);
    assert_int_equal(uv_loop_init(&a->loop), 0);
    ipc_server_config_t cfg;
    ipc_server_config_defaults(&cfg, a->path);
    if (tweak) tweak(&cfg, a);
    char err[256];
    int rc = ipc_server_start(&a->srv, &a->loop, &cfg, &callbacks, a, err, sizeof err);
    if (rc != 0) fail_msg("server start: %s", err);
    uv_async_init(&a->loop, &a->async, async_cb);
    a->async.data = a;
    assert_int_equal(pthread_create(&a->thread, NULL, loop_thread, a), 0);
    return a;
}

static void send_cmd(app_t *a, int cmd) {
    atomic_store(&a->cmd, cmd);
    uv_async_send(&a->async);
}

/* After CMD_STOP: wait for the loop to end and check everything was released. */
static void finish(app_t *a) {
    pthread_join(a->thread, NULL);
    assert_int_equal(uv_loop_close(&a->loop), 0); /* every handle closed, nothing leaked */
    struct stat st;
    assert_int_equal(lstat(a->path, &st), -1); /* socket file removed */
    rmdir(a->dir);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static void stop(app_t *a) {
    send_cmd(a, CMD_STOP);
    finish(a);
}

static ipc_client_t *open_client(app_t *a, const char *name) {
    char err[256];
    ipc_client_t *cl = ipc_client_open(a->path, name, T_MS, err, sizeof err);
    if (cl == NULL) fail_msg("client open: %s", err);
    return cl;
}

static ipc_msg_t check_msg(uint64_t id, const char *sym) {
    return (ipc_msg_t){.type = IPC_T_CHECK,
                       .u.check = {.id = id, .venue = IPC_VENUE_POLYMARKET, .sym = ipc_cstr(sym),
                                   .side = IPC_SIDE_BUY, .px = ipc_cstr("0.53"),
                                   .qty = ipc_cstr("10"), .ord = IPC_ORD_LIMIT,
                                   .tif = IPC_TIF_GTC, .post_only = true, .cid = ipc_cstr("c")}};
}

/* One request/reply on a known-good connection. */
static void assert_alive(ipc_client_t *cl) {
    ipc_msg_t req = check_msg(ipc_client_next_id(cl), "ALIVE"), rep;
    int rc = ipc_client_call(cl, &req, &rep, T_MS);
    if (rc != IPC_OK) fail_msg("call failed: %d %s", rc, ipc_client_last_error(cl));
    assert_int_equal(rep.type, IPC_T_CHECK_OK);
    assert_int_equal(rep.u.check_ok.id, req.u.check.id);
}

/* Expect an error frame with `code`, then the connection closed. */
static void assert_error_then_closed(ipc_client_t *cl, int code) {
    ipc_msg_t m;
    int rc;
    do {
        rc = ipc_client_recv(cl, &m, T_MS);
    } while (rc == IPC_OK && m.type == IPC_T_HB);
    if (rc != IPC_OK) fail_msg("no error frame: %d %s", rc, ipc_client_last_error(cl));
    assert_int_equal(m.type, IPC_T_ERROR);
    if (m.u.error.code != code)
        fail_msg("expected %s, got %s: %.*s", ipc_code_name(code), ipc_code_name((int)m.u.error.code),
                 (int)m.u.error.reason.n, m.u.error.reason.p);
    assert_true(ipc_str_eq(m.u.error.name, ipc_code_name(code)));
    assert_int_equal(ipc_client_recv(cl, &m, T_MS), IPC_CLIENT_CLOSED);
}

static void test_handshake_and_requests(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *cl = open_client(a, "gateway");
    assert_int_equal(ipc_client_jseq(cl), 42);

    ipc_msg_t req = check_msg(ipc_client_next_id(cl), "TOKEN"), rep;
    assert_int_equal(ipc_client_call(cl, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_CHECK_OK);
    assert_int_equal(rep.u.check_ok.res, 1);

    req = check_msg(ipc_client_next_id(cl), "REJECT");
    assert_int_equal(ipc_client_call(cl, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_CHECK_REJECT);
    assert_true(ipc_str_eq(rep.u.check_reject.name, "MAX_POSITION"));

    /* a request error is a reply; the connection stays open */
    req = (ipc_msg_t){.type = IPC_T_REPORT,
                      .u.report = {.id = ipc_client_next_id(cl), .res = 0, .kind = IPC_RK_CANCEL,
                                   .ts = 5}};
    assert_int_equal(ipc_client_call(cl, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_ERROR);
    assert_int_equal(rep.u.error.code, IPC_E_UNKNOWN_RES);

    /* mark without id gets no reply; the next reply is the query's */
    ipc_msg_t mark = {.type = IPC_T_MARK,
                      .u.mark = {.venue = IPC_VENUE_BINANCE, .sym = ipc_cstr("BTCUSDT"),
                                 .px = ipc_cstr("64000"), .ts = 7}};
    assert_int_equal(ipc_client_send(cl, &mark), IPC_OK);
    req = (ipc_msg_t){.type = IPC_T_QUERY,
                      .u.query = {.id = ipc_client_next_id(cl), .what = IPC_Q_STATUS}};
    assert_int_equal(ipc_client_call(cl, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_QUERY_OK);
    assert_int_equal(rep.u.query_ok.data->type, MSGPACK_OBJECT_MAP);
    const msgpack_object_kv *kv = rep.u.query_ok.data->via.map.ptr;
    assert_int_equal(kv[0].val.via.str.size, strlen("gateway"));
    assert_memory_equal(kv[0].val.via.str.ptr, "gateway", 7);
    assert_int_equal(kv[1].val.via.u64, 1);

    /* a hand-built reply the client would refuse is dropped by the server */
    req = (ipc_msg_t){.type = IPC_T_QUERY,
                      .u.query = {.id = ipc_client_next_id(cl), .what = IPC_Q_LIMITS}};
    assert_int_equal(ipc_client_call(cl, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_ERROR);
    assert_int_equal(rep.u.error.code, IPC_E_INTERNAL);
    assert_true(log_has(a, "hand-built frame is invalid"));
    assert_alive(cl);

    ipc_client_close(cl);
    stop(a);
}

static void test_socket_mode_is_0600(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    struct stat st;
    assert_int_equal(lstat(a->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    stop(a);
}

/* Many frames in one write and one frame in many writes; replies come back in
 * request order. */
static void test_pipelined_and_partial_frames(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *cl = open_client(a, "bench");
    ipc_buf_t b;
    assert_int_equal(ipc_buf_init(&b, 1 << 20), 0);
    ipc_err_t err;
    for (uint64_t i = 1; i <= 200; i++) {
        ipc_msg_t m = check_msg(1000 + i, "TOKEN");
        assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_OK);
    }
    assert_int_equal(ipc_client_send_raw(cl, b.data, b.len), IPC_OK);
    for (uint64_t i = 1; i <= 200; i++) {
        ipc_msg_t rep;
        assert_int_equal(ipc_client_recv(cl, &rep, T_MS), IPC_OK);
        if (rep.type == IPC_T_HB) { i--; continue; }
        assert_int_equal(rep.type, IPC_T_CHECK_OK);
        assert_int_equal(rep.u.check_ok.id, 1000 + i);
    }
    b.len = 0;
    ipc_msg_t m = check_msg(5000, "TOKEN");
    assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_OK);
    for (size_t i = 0; i < b.len; i++) { /* byte by byte: the server sees partial frames */
        assert_int_equal(ipc_client_send_raw(cl, b.data + i, 1), IPC_OK);
        usleep(500);
    }
    ipc_msg_t rep;
    do assert_int_equal(ipc_client_recv(cl, &rep, T_MS), IPC_OK); while (rep.type == IPC_T_HB);
    assert_int_equal(rep.u.check_ok.id, 5000);
    ipc_buf_free(&b);
    ipc_client_close(cl);
    stop(a);
}

typedef struct bad_case {
    const char *name;
    const char *bytes;
    size_t len;
    int code;
} bad_case_t;

/* Each bad frame closes only its own connection; the bystander keeps working. */
static void test_bad_frames_close_only_that_connection(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *good = open_client(a, "gateway");
    static const bad_case_t cases[] = {
        {"garbage", "\x00\x00\x00\x01\xc1", 5, IPC_E_MALFORMED},
        {"zero length", "\x00\x00\x00\x00", 4, IPC_E_FRAME_SIZE},
        {"oversize", "\x00\x01\x00\x01", 4, IPC_E_FRAME_SIZE},
        {"not a map", "\x00\x00\x00\x01\x05", 5, IPC_E_NOT_MAP},
        {"unknown type", "\x00\x00\x00\x0b\x82\xa1t\xa3zap\xa2id\x01", 15, IPC_E_UNKNOWN_TYPE},
        {"missing field", "\x00\x00\x00\x06\x81\xa1t\xa2hb", 10, IPC_E_MISSING_FIELD},
        {"float money", "\x00\x00\x00\x15\x82\xa1t\xa5" "check\xa2px\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00",
         25, IPC_E_FLOAT_MONEY},
        {"second hello",
         "\x00\x00\x00\x15\x83\xa1t\xa5hello\xa1v\x01\xa6" "client\xa1x", 25, IPC_E_HANDSHAKE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ipc_client_t *bad = open_client(a, "victim");
        assert_int_equal(ipc_client_send_raw(bad, cases[i].bytes, cases[i].len), IPC_OK);
        assert_error_then_closed(bad, cases[i].code);
        ipc_client_close(bad);
        assert_alive(good);
    }
    /* the error echoes the request id when it can be read */
    ipc_client_t *bad = open_client(a, "victim");
    const char idframe[] = "\x00\x00\x00\x10\x83\xa1t\xa5query\xa2id\x09\xa1x\x01";
    assert_int_equal(ipc_client_send_raw(bad, idframe, sizeof idframe - 1), IPC_OK);
    ipc_msg_t m;
    assert_int_equal(ipc_client_recv(bad, &m, T_MS), IPC_OK);
    assert_int_equal(m.type, IPC_T_ERROR);
    assert_true(m.u.error.has_id);
    assert_int_equal(m.u.error.id, 9);
    assert_int_equal(m.u.error.code, IPC_E_UNKNOWN_FIELD);
    ipc_client_close(bad);
    assert_alive(good);
    ipc_client_close(good);
    stop(a);
}

static int raw_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Read until EOF; true if the server closed without sending anything. */
static bool closed_silently(int fd) {
    char buf[256];
    ssize_t total = 0, r;
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while ((r = read(fd, buf, sizeof buf)) > 0) total += r;
    return r == 0 && total == 0;
}

static void test_handshake_errors(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *good = open_client(a, "gateway");
    /* wrong version: VERSION error, closed */
    int fd = raw_connect(a->path);
    assert_true(fd >= 0);
    const char v2[] = "\x00\x00\x00\x15\x83\xa1t\xa5hello\xa1v\x02\xa6" "client\xa1x";
    assert_int_equal(write(fd, v2, sizeof v2 - 1), (ssize_t)(sizeof v2 - 1));
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    assert_true(n > 4);
    assert_non_null(memmem(buf, (size_t)n, "VERSION", 7));
    close(fd);
    /* a request before hello: HANDSHAKE */
    fd = raw_connect(a->path);
    const char hb[] = "\x00\x00\x00\x0a\x82\xa1t\xa2hb\xa2ts\x01";
    assert_int_equal(write(fd, hb, sizeof hb - 1), (ssize_t)(sizeof hb - 1));
    n = read(fd, buf, sizeof buf);
    assert_true(n > 4);
    assert_non_null(memmem(buf, (size_t)n, "HANDSHAKE", 9));
    close(fd);
    assert_alive(good);
    ipc_client_close(good);
    stop(a);
}

static void other_uid(ipc_server_config_t *cfg, app_t *a) {
    (void)a;
    cfg->peer_uid = geteuid() + 1; /* everyone we can connect as is the "wrong" user */
}

/* SO_PEERCRED: a peer whose uid is not the allowed one is closed at accept,
 * before any frame. The file mode (0600) alone would stop other users
 * earlier (at connect), which the forked setuid child below shows; the
 * allowed-uid setting lets us prove the SO_PEERCRED check itself. */
static void test_peer_uid_refused(void **state) {
    (void)state;
    app_t *a = start_with(other_uid);
    int fd = raw_connect(a->path);
    assert_true(fd >= 0);
    assert_true(closed_silently(fd));
    close(fd);
    char err[256];
    assert_null(ipc_client_open(a->path, "gateway", T_MS, err, sizeof err));
    assert_true(log_has(a, "refused a connection from uid"));
    assert_int_equal(atomic_load(&a->connects), 0);
    stop(a);

    if (geteuid() != 0) return; /* the setuid half needs root (CI runs as root) */
    a = start_with(NULL);
    assert_int_equal(chmod(a->dir, 0755), 0); /* the dir is open: only the socket's mode stops it */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
        int cfd = raw_connect(a->path);
        _exit(cfd == -EACCES ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    stop(a);
}

static void test_stale_socket_and_second_server(void **state) {
    (void)state;
    char dir[] = "/tmp/ipc_stale_XXXXXX", path[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    /* a socket file nobody listens on (a crashed trader) */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);

    uv_loop_t loop;
    uv_loop_init(&loop);
    ipc_server_config_t cfg;
    ipc_server_config_defaults(&cfg, path);
    ipc_server_t *s1, *s2;
    char err[256];
    const ipc_server_callbacks_t quiet = {.on_message = app_message};
    assert_int_equal(ipc_server_start(&s1, &loop, &cfg, &quiet, NULL, err, sizeof err), 0);
    /* a second server must not steal a live socket */
    assert_int_equal(ipc_server_start(&s2, &loop, &cfg, &quiet, NULL, err, sizeof err),
                     UV_EADDRINUSE);
    assert_non_null(strstr(err, "another server"));
    ipc_server_stop(s1);
    uv_run(&loop, UV_RUN_DEFAULT);

    /* a regular file at the path is never deleted */
    FILE *f = fopen(path, "w");
    fputs("keep", f);
    fclose(f);
    assert_int_equal(ipc_server_start(&s2, &loop, &cfg, &quiet, NULL, err, sizeof err),
                     UV_EEXIST);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    unlink(path);
    rmdir(dir);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void fast_hb(ipc_server_config_t *cfg, app_t *a) {
    (void)a;
    cfg->hb_interval_ms = 100;
    cfg->hb_timeout_ms = 1000;
}

static void test_heartbeats_and_timeout(void **state) {
    (void)state;
    app_t *a = start_with(fast_hb);
    ipc_client_t *cl = open_client(a, "gateway");
    ipc_msg_t m;
    assert_int_equal(ipc_client_recv(cl, &m, T_MS), IPC_OK);
    assert_int_equal(m.type, IPC_T_HB);
    assert_true(m.u.hb.ts > 1700000000LL * 1000000000LL);
    /* a client that keeps sending hb stays connected past the timeout */
    for (int i = 0; i < 15; i++) { /* 1.5 s > timeout, kept alive by our hb */
        usleep(100 * 1000);
        assert_int_equal(ipc_client_hb(cl), IPC_OK);
    }
    assert_alive(cl);
    /* then goes silent: TIMEOUT error and close */
    assert_error_then_closed(cl, IPC_E_TIMEOUT);
    ipc_client_close(cl);
    stop(a);
}

static void small_out(ipc_server_config_t *cfg, app_t *a) {
    (void)a;
    cfg->max_out_bytes = 256 * 1024;
}

static void test_slow_reader_disconnected(void **state) {
    (void)state;
    app_t *a = start_with(small_out);
    ipc_client_t *good = open_client(a, "gateway");
    ipc_client_t *slow = open_client(a, "slow");
    /* 200 requests for 60 KB replies = 12 MB the slow client never reads */
    for (int i = 0; i < 200; i++) {
        ipc_msg_t q = {.type = IPC_T_QUERY,
                       .u.query = {.id = ipc_client_next_id(slow), .what = IPC_Q_ORDERS}};
        int rc = ipc_client_send(slow, &q);
        if (rc != IPC_OK) break; /* already disconnected */
    }
    /* the loop is not stalled: the other client is served */
    assert_alive(good);
    for (int i = 0; i < 300 && !log_has(a, "slow reader"); i++) usleep(10 * 1000);
    assert_true(log_has(a, "slow reader"));
    assert_alive(good);
    /* the slow connection ends after what the kernel had buffered */
    ipc_msg_t m;
    int rc;
    while ((rc = ipc_client_recv(slow, &m, T_MS)) == IPC_OK) {}
    assert_int_equal(rc, IPC_CLIENT_CLOSED);
    ipc_client_close(slow);
    ipc_client_close(good);
    stop(a);
}

static void test_broadcast_to_subscribers(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *sub = open_client(a, "gateway");
    ipc_client_t *other = open_client(a, "recorder");
    ipc_client_t *ctl = open_client(a, "ctl");
    ipc_msg_t req = {.type = IPC_T_SUBSCRIBE,
                     .u.subscribe = {.id = ipc_client_next_id(sub),
                                     .topics = IPC_TOPIC_STATE | IPC_TOPIC_REFPRICE}};
    ipc_msg_t rep;
    assert_int_equal(ipc_client_call(sub, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_OK);
    req = (ipc_msg_t){.type = IPC_T_SUBSCRIBE,
                      .u.subscribe = {.id = ipc_client_next_id(other), .topics = IPC_TOPIC_EVENTS}};
    assert_int_equal(ipc_client_call(other, &req, &rep, T_MS), IPC_OK);

    req = (ipc_msg_t){.type = IPC_T_KILL,
                      .u.kill = {.id = ipc_client_next_id(ctl), .reason = ipc_cstr("operator")}};
    assert_int_equal(ipc_client_call(ctl, &req, &rep, T_MS), IPC_OK);
    assert_int_equal(rep.type, IPC_T_OK);
    do assert_int_equal(ipc_client_recv(sub, &rep, T_MS), IPC_OK); while (rep.type == IPC_T_HB);
    assert_int_equal(rep.type, IPC_T_STATE);
    assert_int_equal(rep.u.state.state, IPC_STATE_HALTED);
    assert_true(ipc_str_eq(rep.u.state.reason, "operator"));
    /* not subscribed to state: the next frame "other" sees is its own reply */
    assert_alive(other);
    ipc_client_close(sub);
    ipc_client_close(other);
    ipc_client_close(ctl);
    stop(a);
}

static void deferred(ipc_server_config_t *cfg, app_t *a) {
    (void)a;
    cfg->defer_writes = true;
    cfg->hb_interval_ms = 60000; /* keep hb frames out of this test */
    cfg->hb_timeout_ms = 120000;
}

/* Group commit: nothing reaches the client before the app flushes. */
static void test_deferred_writes_wait_for_flush(void **state) {
    (void)state;
    app_t *a = start_with(deferred);
    ipc_client_t *cl = NULL;
    /* even hello_ok waits for the flush: open in a helper thread? simpler:
     * flush on a timer from here until the handshake is through */
    int fd = raw_connect(a->path);
    const char hello[] = "\x00\x00\x00\x15\x83\xa1t\xa5hello\xa1v\x01\xa6" "client\xa1x";
    assert_int_equal(write(fd, hello, sizeof hello - 1), (ssize_t)(sizeof hello - 1));
    struct timeval tv = {.tv_usec = 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    assert_int_equal(read(fd, buf, sizeof buf), -1); /* nothing yet: not flushed */
    send_cmd(a, CMD_FLUSH);
    tv.tv_sec = 3;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = read(fd, buf, sizeof buf);
    assert_true(n > 4);
    assert_non_null(memmem(buf, (size_t)n, "hello_ok", 8));
    close(fd);
    (void)cl;
    stop(a);
}

/* The real Python client (python/trader/ipc.py) against this server, when the
 * project's venv is there (TRADER_PYTHON overrides the interpreter). */
static void test_python_client_interop(void **state) {
    (void)state;
    const char *src = getenv("TRADER_SOURCE_DIR") ? getenv("TRADER_SOURCE_DIR") : TRADER_SOURCE_DIR;
    char py[4096], script[4096];
    if (getenv("TRADER_PYTHON"))
        snprintf(py, sizeof py, "%s", getenv("TRADER_PYTHON"));
    else
        snprintf(py, sizeof py, "%s/.venv/bin/python", src);
    snprintf(script, sizeof script, "%s/tests/python/ipc/interop_client.py", src);
    if (access(py, X_OK) != 0) {
        print_message("no python at %s: skipping the interop test\n", py);
        skip();
    }
    app_t *a = start_with(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(py, py, script, a->path, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    stop(a);
}

static void test_stop_tells_clients(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *cl = open_client(a, "gateway");
    assert_alive(cl);
    send_cmd(a, CMD_STOP);
    assert_error_then_closed(cl, IPC_E_SHUTDOWN);
    assert_int_equal(atomic_load(&a->closes), 1);
    ipc_client_close(cl);
    finish(a);
}

static size_t unhex(const char *hex, char *out, size_t cap) {
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (char)v;
    }
    return n;
}

/* Every client->server vector through the real server: valid ones are
 * accepted on one long-lived connection, each invalid one gets its error code
 * on its own connection, which is then closed. */
static void test_vectors_through_the_server(void **state) {
    (void)state;
    app_t *a = start_with(NULL);
    ipc_client_t *good = open_client(a, "gateway");
    char dir[4096];
    const char *src = getenv("TRADER_SOURCE_DIR");
    snprintf(dir, sizeof dir, "%s/proto/vectors", src ? src : TRADER_SOURCE_DIR);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int valid = 0, invalid = 0;
    static char frame[IPC_FRAME_HDR + IPC_MAX_FRAME + 64];
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".json") == NULL) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *arr = json_load_file(path, 0, NULL);
        assert_non_null(arr);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
            const char *name = json_string_value(json_object_get(v, "name"));
            if (strcmp(json_string_value(json_object_get(v, "dir")), "to_server") != 0) continue;
            if (strncmp(name, "hello", 5) == 0) continue; /* the handshake has its own tests */
            size_t n = unhex(json_string_value(json_object_get(v, "hex")), frame, sizeof frame);
            const json_t *want = json_object_get(v, "error");
            if (want == NULL) {
                assert_int_equal(ipc_client_send_raw(good, frame, n), IPC_OK);
                valid++;
                continue;
            }
            ipc_client_t *bad = open_client(a, "victim");
            assert_int_equal(ipc_client_send_raw(bad, frame, n), IPC_OK);
            ipc_msg_t m;
            int rc;
            do rc = ipc_client_recv(bad, &m, T_MS); while (rc == IPC_OK && m.type == IPC_T_HB);
            if (rc != IPC_OK || m.type != IPC_T_ERROR ||
                !ipc_str_eq(m.u.error.name, json_string_value(want)))
                fail_msg("%s: expected error %s from the server", name, json_string_value(want));
            assert_int_equal(ipc_client_recv(bad, &m, T_MS), IPC_CLIENT_CLOSED);
            ipc_client_close(bad);
            invalid++;
        }
        json_decref(arr);
    }
    closedir(d);
    assert_true(valid >= 25);
    assert_true(invalid >= 50);
    /* the valid ones did not upset the connection they shared */
    assert_alive(good);
    ipc_client_close(good);
    stop(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_requests),
        cmocka_unit_test(test_socket_mode_is_0600),
        cmocka_unit_test(test_pipelined_and_partial_frames),
        cmocka_unit_test(test_bad_frames_close_only_that_connection),
        cmocka_unit_test(test_handshake_errors),
        cmocka_unit_test(test_peer_uid_refused),
        cmocka_unit_test(test_stale_socket_and_second_server),
        cmocka_unit_test(test_heartbeats_and_timeout),
        cmocka_unit_test(test_slow_reader_disconnected),
        cmocka_unit_test(test_broadcast_to_subscribers),
        cmocka_unit_test(test_deferred_writes_wait_for_flush),
        cmocka_unit_test(test_vectors_through_the_server),
        cmocka_unit_test(test_stop_tells_clients),
        cmocka_unit_test(test_python_client_interop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
