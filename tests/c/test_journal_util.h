/* Helpers shared by the test_journal* executables: a temporary directory,
 * raw file surgery (truncate, flip a bit, splice bytes) and a deterministic
 * payload per seq so any record read back can be checked byte for byte. */
#ifndef TEST_JOURNAL_UTIL_H
#define TEST_JOURNAL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal/journal.h"

/* Payload of record `seq`: its length and bytes depend on seq only. Lengths
 * mix empty, small and a few large records. Returns the length; buf must
 * hold TJ_MAX_PAYLOAD bytes. */
#define TJ_MAX_PAYLOAD 9000u

static inline uint32_t tj_payload(uint64_t seq, uint8_t *buf) {
    uint32_t len;
    if (seq % 23 == 0)
        len = 0;
    else if (seq % 97 == 0)
        len = 8000 + (uint32_t)(seq % 1000);
    else
        len = 1 + (uint32_t)((seq * 7919u) % 300u);
    /* Eight bytes at a time: the crash test's child spends its time here,
     * and the faster it fills, the more often SIGKILL lands inside write(). */
    for (uint32_t i = 0; i < len; i += 8) {
        uint64_t word = (seq * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)i * 0xBF58476D1CE4E5B9ull);
        memcpy(buf + i, &word, len - i < 8 ? len - i : 8);
    }
    return len;
}

static inline uint16_t tj_type(uint64_t seq) { return (uint16_t)(1 + seq % 5); }

/* Appends records until the journal's last seq is `upto`, with the payload
 * and type of tj_payload / tj_type. Returns a journal_status. */
static inline int tj_append_upto(journal *j, uint64_t upto) {
    uint8_t buf[TJ_MAX_PAYLOAD];
    char err[256];
    while (journal_last_seq(j) < upto) {
        uint64_t seq = journal_last_seq(j) + 1, got = 0;
        uint32_t len = tj_payload(seq, buf);
        int rc = journal_append(j, tj_type(seq), buf, len, &got, err, sizeof err);
        if (rc != JOURNAL_OK) {
            fprintf(stderr, "append: %s\n", err);
            return rc;
        }
        if (got != seq) return JOURNAL_ERR_ARG;
    }
    return JOURNAL_OK;
}

/* Replay checker: every record must be tj_payload(seq)/tj_type(seq) and
 * seqs must follow on from `next`. */
typedef struct {
    uint64_t next;   /* seq expected next */
    uint64_t count;
    uint64_t bad;    /* records that did not match */
} tj_check;

static inline int tj_check_cb(void *ctx, uint64_t seq, uint16_t type, const uint8_t *payload,
                              uint32_t len) {
    tj_check *c = ctx;
    uint8_t want[TJ_MAX_PAYLOAD];
    uint32_t want_len = tj_payload(seq, want);
    if (seq != c->next || type != tj_type(seq) || len != want_len ||
        (len && memcmp(payload, want, len) != 0)) {
        fprintf(stderr, "replay mismatch at seq %llu (expected %llu), len %u/%u type %u\n",
                (unsigned long long)seq, (unsigned long long)c->next, len, want_len, type);
        c->bad++;
    }
    c->next = seq + 1;
    c->count++;
    return 0;
}

static inline char *tj_mkdtemp(void) {
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/test_journal.XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    return dir ? strdup(dir) : NULL;
}

static inline int tj_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tj_rmtree(const char *dir) { nftw(dir, tj_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static inline char *tj_path(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static inline long long tj_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Reads the whole file into a malloc'd buffer. */
static inline uint8_t *tj_read_file(const char *path, size_t *len) {
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

/* Replaces the file with exactly len bytes of data. */
static inline int tj_write_file(const char *path, const uint8_t *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

/* Appends len bytes to the file with a plain write(), as a raw writer would. */
static inline int tj_append_raw(const char *path, const uint8_t *data, size_t len) {
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0) return -1;
    ssize_t n = len ? write(fd, data, len) : 0;
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

/* Offsets of every record in a well-formed file, found by walking headers. */
static inline size_t tj_record_offsets(const uint8_t *data, size_t len, uint64_t *offs,
                                       size_t max) {
    size_t n = 0, off = 0;
    while (off + JOURNAL_HEADER_SIZE <= len && n < max) {
        uint32_t plen = (uint32_t)data[off + 4] | (uint32_t)data[off + 5] << 8 |
                        (uint32_t)data[off + 6] << 16 | (uint32_t)data[off + 7] << 24;
        offs[n++] = off;
        off += JOURNAL_HEADER_SIZE + plen;
    }
    return n;
}

#endif
