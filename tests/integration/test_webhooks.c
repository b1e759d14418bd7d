/* iamport webhooks through billkeyd: recorded, settled from iamport alone, in any order and number, on two instances. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "tests/lib/fx_wait.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define WAIT_MS 20000
#define DAY (24 * 3600)

/* Waits until the worker has settled every recorded event (none received or processing). */
static void wait_settled(const struct fx *fx)
{
    fx_wait_int(fx, "SELECT count(*) FROM webhook_events WHERE state IN ('received', 'processing')",
                NULL, 0, WAIT_MS);
}

/* Aims the sandbox's webhooks at billkeyd p (NULL = fx's) with these extra config members
 * (JSON members text without braces, may be NULL). */
static void aim_webhooks(const struct fx *fx, const struct billkeyd_proc *p, const char *extra)
{
    char *url = fx_url(fx, p, "/webhooks/iamport");
    char *body =
        xasprintf("{\"webhook_url\":\"%s\"%s%s}", url, extra ? "," : "", extra ? extra : "");
    cJSON_Delete(sandbox_ctl(&fx->sandbox, "POST", "/__sandbox/config", body));
    free(body);
    free(url);
}

/* POSTs a webhook body to billkeyd p (NULL = fx's) as content_type; returns the status. */
static long post_webhook(const struct fx *fx, const struct billkeyd_proc *p,
                         const char *content_type, const char *body)
{
    struct http_client_response r;
    char *url = fx_url(fx, p, "/webhooks/iamport");
    struct http_client_request rq = {
        .method = "POST", .url = url, .content_type = content_type, .body = body};
    http_client_do(&rq, &r);
    long status = r.status;
    if (status == 200) {
        ck_assert(r.json != NULL);
        ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "received")));
    }
    http_client_response_release(&r);
    free(url);
    return status;
}

/* POST /__sandbox/webhooks/send for imp_uid `times` times to billkeyd p (NULL = fx's). */
static void resend(const struct fx *fx, const struct billkeyd_proc *p, const char *imp_uid,
                   int times)
{
    char *url = fx_url(fx, p, "/webhooks/iamport");
    char *body = xasprintf("{\"imp_uid\":\"%s\",\"times\":%d,\"url\":\"%s\"}", imp_uid, times, url);
    cJSON *r = sandbox_ctl(&fx->sandbox, "POST", "/__sandbox/webhooks/send", body);
    ck_assert_int_eq((int)cJSON_GetObjectItem(r, "queued")->valuedouble, times);
    cJSON_Delete(r);
    free(body);
    free(url);
}

/* Waits until the sandbox has delivered every queued webhook. */
static void wait_delivered(const struct fx *fx)
{
    for (long waited = 0;; waited += 50) {
        cJSON *w = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/webhooks", NULL);
        int pending = (int)cJSON_GetObjectItem(w, "pending")->valuedouble;
        cJSON_Delete(w);
        if (pending == 0)
            return;
        ck_assert_msg(waited < WAIT_MS, "the sandbox still has %d webhooks pending", pending);
        testlib_sleep_ms(50);
    }
}

static long long ledger_count(const struct fx *fx, const char *mu)
{
    struct fx_ledger l;
    fx_ledger(fx, mu, &l);
    long long n = l.count;
    fx_ledger_release(&l);
    return n;
}

/* The first charge's merchant_uid of registration mu (caller frees), or NULL. */
static char *first_charge_of(const struct fx *fx, const char *mu)
{
    const char *p[] = {mu, NULL};
    return fx_sql(fx,
                  "SELECT merchant_uid FROM payments WHERE kind = 'first_charge' AND "
                  "registration_merchant_uid = $1",
                  p);
}

/* A checkout for pg with a first charge, approved in the window; the browser never calls back.
 * Returns the window's imp_uid (caller frees) and the merchant_uid in *mu (caller frees). */
