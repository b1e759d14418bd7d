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

/* One test's world: billkeyd with the sandbox, and a checkout without a first charge approved
 * in the window (the sandbox's request log emptied after it). Everything is owned; ov_stop()
 * frees it. */
struct ov {
    struct fx fx;
    struct fx_window w;
    cJSON *co;
    const char *mu;   /* the registration's merchant_uid (borrowed from co) */
    const char *cuid; /* its customer_uid (borrowed from co) */
    char *payment;    /* "GET /payments/<imp_uid>", as answered_requests lists it */
    char *key;        /* "GET /subscribe/customers/<customer_uid>" */
};

static void ov_start(struct ov *o, const char *const *env, const char *pg, int key_first)
{
    fx_start(&o->fx, env);
    if (key_first) /* an earlier verification: billkey then holds a token */
        free(fx_active_key(&o->fx, pg, 0, NULL));
    o->co = fx_checkout_plan(&o->fx, pg, PRICE, 0);
    fx_window_submit(&o->fx, fx_request_pay(o->co), 0, 0, &o->w);
    ck_assert_ptr_nonnull(o->w.imp_uid);
    fx_clear_requests(&o->fx);
    o->mu = fx_str(o->co, "merchant_uid");
    o->cuid = fx_str(o->co, "customer_uid");
    o->payment = xasprintf("GET /payments/%s", o->w.imp_uid);
    o->key = xasprintf("GET /subscribe/customers/%s", o->cuid);
}

static void ov_stop(struct ov *o)
{
    free(o->payment);
    free(o->key);
    fx_window_release(&o->w);
    cJSON_Delete(o->co);
    fx_stop(&o->fx);
}

/* POST /payments/complete of o's window: asserts 200 "active"; returns the answer's card_name
 * (NULL when null; caller frees). */
