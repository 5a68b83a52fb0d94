/* quoter.h - the C quoting strategy: post-only two-sided quotes with
 * inventory skew, for the venues the trader runs itself (paper, binance,
 * ibkr).
 *
 * Pure: marks and reports in, place/cancel requests out through the
 * callbacks the app provides (which run every order through the risk engine
 * first).  For each configured instrument it keeps at most one bid and one
 * ask resting:
 *
 *   reservation = mark * (1 - skew_bps * inventory / max_inventory / 1e4)
 *   bid = floor_tick(reservation * (1 - half_spread_bps / 1e4))
 *   ask =  ceil_tick(reservation * (1 + half_spread_bps / 1e4))
 *
 * A resting order within tolerance_bps of its target is left alone, so it
 * keeps its queue position; otherwise it is cancelled and replaced.  The side
 * that would push inventory past max_inventory is not quoted. */
#ifndef TRADER_STRATEGY_QUOTER_H
#define TRADER_STRATEGY_QUOTER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/instrument.h"
#include "venues/venue.h"

#define QUOTER_MAX_LINES 16

struct quote_line_config {
    uint32_t inst;
    int64_t size;              /* qty per quote, instrument qty scale */
    int64_t max_inventory;     /* |position| cap the quoter aims for, qty scale */
    int32_t half_spread_bps;
    int32_t skew_bps;          /* reservation shift at full inventory */
    int32_t tolerance_bps;     /* keep a resting order this close to its target */
    int32_t min_requote_ms;    /* never replace an order younger than this */
};

struct quoter_config {
    bool enabled;
    int n_lines;
    struct quote_line_config lines[QUOTER_MAX_LINES];
};

struct quoter_actions {
    void *ctx;
    /* Returns the reservation id (> 0) if the order passed risk and was
     * sent, 0 if risk rejected it or the venue could not take it. */
    uint64_t (*place)(void *ctx, const struct venue_order *o);
    void (*cancel)(void *ctx, uint32_t inst, uint64_t res);
};

struct quoter_order {
    uint64_t res;              /* 0 = none */
    int64_t px;
    int64_t placed_ns;
    int64_t filled;
    bool cancelling;
};

/* What the risk engine lets a line do (its instrument's effective state:
 * the strictest of global, venue and market). */
enum quote_line_state { QUOTE_ACTIVE = 0, QUOTE_REDUCE_ONLY = 1, QUOTE_HALTED = 2 };

struct quote_line {
    struct quote_line_config cfg;
    enum quote_line_state state;
    int64_t inventory;         /* from our own fills */
    int64_t mark;
    struct quoter_order bid, ask;
};

struct quoter {
    const struct instrument_registry *reg;
    struct quoter_actions act;
    int n_lines;
    struct quote_line lines[QUOTER_MAX_LINES];
    uint64_t next_cid;
    bool paused;               /* trading state not ACTIVE: no new quotes */
};

void quoter_init(struct quoter *q, const struct instrument_registry *reg,
                 const struct quoter_config *cfg, struct quoter_actions act);

/* A new mark for inst: re-evaluates that line's quotes. */
void quoter_on_mark(struct quoter *q, uint32_t inst, int64_t px, int64_t now_ns);

/* A venue report for one of our reservations (others are ignored). */
void quoter_on_report(struct quoter *q, const struct venue_report *r);

/* Pause (cancel everything, place nothing) or resume quoting. */
void quoter_set_paused(struct quoter *q, bool paused);

/* The trading state of inst's line.  REDUCE_ONLY keeps quoting only the
 * side that brings the inventory back toward zero (a maker exit), and
 * cancels the other; HALTED cancels both.  Without it the quoter would keep
 * sending orders that the risk engine can only refuse. */
void quoter_set_line_state(struct quoter *q, uint32_t inst, enum quote_line_state state);

/* Sets the inventory of inst (e.g. from the risk engine after a restart). */
void quoter_set_inventory(struct quoter *q, uint32_t inst, int64_t qty);

#endif
