/* Hostile issuance: replays, foreign and unknown imp_uids, tampering, failed windows, markup everywhere. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static char *sandbox_payment_status(const struct fx *fx, const char *imp_uid)
{
    char *path = xasprintf("/__sandbox/payments/%s", imp_uid);
    cJSON *p = sandbox_ctl(&fx->sandbox, "GET", path, NULL);
    char *status = xstrdup(fx_str(p, "status"));
    cJSON_Delete(p);
    free(path);
    return status;
}

START_TEST(replayed_imp_uid_is_idempotent)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    char first[64] = "";
    for (int i = 0; i < 5; i++) {
        if (i % 2)
            fx_landing(&fx, w.imp_uid, mu, &r);
        else
            fx_complete(&fx, NULL, w.imp_uid, mu, &r);
        ck_assert_msg(r.status == 200, "replay %d -> %ld: %s", i, r.status, r.body);
        if (i == 0)
            snprintf(
                first, sizeof first, "%s",
                fx_str(cJSON_GetObjectItemCaseSensitive(r.json, "first_payment"), "merchant_uid"));
        http_client_response_release(&r);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'registration.active'"),
                     1);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/again*", NULL), 1);
    struct fx_ledger l;
    fx_ledger(&fx, first, &l);
    ck_assert_int_eq(l.merchant_uids, 1);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.total_paid, PRICE);
    fx_ledger_release(&l);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

START_TEST(imp_uid_of_another_merchant_uid_is_refused)
{
    struct fx fx;
    struct fx_window wa;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *a = fx_checkout_plan(&fx, "payco", PRICE, 0),
          *b = fx_checkout_plan(&fx, "payco", PRICE, 0);
    const char *mua = fx_str(a, "merchant_uid"), *mub = fx_str(b, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(a), 0, 0, &wa);

    fx_complete(&fx, NULL, wa.imp_uid, mub, &r);
    fx_expect_error(&r, 409, "merchant_uid_mismatch");
    ck_assert_ptr_null(strstr(r.body, mua)); /* the real merchant_uid is not revealed */
    http_client_response_release(&r);
    fx_landing(&fx, wa.imp_uid, mub, &r);
    ck_assert_int_eq(r.status, 409);
    ck_assert_ptr_nonnull(strstr(r.body, "data-code=\"merchant_uid_mismatch\""));
    ck_assert_ptr_null(strstr(r.body, mua));
    ck_assert_ptr_null(strstr(r.body, "card-number"));
    http_client_response_release(&r);
    expect_reg(&fx, mua, "pending");
    expect_reg(&fx, mub, "pending");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);

    fx_complete(&fx, NULL, wa.imp_uid, mua, &r); /* the right pair still works */
    ck_assert_int_eq(r.status, 200);
    http_client_response_release(&r);
    expect_reg(&fx, mua, "active");
    expect_reg(&fx, mub, "pending");
    fx_window_release(&wa);
    cJSON_Delete(a);
    cJSON_Delete(b);
    fx_stop(&fx);
}
END_TEST

START_TEST(unknown_imp_uid_is_404)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kicc", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    fx_complete(&fx, NULL, "imp_999999999999", mu, &r);
    fx_expect_error(&r, 404, "unknown_payment");
    ck_assert_str_eq(testlib_error_field(r.json, "message"),
                     "iamport has no payment 'imp_999999999999'");
    http_client_response_release(&r);
    expect_reg(&fx, mu, "pending");
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* A payment of the shop that billkey did not create: 404, and never cancelled. */
START_TEST(payment_of_another_order_is_not_touched)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *rp = cJSON_Parse("{\"pg\":\"kakaopay\",\"pay_method\":\"card\",\"merchant_uid\":"
                            "\"shop_order_1\",\"customer_uid\":\"shop_cust_1\",\"name\":\"x\","
                            "\"amount\":5000}");
    fx_window_submit(&fx, rp, 0, 0, &w);
    ck_assert(w.success);
    fx_complete(&fx, NULL, w.imp_uid, "shop_order_1", &r);
    fx_expect_error(&r, 404, "unknown_registration");
    http_client_response_release(&r);
    char *status = sandbox_payment_status(&fx, w.imp_uid);
    ck_assert_str_eq(status, "paid");
    free(status);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 0);
    fx_window_release(&w);
    cJSON_Delete(rp);
    fx_stop(&fx);
}
END_TEST

