/* ipc_fuzz.c - libFuzzer target for the IPC frame reader and decoder
 * (c/ipc: ipc_frame_next -> ipc_unpack -> ipc_decode), the code that reads
 * every byte a local client sends to the trader.
 *
 * The input is a byte stream as it would arrive on the socket: zero or more
 * length-prefixed frames. Each whole frame is unpacked and decoded in both
 * directions (the server's and the client's decoder). Beyond "no crash, no
 * sanitizer report", one property is checked: a message that decodes must
 * re-encode, the encoding must decode again, and encoding that yields the
 * very same bytes (the encoder is deterministic and agrees with the
 * decoder). Seeds: the frames of proto/vectors (fuzz/seed_corpus.py). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ipc/ipc_codec.h"
#include "ipc/ipc_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reused across runs, as the server reuses its unpackers and buffers (and
 * because allocating 64 KiB blocks per run made the target 30x slower). */
typedef struct ipc_fuzz_state {
    ipc_unpacker_t u, u2;
    ipc_buf_t a, b;
} ipc_fuzz_state_t;

static ipc_fuzz_state_t *ipc_fuzz_state(void)
{
    static ipc_fuzz_state_t *st;
    if (st == NULL) {
        st = calloc(1, sizeof *st);
        if (st == NULL || ipc_unpacker_init(&st->u) != 0 || ipc_unpacker_init(&st->u2) != 0 ||
            ipc_buf_init(&st->a, IPC_FRAME_HDR + IPC_MAX_FRAME) != 0 ||
            ipc_buf_init(&st->b, IPC_FRAME_HDR + IPC_MAX_FRAME) != 0)
            abort();
    }
    return st;
}

/* Re-encode msg, decode that again in the same direction, re-encode the
 * result: both encodings must succeed and be identical. */
static void ipc_fuzz_roundtrip(ipc_fuzz_state_t *st, const ipc_msg_t *msg, ipc_dir_t dir)
{
    ipc_buf_t *a = &st->a, *b = &st->b;
    a->len = b->len = 0;
    ipc_err_t err;
    int rc = ipc_encode_frame(a, msg, &err);
    FUZZ_CHECK(rc == IPC_OK, "decoded %s does not re-encode: %s", ipc_type_name(msg->type),
               err.text);
    const char *body = NULL;
    size_t blen = 0, used = 0;
    ipc_next_t nx = ipc_frame_next(a->data, a->len, &body, &blen, &used, &err);
    FUZZ_CHECK(nx == IPC_NEXT_FRAME && used == a->len, "re-encoded frame is not one frame");

    msgpack_object obj;
    ipc_msg_t again;
    rc = ipc_unpack(&st->u2, body, blen, &obj, &err);
    FUZZ_CHECK(rc == IPC_OK, "re-encoded %s does not unpack: %s", ipc_type_name(msg->type),
               err.text);
    rc = ipc_decode(&obj, dir, &again, &err);
    FUZZ_CHECK(rc == IPC_OK, "re-encoded %s does not decode: %s", ipc_type_name(msg->type),
               err.text);
    FUZZ_CHECK(again.type == msg->type, "type changed in a round trip");
    rc = ipc_encode_frame(b, &again, &err);
    FUZZ_CHECK(rc == IPC_OK, "second encode failed: %s", err.text);
    FUZZ_CHECK(a->len == b->len && memcmp(a->data, b->data, a->len) == 0,
               "encoding of %s is not stable across a decode", ipc_type_name(msg->type));
}

static void ipc_fuzz_body(ipc_fuzz_state_t *st, const char *body, size_t blen)
{
    ipc_unpacker_t *u = &st->u;
    msgpack_object obj;
    ipc_err_t err;
    if (ipc_unpack(u, body, blen, &obj, &err) != IPC_OK)
        return;
    uint64_t id;
    (void)ipc_peek_id(&obj, &id);
    static const ipc_dir_t dirs[] = {IPC_DIR_TO_SERVER, IPC_DIR_TO_CLIENT};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        ipc_msg_t msg;
        memset(&msg, 0, sizeof msg);
        int rc = ipc_decode(&obj, dirs[i], &msg, &err);
        FUZZ_CHECK(strcmp(ipc_code_name(rc), "UNKNOWN") != 0, "undefined code %d", rc);
        if (rc == IPC_OK)
            ipc_fuzz_roundtrip(st, &msg, dirs[i]);
        else
            FUZZ_CHECK(err.code == rc, "err.code %d != returned code %d", err.code, rc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipc_fuzz_state_t *st = ipc_fuzz_state();
    size_t off = 0;
    while (off < size) {
        const char *body = NULL;
        size_t blen = 0, used = 0;
        ipc_err_t err;
        ipc_next_t nx =
            ipc_frame_next((const char *)data + off, size - off, &body, &blen, &used, &err);
        if (nx != IPC_NEXT_FRAME)
            break;
        FUZZ_CHECK(used > 0 && used <= size - off && blen <= IPC_MAX_FRAME &&
                       body >= (const char *)data + off && body + blen <= (const char *)data + size,
                   "frame reader returned an impossible slice");
        char *copy = fuzz_dup(body, blen);
        ipc_fuzz_body(st, copy, blen);
        free(copy);
        off += used;
    }
    return 0;
}
