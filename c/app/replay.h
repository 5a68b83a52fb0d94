/* replay.h - rebuilds the trader's state from its journal at start. */
#ifndef TRADER_APP_REPLAY_H
#define TRADER_APP_REPLAY_H

#include <stddef.h>

struct app;

/* Replays every journal record into the (fresh) risk engine and order
 * table, then expires the reservations of in-process venues (the paper
 * venue's book did not survive the restart). 0 or -1 with err. */
int app_replay(struct app *a, char *err, size_t errlen);

#endif
