/* Crash safety: a forked child opens the journal (recovering whatever the
 * previous child left), appends and flushes as fast as it can, reporting
 * each flushed seq through a pipe, and is killed with SIGKILL at a random
 * moment. After every kill the journal must reopen, and every record the
 * child reported as flushed must be there, intact and in order.
 *
 * Seeded (JOURNAL_CRASH_SEED overrides) so a failure can be replayed; the
 * kill timing still depends on the scheduler, which is the point. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "journal/journal.h"
#include "test_journal_util.h"

#define ITERATIONS 40
#define KILLS_PER_FILE 8 /* then start a new file, so scans stay short */

/* xorshift64*: the test's own deterministic randomness. */
static uint64_t next_rand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static int write_all(int fd, const void *buf, size_t len) {
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The child: never returns. Batches vary from one record to 300 (tens of
 * KB), and one in four is 3000 records (about 600 KB in one pwrite), so
 * SIGKILL lands inside write() often enough to tear records for real. */
static void child_main(const char *path, int report_fd, uint64_t seed) {
    journal *j = NULL;
    char err[512];
    journal_open_info info;
    if (journal_open(&j, path, NULL, &info, err, sizeof err) != JOURNAL_OK) {
        fprintf(stderr, "child open: %s\n", err);
        _exit(3);
    }
    uint64_t rng = seed | 1;
    uint64_t last = journal_last_seq(j);
    if (write_all(report_fd, &last, sizeof last) != 0) _exit(4); /* "I am running" */
    for (;;) {
        uint64_t batch = next_rand(&rng) % 4 == 0 ? 3000 : 1 + next_rand(&rng) % 300;
        if (tj_append_upto(j, journal_last_seq(j) + batch) != JOURNAL_OK) _exit(5);
        if (journal_flush(j, err, sizeof err) != JOURNAL_OK) _exit(6);
        if (next_rand(&rng) % 8 == 0 && journal_sync(j, err, sizeof err) != JOURNAL_OK) _exit(7);
        last = journal_flushed_seq(j);
        /* 8 bytes < PIPE_BUF: the report is atomic, never half-written. */
        if (write_all(report_fd, &last, sizeof last) != 0) _exit(8);
    }
}

static void sleep_us(uint64_t us) {
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000u),
                          .tv_nsec = (long)(us % 1000000u) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void test_sigkill_never_loses_flushed_records(void **state) {
    (void)state;
    char *dir = tj_mkdtemp();
    assert_non_null(dir);
    char *path = tj_path(dir, "trader.journal");
    uint64_t seed = 0x5EEDF00Dull;
    const char *env = getenv("JOURNAL_CRASH_SEED");
    if (env && *env) seed = strtoull(env, NULL, 0);
    print_message("journal crash test seed %llu\n", (unsigned long long)seed);
    uint64_t rng = seed | 1;
    uint64_t torn_recoveries = 0, prev_last = 0, total_records = 0;

    for (int it = 0; it < ITERATIONS; it++) {
        if (it % KILLS_PER_FILE == 0) {
            unlink(path);
            prev_last = 0;
        }
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        uint64_t child_seed = next_rand(&rng);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_main(path, fds[1], child_seed);
        }
        close(fds[1]);

        /* Wait until the child has opened the journal, then let it run for
         * 0..4 ms before the kill. */
        uint64_t reported = 0, value;
        ssize_t n = read(fds[0], &value, sizeof value);
        assert_int_equal(n, (ssize_t)sizeof value);
        assert_int_equal(value, prev_last); /* it recovered exactly what we verified */
        reported = value;
        sleep_us(next_rand(&rng) % 4000);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("child did not die by SIGKILL (status %d); it failed on its own", status);
        while ((n = read(fds[0], &value, sizeof value)) == (ssize_t)sizeof value) reported = value;
        assert_true(n == 0);
        close(fds[0]);

        journal *j = NULL;
        journal_open_info info;
        char err[512];
        int rc = journal_open(&j, path, NULL, &info, err, sizeof err);
        if (rc != JOURNAL_OK) fail_msg("iteration %d: reopen failed: %s", it, err);
        if (info.truncated_bytes) torn_recoveries++;
        if (info.last_seq < reported)
            fail_msg("iteration %d: child flushed seq %llu but journal ends at %llu", it,
                     (unsigned long long)reported, (unsigned long long)info.last_seq);
        tj_check c = {.next = 1};
        assert_int_equal(journal_replay(j, tj_check_cb, &c, err, sizeof err), JOURNAL_OK);
        assert_int_equal(c.bad, 0);
        assert_int_equal(c.count, info.last_seq);
        total_records += info.last_seq - prev_last;
        prev_last = info.last_seq;
        journal_close(j);
    }
    print_message("journal crash test: %d kills, %llu torn tails recovered, %llu records\n",
                  ITERATIONS, (unsigned long long)torn_recoveries,
                  (unsigned long long)total_records);
    tj_rmtree(dir);
    free(path);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_never_loses_flushed_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
