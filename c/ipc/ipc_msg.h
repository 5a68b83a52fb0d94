/* ipc_msg.h - typed messages of the trader IPC protocol (proto/PROTOCOL.md).
 *
 * Every frame carries one msgpack map. ipc_decode() turns a decoded map into
 * one of the structs below after validating every field; ipc_encode() does
 * the reverse, deterministically (key "t" first, then the fields in the order
 * PROTOCOL.md lists them), so encode(decode(frame)) == frame for canonical
 * frames.
 *
 * Strings are slices (ipc_str_t) pointing INTO the frame the message was
 * decoded from: no copies, valid only while that frame's buffer is. Copy what
 * you keep. An absent optional string has p == NULL. Decimal fields (prices,
 * quantities, money) are strings too, already checked against the decimal
 * grammar; converting them to fixed point is the caller's job.
 *
 * Enums start at 1 so that 0 means "absent" for optional enum fields.
 */
#ifndef TRADER_IPC_MSG_H
#define TRADER_IPC_MSG_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_PROTOCOL_VERSION 1u
#define IPC_MAX_FRAME 65536u  /* max body bytes after the 4-byte length prefix */
#define IPC_MAX_DEPTH 16      /* nesting of containers; the top-level map is depth 1 */
#define IPC_MAX_MAP_ENTRIES 1024u
#define IPC_MAX_IDENT 128u    /* identifiers: sym, cid, voi, tid, ccy, names */
#define IPC_MAX_TEXT 1024u    /* free text: reason */
#define IPC_MAX_DEC 40u       /* decimal strings */

/* A slice of bytes inside a frame. Not NUL-terminated. */
typedef struct ipc_str {
    const char *p;
    uint32_t n;
} ipc_str_t;

/* Error codes. 1..19 are protocol errors: the server sends an `error` frame
 * and closes the connection. 20.. are request errors: an `error` reply with
 * the request's id; the connection stays open. */
typedef enum ipc_code {
    IPC_OK = 0,
    IPC_E_FRAME_SIZE = 1,    /* length prefix 0 or > IPC_MAX_FRAME */
    IPC_E_MALFORMED = 2,     /* not exactly one valid msgpack value; bad UTF-8; ext; depth */
    IPC_E_NOT_MAP = 3,       /* the value is not a map */
    IPC_E_UNKNOWN_TYPE = 4,  /* "t" names no message this side accepts */
    IPC_E_MISSING_FIELD = 5,
    IPC_E_BAD_TYPE = 6,      /* field has the wrong msgpack type */
    IPC_E_FLOAT_MONEY = 7,   /* a float where a decimal string is required */
    IPC_E_BAD_VALUE = 8,     /* right type, value out of range or grammar */
    IPC_E_UNKNOWN_FIELD = 9,
    IPC_E_DUP_FIELD = 10,    /* a key appears twice in one map */
    IPC_E_HANDSHAKE = 11,    /* first frame not hello, or a second hello */
    IPC_E_VERSION = 12,      /* unsupported protocol version */
    IPC_E_TIMEOUT = 13,      /* no frame from the peer within the heartbeat timeout */
    IPC_E_SHUTDOWN = 14,     /* server is stopping */
    IPC_E_UNKNOWN_RES = 20,  /* report names a reservation the trader does not know */
    IPC_E_UNKNOWN_INSTRUMENT = 21,
    IPC_E_INVALID = 22,      /* well-formed but semantically unacceptable */
    IPC_E_NOT_READY = 23,    /* trader not ready (recovering, reconciling) */
    IPC_E_INTERNAL = 24,
} ipc_code_t;

/* Name of a code as used on the wire and in test vectors ("MISSING_FIELD"). */
const char *ipc_code_name(int code);
/* Protocol errors close the connection. */
bool ipc_code_is_fatal(int code);

typedef enum ipc_type {
    IPC_T_NONE = 0,
    /* client -> server */
    IPC_T_HELLO,
    IPC_T_CHECK,
    IPC_T_REPORT,
    IPC_T_MARK,
    IPC_T_INSTRUMENT,
    IPC_T_RESOLVE,
    IPC_T_QUERY,
    IPC_T_SUBSCRIBE,
    IPC_T_KILL,
    IPC_T_UNKILL,
    /* both ways */
    IPC_T_HB,
    /* server -> client */
    IPC_T_HELLO_OK,
    IPC_T_OK,
    IPC_T_ERROR,
    IPC_T_CHECK_OK,
    IPC_T_CHECK_REJECT,
    IPC_T_QUERY_OK,
    IPC_T_STATE,
    IPC_T_REFPRICE,
    IPC_T_EVENT,
    /* added for the recorder (journal follow): client -> server, then server -> client */
    IPC_T_FOLLOW,
    IPC_T_JREC,
    IPC_T_COUNT_
} ipc_type_t;

