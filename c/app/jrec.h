/* jrec.h - what the trader writes in its journal, and reads back.
 *
 * One msgpack map per record (the journal itself only sees bytes). Amounts
 * are decimal strings, not mantissas, so a record still means the same
 * thing if an instrument's scales change in the config between runs. */
#ifndef TRADER_APP_JREC_H
#define TRADER_APP_JREC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/instrument.h"
#include "journal/journal.h"
#include "venues/venue.h"

enum jrec_type {
    JREC_INSTRUMENT = 1, /* an instrument registered at runtime (IPC) */
    JREC_ACCEPT = 2,     /* a reservation the risk engine accepted */
    JREC_REPORT = 3,     /* a venue report on a reservation (ack, reject, fill, cancel, expire) */
    JREC_STATE = 4,      /* an operator or kill state change */
    JREC_RESOLVE = 5,    /* a binary market resolved */
};

/* A decoded record: strings point into the payload being replayed. */
struct jrec {
    enum jrec_type type;
    int64_t ts;
    /* ACCEPT / REPORT / RESOLVE */
    uint64_t res;
    uint8_t venue;
    char sym[INSTRUMENT_SYMBOL_CAP];
    int side;
    bool local;              /* ACCEPT: placed by the trader's own strategy */
    bool won;                /* RESOLVE: this outcome won */
    char px[48], qty[48], fee[48];
    char cid[VENUE_ID_CAP];
    /* REPORT */
    enum report_kind kind;
    char voi[VENUE_ID_CAP], tid[VENUE_ID_CAP];
    int liq;
    /* STATE */
    int scope;
    uint32_t index;
    int state;
    int reason;
    char text[256];
    /* INSTRUMENT */
    struct instrument inst;
};

/* Each appends one record to the journal buffer; 0 or <0 (journal status). */
int jrec_accept(journal *j, const struct instrument *in, uint64_t res, int side, int64_t px,
                int64_t qty, bool local, const char *cid, int64_t ts);
int jrec_report(journal *j, const struct instrument *in, int side, const struct venue_report *r);
/* STATE: `state` is the hold of `reason` that changed (what replay sets);
 * `effective` is the scope's state after the change (the strictest of all its
 * holds, some of which, like a loss breaker, are not journaled), written as
 * "eff" for readers of the journal (the recorder); replay ignores it, and a
 * record without it (older traders) still decodes. */
int jrec_state(journal *j, int scope, uint32_t index, int state, int reason, int effective,
               const char *text, int64_t ts);
int jrec_instrument(journal *j, const struct instrument *in, int64_t ts);
int jrec_resolve(journal *j, const struct instrument *winner_or_market, bool winner, int64_t ts);

/* Decodes a payload of the given journal type. 0 or -1 with err. */
int jrec_decode(uint16_t type, const uint8_t *payload, uint32_t len, struct jrec *out, char *err,
                size_t errlen);

#endif
