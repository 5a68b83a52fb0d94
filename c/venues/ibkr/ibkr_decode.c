/* ibkr_decode.c - see ibkr_decode.h.
 *
 * Each message is a table of operations, one per wire field, in IBAPI
 * decoder order (ibapi decoder.py / orderdecoder.py at server 176; the field
 * numbers in comments are those of shared/research/ibkr.md).  An operation
 * reads one field as text, integer or decimal (or skips it, still named) and
 * may govern the next `n` operations: present only if this field is set,
 * repeated `count` times, and so on.  The table is the specification; the
 * interpreter below is the only code. */
#include "venues/ibkr/ibkr_decode.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "venues/ibkr/ibkr_wire.h"

enum op_kind { K_SKIP, K_STR, K_INT, K_DEC, K_NONE };
enum op_ctl {
    C_NONE,
    C_IF_SET,       /* the field is non-empty: run the next n ops */
    C_IF_POSITIVE,  /* a decimal > 0 and set: run the next n ops */
    C_IF_TRUE,      /* a bool that is 1: run the next n ops */
    C_REPEAT,       /* an int count: run the next n ops count times */
    C_ZERO,         /* an int that must be 0 (a variant we do not read) */
    C_IF_INT_EQ,    /* (no field) the int stored at off == val: run next n */
    C_IF_STR_PEGBENCH, /* (no field) the order type at off is PEG BENCH */
    C_IF_EMPTY_AT   /* (no field) the text stored at off is empty: run next n */
};

struct op {
    unsigned char kind, ctl, n;
    short val;
    unsigned short off;
    const char *name;
};

#define OFF(m) ((unsigned short)offsetof(struct ibkr_msg, u.m))
#define SKIP(nm) {K_SKIP, C_NONE, 0, 0, 0, nm}
#define STR(m, nm) {K_STR, C_NONE, 0, 0, OFF(m), nm}
#define INT(m, nm) {K_INT, C_NONE, 0, 0, OFF(m), nm}
#define DEC(m, nm) {K_DEC, C_NONE, 0, 0, OFF(m), nm}
#define NOSTORE 0xFFFF
#define GUARD(kind, ctl, m_off, n, nm) {kind, ctl, n, 0, m_off, nm}
#define IF_INT_EQ(m, v, n) {K_NONE, C_IF_INT_EQ, n, v, OFF(m), "(tickType)"}

/* conId..tradingClass without primaryExchange (executions, positions, orders) */
#define CONTRACT(p)                                                                   \
    INT(p.con_id, "conId"), STR(p.symbol, "symbol"), STR(p.sec_type, "secType"),     \
        STR(p.last_trade, "lastTradeDateOrContractMonth"), DEC(p.strike, "strike"),   \
        STR(p.right, "right"), STR(p.multiplier, "multiplier"),                       \
        STR(p.exchange, "exchange"), STR(p.currency, "currency"),                     \
        STR(p.local_symbol, "localSymbol"), STR(p.trading_class, "tradingClass")

static const struct op T_TICK_PRICE[] = {
    INT(tick_price.version, "version"), INT(tick_price.req_id, "reqId"),
    INT(tick_price.tick_type, "tickType"), DEC(tick_price.price, "price"),
    DEC(tick_price.size, "size"), INT(tick_price.attr_mask, "attrMask"),
};

static const struct op T_TICK_SIZE[] = {
    INT(tick_size.version, "version"), INT(tick_size.req_id, "reqId"),
    INT(tick_size.tick_type, "tickType"), DEC(tick_size.size, "size"),
};

static const struct op T_ORDER_STATUS[] = {
    INT(order_status.order_id, "orderId"), STR(order_status.status, "status"),
    DEC(order_status.filled, "filled"), DEC(order_status.remaining, "remaining"),
    DEC(order_status.avg_fill_price, "avgFillPrice"), INT(order_status.perm_id, "permId"),
    INT(order_status.parent_id, "parentId"),
    DEC(order_status.last_fill_price, "lastFillPrice"),
    INT(order_status.client_id, "clientId"), STR(order_status.why_held, "whyHeld"),
    DEC(order_status.mkt_cap_price, "mktCapPrice"),
};

