/* risk_book.c -- reservations and the position book.
 *
 * A reservation is the worst case of one accepted order: it adds its
 * quantity and limit-price notional to the instrument's open buy/sell
 * figures until the venue rejects, cancels, expires or fills it. Partial
 * fills release it proportionally (rounded down, so what stays reserved
 * never understates) and the last fill releases the remainder exactly.
 *
 * Positions use average cost: a fill that adds to a position adds its
 * notional to the cost basis; a fill that reduces it realizes
 * (price - average cost) * qty and removes the same share of the basis.
 * Realized PnL is net of fees and converted to USD at the rate of the
 * moment, rounded half-even (bookkeeping favours no side). */
#include <string.h>

#include "core/money_wide.h"
#include "risk/risk_internal.h"

struct risk_res *risk_res_find(struct risk_engine *e, uint64_t id) {
    uint32_t slot;
    if (risk_map_get(&e->res_index, id, &slot) != 0) return NULL;
    return &e->res[slot];
}

static bool market_held(const struct risk_engine *e, uint32_t market) {
    const struct instrument_market *m = &e->reg.markets[market];
    for (int k = 0; k < m->n_instruments; k++)
        if (e->inst[m->instruments[k]].qty != 0) return true;
    return false;
}

int risk_res_open(struct risk_engine *e, uint64_t id, uint32_t instrument, int side,
                  int64_t price, int64_t qty, int64_t notional, int64_t now_ns) {
    if (e->res_free == RISK_NO_INDEX) return RISK_E_CAPACITY;
    struct risk_inst *s = &e->inst[instrument];
    int64_t nq, nn;
    int64_t *qty_sum = side == RISK_BUY ? &s->buy_qty : &s->sell_qty;
    int64_t *not_sum = side == RISK_BUY ? &s->buy_notional : &s->sell_notional;
    if (money_add(*qty_sum, qty, &nq) != MONEY_OK || money_add(*not_sum, notional, &nn) != MONEY_OK)
        return RISK_E_OVERFLOW;

    uint32_t slot = e->res_free;
    if (risk_map_put(&e->res_index, id, slot) != 0) return RISK_E_CAPACITY;
    struct risk_res *r = &e->res[slot];
    e->res_free = r->next_free;
    memset(r, 0, sizeof *r);
    r->id = id;
    r->instrument = instrument;
    r->side = (uint8_t)side;
    r->price = price;
    r->qty_left = qty;
    r->notional_left = notional;
    r->created_ns = now_ns;
    r->next_free = RISK_NO_INDEX;
    e->res_count++;

    *qty_sum = nq;
    *not_sum = nn;
    uint32_t market = e->reg.items[instrument].market;
    e->mkt[market].open_orders++;
    risk_market_refresh(e, market);
    return 0;
}

/* Releases qty (and notional) of a reservation; frees it when nothing is
 * left. Does not refresh the market (callers batch that). */
static void res_release(struct risk_engine *e, struct risk_res *r, int64_t qty, int64_t notional) {
    struct risk_inst *s = &e->inst[r->instrument];
    if (r->side == RISK_BUY) {
        s->buy_qty -= qty;
        s->buy_notional -= notional;
    } else {
        s->sell_qty -= qty;
        s->sell_notional -= notional;
    }
    r->qty_left -= qty;
    r->notional_left -= notional;
    if (r->qty_left > 0) return;
    uint32_t slot = (uint32_t)(r - e->res);
    risk_map_del(&e->res_index, r->id);
    e->mkt[e->reg.items[r->instrument].market].open_orders--;
    e->res_count--;
    r->id = 0;
    r->next_free = e->res_free;
    e->res_free = slot;
}

static void res_release_all(struct risk_engine *e, struct risk_res *r) {
    uint32_t market = e->reg.items[r->instrument].market;
    res_release(e, r, r->qty_left, r->notional_left);
    risk_market_refresh(e, market);
}

