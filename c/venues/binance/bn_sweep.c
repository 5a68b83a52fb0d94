/* bn_sweep.c - the last step of a reconcile: every trade of the account,
 * per symbol, since the last trade id a sweep has seen
 * (GET /api/v3/myTrades?symbol=S&fromId=last+1&limit=1000, page by page).
 *
 * Why: the per-order checks of bn_reconcile.c only see orders the
 * connector still holds.  A trade of an order it has freed (a fill that
 * raced its cancel, myTrades catching up after a terminal status) or never
 * knew (the journal had closed the reservation before a restart) is found
 * only here.  Each trade, in id order, is matched to:
 *   - a live order (by order id): bn_book_fill, which skips a trade id it
 *     has reported;
 *   - an order freed in this process (the closed ring): reported for its
 *     reservation, once, with its side (venue.h side_known: the app has
 *     closed the reservation and books the fill into the position);
 *   - otherwise the order is asked for once (GET order by orderId): its
 *     clientOrderId says whether it is ours (a live order whose id we had
 *     not learnt, or an id of the form the trader issues) or not (a trade
 *     made on the account by someone else: logged, never booked; the book
 *     is the journal's).  Ours is reported with res 0 and its side; the
 *     risk engine drops a trade id it has booked, so a trade booked before
 *     a restart is not booked twice.
 * The cursor stops before the first trade whose order is being asked for;
 * the page is fetched again once the answers are in.
 *
 * Cursor: nothing new is persisted.  The first sweep of a process asks for
 * the account's trades of the last trades_lookback_ms (default 1 h, at
 * most 24 h, myTrades' window): a restart after a crash is minutes, and
 * every trade in that window booked before is a duplicate the engine
 * ignores.  (The journal's last trade id per symbol would be exact, but
 * adopt() hands over open orders only; the lookback needs no new
 * interface.)  A trader down for longer than the lookback must have its
 * positions checked by the operator. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "venues/binance/bn_internal.h"

/* Client order ids the trader issues: the C quoter's "q<n>-<ms>"
 * (c/strategy/quoter.c) and the connector's own "tr<res>" (bn_place). */
static bool trader_cid(const char *cid)
{
    const char *digits = "0123456789";
    if (cid[0] == 'q') {
        size_t n = strspn(cid + 1, digits);
        if (n == 0 || cid[1 + n] != '-')
            return false;
        const char *p = cid + 2 + n;
        size_t m = strspn(p, digits);
        return m > 0 && p[m] == '\0';
    }
    if (cid[0] == 't' && cid[1] == 'r') {
        size_t n = strspn(cid + 2, digits);
        return n > 0 && cid[2 + n] == '\0';
    }
    return false;
}

void bn_closed_keep(struct binance *b, const struct bn_order *o)
{
    if (o->order_id == 0)
        return;                     /* never at the venue: no trade can follow */
    struct bn_closed *c = &b->closed[b->closed_next++ % BN_CLOSED];
    c->order_id = o->order_id;
    c->sym = o->sym;
    c->res = o->o.res;
    c->inst = o->o.inst;
    c->side = o->o.side;
    /* Beyond BN_CLOSED_TIDS fills the risk engine's own duplicate check
     * still keeps a re-found fill from being booked twice. */
    c->n_tids = o->n_tids < BN_CLOSED_TIDS ? o->n_tids : BN_CLOSED_TIDS;
    if (c->n_tids > 0)
        memcpy(c->tids, o->tids + (o->n_tids - c->n_tids), (size_t)c->n_tids * sizeof c->tids[0]);
}

static struct bn_closed *closed_find(struct binance *b, int sym, int64_t order_id)
{
    for (int i = 0; i < BN_CLOSED; i++)
        if (b->closed[i].order_id == order_id && b->closed[i].sym == sym)
            return &b->closed[i];
    return NULL;
}

static struct bn_owner_memo *owner_find(struct binance *b, int sym, int64_t order_id)
{
    for (int i = 0; i < BN_OWNERS; i++)
        if (b->owners[i].order_id == order_id && b->owners[i].sym == sym)
            return &b->owners[i];
    return NULL;
}

static struct bn_owner_memo *owner_put(struct binance *b, int sym, int64_t order_id,
                                       enum bn_owner owner)
{
    struct bn_owner_memo *m = owner_find(b, sym, order_id);
    if (m == NULL)
        m = &b->owners[b->owners_next++ % BN_OWNERS];
    m->order_id = order_id;
    m->sym = sym;
    m->owner = owner;
    return m;
}

