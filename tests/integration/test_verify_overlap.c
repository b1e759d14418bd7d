/* The verification's payment and billing-key lookups at iamport go out together, and answer as one after the other would. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900

/* The sandbox's logged requests (method + path, query left out) in the order it answered them,
 * as "GET /payments/imp_1" strings joined by '\n'. Caller frees. */
static char *answered_requests(const struct fx *fx)
{
    cJSON *log = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/requests", NULL);
    size_t cap = 4096, len = 0;
    char *out = xcalloc(1, cap);
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        int n = snprintf(out + len, cap - len, "%s %s (%d)\n", fx_str(item, "method"),
                         fx_str(item, "path"),
                         cJSON_GetObjectItemCaseSensitive(item, "status")->valueint);
        ck_assert_int_lt(n, (int)(cap - len));
        len += (size_t)n;
    }
    cJSON_Delete(log);
    return out;
}

/* How many times line occurs in the joined request list. */
static int occurrences(const char *list, const char *line)
{
    int n = 0;
    for (const char *p = strstr(list, line); p; p = strstr(p + 1, line))
        n++;
    return n;
}

/* A checkout of pg without a first charge, approved in the window: *co (caller deletes) and
 * *w (caller releases); the sandbox's request log is emptied after it. */
static void approved_window(struct fx *fx, const char *pg, cJSON **co, struct fx_window *w)
{
    *co = fx_checkout_plan(fx, pg, PRICE, 0);
    fx_window_submit(fx, fx_request_pay(*co), 0, 0, w);
    ck_assert_ptr_nonnull(w->imp_uid);
    fx_clear_requests(fx);
}

/* With the payment lookup held 1.5 s by the sandbox, the billing-key lookup is answered first:
 * only possible when both were in flight at once (one after the other, the payment's answer
 * comes first). The registration is recorded once, with the card iamport showed. */
START_TEST(payment_and_key_lookups_overlap)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    cJSON *co;
    fx_start(&fx, NULL);
    approved_window(&fx, "kicc", &co, &w);
    const char *mu = fx_str(co, "merchant_uid");
    const char *cuid = fx_str(co, "customer_uid");
    char *fault = xasprintf("{\"method\":\"GET\",\"path\":\"/payments/%s\",\"kind\":\"latency\","
                            "\"delay_ms\":1500,\"count\":1}",
                            w.imp_uid);
    fx_fault(&fx, fault);

    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    http_client_response_release(&r);

    char *list = answered_requests(&fx);
    char *payment = xasprintf("GET /payments/%s (200)", w.imp_uid);
    char *key = xasprintf("GET /subscribe/customers/%s (200)", cuid);
    ck_assert_msg(occurrences(list, payment) == 1 && occurrences(list, key) == 1, "%s", list);
    ck_assert_msg(strstr(list, key) < strstr(list, payment), "not overlapped:\n%s", list);

    const char *p[] = {mu, NULL};
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND "
                                "status = 'active' AND card_name IS NOT NULL",
                                p),
                     1);
    const char *k[] = {cuid, NULL};
    ck_assert_int_eq(
        fx_sql_int(&fx, "SELECT count(*) FROM billing_keys WHERE customer_uid = $1", k), 1);
    ck_assert_int_eq(fx_audit_count(&fx, "callback", "registration.active", mu), 1);
    free(payment);
    free(key);
    free(list);
    free(fault);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* With IAMPORT_MAX_CONCURRENT=1 the two lookups cannot be in flight together: the billing key's
 * waits for the payment's, and the verification still records the key with its card. */
