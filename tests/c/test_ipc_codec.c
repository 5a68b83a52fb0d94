/* test_ipc_codec.c - the IPC codec against the shared vectors in
 * proto/vectors (the Python tests run the same files), plus the frame reader
 * on partial and batched input and the encoder's own validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc_codec.h"
#include "ipc/ipc_frame.h"

static char *vector_dir(void) {
    static char dir[4096];
    const char *src = getenv("TRADER_SOURCE_DIR");
    snprintf(dir, sizeof dir, "%s/proto/vectors", src ? src : TRADER_SOURCE_DIR);
    return dir;
}

static size_t unhex(const char *hex, unsigned char *out, size_t cap) {
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

/* Structural equality of a decoded msgpack object and the JSON "value". */
static bool same_value(const msgpack_object *o, const json_t *j) {
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return json_is_null(j);
    case MSGPACK_OBJECT_BOOLEAN: return json_is_boolean(j) && json_is_true(j) == o->via.boolean;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_is_integer(j) && json_integer_value(j) >= 0 &&
               (uint64_t)json_integer_value(j) == o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_is_integer(j) && json_integer_value(j) == o->via.i64;
    case MSGPACK_OBJECT_STR:
        return json_is_string(j) && json_string_length(j) == o->via.str.size &&
               memcmp(json_string_value(j), o->via.str.ptr, o->via.str.size) == 0;
    case MSGPACK_OBJECT_ARRAY:
        if (!json_is_array(j) || json_array_size(j) != o->via.array.size) return false;
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (!same_value(&o->via.array.ptr[i], json_array_get(j, i))) return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        if (!json_is_object(j) || json_object_size(j) != o->via.map.size) return false;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            char key[256];
            if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size >= sizeof key) return false;
            memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
            key[kv->key.via.str.size] = '\0';
            const json_t *jv = json_object_get(j, key);
            if (jv == NULL || !same_value(&kv->val, jv)) return false;
        }
        return true;
    default: return false;
    }
}

typedef struct stats { int valid, invalid, files; } stats_t;

static void run_vector(const json_t *v, ipc_unpacker_t *u, ipc_buf_t *out, stats_t *st) {
    static unsigned char frame[IPC_FRAME_HDR + IPC_MAX_FRAME + 64];
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *dirs = json_string_value(json_object_get(v, "dir"));
    const char *hex = json_string_value(json_object_get(v, "hex"));
    const json_t *expect_err = json_object_get(v, "error");
    const json_t *expect_field = json_object_get(v, "field");
    assert_non_null(name);
    assert_non_null(dirs);
    assert_non_null(hex);
    ipc_dir_t dir = strcmp(dirs, "to_server") == 0 ? IPC_DIR_TO_SERVER : IPC_DIR_TO_CLIENT;
    size_t n = unhex(hex, frame, sizeof frame);

    ipc_err_t err = {0};
    const char *body;
    size_t body_len, used;
    int code = IPC_OK;
    msgpack_object obj;
    ipc_msg_t msg;
    ipc_next_t nx = ipc_frame_next((const char *)frame, n, &body, &body_len, &used, &err);
    if (nx == IPC_NEXT_ERROR) {
        code = err.code;
    } else {
        if (nx != IPC_NEXT_FRAME || used != n) fail_msg("%s: not exactly one frame", name);
        code = ipc_unpack(u, body, body_len, &obj, &err);
        if (code == IPC_OK) code = ipc_decode(&obj, dir, &msg, &err);
    }

    if (expect_err) {
        if (strcmp(ipc_code_name(code), json_string_value(expect_err)) != 0)
            fail_msg("%s: expected %s, got %s (%s)", name, json_string_value(expect_err),
                     ipc_code_name(code), err.text);
        if (expect_field && strcmp(err.field, json_string_value(expect_field)) != 0)
            fail_msg("%s: expected field '%s', got '%s' (%s)", name,
                     json_string_value(expect_field), err.field, err.text);
        st->invalid++;
        return;
    }
    if (code != IPC_OK) fail_msg("%s: decode failed: %s %s", name, ipc_code_name(code), err.text);
    if (!same_value(&obj, json_object_get(v, "value")))
        fail_msg("%s: decoded value differs from the vector's value", name);
    /* the decoded struct alone must re-encode to the very same bytes */
    out->len = 0;
    code = ipc_encode_frame(out, &msg, &err);
    if (code != IPC_OK) fail_msg("%s: encode failed: %s", name, err.text);
    if (out->len != n || memcmp(out->data, frame, n) != 0)
        fail_msg("%s: re-encoded bytes differ from the vector", name);
    st->valid++;
}

