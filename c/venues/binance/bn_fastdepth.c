/* bn_fastdepth.c - see bn_fastdepth.h. */
#include "venues/binance/bn_fastdepth.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/money.h"

struct cur {
    const char *p, *end;
};

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static bool eat(struct cur *c, char ch)
{
    ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string without escapes: [s, s+n). */
static bool str(struct cur *c, const char **s, size_t *n)
{
    if (!eat(c, '"'))
        return false;
    const char *b = c->p;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20)
            return false;
        c->p++;
    }
    if (c->p >= c->end)
        return false;
    *s = b;
    *n = (size_t)(c->p - b);
    c->p++;
    return true;
}

static bool i64(struct cur *c, int64_t *v)
{
    ws(c);
    int64_t x = 0;
    const char *b = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (x > (INT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (*c->p - '0');
        c->p++;
    }
    if (c->p == b)
        return false;
    *v = x;
    return true;
}

static bool key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* [["px","qty"],...] */
static bool levels(struct cur *c, unsigned ps, unsigned qs, struct bn_level *lv, int cap, int *n)
{
    *n = 0;
    if (!eat(c, '['))
        return false;
    if (eat(c, ']'))
        return true;
    do {
        const char *a, *b;
        size_t na, nb;
        if (*n >= cap || !eat(c, '[') || !str(c, &a, &na) || !eat(c, ',') || !str(c, &b, &nb) ||
            !eat(c, ']'))
            return false;
        if (money_parse(a, na, ps, &lv[*n].px) != MONEY_OK ||
            money_parse(b, nb, qs, &lv[*n].qty) != MONEY_OK || lv[*n].px <= 0 || lv[*n].qty < 0)
            return false;
        (*n)++;
    } while (eat(c, ','));
    return eat(c, ']');
}

struct scan {
    unsigned ps, qs;
    struct bn_depth *out;
    struct bn_level *lv;
    int cap;
    bool have_e, have_U, have_u, have_s, have_b, have_a;
};

/* The event object; "data" (the combined envelope) recurses once. */
static bool object(struct cur *c, struct scan *s, int depth)
{
    if (!eat(c, '{'))
        return false;
    if (eat(c, '}'))
        return false;
    do {
        const char *k, *v;
        size_t kn, vn;
        if (!str(c, &k, &kn) || !eat(c, ':'))
            return false;
        ws(c);
        if (kn == 4 && key_is(k, kn, "data") && depth == 0) {
            if (!object(c, s, 1))
                return false;
        } else if (kn == 6 && key_is(k, kn, "stream") && depth == 0) {
            if (!str(c, &v, &vn))
                return false;
        } else if (kn != 1) {
            return false;                 /* an unknown key: leave it to jansson */
        } else if (*k == 'e') {
            if (!str(c, &v, &vn) || !key_is(v, vn, "depthUpdate"))
                return false;
            s->have_e = true;
        } else if (*k == 's') {
            if (!str(c, &v, &vn) || vn >= BN_SYM_CAP)
                return false;
            memcpy(s->out->symbol, v, vn);
            s->out->symbol[vn] = '\0';
            s->have_s = true;
        } else if (*k == 'E' || *k == 'U' || *k == 'u') {
            int64_t x;
            if (!i64(c, &x))
                return false;
            if (*k == 'E')
                s->out->event_ms = x;
            else if (*k == 'U')
                s->out->first_id = (uint64_t)x, s->have_U = true;
            else
                s->out->last_id = (uint64_t)x, s->have_u = true;
        } else if (*k == 'b' && !s->have_a) {
            if (!levels(c, s->ps, s->qs, s->lv, s->cap, &s->out->n_bids))
                return false;
            s->have_b = true;
        } else if (*k == 'a' && s->have_b) {
            if (!levels(c, s->ps, s->qs, s->lv + s->out->n_bids, s->cap - s->out->n_bids,
                        &s->out->n_asks))
                return false;
            s->have_a = true;
        } else {
            return false;
        }
    } while (eat(c, ','));
    return eat(c, '}');
}

int bn_fast_depth_symbol(const char *text, size_t len, char out[BN_SYM_CAP])
{
    /* In a depth frame the only key "s" is the symbol (levels hold no keys;
     * the envelope's key is "stream"); bn_fast_depth checks it again. */
    const char *p = memmem(text, len, "\"s\"", 3);
    if (p == NULL || memmem(text, len, "\"depthUpdate\"", 13) == NULL)
        return BN_FAST_UNHANDLED;
    struct cur c = {p + 3, text + len};
    if (!eat(&c, ':') || !eat(&c, '"'))
        return BN_FAST_UNHANDLED;
    p = c.p;
    const char *end = text + len;
    size_t n = 0;
    while (p + n < end && p[n] != '"' && n < BN_SYM_CAP - 1)
        n++;
    if (p + n >= end || p[n] != '"' || n == 0)
        return BN_FAST_UNHANDLED;
    memcpy(out, p, n);
    out[n] = '\0';
    return BN_FAST_OK;
}

int bn_fast_depth(const char *text, size_t len, unsigned price_scale, unsigned qty_scale,
                  struct bn_depth *out, struct bn_level *lv, int cap)
{
    memset(out, 0, sizeof *out);
    struct scan s = {.ps = price_scale, .qs = qty_scale, .out = out,
                     .lv = lv, .cap = cap};
    struct cur c = {text, text + len};
    if (!object(&c, &s, 0))
        return BN_FAST_UNHANDLED;
    ws(&c);
    if (c.p != c.end || !s.have_e || !s.have_s || !s.have_U || !s.have_u || !s.have_b ||
        !s.have_a || out->last_id < out->first_id)
        return BN_FAST_UNHANDLED;
    return BN_FAST_OK;
}
