/* ibkr.h - the Interactive Brokers connector: the TWS socket protocol at
 * server version 176 (4-byte length + NUL-separated fields) over one TCP
 * connection on the app's uv loop: orders, executions, commissions,
 * positions, account summary and market data).
 *
 * Configured by the "venues.ibkr" object of the trader's config; the
 * connector validates it itself and names the bad key's path in err. */
#ifndef TRADER_VENUES_IBKR_H
#define TRADER_VENUES_IBKR_H

#include <jansson.h>
#include <stddef.h>
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

#endif