static void test_all_vectors(void **state) {
    (void)state;
    static ipc_unpacker_t u;
    ipc_buf_t out;
    assert_int_equal(ipc_unpacker_init(&u), 0);
    assert_int_equal(ipc_buf_init(&out, IPC_FRAME_HDR + IPC_MAX_FRAME), 0);
    stats_t st = {0};
    DIR *d = opendir(vector_dir());
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", vector_dir(), e->d_name);
        json_error_t jerr;
        json_t *arr = json_load_file(path, 0, &jerr);
        if (arr == NULL) fail_msg("%s: %s", path, jerr.text);
        assert_true(json_is_array(arr));
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) run_vector(v, &u, &out, &st);
        json_decref(arr);
        st.files++;
    }
    closedir(d);
    /* guard against an empty or unreadable vector directory passing silently */
    assert_true(st.files >= 6);
    assert_true(st.valid >= 45);
    assert_true(st.invalid >= 70);
    ipc_buf_free(&out);
    ipc_unpacker_destroy(&u);
}

/* Build a stream of three frames: hb, check, kill. */
static size_t three_frames(ipc_buf_t *b) {
    ipc_err_t err;
    ipc_msg_t m = {.type = IPC_T_HB, .u.hb.ts = 123};
    assert_int_equal(ipc_encode_frame(b, &m, &err), IPC_OK);
    memset(&m, 0, sizeof m);
    m.type = IPC_T_CHECK;
    m.u.check = (ipc_check_t){.id = 99, .venue = IPC_VENUE_BINANCE, .sym = ipc_cstr("BTCUSDT"),
                              .side = IPC_SIDE_BUY, .px = ipc_cstr("64000.10"),
                              .qty = ipc_cstr("0.001"), .ord = IPC_ORD_LIMIT,
                              .tif = IPC_TIF_GTC, .post_only = true, .cid = ipc_cstr("c1")};
    assert_int_equal(ipc_encode_frame(b, &m, &err), IPC_OK);
    memset(&m, 0, sizeof m);
    m.type = IPC_T_KILL;
    m.u.kill = (ipc_kill_t){.id = 100, .reason = ipc_cstr("test")};
    assert_int_equal(ipc_encode_frame(b, &m, &err), IPC_OK);
    return b->len;
}

/* Feed a stream to the reader in chunks of `step` bytes, like socket reads
 * would; return the message types seen in order. */
static int feed(const char *stream, size_t total, size_t step, ipc_type_t *types, int max) {
    static ipc_unpacker_t u;
    assert_int_equal(ipc_unpacker_init(&u), 0);
    char acc[4096];
    size_t have = 0, fed = 0;
    int count = 0;
    while (fed < total) {
        size_t k = total - fed < step ? total - fed : step;
        memcpy(acc + have, stream + fed, k);
        have += k;
        fed += k;
        for (;;) {
            const char *body;
            size_t blen, used;
            ipc_err_t err;
            ipc_next_t nx = ipc_frame_next(acc, have, &body, &blen, &used, &err);
            assert_int_not_equal(nx, IPC_NEXT_ERROR);
            if (nx == IPC_NEXT_MORE) break;
            msgpack_object obj;
            ipc_msg_t m;
            assert_int_equal(ipc_unpack(&u, body, blen, &obj, &err), IPC_OK);
            assert_int_equal(ipc_decode(&obj, IPC_DIR_TO_SERVER, &m, &err), IPC_OK);
            if (m.type == IPC_T_CHECK) {
                /* string slices point into the frame, not into copies */
                assert_true(m.u.check.sym.p > body && m.u.check.sym.p < body + blen);
                assert_true(ipc_str_eq(m.u.check.px, "64000.10"));
            }
            assert_true(count < max);
            types[count++] = m.type;
            memmove(acc, acc + used, have - used);
            have -= used;
        }
    }
    assert_int_equal(have, 0);
    ipc_unpacker_destroy(&u);
    return count;
}

