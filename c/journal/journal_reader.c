/* Read-only follower of a journal that a writer may still be appending to.
 *
 * The writer's records reach the file as a growing prefix of each pwrite(),
 * so at the tail a reader can see a header without its payload, or half a
 * header. That is "not yet", never corruption: the reader answers 0, forgets
 * the bytes it held from that point on and reads them again next time. Only a
 * bad record with a valid record after it (which no in-progress append can
 * produce) is reported as corruption. Seeking to from_seq scans from the
 * start; an index can come with rotation, when files may grow large. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal/journal_internal.h"

#define READER_CHUNK_BYTES (256u * 1024u)

struct journal_reader {
    int fd;
    char *path;
    journal_window w;
    uint64_t from_seq;
    uint64_t off;      /* offset of the next record to read */
    uint64_t prev_seq; /* seq of the last record consumed (returned or skipped) */
    int started;       /* a record has been consumed */
    uint64_t returned; /* seq of the last record returned */
};

int journal_reader_open(journal_reader **out, const char *path, uint64_t from_seq, char *err,
                        size_t errlen) {
    *out = NULL;
    if (!path || !*path) return journal_errf(err, errlen, JOURNAL_ERR_ARG, "empty journal path");
    journal_reader *r = calloc(1, sizeof *r);
    if (!r) return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    r->fd = -1;
    r->path = strdup(path);
    if (!r->path || journal_window_init(&r->w, -1, READER_CHUNK_BYTES) != 0) {
        journal_reader_close(r);
        return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        int rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "open journal %s: %s", path,
                              strerror(errno));
        journal_reader_close(r);
        return rc;
    }
    r->w.fd = r->fd;
    r->from_seq = from_seq > 1 ? from_seq : 0;
    r->returned = r->from_seq ? r->from_seq - 1 : 0;
    *out = r;
    return JOURNAL_OK;
}

void journal_reader_close(journal_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    journal_window_free(&r->w);
    free(r->path);
    free(r);
}

uint64_t journal_reader_position(const journal_reader *r) { return r->returned; }

/* Checks that rec may follow what was consumed before it. */
static int check_order(journal_reader *r, const journal_record_view *rec, char *err,
                       size_t errlen) {
    if (!r->started) {
        if (r->from_seq && rec->seq > r->from_seq)
            return journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                                "journal %s starts at seq %llu, after the requested seq %llu",
                                r->path, (unsigned long long)rec->seq,
                                (unsigned long long)r->from_seq);
        return JOURNAL_OK;
    }
    if (rec->seq != r->prev_seq + 1)
        return journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                            "journal %s: record at offset %llu has seq %llu, expected %llu",
                            r->path, (unsigned long long)rec->offset,
                            (unsigned long long)rec->seq, (unsigned long long)(r->prev_seq + 1));
    return JOURNAL_OK;
}

int journal_reader_next(journal_reader *r, journal_record *out, char *err, size_t errlen) {
    /* fresh: the window was emptied since the last record, so what the probe
     * sees comes straight from the file. A "not yet" or "corrupt" verdict is
     * only given on fresh bytes: read-ahead may hold a tail that a crashed
     * writer left and a recovering writer has since cut and rewritten. */
    int fresh = r->w.len == 0;
    for (;;) {
        journal_record_view rec;
        char why[160];
        journal_probe_result pr = journal_probe(&r->w, r->off, &rec, why, sizeof why);
        if (pr == JOURNAL_PROBE_IOERR)
            return journal_errf(err, errlen, JOURNAL_ERR_IO, "read journal %s at offset %llu: %s",
                                r->path, (unsigned long long)r->off, strerror(errno));
        if (pr == JOURNAL_PROBE_SHORT || pr == JOURNAL_PROBE_BAD) {
            journal_record_view later;
            int found = 0;
            if (pr == JOURNAL_PROBE_BAD) found = journal_find_valid_after(&r->w, r->off, &later);
            journal_window_reset(&r->w);
            if (found < 0)
                return journal_errf(err, errlen, JOURNAL_ERR_IO, "read journal %s: %s", r->path,
                                    strerror(errno));
            if (!fresh) {
                fresh = 1;
                continue;
            }
            if (!found) return 0; /* the writer is mid-append (or died there) */
            return journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                                "journal %s: corrupt record at offset %llu after seq %llu (%s), "
                                "followed by a valid record (seq %llu) at offset %llu",
                                r->path, (unsigned long long)r->off,
                                (unsigned long long)r->prev_seq, why,
                                (unsigned long long)later.seq, (unsigned long long)later.offset);
        }
        int rc = check_order(r, &rec, err, errlen);
        if (rc != JOURNAL_OK) return rc;
        r->started = 1;
        r->prev_seq = rec.seq;
        r->off += rec.size;
        fresh = 0;
        if (rec.seq < r->from_seq) continue; /* seeking */
        r->returned = rec.seq;
        out->seq = rec.seq;
        out->type = rec.type;
        out->len = rec.len;
        out->payload = rec.payload;
        out->offset = rec.offset;
        return 1;
    }
}