/* A fill of an order whose reservation the app may have closed. */
static void report_fill(struct binance *b, int k, uint64_t res, enum order_side side,
                        const struct bn_trade *t)
{
    const struct bn_symbol *s = &b->syms[k];
    struct venue_report r;
    memset(&r, 0, sizeof r);
    r.kind = REPORT_FILL;
    r.res = res;
    r.inst = s->inst;
    snprintf(r.voi, sizeof r.voi, "%" PRId64, t->order_id);
    snprintf(r.tid, sizeof r.tid, "%s:%" PRId64, s->sym, t->id);
    r.px = t->px;
    r.qty = t->qty;
    r.fee = bn_fee_in_quote(b, s, t->fee, t->fee_asset, t->px);
    r.liq = t->maker ? LIQ_MAKER : LIQ_TAKER;
    r.ts_ns = t->time_ms > 0 ? t->time_ms * NS_PER_MS : clock_wall_ns();
    r.side_known = true;
    r.side = side;
    b->n_fills++;
    bn_emit_report(b, &r);
}

enum { TRADE_DONE = 0, TRADE_REPORTED = 1, TRADE_ASK = -1, TRADE_WAIT = -2 };

static int sweep_trade(struct binance *b, int k, const struct bn_trade *t)
{
    struct bn_order *o = bn_order_by_oid(b, k, t->order_id);
    if (o != NULL) {
        uint64_t before = b->n_fills;
        bn_book_fill(b, o, t->id, t->px, t->qty, t->fee, t->fee_asset, t->maker, t->time_ms);
        return b->n_fills > before ? TRADE_REPORTED : TRADE_DONE;
    }
    struct bn_closed *c = closed_find(b, k, t->order_id);
    if (c != NULL) {
        for (int i = 0; i < c->n_tids; i++)
            if (c->tids[i] == t->id)
                return TRADE_DONE;
        if (c->n_tids < BN_CLOSED_TIDS)
            c->tids[c->n_tids++] = t->id;
        log_event(b->log, LOG_WARN, BN_ROOM, "fill_of_closed_order",
                  "symbol=%s order_id=%" PRId64 " trade_id=%" PRId64 " res=%" PRIu64,
                  b->syms[k].sym, t->order_id, t->id, c->res);
        report_fill(b, k, c->res, c->side, t);
        return TRADE_REPORTED;
    }
    struct bn_owner_memo *m = owner_find(b, k, t->order_id);
    if (m == NULL)
        return TRADE_ASK;
    if (m->owner == BN_OWNER_UNKNOWN)
        return TRADE_WAIT;
    if (m->owner == BN_OWNER_FOREIGN) {
        log_event(b->log, LOG_WARN, BN_ROOM, "foreign_trade",
                  "symbol=%s order_id=%" PRId64 " trade_id=%" PRId64
                  " (not the trader's order: not booked)", b->syms[k].sym, t->order_id, t->id);
        return TRADE_DONE;
    }
    report_fill(b, k, 0, t->buyer ? SIDE_BUY : SIDE_SELL, t);
    return TRADE_REPORTED;
}

static int sweep_send(struct binance *b, int k)
{
    struct bn_symbol *s = &b->syms[k];
    char params[160];
    if (s->last_tid >= 0)
        snprintf(params, sizeof params, "symbol=%s&fromId=%" PRId64 "&limit=%d", s->sym,
                 s->last_tid + 1, BN_TRADES_PAGE);
    else
        snprintf(params, sizeof params, "symbol=%s&startTime=%" PRId64 "&limit=%d", s->sym,
                 s->sweep_from_ms, BN_TRADES_PAGE);
    struct bn_req *q = bn_req_new(BN_REQ_SWEEP, k, 0, b->gen);
    if (q == NULL)
        return -1;
    b->recon_pending++;
    if (bn_rest_signed(b, "GET", "/api/v3/myTrades", params, q) != 0) {
        b->recon_pending--;
        return -1;
    }
    return 0;
}

static int owner_send(struct binance *b, int k, int64_t order_id)
{
    char params[128];
    snprintf(params, sizeof params, "symbol=%s&orderId=%" PRId64, b->syms[k].sym, order_id);
    struct bn_req *q = bn_req_new(BN_REQ_OWNER, k, 0, b->gen);
    if (q == NULL)
        return -1;
    q->order_id = order_id;
    b->recon_pending++;
    if (bn_rest_signed(b, "GET", "/api/v3/order", params, q) != 0) {
        b->recon_pending--;
        return -1;
    }
    owner_put(b, k, order_id, BN_OWNER_UNKNOWN);
    b->syms[k].owner_pending++;
    return 0;
}

void bn_sweep_start(struct binance *b)
{
    /* Questions of an interrupted sweep are asked again. */
    for (int i = 0; i < BN_OWNERS; i++)
        if (b->owners[i].owner == BN_OWNER_UNKNOWN)
            b->owners[i].order_id = 0;
    b->recon_pending = 1;           /* held until every request is out */
    int64_t now_ms = bn_now_ms(b);
    for (int k = 0; k < b->n_syms; k++) {
        struct bn_symbol *s = &b->syms[k];
        s->owner_pending = 0;
        if (s->last_tid < 0 && s->sweep_from_ms == 0)
            s->sweep_from_ms = now_ms - b->cfg.trades_lookback_ms;
        if (sweep_send(b, k) != 0) {
            bn_recon_fail(b, "could not send the myTrades sweep");
            return;
        }
    }
    bn_recon_step_done(b, b->gen);
}

