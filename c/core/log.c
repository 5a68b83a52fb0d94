/* log.c - one formatted line per event, written with a single fputs so
 * lines from one process never interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <string.h>

#include "core/clock.h"

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void logger_init(struct logger *lg, FILE *out, enum log_level min)
{
    lg->out = out;
    lg->min = min;
}

int log_level_parse(const char *s, enum log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_event(const struct logger *lg, enum log_level lvl, const char *room,
               const char *event, const char *fields, ...)
{
    if (lg == NULL || lg->out == NULL || lvl < lg->min)
        return;
    char line[1024], ts[40];
    int n = snprintf(line, sizeof line, "%s %s %s %s", clock_format_utc(clock_wall_ns(), ts, sizeof ts),
                     level_names[lvl], room, event);
    if (n < 0)
        return;
    if (fields != NULL && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fields);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fields, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, lg->out);
    fflush(lg->out);
}