static char *approve_and_vanish(const struct fx *fx, const char *pg, char **mu)
{
    cJSON *co = fx_checkout_plan(fx, pg, 9900, 1);
    struct fx_window w;
    fx_window_submit(fx, fx_request_pay(co), 0, 0, &w);
    ck_assert(w.success);
    ck_assert_ptr_nonnull(w.imp_uid);
    char *imp_uid = xstrdup(w.imp_uid);
    *mu = xstrdup(fx_str(co, "merchant_uid"));
    fx_window_release(&w);
    cJSON_Delete(co);
    return imp_uid;
}

static void expect_one_active_key(const struct fx *fx, const char *mu)
{
    const char *p[] = {mu, NULL};
    fx_wait_int(fx,
                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND status = 'active'",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_sql_int(fx,
                                "SELECT count(*) FROM billing_keys b JOIN registrations r USING "
                                "(customer_uid) WHERE r.merchant_uid = $1",
                                p),
                     1);
}

START_TEST(a_kakaopay_registration_without_its_browser_is_completed_by_the_webhook)
{
    struct fx fx;
    fx_start(&fx, NULL);
    aim_webhooks(&fx, NULL, NULL);
    char *mu = NULL;
    char *imp_uid = approve_and_vanish(&fx, "kakaopay", &mu);
    expect_one_active_key(&fx, mu);
    const char *p[] = {mu, NULL};
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND kind = 'issue' AND "
                "status = 'paid'",
                p, 1, WAIT_MS);
    ck_assert_int_eq(ledger_count(&fx, mu), 1);
    /* the webhook's verification recorded the key, as the callback would have */
    ck_assert_int_ge(fx_sql_int(&fx,
                                "SELECT count(*) FROM audit_events WHERE actor = 'webhook' AND "
                                "subject = $1",
                                p),
                     1);
    wait_settled(&fx);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events WHERE state = 'done'"), 1);

    /* duplicates: five more deliveries change nothing and charge nothing */
    resend(&fx, NULL, imp_uid, 5);
    wait_delivered(&fx);
    wait_settled(&fx);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events WHERE state = 'done'"), 6);
    ck_assert_int_eq(ledger_count(&fx, mu), 1);
    expect_one_active_key(&fx, mu);

    /* a partial console cancel of the first charge: cancel_amount grows, still paid */
    char *part = xasprintf("{\"imp_uid\":\"%s\",\"amount\":1000}", imp_uid);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/cancel", part));
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND kind = 'issue' AND "
                "status = 'paid' AND cancel_amount = 1000",
                p, 1, WAIT_MS);
    free(part);
    free(imp_uid);
    free(mu);
    fx_stop(&fx);
}
END_TEST

START_TEST(a_payco_first_charge_is_taken_once_by_the_webhook_on_two_instances)
{
    struct fx fx;
    struct billkeyd_proc second;
    fx_start(&fx, NULL);
    fx_start_billkeyd(&fx, &second, NULL);
    aim_webhooks(&fx, NULL, NULL);
    char *mu = NULL;
    char *imp_uid = approve_and_vanish(&fx, "payco", &mu);
    /* both instances get the event five more times, at once */
    resend(&fx, NULL, imp_uid, 5);
    resend(&fx, &second, imp_uid, 5);
    expect_one_active_key(&fx, mu);
    /* the issuance's, ten resent, and the one iamport sends for the first charge's approval */
    fx_wait_int(&fx, "SELECT count(*) FROM webhook_events", NULL, 12, WAIT_MS);
    wait_delivered(&fx);
    wait_settled(&fx);
    char *fc = first_charge_of(&fx, mu);
    ck_assert_ptr_nonnull(fc);
    char *status = fx_payment_column(&fx, "status", fc);
    ck_assert_str_eq(status, "paid");
    ck_assert_int_eq(ledger_count(&fx, fc), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE kind = 'first_charge'"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events WHERE state <> 'done'"), 0);
    /* the webhook-only path asked iamport, never trusted the body */
    ck_assert_int_ge(fx_sandbox_requests(&fx, "GET", "/payments/*", NULL), 12);
    free(status);
    free(fc);
    free(imp_uid);
    free(mu);
    fx_stop_billkeyd(&second);
    fx_stop(&fx);
}
END_TEST

