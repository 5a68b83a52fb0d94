/* ipc_schema.c - field tables of every message (see ipc_schema.h). Keep in
 * step with proto/PROTOCOL.md and python/trader/protocol.py; the shared test
 * vectors in proto/vectors catch any drift. */
#include "ipc/ipc_schema.h"

#include <string.h>

_Static_assert(sizeof(ipc_venue_t) == sizeof(int), "enum fields are written as int");

static const char *const venue_names[] = {NULL, "paper", "binance", "ibkr", "polymarket"};
static const char *const side_names[] = {NULL, "buy", "sell"};
static const char *const ord_names[] = {NULL, "limit", "market"};
static const char *const tif_names[] = {NULL, "gtc", "gtd", "ioc", "fok", "fak"};
static const char *const rkind_names[] = {NULL, "ack", "reject", "fill", "cancel", "expire"};
static const char *const liq_names[] = {NULL, "maker", "taker"};
static const char *const ikind_names[] = {NULL, "spot", "stock", "fx", "binary"};
static const char *const what_names[] = {NULL, "status", "positions", "limits", "orders"};
static const char *const scope_names[] = {NULL, "global", "paper", "binance", "ibkr", "polymarket"};
static const char *const state_names[] = {NULL, "ACTIVE", "REDUCING", "HALTED"};
const char *const ipc_topic_names[] = {NULL, "state", "refprice", "events"};
const int ipc_topic_count = 3;

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* required / optional field; optional scalars carry a presence flag */
#define REQ(S, k, kind) {#k, kind, true, offsetof(S, k), -1, NULL, 0}
#define OPT(S, k, kind) {#k, kind, false, offsetof(S, k), -1, NULL, 0}
#define OPTH(S, k, kind, has) {#k, kind, false, offsetof(S, k), (long)offsetof(S, has), NULL, 0}
#define ENUM(S, k, req, tbl) {#k, IPC_K_ENUM, req, offsetof(S, k), -1, tbl, NELEM(tbl) - 1}