/* version 2 with advancedOrderRejectJson (servers 166..193) */
static const struct op T_ERR_MSG[] = {
    INT(error.version, "version"), INT(error.req_id, "reqId"), INT(error.code, "errorCode"),
    STR(error.text, "errorString"), STR(error.advanced_reject_json, "advancedOrderRejectJson"),
};

/* 135 fields for a plain order (numbers in comments); the conditional
 * groups as IBAPI's orderdecoder reads them. */
static const struct op T_OPEN_ORDER[] = {
    INT(open_order.order_id, "orderId"),                                  /* 1 */
    CONTRACT(open_order.c),                                               /* 2-12 */
    STR(open_order.action, "action"), DEC(open_order.total_qty, "totalQuantity"),
    STR(open_order.order_type, "orderType"), DEC(open_order.lmt_price, "lmtPrice"),
    DEC(open_order.aux_price, "auxPrice"), STR(open_order.tif, "tif"),
    STR(open_order.oca_group, "ocaGroup"), STR(open_order.account, "account"),
    STR(open_order.open_close, "openClose"), INT(open_order.origin, "origin"),
    STR(open_order.order_ref, "orderRef"), INT(open_order.client_id, "clientId"),
    INT(open_order.perm_id, "permId"), INT(open_order.outside_rth, "outsideRth"),
    INT(open_order.hidden, "hidden"), SKIP("discretionaryAmt"),
    SKIP("goodAfterTime"), SKIP("sharesAllocation"), SKIP("faGroup"), SKIP("faMethod"),
    SKIP("faPercentage"), SKIP("faProfile"), SKIP("modelCode"), SKIP("goodTillDate"),
    SKIP("rule80A"), SKIP("percentOffset"), SKIP("settlingFirm"),
    SKIP("shortSaleSlot"), SKIP("designatedLocation"), SKIP("exemptCode"),
    SKIP("auctionStrategy"), SKIP("startingPrice"), SKIP("stockRefPrice"), SKIP("delta"),
    SKIP("stockRangeLower"), SKIP("stockRangeUpper"), SKIP("displaySize"),
    SKIP("blockOrder"), SKIP("sweepToFill"), SKIP("allOrNone"), SKIP("minQty"),
    SKIP("ocaType"), SKIP("eTradeOnly"), SKIP("firmQuoteOnly"), SKIP("nbboPriceCap"),
    INT(open_order.parent_id, "parentId"), SKIP("triggerMethod"),
    SKIP("volatility"), SKIP("volatilityType"),
    /* 62, then 63 always, then 64-71 only when 62 is set: the guard runs
     * the next 9 ops when set, else the one op after them (IBAPI reads
     * deltaNeutralAuxPrice in both cases). */
    GUARD(K_STR, C_IF_SET, OFF(open_order.delta_neutral_order_type), 9,
          "deltaNeutralOrderType"),
    SKIP("deltaNeutralAuxPrice"), SKIP("deltaNeutralConId"), SKIP("deltaNeutralSettlingFirm"),
    SKIP("deltaNeutralClearingAccount"), SKIP("deltaNeutralClearingIntent"),
    SKIP("deltaNeutralOpenClose"), SKIP("deltaNeutralShortSale"),
    SKIP("deltaNeutralShortSaleSlot"), SKIP("deltaNeutralDesignatedLocation"),
    {K_NONE, C_IF_EMPTY_AT, 1, 0, OFF(open_order.delta_neutral_order_type), "(unset)"},
    SKIP("deltaNeutralAuxPrice"),
    SKIP("continuousUpdate"), SKIP("referencePriceType"),                /* 72-73 */
    SKIP("trailStopPrice"), SKIP("trailingPercent"),                     /* 74-75 */
    SKIP("basisPoints"), SKIP("basisPointsType"),                        /* 76-77 */
    SKIP("comboLegsDescrip"),                                             /* 78 */
    GUARD(K_INT, C_REPEAT, NOSTORE, 8, "comboLegsCount"),                 /* 79 */
    SKIP("comboLeg.conId"), SKIP("comboLeg.ratio"), SKIP("comboLeg.action"),
    SKIP("comboLeg.exchange"), SKIP("comboLeg.openClose"), SKIP("comboLeg.shortSaleSlot"),
    SKIP("comboLeg.designatedLocation"), SKIP("comboLeg.exemptCode"),
    GUARD(K_INT, C_REPEAT, NOSTORE, 1, "orderComboLegsCount"),            /* 80 */
    SKIP("orderComboLeg.price"),
    GUARD(K_INT, C_REPEAT, NOSTORE, 2, "smartComboRoutingParamsCount"),   /* 81 */
    SKIP("smartComboRoutingParam.tag"), SKIP("smartComboRoutingParam.value"),
    SKIP("scaleInitLevelSize"), SKIP("scaleSubsLevelSize"),              /* 82-83 */
    GUARD(K_DEC, C_IF_POSITIVE, NOSTORE, 7, "scalePriceIncrement"),       /* 84 */
    SKIP("scalePriceAdjustValue"), SKIP("scalePriceAdjustInterval"),
    SKIP("scaleProfitOffset"), SKIP("scaleAutoReset"), SKIP("scaleInitPosition"),
    SKIP("scaleInitFillQty"), SKIP("scaleRandomPercent"),
    GUARD(K_SKIP, C_IF_SET, NOSTORE, 1, "hedgeType"),                     /* 85 */
    SKIP("hedgeParam"),
    SKIP("optOutSmartRouting"), SKIP("clearingAccount"), SKIP("clearingIntent"),
    SKIP("notHeld"),                                                      /* 86-89 */
    GUARD(K_INT, C_IF_TRUE, NOSTORE, 3, "deltaNeutralContractPresent"),   /* 90 */
    SKIP("deltaNeutralContract.conId"), SKIP("deltaNeutralContract.delta"),
    SKIP("deltaNeutralContract.price"),
    GUARD(K_STR, C_IF_SET, OFF(open_order.algo_strategy), 3, "algoStrategy"), /* 91 */
    GUARD(K_INT, C_REPEAT, NOSTORE, 2, "algoParamsCount"),
    SKIP("algoParam.tag"), SKIP("algoParam.value"),
    SKIP("solicited"), SKIP("whatIf"),                                    /* 92-93 */
    STR(open_order.status, "status"),                                     /* 94 */
    SKIP("initMarginBefore"), SKIP("maintMarginBefore"), SKIP("equityWithLoanBefore"),
    SKIP("initMarginChange"), SKIP("maintMarginChange"), SKIP("equityWithLoanChange"),
    SKIP("initMarginAfter"), SKIP("maintMarginAfter"), SKIP("equityWithLoanAfter"),
    DEC(open_order.commission, "commission"), SKIP("minCommission"),
    SKIP("maxCommission"), STR(open_order.commission_ccy, "commissionCurrency"),
    STR(open_order.warning_text, "warningText"),                          /* 95-108 */
    SKIP("randomizeSize"), SKIP("randomizePrice"),                        /* 109-110 */
    {K_NONE, C_IF_STR_PEGBENCH, 5, 0, OFF(open_order.order_type), "(PEG BENCH)"},
    SKIP("referenceContractId"), SKIP("isPeggedChangeAmountDecrease"),
    SKIP("peggedChangeAmount"), SKIP("referenceChangeAmount"), SKIP("referenceExchangeId"),
    GUARD(K_INT, C_ZERO, OFF(open_order.conditions), 0, "conditionsSize"), /* 111 */
    SKIP("adjustedOrderType"), SKIP("triggerPrice"), SKIP("trailStopPrice"),
    SKIP("lmtPriceOffset"), SKIP("adjustedStopPrice"), SKIP("adjustedStopLimitPrice"),
    SKIP("adjustedTrailingAmount"), SKIP("adjustableTrailingUnit"),     /* 112-119 */
    SKIP("softDollarTier.name"), SKIP("softDollarTier.value"),
    SKIP("softDollarTier.displayName"), SKIP("cashQty"),                 /* 120-123 */
    SKIP("dontUseAutoPriceForHedge"), SKIP("isOmsContainer"),
    SKIP("discretionaryUpToLimitPrice"), SKIP("usePriceMgmtAlgo"),       /* 124-127 */
    SKIP("duration"), SKIP("postToAts"), SKIP("autoCancelParent"),      /* 128-130 */
    SKIP("minTradeQty"), SKIP("minCompeteSize"), SKIP("competeAgainstBestOffset"),
    SKIP("midOffsetAtWhole"), SKIP("midOffsetAtHalf"),                   /* 131-135 */
};

