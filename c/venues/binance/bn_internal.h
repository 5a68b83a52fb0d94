/* bn_internal.h - the Binance connector's state, shared by its files:
 *   binance.c    lifecycle, venue_ops, the recovery state machine, outbox
 *   bn_rest.c    signed REST requests, rate-limit accounting, back-off
 *   bn_market.c  market stream, local books, snapshots, marks
 *   bn_user.c    WebSocket API session, user data stream, executionReports
 *   bn_orders.c  the order table, place/cancel and their answers, settle
 *   bn_reconcile.c  open orders, order status, trades, balances after a gap
 */
#ifndef TRADER_VENUES_BINANCE_INTERNAL_H
#define TRADER_VENUES_BINANCE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/instrument.h"
#include "core/log.h"
#include "venues/binance/bn_book.h"
#include "venues/binance/bn_config.h"
#include "venues/binance/bn_http.h"
#include "venues/binance/bn_parse.h"
#include "venues/binance/bn_sign.h"
#include "venues/binance/bn_ws.h"
#include "venues/venue.h"

#define BN_MAX_SYMBOLS 16
#define BN_MAX_ORDERS 512
#define BN_OUTBOX 4096
#define BN_MAX_LEVELS 10000
#define BN_CLOSED 256              /* orders freed in this process, kept for late trades */
#define BN_CLOSED_TIDS 32
#define BN_OWNERS 512              /* order id -> ours or not, learnt by the trade sweep */
#define BN_TRADES_PAGE 1000        /* myTrades limit (the venue's maximum) */
#define BN_ROOM "binance"

struct bn_symbol {
    uint32_t inst;
    const struct instrument *in;
    char sym[BN_SYM_CAP];
    char lower[BN_SYM_CAP];
    struct bn_filters f;
    bool have_filters;
    struct bn_book book;
    bool snapshot_inflight;
    int snapshot_fails;
    int64_t snapshot_retry_ns;      /* monotonic */
    int64_t last_mark;
    /* trade sweep (bn_sweep.c): the highest trade id a sweep has seen for
     * this symbol, -1 until the first sweep of this process */
    int64_t last_tid;
    int owner_pending;              /* order queries the sweep waits for */
    /* stall watch (bn_market.c) */
    int64_t last_depth_ns;          /* monotonic: last diff event of this symbol */
    bool probe_inflight;
    int64_t probe_sent_ns, probe_next_ns, stall_check_ns;
    uint64_t probe_venue_id;        /* the venue's lastUpdateId the probe saw */
    int64_t sweep_from_ms;          /* startTime while last_tid is still -1 */
};

/* An order freed in this process: a trade of it the sweep finds later (a
 * fill that raced its cancel, myTrades catching up) is still reported, for
 * its reservation, once. */
struct bn_closed {
    int64_t order_id;               /* 0 = empty slot */
    int sym;
    uint64_t res;
    uint32_t inst;
    enum order_side side;
    int n_tids;
    int64_t tids[BN_CLOSED_TIDS];
};

/* What the sweep learnt about an order the connector does not know. */
enum bn_owner { BN_OWNER_UNKNOWN = 0, BN_OWNER_OURS = 1, BN_OWNER_FOREIGN = 2 };
struct bn_owner_memo {
    int64_t order_id;
    int sym;
    enum bn_owner owner;
};

struct bn_order {
    bool used;
    struct venue_order o;
    int sym;
    int64_t order_id;               /* 0 until the venue told us */
    int64_t filled;
    bool acked;
    bool place_inflight;
    bool cancel_wanted;             /* asked while the place was in flight */
    bool cancel_inflight;
    bool cancel_retry;              /* a cancel failed in a way worth retrying */
    bool trades_inflight;
    bool query_inflight;
    uint64_t seen_open_gen;         /* reconcile generation that saw it open */
    char final[BN_WORD_CAP];        /* terminal status waiting for its trades */
    int64_t *tids;                  /* trade ids already reported */
    int n_tids, cap_tids;
    int64_t sent_ns;                /* monotonic, for the RTT figure */
};

