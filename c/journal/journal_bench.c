/* See journal_bench.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal/journal.h"
#include "journal/journal_bench.h"
#include "journal/journal_internal.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int journal_bench_run(const char *path, const journal_bench_params *params,
                      journal_bench_result *result, char *err, size_t errlen) {
    memset(result, 0, sizeof *result);
    if (params->payload_bytes > JOURNAL_MAX_PAYLOAD)
        return journal_errf(err, errlen, JOURNAL_ERR_ARG, "payload too large");
    struct stat st;
    if (stat(path, &st) == 0)
        return journal_errf(err, errlen, JOURNAL_ERR_ARG,
                            "benchmark journal %s already exists; refusing to touch it", path);

    uint8_t *payload = malloc(params->payload_bytes ? params->payload_bytes : 1);
    if (!payload) return journal_errf(err, errlen, JOURNAL_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < params->payload_bytes; i++) payload[i] = (uint8_t)(i * 31u + 7u);

    journal *j;
    int rc = journal_open(&j, path, NULL, NULL, err, errlen);
    if (rc != JOURNAL_OK) {
        free(payload);
        return rc;
    }
    uint32_t per_flush = params->records_per_flush ? params->records_per_flush : 1;
    uint64_t start = now_ns();
    for (uint64_t i = 0; i < params->records && rc == JOURNAL_OK; i++) {
        /* Vary the first bytes so each record's checksum is real work. */
        memcpy(payload, &i, params->payload_bytes < sizeof i ? params->payload_bytes : sizeof i);
        rc = journal_append(j, 1, payload, params->payload_bytes, NULL, err, errlen);
        if (rc == JOURNAL_OK && ((i + 1) % per_flush == 0 || i + 1 == params->records)) {
            rc = journal_flush(j, err, errlen);
            result->flushes++;
            if (rc == JOURNAL_OK && params->flushes_per_sync &&
                (result->flushes % params->flushes_per_sync == 0 || i + 1 == params->records)) {
                rc = journal_sync(j, err, errlen);
                result->syncs++;
            }
        }
    }
    uint64_t end = now_ns();
    result->records = journal_last_seq(j);
    result->bytes = journal_file_bytes(j);
    result->elapsed_ns = end - start;
    if (result->elapsed_ns)
        result->records_per_sec = (double)result->records * 1e9 / (double)result->elapsed_ns;
    journal_close(j);
    if (unlink(path) != 0 && rc == JOURNAL_OK)
        rc = journal_errf(err, errlen, JOURNAL_ERR_IO, "unlink %s: %s", path, strerror(errno));
    free(payload);
    return rc;
}
