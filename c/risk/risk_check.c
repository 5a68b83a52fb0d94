/* risk_check.c -- the pre-trade check.
 *
 * Order of the checks: the order's own validity (instrument, price, qty,
 * tick, lot, minimums), then the trading state, then market data (mark,
 * staleness, collar), then the limits that count positions plus open
 * orders at their worst case, then the venue throttles. The accept path
 * does integer arithmetic only; the reason string is formatted only when
 * the order is rejected. */
#include <stdarg.h>
#include <stdio.h>

#include "core/money_wide.h"
#include "risk/risk_internal.h"

static int reject(char *buf, size_t cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int reject(char *buf, size_t cap, int code, const char *fmt, ...) {
    if (buf == NULL || cap == 0) return code;
    int n = snprintf(buf, cap, "%s: ", risk_code_name(code));
    if (n >= 0 && (size_t)n < cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Price / quantity / quote amounts for messages. */
static const char *fmt_amt(int64_t v, unsigned scale, char *buf, size_t cap) {
    if (money_format(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

static const char *mkt_label(const struct risk_engine *e, const struct instrument *in) {
    return e->reg.markets[in->market].key;
}

/* The binding bound among global / venue / market and its scope's name. */
static usd_t min_bound(usd_t g, usd_t v, usd_t m, const char **scope) {
    usd_t b = g;
    *scope = "global";
    if (v < b) { b = v; *scope = "venue"; }
    if (m < b) { b = m; *scope = "market"; }
    return b;
}

/* Finds the scope and reason responsible for an effective state. */
static void dominant_hold(const struct risk_engine *e, const struct instrument *in, uint8_t state,
                          int *scope, int *reason) {
    const struct risk_holds *hs[3] = {&e->g.holds, &e->venue[in->venue].agg.holds,
                                      &e->mkt[in->market].agg.holds};
    for (int s = 0; s < 3; s++) {
        if (hs[s]->state != state) continue;
        for (int r = 1; r < RISK_REASON_COUNT; r++) {
            if (hs[s]->hold[r] == state) {
                *scope = s;
                *reason = r;
                return;
            }
        }
    }
    *scope = RISK_SCOPE_GLOBAL;
    *reason = RISK_REASON_NONE;
}

static void scope_text(const struct risk_engine *e, const struct instrument *in, int scope,
                       char *buf, size_t cap) {
    if (scope == RISK_SCOPE_GLOBAL)
        snprintf(buf, cap, "global");
    else if (scope == RISK_SCOPE_VENUE)
        snprintf(buf, cap, "venue %s", venue_name((enum venue_id)in->venue));
    else
        snprintf(buf, cap, "market %.70s", mkt_label(e, in));
}

int risk_check(struct risk_engine *e, uint32_t instrument, int side, int64_t price, int64_t qty,
               uint32_t flags, int64_t now_ns, uint64_t *res_id, char *reason, size_t reason_len) {
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX], c[MONEY_FMT_MAX];
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL)
        return reject(reason, reason_len, RISK_R_UNKNOWN_INSTRUMENT,
                      "instrument id %u is not registered", instrument);
    if (side != RISK_BUY && side != RISK_SELL)
        return reject(reason, reason_len, RISK_R_BAD_SIDE, "side %d is neither buy (0) nor sell (1)",
                      side);
    risk_maybe_rollover(e, now_ns);

    const struct risk_venue_limits *vl = &e->lim.venue[in->venue];
    struct risk_venue *vs = &e->venue[in->venue];
    struct risk_market *mk = &e->mkt[in->market];
    struct risk_inst *s = &e->inst[instrument];
    const unsigned ps = in->price_scale, qs = in->qty_scale;

    /* ---- the order itself ---- */
    if (qty <= 0)
        return reject(reason, reason_len, RISK_R_BAD_QTY, "%s qty %s must be > 0", in->symbol,
                      fmt_amt(qty, qs, a, sizeof a));
    if (price <= 0 || (in->kind == INSTRUMENT_BINARY && price >= money_pow10(ps)))
        return reject(reason, reason_len, RISK_R_BAD_PRICE, "%.80s price %s outside %s",
                      in->symbol, fmt_amt(price, ps, a, sizeof a),
                      in->kind == INSTRUMENT_BINARY ? "(0, 1)" : "(0, inf)");
    if (price % in->tick != 0)
        return reject(reason, reason_len, RISK_R_TICK, "%.80s price %s is not a multiple of tick %s",
                      in->symbol, fmt_amt(price, ps, a, sizeof a), fmt_amt(in->tick, ps, b, sizeof b));
    if (qty % in->lot != 0)
        return reject(reason, reason_len, RISK_R_LOT, "%.80s qty %s is not a multiple of lot %s",
                      in->symbol, fmt_amt(qty, qs, a, sizeof a), fmt_amt(in->lot, qs, b, sizeof b));
    if (qty < in->min_qty)
        return reject(reason, reason_len, RISK_R_MIN_QTY, "%.80s qty %s < minimum %s", in->symbol,
                      fmt_amt(qty, qs, a, sizeof a), fmt_amt(in->min_qty, qs, b, sizeof b));
    int64_t notional_floor, notional;
    if (risk_notional(in, price, qty, MONEY_ROUND_FLOOR, &notional_floor) != MONEY_OK ||
        risk_notional(in, price, qty, MONEY_ROUND_CEIL, &notional) != MONEY_OK)
        return reject(reason, reason_len, RISK_R_OVERFLOW, "%.80s notional out of range", in->symbol);
    /* floor(x) < m  <=>  x < m for an integer m: an exact comparison. */
    if (notional_floor < in->min_notional)
        return reject(reason, reason_len, RISK_R_MIN_NOTIONAL, "%.80s notional %s %s < minimum %s %s",
                      in->symbol, fmt_amt(notional, INSTRUMENT_QUOTE_SCALE, a, sizeof a),
                      in->quote_ccy, fmt_amt(in->min_notional, INSTRUMENT_QUOTE_SCALE, b, sizeof b),
                      in->quote_ccy);
    if (mk->resolved)
        return reject(reason, reason_len, RISK_R_RESOLVED, "market %.70s has resolved",
                      mkt_label(e, in));
    if (in->kind == INSTRUMENT_BINARY && side == RISK_SELL && s->sell_qty + qty > s->qty)
        return reject(reason, reason_len, RISK_R_NO_SHORT,
                      "%.80s sell %s + open sells %s > held %s (binary outcomes cannot be shorted)",
                      in->symbol, fmt_amt(qty, qs, a, sizeof a), fmt_amt(s->sell_qty, qs, b, sizeof b),
                      fmt_amt(s->qty, qs, c, sizeof c));

    /* ---- worst case with this order ---- */
    struct risk_leg legs[2];
    const struct instrument *first;
    int n = risk_market_legs(e, in->market, legs, &first);
    int k = e->reg.markets[in->market].instruments[0] == instrument ? 0 : 1;
    int64_t *leg_qty = side == RISK_BUY ? &legs[k].buy_qty : &legs[k].sell_qty;
    int64_t *leg_not = side == RISK_BUY ? &legs[k].buy_notional : &legs[k].sell_notional;
    int64_t new_quote;
    usd_t new_exp, order_usd;
    if (money_add(*leg_qty, qty, leg_qty) != MONEY_OK ||
        money_add(*leg_not, notional, leg_not) != MONEY_OK ||
        risk_exposure_quote(first, legs, n, &new_quote) != MONEY_OK ||
        risk_quote_to_usd(new_quote, risk_market_rate(e, in->market), MONEY_ROUND_CEIL, &new_exp) !=
            MONEY_OK ||
        risk_quote_to_usd(notional, in->usd_rate, MONEY_ROUND_CEIL, &order_usd) != MONEY_OK)
        return reject(reason, reason_len, RISK_R_OVERFLOW, "%.80s exposure out of range", in->symbol);
    usd_t old_exp = mk->agg.exposure;
    usd_t delta = new_exp - old_exp;

    bool reducing;
    if (in->kind == INSTRUMENT_BINARY)
        reducing = side == RISK_SELL || delta <= 0;
    else if (side == RISK_SELL)
        reducing = s->qty > 0 && s->sell_qty + qty <= s->qty;
    else
        reducing = s->qty < 0 && s->buy_qty + qty <= -s->qty;

    /* ---- trading state ---- */
    uint8_t state = e->g.holds.state;
    if (vs->agg.holds.state > state) state = vs->agg.holds.state;
    if (mk->agg.holds.state > state) state = mk->agg.holds.state;
    if (state == RISK_HALTED || (state == RISK_REDUCING && !reducing)) {
        int scope, why;
        dominant_hold(e, in, state, &scope, &why);
        int code = risk_reason_to_code(why);
        if (code == 0) code = state == RISK_HALTED ? RISK_R_HALTED : RISK_R_REDUCE_ONLY;
        char where[96];
        scope_text(e, in, scope, where, sizeof where);
        return reject(reason, reason_len, code, "%s is %s (%s)%s", where, risk_state_name(state),
                      risk_reason_name(why),
                      state == RISK_HALTED ? ": no new orders" : ": order would increase exposure");
    }
    if ((flags & RISK_ORDER_REDUCE_ONLY) && !reducing)
        return reject(reason, reason_len, RISK_R_REDUCE_ONLY,
                      "reduce-only order on %.80s would increase exposure", in->symbol);

    /* ---- market data ---- */
    if (!s->has_mark) {
        if (vl->require_mark)
            return reject(reason, reason_len, RISK_R_NO_MARK, "%.80s has no mark price",
                          in->symbol);
    } else {
        /* A stale mark blocks only orders that add risk: an exit must stay
         * possible when the feed dies, and it is still collared against
         * the last mark we had (a fat-fingered exit is a loss too). */
        if (vl->stale_mark_ms > 0 && now_ns - s->mark_ns > vl->stale_mark_ms * RISK_NS_PER_MS &&
            !reducing)
            return reject(reason, reason_len, RISK_R_STALE_MARK,
                          "%.80s mark is %lld ms old > limit %lld ms", in->symbol,
                          (long long)((now_ns - s->mark_ns) / RISK_NS_PER_MS),
                          (long long)vl->stale_mark_ms);
        if (vl->price_collar_bps > 0) {
            money_i128 band = money_i128_div_round((money_i128)s->mark * vl->price_collar_bps, 10000,
                                                   MONEY_ROUND_FLOOR);
            money_i128 min_band = (money_i128)vl->price_collar_min_ticks * in->tick;
            if (min_band > band) band = min_band;
            bool out = side == RISK_BUY ? (money_i128)price > s->mark + band
                                        : (money_i128)price < s->mark - band;
            if (out) {
                int64_t lim = side == RISK_BUY ? (int64_t)(s->mark + band) : (int64_t)(s->mark - band);
                return reject(reason, reason_len, RISK_R_PRICE_COLLAR,
                              "%.80s %s %s %s collar %s (mark %s, %lld bps)", in->symbol,
                              side == RISK_BUY ? "buy" : "sell", fmt_amt(price, ps, a, sizeof a),
                              side == RISK_BUY ? ">" : "<", fmt_amt(lim, ps, b, sizeof b),
                              fmt_amt(s->mark, ps, c, sizeof c), (long long)vl->price_collar_bps);
            }
        }
    }

    /* ---- limits on positions plus open orders ---- */
    const char *scope;
    usd_t bound = min_bound(e->lim.global.max_order_notional, vl->scope.max_order_notional,
                            mk->max_order_notional, &scope);
    if (order_usd > bound)
        return reject(reason, reason_len, RISK_R_MAX_ORDER_NOTIONAL,
                      "%s order %.80s notional %s USD > limit %s USD", scope, in->symbol,
                      risk_fmt_usd(order_usd, a, sizeof a), risk_fmt_usd(bound, b, sizeof b));
    if (delta > 0) {
        bound = min_bound(e->lim.global.max_position, vl->scope.max_position, mk->max_position,
                          &scope);
        if (new_exp > bound)
            return reject(reason, reason_len, RISK_R_MAX_POSITION,
                          "market %.70s worst-case %s USD > %s limit %s USD", mkt_label(e, in),
                          risk_fmt_usd(new_exp, a, sizeof a), scope, risk_fmt_usd(bound, b, sizeof b));
        if (e->g.exposure + delta > e->lim.global.max_exposure)
            return reject(reason, reason_len, RISK_R_MAX_EXPOSURE,
                          "global exposure %s USD > limit %s USD",
                          risk_fmt_usd(e->g.exposure + delta, a, sizeof a),
                          risk_fmt_usd(e->lim.global.max_exposure, b, sizeof b));
        if (vs->agg.exposure + delta > vl->scope.max_exposure)
            return reject(reason, reason_len, RISK_R_MAX_EXPOSURE,
                          "venue %s exposure %s USD > limit %s USD", venue_name((enum venue_id)in->venue),
                          risk_fmt_usd(vs->agg.exposure + delta, a, sizeof a),
                          risk_fmt_usd(vl->scope.max_exposure, b, sizeof b));
        /* Belt and braces: the DAILY_LOSS hold normally catches this first. */
        usd_t gloss = e->g.day_base - (e->g.realized + e->g.unrealized);
        usd_t vloss = vs->agg.day_base - (vs->agg.realized + vs->agg.unrealized);
        if (gloss > e->lim.global.max_daily_loss || vloss > vl->scope.max_daily_loss)
            return reject(reason, reason_len, RISK_R_DAILY_LOSS,
                          "daily loss %s USD (venue %s USD) is past the limit: no new exposure",
                          risk_fmt_usd(gloss, a, sizeof a), risk_fmt_usd(vloss, b, sizeof b));
    }
    if (!mk->open) {
        if (e->g.positions + 1 > e->lim.global.max_positions)
            return reject(reason, reason_len, RISK_R_MAX_POSITIONS,
                          "global positions %lld > limit %lld (opening market %.70s)",
                          (long long)(e->g.positions + 1), (long long)e->lim.global.max_positions,
                          mkt_label(e, in));
        if (vs->agg.positions + 1 > vl->scope.max_positions)
            return reject(reason, reason_len, RISK_R_MAX_POSITIONS,
                          "venue %s positions %lld > limit %lld (opening market %.70s)",
                          venue_name((enum venue_id)in->venue), (long long)(vs->agg.positions + 1),
                          (long long)vl->scope.max_positions, mkt_label(e, in));
    }

    /* ---- venue throttles ---- */
    if (vl->max_orders > 0 && risk_rate_full(&vs->rate, now_ns, vl->order_window_ms * RISK_NS_PER_MS))
        return reject(reason, reason_len, RISK_R_ORDER_RATE,
                      "venue %s orders %lld in %lld ms > limit %lld", venue_name((enum venue_id)in->venue),
                      (long long)vl->max_orders + 1, (long long)vl->order_window_ms,
                      (long long)vl->max_orders);
    if (vl->max_cancel_fill_x100 > 0) {
        uint64_t cancels, fills;
        risk_cf_sum(vs, vl->cancel_fill_window_ms, now_ns, &cancels, &fills);
        if (cancels + fills >= (uint64_t)vl->cancel_fill_min_sample &&
            (money_i128)cancels * 100 > (money_i128)vl->max_cancel_fill_x100 * fills)
            return reject(reason, reason_len, RISK_R_CANCEL_FILL_RATIO,
                          "venue %s %llu cancels / %llu fills > ratio %s in %lld ms",
                          venue_name((enum venue_id)in->venue), (unsigned long long)cancels,
                          (unsigned long long)fills, fmt_amt(vl->max_cancel_fill_x100, 2, a, sizeof a),
                          (long long)vl->cancel_fill_window_ms);
    }

    /* ---- accept ---- */
    if (e->res_free == RISK_NO_INDEX)
        return reject(reason, reason_len, RISK_R_CAPACITY, "%u open reservations: table full",
                      e->res_count);
    uint64_t id = e->next_res_id;
    int rc = risk_res_open(e, id, instrument, side, price, qty, notional, now_ns);
    if (rc != 0)
        return reject(reason, reason_len, rc == RISK_E_OVERFLOW ? RISK_R_OVERFLOW : RISK_R_CAPACITY,
                      "cannot reserve the order");
    e->next_res_id++;
    risk_rate_push(&vs->rate, now_ns);
    if (res_id) *res_id = id;
    return RISK_OK;
}
