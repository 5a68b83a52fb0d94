/* ibkr_orders.c - the order table and the report outbox (ibkr_internal.h).
 *
 * Reports and connection changes are never handed to the sink from inside
 * a venue op or the middle of a read: they go to an outbox that a
 * zero-delay timer drains on the next loop turn, in order.  That keeps the
 * app's call paths (place -> report -> quoter -> place ...) free of
 * re-entrancy into the connector. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "venues/ibkr/ibkr_internal.h"

struct ibkr_order *ibkr_order_new(struct ibkr *k)
{
    for (int i = 0; i < IBKR_MAX_ORDERS; i++) {
        if (!k->orders[i].used) {
            memset(&k->orders[i], 0, sizeof k->orders[i]);
            k->orders[i].used = true;
            k->n_open++;
            return &k->orders[i];
        }
    }
    return NULL;
}

struct ibkr_order *ibkr_order_by_res(struct ibkr *k, uint64_t res)
{
    for (int i = 0; i < IBKR_MAX_ORDERS; i++)
        if (k->orders[i].used && k->orders[i].res == res)
            return &k->orders[i];
    return NULL;
}

struct ibkr_order *ibkr_order_by_id(struct ibkr *k, int64_t order_id)
{
    if (order_id <= 0)
        return NULL;
    for (int i = 0; i < IBKR_MAX_ORDERS; i++)
        if (k->orders[i].used && k->orders[i].order_id == order_id)
            return &k->orders[i];
    return NULL;
}

struct ibkr_order *ibkr_order_by_ref(struct ibkr *k, const char *ref)
{
    if (ref == NULL || ref[0] == '\0')
        return NULL;
    for (int i = 0; i < IBKR_MAX_ORDERS; i++)
        if (k->orders[i].used && strcmp(k->orders[i].cid, ref) == 0)
            return &k->orders[i];
    return NULL;
}

void ibkr_order_free(struct ibkr *k, struct ibkr_order *o)
{
    if (!o->used)
        return;
    o->used = false;
    k->n_open--;
}

void ibkr_report_init(const struct ibkr_order *o, struct venue_report *r, enum report_kind kind)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->res = o->res;
    r->ts_ns = clock_wall_ns();
    snprintf(r->voi, sizeof r->voi, "%s", o->voi);
}

void ibkr_order_end(struct ibkr *k, struct ibkr_order *o, enum ibkr_term term,
                    const char *reason)
{
    if (o->term != TERM_NONE)
        return; /* the first decided end stands */
    o->term = term;
    snprintf(o->term_reason, sizeof o->term_reason, "%s", reason);
    ibkr_order_settle(k, o);
}

void ibkr_order_settle(struct ibkr *k, struct ibkr_order *o)
{
    if (!o->used || o->waiting_fills > 0)
        return;
    bool complete = o->filled >= o->qty;
    if (o->term == TERM_NONE && !complete)
        return;
    if (!complete && o->term != TERM_DONE) {
        struct venue_report r;
        enum report_kind kind = o->term == TERM_REJECT   ? REPORT_REJECT
                                : o->term == TERM_EXPIRE ? REPORT_EXPIRE
                                                         : REPORT_CANCEL;
        /* a partly filled order cannot be "rejected": its rest is cancelled */
        if (kind == REPORT_REJECT && o->filled > 0)
            kind = REPORT_CANCEL;
        ibkr_report_init(o, &r, kind);
        r.qty = o->qty - o->filled;
        snprintf(r.reason, sizeof r.reason, "%s", o->term_reason);
        ibkr_outbox_report(k, &r);
    } else if (!complete) {
        log_event(k->log, LOG_ERROR, "ibkr", "order_done_unfilled",
                  "res=%" PRIu64 " order_id=%" PRId64 " filled=%" PRId64 " qty=%" PRId64
                  " reason=\"IBKR says Filled but its executions do not add up\"",
                  o->res, o->order_id, o->filled, o->qty);
    }
    ibkr_order_free(k, o);
}

static void outbox_push(struct ibkr *k, const struct ibkr_outbox_item *it)
{
    if (k->ob_len == IBKR_OUTBOX) {
        /* Cannot happen at our rates; losing a report would desynchronise
         * risk, so say it loudly and drop the connection: reconcile then
         * re-derives every order's state from TWS. */
        log_event(k->log, LOG_ERROR, "ibkr", "outbox_full", "res=%" PRIu64, it->r.res);
        return;
    }
    k->outbox[(k->ob_head + k->ob_len) % IBKR_OUTBOX] = *it;
    k->ob_len++;
    if (k->ob_len == 1 && !k->destroyed)
        ibkr_outbox_kick(k);
}

void ibkr_outbox_report(struct ibkr *k, const struct venue_report *r)
{
    struct ibkr_outbox_item it;
    memset(&it, 0, sizeof it);
    it.kind = OB_REPORT;
    it.r = *r;
    outbox_push(k, &it);
}

void ibkr_outbox_conn(struct ibkr *k, enum venue_conn state, const char *reason)
{
    if (k->reported_any && k->reported == state && state != CONN_RECONCILING)
        return;
    k->reported_any = true;
    k->reported = state;
    struct ibkr_outbox_item it;
    memset(&it, 0, sizeof it);
    it.kind = OB_CONN;
    it.conn = state;
    snprintf(it.r.reason, sizeof it.r.reason, "%s", reason);
    outbox_push(k, &it);
}

void ibkr_outbox_drain(struct ibkr *k)
{
    /* Only what is queued now; what the sink queues meanwhile waits. */
    unsigned n = k->ob_len;
    for (unsigned i = 0; i < n && !k->destroyed; i++) {
        struct ibkr_outbox_item it = k->outbox[k->ob_head];
        k->ob_head = (k->ob_head + 1) % IBKR_OUTBOX;
        k->ob_len--;
        if (it.kind == OB_CONN)
            k->base.sink.on_conn(k->base.sink.ctx, k->base.id, it.conn, it.r.reason);
        else
            k->base.sink.on_report(k->base.sink.ctx, k->base.id, &it.r);
    }
}

bool ibkr_exec_seen(const struct ibkr *k, const char *exec_id)
{
    for (int i = 0; i < k->seen_count; i++)
        if (strcmp(k->seen[(k->seen_head + i) % IBKR_SEEN_EXECS], exec_id) == 0)
            return true;
    return false;
}

void ibkr_exec_remember(struct ibkr *k, const char *exec_id)
{
    int at;
    if (k->seen_count == IBKR_SEEN_EXECS) {
        at = k->seen_head;
        k->seen_head = (k->seen_head + 1) % IBKR_SEEN_EXECS;
    } else {
        at = (k->seen_head + k->seen_count) % IBKR_SEEN_EXECS;
        k->seen_count++;
    }
    snprintf(k->seen[at], IBKR_EXEC_ID_CAP, "%s", exec_id);
}
