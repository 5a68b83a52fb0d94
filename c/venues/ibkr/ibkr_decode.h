/* ibkr_decode.h - table-driven decoder of TWS messages at server 176. */
#ifndef TRADER_VENUES_IBKR_DECODE_H
#define TRADER_VENUES_IBKR_DECODE_H

#include <stddef.h>

#include "venues/ibkr/ibkr_msg.h"

#define IBKR_MAX_FIELDS 256

enum ibkr_decode_status {
    IBKR_DECODED = 0,
    IBKR_UNKNOWN_MSG = 1,   /* a message id we do not read: skip it */
    IBKR_DECODE_ERR = -1    /* misaligned, bad number, unsupported variant */
};

/* Called for every field the table consumes, with the field's IBAPI name
 * and raw text; tests use it to check every field of a message. */
typedef void (*ibkr_trace_fn)(void *ctx, const char *name, const char *raw);

/* Decodes one payload (without the length prefix).  Fields in *out point
 * into payload.  err names the message and field on IBKR_DECODE_ERR. */
int ibkr_decode(const char *payload, size_t len, struct ibkr_msg *out, ibkr_trace_fn trace,
                void *trace_ctx, char *err, size_t errlen);

/* Name of a message id ("openOrder", ...) or NULL when not decoded. */
const char *ibkr_msg_name(int id);

#endif
