/* ibkr_encode.c - see ibkr_encode.h.  Field lists follow IBAPI client.py at
 * server 176; defaults are what IBAPI sends for a fresh Order(): unset
 * numbers are empty fields, bools 0/1. */
#include "venues/ibkr/ibkr_encode.h"

#include <stdio.h>

#include "venues/ibkr/ibkr_msg.h"

static int finish(struct ibkr_buf *b) { return ibkr_frame_end(b); }

static void put_contract(struct ibkr_buf *b, const struct ibkr_contract_spec *c)
{
    ibkr_put_int(b, c->con_id);
    ibkr_put_str(b, c->symbol);
    ibkr_put_str(b, c->sec_type);
    ibkr_put_str(b, "");       /* lastTradeDateOrContractMonth */
    ibkr_put_str(b, "0.0");    /* strike (a float 0.0 in IBAPI) */
    ibkr_put_str(b, "");       /* right */
    ibkr_put_str(b, "");       /* multiplier */
    ibkr_put_str(b, c->exchange);
    ibkr_put_str(b, c->primary_exchange);
    ibkr_put_str(b, c->currency);
    ibkr_put_str(b, c->local_symbol);
    ibkr_put_str(b, "");       /* tradingClass */
}

int ibkr_enc_handshake(struct ibkr_buf *b, int min_version, int max_version)
{
    char range[32];
    snprintf(range, sizeof range, "v%d..%d", min_version, max_version);
    ibkr_put_raw(b, "API", 4); /* with its NUL: the 4-byte prefix */
    ibkr_frame_begin(b);
    ibkr_put_text(b, range);
    return finish(b);
}

int ibkr_enc_start_api(struct ibkr_buf *b, int64_t client_id)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_START_API);
    ibkr_put_int(b, 2);
    ibkr_put_int(b, client_id);
    ibkr_put_str(b, "");       /* optionalCapabilities */
    return finish(b);
}

static int simple(struct ibkr_buf *b, int id, int version)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, id);
    ibkr_put_int(b, version);
    return finish(b);
}

int ibkr_enc_req_ids(struct ibkr_buf *b)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_REQ_IDS);
    ibkr_put_int(b, 1);
    ibkr_put_int(b, -1);       /* numIds: ignored by TWS */
    return finish(b);
}

int ibkr_enc_req_current_time(struct ibkr_buf *b) { return simple(b, IBKR_OUT_REQ_CURRENT_TIME, 1); }
int ibkr_enc_req_open_orders(struct ibkr_buf *b) { return simple(b, IBKR_OUT_REQ_OPEN_ORDERS, 1); }
int ibkr_enc_req_positions(struct ibkr_buf *b) { return simple(b, IBKR_OUT_REQ_POSITIONS, 1); }
int ibkr_enc_req_global_cancel(struct ibkr_buf *b) { return simple(b, IBKR_OUT_REQ_GLOBAL_CANCEL, 1); }

int ibkr_enc_req_account_summary(struct ibkr_buf *b, int64_t req_id, const char *tags)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_REQ_ACCOUNT_SUMMARY);
    ibkr_put_int(b, 1);
    ibkr_put_int(b, req_id);
    ibkr_put_str(b, "All");
    ibkr_put_str(b, tags);
    return finish(b);
}

int ibkr_enc_cancel_account_summary(struct ibkr_buf *b, int64_t req_id)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, 63);       /* CANCEL_ACCOUNT_SUMMARY */
    ibkr_put_int(b, 1);
    ibkr_put_int(b, req_id);
    return finish(b);
}

int ibkr_enc_cancel_positions(struct ibkr_buf *b) { return simple(b, 64, 1); }

