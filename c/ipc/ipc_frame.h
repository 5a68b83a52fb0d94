/* ipc_frame.h - framing: a 4-byte big-endian length N, then N bytes holding
 * exactly one msgpack map (1 <= N <= IPC_MAX_FRAME).
 *
 * Reading is stateless over a caller-owned byte buffer: call ipc_frame_next()
 * in a loop on what has arrived so far; it finds whole frames (many per read
 * is fine) and tells you how many bytes to drop. Writing goes into an
 * ipc_buf_t of fixed capacity (allocated once, never reallocated, so buffers
 * can be reused frame after frame without malloc). */
#ifndef TRADER_IPC_FRAME_H
#define TRADER_IPC_FRAME_H

#include "ipc/ipc_msg.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#define IPC_FRAME_HDR 4u

/* ---- output buffer ---- */
typedef struct ipc_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed; /* a write did not fit since the last ipc_fw_begin */
} ipc_buf_t;

int ipc_buf_init(ipc_buf_t *b, size_t cap); /* 0, or -1 on allocation failure */
void ipc_buf_free(ipc_buf_t *b);
/* msgpack_packer write callback: appends or, if it does not fit, sets
 * failed and returns -1 (the packer's caller rolls back in ipc_fw_end). */
int ipc_buf_write(void *buf, const char *p, size_t n);
/* Drop the first n bytes. */
void ipc_buf_consume(ipc_buf_t *b, size_t n);

/* ---- frame writer: begin, pack one map with the packer, end ---- */
typedef struct ipc_fw {
    ipc_buf_t *buf;
    size_t start;
    msgpack_packer pk;
} ipc_fw_t;

/* Reserve the length prefix; returns the packer to pack the map with. */
msgpack_packer *ipc_fw_begin(ipc_fw_t *fw, ipc_buf_t *buf);
/* Patch the length. If the body is empty, larger than IPC_MAX_FRAME or did
 * not fit the buffer, the partial frame is removed and -1 returned. */
int ipc_fw_end(ipc_fw_t *fw);
/* Remove the frame started by ipc_fw_begin (error path of the caller). */
void ipc_fw_abort(ipc_fw_t *fw);

/* ---- frame reader ---- */
typedef enum ipc_next {
    IPC_NEXT_ERROR = -1, /* err filled (FRAME_SIZE); the stream is unusable */
    IPC_NEXT_MORE = 0,   /* no whole frame yet */
    IPC_NEXT_FRAME = 1,  /* body and body_len set; drop used bytes afterwards */
} ipc_next_t;

ipc_next_t ipc_frame_next(const char *data, size_t len, const char **body, size_t *body_len,
                          size_t *used, ipc_err_t *err);

/* ---- body decoding ---- */

/* Scratch state for ipc_unpack: reused across frames, no malloc per frame.
 * Holds the map keys seen in one frame for duplicate detection. */
#define IPC_MAX_KEYS_PER_FRAME 4096u
typedef struct ipc_unpacker {
    msgpack_zone zone;
    ipc_str_t keys[IPC_MAX_KEYS_PER_FRAME];
    size_t nkeys;
    bool ready; /* zone initialised; destroy is a no-op otherwise */
} ipc_unpacker_t;

int ipc_unpacker_init(ipc_unpacker_t *u);
void ipc_unpacker_destroy(ipc_unpacker_t *u);

/* Validate the body (exactly one msgpack value; strict UTF-8 strings; no ext
 * types; every map key a string; no duplicate keys; depth <= IPC_MAX_DEPTH;
 * <= IPC_MAX_KEYS_PER_FRAME map entries) and unpack it into *obj. Strings in
 * *obj point into body; containers live in u's zone until the next call.
 * Returns IPC_OK, IPC_E_MALFORMED or IPC_E_DUP_FIELD. */
int ipc_unpack(ipc_unpacker_t *u, const char *body, size_t len, msgpack_object *obj,
               ipc_err_t *err);

#endif
