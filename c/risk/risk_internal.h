/* risk_internal.h -- the engine's state, shared by the source files of c/risk.
 * Not part of the public API: callers use risk.h. */
#ifndef TRADER_RISK_INTERNAL_H
#define TRADER_RISK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/instrument.h"
#include "core/money.h"
#include "risk/risk.h"
#include "risk/risk_map.h"

#define RISK_NS_PER_MS 1000000LL
#define RISK_NS_PER_DAY (86400LL * 1000 * RISK_NS_PER_MS)
#define RISK_CF_BUCKETS 60
#define RISK_DEDUPE_CAP 8192
#define RISK_VENUE_ORDER_ID_CAP 80
#define RISK_NO_INDEX UINT32_MAX
/* Exposure counted for a market whose figures do not fit (fail closed):
 * $10M, far past any limit yet summable without overflow. */
#define RISK_EXPOSURE_SENTINEL ((usd_t)1000000000000000LL)

/* Each reason is an independent hold; the scope's state is the maximum. */
struct risk_holds {
    uint8_t hold[RISK_REASON_COUNT];
    uint8_t state;
};

/* Per instrument: the position and the open orders' worst case. */
struct risk_inst {
    int64_t qty;           /* signed, qty scale */
    int64_t cost;          /* signed cost basis, quote ccy at scale 8 */
    int64_t buy_qty;       /* open (reserved) buy quantity */
    int64_t buy_notional;  /* open buys at their limit, quote scale 8, rounded up */
    int64_t sell_qty;
    int64_t sell_notional;
    int64_t mark;          /* price scale; valid when has_mark */
    int64_t mark_ns;
    usd_t realized;        /* net of fees, cumulative */
    usd_t fees;
    usd_t unrealized;      /* cached at the latest mark */
    bool has_mark;
};

/* Aggregates kept for a market, a venue and globally. */
struct risk_agg {
    usd_t exposure;   /* sum of worst-case market exposure */
    usd_t unrealized;
    usd_t realized;   /* net of fees, cumulative */
    usd_t fees;
    usd_t day_base;   /* realized + unrealized at the last daily reset */
    int64_t positions; /* markets counted as open */
    struct risk_holds holds;
};

struct risk_market {
    struct risk_agg agg; /* exposure = this market's worst case */
    usd_t rt_start;      /* realized when the current round trip opened */
    usd_t max_position;  /* override or RISK_UNLIMITED */
    usd_t max_order_notional;
    uint32_t open_orders;
    bool open;           /* counted toward concurrent positions */
    bool held;           /* some outcome has a non-zero position */
    bool resolved;
    bool stopped;        /* position stop latched (edge detection) */
};

struct risk_rate_ring {
    int64_t *ts; /* accept times of the last `cap` orders */
    uint32_t cap;
    uint32_t count;
    uint32_t w;  /* next write index; the oldest when full */
};

struct risk_cf_bucket {
    int64_t epoch;
    uint32_t cancels;
    uint32_t fills;
};

struct risk_venue {
    struct risk_agg agg;
    struct risk_rate_ring rate;
    struct risk_cf_bucket cf[RISK_CF_BUCKETS];
};

struct risk_res {
    uint64_t id; /* 0 = free slot */
    uint32_t instrument;
    uint32_t next_free;
    uint8_t side;
    uint8_t acked;
    int64_t price;
    int64_t qty_left;
    int64_t notional_left; /* quote scale 8, what this order adds to buy/sell_notional */
    int64_t created_ns;
    char venue_order_id[RISK_VENUE_ORDER_ID_CAP];
};

struct risk_engine {
    struct risk_limits lim;
    struct instrument_registry reg;
    struct risk_inst *inst;    /* [reg.cap] */
    struct risk_market *mkt;   /* [reg.cap] */
    struct risk_venue venue[VENUE_COUNT];
    struct risk_agg g;
    usd_t peak_equity;
    int64_t loss_streak;
    int64_t breaker_until_ns;

    struct risk_res *res;
    uint32_t res_cap;
    uint32_t res_count;
    uint32_t res_free;
    uint64_t next_res_id;
    struct risk_map res_index; /* id -> slot */
    struct risk_dedupe fills_seen;

