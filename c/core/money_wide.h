/* money_wide.h -- 128-bit helpers shared by money.c and the risk engine.
 *
 * Kept as static inline functions so the risk check path can fold several
 * products and one rounding into straight-line code. Every helper is exact
 * and reports overflow instead of wrapping. */
#ifndef TRADER_CORE_MONEY_WIDE_H
#define TRADER_CORE_MONEY_WIDE_H

#include <stdint.h>

#include "core/money.h"

__extension__ typedef __int128 money_i128;

/* |int64| <= 2^63 and 10^19 < 2^64, so any int64 times 10^19 still fits in
 * 127 bits; the helpers below cap powers at 10^38 and check products. */
#define MONEY_I128_MAX ((money_i128)(((unsigned __int128)1 << 127) - 1))

static inline money_i128 money_i128_pow10(unsigned k) {
    money_i128 p = 1;
    while (k >= 9) { p *= 1000000000; k -= 9; }
    while (k > 0) { p *= 10; k--; }
    return p;
}

/* n / d rounded as asked; d != 0. The quotient of two i128 can only
 * overflow for MIN / -1, which the callers never produce (they stay within
 * +-2^126). */
static inline money_i128 money_i128_div_round(money_i128 n, money_i128 d, enum money_rounding r) {
    if (d < 0) { n = -n; d = -d; }
    money_i128 q = n / d; /* truncates toward zero */
    money_i128 rem = n % d;
    if (rem == 0) return q;
    switch (r) {
    case MONEY_ROUND_FLOOR:
        return n < 0 ? q - 1 : q;
    case MONEY_ROUND_CEIL:
        return n > 0 ? q + 1 : q;
    case MONEY_ROUND_HALF_EVEN: {
        money_i128 arem = rem < 0 ? -rem : rem;
        money_i128 twice = arem * 2; /* arem < d <= 2^126, fits */
        int away = twice > d || (twice == d && (q % 2) != 0);
        if (!away) return q;
        return n < 0 ? q - 1 : q + 1;
    }
    }
    return q;
}

static inline int money_i128_to_i64(money_i128 v, int64_t *out) {
    if (v > INT64_MAX || v < -INT64_MAX) return MONEY_ERR_OVERFLOW;
    *out = (int64_t)v;
    return MONEY_OK;
}

/* Products of two int64 always fit; the product with a power of ten is
 * checked against the i128 range first. */
static inline int money_i128_mul_pow10(money_i128 v, unsigned k, money_i128 *out) {
    if (k > 38) return MONEY_ERR_OVERFLOW;
    money_i128 p = money_i128_pow10(k);
    money_i128 av = v < 0 ? -v : v;
    if (av != 0 && av > MONEY_I128_MAX / p) return MONEY_ERR_OVERFLOW;
    *out = v * p;
    return MONEY_OK;
}

#endif
