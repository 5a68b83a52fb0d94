/* The journal writer: open + recover, append into memory, flush with one
 * pwrite, sync, replay. Contract and format in journal.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal/journal_internal.h"

#define DEFAULT_BUFFER_BYTES (64u * 1024u)
#define SCAN_CHUNK_BYTES (1024u * 1024u)
/* After a burst, give back append-buffer memory above this. */
#define BUFFER_KEEP_BYTES (1024u * 1024u)

struct journal {
    int fd;
    char *path;
    uint64_t first_seq;   /* seq of the first record in the file (or the next one, if empty) */
    uint64_t last_seq;    /* last seq assigned, buffered or not; first_seq - 1 if none */
    uint64_t flushed_seq; /* last seq whose bytes pwrite() accepted */
    uint64_t synced_seq;  /* last seq known durable (fdatasync) */
    uint64_t file_end;    /* bytes in the file: recovered + flushed */
    uint8_t *buf;         /* encoded records not yet flushed */
    size_t buf_len;
    size_t buf_cap;
    size_t buf_initial;
    int failed;
    char fail_msg[256];
};

/* ------------------------------------------------------------------------ */
/* Open and recovery                                                        */

/* The directory entry of a new file is durable only once the directory
 * itself is synced; without this a power loss could lose the whole file. */
static int sync_parent_dir(const char *path, char *err, size_t errlen) {
    char *copy = strdup(path);
    if (!copy) return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    const char *dir = dirname(copy);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "open directory %s: %s", dir,
                              strerror(errno));
        free(copy);
        return rc;
    }
    int rc = JOURNAL_OK;
    if (fsync(dfd) != 0)
        rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "fsync directory %s: %s", dir,
                          strerror(errno));
    close(dfd);
    free(copy);
    return rc;
}

static int open_locked(journal *j, const char *path, int *created, char *err, size_t errlen) {
    *created = 0;
    j->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (j->fd >= 0) {
        *created = 1;
    } else if (errno == EEXIST) {
        j->fd = open(path, O_RDWR | O_CLOEXEC);
    }
    if (j->fd < 0)
        return journal_errf(err, errlen, JOURNAL_ERR_IO, "open journal %s: %s", path,
                            strerror(errno));
    /* flock, not fcntl locks: it belongs to the open file description, so it
     * is not dropped when some unrelated code closes another fd on the file. */
    while (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK)
            return journal_errf(err, errlen, JOURNAL_ERR_LOCKED,
                                "journal %s is open for writing by another process", path);
        return journal_errf(err, errlen, JOURNAL_ERR_IO, "lock journal %s: %s", path,
                            strerror(errno));
    }
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return journal_errf(err, errlen, JOURNAL_ERR_IO, "stat journal %s: %s", path,
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return journal_errf(err, errlen, JOURNAL_ERR_ARG, "journal %s is not a regular file",
                            path);
    if (*created) return sync_parent_dir(path, err, errlen);
    return JOURNAL_OK;
}

/* Walks every record from offset 0 and sets the handle's seqs and file_end
 * (just after the last valid record). A bad tail is cut; a bad middle, a seq
 * that does not follow on, or a file that is not a journal is an error. */
