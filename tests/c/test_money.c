/* test_money.c -- exact decimal parse/format and checked arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"

static int64_t parse_ok(const char *s, unsigned scale) {
    int64_t v = 0;
    int rc = money_parse_cstr(s, scale, &v);
    if (rc != MONEY_OK) fail_msg("parse \"%s\" at %u: %s", s, scale, money_strerror(rc));
    return v;
}

static void test_parse_valid(void **state) {
    (void)state;
    assert_int_equal(parse_ok("0.53", 2), 53);
    assert_int_equal(parse_ok("0.53", 8), 53000000);
    assert_int_equal(parse_ok("-12.5", 2), -1250);
    assert_int_equal(parse_ok("100", 0), 100);
    assert_int_equal(parse_ok("100", 8), 10000000000LL);
    assert_int_equal(parse_ok("0.5300", 2), 53); /* extra zeros are fine */
    assert_int_equal(parse_ok("-0", 4), 0);
    assert_int_equal(parse_ok("007.10", 1), 71);
    assert_int_equal(parse_ok("9223372036854775807", 0), INT64_MAX);
    assert_int_equal(parse_ok("-9223372036854775807", 0), -INT64_MAX);
    assert_int_equal(parse_ok("92233720368.54775807", 8), INT64_MAX);
    assert_int_equal(parse_ok("0.000000000000000001", 18), 1);
    /* not NUL terminated: msgpack strings carry a length */
    int64_t v;
    assert_int_equal(money_parse("1.25xyz", 4, 2, &v), MONEY_OK);
    assert_int_equal(v, 125);
}

