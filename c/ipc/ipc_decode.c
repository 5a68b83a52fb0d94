/* ipc_decode.c - msgpack map -> typed message, validating every field.
 *
 * Order of checks (the Python decoder follows the same order so both report
 * the same error for the same bytes): the value must be a map; "t" must be
 * present, a string, and name a message this side accepts; then the entries
 * in wire order (unknown key, wrong type, bad value); then missing required
 * fields in schema order; then the per-type cross-field rules. */
#include "ipc/ipc_codec.h"

#include "ipc/ipc_schema.h"
#include "ipc/ipc_text.h"

#include <string.h>

static const char *kind_word(ipc_kind_t k) {
    switch (k) {
    case IPC_K_UINT: return "an unsigned integer";
    case IPC_K_INT: return "an integer";
    case IPC_K_BOOL: return "a boolean";
    case IPC_K_IDENT: case IPC_K_TEXT: case IPC_K_ENUM: return "a string";
    case IPC_K_UDEC: case IPC_K_SDEC: return "a decimal string";
    case IPC_K_TOPICS: return "an array of strings";
    case IPC_K_MAP: return "a map";
    }
    return "?";
}

static int bad_type(const ipc_field_t *f, ipc_err_t *err) {
    ipc_err_set(err, IPC_E_BAD_TYPE, f->key, "field '%s' must be %s", f->key, kind_word(f->kind));
    return IPC_E_BAD_TYPE;
}

static int bad_value(const ipc_field_t *f, ipc_err_t *err, const char *why) {
    ipc_err_set(err, IPC_E_BAD_VALUE, f->key, "field '%s' %s", f->key, why);
    return IPC_E_BAD_VALUE;
}

static int lookup_name(const char *const *names, int count, const char *p, size_t n) {
    for (int i = 1; i <= count; i++)
        if (strlen(names[i]) == n && memcmp(names[i], p, n) == 0) return i;
    return 0;
}

static int decode_field(const ipc_field_t *f, const msgpack_object *v, char *base,
                        ipc_err_t *err) {
    void *dst = base + f->off;
    switch (f->kind) {
    case IPC_K_UINT:
        if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) return bad_value(f, err, "must be >= 0");
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) return bad_type(f, err);
        *(uint64_t *)dst = v->via.u64;
        break;
    case IPC_K_INT:
        if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            *(int64_t *)dst = v->via.i64;
        } else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            if (v->via.u64 > (uint64_t)INT64_MAX) return bad_value(f, err, "exceeds int64");
            *(int64_t *)dst = (int64_t)v->via.u64;
        } else {
            return bad_type(f, err);
        }
        break;
    case IPC_K_BOOL:
        if (v->type != MSGPACK_OBJECT_BOOLEAN) return bad_type(f, err);
        *(bool *)dst = v->via.boolean;
        break;
    case IPC_K_UDEC:
    case IPC_K_SDEC:
        if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64) {
            ipc_err_set(err, IPC_E_FLOAT_MONEY, f->key,
                        "field '%s' is a float; money and quantities must be decimal strings",
                        f->key);
            return IPC_E_FLOAT_MONEY;
        }
        if (v->type != MSGPACK_OBJECT_STR) return bad_type(f, err);
        if (!ipc_decimal_valid(v->via.str.ptr, v->via.str.size, f->kind == IPC_K_SDEC))
            return bad_value(f, err, f->kind == IPC_K_SDEC
                                         ? "is not a decimal like \"-0.53\""
                                         : "is not an unsigned decimal like \"0.53\"");
        *(ipc_str_t *)dst = (ipc_str_t){v->via.str.ptr, v->via.str.size};
        break;
    case IPC_K_IDENT:
        if (v->type != MSGPACK_OBJECT_STR) return bad_type(f, err);
        if (!ipc_ident_valid(v->via.str.ptr, v->via.str.size))
            return bad_value(f, err, "must be 1..128 printable ASCII characters");
        *(ipc_str_t *)dst = (ipc_str_t){v->via.str.ptr, v->via.str.size};
        break;
    case IPC_K_TEXT:
        if (v->type != MSGPACK_OBJECT_STR) return bad_type(f, err);
        if (v->via.str.size > IPC_MAX_TEXT) return bad_value(f, err, "is longer than 1024 bytes");
        /* UTF-8 validity was checked by the pre-scan */
        *(ipc_str_t *)dst = (ipc_str_t){v->via.str.ptr, v->via.str.size};
        break;
    case IPC_K_ENUM: {
        if (v->type != MSGPACK_OBJECT_STR) return bad_type(f, err);
        int e = lookup_name(f->names, f->count, v->via.str.ptr, v->via.str.size);
        if (e == 0) {
            ipc_err_set(err, IPC_E_BAD_VALUE, f->key, "field '%s' has unknown value '%.*s'",
                        f->key, (int)(v->via.str.size > 32 ? 32 : v->via.str.size),
                        v->via.str.ptr);
            return IPC_E_BAD_VALUE;
        }
        *(int *)dst = e;
        break;
    }
    case IPC_K_TOPICS: {
        if (v->type != MSGPACK_OBJECT_ARRAY) return bad_type(f, err);
        uint32_t mask = 0;
        if (v->via.array.size == 0) return bad_value(f, err, "must not be empty");
        for (uint32_t i = 0; i < v->via.array.size; i++) {
            const msgpack_object *e = &v->via.array.ptr[i];
            if (e->type != MSGPACK_OBJECT_STR) return bad_type(f, err);
            int bit = lookup_name(f->names, f->count, e->via.str.ptr, e->via.str.size);
            if (bit == 0) return bad_value(f, err, "names an unknown topic");
            if (mask & (1u << (bit - 1))) return bad_value(f, err, "repeats a topic");
            mask |= 1u << (bit - 1);
        }
        *(uint32_t *)dst = mask;
        break;
    }
    case IPC_K_MAP:
        if (v->type != MSGPACK_OBJECT_MAP) return bad_type(f, err);
        *(const msgpack_object **)dst = v;
        break;
    }
    if (f->has_off >= 0) *(bool *)(base + f->has_off) = true;
    return IPC_OK;
}

