/* ibkr_session.c - what TWS says and what the connector does about it:
 * the version reply, session start, market data into marks, the order life
 * cycle into reports, error codes, and reconcile after every (re)connect and
 * after 1101/1102.  Transport lives in ibkr.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/money.h"
#include "venues/ibkr/ibkr_decode.h"
#include "venues/ibkr/ibkr_encode.h"
#include "venues/ibkr/ibkr_internal.h"

#define ACCOUNT_TAGS "NetLiquidation,TotalCashValue,AvailableFunds,BuyingPower"

static void send_or_drop(struct ibkr *k, const struct ibkr_buf *b, bool urgent, const char *what)
{
    if (ibkr_send(k, b, urgent) != 0)
        log_event(k->log, LOG_ERROR, "ibkr", "send_failed", "what=%s", what);
}

/* ---- handshake and session start ---- */

static void on_version(struct ibkr *k, const char *payload, size_t len)
{
    const char *f[4];
    int n = ibkr_split(payload, len, f, 4);
    int64_t version = 0;
    if (n != 2 || ibkr_parse_int(f[0], &version) != 0) {
        ibkr_drop_connection(k, "TWS sent no server version in its handshake reply");
        return;
    }
    if (version != IBKR_SERVER_VERSION) {
        char why[160];
        snprintf(why, sizeof why, "TWS chose server version %" PRId64 "; this connector speaks "
                 "only %d (refused)", version, IBKR_SERVER_VERSION);
        ibkr_drop_connection(k, why);
        return;
    }
    k->server_version = (int)version;
    k->phase = PH_STARTING;
    log_event(k->log, LOG_INFO, "ibkr", "handshake", "server_version=%" PRId64
              " connection_time=\"%s\"", version, f[1]);
    struct ibkr_buf b;
    ibkr_buf_reset(&b);
    if (ibkr_enc_start_api(&b, k->cfg.client_id) != 0 || ibkr_send(k, &b, true) != 0)
        ibkr_drop_connection(k, "could not send START_API");
}

static void subscribe(struct ibkr *k)
{
    for (int i = 0; i < k->n_inst; i++) {
        struct ibkr_inst *is = &k->inst[i];
        struct ibkr_contract_spec c;
        ibkr_inst_contract(&is->cfg, &c);
        struct ibkr_buf b;
        ibkr_buf_reset(&b);
        is->cd_req_id = ibkr_new_req_id(k);
        is->mkt_req_id = ibkr_new_req_id(k);
        is->bid = is->ask = is->last = 0;
        if (ibkr_enc_req_contract_details(&b, is->cd_req_id, &c) != 0 ||
            ibkr_enc_req_mkt_data(&b, is->mkt_req_id, &c, false) != 0)
            log_event(k->log, LOG_ERROR, "ibkr", "encode_failed", "what=subscribe sym=%s",
                      is->in->symbol);
        else
            send_or_drop(k, &b, false, "subscribe");
    }
}

static bool account_listed(const char *list, const char *acct)
{
    size_t n = strlen(acct);
    for (const char *p = list; *p != '\0';) {
        const char *e = strchr(p, ',');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, acct, n) == 0)
            return true;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return false;
}

static void maybe_begin(struct ibkr *k)
{
    if (k->phase != PH_STARTING || !k->have_next_id || !k->have_accounts)
        return;
    if (k->cfg.account[0] != '\0' && !account_listed(k->accounts, k->cfg.account)) {
        char why[400];
        snprintf(why, sizeof why, "account %s is not managed by this TWS login (it has %s)",
                 k->cfg.account, k->accounts);
        ibkr_drop_connection(k, why);
        return;
    }
    log_event(k->log, LOG_INFO, "ibkr", "session_started", "next_order_id=%" PRId64
              " accounts=%s", k->next_order_id, k->accounts);
    subscribe(k);
    ibkr_start_reconcile(k, "session start");
}

/* ---- reconcile ---- */

/* The executions filter: the newest execution seen, less a minute, so one
 * at the same second is not lost (duplicates are dropped by execId). */
