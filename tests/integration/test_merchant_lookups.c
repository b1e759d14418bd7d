/* Merchant lookups, cancels and billing keys over real HTTP: GET /payments/…, POST /payments/cancel, GET/DELETE/POST /subscribe/customers/{uid}. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define NOT_FOUND_PAYMENT "존재하지 않는 결제정보입니다."
#define BAD_STATUS "지원되지 않는 상태값입니다."
#define MISSING_ID "파라미터 누락: imp_uid 또는 merchant_uid"
#define AMOUNT_RANGE "amount 는 1 이상 1000000000000 이하의 정수여야 합니다."
#define CARD_REFUSED                                                                                                  \
    "billkey는 카드번호를 받지 않습니다: 빌링키는 결제창(IMP.request_pay)으로 발급하세요. " \
    "(card data refused: issue billing keys through the checkout window)"
#define UNKNOWN_CANCEL_PREFIX "취소 결과를 확인할 수 없습니다"
#define PRICE 9900

/* An active billing key for customer_id issued through the checkout window (kakaopay charges
 * PRICE in it); its payments row is paid. */
static void issue_key(const struct fx *fx, const char *customer_id, struct fx_key *out)
{
    char *body = xasprintf("{\"customer_id\":\"%s\",\"pg\":\"kakaopay\",\"amount\":%d,"
                           "\"name\":\"월 구독\",\"charge_now\":true}",
                           customer_id, PRICE);
    fx_issue_key(fx, body, out);
    char *st = fx_payment_column(fx, "status", out->merchant_uid);
    ck_assert_str_eq(st, "paid");
    free(st);
    free(body);
}

/* fx_start, then one active key (two when b is given) and an empty sandbox request log. */
static void start_with_keys(struct fx *fx, struct fx_key *a, struct fx_key *b)
{
    fx_start(fx, NULL);
    issue_key(fx, "cust-a", a);
    if (b)
        issue_key(fx, "cust-b", b);
    fx_clear_requests(fx);
}

/* Asserts the envelope: HTTP status, code, message (NULL: null) and, for code 0, a non-null
 * response; the reply comes in one piece. */
static void expect(const struct http_client_response *r, long status, int code, const char *message)
{
    fx_expect_envelope(r, status, code, message);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->json, "message");
    if (!message)
        ck_assert_msg(cJSON_IsNull(m), "message not null: %s", r->body);
    if (code == 0)
        ck_assert_msg(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r->json, "response")),
                      "response: %s", r->body);
    char *length = http_client_header(r, "Content-Length");
    ck_assert_ptr_nonnull(length);
    ck_assert_int_eq(atol(length), (long)r->body_len);
    free(length);
}

static void expect_call(const struct fx *fx, const char *method, const char *path, const char *json,
                        long status, int code, const char *message)
{
    struct http_client_response r;
    fx_merchant(fx, NULL, method, path, FX_JSON, json, &r);
    expect(&r, status, code, message);
    http_client_response_release(&r);
}

static void expect_unauthorized(const struct fx *fx, const char *method, const char *path)
{
    struct http_client_response r;
    char *url = fx_url(fx, NULL, path);
    struct http_client_request rq = {.method = method, .url = url};
    http_client_do(&rq, &r);
    free(url);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(r.body, "{\"code\":-1,\"message\":\"Unauthorized\",\"response\":null}");
    http_client_response_release(&r);
}

static const char *resp_str(const struct http_client_response *r, const char *key)
{
    return fx_str(http_client_body_response(r), key);
}

static double resp_num(const struct http_client_response *r, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(http_client_body_response(r), key);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number: %s", key, r->body);
    return v->valuedouble;
}

static void expect_payment(const struct fx *fx, const char *mu, const char *status,
                           const char *cancel_amount)
{
    char *st = fx_payment_column(fx, "status", mu),
         *ca = fx_payment_column(fx, "cancel_amount", mu);
    ck_assert_str_eq(st, status);
    ck_assert_str_eq(ca, cancel_amount);
    free(st);
    free(ca);
}

