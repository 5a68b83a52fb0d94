/* dispatch.c - what the trader does with each IPC request.
 *
 * The server (c/ipc) has already validated the frame and the message's
 * fields; here they meet the instruments, the risk engine and the journal.
 * Every request gets exactly one reply, queued in request order; the reply
 * leaves after the journal write of this loop iteration (see app.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/jrec.h"
#include "core/clock.h"
#include "core/money.h"

static enum venue_id venue_of(ipc_venue_t v) { return (enum venue_id)(v - 1); }

static int find_instrument(struct app *a, ipc_venue_t venue, ipc_str_t sym, uint32_t *id)
{
    return instrument_find(a->reg, venue_of(venue), sym.p, sym.n, id);
}

static void reject(ipc_conn_t *c, uint64_t id, int code, const char *reason)
{
    ipc_conn_send_check_reject(c, id, code, risk_code_name(code), reason);
}

static void on_check(struct app *a, ipc_conn_t *c, const ipc_check_t *m)
{
    char reason[RISK_REASON_TEXT_CAP];
    uint32_t inst;
    if (find_instrument(a, m->venue, m->sym, &inst) != 0) {
        snprintf(reason, sizeof reason, "UNKNOWN_INSTRUMENT: %s %.*s is not registered",
                 ipc_venue_name(m->venue), (int)m->sym.n, m->sym.p);
        reject(c, m->id, RISK_R_UNKNOWN_INSTRUMENT, reason);
        return;
    }
    const struct instrument *in = instrument_get(a->reg, inst);
    int64_t px, qty;
    if (money_parse(m->px.p, m->px.n, in->price_scale, &px) != MONEY_OK) {
        snprintf(reason, sizeof reason, "BAD_PRICE: %.*s does not fit %u decimals", (int)m->px.n,
                 m->px.p, in->price_scale);
        reject(c, m->id, RISK_R_BAD_PRICE, reason);
        return;
    }
    if (money_parse(m->qty.p, m->qty.n, in->qty_scale, &qty) != MONEY_OK) {
        snprintf(reason, sizeof reason, "BAD_QTY: %.*s does not fit %u decimals", (int)m->qty.n,
                 m->qty.p, in->qty_scale);
        reject(c, m->id, RISK_R_BAD_QTY, reason);
        return;
    }
    if (a->journal_broken || a->stopping) {
        reject(c, m->id, RISK_R_HALTED, a->stopping ? "HALTED: trader is stopping"
                                                    : "HALTED: the journal cannot be written");
        return;
    }
    int64_t now = clock_wall_ns();
    uint64_t res = 0;
    int side = m->side == IPC_SIDE_BUY ? RISK_BUY : RISK_SELL;
    int code = risk_check(a->risk, inst, side, px, qty, 0, now, &res, reason, sizeof reason);
    if (code != RISK_OK) {
        reject(c, m->id, code, reason);
        app_drain_risk_events(a);
        return;
    }
    struct app_order o;
    memset(&o, 0, sizeof o);
    o.res = res;
    o.inst = inst;
    o.venue = in->venue;
    o.side = (uint8_t)side;
    o.px = px;
    o.qty = qty;
    o.ts_ns = now;
    snprintf(o.cid, sizeof o.cid, "%.*s", (int)m->cid.n, m->cid.p != NULL ? m->cid.p : "");
    if (order_table_put(&a->orders, &o) == NULL) {
        risk_on_reject(a->risk, res, now);
        reject(c, m->id, RISK_R_CAPACITY, "CAPACITY: too many open orders");
        return;
    }
    app_journal_result(a, "append", jrec_accept(a->jr, in, res, side, px, qty, false, o.cid, now));
    ipc_conn_send_check_ok(c, m->id, res);
    app_drain_risk_events(a);
}

static enum report_kind report_kind_of(ipc_report_kind_t k)
{
    switch (k) {
    case IPC_RK_ACK: return REPORT_ACK;
    case IPC_RK_REJECT: return REPORT_REJECT;
    case IPC_RK_FILL: return REPORT_FILL;
    case IPC_RK_CANCEL: return REPORT_CANCEL;
    case IPC_RK_EXPIRE: return REPORT_EXPIRE;
    }
    return REPORT_REJECT;
}

static void copy_slice(char *dst, size_t cap, ipc_str_t s)
{
    snprintf(dst, cap, "%.*s", (int)s.n, s.p != NULL ? s.p : "");
}

static void on_report(struct app *a, ipc_conn_t *c, const ipc_report_t *m)
{
    struct app_order *o = order_table_get(&a->orders, m->res);
    if (o == NULL) {
        char why[96];
        snprintf(why, sizeof why, "reservation %" PRIu64 " is not open", m->res);
        ipc_conn_send_error(c, true, m->id, IPC_E_UNKNOWN_RES, why);
        return;
    }
    const struct instrument *in = instrument_get(a->reg, o->inst);
    struct venue_report r;
    memset(&r, 0, sizeof r);
    r.kind = report_kind_of(m->kind);
    r.res = m->res;
    r.inst = o->inst;
    r.ts_ns = m->ts != 0 ? m->ts : clock_wall_ns();
    r.liq = m->liq == IPC_LIQ_MAKER ? LIQ_MAKER : m->liq == IPC_LIQ_TAKER ? LIQ_TAKER : LIQ_UNKNOWN;
    copy_slice(r.voi, sizeof r.voi, m->voi);
    copy_slice(r.tid, sizeof r.tid, m->tid);
    copy_slice(r.reason, sizeof r.reason, m->reason);
    if (r.kind == REPORT_FILL &&
        (money_parse(m->px.p, m->px.n, in->price_scale, &r.px) != MONEY_OK ||
         money_parse(m->qty.p, m->qty.n, in->qty_scale, &r.qty) != MONEY_OK ||
         money_parse(m->fee.p, m->fee.n, INSTRUMENT_QUOTE_SCALE, &r.fee) != MONEY_OK)) {
        ipc_conn_send_error(c, true, m->id, IPC_E_INVALID,
                            "fill px/qty/fee do not fit the instrument's decimals");
        return;
    }
    char why[160];
    if (app_apply_report(a, &r, why, sizeof why) != 0) {
        ipc_conn_send_error(c, true, m->id, IPC_E_INVALID, why);
        return;
    }
    ipc_conn_send_ok(c, m->id);
}

static void on_mark(struct app *a, ipc_conn_t *c, const ipc_mark_t *m)
{
    uint32_t inst;
    int64_t px;
    int code = IPC_OK;
    const char *why = NULL;
    if (find_instrument(a, m->venue, m->sym, &inst) != 0) {
        code = IPC_E_UNKNOWN_INSTRUMENT;
        why = "mark for an unregistered instrument";
    } else if (money_parse(m->px.p, m->px.n, instrument_get(a->reg, inst)->price_scale, &px) !=
                   MONEY_OK ||
               px <= 0) {
        code = IPC_E_INVALID;
        why = "mark price must be positive and fit the instrument's decimals";
    } else {
        app_on_mark(a, inst, px, m->ts != 0 ? m->ts : clock_wall_ns());
    }
    if (m->has_id) {
        if (code == IPC_OK)
            ipc_conn_send_ok(c, m->id);
        else
            ipc_conn_send_error(c, true, m->id, code, why);
    }
}

static unsigned decimals_of(ipc_str_t s)
{
    for (uint32_t i = 0; i < s.n; i++)
        if (s.p[i] == '.')
            return s.n - i - 1;
    return 0;
}

static void on_instrument(struct app *a, ipc_conn_t *c, const ipc_instrument_t *m)
{
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.venue = (uint8_t)venue_of(m->venue);
    in.kind = (uint8_t)(m->kind - 1);
    unsigned ps = decimals_of(m->tick), qs = decimals_of(m->lot);
    /* Binary markets change tick as the price nears 0 or 1 (down to
     * 0.0001): leave room for the finest tick up front. */
    if (in.kind == INSTRUMENT_BINARY && ps < 4)
        ps = 4;
    in.price_scale = (uint8_t)ps;
    in.qty_scale = (uint8_t)qs;
    copy_slice(in.symbol, sizeof in.symbol, m->sym);
    copy_slice(in.market_key, sizeof in.market_key, m->market.p != NULL ? m->market : m->sym);
    copy_slice(in.quote_ccy, sizeof in.quote_ccy, m->quote_ccy);
    if (m->sym.n >= INSTRUMENT_SYMBOL_CAP || m->market.n >= INSTRUMENT_SYMBOL_CAP ||
        money_parse(m->tick.p, m->tick.n, ps, &in.tick) != MONEY_OK ||
        money_parse(m->lot.p, m->lot.n, qs, &in.lot) != MONEY_OK ||
        money_parse(m->min_qty.p, m->min_qty.n, qs, &in.min_qty) != MONEY_OK ||
        money_parse(m->min_notional.p, m->min_notional.n, INSTRUMENT_QUOTE_SCALE,
                    &in.min_notional) != MONEY_OK ||
        money_parse(m->usd_rate.p, m->usd_rate.n, INSTRUMENT_RATE_SCALE, &in.usd_rate) !=
            MONEY_OK) {
        ipc_conn_send_error(c, true, m->id, IPC_E_INVALID,
                            "instrument amounts do not fit (min_qty must fit lot's decimals)");
        return;
    }
    uint32_t before = a->reg->count, id;
    int64_t old_tick = 0, old_rate = 0;
    if (instrument_find(a->reg, (enum venue_id)in.venue, in.symbol, strlen(in.symbol), &id) == 0) {
        old_tick = instrument_get(a->reg, id)->tick;
        old_rate = instrument_get(a->reg, id)->usd_rate;
    }
    char why[256];
    if (risk_add_instrument(a->risk, &in, &id, why, sizeof why) != 0) {
        ipc_conn_send_error(c, true, m->id, IPC_E_INVALID, why);
        return;
    }
    if (a->reg->count == before && (old_tick != in.tick || old_rate != in.usd_rate)) {
        /* a tick or rate change: journaled, so a replay ends with the same */
        app_journal_result(a, "append", jrec_instrument(a->jr, instrument_get(a->reg, id), clock_wall_ns()));
        log_event(&a->log, LOG_INFO, "app", "instrument_updated", "venue=%s sym=%s tick=%" PRId64
                  " usd_rate=%" PRId64, venue_name((enum venue_id)in.venue), in.symbol, in.tick,
                  in.usd_rate);
    } else if (a->reg->count != before) {
        app_journal_result(a, "append", jrec_instrument(a->jr, instrument_get(a->reg, id), clock_wall_ns()));
        log_event(&a->log, LOG_INFO, "app", "instrument_registered", "venue=%s sym=%s market=%s",
                  venue_name((enum venue_id)in.venue), in.symbol, in.market_key);
    }
    ipc_conn_send_ok(c, m->id);
}

