/* The reconciler through billkeyd + sandbox + PostgreSQL: pending registrations, failed refunds, unsettled charges, overdue schedules, failed webhooks, two instances, the backlog. */
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

#define WAIT_MS 30000

/* A reconciler that runs every 200 ms with the given registration grace; charges and schedules
 * are due at once. */
#define FAST_RECONCILER(registration_grace)                                                        \
    "RECONCILE_INTERVAL_MS=200", "RECONCILE_REGISTRATION_GRACE_S=" registration_grace,             \
        "RECONCILE_CHARGE_GRACE_S=0", "RECONCILE_SCHEDULE_GRACE_S=0", "WEBHOOK_POLL_MS=100"

START_TEST(a_kakaopay_registration_whose_browser_never_returns_is_completed_once)
{
    const char *env[] = {FAST_RECONCILER("2"), NULL};
    struct fx fx;
    fx_start(&fx, env);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", 9900, 1);
    struct fx_window w;
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert(w.success);
    const char *p[] = {fx_str(co, "merchant_uid"), NULL};

    /* no callback, no landing, no webhook: only the reconciler looks at it */
    fx_wait_int(&fx,
                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND status = "
                "'active'",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM billing_keys b JOIN registrations r USING "
                                "(customer_uid) WHERE r.merchant_uid = $1",
                                p),
                     1);
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND kind = "
                                "'issue' AND status = 'paid' AND amount = 9900",
                                p),
                     1);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "registration.active", p[0]), 1);
    ck_assert_int_eq(fx_ledger_count(&fx, p[0]), 1);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

START_TEST(a_registration_iamport_never_saw_expires_with_one_audit_row)
{
    const char *env[] = {FAST_RECONCILER("0"), NULL};
    struct fx fx;
    fx_start(&fx, env);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", 9900, 1);
    const char *p[] = {fx_str(co, "merchant_uid"), NULL};
    fx_wait_int(&fx,
                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND status = "
                "'expired' AND fail_reason IS NOT NULL",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "registration.expired", p[0]), 1);
    /* its window payment never happened: the 'issue' row is failed, nothing was charged */
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND kind = "
                                "'issue' AND status = 'failed'",
                                p),
                     1);
    ck_assert_int_eq(fx_ledger_count(&fx, p[0]), 0);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* A tampered window: an issue-only kakaopay checkout (window amount 0) whose browser makes the
 * window charge 5000 won, so the money must go back; the next `cancel_failures` cancels at iamport
 * fail. Returns the checkout (caller deletes); *w filled (caller releases), *rp the request_pay
 * sent (caller deletes). */
static cJSON *tampered_window(const struct fx *fx, int cancel_failures, struct fx_window *w,
                              cJSON **rp)
{
    cJSON *co = fx_checkout_plan(fx, "kakaopay", 9900, 0);
    *rp = cJSON_Duplicate(fx_request_pay(co), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(*rp, "amount", cJSON_CreateNumber(5000));
    char *fault = xasprintf("{\"method\":\"POST\",\"path\":\"/payments/cancel\","
                            "\"kind\":\"http500\",\"count\":%d}",
                            cancel_failures);
    fx_fault(fx, fault);
    free(fault);
    fx_window_submit(fx, *rp, 0, 0, w);
    ck_assert(w->success);
    return co;
}

/* Waits until registration mu is tampered, then asserts the reconciler gave the 5000 won back
 * and no key was recorded. */
static void expect_refunded_by_reconciler(const struct fx *fx, const char *mu)
{
    const char *p[] = {mu, NULL};
    fx_wait_int(fx,
                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 AND status = "
                "'tampered'",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_sql_int(fx,
                                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND kind = "
                                "'issue' AND status = 'cancelled' AND amount = 5000",
                                p),
                     1);
    ck_assert_int_eq(fx_audit_count(fx, "reconciler", "payment.cancelled", mu), 1);
    ck_assert_int_eq(fx_audit_count(fx, "reconciler", "registration.tampered", mu), 1);
    ck_assert_int_eq(fx_count(fx, "SELECT count(*) FROM billing_keys"), 0);
}

START_TEST(a_refund_that_failed_is_retried_until_iamport_confirms_it)
{
    const char *env[] = {FAST_RECONCILER("2"), NULL};
    struct fx fx;
    struct fx_window w;
    cJSON *rp = NULL;
    fx_start(&fx, env);
    cJSON *co = tampered_window(&fx, 2, &w, &rp);

    /* two cancels fail; the registration stays pending until the third is confirmed */
    expect_refunded_by_reconciler(&fx, fx_str(co, "merchant_uid"));
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel", NULL), 3);
    fx_window_release(&w);
    cJSON_Delete(rp);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

#define METRICS_TOKEN "metrics_token_0123456789abcdef"

/* /readyz's backlog.<key>; -1 when it is not there. */
static long long readyz_backlog(const struct fx *fx, const char *key)
{
    struct http_client_response r;
    char *url = fx_url(fx, NULL, "/readyz");
    http_client_json("GET", url, NULL, NULL, &r);
    free(url);
    ck_assert_int_eq(r.status, 200);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "backlog"), key);
    long long n = cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
    http_client_response_release(&r);
    return n;
}