static void test_parse_invalid(void **state) {
    (void)state;
    const char *syntax[] = {"", "-", ".", ".5", "5.", "+1", " 1", "1 ", "1e5", "1.2.3", "0x10",
                            "1,5", "--1", "1-", "nan", "inf", "١"};
    int64_t v = 77;
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        int rc = money_parse_cstr(syntax[i], 4, &v);
        if (rc != MONEY_ERR_SYNTAX) fail_msg("\"%s\" gave %d", syntax[i], rc);
    }
    assert_int_equal(v, 77); /* untouched on error */
    assert_int_equal(money_parse_cstr("0.531", 2, &v), MONEY_ERR_PRECISION);
    assert_int_equal(money_parse_cstr("0.5301", 2, &v), MONEY_ERR_PRECISION);
    assert_int_equal(money_parse_cstr("9223372036854775808", 0, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_parse_cstr("-9223372036854775808", 0, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_parse_cstr("92233720368.54775808", 8, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_parse_cstr("100000000000", 8, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_parse_cstr("99999999999999999999999", 0, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_parse_cstr("1", 19, &v), MONEY_ERR_SCALE);
    assert_int_equal(money_parse(NULL, 0, 2, &v), MONEY_ERR_SYNTAX);
    assert_int_equal(v, 77);
}

static void fmt_is(int64_t v, unsigned scale, const char *want) {
    char buf[MONEY_FMT_MAX];
    int n = money_format(v, scale, buf, sizeof buf);
    assert_true(n >= 0);
    assert_string_equal(buf, want);
    assert_int_equal((size_t)n, strlen(want));
}

static void test_format(void **state) {
    (void)state;
    fmt_is(53, 2, "0.53");
    fmt_is(-1250, 2, "-12.5");
    fmt_is(10000000000LL, 8, "100");
    fmt_is(0, 8, "0");
    fmt_is(1, 18, "0.000000000000000001");
    fmt_is(INT64_MAX, 0, "9223372036854775807");
    fmt_is(-INT64_MAX, 8, "-92233720368.54775807");
    fmt_is(100, 2, "1");
    fmt_is(-5, 1, "-0.5");
    char small[4];
    assert_int_equal(money_format(12345, 0, small, sizeof small), MONEY_ERR_BUFFER);
    assert_int_equal(money_format(INT64_MIN, 0, small, sizeof small), MONEY_ERR_OVERFLOW);
    /* round trip */
    const char *samples[] = {"0.01", "123.456", "-0.000001", "42", "99999.99999999"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) fmt_is(parse_ok(samples[i], 8), 8, samples[i]);
}

static void test_add_sub_overflow(void **state) {
    (void)state;
    int64_t v = 5;
    assert_int_equal(money_add(INT64_MAX, 1, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_sub(-INT64_MAX, 1, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(v, 5);
    assert_int_equal(money_add(INT64_MAX - 1, 1, &v), MONEY_OK);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(money_sub(-3, 4, &v), MONEY_OK);
    assert_int_equal(v, -7);
}

static void test_mul_rounding(void **state) {
    (void)state;
    int64_t v;
    /* 0.0001 BTC * 50000.01 USDT = 5.000001 */
    assert_int_equal(money_mul(10000, 8, 5000001, 2, 8, MONEY_ROUND_CEIL, &v), MONEY_OK);
    assert_int_equal(v, 500000100);
    /* 1/3-ish products: 0.333 * 0.5 = 0.1665 at scale 3 */
    assert_int_equal(money_mul(333, 3, 5, 1, 3, MONEY_ROUND_FLOOR, &v), MONEY_OK);
    assert_int_equal(v, 166);
    assert_int_equal(money_mul(333, 3, 5, 1, 3, MONEY_ROUND_CEIL, &v), MONEY_OK);
    assert_int_equal(v, 167);
    assert_int_equal(money_mul(333, 3, 5, 1, 3, MONEY_ROUND_HALF_EVEN, &v), MONEY_OK);
    assert_int_equal(v, 166); /* 166.5 -> even */
    assert_int_equal(money_mul(335, 3, 5, 1, 3, MONEY_ROUND_HALF_EVEN, &v), MONEY_OK);
    assert_int_equal(v, 168); /* 167.5 -> even */
    /* negatives: floor goes down, ceil goes up */
    assert_int_equal(money_mul(-333, 3, 5, 1, 3, MONEY_ROUND_FLOOR, &v), MONEY_OK);
    assert_int_equal(v, -167);
    assert_int_equal(money_mul(-333, 3, 5, 1, 3, MONEY_ROUND_CEIL, &v), MONEY_OK);
    assert_int_equal(v, -166);
    assert_int_equal(money_mul(-333, 3, 5, 1, 3, MONEY_ROUND_HALF_EVEN, &v), MONEY_OK);
    assert_int_equal(v, -166);
    /* a product far beyond int64 before rounding back still works */
    assert_int_equal(money_mul(INT64_MAX, 18, INT64_MAX, 18, 0, MONEY_ROUND_FLOOR, &v), MONEY_OK);
    assert_int_equal(v, 85);
    assert_int_equal(money_mul(INT64_MAX, 0, 2, 0, 0, MONEY_ROUND_FLOOR, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_mul(INT64_MIN, 0, 1, 0, 0, MONEY_ROUND_FLOOR, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_mul(1, 0, 1, 0, 19, MONEY_ROUND_FLOOR, &v), MONEY_ERR_SCALE);
}

static void test_div_and_rescale(void **state) {
    (void)state;
    int64_t v;
    /* 10 / 3 at scale 2 */
    assert_int_equal(money_div(10, 0, 3, 0, 2, MONEY_ROUND_FLOOR, &v), MONEY_OK);
    assert_int_equal(v, 333);
    assert_int_equal(money_div(10, 0, 3, 0, 2, MONEY_ROUND_CEIL, &v), MONEY_OK);
    assert_int_equal(v, 334);
    assert_int_equal(money_div(-10, 0, 3, 0, 2, MONEY_ROUND_CEIL, &v), MONEY_OK);
    assert_int_equal(v, -333);
    /* 1.5 / 0.25 = 6 */
    assert_int_equal(money_div(15, 1, 25, 2, 0, MONEY_ROUND_FLOOR, &v), MONEY_OK);
    assert_int_equal(v, 6);
    assert_int_equal(money_div(1, 0, 0, 0, 2, MONEY_ROUND_FLOOR, &v), MONEY_ERR_DIV_ZERO);
    assert_int_equal(money_div(INT64_MAX, 0, 1, 18, 2, MONEY_ROUND_FLOOR, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_rescale(12345, 4, 2, MONEY_ROUND_HALF_EVEN, &v), MONEY_OK);
    assert_int_equal(v, 123);
    assert_int_equal(money_rescale(12355, 4, 2, MONEY_ROUND_HALF_EVEN, &v), MONEY_OK);
    assert_int_equal(v, 124);
    assert_int_equal(money_rescale(12345, 2, 4, MONEY_ROUND_FLOOR, &v), MONEY_OK);
    assert_int_equal(v, 1234500);
    assert_int_equal(money_rescale(INT64_MAX, 0, 1, MONEY_ROUND_FLOOR, &v), MONEY_ERR_OVERFLOW);
    assert_int_equal(money_rescale(1, 18, 0, MONEY_ROUND_CEIL, &v), MONEY_OK);
    assert_int_equal(v, 1);
    assert_int_equal(money_muldiv(7, 3, 2, MONEY_ROUND_HALF_EVEN, &v), MONEY_OK);
    assert_int_equal(v, 10); /* 10.5 -> 10 */
    assert_int_equal(money_muldiv(1, 1, 0, MONEY_ROUND_FLOOR, &v), MONEY_ERR_DIV_ZERO);
    assert_int_equal(money_pow10(18), 1000000000000000000LL);
    assert_int_equal(money_pow10(19), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),     cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format),          cmocka_unit_test(test_add_sub_overflow),
        cmocka_unit_test(test_mul_rounding),    cmocka_unit_test(test_div_and_rescale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
