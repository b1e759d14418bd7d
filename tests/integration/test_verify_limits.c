/* Made-up imp_uids and floods on the public verification routes: the unknown-imp_uid cache, the per-client limit, X-Forwarded-For, the landing's texts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900
#define PHISH "Call-010-0000-0000-to-unlock-your-card"

/* POST /payments/complete {imp_uid, merchant_uid} to p (NULL: fx's billkeyd) with
 * X-Forwarded-For: xff when xff is not NULL. Returns the HTTP status. */
static long complete_via(const struct fx *fx, const struct billkeyd_proc *p, const char *imp_uid,
                         const char *xff, struct http_client_response *out)
{
    char *body = xasprintf("{\"imp_uid\":\"%s\",\"merchant_uid\":\"mu_made_up\"}", imp_uid);
    char *header = xff ? xasprintf("X-Forwarded-For: %s", xff) : NULL;
    const char *headers[] = {header, NULL};
    char *url = fx_url(fx, p, "/payments/complete");
    struct http_client_request rq = {
        .method = "POST", .url = url, .body = body, .headers = header ? headers : NULL};
    http_client_do(&rq, out);
    free(url);
    free(header);
    free(body);
    return out->status;
}

/* Asserts a 429 with Retry-After (1 s or more) in billkey's error shape. */
static void expect_429(const struct http_client_response *r)
{
    fx_expect_error(r, 429, "too_many_verifications");
    char *retry = http_client_header(r, "Retry-After");
    ck_assert_ptr_nonnull(retry);
    ck_assert_int_ge(atoi(retry), 1);
    free(retry);
}

/* POST /payments/complete with the made-up imp_uid n times, each answered 404 unknown_payment
 * with iamport's wording. */
static void expect_unknown(const struct fx *fx, const char *imp_uid, int n)
{
    struct http_client_response r;
    char *message = xasprintf("iamport has no payment '%s'", imp_uid);
    for (int i = 0; i < n; i++) {
        complete_via(fx, NULL, imp_uid, NULL, &r);
        fx_expect_error(&r, 404, "unknown_payment");
        ck_assert_str_eq(testlib_error_field(r.json, "message"), message);
        http_client_response_release(&r);
    }
    free(message);
}

/* 50 different made-up imp_uids from one client: VERIFY_RATE_BURST of them reach iamport (one
 * GET each), the rest are refused 429 before any upstream call, the landing included. */
START_TEST(a_flood_of_made_up_imp_uids_makes_a_bounded_number_of_upstream_calls)
{
    struct fx fx;
    struct http_client_response r;
    const char *env[] = {"VERIFY_RATE_PER_MINUTE=1", "VERIFY_RATE_BURST=5", NULL};
    fx_start(&fx, env);
    fx_clear_requests(&fx);
    int not_found = 0, limited = 0;
    for (int i = 0; i < 50; i++) {
        char imp_uid[32];
        snprintf(imp_uid, sizeof imp_uid, "imp_%d%06d", 9, (i * 7919) % 1000000);
        long status = complete_via(&fx, NULL, imp_uid, NULL, &r);
        if (status == 404) {
            fx_expect_error(&r, 404, "unknown_payment");
            not_found++;
        } else {
            expect_429(&r);
            limited++;
        }
        http_client_response_release(&r);
    }
    ck_assert_int_eq(not_found, 5);
    ck_assert_int_eq(limited, 45);
    fx_landing(&fx, "imp_1234", "mu_made_up", &r);
    ck_assert_int_eq(r.status, 429);
    ck_assert_ptr_nonnull(strstr(r.body, "data-code=\"too_many_verifications\""));
    char *retry = http_client_header(&r, "Retry-After");
    ck_assert_ptr_nonnull(retry);
    free(retry);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/payments/*", NULL), 5);
    ck_assert_int_le(fx_sandbox_requests(&fx, NULL, "*", NULL), 5 + 1); /* + a token at most */
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 0);
    fx_stop(&fx);
}
END_TEST

/* iamport's "no such payment" is remembered: the same made-up imp_uid again, by the callback
 * or the landing, is answered the same 404 without asking iamport again. */
