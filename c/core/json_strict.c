/* json_strict.c -- strict configuration readers; see json_strict.h. */
#include "core/json_strict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"

void js_path_join(char *buf, size_t cap, const char *path, const char *key) {
    if (cap == 0) return;
    if (path == NULL || path[0] == '\0')
        snprintf(buf, cap, "%s", key ? key : "");
    else if (key == NULL || key[0] == '\0')
        snprintf(buf, cap, "%s", path);
    else
        snprintf(buf, cap, "%s.%s", path, key);
}

int js_errorf(char *err, size_t errlen, const char *path, const char *key, const char *fmt, ...) {
    if (err == NULL || errlen == 0) return -1;
    char where[256];
    js_path_join(where, sizeof where, path, key);
    int n = snprintf(err, errlen, "%s: ", where[0] ? where : "(root)");
    if (n < 0 || (size_t)n >= errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown type";
}

int js_check_object(const json_t *obj, const char *path, const char *const *allowed, char *err,
                    size_t errlen) {
    if (!json_is_object(obj))
        return js_errorf(err, errlen, path, NULL, "expected an object, got %s",
                         obj ? type_name(obj) : "nothing");
    const char *key;
    json_t *value;
    /* jansson's iteration macros take a non-const object. */
    json_object_foreach((json_t *)obj, key, value) {
        (void)value;
        int known = 0;
        for (const char *const *a = allowed; a && *a; a++) {
            if (strcmp(*a, key) == 0) { known = 1; break; }
        }
        if (!known) return js_errorf(err, errlen, path, key, "unknown key");
    }
    return 0;
}

/* Looks a member up; absent or null -> *v = NULL. */
static int member(const json_t *obj, const char *path, const char *key, enum js_need need,
                  const json_t **v, bool *present, char *err, size_t errlen) {
    const json_t *m = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (m != NULL && json_is_null(m)) m = NULL;
    if (present) *present = m != NULL;
    if (m == NULL && need == JS_REQUIRED)
        return js_errorf(err, errlen, path, key, "required key is missing");
    *v = m;
    return 0;
}

int js_get_object(const json_t *obj, const char *path, const char *key, enum js_need need,
                  const json_t **out, bool *present, char *err, size_t errlen) {
    const json_t *v = NULL;
    if (member(obj, path, key, need, &v, present, err, errlen) != 0) return -1;
    if (v == NULL) return 0;
    if (!json_is_object(v))
        return js_errorf(err, errlen, path, key, "expected an object, got %s", type_name(v));
    *out = v;
    return 0;
}

int js_get_int(const json_t *obj, const char *path, const char *key, enum js_need need,
               int64_t min, int64_t max, int64_t *out, bool *present, char *err, size_t errlen) {
    const json_t *v = NULL;
    if (member(obj, path, key, need, &v, present, err, errlen) != 0) return -1;
    if (v == NULL) return 0;
    if (!json_is_integer(v))
        return js_errorf(err, errlen, path, key, "expected an integer, got %s", type_name(v));
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return js_errorf(err, errlen, path, key, "%lld is out of range [%lld, %lld]",
                         (long long)i, (long long)min, (long long)max);
    *out = (int64_t)i;
    return 0;
}

int js_get_bool(const json_t *obj, const char *path, const char *key, enum js_need need,
                bool *out, bool *present, char *err, size_t errlen) {
    const json_t *v = NULL;
    if (member(obj, path, key, need, &v, present, err, errlen) != 0) return -1;
    if (v == NULL) return 0;
    if (!json_is_boolean(v))
        return js_errorf(err, errlen, path, key, "expected true or false, got %s", type_name(v));
    *out = json_is_true(v);
    return 0;
}

int js_get_string(const json_t *obj, const char *path, const char *key, enum js_need need,
                  bool allow_empty, char *buf, size_t cap, bool *present, char *err,
                  size_t errlen) {
    const json_t *v = NULL;
    if (member(obj, path, key, need, &v, present, err, errlen) != 0) return -1;
    if (v == NULL) return 0;
    if (!json_is_string(v))
        return js_errorf(err, errlen, path, key, "expected a string, got %s", type_name(v));
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len == 0 && !allow_empty)
        return js_errorf(err, errlen, path, key, "must not be empty");
    if (memchr(s, '\0', len) != NULL)
        return js_errorf(err, errlen, path, key, "contains a NUL byte");
    if (len + 1 > cap)
        return js_errorf(err, errlen, path, key, "longer than %zu characters", cap - 1);
    memcpy(buf, s, len + 1);
    return 0;
}