static void on_resolve(struct app *a, ipc_conn_t *c, const ipc_resolve_t *m)
{
    uint32_t inst;
    if (find_instrument(a, m->venue, m->sym, &inst) != 0) {
        ipc_conn_send_error(c, true, m->id, IPC_E_UNKNOWN_INSTRUMENT, "unregistered instrument");
        return;
    }
    const struct instrument *in = instrument_get(a->reg, inst);
    int64_t px;
    if (in->kind != INSTRUMENT_BINARY ||
        money_parse(m->px.p, m->px.n, in->price_scale, &px) != MONEY_OK ||
        (px != 0 && px != money_pow10(in->price_scale))) {
        ipc_conn_send_error(c, true, m->id, IPC_E_INVALID,
                            "resolve needs a binary outcome and px \"1\" or \"0\"");
        return;
    }
    bool won = px != 0;
    uint32_t winner = won ? inst : in->complement;
    int64_t now = m->ts != 0 ? m->ts : clock_wall_ns();
    if (risk_resolve_market(a->risk, in->market, winner, now) != 0) {
        ipc_conn_send_error(c, true, m->id, IPC_E_INVALID, "market could not be resolved");
        return;
    }
    app_journal_result(a, "append", jrec_resolve(a->jr, in, won, now));
    log_event(&a->log, LOG_INFO, "app", "market_resolved", "venue=%s sym=%s won=%d",
              venue_name((enum venue_id)in->venue), in->symbol, won);
    ipc_conn_send_ok(c, m->id);
    app_drain_risk_events(a);
}

