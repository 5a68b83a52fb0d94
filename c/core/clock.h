/* clock.h - the two clocks the process reads.
 *
 * Monotonic time measures intervals (timeouts, heartbeats, rates); wall
 * time (UTC) stamps records and drives the daily reset.  The risk engine
 * never calls these: the event loop reads them and passes the values in,
 * which is what makes the engine replayable. */
#ifndef TRADER_CORE_CLOCK_H
#define TRADER_CORE_CLOCK_H

#include <stdint.h>

#define NS_PER_US  1000LL
#define NS_PER_MS  1000000LL
#define NS_PER_SEC 1000000000LL

/* Nanoseconds from an arbitrary fixed point; never goes backwards. */
int64_t clock_mono_ns(void);

/* Nanoseconds since the Unix epoch, UTC. May jump (NTP). */
int64_t clock_wall_ns(void);

/* Formats a wall time as RFC 3339 UTC with microseconds into buf
 * ("2026-11-24T10:15:19.123456Z"); returns buf. cap >= 28. */
char *clock_format_utc(int64_t wall_ns, char *buf, unsigned cap);

#endif
