/* Idempotency-Key's pure parts: key validation, the request hash and the decision for a taken key. */
#include <string.h>

#include "server/billing/idempotency.h"
#include "tests/lib/testlib.h"

START_TEST(keys_are_1_to_255_printable_ascii)
{
    char longest[IDEMPOTENCY_KEY_MAX + 2];
    memset(longest, 'k', sizeof longest);
    longest[IDEMPOTENCY_KEY_MAX] = '\0';
    ck_assert_int_eq(idempotency_key_valid(longest), 1);
    longest[IDEMPOTENCY_KEY_MAX] = 'k';
    longest[IDEMPOTENCY_KEY_MAX + 1] = '\0';
    ck_assert_int_eq(idempotency_key_valid(longest), 0);
    static const char *const good[] = {"a", "order-42/try 1", "~!@#$%^&*()_+{}|:\"<>?", " "};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(idempotency_key_valid(good[i]), "'%s' refused", good[i]);
    static const char *const bad[] = {"",        "tab\there",    "new\nline",
                                      "del\x7f", "\xed\x82\xa4", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!idempotency_key_valid(bad[i]), "bad key %zu accepted", i);
    ck_assert_int_eq(idempotency_key_valid(NULL), 0);
}
END_TEST

START_TEST(the_hash_covers_method_path_and_body_unambiguously)
{
    char a[IDEMPOTENCY_HASH_LEN + 1], b[IDEMPOTENCY_HASH_LEN + 1];
    idempotency_request_hash("POST", "/api/checkouts", "{\"a\":1}", 7, a);
    ck_assert_uint_eq(strlen(a), IDEMPOTENCY_HASH_LEN);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), IDEMPOTENCY_HASH_LEN);
    idempotency_request_hash("POST", "/api/checkouts", "{\"a\":1}", 7, b);
    ck_assert_str_eq(a, b); /* deterministic */
    /* Each part matters, and moving bytes between parts changes the hash. */
    static const struct {
        const char *method, *path, *body;
    } others[] = {
        {"PUT", "/api/checkouts", "{\"a\":1}"},  {"POST", "/api/checkout", "{\"a\":1}"},
        {"POST", "/api/checkouts", "{\"a\":2}"}, {"POST", "/api/checkouts", "{\"a\": 1}"},
        {"POS", "T/api/checkouts", "{\"a\":1}"}, {"POST", "/api/checkouts{\"a\"", ":1}"},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        idempotency_request_hash(others[i].method, others[i].path, others[i].body,
                                 strlen(others[i].body), b);
        ck_assert_msg(strcmp(a, b) != 0, "case %zu hashes like the original", i);
    }
    /* Bytes after a NUL in the body count; no body is the empty body. */
    idempotency_request_hash("POST", "/p", "x\0y", 3, a);
    idempotency_request_hash("POST", "/p", "x\0z", 3, b);
    ck_assert_str_ne(a, b);
    idempotency_request_hash("POST", "/p", NULL, 0, a);
    idempotency_request_hash("POST", "/p", "", 0, b);
    ck_assert_str_eq(a, b);
    /* A known value: SHA-256 of "4:POST2:/p0:". */
    ck_assert_str_eq(a, "84efff4c7c5cbdfee1d39e13e642a2c3941423e5d713bd9cf20e2c1e743369ce");
}
END_TEST

START_TEST(a_taken_key_replays_waits_or_refuses)
{
    ck_assert_int_eq(idempotency_decide("h1", 1, "h1"), IDEMPOTENCY_REPLAY);
    ck_assert_int_eq(idempotency_decide("h1", 0, "h1"), IDEMPOTENCY_IN_PROGRESS);
    ck_assert_int_eq(idempotency_decide("h1", 1, "h2"), IDEMPOTENCY_MISMATCH);
    ck_assert_int_eq(idempotency_decide("h1", 0, "h2"), IDEMPOTENCY_MISMATCH);
    ck_assert_int_eq(idempotency_decide(NULL, 1, "h2"), IDEMPOTENCY_MISMATCH);
    ck_assert_str_eq(idempotency_decision_name(IDEMPOTENCY_IN_PROGRESS), "in_progress");
    ck_assert_str_eq(idempotency_decision_name((enum idempotency_decision)99), "unknown");
}
END_TEST

static Suite *suite_idempotency_hash(void)
{
    Suite *s = suite_create("idempotency_hash");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, keys_are_1_to_255_printable_ascii);
    tcase_add_test(tc, the_hash_covers_method_path_and_body_unambiguously);
    tcase_add_test(tc, a_taken_key_replays_waits_or_refuses);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_idempotency_hash)