static const ipc_field_t hello_f[] = {
    REQ(ipc_hello_t, v, IPC_K_UINT),
    REQ(ipc_hello_t, client, IPC_K_IDENT),
};
static const ipc_field_t check_f[] = {
    REQ(ipc_check_t, id, IPC_K_UINT),
    ENUM(ipc_check_t, venue, true, venue_names),
    REQ(ipc_check_t, sym, IPC_K_IDENT),
    ENUM(ipc_check_t, side, true, side_names),
    REQ(ipc_check_t, px, IPC_K_UDEC),
    REQ(ipc_check_t, qty, IPC_K_UDEC),
    ENUM(ipc_check_t, ord, true, ord_names),
    ENUM(ipc_check_t, tif, true, tif_names),
    REQ(ipc_check_t, post_only, IPC_K_BOOL),
    REQ(ipc_check_t, cid, IPC_K_IDENT),
    OPTH(ipc_check_t, exp, IPC_K_INT, has_exp),
};
static const ipc_field_t report_f[] = {
    REQ(ipc_report_t, id, IPC_K_UINT),
    REQ(ipc_report_t, res, IPC_K_UINT),
    ENUM(ipc_report_t, kind, true, rkind_names),
    OPT(ipc_report_t, voi, IPC_K_IDENT),
    OPT(ipc_report_t, tid, IPC_K_IDENT),
    OPT(ipc_report_t, px, IPC_K_UDEC),
    OPT(ipc_report_t, qty, IPC_K_UDEC),
    OPT(ipc_report_t, fee, IPC_K_SDEC),
    OPT(ipc_report_t, fee_ccy, IPC_K_IDENT),
    ENUM(ipc_report_t, liq, false, liq_names),
    OPT(ipc_report_t, reason, IPC_K_TEXT),
    REQ(ipc_report_t, ts, IPC_K_INT),
};
static const ipc_field_t mark_f[] = {
    OPTH(ipc_mark_t, id, IPC_K_UINT, has_id),
    ENUM(ipc_mark_t, venue, true, venue_names),
    REQ(ipc_mark_t, sym, IPC_K_IDENT),
    REQ(ipc_mark_t, px, IPC_K_UDEC),
    REQ(ipc_mark_t, ts, IPC_K_INT),
};
static const ipc_field_t instrument_f[] = {
    REQ(ipc_instrument_t, id, IPC_K_UINT),
    ENUM(ipc_instrument_t, venue, true, venue_names),
    REQ(ipc_instrument_t, sym, IPC_K_IDENT),
    ENUM(ipc_instrument_t, kind, true, ikind_names),
    OPT(ipc_instrument_t, market, IPC_K_IDENT),
    OPT(ipc_instrument_t, complement, IPC_K_IDENT),
    REQ(ipc_instrument_t, tick, IPC_K_UDEC),
    REQ(ipc_instrument_t, lot, IPC_K_UDEC),
    REQ(ipc_instrument_t, min_qty, IPC_K_UDEC),
    REQ(ipc_instrument_t, min_notional, IPC_K_UDEC),
    REQ(ipc_instrument_t, quote_ccy, IPC_K_IDENT),
    REQ(ipc_instrument_t, usd_rate, IPC_K_UDEC),
};
static const ipc_field_t resolve_f[] = {
    REQ(ipc_resolve_t, id, IPC_K_UINT),
    ENUM(ipc_resolve_t, venue, true, venue_names),
    REQ(ipc_resolve_t, sym, IPC_K_IDENT),
    REQ(ipc_resolve_t, px, IPC_K_UDEC),
    REQ(ipc_resolve_t, ts, IPC_K_INT),
};
static const ipc_field_t query_f[] = {
    REQ(ipc_query_t, id, IPC_K_UINT),
    ENUM(ipc_query_t, what, true, what_names),
};
static const ipc_field_t subscribe_f[] = {
    REQ(ipc_subscribe_t, id, IPC_K_UINT),
    {"topics", IPC_K_TOPICS, true, offsetof(ipc_subscribe_t, topics), -1, ipc_topic_names, 3},
};
static const ipc_field_t kill_f[] = {
    REQ(ipc_kill_t, id, IPC_K_UINT),
    REQ(ipc_kill_t, reason, IPC_K_TEXT),
};
static const ipc_field_t follow_f[] = {
    REQ(ipc_follow_t, id, IPC_K_UINT),
    REQ(ipc_follow_t, from_seq, IPC_K_UINT),
};
static const ipc_field_t hb_f[] = {
    REQ(ipc_hb_t, ts, IPC_K_INT),
};
static const ipc_field_t hello_ok_f[] = {
    REQ(ipc_hello_ok_t, v, IPC_K_UINT),
    REQ(ipc_hello_ok_t, server, IPC_K_IDENT),
    REQ(ipc_hello_ok_t, jseq, IPC_K_UINT),
};
static const ipc_field_t ok_f[] = {
    REQ(ipc_ok_t, id, IPC_K_UINT),
};
static const ipc_field_t error_f[] = {
    OPTH(ipc_error_msg_t, id, IPC_K_UINT, has_id),
    REQ(ipc_error_msg_t, code, IPC_K_INT),
    REQ(ipc_error_msg_t, name, IPC_K_IDENT),
    REQ(ipc_error_msg_t, reason, IPC_K_TEXT),
};
static const ipc_field_t check_ok_f[] = {
    REQ(ipc_check_ok_t, id, IPC_K_UINT),
    REQ(ipc_check_ok_t, res, IPC_K_UINT),
};
static const ipc_field_t check_reject_f[] = {
    REQ(ipc_check_reject_t, id, IPC_K_UINT),
    REQ(ipc_check_reject_t, code, IPC_K_INT),
    REQ(ipc_check_reject_t, name, IPC_K_IDENT),
    REQ(ipc_check_reject_t, reason, IPC_K_TEXT),
};
static const ipc_field_t query_ok_f[] = {
    REQ(ipc_query_ok_t, id, IPC_K_UINT),
    REQ(ipc_query_ok_t, data, IPC_K_MAP),
};
static const ipc_field_t state_f[] = {
    ENUM(ipc_state_msg_t, scope, true, scope_names),
    ENUM(ipc_state_msg_t, state, true, state_names),
    REQ(ipc_state_msg_t, reason, IPC_K_TEXT),
    REQ(ipc_state_msg_t, ts, IPC_K_INT),
};
static const ipc_field_t refprice_f[] = {
    REQ(ipc_refprice_t, sym, IPC_K_IDENT),
    REQ(ipc_refprice_t, px, IPC_K_UDEC),
    REQ(ipc_refprice_t, ts, IPC_K_INT),
};
static const ipc_field_t event_f[] = {
    REQ(ipc_event_t, kind, IPC_K_IDENT),
    ENUM(ipc_event_t, venue, false, venue_names),
    OPT(ipc_event_t, sym, IPC_K_IDENT),
    REQ(ipc_event_t, reason, IPC_K_TEXT),
    REQ(ipc_event_t, ts, IPC_K_INT),
    OPT(ipc_event_t, data, IPC_K_MAP),
};