START_TEST(tampered_kakaopay_amount_is_cancelled)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    /* the attacker gets past iamport's prepared amount (here: the test moves it) ... */
    char *token = sandbox_token(&fx.sandbox);
    char *prep = xasprintf("{\"merchant_uid\":\"%s\",\"amount\":100}", mu);
    ck_assert_int_eq(
        sandbox_call_auth(&fx.sandbox, "PUT", "/payments/prepare", token, prep, NULL, &r), 200);
    http_client_response_release(&r);
    /* ... and pays 100 won instead of 9900 */
    cJSON *rp = cJSON_Duplicate(fx_request_pay(co), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(rp, "amount", cJSON_CreateNumber(100));
    fx_window_submit(&fx, rp, 0, 0, &w);
    ck_assert(w.success);

    for (int i = 0; i < 2; i++) { /* the replay answers the same and cancels nothing more */
        fx_complete(&fx, NULL, w.imp_uid, mu, &r);
        fx_expect_error(&r, 409, "payment_rejected");
        ck_assert_str_eq(testlib_error_field(r.json, "message"),
                         i == 0 ? "the payment was rejected: amount 100 is not the expected 9900 "
                                  "(cancelled at iamport)"
                                : "the payment was rejected: amount 100 is not the expected 9900");
        http_client_response_release(&r);
    }
    char *status = sandbox_payment_status(&fx, w.imp_uid);
    ck_assert_str_eq(status, "cancelled");
    free(status);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 1);
    expect_reg(&fx, mu, "tampered");
    char *reason = fx_registration_column(&fx, "fail_reason", mu);
    ck_assert_str_eq(reason, "amount 100 is not the expected 9900");
    free(reason);
    const char *p_mu[] = {mu, NULL};
    char *pay = fx_sql(&fx,
                       "SELECT concat_ws('|', kind, amount, status, imp_uid IS NOT NULL, "
                       "iamport->>'status') FROM payments WHERE merchant_uid = $1",
                       p_mu);
    ck_assert_str_eq(pay, "issue|100|cancelled|t|cancelled");
    free(pay);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    char *actions =
        fx_sql(&fx, "SELECT string_agg(action, ',' ORDER BY id) FROM audit_events", NULL);
    ck_assert_str_eq(actions, "registration.created,payment.requested,registration.tampered,"
                              "payment.cancelled");
    free(actions);
    fx_landing(&fx, w.imp_uid, mu, &r);
    ck_assert_int_eq(r.status, 409);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"failed\""));
    ck_assert_ptr_nonnull(strstr(r.body, "<dd id=\"registration-status\">tampered</dd>"));
    http_client_response_release(&r);

    fx_window_release(&w);
    cJSON_Delete(rp);
    free(prep);
    free(token);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The cancel of a payment that took money fails: the registration must not be sealed as
 * tampered with the money still taken. It stays pending (502 / 504) and the next verification
 * looks the payment up again: still paid → cancel again; cancelled meanwhile (the lost answer
 * was processed) → tampered without a second cancel. */
static const struct cancel_fault {
    const char *fault;
    long status;
    const char *code;
    int cancels; /* POST /payments/cancel requests in all */
    const char *message;
} cancel_faults[] = {
    {"{\"method\":\"POST\",\"path\":\"/payments/cancel\",\"kind\":\"http500\"}", 502,
     "iamport_unavailable", 2,
     "the payment was rejected: amount 5000 is not the expected 0 (cancelled at iamport)"},
    {"{\"method\":\"POST\",\"path\":\"/payments/cancel\",\"kind\":\"drop\","
     "\"after_processing\":true}",
     504, "iamport_timeout", 1, "the payment was rejected: the issuance payment was cancelled"},
};

