/* app.c - the trader's wiring (see app.h). */
#include "app/app.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/jrec.h"
#include "app/replay.h"
#include "core/clock.h"
#include "core/money.h"
#include "venues/binance/binance.h"
#include "venues/ibkr/ibkr.h"
#include "venues/paper/paper.h"

#define TICK_MS 100

static struct app *app_of_handle(uv_handle_t *h) { return h->data; }

/* ---- journal ---- */

/* Any journal failure halts everything: a decision we cannot record is a
 * decision we must not make. */
static void halt_on_journal_error(struct app *a, const char *what, int rc)
{
    if (a->journal_broken)
        return;
    a->journal_broken = true;
    log_event(&a->log, LOG_ERROR, "journal", "journal_failed", "op=%s status=%s", what,
              journal_status_name(rc));
    app_kill(a, "journal", "journal write failed: trading halted");
}

void app_journal_result(struct app *a, const char *what, int rc)
{
    if (rc != JOURNAL_OK)
        halt_on_journal_error(a, what, rc);
}

static void maybe_start_fsync(struct app *a);

static void fsync_done(uv_fs_t *req)
{
    struct app *a = req->data;
    int err = req->result < 0 ? (int)-req->result : 0;
    uv_fs_req_cleanup(req);
    a->fsync_in_flight = false;
    a->fsync_next_ns = clock_mono_ns() + (int64_t)a->cfg.fsync_interval_ms * 1000000;
    if (a->jr == NULL)
        return;
    char why[256];
    if (journal_sync_done(a->jr, a->fsync_upto, err, why, sizeof why) != JOURNAL_OK) {
        log_event(&a->log, LOG_ERROR, "journal", "fdatasync_failed", "reason=\"%s\"", why);
        halt_on_journal_error(a, "fdatasync", JOURNAL_ERR_IO);
        return;
    }
    maybe_start_fsync(a);
}

static void fsync_timer_cb(uv_timer_t *t)
{
    maybe_start_fsync(app_of_handle((uv_handle_t *)t));
}

/* Group commit.  Replies go out once their records are written (safe
 * against a crash of this process: the page cache holds them); the
 * fdatasync that makes them safe against a crash of the machine runs on
 * libuv's thread pool, at most one at a time and at most one per
 * fsync_interval_ms, so a busy loop is not woken by a completion for
 * every few records.  Journal followers only ever see synced records. */
static void maybe_start_fsync(struct app *a)
{
    if (uv_is_closing((uv_handle_t *)&a->fsync_timer)) /* stopping: teardown syncs */
        return;
    if (a->jr == NULL || a->cfg.fsync != JOURNAL_FSYNC_GROUP || a->fsync_in_flight ||
        journal_failed(a->jr) || journal_flushed_seq(a->jr) <= journal_synced_seq(a->jr))
        return;
    int64_t wait_ns = a->fsync_next_ns - clock_mono_ns();
    if (wait_ns > 0) {
        if (!uv_is_active((uv_handle_t *)&a->fsync_timer))
            uv_timer_start(&a->fsync_timer, fsync_timer_cb, (uint64_t)(wait_ns / 1000000) + 1, 0);
        return;
    }
    a->fsync_upto = journal_flushed_seq(a->jr);
    a->fsync_req.data = a;
    if (uv_fs_fdatasync(a->loop, &a->fsync_req, journal_fd(a->jr), fsync_done) == 0)
        a->fsync_in_flight = true;
}

static uint64_t follow_limit(const struct app *a);

/* uv_check: runs after each loop iteration's I/O. Journal first, then the
 * replies that acknowledge what it holds. */
static void flush_cb(uv_check_t *h)
{
    struct app *a = app_of_handle((uv_handle_t *)h);
    if (a->jr != NULL && journal_buffered_bytes(a->jr) > 0) {
        char why[256];
        int rc = journal_flush(a->jr, why, sizeof why);
        if (rc != JOURNAL_OK) {
            log_event(&a->log, LOG_ERROR, "journal", "flush_failed", "reason=\"%s\"", why);
            halt_on_journal_error(a, "flush", rc);
        }
    }
    maybe_start_fsync(a);
    if (a->ipc != NULL) {
        follow_pump(&a->follows, follow_limit(a)); /* journal followers: durable records only */
        ipc_server_flush(a->ipc);
        follow_after_flush(&a->follows, follow_limit(a));
    }
}

/* ---- states and events ---- */

static ipc_scope_t ipc_scope_of(int scope, uint32_t index)
{
    if (scope == RISK_SCOPE_GLOBAL)
        return IPC_SCOPE_GLOBAL;
    return (ipc_scope_t)(IPC_SCOPE_PAPER + index);
}

static void push_state(struct app *a, int scope, uint32_t index, int state, const char *reason,
                       int64_t now)
{
    if (a->ipc == NULL || scope == RISK_SCOPE_MARKET)
        return;
    ipc_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = IPC_T_STATE;
    m.u.state.scope = ipc_scope_of(scope, index);
    m.u.state.state = (ipc_state_t)(state + 1);
    m.u.state.reason.p = reason;
    m.u.state.reason.n = (uint32_t)strlen(reason);
    m.u.state.ts = now;
    ipc_server_broadcast(a->ipc, IPC_TOPIC_STATE, &m);
}