static long long audit_count(const struct fx *fx, const char *action, const char *result)
{
    const char *p[] = {action, result, NULL};
    return fx_sql_int(fx,
                      "SELECT count(*) FROM audit_events WHERE action = $1 AND actor = 'api:shop' "
                      "AND detail->>'result' = $2",
                      p);
}

START_TEST(payment_lookups_pass_iamport_through_and_refresh_the_ledger)
{
    struct fx fx;
    struct fx_key k;
    struct http_client_response r;
    start_with_keys(&fx, &k, NULL);

    /* a ledger row left unknown is settled by the lookup */
    const char *p[] = {k.merchant_uid, NULL};
    free(fx_sql(&fx,
                "UPDATE payments SET status = 'unknown' WHERE merchant_uid = $1 "
                "RETURNING status",
                p));
    char *path = xasprintf("/payments/%s", k.imp_uid);
    fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "imp_uid"), k.imp_uid);
    ck_assert_str_eq(resp_str(&r, "merchant_uid"), k.merchant_uid);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    ck_assert_double_eq(resp_num(&r, "amount"), PRICE);
    ck_assert_double_eq(resp_num(&r, "cancelled_at"), 0);
    ck_assert(cJSON_IsArray(
        cJSON_GetObjectItemCaseSensitive(http_client_body_response(&r), "cancel_history")));
    ck_assert_ptr_nonnull(strstr(r.body, "\"amount\":9900,"));
    ck_assert_ptr_null(strstr(r.body, "e+"));
    http_client_response_release(&r);
    expect_payment(&fx, k.merchant_uid, "paid", "0");
    free(path);

    expect_call(&fx, "GET", "/payments/imp_000000000000", NULL, 404, -1, NOT_FOUND_PAYMENT);

    /* find, both forms */
    path = xasprintf("/payments/find/%s", k.merchant_uid);
    fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "imp_uid"), k.imp_uid);
    http_client_response_release(&r);
    free(path);
    path = xasprintf("/payments/find/%s/paid", k.merchant_uid);
    fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    http_client_response_release(&r);
    free(path);
    path = xasprintf("/payments/find/%s/cancelled", k.merchant_uid);
    expect_call(&fx, "GET", path, NULL, 404, -1, NOT_FOUND_PAYMENT);
    free(path);
    path = xasprintf("/payments/find/%s/refunded", k.merchant_uid);
    expect_call(&fx, "GET", path, NULL, 400, -1, BAD_STATUS);
    free(path);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/payments/find*", NULL), 3);
    expect_call(&fx, "GET", "/payments/find/nobody-here", NULL, 404, -1, NOT_FOUND_PAYMENT);

    /* hostile ids: iamport's answers, never a 5xx */
    static const char *const odd[] = {
        "/payments/find/a%20b/paid",
        "/payments/find/x'%3B%20DROP%20TABLE%20payments%3B--",
        "/payments/%3Cscript%3Ealert(1)%3Cscript%3E",
        "/payments/imp%20123",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        expect_call(&fx, "GET", odd[i], NULL, 404, -1, NOT_FOUND_PAYMENT);
    /* %2F is decoded before routing (libmicrohttpd): such ids reach no route or another one,
     * and are still answered 4xx without echoing markup */
    static const char *const slashed[] = {
        "/payments/find/a%2Fb",
        "/payments/find/a%2Fb/paid",
        "/payments/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/payments/..%2F..%2Fusers%2FgetToken",
    };
    for (size_t i = 0; i < sizeof slashed / sizeof slashed[0]; i++) {
        fx_merchant(&fx, NULL, "GET", slashed[i], NULL, NULL, &r);
        ck_assert_msg(r.status >= 400 && r.status < 500, "%s -> %ld %s", slashed[i], r.status,
                      r.body);
        ck_assert_str_eq(r.content_type, "application/json");
        http_client_response_release(&r);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 1);

    expect_unauthorized(&fx, "GET", "/payments/imp_000000000000");
    expect_unauthorized(&fx, "GET", "/payments/find/m");
    expect_unauthorized(&fx, "GET", "/payments/find/m/paid");
    fx_key_release(&k);
    fx_stop(&fx);
}
END_TEST

