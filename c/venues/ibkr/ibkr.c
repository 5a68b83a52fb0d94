/* ibkr.c - the IBKR connector's venue ops and its transport: one TCP
 * connection on the app's loop, the send queue under pacing, the timers and
 * reconnect with back-off.  What the messages mean is ibkr_session.c. */
#include "venues/ibkr/ibkr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "venues/ibkr/ibkr_encode.h"
#include "venues/ibkr/ibkr_internal.h"

#define HOUSE_MS 100
#define RX_CHUNK 65536

static void release(struct ibkr *k)
{
    if (--k->open_handles == 0) {
        free(k->rx);
        free(k->outbox);
        free(k);
    }
}

static void timer_closed(uv_handle_t *h) { release(h->data); }

static void tcp_closed(uv_handle_t *h)
{
    struct ibkr_tcp *t = h->data;
    struct ibkr *k = t->owner;
    free(t);
    release(k);
}

static void free_queue(struct ibkr_out **head, struct ibkr_out **tail)
{
    while (*head != NULL) {
        struct ibkr_out *o = *head;
        *head = o->next;
        free(o);
    }
    *tail = NULL;
}

int64_t ibkr_new_req_id(struct ibkr *k) { return k->next_req_id++; }

static void outbox_cb(uv_timer_t *t) { ibkr_outbox_drain(t->data); }

void ibkr_outbox_kick(struct ibkr *k)
{
    if (!k->destroyed)
        uv_timer_start(&k->outbox_timer, outbox_cb, 0, 0);
}

/* ---- sending ---- */

static void write_done(uv_write_t *req, int status)
{
    struct ibkr_out *o = req->data;
    struct ibkr_tcp *t = (struct ibkr_tcp *)req->handle->data;
    struct ibkr *k = t->owner;
    free(o);
    if (status < 0 && status != UV_ECANCELED && k->tcp == t && !t->closing) {
        char why[96];
        snprintf(why, sizeof why, "write to TWS failed: %s", uv_strerror(status));
        ibkr_drop_connection(k, why);
    }
}

static void pace_cb(uv_timer_t *t);

/* Writes queued messages while pacing allows: cancels first. */
static void flush(struct ibkr *k)
{
    while (k->tcp != NULL && !k->tcp->closing &&
           (k->urgent_head != NULL || k->normal_head != NULL)) {
        int64_t now = clock_mono_ns();
        int64_t wait = ibkr_pace_take(&k->pace, now);
        if (wait > 0) {
            if (!uv_is_active((uv_handle_t *)&k->pace_timer))
                uv_timer_start(&k->pace_timer, pace_cb, (uint64_t)(wait / NS_PER_MS) + 1, 0);
            return;
        }
        int in_window = ibkr_pace_in_window(&k->pace, now);
        if (in_window > k->max_in_window)
            k->max_in_window = in_window;
        struct ibkr_out **head = k->urgent_head != NULL ? &k->urgent_head : &k->normal_head;
        struct ibkr_out **tail = k->urgent_head != NULL ? &k->urgent_tail : &k->normal_tail;
        struct ibkr_out *o = *head;
        *head = o->next;
        if (*head == NULL)
            *tail = NULL;
        uv_buf_t buf = uv_buf_init(o->data, (unsigned)o->len);
        o->req.data = o;
        k->msgs_out++;
        int rc = uv_write(&o->req, (uv_stream_t *)&k->tcp->h, &buf, 1, write_done);
        if (rc != 0) {
            free(o);
            char why[96];
            snprintf(why, sizeof why, "write to TWS failed: %s", uv_strerror(rc));
            ibkr_drop_connection(k, why);
            return;
        }
    }
}

static void pace_cb(uv_timer_t *t) { flush(t->data); }

static int enqueue(struct ibkr *k, const struct ibkr_buf *b, bool urgent, uint64_t res)
{
    if (k->tcp == NULL || k->tcp->closing || b->bad || b->len == 0)
        return -1;
    struct ibkr_out *o = malloc(sizeof *o + b->len);
    if (o == NULL)
        return -1;
    o->next = NULL;
    o->res = res;
    o->len = b->len;
    memcpy(o->data, b->data, b->len);
    struct ibkr_out **head = urgent ? &k->urgent_head : &k->normal_head;
    struct ibkr_out **tail = urgent ? &k->urgent_tail : &k->normal_tail;
    if (*tail != NULL)
        (*tail)->next = o;
    else
        *head = o;
    *tail = o;
    flush(k);
    return 0;
}

