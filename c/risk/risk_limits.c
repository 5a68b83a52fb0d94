/* risk_limits.c -- limit profiles and their strict JSON form. */
#include "risk/risk_limits.h"

#include <stdio.h>
#include <string.h>

#include "core/json_strict.h"

#define USD(x) ((usd_t)(x) * USD_ONE)

static void venue_defaults(struct risk_venue_limits *v, enum venue_id id) {
    memset(v, 0, sizeof *v);
    v->scope.max_order_notional = RISK_UNLIMITED;
    v->scope.max_position = RISK_UNLIMITED;
    v->scope.max_positions = RISK_UNLIMITED;
    v->scope.max_exposure = RISK_UNLIMITED;
    v->scope.max_daily_loss = RISK_UNLIMITED;
    v->max_cancel_fill_x100 = 5000; /* 50 cancels per fill */
    v->cancel_fill_window_ms = 600000;
    v->cancel_fill_min_sample = 100;
    v->price_collar_min_ticks = 2;
    v->require_mark = true;
    switch (id) {
    case VENUE_PAPER:
        v->max_orders = 100;
        v->order_window_ms = 1000;
        v->price_collar_bps = 500;
        v->stale_mark_ms = 5000;
        break;
    case VENUE_BINANCE:
        /* Binance spot counts orders per 10 s per account; stay well under. */
        v->max_orders = 40;
        v->order_window_ms = 10000;
        v->price_collar_bps = 200;
        v->stale_mark_ms = 5000;
        break;
    case VENUE_IBKR:
        /* TWS paces at 50 messages/s; orders share that budget. */
        v->max_orders = 40;
        v->order_window_ms = 1000;
        v->price_collar_bps = 300;
        v->stale_mark_ms = 10000;
        break;
    case VENUE_POLYMARKET:
        /* ~3,000 orders / 10 min per signer; quiet books update rarely. */
        v->max_orders = 3000;
        v->order_window_ms = 600000;
        v->price_collar_bps = 1000;
        v->price_collar_min_ticks = 5;
        v->stale_mark_ms = 30000;
        v->cancel_fill_min_sample = 200;
        break;
    case VENUE_COUNT:
        break;
    }
}

void risk_limits_default(struct risk_limits *l, enum risk_profile profile) {
    memset(l, 0, sizeof *l);
    l->profile = (uint8_t)profile;
    if (profile == RISK_PROFILE_WIDE) {
        l->global.max_order_notional = USD(50);
        l->global.max_position = USD(100);
        l->global.max_positions = 5;
        l->global.max_exposure = USD(400);
        l->global.max_daily_loss = USD(50);
        l->starting_capital = USD(500);
        l->max_drawdown_bps = 2000;
        l->position_stop = USD(15);
        l->breaker_losses = 4;
    } else {
        l->global.max_order_notional = USD(10);
        l->global.max_position = USD(10);
        l->global.max_positions = 2;
        l->global.max_exposure = USD(40);
        l->global.max_daily_loss = USD(20);
        l->starting_capital = USD(100);
        l->max_drawdown_bps = 2500;
        l->position_stop = USD(3);
        l->breaker_losses = 3;
    }
    l->breaker_cooldown_ms = 30 * 60 * 1000;
    l->breaker_state = RISK_REDUCING;
    l->daily_reset_ms = 0;
    for (int v = 0; v < VENUE_COUNT; v++) venue_defaults(&l->venue[v], (enum venue_id)v);
}

const char *risk_state_name(int state) {
    switch (state) {
    case RISK_ACTIVE: return "ACTIVE";
    case RISK_REDUCING: return "REDUCING";
    case RISK_HALTED: return "HALTED";
    default: return "UNKNOWN";
    }
}

/* ---- JSON ---- */

static const char *const profile_names[] = {"micro", "wide"};
static const char *const state_names[] = {"active", "reducing", "halted"};

static int get_usd(const json_t *o, const char *path, const char *key, usd_t *out, char *err,
                   size_t errlen) {
    return js_get_decimal(o, path, key, JS_OPTIONAL, USD_SCALE, 0, INT64_MAX, out, NULL, err,
                          errlen);
}

