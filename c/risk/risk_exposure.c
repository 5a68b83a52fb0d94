/* risk_exposure.c -- worst-case exposure and unrealized PnL of a market.
 *
 * Exposure is money that can be lost, not market value:
 *  - held positions count at cost (what was paid), except shorts, whose
 *    loss is unbounded and which count at the higher of proceeds and mark;
 *  - open buys count at their limit price, open sells only when they would
 *    open or grow a short (a sell that can only close a long cannot lose);
 *  - a binary market (YES and NO) pays 1 per share of the winning outcome,
 *    so with Y and N the shares held plus bought by open orders and C the
 *    money at risk (held at cost + open buys at limit), the worst-case loss
 *    at resolution is max(0, C - min(Y, N)): a YES+NO pair is riskless.
 * Every rounding here goes up (conservative). Marks never change the
 * exposure of a long, so marks moving cannot push a long past a limit; the
 * loss side of marks is the job of the daily-loss, stop and drawdown rules. */
#include "core/money_wide.h"
#include "risk/risk_internal.h"

void risk_leg_from_inst(struct risk_leg *leg, const struct risk_inst *s) {
    leg->qty = s->qty;
    leg->cost = s->cost;
    leg->buy_qty = s->buy_qty;
    leg->buy_notional = s->buy_notional;
    leg->sell_qty = s->sell_qty;
    leg->sell_notional = s->sell_notional;
    leg->mark = s->mark;
    leg->has_mark = s->has_mark;
}

int risk_notional(const struct instrument *in, int64_t price, int64_t qty, enum money_rounding r,
                  int64_t *out) {
    return money_mul(price, in->price_scale, qty, in->qty_scale, INSTRUMENT_QUOTE_SCALE, r, out);
}

int risk_quote_to_usd(int64_t quote, int64_t usd_rate, enum money_rounding r, usd_t *out) {
    money_i128 v = money_i128_div_round((money_i128)quote * usd_rate,
                                        money_i128_pow10(INSTRUMENT_RATE_SCALE), r);
    return money_i128_to_i64(v, out);
}

/* Share count expressed as quote money at 1 per share (scale 8), floored:
 * what a winning binary outcome pays. */
static money_i128 payoff_quote(int64_t shares, unsigned qty_scale) {
    if (qty_scale <= INSTRUMENT_QUOTE_SCALE)
        return (money_i128)shares * money_i128_pow10(INSTRUMENT_QUOTE_SCALE - qty_scale);
    return money_i128_div_round(shares, money_i128_pow10(qty_scale - INSTRUMENT_QUOTE_SCALE),
                                MONEY_ROUND_FLOOR);
}

static money_i128 max128(money_i128 a, money_i128 b) { return a > b ? a : b; }

/* a * num / den rounded up, all non-negative. */
static money_i128 part_ceil(int64_t a, int64_t num, int64_t den) {
    if (den <= 0 || num <= 0 || a <= 0) return 0;
    return money_i128_div_round((money_i128)a * num, den, MONEY_ROUND_CEIL);
}

static money_i128 linear_exposure(const struct instrument *in, const struct risk_leg *l) {
    money_i128 long_side, short_side;
    if (l->qty >= 0) {
        money_i128 held = l->cost > 0 ? l->cost : 0;
        long_side = held + l->buy_notional;
        short_side = l->sell_qty > l->qty ? part_ceil(l->sell_notional, l->sell_qty - l->qty, l->sell_qty) : 0;
    } else {
        money_i128 held = l->cost < 0 ? -(money_i128)l->cost : 0;
        if (l->has_mark) {
            int64_t at_mark;
            if (risk_notional(in, l->mark, -l->qty, MONEY_ROUND_CEIL, &at_mark) != MONEY_OK)
                at_mark = RISK_EXPOSURE_SENTINEL; /* unrepresentable: count it as huge */
            held = max128(held, at_mark);
        }
        short_side = held + l->sell_notional;
        long_side = l->buy_qty > -l->qty ? part_ceil(l->buy_notional, l->buy_qty + l->qty, l->buy_qty) : 0;
    }
    return max128(long_side, short_side);
}

