/* ipc_text.c - see ipc_text.h. */
#include "ipc/ipc_text.h"

#include "ipc/ipc_msg.h"

#include <stdint.h>

bool ipc_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0) lo = 0xa0;      /* overlong */
            if (c == 0xed) hi = 0x9f;      /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0) lo = 0x90;      /* overlong */
            if (c == 0xf4) hi = 0x8f;      /* above U+10FFFF */
        } else {
            return false;
        }
        if (n - i <= need) return false;
        if (p[i + 1] < lo || p[i + 1] > hi) return false;
        for (size_t k = 2; k <= need; k++)
            if ((p[i + k] & 0xc0) != 0x80) return false;
        i += need + 1;
    }
    return true;
}

bool ipc_ident_valid(const char *p, size_t n) {
    if (n == 0 || n > IPC_MAX_IDENT) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool ipc_decimal_valid(const char *p, size_t n, bool allow_sign) {
    if (n == 0 || n > IPC_MAX_DEC) return false;
    size_t i = 0;
    if (p[0] == '-') {
        if (!allow_sign) return false;
        i = 1;
    }
    size_t int_digits = 0;
    while (i < n && is_digit(p[i])) { i++; int_digits++; }
    if (int_digits == 0) return false;
    if (i == n) return true;
    if (p[i] != '.') return false;
    i++;
    size_t frac_digits = 0;
    while (i < n && is_digit(p[i])) { i++; frac_digits++; }
    return frac_digits > 0 && i == n;
}
