/* ctl_table.c - query results as aligned text tables for an operator.
 *
 * Input is the JSON form ctl already builds from the msgpack reply, so the
 * table and --json can never disagree about the data. Amounts stay decimal
 * strings as the trader sent them; the only arithmetic here is the limit
 * usage percentage, done on fixed-point integers (never floats). */
#include "app/ctl_table.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

#define TBL_MAX_COLS 10
#define TBL_CELL 64

struct tbl {
    size_t ncols, nrows, cap;
    const char *head[TBL_MAX_COLS];
    const char *align; /* one 'l' or 'r' per column */
    char (*cells)[TBL_MAX_COLS][TBL_CELL];
};

static void tbl_init(struct tbl *t, const char *align, const char *const *heads)
{
    memset(t, 0, sizeof *t);
    t->align = align;
    t->ncols = strlen(align);
    for (size_t i = 0; i < t->ncols && i < TBL_MAX_COLS; i++)
        t->head[i] = heads[i];
}

/* A new blank row, or NULL when memory runs out (the row is then dropped
 * and the table says so rather than aborting the whole output). */
static char (*tbl_row(struct tbl *t))[TBL_CELL]
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        void *p = realloc(t->cells, cap * sizeof *t->cells);
        if (p == NULL)
            return NULL;
        t->cells = p;
        t->cap = cap;
    }
    memset(t->cells[t->nrows], 0, sizeof t->cells[t->nrows]);
    return t->cells[t->nrows++];
}

static void tbl_print(FILE *out, const struct tbl *t, const char *title)
{
    size_t w[TBL_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t n = strlen(t->cells[r][c]);
            if (n > w[c])
                w[c] = n;
        }
    }
    fprintf(out, "\n%s\n", title);
    for (int pass = -1; pass < (int)t->nrows; pass++) {
        fputs("  ", out);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = pass < 0 ? t->head[c] : t->cells[pass][c];
            bool last = c + 1 == t->ncols;
            if (t->align[c] == 'r')
                fprintf(out, "%*s", (int)w[c], s);
            else
                fprintf(out, "%-*s", last ? 0 : (int)w[c], s);
            if (!last)
                fputs("  ", out);
        }
        fputc('\n', out);
    }
    if (t->nrows == 0)
        fputs("  (none)\n", out);
}

static void tbl_free(struct tbl *t) { free(t->cells); }

/* ---- cells ---- */

