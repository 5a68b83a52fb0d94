/* follow.h - IPC clients that follow the journal (the recorder).
 *
 * A client sends `follow {from_seq}`; from then on it receives one `jrec`
 * push per journal record, in seq order, first read back from the journal
 * file (journal_reader) and then live as the trader appends, but only
 * records that are durable (<= the synced seq under group fsync, <= the
 * flushed seq with fsync "none"): a follower never records a decision the
 * trader could still lose.
 *
 * Flow control: records are read from the file only while the connection's
 * queued output is below FOLLOW_HIGH_WATER, so a slow follower (or one whose
 * Postgres is down) costs the trader a bounded buffer and a file offset,
 * never memory that grows; it catches up from the file when it reads again.
 *
 * Everything runs on the loop thread. The set is owned by the app; pump it
 * from the uv_check callback after the journal write and before
 * ipc_server_flush, and call follow_after_flush right after the flush. */
#ifndef TRADER_APP_FOLLOW_H
#define TRADER_APP_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ipc/ipc_server.h"

#define FOLLOW_HIGH_WATER (256u * 1024u) /* queued bytes per follower before we stop reading */

struct follower;

struct follow_set {
    char path[512];           /* the journal file */
    struct follower *head;
    uv_idle_t idle;           /* keeps the loop turning while a follower is behind */
    bool idle_init;
    bool idle_active;
};

/* path: the journal file. 0, or -1 if the idle handle cannot be made. */
int follow_set_init(struct follow_set *s, uv_loop_t *loop, const char *path);

/* Handles a follow request: replaces any follow on this connection and
 * answers ok (or an error reply naming the cause). */
void follow_request(struct follow_set *s, ipc_conn_t *c, uint64_t id, uint64_t from_seq);

/* Queues jrec pushes, up to seq upto (inclusive), to every follower whose
 * output is below the high-water mark. */
void follow_pump(struct follow_set *s, uint64_t upto);

/* After ipc_server_flush: if a follower is behind and nothing will wake the
 * loop for it (its output drained at once), keep the loop turning. */
void follow_after_flush(struct follow_set *s, uint64_t upto);

/* The connection is closing: forget its follow. */
void follow_conn_closed(struct follow_set *s, ipc_conn_t *c);

/* Frees every follower and closes the idle handle (loop still running). */
void follow_set_close(struct follow_set *s);

/* Number of connections following (for status and tests). */
unsigned follow_count(const struct follow_set *s);

#endif