START_TEST(webhook_before_and_after_the_callback_converge)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);

    /* the webhook is delivered before the window answers */
    aim_webhooks(&fx, NULL, "\"issue_webhook_before_result\":true");
    char *mu = NULL;
    char *imp_uid = approve_and_vanish(&fx, "kakaopay", &mu);
    ck_assert_int_eq(fx_complete(&fx, NULL, imp_uid, mu, &r), 200);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    http_client_response_release(&r);
    ck_assert_int_eq(fx_landing(&fx, imp_uid, mu, &r), 200);
    http_client_response_release(&r);
    expect_one_active_key(&fx, mu);
    wait_settled(&fx);
    ck_assert_int_eq(ledger_count(&fx, mu), 1);
    free(imp_uid);
    free(mu);

    /* the webhook arrives after the callback and the landing */
    aim_webhooks(&fx, NULL, "\"issue_webhook_before_result\":false,\"issue_webhook_delay_ms\":700");
    imp_uid = approve_and_vanish(&fx, "kakaopay", &mu);
    ck_assert_int_eq(fx_complete(&fx, NULL, imp_uid, mu, &r), 200);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_landing(&fx, imp_uid, mu, &r), 200);
    http_client_response_release(&r);
    const char *p[] = {imp_uid, NULL};
    fx_wait_int(&fx, "SELECT count(*) FROM webhook_events WHERE imp_uid = $1 AND state = 'done'", p,
                1, WAIT_MS);
    expect_one_active_key(&fx, mu);
    ck_assert_int_eq(ledger_count(&fx, mu), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 2);
    free(imp_uid);
    free(mu);
    fx_stop(&fx);
}
END_TEST

