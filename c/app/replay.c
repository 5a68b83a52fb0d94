/* replay.c - journal replay (see replay.h).
 *
 * Records are applied through the same calls the live path uses, except
 * that accepted reservations are restored without a limit check (the
 * limits may have changed since they were accepted) and nothing is
 * journaled again. */
#include "app/replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/jrec.h"
#include "core/clock.h"
#include "core/money.h"

struct replay_ctx {
    struct app *a;
    char *err;
    size_t errlen;
    uint64_t applied;
};

static int find_inst(struct app *a, const struct jrec *r, uint32_t *id)
{
    return instrument_find(a->reg, (enum venue_id)r->venue, r->sym, strlen(r->sym), id);
}

static int replay_accept(struct replay_ctx *c, uint64_t seq, const struct jrec *r)
{
    struct app *a = c->a;
    uint32_t id;
    if (find_inst(a, r, &id) != 0) {
        snprintf(c->err, c->errlen, "record %" PRIu64 ": unknown instrument %s %s", seq,
                 venue_name((enum venue_id)r->venue), r->sym);
        return -1;
    }
    const struct instrument *in = instrument_get(a->reg, id);
    struct app_order o;
    memset(&o, 0, sizeof o);
    o.res = r->res;
    o.inst = id;
    o.venue = in->venue;
    o.side = (uint8_t)r->side;
    o.local = r->local;
    o.ts_ns = r->ts;
    snprintf(o.cid, sizeof o.cid, "%s", r->cid);
    if (money_parse_cstr(r->px, in->price_scale, &o.px) != 0 ||
        money_parse_cstr(r->qty, in->qty_scale, &o.qty) != 0) {
        snprintf(c->err, c->errlen, "record %" PRIu64 ": price/qty %s/%s do not fit %s's scales",
                 seq, r->px, r->qty, r->sym);
        return -1;
    }
    int rc = risk_restore_reservation(a->risk, r->res, id, r->side, o.px, o.qty, r->ts);
    if (rc != 0 || order_table_put(&a->orders, &o) == NULL) {
        snprintf(c->err, c->errlen, "record %" PRIu64 ": reservation %" PRIu64
                 " could not be restored (%d)", seq, r->res, rc);
        return -1;
    }
    return 0;
}

static int replay_report(struct replay_ctx *c, uint64_t seq, const struct jrec *r)
{
    struct app *a = c->a;
    uint32_t id;
    if (find_inst(a, r, &id) != 0) {
        snprintf(c->err, c->errlen, "record %" PRIu64 ": unknown instrument %s", seq, r->sym);
        return -1;
    }
    const struct instrument *in = instrument_get(a->reg, id);
    struct venue_report rep;
    memset(&rep, 0, sizeof rep);
    rep.kind = r->kind;
    rep.res = r->res;
    rep.inst = id;
    rep.ts_ns = r->ts;
    rep.liq = (enum liquidity)r->liq;
    snprintf(rep.voi, sizeof rep.voi, "%s", r->voi);
    snprintf(rep.tid, sizeof rep.tid, "%s", r->tid);
    snprintf(rep.reason, sizeof rep.reason, "%s", r->text);
    /* A fill journaled for a reservation that was already closed (app.c
     * apply_orphan_fill) replays the same way: its side is in the record. */
    rep.side_known = r->kind == REPORT_FILL;
    rep.side = r->side == SIDE_SELL ? SIDE_SELL : SIDE_BUY;
    if (money_parse_cstr(r->px, in->price_scale, &rep.px) != 0 ||
        money_parse_cstr(r->qty, in->qty_scale, &rep.qty) != 0 ||
        money_parse_cstr(r->fee, INSTRUMENT_QUOTE_SCALE, &rep.fee) != 0) {
        snprintf(c->err, c->errlen, "record %" PRIu64 ": amounts do not fit %s's scales", seq,
                 r->sym);
        return -1;
    }
    char why[160];
    if (app_apply_report(a, &rep, why, sizeof why) != 0) {
        /* A report for a reservation that is already closed (e.g. a late
         * cancel after the last fill) was accepted live only if it was
         * valid, so this means the journal and the engine disagree. */
        snprintf(c->err, c->errlen, "record %" PRIu64 ": %s", seq, why);
        return -1;
    }
    return 0;
}

static int replay_record(void *ctx, uint64_t seq, uint16_t type, const uint8_t *payload,
                         uint32_t len)
{
    struct replay_ctx *c = ctx;
    struct app *a = c->a;
    struct jrec r;
    char why[160];
    if (jrec_decode(type, payload, len, &r, why, sizeof why) != 0) {
        snprintf(c->err, c->errlen, "record %" PRIu64 ": %s", seq, why);
        return -1;
    }
    c->applied++;
    uint32_t id;
    switch (r.type) {
    case JREC_INSTRUMENT:
        if (risk_add_instrument(a->risk, &r.inst, &id, why, sizeof why) != 0) {
            snprintf(c->err, c->errlen, "record %" PRIu64 ": %s", seq, why);
            return -1;
        }
        return 0;
    case JREC_ACCEPT:
        return replay_accept(c, seq, &r);
    case JREC_REPORT:
        return replay_report(c, seq, &r);
    case JREC_STATE:
        risk_set_state(a->risk, r.scope, r.index, r.state, r.reason, r.text, r.ts);
        return 0;
    case JREC_RESOLVE:
        if (find_inst(a, &r, &id) != 0) {
            snprintf(c->err, c->errlen, "record %" PRIu64 ": unknown instrument %s", seq, r.sym);
            return -1;
        }
        /* the same winner as on_resolve (dispatch.c): a lost outcome's complement won */
        risk_resolve_market(a->risk, instrument_get(a->reg, id)->market,
                            r.won ? id : instrument_get(a->reg, id)->complement, r.ts);
        return 0;
    }
    snprintf(c->err, c->errlen, "record %" PRIu64 ": unknown type %u", seq, type);
    return -1;
}

/* Orders the trader itself placed on the paper venue lived in this
 * process's memory; after a
 * restart they no longer exist anywhere, so their reservations expire. */
static void expire_inprocess_orders(struct app *a)
{
    for (uint32_t i = 0; i <= a->orders.mask; i++) {
        struct app_order *o = &a->orders.slots[i];
        if (o->res == 0 || !o->local || o->venue != VENUE_PAPER)
            continue;
        struct venue_report rep;
        memset(&rep, 0, sizeof rep);
        rep.kind = REPORT_EXPIRE;
        rep.res = o->res;
        rep.ts_ns = clock_wall_ns();
        snprintf(rep.reason, sizeof rep.reason, "paper venue restarted: order no longer exists");
        char why[160];
        if (app_apply_report(a, &rep, why, sizeof why) == 0)
            i--; /* the backward shift may have moved another order into slot i */
    }
}

int app_replay(struct app *a, char *err, size_t errlen)
{
    struct replay_ctx c = {.a = a, .err = err, .errlen = errlen, .applied = 0};
    a->replaying = true;
    err[0] = '\0';
    char jerr[256];
    int rc = journal_replay(a->jr, replay_record, &c, jerr, sizeof jerr);
    a->replaying = false;
    if (rc != JOURNAL_OK) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s", jerr);
        return -1;
    }
    /* Events raised while replaying (states, breaches) describe the past;
     * drop them rather than act on them again. */
    struct risk_event ev;
    while (risk_next_event(a->risk, &ev) == 1) {
    }
    expire_inprocess_orders(a);
    return 0;
}
