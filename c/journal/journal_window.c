/* A buffered view of a file read with pread(). The writer's open scan and
 * the reader both walk records through it; the reader resets it whenever
 * what it holds might be stale (a tail the writer was still writing). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal/journal_internal.h"

int journal_window_init(journal_window *w, int fd, size_t chunk) {
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->chunk = chunk ? chunk : 64 * 1024;
    w->data = malloc(w->chunk);
    if (!w->data) return -1;
    w->cap = w->chunk;
    return 0;
}

void journal_window_free(journal_window *w) {
    free(w->data);
    w->data = NULL;
    w->cap = w->len = 0;
}

void journal_window_reset(journal_window *w) {
    w->base = 0;
    w->len = 0;
}

ssize_t journal_window_get(journal_window *w, uint64_t off, size_t n, const uint8_t **p) {
    if (off >= w->base && off - w->base <= w->len && n <= w->len - (off - w->base)) {
        *p = w->data + (off - w->base);
        return (ssize_t)n;
    }
    if (off >= w->base && off - w->base <= w->len) {
        /* Keep the bytes we already have from off on; read the rest. */
        size_t skip = (size_t)(off - w->base);
        memmove(w->data, w->data + skip, w->len - skip);
        w->len -= skip;
    } else {
        w->len = 0;
    }
    w->base = off;
    size_t want = n > w->chunk ? n : w->chunk;
    if (want > w->cap) {
        uint8_t *bigger = realloc(w->data, want);
        if (!bigger) {
            errno = ENOMEM;
            return -1;
        }
        w->data = bigger;
        w->cap = want;
    }
    while (w->len < n) {
        ssize_t r = pread(w->fd, w->data + w->len, w->cap - w->len, (off_t)(w->base + w->len));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break; /* end of file */
        w->len += (size_t)r;
    }
    *p = w->data;
    return (ssize_t)(w->len < n ? w->len : n);
}
