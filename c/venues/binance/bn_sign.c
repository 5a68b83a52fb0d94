/* bn_sign.c - see bn_sign.h. */
#include "venues/binance/bn_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json_strict.h"

int bn_read_secret_file(const char *file, char *buf, size_t cap, char *err, size_t errlen)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open key file %s: %s", file, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "key file %s is not a regular file", file);
        return -1;
    }
    /* A key others can read is a leaked key: refuse rather than warn. */
    if ((st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, errlen, "key file %s has mode %04o: it must be 0600 or stricter "
                 "(chmod 600 %s)", file, (unsigned)(st.st_mode & 07777), file);
        return -1;
    }
    size_t n = 0;
    for (;;) {
        if (n + 1 >= cap) {
            close(fd);
            OPENSSL_cleanse(buf, cap);
            snprintf(err, errlen, "key file %s is too large", file);
            return -1;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            OPENSSL_cleanse(buf, cap);
            snprintf(err, errlen, "cannot read key file %s: %s", file, strerror(errno));
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    if (n == 0) {
        snprintf(err, errlen, "key file %s is empty", file);
        return -1;
    }
    return 0;
}

/* One secret from "<name>_env" or "<name>_file"; *found says whether
 * either was configured. */
static int read_source(const json_t *creds, const char *path, const char *name, char *buf,
                       size_t cap, bool *found, char *err, size_t errlen)
{
    char kenv[48], kfile[48], val[512];
    snprintf(kenv, sizeof kenv, "%s_env", name);
    snprintf(kfile, sizeof kfile, "%s_file", name);
    bool has_env = false, has_file = false;
    char env_name[128] = "", file[512] = "";
    if (js_get_string(creds, path, kenv, JS_OPTIONAL, false, env_name, sizeof env_name, &has_env,
                      err, errlen) != 0 ||
        js_get_string(creds, path, kfile, JS_OPTIONAL, false, file, sizeof file, &has_file, err,
                      errlen) != 0)
        return -1;
    *found = has_env || has_file;
    if (has_env && has_file)
        return js_errorf(err, errlen, path, kenv, "give %s or %s, not both", kenv, kfile);
    if (has_env) {
        const char *v = getenv(env_name);
        if (v == NULL || v[0] == '\0')
            return js_errorf(err, errlen, path, kenv, "environment variable %s is not set",
                             env_name);
        if (strlen(v) >= cap)
            return js_errorf(err, errlen, path, kenv, "the value of %s is too long", env_name);
        snprintf(buf, cap, "%s", v);
    } else if (has_file) {
        if (bn_read_secret_file(file, buf, cap, val, sizeof val) != 0)
            return js_errorf(err, errlen, path, kfile, "%s", val);
    }
    return 0;
}

int bn_signer_init_hmac(struct bn_signer *s, const char *api_key, const char *secret)
{
    memset(s, 0, sizeof *s);
    if (strlen(api_key) >= sizeof s->api_key || strlen(secret) >= sizeof s->hmac_secret)
        return -1;
    s->type = BN_KEY_HMAC;
    snprintf(s->api_key, sizeof s->api_key, "%s", api_key);
    snprintf(s->hmac_secret, sizeof s->hmac_secret, "%s", secret);
    /* Keyed once: fetching the algorithm and keying it cost more than the
     * MAC of a short query string. */
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (ctx != NULL && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
                                    params) == 1)
        s->hmac_ctx = ctx;
    else
        EVP_MAC_CTX_free(ctx);      /* falls back to the one-shot HMAC() */
    return 0;
}

int bn_signer_init_ed25519_pem(struct bn_signer *s, const char *api_key, const char *pem,
                               char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (strlen(api_key) >= sizeof s->api_key) {
        snprintf(err, errlen, "API key too long");
        return -1;
    }
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pk = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (pk == NULL || EVP_PKEY_id(pk) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pk);
        snprintf(err, errlen, "not an Ed25519 private key in PEM (PKCS#8) form");
        return -1;
    }
    s->type = BN_KEY_ED25519;
    s->ed_key = pk;
    snprintf(s->api_key, sizeof s->api_key, "%s", api_key);
    return 0;
}