static void exec_since(const struct ibkr *k, char *out, size_t cap)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y, mo, d, h, mi, s;
    out[0] = '\0';
    if (sscanf(k->last_exec_time, "%4d%2d%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
        return;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm) - 60;
    struct tm back;
    gmtime_r(&t, &back);
    const char *zone = strlen(k->last_exec_time) > 17 ? k->last_exec_time + 17 : "";
    snprintf(out, cap, "%04d%02d%02d %02d:%02d:%02d%s", back.tm_year + 1900, back.tm_mon + 1,
             back.tm_mday, back.tm_hour, back.tm_min, back.tm_sec, zone);
}

void ibkr_start_reconcile(struct ibkr *k, const char *why)
{
    k->phase = PH_RECONCILING;
    k->reconciles++;
    k->stage_deadline_ns = clock_mono_ns() + (int64_t)k->cfg.stage_timeout_ms * NS_PER_MS;
    char reason[160];
    snprintf(reason, sizeof reason, "reconciling with TWS (%s)", why);
    ibkr_outbox_conn(k, CONN_RECONCILING, reason);
    for (int i = 0; i < IBKR_MAX_ORDERS; i++)
        k->orders[i].seen_open = false;
    char since[48];
    exec_since(k, since, sizeof since);
    k->rc_exec_req_id = ibkr_new_req_id(k);
    k->rc_acct_req_id = ibkr_new_req_id(k);
    k->rc_waiting = RC_OPEN | RC_EXEC | RC_POS | RC_ACCT;
    struct ibkr_buf b;
    ibkr_buf_reset(&b);
    if (ibkr_enc_req_open_orders(&b) != 0 ||
        ibkr_enc_req_executions(&b, k->rc_exec_req_id, k->cfg.client_id, k->cfg.account,
                                since) != 0 ||
        ibkr_enc_req_positions(&b) != 0 ||
        ibkr_enc_req_account_summary(&b, k->rc_acct_req_id, ACCOUNT_TAGS) != 0) {
        ibkr_drop_connection(k, "could not encode the reconcile requests");
        return;
    }
    log_event(k->log, LOG_INFO, "ibkr", "reconcile_start", "why=\"%s\" executions_since=\"%s\"",
              why, since);
    send_or_drop(k, &b, true, "reconcile");
}

static void finish_reconcile(struct ibkr *k)
{
    int cancelled = 0, kept = 0;
    for (int i = 0; i < IBKR_MAX_ORDERS; i++) {
        struct ibkr_order *o = &k->orders[i];
        if (!o->used || o->term != TERM_NONE)
            continue;
        if (o->order_id == 0 || !o->seen_open) {
            /* TWS no longer has it: its fills came in with the executions;
             * whatever did not fill is gone. */
            if (o->filled >= o->qty) {
                ibkr_order_end(k, o, TERM_DONE, "filled");
            } else {
                cancelled++;
                ibkr_order_end(k, o, TERM_CANCEL, "not open at IBKR after reconcile");
            }
            continue;
        }
        kept++;
        if (o->cancel_wanted && !o->cancel_sent)
            ibkr_send_cancel(k, o);
    }
    log_event(k->log, LOG_INFO, "ibkr", "reconciled", "open_kept=%d released=%d", kept,
              cancelled);
    if (k->phase != PH_RECONCILING)
        return; /* e.g. 1100 arrived meanwhile: stay down until 1102 */
    k->phase = PH_UP;
    k->stage_deadline_ns = 0;
    k->backoff_ms = k->cfg.reconnect_min_ms;
    ibkr_outbox_conn(k, CONN_UP, "reconciled with TWS");
}

static void rc_done(struct ibkr *k, unsigned bit)
{
    if ((k->rc_waiting & bit) == 0)
        return;
    k->rc_waiting &= ~bit;
    if (k->rc_waiting == 0)
        finish_reconcile(k);
}

/* ---- orders ---- */

void ibkr_send_cancel(struct ibkr *k, struct ibkr_order *o)
{
    if (o->order_id == 0 || o->cancel_sent || k->tcp == NULL ||
        (k->phase != PH_UP && k->phase != PH_RECONCILING && k->phase != PH_LINK_LOST))
        return; /* sent once the order is matched / the session is back */
    struct ibkr_buf b;
    ibkr_buf_reset(&b);
    if (ibkr_enc_cancel_order(&b, o->order_id) == 0 && ibkr_send(k, &b, true) == 0)
        o->cancel_sent = true;
}

static bool status_is(const char *s, const char *a) { return s != NULL && strcmp(s, a) == 0; }

static bool status_open(const char *s)
{
    return !(status_is(s, "Filled") || status_is(s, "Cancelled") ||
             status_is(s, "ApiCancelled"));
}

