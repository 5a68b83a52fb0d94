/* ctl.c - `trader ctl [--socket PATH] [--config FILE] [--timeout-ms N] [--json]
 *          status|positions|limits|orders|kill|unkill [REASON]`
 *
 * Connects to the trader's IPC socket, sends the request and prints the
 * answer: readable tables by default (ctl_table.c), or with --json the
 * query data as-is and kill/unkill as {"ok":true} or the error (scripts and
 * tests use --json). Exit code 0 on success, 1 on a refusal, 2 on usage or
 * transport errors. */
#include "app/ctl.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/config.h"
#include "app/ctl_table.h"
#include "ipc/ipc_client.h"

static json_t *to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return json_null();
    case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_STR: return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(arr, to_json(&o->via.array.ptr[i]));
        return arr;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *obj = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            char key[128];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                continue;
            snprintf(key, sizeof key, "%.*s", (int)kv->key.via.str.size, kv->key.via.str.ptr);
            json_object_set_new(obj, key, to_json(&kv->val));
        }
        return obj;
    }
    default: return json_string("<unsupported>");
    }
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(j);
}

/* The orders query as JSON, or NULL when it fails (the status table then
 * shows only the count of open orders). */
static json_t *query_orders(ipc_client_t *cl, int timeout_ms)
{
    ipc_msg_t req, rep;
    memset(&req, 0, sizeof req);
    req.type = IPC_T_QUERY;
    req.u.query.what = IPC_Q_ORDERS;
    req.u.query.id = ipc_client_next_id(cl);
    if (ipc_client_call(cl, &req, &rep, timeout_ms) != IPC_OK || rep.type != IPC_T_QUERY_OK)
        return NULL;
    return to_json(rep.u.query_ok.data);
}

static int usage(void)
{
    fputs("usage: trader ctl [--socket PATH | --config FILE] [--timeout-ms N] [--json]\n"
          "                  status|positions|limits|orders|kill|unkill [REASON]\n",
          stderr);
    return 2;
}

int ctl_main(int argc, char **argv)
{
    const char *socket_path = NULL, *config_path = NULL, *verb = NULL, *reason = "operator";
    int timeout_ms = 3000;
    bool json_out = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            socket_path = argv[++i];
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
            timeout_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json_out = true;
        else if (verb == NULL && argv[i][0] != '-')
            verb = argv[i];
        else if (verb != NULL && argv[i][0] != '-')
            reason = argv[i];
        else
            return usage();
    }
    if (verb == NULL || timeout_ms <= 0)
        return usage();
    char path[108];
    if (socket_path == NULL && config_path != NULL) {
        /* The socket path from the config, without starting anything. */
        json_error_t jerr;
        json_t *root = json_load_file(config_path, 0, &jerr);
        const char *s = json_string_value(json_object_get(json_object_get(root, "ipc"), "socket"));
        snprintf(path, sizeof path, "%s", s != NULL ? s : "state/trader.sock");
        json_decref(root);
        socket_path = path;
    }
    if (socket_path == NULL)
        socket_path = "state/paper/trader.sock";

    ipc_msg_t req;
    memset(&req, 0, sizeof req);
    if (strcmp(verb, "status") == 0 || strcmp(verb, "positions") == 0 ||
        strcmp(verb, "limits") == 0 || strcmp(verb, "orders") == 0) {
        req.type = IPC_T_QUERY;
        req.u.query.what = strcmp(verb, "status") == 0      ? IPC_Q_STATUS
                           : strcmp(verb, "positions") == 0 ? IPC_Q_POSITIONS
                           : strcmp(verb, "limits") == 0    ? IPC_Q_LIMITS
                                                            : IPC_Q_ORDERS;
    } else if (strcmp(verb, "kill") == 0 || strcmp(verb, "unkill") == 0) {
        req.type = strcmp(verb, "kill") == 0 ? IPC_T_KILL : IPC_T_UNKILL;
        req.u.kill.reason.p = reason;
        req.u.kill.reason.n = (uint32_t)strlen(reason);
    } else {
        return usage();
    }

    char err[256];
    ipc_client_t *cl = ipc_client_open(socket_path, "ctl", timeout_ms, err, sizeof err);
    if (cl == NULL) {
        fprintf(stderr, "trader ctl: cannot reach trader at %s: %s\n", socket_path, err);
        return 2;
    }
    uint64_t id = ipc_client_next_id(cl);
    if (req.type == IPC_T_QUERY)
        req.u.query.id = id;
    else
        req.u.kill.id = id;
    ipc_msg_t rep;
    int rc = ipc_client_call(cl, &req, &rep, timeout_ms);
    int exit_code = 0;
    if (rc != IPC_OK) {
        fprintf(stderr, "trader ctl: %s failed: %s\n", verb, ipc_client_last_error(cl));
        exit_code = 2;
    } else if (rep.type == IPC_T_QUERY_OK) {
        json_t *data = to_json(rep.u.query_ok.data);
        if (json_out) {
            print_json(data);
        } else {
            /* The status table lists the open orders too: a second query on
             * the same connection (the first reply is already copied). */
            json_t *orders = req.u.query.what == IPC_Q_STATUS ? query_orders(cl, timeout_ms) : NULL;
            if (ctl_print_table(stdout, verb, data, orders) != 0)
                exit_code = 2;
            json_decref(orders);
            json_decref(data);
        }
    } else if (rep.type == IPC_T_OK) {
        if (json_out)
            print_json(json_pack("{s:b, s:s}", "ok", 1, "verb", verb));
        else
            printf("%s: ok (%s)\n", verb, reason);
    } else if (rep.type == IPC_T_ERROR) {
        json_t *j = json_pack("{s:b, s:s, s:I}", "ok", 0, "verb", verb, "code",
                              (json_int_t)rep.u.error.code);
        json_object_set_new(j, "reason",
                            json_stringn(rep.u.error.reason.p ? rep.u.error.reason.p : "",
                                         rep.u.error.reason.n));
        if (json_out) {
            print_json(j);
        } else {
            printf("%s: REFUSED (code %lld): %s\n", verb, (long long)rep.u.error.code,
                   json_string_value(json_object_get(j, "reason")));
            json_decref(j);
        }
        exit_code = 1;
    } else {
        fprintf(stderr, "trader ctl: unexpected reply type %d\n", rep.type);
        exit_code = 2;
    }
    ipc_client_close(cl);
    return exit_code;
}
