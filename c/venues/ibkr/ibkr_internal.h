/* ibkr_internal.h - the connector's state, shared by its files:
 *   ibkr.c          venue ops, the TCP connection, send queue with pacing,
 *                   timers, reconnect with back-off;
 *   ibkr_session.c  what TWS says: handshake, session start, market data,
 *                   order life cycle, errors, reconcile;
 *   ibkr_orders.c   the order table (reservation <-> TWS order id) and the
 *                   report outbox.
 * Not part of the connector's interface (that is ibkr.h). */
#ifndef TRADER_VENUES_IBKR_INTERNAL_H
#define TRADER_VENUES_IBKR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/instrument.h"
#include "core/log.h"
#include "venues/ibkr/ibkr_config.h"
#include "venues/ibkr/ibkr_msg.h"
#include "venues/ibkr/ibkr_pace.h"
#include "venues/venue.h"

#define IBKR_MAX_ORDERS 512
#define IBKR_MAX_WAITING_FILLS 256
#define IBKR_SEEN_EXECS 2048
#define IBKR_EXEC_ID_CAP 48
#define IBKR_OUTBOX 4096
#define IBKR_MIN_VERSION 100       /* advertised range: v100..176, see research 1 */
#define IBKR_REQ_ID_BASE 900000000 /* request ids never collide with order ids in errors */

enum ibkr_phase {
    PH_IDLE = 0,      /* not started */
    PH_WAIT_RETRY,    /* disconnected, reconnect timer running */
    PH_CONNECTING,    /* TCP connect in flight */
    PH_HANDSHAKE,     /* API\0 + version range sent, waiting for the version */
    PH_STARTING,      /* START_API sent, waiting for nextValidId + managedAccounts */
    PH_RECONCILING,   /* open orders / executions / positions requested */
    PH_UP,            /* trading */
    PH_LINK_LOST,     /* TWS lost IB (1100): socket up, nothing trades */
    PH_STOPPED
};

struct ibkr_tcp {
    uv_tcp_t h;
    uv_connect_t creq;
    struct ibkr *owner;
    bool closing;
};

struct ibkr_out {
    struct ibkr_out *next;
    uint64_t res;               /* the placeOrder of this reservation, or 0 */
    uv_write_t req;
    size_t len;
    char data[];
};

struct ibkr_inst {
    struct ibkr_inst_cfg cfg;
    const struct instrument *in;
    int64_t bid, ask, last, mark;     /* price scale; 0 = none */
    int64_t mkt_req_id, cd_req_id;
    int64_t tws_min_tick;             /* price scale; 0 = not known */
    bool refused;                     /* TWS has no such contract (200) */
    /* TWS's own position (reqPositions), compared with the book once it
     * has settled: see ibkr_housekeeping. */
    int64_t venue_pos;                /* qty scale */
    int64_t venue_pos_ns;             /* monotonic time it arrived */
    bool venue_pos_pending;
};

enum ibkr_term { TERM_NONE = 0, TERM_CANCEL, TERM_EXPIRE, TERM_REJECT, TERM_DONE };

struct ibkr_order {
    bool used;
    uint64_t res;
    int64_t order_id;           /* 0 until known (an adopted order before reconcile) */
    int ix;                     /* index into ibkr.inst */
    enum order_side side;
    enum order_type type;
    enum order_tif tif;
    int64_t px, qty, filled;    /* filled: sum of distinct executions (+ adopted) */
    char cid[48];
    char voi[24];
    bool acked, adopted, seen_open, tws_done, cancel_wanted, cancel_sent;
    int64_t tws_done_ns;        /* monotonic time TWS said Filled */
    int waiting_fills;          /* executions waiting for their commission */
    enum ibkr_term term;        /* decided end, reported once fills are out */
    char term_reason[128];
};

struct ibkr_wait_fill {
    bool used;
    char exec_id[IBKR_EXEC_ID_CAP];
    int64_t deadline_ns;        /* monotonic */
    struct venue_report r;
};

enum outbox_kind { OB_REPORT = 0, OB_CONN = 1 };

struct ibkr_outbox_item {
    uint8_t kind;
    enum venue_conn conn;
    struct venue_report r;      /* r.reason carries the conn reason */
};

enum rc_wait { RC_OPEN = 1, RC_EXEC = 2, RC_POS = 4, RC_ACCT = 8 };