static int get_count(const json_t *o, const char *path, const char *key, int64_t min, int64_t max,
                     int64_t *out, char *err, size_t errlen) {
    return js_get_int(o, path, key, JS_OPTIONAL, min, max, out, NULL, err, errlen);
}

static int parse_scope(const json_t *o, const char *path, struct risk_scope_limits *s, char *err,
                       size_t errlen) {
    return get_usd(o, path, "max_order_notional_usd", &s->max_order_notional, err, errlen) ||
           get_usd(o, path, "max_position_usd", &s->max_position, err, errlen) ||
           get_count(o, path, "max_positions", 0, INT64_MAX, &s->max_positions, err, errlen) ||
           get_usd(o, path, "max_exposure_usd", &s->max_exposure, err, errlen) ||
           get_usd(o, path, "max_daily_loss_usd", &s->max_daily_loss, err, errlen)
               ? -1
               : 0;
}

/* "HH:MM" or "HH:MM:SS", UTC. */
static int parse_time_of_day(const json_t *o, const char *path, const char *key, int64_t *out_ms,
                             char *err, size_t errlen) {
    char buf[16];
    bool present = false;
    if (js_get_string(o, path, key, JS_OPTIONAL, false, buf, sizeof buf, &present, err, errlen))
        return -1;
    if (!present) return 0;
    unsigned h = 0, m = 0, s = 0;
    char tail;
    int n = sscanf(buf, "%2u:%2u:%2u%c", &h, &m, &s, &tail);
    size_t len = strlen(buf);
    int shape_ok = (n == 2 && len == 5) || (n == 3 && len == 8);
    if (!shape_ok || buf[2] != ':' || h > 23 || m > 59 || s > 59)
        return js_errorf(err, errlen, path, key, "expected \"HH:MM\" or \"HH:MM:SS\" (UTC), got \"%s\"",
                         buf);
    *out_ms = ((int64_t)h * 3600 + m * 60 + s) * 1000;
    return 0;
}

static const char *const global_keys[] = {
    "max_order_notional_usd", "max_position_usd", "max_positions", "max_exposure_usd",
    "max_daily_loss_usd", "starting_capital_usd", "max_drawdown_pct", "position_stop_usd",
    "daily_reset_utc", "loss_breaker", NULL};

static const char *const breaker_keys[] = {"losses", "cooldown_s", "state", NULL};

static int parse_global(const json_t *o, const char *path, struct risk_limits *l, char *err,
                        size_t errlen) {
    if (js_check_object(o, path, global_keys, err, errlen) || parse_scope(o, path, &l->global, err, errlen) ||
        get_usd(o, path, "starting_capital_usd", &l->starting_capital, err, errlen) ||
        js_get_decimal(o, path, "max_drawdown_pct", JS_OPTIONAL, 2, 0, 10000, &l->max_drawdown_bps,
                       NULL, err, errlen) ||
        get_usd(o, path, "position_stop_usd", &l->position_stop, err, errlen) ||
        parse_time_of_day(o, path, "daily_reset_utc", &l->daily_reset_ms, err, errlen))
        return -1;

    const json_t *b = NULL;
    bool has_b = false;
    if (js_get_object(o, path, "loss_breaker", JS_OPTIONAL, &b, &has_b, err, errlen)) return -1;
    if (has_b) {
        char bpath[256];
        js_path_join(bpath, sizeof bpath, path, "loss_breaker");
        int64_t cooldown_s = l->breaker_cooldown_ms / 1000;
        int state = l->breaker_state;
        if (js_check_object(b, bpath, breaker_keys, err, errlen) ||
            get_count(b, bpath, "losses", 0, 1000, &l->breaker_losses, err, errlen) ||
            get_count(b, bpath, "cooldown_s", 1, 7 * 86400, &cooldown_s, err, errlen) ||
            js_get_enum(b, bpath, "state", JS_OPTIONAL, state_names, 3, &state, NULL, err, errlen))
            return -1;
        if (state == RISK_ACTIVE)
            return js_errorf(err, errlen, bpath, "state", "must be \"reducing\" or \"halted\"");
        l->breaker_cooldown_ms = cooldown_s * 1000;
        l->breaker_state = (uint8_t)state;
    }
    return 0;
}