static void push_event(struct app *a, const char *kind, int venue, const char *sym,
                       const char *reason, int64_t now)
{
    if (a->ipc == NULL)
        return;
    ipc_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = IPC_T_EVENT;
    m.u.event.kind.p = kind;
    m.u.event.kind.n = (uint32_t)strlen(kind);
    m.u.event.venue = venue >= 0 ? (ipc_venue_t)(venue + 1) : (ipc_venue_t)0;
    if (sym != NULL) {
        m.u.event.sym.p = sym;
        m.u.event.sym.n = (uint32_t)strlen(sym);
    }
    m.u.event.reason.p = reason;
    m.u.event.reason.n = (uint32_t)strlen(reason);
    m.u.event.ts = now;
    ipc_server_broadcast(a->ipc, IPC_TOPIC_EVENTS, &m);
}

static void cancel_all_local(struct app *a, int only_venue)
{
    for (int v = 0; v < VENUE_COUNT; v++) {
        if (a->venues[v] == NULL || (only_venue >= 0 && v != only_venue))
            continue;
        if (a->venues[v]->ops->cancel_all(a->venues[v]) != 0)
            log_event(&a->log, LOG_WARN, "app", "cancel_all_failed", "venue=%s",
                      venue_name((enum venue_id)v));
    }
}

static void update_quoter_pause(struct app *a)
{
    bool paused = a->stopping || risk_scope_state(a->risk, RISK_SCOPE_GLOBAL, 0) == RISK_HALTED;
    quoter_set_paused(&a->quoter, paused);
    /* Each line follows its own instrument's state (global, venue, market):
     * a venue over its daily loss quotes exits only, the others go on. */
    for (int i = 0; i < a->quoter.n_lines; i++) {
        uint32_t inst = a->quoter.lines[i].cfg.inst;
        int st = risk_effective_state(a->risk, inst);
        quoter_set_line_state(&a->quoter, inst,
                              st == RISK_ACTIVE     ? QUOTE_ACTIVE
                              : st == RISK_REDUCING ? QUOTE_REDUCE_ONLY
                                                    : QUOTE_HALTED);
    }
}

void app_drain_risk_events(struct app *a)
{
    struct risk_event ev;
    while (risk_next_event(a->risk, &ev) == 1) {
        const char *sname = risk_scope_name(ev.scope);
        if (ev.type == RISK_EV_STATE) {
            log_event(&a->log, LOG_WARN, "risk", "state_change",
                      "scope=%s index=%u from=%s to=%s reason=%s text=\"%s\"", sname,
                      ev.scope_index, risk_state_name(ev.old_state), risk_state_name(ev.new_state),
                      risk_reason_name(ev.code), ev.text);
            push_state(a, ev.scope, ev.scope_index, ev.new_state, ev.text, ev.ts_ns);
            if (!a->replaying && ev.new_state == RISK_HALTED && ev.scope != RISK_SCOPE_MARKET)
                cancel_all_local(a, ev.scope == RISK_SCOPE_GLOBAL ? -1 : (int)ev.scope_index);
            update_quoter_pause(a);
        } else {
            static const char *const kinds[] = {"", "state", "position_stop", "limit_breach",
                                                "daily_reset", "anomaly"};
            const char *kind = (ev.type >= 1 && ev.type <= 5) ? kinds[ev.type] : "risk";
            log_event(&a->log, ev.type == RISK_EV_ANOMALY ? LOG_ERROR : LOG_WARN, "risk", kind,
                      "scope=%s index=%u code=%s text=\"%s\"", sname, ev.scope_index,
                      risk_code_name(ev.code), ev.text);
            push_event(a, kind, ev.scope == RISK_SCOPE_VENUE ? (int)ev.scope_index : -1, NULL,
                       ev.text, ev.ts_ns);
        }
    }
}

/* ---- kill switch ---- */

void app_kill(struct app *a, const char *source, const char *reason)
{
    int64_t now = clock_wall_ns();
    char text[256];
    snprintf(text, sizeof text, "kill (%s): %s", source, reason);
    bool already = risk_scope_state(a->risk, RISK_SCOPE_GLOBAL, 0) == RISK_HALTED;
    risk_kill(a->risk, text, now);
    if (a->jr != NULL && !a->journal_broken)
        app_journal_result(a, "append",
               jrec_state(a->jr, RISK_SCOPE_GLOBAL, 0, RISK_HALTED, RISK_REASON_KILL,
                          risk_scope_state(a->risk, RISK_SCOPE_GLOBAL, 0), text, now));
    log_event(&a->log, LOG_WARN, "app", "kill", "source=%s reason=\"%s\"", source, reason);
    /* Cancel even if we were already halted: a kill must leave nothing open. */
    cancel_all_local(a, -1);
    app_drain_risk_events(a);
    if (!already)
        push_event(a, "kill", -1, NULL, text, now);
    update_quoter_pause(a);
}

