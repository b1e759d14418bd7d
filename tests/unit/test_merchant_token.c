/* merchant_token tests without HTTP: round trip, expiry, tampering, removed/rotated keys, strict parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/clock.h"
#include "server/http/merchant_auth.h"
#include "server/http/merchant_token.h"
#include "tests/lib/testlib.h"

#define NOW INT64_C(1765000000)
#define EXPIRY (NOW + MERCHANT_TOKEN_LIFETIME_S)

static struct merchant_key keys[] = {
    {(char *)"shop", (char *)"shop_key_0123456789abcdef"},
    {(char *)"shop.v2", (char *)"shop_v2_key_0123456789abcdef"},
    {(char *)"v2", (char *)"v2_key_0123456789abcdefghij"},
    {(char *)"A-b_c.9", (char *)"odd_name_key_0123456789abcd"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Issues a token for keys[i] expiring at EXPIRY, asserting success. */
static void issue(size_t i, char out[MERCHANT_TOKEN_SIZE])
{
    ck_assert_int_eq(merchant_token_issue(&keys[i], EXPIRY, out), 0);
}

/* Verifies at time `at` (seconds) against `k`/`n` keys; *name gets the name or NULL. */
static enum merchant_token_status verify_at(const struct merchant_key *k, size_t n,
                                            const char *token, int64_t at, const char **name)
{
    struct clock c = clock_fixed(at * 1000);
    *name = NULL;
    return merchant_token_verify(k, n, token, &c, name, NULL);
}

static void expect(const char *token, enum merchant_token_status want)
{
    const char *name;
    enum merchant_token_status got = verify_at(keys, NKEYS, token, NOW, &name);
    ck_assert_msg(got == want, "'%s': %s, want %s", token ? token : "(null)",
                  merchant_token_status_name(got), merchant_token_status_name(want));
}

START_TEST(round_trip_gives_the_name_and_expiry)
{
    char token[MERCHANT_TOKEN_SIZE];
    for (size_t i = 0; i < NKEYS; i++) {
        issue(i, token);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "bkt1.%s.%lld.", keys[i].name, (long long)EXPIRY);
        ck_assert_msg(strncmp(token, prefix, strlen(prefix)) == 0, "%s", token);
        ck_assert_uint_eq(strlen(token), strlen(prefix) + 32 + 1 + 64);
        for (const char *c = token; *c; c++)
            ck_assert_msg(*c > 0x20 && *c < 0x7f, "non-printable in %s", token);
        const char *name = NULL;
        int64_t expires_at = 0;
        struct clock c = clock_fixed(NOW * 1000);
        ck_assert_int_eq(merchant_token_verify(keys, NKEYS, token, &c, &name, &expires_at),
                         MERCHANT_TOKEN_OK);
        ck_assert_str_eq(name, keys[i].name);
        ck_assert_ptr_eq(name, keys[i].name); /* borrowed from the keys */
        ck_assert_int_eq(expires_at, EXPIRY);
    }
}
END_TEST

START_TEST(expires_at_exactly_its_expiry)
{
    char token[MERCHANT_TOKEN_SIZE];
    const char *name;
    issue(0, token);
    ck_assert_int_eq(verify_at(keys, NKEYS, token, EXPIRY - 1, &name), MERCHANT_TOKEN_OK);
    ck_assert_int_eq(verify_at(keys, NKEYS, token, EXPIRY, &name), MERCHANT_TOKEN_EXPIRED);
    ck_assert_ptr_null(name);
    ck_assert_int_eq(verify_at(keys, NKEYS, token, EXPIRY + 86400, &name), MERCHANT_TOKEN_EXPIRED);
    /* milliseconds count: 1 ms before the second is still valid */
    struct clock c = clock_fixed(EXPIRY * 1000 - 1);
    ck_assert_int_eq(merchant_token_verify(keys, NKEYS, token, &c, NULL, NULL), MERCHANT_TOKEN_OK);
}
END_TEST

