/* ibkr_pace.c - see ibkr_pace.h. */
#include "venues/ibkr/ibkr_pace.h"

#include <string.h>

int ibkr_pace_init(struct ibkr_pace *p, int limit, int64_t window_ns)
{
    if (limit < 1 || limit > IBKR_PACE_MAX || window_ns <= 0)
        return -1;
    memset(p, 0, sizeof *p);
    p->limit = limit;
    p->window_ns = window_ns;
    return 0;
}

int64_t ibkr_pace_take(struct ibkr_pace *p, int64_t now_ns)
{
    if (p->count == p->limit) {
        /* the oldest of the last `limit` sends must have left the window */
        int64_t oldest = p->sent[p->head];
        int64_t wait = oldest + p->window_ns - now_ns;
        if (wait > 0)
            return wait;
        p->head = (p->head + 1) % p->limit;
        p->count--;
    }
    p->sent[(p->head + p->count) % p->limit] = now_ns;
    p->count++;
    return 0;
}

int ibkr_pace_in_window(const struct ibkr_pace *p, int64_t now_ns)
{
    int n = 0;
    for (int i = 0; i < p->count; i++)
        if (p->sent[(p->head + i) % p->limit] > now_ns - p->window_ns)
            n++;
    return n;
}
