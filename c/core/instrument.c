/* instrument.c -- fixed capacity instrument registry with hash lookups. */
#include "core/instrument.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_strict.h"
#include "core/money.h"

static const char *const venue_names[VENUE_COUNT] = {"paper", "binance", "ibkr", "polymarket"};
static const char *const kind_names[INSTRUMENT_KIND_COUNT] = {"spot", "stock", "fx", "binary"};

const char *venue_name(enum venue_id v) {
    return (unsigned)v < VENUE_COUNT ? venue_names[v] : "unknown";
}

int venue_from_name(const char *name, enum venue_id *out) {
    for (int i = 0; i < VENUE_COUNT; i++) {
        if (strcmp(venue_names[i], name) == 0) { *out = (enum venue_id)i; return 0; }
    }
    return -1;
}

const char *instrument_kind_name(enum instrument_kind k) {
    return (unsigned)k < INSTRUMENT_KIND_COUNT ? kind_names[k] : "unknown";
}

/* FNV-1a over the venue byte then the key bytes. */
static uint64_t key_hash(uint8_t venue, const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ venue) * 1099511628211ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

int instrument_registry_init(struct instrument_registry *r, uint32_t cap) {
    memset(r, 0, sizeof *r);
    if (cap == 0 || cap > (1u << 24)) return -1;
    uint32_t slots = 16;
    while (slots < 2 * cap) slots <<= 1;
    r->items = calloc(cap, sizeof *r->items);
    r->markets = calloc(cap, sizeof *r->markets);
    r->by_symbol = calloc(slots, sizeof *r->by_symbol);
    r->by_market = calloc(slots, sizeof *r->by_market);
    if (!r->items || !r->markets || !r->by_symbol || !r->by_market) {
        instrument_registry_free(r);
        return -1;
    }
    r->cap = cap;
    r->slots = slots;
    return 0;
}

void instrument_registry_free(struct instrument_registry *r) {
    free(r->items);
    free(r->markets);
    free(r->by_symbol);
    free(r->by_market);
    memset(r, 0, sizeof *r);
}

/* Linear probing; the tables are at most half full so probes stay short.
 * Returns the slot holding the key, or the empty slot where it would go. */