int ibkr_send(struct ibkr *k, const struct ibkr_buf *b, bool urgent)
{
    return enqueue(k, b, urgent, 0);
}

int ibkr_send_order(struct ibkr *k, const struct ibkr_buf *b, uint64_t res)
{
    return enqueue(k, b, false, res);
}

/* Cancels jump the queue (they reduce risk); a cancel for an order whose
 * placeOrder is still waiting for pacing would reach TWS first and find
 * nothing (10147).  Such an order is simply never sent. */
bool ibkr_unsend(struct ibkr *k, uint64_t res)
{
    struct ibkr_out *prev = NULL;
    for (struct ibkr_out *o = k->normal_head; o != NULL; prev = o, o = o->next) {
        if (o->res != res)
            continue;
        if (prev != NULL)
            prev->next = o->next;
        else
            k->normal_head = o->next;
        if (k->normal_tail == o)
            k->normal_tail = prev;
        free(o);
        return true;
    }
    return false;
}

/* ---- connection ---- */

static void retry_cb(uv_timer_t *t);

static void schedule_retry(struct ibkr *k)
{
    k->phase = PH_WAIT_RETRY;
    k->stage_deadline_ns = 0;
    int delay = k->backoff_ms;
    int next = k->backoff_ms * 2;
    k->backoff_ms = next > k->cfg.reconnect_max_ms ? k->cfg.reconnect_max_ms : next;
    log_event(k->log, LOG_INFO, "ibkr", "reconnect_scheduled", "in_ms=%d", delay);
    uv_timer_start(&k->retry_timer, retry_cb, (uint64_t)delay, 0);
}

