/* Verification holes: KakaoPay "ready" without a key, partial cancels, a stale payment, a foreign MID. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900

static void expect_reg(const struct fx *fx, const char *mu, const char *status)
{
    char *s = fx_registration_column(fx, "status", mu);
    ck_assert_msg(s && strcmp(s, status) == 0, "registration %s is '%s', want '%s'", mu,
                  s ? s : "(none)", status);
    free(s);
}

static char *sandbox_payment_field(const struct fx *fx, const char *imp_uid, const char *field)
{
    char *path = xasprintf("/__sandbox/payments/%s", imp_uid);
    cJSON *p = sandbox_ctl(&fx->sandbox, "GET", path, NULL);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, field);
    char *out = cJSON_IsString(v)   ? xstrdup(v->valuestring)
                : cJSON_IsNumber(v) ? xasprintf("%lld", (long long)v->valuedouble)
                                    : NULL;
    cJSON_Delete(p);
    free(path);
    return out;
}

/* POST /__sandbox/cancel of amount won (0 = all), as the shop's console would. */
static void console_cancel(const struct fx *fx, const char *imp_uid, long long amount)
{
    char *body =
        xasprintf("{\"imp_uid\":\"%s\",\"amount\":%lld,\"reason\":\"console\"}", imp_uid, amount);
    cJSON_Delete(sandbox_ctl(&fx->sandbox, "POST", "/__sandbox/cancel", body));
    free(body);
}

/* The payments row of mu as "kind|status|amount|cancel_amount", or NULL (caller frees). */
static char *payment_row(const struct fx *fx, const char *mu)
{
    const char *p[] = {mu, NULL};
    return fx_sql(fx,
                  "SELECT concat_ws('|', kind, status, amount, cancel_amount) FROM payments "
                  "WHERE merchant_uid = $1",
                  p);
}

/* Hole 1: a KakaoPay "ready" counts as issued only when iamport has the billing key for
 * KakaoPay; a window left before authorising ("ready", no key) stays pending. */
START_TEST(kakaopay_ready_without_a_key_stays_pending)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"kakaopay\":\"ready\"},"
                             "\"issue_ready_without_key\":true}"));
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid"), *cu = fx_str(co, "customer_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_int_eq(w.success, 0);
    ck_assert_ptr_nonnull(w.imp_uid);
    for (int i = 0; i < 2; i++) {
        fx_complete(&fx, NULL, w.imp_uid, mu, &r);
        fx_expect_error(&r, 409, "payment_not_completed");
        ck_assert_ptr_nonnull(strstr(testlib_error_field(r.json, "message"), "no billing key"));
        http_client_response_release(&r);
    }
    expect_reg(&fx, mu, "pending");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'registration.active'"),
                     0);

    /* a key of another PG under the same customer_uid is not KakaoPay's */
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"pg_provider\":\"payco\"}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/customers", body));
    free(body);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    fx_expect_error(&r, 409, "payment_not_completed");
    ck_assert_ptr_nonnull(strstr(testlib_error_field(r.json, "message"), "pg_provider 'payco'"));
    http_client_response_release(&r);
    expect_reg(&fx, mu, "pending");

    /* once iamport shows KakaoPay's key, the same payment completes the registration */
    body = xasprintf("{\"customer_uid\":\"%s\",\"pg_provider\":\"kakaopay\"}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/customers", body));
    free(body);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    http_client_response_release(&r);
    expect_reg(&fx, mu, "active");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 1);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Hole 2: a KakaoPay window charge partly cancelled before verification is not the price in
 * full: rejected, the rest cancelled, and the ledger row records what was cancelled. */
START_TEST(partly_cancelled_window_charge_is_rejected)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_int_eq(w.success, 1);
    console_cancel(&fx, w.imp_uid, 3000);
    fx_clear_requests(&fx);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    fx_expect_error(&r, 409, "payment_rejected");
    ck_assert_ptr_nonnull(strstr(testlib_error_field(r.json, "message"), "partly cancelled"));
    http_client_response_release(&r);
    expect_reg(&fx, mu, "tampered");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel", NULL), 1);
    char *status = sandbox_payment_field(&fx, w.imp_uid, "status");
    char *cancelled = sandbox_payment_field(&fx, w.imp_uid, "cancel_amount");
    ck_assert_str_eq(status, "cancelled");
    ck_assert_str_eq(cancelled, "9900");
    free(status);
    free(cancelled);
    char *row = payment_row(&fx, mu);
    ck_assert_str_eq(row, "issue|cancelled|9900|9900");
    free(row);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE status = 'paid'"), 0);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

struct verification {
    const struct fx *fx;
    const char *imp_uid, *merchant_uid;
    long status;
    char code[64];
    pthread_t thread;
};

static void *verify_thread(void *arg)
{
    struct verification *v = arg;
    struct http_client_response r;
    v->status = fx_complete(v->fx, NULL, v->imp_uid, v->merchant_uid, &r);
    const char *code = r.status != 200 ? testlib_error_field(r.json, "code") : NULL;
    snprintf(v->code, sizeof v->code, "%s", code ? code : "");
    http_client_response_release(&r);
    return NULL;
}