static void ack(struct ibkr *k, struct ibkr_order *o, int64_t perm_id)
{
    if (perm_id > 0)
        snprintf(o->voi, sizeof o->voi, "%" PRId64, perm_id);
    if (o->acked)
        return;
    o->acked = true;
    struct venue_report r;
    ibkr_report_init(o, &r, REPORT_ACK);
    ibkr_outbox_report(k, &r);
}

static void on_open_order(struct ibkr *k, const struct ibkr_open_order *m)
{
    struct ibkr_order *o = m->client_id == k->cfg.client_id ? ibkr_order_by_id(k, m->order_id)
                                                            : NULL;
    if (o == NULL) {
        o = ibkr_order_by_ref(k, m->order_ref);
        if (o != NULL && o->order_id == 0)
            o->order_id = m->order_id;
        else if (o != NULL && o->order_id != m->order_id)
            o = NULL;
    }
    bool open = status_open(m->status);
    if (o == NULL) {
        if (open && k->phase == PH_RECONCILING) {
            log_event(k->log, LOG_WARN, "ibkr", "unknown_order_cancel",
                      "order_id=%" PRId64 " ref=%s status=%s reason=\"open at IBKR, no "
                      "reservation knows it\"", m->order_id, m->order_ref, m->status);
            struct ibkr_buf b;
            ibkr_buf_reset(&b);
            if (ibkr_enc_cancel_order(&b, m->order_id) == 0)
                send_or_drop(k, &b, true, "cancel unknown");
        }
        return;
    }
    if (open) {
        o->seen_open = true;
        if (status_is(m->status, "PreSubmitted") || status_is(m->status, "Submitted"))
            ack(k, o, m->perm_id);
    }
    if (o->cancel_wanted && !o->cancel_sent)
        ibkr_send_cancel(k, o);
}

static void on_order_status(struct ibkr *k, const struct ibkr_order_status *m)
{
    struct ibkr_order *o = ibkr_order_by_id(k, m->order_id);
    if (o == NULL)
        return;
    const char *s = m->status;
    if (status_is(s, "PreSubmitted") || status_is(s, "Submitted")) {
        ack(k, o, m->perm_id);
    } else if (status_is(s, "Filled")) {
        ack(k, o, m->perm_id);
        if (!o->tws_done) {
            o->tws_done = true;
            o->tws_done_ns = clock_mono_ns();
        }
        ibkr_order_settle(k, o);
    } else if (status_is(s, "Cancelled") || status_is(s, "ApiCancelled")) {
        bool expire = o->type == ORD_MARKET || o->tif == TIF_IOC || o->tif == TIF_FAK;
        ibkr_order_end(k, o, expire ? TERM_EXPIRE : TERM_CANCEL,
                       expire ? "IOC remainder cancelled by IBKR" : "cancelled");
    } else if (status_is(s, "Inactive")) {
        log_event(k->log, LOG_WARN, "ibkr", "order_inactive", "res=%" PRIu64 " order_id=%"
                  PRId64 " why_held=\"%s\"", o->res, o->order_id, m->why_held);
    }
}

static int inst_for_contract(const struct ibkr *k, const struct ibkr_contract *c)
{
    for (int i = 0; i < k->n_inst; i++) {
        const struct ibkr_inst_cfg *ic = &k->inst[i].cfg;
        if (ic->con_id != 0 && c->con_id == ic->con_id)
            return i;
        if (strcmp(c->sec_type, ic->sec_type) != 0 || strcmp(c->currency, ic->currency) != 0)
            continue;
        if (strcmp(c->symbol, ic->symbol) == 0 &&
            (ic->local_symbol[0] == '\0' || strcmp(c->local_symbol, ic->local_symbol) == 0))
            return i;
    }
    return -1;
}

static void report_waiting(struct ibkr *k, struct ibkr_wait_fill *w)
{
    struct ibkr_order *o = ibkr_order_by_res(k, w->r.res);
    ibkr_outbox_report(k, &w->r);
    w->used = false;
    if (o != NULL) {
        o->waiting_fills--;
        ibkr_order_settle(k, o);
    }
}

