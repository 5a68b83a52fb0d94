/* Journal writer: format, append/flush/reopen/replay, recovery of torn and
 * corrupt tails, refusal of corrupt middles, poisoning on write errors.
 * Everything runs on real files in a mkdtemp directory. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "journal/journal.h"
#include "journal/journal_bench.h"
#include "journal/journal_crc32c.h"
#include "test_journal_util.h"

typedef struct {
    char *dir;
    char *path;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->dir = tj_mkdtemp();
    if (!f->dir) return -1;
    f->path = tj_path(f->dir, "trader.journal");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tj_rmtree(f->dir);
    free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

/* Opens the journal, asserting success, with info filled. */
static journal *open_ok(const char *path, journal_open_info *info) {
    journal *j = NULL;
    char err[512] = "";
    int rc = journal_open(&j, path, NULL, info, err, sizeof err);
    if (rc != JOURNAL_OK) fprintf(stderr, "journal_open: %s\n", err);
    assert_int_equal(rc, JOURNAL_OK);
    assert_non_null(j);
    return j;
}

/* Writes records 1..n with the tj_payload pattern, flushing in batches. */
static void make_journal(const char *path, uint64_t n) {
    journal *j = open_ok(path, NULL);
    char err[256];
    for (uint64_t s = 1; s <= n; s += 7) {
        assert_int_equal(tj_append_upto(j, s + 6 < n ? s + 6 : n), JOURNAL_OK);
        assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    }
    journal_close(j);
}

/* Replays the whole journal through the checker; returns records seen. */
static uint64_t replay_check(journal *j, uint64_t first) {
    tj_check c = {.next = first};
    char err[256];
    assert_int_equal(journal_replay(j, tj_check_cb, &c, err, sizeof err), JOURNAL_OK);
    assert_int_equal(c.bad, 0);
    return c.count;
}

/* ------------------------------------------------------------------------ */

