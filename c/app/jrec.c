/* jrec.c - encode and decode the trader's journal records (see jrec.h). */
#include "app/jrec.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"

/* A record is small; encode into a stack buffer through msgpack's packer. */
struct jbuf {
    char data[2048];
    size_t len;
    bool overflow;
};

static int jbuf_write(void *ctx, const char *p, size_t n)
{
    struct jbuf *b = ctx;
    if (b->len + n > sizeof b->data) {
        b->overflow = true;
        return -1;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void put_str(msgpack_packer *pk, const char *key, const char *val)
{
    size_t kl = strlen(key), vl = strlen(val);
    msgpack_pack_str(pk, kl);
    msgpack_pack_str_body(pk, key, kl);
    msgpack_pack_str(pk, vl);
    msgpack_pack_str_body(pk, val, vl);
}

static void put_int(msgpack_packer *pk, const char *key, int64_t v)
{
    size_t kl = strlen(key);
    msgpack_pack_str(pk, kl);
    msgpack_pack_str_body(pk, key, kl);
    msgpack_pack_int64(pk, v);
}

static void put_dec(msgpack_packer *pk, const char *key, int64_t v, unsigned scale)
{
    char buf[MONEY_FMT_MAX];
    if (money_format(v, scale, buf, sizeof buf) < 0)
        snprintf(buf, sizeof buf, "?");
    put_str(pk, key, buf);
}

static int finish(journal *j, enum jrec_type type, struct jbuf *b)
{
    if (b->overflow)
        return JOURNAL_ERR_ARG;
    return journal_append(j, (uint16_t)type, b->data, (uint32_t)b->len, NULL, NULL, 0);
}

int jrec_accept(journal *j, const struct instrument *in, uint64_t res, int side, int64_t px,
                int64_t qty, bool local, const char *cid, int64_t ts)
{
    struct jbuf b = {.len = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, jbuf_write);
    msgpack_pack_map(&pk, 9);
    put_int(&pk, "ts", ts);
    put_int(&pk, "res", (int64_t)res);
    put_str(&pk, "venue", venue_name((enum venue_id)in->venue));
    put_str(&pk, "sym", in->symbol);
    put_int(&pk, "side", side);
    put_dec(&pk, "px", px, in->price_scale);
    put_dec(&pk, "qty", qty, in->qty_scale);
    put_int(&pk, "local", local ? 1 : 0);
    put_str(&pk, "cid", cid != NULL ? cid : "");
    return finish(j, JREC_ACCEPT, &b);
}

int jrec_report(journal *j, const struct instrument *in, int side, const struct venue_report *r)
{
    struct jbuf b = {.len = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, jbuf_write);
    msgpack_pack_map(&pk, 15);
    put_int(&pk, "ts", r->ts_ns);
    put_int(&pk, "res", (int64_t)r->res);
    put_str(&pk, "venue", venue_name((enum venue_id)in->venue));
    put_str(&pk, "sym", in->symbol);
    put_int(&pk, "side", side);
    put_int(&pk, "kind", r->kind);
    put_str(&pk, "voi", r->voi);
    put_str(&pk, "tid", r->tid);
    put_dec(&pk, "px", r->px, in->price_scale);
    put_dec(&pk, "qty", r->qty, in->qty_scale);
    put_dec(&pk, "fee", r->fee, INSTRUMENT_QUOTE_SCALE);
    put_int(&pk, "liq", r->liq);
    put_str(&pk, "reason", r->reason);
    /* for readers of the journal (the recorder): the fee's currency and the
     * USD rate the engine used; replay does not need them */
    put_str(&pk, "ccy", in->quote_ccy);
    put_dec(&pk, "usd_rate", in->usd_rate, INSTRUMENT_RATE_SCALE);
    return finish(j, JREC_REPORT, &b);
}

int jrec_state(journal *j, int scope, uint32_t index, int state, int reason, int effective,
               const char *text, int64_t ts)
{
    struct jbuf b = {.len = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, jbuf_write);
    msgpack_pack_map(&pk, 7);
    put_int(&pk, "ts", ts);
    put_int(&pk, "scope", scope);
    put_int(&pk, "index", index);
    put_int(&pk, "state", state);
    put_int(&pk, "reason", reason);
    put_str(&pk, "text", text != NULL ? text : "");
    put_int(&pk, "eff", effective);
    return finish(j, JREC_STATE, &b);
}

int jrec_instrument(journal *j, const struct instrument *in, int64_t ts)
{
    struct jbuf b = {.len = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, jbuf_write);
    msgpack_pack_map(&pk, 13);
    put_int(&pk, "ts", ts);
    put_str(&pk, "venue", venue_name((enum venue_id)in->venue));
    put_int(&pk, "kind", in->kind);
    put_str(&pk, "sym", in->symbol);
    put_str(&pk, "market", in->market_key);
    put_int(&pk, "price_scale", in->price_scale);
    put_int(&pk, "qty_scale", in->qty_scale);
    put_dec(&pk, "tick", in->tick, in->price_scale);
    put_dec(&pk, "lot", in->lot, in->qty_scale);
    put_dec(&pk, "min_qty", in->min_qty, in->qty_scale);
    put_dec(&pk, "min_notional", in->min_notional, INSTRUMENT_QUOTE_SCALE);
    put_str(&pk, "quote_ccy", in->quote_ccy);
    put_dec(&pk, "usd_rate", in->usd_rate, INSTRUMENT_RATE_SCALE);
    return finish(j, JREC_INSTRUMENT, &b);
}

int jrec_resolve(journal *j, const struct instrument *in, bool winner, int64_t ts)
{
    struct jbuf b = {.len = 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, jbuf_write);
    msgpack_pack_map(&pk, 4);
    put_int(&pk, "ts", ts);
    put_str(&pk, "venue", venue_name((enum venue_id)in->venue));
    put_str(&pk, "sym", in->symbol);
    put_int(&pk, "winner", winner ? 1 : 0);
    return finish(j, JREC_RESOLVE, &b);
}

/* ---- decoding ---- */

static const msgpack_object *field(const msgpack_object *map, const char *key)
{
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == kl &&
            memcmp(kv->key.via.str.ptr, key, kl) == 0)
            return &kv->val;
    }
    return NULL;
}

