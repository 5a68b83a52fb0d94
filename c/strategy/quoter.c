/* quoter.c - see quoter.h. */
#include "strategy/quoter.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

void quoter_init(struct quoter *q, const struct instrument_registry *reg,
                 const struct quoter_config *cfg, struct quoter_actions act)
{
    memset(q, 0, sizeof *q);
    q->reg = reg;
    q->act = act;
    q->n_lines = cfg->enabled ? cfg->n_lines : 0;
    for (int i = 0; i < q->n_lines; i++)
        q->lines[i].cfg = cfg->lines[i];
}

static struct quote_line *line_for(struct quoter *q, uint32_t inst)
{
    for (int i = 0; i < q->n_lines; i++)
        if (q->lines[i].cfg.inst == inst)
            return &q->lines[i];
    return NULL;
}

/* px * (1e4 + bps) / 1e4 in 128 bits; the result is a price, never near
 * INT64_MAX for sane configs, but clamp rather than wrap. */
static int64_t apply_bps(int64_t px, int64_t bps)
{
    __int128 v = (__int128)px * (10000 + bps) / 10000;
    if (v > INT64_MAX)
        return INT64_MAX;
    if (v < 0)
        return 0;
    return (int64_t)v;
}

static int64_t floor_tick(int64_t px, int64_t tick) { return px - px % tick; }

static int64_t ceil_tick(int64_t px, int64_t tick)
{
    int64_t r = px % tick;
    return r == 0 ? px : px + (tick - r);
}

static bool within(int64_t have, int64_t want, int32_t tol_bps)
{
    int64_t diff = have > want ? have - want : want - have;
    return (__int128)diff * 10000 <= (__int128)want * tol_bps;
}

static void cancel_order(struct quoter *q, struct quote_line *l, struct quoter_order *o)
{
    if (o->res == 0 || o->cancelling)
        return;
    o->cancelling = true;
    q->act.cancel(q->act.ctx, l->cfg.inst, o->res);
}

static void place_order(struct quoter *q, struct quote_line *l, struct quoter_order *o,
                        enum order_side side, int64_t px, int64_t now_ns)
{
    struct venue_order vo;
    memset(&vo, 0, sizeof vo);
    vo.inst = l->cfg.inst;
    vo.side = side;
    vo.type = ORD_LIMIT;
    vo.tif = TIF_GTC;
    vo.post_only = true;
    vo.px = px;
    vo.qty = l->cfg.size;
    snprintf(vo.cid, sizeof vo.cid, "q%" PRIu64 "-%" PRId64, ++q->next_cid, (int64_t)(now_ns / NS_PER_MS));
    uint64_t res = q->act.place(q->act.ctx, &vo);
    memset(o, 0, sizeof *o);
    if (res != 0) {
        o->res = res;
        o->px = px;
        o->placed_ns = now_ns;
    }
}

static void requote_side(struct quoter *q, struct quote_line *l, struct quoter_order *o,
                         enum order_side side, bool want, int64_t px, int64_t now_ns)
{
    if (!want || px <= 0) {
        cancel_order(q, l, o);
        return;
    }
    if (o->res != 0) {
        if (o->cancelling)
            return; /* wait for the cancel to land before replacing */
        if (within(o->px, px, l->cfg.tolerance_bps))
            return; /* still right: keep the queue position */
        if (now_ns - o->placed_ns < (int64_t)l->cfg.min_requote_ms * NS_PER_MS)
            return;
        cancel_order(q, l, o);
        return;
    }
    place_order(q, l, o, side, px, now_ns);
}

void quoter_on_mark(struct quoter *q, uint32_t inst, int64_t px, int64_t now_ns)
{
    struct quote_line *l = line_for(q, inst);
    if (l == NULL || px <= 0)
        return;
    l->mark = px;
    if (q->paused)
        return;
    const struct instrument *in = instrument_get(q->reg, inst);
    if (in == NULL || in->tick <= 0)
        return;
    int64_t skew = 0;
    if (l->cfg.max_inventory > 0)
        skew = (int64_t)((__int128)l->cfg.skew_bps * l->inventory / l->cfg.max_inventory);
    int64_t reservation = apply_bps(px, -skew);
    int64_t bid = floor_tick(apply_bps(reservation, -l->cfg.half_spread_bps), in->tick);
    int64_t ask = ceil_tick(apply_bps(reservation, l->cfg.half_spread_bps), in->tick);
    /* Post-only: never quote through the mark. */
    if (bid >= px)
        bid = floor_tick(px - 1, in->tick);
    if (ask <= px)
        ask = ceil_tick(px + 1, in->tick);
    bool want_bid = l->inventory + l->cfg.size <= l->cfg.max_inventory;
    bool want_ask = l->inventory - l->cfg.size >= -l->cfg.max_inventory;
    if (l->state == QUOTE_HALTED) {
        want_bid = want_ask = false;
    } else if (l->state == QUOTE_REDUCE_ONLY) {
        /* only an exit, and no larger than the position */
        want_bid = l->inventory < 0 && l->cfg.size <= -l->inventory;
        want_ask = l->inventory > 0 && l->cfg.size <= l->inventory;
    }
    requote_side(q, l, &l->bid, SIDE_BUY, want_bid, bid, now_ns);
    requote_side(q, l, &l->ask, SIDE_SELL, want_ask, ask, now_ns);
}

void quoter_on_report(struct quoter *q, const struct venue_report *r)
{
    struct quote_line *l = line_for(q, r->inst);
    if (l == NULL)
        return;
    struct quoter_order *o = NULL;
    enum order_side side = SIDE_BUY;
    if (l->bid.res == r->res) {
        o = &l->bid;
    } else if (l->ask.res == r->res) {
        o = &l->ask;
        side = SIDE_SELL;
    }
    if (o == NULL)
        return;
    switch (r->kind) {
    case REPORT_ACK:
        break;
    case REPORT_FILL:
        l->inventory += side == SIDE_BUY ? r->qty : -r->qty;
        /* A partial fill leaves the rest resting; we re-quote that side once
         * the whole order has filled or is gone. */
        o->filled += r->qty;
        if (o->filled >= l->cfg.size)
            memset(o, 0, sizeof *o);
        break;
    case REPORT_REJECT:
    case REPORT_CANCEL:
    case REPORT_EXPIRE:
        memset(o, 0, sizeof *o);
        break;
    }
}

void quoter_set_paused(struct quoter *q, bool paused)
{
    if (paused && !q->paused) {
        for (int i = 0; i < q->n_lines; i++) {
            cancel_order(q, &q->lines[i], &q->lines[i].bid);
            cancel_order(q, &q->lines[i], &q->lines[i].ask);
        }
    }
    q->paused = paused;
}

void quoter_set_line_state(struct quoter *q, uint32_t inst, enum quote_line_state state)
{
    struct quote_line *l = line_for(q, inst);
    if (l == NULL || l->state == state)
        return;
    l->state = state;
    if (state == QUOTE_ACTIVE)
        return; /* quotes come back with the next mark */
    bool keep_bid = state == QUOTE_REDUCE_ONLY && l->inventory < 0;
    bool keep_ask = state == QUOTE_REDUCE_ONLY && l->inventory > 0;
    if (!keep_bid)
        cancel_order(q, l, &l->bid);
    if (!keep_ask)
        cancel_order(q, l, &l->ask);
}

void quoter_set_inventory(struct quoter *q, uint32_t inst, int64_t qty)
{
    struct quote_line *l = line_for(q, inst);
    if (l != NULL)
        l->inventory = qty;
}