int app_unkill(struct app *a, const char *source, const char *reason)
{
    struct stat st;
    if (stat(a->cfg.kill_file, &st) == 0) {
        log_event(&a->log, LOG_WARN, "app", "unkill_refused", "source=%s kill_file=%s", source,
                  a->cfg.kill_file);
        return -1;
    }
    if (a->journal_broken)
        return -1;
    int64_t now = clock_wall_ns();
    char text[256];
    snprintf(text, sizeof text, "unkill (%s): %s", source, reason);
    risk_set_state(a->risk, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_KILL, text, now);
    app_journal_result(a, "append",
           jrec_state(a->jr, RISK_SCOPE_GLOBAL, 0, RISK_ACTIVE, RISK_REASON_KILL,
                      risk_scope_state(a->risk, RISK_SCOPE_GLOBAL, 0), text, now));
    log_event(&a->log, LOG_WARN, "app", "unkill", "source=%s reason=\"%s\"", source, reason);
    a->kill_file_seen = false;
    app_drain_risk_events(a);
    update_quoter_pause(a);
    return 0;
}

static void check_kill_file(struct app *a)
{
    struct stat st;
    bool present = stat(a->cfg.kill_file, &st) == 0;
    if (present && !a->kill_file_seen) {
        a->kill_file_seen = true;
        char why[CONFIG_PATH_CAP + 32];
        snprintf(why, sizeof why, "kill file %s exists", a->cfg.kill_file);
        app_kill(a, "file", why);
    }
    /* Removing the file does not resume trading: an operator must unkill. */
}

/* ---- orders ---- */

static const char *report_kind_name(enum report_kind k)
{
    static const char *const names[] = {"ack", "reject", "fill", "cancel", "expire"};
    return (unsigned)k < 5 ? names[k] : "?";
}

/* A fill whose reservation is no longer open (res closed or 0), from a
 * connector that vouches the order was ours and says its side (venue.h):
 * the venue traded it, so it goes into the position, once per trade id
 * (the engine ignores a trade id it has booked), and is journaled only
 * when booked so a re-found fill leaves no record.  It is an anomaly: the
 * order was closed here while it could still fill. */
static int apply_orphan_fill(struct app *a, const struct venue_report *r, char *err,
                             size_t errlen)
{
    const struct instrument *in = instrument_get(a->reg, r->inst);
    if (in == NULL || r->qty <= 0 || r->px <= 0 || r->tid[0] == '\0') {
        snprintf(err, errlen, "fill of closed reservation %" PRIu64 " is incomplete", r->res);
        return -1;
    }
    int64_t now = r->ts_ns != 0 ? r->ts_ns : clock_wall_ns();
    int rc = risk_on_fill(a->risk, r->res, r->inst, (int)r->side, r->tid, r->qty, r->px, r->fee,
                          r->liq, now);
    if (rc == RISK_FILL_DUPLICATE)
        return 0;
    if (rc < 0) {
        snprintf(err, errlen, "risk engine refused the fill of closed reservation %" PRIu64
                 " (code %d)", r->res, rc);
        return -1;
    }
    if (a->replaying)
        return 0;
    if (a->jr != NULL)
        app_journal_result(a, "append", jrec_report(a->jr, in, (int)r->side, r));
    char text[200];
    snprintf(text, sizeof text, "fill %s of an order whose reservation %" PRIu64
             " was already closed: booked into the position", r->tid, r->res);
    log_event(&a->log, LOG_ERROR, "order", "fill_without_reservation",
              "res=%" PRIu64 " venue=%s sym=%s side=%s qty=%" PRId64 " px=%" PRId64 " tid=%s",
              r->res, venue_name((enum venue_id)in->venue), in->symbol,
              r->side == SIDE_BUY ? "buy" : "sell", r->qty, r->px, r->tid);
    push_event(a, "anomaly", in->venue, in->symbol, text, now);
    app_drain_risk_events(a);
    return 0;
}