/* Replaces the character at `pos` with `c` in a copy of token, verifies it, and expects `want`. */
static void expect_changed(const char *token, size_t pos, char c, enum merchant_token_status want)
{
    char copy[MERCHANT_TOKEN_SIZE];
    strcpy(copy, token);
    copy[pos] = c;
    expect(copy, want);
}

START_TEST(tampering_breaks_the_mac)
{
    char token[MERCHANT_TOKEN_SIZE], forged[MERCHANT_TOKEN_SIZE * 2];
    issue(2, token); /* "bkt1.v2.<expiry>.<nonce>.<mac>" */
    size_t expiry_pos = strlen("bkt1.v2."), nonce_pos = expiry_pos + 11, mac_pos = nonce_pos + 33;
    ck_assert_int_eq(token[nonce_pos - 1], '.');
    ck_assert_int_eq(token[mac_pos - 1], '.');
    /* name: another configured key's name with v2's MAC */
    snprintf(forged, sizeof forged, "bkt1.shop.v2%s", token + strlen("bkt1.v2"));
    expect(forged, MERCHANT_TOKEN_BAD_MAC);
    snprintf(forged, sizeof forged, "bkt1.shop%s", token + strlen("bkt1.v2"));
    expect(forged, MERCHANT_TOKEN_BAD_MAC);
    /* expiry: a later second, same MAC */
    expect_changed(token, expiry_pos, (char)(token[expiry_pos] + 1), MERCHANT_TOKEN_BAD_MAC);
    snprintf(forged, sizeof forged, "bkt1.v2.9%s", token + expiry_pos);
    expect(forged, MERCHANT_TOKEN_BAD_MAC); /* a digit in front: a far later expiry */
    /* nonce and mac: every hex digit flipped somewhere */
    expect_changed(token, nonce_pos, token[nonce_pos] == 'a' ? 'b' : 'a', MERCHANT_TOKEN_BAD_MAC);
    expect_changed(token, mac_pos, token[mac_pos] == 'a' ? 'b' : 'a', MERCHANT_TOKEN_BAD_MAC);
    expect_changed(token, strlen(token) - 1, token[strlen(token) - 1] == '0' ? '1' : '0',
                   MERCHANT_TOKEN_BAD_MAC);
    /* uppercase hex is not the canonical form */
    expect_changed(token, mac_pos, 'A', MERCHANT_TOKEN_MALFORMED);
    expect_changed(token, nonce_pos, 'F', MERCHANT_TOKEN_MALFORMED);
    /* the untouched token still works */
    expect(token, MERCHANT_TOKEN_OK);
}
END_TEST

START_TEST(removed_and_rotated_keys_refuse_old_tokens)
{
    char token[MERCHANT_TOKEN_SIZE];
    const char *name;
    issue(0, token);
    /* removed: only the other keys are configured */
    ck_assert_int_eq(verify_at(keys + 1, NKEYS - 1, token, NOW, &name), MERCHANT_TOKEN_UNKNOWN_KEY);
    ck_assert_int_eq(verify_at(NULL, 0, token, NOW, &name), MERCHANT_TOKEN_UNKNOWN_KEY);
    /* rotated: same name, new secret */
    struct merchant_key rotated = {(char *)"shop", (char *)"shop_key_rotated_0123456789"};
    ck_assert_int_eq(verify_at(&rotated, 1, token, NOW, &name), MERCHANT_TOKEN_BAD_MAC);
    /* a token of the new secret works, and not under the old one */
    char fresh[MERCHANT_TOKEN_SIZE];
    ck_assert_int_eq(merchant_token_issue(&rotated, EXPIRY, fresh), 0);
    ck_assert_int_eq(verify_at(&rotated, 1, fresh, NOW, &name), MERCHANT_TOKEN_OK);
    ck_assert_int_eq(verify_at(keys, 1, fresh, NOW, &name), MERCHANT_TOKEN_BAD_MAC);
}
END_TEST