/* ---- queries ---- */

static void pack_key(msgpack_packer *pk, const char *k) { ipc_pack_cstr(pk, k); }

static void pack_dec(msgpack_packer *pk, int64_t v, unsigned scale)
{
    char buf[MONEY_FMT_MAX];
    if (money_format(v, scale, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "?");
    ipc_pack_cstr(pk, buf);
}

static void pack_usd(msgpack_packer *pk, int64_t v) { pack_dec(pk, v, USD_SCALE); }

static const char *conn_name(enum venue_conn s)
{
    return s == CONN_UP ? "UP" : s == CONN_RECONCILING ? "RECONCILING" : "DOWN";
}

static uint32_t count_positions(struct app *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->reg->count; i++) {
        int64_t qty, cost, ob, os, rl, ur;
        if (risk_position(a->risk, i, &qty, &cost, &ob, &os, &rl, &ur) == 0 &&
            (qty != 0 || ob != 0 || os != 0 || rl != 0))
            n++;
    }
    return n;
}

static void pack_positions(struct app *a, msgpack_packer *pk)
{
    msgpack_pack_array(pk, count_positions(a));
    for (uint32_t i = 0; i < a->reg->count; i++) {
        int64_t qty, cost, ob, os, rl, ur;
        if (risk_position(a->risk, i, &qty, &cost, &ob, &os, &rl, &ur) != 0 ||
            (qty == 0 && ob == 0 && os == 0 && rl == 0))
            continue;
        const struct instrument *in = instrument_get(a->reg, i);
        msgpack_pack_map(pk, 8);
        pack_key(pk, "venue");
        ipc_pack_cstr(pk, venue_name((enum venue_id)in->venue));
        pack_key(pk, "sym");
        ipc_pack_cstr(pk, in->symbol);
        pack_key(pk, "qty");
        pack_dec(pk, qty, in->qty_scale);
        pack_key(pk, "cost");
        pack_dec(pk, cost, INSTRUMENT_QUOTE_SCALE);
        pack_key(pk, "open_buy");
        pack_dec(pk, ob, in->qty_scale);
        pack_key(pk, "open_sell");
        pack_dec(pk, os, in->qty_scale);
        pack_key(pk, "realized_usd");
        pack_usd(pk, rl);
        pack_key(pk, "unrealized_usd");
        pack_usd(pk, ur);
    }
}

