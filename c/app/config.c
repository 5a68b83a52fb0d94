/* config.c - loads and validates the trader config (see config.h). */
#include "app/config.h"

#include <stdio.h>
#include <string.h>

#include "core/json_strict.h"

static const char *const ROOT_KEYS[] = {"live", "log_level", "state_dir", "kill_file", "ipc",
                                        "journal", "risk", "instruments", "venues", "strategy",
                                        "description", "redis", NULL};

static int load_ipc(const json_t *root, struct app_config *c, char *err, size_t errlen)
{
    static const char *const keys[] = {"socket", "heartbeat_ms", "client_timeout_ms", NULL};
    const json_t *ipc = NULL;
    bool present = false;
    if (js_get_object(root, "", "ipc", JS_OPTIONAL, &ipc, &present, err, errlen) != 0)
        return -1;
    if (!present)
        return 0;
    int64_t v;
    if (js_check_object(ipc, "ipc", keys, err, errlen) != 0 ||
        js_get_string(ipc, "ipc", "socket", JS_OPTIONAL, false, c->socket_path,
                      sizeof c->socket_path, NULL, err, errlen) != 0)
        return -1;
    v = c->heartbeat_ms;
    if (js_get_int(ipc, "ipc", "heartbeat_ms", JS_OPTIONAL, 50, 60000, &v, NULL, err, errlen) != 0)
        return -1;
    c->heartbeat_ms = (int)v;
    v = c->client_timeout_ms;
    if (js_get_int(ipc, "ipc", "client_timeout_ms", JS_OPTIONAL, 100, 600000, &v, NULL, err,
                   errlen) != 0)
        return -1;
    c->client_timeout_ms = (int)v;
    return 0;
}

static int load_journal(const json_t *root, struct app_config *c, char *err, size_t errlen)
{
    static const char *const keys[] = {"fsync", "fsync_interval_ms", NULL};
    static const char *const modes[] = {"group", "none"};
    const json_t *j = NULL;
    bool present = false;
    if (js_get_object(root, "", "journal", JS_OPTIONAL, &j, &present, err, errlen) != 0)
        return -1;
    if (!present)
        return 0;
    int mode = (int)c->fsync;
    if (js_check_object(j, "journal", keys, err, errlen) != 0 ||
        js_get_enum(j, "journal", "fsync", JS_OPTIONAL, modes, 2, &mode, NULL, err, errlen) != 0)
        return -1;
    int64_t interval = c->fsync_interval_ms;
    if (js_get_int(j, "journal", "fsync_interval_ms", JS_OPTIONAL, 0, 1000, &interval, NULL, err,
                   errlen) != 0)
        return -1;
    c->fsync = (enum journal_fsync)mode;
    c->fsync_interval_ms = (int32_t)interval;
    return 0;
}

static int load_instruments(const json_t *root, struct instrument_registry *reg, char *err,
                            size_t errlen)
{
    const json_t *arr = json_object_get(root, "instruments");
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr))
        return js_errorf(err, errlen, "", "instruments", "expected an array");
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item) {
        char path[64];
        snprintf(path, sizeof path, "instruments[%zu]", i);
        struct instrument spec;
        if (instrument_from_json(item, path, &spec, err, errlen) != 0)
            return -1;
        uint32_t id;
        char why[256];
        if (instrument_registry_add(reg, &spec, &id, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", path, why);
            return -1;
        }
    }
    return 0;
}

/* Looks up an instrument named by "symbol" (and the venue) in obj. */
static int get_inst(const json_t *obj, const char *path, enum venue_id venue,
                    const struct instrument_registry *reg, uint32_t *out, char *err,
                    size_t errlen)
{
    char sym[INSTRUMENT_SYMBOL_CAP];
    if (js_get_string(obj, path, "symbol", JS_REQUIRED, false, sym, sizeof sym, NULL, err,
                      errlen) != 0)
        return -1;
    if (instrument_find(reg, venue, sym, strlen(sym), out) != 0)
        return js_errorf(err, errlen, path, "symbol",
                         "'%s' is not a %s instrument in \"instruments\"", sym,
                         venue_name(venue));
    return 0;
}