static const struct op T_NEXT_VALID_ID[] = {
    INT(next_valid_id.version, "version"), INT(next_valid_id.order_id, "orderId"),
};

/* no version field since server 164; non-bond layout */
static const struct op T_CONTRACT_DATA[] = {
    INT(contract_data.req_id, "reqId"), STR(contract_data.c.symbol, "symbol"),
    STR(contract_data.c.sec_type, "secType"),
    STR(contract_data.c.last_trade, "lastTradeDateOrContractMonth"),
    DEC(contract_data.c.strike, "strike"), STR(contract_data.c.right, "right"),
    STR(contract_data.c.exchange, "exchange"), STR(contract_data.c.currency, "currency"),
    STR(contract_data.c.local_symbol, "localSymbol"),
    STR(contract_data.market_name, "marketName"),
    STR(contract_data.c.trading_class, "tradingClass"), INT(contract_data.c.con_id, "conId"),
    DEC(contract_data.min_tick, "minTick"), STR(contract_data.c.multiplier, "multiplier"),
    STR(contract_data.order_types, "orderTypes"),
    STR(contract_data.valid_exchanges, "validExchanges"),
    INT(contract_data.price_magnifier, "priceMagnifier"),
    INT(contract_data.under_con_id, "underConId"), STR(contract_data.long_name, "longName"),
    STR(contract_data.c.primary_exchange, "primaryExchange"),
    STR(contract_data.contract_month, "contractMonth"),
    STR(contract_data.industry, "industry"), STR(contract_data.category, "category"),
    STR(contract_data.subcategory, "subcategory"), STR(contract_data.time_zone, "timeZoneId"),
    STR(contract_data.trading_hours, "tradingHours"),
    STR(contract_data.liquid_hours, "liquidHours"), STR(contract_data.ev_rule, "evRule"),
    DEC(contract_data.ev_multiplier, "evMultiplier"),
    GUARD(K_INT, C_REPEAT, OFF(contract_data.sec_id_count), 2, "secIdListCount"),
    SKIP("secId.tag"), SKIP("secId.value"),
    INT(contract_data.agg_group, "aggGroup"), STR(contract_data.under_symbol, "underSymbol"),
    STR(contract_data.under_sec_type, "underSecType"),
    STR(contract_data.market_rule_ids, "marketRuleIds"),
    STR(contract_data.real_expiration, "realExpirationDate"),
    STR(contract_data.stock_type, "stockType"), DEC(contract_data.min_size, "minSize"),
    DEC(contract_data.size_increment, "sizeIncrement"),
    DEC(contract_data.suggested_size_increment, "suggestedSizeIncrement"),
};