void bn_on_sweep(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    if (!b->recon_active || req->gen != b->gen)
        return;
    int k = req->sym;
    struct bn_symbol *s = &b->syms[k];
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    if (!json_is_array(j)) {
        char why[256];
        bn_error_text(r, why, sizeof why);
        json_decref(j);
        log_event(b->log, LOG_WARN, BN_ROOM, "sweep_failed", "symbol=%s reason=\"%s\"", s->sym,
                  why);
        bn_recon_fail(b, "myTrades sweep failed");
        return;
    }
    size_t n = json_array_size(j);
    bool blocked = false;
    int reported = 0;
    int64_t newest = s->last_tid;
    for (size_t i = 0; i < n; i++) {
        struct bn_trade t;
        if (bn_parse_trade(json_array_get(j, i), s->in->price_scale, s->in->qty_scale, &t) != 0) {
            json_decref(j);
            bn_recon_fail(b, "unparsable myTrades item");
            return;
        }
        if (t.id <= s->last_tid)
            continue;
        if (t.id > newest)
            newest = t.id;
        if (blocked) {
            /* Only ask about further unknown orders: everything from the
             * first waiting trade on is looked at again afterwards. */
            if (bn_order_by_oid(b, k, t.order_id) == NULL &&
                closed_find(b, k, t.order_id) == NULL &&
                owner_find(b, k, t.order_id) == NULL && owner_send(b, k, t.order_id) != 0) {
                json_decref(j);
                bn_recon_fail(b, "could not ask for an order of the sweep");
                return;
            }
            continue;
        }
        int rc = sweep_trade(b, k, &t);
        if (rc == TRADE_ASK || rc == TRADE_WAIT) {
            blocked = true;
            if (rc == TRADE_ASK && owner_send(b, k, t.order_id) != 0) {
                json_decref(j);
                bn_recon_fail(b, "could not ask for an order of the sweep");
                return;
            }
            continue;
        }
        reported += rc == TRADE_REPORTED;
        s->last_tid = t.id;
    }
    json_decref(j);
    if (reported > 0) {
        b->recon_fills += reported;
        log_event(b->log, LOG_WARN, BN_ROOM, "fills_from_sweep",
                  "symbol=%s fills=%d (reported from the account's trades)", s->sym, reported);
    }
    log_event(b->log, LOG_DEBUG, BN_ROOM, "sweep_page", "symbol=%s trades=%zu last_tid=%" PRId64
              " newest=%" PRId64 " waiting=%s", s->sym, n, s->last_tid, newest,
              blocked ? "yes" : "no");
    if (!blocked && n == BN_TRADES_PAGE && sweep_send(b, k) != 0) {
        bn_recon_fail(b, "could not send the next myTrades page");
        return;
    }
    /* A sweep that found nothing starts its next window a minute before
     * this one was asked (myTrades may lag), not at the first lookback. */
    if (!blocked && n == 0 && s->last_tid < 0) {
        int64_t from = bn_now_ms(b) - 60000;
        if (from > s->sweep_from_ms)
            s->sweep_from_ms = from;
    }
    bn_recon_step_done(b, req->gen);
}

void bn_on_owner(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    if (!b->recon_active || req->gen != b->gen)
        return;
    int k = req->sym;
    struct bn_symbol *s = &b->syms[k];
    s->owner_pending--;
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    struct bn_order_info info;
    if (j == NULL || bn_parse_order(j, s->in->price_scale, s->in->qty_scale, &info) != 0) {
        char why[256];
        bn_error_text(r, why, sizeof why);
        json_decref(j);
        log_event(b->log, LOG_WARN, BN_ROOM, "sweep_order_query_failed",
                  "symbol=%s order_id=%" PRId64 " reason=\"%s\"", s->sym, req->order_id, why);
        bn_recon_fail(b, "order query of the sweep failed");
        return;
    }
    json_decref(j);
    enum bn_owner owner;
    struct bn_order *live = bn_order_by_cid(b, info.cid);
    if (live != NULL && live->sym == k) {
        live->order_id = info.order_id;     /* matched as a live order next time */
        owner = BN_OWNER_OURS;
    } else {
        owner = trader_cid(info.cid) ? BN_OWNER_OURS : BN_OWNER_FOREIGN;
    }
    owner_put(b, k, req->order_id, owner);
    log_event(b->log, LOG_INFO, BN_ROOM, "sweep_order", "symbol=%s order_id=%" PRId64
              " cid=%s owner=%s", s->sym, req->order_id, info.cid,
              owner == BN_OWNER_OURS ? "trader" : "foreign");
    if (s->owner_pending == 0 && sweep_send(b, k) != 0) {
        bn_recon_fail(b, "could not send the myTrades sweep again");
        return;
    }
    bn_recon_step_done(b, req->gen);
}