int js_get_enum(const json_t *obj, const char *path, const char *key, enum js_need need,
                const char *const *names, int count, int *out, bool *present, char *err,
                size_t errlen) {
    const json_t *v = NULL;
    if (member(obj, path, key, need, &v, present, err, errlen) != 0) return -1;
    if (v == NULL) return 0;
    if (!json_is_string(v))
        return js_errorf(err, errlen, path, key, "expected a string, got %s", type_name(v));
    const char *s = json_string_value(v);
    for (int i = 0; i < count; i++) {
        if (names[i] && strcmp(names[i], s) == 0) { *out = i; return 0; }
    }
    char choices[256];
    size_t n = 0;
    choices[0] = '\0';
    for (int i = 0; i < count && n < sizeof choices; i++) {
        if (!names[i]) continue;
        int w = snprintf(choices + n, sizeof choices - n, "%s%s", n ? ", " : "", names[i]);
        if (w < 0) break;
        n += (size_t)w;
    }
    return js_errorf(err, errlen, path, key, "\"%s\" is not one of: %s", s, choices);
}

int js_decimal_value(const json_t *v, const char *where, unsigned scale, int64_t min, int64_t max,
                     int64_t *out, char *err, size_t errlen) {
    int64_t val;
    if (json_is_integer(v)) {
        int rc = money_rescale((int64_t)json_integer_value(v), 0, scale, MONEY_ROUND_FLOOR, &val);
        if (rc != MONEY_OK)
            return js_errorf(err, errlen, where, NULL, "%s", money_strerror(rc));
    } else if (json_is_string(v)) {
        int rc = money_parse(json_string_value(v), json_string_length(v), scale, &val);
        if (rc != MONEY_OK)
            return js_errorf(err, errlen, where, NULL, "\"%s\": %s (at most %u decimals)",
                             json_string_value(v), money_strerror(rc), scale);
    } else if (json_is_real(v)) {
        return js_errorf(err, errlen, where, NULL,
                         "expected a decimal string or integer, got a real number "
                         "(write it as a string, e.g. \"%.2f\", floats do not hold decimals "
                         "exactly)",
                         json_real_value(v));
    } else {
        return js_errorf(err, errlen, where, NULL, "expected a decimal string or integer, got %s",
                         type_name(v));
    }
    if (val < min || val > max) {
        char a[MONEY_FMT_MAX], lo[MONEY_FMT_MAX], hi[MONEY_FMT_MAX];
        money_format(val, scale, a, sizeof a);
        money_format(min, scale, lo, sizeof lo);
        money_format(max, scale, hi, sizeof hi);
        return js_errorf(err, errlen, where, NULL, "%s is out of range [%s, %s]", a, lo, hi);
    }
    *out = val;
    return 0;
}

int js_get_decimal(const json_t *obj, const char *path, const char *key, enum js_need need,
                   unsigned scale, int64_t min, int64_t max, int64_t *out, bool *present,
                   char *err, size_t errlen) {
    const json_t *v = NULL;
    if (member(obj, path, key, need, &v, present, err, errlen) != 0) return -1;
    if (v == NULL) return 0;
    char where[256];
    js_path_join(where, sizeof where, path, key);
    return js_decimal_value(v, where, scale, min, max, out, err, errlen);
}
