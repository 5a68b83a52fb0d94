/* risk_engine.c -- engine lifecycle, instruments, marks, events, queries. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "risk/risk_internal.h"

const char *risk_fmt_usd(usd_t v, char *buf, size_t cap) {
    int n = money_format(v, USD_SCALE, buf, cap);
    if (n < 0) {
        snprintf(buf, cap, "?");
        return buf;
    }
    const char *dot = strchr(buf, '.');
    size_t decimals = dot ? strlen(dot + 1) : 0;
    size_t len = (size_t)n;
    if (decimals >= 2) return buf;
    size_t need = len + (dot ? 0 : 1) + (2 - decimals);
    if (need + 1 > cap) return buf;
    if (!dot) buf[len++] = '.';
    while (decimals++ < 2) buf[len++] = '0';
    buf[len] = '\0';
    return buf;
}

static int alloc_rate_rings(struct risk_engine *e, const struct risk_limits *l) {
    for (int v = 0; v < VENUE_COUNT; v++) {
        if (risk_rate_resize(&e->venue[v].rate, (uint32_t)l->venue[v].max_orders) != 0) return -1;
    }
    return 0;
}

struct risk_engine *risk_engine_create(const struct risk_limits *limits, uint32_t max_instruments,
                                       uint32_t max_reservations) {
    if (limits == NULL || max_reservations == 0 || max_reservations > (1u << 24)) return NULL;
    char err[256];
    if (risk_limits_validate(limits, err, sizeof err) != 0) return NULL;
    struct risk_engine *e = calloc(1, sizeof *e);
    if (e == NULL) return NULL;
    e->lim = *limits;
    if (instrument_registry_init(&e->reg, max_instruments) != 0) goto fail;
    e->inst = calloc(max_instruments, sizeof *e->inst);
    e->mkt = calloc(max_instruments, sizeof *e->mkt);
    e->res = calloc(max_reservations, sizeof *e->res);
    if (!e->inst || !e->mkt || !e->res) goto fail;
    if (risk_map_init(&e->res_index, max_reservations) != 0) goto fail;
    if (risk_dedupe_init(&e->fills_seen, RISK_DEDUPE_CAP) != 0) goto fail;
    if (alloc_rate_rings(e, limits) != 0) goto fail;
    e->res_cap = max_reservations;
    for (uint32_t i = 0; i < max_reservations; i++)
        e->res[i].next_free = i + 1 < max_reservations ? i + 1 : RISK_NO_INDEX;
    e->res_free = 0;
    e->next_res_id = 1;
    e->peak_equity = limits->starting_capital;
    return e;
fail:
    risk_engine_destroy(e);
    return NULL;
}

void risk_engine_destroy(struct risk_engine *e) {
    if (e == NULL) return;
    instrument_registry_free(&e->reg);
    free(e->inst);
    free(e->mkt);
    free(e->res);
    risk_map_free(&e->res_index);
    risk_dedupe_free(&e->fills_seen);
    for (int v = 0; v < VENUE_COUNT; v++) risk_rate_free(&e->venue[v].rate);
    free(e);
}

void risk_apply_market_limits(struct risk_engine *e, uint32_t market) {
    const struct instrument_market *m = &e->reg.markets[market];
    struct risk_market *mk = &e->mkt[market];
    mk->max_position = RISK_UNLIMITED;
    mk->max_order_notional = RISK_UNLIMITED;
    for (uint32_t i = 0; i < e->lim.n_markets; i++) {
        const struct risk_market_override *o = &e->lim.markets[i];
        if (o->venue == m->venue && strcmp(o->key, m->key) == 0) {
            mk->max_position = o->max_position;
            mk->max_order_notional = o->max_order_notional;
        }
    }
}

int risk_set_limits(struct risk_engine *e, const struct risk_limits *limits) {
    char err[256];
    if (risk_limits_validate(limits, err, sizeof err) != 0) return -1;
    if (alloc_rate_rings(e, limits) != 0) {
        alloc_rate_rings(e, &e->lim); /* best effort back to the old sizes */
        return -1;
    }
    /* A new starting capital rebases the drawdown peak. */
    if (limits->starting_capital != e->lim.starting_capital)
        e->peak_equity += limits->starting_capital - e->lim.starting_capital;
    e->lim = *limits;
    for (uint32_t m = 0; m < e->reg.market_count; m++) risk_apply_market_limits(e, m);
    return 0;
}