int app_apply_report(struct app *a, const struct venue_report *r, char *err, size_t errlen)
{
    struct app_order *o = order_table_get(&a->orders, r->res);
    if (o == NULL && r->kind == REPORT_FILL && r->side_known)
        return apply_orphan_fill(a, r, err, errlen);
    if (o == NULL) {
        snprintf(err, errlen, "reservation %" PRIu64 " is not open", r->res);
        return -1;
    }
    const struct instrument *in = instrument_get(a->reg, o->inst);
    if (r->kind == REPORT_FILL && (r->qty <= 0 || r->px <= 0 || r->tid[0] == '\0')) {
        snprintf(err, errlen, "fill needs a positive qty and price and a trade id");
        return -1;
    }
    struct venue_report rep = *r;
    rep.inst = o->inst;
    if (!a->replaying && a->jr != NULL)
        app_journal_result(a, "append", jrec_report(a->jr, in, o->side, &rep));
    int64_t now = r->ts_ns != 0 ? r->ts_ns : clock_wall_ns();
    int rc = 0;
    bool done = false;
    switch (r->kind) {
    case REPORT_ACK:
        snprintf(o->voi, sizeof o->voi, "%s", r->voi);
        rc = risk_on_ack(a->risk, r->res, r->voi);
        break;
    case REPORT_REJECT:
        rc = risk_on_reject(a->risk, r->res, now);
        done = true;
        break;
    case REPORT_CANCEL:
    case REPORT_EXPIRE:
        rc = risk_on_cancel(a->risk, r->res, r->kind == REPORT_EXPIRE, now);
        done = true;
        break;
    case REPORT_FILL:
        rc = risk_on_fill(a->risk, r->res, o->inst, o->side, r->tid, r->qty, r->px, r->fee,
                          r->liq, now);
        if (rc == RISK_FILL_DUPLICATE) {
            log_event(&a->log, LOG_WARN, "app", "duplicate_fill", "res=%" PRIu64 " tid=%s",
                      r->res, r->tid);
            rc = 0;
            break;
        }
        if (rc == 0) {
            o->filled += r->qty;
            done = o->filled >= o->qty;
        }
        break;
    }
    if (rc < 0) {
        snprintf(err, errlen, "risk engine refused the %s report (code %d)",
                 report_kind_name(r->kind), rc);
        log_event(&a->log, LOG_ERROR, "app", "report_refused", "res=%" PRIu64 " kind=%s rc=%d",
                  r->res, report_kind_name(r->kind), rc);
    }
    if (!a->replaying) {
        if (r->kind != REPORT_ACK)
            log_event(&a->log, r->kind == REPORT_REJECT ? LOG_WARN : LOG_INFO, "order",
                      report_kind_name(r->kind),
                      "res=%" PRIu64 " venue=%s sym=%s qty=%" PRId64 " px=%" PRId64
                      " tid=%s reason=\"%s\"",
                      r->res, venue_name((enum venue_id)o->venue), in->symbol, r->qty, r->px,
                      r->tid, r->reason);
        if (o->local)
            quoter_on_report(&a->quoter, &rep);
        if (r->kind == REPORT_FILL || r->kind == REPORT_REJECT)
            push_event(a, report_kind_name(r->kind), o->venue, in->symbol,
                       r->kind == REPORT_FILL ? r->tid : r->reason, now);
    }
    if (done)
        order_table_del(&a->orders, r->res);
    if (!a->replaying)
        app_drain_risk_events(a);
    return rc < 0 ? -1 : 0;
}

uint64_t app_place_local(struct app *a, const struct venue_order *o)
{
    const struct instrument *in = instrument_get(a->reg, o->inst);
    struct venue *v = in != NULL ? a->venues[in->venue] : NULL;
    if (v == NULL || a->conn[in->venue] != CONN_UP || a->stopping)
        return 0;
    int64_t now = clock_wall_ns();
    uint64_t res = 0;
    char reason[RISK_REASON_TEXT_CAP];
    int code = risk_check(a->risk, o->inst, o->side, o->px, o->qty, 0, now, &res, reason,
                          sizeof reason);
    if (code != RISK_OK) {
        log_event(&a->log, LOG_INFO, "risk", "reject", "venue=%s sym=%s code=%s reason=\"%s\"",
                  venue_name((enum venue_id)in->venue), in->symbol, risk_code_name(code), reason);
        app_drain_risk_events(a);
        return 0;
    }
    struct app_order ao;
    memset(&ao, 0, sizeof ao);
    ao.res = res;
    ao.inst = o->inst;
    ao.venue = in->venue;
    ao.side = (uint8_t)o->side;
    ao.local = true;
    ao.px = o->px;
    ao.qty = o->qty;
    ao.ts_ns = now;
    snprintf(ao.cid, sizeof ao.cid, "%s", o->cid);
    app_journal_result(a, "append", jrec_accept(a->jr, in, res, o->side, o->px, o->qty, true, o->cid, now));
    if (order_table_put(&a->orders, &ao) == NULL) {
        risk_on_reject(a->risk, res, now);
        return 0;
    }
    struct venue_order vo = *o;
    vo.res = res;
    if (v->ops->place(v, &vo) != 0) {
        struct venue_report r;
        memset(&r, 0, sizeof r);
        r.kind = REPORT_REJECT;
        r.res = res;
        r.ts_ns = now;
        snprintf(r.reason, sizeof r.reason, "connector could not send the order");
        char err[128];
        app_apply_report(a, &r, err, sizeof err);
        return 0;
    }
    return res;
}

void app_cancel_local(struct app *a, uint64_t res)
{
    struct app_order *o = order_table_get(&a->orders, res);
    if (o == NULL || !o->local || a->venues[o->venue] == NULL)
        return;
    a->venues[o->venue]->ops->cancel(a->venues[o->venue], res);
}

/* ---- connector sink ---- */

static void sink_report(void *ctx, enum venue_id venue, const struct venue_report *r)
{
    struct app *a = ctx;
    char err[160];
    if (app_apply_report(a, r, err, sizeof err) != 0)
        log_event(&a->log, LOG_ERROR, "app", "venue_report_unmatched", "venue=%s res=%" PRIu64
                  " reason=\"%s\"", venue_name(venue), r->res, err);
}

static void broadcast_refprice(struct app *a, const struct instrument *in, int64_t px, int64_t ts)
{
    char buf[MONEY_FMT_MAX];
    if (a->ipc == NULL || money_format(px, in->price_scale, buf, sizeof buf) < 0)
        return;
    ipc_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = IPC_T_REFPRICE;
    m.u.refprice.sym.p = in->symbol;
    m.u.refprice.sym.n = (uint32_t)strlen(in->symbol);
    m.u.refprice.px.p = buf;
    m.u.refprice.px.n = (uint32_t)strlen(buf);
    m.u.refprice.ts = ts;
    ipc_server_broadcast(a->ipc, IPC_TOPIC_REFPRICE, &m);
}