START_TEST(partial_then_full_cancel_follow_iamport_in_the_ledger_and_audit)
{
    struct fx fx;
    struct fx_key k;
    struct http_client_response r;
    start_with_keys(&fx, &k, NULL);

    char *body =
        xasprintf("{\"imp_uid\":\"%s\",\"amount\":3000,\"reason\":\"부분 환불\"}", k.imp_uid);
    fx_merchant(&fx, NULL, "POST", "/payments/cancel", FX_JSON, body, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    ck_assert_double_eq(resp_num(&r, "cancel_amount"), 3000);
    http_client_response_release(&r);
    free(body);
    expect_payment(&fx, k.merchant_uid, "paid", "3000");
    ck_assert_int_eq(audit_count(&fx, "payment.cancel", "cancelled"), 1);

    /* more than is left: iamport's refusal passes through */
    body = xasprintf("{\"imp_uid\":\"%s\",\"amount\":10000}", k.imp_uid);
    fx_merchant(&fx, NULL, "POST", "/payments/cancel", FX_JSON, body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(http_client_code(&r), 1);
    ck_assert_msg(strncmp(http_client_message(&r), "취소 요청금액(10000)", 25) == 0, "%s", r.body);
    http_client_response_release(&r);
    free(body);
    ck_assert_int_eq(audit_count(&fx, "payment.cancel", "refused"), 1);

    /* the rest, in bracket form by merchant_uid */
    body =
        xasprintf("merchant_uid=%s&reason=%%ED%%95%%B4%%EC%%A7%%80&extra%%5Brequester%%5D=customer",
                  k.merchant_uid);
    fx_merchant(&fx, NULL, "POST", "/payments/cancel", FX_FORM, body, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "status"), "cancelled");
    ck_assert_double_eq(resp_num(&r, "cancel_amount"), PRICE);
    http_client_response_release(&r);
    free(body);
    expect_payment(&fx, k.merchant_uid, "cancelled", "9900");
    ck_assert_int_eq(audit_count(&fx, "payment.cancel", "cancelled"), 2);
    const char *p[] = {k.merchant_uid, NULL};
    char *reason = fx_sql(&fx,
                          "SELECT detail->>'reason' FROM audit_events WHERE action = "
                          "'payment.cancel' AND subject = $1 ORDER BY id DESC LIMIT 1",
                          p);
    ck_assert_str_eq(reason, "해지");
    free(reason);

    body = xasprintf("{\"imp_uid\":\"%s\"}", k.imp_uid);
    expect_call(&fx, "POST", "/payments/cancel", body, 200, 1, "이미 전액취소된 주문입니다.");
    free(body);
    expect_payment(&fx, k.merchant_uid, "cancelled", "9900");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 4);

    /* lookups never move a cancelled row back */
    char *path = xasprintf("/payments/%s", k.imp_uid);
    expect_call(&fx, "GET", path, NULL, 200, 0, NULL);
    free(path);
    expect_payment(&fx, k.merchant_uid, "cancelled", "9900");
    fx_key_release(&k);
    fx_stop(&fx);
}
END_TEST

struct refusal_case {
    const char *content_type; /* NULL: JSON */
    const char *body;
    const char *message;
};