static const int USAGE_LIMITS[] = {RISK_R_MAX_POSITIONS, RISK_R_MAX_EXPOSURE, RISK_R_DAILY_LOSS,
                                   RISK_R_DRAWDOWN, RISK_R_ORDER_RATE, RISK_R_CANCEL_FILL_RATIO};

static bool limit_is_usd(int limit)
{
    return limit == RISK_R_MAX_EXPOSURE || limit == RISK_R_DAILY_LOSS ||
           limit == RISK_R_MAX_POSITION || limit == RISK_R_DRAWDOWN;
}

static void pack_one_limit(msgpack_packer *pk, int limit, int scope, uint32_t index, int64_t value,
                           int64_t bound)
{
    msgpack_pack_map(pk, 5);
    pack_key(pk, "limit");
    ipc_pack_cstr(pk, risk_code_name(limit));
    pack_key(pk, "scope");
    ipc_pack_cstr(pk, scope == RISK_SCOPE_GLOBAL ? "global" : venue_name((enum venue_id)index));
    pack_key(pk, "unit");
    ipc_pack_cstr(pk, limit_is_usd(limit) ? "USD" : limit == RISK_R_CANCEL_FILL_RATIO ? "x100"
                                                                                     : "count");
    pack_key(pk, "value");
    if (limit_is_usd(limit))
        pack_usd(pk, value);
    else
        msgpack_pack_int64(pk, value);
    pack_key(pk, "bound");
    if (bound == RISK_UNLIMITED)
        ipc_pack_cstr(pk, "unlimited");
    else if (limit_is_usd(limit))
        pack_usd(pk, bound);
    else
        msgpack_pack_int64(pk, bound);
}

static void pack_limits(struct app *a, msgpack_packer *pk, int64_t now)
{
    int64_t value, bound;
    uint32_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            msgpack_pack_array(pk, n);
        for (size_t l = 0; l < sizeof USAGE_LIMITS / sizeof USAGE_LIMITS[0]; l++) {
            for (int s = -1; s < VENUE_COUNT; s++) {
                int scope = s < 0 ? RISK_SCOPE_GLOBAL : RISK_SCOPE_VENUE;
                uint32_t index = s < 0 ? 0 : (uint32_t)s;
                if (risk_usage(a->risk, USAGE_LIMITS[l], scope, index, now, &value, &bound) != 0)
                    continue;
                if (scope == RISK_SCOPE_VENUE && bound == RISK_UNLIMITED && value == 0)
                    continue; /* an unused venue without its own bound says nothing */
                if (pass == 0)
                    n++;
                else
                    pack_one_limit(pk, USAGE_LIMITS[l], scope, index, value, bound);
            }
        }
    }
}

