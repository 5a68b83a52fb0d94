/* venue.h - the interface every connector implements (paper, binance, ibkr).
 *
 * A connector speaks one venue's protocol and reports what the venue says to
 * a sink the app provides; it never talks to IPC clients and never decides
 * risk.  Orders reach a connector only after the risk engine accepted them,
 * identified by the reservation id the engine assigned.
 *
 * Prices and quantities are fixed point in the instrument's own scales
 * (struct instrument: price_scale, qty_scale); fees in the quote currency
 * at INSTRUMENT_QUOTE_SCALE (8). */
#ifndef TRADER_VENUES_VENUE_H
#define TRADER_VENUES_VENUE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/instrument.h"

/* Room for an identifier (client order id, venue order id, trade id) as
 * long as the IPC protocol allows (128 bytes) plus its NUL: Polymarket
 * order ids are 66 characters, and a truncated trade id could make two
 * fills look like one. */
#define VENUE_ID_CAP 129

enum order_side { SIDE_BUY = 0, SIDE_SELL = 1 };
enum order_type { ORD_LIMIT = 0, ORD_MARKET = 1 };
enum order_tif { TIF_GTC = 0, TIF_GTD = 1, TIF_IOC = 2, TIF_FOK = 3, TIF_FAK = 4 };

struct venue_order {
    uint64_t res;            /* reservation id from the risk engine */
    uint32_t inst;           /* instrument id */
    enum order_side side;
    enum order_type type;
    enum order_tif tif;
    bool post_only;
    int64_t px;              /* limit price (worst-case price for market orders) */
    int64_t qty;
    char cid[VENUE_ID_CAP];  /* client order id sent to the venue */
};

enum report_kind {
    REPORT_ACK = 0,          /* venue accepted the order (it rests or is working) */
    REPORT_REJECT = 1,       /* venue refused it: reservation released */
    REPORT_FILL = 2,         /* partial or full fill */
    REPORT_CANCEL = 3,       /* cancelled: remaining quantity released */
    REPORT_EXPIRE = 4,       /* expired (IOC/FOK remainder, GTD): released */
};

enum liquidity { LIQ_UNKNOWN = 0, LIQ_MAKER = 1, LIQ_TAKER = 2 };

struct venue_report {
    enum report_kind kind;
    uint64_t res;
    uint32_t inst;
    char voi[VENUE_ID_CAP];  /* venue order id */
    char tid[VENUE_ID_CAP];  /* venue trade id (fills) */
    int64_t px;              /* fill price */
    int64_t qty;             /* fill quantity */
    int64_t fee;             /* fee in the quote currency at scale 8; negative = rebate */
    enum liquidity liq;
    int64_t ts_ns;           /* venue time of the event, Unix ns */
    char reason[128];        /* reject/cancel reason as the venue said it */
    /* Fills only, and only for a fill whose reservation is no longer open
     * (it raced a cancel, or a reconcile found it after the journal had
     * closed the order; res may then be 0): the connector vouches that the
     * order was ours and says its side, and the app books the fill into the
     * position (once per trade id) with an anomaly event.  Without
     * side_known such a fill is refused, as before. */
    bool side_known;
    enum order_side side;
};

/* Connection state a connector reports: the app maps it to trading states
 * (DOWN -> venue HALTED; RECONCILING -> REDUCING until reconciled; UP -> ACTIVE). */
enum venue_conn { CONN_DOWN = 0, CONN_RECONCILING = 1, CONN_UP = 2 };

struct venue_sink {
    void *ctx;
    void (*on_report)(void *ctx, enum venue_id venue, const struct venue_report *r);
    void (*on_mark)(void *ctx, uint32_t inst, int64_t px, int64_t ts_ns);
    void (*on_conn)(void *ctx, enum venue_id venue, enum venue_conn state, const char *reason);
    /* Optional (NULL allowed): a position the venue itself reports, in the
     * instrument's qty scale (IBKR's reqPositions while reconciling).  The
     * app compares it with the engine's book and raises an event on a
     * difference; it never overwrites the journal's positions with it (a
     * manual trade on the account is the operator's to explain). */
    void (*on_position)(void *ctx, enum venue_id venue, uint32_t inst, int64_t qty);
};

struct venue;

struct venue_ops {
    const char *name;
    /* Starts connections/timers on the app's loop. */
    int (*start)(struct venue *v);
    /* Sends an order; the outcome arrives later as reports. Returns 0 if the
     * request was queued, <0 if it could not even be sent (the app then
     * releases the reservation). */
    int (*place)(struct venue *v, const struct venue_order *o);
    int (*cancel)(struct venue *v, uint64_t res);
    int (*cancel_all)(struct venue *v);
    /* Asks the venue for open orders, fills since the last seen and
     * balances, then reports CONN_UP when done. */
    int (*reconcile)(struct venue *v);
    /* Optional (NULL allowed).  After a restart the app hands the connector
     * each order the journal says is still open on this venue (its client
     * order id, reservation and quantity already filled) before start(), so
     * reconcile can match the venue's open orders and trades back to
     * reservations: a fill that happened while the trader was down is then
     * reported once (the risk engine ignores a trade id it has booked), an
     * order the venue no longer has is reported cancelled, and an order the
     * venue has but the journal does not know is cancelled at the venue. */
    int (*adopt)(struct venue *v, const struct venue_order *o, int64_t filled_qty);
    /* Number of orders the connector believes are open. */
    int (*open_orders)(const struct venue *v);
    void (*stop)(struct venue *v);
    void (*destroy)(struct venue *v);
};

struct venue {
    const struct venue_ops *ops;
    enum venue_id id;
    struct venue_sink sink;
    void *impl;
};

#endif
