/* Journal reader: start from a seq, follow a writer that is still
 * appending (a partial tail is "not yet"), and still catch real corruption. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "journal/journal.h"
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

static journal *writer_open(const char *path, uint64_t first_seq) {
    journal *j = NULL;
    journal_options opts = {.first_seq = first_seq};
    char err[512];
    int rc = journal_open(&j, path, &opts, NULL, err, sizeof err);
    if (rc != JOURNAL_OK) fail_msg("journal_open: %s", err);
    return j;
}

static void writer_add(journal *j, uint64_t upto) {
    char err[256];
    assert_int_equal(tj_append_upto(j, upto), JOURNAL_OK);
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
}

static journal_reader *reader_open(const char *path, uint64_t from) {
    journal_reader *r = NULL;
    char err[512];
    int rc = journal_reader_open(&r, path, from, err, sizeof err);
    if (rc != JOURNAL_OK) fail_msg("journal_reader_open: %s", err);
    return r;
}

/* Reads records while there are any, checking each against tj_payload and
 * that seqs follow on from *next. Returns how many were read; asserts the
 * reader ended on "not yet" (0), not on an error. */
static uint64_t drain(journal_reader *r, uint64_t *next) {
    uint64_t n = 0;
    journal_record rec;
    char err[512];
    int rc;
    uint8_t want[TJ_MAX_PAYLOAD];
    while ((rc = journal_reader_next(r, &rec, err, sizeof err)) == 1) {
        assert_int_equal(rec.seq, *next);
        assert_int_equal(rec.type, tj_type(rec.seq));
        uint32_t len = tj_payload(rec.seq, want);
        assert_int_equal(rec.len, len);
        if (len) assert_memory_equal(rec.payload, want, len);
        assert_int_equal(journal_reader_position(r), rec.seq);
        (*next)++;
        n++;
    }
    if (rc != 0) fail_msg("journal_reader_next: %d %s", rc, err);
    return n;
}

static void test_reader_from_seq(void **state) {
    fixture *f = *state;
    journal *j = writer_open(f->path, 0);
    writer_add(j, 50);

    journal_reader *r = reader_open(f->path, 0);
    uint64_t next = 1;
    assert_int_equal(drain(r, &next), 50);
    journal_reader_close(r);

    r = reader_open(f->path, 20);
    assert_int_equal(journal_reader_position(r), 19);
    next = 20;
    assert_int_equal(drain(r, &next), 31);
    /* Only flushed records are visible; the reader picks up new ones. */
    assert_int_equal(tj_append_upto(j, 55), JOURNAL_OK);
    assert_int_equal(drain(r, &next), 0);
    char err[256];
    assert_int_equal(journal_flush(j, err, sizeof err), JOURNAL_OK);
    assert_int_equal(drain(r, &next), 5);
    journal_reader_close(r);

    /* Right after the end, and past it: wait until the seq exists. */
    r = reader_open(f->path, 56);
    next = 56;
    assert_int_equal(drain(r, &next), 0);
    writer_add(j, 56);
    assert_int_equal(drain(r, &next), 1);
    journal_reader_close(r);

    r = reader_open(f->path, 70);
    next = 70;
    assert_int_equal(drain(r, &next), 0);
    assert_int_equal(journal_reader_position(r), 69);
    writer_add(j, 72);
    assert_int_equal(drain(r, &next), 3);
    journal_reader_close(r);
    journal_close(j);
}

static void test_reader_seq_before_file_start(void **state) {
    fixture *f = *state;
    journal *j = writer_open(f->path, 100);
    writer_add(j, 110);
    journal_close(j);

    journal_reader *r = reader_open(f->path, 50);
    journal_record rec;
    char err[512];
    assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), JOURNAL_ERR_CORRUPT);
    assert_non_null(strstr(err, "starts at seq 100, after the requested seq 50"));
    journal_reader_close(r);

    r = reader_open(f->path, 0);
    assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), 1);
    assert_int_equal(rec.seq, 100);
    journal_reader_close(r);

    assert_int_equal(journal_reader_open(&r, "/nonexistent/j", 0, err, sizeof err),
                     JOURNAL_ERR_IO);
    assert_null(r);
}

/* The last record appears in the file one prefix at a time, as a concurrent
 * write() can expose it: at every split the reader says "not yet", then
 * returns the whole record once the rest lands. */
