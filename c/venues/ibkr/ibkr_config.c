/* ibkr_config.c - see ibkr_config.h. */
#include "venues/ibkr/ibkr_config.h"

#include <stdio.h>
#include <string.h>

#include "core/json_strict.h"

#define P "venues.ibkr"

static int load_contracts(const json_t *cfg, struct ibkr_config *c, char *err, size_t errlen)
{
    static const char *const keys[] = {"symbol", "exchange", "primary_exchange", "con_id", NULL};
    const json_t *arr = json_object_get(cfg, "contracts");
    if (arr == NULL || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return js_errorf(err, errlen, P, "contracts", "expected an array");
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        char path[64], sym[24];
        snprintf(path, sizeof path, P ".contracts[%zu]", i);
        if (!json_is_object(e))
            return js_errorf(err, errlen, path, "", "expected an object");
        if (js_check_object(e, path, keys, err, errlen) != 0 ||
            js_get_string(e, path, "symbol", JS_REQUIRED, false, sym, sizeof sym, NULL, err,
                          errlen) != 0)
            return -1;
        struct ibkr_inst_cfg *ic = NULL;
        for (int k = 0; k < c->n_inst; k++) {
            char full[64];
            snprintf(full, sizeof full, "%s", c->inst[k].local_symbol[0] != '\0'
                                                   ? c->inst[k].local_symbol
                                                   : c->inst[k].symbol);
            if (strcmp(full, sym) == 0)
                ic = &c->inst[k];
        }
        if (ic == NULL)
            return js_errorf(err, errlen, path, "symbol",
                             "%s is not an instrument of venue ibkr", sym);
        if (js_get_string(e, path, "exchange", JS_OPTIONAL, false, ic->exchange,
                          sizeof ic->exchange, NULL, err, errlen) != 0 ||
            js_get_string(e, path, "primary_exchange", JS_OPTIONAL, true, ic->primary,
                          sizeof ic->primary, NULL, err, errlen) != 0 ||
            js_get_int(e, path, "con_id", JS_OPTIONAL, 0, INT32_MAX, &ic->con_id, NULL, err,
                       errlen) != 0)
            return -1;
    }
    return 0;
}

static int map_instrument(const struct instrument *in, struct ibkr_inst_cfg *ic, char *err,
                          size_t errlen)
{
    memset(ic, 0, sizeof *ic);
    ic->inst = in->id;
    if (in->kind == INSTRUMENT_STOCK) {
        if (strlen(in->symbol) >= sizeof ic->symbol || strlen(in->quote_ccy) >= sizeof ic->currency)
            return js_errorf(err, errlen, "instruments", in->symbol, "symbol too long for IBKR");
        snprintf(ic->symbol, sizeof ic->symbol, "%s", in->symbol);
        snprintf(ic->sec_type, sizeof ic->sec_type, "STK");
        snprintf(ic->exchange, sizeof ic->exchange, "SMART");
        snprintf(ic->currency, sizeof ic->currency, "%s", in->quote_ccy);
        return 0;
    }
    if (in->kind == INSTRUMENT_FX) {
        const char *dot = strchr(in->symbol, '.');
        if (dot == NULL || dot == in->symbol || dot - in->symbol >= (long)sizeof ic->symbol ||
            strlen(dot + 1) >= sizeof ic->currency || strlen(in->symbol) >= sizeof ic->local_symbol)
            return js_errorf(err, errlen, "instruments", in->symbol,
                             "an IBKR fx symbol is BASE.QUOTE, e.g. EUR.USD");
        if (strcmp(dot + 1, in->quote_ccy) != 0)
            return js_errorf(err, errlen, "instruments", in->symbol,
                             "quote_ccy %s differs from the pair's quote %s", in->quote_ccy,
                             dot + 1);
        snprintf(ic->symbol, sizeof ic->symbol, "%.*s", (int)(dot - in->symbol), in->symbol);
        snprintf(ic->sec_type, sizeof ic->sec_type, "CASH");
        snprintf(ic->exchange, sizeof ic->exchange, "IDEALPRO");
        snprintf(ic->currency, sizeof ic->currency, "%s", dot + 1);
        snprintf(ic->local_symbol, sizeof ic->local_symbol, "%s", in->symbol);
        return 0;
    }
    return js_errorf(err, errlen, "instruments", in->symbol,
                     "kind %s cannot trade on IBKR (stock or fx)",
                     instrument_kind_name((enum instrument_kind)in->kind));
}

