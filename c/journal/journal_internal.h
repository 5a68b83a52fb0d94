/* Internals shared by the journal writer and reader. Not part of the API:
 * the app includes journal/journal.h only. */
#ifndef TRADER_JOURNAL_INTERNAL_H
#define TRADER_JOURNAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "journal/journal.h"

#define JOURNAL_MAGIC0 'T'
#define JOURNAL_MAGIC1 'J'
#define JOURNAL_MAGIC2 'R'
#define JOURNAL_MAGIC3 '1'

/* ---- journal_util.c ---- */

/* snprintf into err (if any); always returns status so callers can write
 * `return journal_errf(err, errlen, JOURNAL_ERR_IO, ...)`. */
int journal_errf(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- journal_format.c: one header, encoded and checked ---- */

typedef struct {
    uint32_t payload_len;
    uint64_t seq;
    uint16_t type;
    uint16_t flags;
    uint32_t crc;        /* over header [0,20) + payload */
    uint32_t header_crc; /* over header [0,24) */
} journal_header;

/* Writes the 28-byte header for (seq, type, payload) into out, computing
 * both checksums. */
void journal_header_encode(uint8_t out[JOURNAL_HEADER_SIZE], uint64_t seq, uint16_t type,
                           const uint8_t *payload, uint32_t len);

/* Decodes and checks magic, header_crc, flags and payload_len. Returns 0 and
 * fills *h, or -1 with the reason in why. The payload crc is checked
 * separately by journal_payload_crc_ok once the payload is at hand. */
int journal_header_decode(const uint8_t in[JOURNAL_HEADER_SIZE], journal_header *h, char *why,
                          size_t whylen);

int journal_payload_crc_ok(const uint8_t header[JOURNAL_HEADER_SIZE], const journal_header *h,
                           const uint8_t *payload);

/* ---- journal_window.c: a buffered, re-readable view of a file ---- */

/* Holds bytes [base, base+len) of the file. Reads with pread, so it never
 * moves the fd's offset and may share the writer's fd. */
typedef struct {
    int fd;
    uint8_t *data;
    size_t cap;
    size_t chunk; /* minimum read size */
    uint64_t base;
    size_t len;
} journal_window;

int journal_window_init(journal_window *w, int fd, size_t chunk);
void journal_window_free(journal_window *w);
/* Forget every byte held (the file may have changed under them). */
void journal_window_reset(journal_window *w);
/* Makes file bytes [off, off+n) resident as far as the file has them and
 * points *p at off. Returns how many of the n bytes are available (less than
 * n at end of file), or -1 with errno set (ENOMEM or a pread error). */
ssize_t journal_window_get(journal_window *w, uint64_t off, size_t n, const uint8_t **p);

/* ---- journal_scan.c: record probing and corruption search ---- */

typedef enum {
    JOURNAL_PROBE_OK,    /* a complete, valid record */
    JOURNAL_PROBE_SHORT, /* the file ends before the record does */
    JOURNAL_PROBE_BAD,   /* bytes present but not a valid record */
    JOURNAL_PROBE_IOERR, /* errno set */
} journal_probe_result;

typedef struct {
    uint64_t offset;
    uint64_t seq;
    uint16_t type;
    uint32_t len;
    const uint8_t *payload; /* into the window: valid until its next use */
    uint64_t size;          /* header + payload */
} journal_record_view;

journal_probe_result journal_probe(journal_window *w, uint64_t off, journal_record_view *rec,
                                   char *why, size_t whylen);

/* Looks for any valid record starting after offset `after`. Returns 1 and
 * fills *rec if one exists, 0 if none, -1 on an I/O error (errno set). */
int journal_find_valid_after(journal_window *w, uint64_t after, journal_record_view *rec);

#endif