/* no version field since server 136; 30 fields */
static const struct op T_EXECUTION[] = {
    INT(execution.req_id, "reqId"), INT(execution.order_id, "orderId"),
    CONTRACT(execution.c),
    STR(execution.exec_id, "execId"), STR(execution.time, "time"),
    STR(execution.account, "acctNumber"), STR(execution.exchange, "exchange"),
    STR(execution.side, "side"), DEC(execution.shares, "shares"),
    DEC(execution.price, "price"), INT(execution.perm_id, "permId"),
    INT(execution.client_id, "clientId"), INT(execution.liquidation, "liquidation"),
    DEC(execution.cum_qty, "cumQty"), DEC(execution.avg_price, "avgPrice"),
    STR(execution.order_ref, "orderRef"), STR(execution.ev_rule, "evRule"),
    DEC(execution.ev_multiplier, "evMultiplier"), STR(execution.model_code, "modelCode"),
    INT(execution.last_liquidity, "lastLiquidity"),
};

static const struct op T_MANAGED_ACCTS[] = {
    INT(managed_accts.version, "version"), STR(managed_accts.accounts, "accountsList"),
};

static const struct op T_CURRENT_TIME[] = {
    INT(current_time.version, "version"), INT(current_time.time, "time"),
};

static const struct op T_END_VERSION[] = {INT(end.version, "version")};

