/* paper.h - the paper venue: an in-process exchange that fills orders
 * against marks.
 *
 * Marks come from the app (marks any venue or IPC client reports for the
 * instrument) or from a seeded random walk the paper venue runs itself
 * for instruments configured with one.  A resting buy fills when the mark
 * trades at or through its price (a maker fill at the order's price); an
 * order marketable on arrival fills at once at the mark (a taker fill),
 * unless it is post-only, which is rejected.  Fills come in clips of at
 * most half the order (at least one lot), so partial fills happen. */
#ifndef TRADER_VENUES_PAPER_H
#define TRADER_VENUES_PAPER_H

#include <stdint.h>
#include <uv.h>

#include "core/log.h"
#include "venues/venue.h"

#define PAPER_MAX_ORDERS 1024
#define PAPER_MAX_WALKS 32

struct paper_walk_config {
    uint32_t inst;
    int64_t start_px;        /* instrument price scale */
    int32_t step_ticks;      /* max ticks per step */
    int32_t interval_ms;
};

struct paper_config {
    int32_t maker_fee_bps;   /* may be negative: a rebate */
    int32_t taker_fee_bps;
    uint64_t seed;
    int n_walks;
    struct paper_walk_config walks[PAPER_MAX_WALKS];
};

/* Creates the paper venue on the app's loop; reports go to sink. */
int paper_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                       const struct paper_config *cfg, const struct logger *log,
                       struct venue_sink sink, struct venue **out);

/* Feeds a mark (from any source) into the paper matcher. */
void paper_venue_on_mark(struct venue *v, uint32_t inst, int64_t px, int64_t ts_ns);

#endif