static void wait_lookups(const struct fx *fx, const char *imp_uid, int want)
{
    char *path = xasprintf("/payments/%s", imp_uid);
    int n = -1;
    for (int i = 0; i < 200; i++) {
        n = fx_sandbox_requests(fx, "GET", path, NULL);
        if (n >= want)
            break;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    ck_assert_msg(n >= want, "%d lookups of %s, want %d", n, path, want);
    free(path);
}

/* Hole 3: two verifications fetch the payment while the registration is leased by another; between
 * their fetches the console cancels part of it (tampering). Whichever runs first under the lease must
 * decide on the payment as it is then: it rejects and cancels the rest, and the other, holding
 * a snapshot from before the cancel, must not record it as paid or the registration as active. */
START_TEST(concurrent_verifications_decide_on_the_fresh_payment)
{
    struct fx fx;
    struct fx_window w;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_int_eq(w.success, 1);
    fx_clear_requests(&fx);

    /* hold the registration's lease as a running verification would */
    const char *params[] = {mu, NULL};
    free(fx_sql(&fx,
                "UPDATE registrations SET verify_lease_owner = 'running', "
                "verify_lease_until = now() + interval '1 hour' WHERE merchant_uid = $1 "
                "RETURNING merchant_uid",
                params));

    struct verification v[2];
    memset(v, 0, sizeof v);
    for (int i = 0; i < 2; i++) {
        v[i].fx = &fx;
        v[i].imp_uid = w.imp_uid;
        v[i].merchant_uid = mu;
    }
    ck_assert_int_eq(pthread_create(&v[0].thread, NULL, verify_thread, &v[0]), 0);
    wait_lookups(&fx, w.imp_uid, 1); /* the first has its snapshot: paid in full */
    console_cancel(&fx, w.imp_uid, 3000);
    ck_assert_int_eq(pthread_create(&v[1].thread, NULL, verify_thread, &v[1]), 0);
    wait_lookups(&fx, w.imp_uid, 2);
    /* both wait for the lease, holding no connection; nothing changed yet */
    expect_reg(&fx, mu, "pending");

    free(fx_sql(&fx,
                "UPDATE registrations SET verify_lease_owner = NULL, verify_lease_until = NULL "
                "WHERE merchant_uid = $1 RETURNING merchant_uid",
                params));
    for (int i = 0; i < 2; i++) {
        pthread_join(v[i].thread, NULL);
        ck_assert_msg(v[i].status == 409 && strcmp(v[i].code, "payment_rejected") == 0,
                      "verification %d: %ld %s", i, v[i].status, v[i].code);
    }

    expect_reg(&fx, mu, "tampered");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE status = 'paid'"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action IN ('registration.active', 'payment.paid')"),
                     0);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel", NULL), 1);
    char *row = payment_row(&fx, mu);
    ck_assert_str_eq(row, "issue|cancelled|9900|9900");
    free(row);
    char *status = sandbox_payment_field(&fx, w.imp_uid, "status");
    ck_assert_str_eq(status, "cancelled");
    free(status);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The imp_uid of the first webhook in the sandbox's log whose merchant_uid starts with prefix,
 * waiting up to 10 s for it (caller frees). */
static char *webhooked_imp_uid(const struct fx *fx, const char *prefix)
{
    for (int i = 0; i < 200; i++) {
        cJSON *log = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/webhooks", NULL);
        const cJSON *hook;
        char *found = NULL;
        cJSON_ArrayForEach (hook, cJSON_GetObjectItemCaseSensitive(log, "webhooks")) {
            cJSON *body = cJSON_Parse(fx_str(hook, "body"));
            const char *mu = fx_str(body, "merchant_uid");
            if (!found && mu && strncmp(mu, prefix, strlen(prefix)) == 0)
                found = xstrdup(fx_str(body, "imp_uid"));
            cJSON_Delete(body);
        }
        cJSON_Delete(log);
        if (found)
            return found;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    ck_abort_msg("no webhook for a merchant_uid '%s…'", prefix);
    return NULL;
}

/* Hole 2, first charge: the again answer is lost and, while billkey looks the charge up, the
 * console cancels part of it. The ledger row is settled from the lookup with what was cancelled,
 * so it counts the net (amount - cancel_amount), not the amount in full. */
START_TEST(first_charge_settled_from_a_partly_cancelled_payment_records_the_net)
{
    struct fx fx;
    struct fx_window w;
    fx_start(&fx, NULL);
    /* nothing listens there: the sandbox's webhook log still shows what was sent */
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/config",
                             "{\"webhook_url\":\"http://127.0.0.1:9/hook\"}"));
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/subscribe/payments/again\",\"kind\":\"drop\","
                  "\"after_processing\":true}");
    fx_fault(&fx, "{\"method\":\"GET\",\"path\":\"/payments/find/*\",\"kind\":\"latency\","
                  "\"delay_ms\":3000}");
    struct verification v = {.fx = &fx, .imp_uid = w.imp_uid, .merchant_uid = mu};
    ck_assert_int_eq(pthread_create(&v.thread, NULL, verify_thread, &v), 0);
    char *charge = webhooked_imp_uid(&fx, "bkp_"); /* charged; billkey is looking it up */
    console_cancel(&fx, charge, 3000);
    pthread_join(v.thread, NULL);
    ck_assert_msg(v.status == 200, "complete: %ld %s", v.status, v.code);
    char *row = fx_sql(&fx,
                       "SELECT concat_ws('|', kind, status, amount, cancel_amount, imp_uid) "
                       "FROM payments WHERE kind = 'first_charge'",
                       NULL);
    char *want = xasprintf("first_charge|paid|9900|3000|%s", charge);
    ck_assert_str_eq(row, want);
    free(want);
    free(row);
    ck_assert_int_eq(fx_count(&fx, "SELECT coalesce(sum(amount - cancel_amount), 0) FROM payments "
                                   "WHERE status = 'paid'"),
                     PRICE - 3000);
    free(charge);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Submits the window for co's request_pay with its pg replaced by pg (a tampering browser). */