static void sink_mark(void *ctx, uint32_t inst, int64_t px, int64_t ts)
{
    app_on_mark(ctx, inst, px, ts);
}

void app_on_mark(struct app *a, uint32_t inst, int64_t px, int64_t ts)
{
    const struct instrument *in = instrument_get(a->reg, inst);
    if (in == NULL)
        return;
    a->marks_seen++;
    risk_mark(a->risk, inst, px, ts);
    if (in->venue == VENUE_PAPER && a->venues[VENUE_PAPER] != NULL)
        paper_venue_on_mark(a->venues[VENUE_PAPER], inst, px, ts);
    if (in->venue != VENUE_POLYMARKET)
        broadcast_refprice(a, in, px, ts);
    quoter_on_mark(&a->quoter, inst, px, ts);
    app_drain_risk_events(a);
}

static void sink_conn(void *ctx, enum venue_id venue, enum venue_conn state, const char *reason)
{
    struct app *a = ctx;
    int64_t now = clock_wall_ns();
    a->conn[venue] = state;
    a->conn_since_ns[venue] = clock_mono_ns();
    log_event(&a->log, state == CONN_UP ? LOG_INFO : LOG_WARN, "venue", "connection",
              "venue=%s state=%s reason=\"%s\"", venue_name(venue),
              state == CONN_UP ? "UP" : state == CONN_RECONCILING ? "RECONCILING" : "DOWN", reason);
    switch (state) {
    case CONN_DOWN:
        risk_set_state(a->risk, RISK_SCOPE_VENUE, venue, RISK_HALTED, RISK_REASON_CONNECTION,
                       reason, now);
        break;
    case CONN_RECONCILING:
        risk_set_state(a->risk, RISK_SCOPE_VENUE, venue, RISK_ACTIVE, RISK_REASON_CONNECTION,
                       reason, now);
        risk_set_state(a->risk, RISK_SCOPE_VENUE, venue, RISK_HALTED, RISK_REASON_RECONCILE,
                       reason, now);
        break;
    case CONN_UP:
        risk_set_state(a->risk, RISK_SCOPE_VENUE, venue, RISK_ACTIVE, RISK_REASON_CONNECTION,
                       reason, now);
        risk_set_state(a->risk, RISK_SCOPE_VENUE, venue, RISK_ACTIVE, RISK_REASON_RECONCILE,
                       reason, now);
        break;
    }
    app_drain_risk_events(a);
}

/* A venue's own view of a position (reconcile): compared, never applied. */
static void sink_position(void *ctx, enum venue_id venue, uint32_t inst, int64_t venue_qty)
{
    struct app *a = ctx;
    const struct instrument *in = instrument_get(a->reg, inst);
    int64_t qty = 0, cost = 0;
    if (in == NULL || risk_position(a->risk, inst, &qty, &cost, NULL, NULL, NULL, NULL) != 0)
        return;
    if (qty == venue_qty)
        return;
    char ours[MONEY_FMT_MAX], theirs[MONEY_FMT_MAX], text[160];
    money_format(qty, in->qty_scale, ours, sizeof ours);
    money_format(venue_qty, in->qty_scale, theirs, sizeof theirs);
    snprintf(text, sizeof text, "venue says %s, trader's book says %s", theirs, ours);
    log_event(&a->log, LOG_ERROR, "venue", "position_mismatch", "venue=%s sym=%s %s",
              venue_name(venue), in->symbol, text);
    push_event(a, "position_mismatch", venue, in->symbol, text, clock_wall_ns());
}

static uint64_t quoter_place(void *ctx, const struct venue_order *o)
{
    return app_place_local(ctx, o);
}

static void quoter_cancel(void *ctx, uint32_t inst, uint64_t res)
{
    (void)inst;
    app_cancel_local(ctx, res);
}

/* ---- timers and signals ---- */