static void on_execution(struct ibkr *k, const struct ibkr_execution *m)
{
    if (strlen(m->exec_id) >= IBKR_EXEC_ID_CAP || m->exec_id[0] == '\0') {
        log_event(k->log, LOG_ERROR, "ibkr", "bad_exec_id", "order_id=%" PRId64, m->order_id);
        return;
    }
    if (ibkr_exec_seen(k, m->exec_id))
        return;
    ibkr_exec_remember(k, m->exec_id);
    k->last_exec_ns = clock_mono_ns();
    if (strncmp(m->time, k->last_exec_time, 17) > 0)
        snprintf(k->last_exec_time, sizeof k->last_exec_time, "%s", m->time);
    struct ibkr_order *o = m->client_id == k->cfg.client_id ? ibkr_order_by_id(k, m->order_id)
                                                            : NULL;
    if (o == NULL) {
        o = ibkr_order_by_ref(k, m->order_ref);
        if (o != NULL && o->order_id == 0)
            o->order_id = m->order_id;
        else if (o != NULL && o->order_id != m->order_id)
            o = NULL;
    }
    if (o == NULL) {
        log_event(k->log, LOG_INFO, "ibkr", "execution_unmatched", "exec_id=%s order_id=%" PRId64
                  " ref=%s reason=\"no open reservation (already booked or not ours)\"",
                  m->exec_id, m->order_id, m->order_ref);
        return;
    }
    const struct instrument *in = k->inst[o->ix].in;
    int64_t qty = 0, px = 0;
    int qs = ibkr_parse_dec(m->shares, in->qty_scale, MONEY_ROUND_FLOOR, &qty);
    int ps = ibkr_parse_dec(m->price, in->price_scale, MONEY_ROUND_HALF_EVEN, &px);
    if (qs != IBKR_DEC_OK || (ps != IBKR_DEC_OK && ps != IBKR_DEC_ROUNDED) || qty <= 0 || px <= 0) {
        log_event(k->log, LOG_ERROR, "ibkr", "execution_unreadable", "exec_id=%s shares=%s "
                  "price=%s reason=\"not representable at the instrument's scales\"",
                  m->exec_id, m->shares, m->price);
        return;
    }
    bool buy = strcmp(m->side, "BOT") == 0;
    if (buy != (o->side == SIDE_BUY))
        log_event(k->log, LOG_ERROR, "ibkr", "execution_side_mismatch", "exec_id=%s side=%s "
                  "res=%" PRIu64, m->exec_id, m->side, o->res);
    struct venue_report r;
    ibkr_report_init(o, &r, REPORT_FILL);
    snprintf(r.tid, sizeof r.tid, "%s", m->exec_id);
    /* Should the app have closed the reservation meanwhile, the fill is
     * still booked into the position (venue.h side_known). */
    r.inst = k->inst[o->ix].cfg.inst;   /* also what on_commission prices the fee by */
    r.side_known = true;
    r.side = o->side;
    r.px = px;
    r.qty = qty;
    r.liq = m->last_liquidity == 1 ? LIQ_MAKER : m->last_liquidity == 2 ? LIQ_TAKER
                                                                        : LIQ_UNKNOWN;
    if (m->perm_id > 0)
        snprintf(r.voi, sizeof r.voi, "%" PRId64, m->perm_id);
    o->filled += qty;
    struct ibkr_wait_fill *w = NULL;
    for (int i = 0; i < IBKR_MAX_WAITING_FILLS && w == NULL; i++)
        if (!k->waits[i].used)
            w = &k->waits[i];
    if (w == NULL || k->cfg.commission_wait_ms == 0) {
        if (w == NULL)
            log_event(k->log, LOG_ERROR, "ibkr", "commission_not_awaited", "exec_id=%s "
                      "reason=\"too many fills waiting; fee booked as 0\"", m->exec_id);
        ibkr_outbox_report(k, &r);
        ibkr_order_settle(k, o);
        return;
    }
    /* The fee comes in the commission report that follows; the fill waits
     * for it so risk books fill and fee together. */
    w->used = true;
    snprintf(w->exec_id, sizeof w->exec_id, "%s", m->exec_id);
    w->deadline_ns = clock_mono_ns() + (int64_t)k->cfg.commission_wait_ms * NS_PER_MS;
    w->r = r;
    o->waiting_fills++;
}

