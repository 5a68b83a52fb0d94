/* bn_book.h - the local order book of one symbol, kept by Binance's
 * documented procedure (web-socket-streams.md "How to manage a local order
 * book correctly"):
 *
 *   1. diffs from the stream are buffered until a REST snapshot arrives;
 *   2. a snapshot older than the first buffered diff (lastUpdateId < U) is
 *      useless: fetch another;
 *   3. buffered diffs with u <= lastUpdateId are dropped; the first one kept
 *      must straddle it (U <= lastUpdateId + 1 <= u);
 *   4. afterwards each diff with u <= book id is ignored, one with
 *      U > book id + 1 is a gap: the book is discarded and rebuilt.
 *
 * Pure: no I/O, no JSON, no clocks.  Prices and quantities are int64 at the
 * instrument's scales.  Each side is a sorted array with the best level at
 * the END (bids ascending, asks descending), because almost every change is
 * near the top and that keeps the memmove of an insert or delete short. */
#ifndef TRADER_VENUES_BINANCE_BOOK_H
#define TRADER_VENUES_BINANCE_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bn_level {
    int64_t px;
    int64_t qty;
};

struct bn_side {
    struct bn_level *lv;
    int n, cap;
    bool bids;               /* true: ascending (best = highest = last) */
};

/* One diff event: n_bids bid levels then n_asks ask levels in lv. */
struct bn_diff {
    uint64_t first_id;       /* U */
    uint64_t last_id;        /* u */
    const struct bn_level *lv;
    int n_bids, n_asks;
};

enum bn_book_state {
    BN_BOOK_EMPTY = 0,       /* no snapshot: diffs are buffered */
    BN_BOOK_SYNCED = 1,
};

enum bn_book_rc {
    BN_BOOK_OK = 0,          /* applied (or buffered) */
    BN_BOOK_STALE = 1,       /* older than the book: ignored */
    BN_BOOK_GAP = -1,        /* continuity broken: the book was reset, resync */
    BN_BOOK_NOMEM = -2,
    BN_BOOK_SNAPSHOT_OLD = -3,   /* snapshot predates the buffered diffs: fetch again */
    BN_BOOK_OVERFLOW = -4,   /* too many diffs buffered while waiting: reset */
};

struct bn_book {
    struct bn_side bids, asks;
    enum bn_book_state state;
    uint64_t last_id;        /* id of the last change applied */
    /* diffs waiting for a snapshot: headers + their levels */
    struct { uint64_t first_id, last_id; int off, n_bids, n_asks; } *pend;
    int n_pend, cap_pend, max_pend;
    struct bn_level *pend_lv;
    int n_pend_lv, cap_pend_lv;
    uint64_t gaps, resyncs;  /* counters for logs and status */
};

/* max_pending caps the diffs buffered while waiting for a snapshot. */
int bn_book_init(struct bn_book *b, int max_pending);
void bn_book_free(struct bn_book *b);

/* Forget everything (the next snapshot starts over). */
void bn_book_reset(struct bn_book *b);

/* A diff from the stream: buffered while EMPTY, applied while SYNCED. */
enum bn_book_rc bn_book_on_diff(struct bn_book *b, const struct bn_diff *d);

/* Number of diffs buffered, and the U of the first (0 if none). */
int bn_book_pending(const struct bn_book *b);
uint64_t bn_book_first_pending_id(const struct bn_book *b);

/* A REST snapshot (lastUpdateId + levels); replays the buffered diffs.
 * OK -> SYNCED; SNAPSHOT_OLD -> still EMPTY with the buffer kept (fetch
 * again); GAP -> the buffered diffs do not join the snapshot (reset). */
enum bn_book_rc bn_book_on_snapshot(struct bn_book *b, uint64_t last_update_id,
                                    const struct bn_level *bids, int n_bids,
                                    const struct bn_level *asks, int n_asks);

/* Sets one level directly (qty 0 deletes). */
int bn_book_set(struct bn_side *s, int64_t px, int64_t qty);

/* Best bid/ask (false when that side is empty). */
bool bn_book_best(const struct bn_book *b, int64_t *bid, int64_t *ask);

/* Mid rounded down to a multiple of tick (0 if one side is empty or the
 * book is crossed, which a synced Binance book never is). */
int64_t bn_book_mid(const struct bn_book *b, int64_t tick);

#endif