static money_i128 binary_exposure(const struct instrument *in, const struct risk_leg *legs, int n) {
    money_i128 money_at_risk = 0;
    int64_t shares[2] = {0, 0};
    for (int k = 0; k < n; k++) {
        const struct risk_leg *l = &legs[k];
        /* Binary positions are long only; a negative figure would be a
         * booking anomaly and is counted as zero shares (no payoff). */
        money_at_risk += (l->cost > 0 ? l->cost : 0) + l->buy_notional;
        int64_t s = (l->qty > 0 ? l->qty : 0) + l->buy_qty;
        shares[k] = s;
    }
    money_i128 pair = 0;
    if (n == 2) pair = payoff_quote(shares[0] < shares[1] ? shares[0] : shares[1], in->qty_scale);
    money_i128 loss = money_at_risk - pair;
    return loss > 0 ? loss : 0;
}

int risk_exposure_quote(const struct instrument *in, const struct risk_leg *legs, int n,
                        int64_t *out) {
    money_i128 v = in->kind == INSTRUMENT_BINARY ? binary_exposure(in, legs, n)
                                                 : linear_exposure(in, &legs[0]);
    return money_i128_to_i64(v, out);
}

int64_t risk_market_rate(const struct risk_engine *e, uint32_t market) {
    const struct instrument_market *m = &e->reg.markets[market];
    int64_t rate = e->reg.items[m->instruments[0]].usd_rate;
    if (m->n_instruments == 2) {
        int64_t r2 = e->reg.items[m->instruments[1]].usd_rate;
        if (r2 > rate) rate = r2;
    }
    return rate;
}

int risk_market_legs(const struct risk_engine *e, uint32_t market, struct risk_leg *legs,
                     const struct instrument **first) {
    const struct instrument_market *m = &e->reg.markets[market];
    for (int k = 0; k < m->n_instruments; k++)
        risk_leg_from_inst(&legs[k], &e->inst[m->instruments[k]]);
    *first = &e->reg.items[m->instruments[0]];
    return m->n_instruments;
}

/* Unrealized PnL of one instrument in USD at its mark (0 without a mark). */
static int inst_unrealized(const struct instrument *in, const struct risk_inst *s, usd_t *out) {
    if (!s->has_mark || s->qty == 0) {
        *out = 0;
        return 0;
    }
    int64_t value;
    int rc = risk_notional(in, s->mark, s->qty, MONEY_ROUND_FLOOR, &value);
    if (rc != MONEY_OK) return rc;
    int64_t pnl_quote;
    rc = money_sub(value, s->cost, &pnl_quote);
    if (rc != MONEY_OK) return rc;
    return risk_quote_to_usd(pnl_quote, in->usd_rate, MONEY_ROUND_FLOOR, out);
}

static void agg_shift(struct risk_agg *a, usd_t d_exposure, usd_t d_unrealized, int d_positions) {
    a->exposure += d_exposure;
    a->unrealized += d_unrealized;
    a->positions += d_positions;
}

int risk_market_refresh(struct risk_engine *e, uint32_t market) {
    struct risk_market *mk = &e->mkt[market];
    struct risk_leg legs[2];
    const struct instrument *first;
    int n = risk_market_legs(e, market, legs, &first);

    int64_t quote;
    usd_t exposure, unrealized = 0;
    int rc = risk_exposure_quote(first, legs, n, &quote);
    if (rc == MONEY_OK) rc = risk_quote_to_usd(quote, risk_market_rate(e, market), MONEY_ROUND_CEIL, &exposure);
    if (rc != MONEY_OK || exposure > RISK_EXPOSURE_SENTINEL)
        exposure = RISK_EXPOSURE_SENTINEL; /* fail closed: blocks every increase */

    bool held = false;
    const struct instrument_market *m = &e->reg.markets[market];
    for (int k = 0; k < n; k++) {
        uint32_t id = m->instruments[k];
        usd_t u = 0;
        if (inst_unrealized(&e->reg.items[id], &e->inst[id], &u) != MONEY_OK) u = 0;
        e->inst[id].unrealized = u;
        unrealized += u;
        if (e->inst[id].qty != 0) held = true;
    }
    bool open = held || mk->open_orders > 0;

    usd_t d_exp = exposure - mk->agg.exposure;
    usd_t d_unr = unrealized - mk->agg.unrealized;
    int d_pos = (open ? 1 : 0) - (mk->open ? 1 : 0);
    mk->agg.exposure = exposure;
    mk->agg.unrealized = unrealized;
    mk->agg.positions = open ? 1 : 0;
    mk->open = open;
    mk->held = held;
    agg_shift(&e->venue[m->venue].agg, d_exp, d_unr, d_pos);
    agg_shift(&e->g, d_exp, d_unr, d_pos);
    return rc;
}