/* POST /subscribe/payments/again for cu; returns the Payment's imp_uid (caller frees). */
static char *again(const struct fx *fx, const char *cu, const char *mu, const char *want_status)
{
    struct http_client_response r;
    char *body = xasprintf(
        "{\"customer_uid\":\"%s\",\"merchant_uid\":\"%s\",\"amount\":9900,\"name\":\"월 구독\"}",
        cu, mu);
    fx_merchant(fx, NULL, "POST", "/subscribe/payments/again", FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    const cJSON *pay = http_client_body_response(&r);
    ck_assert_str_eq(fx_str(pay, "status"), want_status);
    char *imp_uid = xstrdup(fx_str(pay, "imp_uid"));
    http_client_response_release(&r);
    free(body);
    return imp_uid;
}

START_TEST(a_forged_paid_body_changes_nothing)
{
    struct fx fx;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    char *decline = xasprintf("{\"customer_uid\":\"%s\",\"count\":1}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/decline", decline));
    char *imp_uid = again(&fx, cu, "again-declined", "failed");
    long long audits = fx_count(&fx, "SELECT count(*) FROM audit_events");
    char *forged = xasprintf(
        "{\"imp_uid\":\"%s\",\"merchant_uid\":\"again-declined\",\"status\":\"paid\"}", imp_uid);
    ck_assert_int_eq(post_webhook(&fx, NULL, FX_JSON, forged), 200);
    const char *p[] = {imp_uid, NULL};
    fx_wait_int(&fx, "SELECT count(*) FROM webhook_events WHERE imp_uid = $1 AND state = 'done'", p,
                1, WAIT_MS);
    char *status = fx_payment_column(&fx, "status", "again-declined");
    ck_assert_str_eq(status, "failed");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), audits);
    ck_assert_int_eq(ledger_count(&fx, "again-declined"), 1);
    /* the claimed status is stored as a hint only */
    ck_assert_int_eq(
        fx_sql_int(&fx, "SELECT count(*) FROM webhook_events WHERE claimed_status = 'paid'", NULL),
        1);
    free(status);
    free(forged);
    free(imp_uid);
    free(decline);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(scheduled_runs_update_schedules_and_payments_through_the_webhook)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    aim_webhooks(&fx, NULL, NULL);
    long long at = (long long)time(NULL) + DAY;
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":["
                           "{\"merchant_uid\":\"sch-declined\",\"schedule_at\":%lld,"
                           "\"amount\":9900,\"name\":\"월 구독\"},"
                           "{\"merchant_uid\":\"sch-paid\",\"schedule_at\":%lld,"
                           "\"amount\":12000,\"name\":\"월 구독\"}]}",
                           cu, at, at + 60);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/schedule", FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    http_client_response_release(&r);
    char *decline = xasprintf("{\"customer_uid\":\"%s\",\"count\":1,\"reason\":\"잔액부족\"}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/decline", decline));
    cJSON_Delete(
        sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/clock", "{\"advance_seconds\":172800}"));
    fx_clear_requests(&fx);
    cJSON *ran = sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ran, "executed")), 2);
    cJSON_Delete(ran);

    fx_wait_int(&fx,
                "SELECT count(*) FROM schedules WHERE merchant_uid = 'sch-declined' AND "
                "schedule_status = 'executed' AND payment_status = 'failed' AND "
                "fail_reason = '잔액부족' AND imp_uid IS NOT NULL AND executed_at > 0",
                NULL, 1, WAIT_MS);
    fx_wait_int(&fx,
                "SELECT count(*) FROM schedules WHERE merchant_uid = 'sch-paid' AND "
                "schedule_status = 'executed' AND payment_status = 'paid' AND imp_uid IS NOT NULL "
                "AND executed_at > 0",
                NULL, 1, WAIT_MS);
    wait_settled(&fx);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE merchant_uid = "
                                   "'sch-declined' AND status = 'failed' AND fail_reason = "
                                   "'잔액부족' AND imp_uid IS NOT NULL"),
                     1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE merchant_uid = "
                                   "'sch-paid' AND status = 'paid' AND imp_uid IS NOT NULL"),
                     1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events WHERE actor = 'webhook' AND "
                                   "action = 'payment.webhook_refreshed'"),
                     2);
    /* no merchant call asked: the webhook alone brought it */
    ck_assert_int_ge(fx_sandbox_requests(&fx, "GET", "/subscribe/payments/schedule/*", NULL), 2);
    free(decline);
    free(body);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(a_console_cancel_marks_the_payment_cancelled)
{
    struct fx fx;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    char *imp_uid = again(&fx, cu, "again-cancel", "paid");
    aim_webhooks(&fx, NULL, NULL);

    /* a partial cancel: cancel_amount grows, the payment stays paid */
    char *part = xasprintf("{\"imp_uid\":\"%s\",\"amount\":3000}", imp_uid);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/cancel", part));
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = 'again-cancel' AND "
                "cancel_amount = 3000",
                NULL, 1, WAIT_MS);
    char *status = fx_payment_column(&fx, "status", "again-cancel");
    ck_assert_str_eq(status, "paid");
    free(status);

    /* the rest: cancelled in full */
    char *rest = xasprintf("{\"imp_uid\":\"%s\"}", imp_uid);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/cancel", rest));
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = 'again-cancel' AND "
                "status = 'cancelled' AND cancel_amount = 9900",
                NULL, 1, WAIT_MS);
    wait_settled(&fx);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events WHERE actor = 'webhook' AND "
                                   "subject = 'again-cancel'"),
                     2);
    free(rest);
    free(part);
    free(imp_uid);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(an_unknown_payment_is_recorded_and_ignored)
{
    struct fx fx;
    fx_start(&fx, NULL);
    ck_assert_int_eq(post_webhook(&fx, NULL, FX_JSON,
                                  "{\"imp_uid\":\"imp_000000000000\",\"merchant_uid\":\"nobody\","
                                  "\"status\":\"paid\"}"),
                     200);
    ck_assert_int_eq(post_webhook(&fx, NULL, FX_FORM,
                                  "imp_uid=imp_000000000001&merchant_uid=nobody2&status=paid"),
                     200);
    fx_wait_int(&fx, "SELECT count(*) FROM webhook_events WHERE state = 'ignored'", NULL, 2,
                WAIT_MS);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events WHERE source_addr = "
                                   "'127.0.0.1' AND attempts = 1 AND result IS NOT NULL"),
                     2);
    fx_stop(&fx);
}
END_TEST

