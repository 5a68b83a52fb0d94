/* cli.h - the trader command line.
 *
 *   trader --mode paper|live --exchange paper|binance|ibkr[,..] --config FILE
 *          [--socket PATH] [--state-dir DIR] [--kill-file PATH]
 *          [--confirm-live] [--log-level LEVEL] [--check-config]
 *   trader ctl [--socket PATH] [--json] status|positions|limits|orders|kill|unkill [REASON]
 */
#ifndef TRADER_APP_CLI_H
#define TRADER_APP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/instrument.h"

enum run_mode { MODE_PAPER = 0, MODE_LIVE = 1 };

struct cli_options {
    enum run_mode mode;
    bool mode_given;
    bool exchanges[VENUE_COUNT];   /* which connectors to run */
    bool exchange_given;
    const char *config_path;
    const char *socket_path;       /* NULL: from config */
    const char *state_dir;         /* NULL: from config */
    const char *kill_file;         /* NULL: from config */
    const char *log_level;         /* NULL: from config */
    bool confirm_live;
    bool check_config;
    bool help;
};

/* Parses argv (without the program name). Returns 0, or -1 with a message
 * in err naming the bad argument. */
int cli_parse(int argc, char **argv, struct cli_options *out, char *err, unsigned errlen);

void cli_usage(FILE *out);

#endif