static void test_partial_tail_is_not_yet(void **state) {
    fixture *f = *state;
    const uint64_t n = 5;
    journal *j = writer_open(f->path, 0);
    writer_add(j, n);
    journal_close(j);
    size_t len;
    uint8_t *full = tj_read_file(f->path, &len);
    assert_non_null(full);
    uint64_t offs[8] = {0};
    assert_int_equal(tj_record_offsets(full, len, offs, 8), n);
    size_t last = (size_t)offs[n - 1];

    for (size_t split = 0; split < len - last; split++) {
        assert_int_equal(tj_write_file(f->path, full, last + split), 0);
        journal_reader *r = reader_open(f->path, 0);
        uint64_t next = 1;
        assert_int_equal(drain(r, &next), n - 1);
        assert_int_equal(drain(r, &next), 0); /* asking again changes nothing */
        assert_int_equal(tj_append_raw(f->path, full + last + split, len - last - split), 0);
        assert_int_equal(drain(r, &next), 1);
        assert_int_equal(next, n + 1);
        journal_reader_close(r);

        /* A reader that starts at the torn record itself. */
        assert_int_equal(tj_write_file(f->path, full, last + split), 0);
        r = reader_open(f->path, n);
        next = n;
        assert_int_equal(drain(r, &next), 0);
        assert_int_equal(tj_append_raw(f->path, full + last + split, len - last - split), 0);
        assert_int_equal(drain(r, &next), 1);
        journal_reader_close(r);
    }
    free(full);
}

/* A writer died mid-write (torn tail); the reader waits. The writer comes
 * back, cuts the tail and writes a different record with that seq: the
 * reader must see the new bytes, not what it read before. */
static void test_reader_survives_writer_recovery(void **state) {
    fixture *f = *state;
    journal *j = writer_open(f->path, 0);
    writer_add(j, 4);
    journal_close(j);
    long long good = tj_file_size(f->path);
    uint8_t torn[60];
    memset(torn, 0xAB, sizeof torn);
    memcpy(torn, "TJR1", 4);
    assert_int_equal(tj_append_raw(f->path, torn, sizeof torn), 0);

    journal_reader *r = reader_open(f->path, 0);
    uint64_t next = 1;
    assert_int_equal(drain(r, &next), 4);
    assert_int_equal(drain(r, &next), 0);

    journal_open_info info;
    char err[512];
    assert_int_equal(journal_open(&j, f->path, NULL, &info, err, sizeof err), JOURNAL_OK);
    assert_int_equal(info.truncated_offset, (uint64_t)good);
    assert_int_equal(info.truncated_bytes, sizeof torn);
    writer_add(j, 6);
    assert_int_equal(drain(r, &next), 2);
    journal_close(j);

    /* Again with a torn record whose header is valid: seq 7 with some other
     * payload, cut halfway through. The reader has seen that header; after
     * recovery the real seq 7 has different bytes and length. */
    char *other = tj_path(f->dir, "other.journal");
    journal *o = writer_open(other, 7);
    uint8_t junk[2000];
    memset(junk, 0x5A, sizeof junk);
    assert_int_equal(journal_append(o, 3, junk, sizeof junk, NULL, err, sizeof err), JOURNAL_OK);
    assert_int_equal(journal_flush(o, err, sizeof err), JOURNAL_OK);
    journal_close(o);
    size_t olen;
    uint8_t *odata = tj_read_file(other, &olen);
    assert_non_null(odata);
    assert_int_equal(tj_append_raw(f->path, odata, olen / 2), 0);
    assert_int_equal(drain(r, &next), 0);
    /* A second reader stops right before the torn record, so its read-ahead
     * holds the torn bytes when the writer replaces them. */
    journal_reader *r2 = reader_open(f->path, 0);
    journal_record rec;
    for (uint64_t s = 1; s <= 6; s++)
        assert_int_equal(journal_reader_next(r2, &rec, err, sizeof err), 1);
    assert_int_equal(journal_open(&j, f->path, NULL, &info, err, sizeof err), JOURNAL_OK);
    assert_int_equal(info.truncated_bytes, olen / 2);
    writer_add(j, 7);
    assert_int_equal(drain(r, &next), 1);
    assert_int_equal(next, 8);
    uint64_t next2 = 7;
    assert_int_equal(journal_reader_next(r2, &rec, err, sizeof err), 1); /* not a stale "not yet" */
    assert_int_equal(rec.seq, 7);
    assert_int_equal(rec.len, tj_payload(7, junk));
    assert_memory_equal(rec.payload, junk, rec.len);
    next2++;
    assert_int_equal(drain(r2, &next2), 0);
    journal_reader_close(r2);
    journal_reader_close(r);
    journal_close(j);
    free(odata);
    free(other);
}