static const struct refusal_case refusals[] = {
    {NULL, "{}", MISSING_ID},
    {NULL, "{\"imp_uid\":\"\",\"merchant_uid\":null}", MISSING_ID},
    {NULL, "{\"amount\":100}", MISSING_ID},
    {NULL, "{\"imp_uid\":12}",
     "파라미터 형식 오류: imp_uid 는 제어문자가 없는 문자열이어야 합니다."},
    {NULL, "{\"imp_uid\":[\"imp_1\"]}",
     "파라미터 형식 오류: imp_uid 는 제어문자가 없는 문자열이어야 합니다."},
    {NULL, "{\"merchant_uid\":\"m\\u001fx\"}",
     "파라미터 형식 오류: merchant_uid 는 제어문자가 없는 문자열이어야 합니다."},
    {NULL, "{\"merchant_uid\":\"12345678901234567890123456789012345678901\"}",
     "merchant_uid 는 최대 40자까지 입력할 수 있습니다. (입력: 41자)"},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":\"abc\"}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":\"100원\"}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":1.5}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":0}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":-5}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":true}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":1e13}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":\"99999999999999999999999\"}", AMOUNT_RANGE},
    {NULL, "{\"imp_uid\":\"imp_1\",\"amount\":100,\"tax_free\":101}",
     "tax_free 는 0 이상 100 이하의 정수여야 합니다."},
    {NULL, "{\"imp_uid\":\"imp_1\",\"checksum\":-1}",
     "checksum 는 0 이상 1000000000000 이하의 정수여야 합니다."},
    {NULL, "{\"imp_uid\":\"imp_1\",\"reason\":\"a\\u0007b\"}",
     "파라미터 형식 오류: reason 는 제어문자가 없는 문자열이어야 합니다."},
    {FX_FORM, "imp_uid=imp_1&amount=12%2C000", AMOUNT_RANGE},
    {FX_FORM, "amount=100", MISSING_ID},
};

START_TEST(cancel_refusals_name_the_field_and_send_nothing)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal_case *c = &refusals[i];
        fx_merchant(&fx, NULL, "POST", "/payments/cancel", c->content_type, c->body, &r);
        ck_assert_msg(r.status == 200 && http_client_code(&r) == 1, "%s -> %ld %s", c->body,
                      r.status, r.body);
        expect(&r, 200, 1, c->message);
        http_client_response_release(&r);
    }
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events WHERE action = "
                                   "'payment.cancel'"),
                     0);

    /* well-formed but unknown ids, SQL and HTML included: iamport's own refusal */
    static const char *const unknown[] = {
        "{\"merchant_uid\":\"x'; DROP TABLE payments;--\"}",
        "{\"imp_uid\":\"<script>alert(1)</script>\"}",
        "{\"imp_uid\":\"imp 1/2\",\"amount\":1000000000000}",
    };
    for (size_t i = 0; i < 3; i++)
        expect_call(&fx, "POST", "/payments/cancel", unknown[i], 200, 1,
                    "취소할 결제건이 존재하지 않습니다.");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(audit_count(&fx, "payment.cancel", "refused"), 3);

    /* unparsable body: iamport's envelope from dispatch, no echo */
    fx_merchant(&fx, NULL, "POST", "/payments/cancel", FX_JSON, "{\"imp_uid\": <b>", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(http_client_code(&r), -1);
    ck_assert_ptr_null(strstr(r.body, "<b>"));
    http_client_response_release(&r);
    expect_unauthorized(&fx, "POST", "/payments/cancel");
    fx_stop(&fx);
}
END_TEST

