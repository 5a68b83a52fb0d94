/* ipc_schema.h - the protocol as data: for every message type, its wire name,
 * direction and fields (key, kind, required, where it lives in the struct).
 * ipc_decode.c and ipc_encode.c both walk these tables, so the two can never
 * disagree about a field; PROTOCOL.md lists the same fields in the same order
 * (that order is the canonical encoding order). Internal to c/ipc. */
#ifndef TRADER_IPC_SCHEMA_H
#define TRADER_IPC_SCHEMA_H

#include "ipc/ipc_msg.h"

typedef enum ipc_kind {
    IPC_K_UINT,   /* uint64_t */
    IPC_K_INT,    /* int64_t (timestamps) */
    IPC_K_BOOL,   /* bool */
    IPC_K_IDENT,  /* ipc_str_t, printable ASCII 1..IPC_MAX_IDENT */
    IPC_K_TEXT,   /* ipc_str_t, UTF-8 0..IPC_MAX_TEXT */
    IPC_K_UDEC,   /* ipc_str_t, unsigned decimal string */
    IPC_K_SDEC,   /* ipc_str_t, signed decimal string */
    IPC_K_ENUM,   /* int-sized enum, value = index in names (1-based) */
    IPC_K_TOPICS, /* uint32_t bit mask from an array of topic names */
    IPC_K_MAP,    /* const msgpack_object * (a map, free-form) */
} ipc_kind_t;

typedef struct ipc_field {
    const char *key;
    ipc_kind_t kind;
    bool required;
    size_t off;                /* offset in the message struct */
    long has_off;              /* offset of a bool presence flag, or -1 */
    const char *const *names;  /* IPC_K_ENUM / IPC_K_TOPICS: names[1..count] */
    int count;
} ipc_field_t;

/* Per-type checks that span fields (e.g. fill requires px). Returns false and
 * fills err on failure. */
typedef bool (*ipc_cross_check_fn)(const ipc_msg_t *msg, ipc_err_t *err);

typedef struct ipc_spec {
    const char *name;          /* value of "t" */
    ipc_type_t type;
    unsigned dirs;             /* bit mask of ipc_dir_t it may travel */
    const ipc_field_t *fields;
    int nfields;
    ipc_cross_check_fn cross_check;
} ipc_spec_t;

const ipc_spec_t *ipc_spec_by_type(ipc_type_t type);
const ipc_spec_t *ipc_spec_by_name(const char *name, size_t len);

/* Enum name tables (index 0 is NULL). */
extern const char *const ipc_topic_names[];
extern const int ipc_topic_count;

#endif