START_TEST(one_call_slot_asks_one_after_the_other)
{
    const char *env[] = {"IAMPORT_MAX_CONCURRENT=1", NULL};
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    cJSON *co;
    fx_start(&fx, env);
    approved_window(&fx, "kicc", &co, &w);
    const char *mu = fx_str(co, "merchant_uid");
    const char *cuid = fx_str(co, "customer_uid");

    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_ptr_nonnull(fx_str(r.json, "card_name"));
    http_client_response_release(&r);
    char *list = answered_requests(&fx);
    char *payment = xasprintf("GET /payments/%s (200)", w.imp_uid);
    char *key = xasprintf("GET /subscribe/customers/%s (200)", cuid);
    ck_assert_msg(occurrences(list, payment) == 1 && occurrences(list, key) == 1, "%s", list);
    ck_assert_msg(strstr(list, payment) < strstr(list, key), "payment first:\n%s", list);
    free(payment);
    free(key);
    free(list);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Both tokens refused (expired at iamport, still cached by billkey): each lookup gets 401 and is
 * sent once more alone with the token fetched once. */
START_TEST(both_lookups_refused_refresh_the_token_once)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    cJSON *co;
    fx_start(&fx, NULL);
    free(fx_active_key(&fx, "payco", 0, NULL)); /* billkey now holds a token */
    approved_window(&fx, "payco", &co, &w);
    const char *mu = fx_str(co, "merchant_uid");
    const char *cuid = fx_str(co, "customer_uid");
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/tokens/expire", NULL));

    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    http_client_response_release(&r);

    char *list = answered_requests(&fx);
    char *payment = xasprintf("GET /payments/%s", w.imp_uid);
    char *key = xasprintf("GET /subscribe/customers/%s", cuid);
    ck_assert_msg(occurrences(list, payment) == 2 && occurrences(list, key) == 2, "%s", list);
    ck_assert_msg(occurrences(list, "(401)") == 2, "%s", list);
    ck_assert_msg(occurrences(list, "POST /users/getToken (200)") == 1, "%s", list);
    char *s = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(s, "active");
    free(s);
    free(payment);
    free(key);
    free(list);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The billing-key lookup fails (iamport 500, every attempt) while the payment's answers: as when
 * it was asked after the payment, a paid issuance is recorded with its card fields empty (the
 * card is shown, not needed), once. */
START_TEST(key_lookup_failure_records_the_key_without_its_card)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    cJSON *co;
    fx_start(&fx, NULL);
    approved_window(&fx, "kicc", &co, &w);
    const char *mu = fx_str(co, "merchant_uid");
    const char *cuid = fx_str(co, "customer_uid");
    char *fault = xasprintf("{\"method\":\"GET\",\"path\":\"/subscribe/customers/%s\","
                            "\"kind\":\"http500\",\"count\":3}",
                            cuid);
    fx_fault(&fx, fault);

    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r.json, "card_name")));
    http_client_response_release(&r);
    char *list = answered_requests(&fx);
    char *key = xasprintf("GET /subscribe/customers/%s (500)", cuid);
    ck_assert_msg(occurrences(list, key) == 3, "three attempts:\n%s", list);
    const char *p[] = {mu, NULL};
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND "
                                "status = 'active' AND card_name IS NULL",
                                p),
                     1);
    const char *k[] = {cuid, NULL};
    ck_assert_int_eq(
        fx_sql_int(&fx, "SELECT count(*) FROM billing_keys WHERE customer_uid = $1", k), 1);
    free(key);
    free(list);
    free(fault);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Answers that do not depend on the order of the lookups: an imp_uid iamport does not know with
 * a merchant_uid billkey does not know is 404 unknown_payment (iamport is asked first then); a
 * known payment under a merchant_uid billkey does not know is 409 merchant_uid_mismatch; a known
 * payment under another registration's merchant_uid is 409 too, and neither registration moves. */
START_TEST(unknown_names_answer_as_payment_first)
{
    struct fx fx;
    struct fx_window w, w2;
    struct http_client_response r;
    cJSON *co, *co2;
    fx_start(&fx, NULL);
    approved_window(&fx, "kicc", &co, &w);
    co2 = fx_checkout_plan(&fx, "kicc", PRICE, 0);
    fx_window_submit(&fx, fx_request_pay(co2), 0, 0, &w2);
    const char *mu = fx_str(co, "merchant_uid");
    const char *mu2 = fx_str(co2, "merchant_uid");

    fx_complete(&fx, NULL, "imp_000000000001", "no_such_registration", &r);
    fx_expect_error(&r, 404, "unknown_payment");
    http_client_response_release(&r);
    fx_complete(&fx, NULL, w.imp_uid, "no_such_registration", &r);
    fx_expect_error(&r, 409, "merchant_uid_mismatch");
    http_client_response_release(&r);
    fx_complete(&fx, NULL, w.imp_uid, mu2, &r);
    fx_expect_error(&r, 409, "merchant_uid_mismatch");
    http_client_response_release(&r);
    fx_complete(&fx, NULL, "imp_000000000001", mu, &r);
    fx_expect_error(&r, 404, "unknown_payment");
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations WHERE status <> 'pending'"),
                     0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    fx_window_release(&w);
    fx_window_release(&w2);
    cJSON_Delete(co);
    cJSON_Delete(co2);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_verify_overlap(void)
{
    Suite *s = suite_create("verify_overlap");
    TCase *tc = tcase_create("overlap");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, payment_and_key_lookups_overlap);
    tcase_add_test(tc, one_call_slot_asks_one_after_the_other);
    tcase_add_test(tc, both_lookups_refused_refresh_the_token_once);
    tcase_add_test(tc, key_lookup_failure_records_the_key_without_its_card);
    tcase_add_test(tc, unknown_names_answer_as_payment_first);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_verify_overlap)