static void test_crc32c_vectors(void **state) {
    (void)state;
    /* Standard check value and RFC 3720 (iSCSI) B.4 vectors. */
    assert_int_equal(journal_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(journal_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    uint8_t zeros[32] = {0}, ones[32], inc[32];
    memset(ones, 0xff, sizeof ones);
    for (int i = 0; i < 32; i++) inc[i] = (uint8_t)i;
    assert_int_equal(journal_crc32c(0, zeros, 32), 0x8A9136AAu);
    assert_int_equal(journal_crc32c(0, ones, 32), 0x62A8AB43u);
    assert_int_equal(journal_crc32c(0, inc, 32), 0x46DD794Eu);
    assert_int_equal(journal_crc32c(0, NULL, 0), 0u);
    /* Hardware and table paths agree at every length and alignment, and
     * chaining equals one pass. */
    uint8_t buf[200];
    for (int i = 0; i < 200; i++) buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t start = 0; start < 9; start++) {
        for (size_t len = 0; start + len <= sizeof buf; len += 13) {
            uint32_t sw = journal_crc32c_sw(0, buf + start, len);
            assert_int_equal(journal_crc32c(0, buf + start, len), sw);
            size_t half = len / 3;
            uint32_t chained = journal_crc32c(journal_crc32c(0, buf + start, half),
                                              buf + start + half, len - half);
            assert_int_equal(chained, sw);
        }
    }
}

static void test_header_layout_is_little_endian(void **state) {
    fixture *f = *state;
    journal *j = open_ok(f->path, NULL);
    char err[256];
    uint64_t seq = 0;
    assert_int_equal(journal_append(j, 0x0102, "abc", 3, &seq, err, sizeof err), JOURNAL_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    journal_close(j);

    size_t len;
    uint8_t *d = tj_read_file(f->path, &len);
    assert_non_null(d);
    assert_int_equal(len, JOURNAL_HEADER_SIZE + 3);
    assert_memory_equal(d, "TJR1", 4);
    assert_memory_equal(d + 4, "\x03\x00\x00\x00", 4);                 /* payload_len */
    assert_memory_equal(d + 8, "\x01\x00\x00\x00\x00\x00\x00\x00", 8); /* seq */
    assert_memory_equal(d + 16, "\x02\x01", 2);                        /* type */
    assert_memory_equal(d + 18, "\x00\x00", 2);                        /* flags */
    uint32_t crc = journal_crc32c(journal_crc32c(0, d, 20), d + 28, 3);
    uint32_t hcrc = journal_crc32c(0, d, 24);
    assert_int_equal(d[20] | d[21] << 8 | d[22] << 16 | (uint32_t)d[23] << 24, crc);
    assert_int_equal(d[24] | d[25] << 8 | d[26] << 16 | (uint32_t)d[27] << 24, hcrc);
    assert_memory_equal(d + 28, "abc", 3);
    free(d);
}

static void test_append_flush_reopen_replay(void **state) {
    fixture *f = *state;
    journal_open_info info;
    journal *j = open_ok(f->path, &info);
    assert_int_equal(info.created, 1);
    assert_int_equal(info.records, 0);
    assert_int_equal(info.last_seq, 0);
    assert_int_equal(journal_last_seq(j), 0);
    char err[256];

    /* Appends are buffered: nothing reaches the file before flush. */
    assert_int_equal(tj_append_upto(j, 10), JOURNAL_OK);
    assert_int_equal(tj_file_size(f->path), 0);
    assert_true(journal_buffered_bytes(j) > 0);
    assert_int_equal(journal_last_seq(j), 10);
    assert_int_equal(journal_flushed_seq(j), 0);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_flushed_seq(j), 10);
    assert_int_equal(journal_synced_seq(j), 0);
    assert_int_equal(journal_buffered_bytes(j), 0);
    assert_int_equal((uint64_t)tj_file_size(f->path), journal_file_bytes(j));

    /* Replay sees flushed records only. */
    assert_int_equal(tj_append_upto(j, 12), JOURNAL_OK);
    assert_int_equal(replay_check(j, 1), 10);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(replay_check(j, 1), 12);

    /* Large records, more than the initial buffer in one flush. */
    assert_int_equal(tj_append_upto(j, 400), JOURNAL_OK);
    assert_int_equal(journal_sync(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_synced_seq(j), 400);
    journal_close(j);

    j = open_ok(f->path, &info);
    assert_int_equal(info.created, 0);
    assert_int_equal(info.records, 400);
    assert_int_equal(info.first_seq, 1);
    assert_int_equal(info.last_seq, 400);
    assert_int_equal(info.truncated_bytes, 0);
    assert_string_equal(info.truncated_reason, "");
    assert_int_equal(info.valid_bytes, (uint64_t)tj_file_size(f->path));
    assert_int_equal(journal_last_seq(j), 400);
    assert_int_equal(journal_synced_seq(j), 400);
    assert_int_equal(replay_check(j, 1), 400);

    /* Seqs continue after reopen. */
    assert_int_equal(tj_append_upto(j, 401), JOURNAL_OK);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    journal_close(j);
    j = open_ok(f->path, &info);
    assert_int_equal(info.last_seq, 401);
    assert_int_equal(replay_check(j, 1), 401);
    journal_close(j);
}

static int stop_at_five(void *ctx, uint64_t seq, uint16_t type, const uint8_t *p, uint32_t len) {
    (void)type;
    (void)p;
    (void)len;
    *(uint64_t *)ctx = seq;
    return seq == 5 ? 42 : 0;
}

static void test_replay_stops_on_callback(void **state) {
    fixture *f = *state;
    make_journal(f->path, 20);
    journal *j = open_ok(f->path, NULL);
    uint64_t seen = 0;
    char err[256];
    assert_int_equal(journal_replay(j, stop_at_five, &seen, err, sizeof err), JOURNAL_ERR_STOPPED);
    assert_int_equal(seen, 5);
    assert_non_null(strstr(err, "seq 5"));
    journal_close(j);
}

static void test_first_seq_option_and_arguments(void **state) {
    fixture *f = *state;
    journal *j = NULL;
    journal_options opts = {.first_seq = 1000};
    journal_open_info info;
    char err[256];
    assert_int_equal(journal_open(&j, f->path, &opts, &info, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_first_seq(j), 1000);
    assert_int_equal(journal_last_seq(j), 999);
    uint64_t seq;
    assert_int_equal(journal_append(j, 1, "x", 1, &seq, err, sizeof err), JOURNAL_OK);
    assert_int_equal(seq, 1000);

    /* Bad arguments fail and change nothing. */
    assert_int_equal(journal_append(j, 0, "x", 1, &seq, err, sizeof err), JOURNAL_ERR_ARG);
    assert_non_null(strstr(err, "type 0"));
    assert_int_equal(journal_append(j, JOURNAL_TYPE_RESERVED_MIN, "x", 1, &seq, err, sizeof err),
                     JOURNAL_ERR_ARG);
    assert_int_equal(journal_append(j, 1, NULL, 4, &seq, err, sizeof err), JOURNAL_ERR_ARG);
    assert_int_equal(journal_append(j, 1, "x", JOURNAL_MAX_PAYLOAD + 1, &seq, err, sizeof err),
                     JOURNAL_ERR_ARG);
    assert_int_equal(journal_append(j, 7, NULL, 0, &seq, err, sizeof err), JOURNAL_OK);
    assert_int_equal(seq, 1001);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_sync_done(j, 5000, 0, err, sizeof err), JOURNAL_ERR_ARG);
    assert_int_equal(journal_sync_done(j, 1001, 0, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_synced_seq(j), 1001);
    assert_false(journal_failed(j));
    journal_close(j);

    /* A non-empty file keeps its own seqs whatever first_seq says. */
    opts.first_seq = 1;
    assert_int_equal(journal_open(&j, f->path, &opts, &info, err, sizeof err), JOURNAL_OK);
    assert_int_equal(info.first_seq, 1000);
    assert_int_equal(info.last_seq, 1001);
    journal_close(j);

    assert_int_equal(journal_open(&j, "", NULL, NULL, err, sizeof err), JOURNAL_ERR_ARG);
    char *missing = tj_path(f->dir, "no/such/dir/j");
    assert_int_equal(journal_open(&j, missing, NULL, NULL, err, sizeof err), JOURNAL_ERR_IO);
    assert_null(j);
    assert_non_null(strstr(err, "No such file"));
    free(missing);
    assert_int_equal(journal_open(&j, f->dir, NULL, NULL, err, sizeof err), JOURNAL_ERR_IO);
}

static void test_second_writer_is_locked_out(void **state) {
    fixture *f = *state;
    journal *a = open_ok(f->path, NULL);
    journal *b = NULL;
    char err[256];
    assert_int_equal(journal_open(&b, f->path, NULL, NULL, err, sizeof err), JOURNAL_ERR_LOCKED);
    assert_null(b);
    assert_non_null(strstr(err, "another process"));
    journal_close(a);
    b = open_ok(f->path, NULL);
    journal_close(b);
}

/* Cutting the file anywhere inside the last record, or zero-filling its
 * tail (what a power loss can leave), loses that record only: it is cut,
 * reported, and the journal carries on from the previous seq. */
static void test_torn_tail_at_every_offset(void **state) {
    fixture *f = *state;
    const uint64_t n = 6;
    make_journal(f->path, n);
    size_t len;
    uint8_t *full = tj_read_file(f->path, &len);
    assert_non_null(full);
    uint64_t offs[16] = {0};
    assert_int_equal(tj_record_offsets(full, len, offs, 16), n);
    size_t last = (size_t)offs[n - 1];
    assert_true(len - last > 100); /* a real payload, not a trivial record */
    uint8_t *zeroed = malloc(len);
    assert_non_null(zeroed);

    for (size_t keep = 0; keep < len - last; keep++) {
        for (int zero_fill = 0; zero_fill < 2; zero_fill++) {
            if (zero_fill && keep == 0) continue;
            size_t file_len = zero_fill ? len : last + keep;
            memcpy(zeroed, full, last + keep);
            memset(zeroed + last + keep, 0, len - last - keep);
            assert_int_equal(tj_write_file(f->path, zeroed, file_len), 0);

            journal_open_info info;
            journal *j = open_ok(f->path, &info);
            assert_int_equal(info.last_seq, n - 1);
            assert_int_equal(info.records, n - 1);
            assert_int_equal(info.valid_bytes, last);
            assert_int_equal(info.truncated_bytes, file_len - last);
            if (file_len > last) {
                assert_int_equal(info.truncated_offset, last);
                assert_true(strlen(info.truncated_reason) > 0);
            }
            assert_int_equal(tj_file_size(f->path), (long long)last);
            assert_int_equal(replay_check(j, 1), n - 1);

            /* The cut record's seq is reused by the next append, and the
             * result reopens clean. */
            assert_int_equal(tj_append_upto(j, n), JOURNAL_OK);
            char err[256];
            assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
            journal_close(j);
            j = open_ok(f->path, &info);
            assert_int_equal(info.last_seq, n);
            assert_int_equal(info.truncated_bytes, 0);
            journal_close(j);
            size_t again_len;
            uint8_t *again = tj_read_file(f->path, &again_len);
            assert_non_null(again);
            assert_int_equal(again_len, len);
            assert_memory_equal(again, full, len);
            free(again);
        }
    }
    free(zeroed);
    free(full);
}

/* A flipped bit anywhere in the last record (header or payload) makes it
 * invalid; with nothing valid after it, it is treated as a torn tail. */
static void test_bit_flip_in_last_record_is_cut(void **state) {
    fixture *f = *state;
    const uint64_t n = 5;
    make_journal(f->path, n);
    size_t len;
    uint8_t *full = tj_read_file(f->path, &len);
    assert_non_null(full);
    uint64_t offs[16] = {0};
    assert_int_equal(tj_record_offsets(full, len, offs, 16), n);
    size_t last = (size_t)offs[n - 1];

    for (size_t at = last; at < len; at++) {
        full[at] ^= (uint8_t)(1u << (at % 8));
        assert_int_equal(tj_write_file(f->path, full, len), 0);
        full[at] ^= (uint8_t)(1u << (at % 8));
        journal_open_info info;
        journal *j = open_ok(f->path, &info);
        assert_int_equal(info.last_seq, n - 1);
        assert_int_equal(info.truncated_offset, last);
        assert_int_equal(info.truncated_bytes, len - last);
        if (at >= last + JOURNAL_HEADER_SIZE)
            assert_non_null(strstr(info.truncated_reason, "checksum mismatch"));
        assert_int_equal(replay_check(j, 1), n - 1);
        journal_close(j);
    }
    free(full);
}

/* A flipped bit in a record that has valid records after it must stop the
 * open with a clear error and leave the file untouched. */
static void test_bit_flip_in_middle_is_fatal(void **state) {
    fixture *f = *state;
    const uint64_t n = 5;
    make_journal(f->path, n);
    size_t len;
    uint8_t *full = tj_read_file(f->path, &len);
    assert_non_null(full);
    uint64_t offs[16] = {0};
    assert_int_equal(tj_record_offsets(full, len, offs, 16), n);

    for (size_t rec = 0; rec + 1 < n; rec++) {
        size_t end = (size_t)offs[rec + 1];
        for (size_t at = (size_t)offs[rec]; at < end; at++) {
            full[at] ^= (uint8_t)(0x80u >> (at % 8));
            assert_int_equal(tj_write_file(f->path, full, len), 0);
            full[at] ^= (uint8_t)(0x80u >> (at % 8));
            journal *j = NULL;
            char err[512] = "";
            assert_int_equal(journal_open(&j, f->path, NULL, NULL, err, sizeof err),
                             JOURNAL_ERR_CORRUPT);
            assert_null(j);
            char want[64];
            snprintf(want, sizeof want, "corrupt record at offset %llu",
                     (unsigned long long)offs[rec]);
            if (!strstr(err, want)) fail_msg("error '%s' does not say '%s'", err, want);
            assert_non_null(strstr(err, "refusing to drop history"));
            assert_int_equal(tj_file_size(f->path), (long long)len);
        }
    }
    free(full);
}

/* Two valid journals spliced together with a gap in seqs. */
static void test_seq_gap_is_fatal(void **state) {
    fixture *f = *state;
    char *other = tj_path(f->dir, "other.journal");
    make_journal(f->path, 3);
    journal *j = NULL;
    journal_options opts = {.first_seq = 5};
    char err[512];
    assert_int_equal(journal_open(&j, other, &opts, NULL, err, sizeof err), JOURNAL_OK);
    assert_int_equal(tj_append_upto(j, 6), JOURNAL_OK);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    journal_close(j);
    size_t a_len, b_len;
    uint8_t *a = tj_read_file(f->path, &a_len), *b = tj_read_file(other, &b_len);
    assert_int_equal(tj_append_raw(f->path, b, b_len), 0);
    assert_int_equal(journal_open(&j, f->path, NULL, NULL, err, sizeof err), JOURNAL_ERR_CORRUPT);
    assert_non_null(strstr(err, "has seq 5, expected 4"));

    /* The same records in the right order (3 then 4..) are fine. */
    assert_int_equal(tj_write_file(f->path, a, a_len), 0);
    j = open_ok(f->path, NULL);
    assert_int_equal(tj_append_upto(j, 4), JOURNAL_OK);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    journal_close(j);
    assert_int_equal(tj_append_raw(f->path, b, b_len), 0);
    j = open_ok(f->path, NULL);
    assert_int_equal(journal_last_seq(j), 6);
    assert_int_equal(replay_check(j, 1), 6);
    journal_close(j);
    free(a);
    free(b);
    free(other);
}

/* Garbage that is not a record (a stray log line appended by mistake) at
 * the end is cut like a torn write; the same garbage between records is not. */
static void test_garbage_tail_and_garbage_middle(void **state) {
    fixture *f = *state;
    make_journal(f->path, 4);
    long long good = tj_file_size(f->path);
    const char junk[] = "2024-01-01 oops, a log line in the journal\n";
    assert_int_equal(tj_append_raw(f->path, (const uint8_t *)junk, sizeof junk - 1), 0);
    journal_open_info info;
    journal *j = open_ok(f->path, &info);
    assert_int_equal(info.truncated_bytes, sizeof junk - 1);
    assert_int_equal(info.truncated_offset, (uint64_t)good);
    assert_non_null(strstr(info.truncated_reason, "bad magic"));
    assert_int_equal(tj_append_upto(j, 5), JOURNAL_OK);
    char err[512];
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    journal_close(j);

    /* Junk, then a valid record: history after the junk must not vanish. */
    size_t len;
    uint8_t *d = tj_read_file(f->path, &len);
    uint64_t offs[8] = {0};
    assert_int_equal(tj_record_offsets(d, len, offs, 8), 5);
    uint8_t *spliced = malloc(len + sizeof junk);
    memcpy(spliced, d, (size_t)offs[4]);
    memcpy(spliced + offs[4], junk, sizeof junk - 1);
    memcpy(spliced + offs[4] + sizeof junk - 1, d + offs[4], len - (size_t)offs[4]);
    assert_int_equal(tj_write_file(f->path, spliced, len + sizeof junk - 1), 0);
    assert_int_equal(journal_open(&j, f->path, NULL, NULL, err, sizeof err), JOURNAL_ERR_CORRUPT);
    assert_non_null(strstr(err, "valid record (seq 5)"));
    free(spliced);
    free(d);
}

/* A file that is not a journal (a wrong path) is refused and left alone; a
 * journal torn inside its very first record is still recovered. */
static void test_foreign_file_is_refused(void **state) {
    fixture *f = *state;
    const char text[] = "{\"venue\": \"binance\"}\n";
    assert_int_equal(tj_write_file(f->path, (const uint8_t *)text, sizeof text - 1), 0);
    journal *j = NULL;
    char err[512];
    assert_int_equal(journal_open(&j, f->path, NULL, NULL, err, sizeof err), JOURNAL_ERR_CORRUPT);
    assert_non_null(strstr(err, "does not start with a journal record"));
    assert_int_equal(tj_file_size(f->path), (long long)(sizeof text - 1));
    unlink(f->path);

    for (size_t keep = 1; keep < JOURNAL_HEADER_SIZE + 10; keep++) {
        make_journal(f->path, 1);
        size_t len;
        uint8_t *d = tj_read_file(f->path, &len);
        assert_non_null(d);
        assert_true(keep < len);
        assert_int_equal(tj_write_file(f->path, d, keep), 0);
        journal_open_info info;
        j = open_ok(f->path, &info);
        assert_int_equal(info.records, 0);
        assert_int_equal(info.truncated_bytes, keep);
        assert_int_equal(tj_file_size(f->path), 0);
        journal_close(j);
        free(d);
        unlink(f->path);
    }
}

/* A write that fails (here EFBIG from RLIMIT_FSIZE, standing in for ENOSPC
 * or EIO) returns an error and poisons the handle; what reached the file is
 * recovered as a torn tail on the next open. Runs in a child so the limit
 * and the ignored SIGXFSZ do not leak into other tests. */
static void test_write_error_poisons(void **state) {
    fixture *f = *state;
    make_journal(f->path, 3);
    long long before = tj_file_size(f->path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        journal *j = NULL;
        char err[512];
        if (journal_open(&j, f->path, NULL, NULL, err, sizeof err) != JOURNAL_OK) _exit(10);
        struct rlimit rl = {.rlim_cur = (rlim_t)before + 100, .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(11);
        uint8_t big[5000] = {0};
        uint64_t seq;
        if (journal_append(j, 1, big, sizeof big, &seq, err, sizeof err) != JOURNAL_OK) _exit(12);
        if (journal_flush(j, err, sizeof err) != JOURNAL_ERR_IO) _exit(13);
        if (!strstr(err, "write journal")) _exit(14);
        if (!journal_failed(j)) _exit(15);
        if (journal_append(j, 1, "x", 1, &seq, err, sizeof err) != JOURNAL_ERR_FAILED) _exit(16);
        if (!strstr(err, "File too large")) _exit(17);
        if (journal_flush(j, err, sizeof err) != JOURNAL_ERR_FAILED) _exit(18);
        if (journal_sync(j, err, sizeof err) != JOURNAL_ERR_FAILED) _exit(19);
        journal_close(j);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(tj_file_size(f->path), before + 100); /* the torn part that got in */
    journal_open_info info;
    journal *j = open_ok(f->path, &info);
    assert_int_equal(info.last_seq, 3);
    assert_int_equal(info.truncated_bytes, 100);
    journal_close(j);
}

static void test_failed_fdatasync_poisons(void **state) {
    fixture *f = *state;
    journal *j = open_ok(f->path, NULL);
    char err[256];
    assert_int_equal(tj_append_upto(j, 2), JOURNAL_OK);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    uint64_t upto = journal_flushed_seq(j);
    assert_int_equal(journal_sync_done(j, upto, EIO, err, sizeof err), JOURNAL_ERR_IO);
    assert_non_null(strstr(err, "fdatasync"));
    assert_int_equal(journal_synced_seq(j), 0);
    assert_int_equal(journal_append(j, 1, "x", 1, NULL, err, sizeof err), JOURNAL_ERR_FAILED);
    assert_non_null(strstr(err, "Input/output error"));
    journal_close(j);
}

/* Off-loop group commit as the app does it: capture flushed_seq, fdatasync
 * the fd elsewhere, report completion. */
static void test_group_commit_marker(void **state) {
    fixture *f = *state;
    journal *j = open_ok(f->path, NULL);
    char err[256];
    assert_int_equal(tj_append_upto(j, 5), JOURNAL_OK);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    uint64_t upto = journal_flushed_seq(j);
    assert_int_equal(tj_append_upto(j, 8), JOURNAL_OK); /* more arrive meanwhile */
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(fdatasync(journal_fd(j)), 0);
    assert_int_equal(journal_sync_done(j, upto, 0, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_synced_seq(j), 5);
    /* A late completion of an older sync does not move the marker back. */
    assert_int_equal(journal_sync_done(j, 3, 0, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_synced_seq(j), 5);
    assert_int_equal(journal_sync(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_synced_seq(j), 8);
    journal_close(j);
}

static void test_bench_smoke(void **state) {
    fixture *f = *state;
    char *path = tj_path(f->dir, "bench.journal");
    journal_bench_params p = {.records = 1000, .payload_bytes = 120, .records_per_flush = 10,
                              .flushes_per_sync = 50};
    journal_bench_result r;
    char err[256];
    assert_int_equal(journal_bench_run(path, &p, &r, err, sizeof err), JOURNAL_OK);
    assert_int_equal(r.records, 1000);
    assert_int_equal(r.flushes, 100);
    assert_int_equal(r.syncs, 2);
    assert_int_equal(r.bytes, 1000 * (JOURNAL_HEADER_SIZE + 120));
    assert_int_equal(tj_file_size(path), -1); /* removed */
    /* Refuses to run over an existing file (it could be a real journal). */
    make_journal(f->path, 1);
    assert_int_equal(journal_bench_run(f->path, &p, &r, err, sizeof err), JOURNAL_ERR_ARG);
    assert_true(tj_file_size(f->path) > 0);
    free(path);
}

static void test_status_names(void **state) {
    (void)state;
    assert_string_equal(journal_status_name(JOURNAL_ERR_CORRUPT), "corrupt");
    assert_string_equal(journal_status_name(JOURNAL_OK), "ok");
    assert_string_equal(journal_status_name(12345), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test_setup_teardown(test_header_layout_is_little_endian, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_flush_reopen_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_stops_on_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_seq_option_and_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_is_locked_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_at_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flip_in_last_record_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flip_in_middle_is_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_gap_is_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_tail_and_garbage_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_poisons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_fdatasync_poisons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bench_smoke, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
