/* test_fuzz_regress.c - replays the fuzz inputs through the fuzz targets'
 * own entry points, in the ordinary release and ASan+UBSan test builds:
 *
 *   fuzz/regress/<target>/  every input a fuzzing campaign found crashing,
 *                           kept once fixed (docs/RELIABILITY.md);
 *   fuzz/corpus/<target>/   the seeds (valid and invalid protocol vectors,
 *                           configs, captured Binance and TWS messages).
 *
 * The targets are compiled into this test (each entry point renamed), so the
 * properties they check (round trips, book order, registry consistency)
 * hold for the replayed inputs here too; a broken one aborts the test. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#define LLVMFuzzerTestOneInput fuzz_ipc_one
#include "../../fuzz/ipc_fuzz.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../../fuzz/config_fuzz.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_binance_one
#include "../../fuzz/binance_fuzz.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_tws_one
#include "../../fuzz/tws_fuzz.c"
#undef LLVMFuzzerTestOneInput

typedef int (*fuzz_entry_fn)(const uint8_t *data, size_t size);

static const char *source_dir(void)
{
    const char *src = getenv("TRADER_SOURCE_DIR");
    return src != NULL ? src : TRADER_SOURCE_DIR;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Runs every regular file of <source>/fuzz/<kind>/<target>/; returns how
 * many (0 when the directory does not exist). */
static int replay_dir(const char *kind, const char *target, fuzz_entry_fn fn)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", source_dir(), kind, target);
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        size_t len = 0;
        uint8_t *data = read_all(path, &len);
        if (data == NULL)
            fail_msg("cannot read %s", path);
        /* a crash or a broken property aborts here, naming nothing: print
         * the file first so the failing input is known */
        fprintf(stderr, "replay %s\n", path);
        assert_int_equal(fn(data, len), 0);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

static void replay(const char *target, fuzz_entry_fn fn, int min_seeds)
{
    int seeds = replay_dir("corpus", target, fn);
    int regress = replay_dir("regress", target, fn);
    fprintf(stderr, "%s: %d seeds, %d regression inputs\n", target, seeds, regress);
    /* an empty or missing seed directory must not pass silently */
    assert_true(seeds >= min_seeds);
}

static void test_ipc(void **state)
{
    (void)state;
    replay("ipc", fuzz_ipc_one, 100);
}

static void test_config(void **state)
{
    (void)state;
    replay("config", fuzz_config_one, 4);
}

static void test_binance(void **state)
{
    (void)state;
    replay("binance", fuzz_binance_one, 30);
}

static void test_tws(void **state)
{
    (void)state;
    replay("tws", fuzz_tws_one, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipc),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_binance),
        cmocka_unit_test(test_tws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
