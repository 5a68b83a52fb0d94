/* ibkr.h - the Interactive Brokers connector: the TWS socket protocol at
 * server version 176 (4-byte length + NUL-separated fields) over one TCP
 * connection on the app's uv loop: orders, executions, commissions,
 * positions, account summary and market data).
 *
 * Configured by the "venues.ibkr" object of the trader's config (see
 * ibkr_config.h); the connector validates it itself and names the bad key's
 * path in err.  Design notes: docs/ARCHITECTURE.md "IBKR connector". */
#ifndef TRADER_VENUES_IBKR_H
#define TRADER_VENUES_IBKR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/instrument.h"
#include "core/log.h"
#include "venues/venue.h"

/* Creates the connector; nothing touches the network until ops->start.
 * cfg is venues.ibkr (NULL when the config has none: an error).
 * Returns 0, or -1 with a message in err. */
int ibkr_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                         const json_t *cfg, const struct logger *log, struct venue_sink sink,
                         struct venue **out, char *err, size_t errlen);

/* What the connector has done so far: for tests, logs and the bench. */
struct ibkr_stats {
    uint64_t msgs_in, msgs_out, decode_errors, connects, reconciles;
    int max_in_window;       /* most messages sent within any pacing window */
    int phase;               /* internal phase; IBKR_PHASE_UP when trading */
    int64_t next_order_id;
    int server_version;
};
#define IBKR_PHASE_UP 6

void ibkr_venue_stats(const struct venue *v, struct ibkr_stats *out);

/* Test hook: makes the next order use `id`, as a stale nextValidId would.
 * The app never calls it; tests use it to provoke error 103. */
void ibkr_venue_force_next_order_id(struct venue *v, int64_t id);

#endif
