/* risk.h -- the pre-trade risk engine: one authority over every order.
 *
 * Pure code over a state struct: no sockets, files, clocks or globals, and
 * no allocation after risk_engine_create. Time is always an argument
 * (now_ns, UTC wall clock nanoseconds), so a journal replay feeding the same
 * calls reproduces the same state. The event loop owns the engine (it is
 * not thread safe) and feeds it orders, venue reports, marks and ticks.
 *
 * Units: prices and quantities are int64 mantissas at the instrument's
 * price_scale / qty_scale; fees are in the quote currency at
 * INSTRUMENT_QUOTE_SCALE (8); USD figures are usd_t (1e-8 USD).
 *
 * The exported API is flat (scalars, strings, opaque pointer, and
 * struct risk_event whose layout python/trader/risk.py mirrors), so the
 * shared library can be loaded with cffi in ABI mode. Numeric codes and
 * SHORT_NAMEs are stable: they are journaled and shown to operators. */
#ifndef TRADER_RISK_H
#define TRADER_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "core/instrument.h"
#include "core/money.h"
#include "risk/risk_limits.h"

struct risk_engine;

enum risk_side { RISK_BUY = 0, RISK_SELL = 1 };

/* Order flags. REDUCE_ONLY: reject unless the order reduces exposure. */
#define RISK_ORDER_REDUCE_ONLY 1u

/* Check results and limit identifiers (stable numbers; names in
 * risk_code_name). A check returns RISK_OK or one of the reject codes. */
enum risk_code {
    RISK_OK = 0,
    RISK_R_HALTED = 1,
    RISK_R_REDUCE_ONLY = 2,
    RISK_R_MAX_ORDER_NOTIONAL = 3,
    RISK_R_MAX_POSITION = 4,
    RISK_R_MAX_POSITIONS = 5,
    RISK_R_MAX_EXPOSURE = 6,
    RISK_R_DAILY_LOSS = 7,
    RISK_R_DRAWDOWN = 8,
    RISK_R_ORDER_RATE = 9,
    RISK_R_CANCEL_FILL_RATIO = 10,
    RISK_R_PRICE_COLLAR = 11,
    RISK_R_STALE_MARK = 12,
    RISK_R_NO_MARK = 13,
    RISK_R_TICK = 14,
    RISK_R_LOT = 15,
    RISK_R_MIN_QTY = 16,
    RISK_R_MIN_NOTIONAL = 17,
    RISK_R_BAD_PRICE = 18,
    RISK_R_BAD_QTY = 19,
    RISK_R_NO_SHORT = 20,
    RISK_R_UNKNOWN_INSTRUMENT = 21,
    RISK_R_CAPACITY = 22,
    RISK_R_RESOLVED = 23,
    RISK_R_OVERFLOW = 24,
    RISK_R_POSITION_STOP = 25,
    RISK_R_LOSS_BREAKER = 26,
    RISK_R_BAD_SIDE = 27,
    RISK_CODE_COUNT = 28
};

/* Why a scope changed state. Each reason is an independent "hold" on a
 * scope; the scope's state is the strictest hold (see docs/RISK.md). */
enum risk_reason {
    RISK_REASON_NONE = 0,
    RISK_REASON_OPERATOR = 1,      /* operator verb; ACTIVE lifts operator/kill/limit latches */
    RISK_REASON_KILL = 2,          /* kill switch */
    RISK_REASON_DAILY_LOSS = 3,    /* REDUCING until the daily reset */
    RISK_REASON_DRAWDOWN = 4,      /* HALTED until an operator resumes */
    RISK_REASON_LOSS_BREAKER = 5,  /* consecutive losses: configured state for a cooldown */
    RISK_REASON_CONNECTION = 6,    /* stale/broken venue connection, set and lifted by its owner */
    RISK_REASON_POSITION_STOP = 7, /* market reduce-only until flat */
    RISK_REASON_RESOLVED = 8,      /* binary market resolved: HALTED for good */
    RISK_REASON_RECONCILE = 9,     /* not reconciled with the venue yet */
    RISK_REASON_COUNT = 10
};

enum risk_scope { RISK_SCOPE_GLOBAL = 0, RISK_SCOPE_VENUE = 1, RISK_SCOPE_MARKET = 2 };