static const char *const venue_keys[] = {
    "max_order_notional_usd", "max_position_usd", "max_positions", "max_exposure_usd",
    "max_daily_loss_usd", "orders_per_window", "order_window_ms", "max_cancel_fill_ratio",
    "cancel_fill_window_ms", "cancel_fill_min_sample", "price_collar_bps",
    "price_collar_min_ticks", "stale_mark_ms", "require_mark", NULL};

static int parse_venue(const json_t *o, const char *path, struct risk_venue_limits *v, char *err,
                       size_t errlen) {
    const int64_t day_ms = 86400000;
    return js_check_object(o, path, venue_keys, err, errlen) ||
                   parse_scope(o, path, &v->scope, err, errlen) ||
                   get_count(o, path, "orders_per_window", 0, RISK_RATE_MAX_ORDERS, &v->max_orders,
                             err, errlen) ||
                   get_count(o, path, "order_window_ms", 1, day_ms, &v->order_window_ms, err,
                             errlen) ||
                   js_get_decimal(o, path, "max_cancel_fill_ratio", JS_OPTIONAL, 2, 0,
                                  INT64_MAX / 1000, &v->max_cancel_fill_x100, NULL, err, errlen) ||
                   get_count(o, path, "cancel_fill_window_ms", 1, day_ms,
                             &v->cancel_fill_window_ms, err, errlen) ||
                   get_count(o, path, "cancel_fill_min_sample", 0, INT32_MAX,
                             &v->cancel_fill_min_sample, err, errlen) ||
                   get_count(o, path, "price_collar_bps", 0, 1000000, &v->price_collar_bps, err,
                             errlen) ||
                   get_count(o, path, "price_collar_min_ticks", 0, 1000000,
                             &v->price_collar_min_ticks, err, errlen) ||
                   get_count(o, path, "stale_mark_ms", 0, day_ms, &v->stale_mark_ms, err,
                             errlen) ||
                   js_get_bool(o, path, "require_mark", JS_OPTIONAL, &v->require_mark, NULL, err,
                               errlen)
               ? -1
               : 0;
}

static const char *const market_keys[] = {"venue", "market", "max_position_usd",
                                          "max_order_notional_usd", NULL};
static const char *const venue_name_list[VENUE_COUNT + 1] = {"paper", "binance", "ibkr",
                                                             "polymarket", NULL};

static int parse_markets(const json_t *arr, const char *path, struct risk_limits *l, char *err,
                         size_t errlen) {
    if (!json_is_array(arr))
        return js_errorf(err, errlen, path, NULL, "expected an array of market overrides");
    if (json_array_size(arr) > RISK_MAX_MARKET_OVERRIDES)
        return js_errorf(err, errlen, path, NULL, "at most %d market overrides",
                         RISK_MAX_MARKET_OVERRIDES);
    l->n_markets = 0;
    size_t i;
    const json_t *m;
    json_array_foreach(arr, i, m) {
        char mpath[256];
        snprintf(mpath, sizeof mpath, "%s[%zu]", path, i);
        struct risk_market_override *o = &l->markets[l->n_markets];
        memset(o, 0, sizeof *o);
        o->max_position = RISK_UNLIMITED;
        o->max_order_notional = RISK_UNLIMITED;
        int venue = 0;
        if (js_check_object(m, mpath, market_keys, err, errlen) ||
            js_get_enum(m, mpath, "venue", JS_REQUIRED, venue_name_list, VENUE_COUNT, &venue,
                        NULL, err, errlen) ||
            js_get_string(m, mpath, "market", JS_REQUIRED, false, o->key, sizeof o->key, NULL,
                          err, errlen) ||
            get_usd(m, mpath, "max_position_usd", &o->max_position, err, errlen) ||
            get_usd(m, mpath, "max_order_notional_usd", &o->max_order_notional, err, errlen))
            return -1;
        o->venue = (uint8_t)venue;
        l->n_markets++;
    }
    return 0;
}