/* The value of one series of GET /metrics (name and labels as rendered); -1 when absent. */
static double metric(const struct fx *fx, const char *series)
{
    struct http_client_response r;
    char *url = fx_url(fx, NULL, "/metrics");
    http_client_get(url, METRICS_TOKEN, &r);
    free(url);
    ck_assert_int_eq(r.status, 200);
    char *needle = xasprintf("\n%s ", series);
    const char *at = strstr(r.body, needle);
    double v = at ? strtod(at + strlen(needle), NULL) : -1;
    free(needle);
    http_client_response_release(&r);
    return v;
}

/* Waits until the sandbox has seen at least n POST /payments/cancel. */
static void wait_cancels(const struct fx *fx, int n)
{
    for (int waited = 0; fx_sandbox_requests(fx, "POST", "/payments/cancel", NULL) < n;
         waited += 50) {
        ck_assert_msg(waited < WAIT_MS, "fewer than %d cancels reached the sandbox", n);
        testlib_sleep_ms(50);
    }
}

/* A tampered payment whose cancel failed is money iamport holds for the customer: it is counted
 * as a refund of its own and retried from the reconciler's next pass, long before the
 * registration grace (an hour here); once iamport answers it is refunded once and the count
 * goes back to 0. */
/* registration.refund_due audit rows of registration mu, whoever wrote them. */
static long long refund_due_rows(const struct fx *fx, const char *mu)
{
    const char *p[] = {mu, NULL};
    return fx_sql_int(fx,
                      "SELECT count(*) FROM audit_events WHERE action = 'registration.refund_due' "
                      "AND subject = $1",
                      p);
}

START_TEST(a_failed_refund_is_counted_and_retried_before_the_registration_grace)
{
    const char *env[] = {FAST_RECONCILER("3600"), "METRICS_TOKEN=" METRICS_TOKEN, NULL};
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    cJSON *rp = NULL;
    fx_start(&fx, env);
    /* no webhook: only the callback and then the reconciler look at it */
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/config", "{\"webhook_url\":null}"));
    cJSON *co = tampered_window(&fx, 1000, &w, &rp);
    const char *p[] = {fx_str(co, "merchant_uid"), NULL};
    ck_assert_int_eq(readyz_backlog(&fx, "refunds_pending"), 0);

    /* the callback finds the payment tampered and cannot give the money back */
    fx_complete(&fx, NULL, w.imp_uid, p[0], &r);
    ck_assert_int_eq(r.status, 502);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM registrations r JOIN registrations_pending "
                                "q USING (merchant_uid) WHERE r.merchant_uid = $1 AND "
                                "r.status = 'pending' AND q.refund_due_at IS NOT NULL",
                                p),
                     1);
    ck_assert_int_eq(refund_due_rows(&fx, p[0]), 1);
    ck_assert_int_eq(readyz_backlog(&fx, "refunds_pending"), 1);
    ck_assert_int_eq(readyz_backlog(&fx, "pending_registrations"), 0);
    ck_assert(metric(&fx, "billkey_backlog_pending{kind=\"refund\"}") == 1);
    ck_assert(metric(&fx, "billkey_backlog_overdue{kind=\"refund\"}") == 1);
    ck_assert(metric(&fx, "billkey_backlog_pending{kind=\"registration\"}") == 0);

    /* the reconciler tries again on its next passes (the grace is an hour), still failing */
    wait_cancels(&fx, 3);
    ck_assert_int_eq(readyz_backlog(&fx, "refunds_pending"), 1);
    ck_assert_int_eq(refund_due_rows(&fx, p[0]), 1);

    /* iamport answers again: refunded once, by the reconciler */
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "DELETE", "/__sandbox/faults", NULL));
    expect_refunded_by_reconciler(&fx, p[0]);
    struct fx_ledger l;
    fx_ledger(&fx, p[0], &l);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.cancels, 1);
    ck_assert_int_eq(l.cancelled, 5000);
    fx_ledger_release(&l);
    ck_assert_int_eq(readyz_backlog(&fx, "refunds_pending"), 0);
    ck_assert(metric(&fx, "billkey_backlog_pending{kind=\"refund\"}") == 0);
    ck_assert(metric(&fx, "billkey_backlog_overdue{kind=\"refund\"}") == 0);
    fx_window_release(&w);
    cJSON_Delete(rp);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

