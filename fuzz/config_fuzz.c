/* config_fuzz.c - libFuzzer target for the trader's config loader:
 * config_load() (c/app/config.c) with everything it calls (json_strict,
 * risk_limits_from_json/validate, instrument_from_json and the registry,
 * the paper, strategy and redis sections), then the IBKR connector's own
 * section reader ibkr_config_load() on venues.ibkr, as the app does at
 * start. (The Binance section is not fuzzed here: bn_config_load reads
 * credentials from the environment and from files the config names.)
 *
 * The input is the config file's bytes. config_load takes a path, so the
 * bytes go into an anonymous memory file (memfd) opened through
 * /proc/self/fd: the real entry point, no disk I/O.
 *
 * Properties checked when a config is accepted: the loaded values are in
 * the ranges config.h documents, strings are terminated within their
 * buffers, and the instrument registry is consistent (lookups find every
 * instrument, binary complements point at each other). Seeds: the files in config/
 * and configs built from them (fuzz/seed_corpus.py). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "app/config.h"
#include "core/instrument.h"
#include "fuzz_util.h"
#include "venues/ibkr/ibkr_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small on purpose: a registry of the app's 4096 slots would make each run
 * allocate megabytes; a config with more instruments fails "full", which is
 * a path worth covering too. */
#define CONFIG_FUZZ_MAX_INSTRUMENTS 64

static bool config_fuzz_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void config_fuzz_check_registry(const struct instrument_registry *reg)
{
    for (uint32_t i = 0; i < reg->count; i++) {
        const struct instrument *in = instrument_get(reg, i);
        FUZZ_CHECK(in != NULL && in->id == i, "instrument %u has id %u", i, in ? in->id : 0);
        FUZZ_CHECK(config_fuzz_terminated(in->symbol, sizeof in->symbol) &&
                       config_fuzz_terminated(in->market_key, sizeof in->market_key) &&
                       config_fuzz_terminated(in->quote_ccy, sizeof in->quote_ccy),
                   "unterminated string in instrument %u", i);
        uint32_t found = INSTRUMENT_NONE;
        FUZZ_CHECK(instrument_find(reg, (enum venue_id)in->venue, in->symbol, strlen(in->symbol),
                                   &found) == 0 &&
                       found == i,
                   "instrument %u (%s) not found by its symbol", i, in->symbol);
        FUZZ_CHECK(in->market < reg->market_count, "instrument %u market out of range", i);
        FUZZ_CHECK(in->tick > 0 && in->lot > 0, "instrument %u tick/lot not positive", i);
        if (in->complement != INSTRUMENT_NONE) {
            const struct instrument *co = instrument_get(reg, in->complement);
            FUZZ_CHECK(co != NULL && co->complement == i && co->market == in->market,
                       "instrument %u complement not symmetric", i);
        }
    }
}

static void config_fuzz_check(const struct app_config *c, const struct instrument_registry *reg)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    bool level_ok = false;
    for (size_t i = 0; i < 4; i++)
        level_ok = level_ok || strcmp(c->log_level, levels[i]) == 0;
    FUZZ_CHECK(level_ok, "log_level '%s'", c->log_level);
    FUZZ_CHECK(config_fuzz_terminated(c->state_dir, sizeof c->state_dir) &&
                   config_fuzz_terminated(c->kill_file, sizeof c->kill_file) &&
                   config_fuzz_terminated(c->socket_path, sizeof c->socket_path),
               "unterminated path");
    FUZZ_CHECK(c->state_dir[0] && c->kill_file[0] && c->socket_path[0], "empty path accepted");
    FUZZ_CHECK(c->heartbeat_ms >= 50 && c->heartbeat_ms <= 60000, "heartbeat_ms %d",
               c->heartbeat_ms);
    FUZZ_CHECK(c->client_timeout_ms >= 100 && c->client_timeout_ms <= 600000,
               "client_timeout_ms %d", c->client_timeout_ms);
    FUZZ_CHECK(c->fsync == JOURNAL_FSYNC_GROUP || c->fsync == JOURNAL_FSYNC_NONE, "fsync %d",
               (int)c->fsync);
    FUZZ_CHECK(c->fsync_interval_ms >= 0 && c->fsync_interval_ms <= 1000, "fsync_interval %d",
               (int)c->fsync_interval_ms);
    FUZZ_CHECK(c->paper.n_walks >= 0 && c->paper.n_walks <= PAPER_MAX_WALKS, "n_walks %d",
               c->paper.n_walks);
    for (int i = 0; i < c->paper.n_walks; i++)
        FUZZ_CHECK(instrument_get(reg, c->paper.walks[i].inst) != NULL, "walk %d instrument", i);
    char why[512];
    FUZZ_CHECK(risk_limits_validate(&c->risk, why, sizeof why) == 0,
               "accepted limits fail validation: %s", why);
    FUZZ_CHECK(c->root != NULL, "accepted config lost its JSON root");
    config_fuzz_check_registry(reg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("config_fuzz", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    struct instrument_registry reg;
    if (instrument_registry_init(&reg, CONFIG_FUZZ_MAX_INSTRUMENTS) != 0)
        abort();
    struct app_config cfg;
    char err[1024];
    err[0] = '\0';
    if (config_load(path, &cfg, &reg, err, sizeof err) == 0) {
        config_fuzz_check(&cfg, &reg);
        const json_t *ibkr = json_object_get(json_object_get(cfg.root, "venues"), "ibkr");
        if (ibkr != NULL) {
            struct ibkr_config *ic = calloc(1, sizeof *ic);
            if (ic == NULL)
                abort();
            char ierr[512];
            ierr[0] = '\0';
            if (ibkr_config_load(ibkr, &reg, ic, ierr, sizeof ierr) == 0)
                FUZZ_CHECK(ic->n_inst >= 0 && ic->n_inst <= IBKR_MAX_INST, "n_inst %d",
                           ic->n_inst);
            else
                FUZZ_CHECK(ierr[0] != '\0', "ibkr_config_load failed without a message");
            free(ic);
        }
        config_free(&cfg);
    } else {
        /* every refusal must say why, naming the file */
        FUZZ_CHECK(err[0] != '\0' && strncmp(err, path, strlen(path)) == 0,
                   "refusal without a message naming the file: '%s'", err);
        FUZZ_CHECK(cfg.root == NULL, "refused config kept its JSON root");
    }
    instrument_registry_free(&reg);
    close(fd);
    return 0;
}
