/* binance.h - the Binance Spot connector (REST through libcurl's multi
 * interface, market streams and the WebSocket-API user data stream through
 * libwebsockets, all on the app's one uv loop; signing through OpenSSL).
 *
 * Configured by the "venues.binance" object of the trader's config; the
 * connector validates it itself and names the bad key's path in err. */
#ifndef TRADER_VENUES_BINANCE_H
#define TRADER_VENUES_BINANCE_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

#include "core/instrument.h"
#include "core/log.h"
#include "venues/venue.h"

/* Creates the connector; nothing touches the network until ops->start.
 * cfg is venues.binance (NULL when the config has none: an error).
 * Returns 0, or -1 with a message in err. */
int binance_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                         const json_t *cfg, const struct logger *log, struct venue_sink sink,
                         struct venue **out, char *err, size_t errlen);

#endif