int ibkr_config_load(const json_t *cfg, const struct instrument_registry *reg,
                     struct ibkr_config *out, char *err, size_t errlen)
{
    static const char *const keys[] = {"host", "port", "client_id", "account", "max_msgs_per_s",
                                       "reconnect_min_ms", "reconnect_max_ms",
                                       "stage_timeout_ms", "commission_wait_ms", "post_only",
                                       "contracts", NULL};
    static const char *const po_names[] = {"reject_marketable", "plain_limit"};
    struct ibkr_config c;
    memset(&c, 0, sizeof c);
    if (cfg == NULL) {
        snprintf(err, errlen, P ": missing (the ibkr exchange needs its section)");
        return -1;
    }
    if (!json_is_object(cfg)) {
        snprintf(err, errlen, P ": expected an object");
        return -1;
    }
    int64_t port = 0, msgs = 45, rmin = 250, rmax = 30000, stage = 10000, cwait = 3000;
    int po = IBKR_PO_REJECT_MARKETABLE;
    if (js_check_object(cfg, P, keys, err, errlen) != 0 ||
        js_get_string(cfg, P, "host", JS_REQUIRED, false, c.host, sizeof c.host, NULL, err,
                      errlen) != 0 ||
        js_get_int(cfg, P, "port", JS_REQUIRED, 1, 65535, &port, NULL, err, errlen) != 0 ||
        js_get_int(cfg, P, "client_id", JS_REQUIRED, 0, INT32_MAX, &c.client_id, NULL, err,
                   errlen) != 0 ||
        js_get_string(cfg, P, "account", JS_OPTIONAL, true, c.account, sizeof c.account, NULL,
                      err, errlen) != 0 ||
        js_get_int(cfg, P, "max_msgs_per_s", JS_OPTIONAL, 1, 50, &msgs, NULL, err, errlen) != 0 ||
        js_get_int(cfg, P, "reconnect_min_ms", JS_OPTIONAL, 10, 600000, &rmin, NULL, err,
                   errlen) != 0 ||
        js_get_int(cfg, P, "reconnect_max_ms", JS_OPTIONAL, 10, 3600000, &rmax, NULL, err,
                   errlen) != 0 ||
        js_get_int(cfg, P, "stage_timeout_ms", JS_OPTIONAL, 100, 600000, &stage, NULL, err,
                   errlen) != 0 ||
        js_get_int(cfg, P, "commission_wait_ms", JS_OPTIONAL, 0, 600000, &cwait, NULL, err,
                   errlen) != 0 ||
        js_get_enum(cfg, P, "post_only", JS_OPTIONAL, po_names, 2, &po, NULL, err, errlen) != 0)
        return -1;
    if (rmax < rmin)
        return js_errorf(err, errlen, P, "reconnect_max_ms", "is below reconnect_min_ms");
    c.port = (int)port;
    c.max_msgs_per_s = (int)msgs;
    c.reconnect_min_ms = (int)rmin;
    c.reconnect_max_ms = (int)rmax;
    c.stage_timeout_ms = (int)stage;
    c.commission_wait_ms = (int)cwait;
    c.post_only = (enum ibkr_post_only)po;
    for (uint32_t i = 0; i < reg->count; i++) {
        const struct instrument *in = &reg->items[i];
        if (in->venue != VENUE_IBKR)
            continue;
        if (c.n_inst == IBKR_MAX_INST)
            return js_errorf(err, errlen, "instruments", in->symbol,
                             "more than %d IBKR instruments", IBKR_MAX_INST);
        if (map_instrument(in, &c.inst[c.n_inst], err, errlen) != 0)
            return -1;
        c.n_inst++;
    }
    if (load_contracts(cfg, &c, err, errlen) != 0)
        return -1;
    *out = c;
    return 0;
}

void ibkr_inst_contract(const struct ibkr_inst_cfg *ic, struct ibkr_contract_spec *out)
{
    out->con_id = ic->con_id;
    out->symbol = ic->symbol;
    out->sec_type = ic->sec_type;
    out->exchange = ic->exchange;
    out->primary_exchange = ic->primary;
    out->currency = ic->currency;
    out->local_symbol = ic->local_symbol;
}