START_TEST(failed_cancel_keeps_registration_pending)
{
    const struct cancel_fault *f = &cancel_faults[_i];
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", PRICE, 0); /* issue-only: window amount 0 */
    const char *mu = fx_str(co, "merchant_uid");
    cJSON *rp = cJSON_Duplicate(fx_request_pay(co), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(rp, "amount", cJSON_CreateNumber(5000));
    fx_window_submit(&fx, rp, 0, 0, &w);
    ck_assert(w.success);
    fx_fault(&fx, f->fault);

    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    fx_expect_error(&r, f->status, f->code);
    http_client_response_release(&r);
    expect_reg(&fx, mu, "pending");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);

    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    fx_expect_error(&r, 409, "payment_rejected");
    ck_assert_str_eq(testlib_error_field(r.json, "message"), f->message);
    http_client_response_release(&r);
    expect_reg(&fx, mu, "tampered");
    char *status = sandbox_payment_status(&fx, w.imp_uid);
    ck_assert_str_eq(status, "cancelled");
    free(status);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), f->cancels);
    const char *p_mu[] = {mu, NULL};
    char *pay = fx_sql(&fx,
                       "SELECT concat_ws('|', kind, amount, status) FROM payments "
                       "WHERE merchant_uid = $1",
                       p_mu);
    ck_assert_str_eq(pay, "issue|5000|cancelled");
    free(pay);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);

    fx_window_release(&w);
    cJSON_Delete(rp);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The browser swaps customer_uid (or pg): nothing was charged, so tampered without a cancel. */
START_TEST(swapped_identity_is_tampered_without_cancel)
{
    static const char *const swaps[][2] = {{"customer_uid", "cu_attacker_1"}, {"pg", "kicc"}};
    static const char *const reasons[] = {"customer_uid 'cu_attacker_1' is not the registration's",
                                          "pg_provider 'kicc' is not the registration's 'payco'"};
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    cJSON *rp = cJSON_Duplicate(fx_request_pay(co), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(rp, swaps[_i][0], cJSON_CreateString(swaps[_i][1]));
    fx_window_submit(&fx, rp, 0, 0, &w);
    ck_assert(w.success);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    fx_expect_error(&r, 409, "payment_rejected");
    ck_assert_msg(strstr(testlib_error_field(r.json, "message"), reasons[_i]) != NULL, "%s",
                  testlib_error_field(r.json, "message"));
    http_client_response_release(&r);
    expect_reg(&fx, mu, "tampered");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 0);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/again*", NULL), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);
    fx_window_release(&w);
    cJSON_Delete(rp);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The user closes CHAI's window: the redirect carries error_msg; the page says the window failed
 * in its own fixed words and never shows the query's text (escaped or not). */
START_TEST(failed_window_shows_a_fixed_message)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "chai", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 1, 1, &w);
    ck_assert_int_eq(w.redirected, 1);
    ck_assert_int_eq(w.success, 0);
    ck_assert_ptr_null(w.imp_uid);
    http_client_get(w.location, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"failed\" data-code=\"window_failed\""));
    ck_assert_ptr_null(strstr(r.body, "사용자가 결제를 취소하셨습니다"));
    ck_assert_ptr_null(strstr(r.body, "SANDBOX_USER_CANCEL"));
    http_client_response_release(&r);
    expect_reg(&fx, mu, "pending"); /* the query is never trusted, not even to fail */

    char *url = fx_url(&fx, NULL,
                       "/payments/complete/mobile?imp_success=false&error_code=%3Cb%3E"
                       "&error_msg=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%26%27");
    http_client_get(url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "script"));
    ck_assert_ptr_null(strstr(r.body, "&lt;b&gt;"));
    ck_assert_ptr_null(strstr(r.body, "<b>"));
    char *csp = http_client_header(&r, "Content-Security-Policy");
    ck_assert_str_eq(csp, "default-src 'none'; style-src 'self'; img-src 'self'; base-uri "
                          "'none'; form-action 'none'; frame-ancestors 'none'");
    free(csp);
    http_client_response_release(&r);
    free(url);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* iamport says the issuance failed: registration failed with the PG's message (422). */
START_TEST(issuance_failure_marks_registration_failed)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"kicc\":\"failed\"}}"));
    cJSON *co = fx_checkout_plan(&fx, "kicc", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_int_eq(w.success, 0);
    ck_assert_ptr_nonnull(w.imp_uid);
    for (int i = 0; i < 2; i++) {
        fx_complete(&fx, NULL, w.imp_uid, mu, &r);
        fx_expect_error(&r, 422, "registration_failed");
        ck_assert_str_eq(testlib_error_field(r.json, "message"),
                         "the registration failed: 빌링키 발급에 실패하였습니다. "
                         "(sandbox issue_status)");
        http_client_response_release(&r);
    }
    expect_reg(&fx, mu, "failed");
    char *reason = fx_registration_column(&fx, "fail_reason", mu);
    ck_assert_str_eq(reason, "빌링키 발급에 실패하였습니다. (sandbox issue_status)");
    free(reason);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0); /* no first charge */
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/again*", NULL), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'registration.failed' AND actor = 'callback'"),
                     1);
    /* the landing shows iamport's reason, never the one a crafted link carries */
    char *path = xasprintf("/payments/complete/mobile?imp_uid=%s&merchant_uid=%s"
                           "&error_code=PHISH&error_msg=Call-010-PHISH",
                           w.imp_uid, mu);
    char *url = fx_url(&fx, NULL, path);
    http_client_get(url, NULL, &r);
    ck_assert_int_eq(r.status, 422);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"failed\""));
    ck_assert_ptr_nonnull(strstr(r.body, "<span id=\"fail-reason\">빌링키 발급에 실패하였습니다. "
                                         "(sandbox issue_status)</span>"));
    ck_assert_ptr_null(strstr(r.body, "PHISH"));
    http_client_response_release(&r);
    free(url);
    free(path);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* KakaoPay charge_now declined in the window: registration failed, the ledger row failed. */
