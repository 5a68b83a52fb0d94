/* cli.c - parses the trader command line into struct cli_options.
 * Only syntax is checked here; meaning (e.g. live needs the config's
 * opt-in too) is checked where the config is known. */
#include "app/cli.h"

#include <stdio.h>
#include <string.h>

void cli_usage(FILE *out)
{
    fputs("usage: trader --mode paper|live --exchange paper|binance|ibkr[,..] --config FILE\n"
          "              [--socket PATH] [--state-dir DIR] [--kill-file PATH]\n"
          "              [--log-level debug|info|warn|error] [--confirm-live] [--check-config]\n"
          "       trader ctl [--socket PATH] [--json] status|positions|limits|orders|kill|unkill [REASON]\n"
          "\n"
          "  --mode          paper (default) trades simulators/testnets or the paper venue;\n"
          "                  live needs \"live\": true in the config AND --confirm-live\n"
          "  --exchange      connectors to run, comma separated (paper, binance, ibkr)\n"
          "  --config        JSON config file (see config/*.json)\n"
          "  --socket        IPC Unix socket path (overrides the config)\n"
          "  --state-dir     journal and state directory (overrides the config)\n"
          "  --kill-file     kill switch file: while it exists every venue is HALTED\n"
          "  --check-config  load and validate the config, print a summary and exit\n",
          out);
}

static int parse_exchanges(const char *list, struct cli_options *o, char *err, unsigned errlen)
{
    char buf[128];
    if (strlen(list) >= sizeof buf) {
        snprintf(err, errlen, "--exchange: list too long");
        return -1;
    }
    strcpy(buf, list);
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        enum venue_id v;
        if (venue_from_name(tok, &v) != 0 || v == VENUE_POLYMARKET) {
            snprintf(err, errlen, "--exchange: unknown exchange '%s' (expected paper, binance or ibkr;"
                                  " Polymarket is traded by the gateway)", tok);
            return -1;
        }
        o->exchanges[v] = true;
        n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "--exchange: empty list");
        return -1;
    }
    return 0;
}

int cli_parse(int argc, char **argv, struct cli_options *o, char *err, unsigned errlen)
{
    memset(o, 0, sizeof *o);
    o->mode = MODE_PAPER;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                   \
    do {                                                               \
        if (val == NULL) {                                             \
            snprintf(err, errlen, "%s: missing value", a);             \
            return -1;                                                 \
        }                                                              \
        i++;                                                           \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = true;
        } else if (strcmp(a, "--mode") == 0) {
            NEED_VALUE();
            if (strcmp(val, "paper") == 0)
                o->mode = MODE_PAPER;
            else if (strcmp(val, "live") == 0)
                o->mode = MODE_LIVE;
            else {
                snprintf(err, errlen, "--mode: expected paper or live, got '%s'", val);
                return -1;
            }
            o->mode_given = true;
        } else if (strcmp(a, "--exchange") == 0) {
            NEED_VALUE();
            if (parse_exchanges(val, o, err, errlen) != 0)
                return -1;
            o->exchange_given = true;
        } else if (strcmp(a, "--config") == 0) {
            NEED_VALUE();
            o->config_path = val;
        } else if (strcmp(a, "--socket") == 0) {
            NEED_VALUE();
            o->socket_path = val;
        } else if (strcmp(a, "--state-dir") == 0) {
            NEED_VALUE();
            o->state_dir = val;
        } else if (strcmp(a, "--kill-file") == 0) {
            NEED_VALUE();
            o->kill_file = val;
        } else if (strcmp(a, "--log-level") == 0) {
            NEED_VALUE();
            o->log_level = val;
        } else if (strcmp(a, "--confirm-live") == 0) {
            o->confirm_live = true;
        } else if (strcmp(a, "--check-config") == 0) {
            o->check_config = true;
        } else {
            snprintf(err, errlen, "unknown argument '%s' (see --help)", a);
            return -1;
        }
#undef NEED_VALUE
    }
    if (o->help)
        return 0;
    if (o->config_path == NULL) {
        snprintf(err, errlen, "--config FILE is required");
        return -1;
    }
    return 0;
}
