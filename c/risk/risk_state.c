/* risk_state.c -- trading states, their holds, events and the clock rules
 * (daily reset, breaker cooldown, automatic holds from PnL).
 *
 * A scope (global, each venue, each market) carries one hold per reason.
 * The scope's state is its strictest hold, and an order sees the strictest
 * of its global, venue and market states. Holds are independent so that
 * lifting one cause (the daily reset lifting DAILY_LOSS) never lifts
 * another (an operator's HALT). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "risk/risk_internal.h"

void risk_emit(struct risk_engine *e, int64_t now_ns, int type, int code, int scope,
               uint32_t index, int old_state, int new_state, const char *fmt, ...) {
    /* A full queue drops the oldest event: the newest state matters most
     * and the current state is always queryable. Drops are counted. */
    if (e->ev_count == RISK_EVENT_QUEUE_CAP) {
        e->ev_head = (e->ev_head + 1) % RISK_EVENT_QUEUE_CAP;
        e->ev_count--;
        e->ev_dropped++;
    }
    struct risk_event *ev = &e->events[(e->ev_head + e->ev_count) % RISK_EVENT_QUEUE_CAP];
    e->ev_count++;
    memset(ev, 0, sizeof *ev);
    ev->seq = ++e->ev_seq;
    ev->ts_ns = now_ns;
    ev->type = type;
    ev->code = code;
    ev->scope = scope;
    ev->scope_index = index;
    ev->old_state = old_state;
    ev->new_state = new_state;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->text, sizeof ev->text, fmt, ap);
    va_end(ap);
}

struct risk_holds *risk_holds_of(struct risk_engine *e, int scope, uint32_t index) {
    switch (scope) {
    case RISK_SCOPE_GLOBAL: return &e->g.holds;
    case RISK_SCOPE_VENUE: return index < VENUE_COUNT ? &e->venue[index].agg.holds : NULL;
    case RISK_SCOPE_MARKET: return index < e->reg.market_count ? &e->mkt[index].agg.holds : NULL;
    default: return NULL;
    }
}

static uint8_t holds_max(const struct risk_holds *h) {
    uint8_t s = RISK_ACTIVE;
    for (int r = 0; r < RISK_REASON_COUNT; r++)
        if (h->hold[r] > s) s = h->hold[r];
    return s;
}

/* "global", "binance", "market polymarket:0xabc..." */
static void scope_label(const struct risk_engine *e, int scope, uint32_t index, char *buf,
                        size_t cap) {
    if (scope == RISK_SCOPE_GLOBAL)
        snprintf(buf, cap, "global");
    else if (scope == RISK_SCOPE_VENUE)
        snprintf(buf, cap, "venue %s", venue_name((enum venue_id)index));
    else
        snprintf(buf, cap, "market %s:%.70s", venue_name((enum venue_id)e->reg.markets[index].venue),
                 e->reg.markets[index].key);
}

void risk_hold_set(struct risk_engine *e, int scope, uint32_t index, int reason, int state,
                   const char *text, int64_t now_ns) {
    struct risk_holds *h = risk_holds_of(e, scope, index);
    if (h == NULL || reason <= 0 || reason >= RISK_REASON_COUNT) return;
    uint8_t old = h->state;
    h->hold[reason] = (uint8_t)state;
    h->state = holds_max(h);
    if (h->state == old) return;
    char label[128];
    scope_label(e, scope, index, label, sizeof label);
    risk_emit(e, now_ns, RISK_EV_STATE, reason, scope, index, old, h->state, "%s %s -> %s: %s%s%s",
              label, risk_state_name(old), risk_state_name(h->state), risk_reason_name(reason),
              text && *text ? ": " : "", text ? text : "");
}

