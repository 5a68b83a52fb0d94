/* ibkr_wire.c - see ibkr_wire.h. */
#include "venues/ibkr/ibkr_wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void ibkr_buf_reset(struct ibkr_buf *b)
{
    b->len = 0;
    b->frame_at = 0;
    b->bad = false;
}

void ibkr_put_raw(struct ibkr_buf *b, const void *p, size_t n)
{
    if (b->bad || n > sizeof b->data - b->len) {
        b->bad = true;
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void ibkr_frame_begin(struct ibkr_buf *b)
{
    b->frame_at = b->len;
    ibkr_put_raw(b, "\0\0\0\0", 4);
}

int ibkr_frame_end(struct ibkr_buf *b)
{
    if (b->bad)
        return -1;
    size_t n = b->len - b->frame_at - 4;
    unsigned char *p = (unsigned char *)b->data + b->frame_at;
    p[0] = (unsigned char)(n >> 24);
    p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8);
    p[3] = (unsigned char)n;
    return 0;
}

void ibkr_put_text(struct ibkr_buf *b, const char *s)
{
    for (const char *c = s; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            b->bad = true;
    ibkr_put_raw(b, s, strlen(s));
}

void ibkr_put_str(struct ibkr_buf *b, const char *s)
{
    ibkr_put_text(b, s);
    ibkr_put_raw(b, "", 1);
}

void ibkr_put_int(struct ibkr_buf *b, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%" PRId64, v);
    ibkr_put_str(b, tmp);
}

void ibkr_put_dec(struct ibkr_buf *b, int64_t mantissa, unsigned scale)
{
    char tmp[MONEY_FMT_MAX];
    if (money_format(mantissa, scale, tmp, sizeof tmp) < 0) {
        b->bad = true;
        return;
    }
    ibkr_put_str(b, tmp);
}

long ibkr_frame_next(const char *buf, size_t len, const char **payload, size_t *plen)
{
    if (len < 4)
        return 0;
    const unsigned char *p = (const unsigned char *)buf;
    uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (n > IBKR_MAX_PAYLOAD)
        return -1;
    if (len - 4 < n)
        return 0;
    *payload = buf + 4;
    *plen = n;
    return (long)n + 4;
}

int ibkr_split(const char *payload, size_t len, const char **fields, int cap)
{
    if (len == 0 || payload[len - 1] != '\0')
        return -1;
    int n = 0;
    const char *p = payload;
    const char *end = payload + len;
    while (p < end) {
        if (n == cap)
            return -1;
        fields[n++] = p;
        p += strlen(p) + 1;
    }
    return n;
}

int ibkr_parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '\0') {
        *out = 0;
        return 0;
    }
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (*p == '\0')
        return -1;
    uint64_t v = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (v > (UINT64_C(9223372036854775807) - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

bool ibkr_dec_is_unset(const char *s)
{
    return s[0] == '\0' || strcmp(s, "1.7976931348623157E308") == 0 ||
           strcmp(s, "1.7976931348623157e+308") == 0;
}

/* Mantissa digits and a power of ten: s = sign * digits * 10^exp10. */
static int dec_split(const char *s, __int128 *digits, int *exp10, bool *neg)
{
    const char *p = s;
    *neg = false;
    if (*p == '-') {
        *neg = true;
        p++;
    }
    __int128 m = 0;
    int e = 0, nd = 0, before = 0, after = 0;
    bool dot = false;
    for (; *p != '\0' && *p != 'E' && *p != 'e'; p++) {
        if (*p == '.') {
            if (dot)
                return -1;
            dot = true;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        if (dot)
            after++;
        else
            before++;
        if (m == 0 && *p == '0') {
            if (dot)
                e--;
            continue; /* leading zeros carry no digits */
        }
        if (nd >= 36)
            return -1;
        m = m * 10 + (*p - '0');
        nd++;
        if (dot)
            e--;
    }
    if (before == 0 || (dot && after == 0))
        return -1;
    if (*p == 'E' || *p == 'e') {
        p++;
        int esign = 1, ev = 0, edigits = 0;
        if (*p == '+' || *p == '-') {
            esign = *p == '-' ? -1 : 1;
            p++;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++edigits > 4)
                return -1;
            ev = ev * 10 + (*p - '0');
        }
        if (edigits == 0 || *p != '\0')
            return -1;
        e += esign * ev;
    }
    *digits = m;
    *exp10 = e;
    return 0;
}

bool ibkr_dec_valid(const char *s)
{
    if (ibkr_dec_is_unset(s) || strcmp(s, "Infinite") == 0 || strcmp(s, "Infinity") == 0)
        return true;
    __int128 m;
    int e;
    bool neg;
    return dec_split(s, &m, &e, &neg) == 0;
}

int ibkr_parse_dec(const char *s, unsigned scale, enum money_rounding r, int64_t *out)
{
    if (ibkr_dec_is_unset(s))
        return IBKR_DEC_UNSET;
    if (strcmp(s, "Infinite") == 0 || strcmp(s, "Infinity") == 0)
        return IBKR_DEC_INFINITE;
    __int128 m;
    int e;
    bool neg;
    if (scale > MONEY_MAX_SCALE || dec_split(s, &m, &e, &neg) != 0)
        return IBKR_DEC_ERR;
    const __int128 limit = (__int128)INT64_MAX;
    int shift = e + (int)scale;
    int status = IBKR_DEC_OK;
    if (m == 0) {
        *out = 0;
        return IBKR_DEC_OK;
    }
    if (shift >= 0) {
        for (int i = 0; i < shift; i++) {
            if (m > limit)
                return IBKR_DEC_ERR;
            m *= 10;
        }
    } else {
        if (shift < -38)
            shift = -38; /* beyond any int64 mantissa: rounds to 0 or 1 */
        __int128 den = 1;
        for (int i = 0; i < -shift; i++)
            den *= 10;
        __int128 q = m / den, rem = m % den;
        if (rem != 0) {
            status = IBKR_DEC_ROUNDED;
            bool up;
            if (r == MONEY_ROUND_HALF_EVEN)
                up = rem * 2 > den || (rem * 2 == den && (q & 1) != 0);
            else if (r == MONEY_ROUND_CEIL)
                up = !neg;
            else
                up = neg;
            if (up)
                q++;
        }
        m = q;
    }
    if (m > limit)
        return IBKR_DEC_ERR;
    *out = neg ? -(int64_t)m : (int64_t)m;
    return status;
}
