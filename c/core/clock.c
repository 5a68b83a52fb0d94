/* clock.c - monotonic and wall clocks via clock_gettime. */
#include "core/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t timespec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * NS_PER_SEC + (int64_t)ts->tv_nsec;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return timespec_ns(&ts);
}

int64_t clock_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return timespec_ns(&ts);
}

char *clock_format_utc(int64_t wall_ns, char *buf, unsigned cap)
{
    time_t secs = (time_t)(wall_ns / NS_PER_SEC);
    long us = (long)((wall_ns % NS_PER_SEC) / NS_PER_US);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
    return buf;
}
