/* paper.c - the paper venue (see paper.h).
 *
 * Reports are never delivered from inside place()/cancel(): they go to an
 * outbox that a zero-delay timer drains on the next loop turn, exactly as a
 * network venue would answer later.  That keeps the app's call paths free
 * of re-entrancy. */
#include "venues/paper/paper.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#define PAPER_OUTBOX 4096
#define PAPER_MAX_INST 4096

struct paper_order {
    bool used;
    struct venue_order o;
    int64_t remaining;
    char voi[24];
};

struct paper_walk {
    struct paper_walk_config cfg;
    int64_t px;
    uv_timer_t timer;
    struct paper *owner;
};

struct paper {
    struct venue base;
    uv_loop_t *loop;
    const struct instrument_registry *reg;
    struct paper_config cfg;
    const struct logger *log;
    struct paper_order orders[PAPER_MAX_ORDERS];
    int64_t marks[PAPER_MAX_INST];          /* 0 = no mark yet */
    struct venue_report outbox[PAPER_OUTBOX];
    unsigned out_head, out_len;
    uv_timer_t drain_timer;
    struct paper_walk walks[PAPER_MAX_WALKS];
    uint64_t rng;
    uint64_t next_voi, next_tid;
    uint64_t boot;               /* start time: ids stay unique across restarts */
    int open_count;
    int open_handles;            /* freed when the last handle has closed */
};

static struct paper *paper_of(const struct venue *v) { return (struct paper *)v->impl; }

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void drain_cb(uv_timer_t *t)
{
    struct paper *p = t->data;
    /* Deliver only what is queued now; reports queued by the sink while we
     * deliver wait for the next turn. */
    unsigned n = p->out_len;
    for (unsigned i = 0; i < n; i++) {
        struct venue_report r = p->outbox[p->out_head];
        p->out_head = (p->out_head + 1) % PAPER_OUTBOX;
        p->out_len--;
        p->base.sink.on_report(p->base.sink.ctx, p->base.id, &r);
    }
    if (p->out_len > 0)
        uv_timer_start(&p->drain_timer, drain_cb, 0, 0);
}

static int enqueue(struct paper *p, const struct venue_report *r)
{
    if (p->out_len == PAPER_OUTBOX) {
        log_event(p->log, LOG_ERROR, "paper", "outbox_full", "res=%" PRIu64, r->res);
        return -1;
    }
    p->outbox[(p->out_head + p->out_len) % PAPER_OUTBOX] = *r;
    p->out_len++;
    if (p->out_len == 1)
        uv_timer_start(&p->drain_timer, drain_cb, 0, 0);
    return 0;
}

static void report_init(struct venue_report *r, enum report_kind kind, const struct paper_order *po)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->res = po->o.res;
    r->inst = po->o.inst;
    snprintf(r->voi, sizeof r->voi, "%s", po->voi);
    r->ts_ns = clock_wall_ns();
}

/* fee = px * qty * bps / 10000 in the quote currency at scale 8, rounded
 * away from zero so a paper fee (or rebate) is never understated. */
static int64_t fee_for(const struct instrument *in, int64_t px, int64_t qty, int32_t bps)
{
    __int128 notional = (__int128)px * qty;          /* price_scale + qty_scale */
    int shift = in->price_scale + in->qty_scale - INSTRUMENT_QUOTE_SCALE;
    __int128 num = notional * bps;
    __int128 den = 10000;
    for (int i = 0; i < shift; i++)
        den *= 10;
    for (int i = 0; i > shift; i--)
        num *= 10;
    __int128 q = num / den;
    if (num % den != 0)
        q += (num > 0) ? 1 : -1;
    return (int64_t)q;
}

static void fill(struct paper *p, struct paper_order *po, int64_t px, int64_t qty, enum liquidity liq)
{
    const struct instrument *in = instrument_get(p->reg, po->o.inst);
    struct venue_report r;
    report_init(&r, REPORT_FILL, po);
    r.px = px;
    r.qty = qty;
    r.liq = liq;
    r.fee = fee_for(in, px, qty, liq == LIQ_MAKER ? p->cfg.maker_fee_bps : p->cfg.taker_fee_bps);
    snprintf(r.tid, sizeof r.tid, "P%" PRIx64 "-%" PRIu64, p->boot, ++p->next_tid);
    po->remaining -= qty;
    enqueue(p, &r);
    if (po->remaining <= 0) {
        po->used = false;
        p->open_count--;
    }
}