const struct risk_limits *risk_get_limits(const struct risk_engine *e) { return &e->lim; }

const struct instrument_registry *risk_instruments(const struct risk_engine *e) { return &e->reg; }

int risk_add_instrument(struct risk_engine *e, const struct instrument *spec, uint32_t *id,
                        char *err, size_t errlen) {
    uint32_t markets_before = e->reg.market_count, count_before = e->reg.count;
    if (instrument_registry_add(&e->reg, spec, id, err, errlen) != 0) return -1;
    if (e->reg.count == count_before) {
        /* Registered again: tick and USD rate are runtime state (a
         * Polymarket tick_size_change, a new FX rate), so take the new ones. */
        const struct instrument *old = &e->reg.items[*id];
        if (old->tick != spec->tick && risk_set_tick(e, *id, spec->tick) != 0) {
            snprintf(err, errlen, "%.80s: tick does not fit the price scale", spec->symbol);
            return -1;
        }
        if (old->usd_rate != spec->usd_rate && risk_set_usd_rate(e, *id, spec->usd_rate) != 0) {
            snprintf(err, errlen, "%.80s: invalid usd_rate", spec->symbol);
            return -1;
        }
        return 0;
    }
    if (e->reg.market_count != markets_before) {
        uint32_t m = e->reg.market_count - 1;
        memset(&e->mkt[m], 0, sizeof e->mkt[m]);
        e->mkt[m].agg.day_base = 0;
        risk_apply_market_limits(e, m);
    }
    return 0;
}

int risk_set_usd_rate(struct risk_engine *e, uint32_t instrument, int64_t usd_rate) {
    if (instrument_set_usd_rate(&e->reg, instrument, usd_rate) != 0) return RISK_E_INVALID;
    risk_market_refresh(e, e->reg.items[instrument].market);
    return 0;
}

int risk_set_tick(struct risk_engine *e, uint32_t instrument, int64_t tick) {
    return instrument_set_tick(&e->reg, instrument, tick) == 0 ? 0 : RISK_E_INVALID;
}

int risk_mark(struct risk_engine *e, uint32_t instrument, int64_t price, int64_t now_ns) {
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL || price < 0) return RISK_E_INVALID;
    risk_maybe_rollover(e, now_ns);
    struct risk_inst *s = &e->inst[instrument];
    s->mark = price;
    s->mark_ns = now_ns;
    s->has_mark = true;
    risk_market_refresh(e, in->market);
    risk_evaluate_pnl(e, in->market, now_ns);
    return 0;
}

int risk_next_event(struct risk_engine *e, struct risk_event *out) {
    if (e->ev_count == 0) return 0;
    *out = e->events[e->ev_head];
    e->ev_head = (e->ev_head + 1) % RISK_EVENT_QUEUE_CAP;
    e->ev_count--;
    return 1;
}

uint64_t risk_events_dropped(const struct risk_engine *e) { return e->ev_dropped; }

uint32_t risk_open_reservations(const struct risk_engine *e) { return e->res_count; }

static const struct risk_agg *agg_of(const struct risk_engine *e, int scope, uint32_t index) {
    if (scope == RISK_SCOPE_GLOBAL) return &e->g;
    if (scope == RISK_SCOPE_VENUE && index < VENUE_COUNT) return &e->venue[index].agg;
    if (scope == RISK_SCOPE_MARKET && index < e->reg.market_count) return &e->mkt[index].agg;
    return NULL;
}

static const struct risk_scope_limits *scope_limits(const struct risk_engine *e, int scope,
                                                    uint32_t index) {
    if (scope == RISK_SCOPE_GLOBAL) return &e->lim.global;
    if (scope == RISK_SCOPE_VENUE && index < VENUE_COUNT) return &e->lim.venue[index].scope;
    return NULL;
}

