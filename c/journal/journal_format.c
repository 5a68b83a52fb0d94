/* The 28-byte record header: explicit little-endian encoding (no struct
 * overlay, so alignment, padding and host byte order never leak into the
 * file). Layout in journal.h. */
#include <stdio.h>

#include "journal/journal_crc32c.h"
#include "journal/journal_internal.h"

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

void journal_header_encode(uint8_t out[JOURNAL_HEADER_SIZE], uint64_t seq, uint16_t type,
                           const uint8_t *payload, uint32_t len) {
    out[0] = JOURNAL_MAGIC0;
    out[1] = JOURNAL_MAGIC1;
    out[2] = JOURNAL_MAGIC2;
    out[3] = JOURNAL_MAGIC3;
    put_u32(out + 4, len);
    put_u64(out + 8, seq);
    put_u16(out + 16, type);
    put_u16(out + 18, 0); /* flags: reserved */
    uint32_t crc = journal_crc32c(0, out, 20);
    if (len) crc = journal_crc32c(crc, payload, len);
    put_u32(out + 20, crc);
    put_u32(out + 24, journal_crc32c(0, out, 24));
}

int journal_header_decode(const uint8_t in[JOURNAL_HEADER_SIZE], journal_header *h, char *why,
                          size_t whylen) {
    if (in[0] != JOURNAL_MAGIC0 || in[1] != JOURNAL_MAGIC1 || in[2] != JOURNAL_MAGIC2 ||
        in[3] != JOURNAL_MAGIC3)
        return journal_errf(why, whylen, -1, "bad magic %02x%02x%02x%02x", in[0], in[1], in[2],
                            in[3]);
    h->header_crc = get_u32(in + 24);
    uint32_t want = journal_crc32c(0, in, 24);
    if (h->header_crc != want)
        return journal_errf(why, whylen, -1,
                            "header checksum mismatch (stored %08x, computed %08x)",
                            h->header_crc, want);
    h->payload_len = get_u32(in + 4);
    h->seq = get_u64(in + 8);
    h->type = get_u16(in + 16);
    h->flags = get_u16(in + 18);
    h->crc = get_u32(in + 20);
    if (h->flags != 0)
        return journal_errf(why, whylen, -1, "unknown header flags %04x (newer format?)", h->flags);
    if (h->payload_len > JOURNAL_MAX_PAYLOAD)
        return journal_errf(why, whylen, -1, "payload length %u over the %u limit", h->payload_len,
                            JOURNAL_MAX_PAYLOAD);
    if (h->seq == 0) return journal_errf(why, whylen, -1, "seq 0 (seqs start at 1)");
    return 0;
}

int journal_payload_crc_ok(const uint8_t header[JOURNAL_HEADER_SIZE], const journal_header *h,
                           const uint8_t *payload) {
    uint32_t crc = journal_crc32c(0, header, 20);
    if (h->payload_len) crc = journal_crc32c(crc, payload, h->payload_len);
    return crc == h->crc;
}
