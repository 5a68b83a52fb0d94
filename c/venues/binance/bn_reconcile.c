/* bn_reconcile.c - after any disconnect or gap (and at start), the venue's
 * truth is fetched before trading resumes:
 *   1. openOrders per symbol and the account balances;
 *   2. every order we know: open at the venue -> its id, and its trades if
 *      it executed more than we booked; not open -> its status by client
 *      order id, its trades, then the terminal report;
 *   3. an open order at the venue that we do not know -> cancelled there;
 *   4. then the trade sweep (bn_sweep.c): every trade of the account per
 *      symbol since the last one a sweep saw, so a fill of any order of
 *      ours is found, also one the connector no longer (or never) knew.
 * Fills are booked through bn_book_fill, which skips trade ids already
 * reported, so a fill seen both live and here is booked once.
 * Each reconcile has a generation; a new gap bumps it and the answers of
 * the interrupted one are ignored. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "venues/binance/bn_internal.h"

void bn_recon_fail(struct binance *b, const char *why)
{
    if (!b->recon_active)
        return;
    log_event(b->log, LOG_WARN, BN_ROOM, "reconcile_failed", "reason=\"%s\" retry_ms=1000", why);
    b->recon_active = false;
    b->gen++;
    b->recon_retry_ns = clock_mono_ns() + NS_PER_SEC;
    bn_emit_conn(b, CONN_DOWN, why);
}

void bn_recon_step_done(struct binance *b, uint64_t gen)
{
    if (!b->recon_active || gen != b->gen)
        return;
    if (--b->recon_pending > 0)
        return;
    if (b->recon_phase == 1) {
        /* Orders first: the sweep then finds every live order by its id. */
        b->recon_phase = 2;
        bn_sweep_start(b);
        return;
    }
    b->recon_active = false;
    b->blind = false;
    char why[128];
    snprintf(why, sizeof why, "reconciled: %d open orders, %d fills booked from REST",
             b->n_orders, b->recon_fills);
    log_event(b->log, LOG_INFO, BN_ROOM, "reconciled", "open_orders=%d fills_booked=%d",
              b->n_orders, b->recon_fills);
    bn_emit_conn(b, CONN_UP, why);
}

static int send_recon(struct binance *b, enum bn_req_kind kind, int sym, uint64_t res,
                      const char *method, const char *path, const char *params)
{
    struct bn_req *q = bn_req_new(kind, sym, res, b->gen);
    if (q == NULL)
        return -1;
    b->recon_pending++;
    if (bn_rest_signed(b, method, path, params, q) != 0) {
        b->recon_pending--;
        return -1;
    }
    return 0;
}

void bn_reconcile_start(struct binance *b)
{
    b->recon_active = true;
    b->gen++;
    b->recon_pending = 1;          /* held until every request is out */
    b->recon_phase = 1;
    b->recon_fills = 0;
    bn_emit_conn(b, CONN_RECONCILING, "reconciling open orders, trades and balances");
    log_event(b->log, LOG_INFO, BN_ROOM, "reconcile_start", "gen=%" PRIu64 " known_orders=%d",
              b->gen, b->n_orders);
    char params[96];
    for (int i = 0; i < b->n_syms; i++) {
        snprintf(params, sizeof params, "symbol=%s", b->syms[i].sym);
        if (send_recon(b, BN_REQ_OPEN_ORDERS, i, 0, "GET", "/api/v3/openOrders", params) != 0) {
            bn_recon_fail(b, "could not send openOrders");
            return;
        }
    }
    if (send_recon(b, BN_REQ_ACCOUNT, -1, 0, "GET", "/api/v3/account", "omitZeroBalances=true")
        != 0) {
        bn_recon_fail(b, "could not send account");
        return;
    }
    bn_recon_step_done(b, b->gen);
}

