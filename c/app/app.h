/* app.h - the trader process: one libuv loop wiring the risk engine, the
 * journal, the IPC server, the connectors and the C strategy.
 *
 * Everything runs on the loop thread. Order of one loop iteration: I/O
 * callbacks decide (risk) and append to the journal buffer and queue IPC
 * replies; a uv_check callback then writes the journal (one pwrite) and only
 * after that flushes the replies, so nothing acknowledged can be lost by a
 * crash of this process. fdatasync runs as a group commit on libuv's thread
 * pool. */
#ifndef TRADER_APP_APP_H
#define TRADER_APP_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "app/cli.h"
#include "app/config.h"
#include "app/follow.h"
#include "app/order_table.h"
#include "app/redis_ctl.h"
#include "core/log.h"
#include "ipc/ipc_server.h"
#include "journal/journal.h"
#include "risk/risk.h"
#include "strategy/quoter.h"
#include "venues/venue.h"

#define APP_MAX_INSTRUMENTS 4096
#define APP_MAX_RESERVATIONS 65536

struct app {
    uv_loop_t *loop;
    struct logger log;
    struct cli_options opt;
    struct app_config cfg;
    struct risk_engine *risk;
    const struct instrument_registry *reg;   /* the engine's registry */
    journal *jr;
    ipc_server_t *ipc;
    struct order_table orders;
    struct venue *venues[VENUE_COUNT];
    enum venue_conn conn[VENUE_COUNT];
    int64_t conn_since_ns[VENUE_COUNT];
    struct quoter quoter;
    uv_timer_t tick_timer;
    uv_timer_t fsync_timer;          /* the next group fdatasync, when throttled */
    int64_t fsync_next_ns;           /* mono time before which no fdatasync starts */
    uv_timer_t stop_timer;
    uv_check_t flush_check;
    uv_signal_t sig_int, sig_term;
    uv_fs_t fsync_req;
    bool fsync_in_flight;
    uint64_t fsync_upto;
    bool kill_file_seen;
    bool journal_broken;
    bool stopping;
    bool replaying;
    int64_t started_ns;
    int64_t marks_seen;
    char journal_path[CONFIG_PATH_CAP + 32];
    /* record and control plane (issue 4): journal followers, Redis kill channel */
    struct follow_set follows;
    struct redis_ctl *redis;
};

/* Loads config, opens and replays the journal, starts the IPC server and
 * the connectors. 0, or -1 after logging why. */
int app_init(struct app *a, uv_loop_t *loop, const struct cli_options *opt);

/* Runs the loop until a signal or app_stop(). Returns the exit code. */
int app_run(struct app *a);

/* Graceful stop: cancel local orders, flush the journal, close handles. */
void app_stop(struct app *a, const char *why);

void app_free(struct app *a);

/* Kill switch (file, IPC verb, Redis): HALTED everywhere, then cancel every
 * open order on every connector. Idempotent. */
void app_kill(struct app *a, const char *source, const char *reason);
/* Lifts the kill hold. Refused (-1) while the kill file exists. */
int app_unkill(struct app *a, const char *source, const char *reason);

/* The strategy's way in: risk check, journal, send. Returns the
 * reservation id or 0 if refused. */
uint64_t app_place_local(struct app *a, const struct venue_order *o);
void app_cancel_local(struct app *a, uint64_t res);

/* Applies a venue report (from a connector or an IPC client): journal,
 * risk, order table, strategy, subscribers. 0 or -1 (unknown reservation,
 * bad values). */
int app_apply_report(struct app *a, const struct venue_report *r, char *err, size_t errlen);

/* Drains the engine's events: logs, pushes states and events to IPC
 * subscribers, cancels orders on venues that went HALTED. */
void app_drain_risk_events(struct app *a);

/* Records the status of a journal append; any failure halts trading. */
void app_journal_result(struct app *a, const char *what, int rc);

/* A mark from any source (connector, paper walk, IPC): risk, paper
 * matcher, strategy, reference-price subscribers. */
void app_on_mark(struct app *a, uint32_t inst, int64_t px, int64_t ts_ns);

/* IPC message dispatch (dispatch.c). */
void app_on_ipc_message(ipc_conn_t *conn, const ipc_msg_t *msg, const msgpack_object *raw,
                        void *ctx);

#endif
