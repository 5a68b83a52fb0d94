/* Throughput benchmark of the journal write path, for `make bench`.
 *
 * Appends `records` records of `payload_bytes` each, flushing every
 * `records_per_flush` records (one event-loop iteration's worth) and, if
 * flushes_per_sync > 0, calling fdatasync every that many flushes (group
 * commit run inline, the worst case for the loop thread). The journal is
 * created at `path`, which must not exist, and removed afterwards. */
#ifndef TRADER_JOURNAL_BENCH_H
#define TRADER_JOURNAL_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t records;
    uint32_t payload_bytes;
    uint32_t records_per_flush; /* 0 means 1 */
    uint32_t flushes_per_sync;  /* 0: never fdatasync */
} journal_bench_params;

typedef struct {
    uint64_t records;
    uint64_t flushes;
    uint64_t syncs;
    uint64_t bytes;          /* file size at the end */
    uint64_t elapsed_ns;     /* CLOCK_MONOTONIC, first append to last flush/sync */
    double records_per_sec;  /* a rate for a report, never used in a risk path */
} journal_bench_result;

int journal_bench_run(const char *path, const journal_bench_params *params,
                      journal_bench_result *result, char *err, size_t errlen);

#endif
