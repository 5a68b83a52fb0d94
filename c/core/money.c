/* money.c -- exact decimal parse/format and checked fixed point arithmetic.
 *
 * Parse and format sit on the IPC hot path (every price and quantity is a
 * decimal string on the wire), so both are single passes over the bytes
 * with no allocation and no locale. */
#include "core/money.h"

#include <string.h>

#include "core/money_wide.h"

static const int64_t pow10_table[MONEY_MAX_SCALE + 1] = {
    1LL,
    10LL,
    100LL,
    1000LL,
    10000LL,
    100000LL,
    1000000LL,
    10000000LL,
    100000000LL,
    1000000000LL,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

int64_t money_pow10(unsigned k) {
    return k <= MONEY_MAX_SCALE ? pow10_table[k] : 0;
}

int money_parse(const char *s, size_t len, unsigned scale, int64_t *out) {
    if (scale > MONEY_MAX_SCALE) return MONEY_ERR_SCALE;
    if (s == NULL || len == 0) return MONEY_ERR_SYNTAX;

    size_t i = 0;
    int negative = 0;
    if (s[0] == '-') { negative = 1; i = 1; }

    /* Accumulate the magnitude in uint64: every step is checked against
     * INT64_MAX so the final cast cannot overflow. */
    uint64_t mag = 0;
    size_t int_digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (mag > ((uint64_t)INT64_MAX - d) / 10) return MONEY_ERR_OVERFLOW;
        mag = mag * 10 + d;
    }
    if (int_digits == 0) return MONEY_ERR_SYNTAX;

    unsigned frac_used = 0;
    if (i < len) {
        if (s[i] != '.') return MONEY_ERR_SYNTAX;
        i++;
        size_t frac_digits = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++) {
            uint64_t d = (uint64_t)(s[i] - '0');
            if (frac_used < scale) {
                if (mag > ((uint64_t)INT64_MAX - d) / 10) return MONEY_ERR_OVERFLOW;
                mag = mag * 10 + d;
                frac_used++;
            } else if (d != 0) {
                return MONEY_ERR_PRECISION;
            }
        }
        if (frac_digits == 0 || i != len) return MONEY_ERR_SYNTAX;
    }

    /* Pad the missing decimals: "0.5" at scale 2 is 50. */
    unsigned pad = scale - frac_used;
    uint64_t p = (uint64_t)pow10_table[pad];
    if (mag > (uint64_t)INT64_MAX / p) return MONEY_ERR_OVERFLOW;
    mag *= p;

    *out = negative ? -(int64_t)mag : (int64_t)mag;
    return MONEY_OK;
}

int money_parse_cstr(const char *s, unsigned scale, int64_t *out) {
    if (s == NULL) return MONEY_ERR_SYNTAX;
    return money_parse(s, strlen(s), scale, out);
}

int money_format(int64_t v, unsigned scale, char *buf, size_t cap) {
    if (scale > MONEY_MAX_SCALE) return MONEY_ERR_SCALE;
    if (v == INT64_MIN) return MONEY_ERR_OVERFLOW;

    /* Digits are produced right to left into a scratch buffer. */
    char tmp[MONEY_FMT_MAX];
    size_t n = 0;
    uint64_t mag = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
    unsigned frac_digits = 0;
    int seen_nonzero_frac = 0;
    for (unsigned k = 0; k < scale; k++) {
        unsigned d = (unsigned)(mag % 10);
        mag /= 10;
        if (d != 0 || seen_nonzero_frac) {
            tmp[n++] = (char)('0' + d);
            seen_nonzero_frac = 1;
            frac_digits++;
        }
    }
    if (frac_digits > 0) tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + (unsigned)(mag % 10));
        mag /= 10;
    } while (mag > 0);
    if (v < 0) tmp[n++] = '-';

    if (n + 1 > cap) return MONEY_ERR_BUFFER;
    for (size_t k = 0; k < n; k++) buf[k] = tmp[n - 1 - k];
    buf[n] = '\0';
    return (int)n;
}