static int scan_and_recover(journal *j, const journal_options *opts, journal_open_info *info,
                            char *err, size_t errlen) {
    journal_window w;
    if (journal_window_init(&w, j->fd, SCAN_CHUNK_BYTES) != 0)
        return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");

    uint64_t off = 0, records = 0, first = 0, prev = 0;
    char why[160] = "";
    journal_record_view rec;
    journal_probe_result pr;
    int rc = JOURNAL_OK;
    while ((pr = journal_probe(&w, off, &rec, why, sizeof why)) == JOURNAL_PROBE_OK) {
        if (records == 0) {
            first = rec.seq;
        } else if (rec.seq != prev + 1) {
            rc = journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                              "journal %s: record at offset %llu has seq %llu, expected %llu "
                              "(records are missing or out of order)",
                              j->path, (unsigned long long)off, (unsigned long long)rec.seq,
                              (unsigned long long)(prev + 1));
            goto out;
        }
        prev = rec.seq;
        records++;
        off += rec.size;
    }
    if (pr == JOURNAL_PROBE_IOERR) {
        rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "read journal %s at offset %llu: %s",
                          j->path, (unsigned long long)off, strerror(errno));
        goto out;
    }

    struct stat st;
    if (fstat(j->fd, &st) != 0) {
        rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "stat journal %s: %s", j->path,
                          strerror(errno));
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (off < size) {
        /* Something that is not a valid record sits at off. If any valid
         * record follows, this is not a torn write but lost history. */
        journal_record_view later;
        int found = journal_find_valid_after(&w, off, &later);
        if (found < 0) {
            rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "read journal %s: %s", j->path,
                              strerror(errno));
            goto out;
        }
        if (found) {
            rc = journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                              "journal %s: corrupt record at offset %llu after seq %llu (%s), "
                              "but a valid record (seq %llu) follows at offset %llu; refusing "
                              "to drop history. To discard everything from the bad record on, "
                              "truncate the file to %llu bytes",
                              j->path, (unsigned long long)off, (unsigned long long)prev, why,
                              (unsigned long long)later.seq, (unsigned long long)later.offset,
                              (unsigned long long)off);
            goto out;
        }
        if (off == 0) {
            /* A torn first record still starts with the magic. Anything else
             * is not our file (a wrong path in a config must not be cut). */
            const uint8_t *p;
            ssize_t got = journal_window_get(&w, 0, 4, &p);
            static const uint8_t magic[4] = {JOURNAL_MAGIC0, JOURNAL_MAGIC1, JOURNAL_MAGIC2,
                                             JOURNAL_MAGIC3};
            if (got < 0) {
                rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "read journal %s: %s", j->path,
                                  strerror(errno));
                goto out;
            }
            if (memcmp(p, magic, (size_t)got) != 0) {
                rc = journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                                  "%s (%llu bytes) does not start with a journal record; "
                                  "refusing to touch it (if it is a journal whose first write "
                                  "was lost, e.g. zero-filled by a power failure, move it away)",
                                  j->path, (unsigned long long)size);
                goto out;
            }
        }
        if (ftruncate(j->fd, (off_t)off) != 0 || fdatasync(j->fd) != 0) {
            rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "truncate journal %s to %llu: %s",
                              j->path, (unsigned long long)off, strerror(errno));
            goto out;
        }
        if (info) {
            info->truncated_bytes = size - off;
            info->truncated_offset = off;
            journal_errf(info->truncated_reason, sizeof info->truncated_reason, 0, "%s", why);
        }
    } else if (fdatasync(j->fd) != 0) {
        /* Records a killed predecessor left in the page cache become durable
         * here, so everything recovered counts as synced. */
        rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "fdatasync journal %s: %s", j->path,
                          strerror(errno));
        goto out;
    }

    j->file_end = off;
    if (records) {
        j->first_seq = first;
        j->last_seq = prev;
    } else {
        j->first_seq = opts && opts->first_seq ? opts->first_seq : 1;
        j->last_seq = j->first_seq - 1;
    }
    j->flushed_seq = j->synced_seq = j->last_seq;
    if (info) {
        info->records = records;
        info->first_seq = records ? first : 0;
        info->last_seq = records ? prev : 0;
        info->valid_bytes = off;
    }
out:
    journal_window_free(&w);
    return rc;
}