static void pack_orders(struct app *a, msgpack_packer *pk)
{
    msgpack_pack_array(pk, a->orders.count);
    for (uint32_t i = 0; i <= a->orders.mask; i++) {
        const struct app_order *o = &a->orders.slots[i];
        if (o->res == 0)
            continue;
        const struct instrument *in = instrument_get(a->reg, o->inst);
        msgpack_pack_map(pk, 10);
        pack_key(pk, "res");
        msgpack_pack_uint64(pk, o->res);
        pack_key(pk, "cid"); /* a client that lost a check_ok finds its reservation by it */
        ipc_pack_cstr(pk, o->cid);
        pack_key(pk, "venue");
        ipc_pack_cstr(pk, venue_name((enum venue_id)o->venue));
        pack_key(pk, "sym");
        ipc_pack_cstr(pk, in->symbol);
        pack_key(pk, "side");
        ipc_pack_cstr(pk, o->side == RISK_BUY ? "buy" : "sell");
        pack_key(pk, "px");
        pack_dec(pk, o->px, in->price_scale);
        pack_key(pk, "qty");
        pack_dec(pk, o->qty, in->qty_scale);
        pack_key(pk, "filled");
        pack_dec(pk, o->filled, in->qty_scale);
        pack_key(pk, "voi");
        ipc_pack_cstr(pk, o->voi);
        pack_key(pk, "local");
        if (o->local)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
    }
}

static void pack_status(struct app *a, msgpack_packer *pk, int64_t now)
{
    msgpack_pack_map(pk, 10);
    pack_key(pk, "mode");
    ipc_pack_cstr(pk, a->opt.mode == MODE_LIVE ? "live" : "paper");
    pack_key(pk, "pid");
    msgpack_pack_int64(pk, getpid());
    pack_key(pk, "uptime_s");
    msgpack_pack_int64(pk, (now - a->started_ns) / NS_PER_SEC);
    pack_key(pk, "jseq");
    msgpack_pack_uint64(pk, a->jr != NULL ? journal_last_seq(a->jr) : 0);
    pack_key(pk, "states");
    msgpack_pack_map(pk, 1 + VENUE_COUNT);
    pack_key(pk, "global");
    ipc_pack_cstr(pk, risk_state_name(risk_scope_state(a->risk, RISK_SCOPE_GLOBAL, 0)));
    for (int v = 0; v < VENUE_COUNT; v++) {
        pack_key(pk, venue_name((enum venue_id)v));
        ipc_pack_cstr(pk, risk_state_name(risk_scope_state(a->risk, RISK_SCOPE_VENUE, (uint32_t)v)));
    }
    pack_key(pk, "connections");
    uint32_t nconn = 0;
    for (int v = 0; v < VENUE_COUNT; v++)
        nconn += a->opt.exchanges[v] ? 1 : 0;
    msgpack_pack_map(pk, nconn);
    for (int v = 0; v < VENUE_COUNT; v++) {
        if (!a->opt.exchanges[v])
            continue;
        pack_key(pk, venue_name((enum venue_id)v));
        msgpack_pack_map(pk, 3);
        pack_key(pk, "state");
        ipc_pack_cstr(pk, conn_name(a->conn[v]));
        pack_key(pk, "age_s");
        msgpack_pack_int64(pk, (clock_mono_ns() - a->conn_since_ns[v]) / NS_PER_SEC);
        pack_key(pk, "open_orders");
        msgpack_pack_int64(pk, a->venues[v] != NULL ? a->venues[v]->ops->open_orders(a->venues[v])
                                                    : 0);
    }
    int64_t realized = 0, unrealized = 0, daily = 0, fees = 0;
    risk_pnl(a->risk, RISK_SCOPE_GLOBAL, 0, &realized, &unrealized, &daily, &fees);
    pack_key(pk, "pnl_usd");
    msgpack_pack_map(pk, 4);
    pack_key(pk, "realized");
    pack_usd(pk, realized);
    pack_key(pk, "unrealized");
    pack_usd(pk, unrealized);
    pack_key(pk, "daily");
    pack_usd(pk, daily);
    pack_key(pk, "fees");
    pack_usd(pk, fees);
    pack_key(pk, "open_orders");
    msgpack_pack_uint32(pk, a->orders.count);
    pack_key(pk, "limits");
    pack_limits(a, pk, now);
    pack_key(pk, "positions");
    pack_positions(a, pk);
}