static void on_commission(struct ibkr *k, const struct ibkr_commission *m)
{
    struct ibkr_wait_fill *w = NULL;
    for (int i = 0; i < IBKR_MAX_WAITING_FILLS && w == NULL; i++)
        if (k->waits[i].used && strcmp(k->waits[i].exec_id, m->exec_id) == 0)
            w = &k->waits[i];
    if (w == NULL)
        return; /* an execution we did not book (already booked, or not ours) */
    const struct instrument *in = instrument_get(k->reg, w->r.inst);
    struct ibkr_order *o = ibkr_order_by_res(k, w->r.res);
    if (in == NULL && o != NULL)
        in = k->inst[o->ix].in;
    int64_t fee = 0;
    int st = ibkr_parse_dec(m->commission, INSTRUMENT_QUOTE_SCALE, MONEY_ROUND_CEIL, &fee);
    if (st != IBKR_DEC_OK && st != IBKR_DEC_ROUNDED) {
        log_event(k->log, LOG_ERROR, "ibkr", "commission_unreadable", "exec_id=%s value=%s",
                  m->exec_id, m->commission);
        fee = 0;
    } else if (in != NULL && strcmp(m->currency, in->quote_ccy) != 0) {
        /* commission in USD for a non-USD quote: back to the quote currency
         * at the instrument's USD rate, rounded up (never understate a fee) */
        int64_t conv = 0;
        if (strcmp(m->currency, "USD") == 0 && in->usd_rate > 0 &&
            money_muldiv(fee, USD_ONE, in->usd_rate, MONEY_ROUND_CEIL, &conv) == MONEY_OK) {
            fee = conv;
        } else {
            log_event(k->log, LOG_ERROR, "ibkr", "commission_currency", "exec_id=%s ccy=%s "
                      "quote=%s reason=\"no rate; booked unconverted\"", m->exec_id,
                      m->currency, in->quote_ccy);
        }
    }
    w->r.fee = fee;
    report_waiting(k, w);
}

/* ---- errors ---- */

enum err_action {
    E_INFO, E_WARN, E_REJECT, E_CANCELLED, E_PACING, E_LINK_LOST, E_RESTORED_LOST,
    E_RESTORED_KEPT, E_FATAL
};

static const struct {
    int code;
    enum err_action act;
    const char *meaning;
} ERRORS[] = {
    {100, E_PACING, "pacing violation: message rate exceeded"},
    {103, E_REJECT, "duplicate order id"},
    {104, E_WARN, "cannot modify a filled order"},
    {110, E_REJECT, "price does not conform to the minimum tick"},
    {135, E_WARN, "order id not found"},
    {161, E_WARN, "cancel attempted when the order is not cancellable"},
    {200, E_REJECT, "no security definition"},
    {201, E_REJECT, "order rejected"},
    {202, E_CANCELLED, "order cancelled"},
    {203, E_REJECT, "security not available or allowed for this account"},
    {300, E_WARN, "unknown market data request id"},
    {320, E_WARN, "TWS could not read a request"},
    {326, E_FATAL, "client id already in use"},
    {502, E_FATAL, "could not connect to TWS"},
    {504, E_FATAL, "not connected"},
    {1100, E_LINK_LOST, "connectivity between IB and TWS lost"},
    {1101, E_RESTORED_LOST, "connectivity restored, data lost"},
    {1102, E_RESTORED_KEPT, "connectivity restored, data maintained"},
    {2103, E_WARN, "market data farm disconnected"},
    {2104, E_INFO, "market data farm OK"},
    {2105, E_WARN, "historical data farm disconnected"},
    {2106, E_INFO, "historical data farm OK"},
    {2107, E_INFO, "historical data farm inactive"},
    {2108, E_INFO, "market data farm inactive"},
    {2157, E_WARN, "sec-def data farm disconnected"},
    {2158, E_INFO, "sec-def data farm OK"},
    {10147, E_WARN, "order to cancel not found"},
};