static const char *const root_keys[] = {"profile", "global", "venues", "markets", NULL};

int risk_limits_from_json(const json_t *risk_obj, struct risk_limits *out, char *err,
                          size_t errlen) {
    const char *root = "risk";
    if (js_check_object(risk_obj, root, root_keys, err, errlen)) return -1;
    int profile = RISK_PROFILE_MICRO;
    if (js_get_enum(risk_obj, root, "profile", JS_OPTIONAL, profile_names, 2, &profile, NULL, err,
                    errlen))
        return -1;

    struct risk_limits l;
    risk_limits_default(&l, (enum risk_profile)profile);

    const json_t *g = NULL;
    bool has = false;
    if (js_get_object(risk_obj, root, "global", JS_OPTIONAL, &g, &has, err, errlen)) return -1;
    if (has && parse_global(g, "risk.global", &l, err, errlen)) return -1;

    const json_t *venues = NULL;
    if (js_get_object(risk_obj, root, "venues", JS_OPTIONAL, &venues, &has, err, errlen))
        return -1;
    if (has) {
        if (js_check_object(venues, "risk.venues", venue_name_list, err, errlen)) return -1;
        for (int v = 0; v < VENUE_COUNT; v++) {
            const json_t *vo = NULL;
            bool vhas = false;
            if (js_get_object(venues, "risk.venues", venue_name_list[v], JS_OPTIONAL, &vo, &vhas,
                              err, errlen))
                return -1;
            if (!vhas) continue;
            char vpath[64];
            snprintf(vpath, sizeof vpath, "risk.venues.%s", venue_name_list[v]);
            if (parse_venue(vo, vpath, &l.venue[v], err, errlen)) return -1;
        }
    }

    const json_t *markets = json_object_get(risk_obj, "markets");
    if (markets != NULL && !json_is_null(markets) &&
        parse_markets(markets, "risk.markets", &l, err, errlen))
        return -1;

    if (risk_limits_validate(&l, err, errlen)) return -1;
    *out = l;
    return 0;
}

int risk_limits_validate(const struct risk_limits *l, char *err, size_t errlen) {
    if (l->breaker_state != RISK_REDUCING && l->breaker_state != RISK_HALTED)
        return js_errorf(err, errlen, "risk.global.loss_breaker", "state",
                         "must be reducing or halted");
    if (l->daily_reset_ms < 0 || l->daily_reset_ms >= 86400000)
        return js_errorf(err, errlen, "risk.global", "daily_reset_utc", "out of range");
    if (l->max_drawdown_bps < 0 || l->max_drawdown_bps > 10000)
        return js_errorf(err, errlen, "risk.global", "max_drawdown_pct", "out of range");
    if (l->breaker_losses > 0 && l->breaker_cooldown_ms <= 0)
        return js_errorf(err, errlen, "risk.global.loss_breaker", "cooldown_s", "must be > 0");
    for (int v = 0; v < VENUE_COUNT; v++) {
        const struct risk_venue_limits *vl = &l->venue[v];
        char vpath[64];
        snprintf(vpath, sizeof vpath, "risk.venues.%s", venue_name_list[v]);
        if (vl->max_orders < 0 || vl->max_orders > RISK_RATE_MAX_ORDERS)
            return js_errorf(err, errlen, vpath, "orders_per_window", "out of range [0, %d]",
                             RISK_RATE_MAX_ORDERS);
        if (vl->max_orders > 0 && vl->order_window_ms <= 0)
            return js_errorf(err, errlen, vpath, "order_window_ms", "must be > 0");
        if (vl->max_cancel_fill_x100 > 0 && vl->cancel_fill_window_ms <= 0)
            return js_errorf(err, errlen, vpath, "cancel_fill_window_ms", "must be > 0");
    }
    return 0;
}
