/* main.c - `trader`: run the risk authority, or `trader ctl ...`. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "app/cli.h"
#include "app/ctl.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
        return ctl_main(argc - 2, argv + 2);

    struct cli_options opt;
    char err[512];
    if (cli_parse(argc - 1, argv + 1, &opt, err, sizeof err) != 0) {
        fprintf(stderr, "trader: %s\n", err);
        cli_usage(stderr);
        return 2;
    }
    if (opt.help) {
        cli_usage(stdout);
        return 0;
    }
    if (!opt.exchange_given)
        opt.exchanges[VENUE_PAPER] = true;

    uv_loop_t loop;
    uv_loop_init(&loop);
    static struct app app; /* large (order table header, quoter): not on the stack */
    int rc = app_init(&app, &loop, &opt);
    if (rc == 1) { /* --check-config */
        app_free(&app);
        uv_run(&loop, UV_RUN_DEFAULT); /* close callbacks of anything a check created */
        uv_loop_close(&loop);
        return 0;
    }
    if (rc != 0) {
        app_free(&app);
        uv_loop_close(&loop);
        return 1;
    }
    rc = app_run(&app);
    app_free(&app);
    uv_loop_close(&loop);
    return rc;
}
