/* ipc_msg.c - small helpers declared in ipc_msg.h. */
#include "ipc/ipc_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ipc_err_set(ipc_err_t *err, int code, const char *field, const char *fmt, ...) {
    if (err == NULL) return;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
}

ipc_str_t ipc_cstr(const char *s) {
    return s ? (ipc_str_t){s, (uint32_t)strlen(s)} : (ipc_str_t){NULL, 0};
}

bool ipc_str_eq(ipc_str_t s, const char *cstr) {
    size_t n = strlen(cstr);
    return s.p != NULL && s.n == n && memcmp(s.p, cstr, n) == 0;
}