int money_add(int64_t a, int64_t b, int64_t *out) {
    return money_i128_to_i64((money_i128)a + b, out);
}

int money_sub(int64_t a, int64_t b, int64_t *out) {
    return money_i128_to_i64((money_i128)a - b, out);
}

/* Shared tail of rescale/mul/div: v at scale `from` to scale `to`. */
static int rescale_wide(money_i128 v, unsigned from, unsigned to, enum money_rounding r,
                        int64_t *out) {
    if (to >= from) {
        money_i128 w;
        int rc = money_i128_mul_pow10(v, to - from, &w);
        if (rc != MONEY_OK) return rc;
        return money_i128_to_i64(w, out);
    }
    unsigned k = from - to;
    if (k > 38) {
        /* 10^39 exceeds every possible |v|: the result is 0 or +-1. */
        money_i128 q = 0;
        if (v > 0 && r == MONEY_ROUND_CEIL) q = 1;
        if (v < 0 && r == MONEY_ROUND_FLOOR) q = -1;
        return money_i128_to_i64(q, out);
    }
    return money_i128_to_i64(money_i128_div_round(v, money_i128_pow10(k), r), out);
}

int money_rescale(int64_t v, unsigned from, unsigned to, enum money_rounding r, int64_t *out) {
    if (from > MONEY_MAX_SCALE || to > MONEY_MAX_SCALE) return MONEY_ERR_SCALE;
    if (v == INT64_MIN) return MONEY_ERR_OVERFLOW;
    return rescale_wide(v, from, to, r, out);
}

int money_mul(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale,
              enum money_rounding r, int64_t *out) {
    if (as > MONEY_MAX_SCALE || bs > MONEY_MAX_SCALE || out_scale > MONEY_MAX_SCALE)
        return MONEY_ERR_SCALE;
    if (a == INT64_MIN || b == INT64_MIN) return MONEY_ERR_OVERFLOW;
    return rescale_wide((money_i128)a * b, as + bs, out_scale, r, out);
}

int money_div(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale,
              enum money_rounding r, int64_t *out) {
    if (as > MONEY_MAX_SCALE || bs > MONEY_MAX_SCALE || out_scale > MONEY_MAX_SCALE)
        return MONEY_ERR_SCALE;
    if (a == INT64_MIN || b == INT64_MIN) return MONEY_ERR_OVERFLOW;
    if (b == 0) return MONEY_ERR_DIV_ZERO;
    /* a/10^as / (b/10^bs) * 10^os = a * 10^(bs+os) / (b * 10^as). The
     * numerator is range-checked (it fits for bs+os <= 19 whatever a is);
     * the denominator is at most 2^63 * 10^18 < 2^123. */
    money_i128 num;
    int rc = money_i128_mul_pow10(a, bs + out_scale, &num);
    if (rc != MONEY_OK) return rc;
    money_i128 den = (money_i128)b * money_i128_pow10(as);
    return money_i128_to_i64(money_i128_div_round(num, den, r), out);
}

int money_muldiv(int64_t a, int64_t b, int64_t c, enum money_rounding r, int64_t *out) {
    if (a == INT64_MIN || b == INT64_MIN || c == INT64_MIN) return MONEY_ERR_OVERFLOW;
    if (c == 0) return MONEY_ERR_DIV_ZERO;
    return money_i128_to_i64(money_i128_div_round((money_i128)a * b, c, r), out);
}

const char *money_strerror(int status) {
    switch (status) {
    case MONEY_OK: return "ok";
    case MONEY_ERR_SYNTAX: return "not a plain decimal number";
    case MONEY_ERR_PRECISION: return "more decimals than the scale allows";
    case MONEY_ERR_OVERFLOW: return "amount out of range";
    case MONEY_ERR_SCALE: return "scale out of range";
    case MONEY_ERR_DIV_ZERO: return "division by zero";
    case MONEY_ERR_BUFFER: return "buffer too small";
    default: return "unknown money error";
    }
}
