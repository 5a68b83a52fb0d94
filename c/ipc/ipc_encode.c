/* ipc_encode.c - typed message -> msgpack map, deterministic: "t" first, then
 * the present fields in schema order, integers in their shortest form (what
 * msgpack-c and Python's msgpack both do), so equal messages give equal bytes.
 * Fields are validated with the decoder's rules: the trader must never send
 * what it would refuse to receive. */
#include "ipc/ipc_codec.h"

#include "ipc/ipc_schema.h"
#include "ipc/ipc_text.h"

#include <string.h>

int ipc_pack_slice(msgpack_packer *pk, ipc_str_t s) {
    if (msgpack_pack_str(pk, s.n) != 0) return -1;
    return msgpack_pack_str_body(pk, s.p, s.n);
}

int ipc_pack_cstr(msgpack_packer *pk, const char *s) { return ipc_pack_slice(pk, ipc_cstr(s)); }

static bool field_present(const ipc_field_t *f, const char *base) {
    const void *src = base + f->off;
    if (f->has_off >= 0) return *(const bool *)(base + f->has_off);
    switch (f->kind) {
    case IPC_K_IDENT: case IPC_K_TEXT: case IPC_K_UDEC: case IPC_K_SDEC:
        return ((const ipc_str_t *)src)->p != NULL;
    case IPC_K_ENUM: return *(const int *)src != 0;
    case IPC_K_MAP: return *(const msgpack_object *const *)src != NULL;
    case IPC_K_TOPICS: return *(const uint32_t *)src != 0;
    case IPC_K_UINT: case IPC_K_INT: case IPC_K_BOOL: return true;
    }
    return false;
}

static int invalid(const ipc_field_t *f, ipc_err_t *err) {
    ipc_err_set(err, IPC_E_BAD_VALUE, f->key, "cannot encode field '%s': invalid value", f->key);
    return IPC_E_BAD_VALUE;
}

static int check_field(const ipc_field_t *f, const char *base, ipc_err_t *err) {
    const void *src = base + f->off;
    const ipc_str_t *s = src;
    switch (f->kind) {
    case IPC_K_IDENT:
        return ipc_ident_valid(s->p, s->n) ? IPC_OK : invalid(f, err);
    case IPC_K_TEXT:
        return s->n <= IPC_MAX_TEXT && ipc_utf8_valid(s->p, s->n) ? IPC_OK : invalid(f, err);
    case IPC_K_UDEC: case IPC_K_SDEC:
        return ipc_decimal_valid(s->p, s->n, f->kind == IPC_K_SDEC) ? IPC_OK : invalid(f, err);
    case IPC_K_ENUM: {
        int e = *(const int *)src;
        return e >= 1 && e <= f->count ? IPC_OK : invalid(f, err);
    }
    case IPC_K_TOPICS:
        return *(const uint32_t *)src < (1u << f->count) ? IPC_OK : invalid(f, err);
    case IPC_K_MAP:
        return (*(const msgpack_object *const *)src)->type == MSGPACK_OBJECT_MAP
                   ? IPC_OK : invalid(f, err);
    case IPC_K_UINT: case IPC_K_INT: case IPC_K_BOOL:
        return IPC_OK;
    }
    return invalid(f, err);
}

static int pack_field(msgpack_packer *pk, const ipc_field_t *f, const char *base) {
    const void *src = base + f->off;
    if (ipc_pack_cstr(pk, f->key) != 0) return -1;
    switch (f->kind) {
    case IPC_K_UINT: return msgpack_pack_uint64(pk, *(const uint64_t *)src);
    case IPC_K_INT: return msgpack_pack_int64(pk, *(const int64_t *)src);
    case IPC_K_BOOL:
        return *(const bool *)src ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    case IPC_K_IDENT: case IPC_K_TEXT: case IPC_K_UDEC: case IPC_K_SDEC:
        return ipc_pack_slice(pk, *(const ipc_str_t *)src);
    case IPC_K_ENUM: return ipc_pack_cstr(pk, f->names[*(const int *)src]);
    case IPC_K_TOPICS: {
        uint32_t mask = *(const uint32_t *)src;
        uint32_t n = (uint32_t)__builtin_popcount(mask);
        if (msgpack_pack_array(pk, n) != 0) return -1;
        for (int i = 1; i <= f->count; i++)
            if ((mask & (1u << (i - 1))) && ipc_pack_cstr(pk, f->names[i]) != 0) return -1;
        return 0;
    }
    case IPC_K_MAP: return msgpack_pack_object(pk, **(const msgpack_object *const *)src);
    }
    return -1;
}

int ipc_pack_msg(msgpack_packer *pk, const ipc_msg_t *msg, ipc_err_t *err) {
    const ipc_spec_t *spec = ipc_spec_by_type(msg->type);
    if (spec == NULL) {
        ipc_err_set(err, IPC_E_UNKNOWN_TYPE, "t", "cannot encode message type %d", (int)msg->type);
        return IPC_E_UNKNOWN_TYPE;
    }
    const char *base = (const char *)&msg->u;
    uint32_t n = 1;
    for (int i = 0; i < spec->nfields; i++) {
        const ipc_field_t *f = &spec->fields[i];
        if (!field_present(f, base)) {
            if (f->required) {
                ipc_err_set(err, IPC_E_MISSING_FIELD, f->key,
                            "cannot encode %s: field '%s' is required", spec->name, f->key);
                return IPC_E_MISSING_FIELD;
            }
            continue;
        }
        int rc = check_field(f, base, err);
        if (rc != IPC_OK) return rc;
        n++;
    }
    if (spec->cross_check && !spec->cross_check(msg, err)) return err->code;
    if (msgpack_pack_map(pk, n) != 0 || ipc_pack_cstr(pk, "t") != 0 ||
        ipc_pack_cstr(pk, spec->name) != 0)
        goto nospace;
    for (int i = 0; i < spec->nfields; i++)
        if (field_present(&spec->fields[i], base) && pack_field(pk, &spec->fields[i], base) != 0)
            goto nospace;
    return IPC_OK;
nospace:
    ipc_err_set(err, IPC_E_FRAME_SIZE, "", "%s does not fit the output buffer", spec->name);
    return IPC_E_FRAME_SIZE;
}

int ipc_encode_frame(ipc_buf_t *buf, const ipc_msg_t *msg, ipc_err_t *err) {
    ipc_fw_t fw;
    msgpack_packer *pk = ipc_fw_begin(&fw, buf);
    int rc = ipc_pack_msg(pk, msg, err);
    if (rc != IPC_OK) {
        ipc_fw_abort(&fw);
        return rc;
    }
    if (ipc_fw_end(&fw) != 0) {
        ipc_err_set(err, IPC_E_FRAME_SIZE, "", "%s frame is over %u bytes or does not fit",
                    ipc_type_name(msg->type), IPC_MAX_FRAME);
        return IPC_E_FRAME_SIZE;
    }
    return IPC_OK;
}
