/* bn_filter.c - see bn_filter.h.  Rules from filters.md: any bound set to
 * 0 disables that check. */
#include "venues/binance/bn_filter.h"

#include <stdio.h>

#include "core/money.h"

int bn_filter_check(const struct bn_filters *f, int64_t px, int64_t qty, unsigned price_scale,
                    unsigned qty_scale, int open_orders, char *why, size_t cap)
{
    char a[MONEY_FMT_MAX], b[MONEY_FMT_MAX];
    if (!f->trading) {
        snprintf(why, cap, "symbol %s is not TRADING", f->symbol);
        return -1;
    }
    if (px <= 0 || (f->min_px > 0 && px < f->min_px) || (f->max_px > 0 && px > f->max_px) ||
        (f->tick > 0 && (px - f->min_px) % f->tick != 0)) {
        money_format(px, price_scale, a, sizeof a);
        money_format(f->tick, price_scale, b, sizeof b);
        snprintf(why, cap, "Filter failure: PRICE_FILTER (price %s, tick %s)", a, b);
        return -1;
    }
    if (qty <= 0 || (f->min_qty > 0 && qty < f->min_qty) || (f->max_qty > 0 && qty > f->max_qty) ||
        (f->step > 0 && (qty - f->min_qty) % f->step != 0)) {
        money_format(qty, qty_scale, a, sizeof a);
        money_format(f->min_qty, qty_scale, b, sizeof b);
        snprintf(why, cap, "Filter failure: LOT_SIZE (quantity %s, min %s)", a, b);
        return -1;
    }
    /* notional at scale 8, rounded down: a value just under the minimum
     * must fail, as it does at the venue. */
    int64_t notional = 0;
    if (money_mul(px, price_scale, qty, qty_scale, 8, MONEY_ROUND_FLOOR, &notional) != MONEY_OK) {
        snprintf(why, cap, "Filter failure: NOTIONAL (overflow)");
        return -1;
    }
    if ((f->min_notional > 0 && notional < f->min_notional) ||
        (f->max_notional > 0 && notional > f->max_notional)) {
        money_format(notional, 8, a, sizeof a);
        money_format(f->min_notional, 8, b, sizeof b);
        snprintf(why, cap, "Filter failure: NOTIONAL (notional %s, min %s)", a, b);
        return -1;
    }
    if (f->max_num_orders > 0 && open_orders >= f->max_num_orders) {
        snprintf(why, cap, "Filter failure: MAX_NUM_ORDERS (%d open)", open_orders);
        return -1;
    }
    return 0;
}
