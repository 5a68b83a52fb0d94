/* order_table.c - see order_table.h. */
#include "app/order_table.h"

#include <stdlib.h>
#include <string.h>

static uint32_t slot_of(uint64_t res, uint32_t mask)
{
    res ^= res >> 33;
    res *= 0xff51afd7ed558ccdULL;
    res ^= res >> 33;
    return (uint32_t)res & mask;
}

int order_table_init(struct order_table *t, uint32_t cap)
{
    if (cap < 16 || (cap & (cap - 1)) != 0)
        return -1;
    t->slots = calloc(cap, sizeof *t->slots);
    if (t->slots == NULL)
        return -1;
    t->mask = cap - 1;
    t->count = 0;
    return 0;
}

void order_table_free(struct order_table *t)
{
    free(t->slots);
    t->slots = NULL;
}

struct app_order *order_table_get(struct order_table *t, uint64_t res)
{
    if (res == 0)
        return NULL;
    for (uint32_t i = slot_of(res, t->mask);; i = (i + 1) & t->mask) {
        if (t->slots[i].res == res)
            return &t->slots[i];
        if (t->slots[i].res == 0)
            return NULL;
    }
}

struct app_order *order_table_put(struct order_table *t, const struct app_order *o)
{
    if (o->res == 0 || (uint64_t)(t->count + 1) * 4 > (uint64_t)(t->mask + 1) * 3)
        return NULL;
    uint32_t i = slot_of(o->res, t->mask);
    while (t->slots[i].res != 0 && t->slots[i].res != o->res)
        i = (i + 1) & t->mask;
    if (t->slots[i].res == 0)
        t->count++;
    t->slots[i] = *o;
    return &t->slots[i];
}

void order_table_del(struct order_table *t, uint64_t res)
{
    struct app_order *o = order_table_get(t, res);
    if (o == NULL)
        return;
    uint32_t hole = (uint32_t)(o - t->slots);
    memset(&t->slots[hole], 0, sizeof t->slots[hole]);
    t->count--;
    /* Backward shift: move later members of the probe run into the hole
     * when their home slot does not lie strictly between hole and them. */
    for (uint32_t j = (hole + 1) & t->mask; t->slots[j].res != 0; j = (j + 1) & t->mask) {
        uint32_t home = slot_of(t->slots[j].res, t->mask);
        bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        t->slots[hole] = t->slots[j];
        memset(&t->slots[j], 0, sizeof t->slots[j]);
        hole = j;
    }
}
