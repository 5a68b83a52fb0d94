/* ctl_table.h - `trader ctl` output for people: query results as aligned
 * text tables (the JSON form stays available with --json). */
#ifndef TRADER_APP_CTL_TABLE_H
#define TRADER_APP_CTL_TABLE_H

#include <jansson.h>
#include <stdio.h>

/* Writes the query result `data` (the JSON form of query_ok.data) for
 * `verb` (status|positions|limits|orders). For status, `orders` may carry
 * the result of a separate orders query so the open orders are listed too
 * (NULL: only their count). Returns 0, or -1 on an output error. */
int ctl_print_table(FILE *out, const char *verb, const json_t *data, const json_t *orders);

#endif