int risk_on_ack(struct risk_engine *e, uint64_t res_id, const char *venue_order_id) {
    struct risk_res *r = risk_res_find(e, res_id);
    if (r == NULL) return RISK_E_UNKNOWN_RESERVATION;
    r->acked = 1;
    if (venue_order_id) {
        size_t n = strnlen(venue_order_id, sizeof r->venue_order_id - 1);
        memcpy(r->venue_order_id, venue_order_id, n);
        r->venue_order_id[n] = '\0';
    }
    return 0;
}

int risk_on_reject(struct risk_engine *e, uint64_t res_id, int64_t now_ns) {
    struct risk_res *r = risk_res_find(e, res_id);
    if (r == NULL) return RISK_E_UNKNOWN_RESERVATION;
    risk_maybe_rollover(e, now_ns);
    res_release_all(e, r);
    return 0;
}

int risk_on_cancel(struct risk_engine *e, uint64_t res_id, int expired, int64_t now_ns) {
    struct risk_res *r = risk_res_find(e, res_id);
    if (r == NULL) return RISK_E_UNKNOWN_RESERVATION;
    risk_maybe_rollover(e, now_ns);
    uint8_t venue = e->reg.items[r->instrument].venue;
    res_release_all(e, r);
    if (!expired) risk_cf_record(&e->venue[venue], e->lim.venue[venue].cancel_fill_window_ms, now_ns, 0);
    return 0;
}

/* Books qty at price (fee in quote) into an instrument's position and
 * returns the realized PnL and fee in USD. Nothing changes on error. */
static int book_fill(struct risk_engine *e, uint32_t instrument, int side, int64_t qty,
                     int64_t price, int64_t fee, usd_t *realized_usd, usd_t *fee_usd) {
    const struct instrument *in = &e->reg.items[instrument];
    struct risk_inst *s = &e->inst[instrument];
    int64_t notional;
    int rc = risk_notional(in, price, qty, MONEY_ROUND_HALF_EVEN, &notional);
    if (rc != MONEY_OK) return RISK_E_OVERFLOW;

    int sign = side == RISK_BUY ? 1 : -1;
    money_i128 new_qty = s->qty, new_cost = s->cost, realized = 0;
    int pos_sign = s->qty > 0 ? 1 : (s->qty < 0 ? -1 : 0);
    if (pos_sign == 0 || pos_sign == sign) {
        new_qty += (money_i128)sign * qty;
        new_cost += (money_i128)sign * notional;
    } else {
        int64_t held = s->qty < 0 ? -s->qty : s->qty;
        int64_t close = qty < held ? qty : held;
        money_i128 cost_part = close == held ? (money_i128)s->cost
                                             : money_i128_div_round((money_i128)s->cost * close, held,
                                                                    MONEY_ROUND_HALF_EVEN);
        money_i128 notional_close = close == qty ? (money_i128)notional
                                                 : money_i128_div_round((money_i128)notional * close,
                                                                        qty, MONEY_ROUND_HALF_EVEN);
        realized = (money_i128)pos_sign * notional_close - cost_part;
        new_cost -= cost_part;
        new_qty += (money_i128)sign * close;
        if (qty > close) { /* flips through zero */
            new_qty += (money_i128)sign * (qty - close);
            new_cost += (money_i128)sign * (notional - notional_close);
        }
    }
    realized -= fee;

    int64_t q64, c64, r64;
    usd_t r_usd, f_usd;
    if (money_i128_to_i64(new_qty, &q64) || money_i128_to_i64(new_cost, &c64) ||
        money_i128_to_i64(realized, &r64) ||
        risk_quote_to_usd(r64, in->usd_rate, MONEY_ROUND_HALF_EVEN, &r_usd) ||
        risk_quote_to_usd(fee, in->usd_rate, MONEY_ROUND_HALF_EVEN, &f_usd))
        return RISK_E_OVERFLOW;
    s->qty = q64;
    s->cost = q64 == 0 ? 0 : c64;
    s->realized += r_usd;
    s->fees += f_usd;
    *realized_usd = r_usd;
    *fee_usd = f_usd;
    return 0;
}

