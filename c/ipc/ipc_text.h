/* ipc_text.h - byte-level validators shared by the msgpack pre-scan and the
 * field decoder. Each returns true when the bytes are acceptable. */
#ifndef TRADER_IPC_TEXT_H
#define TRADER_IPC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above
 * U+10FFFF - the same set Python's decoder accepts. */
bool ipc_utf8_valid(const char *p, size_t n);

/* Identifier: 1..IPC_MAX_IDENT bytes of printable ASCII (0x20..0x7e). */
bool ipc_ident_valid(const char *p, size_t n);

/* Decimal string: -?[0-9]+(\.[0-9]+)? of at most IPC_MAX_DEC bytes; the
 * sign only when allow_sign. No exponent, no '+', no spaces. */
bool ipc_decimal_valid(const char *p, size_t n, bool allow_sign);

#endif