START_TEST(a_new_token_leaves_earlier_ones_valid)
{
    char first[MERCHANT_TOKEN_SIZE], second[MERCHANT_TOKEN_SIZE];
    issue(0, first);
    issue(0, second);
    ck_assert_str_ne(first, second); /* the nonce makes each token new */
    expect(first, MERCHANT_TOKEN_OK);
    expect(second, MERCHANT_TOKEN_OK);
}
END_TEST

/* getToken's token: one per key and expiry, the same string on every call and instance, and a
 * token like any other to check. */
START_TEST(a_fixed_token_is_one_per_key_and_expiry)
{
    char a[MERCHANT_TOKEN_SIZE], b[MERCHANT_TOKEN_SIZE], other[MERCHANT_TOKEN_SIZE];
    ck_assert_int_eq(merchant_token_issue_fixed(&keys[0], EXPIRY, a), 0);
    ck_assert_int_eq(merchant_token_issue_fixed(&keys[0], EXPIRY, b), 0);
    ck_assert_str_eq(a, b);
    expect(a, MERCHANT_TOKEN_OK);
    ck_assert_int_eq(merchant_token_issue_fixed(&keys[0], EXPIRY + 1, other), 0);
    ck_assert_str_ne(a, other);
    expect(other, MERCHANT_TOKEN_OK);
    /* another key, the same key under a new secret: another token, and a's MAC fails there */
    ck_assert_int_eq(merchant_token_issue_fixed(&keys[1], EXPIRY, other), 0);
    ck_assert_str_ne(a, other);
    struct merchant_key rotated = {(char *)"shop", (char *)"shop_key_rotated_0123456789"};
    ck_assert_int_eq(merchant_token_issue_fixed(&rotated, EXPIRY, other), 0);
    ck_assert_str_ne(a, other);
    const char *name;
    ck_assert_int_eq(verify_at(&rotated, 1, a, NOW, &name), MERCHANT_TOKEN_BAD_MAC);
    /* the nonce is not the random one's: a random token for the same expiry differs */
    issue(0, other);
    ck_assert_str_ne(a, other);
    ck_assert_int_eq(merchant_token_issue_fixed(&keys[0], -1, other), -1);
    ck_assert_str_eq(other, "");
}
END_TEST

START_TEST(names_with_dots_are_unambiguous)
{
    char token[MERCHANT_TOKEN_SIZE];
    const char *name;
    issue(1, token); /* "shop.v2" next to "shop" and "v2" */
    ck_assert_int_eq(verify_at(keys, NKEYS, token, NOW, &name), MERCHANT_TOKEN_OK);
    ck_assert_str_eq(name, "shop.v2");
    issue(3, token);
    ck_assert_int_eq(verify_at(keys, NKEYS, token, NOW, &name), MERCHANT_TOKEN_OK);
    ck_assert_str_eq(name, "A-b_c.9");
    /* a 32-character name of dots only still round-trips */
    struct merchant_key dots = {(char *)"................................",
                                (char *)"dots_key_0123456789abcdef"};
    ck_assert_int_eq(merchant_token_issue(&dots, EXPIRY, token), 0);
    ck_assert_uint_eq(strlen(token), MERCHANT_TOKEN_MAX_LEN - (18 - 10));
    ck_assert_int_eq(verify_at(&dots, 1, token, NOW, &name), MERCHANT_TOKEN_OK);
}
END_TEST