static const struct op T_END_REQ[] = {INT(end.version, "version"), INT(end.req_id, "reqId")};

static const struct op T_MARKET_DATA_TYPE[] = {
    INT(market_data_type.version, "version"), INT(market_data_type.req_id, "reqId"),
    INT(market_data_type.type, "marketDataType"),
};

static const struct op T_COMMISSION[] = {
    INT(commission.version, "version"), STR(commission.exec_id, "execId"),
    DEC(commission.commission, "commission"), STR(commission.currency, "currency"),
    DEC(commission.realized_pnl, "realizedPNL"), DEC(commission.yield, "yield"),
    INT(commission.yield_redemption_date, "yieldRedemptionDate"),
};

static const struct op T_POSITION[] = {
    INT(position.version, "version"), STR(position.account, "account"),
    CONTRACT(position.c), DEC(position.position, "position"),
    DEC(position.avg_cost, "avgCost"),
};

static const struct op T_ACCOUNT_SUMMARY[] = {
    INT(account_summary.version, "version"), INT(account_summary.req_id, "reqId"),
    STR(account_summary.account, "account"), STR(account_summary.tag, "tag"),
    STR(account_summary.value, "value"), STR(account_summary.currency, "currency"),
};

static const struct op T_TICK_REQ_PARAMS[] = {
    INT(tick_req_params.req_id, "tickerId"), DEC(tick_req_params.min_tick, "minTick"),
    STR(tick_req_params.bbo_exchange, "bboExchange"),
    INT(tick_req_params.snapshot_permissions, "snapshotPermissions"),
};

/* the layout after `time` depends on tickType: 1/2 Last/AllLast, 3 BidAsk,
 * 4 MidPoint */
static const struct op T_TICK_BY_TICK[] = {
    INT(tick_by_tick.req_id, "reqId"), INT(tick_by_tick.tick_type, "tickType"),
    INT(tick_by_tick.time, "time"),
    IF_INT_EQ(tick_by_tick.tick_type, 1, 5),
    DEC(tick_by_tick.price, "price"), DEC(tick_by_tick.size, "size"),
    INT(tick_by_tick.attr_mask, "attrMask"), STR(tick_by_tick.exchange, "exchange"),
    STR(tick_by_tick.special_conditions, "specialConditions"),
    IF_INT_EQ(tick_by_tick.tick_type, 2, 5),
    DEC(tick_by_tick.price, "price"), DEC(tick_by_tick.size, "size"),
    INT(tick_by_tick.attr_mask, "attrMask"), STR(tick_by_tick.exchange, "exchange"),
    STR(tick_by_tick.special_conditions, "specialConditions"),
    IF_INT_EQ(tick_by_tick.tick_type, 3, 5),
    DEC(tick_by_tick.bid, "bidPrice"), DEC(tick_by_tick.ask, "askPrice"),
    DEC(tick_by_tick.bid_size, "bidSize"), DEC(tick_by_tick.ask_size, "askSize"),
    INT(tick_by_tick.attr_mask, "attrMask"),
    IF_INT_EQ(tick_by_tick.tick_type, 4, 1),
    DEC(tick_by_tick.mid_point, "midPoint"),
};

struct table {
    int id;
    const char *name;
    const struct op *ops;
    int n;
};