static int64_t clip_for(const struct instrument *in, const struct paper_order *po)
{
    int64_t half = po->o.qty / 2;
    half -= half % in->lot;
    if (half < in->lot)
        half = in->lot;
    return half < po->remaining ? half : po->remaining;
}

static bool marketable(const struct paper_order *po, int64_t mark)
{
    if (mark <= 0)
        return false;
    if (po->o.type == ORD_MARKET)
        return true;
    return po->o.side == SIDE_BUY ? mark <= po->o.px : mark >= po->o.px;
}

static int paper_place(struct venue *v, const struct venue_order *o)
{
    struct paper *p = paper_of(v);
    const struct instrument *in = instrument_get(p->reg, o->inst);
    if (in == NULL || o->inst >= PAPER_MAX_INST)
        return -1;
    struct paper_order *po = NULL;
    for (int i = 0; i < PAPER_MAX_ORDERS; i++) {
        if (!p->orders[i].used) {
            po = &p->orders[i];
            break;
        }
    }
    if (po == NULL)
        return -1;
    memset(po, 0, sizeof *po);
    po->o = *o;
    po->remaining = o->qty;
    snprintf(po->voi, sizeof po->voi, "PAPER-%" PRIx64 "-%" PRIu64, p->boot, ++p->next_voi);

    struct venue_report r;
    int64_t mark = p->marks[o->inst];
    bool cross = marketable(po, mark);
    if (o->type == ORD_MARKET && mark <= 0) {
        report_init(&r, REPORT_REJECT, po);
        snprintf(r.reason, sizeof r.reason, "no market price for a market order");
        return enqueue(p, &r);
    }
    if (o->post_only && cross) {
        report_init(&r, REPORT_REJECT, po);
        snprintf(r.reason, sizeof r.reason, "post-only order would immediately match");
        return enqueue(p, &r);
    }
    po->used = true;
    p->open_count++;
    report_init(&r, REPORT_ACK, po);
    if (enqueue(p, &r) != 0)
        return -1;
    if (cross) {
        /* A marketable order takes at the mark, in full: the paper book has
         * no depth model, so the mark is the price for any size. */
        fill(p, po, mark, po->remaining, LIQ_TAKER);
        return 0;
    }
    if (o->tif == TIF_IOC || o->tif == TIF_FOK || o->tif == TIF_FAK) {
        report_init(&r, REPORT_EXPIRE, po);
        snprintf(r.reason, sizeof r.reason, "not marketable: %s expired",
                 o->tif == TIF_IOC ? "IOC" : o->tif == TIF_FOK ? "FOK" : "FAK");
        po->used = false;
        p->open_count--;
        return enqueue(p, &r);
    }
    return 0;
}

static struct paper_order *find_order(struct paper *p, uint64_t res)
{
    for (int i = 0; i < PAPER_MAX_ORDERS; i++)
        if (p->orders[i].used && p->orders[i].o.res == res)
            return &p->orders[i];
    return NULL;
}

static int paper_cancel(struct venue *v, uint64_t res)
{
    struct paper *p = paper_of(v);
    struct paper_order *po = find_order(p, res);
    if (po == NULL)
        return -2; /* unknown or already done */
    struct venue_report r;
    report_init(&r, REPORT_CANCEL, po);
    r.qty = po->remaining;
    snprintf(r.reason, sizeof r.reason, "cancelled");
    po->used = false;
    p->open_count--;
    return enqueue(p, &r);
}

static int paper_cancel_all(struct venue *v)
{
    struct paper *p = paper_of(v);
    int rc = 0;
    for (int i = 0; i < PAPER_MAX_ORDERS; i++)
        if (p->orders[i].used && paper_cancel(v, p->orders[i].o.res) < 0)
            rc = -1;
    return rc;
}