int ibkr_enc_req_executions(struct ibkr_buf *b, int64_t req_id, int64_t client_id,
                            const char *account, const char *time)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_REQ_EXECUTIONS);
    ibkr_put_int(b, 3);
    ibkr_put_int(b, req_id);
    ibkr_put_int(b, client_id);
    ibkr_put_str(b, account);
    ibkr_put_str(b, time);
    ibkr_put_str(b, "");       /* symbol */
    ibkr_put_str(b, "");       /* secType */
    ibkr_put_str(b, "");       /* exchange */
    ibkr_put_str(b, "");       /* side */
    return finish(b);
}

int ibkr_enc_cancel_order(struct ibkr_buf *b, int64_t order_id)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_CANCEL_ORDER);
    ibkr_put_int(b, 1);
    ibkr_put_int(b, order_id);
    ibkr_put_str(b, "");       /* manualOrderCancelTime (server >= 169) */
    return finish(b);
}

int ibkr_enc_req_mkt_data(struct ibkr_buf *b, int64_t req_id, const struct ibkr_contract_spec *c,
                          bool snapshot)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_REQ_MKT_DATA);
    ibkr_put_int(b, 11);
    ibkr_put_int(b, req_id);
    put_contract(b, c);
    ibkr_put_str(b, "0");      /* no delta-neutral contract */
    ibkr_put_str(b, "");       /* genericTickList */
    ibkr_put_str(b, snapshot ? "1" : "0");
    ibkr_put_str(b, "0");      /* regulatorySnapshot */
    ibkr_put_str(b, "");       /* mktDataOptions */
    return finish(b);
}

int ibkr_enc_cancel_mkt_data(struct ibkr_buf *b, int64_t req_id)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_CANCEL_MKT_DATA);
    ibkr_put_int(b, 2);
    ibkr_put_int(b, req_id);
    return finish(b);
}

int ibkr_enc_req_contract_details(struct ibkr_buf *b, int64_t req_id,
                                  const struct ibkr_contract_spec *c)
{
    ibkr_frame_begin(b);
    ibkr_put_int(b, IBKR_OUT_REQ_CONTRACT_DATA);
    ibkr_put_int(b, 8);
    ibkr_put_int(b, req_id);
    put_contract(b, c);
    ibkr_put_str(b, "0");      /* includeExpired */
    ibkr_put_str(b, "");       /* secIdType */
    ibkr_put_str(b, "");       /* secId */
    ibkr_put_str(b, "");       /* issuerId (server >= 176) */
    return finish(b);
}

/* PLACE_ORDER as a template: a constant field, or one of the values the
 * order supplies.  The numbers are research/ibkr.md's field numbers (the
 * message id is field 0). */
enum place_var {
    V_CONST = 0, V_ORDER_ID, V_CON_ID, V_SYMBOL, V_SEC_TYPE, V_EXCHANGE, V_PRIMARY,
    V_CURRENCY, V_LOCAL_SYMBOL, V_ACTION, V_QTY, V_ORDER_TYPE, V_LMT, V_TIF, V_ACCOUNT,
    V_ORDER_REF, V_COUNT
};

struct tpl {
    unsigned char var;
    const char *text;
};

#define C(t) {V_CONST, t}
#define V(v) {v, NULL}

