/* log.h - structured logging: one line per event on stderr,
 *
 *   2026-11-24T10:15:19.123456Z INFO ipc client_connected fd=7 uid=0
 *
 * a timestamp, a level, the room that speaks, an event name (snake case,
 * greppable) and key=value fields.  The logger is an explicit value that
 * main() creates and hands to each room; there is no global logger.
 * Secrets must never be passed to these functions. */
#ifndef TRADER_CORE_LOG_H
#define TRADER_CORE_LOG_H

#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

struct logger {
    FILE *out;              /* stderr unless redirected */
    enum log_level min;     /* events below this level are dropped */
};

void logger_init(struct logger *lg, FILE *out, enum log_level min);

/* Parses "debug"|"info"|"warn"|"error"; returns -1 on anything else. */
int log_level_parse(const char *s, enum log_level *out);

/* fields is a printf format for the key=value tail (may be NULL). */
void log_event(const struct logger *lg, enum log_level lvl, const char *room,
               const char *event, const char *fields, ...)
    __attribute__((format(printf, 5, 6)));

#endif