static uint32_t probe_symbol(const struct instrument_registry *r, uint8_t venue, const char *s,
                             size_t len) {
    uint32_t mask = r->slots - 1;
    uint32_t i = (uint32_t)key_hash(venue, s, len) & mask;
    for (;;) {
        uint32_t e = r->by_symbol[i];
        if (e == 0) return i;
        const struct instrument *in = &r->items[e - 1];
        if (in->venue == venue && strlen(in->symbol) == len && memcmp(in->symbol, s, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static uint32_t probe_market(const struct instrument_registry *r, uint8_t venue, const char *s,
                             size_t len) {
    uint32_t mask = r->slots - 1;
    uint32_t i = (uint32_t)key_hash(venue, s, len) & mask;
    for (;;) {
        uint32_t e = r->by_market[i];
        if (e == 0) return i;
        const struct instrument_market *m = &r->markets[e - 1];
        if (m->venue == venue && strlen(m->key) == len && memcmp(m->key, s, len) == 0) return i;
        i = (i + 1) & mask;
    }
}

int instrument_find(const struct instrument_registry *r, enum venue_id venue, const char *symbol,
                    size_t len, uint32_t *id) {
    if (r->slots == 0 || symbol == NULL) return -1;
    uint32_t e = r->by_symbol[probe_symbol(r, (uint8_t)venue, symbol, len)];
    if (e == 0) return -1;
    *id = e - 1;
    return 0;
}

int instrument_find_market(const struct instrument_registry *r, enum venue_id venue,
                           const char *key, size_t len, uint32_t *market) {
    if (r->slots == 0 || key == NULL) return -1;
    uint32_t e = r->by_market[probe_market(r, (uint8_t)venue, key, len)];
    if (e == 0) return -1;
    *market = e - 1;
    return 0;
}

static int spec_error(char *err, size_t errlen, const char *symbol, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "instrument %.80s: %s", symbol, msg);
    return -1;
}

static int validate_spec(const struct instrument *s, char *err, size_t errlen) {
    size_t slen = strnlen(s->symbol, sizeof s->symbol);
    if (slen == 0 || slen == sizeof s->symbol)
        return spec_error(err, errlen, "?", "symbol empty or too long");
    if (s->venue >= VENUE_COUNT) return spec_error(err, errlen, s->symbol, "unknown venue");
    if (s->kind >= INSTRUMENT_KIND_COUNT) return spec_error(err, errlen, s->symbol, "unknown kind");
    if (s->price_scale > MONEY_MAX_SCALE || s->qty_scale > MONEY_MAX_SCALE)
        return spec_error(err, errlen, s->symbol, "scale above 18");
    if (s->tick <= 0) return spec_error(err, errlen, s->symbol, "tick must be > 0");
    if (s->lot <= 0) return spec_error(err, errlen, s->symbol, "lot must be > 0");
    if (s->min_qty < 0) return spec_error(err, errlen, s->symbol, "min_qty must be >= 0");
    if (s->min_notional < 0) return spec_error(err, errlen, s->symbol, "min_notional must be >= 0");
    if (s->usd_rate <= 0) return spec_error(err, errlen, s->symbol, "usd_rate must be > 0");
    size_t clen = strnlen(s->quote_ccy, sizeof s->quote_ccy);
    if (clen == 0 || clen == sizeof s->quote_ccy)
        return spec_error(err, errlen, s->symbol, "quote currency empty or too long");
    if (s->kind == INSTRUMENT_BINARY) {
        size_t mlen = strnlen(s->market_key, sizeof s->market_key);
        if (mlen == 0 || mlen == sizeof s->market_key)
            return spec_error(err, errlen, s->symbol, "binary outcome needs a market key");
        /* Binary prices live in (0, 1): 1.0 must be representable. */
        if (s->price_scale > MONEY_MAX_SCALE - 1 || s->tick >= money_pow10(s->price_scale))
            return spec_error(err, errlen, s->symbol, "binary tick must be < 1");
    }
    return 0;
}

/* Same definition as an existing entry? (Makes re-registration idempotent.) */
static int same_spec(const struct instrument *a, const struct instrument *s) {
    return a->venue == s->venue && a->kind == s->kind && a->price_scale == s->price_scale &&
           a->qty_scale == s->qty_scale && a->lot == s->lot && a->min_qty == s->min_qty &&
           a->min_notional == s->min_notional && strcmp(a->quote_ccy, s->quote_ccy) == 0 &&
           (s->kind != INSTRUMENT_BINARY || strcmp(a->market_key, s->market_key) == 0);
}

int instrument_registry_add(struct instrument_registry *r, const struct instrument *spec,
                            uint32_t *id_out, char *err, size_t errlen) {
    if (validate_spec(spec, err, errlen) != 0) return -1;
    size_t slen = strlen(spec->symbol);
    uint32_t sslot = probe_symbol(r, spec->venue, spec->symbol, slen);
    if (r->by_symbol[sslot] != 0) {
        /* Tick and rate are runtime state (they have setters), so a re-add
         * that only differs there is still the same instrument. */
        const struct instrument *old = &r->items[r->by_symbol[sslot] - 1];
        if (!same_spec(old, spec))
            return spec_error(err, errlen, spec->symbol,
                              "already registered with a different definition");
        *id_out = old->id;
        return 0;
    }
    if (r->count == r->cap) return spec_error(err, errlen, spec->symbol, "registry is full");

    const char *mkey = spec->kind == INSTRUMENT_BINARY ? spec->market_key : spec->symbol;
    size_t mlen = strlen(mkey);
    uint32_t mslot = probe_market(r, spec->venue, mkey, mlen);
    struct instrument_market *m = NULL;
    if (r->by_market[mslot] != 0) {
        m = &r->markets[r->by_market[mslot] - 1];
        const struct instrument *first = &r->items[m->instruments[0]];
        if (spec->kind != INSTRUMENT_BINARY || first->kind != INSTRUMENT_BINARY)
            return spec_error(err, errlen, spec->symbol, "market key already used by another instrument");
        if (m->n_instruments >= 2)
            return spec_error(err, errlen, spec->symbol, "binary market already has two outcomes");
        if (first->qty_scale != spec->qty_scale || first->price_scale != spec->price_scale ||
            strcmp(first->quote_ccy, spec->quote_ccy) != 0)
            return spec_error(err, errlen, spec->symbol,
                              "complement outcome has different scales or quote currency");
    }

    uint32_t id = r->count++;
    struct instrument *in = &r->items[id];
    *in = *spec;
    in->id = id;
    in->complement = INSTRUMENT_NONE;
    if (spec->kind != INSTRUMENT_BINARY) memcpy(in->market_key, in->symbol, slen + 1);
    r->by_symbol[sslot] = id + 1;

    if (m == NULL) {
        uint32_t mid = r->market_count++;
        m = &r->markets[mid];
        m->id = mid;
        m->venue = spec->venue;
        m->n_instruments = 0;
        m->key = in->market_key;
        r->by_market[mslot] = mid + 1;
    } else {
        struct instrument *other = &r->items[m->instruments[0]];
        other->complement = id;
        in->complement = other->id;
    }
    m->instruments[m->n_instruments++] = id;
    in->market = m->id;
    *id_out = id;
    return 0;
}

int instrument_set_usd_rate(struct instrument_registry *r, uint32_t id, int64_t usd_rate) {
    if (id >= r->count || usd_rate <= 0) return -1;
    r->items[id].usd_rate = usd_rate;
    return 0;
}

int instrument_set_tick(struct instrument_registry *r, uint32_t id, int64_t tick) {
    if (id >= r->count || tick <= 0) return -1;
    struct instrument *in = &r->items[id];
    if (in->kind == INSTRUMENT_BINARY && tick >= money_pow10(in->price_scale)) return -1;
    in->tick = tick;
    return 0;
}

static const char *const instrument_keys[] = {
    "venue", "kind", "symbol", "market", "price_scale", "qty_scale", "tick", "lot",
    "min_qty", "min_notional", "quote_ccy", "usd_rate", NULL};

int instrument_from_json(const json_t *obj, const char *path, struct instrument *out, char *err,
                         size_t errlen) {
    struct instrument in;
    memset(&in, 0, sizeof in);
    in.complement = INSTRUMENT_NONE;
    in.usd_rate = money_pow10(INSTRUMENT_RATE_SCALE);
    memcpy(in.quote_ccy, "USD", 4);

    if (js_check_object(obj, path, instrument_keys, err, errlen) != 0) return -1;
    int venue = 0, kind = 0;
    int64_t ps = 0, qs = 0;
    if (js_get_enum(obj, path, "venue", JS_REQUIRED, venue_names, VENUE_COUNT, &venue, NULL, err,
                    errlen) ||
        js_get_enum(obj, path, "kind", JS_REQUIRED, kind_names, INSTRUMENT_KIND_COUNT, &kind,
                    NULL, err, errlen) ||
        js_get_string(obj, path, "symbol", JS_REQUIRED, false, in.symbol, sizeof in.symbol, NULL,
                      err, errlen) ||
        js_get_string(obj, path, "market", kind == INSTRUMENT_BINARY ? JS_REQUIRED : JS_OPTIONAL,
                      false, in.market_key, sizeof in.market_key, NULL, err, errlen) ||
        js_get_int(obj, path, "price_scale", JS_REQUIRED, 0, MONEY_MAX_SCALE - 1, &ps, NULL, err,
                   errlen) ||
        js_get_int(obj, path, "qty_scale", JS_REQUIRED, 0, MONEY_MAX_SCALE, &qs, NULL, err,
                   errlen))
        return -1;
    in.venue = (uint8_t)venue;
    in.kind = (uint8_t)kind;
    in.price_scale = (uint8_t)ps;
    in.qty_scale = (uint8_t)qs;
    if (js_get_decimal(obj, path, "tick", JS_REQUIRED, in.price_scale, 1, INT64_MAX, &in.tick,
                       NULL, err, errlen) ||
        js_get_decimal(obj, path, "lot", JS_REQUIRED, in.qty_scale, 1, INT64_MAX, &in.lot, NULL,
                       err, errlen) ||
        js_get_decimal(obj, path, "min_qty", JS_OPTIONAL, in.qty_scale, 0, INT64_MAX, &in.min_qty,
                       NULL, err, errlen) ||
        js_get_decimal(obj, path, "min_notional", JS_OPTIONAL, INSTRUMENT_QUOTE_SCALE, 0,
                       INT64_MAX, &in.min_notional, NULL, err, errlen) ||
        js_get_string(obj, path, "quote_ccy", JS_OPTIONAL, false, in.quote_ccy,
                      sizeof in.quote_ccy, NULL, err, errlen) ||
        js_get_decimal(obj, path, "usd_rate", JS_OPTIONAL, INSTRUMENT_RATE_SCALE, 1, INT64_MAX,
                       &in.usd_rate, NULL, err, errlen))
        return -1;
    if (validate_spec(&in, err, errlen) != 0) return -1;
    *out = in;
    return 0;
}
