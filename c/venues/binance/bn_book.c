/* bn_book.c - see bn_book.h. */
#include "venues/binance/bn_book.h"

#include <stdlib.h>
#include <string.h>

int bn_book_init(struct bn_book *b, int max_pending)
{
    memset(b, 0, sizeof *b);
    b->bids.bids = true;
    b->max_pend = max_pending > 0 ? max_pending : 1000;
    return 0;
}

void bn_book_free(struct bn_book *b)
{
    free(b->bids.lv);
    free(b->asks.lv);
    free(b->pend);
    free(b->pend_lv);
    memset(b, 0, sizeof *b);
}

static void drop_pending(struct bn_book *b)
{
    b->n_pend = 0;
    b->n_pend_lv = 0;
}

void bn_book_reset(struct bn_book *b)
{
    b->bids.n = 0;
    b->asks.n = 0;
    b->state = BN_BOOK_EMPTY;
    b->last_id = 0;
    drop_pending(b);
}

/* "a is nearer the end than b": ascending for bids, descending for asks. */
static inline bool before(const struct bn_side *s, int64_t a, int64_t b)
{
    return s->bids ? a < b : a > b;
}

int bn_book_set(struct bn_side *s, int64_t px, int64_t qty)
{
    /* Search from the top (the end): most changes are within a few levels. */
    int lo = 0, hi = s->n;
    if (s->n > 0 && !before(s, px, s->lv[s->n - 1].px)) {
        /* at or beyond the top: the common case, no search */
        lo = s->lv[s->n - 1].px == px ? s->n - 1 : s->n;
    } else {
        while (lo < hi) {
            int mid = (lo + hi) >> 1;
            if (before(s, s->lv[mid].px, px))
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    /* lo = first index whose px is not before px */
    bool found = lo < s->n && s->lv[lo].px == px;
    if (qty == 0) {
        if (found) {
            memmove(&s->lv[lo], &s->lv[lo + 1], (size_t)(s->n - lo - 1) * sizeof s->lv[0]);
            s->n--;
        }
        return 0;
    }
    if (found) {
        s->lv[lo].qty = qty;
        return 0;
    }
    if (s->n == s->cap) {
        int cap = s->cap > 0 ? s->cap * 2 : 256;
        struct bn_level *lv = realloc(s->lv, (size_t)cap * sizeof *lv);
        if (lv == NULL)
            return -1;
        s->lv = lv;
        s->cap = cap;
    }
    memmove(&s->lv[lo + 1], &s->lv[lo], (size_t)(s->n - lo) * sizeof s->lv[0]);
    s->lv[lo].px = px;
    s->lv[lo].qty = qty;
    s->n++;
    return 0;
}

static int apply_levels(struct bn_book *b, const struct bn_level *lv, int n_bids, int n_asks)
{
    for (int i = 0; i < n_bids; i++)
        if (bn_book_set(&b->bids, lv[i].px, lv[i].qty) != 0)
            return -1;
    for (int i = 0; i < n_asks; i++)
        if (bn_book_set(&b->asks, lv[n_bids + i].px, lv[n_bids + i].qty) != 0)
            return -1;
    return 0;
}

static enum bn_book_rc apply_synced(struct bn_book *b, uint64_t first, uint64_t last,
                                    const struct bn_level *lv, int nb, int na)
{
    if (last <= b->last_id)
        return BN_BOOK_STALE;
    if (first > b->last_id + 1) {
        b->gaps++;
        bn_book_reset(b);
        return BN_BOOK_GAP;
    }
    if (apply_levels(b, lv, nb, na) != 0) {
        bn_book_reset(b);
        return BN_BOOK_NOMEM;
    }
    b->last_id = last;
    return BN_BOOK_OK;
}

static enum bn_book_rc buffer_diff(struct bn_book *b, const struct bn_diff *d)
{
    if (b->n_pend >= b->max_pend) {
        drop_pending(b);
        return BN_BOOK_OVERFLOW;
    }
    int n = d->n_bids + d->n_asks;
    if (b->n_pend == b->cap_pend) {
        int cap = b->cap_pend > 0 ? b->cap_pend * 2 : 64;
        void *p = realloc(b->pend, (size_t)cap * sizeof b->pend[0]);
        if (p == NULL)
            return BN_BOOK_NOMEM;
        b->pend = p;
        b->cap_pend = cap;
    }
    if (b->n_pend_lv + n > b->cap_pend_lv) {
        int cap = b->cap_pend_lv > 0 ? b->cap_pend_lv : 512;
        while (cap < b->n_pend_lv + n)
            cap *= 2;
        struct bn_level *p = realloc(b->pend_lv, (size_t)cap * sizeof *p);
        if (p == NULL)
            return BN_BOOK_NOMEM;
        b->pend_lv = p;
        b->cap_pend_lv = cap;
    }
    if (n > 0)
        memcpy(&b->pend_lv[b->n_pend_lv], d->lv, (size_t)n * sizeof *d->lv);
    b->pend[b->n_pend].first_id = d->first_id;
    b->pend[b->n_pend].last_id = d->last_id;
    b->pend[b->n_pend].off = b->n_pend_lv;
    b->pend[b->n_pend].n_bids = d->n_bids;
    b->pend[b->n_pend].n_asks = d->n_asks;
    b->n_pend++;
    b->n_pend_lv += n;
    return BN_BOOK_OK;
}

enum bn_book_rc bn_book_on_diff(struct bn_book *b, const struct bn_diff *d)
{
    if (b->state == BN_BOOK_SYNCED)
        return apply_synced(b, d->first_id, d->last_id, d->lv, d->n_bids, d->n_asks);
    /* While buffering, a break in the stream itself (U != previous u + 1)
     * would make any snapshot useless: start the buffer over from here. */
    if (b->n_pend > 0 && d->first_id != b->pend[b->n_pend - 1].last_id + 1) {
        b->gaps++;
        drop_pending(b);
    }
    return buffer_diff(b, d);
}

int bn_book_pending(const struct bn_book *b) { return b->n_pend; }

uint64_t bn_book_first_pending_id(const struct bn_book *b)
{
    return b->n_pend > 0 ? b->pend[0].first_id : 0;
}

enum bn_book_rc bn_book_on_snapshot(struct bn_book *b, uint64_t last_update_id,
                                    const struct bn_level *bids, int n_bids,
                                    const struct bn_level *asks, int n_asks)
{
    /* Step 3 of the procedure: the snapshot must not predate the buffer. */
    if (b->n_pend > 0 && last_update_id < b->pend[0].first_id)
        return BN_BOOK_SNAPSHOT_OLD;
    b->bids.n = 0;
    b->asks.n = 0;
    for (int i = 0; i < n_bids; i++)
        if (bids[i].qty != 0 && bn_book_set(&b->bids, bids[i].px, bids[i].qty) != 0)
            goto nomem;
    for (int i = 0; i < n_asks; i++)
        if (asks[i].qty != 0 && bn_book_set(&b->asks, asks[i].px, asks[i].qty) != 0)
            goto nomem;
    b->last_id = last_update_id;
    b->state = BN_BOOK_SYNCED;
    bool first = true;
    for (int i = 0; i < b->n_pend; i++) {
        uint64_t U = b->pend[i].first_id, u = b->pend[i].last_id;
        if (u <= b->last_id)
            continue;
        /* The first diff kept must straddle the snapshot id. */
        if (first && !(U <= b->last_id + 1 && b->last_id + 1 <= u)) {
            b->gaps++;
            bn_book_reset(b);
            return BN_BOOK_GAP;
        }
        first = false;
        enum bn_book_rc rc = apply_synced(b, U, u, &b->pend_lv[b->pend[i].off],
                                          b->pend[i].n_bids, b->pend[i].n_asks);
        if (rc == BN_BOOK_GAP || rc == BN_BOOK_NOMEM)
            return rc;
    }
    drop_pending(b);
    b->resyncs++;
    return BN_BOOK_OK;
nomem:
    bn_book_reset(b);
    return BN_BOOK_NOMEM;
}

bool bn_book_best(const struct bn_book *b, int64_t *bid, int64_t *ask)
{
    if (b->bids.n == 0 || b->asks.n == 0)
        return false;
    *bid = b->bids.lv[b->bids.n - 1].px;
    *ask = b->asks.lv[b->asks.n - 1].px;
    return true;
}

int64_t bn_book_mid(const struct bn_book *b, int64_t tick)
{
    int64_t bid, ask;
    if (b->state != BN_BOOK_SYNCED || !bn_book_best(b, &bid, &ask) || bid >= ask)
        return 0;
    int64_t mid = bid + (ask - bid) / 2;
    if (tick > 0)
        mid -= mid % tick;
    return mid;
}