START_TEST(an_again_left_unknown_is_settled_paid_without_a_second_charge)
{
    /* charges are due 3 s after their last change: the again settles its own row first */
    const char *env[] = {FAST_RECONCILER("3600"), "RECONCILE_CHARGE_GRACE_S=3", NULL};
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, env);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    /* iamport takes the money but the answer is lost, and so are the lookups */
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/subscribe/payments/again\","
                  "\"kind\":\"drop\",\"after_processing\":true}");
    fx_fault(&fx, "{\"method\":\"GET\",\"path\":\"/payments/find/*\",\"kind\":\"http500\","
                  "\"count\":3}");
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"order-unknown\","
                           "\"amount\":9900,\"name\":\"월 구독\"}",
                           cu);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/again", FX_JSON, body, &r);
    http_client_response_release(&r);
    const char *p[] = {"order-unknown", NULL};
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM audit_events WHERE action = "
                                "'payment.unknown' AND subject = $1",
                                p),
                     1);
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND status = 'paid' AND "
                "imp_uid IS NOT NULL",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "payment.paid", "order-unknown"), 1);
    ck_assert_int_eq(fx_ledger_count(&fx, "order-unknown"), 1);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/again", NULL), 1);
    free(body);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(an_overdue_schedule_is_recorded_from_iamport)
{
    const char *env[] = {FAST_RECONCILER("3600"), NULL};
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, env);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    long long at = (long long)time(NULL) + 3;
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":[{\"merchant_uid\":"
                           "\"sch-overdue\",\"schedule_at\":%lld,\"amount\":12000,"
                           "\"name\":\"월 구독\"}]}",
                           cu, at);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/schedule", FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    http_client_response_release(&r);
    while ((long long)time(NULL) <= at)
        testlib_sleep_ms(100);
    /* iamport runs it; no webhook is configured, so only the reconciler can learn of it */
    cJSON *ran = sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ran, "executed")), 1);
    cJSON_Delete(ran);

    fx_wait_int(&fx,
                "SELECT count(*) FROM schedules WHERE merchant_uid = 'sch-overdue' AND "
                "schedule_status = 'executed' AND payment_status = 'paid' AND imp_uid IS NOT NULL",
                NULL, 1, WAIT_MS);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE merchant_uid = "
                                   "'sch-overdue' AND status = 'paid' AND imp_uid IS NOT NULL"),
                     1);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "schedule.reconciled", "sch-overdue"), 1);
    ck_assert_int_eq(fx_ledger_count(&fx, "sch-overdue"), 1);
    free(body);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(a_failed_webhook_event_gets_one_more_attempt)
{
    const char *env[] = {FAST_RECONCILER("3600"), NULL};
    struct fx fx;
    fx_start(&fx, env);
    /* left 'failed' by the worker's retries (iamport was down the whole time) */
    fx_count(&fx, "INSERT INTO webhook_events (imp_uid, merchant_uid, state, attempts, result, "
                  "updated_at) VALUES ('imp_000000000001', 'order-lost', 'failed', 40, "
                  "'payment lookup failed', now() - interval '1 hour') RETURNING 1");
    fx_wait_int(&fx, "SELECT count(*) FROM webhook_events WHERE state = 'ignored'", NULL, 1,
                WAIT_MS);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "webhook.requeued", "order-lost"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT attempts FROM webhook_events"), 40);
    fx_stop(&fx);
}
END_TEST