static void cell_of(char *dst, const json_t *v)
{
    if (json_is_string(v))
        snprintf(dst, TBL_CELL, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(dst, TBL_CELL, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(dst, TBL_CELL, "%s", json_is_true(v) ? "yes" : "no");
    else
        snprintf(dst, TBL_CELL, "-");
}

static void cell_key(char *dst, const json_t *obj, const char *key)
{
    cell_of(dst, json_object_get(obj, key));
}

static void fmt_age(char *dst, size_t cap, long long s)
{
    if (s < 0)
        snprintf(dst, cap, "-");
    else if (s < 60)
        snprintf(dst, cap, "%llds", s);
    else if (s < 3600)
        snprintf(dst, cap, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(dst, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(dst, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* A limit value or bound as an integer at USD_SCALE (USD) or as a count.
 * false when absent or "unlimited". */
static bool limit_amount(const json_t *v, bool usd, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    return money_parse(s, strlen(s), usd ? USD_SCALE : 0, out) == MONEY_OK;
}

/* "[#####---------------]  25%"; bars beyond 100% are full and say so. */
static void fmt_usage(char *dst, const json_t *lim)
{
    const char *unit = json_string_value(json_object_get(lim, "unit"));
    bool usd = unit != NULL && strcmp(unit, "USD") == 0;
    int64_t value, bound;
    if (!limit_amount(json_object_get(lim, "value"), usd, &value) ||
        !limit_amount(json_object_get(lim, "bound"), usd, &bound) || bound <= 0) {
        snprintf(dst, TBL_CELL, "-");
        return;
    }
    int64_t pct = 0;
    if (value > 0 && money_muldiv(value, 100, bound, MONEY_ROUND_FLOOR, &pct) != MONEY_OK)
        pct = 999;
    int filled = pct >= 100 ? 20 : (int)(pct / 5);
    char bar[21];
    for (int i = 0; i < 20; i++)
        bar[i] = i < filled ? '#' : '-';
    bar[20] = '\0';
    snprintf(dst, TBL_CELL, "[%s] %3lld%%%s", bar, (long long)pct, pct >= 100 ? " AT LIMIT" : "");
}

/* ---- sections ---- */

static int state_rank(const char *s)
{
    if (s == NULL)
        return -1;
    return strcmp(s, "HALTED") == 0 ? 2 : strcmp(s, "REDUCING") == 0 ? 1 : 0;
}

/* A venue trades only as far as both it and the global scope allow, so the
 * table shows that too: a kill halts the global scope alone, and a venue
 * listed ACTIVE under it still cannot trade. */
static void print_states(FILE *out, const json_t *states)
{
    static const char *const heads[] = {"SCOPE", "STATE", "CAN TRADE"};
    int global = state_rank(json_string_value(json_object_get(states, "global")));
    struct tbl t;
    tbl_init(&t, "lll", heads);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)states, key, v) {
        char(*row)[TBL_CELL] = tbl_row(&t);
        if (row == NULL)
            break;
        snprintf(row[0], TBL_CELL, "%s", key);
        cell_of(row[1], v);
        int own = state_rank(json_string_value(v));
        int eff = own > global ? own : global;
        snprintf(row[2], TBL_CELL, "%s",
                 eff < 0 ? "?" : eff == 0 ? "yes" : eff == 1 ? "exits only" : "no");
    }
    tbl_print(out, &t, "STATES");
    tbl_free(&t);
}

static void print_connections(FILE *out, const json_t *conns)
{
    static const char *const heads[] = {"VENUE", "CONNECTION", "FOR", "OPEN ORDERS"};
    struct tbl t;
    tbl_init(&t, "llrr", heads);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)conns, key, v) {
        char(*row)[TBL_CELL] = tbl_row(&t);
        if (row == NULL)
            break;
        snprintf(row[0], TBL_CELL, "%s", key);
        cell_key(row[1], v, "state");
        const json_t *age = json_object_get(v, "age_s");
        fmt_age(row[2], TBL_CELL, json_is_integer(age) ? (long long)json_integer_value(age) : -1);
        cell_key(row[3], v, "open_orders");
    }
    tbl_print(out, &t, "CONNECTIONS");
    tbl_free(&t);
}

static void print_pnl(FILE *out, const json_t *pnl)
{
    static const char *const heads[] = {"REALIZED", "UNREALIZED", "DAILY", "FEES"};
    struct tbl t;
    tbl_init(&t, "rrrr", heads);
    char(*row)[TBL_CELL] = tbl_row(&t);
    if (row != NULL) {
        cell_key(row[0], pnl, "realized");
        cell_key(row[1], pnl, "unrealized");
        cell_key(row[2], pnl, "daily");
        cell_key(row[3], pnl, "fees");
    }
    tbl_print(out, &t, "PNL (USD)");
    tbl_free(&t);
}

static void print_limits(FILE *out, const json_t *limits)
{
    static const char *const heads[] = {"LIMIT", "SCOPE", "UNIT", "VALUE", "BOUND", "USAGE"};
    struct tbl t;
    tbl_init(&t, "lllrrl", heads);
    size_t i;
    json_t *lim;
    json_array_foreach((json_t *)limits, i, lim) {
        char(*row)[TBL_CELL] = tbl_row(&t);
        if (row == NULL)
            break;
        cell_key(row[0], lim, "limit");
        cell_key(row[1], lim, "scope");
        cell_key(row[2], lim, "unit");
        cell_key(row[3], lim, "value");
        cell_key(row[4], lim, "bound");
        fmt_usage(row[5], lim);
    }
    tbl_print(out, &t, "LIMITS (exposure and usage against each bound)");
    tbl_free(&t);
}

static void print_positions(FILE *out, const json_t *positions)
{
    static const char *const heads[] = {"VENUE",     "SYMBOL",       "QTY",
                                        "COST",      "OPEN BUY",     "OPEN SELL",
                                        "REALIZED $", "UNREALIZED $"};
    static const char *const keys[] = {"venue",    "sym",       "qty",          "cost",
                                       "open_buy", "open_sell", "realized_usd", "unrealized_usd"};
    struct tbl t;
    tbl_init(&t, "llrrrrrr", heads);
    size_t i;
    json_t *p;
    json_array_foreach((json_t *)positions, i, p) {
        char(*row)[TBL_CELL] = tbl_row(&t);
        if (row == NULL)
            break;
        for (size_t c = 0; c < 8; c++)
            cell_key(row[c], p, keys[c]);
    }
    tbl_print(out, &t, "POSITIONS");
    tbl_free(&t);
}

static void print_orders(FILE *out, const json_t *orders)
{
    static const char *const heads[] = {"RES", "VENUE", "SYMBOL", "SIDE", "PRICE",
                                        "QTY", "FILLED", "VENUE ID", "BY"};
    struct tbl t;
    tbl_init(&t, "rllllrrll", heads);
    size_t i;
    json_t *o;
    json_array_foreach((json_t *)orders, i, o) {
        char(*row)[TBL_CELL] = tbl_row(&t);
        if (row == NULL)
            break;
        cell_key(row[0], o, "res");
        cell_key(row[1], o, "venue");
        cell_key(row[2], o, "sym");
        cell_key(row[3], o, "side");
        cell_key(row[4], o, "px");
        cell_key(row[5], o, "qty");
        cell_key(row[6], o, "filled");
        cell_key(row[7], o, "voi");
        if (row[7][0] == '\0')
            snprintf(row[7], TBL_CELL, "-");
        snprintf(row[8], TBL_CELL, "%s",
                 json_is_true(json_object_get(o, "local")) ? "trader" : "client");
    }
    tbl_print(out, &t, "OPEN ORDERS");
    tbl_free(&t);
}

static void print_status(FILE *out, const json_t *d, const json_t *orders)
{
    char up[32];
    const json_t *uptime = json_object_get(d, "uptime_s");
    fmt_age(up, sizeof up, json_is_integer(uptime) ? (long long)json_integer_value(uptime) : -1);
    const char *mode = json_string_value(json_object_get(d, "mode"));
    const json_t *states = json_object_get(d, "states");
    const char *global = json_string_value(json_object_get(states, "global"));
    fprintf(out, "trader  mode %s  state %s  pid %lld  up %s  journal seq %lld\n",
            mode != NULL ? mode : "?", global != NULL ? global : "?",
            (long long)json_integer_value(json_object_get(d, "pid")), up,
            (long long)json_integer_value(json_object_get(d, "jseq")));
    print_states(out, states);
    print_connections(out, json_object_get(d, "connections"));
    print_pnl(out, json_object_get(d, "pnl_usd"));
    print_limits(out, json_object_get(d, "limits"));
    print_positions(out, json_object_get(d, "positions"));
    if (orders != NULL)
        print_orders(out, json_object_get(orders, "orders"));
    else
        fprintf(out, "\nOPEN ORDERS: %lld\n",
                (long long)json_integer_value(json_object_get(d, "open_orders")));
}

int ctl_print_table(FILE *out, const char *verb, const json_t *data, const json_t *orders)
{
    if (strcmp(verb, "status") == 0)
        print_status(out, data, orders);
    else if (strcmp(verb, "positions") == 0)
        print_positions(out, json_object_get(data, "positions"));
    else if (strcmp(verb, "limits") == 0)
        print_limits(out, json_object_get(data, "limits"));
    else if (strcmp(verb, "orders") == 0)
        print_orders(out, json_object_get(data, "orders"));
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
