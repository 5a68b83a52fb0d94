/* config.h - the trader's JSON config file, strictly validated.
 *
 * Every unknown key or wrong type is an error naming the key's path
 * ("venues.paper.walks[0].start: ..."). Sections:
 *
 *   live         bool    must be true for --mode live (with --confirm-live)
 *   log_level    string  debug|info|warn|error
 *   state_dir    string  journal and runtime files
 *   kill_file    string  kill switch: while this file exists, HALTED
 *   ipc          {socket, heartbeat_ms, client_timeout_ms}
 *   journal      {fsync: "group"|"none", fsync_interval_ms: 0..1000 (default 2)}
 *   risk         see docs/RISK.md
 *   instruments  [ instrument objects, see docs/RISK.md ]
 *   venues       {paper: {...}, binance: {...}, ibkr: {...}}
 *   strategy     {quotes: [ {venue, symbol, size, half_spread_bps, ...} ]}
 *   refprices    [ symbols whose Binance mid is streamed to IPC subscribers ]
 *   redis        {url, kill_channel}: the Redis kill broadcast (redis_ctl.h)
 */
#ifndef TRADER_APP_CONFIG_H
#define TRADER_APP_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include "app/redis_ctl.h"
#include "core/instrument.h"
#include "risk/risk_limits.h"
#include "strategy/quoter.h"
#include "venues/paper/paper.h"

#define CONFIG_PATH_CAP 256

enum journal_fsync { JOURNAL_FSYNC_GROUP = 0, JOURNAL_FSYNC_NONE = 1 };

struct app_config {
    bool live;
    char log_level[16];
    char state_dir[CONFIG_PATH_CAP];
    char kill_file[CONFIG_PATH_CAP];
    char socket_path[108];             /* sun_path limit */
    int heartbeat_ms;
    int client_timeout_ms;
    enum journal_fsync fsync;
    int32_t fsync_interval_ms;         /* least time between two group fdatasyncs */
    struct risk_limits risk;
    struct paper_config paper;
    struct quoter_config strategy;
    struct redis_ctl_config redis;     /* enabled=false when the section is absent */
    json_t *root;                      /* kept for connector sections (binance, ibkr) */
};

/* Loads path into cfg and registers its instruments in reg (which must be
 * initialised). Returns 0, or -1 with err naming the file and key. */
int config_load(const char *path, struct app_config *cfg, struct instrument_registry *reg,
                char *err, size_t errlen);

void config_free(struct app_config *cfg);

#endif
