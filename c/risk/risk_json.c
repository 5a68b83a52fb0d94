/* risk_json.c -- JSON-text entry points: config loading and the flat API
 * that python/trader/risk.py calls through cffi (strings in, no structs). */
#include <stdio.h>
#include <string.h>

#include "risk/risk.h"

static json_t *load_text(const char *text, const char *what, char *err, size_t errlen) {
    json_error_t je;
    if (text == NULL) {
        snprintf(err, errlen, "%s: no JSON text", what);
        return NULL;
    }
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) snprintf(err, errlen, "%s: invalid JSON at line %d: %s", what, je.line, je.text);
    return root;
}

struct risk_engine *risk_engine_create_json(const char *risk_json, uint32_t max_instruments,
                                            uint32_t max_reservations, char *err, size_t errlen) {
    json_t *root = load_text(risk_json, "risk", err, errlen);
    if (root == NULL) return NULL;
    struct risk_limits limits;
    int rc = risk_limits_from_json(root, &limits, err, errlen);
    json_decref(root);
    if (rc != 0) return NULL;
    struct risk_engine *e = risk_engine_create(&limits, max_instruments, max_reservations);
    if (e == NULL) snprintf(err, errlen, "risk: cannot create the engine (capacity or memory)");
    return e;
}

int risk_add_instrument_json(struct risk_engine *e, const char *instrument_json, uint32_t *id,
                             char *err, size_t errlen) {
    json_t *root = load_text(instrument_json, "instrument", err, errlen);
    if (root == NULL) return -1;
    struct instrument spec;
    int rc = instrument_from_json(root, "instrument", &spec, err, errlen);
    json_decref(root);
    if (rc != 0) return -1;
    return risk_add_instrument(e, &spec, id, err, errlen);
}