int bn_signer_load(struct bn_signer *s, const json_t *creds, const char *path, char *err,
                   size_t errlen)
{
    static const char *const keys[] = {"api_key_env", "api_key_file", "hmac_secret_env",
                                       "hmac_secret_file", "ed25519_key_env", "ed25519_key_file",
                                       NULL};
    memset(s, 0, sizeof *s);
    if (creds == NULL || !json_is_object(creds))
        return js_errorf(err, errlen, path, "", "expected an object");
    if (js_check_object(creds, path, keys, err, errlen) != 0)
        return -1;
    char api_key[BN_API_KEY_CAP] = "";
    char secret[4096] = "";
    bool has_key = false, has_hmac = false, has_ed = false;
    int rc = -1;
    if (read_source(creds, path, "api_key", api_key, sizeof api_key, &has_key, err, errlen) != 0)
        goto out;
    if (!has_key) {
        js_errorf(err, errlen, path, "api_key_env", "an API key is required (api_key_env or "
                  "api_key_file)");
        goto out;
    }
    if (read_source(creds, path, "hmac_secret", secret, sizeof secret, &has_hmac, err,
                    errlen) != 0)
        goto out;
    if (!has_hmac && read_source(creds, path, "ed25519_key", secret, sizeof secret, &has_ed, err,
                                 errlen) != 0)
        goto out;
    if (has_hmac) {
        bool also_ed = json_object_get(creds, "ed25519_key_env") != NULL ||
                       json_object_get(creds, "ed25519_key_file") != NULL;
        if (also_ed) {
            js_errorf(err, errlen, path, "hmac_secret_env", "give an HMAC secret or an Ed25519 "
                      "key, not both");
            goto out;
        }
        if (bn_signer_init_hmac(s, api_key, secret) != 0) {
            js_errorf(err, errlen, path, "hmac_secret_env", "secret too long");
            goto out;
        }
    } else if (has_ed) {
        char why[160];
        if (bn_signer_init_ed25519_pem(s, api_key, secret, why, sizeof why) != 0) {
            js_errorf(err, errlen, path, json_object_get(creds, "ed25519_key_file") != NULL
                                             ? "ed25519_key_file" : "ed25519_key_env",
                      "%s", why);
            goto out;
        }
    } else {
        js_errorf(err, errlen, path, "hmac_secret_env", "a secret is required (hmac_secret_env, "
                  "hmac_secret_file, ed25519_key_env or ed25519_key_file)");
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

void bn_signer_free(struct bn_signer *s)
{
    if (s->ed_key != NULL)
        EVP_PKEY_free(s->ed_key);
    if (s->hmac_ctx != NULL)
        EVP_MAC_CTX_free(s->hmac_ctx);
    OPENSSL_cleanse(s, sizeof *s);
}

static int b64(const unsigned char *in, size_t len, char *out, size_t cap)
{
    size_t need = 4 * ((len + 2) / 3) + 1;
    if (need > cap)
        return -1;
    return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int bn_sign(const struct bn_signer *s, const char *payload, size_t len, char *out, size_t cap)
{
    if (s->type == BN_KEY_HMAC) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mlen = 0;
        if (s->hmac_ctx != NULL) {
            EVP_MAC_CTX *c = EVP_MAC_CTX_dup(s->hmac_ctx);
            size_t n = 0;
            int ok = c != NULL && EVP_MAC_update(c, (const unsigned char *)payload, len) == 1 &&
                     EVP_MAC_final(c, mac, &n, sizeof mac) == 1;
            EVP_MAC_CTX_free(c);
            if (!ok)
                return -1;
            mlen = (unsigned int)n;
        } else if (HMAC(EVP_sha256(), s->hmac_secret, (int)strlen(s->hmac_secret),
                        (const unsigned char *)payload, len, mac, &mlen) == NULL) {
            return -1;
        }
        if (cap < 2 * (size_t)mlen + 1)
            return -1;
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < mlen; i++) {
            out[2 * i] = hex[mac[i] >> 4];
            out[2 * i + 1] = hex[mac[i] & 15];
        }
        out[2 * mlen] = '\0';
        return (int)(2 * mlen);
    }
    if (s->ed_key == NULL)
        return -1;
    unsigned char sig[64];
    size_t slen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->ed_key) == 1 &&
             EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)payload, len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    return b64(sig, slen, out, cap);
}

int bn_url_encode(const char *in, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~';
        if (o + (plain ? 1 : 3) >= cap)
            return -1;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return (int)o;
}

int bn_sign_query(const struct bn_signer *s, const char *payload, size_t len, char *out,
                  size_t cap)
{
    char raw[BN_SIG_CAP];
    int n = bn_sign(s, payload, len, raw, sizeof raw);
    if (n < 0)
        return -1;
    return bn_url_encode(raw, (size_t)n, out, cap);
}