START_TEST(a_cancel_that_times_out_is_looked_up_never_sent_again)
{
    struct fx fx;
    struct fx_key taken, lost;
    struct http_client_response r;
    start_with_keys(&fx, &taken, &lost);

    /* processed upstream, then the connection dropped: the lookup finds the cancel */
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/payments/cancel\",\"kind\":"
                  "\"drop\",\"after_processing\":true}");
    char *body = xasprintf("{\"imp_uid\":\"%s\"}", taken.imp_uid);
    fx_merchant(&fx, NULL, "POST", "/payments/cancel", FX_JSON, body, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "status"), "cancelled");
    http_client_response_release(&r);
    free(body);
    expect_payment(&fx, taken.merchant_uid, "cancelled", "9900");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 1);
    ck_assert_int_eq(audit_count(&fx, "payment.cancel", "cancelled_after_timeout"), 1);

    /* dropped before processing: nothing changed upstream, so the outcome is reported unknown
     * and the cancel is not sent a second time */
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/payments/cancel\",\"kind\":"
                  "\"drop\"}");
    body = xasprintf("{\"merchant_uid\":\"%s\",\"amount\":1000}", lost.merchant_uid);
    fx_merchant(&fx, NULL, "POST", "/payments/cancel", FX_JSON, body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(http_client_code(&r), 1);
    ck_assert_msg(
        strncmp(http_client_message(&r), UNKNOWN_CANCEL_PREFIX, strlen(UNKNOWN_CANCEL_PREFIX)) == 0,
        "%s", r.body);
    http_client_response_release(&r);
    free(body);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/payments/cancel*", NULL), 2);
    expect_payment(&fx, lost.merchant_uid, "paid", "0");
    ck_assert_int_eq(audit_count(&fx, "payment.cancel", "unknown"), 1);
    char *path = xasprintf("/__sandbox/payments/%s", lost.imp_uid);
    cJSON *raw = sandbox_ctl(&fx.sandbox, "GET", path, NULL);
    ck_assert_str_eq(fx_str(raw, "status"), "paid");
    cJSON_Delete(raw);
    free(path);
    fx_key_release(&taken);
    fx_key_release(&lost);
    fx_stop(&fx);
}
END_TEST

START_TEST(customer_lookup_refuses_keys_billkey_never_issued)
{
    struct fx fx;
    struct fx_key k;
    struct http_client_response r;
    start_with_keys(&fx, &k, NULL);
    sandbox_add_customer(&fx.sandbox, "sandbox_only", NULL);

    char *path = xasprintf("/subscribe/customers/%s", k.customer_uid);
    fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "customer_uid"), k.customer_uid);
    ck_assert_str_eq(resp_str(&r, "card_name"), "신한카드");
    ck_assert_double_gt(resp_num(&r, "inserted"), 0);
    http_client_response_release(&r);
    free(path);

    /* billkey's own refusal is 200 / 1 (official clients read no body on a 404) */
    expect_call(&fx, "GET", "/subscribe/customers/sandbox_only", NULL, 200, 1,
                "요청하신 customer_uid(sandbox_only)로 등록된 정보를 찾을 수 없습니다.");
    expect_call(&fx, "GET", "/subscribe/customers/a%20b%27%3B--", NULL, 200, 1,
                "요청하신 customer_uid(a b';--)로 등록된 정보를 찾을 수 없습니다.");
    fx_merchant(&fx, NULL, "GET", "/subscribe/customers/%3Cimg%20src%3Dx%3E", NULL, NULL, &r);
    expect(&r, 200, 1, "요청하신 customer_uid(<img src=x>)로 등록된 정보를 찾을 수 없습니다.");
    ck_assert_str_eq(r.content_type, "application/json");
    http_client_response_release(&r);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/subscribe/customers/*", NULL), 1);
    expect_unauthorized(&fx, "GET", "/subscribe/customers/sandbox_only");
    fx_key_release(&k);
    fx_stop(&fx);
}
END_TEST

/* Books a schedule at the sandbox and the matching rows in billkey's ledger. */
static void book(const struct fx *fx, const char *cu, const char *mu, long long at)
{
    char *token = sandbox_token(&fx->sandbox);
    char *json = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":[{\"merchant_uid\":\"%s\","
                           "\"schedule_at\":%lld,\"amount\":5000,\"name\":\"월 구독\"}]}",
                           cu, mu, at);
    struct http_client_response r;
    ck_assert_int_eq(sandbox_call_auth(&fx->sandbox, "POST", "/subscribe/payments/schedule", token,
                                       json, NULL, &r),
                     200);
    ck_assert_int_eq(http_client_code(&r), 0);
    http_client_response_release(&r);
    char *sql = xasprintf("WITH p AS (INSERT INTO payments (merchant_uid, customer_uid, kind, "
                          "amount, name, status, created_by) VALUES ($1, $2, 'scheduled', 5000, "
                          "'월 구독', 'scheduled', 'shop') RETURNING merchant_uid), "
                          "s AS (INSERT INTO schedules (merchant_uid, customer_uid, schedule_at, "
                          "amount, name, schedule_status, created_by) SELECT merchant_uid, $2, "
                          "%lld, 5000, '월 구독', 'scheduled', 'shop' FROM p RETURNING 1) "
                          "SELECT count(*) FROM s",
                          at);
    const char *p[] = {mu, cu, NULL};
    ck_assert_int_eq(fx_sql_int(fx, sql, p), 1);
    free(sql);
    free(json);
    free(token);
}

