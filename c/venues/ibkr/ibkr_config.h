/* ibkr_config.h - the "venues.ibkr" config section and how each configured
 * IBKR instrument is named to TWS.
 *
 *   "ibkr": {"host": "127.0.0.1", "port": 7497, "client_id": 17,
 *            "account": "",              optional: "" = the login's only account
 *            "max_msgs_per_s": 45,       1..50 (TWS allows 50)
 *            "reconnect_min_ms": 250, "reconnect_max_ms": 30000,
 *            "stage_timeout_ms": 10000,  connect / handshake / reconcile, each
 *            "commission_wait_ms": 3000, how long a fill waits for its commission
 *            "post_only": "reject_marketable" | "plain_limit",
 *            "contracts": [{"symbol": "AAPL", "exchange": "SMART",
 *                           "primary_exchange": "NASDAQ", "con_id": 265598}]}
 *
 * Instruments: kind "stock" is STK on SMART in the quote currency; kind "fx"
 * has the symbol "BASE.QUOTE" and is CASH on IDEALPRO (symbol BASE, currency
 * QUOTE, localSymbol BASE.QUOTE).  "contracts" overrides exchange, primary
 * exchange and conId per symbol. */
#ifndef TRADER_VENUES_IBKR_CONFIG_H
#define TRADER_VENUES_IBKR_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/instrument.h"
#include "venues/ibkr/ibkr_encode.h"

#define IBKR_MAX_INST 32

enum ibkr_post_only { IBKR_PO_REJECT_MARKETABLE = 0, IBKR_PO_PLAIN_LIMIT = 1 };

struct ibkr_inst_cfg {
    uint32_t inst;
    char symbol[24], sec_type[8], exchange[24], primary[24], currency[8], local_symbol[32];
    int64_t con_id;
};

struct ibkr_config {
    char host[256];
    int port;
    int64_t client_id;
    char account[32];
    int max_msgs_per_s;
    int reconnect_min_ms, reconnect_max_ms;
    int stage_timeout_ms;
    int commission_wait_ms;
    enum ibkr_post_only post_only;
    int n_inst;
    struct ibkr_inst_cfg inst[IBKR_MAX_INST];
};

/* Validates cfg (venues.ibkr) strictly and maps every IBKR instrument of
 * reg.  0, or -1 with err naming the path ("venues.ibkr.port: ..."). */
int ibkr_config_load(const json_t *cfg, const struct instrument_registry *reg,
                     struct ibkr_config *out, char *err, size_t errlen);

/* The request-side contract of one mapped instrument. */
void ibkr_inst_contract(const struct ibkr_inst_cfg *ic, struct ibkr_contract_spec *out);

#endif