static void test_partial_and_batched_frames(void **state) {
    (void)state;
    ipc_buf_t b;
    assert_int_equal(ipc_buf_init(&b, 4096), 0);
    size_t total = three_frames(&b);
    size_t steps[] = {1, 2, 3, 5, 7, 64, total};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ipc_type_t types[8];
        assert_int_equal(feed(b.data, total, steps[i], types, 8), 3);
        assert_int_equal(types[0], IPC_T_HB);
        assert_int_equal(types[1], IPC_T_CHECK);
        assert_int_equal(types[2], IPC_T_KILL);
    }
    ipc_buf_free(&b);
}

static void test_encoder_refuses_invalid_messages(void **state) {
    (void)state;
    ipc_buf_t b;
    ipc_err_t err;
    assert_int_equal(ipc_buf_init(&b, 4096), 0);
    ipc_msg_t m = {.type = IPC_T_CHECK_OK, .u.check_ok = {.id = 1, .res = 2}};
    assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_OK);
    size_t good = b.len;
    /* money that is not a decimal string never leaves the process */
    m = (ipc_msg_t){.type = IPC_T_REFPRICE,
                    .u.refprice = {.sym = ipc_cstr("BTCUSDT"), .px = ipc_cstr("6.4e4"), .ts = 1}};
    assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_E_BAD_VALUE);
    assert_string_equal(err.field, "px");
    m.u.refprice.px = (ipc_str_t){NULL, 0};
    assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_E_MISSING_FIELD);
    m = (ipc_msg_t){.type = IPC_T_STATE, .u.state = {.scope = 9, .state = IPC_STATE_ACTIVE,
                                                      .reason = ipc_cstr(""), .ts = 1}};
    assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_E_BAD_VALUE);
    /* failed encodes leave the buffer as it was */
    assert_int_equal(b.len, good);
    ipc_buf_free(&b);

    /* a frame that does not fit a small buffer is refused whole */
    assert_int_equal(ipc_buf_init(&b, 16), 0);
    m = (ipc_msg_t){.type = IPC_T_ERROR, .u.error = {.code = 2, .name = ipc_cstr("MALFORMED"),
                                                      .reason = ipc_cstr("a long reason")}};
    assert_int_equal(ipc_encode_frame(&b, &m, &err), IPC_E_FRAME_SIZE);
    assert_int_equal(b.len, 0);
    ipc_buf_free(&b);
}

static void test_frame_size_limits(void **state) {
    (void)state;
    ipc_err_t err;
    const char *body;
    size_t blen, used;
    unsigned char max_hdr[4] = {0x00, 0x01, 0x00, 0x00}; /* exactly 65536: legal, needs bytes */
    assert_int_equal(ipc_frame_next((const char *)max_hdr, 4, &body, &blen, &used, &err),
                     IPC_NEXT_MORE);
    unsigned char over[4] = {0x00, 0x01, 0x00, 0x01};
    assert_int_equal(ipc_frame_next((const char *)over, 4, &body, &blen, &used, &err),
                     IPC_NEXT_ERROR);
    assert_int_equal(err.code, IPC_E_FRAME_SIZE);
    assert_int_equal(ipc_frame_next((const char *)over, 3, &body, &blen, &used, &err),
                     IPC_NEXT_MORE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_vectors),
        cmocka_unit_test(test_partial_and_batched_frames),
        cmocka_unit_test(test_encoder_refuses_invalid_messages),
        cmocka_unit_test(test_frame_size_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