static int load_paper(const json_t *venues, struct app_config *c,
                      const struct instrument_registry *reg, char *err, size_t errlen)
{
    static const char *const keys[] = {"maker_fee_bps", "taker_fee_bps", "seed", "walks", NULL};
    static const char *const walk_keys[] = {"symbol", "start", "step_ticks", "interval_ms", NULL};
    const json_t *p = NULL;
    bool present = false;
    if (js_get_object(venues, "venues", "paper", JS_OPTIONAL, &p, &present, err, errlen) != 0)
        return -1;
    if (!present)
        return 0;
    const char *path = "venues.paper";
    int64_t maker = c->paper.maker_fee_bps, taker = c->paper.taker_fee_bps, seed = 1;
    if (js_check_object(p, path, keys, err, errlen) != 0 ||
        js_get_int(p, path, "maker_fee_bps", JS_OPTIONAL, -1000, 1000, &maker, NULL, err,
                   errlen) != 0 ||
        js_get_int(p, path, "taker_fee_bps", JS_OPTIONAL, -1000, 1000, &taker, NULL, err,
                   errlen) != 0 ||
        js_get_int(p, path, "seed", JS_OPTIONAL, 0, INT64_MAX, &seed, NULL, err, errlen) != 0)
        return -1;
    c->paper.maker_fee_bps = (int32_t)maker;
    c->paper.taker_fee_bps = (int32_t)taker;
    c->paper.seed = (uint64_t)seed;
    const json_t *walks = json_object_get(p, "walks");
    if (walks == NULL)
        return 0;
    if (!json_is_array(walks))
        return js_errorf(err, errlen, path, "walks", "expected an array");
    if (json_array_size(walks) > PAPER_MAX_WALKS)
        return js_errorf(err, errlen, path, "walks", "at most %d entries", PAPER_MAX_WALKS);
    size_t i;
    const json_t *w;
    json_array_foreach(walks, i, w) {
        char wpath[64];
        snprintf(wpath, sizeof wpath, "%s.walks[%zu]", path, i);
        struct paper_walk_config *wc = &c->paper.walks[i];
        int64_t step = 1, interval = 100;
        if (js_check_object(w, wpath, walk_keys, err, errlen) != 0 ||
            get_inst(w, wpath, VENUE_PAPER, reg, &wc->inst, err, errlen) != 0)
            return -1;
        const struct instrument *in = instrument_get(reg, wc->inst);
        if (js_get_decimal(w, wpath, "start", JS_REQUIRED, in->price_scale, 1, INT64_MAX,
                           &wc->start_px, NULL, err, errlen) != 0 ||
            js_get_int(w, wpath, "step_ticks", JS_OPTIONAL, 0, 1000000, &step, NULL, err,
                       errlen) != 0 ||
            js_get_int(w, wpath, "interval_ms", JS_OPTIONAL, 1, 3600000, &interval, NULL, err,
                       errlen) != 0)
            return -1;
        wc->step_ticks = (int32_t)step;
        wc->interval_ms = (int32_t)interval;
        c->paper.n_walks = (int)i + 1;
    }
    return 0;
}

static int load_venues(const json_t *root, struct app_config *c,
                       const struct instrument_registry *reg, char *err, size_t errlen)
{
    static const char *const keys[] = {"paper", "binance", "ibkr", NULL};
    const json_t *v = NULL;
    bool present = false;
    if (js_get_object(root, "", "venues", JS_OPTIONAL, &v, &present, err, errlen) != 0)
        return -1;
    if (!present)
        return 0;
    if (js_check_object(v, "venues", keys, err, errlen) != 0)
        return -1;
    /* binance and ibkr sections belong to their connectors, which validate
     * them as strictly when they start. */
    return load_paper(v, c, reg, err, errlen);
}