static void tick_cb(uv_timer_t *t)
{
    struct app *a = app_of_handle((uv_handle_t *)t);
    check_kill_file(a);
    risk_tick(a->risk, clock_wall_ns());
    app_drain_risk_events(a);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    struct app *a = app_of_handle((uv_handle_t *)s);
    app_stop(a, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* ---- IPC callbacks ---- */

static uint64_t ipc_journal_seq(void *ctx)
{
    struct app *a = ctx;
    return a->jr != NULL ? journal_flushed_seq(a->jr) : 0;
}

static void ipc_log(void *ctx, const char *line)
{
    struct app *a = ctx;
    log_event(&a->log, LOG_INFO, "ipc", "server", "msg=\"%s\"", line);
}

static void ipc_on_connect(ipc_conn_t *conn, void *ctx)
{
    struct app *a = ctx;
    log_event(&a->log, LOG_INFO, "ipc", "client_connected", "conn=%" PRIu64 " client=%s pid=%d",
              ipc_conn_id(conn), ipc_conn_client(conn), (int)ipc_conn_pid(conn));
}

static void ipc_on_close(ipc_conn_t *conn, void *ctx)
{
    struct app *a = ctx;
    follow_conn_closed(&a->follows, conn);
    log_event(&a->log, LOG_INFO, "ipc", "client_closed", "conn=%" PRIu64 " client=%s",
              ipc_conn_id(conn), ipc_conn_client(conn));
}

/* ==== record and control plane (issue 4): journal followers, Redis kill ====
 * Kept apart from the venue start-up code; everything here is called from
 * app_init / flush_cb / teardown_cb by one line each. */

/* Followers get only what survives a crash of the machine, not just of the
 * process: the synced seq under group fsync, the flushed one with "none". */
static uint64_t follow_limit(const struct app *a)
{
    if (a->jr == NULL)
        return 0;
    return a->cfg.fsync == JOURNAL_FSYNC_GROUP ? journal_synced_seq(a->jr)
                                               : journal_flushed_seq(a->jr);
}

static void redis_on_kill(void *ctx, const char *reason)
{
    app_kill(ctx, "redis", reason);
}

/* Redis down is an alert, not a halt: the kill file and `ctl kill` still
 * work, and trading goes on under the configs it already has. */
static void redis_on_status(void *ctx, bool up, const char *text)
{
    struct app *a = ctx;
    push_event(a, up ? "redis_up" : "redis_down", -1, NULL, text, clock_wall_ns());
}

static int record_plane_start(struct app *a)
{
    if (follow_set_init(&a->follows, a->loop, a->journal_path) != 0) {
        fprintf(stderr, "trader: cannot set up journal followers\n");
        return -1;
    }
    if (!a->cfg.redis.enabled)
        return 0;
    struct redis_ctl_callbacks cb = {.ctx = a, .on_kill = redis_on_kill,
                                     .on_status = redis_on_status};
    if (redis_ctl_start(&a->redis, a->loop, &a->cfg.redis, cb, &a->log) != 0) {
        fprintf(stderr, "trader: cannot start the Redis control channel\n");
        return -1;
    }
    return 0;
}

static void record_plane_stop(struct app *a)
{
    follow_set_close(&a->follows);
    redis_ctl_stop(a->redis);
    a->redis = NULL;
}

/* ==== end of record and control plane ==== */

/* ---- start and stop ---- */

static int make_dir(const char *path)
{
    char buf[CONFIG_PATH_CAP];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* The connector's own config section: venues.<name>, or NULL. */
static const json_t *venue_section(const struct app *a, enum venue_id v)
{
    const json_t *venues = a->cfg.root != NULL ? json_object_get(a->cfg.root, "venues") : NULL;
    return venues != NULL ? json_object_get(venues, venue_name(v)) : NULL;
}

static int create_venue(struct app *a, enum venue_id v, struct venue_sink sink)
{
    char err[512] = "";
    int rc = -1;
    switch (v) {
    case VENUE_PAPER:
        rc = paper_venue_create(a->loop, a->reg, &a->cfg.paper, &a->log, sink, &a->venues[v]);
        break;
    case VENUE_BINANCE:
        rc = binance_venue_create(a->loop, a->reg, venue_section(a, v), &a->log, sink,
                                  &a->venues[v], err, sizeof err);
        break;
    case VENUE_IBKR:
        rc = ibkr_venue_create(a->loop, a->reg, venue_section(a, v), &a->log, sink,
                               &a->venues[v], err, sizeof err);
        break;
    default:
        snprintf(err, sizeof err, "trader runs no connector for this venue");
        break;
    }
    if (rc != 0) {
        fprintf(stderr, "trader: venue %s: %s\n", venue_name(v), err);
        log_event(&a->log, LOG_ERROR, "app", "venue_unavailable", "venue=%s reason=\"%s\"",
                  venue_name(v), err);
    }
    return rc;
}

/* Orders the journal says are still open on a connector's venue are handed
 * to it before it starts, so its reconcile can match them (venue.h). */
static int adopt_open_orders(struct app *a, enum venue_id v)
{
    struct venue *vn = a->venues[v];
    if (vn == NULL || vn->ops->adopt == NULL)
        return 0;
    for (uint32_t i = 0; i <= a->orders.mask; i++) {
        const struct app_order *o = &a->orders.slots[i];
        if (o->res == 0 || o->venue != (uint8_t)v)
            continue;
        struct venue_order vo;
        memset(&vo, 0, sizeof vo);
        vo.res = o->res;
        vo.inst = o->inst;
        vo.side = (enum order_side)o->side;
        vo.type = ORD_LIMIT;
        vo.tif = TIF_GTC;
        vo.px = o->px;
        vo.qty = o->qty;
        snprintf(vo.cid, sizeof vo.cid, "%s", o->cid);
        if (vn->ops->adopt(vn, &vo, o->filled) != 0) {
            log_event(&a->log, LOG_ERROR, "app", "adopt_failed", "venue=%s res=%" PRIu64,
                      venue_name(v), o->res);
            return -1;
        }
    }
    return 0;
}

static int start_venues(struct app *a)
{
    struct venue_sink sink = {.ctx = a, .on_report = sink_report, .on_mark = sink_mark,
                              .on_conn = sink_conn, .on_position = sink_position};
    for (int v = 0; v < VENUE_COUNT; v++) {
        a->conn[v] = CONN_DOWN;
        if (!a->opt.exchanges[v])
            continue;
        /* Until its connector has reconciled, a venue is HALTED. */
        risk_set_state(a->risk, RISK_SCOPE_VENUE, (uint32_t)v, RISK_HALTED, RISK_REASON_RECONCILE,
                       "not reconciled yet", clock_wall_ns());
        if (create_venue(a, (enum venue_id)v, sink) != 0 ||
            adopt_open_orders(a, (enum venue_id)v) != 0)
            return -1;
    }
    app_drain_risk_events(a);
    for (int v = 0; v < VENUE_COUNT; v++)
        if (a->venues[v] != NULL && a->venues[v]->ops->start(a->venues[v]) != 0)
            return -1;
    return 0;
}

int app_init(struct app *a, uv_loop_t *loop, const struct cli_options *opt)
{
    memset(a, 0, sizeof *a);
    a->loop = loop;
    a->opt = *opt;
    a->started_ns = clock_wall_ns();
    logger_init(&a->log, stderr, LOG_INFO);
    char err[1024];

    struct instrument_registry cfg_reg;
    if (instrument_registry_init(&cfg_reg, APP_MAX_INSTRUMENTS) != 0)
        return -1;
    if (config_load(opt->config_path, &a->cfg, &cfg_reg, err, sizeof err) != 0) {
        fprintf(stderr, "trader: config error: %s\n", err);
        instrument_registry_free(&cfg_reg);
        return -1;
    }
    if (opt->socket_path != NULL)
        snprintf(a->cfg.socket_path, sizeof a->cfg.socket_path, "%s", opt->socket_path);
    if (opt->state_dir != NULL)
        snprintf(a->cfg.state_dir, sizeof a->cfg.state_dir, "%s", opt->state_dir);
    if (opt->kill_file != NULL)
        snprintf(a->cfg.kill_file, sizeof a->cfg.kill_file, "%s", opt->kill_file);
    enum log_level lvl = LOG_INFO;
    log_level_parse(opt->log_level != NULL ? opt->log_level : a->cfg.log_level, &lvl);
    a->log.min = lvl;

    if (opt->mode == MODE_LIVE && !(a->cfg.live && opt->confirm_live)) {
        fprintf(stderr, "trader: --mode live refused: it needs \"live\": true in %s AND "
                        "--confirm-live on the command line (config live=%s, flag %s)\n",
                opt->config_path, a->cfg.live ? "true" : "false",
                opt->confirm_live ? "given" : "missing");
        instrument_registry_free(&cfg_reg);
        return -1;
    }

    a->risk = risk_engine_create(&a->cfg.risk, APP_MAX_INSTRUMENTS, APP_MAX_RESERVATIONS);
    if (a->risk == NULL) {
        fprintf(stderr, "trader: could not create the risk engine\n");
        instrument_registry_free(&cfg_reg);
        return -1;
    }
    for (uint32_t i = 0; i < cfg_reg.count; i++) {
        uint32_t id;
        if (risk_add_instrument(a->risk, &cfg_reg.items[i], &id, err, sizeof err) != 0 || id != i) {
            fprintf(stderr, "trader: instrument %s: %s\n", cfg_reg.items[i].symbol, err);
            instrument_registry_free(&cfg_reg);
            return -1;
        }
    }
    instrument_registry_free(&cfg_reg);
    a->reg = risk_instruments(a->risk);

    if (opt->check_config) {
        /* The connectors own their sections (venues.binance, venues.ibkr):
         * creating one validates it, credentials included, without
         * touching the network. */
        struct venue_sink sink = {.ctx = a};
        for (int v = 0; v < VENUE_COUNT; v++) {
            if (!opt->exchanges[v] || v == VENUE_PAPER)
                continue;
            if (create_venue(a, (enum venue_id)v, sink) != 0) {
                /* Connectors checked before this one were destroyed; their
                 * handles close on the loop, which main() does not run on
                 * an error exit. */
                uv_run(a->loop, UV_RUN_DEFAULT);
                return -1;
            }
            a->venues[v]->ops->destroy(a->venues[v]);
            a->venues[v] = NULL;
        }
        printf("config ok: %s\n  mode=%s live=%s state_dir=%s socket=%s kill_file=%s\n"
               "  instruments=%u strategy_lines=%d\n",
               opt->config_path, opt->mode == MODE_LIVE ? "live" : "paper",
               a->cfg.live ? "true" : "false", a->cfg.state_dir, a->cfg.socket_path,
               a->cfg.kill_file, a->reg->count, a->cfg.strategy.enabled ? a->cfg.strategy.n_lines : 0);
        return 1;
    }

    if (order_table_init(&a->orders, 1u << 17) != 0)
        return -1;
    if (make_dir(a->cfg.state_dir) != 0) {
        fprintf(stderr, "trader: cannot create state dir %s: %s\n", a->cfg.state_dir,
                strerror(errno));
        return -1;
    }
    snprintf(a->journal_path, sizeof a->journal_path, "%s/journal.tj", a->cfg.state_dir);
    journal_open_info info;
    if (journal_open(&a->jr, a->journal_path, NULL, &info, err, sizeof err) != JOURNAL_OK) {
        fprintf(stderr, "trader: journal %s: %s\n", a->journal_path, err);
        return -1;
    }
    if (info.truncated_bytes > 0)
        log_event(&a->log, LOG_WARN, "journal", "torn_tail_cut",
                  "path=%s bytes=%" PRIu64 " offset=%" PRIu64 " reason=\"%s\"", a->journal_path,
                  info.truncated_bytes, info.truncated_offset, info.truncated_reason);
    if (app_replay(a, err, sizeof err) != 0) {
        fprintf(stderr, "trader: journal replay failed: %s\n", err);
        return -1;
    }
    log_event(&a->log, LOG_INFO, "journal", "replayed",
              "path=%s records=%" PRIu64 " last_seq=%" PRIu64 " open_orders=%u", a->journal_path,
              info.records, info.last_seq, a->orders.count);

    struct quoter_actions act = {.ctx = a, .place = quoter_place, .cancel = quoter_cancel};
    quoter_init(&a->quoter, a->reg, &a->cfg.strategy, act);

    ipc_server_config_t icfg;
    ipc_server_config_defaults(&icfg, a->cfg.socket_path);
    icfg.defer_writes = true;
    icfg.hb_interval_ms = (uint32_t)a->cfg.heartbeat_ms;
    icfg.hb_timeout_ms = (uint32_t)a->cfg.client_timeout_ms;
    ipc_server_callbacks_t cb = {.on_connect = ipc_on_connect,
                                 .on_message = app_on_ipc_message,
                                 .on_close = ipc_on_close,
                                 .journal_seq = ipc_journal_seq,
                                 .log = ipc_log};
    if (ipc_server_start(&a->ipc, loop, &icfg, &cb, a, err, sizeof err) != 0) {
        fprintf(stderr, "trader: IPC socket %s: %s\n", a->cfg.socket_path, err);
        return -1;
    }
    if (record_plane_start(a) != 0)
        return -1;

    uv_timer_init(loop, &a->tick_timer);
    a->tick_timer.data = a;
    uv_timer_init(loop, &a->fsync_timer);
    a->fsync_timer.data = a;
    uv_check_init(loop, &a->flush_check);
    a->flush_check.data = a;
    uv_signal_init(loop, &a->sig_int);
    a->sig_int.data = a;
    uv_signal_init(loop, &a->sig_term);
    a->sig_term.data = a;

    if (start_venues(a) != 0)
        return -1;
    check_kill_file(a);
    uv_timer_start(&a->tick_timer, tick_cb, TICK_MS, TICK_MS);
    uv_check_start(&a->flush_check, flush_cb);
    uv_signal_start(&a->sig_int, signal_cb, SIGINT);
    uv_signal_start(&a->sig_term, signal_cb, SIGTERM);
    log_event(&a->log, LOG_INFO, "app", "started",
              "mode=%s socket=%s state_dir=%s kill_file=%s pid=%d",
              opt->mode == MODE_LIVE ? "live" : "paper", a->cfg.socket_path, a->cfg.state_dir,
              a->cfg.kill_file, (int)getpid());
    return 0;
}

static void close_cb(uv_handle_t *h) { (void)h; }

/* Second phase of a stop: the cancels had a moment to be answered (and
 * journaled); now close everything so uv_run returns. */
static void teardown_cb(uv_timer_t *t)
{
    struct app *a = app_of_handle((uv_handle_t *)t);
    uv_close((uv_handle_t *)t, close_cb);
    if (a->jr != NULL) {
        char err[256];
        if (journal_sync(a->jr, err, sizeof err) != JOURNAL_OK)
            log_event(&a->log, LOG_ERROR, "journal", "final_sync_failed", "reason=\"%s\"", err);
    }
    log_event(&a->log, LOG_INFO, "app", "stopped", "open_orders=%u", a->orders.count);
    for (int v = 0; v < VENUE_COUNT; v++) {
        if (a->venues[v] != NULL) {
            a->venues[v]->ops->stop(a->venues[v]);
            a->venues[v]->ops->destroy(a->venues[v]);
            a->venues[v] = NULL;
        }
    }
    record_plane_stop(a);
    if (a->ipc != NULL) {
        ipc_server_flush(a->ipc);
        ipc_server_stop(a->ipc);
        a->ipc = NULL;
    }
    uv_close((uv_handle_t *)&a->tick_timer, close_cb);
    uv_close((uv_handle_t *)&a->fsync_timer, close_cb);
    uv_close((uv_handle_t *)&a->flush_check, close_cb);
    uv_close((uv_handle_t *)&a->sig_int, close_cb);
    uv_close((uv_handle_t *)&a->sig_term, close_cb);
}

void app_stop(struct app *a, const char *why)
{
    if (a->stopping)
        return;
    log_event(&a->log, LOG_INFO, "app", "stopping", "reason=%s", why);
    a->stopping = true;
    quoter_set_paused(&a->quoter, true);
    cancel_all_local(a, -1);
    uv_timer_init(a->loop, &a->stop_timer);
    a->stop_timer.data = a;
    uv_timer_start(&a->stop_timer, teardown_cb, 200, 0);
}

int app_run(struct app *a)
{
    uv_run(a->loop, UV_RUN_DEFAULT);
    return a->journal_broken ? 1 : 0;
}

void app_free(struct app *a)
{
    if (a->jr != NULL) {
        char err[256];
        journal_sync(a->jr, err, sizeof err);
        journal_close(a->jr);
        a->jr = NULL;
    }
    if (a->risk != NULL)
        risk_engine_destroy(a->risk);
    a->risk = NULL;
    order_table_free(&a->orders);
    config_free(&a->cfg);
}