    struct risk_event events[RISK_EVENT_QUEUE_CAP];
    uint32_t ev_head;
    uint32_t ev_count;
    uint64_t ev_seq;
    uint64_t ev_dropped;

    int64_t next_reset_ns;
    bool day_started;
};

/* ---- risk_exposure.c ---- */
/* One outcome's figures as the exposure formulas see them. */
struct risk_leg {
    int64_t qty, cost, buy_qty, buy_notional, sell_qty, sell_notional, mark;
    bool has_mark;
};
void risk_leg_from_inst(struct risk_leg *leg, const struct risk_inst *s);
/* Worst-case loss of a market in its quote currency (scale 8, rounded up).
 * legs[1] is the complement outcome for a complete binary market. */
int risk_exposure_quote(const struct instrument *in, const struct risk_leg *legs, int n,
                        int64_t *out);
int risk_quote_to_usd(int64_t quote, int64_t usd_rate, enum money_rounding r, usd_t *out);
/* USD rate used for a market (the higher of its outcomes' rates). */
int64_t risk_market_rate(const struct risk_engine *e, uint32_t market);
/* Notional of qty at price in quote scale 8, rounded as asked. */
int risk_notional(const struct instrument *in, int64_t price, int64_t qty, enum money_rounding r,
                  int64_t *out);
/* Recomputes a market's cached exposure, unrealized PnL and open flag and
 * pushes the deltas into its venue and the global aggregates. */
int risk_market_refresh(struct risk_engine *e, uint32_t market);
/* Builds the legs of a market (1 or 2) from the instrument states. */
int risk_market_legs(const struct risk_engine *e, uint32_t market, struct risk_leg *legs,
                     const struct instrument **first);

/* ---- risk_state.c ---- */
void risk_emit(struct risk_engine *e, int64_t now_ns, int type, int code, int scope,
               uint32_t index, int old_state, int new_state, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
struct risk_holds *risk_holds_of(struct risk_engine *e, int scope, uint32_t index);
/* Sets one hold and emits a state event when the scope's state changes. */
void risk_hold_set(struct risk_engine *e, int scope, uint32_t index, int reason, int state,
                   const char *text, int64_t now_ns);
/* Daily rollover if now has passed the reset time; cheap when not. */
void risk_maybe_rollover(struct risk_engine *e, int64_t now_ns);
/* Re-evaluates the automatic holds after PnL moved: position stop of the
 * market, daily loss of its venue and globally, drawdown. */
void risk_evaluate_pnl(struct risk_engine *e, uint32_t market, int64_t now_ns);
/* A market went flat: close its round trip (breaker, stop release). */
void risk_round_trip_closed(struct risk_engine *e, uint32_t market, int64_t now_ns);
usd_t risk_equity(const struct risk_engine *e);
usd_t risk_drawdown_bound(const struct risk_engine *e);
int risk_reason_to_code(int reason);

/* ---- risk_window.c ---- */
int risk_rate_resize(struct risk_rate_ring *r, uint32_t cap);
void risk_rate_free(struct risk_rate_ring *r);
/* Would one more order at now exceed max_orders per window? */
bool risk_rate_full(const struct risk_rate_ring *r, int64_t now_ns, int64_t window_ns);
void risk_rate_push(struct risk_rate_ring *r, int64_t now_ns);
uint32_t risk_rate_count(const struct risk_rate_ring *r, int64_t now_ns, int64_t window_ns);
void risk_cf_record(struct risk_venue *v, int64_t window_ms, int64_t now_ns, int is_fill);
void risk_cf_sum(const struct risk_venue *v, int64_t window_ms, int64_t now_ns, uint64_t *cancels,
                 uint64_t *fills);

/* ---- risk_book.c ---- */
struct risk_res *risk_res_find(struct risk_engine *e, uint64_t id);
/* Allocates a reservation slot for id and adds its worst case. */
int risk_res_open(struct risk_engine *e, uint64_t id, uint32_t instrument, int side,
                  int64_t price, int64_t qty, int64_t notional, int64_t now_ns);

/* ---- risk_engine.c ---- */
void risk_apply_market_limits(struct risk_engine *e, uint32_t market);
/* USD for messages: at least 2 decimals ("10.00", "10.025"). */
const char *risk_fmt_usd(usd_t v, char *buf, size_t cap);

#endif