static int load_strategy(const json_t *root, struct app_config *c,
                         const struct instrument_registry *reg, char *err, size_t errlen)
{
    static const char *const keys[] = {"enabled", "quotes", NULL};
    static const char *const line_keys[] = {"venue", "symbol", "size", "max_inventory",
                                            "half_spread_bps", "skew_bps", "tolerance_bps",
                                            "min_requote_ms", NULL};
    static const char *const venues[] = {"paper", "binance", "ibkr"};
    const json_t *s = NULL;
    bool present = false;
    if (js_get_object(root, "", "strategy", JS_OPTIONAL, &s, &present, err, errlen) != 0)
        return -1;
    if (!present)
        return 0;
    c->strategy.enabled = true;
    if (js_check_object(s, "strategy", keys, err, errlen) != 0 ||
        js_get_bool(s, "strategy", "enabled", JS_OPTIONAL, &c->strategy.enabled, NULL, err,
                    errlen) != 0)
        return -1;
    const json_t *quotes = json_object_get(s, "quotes");
    if (quotes == NULL)
        return 0;
    if (!json_is_array(quotes))
        return js_errorf(err, errlen, "strategy", "quotes", "expected an array");
    if (json_array_size(quotes) > QUOTER_MAX_LINES)
        return js_errorf(err, errlen, "strategy", "quotes", "at most %d entries",
                         QUOTER_MAX_LINES);
    size_t i;
    const json_t *q;
    json_array_foreach(quotes, i, q) {
        char path[64];
        snprintf(path, sizeof path, "strategy.quotes[%zu]", i);
        struct quote_line_config *lc = &c->strategy.lines[i];
        int venue = 0;
        int64_t hs = 10, skew = 0, tol = 5, requote = 500;
        if (js_check_object(q, path, line_keys, err, errlen) != 0 ||
            js_get_enum(q, path, "venue", JS_REQUIRED, venues, 3, &venue, NULL, err, errlen) != 0 ||
            get_inst(q, path, (enum venue_id)venue, reg, &lc->inst, err, errlen) != 0)
            return -1;
        const struct instrument *in = instrument_get(reg, lc->inst);
        if (js_get_decimal(q, path, "size", JS_REQUIRED, in->qty_scale, 1, INT64_MAX, &lc->size,
                           NULL, err, errlen) != 0)
            return -1;
        lc->max_inventory = lc->size;
        if (js_get_decimal(q, path, "max_inventory", JS_OPTIONAL, in->qty_scale, 0, INT64_MAX,
                           &lc->max_inventory, NULL, err, errlen) != 0 ||
            js_get_int(q, path, "half_spread_bps", JS_OPTIONAL, 1, 5000, &hs, NULL, err,
                       errlen) != 0 ||
            js_get_int(q, path, "skew_bps", JS_OPTIONAL, 0, 5000, &skew, NULL, err, errlen) != 0 ||
            js_get_int(q, path, "tolerance_bps", JS_OPTIONAL, 0, 5000, &tol, NULL, err,
                       errlen) != 0 ||
            js_get_int(q, path, "min_requote_ms", JS_OPTIONAL, 0, 3600000, &requote, NULL, err,
                       errlen) != 0)
            return -1;
        lc->half_spread_bps = (int32_t)hs;
        lc->skew_bps = (int32_t)skew;
        lc->tolerance_bps = (int32_t)tol;
        lc->min_requote_ms = (int32_t)requote;
        c->strategy.n_lines = (int)i + 1;
    }
    return 0;
}

static void set_defaults(struct app_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->log_level, sizeof c->log_level, "info");
    snprintf(c->state_dir, sizeof c->state_dir, "state");
    snprintf(c->kill_file, sizeof c->kill_file, ".kill_switch");
    snprintf(c->socket_path, sizeof c->socket_path, "state/trader.sock");
    c->heartbeat_ms = 1000;
    c->client_timeout_ms = 3000;
    c->fsync = JOURNAL_FSYNC_GROUP;
    c->fsync_interval_ms = 2;
    c->paper.taker_fee_bps = 10;
    c->paper.seed = 1;
    risk_limits_default(&c->risk, RISK_PROFILE_MICRO);
}

int config_load(const char *path, struct app_config *c, struct instrument_registry *reg,
                char *err, size_t errlen)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    char why[512];
    set_defaults(c);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    c->root = root;
    int level = 1;
    bool present = false;
    char description[512];
    const json_t *risk = NULL;
    if (!json_is_object(root)) {
        snprintf(why, sizeof why, "the top level must be an object");
        goto fail;
    }
    if (js_check_object(root, "", ROOT_KEYS, why, sizeof why) != 0 ||
        js_get_bool(root, "", "live", JS_OPTIONAL, &c->live, NULL, why, sizeof why) != 0 ||
        js_get_string(root, "", "description", JS_OPTIONAL, true, description,
                      sizeof description, NULL, why, sizeof why) != 0 ||
        js_get_enum(root, "", "log_level", JS_OPTIONAL, levels, 4, &level, NULL, why,
                    sizeof why) != 0 ||
        js_get_string(root, "", "state_dir", JS_OPTIONAL, false, c->state_dir,
                      sizeof c->state_dir, NULL, why, sizeof why) != 0 ||
        js_get_string(root, "", "kill_file", JS_OPTIONAL, false, c->kill_file,
                      sizeof c->kill_file, NULL, why, sizeof why) != 0 ||
        load_ipc(root, c, why, sizeof why) != 0 || load_journal(root, c, why, sizeof why) != 0 ||
        redis_ctl_config_load(root, &c->redis, why, sizeof why) != 0)
        goto fail;
    snprintf(c->log_level, sizeof c->log_level, "%s", levels[level]);
    if (js_get_object(root, "", "risk", JS_OPTIONAL, &risk, &present, why, sizeof why) != 0)
        goto fail;
    if (present && (risk_limits_from_json(risk, &c->risk, why, sizeof why) != 0 ||
                    risk_limits_validate(&c->risk, why, sizeof why) != 0))
        goto fail;
    if (load_instruments(root, reg, why, sizeof why) != 0 ||
        load_venues(root, c, reg, why, sizeof why) != 0 ||
        load_strategy(root, c, reg, why, sizeof why) != 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "%s: %s", path, why);
    json_decref(root);
    c->root = NULL;
    return -1;
}

void config_free(struct app_config *c)
{
    if (c->root != NULL)
        json_decref(c->root);
    c->root = NULL;
}