static void on_error(struct ibkr *k, const struct ibkr_error *m)
{
    enum err_action act = m->code >= 2100 && m->code < 2200 ? E_INFO : E_WARN;
    const char *meaning = "other";
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++) {
        if (ERRORS[i].code == m->code) {
            act = ERRORS[i].act;
            meaning = ERRORS[i].meaning;
        }
    }
    char text[200];
    snprintf(text, sizeof text, "IBKR %" PRId64 ": %s", m->code, m->text);
    log_event(k->log, act == E_INFO ? LOG_INFO : LOG_WARN, "ibkr", "tws_message",
              "code=%" PRId64 " req_id=%" PRId64 " meaning=\"%s\" text=\"%s\"", m->code,
              m->req_id, meaning, m->text);
    struct ibkr_order *o = ibkr_order_by_id(k, m->req_id);
    switch (act) {
    case E_REJECT:
        if (o != NULL) {
            ibkr_order_end(k, o, TERM_REJECT, text);
            if (m->code == 103) {
                /* our id counter is behind TWS's: ask for the next valid id */
                struct ibkr_buf b;
                ibkr_buf_reset(&b);
                if (ibkr_enc_req_ids(&b) == 0)
                    send_or_drop(k, &b, true, "reqIds");
            }
            return;
        }
        for (int i = 0; i < k->n_inst; i++) {
            struct ibkr_inst *is = &k->inst[i];
            if (m->req_id == is->cd_req_id || m->req_id == is->mkt_req_id) {
                is->refused = true;
                log_event(k->log, LOG_ERROR, "ibkr", "contract_unknown", "sym=%s text=\"%s\"",
                          is->in->symbol, m->text);
            }
        }
        return;
    case E_CANCELLED:
        if (o != NULL)
            ibkr_order_end(k, o, TERM_CANCEL, text);
        return;
    case E_PACING:
        /* TWS dropped one of our messages: which one is unknown, so find
         * out what it has (a lost placeOrder shows up as not open). */
        log_event(k->log, LOG_ERROR, "ibkr", "pacing_violation", "text=\"%s\"", m->text);
        if (k->phase == PH_UP)
            ibkr_start_reconcile(k, "after pacing error 100");
        return;
    case E_LINK_LOST:
        if (k->phase == PH_UP || k->phase == PH_RECONCILING || k->phase == PH_STARTING) {
            k->phase = PH_LINK_LOST;
            k->stage_deadline_ns = 0;
            ibkr_outbox_conn(k, CONN_DOWN, text);
        }
        return;
    case E_RESTORED_LOST:
        if (k->phase == PH_LINK_LOST || k->phase == PH_UP) {
            subscribe(k); /* market data subscriptions were lost */
            ibkr_start_reconcile(k, "after 1101");
        }
        return;
    case E_RESTORED_KEPT:
        if (k->phase == PH_LINK_LOST || k->phase == PH_UP)
            ibkr_start_reconcile(k, "after 1102");
        return;
    case E_FATAL:
        ibkr_drop_connection(k, text);
        return;
    case E_INFO:
    case E_WARN:
        return;
    }
}

/* ---- market data and account ---- */

static struct ibkr_inst *inst_by_req(struct ibkr *k, int64_t req_id)
{
    for (int i = 0; i < k->n_inst; i++)
        if (k->inst[i].mkt_req_id == req_id)
            return &k->inst[i];
    return NULL;
}

static void on_tick_price(struct ibkr *k, const struct ibkr_tick_price *m)
{
    struct ibkr_inst *is = inst_by_req(k, m->req_id);
    if (is == NULL)
        return;
    int64_t px = 0;
    int st = ibkr_parse_dec(m->price, is->in->price_scale, MONEY_ROUND_HALF_EVEN, &px);
    if ((st != IBKR_DEC_OK && st != IBKR_DEC_ROUNDED) || px <= 0)
        return; /* -1 = no quote */
    switch (m->tick_type) {
    case 1: case 66: is->bid = px; break;
    case 2: case 67: is->ask = px; break;
    case 4: case 68: is->last = px; break;
    default: return;
    }
    int64_t mark = 0;
    if (is->bid > 0 && is->ask >= is->bid)
        mark = is->bid + (is->ask - is->bid) / 2;
    else if (is->last > 0)
        mark = is->last;
    if (mark > 0 && mark != is->mark) {
        is->mark = mark;
        k->base.sink.on_mark(k->base.sink.ctx, is->cfg.inst, mark, clock_wall_ns());
    }
}

