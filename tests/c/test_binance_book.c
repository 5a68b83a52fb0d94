/* test_binance_book.c - the local book procedure (snapshot + buffered diffs,
 * U/u continuity, gaps), signing (the docs' HMAC vectors, Ed25519 round
 * trip), key file permissions, URL encoding, and that an HTTP client closed
 * before it sent anything frees itself without the loop running (the
 * connector's error exits; ASan's leak check is the assertion). */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <uv.h>

#include "venues/binance/bn_book.h"
#include "venues/binance/bn_http.h"
#include "venues/binance/bn_sign.h"

static struct bn_diff diff(uint64_t U, uint64_t u, const struct bn_level *lv, int nb, int na)
{
    struct bn_diff d = {.first_id = U, .last_id = u, .lv = lv, .n_bids = nb, .n_asks = na};
    return d;
}

static void test_snapshot_then_diffs(void **state)
{
    (void)state;
    struct bn_book b;
    bn_book_init(&b, 100);
    struct bn_level l1[] = {{100, 5}, {105, 7}};       /* bid 100, ask 105 */
    struct bn_level l2[] = {{101, 1}, {104, 2}};
    struct bn_level l3[] = {{101, 0}, {103, 4}};
    /* diffs arrive before the snapshot: buffered */
    struct bn_diff d = diff(10, 12, l1, 1, 1);
    assert_int_equal(bn_book_on_diff(&b, &d), BN_BOOK_OK);
    d = diff(13, 15, l2, 1, 1);
    assert_int_equal(bn_book_on_diff(&b, &d), BN_BOOK_OK);
    assert_int_equal(bn_book_pending(&b), 2);
    assert_int_equal(b.state, BN_BOOK_EMPTY);
    /* a snapshot older than the first buffered U is useless */
    struct bn_level sb[] = {{99, 3}}, sa[] = {{106, 3}};
    assert_int_equal(bn_book_on_snapshot(&b, 8, sb, 1, sa, 1), BN_BOOK_SNAPSHOT_OLD);
    assert_int_equal(bn_book_pending(&b), 2);
    /* snapshot 11: diff 10..12 straddles it, 13..15 follows */
    assert_int_equal(bn_book_on_snapshot(&b, 11, sb, 1, sa, 1), BN_BOOK_OK);
    assert_int_equal(b.state, BN_BOOK_SYNCED);
    assert_true(b.last_id == 15);
    int64_t bid, ask;
    assert_true(bn_book_best(&b, &bid, &ask));
    assert_int_equal(bid, 101);
    assert_int_equal(ask, 104);
    assert_int_equal(bn_book_mid(&b, 1), 102);
    /* stale diff ignored */
    d = diff(14, 15, l3, 1, 1);
    assert_int_equal(bn_book_on_diff(&b, &d), BN_BOOK_STALE);
    /* continuous diff: deletes 101, adds ask 103 */
    d = diff(16, 16, l3, 1, 1);
    assert_int_equal(bn_book_on_diff(&b, &d), BN_BOOK_OK);
    assert_true(bn_book_best(&b, &bid, &ask));
    assert_int_equal(bid, 100);
    assert_int_equal(ask, 103);
    assert_int_equal(b.bids.n, 2);          /* 99 100 */
    assert_int_equal(b.asks.n, 4);          /* 106 105 104 103 */
    /* gap: U > last + 1 resets the book */
    d = diff(18, 19, l3, 1, 1);
    assert_int_equal(bn_book_on_diff(&b, &d), BN_BOOK_GAP);
    assert_int_equal(b.state, BN_BOOK_EMPTY);
    assert_int_equal(b.bids.n, 0);
    assert_true(b.gaps == 1);
    bn_book_free(&b);
}