static int get_int(const msgpack_object *map, const char *key, int64_t *out)
{
    const msgpack_object *v = field(map, key);
    if (v == NULL)
        return -1;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX)
        *out = (int64_t)v->via.u64;
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = v->via.i64;
    else
        return -1;
    return 0;
}

static int get_str(const msgpack_object *map, const char *key, char *buf, size_t cap)
{
    const msgpack_object *v = field(map, key);
    if (v == NULL || v->type != MSGPACK_OBJECT_STR || v->via.str.size >= cap)
        return -1;
    memcpy(buf, v->via.str.ptr, v->via.str.size);
    buf[v->via.str.size] = '\0';
    return 0;
}

static int get_venue(const msgpack_object *map, uint8_t *out)
{
    char name[32];
    enum venue_id v;
    if (get_str(map, "venue", name, sizeof name) != 0 || venue_from_name(name, &v) != 0)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

static int decode_map(const msgpack_object *m, uint16_t type, struct jrec *o)
{
    int64_t v = 0;
    if (get_int(m, "ts", &o->ts) != 0)
        return -1;
    switch (type) {
    case JREC_ACCEPT:
        if (get_int(m, "res", &v) != 0)
            return -1;
        o->res = (uint64_t)v;
        if (get_venue(m, &o->venue) != 0 || get_str(m, "sym", o->sym, sizeof o->sym) != 0 ||
            get_int(m, "side", &v) != 0)
            return -1;
        o->side = (int)v;
        if (get_str(m, "px", o->px, sizeof o->px) != 0 ||
            get_str(m, "qty", o->qty, sizeof o->qty) != 0 || get_int(m, "local", &v) != 0)
            return -1;
        o->local = v != 0;
        return get_str(m, "cid", o->cid, sizeof o->cid);
    case JREC_REPORT:
        if (get_int(m, "res", &v) != 0)
            return -1;
        o->res = (uint64_t)v;
        if (get_venue(m, &o->venue) != 0 || get_str(m, "sym", o->sym, sizeof o->sym) != 0 ||
            get_int(m, "side", &v) != 0)
            return -1;
        o->side = (int)v;
        if (get_int(m, "kind", &v) != 0 || v < REPORT_ACK || v > REPORT_EXPIRE)
            return -1;
        o->kind = (enum report_kind)v;
        if (get_str(m, "voi", o->voi, sizeof o->voi) != 0 ||
            get_str(m, "tid", o->tid, sizeof o->tid) != 0 ||
            get_str(m, "px", o->px, sizeof o->px) != 0 ||
            get_str(m, "qty", o->qty, sizeof o->qty) != 0 ||
            get_str(m, "fee", o->fee, sizeof o->fee) != 0 || get_int(m, "liq", &v) != 0)
            return -1;
        o->liq = (int)v;
        return get_str(m, "reason", o->text, sizeof o->text);
    case JREC_STATE:
        if (get_int(m, "scope", &v) != 0)
            return -1;
        o->scope = (int)v;
        if (get_int(m, "index", &v) != 0)
            return -1;
        o->index = (uint32_t)v;
        if (get_int(m, "state", &v) != 0)
            return -1;
        o->state = (int)v;
        if (get_int(m, "reason", &v) != 0)
            return -1;
        o->reason = (int)v;
        return get_str(m, "text", o->text, sizeof o->text);
    case JREC_INSTRUMENT: {
        struct instrument *in = &o->inst;
        memset(in, 0, sizeof *in);
        char tmp[48];
        if (get_venue(m, &in->venue) != 0 || get_int(m, "kind", &v) != 0)
            return -1;
        in->kind = (uint8_t)v;
        if (get_str(m, "sym", in->symbol, sizeof in->symbol) != 0 ||
            get_str(m, "market", in->market_key, sizeof in->market_key) != 0 ||
            get_int(m, "price_scale", &v) != 0)
            return -1;
        in->price_scale = (uint8_t)v;
        if (get_int(m, "qty_scale", &v) != 0)
            return -1;
        in->qty_scale = (uint8_t)v;
        if (get_str(m, "tick", tmp, sizeof tmp) != 0 ||
            money_parse_cstr(tmp, in->price_scale, &in->tick) != 0 ||
            get_str(m, "lot", tmp, sizeof tmp) != 0 ||
            money_parse_cstr(tmp, in->qty_scale, &in->lot) != 0 ||
            get_str(m, "min_qty", tmp, sizeof tmp) != 0 ||
            money_parse_cstr(tmp, in->qty_scale, &in->min_qty) != 0 ||
            get_str(m, "min_notional", tmp, sizeof tmp) != 0 ||
            money_parse_cstr(tmp, INSTRUMENT_QUOTE_SCALE, &in->min_notional) != 0 ||
            get_str(m, "quote_ccy", in->quote_ccy, sizeof in->quote_ccy) != 0 ||
            get_str(m, "usd_rate", tmp, sizeof tmp) != 0 ||
            money_parse_cstr(tmp, INSTRUMENT_RATE_SCALE, &in->usd_rate) != 0)
            return -1;
        return 0;
    }
    case JREC_RESOLVE:
        if (get_venue(m, &o->venue) != 0 || get_str(m, "sym", o->sym, sizeof o->sym) != 0 ||
            get_int(m, "winner", &v) != 0)
            return -1;
        o->won = v != 0;
        return 0;
    default:
        return -1;
    }
}

int jrec_decode(uint16_t type, const uint8_t *payload, uint32_t len, struct jrec *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->type = (enum jrec_type)type;
    msgpack_zone zone;
    if (!msgpack_zone_init(&zone, 2048)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    msgpack_object obj;
    size_t off = 0;
    int rc = -1;
    msgpack_unpack_return ur = msgpack_unpack((const char *)payload, len, &off, &zone, &obj);
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len || obj.type != MSGPACK_OBJECT_MAP)
        snprintf(err, errlen, "journal record of type %u is not one msgpack map", type);
    else if (decode_map(&obj, type, out) != 0)
        snprintf(err, errlen, "journal record of type %u has a missing or mistyped field", type);
    else
        rc = 0;
    msgpack_zone_destroy(&zone);
    return rc;
}