static void test_reader_reports_middle_corruption(void **state) {
    fixture *f = *state;
    journal *j = writer_open(f->path, 0);
    writer_add(j, 10);
    journal_close(j);
    size_t len;
    uint8_t *d = tj_read_file(f->path, &len);
    uint64_t offs[16] = {0};
    assert_int_equal(tj_record_offsets(d, len, offs, 16), 10);
    d[offs[6] + JOURNAL_HEADER_SIZE] ^= 0x01; /* payload of seq 7 */
    assert_int_equal(tj_write_file(f->path, d, len), 0);

    journal_reader *r = reader_open(f->path, 0);
    journal_record rec;
    char err[512];
    for (uint64_t s = 1; s <= 6; s++) {
        assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), 1);
        assert_int_equal(rec.seq, s);
    }
    assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), JOURNAL_ERR_CORRUPT);
    assert_non_null(strstr(err, "corrupt record at offset"));
    assert_non_null(strstr(err, "valid record (seq 8)"));
    journal_reader_close(r);

    /* Seeking past the bad record also has to read through it. */
    r = reader_open(f->path, 9);
    assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), JOURNAL_ERR_CORRUPT);
    journal_reader_close(r);
    free(d);
}

/* Two journals spliced with a seq gap: the reader stops at the gap. */
static void test_reader_reports_seq_gap(void **state) {
    fixture *f = *state;
    char *other = tj_path(f->dir, "other.journal");
    journal *j = writer_open(f->path, 0);
    writer_add(j, 3);
    journal_close(j);
    j = writer_open(other, 5);
    writer_add(j, 6);
    journal_close(j);
    size_t len;
    uint8_t *b = tj_read_file(other, &len);
    assert_non_null(b);
    assert_int_equal(tj_append_raw(f->path, b, len), 0);

    journal_reader *r = reader_open(f->path, 0);
    journal_record rec;
    char err[512];
    for (int i = 0; i < 3; i++) assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), 1);
    assert_int_equal(journal_reader_next(r, &rec, err, sizeof err), JOURNAL_ERR_CORRUPT);
    assert_non_null(strstr(err, "has seq 5, expected 4"));
    journal_reader_close(r);
    free(b);
    free(other);
}

/* A real concurrent writer in another process appends and flushes in
 * batches of mixed sizes while this process follows the file; every record
 * arrives exactly once, in order, intact. */
static void test_follow_concurrent_writer_process(void **state) {
    fixture *f = *state;
    const uint64_t total = 20000;
    journal *j = writer_open(f->path, 0);
    journal_close(j); /* the file exists before the reader opens it */

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        journal *w = NULL;
        char err[256];
        if (journal_open(&w, f->path, NULL, NULL, err, sizeof err) != JOURNAL_OK) _exit(2);
        uint64_t batch = 1;
        while (journal_last_seq(w) < total) {
            uint64_t upto = journal_last_seq(w) + batch;
            if (tj_append_upto(w, upto < total ? upto : total) != JOURNAL_OK) _exit(3);
            if (journal_flush(w, err, sizeof err) != JOURNAL_OK) _exit(4);
            batch = batch * 5 % 61 + 1; /* 1..61, varied */
        }
        journal_close(w);
        _exit(0);
    }
    journal_reader *r = reader_open(f->path, 0);
    uint64_t next = 1, got = 0;
    int status = 0, exited = 0;
    while (got < total) {
        uint64_t n = drain(r, &next);
        got += n;
        if (n) continue;
        if (exited) break; /* drained after the writer exited: nothing more comes */
        if (waitpid(pid, &status, WNOHANG) == pid) exited = 1;
    }
    if (!exited) assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(got, total);
    assert_int_equal(journal_reader_position(r), total);
    journal_reader_close(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reader_from_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_seq_before_file_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_tail_is_not_yet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_survives_writer_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_reports_middle_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_reports_seq_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_concurrent_writer_process, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
