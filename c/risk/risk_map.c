/* risk_map.c -- see risk_map.h. */
#include "risk/risk_map.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64 finalizer: reservation ids are sequential, so spread them. */
static uint32_t slot_of(const struct risk_map *m, uint64_t key) {
    uint64_t z = key + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (uint32_t)z & (m->cap - 1);
}

int risk_map_init(struct risk_map *m, uint32_t max_entries) {
    memset(m, 0, sizeof *m);
    if (max_entries == 0 || max_entries > (1u << 28)) return -1;
    uint32_t cap = 16;
    while (cap < 2 * max_entries) cap <<= 1;
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    if (!m->keys || !m->vals) {
        risk_map_free(m);
        return -1;
    }
    m->cap = cap;
    return 0;
}

void risk_map_free(struct risk_map *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

int risk_map_get(const struct risk_map *m, uint64_t key, uint32_t *val) {
    if (key == 0 || m->cap == 0) return -1;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = slot_of(m, key);; i = (i + 1) & mask) {
        if (m->keys[i] == 0) return -1;
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 0;
        }
    }
}

int risk_map_put(struct risk_map *m, uint64_t key, uint32_t val) {
    if (key == 0 || m->cap == 0) return -1;
    uint32_t mask = m->cap - 1;
    for (uint32_t i = slot_of(m, key);; i = (i + 1) & mask) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
        if (m->keys[i] == 0) {
            /* Keep the table at most half full so probes stay short. */
            if (m->count + 1 > m->cap / 2) return -1;
            m->keys[i] = key;
            m->vals[i] = val;
            m->count++;
            return 0;
        }
    }
}

int risk_map_del(struct risk_map *m, uint64_t key) {
    if (key == 0 || m->cap == 0) return -1;
    uint32_t mask = m->cap - 1;
    uint32_t i = slot_of(m, key);
    for (;; i = (i + 1) & mask) {
        if (m->keys[i] == 0) return -1;
        if (m->keys[i] == key) break;
    }
    /* Backward-shift: pull later members of the probe run into the hole
     * when their home slot does not lie (cyclically) between hole and them. */
    uint32_t hole = i;
    for (uint32_t j = (hole + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
        uint32_t home = slot_of(m, m->keys[j]);
        uint32_t dist_home = (j - home) & mask;
        uint32_t dist_hole = (j - hole) & mask;
        if (dist_home >= dist_hole) {
            m->keys[hole] = m->keys[j];
            m->vals[hole] = m->vals[j];
            hole = j;
        }
    }
    m->keys[hole] = 0;
    m->vals[hole] = 0;
    m->count--;
    return 0;
}

int risk_dedupe_init(struct risk_dedupe *d, uint32_t cap) {
    memset(d, 0, sizeof *d);
    if (risk_map_init(&d->map, cap) != 0) return -1;
    d->ring = calloc(cap, sizeof *d->ring);
    if (!d->ring) {
        risk_map_free(&d->map);
        return -1;
    }
    d->cap = cap;
    return 0;
}

void risk_dedupe_free(struct risk_dedupe *d) {
    risk_map_free(&d->map);
    free(d->ring);
    memset(d, 0, sizeof *d);
}

int risk_dedupe_contains(const struct risk_dedupe *d, uint64_t key) {
    uint32_t unused;
    return risk_map_get(&d->map, key ? key : 1, &unused) == 0;
}

void risk_dedupe_insert(struct risk_dedupe *d, uint64_t key) {
    if (key == 0) key = 1;
    if (risk_dedupe_contains(d, key)) return;
    if (d->count == d->cap) {
        risk_map_del(&d->map, d->ring[d->pos]);
        d->count--;
    }
    d->ring[d->pos] = key;
    d->pos = (d->pos + 1) % d->cap;
    d->count++;
    risk_map_put(&d->map, key, 0);
}

uint64_t risk_hash_str(uint64_t seed, const char *s) {
    uint64_t h = 1469598103934665603ULL ^ (seed * 0x100000001b3ULL);
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}