#define TABLE(id, name, t) {id, name, t, (int)(sizeof t / sizeof t[0])}

static const struct table TABLES[] = {
    TABLE(IBKR_IN_TICK_PRICE, "tickPrice", T_TICK_PRICE),
    TABLE(IBKR_IN_TICK_SIZE, "tickSize", T_TICK_SIZE),
    TABLE(IBKR_IN_ORDER_STATUS, "orderStatus", T_ORDER_STATUS),
    TABLE(IBKR_IN_ERR_MSG, "error", T_ERR_MSG),
    TABLE(IBKR_IN_OPEN_ORDER, "openOrder", T_OPEN_ORDER),
    TABLE(IBKR_IN_NEXT_VALID_ID, "nextValidId", T_NEXT_VALID_ID),
    TABLE(IBKR_IN_CONTRACT_DATA, "contractDetails", T_CONTRACT_DATA),
    TABLE(IBKR_IN_EXECUTION_DATA, "execDetails", T_EXECUTION),
    TABLE(IBKR_IN_MANAGED_ACCTS, "managedAccounts", T_MANAGED_ACCTS),
    TABLE(IBKR_IN_CURRENT_TIME, "currentTime", T_CURRENT_TIME),
    TABLE(IBKR_IN_CONTRACT_DATA_END, "contractDetailsEnd", T_END_REQ),
    TABLE(IBKR_IN_OPEN_ORDER_END, "openOrderEnd", T_END_VERSION),
    TABLE(IBKR_IN_EXECUTION_DATA_END, "execDetailsEnd", T_END_REQ),
    TABLE(IBKR_IN_TICK_SNAPSHOT_END, "tickSnapshotEnd", T_END_REQ),
    TABLE(IBKR_IN_MARKET_DATA_TYPE, "marketDataType", T_MARKET_DATA_TYPE),
    TABLE(IBKR_IN_COMMISSION_REPORT, "commissionReport", T_COMMISSION),
    TABLE(IBKR_IN_POSITION_DATA, "position", T_POSITION),
    TABLE(IBKR_IN_POSITION_END, "positionEnd", T_END_VERSION),
    TABLE(IBKR_IN_ACCOUNT_SUMMARY, "accountSummary", T_ACCOUNT_SUMMARY),
    TABLE(IBKR_IN_ACCOUNT_SUMMARY_END, "accountSummaryEnd", T_END_REQ),
    TABLE(IBKR_IN_TICK_REQ_PARAMS, "tickReqParams", T_TICK_REQ_PARAMS),
    TABLE(IBKR_IN_TICK_BY_TICK, "tickByTick", T_TICK_BY_TICK),
};

static const struct table *table_for(int id)
{
    for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++)
        if (TABLES[i].id == id)
            return &TABLES[i];
    return NULL;
}

const char *ibkr_msg_name(int id)
{
    const struct table *t = table_for(id);
    return t != NULL ? t->name : NULL;
}

struct run {
    const char **f;
    int nf, pos;
    struct ibkr_msg *msg;
    const struct table *t;
    ibkr_trace_fn trace;
    void *trace_ctx;
    char *err;
    size_t errlen;
};

static int fail(struct run *r, const char *name, const char *what)
{
    snprintf(r->err, r->errlen, "%s field %d (%s): %s", r->t->name, r->pos, name, what);
    return -1;
}

static void *slot(struct run *r, unsigned short off) { return (char *)r->msg + off; }

/* Reads the op's field; *iv gets the integer value of INT fields. */
static int read_field(struct run *r, const struct op *op, const char **text, int64_t *iv)
{
    if (r->pos >= r->nf)
        return fail(r, op->name, "message ends early");
    const char *s = r->f[r->pos++];
    *text = s;
    *iv = 0;
    if (r->trace != NULL)
        r->trace(r->trace_ctx, op->name, s);
    switch (op->kind) {
    case K_INT:
        if (ibkr_parse_int(s, iv) != 0)
            return fail(r, op->name, "not an integer");
        if (op->off != NOSTORE && op->off != 0)
            *(int64_t *)slot(r, op->off) = *iv;
        break;
    case K_DEC:
        if (!ibkr_dec_valid(s))
            return fail(r, op->name, "not a number");
        if (op->off != NOSTORE && op->off != 0)
            *(const char **)slot(r, op->off) = s;
        break;
    case K_STR:
        if (op->off != NOSTORE && op->off != 0)
            *(const char **)slot(r, op->off) = s;
        break;
    default:
        break;
    }
    return 0;
}