START_TEST(garbage_is_malformed)
{
    static const char *const bad[] = {
        "",
        "bkt1",
        "bkt1.",
        "bkt1....",
        "bkt2.shop.1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "shop_key_0123456789abcdef",
        "Bearer bkt1.shop",
        " bkt1.shop.1.2.3",
        /* empty name, bad name characters */
        "bkt1..1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.sh op.1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.sh/op.1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        /* expiry: empty, signed, leading zero, not digits, 19 digits */
        "bkt1.shop..0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.shop.-1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.shop.01766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.shop.17668e0000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.shop.1766800000000000000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        /* nonce / mac of the wrong length or alphabet, trailing junk */
        "bkt1.shop.1766800000.0123456789abcdef0123456789abcde."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.shop.1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "bkt1.shop.1766800000.0123456789abcdef0123456789abcdeg."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "bkt1.shop.1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ",
        "bkt1.shop.1766800000.0123456789abcdef0123456789abcdef."
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.",
    };
    expect(NULL, MERCHANT_TOKEN_MALFORMED);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i], MERCHANT_TOKEN_MALFORMED);
    /* well-formed, but nobody's name */
    expect("bkt1.nobody.1766800000.0123456789abcdef0123456789abcdef."
           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
           MERCHANT_TOKEN_UNKNOWN_KEY);
    /* well-formed and a known name, but a made-up MAC */
    expect("bkt1.shop.1766800000.0123456789abcdef0123456789abcdef."
           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
           MERCHANT_TOKEN_BAD_MAC);
}
END_TEST

START_TEST(oversized_inputs_are_refused_unread)
{
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    memcpy(big, "bkt1.", 5);
    big[n] = '\0';
    expect(big, MERCHANT_TOKEN_MALFORMED);
    /* one character over the longest token */
    char token[MERCHANT_TOKEN_SIZE];
    issue(0, token);
    char longer[MERCHANT_TOKEN_SIZE + 64];
    snprintf(longer, sizeof longer, "bkt1.%.*s%s", 30, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             token + 4);
    expect(longer, MERCHANT_TOKEN_MALFORMED); /* a 34-character name */
    free(big);
}
END_TEST

START_TEST(issue_refuses_what_it_cannot_encode)
{
    char token[MERCHANT_TOKEN_SIZE] = "x";
    struct merchant_key bad_name = {(char *)"sh op", (char *)"key_0123456789abcdef"};
    struct merchant_key long_name = {(char *)"123456789012345678901234567890123",
                                     (char *)"key_0123456789abcdef"};
    ck_assert_int_eq(merchant_token_issue(&bad_name, EXPIRY, token), -1);
    ck_assert_str_eq(token, "");
    ck_assert_int_eq(merchant_token_issue(&long_name, EXPIRY, token), -1);
    ck_assert_int_eq(merchant_token_issue(&keys[0], -1, token), -1);
    ck_assert_int_eq(merchant_token_issue(&keys[0], INT64_C(1000000000000000000), token), -1);
    ck_assert_int_eq(merchant_token_issue(NULL, EXPIRY, token), -1);
    ck_assert_int_eq(merchant_token_issue(&keys[0], 0, token), 0);
    expect(token, MERCHANT_TOKEN_EXPIRED);
}
END_TEST

START_TEST(key_lookup_by_name)
{
    ck_assert_ptr_eq(merchant_key_find(keys, NKEYS, "shop.v2"), &keys[1]);
    ck_assert_ptr_null(merchant_key_find(keys, NKEYS, "shop.v"));
    ck_assert_ptr_null(merchant_key_find(keys, NKEYS, NULL));
    ck_assert_ptr_null(merchant_key_find(NULL, 0, "shop"));
}
END_TEST

static Suite *suite_merchant_token(void)
{
    Suite *s = suite_create("merchant_token");
    TCase *tc = tcase_create("token");
    tcase_add_test(tc, round_trip_gives_the_name_and_expiry);
    tcase_add_test(tc, expires_at_exactly_its_expiry);
    tcase_add_test(tc, tampering_breaks_the_mac);
    tcase_add_test(tc, removed_and_rotated_keys_refuse_old_tokens);
    tcase_add_test(tc, a_new_token_leaves_earlier_ones_valid);
    tcase_add_test(tc, names_with_dots_are_unambiguous);
    tcase_add_test(tc, a_fixed_token_is_one_per_key_and_expiry);
    tcase_add_test(tc, garbage_is_malformed);
    tcase_add_test(tc, oversized_inputs_are_refused_unread);
    tcase_add_test(tc, issue_refuses_what_it_cannot_encode);
    tcase_add_test(tc, key_lookup_by_name);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_merchant_token)