static void submit_with_pg(const struct fx *fx, const cJSON *co, const char *pg,
                           struct fx_window *w)
{
    cJSON *rp = cJSON_Duplicate(fx_request_pay(co), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(rp, "pg", cJSON_CreateString(pg));
    fx_window_submit(fx, rp, 0, 0, w);
    cJSON_Delete(rp);
}

/* Hole 4: with PG_KICC_MID / PG_KAKAOPAY_CID configured, a payment made under another MID/CID
 * is rejected (and cancelled when it took money); the configured one is accepted. */
START_TEST(payment_under_another_configured_mid_is_rejected)
{
    static const char *const env[] = {"PG_KICC_MID=MID_A", "PG_KAKAOPAY_CID=CID_A", NULL};
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, env);

    cJSON *ok = fx_checkout_plan(&fx, "kicc", PRICE, 0);
    ck_assert_str_eq(fx_str(fx_request_pay(ok), "pg"), "kicc.MID_A");
    fx_window_submit(&fx, fx_request_pay(ok), 0, 0, &w);
    fx_complete(&fx, NULL, w.imp_uid, fx_str(ok, "merchant_uid"), &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    http_client_response_release(&r);
    fx_window_release(&w);

    cJSON *kicc = fx_checkout_plan(&fx, "kicc", PRICE, 0);
    const char *kicc_mu = fx_str(kicc, "merchant_uid");
    submit_with_pg(&fx, kicc, "kicc.MID_EVIL", &w);
    fx_clear_requests(&fx);
    fx_complete(&fx, NULL, w.imp_uid, kicc_mu, &r);
    fx_expect_error(&r, 409, "payment_rejected");
    ck_assert_str_eq(testlib_error_field(r.json, "message"),
                     "the payment was rejected: pg_id 'MID_EVIL' is not the configured 'MID_A'");
    http_client_response_release(&r);
    expect_reg(&fx, kicc_mu, "tampered");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel", NULL), 0);
    fx_window_release(&w);

    cJSON *kakao = fx_checkout_plan(&fx, "kakaopay", PRICE, 1);
    const char *kakao_mu = fx_str(kakao, "merchant_uid");
    submit_with_pg(&fx, kakao, "kakaopay.CID_EVIL", &w);
    ck_assert_int_eq(w.success, 1); /* the window charged 9900 */
    fx_complete(&fx, NULL, w.imp_uid, kakao_mu, &r);
    fx_expect_error(&r, 409, "payment_rejected");
    ck_assert_ptr_nonnull(strstr(testlib_error_field(r.json, "message"), "(cancelled at iamport)"));
    http_client_response_release(&r);
    expect_reg(&fx, kakao_mu, "tampered");
    char *status = sandbox_payment_field(&fx, w.imp_uid, "status");
    ck_assert_str_eq(status, "cancelled");
    free(status);
    char *row = payment_row(&fx, kakao_mu);
    ck_assert_str_eq(row, "issue|cancelled|9900|9900");
    free(row);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 1); /* the MID_A one */
    fx_window_release(&w);
    cJSON_Delete(ok);
    cJSON_Delete(kicc);
    cJSON_Delete(kakao);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_issuance_holes(void)
{
    Suite *s = suite_create("issuance_holes");
    TCase *tc = tcase_create("holes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kakaopay_ready_without_a_key_stays_pending);
    tcase_add_test(tc, partly_cancelled_window_charge_is_rejected);
    tcase_add_test(tc, first_charge_settled_from_a_partly_cancelled_payment_records_the_net);
    tcase_add_test(tc, concurrent_verifications_decide_on_the_fresh_payment);
    tcase_add_test(tc, payment_under_another_configured_mid_is_rejected);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_issuance_holes)