static void check_grid(struct ibkr *k, struct ibkr_inst *is, const char *min_tick,
                       const char *size_increment)
{
    int64_t tick = 0, incr = 0;
    if (ibkr_parse_dec(min_tick, is->in->price_scale, MONEY_ROUND_CEIL, &tick) == IBKR_DEC_OK &&
        tick > 0) {
        is->tws_min_tick = tick;
        if (is->in->tick % tick != 0)
            log_event(k->log, LOG_WARN, "ibkr", "tick_mismatch", "sym=%s config_tick=%" PRId64
                      " tws_min_tick=%s reason=\"prices off the TWS grid get error 110\"",
                      is->in->symbol, is->in->tick, min_tick);
    }
    if (size_increment != NULL &&
        ibkr_parse_dec(size_increment, is->in->qty_scale, MONEY_ROUND_CEIL, &incr) ==
            IBKR_DEC_OK && incr > 0 && is->in->lot % incr != 0)
        log_event(k->log, LOG_WARN, "ibkr", "lot_mismatch", "sym=%s config_lot=%" PRId64
                  " tws_size_increment=%s", is->in->symbol, is->in->lot, size_increment);
}

static void on_contract_data(struct ibkr *k, const struct ibkr_contract_data *m)
{
    for (int i = 0; i < k->n_inst; i++) {
        struct ibkr_inst *is = &k->inst[i];
        if (is->cd_req_id != m->req_id)
            continue;
        if (is->cfg.con_id == 0)
            is->cfg.con_id = m->c.con_id;
        log_event(k->log, LOG_INFO, "ibkr", "contract", "sym=%s con_id=%" PRId64
                  " min_tick=%s size_increment=%s", is->in->symbol, m->c.con_id, m->min_tick,
                  m->size_increment);
        check_grid(k, is, m->min_tick, m->size_increment);
    }
}

static void on_position(struct ibkr *k, const struct ibkr_position *m)
{
    int ix = inst_for_contract(k, &m->c);
    log_event(k->log, LOG_INFO, "ibkr", "position", "account=%s sym=%s%s%s qty=%s avg_cost=%s",
              m->account, m->c.symbol, m->c.local_symbol[0] != '\0' ? "/" : "",
              m->c.local_symbol, m->position, m->avg_cost);
    if (ix < 0 || k->base.sink.on_position == NULL)
        return;
    struct ibkr_inst *is = &k->inst[ix];
    int64_t qty;
    if (money_parse_cstr(m->position, is->in->qty_scale, &qty) != MONEY_OK) {
        log_event(k->log, LOG_WARN, "ibkr", "position_unparsed", "sym=%s qty=%s", is->in->symbol,
                  m->position);
        return;
    }
    is->venue_pos = qty;
    is->venue_pos_ns = clock_mono_ns();
    is->venue_pos_pending = true;
}

static void on_account_summary(struct ibkr *k, const struct ibkr_account_summary *m)
{
    log_event(k->log, LOG_INFO, "ibkr", "account", "account=%s tag=%s value=%s ccy=%s",
              m->account, m->tag, m->value, m->currency);
}

/* ---- dispatch ---- */

