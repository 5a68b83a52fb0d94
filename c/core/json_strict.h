/* json_strict.h -- strict readers for configuration objects (jansson).
 *
 * Configuration mistakes must fail loudly: an unknown key (a typo such as
 * "max_exposure_uds") or a wrong type is an error that names the key's full
 * path, e.g.
 *   risk.venues.binance.max_order_notional_usd: expected a decimal string or integer
 *
 * Conventions for every reader:
 *  - `path` is the dotted path of `obj` itself ("" for the root), `key` is
 *    the member read; errors print "<path>.<key>: <problem>";
 *  - return 0 on success, -1 on error (err filled, *out untouched);
 *  - an optional member that is absent (or JSON null) returns 0 and leaves
 *    *out untouched, so callers pre-fill defaults; `present` (may be NULL)
 *    tells which happened;
 *  - decimal amounts are JSON strings ("10.50") or integers (10); JSON reals
 *    (10.5) are rejected because a binary float cannot hold most decimal
 *    prices exactly.
 * Load files with JSON_REJECT_DUPLICATES so a repeated key is an error too. */
#ifndef TRADER_CORE_JSON_STRICT_H
#define TRADER_CORE_JSON_STRICT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum js_need { JS_OPTIONAL = 0, JS_REQUIRED = 1 };

/* Writes "<path>.<key>" (or "<key>" when path is empty) into buf. */
void js_path_join(char *buf, size_t cap, const char *path, const char *key);

/* printf-style error prefixed with "<path>.<key>: ". Always returns -1. */
int js_errorf(char *err, size_t errlen, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* obj must be an object whose keys are all in `allowed` (NULL terminated). */
int js_check_object(const json_t *obj, const char *path, const char *const *allowed, char *err,
                    size_t errlen);

/* Member that must be an object (e.g. a nested section). */
int js_get_object(const json_t *obj, const char *path, const char *key, enum js_need need,
                  const json_t **out, bool *present, char *err, size_t errlen);

int js_get_int(const json_t *obj, const char *path, const char *key, enum js_need need,
               int64_t min, int64_t max, int64_t *out, bool *present, char *err, size_t errlen);

int js_get_bool(const json_t *obj, const char *path, const char *key, enum js_need need,
                bool *out, bool *present, char *err, size_t errlen);

/* Copies a string member into buf (NUL terminated). Too long, empty (when
 * allow_empty is false) or containing NUL is an error. */
int js_get_string(const json_t *obj, const char *path, const char *key, enum js_need need,
                  bool allow_empty, char *buf, size_t cap, bool *present, char *err,
                  size_t errlen);

/* String member that must equal one of names[0..count-1]; *out = its index. */
int js_get_enum(const json_t *obj, const char *path, const char *key, enum js_need need,
                const char *const *names, int count, int *out, bool *present, char *err,
                size_t errlen);

/* Decimal amount at `scale` within [min, max] (mantissas at that scale). */
int js_get_decimal(const json_t *obj, const char *path, const char *key, enum js_need need,
                   unsigned scale, int64_t min, int64_t max, int64_t *out, bool *present,
                   char *err, size_t errlen);

/* Same, for a value that is not an object member (array element etc.);
 * `where` is its full path. */
int js_decimal_value(const json_t *v, const char *where, unsigned scale, int64_t min, int64_t max,
                     int64_t *out, char *err, size_t errlen);

#endif