int risk_set_state(struct risk_engine *e, int scope, uint32_t index, int state, int reason,
                   const char *text, int64_t now_ns) {
    struct risk_holds *h = risk_holds_of(e, scope, index);
    if (h == NULL || state < RISK_ACTIVE || state > RISK_HALTED || reason <= 0 ||
        reason >= RISK_REASON_COUNT)
        return RISK_E_INVALID;
    risk_maybe_rollover(e, now_ns);
    if (state != RISK_ACTIVE || reason != RISK_REASON_OPERATOR) {
        risk_hold_set(e, scope, index, reason, state, text, now_ns);
        return 0;
    }
    /* Operator resume: lift every latch an operator may lift, in one state
     * change. DAILY_LOSS stays until the reset (a hard daily limit),
     * CONNECTION belongs to the connector, RESOLVED is final. */
    uint8_t old = h->state;
    for (int r = 0; r < RISK_REASON_COUNT; r++) {
        if (r == RISK_REASON_DAILY_LOSS || r == RISK_REASON_CONNECTION || r == RISK_REASON_RESOLVED)
            continue;
        h->hold[r] = RISK_ACTIVE;
    }
    if (scope == RISK_SCOPE_GLOBAL) {
        /* Acknowledged drawdown: measure the next one from here. */
        e->peak_equity = risk_equity(e);
        e->breaker_until_ns = 0;
        e->loss_streak = 0;
    }
    h->state = holds_max(h);
    if (h->state != old) {
        char label[128];
        scope_label(e, scope, index, label, sizeof label);
        risk_emit(e, now_ns, RISK_EV_STATE, RISK_REASON_OPERATOR, scope, index, old, h->state,
                  "%s %s -> %s: OPERATOR%s%s", label, risk_state_name(old),
                  risk_state_name(h->state), text && *text ? ": " : "", text ? text : "");
    }
    return 0;
}

int risk_kill(struct risk_engine *e, const char *text, int64_t now_ns) {
    return risk_set_state(e, RISK_SCOPE_GLOBAL, 0, RISK_HALTED, RISK_REASON_KILL,
                          text ? text : "kill switch", now_ns);
}

int risk_scope_state(const struct risk_engine *e, int scope, uint32_t index) {
    struct risk_holds *h = risk_holds_of((struct risk_engine *)e, scope, index);
    return h ? h->state : -1;
}

int risk_effective_state(const struct risk_engine *e, uint32_t instrument) {
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL) return -1;
    uint8_t s = e->g.holds.state;
    if (e->venue[in->venue].agg.holds.state > s) s = e->venue[in->venue].agg.holds.state;
    if (e->mkt[in->market].agg.holds.state > s) s = e->mkt[in->market].agg.holds.state;
    return s;
}

int risk_reason_to_code(int reason) {
    switch (reason) {
    case RISK_REASON_DAILY_LOSS: return RISK_R_DAILY_LOSS;
    case RISK_REASON_DRAWDOWN: return RISK_R_DRAWDOWN;
    case RISK_REASON_LOSS_BREAKER: return RISK_R_LOSS_BREAKER;
    case RISK_REASON_POSITION_STOP: return RISK_R_POSITION_STOP;
    case RISK_REASON_RESOLVED: return RISK_R_RESOLVED;
    default: return 0;
    }
}

usd_t risk_equity(const struct risk_engine *e) {
    return e->lim.starting_capital + e->g.realized + e->g.unrealized;
}