enum risk_event_type {
    RISK_EV_STATE = 1,         /* a scope's state changed: old/new state, code = reason */
    RISK_EV_POSITION_STOP = 2, /* market hit its loss stop: strategy must exit */
    RISK_EV_LIMIT_BREACH = 3,  /* code = the limit (RISK_R_*) that was breached */
    RISK_EV_DAILY_RESET = 4,
    RISK_EV_ANOMALY = 5        /* overfill, fill for an unknown reservation, ... */
};

#define RISK_EVENT_TEXT_CAP 200
#define RISK_EVENT_QUEUE_CAP 256

struct risk_event {
    uint64_t seq;
    int64_t ts_ns;
    int32_t type;
    int32_t code;
    int32_t scope;
    uint32_t scope_index;
    int32_t old_state;
    int32_t new_state;
    char text[RISK_EVENT_TEXT_CAP];
};

#define RISK_REASON_TEXT_CAP 256 /* enough for any reject reason */

/* ---- lifecycle ---- */

/* Copies the limits. Capacities are fixed for the engine's life. NULL on
 * invalid limits or out of memory. */
struct risk_engine *risk_engine_create(const struct risk_limits *limits, uint32_t max_instruments,
                                       uint32_t max_reservations);
void risk_engine_destroy(struct risk_engine *e);

/* Replaces the limits at runtime (not on the hot path: may reallocate the
 * order-rate rings). Open reservations are kept. 0 or -1. */
int risk_set_limits(struct risk_engine *e, const struct risk_limits *limits);
const struct risk_limits *risk_get_limits(const struct risk_engine *e);

/* ---- instruments and market data ---- */

int risk_add_instrument(struct risk_engine *e, const struct instrument *spec, uint32_t *id,
                        char *err, size_t errlen);
const struct instrument_registry *risk_instruments(const struct risk_engine *e);
int risk_set_usd_rate(struct risk_engine *e, uint32_t instrument, int64_t usd_rate);
int risk_set_tick(struct risk_engine *e, uint32_t instrument, int64_t tick);
/* Mark price (e.g. mid) used for unrealized PnL, the collar, staleness. */
int risk_mark(struct risk_engine *e, uint32_t instrument, int64_t price, int64_t now_ns);

/* ---- pre-trade check ----
 * Returns RISK_OK and a reservation id (worst case held until the venue
 * rejects, cancels, expires or fills it), or a RISK_R_* code with a human
 * reason naming the limit, the value and the bound (formatted only on
 * reject; reason may be NULL). */
int risk_check(struct risk_engine *e, uint32_t instrument, int side, int64_t price, int64_t qty,
               uint32_t flags, int64_t now_ns, uint64_t *res_id, char *reason, size_t reason_len);

/* ---- venue reports (return 0, or negative RISK_E_* on bad input) ---- */
#define RISK_E_UNKNOWN_RESERVATION (-1)
#define RISK_E_INVALID (-2)
#define RISK_E_OVERFLOW (-3)
#define RISK_E_DUPLICATE_ID (-4)
#define RISK_E_CAPACITY (-5)
#define RISK_FILL_DUPLICATE 1 /* risk_on_fill: already booked, ignored */

int risk_on_ack(struct risk_engine *e, uint64_t res_id, const char *venue_order_id);
/* Venue rejected the order (or it was never sent): release everything. */
int risk_on_reject(struct risk_engine *e, uint64_t res_id, int64_t now_ns);
/* Cancelled (counts toward the cancel-to-fill ratio) or expired (does not):
 * release what is left. */
int risk_on_cancel(struct risk_engine *e, uint64_t res_id, int expired, int64_t now_ns);
/* A fill of qty at price with fee (quote ccy, scale 8). res_id may be 0 or
 * no longer known (e.g. a fill racing a cancel): the fill is then booked
 * into the position without releasing a reservation. instrument and side
 * must match the reservation when it is known. A repeated (venue,
 * trade_id) returns RISK_FILL_DUPLICATE and books nothing. liquidity: 0
 * unknown, 1 maker, 2 taker (informational). */
int risk_on_fill(struct risk_engine *e, uint64_t res_id, uint32_t instrument, int side,
                 const char *trade_id, int64_t qty, int64_t price, int64_t fee, int liquidity,
                 int64_t now_ns);