static void on_query(struct app *a, ipc_conn_t *c, const ipc_query_t *m)
{
    ipc_fw_t fw;
    msgpack_packer *pk = ipc_conn_begin_query_ok(c, m->id, &fw);
    if (pk == NULL)
        return;
    int64_t now = clock_wall_ns();
    switch (m->what) {
    case IPC_Q_STATUS:
        pack_status(a, pk, now);
        break;
    case IPC_Q_POSITIONS:
        msgpack_pack_map(pk, 1);
        pack_key(pk, "positions");
        pack_positions(a, pk);
        break;
    case IPC_Q_LIMITS:
        msgpack_pack_map(pk, 1);
        pack_key(pk, "limits");
        pack_limits(a, pk, now);
        break;
    case IPC_Q_ORDERS:
        msgpack_pack_map(pk, 1);
        pack_key(pk, "orders");
        pack_orders(a, pk);
        break;
    }
    if (ipc_conn_end(c, &fw) != IPC_OK)
        ipc_conn_send_error(c, true, m->id, IPC_E_INTERNAL, "query result too large for a frame");
}

/* A new state subscriber first learns where things stand: the global
 * state and every venue's, then only changes. */
static void send_current_states(struct app *a, ipc_conn_t *c)
{
    int64_t now = clock_wall_ns();
    for (int s = -1; s < VENUE_COUNT; s++) {
        int state = s < 0 ? risk_scope_state(a->risk, RISK_SCOPE_GLOBAL, 0)
                          : risk_scope_state(a->risk, RISK_SCOPE_VENUE, (uint32_t)s);
        const char *reason = "current state";
        ipc_msg_t m;
        memset(&m, 0, sizeof m);
        m.type = IPC_T_STATE;
        m.u.state.scope = (ipc_scope_t)(IPC_SCOPE_GLOBAL + (s + 1));
        m.u.state.state = (ipc_state_t)(state + 1);
        m.u.state.reason.p = reason;
        m.u.state.reason.n = (uint32_t)strlen(reason);
        m.u.state.ts = now;
        ipc_conn_send(c, &m);
    }
}

void app_on_ipc_message(ipc_conn_t *conn, const ipc_msg_t *msg, const msgpack_object *raw,
                        void *ctx)
{
    struct app *a = ctx;
    (void)raw;
    char reason[256];
    switch (msg->type) {
    case IPC_T_CHECK:
        on_check(a, conn, &msg->u.check);
        break;
    case IPC_T_REPORT:
        on_report(a, conn, &msg->u.report);
        break;
    case IPC_T_MARK:
        on_mark(a, conn, &msg->u.mark);
        break;
    case IPC_T_INSTRUMENT:
        on_instrument(a, conn, &msg->u.instrument);
        break;
    case IPC_T_RESOLVE:
        on_resolve(a, conn, &msg->u.resolve);
        break;
    case IPC_T_QUERY:
        on_query(a, conn, &msg->u.query);
        break;
    case IPC_T_SUBSCRIBE:
        ipc_conn_set_topics(conn, msg->u.subscribe.topics);
        ipc_conn_send_ok(conn, msg->u.subscribe.id);
        if (msg->u.subscribe.topics & IPC_TOPIC_STATE)
            send_current_states(a, conn);
        break;
    case IPC_T_KILL:
        copy_slice(reason, sizeof reason, msg->u.kill.reason);
        app_kill(a, "ipc", reason[0] != '\0' ? reason : "operator");
        ipc_conn_send_ok(conn, msg->u.kill.id);
        break;
    case IPC_T_UNKILL:
        copy_slice(reason, sizeof reason, msg->u.kill.reason);
        if (app_unkill(a, "ipc", reason[0] != '\0' ? reason : "operator") == 0)
            ipc_conn_send_ok(conn, msg->u.kill.id);
        else
            ipc_conn_send_error(conn, true, msg->u.kill.id, IPC_E_INVALID,
                                "unkill refused: the kill file exists or the journal failed");
        break;
    case IPC_T_FOLLOW:
        follow_request(&a->follows, conn, msg->u.follow.id, msg->u.follow.from_seq);
        break;
    default:
        ipc_conn_send_error(conn, false, 0, IPC_E_UNKNOWN_TYPE, "message not handled by trader");
        break;
    }
}