static bool key_is(const msgpack_object *k, const char *s) {
    size_t n = strlen(s);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, s, n) == 0;
}

bool ipc_peek_id(const msgpack_object *obj, uint64_t *id) {
    if (obj->type != MSGPACK_OBJECT_MAP) return false;
    for (uint32_t i = 0; i < obj->via.map.size; i++) {
        const msgpack_object_kv *kv = &obj->via.map.ptr[i];
        if (key_is(&kv->key, "id") && kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            *id = kv->val.via.u64;
            return true;
        }
    }
    return false;
}

int ipc_decode(const msgpack_object *obj, ipc_dir_t dir, ipc_msg_t *msg, ipc_err_t *err) {
    memset(msg, 0, sizeof *msg);
    if (obj->type != MSGPACK_OBJECT_MAP) {
        ipc_err_set(err, IPC_E_NOT_MAP, "", "a frame must hold a msgpack map");
        return IPC_E_NOT_MAP;
    }
    const msgpack_object_map *m = &obj->via.map;
    const msgpack_object *t = NULL;
    for (uint32_t i = 0; i < m->size; i++) {
        if (m->ptr[i].key.type != MSGPACK_OBJECT_STR) { /* the pre-scan refuses these */
            ipc_err_set(err, IPC_E_MALFORMED, "", "map key is not a string");
            return IPC_E_MALFORMED;
        }
        if (key_is(&m->ptr[i].key, "t")) t = &m->ptr[i].val;
    }
    if (t == NULL) {
        ipc_err_set(err, IPC_E_MISSING_FIELD, "t", "field 't' (message type) is missing");
        return IPC_E_MISSING_FIELD;
    }
    if (t->type != MSGPACK_OBJECT_STR) {
        ipc_err_set(err, IPC_E_BAD_TYPE, "t", "field 't' must be a string");
        return IPC_E_BAD_TYPE;
    }
    const ipc_spec_t *spec = ipc_spec_by_name(t->via.str.ptr, t->via.str.size);
    if (spec == NULL || !(spec->dirs & (1u << dir))) {
        ipc_err_set(err, IPC_E_UNKNOWN_TYPE, "t", "unknown message type '%.*s'",
                    (int)(t->via.str.size > 32 ? 32 : t->via.str.size), t->via.str.ptr);
        return IPC_E_UNKNOWN_TYPE;
    }
    msg->type = spec->type;
    char *base = (char *)&msg->u;
    uint32_t seen = 0; /* bit i = spec->fields[i] present (duplicates: pre-scan) */
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object_kv *kv = &m->ptr[i];
        if (key_is(&kv->key, "t")) continue;
        int fi = -1;
        for (int j = 0; j < spec->nfields; j++)
            if (key_is(&kv->key, spec->fields[j].key)) { fi = j; break; }
        if (fi < 0) {
            ipc_err_set(err, IPC_E_UNKNOWN_FIELD, "", "unknown field '%.*s' in %s",
                        (int)(kv->key.via.str.size > 32 ? 32 : kv->key.via.str.size),
                        kv->key.via.str.ptr, spec->name);
            size_t n = kv->key.via.str.size;
            if (n < sizeof err->field) {
                memcpy(err->field, kv->key.via.str.ptr, n);
                err->field[n] = '\0';
            }
            return IPC_E_UNKNOWN_FIELD;
        }
        int rc = decode_field(&spec->fields[fi], &kv->val, base, err);
        if (rc != IPC_OK) return rc;
        seen |= 1u << fi;
    }
    for (int j = 0; j < spec->nfields; j++)
        if (spec->fields[j].required && !(seen & (1u << j))) {
            ipc_err_set(err, IPC_E_MISSING_FIELD, spec->fields[j].key,
                        "field '%s' is required in %s", spec->fields[j].key, spec->name);
            return IPC_E_MISSING_FIELD;
        }
    if (spec->cross_check && !spec->cross_check(msg, err)) return err->code;
    return IPC_OK;
}
