/* fuzz_util.h - small helpers shared by the fuzz targets (and by
 * tests/c/test_fuzz_regress.c, which compiles the targets into one test).
 *
 * Why copy: a frame or field found in the middle of the fuzz input has the
 * rest of the input after it, so a parser that reads one byte too far would
 * still read valid memory. Copying each unit into a heap block of exactly its
 * size lets AddressSanitizer see such an over-read. */
#ifndef TRADER_FUZZ_UTIL_H
#define TRADER_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An exact-size heap copy of p[0..n) (one byte for n == 0); aborts on OOM
 * so the fuzzer reports it instead of silently skipping the input. */
static inline char *fuzz_dup(const void *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (c == NULL)
        abort();
    if (n)
        memcpy(c, p, n);
    return c;
}

/* A broken invariant: print why and abort, which libFuzzer records as a
 * crash with its reproducer. */
#define FUZZ_CHECK(cond, ...)                                                          \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz invariant failed at %s:%d: %s: ", __FILE__, __LINE__, \
                    #cond);                                                            \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            abort();                                                                   \
        }                                                                              \
    } while (0)

#endif