static char *ov_complete_active(struct ov *o)
{
    struct http_client_response r;
    fx_complete(&o->fx, NULL, o->w.imp_uid, o->mu, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    const char *card = fx_str(r.json, "card_name");
    char *copy = card ? xstrdup(card) : NULL;
    http_client_response_release(&r);
    return copy;
}

/* How many `line (status)` entries the sandbox answered (status 0: any). */
static int answered(const char *list, const char *line, int status)
{
    char *want = status ? xasprintf("%s (%d)", line, status) : xasprintf("%s (", line);
    int n = occurrences(list, want);
    free(want);
    return n;
}

/* With the payment lookup held 1.5 s by the sandbox, the billing-key lookup is answered first:
 * only possible when both were in flight at once (one after the other, the payment's answer
 * comes first). The registration is recorded once, with the card iamport showed. */
START_TEST(payment_and_key_lookups_overlap)
{
    struct ov o;
    ov_start(&o, NULL, "kicc", 0);
    char *fault = xasprintf("{\"method\":\"GET\",\"path\":\"/payments/%s\",\"kind\":\"latency\","
                            "\"delay_ms\":1500,\"count\":1}",
                            o.w.imp_uid);
    fx_fault(&o.fx, fault);

    free(ov_complete_active(&o));
    char *list = answered_requests(&o.fx);
    ck_assert_msg(answered(list, o.payment, 200) == 1 && answered(list, o.key, 200) == 1, "%s",
                  list);
    ck_assert_msg(strstr(list, o.key) < strstr(list, o.payment), "not overlapped:\n%s", list);
    const char *p[] = {o.mu, NULL};
    ck_assert_int_eq(fx_sql_int(&o.fx,
                                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND "
                                "status = 'active' AND card_name IS NOT NULL",
                                p),
                     1);
    const char *k[] = {o.cuid, NULL};
    ck_assert_int_eq(
        fx_sql_int(&o.fx, "SELECT count(*) FROM billing_keys WHERE customer_uid = $1", k), 1);
    ck_assert_int_eq(fx_audit_count(&o.fx, "callback", "registration.active", o.mu), 1);
    free(list);
    free(fault);
    ov_stop(&o);
}
END_TEST

/* With IAMPORT_MAX_CONCURRENT=1 the two lookups cannot be in flight together: the billing key's
 * waits for the payment's, and the verification still records the key with its card. */
START_TEST(one_call_slot_asks_one_after_the_other)
{
    const char *env[] = {"IAMPORT_MAX_CONCURRENT=1", NULL};
    struct ov o;
    ov_start(&o, env, "kicc", 0);
    char *card = ov_complete_active(&o);
    ck_assert_ptr_nonnull(card);
    char *list = answered_requests(&o.fx);
    ck_assert_msg(answered(list, o.payment, 200) == 1 && answered(list, o.key, 200) == 1, "%s",
                  list);
    ck_assert_msg(strstr(list, o.payment) < strstr(list, o.key), "payment first:\n%s", list);
    free(card);
    free(list);
    ov_stop(&o);
}
END_TEST

/* Both tokens refused (expired at iamport, still cached by billkey): each lookup gets 401 and is
 * sent once more alone with the token fetched once. */
START_TEST(both_lookups_refused_refresh_the_token_once)
{
    struct ov o;
    ov_start(&o, NULL, "payco", 1);
    cJSON_Delete(sandbox_ctl(&o.fx.sandbox, "POST", "/__sandbox/tokens/expire", NULL));

    free(ov_complete_active(&o));
    char *list = answered_requests(&o.fx);
    ck_assert_msg(answered(list, o.payment, 401) == 1 && answered(list, o.payment, 200) == 1 &&
                      answered(list, o.key, 401) == 1 && answered(list, o.key, 200) == 1,
                  "%s", list);
    ck_assert_msg(answered(list, "POST /users/getToken", 0) == 1, "%s", list);
    char *s = fx_registration_column(&o.fx, "status", o.mu);
    ck_assert_str_eq(s, "active");
    free(s);
    free(list);
    ov_stop(&o);
}
END_TEST

/* The billing-key lookup fails (iamport 500, every attempt) while the payment's answers: as when
 * it was asked after the payment, a paid issuance is recorded with its card fields empty (the
 * card is shown, not needed), once. */
START_TEST(key_lookup_failure_records_the_key_without_its_card)
{
    struct ov o;
    ov_start(&o, NULL, "kicc", 0);
    char *fault = xasprintf("{\"method\":\"GET\",\"path\":\"/subscribe/customers/%s\","
                            "\"kind\":\"http500\",\"count\":3}",
                            o.cuid);
    fx_fault(&o.fx, fault);

    ck_assert_ptr_null(ov_complete_active(&o));
    char *list = answered_requests(&o.fx);
    ck_assert_msg(answered(list, o.key, 500) == 3, "three attempts:\n%s", list);
    const char *p[] = {o.mu, NULL};
    ck_assert_int_eq(fx_sql_int(&o.fx,
                                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND "
                                "status = 'active' AND card_name IS NULL",
                                p),
                     1);
    const char *k[] = {o.cuid, NULL};
    ck_assert_int_eq(
        fx_sql_int(&o.fx, "SELECT count(*) FROM billing_keys WHERE customer_uid = $1", k), 1);
    free(list);
    free(fault);
    ov_stop(&o);
}
END_TEST

/* Answers that do not depend on the order of the lookups: an imp_uid iamport does not know with
 * a merchant_uid billkey does not know is 404 unknown_payment (iamport is asked first then); a
 * known payment under a merchant_uid billkey does not know is 409 merchant_uid_mismatch; a known
 * payment under another registration's merchant_uid is 409 too, and neither registration moves. */
START_TEST(unknown_names_answer_as_payment_first)
{
    struct ov o;
    struct fx_window w2;
    struct http_client_response r;
    ov_start(&o, NULL, "kicc", 0);
    cJSON *co2 = fx_checkout_plan(&o.fx, "kicc", PRICE, 0);
    fx_window_submit(&o.fx, fx_request_pay(co2), 0, 0, &w2);
    static const struct {
        int imp; /* 0: one iamport does not know, 1: o's window's */
        int mu;  /* 0: unknown to billkey, 1: o's registration, 2: the other registration */
        long status;
        const char *code;
    } cases[] = {
        {0, 0, 404, "unknown_payment"},
        {1, 0, 409, "merchant_uid_mismatch"},
        {1, 2, 409, "merchant_uid_mismatch"},
        {0, 1, 404, "unknown_payment"},
    };
    const char *mus[] = {"no_such_registration", o.mu, fx_str(co2, "merchant_uid")};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_complete(&o.fx, NULL, cases[i].imp ? o.w.imp_uid : "imp_000000000001", mus[cases[i].mu],
                    &r);
        fx_expect_error(&r, cases[i].status, cases[i].code);
        http_client_response_release(&r);
    }
    ck_assert_int_eq(
        fx_count(&o.fx, "SELECT count(*) FROM registrations WHERE status <> 'pending'"), 0);
    ck_assert_int_eq(fx_count(&o.fx, "SELECT count(*) FROM billing_keys"), 0);
    fx_window_release(&w2);
    cJSON_Delete(co2);
    ov_stop(&o);
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