START_TEST(bad_bodies_are_refused_with_4xx)
{
    struct fx fx;
    fx_start(&fx, NULL);
    static const char *const json_bodies[] = {
        "{}",
        "[]",
        "not json",
        "{\"imp_uid\":\"imp_1\"}",
        "{\"merchant_uid\":\"m\"}",
        "{\"imp_uid\":12,\"merchant_uid\":\"m\"}",
        "{\"imp_uid\":\"imp 1\",\"merchant_uid\":\"m\"}",
        "{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"a b\"}",
        "{\"imp_uid\":\"imp_123456789012345678901234567890123\",\"merchant_uid\":\"m\"}",
        "{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"m2345678901234567890123456789012345678901\"}",
        "{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"m\",\"status\":[1]}",
    };
    for (size_t i = 0; i < sizeof json_bodies / sizeof json_bodies[0]; i++) {
        long st = post_webhook(&fx, NULL, FX_JSON, json_bodies[i]);
        ck_assert_msg(st >= 400 && st < 500, "'%s' answered %ld", json_bodies[i], st);
    }
    long st = post_webhook(&fx, NULL, FX_FORM, "imp_uid=&merchant_uid=m");
    ck_assert_msg(st >= 400 && st < 500, "form answered %ld", st);
    st = post_webhook(&fx, NULL, "text/plain", "imp_uid=imp_1");
    ck_assert_msg(st >= 400 && st < 500, "text/plain answered %ld", st);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events"), 0);
    fx_stop(&fx);
}
END_TEST

START_TEST(the_sender_allow_list_refuses_other_addresses)
{
    struct fx fx;
    struct billkeyd_proc open;
    static const char *const closed_env[] = {
        "WEBHOOK_ALLOWED_CIDRS=52.78.100.19/32,52.78.48.223/32,52.78.5.241/32,2001:db8::/32", NULL};
    static const char *const open_env[] = {"WEBHOOK_ALLOWED_CIDRS=10.0.0.0/8, 127.0.0.0/8,::1",
                                           NULL};
    const char *body = "{\"imp_uid\":\"imp_000000000000\",\"merchant_uid\":\"nobody\"}";
    fx_start(&fx, closed_env);
    ck_assert_int_eq(post_webhook(&fx, NULL, FX_JSON, body), 403);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events"), 0);
    char *log = testlib_read_file(fx.billkeyd.log_path, NULL);
    ck_assert_ptr_nonnull(strstr(log, "not in WEBHOOK_ALLOWED_CIDRS"));
    free(log);
    fx_start_billkeyd(&fx, &open, open_env);
    ck_assert_int_eq(post_webhook(&fx, &open, FX_JSON, body), 200);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM webhook_events"), 1);
    fx_stop_billkeyd(&open);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_webhooks(void)
{
    Suite *s = suite_create("webhooks");
    TCase *tc = tcase_create("webhooks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_kakaopay_registration_without_its_browser_is_completed_by_the_webhook);
    tcase_add_test(tc, a_payco_first_charge_is_taken_once_by_the_webhook_on_two_instances);
    tcase_add_test(tc, webhook_before_and_after_the_callback_converge);
    tcase_add_test(tc, a_forged_paid_body_changes_nothing);
    tcase_add_test(tc, scheduled_runs_update_schedules_and_payments_through_the_webhook);
    tcase_add_test(tc, a_console_cancel_marks_the_payment_cancelled);
    tcase_add_test(tc, an_unknown_payment_is_recorded_and_ignored);
    tcase_add_test(tc, bad_bodies_are_refused_with_4xx);
    tcase_add_test(tc, the_sender_allow_list_refuses_other_addresses);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_webhooks)