static const ipc_field_t jrec_f[] = {
    REQ(ipc_jrec_t, seq, IPC_K_UINT),
    REQ(ipc_jrec_t, type, IPC_K_UINT),
    REQ(ipc_jrec_t, rec, IPC_K_MAP),
};

/* ---- cross-field rules ---- */

static bool check_cross(const ipc_msg_t *m, ipc_err_t *err) {
    const ipc_check_t *c = &m->u.check;
    if (c->tif == IPC_TIF_GTD && !c->has_exp) {
        ipc_err_set(err, IPC_E_MISSING_FIELD, "exp", "field 'exp' is required when tif is gtd");
        return false;
    }
    if (c->tif != IPC_TIF_GTD && c->has_exp) {
        ipc_err_set(err, IPC_E_BAD_VALUE, "exp", "field 'exp' is only allowed when tif is gtd");
        return false;
    }
    return true;
}

static bool report_cross(const ipc_msg_t *m, ipc_err_t *err) {
    const ipc_report_t *r = &m->u.report;
    struct { const char *key; bool present; } fill_only[] = {
        {"tid", r->tid.p != NULL}, {"px", r->px.p != NULL}, {"qty", r->qty.p != NULL},
        {"fee", r->fee.p != NULL}, {"fee_ccy", r->fee_ccy.p != NULL}, {"liq", r->liq != 0},
    };
    bool is_fill = r->kind == IPC_RK_FILL;
    if ((is_fill || r->kind == IPC_RK_ACK) && r->voi.p == NULL) {
        ipc_err_set(err, IPC_E_MISSING_FIELD, "voi", "field 'voi' is required when kind is %s",
                    rkind_names[r->kind]);
        return false;
    }
    for (size_t i = 0; i < sizeof(fill_only) / sizeof(fill_only[0]); i++) {
        if (is_fill && !fill_only[i].present) {
            ipc_err_set(err, IPC_E_MISSING_FIELD, fill_only[i].key,
                        "field '%s' is required when kind is fill", fill_only[i].key);
            return false;
        }
        if (!is_fill && fill_only[i].present) {
            ipc_err_set(err, IPC_E_BAD_VALUE, fill_only[i].key,
                        "field '%s' is only allowed when kind is fill", fill_only[i].key);
            return false;
        }
    }
    return true;
}

static bool instrument_cross(const ipc_msg_t *m, ipc_err_t *err) {
    const ipc_instrument_t *in = &m->u.instrument;
    if (in->kind == IPC_IK_BINARY) {
        if (in->market.p == NULL) {
            ipc_err_set(err, IPC_E_MISSING_FIELD, "market",
                        "field 'market' is required when kind is binary");
            return false;
        }
        if (in->complement.p == NULL) {
            ipc_err_set(err, IPC_E_MISSING_FIELD, "complement",
                        "field 'complement' is required when kind is binary");
            return false;
        }
    } else if (in->complement.p != NULL) {
        ipc_err_set(err, IPC_E_BAD_VALUE, "complement",
                    "field 'complement' is only allowed when kind is binary");
        return false;
    }
    return true;
}

#define TO_S (1u << IPC_DIR_TO_SERVER)
#define TO_C (1u << IPC_DIR_TO_CLIENT)
#define SPEC(n, T, dirs, f, cc) {n, T, dirs, f, NELEM(f), cc}

