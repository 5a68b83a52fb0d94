/* money.h -- exact fixed point decimal amounts.
 *
 * Every amount is an int64 mantissa plus a decimal scale the caller knows:
 * the value is mantissa / 10^scale. "0.53" at scale 2 is 53, at scale 8 it
 * is 53000000. USD amounts inside the risk engine are usd_t at USD_SCALE (8),
 * i.e. units of 1e-8 USD.
 *
 * Rules that hold for every function here:
 *  - no floating point, no allocation, no global state;
 *  - every operation either produces the exact (or explicitly rounded) result
 *    or returns a negative MONEY_ERR_* code and leaves *out untouched;
 *  - valid mantissas are -INT64_MAX..INT64_MAX: INT64_MIN is never produced
 *    (so negation is always safe) and is rejected as an input;
 *  - products and quotients use 128-bit intermediates, so a*b never wraps
 *    before it is rounded back to 64 bits. */
#ifndef TRADER_CORE_MONEY_H
#define TRADER_CORE_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX_SCALE 18
#define USD_SCALE 8
#define USD_ONE ((int64_t)100000000)

/* Longest formatted amount: '-', 19 digits, '.', NUL, with slack. */
#define MONEY_FMT_MAX 48

typedef int64_t usd_t;

enum money_status {
    MONEY_OK = 0,
    MONEY_ERR_SYNTAX = -1,    /* not a plain decimal: "", "1e5", " 1", "1.", ".5", "+1" */
    MONEY_ERR_PRECISION = -2, /* more non-zero decimals than the scale holds */
    MONEY_ERR_OVERFLOW = -3,  /* result does not fit in -INT64_MAX..INT64_MAX */
    MONEY_ERR_SCALE = -4,     /* scale > MONEY_MAX_SCALE */
    MONEY_ERR_DIV_ZERO = -5,
    MONEY_ERR_BUFFER = -6     /* output buffer too small */
};

/* Rounding of a result that is not exact at the requested scale.
 * FLOOR rounds toward -infinity, CEIL toward +infinity (use CEIL for
 * exposures and costs we must not understate), HALF_EVEN is banker's
 * rounding for bookkeeping where no side should be favoured. */
enum money_rounding {
    MONEY_ROUND_FLOOR = 0,
    MONEY_ROUND_CEIL = 1,
    MONEY_ROUND_HALF_EVEN = 2
};

/* Parses exactly len bytes (no NUL needed; msgpack strings are not
 * terminated). Grammar: -?[0-9]+(\.[0-9]+)?  Extra decimals beyond `scale`
 * are accepted only if they are zeros ("0.5300" at scale 2 is 53). */
int money_parse(const char *s, size_t len, unsigned scale, int64_t *out);
int money_parse_cstr(const char *s, unsigned scale, int64_t *out);

/* Shortest exact form: no trailing fractional zeros, no '.' for integers,
 * "0" for zero. Returns the length written (excluding NUL) or
 * MONEY_ERR_BUFFER / MONEY_ERR_SCALE. */
int money_format(int64_t v, unsigned scale, char *buf, size_t cap);

int money_add(int64_t a, int64_t b, int64_t *out);
int money_sub(int64_t a, int64_t b, int64_t *out);

/* v at scale `from` expressed at scale `to`, rounded when to < from. */
int money_rescale(int64_t v, unsigned from, unsigned to, enum money_rounding r, int64_t *out);

/* (a / 10^as) * (b / 10^bs) expressed at out_scale. */
int money_mul(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale,
              enum money_rounding r, int64_t *out);

/* (a / 10^as) / (b / 10^bs) expressed at out_scale. */
int money_div(int64_t a, unsigned as, int64_t b, unsigned bs, unsigned out_scale,
              enum money_rounding r, int64_t *out);

/* a * b / c on raw mantissas (the caller tracks scales), one rounding. */
int money_muldiv(int64_t a, int64_t b, int64_t c, enum money_rounding r, int64_t *out);

/* 10^k for k <= 18. */
int64_t money_pow10(unsigned k);

const char *money_strerror(int status);

#endif