int risk_usage(const struct risk_engine *e, int limit, int scope, uint32_t index, int64_t now_ns,
               int64_t *value, int64_t *bound) {
    const struct risk_agg *a = agg_of(e, scope, index);
    if (a == NULL) return -1;
    const struct risk_scope_limits *sl = scope_limits(e, scope, index);
    switch (limit) {
    case RISK_R_MAX_ORDER_NOTIONAL:
        *value = 0;
        if (scope == RISK_SCOPE_MARKET) {
            uint8_t v = e->reg.markets[index].venue;
            usd_t b = e->lim.global.max_order_notional;
            if (e->lim.venue[v].scope.max_order_notional < b) b = e->lim.venue[v].scope.max_order_notional;
            if (e->mkt[index].max_order_notional < b) b = e->mkt[index].max_order_notional;
            *bound = b;
        } else {
            *bound = sl->max_order_notional;
        }
        return 0;
    case RISK_R_MAX_POSITION: {
        if (scope != RISK_SCOPE_MARKET) return -1;
        uint8_t v = e->reg.markets[index].venue;
        usd_t b = e->lim.global.max_position;
        if (e->lim.venue[v].scope.max_position < b) b = e->lim.venue[v].scope.max_position;
        if (e->mkt[index].max_position < b) b = e->mkt[index].max_position;
        *value = a->exposure;
        *bound = b;
        return 0;
    }
    case RISK_R_MAX_POSITIONS:
        if (sl == NULL) return -1;
        *value = a->positions;
        *bound = sl->max_positions;
        return 0;
    case RISK_R_MAX_EXPOSURE:
        if (sl == NULL) return -1;
        *value = a->exposure;
        *bound = sl->max_exposure;
        return 0;
    case RISK_R_DAILY_LOSS:
        if (sl == NULL) return -1;
        *value = a->day_base - (a->realized + a->unrealized);
        if (*value < 0) *value = 0;
        *bound = sl->max_daily_loss;
        return 0;
    case RISK_R_DRAWDOWN:
        if (scope != RISK_SCOPE_GLOBAL) return -1;
        *value = e->peak_equity - risk_equity(e);
        if (*value < 0) *value = 0;
        *bound = risk_drawdown_bound(e);
        return 0;
    case RISK_R_POSITION_STOP: {
        if (scope != RISK_SCOPE_MARKET) return -1;
        const struct risk_market *mk = &e->mkt[index];
        usd_t pnl = mk->held ? (mk->agg.realized - mk->rt_start) + mk->agg.unrealized : 0;
        *value = pnl < 0 ? -pnl : 0;
        *bound = e->lim.position_stop;
        return 0;
    }
    case RISK_R_ORDER_RATE:
        if (scope != RISK_SCOPE_VENUE) return -1;
        *value = risk_rate_count(&e->venue[index].rate, now_ns,
                                 e->lim.venue[index].order_window_ms * RISK_NS_PER_MS);
        *bound = e->lim.venue[index].max_orders;
        return 0;
    case RISK_R_CANCEL_FILL_RATIO: {
        if (scope != RISK_SCOPE_VENUE) return -1;
        uint64_t c, f;
        risk_cf_sum(&e->venue[index], e->lim.venue[index].cancel_fill_window_ms, now_ns, &c, &f);
        *value = (int64_t)(c * 100 / (f ? f : 1));
        *bound = e->lim.venue[index].max_cancel_fill_x100;
        return 0;
    }
    case RISK_R_LOSS_BREAKER:
        if (scope != RISK_SCOPE_GLOBAL) return -1;
        *value = e->loss_streak;
        *bound = e->lim.breaker_losses;
        return 0;
    default:
        return -1;
    }
}