usd_t risk_drawdown_bound(const struct risk_engine *e) {
    if (e->lim.max_drawdown_bps <= 0) return RISK_UNLIMITED;
    int64_t b;
    if (money_muldiv(e->lim.starting_capital, e->lim.max_drawdown_bps, 10000, MONEY_ROUND_FLOOR,
                     &b) != MONEY_OK)
        return RISK_UNLIMITED;
    return b;
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

void risk_maybe_rollover(struct risk_engine *e, int64_t now_ns) {
    if (e->day_started && now_ns < e->next_reset_ns) return;
    int64_t offset = e->lim.daily_reset_ms * RISK_NS_PER_MS;
    int64_t day = floor_div(now_ns - offset, RISK_NS_PER_DAY);
    bool first = !e->day_started;
    e->day_started = true;
    e->next_reset_ns = (day + 1) * RISK_NS_PER_DAY + offset;
    e->g.day_base = e->g.realized + e->g.unrealized;
    for (int v = 0; v < VENUE_COUNT; v++)
        e->venue[v].agg.day_base = e->venue[v].agg.realized + e->venue[v].agg.unrealized;
    for (uint32_t m = 0; m < e->reg.market_count; m++)
        e->mkt[m].agg.day_base = e->mkt[m].agg.realized + e->mkt[m].agg.unrealized;
    if (first) return;
    risk_emit(e, now_ns, RISK_EV_DAILY_RESET, 0, RISK_SCOPE_GLOBAL, 0, e->g.holds.state,
              e->g.holds.state, "daily PnL reset (UTC %02d:%02d)",
              (int)(e->lim.daily_reset_ms / 3600000), (int)(e->lim.daily_reset_ms / 60000 % 60));
    risk_hold_set(e, RISK_SCOPE_GLOBAL, 0, RISK_REASON_DAILY_LOSS, RISK_ACTIVE, "daily reset",
                  now_ns);
    for (uint32_t v = 0; v < VENUE_COUNT; v++)
        risk_hold_set(e, RISK_SCOPE_VENUE, v, RISK_REASON_DAILY_LOSS, RISK_ACTIVE, "daily reset",
                      now_ns);
}

int risk_tick(struct risk_engine *e, int64_t now_ns) {
    risk_maybe_rollover(e, now_ns);
    if (e->g.holds.hold[RISK_REASON_LOSS_BREAKER] != RISK_ACTIVE && now_ns >= e->breaker_until_ns) {
        risk_hold_set(e, RISK_SCOPE_GLOBAL, 0, RISK_REASON_LOSS_BREAKER, RISK_ACTIVE,
                      "cooldown over", now_ns);
        e->loss_streak = 0;
    }
    return 0;
}

static void fmt_usd(usd_t v, char *buf, size_t cap) { risk_fmt_usd(v, buf, cap); }

static void check_daily(struct risk_engine *e, int scope, uint32_t index, struct risk_agg *a,
                        usd_t bound, int64_t now_ns) {
    if (bound == RISK_UNLIMITED || a->holds.hold[RISK_REASON_DAILY_LOSS] != RISK_ACTIVE) return;
    usd_t loss = a->day_base - (a->realized + a->unrealized);
    if (loss <= bound) return;
    char label[128], l[MONEY_FMT_MAX], b[MONEY_FMT_MAX];
    scope_label(e, scope, index, label, sizeof label);
    fmt_usd(loss, l, sizeof l);
    fmt_usd(bound, b, sizeof b);
    char text[384];
    snprintf(text, sizeof text, "DAILY_LOSS: %s daily loss %s USD > limit %s USD", label, l, b);
    risk_emit(e, now_ns, RISK_EV_LIMIT_BREACH, RISK_R_DAILY_LOSS, scope, index, a->holds.state,
              a->holds.state, "%s", text);
    risk_hold_set(e, scope, index, RISK_REASON_DAILY_LOSS, RISK_REDUCING, text, now_ns);
}

void risk_evaluate_pnl(struct risk_engine *e, uint32_t market, int64_t now_ns) {
    struct risk_market *mk = &e->mkt[market];
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX], label[128], text[384];

    /* Position stop: PnL of the current round trip (realized since it
     * opened, fees included, plus unrealized) reaching -position_stop. */
    if (!mk->stopped && !mk->resolved && e->lim.position_stop != RISK_UNLIMITED && mk->held) {
        usd_t pnl = (mk->agg.realized - mk->rt_start) + mk->agg.unrealized;
        if (pnl <= -e->lim.position_stop) {
            mk->stopped = true;
            scope_label(e, RISK_SCOPE_MARKET, market, label, sizeof label);
            fmt_usd(pnl, a, sizeof a);
            fmt_usd(-e->lim.position_stop, b, sizeof b);
            snprintf(text, sizeof text, "POSITION_STOP: %s position PnL %s USD <= stop %s USD: exit", label,
                     a, b);
            risk_emit(e, now_ns, RISK_EV_POSITION_STOP, RISK_R_POSITION_STOP, RISK_SCOPE_MARKET,
                      market, mk->agg.holds.state, mk->agg.holds.state, "%s", text);
            risk_hold_set(e, RISK_SCOPE_MARKET, market, RISK_REASON_POSITION_STOP, RISK_REDUCING,
                          text, now_ns);
        }
    }

    uint8_t v = e->reg.markets[market].venue;
    check_daily(e, RISK_SCOPE_VENUE, v, &e->venue[v].agg, e->lim.venue[v].scope.max_daily_loss,
                now_ns);
    check_daily(e, RISK_SCOPE_GLOBAL, 0, &e->g, e->lim.global.max_daily_loss, now_ns);

    usd_t equity = risk_equity(e);
    if (equity > e->peak_equity) e->peak_equity = equity;
    usd_t bound = risk_drawdown_bound(e);
    usd_t dd = e->peak_equity - equity;
    if (bound != RISK_UNLIMITED && dd > bound &&
        e->g.holds.hold[RISK_REASON_DRAWDOWN] == RISK_ACTIVE) {
        fmt_usd(dd, a, sizeof a);
        fmt_usd(bound, b, sizeof b);
        snprintf(text, sizeof text, "DRAWDOWN: drawdown %s USD from peak > limit %s USD", a, b);
        risk_emit(e, now_ns, RISK_EV_LIMIT_BREACH, RISK_R_DRAWDOWN, RISK_SCOPE_GLOBAL, 0,
                  e->g.holds.state, e->g.holds.state, "%s", text);
        risk_hold_set(e, RISK_SCOPE_GLOBAL, 0, RISK_REASON_DRAWDOWN, RISK_HALTED, text, now_ns);
    }
}

