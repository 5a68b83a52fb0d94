/* risk_window.c -- order-rate and cancel-to-fill windows.
 *
 * Order rate: an exact sliding window in O(1). The ring keeps the accept
 * times of the last max_orders orders; one more order fits iff the ring is
 * not full or its oldest entry has left the window.
 *
 * Cancel-to-fill: counts in RISK_CF_BUCKETS time buckets spanning the
 * window (bucket width = window / RISK_CF_BUCKETS), so the window slides in
 * steps of one bucket. */
#include <stdlib.h>
#include <string.h>

#include "risk/risk_internal.h"

int risk_rate_resize(struct risk_rate_ring *r, uint32_t cap) {
    if (cap == r->cap) return 0;
    int64_t *ts = NULL;
    if (cap > 0) {
        ts = calloc(cap, sizeof *ts);
        if (ts == NULL) return -1;
        /* Keep the newest history that fits, oldest first. */
        uint32_t keep = r->count < cap ? r->count : cap;
        for (uint32_t k = 0; k < keep; k++) {
            uint32_t src = (r->w + r->cap - keep + k) % r->cap;
            ts[k] = r->ts[src];
        }
        free(r->ts);
        r->ts = ts;
        r->cap = cap;
        r->count = keep;
        r->w = keep % cap;
        return 0;
    }
    risk_rate_free(r);
    return 0;
}

void risk_rate_free(struct risk_rate_ring *r) {
    free(r->ts);
    memset(r, 0, sizeof *r);
}

bool risk_rate_full(const struct risk_rate_ring *r, int64_t now_ns, int64_t window_ns) {
    if (r->cap == 0 || r->count < r->cap) return false;
    int64_t oldest = r->ts[r->w];
    return now_ns - oldest < window_ns;
}

void risk_rate_push(struct risk_rate_ring *r, int64_t now_ns) {
    if (r->cap == 0) return;
    r->ts[r->w] = now_ns;
    r->w = (r->w + 1) % r->cap;
    if (r->count < r->cap) r->count++;
}

uint32_t risk_rate_count(const struct risk_rate_ring *r, int64_t now_ns, int64_t window_ns) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < r->count; k++) {
        uint32_t i = (r->w + r->cap - 1 - k) % r->cap;
        if (now_ns - r->ts[i] < window_ns) n++;
    }
    return n;
}

static int64_t bucket_width_ns(int64_t window_ms) {
    int64_t w = window_ms * RISK_NS_PER_MS / RISK_CF_BUCKETS;
    return w > 0 ? w : 1;
}

void risk_cf_record(struct risk_venue *v, int64_t window_ms, int64_t now_ns, int is_fill) {
    int64_t width = bucket_width_ns(window_ms);
    int64_t epoch = now_ns / width;
    struct risk_cf_bucket *b = &v->cf[(uint64_t)epoch % RISK_CF_BUCKETS];
    if (b->epoch != epoch) {
        b->epoch = epoch;
        b->cancels = 0;
        b->fills = 0;
    }
    if (is_fill) {
        if (b->fills < UINT32_MAX) b->fills++;
    } else {
        if (b->cancels < UINT32_MAX) b->cancels++;
    }
}

void risk_cf_sum(const struct risk_venue *v, int64_t window_ms, int64_t now_ns, uint64_t *cancels,
                 uint64_t *fills) {
    int64_t epoch = now_ns / bucket_width_ns(window_ms);
    uint64_t c = 0, f = 0;
    for (int k = 0; k < RISK_CF_BUCKETS; k++) {
        const struct risk_cf_bucket *b = &v->cf[k];
        if (b->epoch <= epoch && b->epoch > epoch - RISK_CF_BUCKETS && (b->cancels || b->fills)) {
            c += b->cancels;
            f += b->fills;
        }
    }
    *cancels = c;
    *fills = f;
}
