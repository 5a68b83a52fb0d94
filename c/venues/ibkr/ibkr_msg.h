/* ibkr_msg.h - TWS messages at server version 176, as the decoder hands them
 * over (field lists: shared/research/ibkr.md sections 2 and 3).
 *
 * Text and decimal fields are `const char *` into the received payload (valid
 * while that payload is); decimals stay text until the connector converts
 * them at the instrument's scale (ibkr_parse_dec).  Integer fields are
 * parsed.  Fields the connector has no use for are still consumed, named and
 * traced by the decoder tables, so a misaligned message is an error, not a
 * guess. */
#ifndef TRADER_VENUES_IBKR_MSG_H
#define TRADER_VENUES_IBKR_MSG_H

#include <stdint.h>

/* incoming (IBAPI message.IN) */
enum ibkr_in_id {
    IBKR_IN_TICK_PRICE = 1,
    IBKR_IN_TICK_SIZE = 2,
    IBKR_IN_ORDER_STATUS = 3,
    IBKR_IN_ERR_MSG = 4,
    IBKR_IN_OPEN_ORDER = 5,
    IBKR_IN_NEXT_VALID_ID = 9,
    IBKR_IN_CONTRACT_DATA = 10,
    IBKR_IN_EXECUTION_DATA = 11,
    IBKR_IN_MANAGED_ACCTS = 15,
    IBKR_IN_CURRENT_TIME = 49,
    IBKR_IN_CONTRACT_DATA_END = 52,
    IBKR_IN_OPEN_ORDER_END = 53,
    IBKR_IN_EXECUTION_DATA_END = 55,
    IBKR_IN_TICK_SNAPSHOT_END = 57,
    IBKR_IN_MARKET_DATA_TYPE = 58,
    IBKR_IN_COMMISSION_REPORT = 59,
    IBKR_IN_POSITION_DATA = 61,
    IBKR_IN_POSITION_END = 62,
    IBKR_IN_ACCOUNT_SUMMARY = 63,
    IBKR_IN_ACCOUNT_SUMMARY_END = 64,
    IBKR_IN_TICK_REQ_PARAMS = 81,
    IBKR_IN_TICK_BY_TICK = 99,
};

/* outgoing (IBAPI message.OUT) */
enum ibkr_out_id {
    IBKR_OUT_REQ_MKT_DATA = 1,
    IBKR_OUT_CANCEL_MKT_DATA = 2,
    IBKR_OUT_PLACE_ORDER = 3,
    IBKR_OUT_CANCEL_ORDER = 4,
    IBKR_OUT_REQ_OPEN_ORDERS = 5,
    IBKR_OUT_REQ_EXECUTIONS = 7,
    IBKR_OUT_REQ_IDS = 8,
    IBKR_OUT_REQ_CONTRACT_DATA = 9,
    IBKR_OUT_REQ_CURRENT_TIME = 49,
    IBKR_OUT_REQ_GLOBAL_CANCEL = 58,
    IBKR_OUT_REQ_POSITIONS = 61,
    IBKR_OUT_REQ_ACCOUNT_SUMMARY = 62,
    IBKR_OUT_START_API = 71,
};

/* conId..tradingClass; primaryExchange only where the message has it. */
struct ibkr_contract {
    int64_t con_id;
    const char *symbol, *sec_type, *last_trade, *strike, *right, *multiplier, *exchange,
        *primary_exchange, *currency, *local_symbol, *trading_class;
};

struct ibkr_tick_price {
    int64_t version, req_id, tick_type;
    const char *price, *size;
    int64_t attr_mask;
};

struct ibkr_tick_size {
    int64_t version, req_id, tick_type;
    const char *size;
};

struct ibkr_order_status {
    int64_t order_id;
    const char *status, *filled, *remaining, *avg_fill_price;
    int64_t perm_id, parent_id;
    const char *last_fill_price;
    int64_t client_id;
    const char *why_held, *mkt_cap_price;
};

struct ibkr_error {
    int64_t version, req_id, code;
    const char *text, *advanced_reject_json;
};

struct ibkr_open_order {
    int64_t order_id;
    struct ibkr_contract c;
    const char *action, *total_qty, *order_type, *lmt_price, *aux_price, *tif, *oca_group,
        *account, *open_close;
    int64_t origin;
    const char *order_ref;
    int64_t client_id, perm_id, outside_rth, hidden;
    const char *delta_neutral_order_type, *algo_strategy, *status, *commission,
        *commission_ccy, *warning_text;
    int64_t parent_id, conditions;
};

struct ibkr_next_valid_id {
    int64_t version, order_id;
};

struct ibkr_contract_data {
    int64_t req_id;
    struct ibkr_contract c;
    const char *market_name, *min_tick, *order_types, *valid_exchanges;
    int64_t price_magnifier, under_con_id;
    const char *long_name, *contract_month, *industry, *category, *subcategory, *time_zone,
        *trading_hours, *liquid_hours, *ev_rule, *ev_multiplier;
    int64_t sec_id_count, agg_group;
    const char *under_symbol, *under_sec_type, *market_rule_ids, *real_expiration,
        *stock_type, *min_size, *size_increment, *suggested_size_increment;
};

struct ibkr_execution {
    int64_t req_id, order_id;
    struct ibkr_contract c;
    const char *exec_id, *time, *account, *exchange, *side, *shares, *price;
    int64_t perm_id, client_id, liquidation;
    const char *cum_qty, *avg_price, *order_ref, *ev_rule, *ev_multiplier, *model_code;
    int64_t last_liquidity;
};

struct ibkr_managed_accts {
    int64_t version;
    const char *accounts;
};

struct ibkr_current_time {
    int64_t version, time;
};

/* OPEN_ORDER_END, POSITION_END (no req id), the *_END messages with one. */
struct ibkr_end {
    int64_t version, req_id;
};

struct ibkr_market_data_type {
    int64_t version, req_id, type;
};

struct ibkr_commission {
    int64_t version;
    const char *exec_id, *commission, *currency, *realized_pnl, *yield;
    int64_t yield_redemption_date;
};

struct ibkr_position {
    int64_t version;
    const char *account;
    struct ibkr_contract c;
    const char *position, *avg_cost;
};

struct ibkr_account_summary {
    int64_t version, req_id;
    const char *account, *tag, *value, *currency;
};

struct ibkr_tick_req_params {
    int64_t req_id;
    const char *min_tick, *bbo_exchange;
    int64_t snapshot_permissions;
};

struct ibkr_tick_by_tick {
    int64_t req_id, tick_type, time;
    const char *price, *size, *bid, *ask, *bid_size, *ask_size, *mid_point, *exchange,
        *special_conditions;
    int64_t attr_mask;
};

struct ibkr_msg {
    int id;   /* enum ibkr_in_id */
    union {
        struct ibkr_tick_price tick_price;
        struct ibkr_tick_size tick_size;
        struct ibkr_order_status order_status;
        struct ibkr_error error;
        struct ibkr_open_order open_order;
        struct ibkr_next_valid_id next_valid_id;
        struct ibkr_contract_data contract_data;
        struct ibkr_execution execution;
        struct ibkr_managed_accts managed_accts;
        struct ibkr_current_time current_time;
        struct ibkr_end end;
        struct ibkr_market_data_type market_data_type;
        struct ibkr_commission commission;
        struct ibkr_position position;
        struct ibkr_account_summary account_summary;
        struct ibkr_tick_req_params tick_req_params;
        struct ibkr_tick_by_tick tick_by_tick;
    } u;
};

#endif