START_TEST(an_unknown_imp_uid_is_asked_about_once)
{
    struct fx fx;
    struct http_client_response r;
    const char *env[] = {"VERIFY_RATE_PER_MINUTE=0", NULL};
    fx_start(&fx, env);
    fx_clear_requests(&fx);
    expect_unknown(&fx, "imp_424242", 10);
    fx_landing(&fx, "imp_424242", "mu_made_up", &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/payments/imp_424242", NULL), 1);

    /* a real issuance still goes through with the cache in front of it */
    char *cu = fx_active_key(&fx, "kicc", 0, NULL);
    ck_assert_ptr_nonnull(cu);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* UNKNOWN_IMP_UID_TTL_SECONDS=0 remembers nothing: every attempt asks iamport. */
START_TEST(a_zero_ttl_remembers_nothing)
{
    struct fx fx;
    const char *env[] = {"VERIFY_RATE_PER_MINUTE=0", "UNKNOWN_IMP_UID_TTL_SECONDS=0", NULL};
    fx_start(&fx, env);
    fx_clear_requests(&fx);
    expect_unknown(&fx, "imp_434343", 3);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/payments/imp_434343", NULL), 3);
    fx_stop(&fx);
}
END_TEST

/* X-Forwarded-For from a peer outside TRUSTED_PROXIES is ignored (a new value per request buys
 * no new budget); from a trusted proxy it names the client, read from the right so that a
 * client cannot prepend another address. */
START_TEST(x_forwarded_for_counts_only_from_trusted_proxies)
{
    struct fx fx;
    struct billkeyd_proc trusting;
    struct http_client_response r;
    const char *env[] = {"VERIFY_RATE_PER_MINUTE=1", "VERIFY_RATE_BURST=2", NULL};
    const char *trusting_env[] = {"VERIFY_RATE_PER_MINUTE=1", "VERIFY_RATE_BURST=2",
                                  "TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1/32", NULL};
    fx_start(&fx, env);
    fx_start_billkeyd(&fx, &trusting, trusting_env);

    ck_assert_int_eq(complete_via(&fx, NULL, "imp_1001", "203.0.113.1", &r), 404);
    http_client_response_release(&r);
    ck_assert_int_eq(complete_via(&fx, NULL, "imp_1002", "203.0.113.2", &r), 404);
    http_client_response_release(&r);
    complete_via(&fx, NULL, "imp_1003", "203.0.113.3", &r);
    expect_429(&r);
    http_client_response_release(&r);

    ck_assert_int_eq(complete_via(&fx, &trusting, "imp_2001", "203.0.113.1", &r), 404);
    http_client_response_release(&r);
    ck_assert_int_eq(complete_via(&fx, &trusting, "imp_2002", "203.0.113.1, 10.1.2.3", &r), 404);
    http_client_response_release(&r);
    complete_via(&fx, &trusting, "imp_2003", "198.51.100.7, 203.0.113.1", &r);
    expect_429(&r); /* the prepended address is not believed */
    http_client_response_release(&r);
    ck_assert_int_eq(complete_via(&fx, &trusting, "imp_2004", "203.0.113.2", &r), 404);
    http_client_response_release(&r);
    ck_assert_int_eq(complete_via(&fx, &trusting, "imp_2005", NULL, &r), 404); /* the proxy */
    http_client_response_release(&r);

    fx_stop_billkeyd(&trusting);
    fx_stop(&fx);
}
END_TEST

/* The landing never shows error_msg / error_code from the query: a closed window (no imp_uid)
 * and an imp_uid iamport does not know get one fixed generic message, and neither the query's
 * texts nor the made-up imp_uid appear (a failed payment's page, with iamport's reason, is in
 * test_issuance_hostile's issuance_failure_marks_registration_failed). */
START_TEST(a_crafted_error_msg_never_appears_on_the_landing)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kicc", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    const char *imp_uids[] = {"", "imp_uid=imp_987654&"};
    const long statuses[] = {200, 404};
    for (int i = 0; i < 2; i++) {
        char *query = xasprintf("/payments/complete/mobile?%smerchant_uid=%s&imp_success=false"
                                "&error_code=" PHISH "&error_msg=" PHISH,
                                imp_uids[i], mu);
        char *url = fx_url(&fx, NULL, query);
        http_client_get(url, NULL, &r);
        ck_assert_int_eq(r.status, statuses[i]);
        ck_assert_msg(strstr(r.body, "PHISH") == NULL, "page %d shows the query's text: %s", i,
                      r.body);
        ck_assert_msg(strstr(r.body, "imp_987654") == NULL, "page %d echoes the imp_uid", i);
        ck_assert_ptr_nonnull(
            strstr(r.body, "등록된 내용이 없습니다. 처음으로 돌아가 다시 시도해 주세요."));
        http_client_response_release(&r);
        free(url);
        free(query);
    }
    char *status = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(status, "pending"); /* the query decides nothing */
    free(status);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_verify_limits(void)
{
    Suite *s = suite_create("verify_limits");
    TCase *tc = tcase_create("public verification");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_flood_of_made_up_imp_uids_makes_a_bounded_number_of_upstream_calls);
    tcase_add_test(tc, an_unknown_imp_uid_is_asked_about_once);
    tcase_add_test(tc, a_zero_ttl_remembers_nothing);
    tcase_add_test(tc, x_forwarded_for_counts_only_from_trusted_proxies);
    tcase_add_test(tc, a_crafted_error_msg_never_appears_on_the_landing);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_verify_limits)
