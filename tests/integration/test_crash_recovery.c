/* SIGKILL during a charge, then a restart: the reconciler brings the payments row to what iamport reports, never charging twice. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "tests/lib/fx_wait.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define WAIT_MS 30000
#define AGAIN "/subscribe/payments/again"

/* The reconciler every 200 ms; a charge is due 1 s after its last change. */
#define FAST_RECONCILER                                                                            \
    "RECONCILE_INTERVAL_MS=200", "RECONCILE_REGISTRATION_GRACE_S=3600",                            \
        "RECONCILE_CHARGE_GRACE_S=1", "RECONCILE_SCHEDULE_GRACE_S=3600"

struct in_flight {
    const struct fx *fx;
    const char *body;
    pthread_t thread;
};

/* The again call the crash interrupts: its answer (none, billkeyd dies) does not matter. */
static void *call_again(void *arg)
{
    struct in_flight *c = arg;
    struct http_client_response r;
    fx_merchant(c->fx, NULL, "POST", AGAIN, FX_JSON, c->body, &r);
    http_client_response_release(&r);
    return NULL;
}

/* 1 while the sandbox still holds an unused fault (a request that meets it uses it up). */
static int faults_pending(const struct fx *fx)
{
    cJSON *f = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/faults", NULL);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(f, "faults"));
    cJSON_Delete(f);
    return n > 0;
}

/* An active PAYCO key, an again for mu stuck in the sandbox by a hang fault (after_processing:
 * the charge is taken first, or not), then billkeyd killed with SIGKILL while it waits and
 * restarted with restart_env. Returns the customer_uid (caller frees). */
static char *crash_during_again(struct fx *fx, const char *const *env, const char *mu,
                                int after_processing, const char *const *restart_env)
{
    fx_start(fx, env);
    char *cu = fx_active_key(fx, "payco", 0, NULL);
    char *fault = xasprintf("{\"path\":\"" AGAIN "\",\"kind\":\"hang\",\"delay_ms\":60000,"
                            "\"after_processing\":%s}",
                            after_processing ? "true" : "false");
    fx_fault(fx, fault);
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"%s\",\"amount\":9900,"
                           "\"name\":\"월 구독\"}",
                           cu, mu);
    struct in_flight c = {fx, body, 0};
    ck_assert_int_eq(pthread_create(&c.thread, NULL, call_again, &c), 0);
    /* the again reached the sandbox, which holds it */
    const char *p[] = {mu, NULL};
    fx_wait_int(fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND status = 'requested'", p,
                1, WAIT_MS);
    for (long waited = 0; faults_pending(fx); waited += 50) {
        ck_assert_msg(waited < WAIT_MS, "the again never reached the sandbox's fault");
        testlib_sleep_ms(50);
    }
    billkeyd_kill(&fx->billkeyd);
    pthread_join(c.thread, NULL);
    /* the row is left as the crash left it */
    ck_assert_int_eq(fx_sql_int(fx,
                                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND "
                                "status = 'requested'",
                                p),
                     1);
    fx_start_billkeyd(fx, &fx->billkeyd, restart_env);
    free(body);
    free(fault);
    return cu;
}

START_TEST(a_charge_taken_before_the_crash_is_recorded_paid_and_not_taken_again)
{
    const char *env[] = {FAST_RECONCILER, NULL};
    struct fx fx;
    char *cu = crash_during_again(&fx, env, "order-crash", 1, env);
    const char *p[] = {"order-crash", NULL};
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND status = 'paid' AND "
                "imp_uid IS NOT NULL AND amount = 9900",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "payment.paid", "order-crash"), 1);
    ck_assert_int_eq(fx_ledger_count(&fx, "order-crash"), 1);
    /* the reconciler only looked it up (the held again is logged only once the hang ends) */
    ck_assert_int_le(fx_sandbox_requests(&fx, "POST", AGAIN, NULL), 1);
    ck_assert_int_ge(fx_sandbox_requests(&fx, "GET", "/payments/find/order-crash", NULL), 1);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(a_charge_iamport_never_took_becomes_not_sent_and_may_be_sent_once)
{
    const char *env[] = {FAST_RECONCILER, NULL};
    /* short iamport timeouts after the restart: the row is past any exchange (stale) sooner */
    const char *restart[] = {FAST_RECONCILER, "IAMPORT_TIMEOUT_MS=300",
                             "IAMPORT_CONNECT_TIMEOUT_MS=100", NULL};
    struct fx fx;
    struct http_client_response r;
    char *cu = crash_during_again(&fx, env, "order-lost", 0, restart);
    const char *p[] = {"order-lost", NULL};
    fx_wait_int(&fx,
                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND status = 'not_sent' "
                "AND fail_reason IS NOT NULL",
                p, 1, WAIT_MS);
    ck_assert_int_eq(fx_audit_count(&fx, "reconciler", "payment.not_sent", "order-lost"), 1);
    ck_assert_int_eq(fx_ledger_count(&fx, "order-lost"), 0);
    /* not_sent: the merchant's retry of the same merchant_uid charges it, once */
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"order-lost\","
                           "\"amount\":9900,\"name\":\"월 구독\"}",
                           cu);
    fx_merchant(&fx, NULL, "POST", AGAIN, FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM payments WHERE merchant_uid = $1 AND "
                                "status = 'paid'",
                                p),
                     1);
    ck_assert_int_eq(fx_ledger_count(&fx, "order-lost"), 1);
    free(body);
    free(cu);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_crash_recovery(void)
{
    Suite *s = suite_create("crash_recovery");
    TCase *tc = tcase_create("crash_recovery");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_charge_taken_before_the_crash_is_recorded_paid_and_not_taken_again);
    tcase_add_test(tc, a_charge_iamport_never_took_becomes_not_sent_and_may_be_sent_once);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_crash_recovery)