void risk_round_trip_closed(struct risk_engine *e, uint32_t market, int64_t now_ns) {
    struct risk_market *mk = &e->mkt[market];
    usd_t rt = mk->agg.realized - mk->rt_start;
    if (mk->stopped) {
        mk->stopped = false;
        risk_hold_set(e, RISK_SCOPE_MARKET, market, RISK_REASON_POSITION_STOP, RISK_ACTIVE,
                      "position closed", now_ns);
    }
    if (e->lim.breaker_losses <= 0) return;
    if (rt >= 0) {
        e->loss_streak = 0;
        return;
    }
    e->loss_streak++;
    if (e->loss_streak < e->lim.breaker_losses ||
        e->g.holds.hold[RISK_REASON_LOSS_BREAKER] != RISK_ACTIVE)
        return;
    e->breaker_until_ns = now_ns + e->lim.breaker_cooldown_ms * RISK_NS_PER_MS;
    char text[384];
    snprintf(text, sizeof text, "LOSS_BREAKER: %lld losing round trips in a row >= limit %lld, cooldown %lld s",
             (long long)e->loss_streak, (long long)e->lim.breaker_losses,
             (long long)(e->lim.breaker_cooldown_ms / 1000));
    e->loss_streak = 0;
    risk_emit(e, now_ns, RISK_EV_LIMIT_BREACH, RISK_R_LOSS_BREAKER, RISK_SCOPE_GLOBAL, 0,
              e->g.holds.state, e->g.holds.state, "%s", text);
    risk_hold_set(e, RISK_SCOPE_GLOBAL, 0, RISK_REASON_LOSS_BREAKER, e->lim.breaker_state, text,
                  now_ns);
}
