/* ipc_frame.c - framing, output buffers and the msgpack pre-scan.
 *
 * Why a pre-scan before msgpack_unpack: msgpack-c trusts container headers
 * and allocates room for a declared array/map size before it knows whether
 * the bytes exist, so a 5-byte frame claiming 2^32 entries would make it try
 * to allocate gigabytes. The scan walks the body once, checks every header
 * against the bytes left (each element needs at least one byte) and enforces
 * the protocol's structural rules, so msgpack_unpack only ever sees bodies
 * that are small, complete and valid. */
#include "ipc/ipc_frame.h"

#include "ipc/ipc_text.h"

#include <stdlib.h>
#include <string.h>

int ipc_buf_init(ipc_buf_t *b, size_t cap) {
    b->data = malloc(cap);
    b->len = 0;
    b->cap = b->data ? cap : 0;
    b->failed = false;
    return b->data ? 0 : -1;
}

void ipc_buf_free(ipc_buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int ipc_buf_write(void *buf, const char *p, size_t n) {
    ipc_buf_t *b = buf;
    if (b->failed || n > b->cap - b->len) {
        b->failed = true;
        return -1;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void ipc_buf_consume(ipc_buf_t *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

msgpack_packer *ipc_fw_begin(ipc_fw_t *fw, ipc_buf_t *buf) {
    static const char zero[IPC_FRAME_HDR] = {0};
    fw->buf = buf;
    fw->start = buf->len;
    buf->failed = false;
    ipc_buf_write(buf, zero, sizeof zero);
    msgpack_packer_init(&fw->pk, buf, ipc_buf_write);
    return &fw->pk;
}

void ipc_fw_abort(ipc_fw_t *fw) {
    fw->buf->len = fw->start;
    fw->buf->failed = false;
}

int ipc_fw_end(ipc_fw_t *fw) {
    ipc_buf_t *b = fw->buf;
    size_t body = b->len - fw->start - IPC_FRAME_HDR;
    if (b->failed || b->len < fw->start + IPC_FRAME_HDR || body == 0 || body > IPC_MAX_FRAME) {
        ipc_fw_abort(fw);
        return -1;
    }
    unsigned char *h = (unsigned char *)b->data + fw->start;
    h[0] = (unsigned char)(body >> 24);
    h[1] = (unsigned char)(body >> 16);
    h[2] = (unsigned char)(body >> 8);
    h[3] = (unsigned char)body;
    return 0;
}

ipc_next_t ipc_frame_next(const char *data, size_t len, const char **body, size_t *body_len,
                          size_t *used, ipc_err_t *err) {
    if (len < IPC_FRAME_HDR) return IPC_NEXT_MORE;
    const unsigned char *h = (const unsigned char *)data;
    uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (n == 0 || n > IPC_MAX_FRAME) {
        ipc_err_set(err, IPC_E_FRAME_SIZE, "", "frame length %u is outside 1..%u", n,
                    IPC_MAX_FRAME);
        return IPC_NEXT_ERROR;
    }
    if (len - IPC_FRAME_HDR < n) return IPC_NEXT_MORE;
    *body = data + IPC_FRAME_HDR;
    *body_len = n;
    *used = IPC_FRAME_HDR + n;
    return IPC_NEXT_FRAME;
}

/* ---- pre-scan ---- */

typedef struct scan {
    const unsigned char *p;
    size_t n, pos;
    size_t total_keys;
    ipc_unpacker_t *u;
    ipc_err_t *err;
} scan_t;

static int fail(scan_t *s, int code, const char *what) {
    ipc_err_set(s->err, code, "", "%s at byte %zu", what, s->pos);
    return code;
}

/* Read a big-endian unsigned of w bytes; false if truncated. */
static bool take_be(scan_t *s, size_t w, uint64_t *out) {
    if (s->n - s->pos < w) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < w; i++) v = v << 8 | s->p[s->pos + i];
    s->pos += w;
    *out = v;
    return true;
}

static int scan_value(scan_t *s, int depth, bool is_key);

static int scan_str(scan_t *s, uint64_t len, bool is_key) {
    if (s->n - s->pos < len) return fail(s, IPC_E_MALFORMED, "truncated string");
    const char *sp = (const char *)s->p + s->pos;
    if (!ipc_utf8_valid(sp, (size_t)len)) return fail(s, IPC_E_MALFORMED, "invalid UTF-8");
    if (is_key) {
        /* keys form a stack: a map's own keys stay contiguous because nested
         * maps pop theirs when they end */
        if (s->total_keys >= IPC_MAX_KEYS_PER_FRAME)
            return fail(s, IPC_E_MALFORMED, "too many map entries in frame");
        s->total_keys++;
        s->u->keys[s->u->nkeys++] = (ipc_str_t){sp, (uint32_t)len};
    }
    s->pos += (size_t)len;
    return IPC_OK;
}

static int scan_container(scan_t *s, uint64_t count, bool is_map, int depth) {
    if (depth > IPC_MAX_DEPTH) return fail(s, IPC_E_MALFORMED, "nesting too deep");
    /* every element takes at least one byte: refuse impossible counts early */
    uint64_t min_bytes = is_map ? count * 2 : count;
    if (count > IPC_MAX_FRAME || min_bytes > s->n - s->pos)
        return fail(s, IPC_E_MALFORMED, "container larger than the frame");
    size_t base = s->u->nkeys;
    for (uint64_t i = 0; i < count; i++) {
        int rc;
        if (is_map && (rc = scan_value(s, depth, true)) != IPC_OK) return rc;
        if ((rc = scan_value(s, depth, false)) != IPC_OK) return rc;
    }
    if (is_map) {
        /* duplicate check once the map is complete (the order Python's
         * unpacker reports errors in); maps are small, O(n^2) is fine */
        const ipc_str_t *k = s->u->keys + base;
        for (size_t i = 1; i < count; i++)
            for (size_t j = 0; j < i; j++)
                if (k[i].n == k[j].n && memcmp(k[i].p, k[j].p, k[i].n) == 0) {
                    ipc_err_set(s->err, IPC_E_DUP_FIELD, "", "duplicate key '%.*s'",
                                (int)(k[i].n > 20 ? 20 : k[i].n), k[i].p);
                    if (k[i].n < sizeof s->err->field) {
                        memcpy(s->err->field, k[i].p, k[i].n);
                        s->err->field[k[i].n] = '\0';
                    }
                    return IPC_E_DUP_FIELD;
                }
        s->u->nkeys = base;
    }
    return IPC_OK;
}

/* Scan one value starting at s->pos. depth = depth of the enclosing
 * container (0 at top level). */
static int scan_value(scan_t *s, int depth, bool is_key) {
    if (s->pos >= s->n) return fail(s, IPC_E_MALFORMED, "truncated value");
    unsigned char b = s->p[s->pos++];
    uint64_t v;
    if (is_key && !((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)))
        return fail(s, IPC_E_MALFORMED, "map key is not a string");
    if (b <= 0x7f || b >= 0xe0) return IPC_OK;                    /* fixint */
    if (b <= 0x8f) return scan_container(s, b & 0x0f, true, depth + 1);
    if (b <= 0x9f) return scan_container(s, b & 0x0f, false, depth + 1);
    if (b <= 0xbf) return scan_str(s, b & 0x1f, is_key);
    switch (b) {
    case 0xc0: case 0xc2: case 0xc3: return IPC_OK;                  /* nil, bool */
    case 0xc4: case 0xc5: case 0xc6:                                  /* bin */
        if (!take_be(s, (size_t)1 << (b - 0xc4), &v) || s->n - s->pos < v)
            return fail(s, IPC_E_MALFORMED, "truncated bin");
        s->pos += (size_t)v;
        return IPC_OK;
    case 0xca: v = 4; break;                                          /* float32 */
    case 0xcb: v = 8; break;                                          /* float64 */
    case 0xcc: case 0xcd: case 0xce: case 0xcf: v = (uint64_t)1 << (b - 0xcc); break;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: v = (uint64_t)1 << (b - 0xd0); break;
    case 0xd9: case 0xda: case 0xdb:                                  /* str8/16/32 */
        if (!take_be(s, (size_t)1 << (b - 0xd9), &v)) return fail(s, IPC_E_MALFORMED, "truncated");
        return scan_str(s, v, is_key);
    case 0xdc: case 0xdd:                                             /* array16/32 */
        if (!take_be(s, b == 0xdc ? 2 : 4, &v)) return fail(s, IPC_E_MALFORMED, "truncated");
        return scan_container(s, v, false, depth + 1);
    case 0xde: case 0xdf:                                             /* map16/32 */
        if (!take_be(s, b == 0xde ? 2 : 4, &v)) return fail(s, IPC_E_MALFORMED, "truncated");
        return scan_container(s, v, true, depth + 1);
    case 0xc7: case 0xc8: case 0xc9:
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        s->pos--;
        return fail(s, IPC_E_MALFORMED, "ext types are not allowed");
    default: /* 0xc1 */
        s->pos--;
        return fail(s, IPC_E_MALFORMED, "invalid msgpack byte");
    }
    if (s->n - s->pos < v) return fail(s, IPC_E_MALFORMED, "truncated number");
    s->pos += (size_t)v;
    return IPC_OK;
}

int ipc_unpacker_init(ipc_unpacker_t *u) {
    u->nkeys = 0;
    u->ready = msgpack_zone_init(&u->zone, 4096);
    return u->ready ? 0 : -1;
}

void ipc_unpacker_destroy(ipc_unpacker_t *u) {
    if (!u->ready) return;
    msgpack_zone_destroy(&u->zone);
    u->ready = false;
}

int ipc_unpack(ipc_unpacker_t *u, const char *body, size_t len, msgpack_object *obj,
               ipc_err_t *err) {
    scan_t s = {(const unsigned char *)body, len, 0, 0, u, err};
    u->nkeys = 0;
    int rc = scan_value(&s, 0, false);
    if (rc != IPC_OK) return rc;
    if (s.pos != len) return fail(&s, IPC_E_MALFORMED, "trailing bytes after the value");
    msgpack_zone_clear(&u->zone);
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack(body, len, &off, &u->zone, obj);
    if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
        /* cannot happen after a clean scan; refuse rather than trust it */
        ipc_err_set(err, IPC_E_MALFORMED, "", "msgpack_unpack failed (%d)", (int)r);
        return IPC_E_MALFORMED;
    }
    return IPC_OK;
}