static const ipc_spec_t specs[] = {
    SPEC("hello", IPC_T_HELLO, TO_S, hello_f, NULL),
    SPEC("check", IPC_T_CHECK, TO_S, check_f, check_cross),
    SPEC("report", IPC_T_REPORT, TO_S, report_f, report_cross),
    SPEC("mark", IPC_T_MARK, TO_S, mark_f, NULL),
    SPEC("instrument", IPC_T_INSTRUMENT, TO_S, instrument_f, instrument_cross),
    SPEC("resolve", IPC_T_RESOLVE, TO_S, resolve_f, NULL),
    SPEC("query", IPC_T_QUERY, TO_S, query_f, NULL),
    SPEC("subscribe", IPC_T_SUBSCRIBE, TO_S, subscribe_f, NULL),
    SPEC("kill", IPC_T_KILL, TO_S, kill_f, NULL),
    SPEC("unkill", IPC_T_UNKILL, TO_S, kill_f, NULL),
    SPEC("hb", IPC_T_HB, TO_S | TO_C, hb_f, NULL),
    SPEC("hello_ok", IPC_T_HELLO_OK, TO_C, hello_ok_f, NULL),
    SPEC("ok", IPC_T_OK, TO_C, ok_f, NULL),
    SPEC("error", IPC_T_ERROR, TO_C, error_f, NULL),
    SPEC("check_ok", IPC_T_CHECK_OK, TO_C, check_ok_f, NULL),
    SPEC("check_reject", IPC_T_CHECK_REJECT, TO_C, check_reject_f, NULL),
    SPEC("query_ok", IPC_T_QUERY_OK, TO_C, query_ok_f, NULL),
    SPEC("state", IPC_T_STATE, TO_C, state_f, NULL),
    SPEC("refprice", IPC_T_REFPRICE, TO_C, refprice_f, NULL),
    SPEC("event", IPC_T_EVENT, TO_C, event_f, NULL),
    SPEC("follow", IPC_T_FOLLOW, TO_S, follow_f, NULL),
    SPEC("jrec", IPC_T_JREC, TO_C, jrec_f, NULL),
};

const ipc_spec_t *ipc_spec_by_type(ipc_type_t type) {
    for (int i = 0; i < NELEM(specs); i++)
        if (specs[i].type == type) return &specs[i];
    return NULL;
}

const ipc_spec_t *ipc_spec_by_name(const char *name, size_t len) {
    for (int i = 0; i < NELEM(specs); i++)
        if (strlen(specs[i].name) == len && memcmp(specs[i].name, name, len) == 0) return &specs[i];
    return NULL;
}

const char *ipc_venue_name(int v) {
    return v >= 1 && v < NELEM(venue_names) ? venue_names[v] : NULL;
}

const char *ipc_type_name(int t) {
    const ipc_spec_t *s = ipc_spec_by_type((ipc_type_t)t);
    return s ? s->name : NULL;
}

static const char *const code_names[] = {
    [IPC_OK] = "OK",
    [IPC_E_FRAME_SIZE] = "FRAME_SIZE",
    [IPC_E_MALFORMED] = "MALFORMED",
    [IPC_E_NOT_MAP] = "NOT_MAP",
    [IPC_E_UNKNOWN_TYPE] = "UNKNOWN_TYPE",
    [IPC_E_MISSING_FIELD] = "MISSING_FIELD",
    [IPC_E_BAD_TYPE] = "BAD_TYPE",
    [IPC_E_FLOAT_MONEY] = "FLOAT_MONEY",
    [IPC_E_BAD_VALUE] = "BAD_VALUE",
    [IPC_E_UNKNOWN_FIELD] = "UNKNOWN_FIELD",
    [IPC_E_DUP_FIELD] = "DUP_FIELD",
    [IPC_E_HANDSHAKE] = "HANDSHAKE",
    [IPC_E_VERSION] = "VERSION",
    [IPC_E_TIMEOUT] = "TIMEOUT",
    [IPC_E_SHUTDOWN] = "SHUTDOWN",
    [IPC_E_UNKNOWN_RES] = "UNKNOWN_RES",
    [IPC_E_UNKNOWN_INSTRUMENT] = "UNKNOWN_INSTRUMENT",
    [IPC_E_INVALID] = "INVALID",
    [IPC_E_NOT_READY] = "NOT_READY",
    [IPC_E_INTERNAL] = "INTERNAL",
};

const char *ipc_code_name(int code) {
    if (code < 0 || code >= NELEM(code_names) || code_names[code] == NULL) return "UNKNOWN";
    return code_names[code];
}

bool ipc_code_is_fatal(int code) { return code >= 1 && code < 20; }