enum bn_req_kind {
    BN_REQ_TIME, BN_REQ_EXINFO, BN_REQ_SNAPSHOT, BN_REQ_PLACE, BN_REQ_CANCEL, BN_REQ_QUERY,
    BN_REQ_TRADES, BN_REQ_OPEN_ORDERS, BN_REQ_ACCOUNT, BN_REQ_CANCEL_FOREIGN,
    BN_REQ_SWEEP, BN_REQ_OWNER, BN_REQ_PROBE
};

struct bn_req {
    enum bn_req_kind kind;
    int sym;
    uint64_t res;
    uint64_t gen;                   /* reconcile generation (0 = not part of one) */
    int64_t order_id;
};

struct bn_out {
    bool is_conn;
    enum venue_conn conn;
    struct venue_report r;
    char why[128];
};

struct binance {
    struct venue base;
    uv_loop_t *loop;
    const struct instrument_registry *reg;
    const struct logger *log;
    struct bn_config cfg;
    struct bn_signer signer;
    struct bn_http *http;
    struct bn_ws_ctx *wsctx;
    struct bn_ws market, api;
    uv_timer_t tick, drain;
    int open_handles;
    bool started, stopping, destroyed;

    struct bn_symbol syms[BN_MAX_SYMBOLS];
    int n_syms;
    struct bn_order orders[BN_MAX_ORDERS];
    int n_orders;
    struct bn_closed closed[BN_CLOSED];
    unsigned closed_next;
    struct bn_owner_memo owners[BN_OWNERS];
    unsigned owners_next;
    struct bn_level levels[BN_MAX_LEVELS];   /* parse scratch */

    /* start-up knowledge */
    bool time_ok, time_inflight, exinfo_ok, exinfo_inflight;
    int64_t time_offset_ms;
    int64_t exinfo_retry_ns;
    int64_t order_limit_10s, weight_limit_1m;

    /* connections */
    int64_t market_retry_ns, api_retry_ns;
    int64_t market_open_ns;          /* monotonic time the market stream opened */
    int64_t market_backoff_ms, api_backoff_ms;
    bool user_subscribed, subscribe_inflight;
    int64_t subscribe_retry_ns;
    uint64_t api_req_id;
    uint64_t subscribe_req_id;

    /* blindness and reconcile */
    enum venue_conn conn;            /* last state reported */
    bool blind;
    bool recon_active;
    uint64_t gen;
    int recon_pending;
    int recon_phase;                 /* 1: orders + account, 2: trade sweep */
    int recon_fills;
    int64_t recon_retry_ns;

    /* rate limits */
    int64_t backoff_until_ns;        /* monotonic; 429/418 */
    int64_t used_weight_1m, order_count_10s, order_count_1d;

    /* outbox: reports and connection changes, delivered on the next turn */
    struct bn_out outbox[BN_OUTBOX];
    unsigned out_head, out_len;

    /* counters */
    uint64_t n_place_sent, n_acks, n_fills, n_rejects_local;
    int64_t last_rtt_ns;
};

/* binance.c */
void bn_emit_report(struct binance *b, const struct venue_report *r);
void bn_emit_conn(struct binance *b, enum venue_conn state, const char *why);
void bn_go_blind(struct binance *b, const char *why);
void bn_advance(struct binance *b);
int bn_sym_by_name(const struct binance *b, const char *sym);
int bn_sym_by_inst(const struct binance *b, uint32_t inst);
int64_t bn_now_ms(const struct binance *b);

/* bn_rest.c */
int bn_rest_public(struct binance *b, const char *path_query, struct bn_req *req);
int bn_rest_signed(struct binance *b, const char *method, const char *path, const char *params,
                   struct bn_req *req);