static const struct tpl PLACE_ORDER[] = {
    C("3"),
    V(V_ORDER_ID),                                            /* 1 */
    V(V_CON_ID), V(V_SYMBOL), V(V_SEC_TYPE), C(""), C("0.0"), C(""), C(""),
    V(V_EXCHANGE), V(V_PRIMARY), V(V_CURRENCY), V(V_LOCAL_SYMBOL), C(""), /* 2-13 contract */
    C(""), C(""),                                             /* 14-15 secIdType, secId */
    V(V_ACTION), V(V_QTY), V(V_ORDER_TYPE), V(V_LMT), C(""), /* 16-20 auxPrice unset */
    V(V_TIF), C(""), V(V_ACCOUNT), C(""), C("0"),             /* 21-25 oca, openClose, origin */
    V(V_ORDER_REF), C("1"), C("0"), C("0"), C("0"),           /* 26-30 transmit, parent, block, sweep */
    C("0"), C("0"), C("0"), C("0"),                           /* 31-34 displaySize, trigger, rth, hidden */
    C(""), C("0"), C(""), C(""), C(""), C(""), C(""), C(""),  /* 35-42 shares, discr., GAT, GTD, FA x4 */
    C(""), C("0"), C(""), C("-1"), C("0"), C(""), C(""),      /* 43-49 model, ssSlot, desLoc, exempt, ocaType, rule80A, settling */
    C("0"), C(""), C(""), C("0"), C("0"), C(""),              /* 50-55 AON, minQty, pctOffset, eTrade, firmQuote, nbbo */
    C("0"), C(""), C(""), C(""), C(""), C(""),                /* 56-61 auction, box, pegToStk */
    C("0"), C(""), C(""), C(""), C(""),                       /* 62-66 override, vol, volType, dnType, dnAux */
    C("0"), C(""), C(""), C(""), C(""), C(""), C(""),         /* 67-73 contUpd, refPxType, trail x2, scale x3 */
    C(""), C(""), C(""), C(""),                               /* 74-77 scaleTable, active start/stop, hedgeType */
    C("0"), C(""), C(""), C("0"), C("0"),                     /* 78-82 optOut, clearing x2, notHeld, dnContract */
    C(""), C(""), C("0"), C(""), C("0"), C("0"), C("0"),      /* 83-89 algo, algoId, whatIf, misc, solicited, rnd x2 */
    C("0"),                                                   /* 90 conditions */
    C(""), C(""), C(""), C(""), C(""), C(""), C("0"),         /* 91-97 adjusted order params */
    C(""), C(""), C(""), C(""),                               /* 98-101 extOperator, softDollar x2, cashQty */
    C(""), C(""), C(""), C(""),                               /* 102-105 mifid2 */
    C("0"), C("0"), C("0"), C(""),                            /* 106-109 dontUseAuto, oms, discrUpTo, priceMgmt */
    C(""), C(""), C("0"), C(""), C(""),                       /* 110-114 duration, postToAts, autoCancelParent, advErr, manualTime */
};

int ibkr_enc_place_order(struct ibkr_buf *b, const struct ibkr_order_req *o)
{
    char order_id[24], con_id[24], qty[MONEY_FMT_MAX], lmt[MONEY_FMT_MAX];
    snprintf(order_id, sizeof order_id, "%lld", (long long)o->order_id);
    snprintf(con_id, sizeof con_id, "%lld", (long long)o->c->con_id);
    if (money_format(o->qty, o->qty_scale, qty, sizeof qty) < 0)
        return -1;
    lmt[0] = '\0';
    if (!o->market && money_format(o->lmt, o->px_scale, lmt, sizeof lmt) < 0)
        return -1;
    const char *vars[V_COUNT] = {
        [V_ORDER_ID] = order_id, [V_CON_ID] = con_id, [V_SYMBOL] = o->c->symbol,
        [V_SEC_TYPE] = o->c->sec_type, [V_EXCHANGE] = o->c->exchange,
        [V_PRIMARY] = o->c->primary_exchange, [V_CURRENCY] = o->c->currency,
        [V_LOCAL_SYMBOL] = o->c->local_symbol, [V_ACTION] = o->buy ? "BUY" : "SELL",
        [V_QTY] = qty, [V_ORDER_TYPE] = o->market ? "MKT" : "LMT", [V_LMT] = lmt,
        [V_TIF] = o->tif, [V_ACCOUNT] = o->account, [V_ORDER_REF] = o->order_ref,
    };
    ibkr_frame_begin(b);
    for (size_t i = 0; i < sizeof PLACE_ORDER / sizeof PLACE_ORDER[0]; i++)
        ibkr_put_str(b, PLACE_ORDER[i].var == V_CONST ? PLACE_ORDER[i].text
                                                      : vars[PLACE_ORDER[i].var]);
    return finish(b);
}