static char *key_status(const struct fx *fx, const char *cu)
{
    const char *p[] = {cu, NULL};
    return fx_sql(fx, "SELECT status FROM billing_keys WHERE customer_uid = $1", p);
}

START_TEST(deleting_a_key_unschedules_first_then_deletes_everywhere)
{
    struct fx fx;
    struct fx_key k, bare;
    struct http_client_response r;
    start_with_keys(&fx, &k, &bare);
    long long at = (long long)time(NULL) + 7200;
    book(&fx, k.customer_uid, "sch-1", at);
    book(&fx, k.customer_uid, "sch-2", at + 86400);
    fx_clear_requests(&fx);

    char *path = xasprintf("/subscribe/customers/%s?reason=%%ED%%95%%B4%%EC%%A7%%80"
                           "&extra%%5Brequester%%5D=customer",
                           k.customer_uid);
    fx_merchant(&fx, NULL, "DELETE", path, NULL, NULL, &r);
    expect(&r, 200, 0, NULL);
    ck_assert_str_eq(resp_str(&r, "customer_uid"), k.customer_uid);
    http_client_response_release(&r);
    int unschedule_at = -1, delete_at = -1;
    ck_assert_int_eq(
        fx_sandbox_requests(&fx, "POST", "/subscribe/payments/unschedule*", &unschedule_at), 1);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "DELETE", "/subscribe/customers/*", &delete_at), 1);
    ck_assert_int_lt(unschedule_at, delete_at);
    /* reason and NaverPay's requester reach iamport as its query parameters */
    cJSON *log = sandbox_ctl(&fx.sandbox, "GET", "/__sandbox/requests", NULL);
    const cJSON *query = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(log, "requests"), delete_at), "query");
    ck_assert_str_eq(fx_str(query, "reason"), "해지");
    ck_assert_str_eq(fx_str(query, "extra[requester]"), "customer");
    cJSON_Delete(log);
    char *status = key_status(&fx, k.customer_uid);
    ck_assert_str_eq(status, "deleted");
    free(status);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM schedules WHERE schedule_status = "
                                   "'revoked' AND revoked_at > 0"),
                     2);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE status = 'revoked'"), 2);
    ck_assert_int_eq(audit_count(&fx, "customer.unschedule", "revoked"), 1);
    ck_assert_int_eq(audit_count(&fx, "customer.delete", "deleted"), 1);
    const char *p[] = {k.customer_uid, NULL};
    char *requester = fx_sql(&fx,
                             "SELECT detail->>'requester' || '/' || (detail->>'reason') FROM "
                             "audit_events WHERE action = 'customer.delete' AND subject = $1",
                             p);
    ck_assert_str_eq(requester, "customer/해지");
    free(requester);

    /* gone: billkey refuses it locally now, and iamport is not asked */
    char *msg =
        xasprintf("요청하신 customer_uid(%s)로 등록된 정보를 찾을 수 없습니다.", k.customer_uid);
    expect_call(&fx, "DELETE", path, NULL, 200, 1, msg);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/unschedule*", NULL), 1);
    free(msg);
    free(path);

    /* a requester other than customer or admin is refused before anything is sent */
    path = xasprintf("/subscribe/customers/%s?extra[requester]=shop", bare.customer_uid);
    expect_call(&fx, "DELETE", path, NULL, 200, 1,
                "extra[requester]: customer 또는 admin 이어야 합니다.");
    free(path);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/unschedule*", NULL), 1);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "DELETE", "/subscribe/customers/*", NULL), 1);

    /* nothing pending is fine; a failing unschedule keeps the key */
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/subscribe/payments/unschedule\","
                  "\"kind\":\"http500\"}");
    path = xasprintf("/subscribe/customers/%s", bare.customer_uid);
    fx_merchant(&fx, NULL, "DELETE", path, NULL, NULL, &r);
    ck_assert_int_ne(r.status, 200);
    ck_assert_int_eq(http_client_code(&r), -1);
    ck_assert_msg(strstr(http_client_message(&r), "빌링키를 삭제하지 않았습니다") != NULL, "%s",
                  r.body);
    http_client_response_release(&r);
    status = key_status(&fx, bare.customer_uid);
    ck_assert_str_eq(status, "active");
    free(status);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "DELETE", "/subscribe/customers/*", NULL), 1);
    ck_assert_int_eq(audit_count(&fx, "customer.unschedule", "failed"), 1);

    expect_call(&fx, "DELETE", path, NULL, 200, 0, NULL);
    status = key_status(&fx, bare.customer_uid);
    ck_assert_str_eq(status, "deleted");
    free(status);
    ck_assert_int_eq(audit_count(&fx, "customer.unschedule", "none_pending"), 1);
    free(path);
    expect_unauthorized(&fx, "DELETE", "/subscribe/customers/x");
    fx_key_release(&k);
    fx_key_release(&bare);
    fx_stop(&fx);
}
END_TEST