int risk_position(const struct risk_engine *e, uint32_t instrument, int64_t *qty, int64_t *cost,
                  int64_t *open_buy_qty, int64_t *open_sell_qty, int64_t *realized_usd,
                  int64_t *unrealized_usd) {
    if (instrument_get(&e->reg, instrument) == NULL) return -1;
    const struct risk_inst *s = &e->inst[instrument];
    if (qty) *qty = s->qty;
    if (cost) *cost = s->cost;
    if (open_buy_qty) *open_buy_qty = s->buy_qty;
    if (open_sell_qty) *open_sell_qty = s->sell_qty;
    if (realized_usd) *realized_usd = s->realized;
    if (unrealized_usd) *unrealized_usd = s->unrealized;
    return 0;
}

int risk_pnl(const struct risk_engine *e, int scope, uint32_t index, int64_t *realized,
             int64_t *unrealized, int64_t *daily, int64_t *fees) {
    const struct risk_agg *a = agg_of(e, scope, index);
    if (a == NULL) return -1;
    if (realized) *realized = a->realized;
    if (unrealized) *unrealized = a->unrealized;
    if (daily) *daily = a->realized + a->unrealized - a->day_base;
    if (fees) *fees = a->fees;
    return 0;
}

int risk_instrument_info(const struct risk_engine *e, uint32_t instrument, int *venue, int *kind,
                         int *price_scale, int *qty_scale, uint32_t *market,
                         uint32_t *complement) {
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL) return -1;
    if (venue) *venue = in->venue;
    if (kind) *kind = in->kind;
    if (price_scale) *price_scale = in->price_scale;
    if (qty_scale) *qty_scale = in->qty_scale;
    if (market) *market = in->market;
    if (complement) *complement = in->complement;
    return 0;
}

static const char *const code_names[RISK_CODE_COUNT] = {
    "OK", "HALTED", "REDUCE_ONLY", "MAX_ORDER_NOTIONAL", "MAX_POSITION", "MAX_POSITIONS",
    "MAX_EXPOSURE", "DAILY_LOSS", "DRAWDOWN", "ORDER_RATE", "CANCEL_FILL_RATIO", "PRICE_COLLAR",
    "STALE_MARK", "NO_MARK", "TICK", "LOT", "MIN_QTY", "MIN_NOTIONAL", "BAD_PRICE", "BAD_QTY",
    "NO_SHORT", "UNKNOWN_INSTRUMENT", "CAPACITY", "RESOLVED", "OVERFLOW", "POSITION_STOP",
    "LOSS_BREAKER", "BAD_SIDE"};

const char *risk_code_name(int code) {
    return code >= 0 && code < RISK_CODE_COUNT ? code_names[code] : "UNKNOWN";
}

static const char *const reason_names[RISK_REASON_COUNT] = {
    "NONE", "OPERATOR", "KILL", "DAILY_LOSS", "DRAWDOWN", "LOSS_BREAKER", "CONNECTION",
    "POSITION_STOP", "RESOLVED", "RECONCILE"};

const char *risk_reason_name(int reason) {
    return reason >= 0 && reason < RISK_REASON_COUNT ? reason_names[reason] : "UNKNOWN";
}

const char *risk_scope_name(int scope) {
    switch (scope) {
    case RISK_SCOPE_GLOBAL: return "global";
    case RISK_SCOPE_VENUE: return "venue";
    case RISK_SCOPE_MARKET: return "market";
    default: return "unknown";
    }
}

/* ---- status text ---- */

struct outbuf {
    char *p;
    size_t cap, len;
};

