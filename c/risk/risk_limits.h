/* risk_limits.h -- the configured limits of the risk engine.
 *
 * Every amount is usd_t (1e-8 USD). RISK_UNLIMITED disables a bound. The
 * defaults are the MISSION.md "micro" profile; docs/RISK.md lists every key,
 * unit, default and scope. */
#ifndef TRADER_RISK_LIMITS_H
#define TRADER_RISK_LIMITS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/instrument.h"
#include "core/money.h"

#define RISK_UNLIMITED INT64_MAX
#define RISK_MAX_MARKET_OVERRIDES 32
#define RISK_RATE_MAX_ORDERS 100000 /* ring size cap for the order-rate window */

enum risk_profile { RISK_PROFILE_MICRO = 0, RISK_PROFILE_WIDE = 1 };

enum risk_state { RISK_ACTIVE = 0, RISK_REDUCING = 1, RISK_HALTED = 2 };

/* Bounds that exist at global and at venue scope (a venue bound of
 * RISK_UNLIMITED leaves only the global one in force). */
struct risk_scope_limits {
    usd_t max_order_notional; /* one order's notional */
    usd_t max_position;       /* worst-case exposure of one market */
    int64_t max_positions;    /* markets with a position or an open order */
    usd_t max_exposure;       /* sum of the markets' worst-case exposure */
    usd_t max_daily_loss;     /* realized + unrealized since the daily reset */
};

struct risk_venue_limits {
    struct risk_scope_limits scope;
    int64_t max_orders;            /* new orders per window; 0 = no throttle */
    int64_t order_window_ms;
    int64_t max_cancel_fill_x100;  /* cancels per fill * 100; 0 = off */
    int64_t cancel_fill_window_ms;
    int64_t cancel_fill_min_sample; /* cancels + fills in window before the ratio applies */
    int64_t price_collar_bps;      /* aggressive side only; 0 = off */
    int64_t price_collar_min_ticks; /* the collar is never narrower than this many ticks */
    int64_t stale_mark_ms;         /* 0 = no staleness check */
    bool require_mark;             /* no mark at all -> reject */
};

/* Per-market overrides, matched by (venue, market key) when the market is
 * registered (markets may appear after the config is loaded). */
struct risk_market_override {
    uint8_t venue;
    char key[INSTRUMENT_SYMBOL_CAP];
    usd_t max_position;
    usd_t max_order_notional;
};

struct risk_limits {
    uint8_t profile;
    struct risk_scope_limits global;
    usd_t starting_capital;
    int64_t max_drawdown_bps;   /* of starting capital, from the equity peak; 0 = off */
    usd_t position_stop;        /* a market whose position PnL reaches -position_stop goes
                                   reduce-only; RISK_UNLIMITED = off */
    int64_t breaker_losses;     /* consecutive losing round trips; 0 = off */
    int64_t breaker_cooldown_ms;
    uint8_t breaker_state;      /* RISK_REDUCING or RISK_HALTED */
    int64_t daily_reset_ms;     /* UTC time of day of the daily PnL reset, ms after 00:00 */
    struct risk_venue_limits venue[VENUE_COUNT];
    uint32_t n_markets;
    struct risk_market_override markets[RISK_MAX_MARKET_OVERRIDES];
};

void risk_limits_default(struct risk_limits *l, enum risk_profile profile);

/* Strict parse (unknown keys and wrong types are errors naming the key's
 * path, which starts with "risk"). The profile's defaults are applied
 * first, then every key present overrides them. 0 or -1 with err set. */
int risk_limits_from_json(const json_t *risk_obj, struct risk_limits *out, char *err,
                          size_t errlen);

/* Cross-field checks (window lengths > 0 when a throttle is on, ...). */
int risk_limits_validate(const struct risk_limits *l, char *err, size_t errlen);

const char *risk_state_name(int state);

#endif
