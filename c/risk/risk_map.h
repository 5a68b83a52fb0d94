/* risk_map.h -- fixed capacity uint64 -> uint32 hash map (linear probing,
 * backward-shift deletion, no tombstones). Sized once; never allocates
 * after init. Key 0 is reserved for "empty". */
#ifndef TRADER_RISK_MAP_H
#define TRADER_RISK_MAP_H

#include <stdint.h>

struct risk_map {
    uint64_t *keys;
    uint32_t *vals;
    uint32_t cap; /* power of two, at least twice the entries it may hold */
    uint32_t count;
};

int risk_map_init(struct risk_map *m, uint32_t max_entries);
void risk_map_free(struct risk_map *m);
/* 0 and *val set when found, -1 otherwise. */
int risk_map_get(const struct risk_map *m, uint64_t key, uint32_t *val);
/* Inserts or overwrites. -1 when key is 0 or the map is at capacity. */
int risk_map_put(struct risk_map *m, uint64_t key, uint32_t val);
/* 0 when removed, -1 when absent. */
int risk_map_del(struct risk_map *m, uint64_t key);

/* Bounded set of recently seen 64-bit keys: inserting into a full set
 * forgets the oldest key. Used to ignore duplicate fills. */
struct risk_dedupe {
    struct risk_map map;
    uint64_t *ring;
    uint32_t cap;
    uint32_t pos;
    uint32_t count;
};

int risk_dedupe_init(struct risk_dedupe *d, uint32_t cap);
void risk_dedupe_free(struct risk_dedupe *d);
int risk_dedupe_contains(const struct risk_dedupe *d, uint64_t key);
void risk_dedupe_insert(struct risk_dedupe *d, uint64_t key);

uint64_t risk_hash_str(uint64_t seed, const char *s);

#endif