void ibkr_on_payload(struct ibkr *k, const char *payload, size_t len)
{
    if (k->phase == PH_HANDSHAKE) {
        on_version(k, payload, len);
        return;
    }
    struct ibkr_msg m;
    char err[200];
    int rc = ibkr_decode(payload, len, &m, NULL, NULL, err, sizeof err);
    if (rc == IBKR_UNKNOWN_MSG)
        return;
    if (rc != IBKR_DECODED) {
        k->decode_errors++;
        log_event(k->log, LOG_ERROR, "ibkr", "decode_failed", "reason=\"%s\"", err);
        return;
    }
    struct ibkr_buf b;
    switch (m.id) {
    case IBKR_IN_NEXT_VALID_ID:
        if (m.u.next_valid_id.order_id > k->next_order_id)
            k->next_order_id = m.u.next_valid_id.order_id;
        k->have_next_id = true;
        maybe_begin(k);
        break;
    case IBKR_IN_MANAGED_ACCTS:
        snprintf(k->accounts, sizeof k->accounts, "%s", m.u.managed_accts.accounts);
        k->have_accounts = true;
        maybe_begin(k);
        break;
    case IBKR_IN_ERR_MSG:
        on_error(k, &m.u.error);
        break;
    case IBKR_IN_TICK_PRICE:
        on_tick_price(k, &m.u.tick_price);
        break;
    case IBKR_IN_OPEN_ORDER:
        on_open_order(k, &m.u.open_order);
        break;
    case IBKR_IN_ORDER_STATUS:
        on_order_status(k, &m.u.order_status);
        break;
    case IBKR_IN_EXECUTION_DATA:
        on_execution(k, &m.u.execution);
        break;
    case IBKR_IN_COMMISSION_REPORT:
        on_commission(k, &m.u.commission);
        break;
    case IBKR_IN_OPEN_ORDER_END:
        rc_done(k, RC_OPEN);
        break;
    case IBKR_IN_EXECUTION_DATA_END:
        if (m.u.end.req_id == k->rc_exec_req_id)
            rc_done(k, RC_EXEC);
        break;
    case IBKR_IN_POSITION_DATA:
        on_position(k, &m.u.position);
        break;
    case IBKR_IN_POSITION_END:
        ibkr_buf_reset(&b);
        if (ibkr_enc_cancel_positions(&b) == 0)
            send_or_drop(k, &b, false, "cancelPositions");
        rc_done(k, RC_POS);
        break;
    case IBKR_IN_ACCOUNT_SUMMARY:
        on_account_summary(k, &m.u.account_summary);
        break;
    case IBKR_IN_ACCOUNT_SUMMARY_END:
        ibkr_buf_reset(&b);
        if (ibkr_enc_cancel_account_summary(&b, m.u.end.req_id) == 0)
            send_or_drop(k, &b, false, "cancelAccountSummary");
        if (m.u.end.req_id == k->rc_acct_req_id)
            rc_done(k, RC_ACCT);
        break;
    case IBKR_IN_CONTRACT_DATA:
        on_contract_data(k, &m.u.contract_data);
        break;
    case IBKR_IN_TICK_REQ_PARAMS:
        for (int i = 0; i < k->n_inst; i++)
            if (k->inst[i].mkt_req_id == m.u.tick_req_params.req_id)
                check_grid(k, &k->inst[i], m.u.tick_req_params.min_tick, NULL);
        break;
    case IBKR_IN_CURRENT_TIME:
        log_event(k->log, LOG_DEBUG, "ibkr", "current_time", "epoch=%" PRId64,
                  m.u.current_time.time);
        break;
    default:
        break; /* sizes, snapshot ends, data type: nothing to do */
    }
}

/* TWS sends a position as soon as it changes, often before the execution
 * and always before the commission report that lets a fill be booked; so a
 * position is compared with the book only once things are quiet: up, no
 * fill waiting for its commission, nothing in the outbox, and a second
 * since the position and since the last execution. */
#define POSITION_SETTLE_NS (1000 * NS_PER_MS)

static void compare_positions(struct ibkr *k, int64_t now)
{
    if (k->phase != PH_UP || k->ob_len != 0 || k->base.sink.on_position == NULL ||
        now - k->last_exec_ns < POSITION_SETTLE_NS)
        return;
    for (int i = 0; i < IBKR_MAX_WAITING_FILLS; i++)
        if (k->waits[i].used)
            return;
    for (int i = 0; i < k->n_inst; i++) {
        struct ibkr_inst *is = &k->inst[i];
        if (!is->venue_pos_pending || now - is->venue_pos_ns < POSITION_SETTLE_NS)
            continue;
        is->venue_pos_pending = false;
        k->base.sink.on_position(k->base.sink.ctx, VENUE_IBKR, is->cfg.inst, is->venue_pos);
    }
}

void ibkr_housekeeping(struct ibkr *k, int64_t now)
{
    compare_positions(k, now);
    for (int i = 0; i < IBKR_MAX_WAITING_FILLS; i++) {
        struct ibkr_wait_fill *w = &k->waits[i];
        if (!w->used || now < w->deadline_ns)
            continue;
        log_event(k->log, LOG_ERROR, "ibkr", "commission_missing", "exec_id=%s "
                  "reason=\"no commission report in %d ms; fill booked with fee 0\"",
                  w->exec_id, k->cfg.commission_wait_ms);
        report_waiting(k, w);
    }
    /* TWS said Filled but the executions have not added up: ask again */
    int64_t grace = (int64_t)(2 * k->cfg.commission_wait_ms + 1000) * NS_PER_MS;
    for (int i = 0; i < IBKR_MAX_ORDERS && k->phase == PH_UP; i++) {
        struct ibkr_order *o = &k->orders[i];
        if (o->used && o->tws_done && o->waiting_fills == 0 && o->filled < o->qty &&
            now - o->tws_done_ns > grace) {
            o->tws_done_ns = now;
            ibkr_start_reconcile(k, "IBKR says Filled, executions missing");
        }
    }
}