void paper_venue_on_mark(struct venue *v, uint32_t inst, int64_t px, int64_t ts_ns)
{
    struct paper *p = paper_of(v);
    (void)ts_ns;
    if (inst >= PAPER_MAX_INST || px <= 0)
        return;
    p->marks[inst] = px;
    const struct instrument *in = instrument_get(p->reg, inst);
    if (in == NULL)
        return;
    for (int i = 0; i < PAPER_MAX_ORDERS; i++) {
        struct paper_order *po = &p->orders[i];
        if (!po->used || po->o.inst != inst || !marketable(po, px))
            continue;
        fill(p, po, po->o.px, clip_for(in, po), LIQ_MAKER);
    }
}

static void walk_cb(uv_timer_t *t)
{
    struct paper_walk *w = t->data;
    struct paper *p = w->owner;
    const struct instrument *in = instrument_get(p->reg, w->cfg.inst);
    if (in == NULL)
        return;
    int64_t span = 2 * (int64_t)w->cfg.step_ticks + 1;
    int64_t step = (int64_t)(splitmix64(&p->rng) % (uint64_t)span) - w->cfg.step_ticks;
    int64_t next = w->px + step * in->tick;
    if (next >= in->tick)
        w->px = next;
    p->base.sink.on_mark(p->base.sink.ctx, w->cfg.inst, w->px, clock_wall_ns());
}

static int paper_start(struct venue *v)
{
    struct paper *p = paper_of(v);
    for (int i = 0; i < p->cfg.n_walks; i++) {
        struct paper_walk *w = &p->walks[i];
        uv_timer_start(&w->timer, walk_cb, 0, (uint64_t)w->cfg.interval_ms);
    }
    p->base.sink.on_conn(p->base.sink.ctx, v->id, CONN_UP, "paper venue ready");
    return 0;
}

static int paper_reconcile(struct venue *v)
{
    /* The paper venue lives in this process: nothing can have happened
     * while we were not looking. */
    v->sink.on_conn(v->sink.ctx, v->id, CONN_UP, "paper venue reconciled");
    return 0;
}

static int paper_open_orders(const struct venue *v) { return paper_of(v)->open_count; }

static void paper_stop(struct venue *v)
{
    struct paper *p = paper_of(v);
    uv_timer_stop(&p->drain_timer);
    for (int i = 0; i < p->cfg.n_walks; i++)
        uv_timer_stop(&p->walks[i].timer);
}

static void release(struct paper *p)
{
    if (--p->open_handles == 0)
        free(p);
}

static void drain_closed(uv_handle_t *h) { release(h->data); }

static void walk_closed(uv_handle_t *h) { release(((struct paper_walk *)h->data)->owner); }

/* Closes every handle; the memory goes when the loop has run the last
 * close callback. */
static void paper_destroy(struct venue *v)
{
    struct paper *p = paper_of(v);
    uv_close((uv_handle_t *)&p->drain_timer, drain_closed);
    for (int i = 0; i < p->cfg.n_walks; i++)
        uv_close((uv_handle_t *)&p->walks[i].timer, walk_closed);
}

static const struct venue_ops paper_ops = {
    .name = "paper",
    .start = paper_start,
    .place = paper_place,
    .cancel = paper_cancel,
    .cancel_all = paper_cancel_all,
    .reconcile = paper_reconcile,
    .open_orders = paper_open_orders,
    .stop = paper_stop,
    .destroy = paper_destroy,
};

int paper_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                       const struct paper_config *cfg, const struct logger *log,
                       struct venue_sink sink, struct venue **out)
{
    struct paper *p = calloc(1, sizeof *p);
    if (p == NULL)
        return -1;
    p->loop = loop;
    p->reg = reg;
    p->cfg = *cfg;
    p->log = log;
    p->rng = cfg->seed;
    p->boot = (uint64_t)clock_wall_ns();
    p->base.ops = &paper_ops;
    p->base.id = VENUE_PAPER;
    p->base.sink = sink;
    p->base.impl = p;
    uv_timer_init(loop, &p->drain_timer);
    p->drain_timer.data = p;
    p->open_handles = 1 + cfg->n_walks;
    for (int i = 0; i < cfg->n_walks; i++) {
        struct paper_walk *w = &p->walks[i];
        w->cfg = cfg->walks[i];
        w->px = w->cfg.start_px;
        w->owner = p;
        uv_timer_init(loop, &w->timer);
        w->timer.data = w;
    }
    *out = &p->base;
    return 0;
}