void ibkr_drop_connection(struct ibkr *k, const char *reason)
{
    struct ibkr_tcp *t = k->tcp;
    if (t != NULL) {
        t->closing = true;
        uv_read_stop((uv_stream_t *)&t->h);
        uv_close((uv_handle_t *)&t->h, tcp_closed);
        k->tcp = NULL;
    }
    free_queue(&k->urgent_head, &k->urgent_tail);
    free_queue(&k->normal_head, &k->normal_tail);
    uv_timer_stop(&k->pace_timer);
    log_event(k->log, LOG_WARN, "ibkr", "disconnected", "reason=\"%s\"", reason);
    ibkr_outbox_conn(k, CONN_DOWN, reason);
    if (k->phase == PH_STOPPED || k->destroyed)
        return;
    schedule_retry(k);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct ibkr *k = ((struct ibkr_tcp *)h->data)->owner;
    (void)suggested;
    if (k->rx_cap - k->rx_len < RX_CHUNK) {
        size_t cap = k->rx_cap == 0 ? 2 * RX_CHUNK : k->rx_cap * 2;
        char *p = realloc(k->rx, cap);
        if (p == NULL) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        k->rx = p;
        k->rx_cap = cap;
    }
    *buf = uv_buf_init(k->rx + k->rx_len, (unsigned)(k->rx_cap - k->rx_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct ibkr_tcp *t = s->data;
    struct ibkr *k = t->owner;
    (void)buf;
    if (k->tcp != t || t->closing)
        return;
    if (n < 0) {
        char why[192];
        if (k->phase == PH_HANDSHAKE)
            snprintf(why, sizeof why, "TWS closed the connection during the handshake: it "
                     "refused the version range v%d..%d (%s)", IBKR_MIN_VERSION,
                     IBKR_SERVER_VERSION, uv_strerror((int)n));
        else
            snprintf(why, sizeof why, "TWS closed the connection (%s)", uv_strerror((int)n));
        ibkr_drop_connection(k, why);
        return;
    }
    k->rx_len += (size_t)n;
    size_t off = 0;
    while (k->tcp == t && !t->closing) {
        const char *p;
        size_t plen;
        long used = ibkr_frame_next(k->rx + off, k->rx_len - off, &p, &plen);
        if (used == 0)
            break;
        if (used < 0) {
            ibkr_drop_connection(k, "IBKR 507: bad message length from TWS");
            return;
        }
        off += (size_t)used;
        k->msgs_in++;
        ibkr_on_payload(k, p, plen);
    }
    if (k->tcp == t && off > 0) {
        memmove(k->rx, k->rx + off, k->rx_len - off);
        k->rx_len -= off;
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct ibkr_tcp *t = req->data;
    struct ibkr *k = t->owner;
    if (k->tcp != t || t->closing)
        return;
    if (status < 0) {
        char why[192];
        snprintf(why, sizeof why, "IBKR 502: couldn't connect to TWS at %s:%d: %s",
                 k->cfg.host, k->cfg.port, uv_strerror(status));
        ibkr_drop_connection(k, why);
        return;
    }
    k->connects++;
    k->rx_len = 0;
    k->phase = PH_HANDSHAKE;
    k->server_version = 0;
    k->have_next_id = k->have_accounts = false;
    k->stage_deadline_ns = clock_mono_ns() + (int64_t)k->cfg.stage_timeout_ms * NS_PER_MS;
    uv_tcp_nodelay(&t->h, 1);
    uv_read_start((uv_stream_t *)&t->h, on_alloc, on_read);
    struct ibkr_buf b;
    ibkr_buf_reset(&b);
    if (ibkr_enc_handshake(&b, IBKR_MIN_VERSION, IBKR_SERVER_VERSION) != 0 ||
        ibkr_send(k, &b, true) != 0)
        ibkr_drop_connection(k, "could not send the handshake");
}

static int resolve(const struct ibkr_config *c, struct sockaddr_storage *ss)
{
    const char *host = strcmp(c->host, "localhost") == 0 ? "127.0.0.1" : c->host;
    if (uv_ip4_addr(host, c->port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(host, c->port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return -1;
}

static void do_connect(struct ibkr *k)
{
    struct sockaddr_storage ss;
    if (resolve(&k->cfg, &ss) != 0) {
        ibkr_drop_connection(k, "venues.ibkr.host is not an IP address");
        return;
    }
    struct ibkr_tcp *t = calloc(1, sizeof *t);
    if (t == NULL) {
        schedule_retry(k);
        return;
    }
    t->owner = k;
    uv_tcp_init(k->loop, &t->h);
    t->h.data = t;
    t->creq.data = t;
    k->open_handles++;
    k->tcp = t;
    k->phase = PH_CONNECTING;
    k->stage_deadline_ns = clock_mono_ns() + (int64_t)k->cfg.stage_timeout_ms * NS_PER_MS;
    int rc = uv_tcp_connect(&t->creq, &t->h, (const struct sockaddr *)&ss, on_connect);
    if (rc != 0) {
        char why[192];
        snprintf(why, sizeof why, "IBKR 502: couldn't connect to TWS at %s:%d: %s",
                 k->cfg.host, k->cfg.port, uv_strerror(rc));
        ibkr_drop_connection(k, why);
    }
}

static void retry_cb(uv_timer_t *t)
{
    struct ibkr *k = t->data;
    if (k->phase == PH_WAIT_RETRY)
        do_connect(k);
}

static void house_cb(uv_timer_t *t)
{
    struct ibkr *k = t->data;
    int64_t now = clock_mono_ns();
    if (k->stage_deadline_ns != 0 && now > k->stage_deadline_ns && k->tcp != NULL) {
        static const char *const names[] = {"idle", "wait", "connect", "handshake",
                                            "session start", "reconcile", "up", "link lost",
                                            "stopped"};
        char why[96];
        snprintf(why, sizeof why, "timeout in %s after %d ms", names[k->phase],
                 k->cfg.stage_timeout_ms);
        ibkr_drop_connection(k, why);
        return;
    }
    ibkr_housekeeping(k, now);
}

/* ---- venue ops ---- */

static int ibkr_start(struct venue *v)
{
    struct ibkr *k = ibkr_of(v);
    k->backoff_ms = k->cfg.reconnect_min_ms;
    k->phase = PH_WAIT_RETRY;
    uv_timer_start(&k->house_timer, house_cb, HOUSE_MS, HOUSE_MS);
    log_event(k->log, LOG_INFO, "ibkr", "starting", "host=%s port=%d client_id=%" PRId64
              " instruments=%d max_msgs_per_s=%d", k->cfg.host, k->cfg.port, k->cfg.client_id,
              k->n_inst, k->cfg.max_msgs_per_s);
    do_connect(k);
    return 0;
}

static int find_inst(const struct ibkr *k, uint32_t inst)
{
    for (int i = 0; i < k->n_inst; i++)
        if (k->inst[i].cfg.inst == inst)
            return i;
    return -1;
}

/* A refusal decided here is reported on the next loop turn, like a venue's. */
static int local_reject(struct ibkr *k, struct ibkr_order *o, const char *reason)
{
    log_event(k->log, LOG_WARN, "ibkr", "order_refused_locally", "res=%" PRIu64 " reason=\"%s\"",
              o->res, reason);
    ibkr_order_end(k, o, TERM_REJECT, reason);
    return 0;
}

static int ibkr_place(struct venue *v, const struct venue_order *vo)
{
    struct ibkr *k = ibkr_of(v);
    int ix = find_inst(k, vo->inst);
    if (ix < 0 || k->phase != PH_UP || ibkr_order_by_res(k, vo->res) != NULL)
        return -1;
    struct ibkr_inst *is = &k->inst[ix];
    struct ibkr_order *o = ibkr_order_new(k);
    if (o == NULL)
        return -1;
    o->res = vo->res;
    o->ix = ix;
    o->side = vo->side;
    o->type = vo->type;
    o->tif = vo->tif;
    o->px = vo->px;
    o->qty = vo->qty;
    snprintf(o->cid, sizeof o->cid, "%s", vo->cid);
    if (is->refused)
        return local_reject(k, o, "IBKR 200: no security definition for this instrument");
    const char *tif = vo->tif == TIF_GTC ? "GTC"
                      : (vo->tif == TIF_IOC || vo->tif == TIF_FAK) ? "IOC"
                                                                   : NULL;
    if (tif == NULL)
        return local_reject(k, o, vo->tif == TIF_FOK ? "IBKR connector: FOK is not supported"
                                                     : "IBKR connector: GTD is not supported");
    if (vo->type == ORD_MARKET && vo->post_only)
        return local_reject(k, o, "post-only market order");
    if (vo->post_only && k->cfg.post_only == IBKR_PO_REJECT_MARKETABLE) {
        /* IBKR has no post-only flag for a plain LMT: refuse one that would
         * take against the last quote TWS sent. */
        bool takes = vo->side == SIDE_BUY ? (is->ask > 0 && vo->px >= is->ask)
                                          : (is->bid > 0 && vo->px <= is->bid);
        if (takes)
            return local_reject(k, o, "post-only: the price would take against the IBKR quote");
    }
    o->order_id = k->next_order_id++;
    struct ibkr_contract_spec c;
    ibkr_inst_contract(&is->cfg, &c);
    struct ibkr_order_req req = {
        .order_id = o->order_id, .c = &c, .buy = vo->side == SIDE_BUY, .qty = vo->qty,
        .qty_scale = is->in->qty_scale, .market = vo->type == ORD_MARKET, .lmt = vo->px,
        .px_scale = is->in->price_scale, .tif = vo->type == ORD_MARKET ? "IOC" : tif,
        .account = k->cfg.account, .order_ref = o->cid};
    struct ibkr_buf b;
    ibkr_buf_reset(&b);
    if (ibkr_enc_place_order(&b, &req) != 0 || ibkr_send_order(k, &b, o->res) != 0) {
        ibkr_order_free(k, o);
        return -1;
    }
    log_event(k->log, LOG_DEBUG, "ibkr", "place", "res=%" PRIu64 " order_id=%" PRId64
              " sym=%s side=%s qty=%" PRId64 " px=%" PRId64, o->res, o->order_id,
              is->in->symbol, vo->side == SIDE_BUY ? "BUY" : "SELL", vo->qty, vo->px);
    return 0;
}

static int ibkr_cancel(struct venue *v, uint64_t res)
{
    struct ibkr *k = ibkr_of(v);
    struct ibkr_order *o = ibkr_order_by_res(k, res);
    if (o == NULL || o->term != TERM_NONE)
        return -2;
    o->cancel_wanted = true;
    if (ibkr_unsend(k, res)) {
        ibkr_order_end(k, o, TERM_CANCEL, "cancelled before it was sent to TWS");
        return 0;
    }
    ibkr_send_cancel(k, o);
    return 0;
}

static int ibkr_cancel_all(struct venue *v)
{
    struct ibkr *k = ibkr_of(v);
    for (int i = 0; i < IBKR_MAX_ORDERS; i++)
        if (k->orders[i].used && k->orders[i].term == TERM_NONE)
            ibkr_cancel(v, k->orders[i].res);
    return 0;
}

static int ibkr_reconcile(struct venue *v)
{
    struct ibkr *k = ibkr_of(v);
    if (k->phase != PH_UP && k->phase != PH_RECONCILING)
        return -1; /* reconcile runs by itself once the session is back */
    ibkr_start_reconcile(k, "asked by the app");
    return 0;
}

static int ibkr_adopt(struct venue *v, const struct venue_order *vo, int64_t filled_qty)
{
    struct ibkr *k = ibkr_of(v);
    int ix = find_inst(k, vo->inst);
    if (ix < 0 || ibkr_order_by_res(k, vo->res) != NULL)
        return -1;
    struct ibkr_order *o = ibkr_order_new(k);
    if (o == NULL)
        return -1;
    o->res = vo->res;
    o->ix = ix;
    o->side = vo->side;
    o->type = vo->type;
    o->tif = vo->tif;
    o->px = vo->px;
    o->qty = vo->qty;
    o->filled = filled_qty;
    o->acked = true;   /* the journal's business; never acked twice */
    o->adopted = true;
    snprintf(o->cid, sizeof o->cid, "%s", vo->cid);
    log_event(k->log, LOG_INFO, "ibkr", "adopt", "res=%" PRIu64 " cid=%s filled=%" PRId64,
              o->res, o->cid, filled_qty);
    return 0;
}

static int ibkr_open_orders(const struct venue *v) { return ibkr_of(v)->n_open; }

static void ibkr_stop(struct venue *v)
{
    struct ibkr *k = ibkr_of(v);
    k->phase = PH_STOPPED;
    uv_timer_stop(&k->retry_timer);
    uv_timer_stop(&k->house_timer);
    uv_timer_stop(&k->pace_timer);
}

static void ibkr_destroy(struct venue *v)
{
    struct ibkr *k = ibkr_of(v);
    k->phase = PH_STOPPED;
    if (k->tcp != NULL) {
        struct ibkr_tcp *t = k->tcp;
        t->closing = true;
        uv_read_stop((uv_stream_t *)&t->h);
        uv_close((uv_handle_t *)&t->h, tcp_closed);
        k->tcp = NULL;
    }
    free_queue(&k->urgent_head, &k->urgent_tail);
    free_queue(&k->normal_head, &k->normal_tail);
    k->destroyed = true;
    uv_close((uv_handle_t *)&k->pace_timer, timer_closed);
    uv_close((uv_handle_t *)&k->retry_timer, timer_closed);
    uv_close((uv_handle_t *)&k->house_timer, timer_closed);
    uv_close((uv_handle_t *)&k->outbox_timer, timer_closed);
}

static const struct venue_ops ibkr_ops = {
    .name = "ibkr",
    .start = ibkr_start,
    .place = ibkr_place,
    .cancel = ibkr_cancel,
    .cancel_all = ibkr_cancel_all,
    .reconcile = ibkr_reconcile,
    .adopt = ibkr_adopt,
    .open_orders = ibkr_open_orders,
    .stop = ibkr_stop,
    .destroy = ibkr_destroy,
};

void ibkr_venue_stats(const struct venue *v, struct ibkr_stats *out)
{
    const struct ibkr *k = ibkr_of(v);
    memset(out, 0, sizeof *out);
    out->msgs_in = k->msgs_in;
    out->msgs_out = k->msgs_out;
    out->decode_errors = k->decode_errors;
    out->connects = k->connects;
    out->reconciles = k->reconciles;
    out->max_in_window = k->max_in_window;
    out->phase = (int)k->phase;
    out->next_order_id = k->next_order_id;
    out->server_version = k->server_version;
}

void ibkr_venue_force_next_order_id(struct venue *v, int64_t id) { ibkr_of(v)->next_order_id = id; }

int ibkr_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                      const json_t *cfg, const struct logger *log, struct venue_sink sink,
                      struct venue **out, char *err, size_t errlen)
{
    *out = NULL;
    struct ibkr_config c;
    if (ibkr_config_load(cfg, reg, &c, err, errlen) != 0)
        return -1;
    struct sockaddr_storage ss;
    if (resolve(&c, &ss) != 0) {
        snprintf(err, errlen, "venues.ibkr.host: %s is not an IP address (or localhost)", c.host);
        return -1;
    }
    struct ibkr *k = calloc(1, sizeof *k);
    if (k == NULL || (k->outbox = calloc(IBKR_OUTBOX, sizeof *k->outbox)) == NULL) {
        free(k);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    k->loop = loop;
    k->reg = reg;
    k->log = log;
    k->cfg = c;
    k->base.ops = &ibkr_ops;
    k->base.id = VENUE_IBKR;
    k->base.sink = sink;
    k->base.impl = k;
    k->next_req_id = IBKR_REQ_ID_BASE;
    k->n_inst = c.n_inst;
    for (int i = 0; i < c.n_inst; i++) {
        k->inst[i].cfg = c.inst[i];
        k->inst[i].in = instrument_get(reg, c.inst[i].inst);
    }
    ibkr_pace_init(&k->pace, c.max_msgs_per_s, NS_PER_SEC + IBKR_PACE_MARGIN_NS);
    uv_timer_t *timers[] = {&k->pace_timer, &k->retry_timer, &k->house_timer, &k->outbox_timer};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = k;
        k->open_handles++;
    }
    *out = &k->base;
    return 0;
}