/* Which side decodes: a server accepts client messages and vice versa. */
typedef enum ipc_dir {
    IPC_DIR_TO_SERVER = 1,
    IPC_DIR_TO_CLIENT = 2,
} ipc_dir_t;

typedef enum { IPC_VENUE_PAPER = 1, IPC_VENUE_BINANCE, IPC_VENUE_IBKR, IPC_VENUE_POLYMARKET } ipc_venue_t;
typedef enum { IPC_SIDE_BUY = 1, IPC_SIDE_SELL } ipc_side_t;
typedef enum { IPC_ORD_LIMIT = 1, IPC_ORD_MARKET } ipc_ord_t;
typedef enum { IPC_TIF_GTC = 1, IPC_TIF_GTD, IPC_TIF_IOC, IPC_TIF_FOK, IPC_TIF_FAK } ipc_tif_t;
typedef enum {
    IPC_RK_ACK = 1, IPC_RK_REJECT, IPC_RK_FILL, IPC_RK_CANCEL, IPC_RK_EXPIRE
} ipc_report_kind_t;
typedef enum { IPC_LIQ_MAKER = 1, IPC_LIQ_TAKER } ipc_liq_t;
typedef enum { IPC_IK_SPOT = 1, IPC_IK_STOCK, IPC_IK_FX, IPC_IK_BINARY } ipc_inst_kind_t;
typedef enum {
    IPC_Q_STATUS = 1, IPC_Q_POSITIONS, IPC_Q_LIMITS, IPC_Q_ORDERS
} ipc_query_what_t;
/* scope of a state push: global, or one venue (same numbering as ipc_venue_t + 1) */
typedef enum {
    IPC_SCOPE_GLOBAL = 1, IPC_SCOPE_PAPER, IPC_SCOPE_BINANCE, IPC_SCOPE_IBKR, IPC_SCOPE_POLYMARKET
} ipc_scope_t;
typedef enum { IPC_STATE_ACTIVE = 1, IPC_STATE_REDUCING, IPC_STATE_HALTED } ipc_state_t;
/* subscription topics, as a bit mask */
enum {
    IPC_TOPIC_STATE = 1u << 0,
    IPC_TOPIC_REFPRICE = 1u << 1,
    IPC_TOPIC_EVENTS = 1u << 2,
};

/* Wire names of enum values (index = enum value, [0] = NULL). */
const char *ipc_venue_name(int v);
const char *ipc_type_name(int t);

/* ---- client -> server ---- */
typedef struct { uint64_t v; ipc_str_t client; } ipc_hello_t;

typedef struct {
    uint64_t id;
    ipc_venue_t venue;
    ipc_str_t sym;
    ipc_side_t side;
    ipc_str_t px;      /* limit price; for market orders the worst acceptable price */
    ipc_str_t qty;
    ipc_ord_t ord;
    ipc_tif_t tif;
    bool post_only;
    ipc_str_t cid;     /* client order id */
    bool has_exp;
    int64_t exp;       /* ns since epoch; present iff tif == gtd */
} ipc_check_t;

typedef struct {
    uint64_t id;
    uint64_t res;
    ipc_report_kind_t kind;
    ipc_str_t voi;     /* venue order id; required for ack and fill */
    ipc_str_t tid;     /* fill only (required) */
    ipc_str_t px;      /* fill only (required) */
    ipc_str_t qty;     /* fill only (required) */
    ipc_str_t fee;     /* fill only (required); signed: negative = rebate */
    ipc_str_t fee_ccy; /* fill only (required) */
    ipc_liq_t liq;     /* fill only (required); 0 when absent */
    ipc_str_t reason;  /* optional */
    int64_t ts;
} ipc_report_t;

typedef struct {
    bool has_id;
    uint64_t id;       /* optional: when present the server replies ok/error */
    ipc_venue_t venue;
    ipc_str_t sym;
    ipc_str_t px;
    int64_t ts;
} ipc_mark_t;