START_TEST(two_instances_reconcile_each_item_once)
{
    const char *env[] = {FAST_RECONCILER("0"), NULL};
    struct fx fx;
    struct billkeyd_proc second;
    fx_start(&fx, env);
    fx_start_billkeyd(&fx, &second, env);
    enum { N = 8 };
    for (int i = 0; i < N; i++)
        cJSON_Delete(fx_checkout_plan(&fx, i % 2 ? "payco" : "kakaopay", 9900, i % 2));
    fx_wait_int(&fx, "SELECT count(*) FROM registrations WHERE status = 'expired'", NULL, N,
                WAIT_MS);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events WHERE action = "
                                   "'registration.expired'"),
                     N);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(DISTINCT subject) FROM audit_events WHERE "
                                   "action = 'registration.expired'"),
                     N);
    fx_stop_billkeyd(&second);
    fx_stop(&fx);
}
END_TEST

/* IDEMPOTENCY_KEEP_HOURS: an answer stored longer ago is deleted, so its key runs the route again;
 * a fresh one is still replayed. */
START_TEST(expired_idempotency_answers_are_deleted)
{
    const char *env[] = {FAST_RECONCILER("1800"), "IDEMPOTENCY_KEEP_HOURS=1", NULL};
    static const char body[] = "{\"customer_id\":\"cust-1\",\"pg\":\"payco\",\"amount\":9900,"
                               "\"name\":\"월 구독\",\"buyer_tel\":\"010-1234-5678\"}";
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, env);
    ck_assert_int_eq(fx_merchant_keyed(&fx, NULL, "/api/checkouts", "idem-old", body, &r), 0);
    ck_assert_int_eq(r.status, 201);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_merchant_keyed(&fx, NULL, "/api/checkouts", "idem-new", body, &r), 0);
    ck_assert_int_eq(r.status, 201);
    http_client_response_release(&r);
    free(fx_sql(&fx,
                "UPDATE idempotency_keys SET created_at = now() - interval '61 minutes' "
                "WHERE idempotency_key = 'idem-old' RETURNING 1",
                NULL));

    fx_wait_int(&fx, "SELECT count(*) FROM idempotency_keys", NULL, 1, WAIT_MS);
    char *left = fx_sql(&fx, "SELECT idempotency_key FROM idempotency_keys", NULL);
    ck_assert_str_eq(left, "idem-new");
    free(left);
    /* the old key is new again: the route runs (a second checkout); the fresh one replays */
    ck_assert_int_eq(fx_merchant_keyed(&fx, NULL, "/api/checkouts", "idem-old", body, &r), 0);
    ck_assert_int_eq(r.status, 201);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_merchant_keyed(&fx, NULL, "/api/checkouts", "idem-new", body, &r), 1);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 3);
    fx_stop(&fx);
}
END_TEST

START_TEST(readyz_counts_the_backlog_past_its_grace)
{
    const char *env[] = {"RECONCILE_INTERVAL_MS=0", "RECONCILE_REGISTRATION_GRACE_S=0", NULL};
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, env);
    cJSON_Delete(fx_checkout_plan(&fx, "payco", 9900, 0));
    fx_count(&fx, "INSERT INTO webhook_events (imp_uid, merchant_uid, state) VALUES "
                  "('imp_000000000002', 'order-x', 'failed') RETURNING 1");
    char *url = fx_url(&fx, NULL, "/readyz");
    http_client_json("GET", url, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    const cJSON *b = cJSON_GetObjectItem(r.json, "backlog");
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(cJSON_GetObjectItem(b, "pending_registrations")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(b, "unsettled_charges")->valueint, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(b, "overdue_schedules")->valueint, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(b, "webhook_events")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(b, "refunds_pending")->valueint, 0);
    http_client_response_release(&r);
    free(url);
    /* disabled: nothing was touched */
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations WHERE status = 'pending'"),
                     1);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_reconciler(void)
{
    Suite *s = suite_create("reconciler");
    TCase *tc = tcase_create("reconciler");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_kakaopay_registration_whose_browser_never_returns_is_completed_once);
    tcase_add_test(tc, a_registration_iamport_never_saw_expires_with_one_audit_row);
    tcase_add_test(tc, a_refund_that_failed_is_retried_until_iamport_confirms_it);
    tcase_add_test(tc, an_again_left_unknown_is_settled_paid_without_a_second_charge);
    tcase_add_test(tc, an_overdue_schedule_is_recorded_from_iamport);
    tcase_add_test(tc, a_failed_webhook_event_gets_one_more_attempt);
    tcase_add_test(tc, two_instances_reconcile_each_item_once);
    tcase_add_test(tc, readyz_counts_the_backlog_past_its_grace);
    tcase_add_test(tc, expired_idempotency_answers_are_deleted);
    tcase_add_test(tc, a_failed_refund_is_counted_and_retried_before_the_registration_grace);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_reconciler)
