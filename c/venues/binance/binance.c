/* binance.c - placeholder until the connector lands: refuses clearly. */
#include "venues/binance/binance.h"

#include <stdio.h>

int binance_venue_create(uv_loop_t *loop, const struct instrument_registry *reg,
                         const json_t *cfg, const struct logger *log, struct venue_sink sink,
                         struct venue **out, char *err, size_t errlen)
{
    (void)loop, (void)reg, (void)cfg, (void)log, (void)sink;
    *out = NULL;
    snprintf(err, errlen, "the Binance connector is not built yet");
    return -1;
}