START_TEST(kakaopay_declined_window_charge)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "kakaopay", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid"), *cu = fx_str(co, "customer_uid");
    char *decline = xasprintf("{\"customer_uid\":\"%s\",\"reason\":\"잔액부족\"}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/decline", decline));
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_int_eq(w.success, 0);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    fx_expect_error(&r, 422, "registration_failed");
    ck_assert_str_eq(testlib_error_field(r.json, "message"), "the registration failed: 잔액부족");
    http_client_response_release(&r);
    const char *p_mu[] = {mu, NULL};
    char *pay = fx_sql(&fx,
                       "SELECT concat_ws('|', kind, amount, status, fail_reason) FROM payments "
                       "WHERE merchant_uid = $1",
                       p_mu);
    ck_assert_str_eq(pay, "issue|9900|failed|잔액부족");
    free(pay);
    struct fx_ledger l;
    fx_ledger(&fx, mu, &l);
    ck_assert_int_eq(l.count, 1);
    ck_assert_str_eq(l.status, "failed");
    ck_assert_int_eq(l.total_paid, 0);
    fx_ledger_release(&l);
    free(decline);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* KakaoPay issue-only may come back "ready" (accepted); PAYCO "ready" is not done yet. */
START_TEST(ready_status_per_pg)
{
    struct fx fx;
    struct fx_window wk, wp;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"kakaopay\":\"ready\",\"payco\":\"ready\"}}"));
    cJSON *k = fx_checkout_plan(&fx, "kakaopay", PRICE, 0),
          *p = fx_checkout_plan(&fx, "payco", PRICE, 0);
    fx_window_submit(&fx, fx_request_pay(k), 0, 0, &wk);
    fx_window_submit(&fx, fx_request_pay(p), 0, 0, &wp);
    fx_complete(&fx, NULL, wk.imp_uid, fx_str(k, "merchant_uid"), &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    http_client_response_release(&r);
    fx_complete(&fx, NULL, wp.imp_uid, fx_str(p, "merchant_uid"), &r);
    fx_expect_error(&r, 409, "payment_not_completed");
    http_client_response_release(&r);
    expect_reg(&fx, fx_str(k, "merchant_uid"), "active");
    expect_reg(&fx, fx_str(p, "merchant_uid"), "pending");
    fx_window_release(&wk);
    fx_window_release(&wp);
    cJSON_Delete(k);
    cJSON_Delete(p);
    fx_stop(&fx);
}
END_TEST

