/* ibkr_pace.h - keeps outgoing messages under TWS's rate limit.
 *
 * TWS allows 50 messages in any one second; past that it answers error 100
 * and closes the session on the third violation.  A token bucket would let
 * a burst plus the refill exceed 50 in some one-second window, so this is a
 * sliding window instead: a message may go only if fewer than `limit` went
 * in the last `window_ns`.
 *
 * TWS counts by its own arrival (processing) times, not by our send times:
 * a batch it reads late and the next batch it reads on time land in one of
 * its windows.  So the connector's window is a second plus a margin
 * (IBKR_PACE_MARGIN_NS), which TWS would have to be late by before it could
 * see more than `limit` (default 45 of the 50 allowed) in one second.  The
 * simulator showed the need: with a bare 1 s window a burst of 180
 * messages drew three error-100s and a closed session.
 * Pure: the caller passes the monotonic time. */
#ifndef TRADER_VENUES_IBKR_PACE_H
#define TRADER_VENUES_IBKR_PACE_H

#include <stdint.h>

#define IBKR_PACE_MAX 64
#define IBKR_PACE_MARGIN_NS 250000000LL

struct ibkr_pace {
    int64_t sent[IBKR_PACE_MAX];  /* ring of the last `limit` send times */
    int limit;
    int head, count;
    int64_t window_ns;
};

/* limit in 1..IBKR_PACE_MAX; returns 0 or -1. */
int ibkr_pace_init(struct ibkr_pace *p, int limit, int64_t window_ns);

/* 0 if a message may go now (and counts it as sent); otherwise the number
 * of ns until one may. */
int64_t ibkr_pace_take(struct ibkr_pace *p, int64_t now_ns);

/* Messages counted in the window ending at now. */
int ibkr_pace_in_window(const struct ibkr_pace *p, int64_t now_ns);

#endif