struct ibkr {
    struct venue base;
    uv_loop_t *loop;
    const struct instrument_registry *reg;
    const struct logger *log;
    struct ibkr_config cfg;
    int n_inst;
    struct ibkr_inst inst[IBKR_MAX_INST];

    enum ibkr_phase phase;
    enum venue_conn reported;       /* last connection state put in the outbox */
    bool reported_any;
    struct ibkr_tcp *tcp;           /* current connection or NULL */
    char *rx;
    size_t rx_len, rx_cap;
    struct ibkr_out *urgent_head, *urgent_tail, *normal_head, *normal_tail;
    struct ibkr_pace pace;
    uv_timer_t pace_timer, retry_timer, house_timer, outbox_timer;
    int open_handles;               /* timers + tcp; freed at 0 after destroy */
    bool destroyed;
    int backoff_ms;
    int64_t stage_deadline_ns;      /* monotonic; 0 = none */

    int server_version;
    int64_t next_order_id;
    bool have_next_id, have_accounts;
    char accounts[256];
    int64_t next_req_id;
    unsigned rc_waiting;
    int64_t rc_exec_req_id, rc_acct_req_id;
    char last_exec_time[40];        /* TWS time of the newest execution seen */
    int64_t last_exec_ns;           /* monotonic time an execution last arrived */

    struct ibkr_order orders[IBKR_MAX_ORDERS];
    int n_open;
    struct ibkr_wait_fill waits[IBKR_MAX_WAITING_FILLS];
    char seen[IBKR_SEEN_EXECS][IBKR_EXEC_ID_CAP];
    int seen_head, seen_count;

    struct ibkr_outbox_item *outbox;
    unsigned ob_head, ob_len;

    /* counters for logs, tests and the bench */
    uint64_t msgs_in, msgs_out, decode_errors, connects, reconciles;
    int max_in_window;
};

static inline struct ibkr *ibkr_of(const struct venue *v) { return (struct ibkr *)v->impl; }

/* ibkr.c */
int ibkr_send(struct ibkr *k, const struct ibkr_buf *b, bool urgent);
/* Queues a placeOrder tagged with its reservation (see ibkr_unsend). */
int ibkr_send_order(struct ibkr *k, const struct ibkr_buf *b, uint64_t res);
/* Takes a still-queued placeOrder back; true if it had not been written. */
bool ibkr_unsend(struct ibkr *k, uint64_t res);
void ibkr_drop_connection(struct ibkr *k, const char *reason);
int64_t ibkr_new_req_id(struct ibkr *k);
void ibkr_outbox_kick(struct ibkr *k);

/* ibkr_session.c */
void ibkr_on_payload(struct ibkr *k, const char *payload, size_t len);
void ibkr_housekeeping(struct ibkr *k, int64_t now_mono);
void ibkr_start_reconcile(struct ibkr *k, const char *why);
void ibkr_send_cancel(struct ibkr *k, struct ibkr_order *o);

/* ibkr_orders.c */
struct ibkr_order *ibkr_order_new(struct ibkr *k);
struct ibkr_order *ibkr_order_by_res(struct ibkr *k, uint64_t res);
struct ibkr_order *ibkr_order_by_id(struct ibkr *k, int64_t order_id);
struct ibkr_order *ibkr_order_by_ref(struct ibkr *k, const char *ref);
void ibkr_order_free(struct ibkr *k, struct ibkr_order *o);
/* Decides the order's end; reported now, or once its fills are out. */
void ibkr_order_end(struct ibkr *k, struct ibkr_order *o, enum ibkr_term term,
                    const char *reason);
/* Reports the decided end once no fill is waiting; frees the slot. */
void ibkr_order_settle(struct ibkr *k, struct ibkr_order *o);
void ibkr_report_init(const struct ibkr_order *o, struct venue_report *r, enum report_kind kind);
void ibkr_outbox_report(struct ibkr *k, const struct venue_report *r);
void ibkr_outbox_conn(struct ibkr *k, enum venue_conn state, const char *reason);
void ibkr_outbox_drain(struct ibkr *k);
bool ibkr_exec_seen(const struct ibkr *k, const char *exec_id);
void ibkr_exec_remember(struct ibkr *k, const char *exec_id);

#endif
