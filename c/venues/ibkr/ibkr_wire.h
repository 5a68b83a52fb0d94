/* ibkr_wire.h - the TWS socket wire at server version 176: framing, field
 * splitting and the number spellings TWS uses (research/ibkr.md section 1).
 *
 * A message is a 4-byte big-endian length and a payload of NUL-terminated
 * ASCII fields (the last one terminated too).  Decoded fields point into the
 * payload itself (each NUL ends one field), so nothing is copied. */
#ifndef TRADER_VENUES_IBKR_WIRE_H
#define TRADER_VENUES_IBKR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/money.h"

#define IBKR_SERVER_VERSION 176      /* the one version this connector speaks */
#define IBKR_MAX_PAYLOAD 0xFFFFFFu   /* IBAPI MAX_MSG_LEN; longer = error 507 */
#define IBKR_MSG_CAP 4096            /* largest request we ever encode */
#define IBKR_UNSET_INT 2147483647LL  /* Java Integer.MAX_VALUE = "no value" */

/* One outgoing message being built: a length prefix and fields. */
struct ibkr_buf {
    char data[IBKR_MSG_CAP];
    size_t len;
    size_t frame_at;   /* offset of the open frame's length prefix */
    bool bad;          /* overflow or a field TWS would refuse */
};

void ibkr_buf_reset(struct ibkr_buf *b);
/* Raw bytes (the "API\0" handshake prefix has no length). */
void ibkr_put_raw(struct ibkr_buf *b, const void *p, size_t n);
void ibkr_frame_begin(struct ibkr_buf *b);
/* Closes the open frame; returns 0, or -1 if anything went wrong since reset. */
int ibkr_frame_end(struct ibkr_buf *b);
/* A NUL-terminated field; printable ASCII only (TWS refuses anything else). */
void ibkr_put_str(struct ibkr_buf *b, const char *s);
void ibkr_put_int(struct ibkr_buf *b, int64_t v);
/* A fixed point amount as a plain decimal ("150.25", "1000"). */
void ibkr_put_dec(struct ibkr_buf *b, int64_t mantissa, unsigned scale);
/* Text without the field terminator (the handshake's version range). */
void ibkr_put_text(struct ibkr_buf *b, const char *s);

/* Finds one complete frame at the start of buf.  Returns the bytes it
 * occupies (4 + payload) and sets *payload / *plen; 0 when more bytes are
 * needed; -1 when the length is impossible (> IBKR_MAX_PAYLOAD). */
long ibkr_frame_next(const char *buf, size_t len, const char **payload, size_t *plen);

/* Splits a payload into fields (pointers into it).  Returns the number of
 * fields, or -1 if the payload does not end with NUL or has more than cap. */
int ibkr_split(const char *payload, size_t len, const char **fields, int cap);

/* Integer field: "" is 0 (as IBAPI decodeInt reads it); -1 on anything
 * that is not an optionally signed run of digits fitting int64. */
int ibkr_parse_int(const char *s, int64_t *out);

enum ibkr_dec_status {
    IBKR_DEC_OK = 0,        /* exact at the requested scale */
    IBKR_DEC_UNSET = 1,     /* "", Double.MAX_VALUE in either spelling */
    IBKR_DEC_ROUNDED = 2,   /* not exact at the scale: rounded as asked */
    IBKR_DEC_INFINITE = 3,  /* "Infinite" / "Infinity" */
    IBKR_DEC_ERR = -1       /* not a number, or out of range */
};

/* True for the spellings of "no value" a double field may carry. */
bool ibkr_dec_is_unset(const char *s);

/* A decimal field as TWS spells it ("150.25", "1000", "5.0E-5", "1.0E7",
 * unset spellings) to a fixed point mantissa at `scale`. */
int ibkr_parse_dec(const char *s, unsigned scale, enum money_rounding r, int64_t *out);

/* Checks the syntax only (the decoder validates every decimal field). */
bool ibkr_dec_valid(const char *s);

#endif