/* Markup and SQL in every merchant field: stored as given, escaped on the page, JSON in the API. */
START_TEST(markup_and_sql_in_every_field)
{
    static const char *const cust = "'; DROP TABLE registrations; --<script>x<\\script>%20?#";
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "customer_id", cust);
    cJSON_AddStringToObject(body, "pg", "kicc");
    cJSON_AddNumberToObject(body, "amount", PRICE);
    cJSON_AddStringToObject(body, "name", "<script>alert('n')</script>\"&");
    cJSON_AddBoolToObject(body, "charge_now", 1);
    cJSON_AddStringToObject(body, "buyer_name", "<img src=x>");
    cJSON_AddStringToObject(body, "buyer_email", "\"'><svg/onload=1>@x.kr");
    cJSON_AddStringToObject(body, "buyer_tel", "010-1234-5678");
    char *text = cJSON_PrintUnformatted(body);
    cJSON *co = fx_checkout_ok(&fx, text);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 1, 0, &w); /* KICC on mobile: the redirect */
    ck_assert_int_eq(w.redirected, 1);
    http_client_get(w.location, NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_ptr_nonnull(strstr(
        r.body, "<dd id=\"reg-name\">&lt;script&gt;alert(&#39;n&#39;)&lt;/script&gt;&quot;&amp;"
                "</dd>"));
    ck_assert_ptr_nonnull(strstr(r.body, "<dd id=\"customer-id\">&#39;; DROP TABLE "
                                         "registrations; --&lt;script&gt;x&lt;\\script&gt;%20?#"
                                         "</dd>"));
    ck_assert_ptr_null(strstr(r.body, "<script"));
    ck_assert_ptr_null(strstr(r.body, "<img"));
    ck_assert_ptr_null(strstr(r.body, "<svg"));
    http_client_response_release(&r);

    const char *p_mu[] = {mu, NULL};
    char *stored = fx_sql(&fx,
                          "SELECT concat_ws('|', customer_id, name, buyer_name, buyer_email) "
                          "FROM registrations WHERE merchant_uid = $1",
                          p_mu);
    char *want =
        xasprintf("%s|<script>alert('n')</script>\"&|<img src=x>|\"'><svg/onload=1>@x.kr", cust);
    ck_assert_str_eq(stored, want);
    free(stored);
    free(want);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);

    char *escaped = curl_easy_escape(NULL, cust, 0);
    char *path = xasprintf("/api/customers/%s", escaped);
    char *url = fx_url(&fx, NULL, path);
    http_client_get(url, FX_API_KEY, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(fx_str(r.json, "customer_id"), cust);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "billing_keys")),
                     1);
    http_client_response_release(&r);
    curl_free(escaped);
    free(path);
    free(url);
    free(text);
    cJSON_Delete(body);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Redirect targets in the landing's query are never followed or echoed. */
START_TEST(landing_ignores_foreign_redirect_targets)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    char *path = xasprintf("/payments/complete/mobile?imp_uid=%s&merchant_uid=%s&imp_success=true"
                           "&redirect=https%%3A%%2F%%2Fevil.example%%2F&return_url=%%2F%%2Fevil."
                           "example&next=javascript%%3Aalert(1)&m_redirect_url=https%%3A%%2F%%2F"
                           "evil.example&url=http://evil.example",
                           w.imp_uid, mu);
    char *url = fx_url(&fx, NULL, path);
    http_client_get(url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(r.location);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"active\""));
    ck_assert_ptr_null(strstr(r.body, "evil"));
    ck_assert_ptr_null(strstr(r.body, "javascript"));
    ck_assert_ptr_nonnull(strstr(r.body, "href=\"/static/checkout.html\""));
    /* the only link on the page */
    ck_assert_ptr_null(strstr(strstr(r.body, "href=\"/static/checkout.html\"") + 1, "href="));
    http_client_response_release(&r);
    free(url);
    free(path);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Landing query validation; a redirect with only merchant_uid is looked up at iamport. */
START_TEST(landing_query_rules)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "naverpay", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);

    struct {
        const char *query;
        long status;
        const char *code;
    } cases[] = {
        {"", 400, "invalid_field"},
        {"?imp_success=true", 400, "invalid_field"},
        {"?imp_uid=imp_1&imp_uid=imp_2&merchant_uid=bk_x", 400, "invalid_field"},
        {"?imp_uid=imp_1&merchant_uid=bk%20x", 400, "invalid_field"},
        {"?imp_uid=imp_1", 400, "invalid_field"},
        {"?imp_uid=imp_1234567890123456789012345678901&merchant_uid=bk_x", 400, "invalid_field"},
        {"?imp_uid=%3Cscript%3E&merchant_uid=bk_x", 400, "invalid_field"},
        {"?imp_uid=imp_000000000000&merchant_uid=bk_x", 404, "unknown_payment"},
        {"?merchant_uid=bk_not_a_payment", 404, "unknown_payment"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = xasprintf("/payments/complete/mobile%s", cases[i].query);
        char *url = fx_url(&fx, NULL, path);
        http_client_get(url, NULL, &r);
        ck_assert_msg(r.status == cases[i].status, "%s -> %ld", cases[i].query, r.status);
        char *code = xasprintf("data-code=\"%s\"", cases[i].code);
        ck_assert_msg(strstr(r.body, code) != NULL, "%s: %s", cases[i].query, r.body);
        ck_assert_str_eq(r.content_type, "text/html; charset=utf-8");
        ck_assert_ptr_null(strstr(r.body, "<script"));
        free(code);
        http_client_response_release(&r);
        free(url);
        free(path);
    }
    expect_reg(&fx, mu, "pending");
    char *path = xasprintf("/payments/complete/mobile?merchant_uid=%s", mu); /* no imp_uid */
    char *url = fx_url(&fx, NULL, path);
    http_client_get(url, NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"active\""));
    http_client_response_release(&r);
    expect_reg(&fx, mu, "active");
    free(url);
    free(path);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* POST /payments/complete input rules: 400 naming the field, 415, 413; form bodies work. */