static void test_snapshot_not_joining(void **state)
{
    (void)state;
    struct bn_book b;
    bn_book_init(&b, 100);
    struct bn_level l[] = {{100, 5}};
    struct bn_diff d = diff(20, 25, l, 1, 0);
    bn_book_on_diff(&b, &d);
    /* snapshot 30: every buffered diff is older; fine, book = snapshot */
    assert_int_equal(bn_book_on_snapshot(&b, 30, l, 1, NULL, 0), BN_BOOK_OK);
    bn_book_reset(&b);
    d = diff(20, 25, l, 1, 0);
    bn_book_on_diff(&b, &d);
    d = diff(26, 40, l, 1, 0);
    bn_book_on_diff(&b, &d);
    /* a break inside the buffer restarts it from the newer diff */
    d = diff(45, 50, l, 1, 0);
    bn_book_on_diff(&b, &d);
    assert_int_equal(bn_book_pending(&b), 1);
    assert_true(bn_book_first_pending_id(&b) == 45);
    /* snapshot 43 < 45: too old */
    assert_int_equal(bn_book_on_snapshot(&b, 43, l, 1, NULL, 0), BN_BOOK_SNAPSHOT_OLD);
    /* snapshot 47 straddled by 45..50 */
    assert_int_equal(bn_book_on_snapshot(&b, 47, l, 1, NULL, 0), BN_BOOK_OK);
    assert_true(b.last_id == 50);
    /* the buffer cap resets the buffer instead of growing without bound */
    struct bn_book c;
    bn_book_init(&c, 3);
    for (uint64_t i = 0; i < 3; i++) {
        d = diff(i + 1, i + 1, l, 1, 0);
        assert_int_equal(bn_book_on_diff(&c, &d), BN_BOOK_OK);
    }
    d = diff(4, 4, l, 1, 0);
    assert_int_equal(bn_book_on_diff(&c, &d), BN_BOOK_OVERFLOW);
    assert_int_equal(bn_book_pending(&c), 0);
    bn_book_free(&c);
    bn_book_free(&b);
}

static void test_sorted_sides(void **state)
{
    (void)state;
    struct bn_book b;
    bn_book_init(&b, 10);
    bn_book_on_snapshot(&b, 1, NULL, 0, NULL, 0);
    /* many inserts in random order keep both sides sorted, best last */
    uint64_t seed = 42;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t px = (int64_t)((seed >> 33) % 1000) + 1;
        int64_t qty = (int64_t)((seed >> 20) % 3);
        if (px < 500)
            bn_book_set(&b.bids, px, qty);
        else
            bn_book_set(&b.asks, px, qty);
    }
    for (int i = 1; i < b.bids.n; i++)
        assert_true(b.bids.lv[i - 1].px < b.bids.lv[i].px);
    for (int i = 1; i < b.asks.n; i++)
        assert_true(b.asks.lv[i - 1].px > b.asks.lv[i].px);
    for (int i = 0; i < b.bids.n; i++)
        assert_true(b.bids.lv[i].qty > 0);
    bn_book_free(&b);
}