static int exec_ops(struct run *r, const struct op *ops, int n)
{
    for (int i = 0; i < n; i++) {
        const struct op *op = &ops[i];
        const char *text = "";
        int64_t iv = 0;
        if (op->kind != K_NONE && read_field(r, op, &text, &iv) != 0)
            return -1;
        int body = op->n;
        bool run_body = false;
        int64_t times = 1;
        switch (op->ctl) {
        case C_NONE:
            continue;
        case C_IF_SET:
            run_body = text[0] != '\0';
            break;
        case C_IF_POSITIVE: {
            int64_t v = 0;
            int st = ibkr_parse_dec(text, 0, MONEY_ROUND_CEIL, &v);
            run_body = (st == IBKR_DEC_OK || st == IBKR_DEC_ROUNDED) && v > 0;
            break;
        }
        case C_IF_TRUE:
            run_body = iv == 1;
            break;
        case C_REPEAT:
            if (iv < 0 || iv > IBKR_MAX_FIELDS)
                return fail(r, op->name, "count out of range");
            run_body = iv > 0;
            times = iv;
            break;
        case C_ZERO:
            if (iv != 0)
                return fail(r, op->name, "variant not supported (must be 0)");
            continue;
        case C_IF_INT_EQ:
            run_body = *(const int64_t *)slot(r, op->off) == op->val;
            break;
        case C_IF_EMPTY_AT: {
            const char *s = *(const char *const *)slot(r, op->off);
            run_body = s == NULL || s[0] == '\0';
            break;
        }
        case C_IF_STR_PEGBENCH: {
            const char *ot = *(const char *const *)slot(r, op->off);
            run_body = ot != NULL && (strcmp(ot, "PEG BENCH") == 0 || strcmp(ot, "PEGBENCH") == 0);
            break;
        }
        default:
            return fail(r, op->name, "bad table");
        }
        for (int64_t k = 0; run_body && k < times; k++)
            if (exec_ops(r, ops + i + 1, body) != 0)
                return -1;
        i += body;
    }
    return 0;
}

int ibkr_decode(const char *payload, size_t len, struct ibkr_msg *out, ibkr_trace_fn trace,
                void *trace_ctx, char *err, size_t errlen)
{
    const char *f[IBKR_MAX_FIELDS];
    int nf = ibkr_split(payload, len, f, IBKR_MAX_FIELDS);
    if (nf < 1) {
        snprintf(err, errlen, "payload is not NUL-terminated fields");
        return IBKR_DECODE_ERR;
    }
    int64_t id;
    if (ibkr_parse_int(f[0], &id) != 0 || f[0][0] == '\0') {
        snprintf(err, errlen, "message id %.16s is not a number", f[0]);
        return IBKR_DECODE_ERR;
    }
    const struct table *t = table_for((int)id);
    memset(out, 0, sizeof *out);
    out->id = (int)id;
    if (t == NULL)
        return IBKR_UNKNOWN_MSG;
    struct run r = {.f = f, .nf = nf, .pos = 1, .msg = out, .t = t, .trace = trace,
                    .trace_ctx = trace_ctx, .err = err, .errlen = errlen};
    if (exec_ops(&r, t->ops, t->n) != 0)
        return IBKR_DECODE_ERR;
    if (r.pos != nf) {
        snprintf(err, errlen, "%s: %d fields left over after field %d", t->name, nf - r.pos,
                 r.pos - 1);
        return IBKR_DECODE_ERR;
    }
    return IBKR_DECODED;
}
