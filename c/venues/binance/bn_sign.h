/* bn_sign.h - Binance request signing and credential loading.
 *
 * Two key types: HMAC-SHA256 (hex signature) and Ed25519 (base64
 * signature).  REST signs the query string exactly as sent; the WebSocket
 * API signs its params sorted by name as k=v&... (the caller builds that
 * payload).  Secrets come from environment variables or from files that
 * only their owner can read (mode 0600 or stricter); they are never
 * logged, and the struct is wiped on free. */
#ifndef TRADER_VENUES_BINANCE_SIGN_H
#define TRADER_VENUES_BINANCE_SIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define BN_API_KEY_CAP 128
#define BN_SECRET_CAP 256
/* Hex HMAC is 64 chars; base64 Ed25519 is 88; percent-encoded up to ~120. */
#define BN_SIG_CAP 160

enum bn_key_type { BN_KEY_HMAC = 0, BN_KEY_ED25519 = 1 };

struct bn_signer {
    enum bn_key_type type;
    char api_key[BN_API_KEY_CAP];
    char hmac_secret[BN_SECRET_CAP];
    void *ed_key;                   /* EVP_PKEY * for Ed25519 */
    void *hmac_ctx;                 /* EVP_MAC_CTX * keyed once; each signature dups it */
};

/* Reads "credentials" (path names it in errors):
 *   {"api_key_env": "BINANCE_API_KEY" | "api_key_file": "path",
 *    "hmac_secret_env": ".." | "hmac_secret_file": ".." |
 *    "ed25519_key_env": ".." (PEM text) | "ed25519_key_file": "path.pem"}
 * Exactly one secret source.  0 or -1 with err (never containing a secret). */
int bn_signer_load(struct bn_signer *s, const json_t *creds, const char *path, char *err,
                   size_t errlen);

/* HMAC signer from a secret in memory (tests, benches). */
int bn_signer_init_hmac(struct bn_signer *s, const char *api_key, const char *secret);
/* Ed25519 signer from PEM text (PKCS#8 private key). */
int bn_signer_init_ed25519_pem(struct bn_signer *s, const char *api_key, const char *pem,
                               char *err, size_t errlen);

void bn_signer_free(struct bn_signer *s);

/* Signature of payload: lowercase hex (HMAC) or base64 (Ed25519).
 * Returns its length or -1. */
int bn_sign(const struct bn_signer *s, const char *payload, size_t len, char *out, size_t cap);

/* The same, percent-encoded for a query string (base64 has + / =). */
int bn_sign_query(const struct bn_signer *s, const char *payload, size_t len, char *out,
                  size_t cap);

/* Percent-encodes everything outside [A-Za-z0-9-_.~]. Returns length or -1. */
int bn_url_encode(const char *in, size_t len, char *out, size_t cap);

/* Reads a secret file: regular file, mode & 077 == 0, at most cap-1 bytes,
 * trailing newlines stripped.  0 or -1 with err. */
int bn_read_secret_file(const char *file, char *buf, size_t cap, char *err, size_t errlen);

#endif