static void out(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct outbuf *o, const char *fmt, ...) {
    if (o->cap == 0 || o->len + 1 >= o->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    o->len += (size_t)n;
    if (o->len >= o->cap) o->len = o->cap - 1;
}

static void out_usage(struct outbuf *o, const struct risk_engine *e, int limit, int scope,
                      uint32_t index, int64_t now_ns, int is_usd) {
    int64_t v, b;
    if (risk_usage(e, limit, scope, index, now_ns, &v, &b) != 0) return;
    char vs[MONEY_FMT_MAX], bs[MONEY_FMT_MAX];
    if (is_usd) {
        risk_fmt_usd(v, vs, sizeof vs);
        if (b == RISK_UNLIMITED) snprintf(bs, sizeof bs, "none");
        else risk_fmt_usd(b, bs, sizeof bs);
        out(o, "    %-18s %12s / %s USD\n", risk_code_name(limit), vs, bs);
    } else if (b == RISK_UNLIMITED || b == 0) {
        out(o, "    %-18s %12lld / none\n", risk_code_name(limit), (long long)v);
    } else {
        out(o, "    %-18s %12lld / %lld\n", risk_code_name(limit), (long long)v, (long long)b);
    }
}

size_t risk_format_status(const struct risk_engine *e, int64_t now_ns, char *buf, size_t cap) {
    struct outbuf o = {buf, cap, 0};
    if (cap > 0) buf[0] = '\0';
    char r[MONEY_FMT_MAX], u[MONEY_FMT_MAX], d[MONEY_FMT_MAX];
    risk_fmt_usd(e->g.realized, r, sizeof r);
    risk_fmt_usd(e->g.unrealized, u, sizeof u);
    risk_fmt_usd(e->g.realized + e->g.unrealized - e->g.day_base, d, sizeof d);
    out(&o, "global %s  realized %s USD  unrealized %s USD  daily %s USD\n",
        risk_state_name(e->g.holds.state), r, u, d);
    out_usage(&o, e, RISK_R_MAX_EXPOSURE, RISK_SCOPE_GLOBAL, 0, now_ns, 1);
    out_usage(&o, e, RISK_R_MAX_POSITIONS, RISK_SCOPE_GLOBAL, 0, now_ns, 0);
    out_usage(&o, e, RISK_R_DAILY_LOSS, RISK_SCOPE_GLOBAL, 0, now_ns, 1);
    out_usage(&o, e, RISK_R_DRAWDOWN, RISK_SCOPE_GLOBAL, 0, now_ns, 1);
    out_usage(&o, e, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0, now_ns, 0);
    out_usage(&o, e, RISK_R_MAX_ORDER_NOTIONAL, RISK_SCOPE_GLOBAL, 0, now_ns, 1);
    for (uint32_t v = 0; v < VENUE_COUNT; v++) {
        const struct risk_agg *a = &e->venue[v].agg;
        risk_fmt_usd(a->realized, r, sizeof r);
        risk_fmt_usd(a->unrealized, u, sizeof u);
        out(&o, "venue %s %s  realized %s USD  unrealized %s USD\n", venue_name((enum venue_id)v),
            risk_state_name(a->holds.state), r, u);
        out_usage(&o, e, RISK_R_MAX_EXPOSURE, RISK_SCOPE_VENUE, v, now_ns, 1);
        out_usage(&o, e, RISK_R_MAX_POSITIONS, RISK_SCOPE_VENUE, v, now_ns, 0);
        out_usage(&o, e, RISK_R_DAILY_LOSS, RISK_SCOPE_VENUE, v, now_ns, 1);
        out_usage(&o, e, RISK_R_ORDER_RATE, RISK_SCOPE_VENUE, v, now_ns, 0);
        out_usage(&o, e, RISK_R_CANCEL_FILL_RATIO, RISK_SCOPE_VENUE, v, now_ns, 0);
    }
    for (uint32_t m = 0; m < e->reg.market_count; m++) {
        const struct risk_market *mk = &e->mkt[m];
        if (!mk->open && mk->agg.holds.state == RISK_ACTIVE) continue;
        out(&o, "market %s:%.70s %s%s\n", venue_name((enum venue_id)e->reg.markets[m].venue),
            e->reg.markets[m].key, risk_state_name(mk->agg.holds.state),
            mk->resolved ? " (resolved)" : "");
        out_usage(&o, e, RISK_R_MAX_POSITION, RISK_SCOPE_MARKET, m, now_ns, 1);
        out_usage(&o, e, RISK_R_POSITION_STOP, RISK_SCOPE_MARKET, m, now_ns, 1);
    }
    return o.len;
}
