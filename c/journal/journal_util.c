/* Error text and status names. */
#include <stdarg.h>
#include <stdio.h>

#include "journal/journal_internal.h"

int journal_errf(char *err, size_t errlen, int status, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *journal_status_name(int status) {
    switch (status) {
    case JOURNAL_OK: return "ok";
    case JOURNAL_ERR_IO: return "io";
    case JOURNAL_ERR_CORRUPT: return "corrupt";
    case JOURNAL_ERR_LOCKED: return "locked";
    case JOURNAL_ERR_ARG: return "bad-argument";
    case JOURNAL_ERR_NOMEM: return "no-memory";
    case JOURNAL_ERR_FAILED: return "failed";
    case JOURNAL_ERR_STOPPED: return "stopped";
    default: return "unknown";
    }
}