static void add_realized(struct risk_engine *e, uint32_t market, usd_t realized, usd_t fee) {
    uint8_t v = e->reg.markets[market].venue;
    e->mkt[market].agg.realized += realized;
    e->mkt[market].agg.fees += fee;
    e->venue[v].agg.realized += realized;
    e->venue[v].agg.fees += fee;
    e->g.realized += realized;
    e->g.fees += fee;
}

/* After a position change: round-trip bookkeeping, caches, automatic holds. */
static void after_position_change(struct risk_engine *e, uint32_t market, bool was_held,
                                  usd_t realized_before, bool flipped, int64_t now_ns) {
    bool held = market_held(e, market);
    if (!was_held && held) e->mkt[market].rt_start = realized_before;
    risk_market_refresh(e, market);
    if (was_held && !held) risk_round_trip_closed(e, market, now_ns);
    /* A fill that goes through zero (long -> short or back) closes one
     * round trip and opens the next: the loss breaker counts the first,
     * and the next starts from what is realized now. */
    if (was_held && held && flipped) {
        risk_round_trip_closed(e, market, now_ns);
        e->mkt[market].rt_start = e->mkt[market].agg.realized;
    }
    risk_evaluate_pnl(e, market, now_ns);
}

int risk_on_fill(struct risk_engine *e, uint64_t res_id, uint32_t instrument, int side,
                 const char *trade_id, int64_t qty, int64_t price, int64_t fee, int liquidity,
                 int64_t now_ns) {
    (void)liquidity;
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL || (side != RISK_BUY && side != RISK_SELL) || trade_id == NULL ||
        trade_id[0] == '\0' || qty <= 0 || price < 0 || fee == INT64_MIN)
        return RISK_E_INVALID;
    uint64_t key = risk_hash_str(in->venue + 1, trade_id);
    if (risk_dedupe_contains(&e->fills_seen, key)) return RISK_FILL_DUPLICATE;

    struct risk_res *r = res_id ? risk_res_find(e, res_id) : NULL;
    if (r && (r->instrument != instrument || r->side != side)) return RISK_E_INVALID;
    risk_maybe_rollover(e, now_ns);

    uint32_t market = in->market;
    bool was_held = market_held(e, market);
    usd_t realized_before = e->mkt[market].agg.realized;
    int64_t qty_before = e->inst[instrument].qty;
    usd_t realized, fee_usd;
    int rc = book_fill(e, instrument, side, qty, price, fee, &realized, &fee_usd);
    if (rc != 0) return rc;
    risk_dedupe_insert(&e->fills_seen, key);
    add_realized(e, market, realized, fee_usd);

    if (r != NULL) {
        if (qty >= r->qty_left) {
            if (qty > r->qty_left)
                risk_emit(e, now_ns, RISK_EV_ANOMALY, 0, RISK_SCOPE_MARKET, market, 0, 0,
                          "overfill: trade %.60s filled %lld > open %lld on reservation %llu",
                          trade_id, (long long)qty, (long long)r->qty_left,
                          (unsigned long long)res_id);
            res_release(e, r, r->qty_left, r->notional_left);
        } else {
            int64_t part = (int64_t)money_i128_div_round((money_i128)r->notional_left * qty,
                                                         r->qty_left, MONEY_ROUND_FLOOR);
            res_release(e, r, qty, part);
        }
    } else if (res_id != 0) {
        risk_emit(e, now_ns, RISK_EV_ANOMALY, 0, RISK_SCOPE_MARKET, market, 0, 0,
                  "fill %.60s for unknown reservation %llu booked into the position", trade_id,
                  (unsigned long long)res_id);
    }
    risk_cf_record(&e->venue[in->venue], e->lim.venue[in->venue].cancel_fill_window_ms, now_ns, 1);
    int64_t qty_after = e->inst[instrument].qty;
    bool flipped = (qty_before > 0 && qty_after < 0) || (qty_before < 0 && qty_after > 0);
    after_position_change(e, market, was_held, realized_before, flipped, now_ns);
    return 0;
}

