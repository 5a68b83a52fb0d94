/* instrument.h -- the registry of tradable instruments.
 *
 * Every order, fill and mark names an instrument by its dense id (an index
 * into a fixed array). The array is sized once at init and never moves, so a
 * `const struct instrument *` stays valid for the registry's lifetime while
 * instruments keep being added at runtime (the gateway registers Polymarket
 * tokens over IPC as markets open).
 *
 * Markets: a binary outcome (a Polymarket YES or NO token) belongs to the
 * market of its condition id, shared with its complement; every other
 * instrument is its own market (market key = symbol). Markets get their own
 * dense index so per-market limits are array lookups too.
 *
 * Amount conventions (all int64 mantissas, see money.h):
 *   price, tick            at the instrument's price_scale
 *   qty, lot, min_qty      at the instrument's qty_scale
 *   min_notional           in the quote currency at INSTRUMENT_QUOTE_SCALE (8)
 *   usd_rate               USD per 1 unit of quote currency at INSTRUMENT_RATE_SCALE (8)
 */
#ifndef TRADER_CORE_INSTRUMENT_H
#define TRADER_CORE_INSTRUMENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum venue_id {
    VENUE_PAPER = 0,
    VENUE_BINANCE = 1,
    VENUE_IBKR = 2,
    VENUE_POLYMARKET = 3,
    VENUE_COUNT = 4
};

enum instrument_kind {
    INSTRUMENT_SPOT = 0,   /* crypto spot pair, e.g. BTCUSDT */
    INSTRUMENT_STOCK = 1,
    INSTRUMENT_FX = 2,
    INSTRUMENT_BINARY = 3, /* one outcome of a binary market, pays 1 or 0 */
    INSTRUMENT_KIND_COUNT = 4
};

/* Polymarket token ids are ~78 decimal digits; leave room. */
#define INSTRUMENT_SYMBOL_CAP 128
#define INSTRUMENT_CCY_CAP 16
#define INSTRUMENT_QUOTE_SCALE 8
#define INSTRUMENT_RATE_SCALE 8
#define INSTRUMENT_NONE UINT32_MAX

struct instrument {
    uint32_t id;         /* dense index, assigned by the registry */
    uint32_t market;     /* dense market index, assigned by the registry */
    uint32_t complement; /* other outcome of a binary market or INSTRUMENT_NONE */
    uint8_t venue;       /* enum venue_id */
    uint8_t kind;        /* enum instrument_kind */
    uint8_t price_scale;
    uint8_t qty_scale;
    int64_t tick;
    int64_t lot;
    int64_t min_qty;
    int64_t min_notional;
    int64_t usd_rate;
    char symbol[INSTRUMENT_SYMBOL_CAP];
    char market_key[INSTRUMENT_SYMBOL_CAP];
    char quote_ccy[INSTRUMENT_CCY_CAP];
};

struct instrument_market {
    uint32_t id;
    uint8_t venue;
    uint8_t n_instruments;   /* 1, or 2 for a complete binary market */
    uint32_t instruments[2]; /* for binaries in registration order */
    const char *key;         /* points into the first instrument's market_key */
};

struct instrument_registry {
    struct instrument *items;
    struct instrument_market *markets;
    uint32_t count;
    uint32_t market_count;
    uint32_t cap;
    uint32_t slots;       /* hash table size, a power of two >= 2 * cap */
    uint32_t *by_symbol;  /* (venue, symbol) -> id + 1, 0 = empty */
    uint32_t *by_market;  /* (venue, market key) -> market + 1 */
};

/* Allocates room for `cap` instruments (and as many markets). Returns 0 or
 * -1 (out of memory / cap 0). The only allocation the registry ever makes. */
int instrument_registry_init(struct instrument_registry *r, uint32_t cap);
void instrument_registry_free(struct instrument_registry *r);

/* Adds an instrument described by `spec` (its id, market and complement are
 * ignored and assigned). Re-adding an identical instrument returns its
 * existing id (registration is idempotent); a conflicting re-add, a full
 * registry, or an invalid spec is an error with a message. For a binary the
 * market key is required and the second outcome added with the same key is
 * linked as the complement of the first (same venue, scales and quote
 * currency required). For other kinds the market key is the symbol. */
int instrument_registry_add(struct instrument_registry *r, const struct instrument *spec,
                            uint32_t *id_out, char *err, size_t errlen);

static inline const struct instrument *instrument_get(const struct instrument_registry *r,
                                                      uint32_t id) {
    return id < r->count ? &r->items[id] : NULL;
}

/* O(1) lookups. Return 0 and set *id, or -1 when unknown. */
int instrument_find(const struct instrument_registry *r, enum venue_id venue, const char *symbol,
                    size_t len, uint32_t *id);
int instrument_find_market(const struct instrument_registry *r, enum venue_id venue,
                           const char *key, size_t len, uint32_t *market);

/* Runtime updates: the quote->USD rate (e.g. EURUSD for IBKR) and the tick
 * (Polymarket changes a market's tick size as its price nears 0 or 1; the
 * new tick must still be representable at the price scale). 0 or -1. */
int instrument_set_usd_rate(struct instrument_registry *r, uint32_t id, int64_t usd_rate);
int instrument_set_tick(struct instrument_registry *r, uint32_t id, int64_t tick);

/* Strict parse of one instrument object (see docs/RISK.md "Instruments"):
 *   {"venue":"polymarket","kind":"binary","symbol":"<token id>","market":"0x<condition id>",
 *    "price_scale":4,"qty_scale":2,"tick":"0.01","lot":"0.01","min_qty":"5",
 *    "min_notional":"0","quote_ccy":"USDC","usd_rate":"1"}
 * `path` names the object in errors. 0 or -1 with err set. */
int instrument_from_json(const json_t *obj, const char *path, struct instrument *out, char *err,
                         size_t errlen);

const char *venue_name(enum venue_id v);
int venue_from_name(const char *name, enum venue_id *out);
const char *instrument_kind_name(enum instrument_kind k);

#endif