static void test_hmac_vectors(void **state)
{
    (void)state;
    /* REST and WS API vectors from the Binance docs (research note 1). */
    struct bn_signer s;
    assert_int_equal(bn_signer_init_hmac(&s, "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                                         "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"), 0);
    const char *rest = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
                       "&recvWindow=5000&timestamp=1499827319559";
    char sig[BN_SIG_CAP];
    assert_int_equal(bn_sign(&s, rest, strlen(rest), sig, sizeof sig), 64);
    assert_string_equal(sig, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    const char *ws = "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
                     "&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT"
                     "&timeInForce=GTC&timestamp=1645423376532&type=LIMIT";
    assert_int_equal(bn_sign(&s, ws, strlen(ws), sig, sizeof sig), 64);
    assert_string_equal(sig, "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
    bn_signer_free(&s);
}

static void test_ed25519_roundtrip(void **state)
{
    (void)state;
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_non_null(kc);
    assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
    assert_int_equal(EVP_PKEY_keygen(kc, &pk), 1);
    EVP_PKEY_CTX_free(kc);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
    char pem[1024] = "";
    int n = BIO_read(bio, pem, sizeof pem - 1);
    assert_true(n > 0);
    pem[n] = '\0';
    BIO_free(bio);

    struct bn_signer s;
    char err[160];
    assert_int_equal(bn_signer_init_ed25519_pem(&s, "key", pem, err, sizeof err), 0);
    const char *payload = "apiKey=key&recvWindow=5000&timestamp=1700000000000";
    char sig[BN_SIG_CAP];
    int len = bn_sign(&s, payload, strlen(payload), sig, sizeof sig);
    assert_int_equal(len, 88);                 /* 64 bytes in base64 */
    unsigned char raw[80];
    assert_int_equal(EVP_DecodeBlock(raw, (unsigned char *)sig, len), 66); /* 64 + padding */
    EVP_MD_CTX *vc = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(vc, NULL, NULL, NULL, pk), 1);
    assert_int_equal(EVP_DigestVerify(vc, raw, 64, (const unsigned char *)payload,
                                      strlen(payload)), 1);
    EVP_MD_CTX_free(vc);
    /* the query form percent-encodes + / = */
    char q[BN_SIG_CAP * 3];
    assert_true(bn_sign_query(&s, payload, strlen(payload), q, sizeof q) >= len);
    assert_null(strchr(q, '+'));
    assert_null(strchr(q, '/'));
    assert_null(strchr(q, '='));
    bn_signer_free(&s);
    assert_int_equal(bn_signer_init_ed25519_pem(&s, "key", "not a pem", err, sizeof err), -1);
    EVP_PKEY_free(pk);
}

static void test_key_file_modes(void **state)
{
    (void)state;
    char dir[] = "/tmp/bnkeyXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/secret", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\n", 7), 7);
    close(fd);
    chmod(path, 0644);
    char buf[64], err[256];
    assert_int_equal(bn_read_secret_file(path, buf, sizeof buf, err, sizeof err), -1);
    assert_non_null(strstr(err, "0600"));
    assert_null(strstr(err, "s3cret"));        /* never echo the secret */
    chmod(path, 0600);
    assert_int_equal(bn_read_secret_file(path, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "s3cret");

    /* through the config reader, with the env var for the key */
    setenv("BN_TEST_KEY", "apikey1", 1);
    char js[512];
    snprintf(js, sizeof js, "{\"api_key_env\":\"BN_TEST_KEY\",\"hmac_secret_file\":\"%s\"}",
             path);
    json_t *c = json_loads(js, 0, NULL);
    struct bn_signer s;
    assert_int_equal(bn_signer_load(&s, c, "venues.binance.credentials", err, sizeof err), 0);
    assert_string_equal(s.api_key, "apikey1");
    assert_int_equal(s.type, BN_KEY_HMAC);
    bn_signer_free(&s);
    chmod(path, 0640);
    assert_int_equal(bn_signer_load(&s, c, "venues.binance.credentials", err, sizeof err), -1);
    assert_non_null(strstr(err, "venues.binance.credentials.hmac_secret_file"));
    json_decref(c);
    c = json_loads("{\"api_key_env\":\"BN_TEST_NOT_SET\",\"hmac_secret_env\":\"X\"}", 0, NULL);
    unsetenv("BN_TEST_NOT_SET");
    assert_int_equal(bn_signer_load(&s, c, "venues.binance.credentials", err, sizeof err), -1);
    assert_non_null(strstr(err, "BN_TEST_NOT_SET"));
    json_decref(c);
    c = json_loads("{\"api_key_env\":\"BN_TEST_KEY\",\"hmac_secret_env\":\"BN_TEST_KEY\","
                   "\"typo\":1}", 0, NULL);
    assert_int_equal(bn_signer_load(&s, c, "venues.binance.credentials", err, sizeof err), -1);
    assert_non_null(strstr(err, "typo"));
    json_decref(c);
    unlink(path);
    rmdir(dir);
}

static void test_url_encode(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(bn_url_encode("a+b/c=d_e", 9, out, sizeof out), 15);
    assert_string_equal(out, "a%2Bb%2Fc%3Dd_e");
    assert_int_equal(bn_url_encode("abcdef", 6, out, 4), -1);
}

static void http_never_called(void *ctx, void *user, const struct bn_http_resp *r)
{
    (void)ctx;
    (void)user;
    (void)r;
    fail_msg("no request was made");
}

static void test_http_close_unused_without_loop(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct bn_http *h = NULL;
    assert_int_equal(bn_http_create(&loop, http_never_called, NULL, 1000, &h), 0);
    bn_http_close(h);
    /* nothing left on the loop: it closes at once, and the client is freed */
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_then_diffs), cmocka_unit_test(test_snapshot_not_joining),
        cmocka_unit_test(test_sorted_sides),        cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test(test_ed25519_roundtrip),   cmocka_unit_test(test_key_file_modes),
        cmocka_unit_test(test_url_encode),         cmocka_unit_test(test_http_close_unused_without_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
