/* tws_fuzz.c - libFuzzer target for the IBKR TWS message reader
 * (c/venues/ibkr: ibkr_frame_next -> ibkr_decode, and the number readers
 * ibkr_parse_int / ibkr_parse_dec the connector applies to decoded fields).
 *
 * The input is the byte stream TWS would send after the handshake: 4-byte
 * big-endian lengths, each followed by a payload of NUL-terminated fields.
 * Each whole payload is copied into an exact-size buffer (so an over-read
 * is seen by ASan) and decoded; every field the decoder consumes is traced,
 * checked to lie inside the payload, and parsed as an integer and as a
 * decimal at three scales in the three roundings. Properties: the frame
 * reader's slices are inside the input; a decode error always says why.
 * Seeds: the TWS messages of ../shared/fixtures/ibkr (fuzz/seed_corpus.py
 * adds the length prefixes). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "venues/ibkr/ibkr_decode.h"
#include "venues/ibkr/ibkr_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tws_fuzz_ctx {
    const char *payload;
    size_t len;
    int fields;
};

static void tws_fuzz_trace(void *vctx, const char *name, const char *raw)
{
    struct tws_fuzz_ctx *ctx = vctx;
    FUZZ_CHECK(name != NULL && raw != NULL, "trace without name or text");
    FUZZ_CHECK(raw >= ctx->payload && raw < ctx->payload + ctx->len,
               "field %s points outside its payload", name);
    size_t n = strnlen(raw, (size_t)(ctx->payload + ctx->len - raw));
    FUZZ_CHECK(raw + n < ctx->payload + ctx->len, "field %s not terminated in the payload",
               name);
    ctx->fields++;
    int64_t v;
    (void)ibkr_parse_int(raw, &v);
    /* the scales and roundings the connector uses (prices, quantities,
     * commissions at 8) */
    static const unsigned scales[] = {0, 2, 8};
    static const enum money_rounding modes[] = {MONEY_ROUND_FLOOR, MONEY_ROUND_CEIL,
                                                MONEY_ROUND_HALF_EVEN};
    bool valid = ibkr_dec_valid(raw);
    for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
            int rc = ibkr_parse_dec(raw, scales[i], modes[m], &v);
            /* the syntax check and the parser must agree on what is a number */
            if (rc == IBKR_DEC_OK || rc == IBKR_DEC_ROUNDED)
                FUZZ_CHECK(valid, "field %s '%s' parses but is not valid syntax", name, raw);
        }
    }
    (void)ibkr_dec_is_unset(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        const char *payload = NULL;
        size_t plen = 0;
        long used = ibkr_frame_next((const char *)data + off, size - off, &payload, &plen);
        if (used <= 0)
            break;
        FUZZ_CHECK((size_t)used <= size - off && plen + 4 == (size_t)used &&
                       payload == (const char *)data + off + 4,
                   "frame reader returned an impossible slice");
        char *copy = fuzz_dup(payload, plen);
        struct ibkr_msg msg;
        struct tws_fuzz_ctx ctx = {copy, plen, 0};
        char err[256];
        err[0] = '\0';
        int rc = ibkr_decode(copy, plen, &msg, tws_fuzz_trace, &ctx, err, sizeof err);
        FUZZ_CHECK(rc == IBKR_DECODED || rc == IBKR_UNKNOWN_MSG || rc == IBKR_DECODE_ERR,
                   "unexpected decode status %d", rc);
        if (rc == IBKR_DECODE_ERR)
            FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL,
                       "decode error without a reason");
        free(copy);
        off += (size_t)used;
    }
    return 0;
}