/* A binary market resolved: winner pays 1, the other outcome 0 (winner may
 * be INSTRUMENT_NONE for a market voided at 0 on both sides). Books
 * realized PnL, releases the market's open reservations, halts the market. */
int risk_resolve_market(struct risk_engine *e, uint32_t market, uint32_t winner, int64_t now_ns);
/* Reconciliation: overwrite a position from the venue's truth. */
int risk_set_position(struct risk_engine *e, uint32_t instrument, int64_t qty, int64_t cost,
                      int64_t now_ns);

/* ---- replay ---- */
/* Re-creates an accepted reservation from the journal without re-checking
 * limits (the config may have changed since). Later fills/cancels replay
 * through the normal calls. */
int risk_restore_reservation(struct risk_engine *e, uint64_t res_id, uint32_t instrument,
                             int side, int64_t price, int64_t qty, int64_t now_ns);

/* ---- time and states ---- */
/* Daily reset, breaker cooldown expiry. Call at least once a second. */
int risk_tick(struct risk_engine *e, int64_t now_ns);
/* Places (state > ACTIVE) or lifts (state == ACTIVE) the hold of `reason`
 * on a scope. ACTIVE with RISK_REASON_OPERATOR lifts every hold of that
 * scope except DAILY_LOSS, CONNECTION and RESOLVED. text may be NULL. */
int risk_set_state(struct risk_engine *e, int scope, uint32_t index, int state, int reason,
                   const char *text, int64_t now_ns);
/* Kill switch: HALTED everywhere (a global KILL hold). */
int risk_kill(struct risk_engine *e, const char *text, int64_t now_ns);
int risk_scope_state(const struct risk_engine *e, int scope, uint32_t index);
/* The strictest of global, venue and market state for an instrument. */
int risk_effective_state(const struct risk_engine *e, uint32_t instrument);

/* ---- events ---- */
/* Pops the oldest event; 1 if one was written, 0 if the queue is empty. */
int risk_next_event(struct risk_engine *e, struct risk_event *out);
uint64_t risk_events_dropped(const struct risk_engine *e);

/* ---- queries ---- */
/* Usage of one limit at one scope: value and bound in the limit's unit
 * (USD as usd_t, counts, cancel/fill ratio x100). 0, or -1 when the limit
 * does not exist at that scope. See docs/RISK.md "Usage". */
int risk_usage(const struct risk_engine *e, int limit, int scope, uint32_t index, int64_t now_ns,
               int64_t *value, int64_t *bound);
int risk_position(const struct risk_engine *e, uint32_t instrument, int64_t *qty, int64_t *cost,
                  int64_t *open_buy_qty, int64_t *open_sell_qty, int64_t *realized_usd,
                  int64_t *unrealized_usd);
/* PnL in USD for a scope (market index for RISK_SCOPE_MARKET): realized
 * (net of fees, since start), unrealized at the latest marks, daily
 * (realized + unrealized change since the daily reset), fees paid. */
int risk_pnl(const struct risk_engine *e, int scope, uint32_t index, int64_t *realized,
             int64_t *unrealized, int64_t *daily, int64_t *fees);
uint32_t risk_open_reservations(const struct risk_engine *e);
/* Human-readable multi-line status (states and every limit's usage) for
 * `ctl status`. Returns the length written (truncated to cap - 1). */
size_t risk_format_status(const struct risk_engine *e, int64_t now_ns, char *buf, size_t cap);

const char *risk_code_name(int code);
const char *risk_reason_name(int reason);
const char *risk_scope_name(int scope);

/* ---- flat helpers for cffi and config loading ---- */
/* Limits from a JSON text of the "risk" object (strict, see docs). */
struct risk_engine *risk_engine_create_json(const char *risk_json, uint32_t max_instruments,
                                            uint32_t max_reservations, char *err, size_t errlen);
int risk_add_instrument_json(struct risk_engine *e, const char *instrument_json, uint32_t *id,
                             char *err, size_t errlen);
/* Instrument fields a binding needs to scale decimals: 0 or -1. */
int risk_instrument_info(const struct risk_engine *e, uint32_t instrument, int *venue, int *kind,
                         int *price_scale, int *qty_scale, uint32_t *market,
                         uint32_t *complement);

#endif