START_TEST(key_in_registration_is_refused_unread)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    fx_clear_requests(&fx);
    fx_merchant(&fx, NULL, "POST", "/subscribe/customers/cu_keyin", FX_FORM,
                "card_number=4092123412341234&expiry=2030-12&birth=800101&pwd_2digit=12", &r);
    expect(&r, 200, 1, CARD_REFUSED);
    ck_assert_ptr_null(strstr(r.body, "4092"));
    http_client_response_release(&r);
    fx_merchant(&fx, NULL, "POST", "/subscribe/customers/cu_keyin", FX_JSON,
                "{\"card_number\":\"4092-1234-1234-1234\",\"expiry\":\"2030-12\"", &r);
    expect(&r, 200, 1, CARD_REFUSED);
    ck_assert_ptr_null(strstr(r.body, "4092"));
    http_client_response_release(&r);
    /* too large: refused by size, still not echoed */
    size_t n = 70 * 1024;
    char *big = xmalloc(n + 1);
    memset(big, '4', n);
    big[n] = '\0';
    memcpy(big, "card_number=", 12);
    fx_merchant(&fx, NULL, "POST", "/subscribe/customers/cu_keyin", FX_FORM, big, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_int_eq(http_client_code(&r), -1);
    ck_assert_ptr_null(strstr(r.body, "4444"));
    http_client_response_release(&r);
    free(big);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/customers*", NULL), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 0);
    char *log = billkeyd_log(&fx.billkeyd);
    ck_assert_ptr_null(strstr(log, "4092"));
    ck_assert_ptr_null(strstr(log, "2030-12"));
    free(log);
    expect_unauthorized(&fx, "POST", "/subscribe/customers/cu_keyin");
    fx_stop(&fx);
}
END_TEST

static Suite *suite_merchant_lookups(void)
{
    Suite *s = suite_create("merchant_lookups");
    TCase *tc = tcase_create("merchant_lookups");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, payment_lookups_pass_iamport_through_and_refresh_the_ledger);
    tcase_add_test(tc, partial_then_full_cancel_follow_iamport_in_the_ledger_and_audit);
    tcase_add_test(tc, cancel_refusals_name_the_field_and_send_nothing);
    tcase_add_test(tc, a_cancel_that_times_out_is_looked_up_never_sent_again);
    tcase_add_test(tc, customer_lookup_refuses_keys_billkey_never_issued);
    tcase_add_test(tc, deleting_a_key_unschedules_first_then_deletes_everywhere);
    tcase_add_test(tc, key_in_registration_is_refused_unread);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_merchant_lookups)