struct bn_req *bn_req_new(enum bn_req_kind kind, int sym, uint64_t res, uint64_t gen);
bool bn_backing_off(const struct binance *b);
void bn_http_done(void *ctx, void *user, const struct bn_http_resp *r);
/* Parses an error body into "binance <status> <code>: <msg>"; returns code. */
int bn_error_text(const struct bn_http_resp *r, char *out, size_t cap);

/* bn_market.c */
int bn_market_open(struct binance *b);
void bn_market_on_open(void *ctx, struct bn_ws *ws);
void bn_market_on_text(void *ctx, struct bn_ws *ws, const char *text, size_t len);
void bn_market_on_close(void *ctx, struct bn_ws *ws, const char *why);
void bn_market_snapshots(struct binance *b);
void bn_on_snapshot(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
bool bn_books_synced(const struct binance *b);
/* Applies one market stream frame (exposed for the bench). */
int bn_market_handle(struct binance *b, const char *text, size_t len);

/* bn_user.c */
void bn_api_on_open(void *ctx, struct bn_ws *ws);
void bn_api_on_text(void *ctx, struct bn_ws *ws, const char *text, size_t len);
void bn_api_on_close(void *ctx, struct bn_ws *ws, const char *why);
void bn_user_subscribe(struct binance *b);
void bn_on_exec(struct binance *b, const json_t *ev);

/* bn_orders.c */
struct bn_order *bn_order_by_res(struct binance *b, uint64_t res);
struct bn_order *bn_order_by_cid(struct binance *b, const char *cid);
struct bn_order *bn_order_by_oid(struct binance *b, int sym, int64_t order_id);
void bn_order_free(struct binance *b, struct bn_order *o);
int bn_place(struct venue *v, const struct venue_order *o);
int bn_cancel(struct venue *v, uint64_t res);
int bn_cancel_all(struct venue *v);
/* Resends cancels that failed on 429/418/5xx/-1021 (not while backing off). */
void bn_retry_cancels(struct binance *b);
int bn_adopt(struct venue *v, const struct venue_order *o, int64_t filled);
int bn_open_orders(const struct venue *v);
void bn_on_place(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
void bn_on_cancel(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
void bn_on_query(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
void bn_on_trades(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
/* Reports one fill unless its trade id was reported already. */
void bn_book_fill(struct binance *b, struct bn_order *o, int64_t tid, int64_t px, int64_t qty,
                  int64_t fee, const char *fee_asset, bool maker, int64_t ts_ms);
/* The venue says the order reached status with executed qty: fetch the
 * missing trades first if any, then report the terminal state once. */
void bn_settle(struct binance *b, struct bn_order *o, const char *status, int64_t executed);
void bn_report_simple(struct binance *b, struct bn_order *o, enum report_kind kind,
                      int64_t qty, const char *reason);
/* Reject an order locally on the next loop turn (never reached the wire). */
void bn_reject_local(struct binance *b, const struct venue_order *o, const char *why);

/* bn_sweep.c */
void bn_sweep_start(struct binance *b);
void bn_on_sweep(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
void bn_on_owner(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
/* Keeps a freed order for trades that show up after it was closed. */
void bn_closed_keep(struct binance *b, const struct bn_order *o);

/* bn_market.c: stall watch */
void bn_market_watch_stall(struct binance *b, int64_t now);
void bn_on_probe(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);

/* Commission in the quote currency at scale 8 (bn_orders.c). */
int64_t bn_fee_in_quote(struct binance *b, const struct bn_symbol *s, int64_t fee,
                        const char *asset, int64_t px);

/* bn_reconcile.c */
void bn_reconcile_start(struct binance *b);
void bn_on_open_orders(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
void bn_on_account(struct binance *b, const struct bn_req *req, const struct bn_http_resp *r);
void bn_recon_step_done(struct binance *b, uint64_t gen);
void bn_recon_fail(struct binance *b, const char *why);
int bn_reconcile_op(struct venue *v);

#endif
