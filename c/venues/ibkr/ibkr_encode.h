/* ibkr_encode.h - the requests the connector sends, at server version 176,
 * each appended to an ibkr_buf as one framed message (research/ibkr.md
 * section 2 "Outgoing payloads").  Every function returns 0, or -1 if the
 * message could not be encoded (a field TWS would refuse, overflow). */
#ifndef TRADER_VENUES_IBKR_ENCODE_H
#define TRADER_VENUES_IBKR_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "venues/ibkr/ibkr_wire.h"

/* How a contract is named in requests (conId 0 = let TWS resolve it). */
struct ibkr_contract_spec {
    int64_t con_id;
    const char *symbol, *sec_type, *exchange, *primary_exchange, *currency, *local_symbol;
};

struct ibkr_order_req {
    int64_t order_id;
    const struct ibkr_contract_spec *c;
    bool buy;
    int64_t qty;
    unsigned qty_scale;
    bool market;          /* MKT (no limit price) or LMT */
    int64_t lmt;
    unsigned px_scale;
    const char *tif;      /* DAY, GTC, IOC */
    const char *account;  /* "" = the login's only account */
    const char *order_ref;
};

/* "API\0" then the framed version range "v<min>..<max>" (no NUL). */
int ibkr_enc_handshake(struct ibkr_buf *b, int min_version, int max_version);
int ibkr_enc_start_api(struct ibkr_buf *b, int64_t client_id);
int ibkr_enc_req_ids(struct ibkr_buf *b);
int ibkr_enc_req_current_time(struct ibkr_buf *b);
int ibkr_enc_req_open_orders(struct ibkr_buf *b);
int ibkr_enc_req_positions(struct ibkr_buf *b);
int ibkr_enc_req_global_cancel(struct ibkr_buf *b);
int ibkr_enc_req_account_summary(struct ibkr_buf *b, int64_t req_id, const char *tags);
/* Executions of client_id (0 = all) at or after `time` ("" = today's all). */
int ibkr_enc_req_executions(struct ibkr_buf *b, int64_t req_id, int64_t client_id,
                            const char *account, const char *time);
int ibkr_enc_cancel_account_summary(struct ibkr_buf *b, int64_t req_id);
int ibkr_enc_cancel_positions(struct ibkr_buf *b);
int ibkr_enc_cancel_order(struct ibkr_buf *b, int64_t order_id);
int ibkr_enc_req_mkt_data(struct ibkr_buf *b, int64_t req_id, const struct ibkr_contract_spec *c,
                          bool snapshot);
int ibkr_enc_cancel_mkt_data(struct ibkr_buf *b, int64_t req_id);
int ibkr_enc_req_contract_details(struct ibkr_buf *b, int64_t req_id,
                                  const struct ibkr_contract_spec *c);
/* PLACE_ORDER: 115 fields for a plain LMT or MKT order. */
int ibkr_enc_place_order(struct ibkr_buf *b, const struct ibkr_order_req *o);

#endif