int risk_resolve_market(struct risk_engine *e, uint32_t market, uint32_t winner, int64_t now_ns) {
    if (market >= e->reg.market_count) return RISK_E_INVALID;
    const struct instrument_market *m = &e->reg.markets[market];
    if (e->reg.items[m->instruments[0]].kind != INSTRUMENT_BINARY) return RISK_E_INVALID;
    bool winner_ok = winner == INSTRUMENT_NONE;
    for (int k = 0; k < m->n_instruments; k++) winner_ok |= m->instruments[k] == winner;
    if (!winner_ok) return RISK_E_INVALID;
    if (e->mkt[market].resolved) return 0;
    risk_maybe_rollover(e, now_ns);

    /* Open orders die with the market. */
    for (uint32_t i = 0; i < e->res_cap; i++) {
        struct risk_res *r = &e->res[i];
        if (r->id != 0 && e->reg.items[r->instrument].market == market)
            res_release(e, r, r->qty_left, r->notional_left);
    }
    bool was_held = market_held(e, market);
    usd_t realized_before = e->mkt[market].agg.realized;
    for (int k = 0; k < m->n_instruments; k++) {
        uint32_t id = m->instruments[k];
        struct risk_inst *s = &e->inst[id];
        if (s->qty == 0) continue;
        const struct instrument *in = &e->reg.items[id];
        int64_t settle = id == winner ? money_pow10(in->price_scale) : 0;
        int side = s->qty > 0 ? RISK_SELL : RISK_BUY;
        int64_t q = s->qty > 0 ? s->qty : -s->qty;
        usd_t realized, fee_usd;
        if (book_fill(e, id, side, q, settle, 0, &realized, &fee_usd) != 0) return RISK_E_OVERFLOW;
        add_realized(e, market, realized, fee_usd);
    }
    e->mkt[market].resolved = true;
    risk_hold_set(e, RISK_SCOPE_MARKET, market, RISK_REASON_RESOLVED, RISK_HALTED,
                  "market resolved", now_ns);
    after_position_change(e, market, was_held, realized_before, false, now_ns);
    return 0;
}

int risk_set_position(struct risk_engine *e, uint32_t instrument, int64_t qty, int64_t cost,
                      int64_t now_ns) {
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL || qty == INT64_MIN || cost == INT64_MIN) return RISK_E_INVALID;
    if (in->kind == INSTRUMENT_BINARY && qty < 0) return RISK_E_INVALID;
    risk_maybe_rollover(e, now_ns);
    bool was_held = market_held(e, in->market);
    usd_t realized_before = e->mkt[in->market].agg.realized;
    e->inst[instrument].qty = qty;
    e->inst[instrument].cost = qty == 0 ? 0 : cost;
    after_position_change(e, in->market, was_held, realized_before, false, now_ns);
    return 0;
}

int risk_restore_reservation(struct risk_engine *e, uint64_t res_id, uint32_t instrument,
                             int side, int64_t price, int64_t qty, int64_t now_ns) {
    const struct instrument *in = instrument_get(&e->reg, instrument);
    if (in == NULL || res_id == 0 || (side != RISK_BUY && side != RISK_SELL) || qty <= 0 ||
        price <= 0)
        return RISK_E_INVALID;
    if (risk_res_find(e, res_id) != NULL) return RISK_E_DUPLICATE_ID;
    risk_maybe_rollover(e, now_ns);
    int64_t notional;
    if (risk_notional(in, price, qty, MONEY_ROUND_CEIL, &notional) != MONEY_OK)
        return RISK_E_OVERFLOW;
    int rc = risk_res_open(e, res_id, instrument, side, price, qty, notional, now_ns);
    if (rc != 0) return rc;
    if (res_id >= e->next_res_id) e->next_res_id = res_id + 1;
    risk_rate_push(&e->venue[in->venue].rate, now_ns);
    return 0;
}