int journal_open(journal **out, const char *path, const journal_options *opts,
                 journal_open_info *info, char *err, size_t errlen) {
    *out = NULL;
    if (info) memset(info, 0, sizeof *info);
    if (!path || !*path) return journal_errf(err, errlen, JOURNAL_ERR_ARG, "empty journal path");

    journal *j = calloc(1, sizeof *j);
    if (!j) return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    j->fd = -1;
    j->path = strdup(path);
    j->buf_initial = opts && opts->buffer_bytes ? opts->buffer_bytes : DEFAULT_BUFFER_BYTES;
    j->buf = malloc(j->buf_initial);
    if (!j->path || !j->buf) {
        journal_close(j);
        return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    }
    j->buf_cap = j->buf_initial;

    int created = 0;
    int rc = open_locked(j, path, &created, err, errlen);
    if (rc == JOURNAL_OK) rc = scan_and_recover(j, opts, info, err, errlen);
    if (rc != JOURNAL_OK) {
        journal_close(j);
        return rc;
    }
    if (info) info->created = created;
    *out = j;
    return JOURNAL_OK;
}

void journal_close(journal *j) {
    if (!j) return;
    if (j->fd >= 0) close(j->fd); /* releases the flock */
    free(j->buf);
    free(j->path);
    free(j);
}

/* ------------------------------------------------------------------------ */
/* Append, flush, sync                                                      */

static int poisoned(const journal *j, char *err, size_t errlen) {
    return journal_errf(err, errlen, JOURNAL_ERR_FAILED, "journal unusable after earlier error: %s",
                        j->fail_msg);
}

static int poison(journal *j, char *err, size_t errlen, const char *what, int errnum) {
    if (j->failed) return poisoned(j, err, errlen); /* keep the first cause */
    j->failed = 1;
    journal_errf(j->fail_msg, sizeof j->fail_msg, 0, "%s journal %s: %s", what, j->path,
                 strerror(errnum));
    return journal_errf(err, errlen, JOURNAL_ERR_IO, "%s", j->fail_msg);
}

int journal_append(journal *j, uint16_t type, const void *payload, uint32_t len,
                   uint64_t *seq_out, char *err, size_t errlen) {
    if (j->failed) return poisoned(j, err, errlen);
    if (type == 0 || type >= JOURNAL_TYPE_RESERVED_MIN)
        return journal_errf(err, errlen, JOURNAL_ERR_ARG,
                            "record type %u outside the app range 1..%u", type,
                            JOURNAL_TYPE_RESERVED_MIN - 1);
    if (len > JOURNAL_MAX_PAYLOAD)
        return journal_errf(err, errlen, JOURNAL_ERR_ARG, "payload of %u bytes over the %u limit",
                            len, JOURNAL_MAX_PAYLOAD);
    if (len && !payload) return journal_errf(err, errlen, JOURNAL_ERR_ARG, "NULL payload");

    size_t need = JOURNAL_HEADER_SIZE + (size_t)len;
    if (j->buf_cap - j->buf_len < need) {
        size_t cap = j->buf_cap;
        while (cap - j->buf_len < need) cap *= 2;
        uint8_t *bigger = realloc(j->buf, cap);
        if (!bigger) return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
        j->buf = bigger;
        j->buf_cap = cap;
    }
    uint64_t seq = j->last_seq + 1;
    uint8_t *rec = j->buf + j->buf_len;
    journal_header_encode(rec, seq, type, payload, len);
    if (len) memcpy(rec + JOURNAL_HEADER_SIZE, payload, len);
    j->buf_len += need;
    j->last_seq = seq;
    if (seq_out) *seq_out = seq;
    return JOURNAL_OK;
}

