/* Record probing: is there a complete, valid record at this offset? And the
 * question that separates a torn tail from lost history: is there any valid
 * record after this bad one? */
#include <errno.h>
#include <string.h>

#include "journal/journal_internal.h"

journal_probe_result journal_probe(journal_window *w, uint64_t off, journal_record_view *rec,
                                   char *why, size_t whylen) {
    const uint8_t *p;
    ssize_t got = journal_window_get(w, off, JOURNAL_HEADER_SIZE, &p);
    if (got < 0) return JOURNAL_PROBE_IOERR;
    if ((size_t)got < JOURNAL_HEADER_SIZE) {
        journal_errf(why, whylen, 0, "header incomplete (%zd of %u bytes before end of file)", got,
                     JOURNAL_HEADER_SIZE);
        return JOURNAL_PROBE_SHORT;
    }
    journal_header h;
    if (journal_header_decode(p, &h, why, whylen) != 0) return JOURNAL_PROBE_BAD;

    size_t total = JOURNAL_HEADER_SIZE + (size_t)h.payload_len;
    got = journal_window_get(w, off, total, &p); /* may move the window: re-point */
    if (got < 0) return JOURNAL_PROBE_IOERR;
    if ((size_t)got < total) {
        journal_errf(why, whylen, 0,
                     "record seq %llu incomplete (%zd of %zu bytes before end of file)",
                     (unsigned long long)h.seq, got, total);
        return JOURNAL_PROBE_SHORT;
    }
    if (!journal_payload_crc_ok(p, &h, p + JOURNAL_HEADER_SIZE)) {
        journal_errf(why, whylen, 0, "record seq %llu: checksum mismatch over %u payload bytes",
                     (unsigned long long)h.seq, h.payload_len);
        return JOURNAL_PROBE_BAD;
    }
    rec->offset = off;
    rec->seq = h.seq;
    rec->type = h.type;
    rec->len = h.payload_len;
    rec->payload = p + JOURNAL_HEADER_SIZE;
    rec->size = total;
    return JOURNAL_PROBE_OK;
}

static const uint8_t magic[4] = {JOURNAL_MAGIC0, JOURNAL_MAGIC1, JOURNAL_MAGIC2, JOURNAL_MAGIC3};

int journal_find_valid_after(journal_window *w, uint64_t after, journal_record_view *rec) {
    enum { SPAN = 64 * 1024 };
    uint64_t pos = after + 1;
    for (;;) {
        const uint8_t *p;
        ssize_t got = journal_window_get(w, pos, SPAN, &p);
        if (got < 0) return -1;
        if ((size_t)got < JOURNAL_HEADER_SIZE) return 0; /* no room for a record */
        /* Candidates are the offsets in [pos, pos+last] whose magic matches;
         * a later chunk starts at pos+last+1, so none is checked twice. */
        size_t last = (size_t)got - JOURNAL_HEADER_SIZE;
        uint64_t candidates[64];
        size_t ncand = 0, i = 0;
        size_t resume = last + 1;
        while (i <= last) {
            const uint8_t *hit = memchr(p + i, magic[0], last + 1 - i);
            if (!hit) break;
            i = (size_t)(hit - p);
            if (memcmp(hit, magic, sizeof magic) == 0) {
                candidates[ncand++] = pos + i;
                if (ncand == sizeof candidates / sizeof candidates[0]) {
                    resume = i + 1;
                    break;
                }
            }
            i++;
        }
        /* Probing moves the window, so collect first, probe after. */
        for (size_t c = 0; c < ncand; c++) {
            char why[8];
            journal_probe_result pr = journal_probe(w, candidates[c], rec, why, sizeof why);
            if (pr == JOURNAL_PROBE_IOERR) return -1;
            if (pr == JOURNAL_PROBE_OK) return 1;
        }
        pos += resume;
    }
}