void bn_on_open_orders(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    if (!b->recon_active || req->gen != b->gen)
        return;
    uint64_t gen = req->gen;
    struct bn_symbol *s = &b->syms[req->sym];
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    if (!json_is_array(j)) {
        char why[256];
        bn_error_text(r, why, sizeof why);
        json_decref(j);
        log_event(b->log, LOG_WARN, BN_ROOM, "open_orders_failed", "symbol=%s reason=\"%s\"",
                  s->sym, why);
        bn_recon_fail(b, "openOrders failed");
        return;
    }
    size_t i;
    const json_t *item;
    char params[160];
    json_array_foreach(j, i, item) {
        struct bn_order_info info;
        if (bn_parse_order(item, s->in->price_scale, s->in->qty_scale, &info) != 0) {
            json_decref(j);
            bn_recon_fail(b, "unparsable openOrders item");
            return;
        }
        struct bn_order *o = bn_order_by_cid(b, info.cid);
        if (o == NULL)
            o = bn_order_by_oid(b, req->sym, info.order_id);
        if (o == NULL) {
            /* Not ours (or from before a lost journal): it must not rest
             * unseen by the risk engine. */
            log_event(b->log, LOG_WARN, BN_ROOM, "unknown_open_order",
                      "symbol=%s order_id=%" PRId64 " cid=%s action=cancel", s->sym,
                      info.order_id, info.cid);
            snprintf(params, sizeof params, "symbol=%s&orderId=%" PRId64, s->sym, info.order_id);
            if (send_recon(b, BN_REQ_CANCEL_FOREIGN, req->sym, 0, "DELETE", "/api/v3/order",
                           params) != 0) {
                json_decref(j);
                bn_recon_fail(b, "could not cancel an unknown order");
                return;
            }
            continue;
        }
        o->order_id = info.order_id;
        o->seen_open_gen = gen;
        bn_settle(b, o, info.status, info.executed);
    }
    json_decref(j);
    /* Ours but not open there: ask what became of each. */
    for (int k = 0; k < BN_MAX_ORDERS; k++) {
        struct bn_order *o = &b->orders[k];
        if (!o->used || o->sym != req->sym || o->seen_open_gen == gen || o->place_inflight ||
            o->query_inflight || o->trades_inflight)
            continue;
        snprintf(params, sizeof params, "symbol=%s&origClientOrderId=%s", s->sym, o->o.cid);
        if (send_recon(b, BN_REQ_QUERY, req->sym, o->o.res, "GET", "/api/v3/order", params) != 0) {
            bn_recon_fail(b, "could not send an order query");
            return;
        }
        o->query_inflight = true;
    }
    bn_recon_step_done(b, gen);
}

/* Balances are logged, not compared with the engine's positions (the IBKR
 * connector's on_position comparison has no sound Binance Spot analogue):
 *   - a spot account holds balances from before the trader ran, and
 *     deposits, withdrawals, dust conversions and transfers move them, so
 *     a position could only be "balance minus a configured baseline";
 *   - even then the difference drifts with every buy: Binance charges the
 *     buyer's commission in the base asset it receives (0.1 % of the BTC
 *     bought), while the engine books the fill's full quantity and counts
 *     the commission in quote currency; the base-asset fees paid since the
 *     baseline are not in the journal, so they cannot be subtracted after
 *     a restart.  A comparison would raise a mismatch on every buy.
 *   - several symbols on one base asset (BTCUSDT, BTCFDUSD) share a balance.
 * It would be exact only for an account paying commissions in BNB with one
 * symbol per base asset; until that is wanted, the trade sweep
 * (bn_sweep.c) is what keeps the book complete, and these lines are the
 * operator's record. */
static void log_balance(void *ctx, const struct bn_balance *bal)
{
    struct binance *b = ctx;
    char f[MONEY_FMT_MAX], l[MONEY_FMT_MAX];
    money_format(bal->free, 8, f, sizeof f);
    money_format(bal->locked, 8, l, sizeof l);
    log_event(b->log, LOG_INFO, BN_ROOM, "balance", "asset=%s free=%s locked=%s", bal->asset, f,
              l);
}

void bn_on_account(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r)
{
    if (!b->recon_active || req->gen != b->gen)
        return;
    json_t *j = r->status == 200 ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    if (j == NULL || bn_parse_balances(j, log_balance, b) < 0) {
        char why[256];
        bn_error_text(r, why, sizeof why);
        json_decref(j);
        log_event(b->log, LOG_WARN, BN_ROOM, "account_failed", "reason=\"%s\"", why);
        bn_recon_fail(b, "account failed");
        return;
    }
    json_decref(j);
    bn_recon_step_done(b, req->gen);
}

int bn_reconcile_op(struct venue *v)
{
    struct binance *b = v->impl;
    bn_go_blind(b, "reconcile requested");
    bn_advance(b);
    return 0;
}

int bn_adopt(struct venue *v, const struct venue_order *vo, int64_t filled)
{
    struct binance *b = v->impl;
    int k = bn_sym_by_inst(b, vo->inst);
    if (k < 0)
        return -1;
    struct bn_order *o = NULL;
    for (int i = 0; i < BN_MAX_ORDERS; i++) {
        if (!b->orders[i].used) {
            o = &b->orders[i];
            break;
        }
    }
    if (o == NULL)
        return -1;
    int64_t *tids = o->tids;
    int cap = o->cap_tids;
    memset(o, 0, sizeof *o);
    o->tids = tids;
    o->cap_tids = cap;
    o->used = true;
    b->n_orders++;
    o->o = *vo;
    o->sym = k;
    o->acked = true;
    /* The journal's filled quantity is not used: the reconcile fetches
     * every trade of the order and re-reports them all; the risk engine
     * drops the trade ids it booked before the restart. */
    (void)filled;
    log_event(b->log, LOG_INFO, BN_ROOM, "adopted", "res=%" PRIu64 " cid=%s", vo->res, vo->cid);
    return 0;
}