int journal_flush(journal *j, char *err, size_t errlen) {
    if (j->failed) return poisoned(j, err, errlen);
    size_t done = 0;
    while (done < j->buf_len) {
        ssize_t n = pwrite(j->fd, j->buf + done, j->buf_len - done, (off_t)(j->file_end + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            /* Part of the batch may be in the file; that is a torn tail the
             * next journal_open cuts. This handle is done. */
            return poison(j, err, errlen, "write", errno);
        }
        if (n == 0) return poison(j, err, errlen, "write (no progress)", EIO);
        done += (size_t)n;
    }
    j->file_end += j->buf_len;
    j->buf_len = 0;
    j->flushed_seq = j->last_seq;
    if (j->buf_cap > BUFFER_KEEP_BYTES && j->buf_initial <= BUFFER_KEEP_BYTES) {
        uint8_t *smaller = realloc(j->buf, j->buf_initial);
        if (smaller) {
            j->buf = smaller;
            j->buf_cap = j->buf_initial;
        }
    }
    return JOURNAL_OK;
}

int journal_sync(journal *j, char *err, size_t errlen) {
    int rc = journal_flush(j, err, errlen);
    if (rc != JOURNAL_OK) return rc;
    uint64_t upto = j->flushed_seq;
    int sync_errno = 0;
    while (fdatasync(j->fd) != 0) {
        if (errno == EINTR) continue;
        sync_errno = errno;
        break;
    }
    return journal_sync_done(j, upto, sync_errno, err, errlen);
}

int journal_sync_done(journal *j, uint64_t upto, int sync_errno, char *err, size_t errlen) {
    if (sync_errno) return poison(j, err, errlen, "fdatasync", sync_errno);
    if (j->failed) return poisoned(j, err, errlen);
    if (upto > j->flushed_seq)
        return journal_errf(err, errlen, JOURNAL_ERR_ARG,
                            "sync reported up to seq %llu but only %llu was flushed",
                            (unsigned long long)upto, (unsigned long long)j->flushed_seq);
    if (upto > j->synced_seq) j->synced_seq = upto;
    return JOURNAL_OK;
}

int journal_fd(const journal *j) { return j->fd; }
uint64_t journal_last_seq(const journal *j) { return j->last_seq; }
uint64_t journal_flushed_seq(const journal *j) { return j->flushed_seq; }
uint64_t journal_synced_seq(const journal *j) { return j->synced_seq; }
uint64_t journal_first_seq(const journal *j) { return j->first_seq; }
size_t journal_buffered_bytes(const journal *j) { return j->buf_len; }
uint64_t journal_file_bytes(const journal *j) { return j->file_end; }
int journal_failed(const journal *j) { return j->failed; }

/* ------------------------------------------------------------------------ */
/* Replay                                                                   */

int journal_replay(journal *j, journal_replay_fn cb, void *ctx, char *err, size_t errlen) {
    journal_window w;
    if (journal_window_init(&w, j->fd, SCAN_CHUNK_BYTES) != 0)
        return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    int rc = JOURNAL_OK;
    uint64_t off = 0, expect = j->first_seq;
    while (off < j->file_end) {
        journal_record_view rec;
        char why[160];
        journal_probe_result pr = journal_probe(&w, off, &rec, why, sizeof why);
        if (pr == JOURNAL_PROBE_IOERR) {
            rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "read journal %s at offset %llu: %s",
                              j->path, (unsigned long long)off, strerror(errno));
            break;
        }
        if (pr != JOURNAL_PROBE_OK || rec.seq != expect || off + rec.size > j->file_end) {
            /* Verified at open; if it fails now the file changed under us. */
            rc = journal_errf(err, errlen, JOURNAL_ERR_CORRUPT,
                              "journal %s: record at offset %llu (expected seq %llu) no longer "
                              "valid during replay: %s",
                              j->path, (unsigned long long)off, (unsigned long long)expect,
                              pr == JOURNAL_PROBE_OK ? "seq or length changed" : why);
            break;
        }
        if (cb(ctx, rec.seq, rec.type, rec.payload, rec.len) != 0) {
            rc = journal_errf(err, errlen, JOURNAL_ERR_STOPPED,
                              "replay stopped by callback at seq %llu",
                              (unsigned long long)rec.seq);
            break;
        }
        off += rec.size;
        expect++;
    }
    journal_window_free(&w);
    return rc;
}