typedef struct {
    uint64_t id;
    ipc_venue_t venue;
    ipc_str_t sym;
    ipc_inst_kind_t kind;
    ipc_str_t market;     /* optional; required for binary (condition id) */
    ipc_str_t complement; /* binary only (required): sym of the other outcome */
    ipc_str_t tick;
    ipc_str_t lot;
    ipc_str_t min_qty;
    ipc_str_t min_notional;
    ipc_str_t quote_ccy;
    ipc_str_t usd_rate;   /* USD per 1 unit of quote_ccy */
} ipc_instrument_t;

typedef struct {
    uint64_t id;
    ipc_venue_t venue;
    ipc_str_t sym;
    ipc_str_t px;      /* settlement price of this outcome: "1", "0", or e.g. "0.5" */
    int64_t ts;
} ipc_resolve_t;

typedef struct { uint64_t id; ipc_query_what_t what; } ipc_query_t;
typedef struct { uint64_t id; uint32_t topics; } ipc_subscribe_t;
typedef struct { uint64_t id; ipc_str_t reason; } ipc_kill_t; /* kill and unkill */
/* follow: stream the journal from seq from_seq on (0 or 1 = from the start) */
typedef struct { uint64_t id; uint64_t from_seq; } ipc_follow_t;

/* ---- both ways ---- */
typedef struct { int64_t ts; } ipc_hb_t;

/* ---- server -> client ---- */
typedef struct { uint64_t v; ipc_str_t server; uint64_t jseq; } ipc_hello_ok_t;
typedef struct { uint64_t id; } ipc_ok_t;
typedef struct {
    bool has_id;
    uint64_t id;
    int64_t code;
    ipc_str_t name;
    ipc_str_t reason;
} ipc_error_msg_t;
typedef struct { uint64_t id; uint64_t res; } ipc_check_ok_t;
typedef struct {
    uint64_t id;
    int64_t code;
    ipc_str_t name;    /* risk rule name, e.g. "MAX_POSITION" */
    ipc_str_t reason;
} ipc_check_reject_t;
typedef struct {
    uint64_t id;
    const msgpack_object *data; /* a map; free-form, owned by the frame's zone */
} ipc_query_ok_t;
typedef struct {
    ipc_scope_t scope;
    ipc_state_t state;
    ipc_str_t reason;
    int64_t ts;
} ipc_state_msg_t;
typedef struct { ipc_str_t sym; ipc_str_t px; int64_t ts; } ipc_refprice_t;
typedef struct {
    ipc_str_t kind;    /* e.g. "fill", "reject", "limit", "kill" */
    ipc_venue_t venue; /* optional (0) */
    ipc_str_t sym;     /* optional */
    ipc_str_t reason;
    int64_t ts;
    const msgpack_object *data; /* optional map (NULL) */
} ipc_event_t;
/* one journal record pushed to a follower: its seq, its journal type
 * (jrec.h numbering) and its msgpack map as written in the journal */
typedef struct {
    uint64_t seq;
    uint64_t type;
    const msgpack_object *rec;
} ipc_jrec_t;

typedef struct ipc_msg {
    ipc_type_t type;
    union {
        ipc_hello_t hello;
        ipc_check_t check;
        ipc_report_t report;
        ipc_mark_t mark;
        ipc_instrument_t instrument;
        ipc_resolve_t resolve;
        ipc_query_t query;
        ipc_subscribe_t subscribe;
        ipc_kill_t kill;   /* IPC_T_KILL and IPC_T_UNKILL */
        ipc_follow_t follow;
        ipc_hb_t hb;
        ipc_hello_ok_t hello_ok;
        ipc_ok_t ok;
        ipc_error_msg_t error;
        ipc_check_ok_t check_ok;
        ipc_check_reject_t check_reject;
        ipc_query_ok_t query_ok;
        ipc_state_msg_t state;
        ipc_refprice_t refprice;
        ipc_event_t event;
        ipc_jrec_t jrec;
    } u;
} ipc_msg_t;

/* Why a frame was refused: a code and a sentence naming the field. */
typedef struct ipc_err {
    int code;            /* ipc_code_t */
    char field[24];      /* offending key, "" if none */
    char text[200];
} ipc_err_t;

void ipc_err_set(ipc_err_t *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Build a slice from a NUL-terminated C string (NULL -> absent). */
ipc_str_t ipc_cstr(const char *s);
bool ipc_str_eq(ipc_str_t s, const char *cstr);

#endif
