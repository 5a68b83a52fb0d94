/* ipc_codec.h - typed decoding and deterministic encoding of messages.
 *
 *   ipc_unpacker_t u; ipc_unpacker_init(&u);
 *   msgpack_object obj; ipc_msg_t msg; ipc_err_t err;
 *   if (ipc_unpack(&u, body, len, &obj, &err) == IPC_OK &&
 *       ipc_decode(&obj, IPC_DIR_TO_SERVER, &msg, &err) == IPC_OK) { ...use msg... }
 *
 * Every failure returns an ipc_code_t and fills err with the code, the
 * offending key (err.field) and a sentence naming it. */
#ifndef TRADER_IPC_CODEC_H
#define TRADER_IPC_CODEC_H

#include "ipc/ipc_frame.h"
#include "ipc/ipc_msg.h"

#include <msgpack.h>

/* Decode a map into msg. dir says which side is decoding: a server accepts
 * only client messages (and hb), a client only server messages. */
int ipc_decode(const msgpack_object *obj, ipc_dir_t dir, ipc_msg_t *msg, ipc_err_t *err);

/* If obj is a map with an unsigned "id", store it (for error replies). */
bool ipc_peek_id(const msgpack_object *obj, uint64_t *id);

/* Pack msg as one map: "t" first, then present fields in schema order. The
 * message is validated like ipc_decode would; returns IPC_OK or a code. */
int ipc_pack_msg(msgpack_packer *pk, const ipc_msg_t *msg, ipc_err_t *err);

/* Append one whole frame (length prefix + map) to buf. On failure nothing is
 * appended; returns IPC_OK, a validation code, or IPC_E_FRAME_SIZE when the
 * frame is over IPC_MAX_FRAME or does not fit the buffer. */
int ipc_encode_frame(ipc_buf_t *buf, const ipc_msg_t *msg, ipc_err_t *err);

/* Pack a string / the "t" key-value pair; for callers building a map by hand
 * (query_ok data, event data). */
int ipc_pack_cstr(msgpack_packer *pk, const char *s);
int ipc_pack_slice(msgpack_packer *pk, ipc_str_t s);

#endif
