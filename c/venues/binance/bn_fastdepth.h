/* bn_fastdepth.h - a strict scanner for the one message that arrives
 * hundreds of times a second: a diff-depth event, raw or in the combined
 * {"stream","data"} envelope.  It reads the text in place (no allocation,
 * no tree), which takes the parse off the market-data -> order path
 * (jansson builds a tree of small allocations: ~10 us a frame here).
 *
 * It accepts only the plain shape Binance sends (no string escapes, levels
 * as ["price","qty"]); anything else returns BN_FAST_UNHANDLED and the
 * caller parses the frame with jansson (bn_parse_depth), so an unusual but
 * valid frame is never misread, only read more slowly. */
#ifndef TRADER_VENUES_BINANCE_FASTDEPTH_H
#define TRADER_VENUES_BINANCE_FASTDEPTH_H

#include <stddef.h>

#include "venues/binance/bn_parse.h"

#define BN_FAST_OK 0
#define BN_FAST_UNHANDLED (-1)   /* not a depthUpdate, or a shape we leave to jansson */

/* Symbol of a depthUpdate frame (copied into out); BN_FAST_OK or UNHANDLED. */
int bn_fast_depth_symbol(const char *text, size_t len, char out[BN_SYM_CAP]);

/* Same contract as bn_parse_depth for a depthUpdate event. */
int bn_fast_depth(const char *text, size_t len, unsigned price_scale, unsigned qty_scale,
                  struct bn_depth *out, struct bn_level *lv, int cap);

#endif