START_TEST(complete_input_rules)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *url = fx_url(&fx, NULL, "/payments/complete");
    struct {
        const char *body;
        long status;
        const char *code;
        const char *field;
    } cases[] = {
        {"{}", 400, "invalid_field", "imp_uid"},
        {"{\"imp_uid\":\"imp_1\"}", 400, "invalid_field", "merchant_uid"},
        {"{\"imp_uid\":1,\"merchant_uid\":\"bk_x\"}", 400, "invalid_field", "imp_uid"},
        {"{\"imp_uid\":\"imp_123456789012345678901234567890123\",\"merchant_uid\":\"bk_x\"}", 400,
         "invalid_field", "imp_uid"},
        {"{\"imp_uid\":\"imp 1\",\"merchant_uid\":\"bk_x\"}", 400, "invalid_field", "imp_uid"},
        {"{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"' OR 1=1 --\"}", 400, "invalid_field",
         "merchant_uid"},
        {"{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"x\\u0001\"}", 400, "invalid_field",
         "merchant_uid"},
        {"{\"imp_uid\":\"imp_1\",", 400, "malformed_body", NULL},
        {"[\"imp_1\"]", 400, "malformed_body", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_client_json("POST", url, cases[i].body, NULL, &r);
        fx_expect_error(&r, cases[i].status, cases[i].code);
        const char *field = fx_str(cJSON_GetObjectItemCaseSensitive(r.json, "error"), "field");
        if (cases[i].field)
            ck_assert_msg(field && strcmp(field, cases[i].field) == 0, "%s: %s", cases[i].body,
                          r.body);
        http_client_response_release(&r);
    }
    struct http_client_request rq = {
        .method = "POST", .url = url, .content_type = "text/plain", .body = "imp_uid=imp_1"};
    http_client_do(&rq, &r);
    fx_expect_error(&r, 415, "unsupported_media_type");
    http_client_response_release(&r);
    char *big = xmalloc(8000);
    memset(big, 'a', 7999);
    big[7999] = '\0';
    memcpy(big, "{\"imp_uid\":\"", 12);
    http_client_json("POST", url, big, NULL, &r);
    fx_expect_error(&r, 413, "payload_too_large");
    http_client_response_release(&r);
    free(big);

    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 0);
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    char *form = xasprintf("imp_uid=%s&merchant_uid=%s", w.imp_uid, fx_str(co, "merchant_uid"));
    http_client_form("POST", url, form, NULL, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 1);
    free(form);
    fx_window_release(&w);
    cJSON_Delete(co);
    free(url);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_issuance_hostile(void)
{
    Suite *s = suite_create("issuance_hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, replayed_imp_uid_is_idempotent);
    tcase_add_test(tc, imp_uid_of_another_merchant_uid_is_refused);
    tcase_add_test(tc, unknown_imp_uid_is_404);
    tcase_add_test(tc, payment_of_another_order_is_not_touched);
    tcase_add_test(tc, tampered_kakaopay_amount_is_cancelled);
    tcase_add_loop_test(tc, failed_cancel_keeps_registration_pending, 0, 2);
    tcase_add_loop_test(tc, swapped_identity_is_tampered_without_cancel, 0, 2);
    tcase_add_test(tc, failed_window_shows_a_fixed_message);
    tcase_add_test(tc, issuance_failure_marks_registration_failed);
    tcase_add_test(tc, kakaopay_declined_window_charge);
    tcase_add_test(tc, ready_status_per_pg);
    tcase_add_test(tc, markup_and_sql_in_every_field);
    tcase_add_test(tc, landing_ignores_foreign_redirect_targets);
    tcase_add_test(tc, landing_query_rules);
    tcase_add_test(tc, complete_input_rules);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_issuance_hostile)
