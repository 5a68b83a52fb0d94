/* order_table.h - the app's open orders, keyed by reservation id.
 *
 * The risk engine holds the money side of a reservation; this table holds
 * what the app needs to route and show it: which venue and instrument, who
 * placed it (the trader's own strategy, or an IPC client such as the
 * gateway), the venue's order id and the client order id.  Open addressing
 * with linear probing and backward-shift deletion: O(1), no tombstones, no
 * allocation after init. */
#ifndef TRADER_APP_ORDER_TABLE_H
#define TRADER_APP_ORDER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "venues/venue.h"

struct app_order {
    uint64_t res;            /* 0 = empty slot */
    uint32_t inst;
    uint8_t venue;
    uint8_t side;
    bool local;              /* placed by the trader's strategy on a connector it runs */
    int64_t px, qty, filled;
    int64_t ts_ns;
    char voi[VENUE_ID_CAP];
    char cid[VENUE_ID_CAP];
};

struct order_table {
    struct app_order *slots;
    uint32_t mask;           /* capacity - 1, capacity a power of two */
    uint32_t count;
};

int order_table_init(struct order_table *t, uint32_t capacity_pow2);
void order_table_free(struct order_table *t);
/* Returns the slot for res, or NULL. */
struct app_order *order_table_get(struct order_table *t, uint64_t res);
/* Inserts a copy; NULL when the table is 3/4 full (never fills up). */
struct app_order *order_table_put(struct order_table *t, const struct app_order *o);
void order_table_del(struct order_table *t, uint64_t res);

#endif
