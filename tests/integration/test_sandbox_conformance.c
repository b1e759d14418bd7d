/* iamport-sandbox against iamport-api.md: envelopes, tokens, charges, schedules, faults. */
#include <arpa/inet.h>
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/http_client.h"
#include "tests/lib/sandbox_proc.h"
#include "tests/lib/testlib.h"
#include "tests/lib/webdriver.h"

static struct sandbox_proc sb;
static char *token;

static void start_sandbox(void)
{
    ck_assert_int_eq(sandbox_start(&sb, NULL), 0);
    token = sandbox_token(&sb);
}

static void stop_sandbox(void)
{
    free(token);
    token = NULL;
    ck_assert_int_eq(sandbox_stop(&sb), 0); /* clean exit: no leaks under ASan */
}

/* Authenticated REST call with a JSON body (or none). */
static long api(const char *method, const char *path, const char *json,
                struct http_client_response *r)
{
    return sandbox_call_auth(&sb, method, path, token, json, NULL, r);
}

static long api_form(const char *method, const char *path, const char *form,
                     struct http_client_response *r)
{
    return sandbox_call_auth(&sb, method, path, token, NULL, form, r);
}

static const cJSON *resp_field(const struct http_client_response *r, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(http_client_body_response(r), key);
}

static const char *resp_str(const struct http_client_response *r, const char *key)
{
    const cJSON *v = resp_field(r, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double resp_num(const struct http_client_response *r, const char *key)
{
    const cJSON *v = resp_field(r, key);
    ck_assert_msg(cJSON_IsNumber(v), "response.%s is not a number: %s", key, r->body);
    return v->valuedouble;
}

/* Asserts an error envelope: HTTP status, code, exact message, response null. */
static void assert_error(const struct http_client_response *r, long status, int code,
                         const char *message)
{
    ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body);
    ck_assert_msg(r->json != NULL, "body is not JSON: %s", r->body);
    ck_assert_int_eq(http_client_code(r), code);
    ck_assert_str_eq(http_client_message(r), message);
    ck_assert(cJSON_IsNull(http_client_body_response(r)));
    ck_assert_int_eq(cJSON_GetArraySize(r->json), 3);
}

static void assert_ok(const struct http_client_response *r)
{
    ck_assert_msg(r->status == 200 && http_client_code(r) == 0, "want 200/code 0, got %ld: %s",
                  r->status, r->body);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r->json, "message")));
}

/* Charges `amount` to customer_uid under merchant_uid and returns the imp_uid (caller frees). */
static char *charge(const char *customer_uid, const char *merchant_uid, long amount)
{
    struct http_client_response r;
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"%s\",\"amount\":%ld,"
                           "\"name\":\"월 구독\"}",
                           customer_uid, merchant_uid, amount);
    api("POST", "/subscribe/payments/again", body, &r);
    assert_ok(&r);
    char *imp_uid = xstrdup(resp_str(&r, "imp_uid"));
    free(body);
    http_client_response_release(&r);
    return imp_uid;
}

/* ledger.charges[merchant_uid].field, or -1 when the merchant_uid is not in the ledger. */
static double ledger_value(const char *merchant_uid, const char *field)
{
    cJSON *ledger = sandbox_ctl(&sb, "GET", "/__sandbox/ledger", NULL);
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(ledger, "charges"), merchant_uid);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, field);
    double out = cJSON_IsNumber(v) ? v->valuedouble : -1;
    cJSON_Delete(ledger);
    return out;
}

static double ledger_total_paid(void)
{
    cJSON *ledger = sandbox_ctl(&sb, "GET", "/__sandbox/ledger", NULL);
    double total = cJSON_GetObjectItemCaseSensitive(ledger, "total_paid")->valuedouble;
    cJSON_Delete(ledger);
    return total;
}

static int matches(const char *pattern, const char *s)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int ok = s && regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* ---- tokens ---- */

static char *get_token_json(const char *body, struct http_client_response *r)
{
    sandbox_call(&sb, "POST", "/users/getToken", body, r);
    return resp_str(r, "access_token") ? xstrdup(resp_str(r, "access_token")) : NULL;
}

#define GOOD_CREDS "{\"imp_key\":\"imp_sandbox_key\",\"imp_secret\":\"imp_sandbox_secret\"}"

START_TEST(token_same_until_expiry)
{
    struct http_client_response a, b;
    char *t1 = get_token_json(GOOD_CREDS, &a);
    char *t2 = get_token_json(GOOD_CREDS, &b);
    assert_ok(&a);
    ck_assert_str_eq(t1, token);
    ck_assert_str_eq(t1, t2);
    ck_assert(matches("^[0-9a-f]{40}$", t1));
    ck_assert_double_eq(resp_num(&a, "expired_at"), resp_num(&b, "expired_at"));
    ck_assert_double_eq(resp_num(&a, "expired_at") - resp_num(&a, "now"), 1800);
    cJSON *tokens = sandbox_ctl(&sb, "GET", "/__sandbox/tokens", NULL);
    ck_assert_int_eq(cJSON_GetObjectItem(tokens, "issued")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(tokens, "calls")->valueint, 3);
    cJSON_Delete(tokens);
    free(t1);
    free(t2);
    http_client_response_release(&a);
    http_client_response_release(&b);
}
END_TEST

START_TEST(token_form_body_accepted)
{
    struct http_client_response r;
    sandbox_call_auth(&sb, "POST", "/users/getToken", NULL, NULL,
                      "imp_key=imp_sandbox_key&imp_secret=imp_sandbox_secret", &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "access_token"), token);
    http_client_response_release(&r);
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 1);
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(second, "body"), "imp_secret")->valuestring,
        "[redacted]");
    cJSON_Delete(log);
}
END_TEST

START_TEST(token_bad_credentials)
{
    static const char *const bodies[] = {
        "{\"imp_key\":\"imp_sandbox_key\",\"imp_secret\":\"wrong\"}",
        "{\"imp_key\":\"other\",\"imp_secret\":\"imp_sandbox_secret\"}",
        "{\"imp_key\":\"IMP_SANDBOX_KEY\",\"imp_secret\":\"imp_sandbox_secret\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct http_client_response r;
        sandbox_call(&sb, "POST", "/users/getToken", bodies[i], &r);
        assert_error(&r, 401, -1, "imp_key, imp_secret 인증에 실패하였습니다.");
        http_client_response_release(&r);
    }
}
END_TEST

START_TEST(token_missing_fields)
{
    static const char *const bodies[] = {"{}",
                                         "{\"imp_key\":\"imp_sandbox_key\"}",
                                         "{\"imp_secret\":\"imp_sandbox_secret\"}",
                                         "{\"imp_key\":\"\",\"imp_secret\":\"imp_sandbox_secret\"}",
                                         "{\"imp_key\":null,\"imp_secret\":\"imp_sandbox_secret\"}",
                                         "{\"imp_key\":12,\"imp_secret\":\"imp_sandbox_secret\"}",
                                         NULL};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct http_client_response r;
        sandbox_call(&sb, "POST", "/users/getToken", bodies[i], &r);
        assert_error(&r, 401, -1, "imp_key, imp_secret 파라메터가 누락되었습니다.");
        http_client_response_release(&r);
    }
}
END_TEST

/* One authed lookup with exactly the given header; returns the HTTP status. */
static long lookup_with_header(const char *header)
{
    char *url = sandbox_url(&sb, "/payments/imp_000000000000");
    const char *headers[] = {header, NULL};
    struct http_client_request rq = {.url = url, .headers = headers};
    struct http_client_response r;
    http_client_do(&rq, &r);
    long status = r.status;
    if (status == 401)
        assert_error(&r, 401, -1, "Unauthorized");
    else
        assert_error(&r, 404, -1, "존재하지 않는 결제정보입니다.");
    http_client_response_release(&r);
    free(url);
    return status;
}

START_TEST(token_three_header_forms)
{
    char *bearer = xasprintf("Authorization: Bearer %s", token);
    char *raw = xasprintf("Authorization: %s", token);
    char *imp = xasprintf("X-ImpTokenHeader: %s", token);
    char *lower = xasprintf("authorization: bearer %s", token);
    ck_assert_int_eq(lookup_with_header(bearer), 404);
    ck_assert_int_eq(lookup_with_header(raw), 404);
    ck_assert_int_eq(lookup_with_header(imp), 404);
    ck_assert_int_eq(lookup_with_header(lower), 404);
    ck_assert_int_eq(lookup_with_header(NULL), 401);
    ck_assert_int_eq(lookup_with_header("Authorization: Bearer 0000"), 401);
    ck_assert_int_eq(lookup_with_header("Authorization: Basic abc"), 401);
    ck_assert_int_eq(lookup_with_header("X-ImpTokenHeader: "), 401);

    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *reqs = cJSON_GetObjectItem(log, "requests");
    /* [0] is the fixture's getToken */
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "auth")));
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 1), "auth")->valuestring,
                     "bearer");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 2), "auth")->valuestring,
                     "authorization");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 3), "auth")->valuestring,
                     "x-imptokenheader");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 5), "status")->valueint, 401);
    cJSON_Delete(log);
    free(bearer);
    free(raw);
    free(imp);
    free(lower);
}
END_TEST

START_TEST(token_expired_by_control)
{
    struct http_client_response r;
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/tokens/expire", NULL));
    api("GET", "/payments/imp_000000000000", NULL, &r);
    assert_error(&r, 401, -1, "Unauthorized");
    http_client_response_release(&r);

    char *fresh = get_token_json(GOOD_CREDS, &r);
    ck_assert_str_ne(fresh, token);
    http_client_response_release(&r);
    free(token);
    token = fresh;
    api("GET", "/payments/imp_000000000000", NULL, &r);
    assert_error(&r, 404, -1, "존재하지 않는 결제정보입니다.");
    http_client_response_release(&r);
}
END_TEST

START_TEST(token_expires_after_30_minutes)
{
    struct http_client_response r;
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":1790}"));
    api("GET", "/payments/imp_000000000000", NULL, &r);
    ck_assert_int_eq(r.status, 404); /* about ten seconds left */
    http_client_response_release(&r);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":10}"));
    api("GET", "/payments/imp_000000000000", NULL, &r);
    assert_error(&r, 401, -1, "Unauthorized");
    http_client_response_release(&r);
}
END_TEST

START_TEST(token_extended_in_last_minute)
{
    struct http_client_response a, b, c;
    char *t1 = get_token_json(GOOD_CREDS, &a);
    double expiry = resp_num(&a, "expired_at");

    /* 65 s before expiry (less if real seconds pass): no extension yet */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":1735}"));
    char *t2 = get_token_json(GOOD_CREDS, &b);
    ck_assert_str_eq(t2, t1);
    ck_assert_double_eq(resp_num(&b, "expired_at"), expiry);
    /* at most 50 s before expiry: +5 minutes, same token */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":15}"));
    char *t3 = get_token_json(GOOD_CREDS, &c);
    ck_assert_str_eq(t3, t1);
    ck_assert_double_eq(resp_num(&c, "expired_at"), expiry + 300);
    http_client_response_release(&c);

    /* still valid after the original expiry */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":120}"));
    api("GET", "/payments/imp_000000000000", NULL, &c);
    ck_assert_int_eq(c.status, 404);
    http_client_response_release(&c);
    /* after the extended expiry a new token is issued */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":300}"));
    char *t4 = get_token_json(GOOD_CREDS, &c);
    ck_assert_str_ne(t4, t1);
    cJSON *tokens = sandbox_ctl(&sb, "GET", "/__sandbox/tokens", NULL);
    ck_assert_int_eq(cJSON_GetObjectItem(tokens, "issued")->valueint, 2);
    cJSON_Delete(tokens);
    http_client_response_release(&a);
    http_client_response_release(&b);
    http_client_response_release(&c);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
}
END_TEST

START_TEST(token_ttl_configurable)
{
    struct http_client_response r;
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/config", "{\"token_ttl_seconds\":5}"));
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/tokens/expire", NULL));
    char *t = get_token_json(GOOD_CREDS, &r);
    ck_assert_double_eq(resp_num(&r, "expired_at") - resp_num(&r, "now"), 5);
    http_client_response_release(&r);
    free(t);
}
END_TEST

/* ---- error shapes, table-driven ---- */

/* c1 (kakaopay) with payments m_paid (paid 10000) and m_cancelled (fully cancelled), prepared
 * m_prep, and schedule m_sched one hour ahead. */
static void seed(void)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", "kakaopay");
    free(charge("c1", "m_paid", 10000));
    char *cancelled = charge("c1", "m_cancelled", 5000);
    char *body = xasprintf("{\"imp_uid\":\"%s\"}", cancelled);
    api("POST", "/payments/cancel", body, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    api("POST", "/payments/prepare", "{\"merchant_uid\":\"m_prep\",\"amount\":1000}", &r);
    assert_ok(&r);
    http_client_response_release(&r);
    cJSON *clock = sandbox_ctl(&sb, "GET", "/__sandbox/clock", NULL);
    long at = (long)cJSON_GetObjectItem(clock, "now")->valuedouble + 3600;
    cJSON_Delete(clock);
    char *sched = xasprintf("{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"m_sched\","
                            "\"schedule_at\":%ld,\"amount\":9900,\"name\":\"n\"}]}",
                            at);
    api("POST", "/subscribe/payments/schedule", sched, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    free(sched);
    free(body);
    free(cancelled);
}

struct error_case {
    const char *method;
    const char *path;
    const char *json; /* NULL: no body */
    long status;
    int code;
    const char *message;
};

#define DUP_ORDER                                                                                  \
    "이미 주문이 이루어진 건입니다. (동일한 merchant_uid로 결제 또는 취소된 기록이 있습니다)"
#define AMOUNT_MSG "amount 는 1 이상 1000000000000 이하의 정수여야 합니다."
#define AGAIN "/subscribe/payments/again"
#define SCHEDULE "/subscribe/payments/schedule"
#define M41 "m2345678901234567890123456789012345678901"
#define C81 "c2345678901234567890123456789012345678901234567890123456789012345678901234567890x"

static const struct error_case error_cases[] = {
    {"GET", "/payments/imp_999999999999", NULL, 404, -1, "존재하지 않는 결제정보입니다."},
    {"GET", "/payments/find/nope", NULL, 404, -1, "존재하지 않는 결제정보입니다."},
    {"GET", "/payments/find/m_paid/cancelled", NULL, 404, -1, "존재하지 않는 결제정보입니다."},
    {"GET", "/payments/find/m_paid/failed", NULL, 404, -1, "존재하지 않는 결제정보입니다."},
    {"GET", "/payments/find/m_paid/canceled", NULL, 400, -1, "지원되지 않는 상태값입니다."},
    {"GET", "/payments/find/m_paid/PAID", NULL, 400, -1, "지원되지 않는 상태값입니다."},
    {"POST", "/payments/cancel", "{\"imp_uid\":\"imp_999999999999\"}", 200, 1,
     "취소할 결제건이 존재하지 않습니다."},
    /* imp_uid wins: an unknown imp_uid fails even with a valid merchant_uid */
    {"POST", "/payments/cancel", "{\"imp_uid\":\"imp_999999999999\",\"merchant_uid\":\"m_paid\"}",
     200, 1, "취소할 결제건이 존재하지 않습니다."},
    {"POST", "/payments/cancel", "{\"merchant_uid\":\"nope\"}", 200, 1,
     "취소할 결제건이 존재하지 않습니다."},
    {"POST", "/payments/cancel", "{}", 200, 1, "취소할 결제건이 존재하지 않습니다."},
    {"POST", "/payments/cancel", "{\"merchant_uid\":\"m_cancelled\"}", 200, 1,
     "이미 전액취소된 주문입니다."},
    {"POST", "/payments/cancel", "{\"merchant_uid\":\"m_paid\",\"amount\":10001}", 200, 1,
     "취소 요청금액(10001)이 취소 가능금액(10000)을 초과합니다."},
    {"POST", "/payments/cancel", "{\"merchant_uid\":\"m_paid\",\"checksum\":9999}", 200, 1,
     "checksum 이 취소 가능금액과 일치하지 않습니다. (취소 가능금액: 10000)"},
    {"POST", "/payments/cancel", "{\"merchant_uid\":\"m_paid\",\"amount\":-1}", 200, 1,
     "amount 는 0 이상 1000000000000 이하의 정수여야 합니다."},
    {"POST", "/payments/prepare", "{\"merchant_uid\":\"m_prep\",\"amount\":1000}", 200, 1,
     "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."},
    {"POST", "/payments/prepare", "{\"amount\":1000}", 200, 1, "파라미터 누락: merchant_uid"},
    {"POST", "/payments/prepare", "{\"merchant_uid\":\"x\"}", 200, 1, "파라미터 누락: amount"},
    {"GET", "/payments/prepare/nope", NULL, 404, -1, "사전등록된 결제정보가 존재하지 않습니다."},
    {"PUT", "/payments/prepare", "{\"merchant_uid\":\"nope\",\"amount\":5}", 404, -1,
     "사전등록된 결제정보가 존재하지 않습니다."},
    {"POST", AGAIN, "{\"customer_uid\":\"nobody\",\"merchant_uid\":\"m1\",\"amount\":100}", 200, 1,
     "등록되지 않은 구매자입니다."},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m_paid\",\"amount\":100}", 200, 1,
     DUP_ORDER},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m_cancelled\",\"amount\":100}",
     200, 1, DUP_ORDER},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m_sched\",\"amount\":100}", 200, 1,
     DUP_ORDER},
    {"POST", AGAIN, "{\"merchant_uid\":\"m1\",\"amount\":100}", 200, 1,
     "파라미터 누락: customer_uid"},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"amount\":100}", 200, 1,
     "파라미터 누락: merchant_uid"},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"\",\"amount\":100}", 200, 1,
     "파라미터 누락: merchant_uid"},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\"}", 200, 1,
     "파라미터 누락: amount"},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":null}", 200, 1,
     "파라미터 누락: amount"},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"" M41 "\",\"amount\":100}", 200, 1,
     "merchant_uid 는 최대 40자까지 입력할 수 있습니다. (입력: 41자)"},
    {"POST", AGAIN, "{\"customer_uid\":\"" C81 "\",\"merchant_uid\":\"m1\",\"amount\":100}", 200, 1,
     "customer_uid 는 최대 80자까지 입력할 수 있습니다. (입력: 81자)"},
    {"POST", AGAIN,
     "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":100,\"name\":"
     "\"가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파\"}",
     200, 1, "name 는 최대 40자까지 입력할 수 있습니다. (입력: 41자)"},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":1.5}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":0}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":-100}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":\"100원\"}", 200,
     1, AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":\"1e3\"}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":true}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":1e13}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m1\",\"amount\":[100]}", 200, 1,
     AMOUNT_MSG},
    {"POST", AGAIN, "{\"customer_uid\":[\"c1\"],\"merchant_uid\":\"m1\",\"amount\":100}", 200, 1,
     "파라미터 형식 오류: customer_uid 는 제어문자가 없는 문자열이어야 합니다."},
    {"POST", AGAIN, "{\"customer_uid\":\"c\\u0001\",\"merchant_uid\":\"m1\",\"amount\":100}", 200,
     1, "파라미터 형식 오류: customer_uid 는 제어문자가 없는 문자열이어야 합니다."},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"nobody\",\"schedules\":[{\"merchant_uid\":\"s1\",\"schedule_at\":"
     "4102444800,\"amount\":100}]}",
     200, 1, "등록된 고객정보가 없습니다."},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"m_paid\",\"schedule_at\":"
     "4102444800,\"amount\":100}]}",
     200, 1, DUP_ORDER},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"m_sched\",\"schedule_at\":"
     "4102444800,\"amount\":100}]}",
     200, 1, DUP_ORDER},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\",\"schedule_at\":"
     "4102444800,\"amount\":100},{\"merchant_uid\":\"s1\",\"schedule_at\":4102444801,"
     "\"amount\":100}]}",
     200, 1, DUP_ORDER},
    {"POST", SCHEDULE, "{\"customer_uid\":\"c1\"}", 200, 1, "파라미터 누락: schedules"},
    {"POST", SCHEDULE, "{\"customer_uid\":\"c1\",\"schedules\":[]}", 200, 1,
     "파라미터 누락: schedules"},
    {"POST", SCHEDULE, "{\"customer_uid\":\"c1\",\"schedules\":{\"a\":1}}", 200, 1,
     "파라미터 누락: schedules"},
    {"POST", SCHEDULE, "{\"schedules\":[{\"merchant_uid\":\"s1\"}]}", 200, 1,
     "파라미터 누락: customer_uid"},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\",\"amount\":100}]}", 200, 1,
     "파라미터 누락: schedules[0][schedule_at]"},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\",\"schedule_at\":4102444800,"
     "\"amount\":100},{\"schedule_at\":4102444800,\"amount\":100}]}",
     200, 1, "파라미터 누락: schedules[1][merchant_uid]"},
    {"POST", SCHEDULE,
     "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\",\"schedule_at\":4102444800,"
     "\"amount\":0.5}]}",
     200, 1, "schedules[0][amount] 는 1 이상 1000000000000 이하의 정수여야 합니다."},
    {"POST", SCHEDULE, "{\"customer_uid\":\"c1\",\"schedules\":[\"s1\"]}", 200, 1,
     "schedules[0] 는 객체여야 합니다."},
    {"POST", "/subscribe/payments/unschedule", "{\"customer_uid\":\"nobody\"}", 200, 1,
     "취소할 예약결제 기록이 존재하지 않습니다."},
    {"POST", "/subscribe/payments/unschedule",
     "{\"customer_uid\":\"c1\",\"merchant_uid\":\"m_paid\"}", 200, 1,
     "취소할 예약결제 기록이 존재하지 않습니다."},
    {"POST", "/subscribe/payments/unschedule", "{}", 200, 1, "파라미터 누락: customer_uid"},
    {"GET", "/subscribe/payments/schedule/nope", NULL, 404, -1,
     "존재하지 않는 예약결제 정보입니다."},
    {"GET", "/subscribe/payments/schedule/customers/c1?to=2", NULL, 400, -1, "파라미터 누락: from"},
    {"GET", "/subscribe/payments/schedule/customers/c1?from=1", NULL, 400, -1, "파라미터 누락: to"},
    {"GET", "/subscribe/payments/schedule/customers/c1?from=1&to=2&schedule-status=done", NULL, 400,
     -1, "지원되지 않는 상태값입니다."},
    {"GET", "/subscribe/payments/schedule/customers/c1?from=x&to=2", NULL, 400, -1,
     "from 는 0 이상 253402300799 이하의 정수여야 합니다."},
    {"GET", "/subscribe/customers/nope", NULL, 404, -1,
     "요청하신 customer_uid(nope)로 등록된 정보를 찾을 수 없습니다."},
    {"DELETE", "/subscribe/customers/nope", NULL, 404, -1,
     "요청하신 customer_uid(nope)로 등록된 정보를 찾을 수 없습니다."},
    {"GET", "/nope", NULL, 404, -1, "요청하신 API를 찾을 수 없습니다: GET /nope"},
    {"GET", AGAIN, NULL, 405, -1, "Method Not Allowed: '/subscribe/payments/again' accepts POST"},
};

START_TEST(error_shapes)
{
    const struct error_case *c = &error_cases[_i];
    struct http_client_response r;
    seed();
    api(c->method, c->path, c->json, &r);
    ck_assert_msg(r.status == c->status, "%s %s %s: status %ld, want %ld: %s", c->method, c->path,
                  c->json ? c->json : "", r.status, c->status, r.body);
    assert_error(&r, c->status, c->code, c->message);
    http_client_response_release(&r);
}
END_TEST

/* Every authed route answers 401 code -1 "Unauthorized" without a token. */
static const char *const authed_routes[][2] = {
    {"GET", "/payments/imp_000000000000"},
    {"GET", "/payments/find/m1"},
    {"GET", "/payments/find/m1/paid"},
    {"POST", "/payments/cancel"},
    {"POST", "/payments/prepare"},
    {"PUT", "/payments/prepare"},
    {"GET", "/payments/prepare/m1"},
    {"POST", "/subscribe/payments/again"},
    {"POST", "/subscribe/payments/schedule"},
    {"POST", "/subscribe/payments/unschedule"},
    {"GET", "/subscribe/payments/schedule/m1"},
    {"GET", "/subscribe/payments/schedule/customers/c1?from=1&to=2"},
    {"GET", "/subscribe/customers/c1"},
    {"DELETE", "/subscribe/customers/c1"},
};

START_TEST(unauthorized_everywhere)
{
    struct http_client_response r;
    sandbox_call(&sb, authed_routes[_i][0], authed_routes[_i][1], "{}", &r);
    assert_error(&r, 401, -1, "Unauthorized");
    http_client_response_release(&r);
}
END_TEST

START_TEST(customer_not_found_200_config)
{
    struct http_client_response r;
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/config", "{\"customer_not_found\":\"200\"}"));
    api("GET", "/subscribe/customers/%EB%82%98", NULL, &r);
    assert_error(&r, 200, 1, "요청하신 customer_uid(나)로 등록된 정보를 찾을 수 없습니다.");
    http_client_response_release(&r);
    api("DELETE", "/subscribe/customers/x", NULL, &r);
    assert_error(&r, 200, 1, "요청하신 customer_uid(x)로 등록된 정보를 찾을 수 없습니다.");
    http_client_response_release(&r);
    /* reset restores the default 404 */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/reset", NULL));
    free(token);
    token = sandbox_token(&sb);
    api("GET", "/subscribe/customers/x", NULL, &r);
    assert_error(&r, 404, -1, "요청하신 customer_uid(x)로 등록된 정보를 찾을 수 없습니다.");
    http_client_response_release(&r);
}
END_TEST

START_TEST(malformed_bodies)
{
    static const char *const bodies[] = {"{", "[1]", "{\"a\":1}x", "{\"a\":1,\"a\":2}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct http_client_response r;
        api("POST", AGAIN, bodies[i], &r);
        ck_assert_int_eq(r.status, 400);
        ck_assert_int_eq(http_client_code(&r), -1);
        ck_assert_msg(strncmp(http_client_message(&r), "요청 본문을 해석할 수 없습니다: ",
                              strlen("요청 본문을 해석할 수 없습니다: ")) == 0,
                      "message: %s", http_client_message(&r));
        ck_assert(cJSON_IsNull(http_client_body_response(&r)));
        http_client_response_release(&r);
    }
    struct http_client_response r;
    sandbox_call_auth(&sb, "POST", AGAIN, token, NULL, "a[=1", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(http_client_code(&r), -1);
    http_client_response_release(&r);

    /* a media type that is neither JSON nor form */
    char *url = sandbox_url(&sb, AGAIN);
    char *auth = xasprintf("Authorization: %s", token);
    const char *headers[] = {auth, NULL};
    struct http_client_request rq = {.method = "POST",
                                     .url = url,
                                     .headers = headers,
                                     .content_type = "text/plain",
                                     .body = "customer_uid=c1"};
    http_client_do(&rq, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(http_client_code(&r), -1);
    http_client_response_release(&r);

    /* over 1 MiB */
    size_t big = 1024 * 1024 + 10;
    char *body = xmalloc(big + 1);
    memset(body, 'a', big);
    body[0] = '{';
    body[big] = '\0';
    struct http_client_request large = {
        .method = "POST", .url = url, .headers = headers, .body = body, .body_len = big};
    http_client_do(&large, &r);
    assert_error(&r, 413, -1, "요청 본문이 1048576바이트를 넘습니다.");
    http_client_response_release(&r);
    free(body);
    free(auth);
    free(url);
}
END_TEST

/* ---- again ---- */

static const char *const payment_fields[] = {"imp_uid",
                                             "merchant_uid",
                                             "pay_method",
                                             "channel",
                                             "pg_provider",
                                             "emb_pg_provider",
                                             "pg_tid",
                                             "pg_id",
                                             "escrow",
                                             "apply_num",
                                             "bank_code",
                                             "bank_name",
                                             "card_code",
                                             "card_name",
                                             "card_quota",
                                             "card_number",
                                             "card_type",
                                             "vbank_code",
                                             "vbank_name",
                                             "vbank_num",
                                             "vbank_holder",
                                             "vbank_date",
                                             "vbank_issued_at",
                                             "name",
                                             "amount",
                                             "cancel_amount",
                                             "currency",
                                             "buyer_name",
                                             "buyer_email",
                                             "buyer_tel",
                                             "buyer_addr",
                                             "buyer_postcode",
                                             "custom_data",
                                             "user_agent",
                                             "status",
                                             "started_at",
                                             "paid_at",
                                             "failed_at",
                                             "cancelled_at",
                                             "fail_reason",
                                             "cancel_reason",
                                             "receipt_url",
                                             "cancel_history",
                                             "cancel_receipt_urls",
                                             "cash_receipt_issued",
                                             "customer_uid",
                                             "customer_uid_usage",
                                             "sandbox",
                                             NULL};

static void assert_payment_shape(const cJSON *p)
{
    for (size_t i = 0; payment_fields[i]; i++)
        ck_assert_msg(cJSON_HasObjectItem(p, payment_fields[i]), "payment lacks '%s'",
                      payment_fields[i]);
    ck_assert(matches("^imp_[0-9]{12}$", cJSON_GetObjectItem(p, "imp_uid")->valuestring));
    ck_assert(cJSON_IsArray(cJSON_GetObjectItem(p, "cancel_history")));
    ck_assert(cJSON_IsBool(cJSON_GetObjectItem(p, "sandbox")));
    const cJSON *cd = cJSON_GetObjectItem(p, "custom_data");
    ck_assert(cJSON_IsString(cd) || cJSON_IsNull(cd));
    double amount = cJSON_GetObjectItem(p, "amount")->valuedouble;
    ck_assert_double_eq(amount, (double)(long long)amount);
}

START_TEST(again_approved)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", "kakaopay");
    api("POST", AGAIN,
        "{\"customer_uid\":\"c1\",\"merchant_uid\":\"order-1\",\"amount\":9900,\"name\":\"월 구독\","
        "\"buyer_name\":\"홍길동\",\"custom_data\":{\"plan\":\"basic\"}}",
        &r);
    assert_ok(&r);
    const cJSON *p = http_client_body_response(&r);
    assert_payment_shape(p);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    ck_assert_str_eq(resp_str(&r, "channel"), "api");
    ck_assert_str_eq(resp_str(&r, "customer_uid_usage"), "payment");
    ck_assert_str_eq(resp_str(&r, "customer_uid"), "c1");
    ck_assert_str_eq(resp_str(&r, "merchant_uid"), "order-1");
    ck_assert_str_eq(resp_str(&r, "pg_provider"), "kakaopay");
    ck_assert_str_eq(resp_str(&r, "buyer_name"), "홍길동");
    ck_assert_str_eq(resp_str(&r, "custom_data"), "{\"plan\":\"basic\"}");
    ck_assert_str_eq(resp_str(&r, "currency"), "KRW");
    ck_assert_double_eq(resp_num(&r, "amount"), 9900);
    ck_assert_double_eq(resp_num(&r, "cancel_amount"), 0);
    ck_assert(resp_num(&r, "paid_at") > 0);
    ck_assert_double_eq(resp_num(&r, "failed_at"), 0);
    ck_assert(cJSON_IsNull(resp_field(&r, "fail_reason")));
    ck_assert(cJSON_IsNull(resp_field(&r, "buyer_email")));
    ck_assert_double_eq(ledger_value("order-1", "count"), 1);
    ck_assert_double_eq(ledger_value("order-1", "amount"), 9900);
    ck_assert_double_eq(ledger_total_paid(), 9900);

    /* the same Payment through both lookups */
    char *path = xasprintf("/payments/%s", resp_str(&r, "imp_uid"));
    struct http_client_response g, f;
    api("GET", path, NULL, &g);
    api("GET", "/payments/find/order-1", NULL, &f);
    assert_ok(&g);
    assert_ok(&f);
    ck_assert(cJSON_Compare(http_client_body_response(&g), p, 1));
    ck_assert(cJSON_Compare(http_client_body_response(&f), p, 1));
    http_client_response_release(&g);
    api("GET", "/payments/find/order-1/paid", NULL, &g);
    ck_assert(cJSON_Compare(http_client_body_response(&g), p, 1));
    http_client_response_release(&g);
    http_client_response_release(&f);
    http_client_response_release(&r);
    free(path);
}
END_TEST

START_TEST(again_declined)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/decline",
                             "{\"customer_uid\":\"c1\",\"count\":1,\"reason\":\"잔액부족\"}"));
    api("POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"o1\",\"amount\":1000}", &r);
    assert_ok(&r); /* a decline is code 0 */
    assert_payment_shape(http_client_body_response(&r));
    ck_assert_str_eq(resp_str(&r, "status"), "failed");
    ck_assert_str_eq(resp_str(&r, "fail_reason"), "잔액부족");
    ck_assert(resp_num(&r, "failed_at") > 0);
    ck_assert_double_eq(resp_num(&r, "paid_at"), 0);
    ck_assert_double_eq(ledger_value("o1", "count"), 1);
    ck_assert_double_eq(ledger_total_paid(), 0);
    http_client_response_release(&r);

    /* the failed merchant_uid cannot be reused; the next charge (count was 1) is approved */
    api("POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"o1\",\"amount\":1000}", &r);
    assert_error(&r, 200, 1, DUP_ORDER);
    http_client_response_release(&r);
    ck_assert_double_eq(ledger_value("o1", "count"), 1); /* a refused duplicate is no charge */
    api("POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"o2\",\"amount\":1000}", &r);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    http_client_response_release(&r);
    api("GET", "/payments/find/o1/failed", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "merchant_uid"), "o1");
    http_client_response_release(&r);
}
END_TEST

struct race_arg {
    int code;
    char *imp_uid;
};

static void *race_again(void *arg)
{
    struct race_arg *a = arg;
    struct http_client_response r;
    api("POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"race\",\"amount\":700}", &r);
    a->code = http_client_code(&r);
    a->imp_uid = resp_str(&r, "imp_uid") ? xstrdup(resp_str(&r, "imp_uid")) : NULL;
    http_client_response_release(&r);
    return NULL;
}

START_TEST(again_concurrent_same_merchant_uid_charges_once)
{
    enum { THREADS = 16 };
    pthread_t threads[THREADS];
    struct race_arg args[THREADS];
    int approved = 0, refused = 0;
    sandbox_add_customer(&sb, "c1", NULL);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_again, &args[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        approved += args[i].code == 0;
        refused += args[i].code == 1;
        free(args[i].imp_uid);
    }
    ck_assert_int_eq(approved, 1);
    ck_assert_int_eq(refused, THREADS - 1);
    ck_assert_double_eq(ledger_value("race", "count"), 1);
    ck_assert_double_eq(ledger_total_paid(), 700);
}
END_TEST

START_TEST(again_form_equals_json)
{
    struct http_client_response j, f;
    sandbox_add_customer(&sb, "c1", NULL);
    api("POST", AGAIN,
        "{\"customer_uid\":\"c1\",\"merchant_uid\":\"j1\",\"amount\":1500,\"name\":\"이름 & 기호\","
        "\"extra\":{\"naverUseCfm\":\"20300101\"}}",
        &j);
    api_form(
        "POST", AGAIN,
        "customer_uid=c1&merchant_uid=f1&amount=1500&name=%EC%9D%B4%EB%A6%84+%26+%EA%B8%B0%ED%98%B8"
        "&extra%5BnaverUseCfm%5D=20300101",
        &f);
    assert_ok(&j);
    assert_ok(&f);
    ck_assert_str_eq(resp_str(&f, "name"), "이름 & 기호");
    ck_assert_double_eq(resp_num(&f, "amount"), 1500);
    static const char *const same[] = {"amount",       "name",       "status",
                                       "customer_uid", "channel",    "customer_uid_usage",
                                       "currency",     "pg_provider"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        ck_assert_msg(cJSON_Compare(resp_field(&j, same[i]), resp_field(&f, same[i]), 1),
                      "field %s differs", same[i]);
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *reqs = cJSON_GetObjectItem(log, "requests");
    const cJSON *form_body = cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 2), "body");
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(form_body, "extra"), "naverUseCfm")->valuestring,
        "20300101");
    cJSON_Delete(log);
    http_client_response_release(&j);
    http_client_response_release(&f);
}
END_TEST

START_TEST(request_log_redacts_secret)
{
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(first, "method")->valuestring, "POST");
    ck_assert_str_eq(cJSON_GetObjectItem(first, "path")->valuestring, "/users/getToken");
    ck_assert_int_eq(cJSON_GetObjectItem(first, "status")->valueint, 200);
    const cJSON *body = cJSON_GetObjectItem(first, "body");
    ck_assert_str_eq(cJSON_GetObjectItem(body, "imp_secret")->valuestring, "[redacted]");
    ck_assert_str_eq(cJSON_GetObjectItem(body, "imp_key")->valuestring, "imp_sandbox_key");
    char *text = cJSON_PrintUnformatted(log);
    ck_assert_ptr_null(strstr(text, "imp_sandbox_secret"));
    cJSON_free(text);
    cJSON_Delete(log);
    cJSON_Delete(sandbox_ctl(&sb, "DELETE", "/__sandbox/requests", NULL));
    log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(log, "requests")), 0);
    cJSON_Delete(log);
    char *sandbox_text = sandbox_log(&sb);
    ck_assert_ptr_null(strstr(sandbox_text, "imp_sandbox_secret"));
    free(sandbox_text);
}
END_TEST

/* ---- cancel ---- */

START_TEST(cancel_partial_then_full_then_twice)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    char *imp_uid = charge("c1", "o1", 10000);
    char *body = xasprintf("{\"imp_uid\":\"%s\",\"amount\":3000,\"reason\":\"부분환불\"}", imp_uid);
    api("POST", "/payments/cancel", body, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    ck_assert_double_eq(resp_num(&r, "cancel_amount"), 3000);
    ck_assert_int_eq(cJSON_GetArraySize(resp_field(&r, "cancel_history")), 1);
    const cJSON *h0 = cJSON_GetArrayItem(resp_field(&r, "cancel_history"), 0);
    ck_assert_double_eq(cJSON_GetObjectItem(h0, "amount")->valuedouble, 3000);
    ck_assert_str_eq(cJSON_GetObjectItem(h0, "reason")->valuestring, "부분환불");
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(h0, "pg_tid")));
    ck_assert(cJSON_IsString(cJSON_GetObjectItem(h0, "cancellation_id")));
    ck_assert(cJSON_GetObjectItem(h0, "cancelled_at")->valuedouble > 0);
    http_client_response_release(&r);

    /* the rest, by merchant_uid with a matching checksum, form-encoded */
    api_form("POST", "/payments/cancel", "merchant_uid=o1&checksum=7000", &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "status"), "cancelled");
    ck_assert_double_eq(resp_num(&r, "cancel_amount"), 10000);
    ck_assert(resp_num(&r, "cancelled_at") > 0);
    ck_assert_int_eq(cJSON_GetArraySize(resp_field(&r, "cancel_history")), 2);
    http_client_response_release(&r);

    api("POST", "/payments/cancel", body, &r);
    assert_error(&r, 200, 1, "이미 전액취소된 주문입니다.");
    http_client_response_release(&r);
    api("GET", "/payments/find/o1/cancelled", NULL, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    free(body);
    free(imp_uid);
}
END_TEST

START_TEST(cancel_failed_payment_refused)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/decline", "{\"customer_uid\":\"c1\"}"));
    api("POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"o1\",\"amount\":1000}", &r);
    http_client_response_release(&r);
    api("POST", "/payments/cancel", "{\"merchant_uid\":\"o1\"}", &r);
    assert_error(&r, 200, 1, "취소할 수 없는 결제건입니다. (결제상태: failed)");
    http_client_response_release(&r);
}
END_TEST

/* ---- prepare ---- */

START_TEST(prepare_roundtrip)
{
    struct http_client_response r;
    api_form("POST", "/payments/prepare", "merchant_uid=p1&amount=5000", &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "merchant_uid"), "p1");
    ck_assert_double_eq(resp_num(&r, "amount"), 5000);
    http_client_response_release(&r);
    api("PUT", "/payments/prepare", "{\"merchant_uid\":\"p1\",\"amount\":7000}", &r);
    assert_ok(&r);
    ck_assert_double_eq(resp_num(&r, "amount"), 7000);
    http_client_response_release(&r);
    api("GET", "/payments/prepare/p1", NULL, &r);
    assert_ok(&r);
    ck_assert_double_eq(resp_num(&r, "amount"), 7000);
    ck_assert(cJSON_IsNull(resp_field(&r, "currency")));
    http_client_response_release(&r);
}
END_TEST

/* ---- schedules ---- */

static long sandbox_now(void)
{
    cJSON *clock = sandbox_ctl(&sb, "GET", "/__sandbox/clock", NULL);
    long now = (long)cJSON_GetObjectItem(clock, "now")->valuedouble;
    cJSON_Delete(clock);
    return now;
}

static void schedule_two(long at)
{
    struct http_client_response r;
    char *body = xasprintf(
        "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\",\"schedule_at\":%ld,"
        "\"amount\":9900,\"name\":\"1월\",\"custom_data\":\"{\\\"n\\\":1}\"},"
        "{\"merchant_uid\":\"s2\",\"schedule_at\":%ld,\"amount\":9900,\"name\":\"2월\"}]}",
        at, at + 86400);
    api("POST", SCHEDULE, body, &r);
    assert_ok(&r);
    const cJSON *list = http_client_body_response(&r);
    ck_assert_int_eq(cJSON_GetArraySize(list), 2);
    const cJSON *s = cJSON_GetArrayItem(list, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "schedule_status")->valuestring, "scheduled");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(s, "imp_uid")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(s, "payment_status")));
    ck_assert_double_eq(cJSON_GetObjectItem(s, "schedule_at")->valuedouble, at);
    ck_assert_double_eq(cJSON_GetObjectItem(s, "executed_at")->valuedouble, 0);
    ck_assert_double_eq(cJSON_GetObjectItem(s, "revoked_at")->valuedouble, 0);
    ck_assert_double_eq(cJSON_GetObjectItem(s, "amount")->valuedouble, 9900);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "customer_uid")->valuestring, "c1");
    ck_assert_str_eq(cJSON_GetObjectItem(s, "custom_data")->valuestring, "{\"n\":1}");
    http_client_response_release(&r);
    free(body);
}

START_TEST(schedule_execute_paid_and_failed)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    long at = sandbox_now() + 3600;
    schedule_two(at);

    /* nothing is due yet */
    cJSON *ex = sandbox_ctl(&sb, "POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ex, "executed")), 0);
    cJSON_Delete(ex);
    ck_assert_double_eq(ledger_value("s1", "count"), -1);

    /* first due; the second is declined later */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":3600}"));
    free(token); /* an hour later the 30-minute token has expired */
    token = sandbox_token(&sb);
    ex = sandbox_ctl(&sb, "POST", "/__sandbox/schedules/execute", "{}");
    const cJSON *done = cJSON_GetObjectItem(ex, "executed");
    ck_assert_int_eq(cJSON_GetArraySize(done), 1);
    const cJSON *s = cJSON_GetArrayItem(done, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "merchant_uid")->valuestring, "s1");
    ck_assert_str_eq(cJSON_GetObjectItem(s, "schedule_status")->valuestring, "executed");
    ck_assert_str_eq(cJSON_GetObjectItem(s, "payment_status")->valuestring, "paid");
    ck_assert(cJSON_GetObjectItem(s, "executed_at")->valuedouble > 0);
    char *imp_uid = xstrdup(cJSON_GetObjectItem(s, "imp_uid")->valuestring);
    cJSON_Delete(ex);
    ck_assert_double_eq(ledger_value("s1", "count"), 1);
    ck_assert_double_eq(ledger_total_paid(), 9900);

    char *path = xasprintf("/payments/%s", imp_uid);
    api("GET", path, NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    ck_assert_str_eq(resp_str(&r, "customer_uid_usage"), "payment.scheduled");
    ck_assert_str_eq(resp_str(&r, "merchant_uid"), "s1");
    ck_assert_str_eq(resp_str(&r, "name"), "1월");
    ck_assert_str_eq(resp_str(&r, "custom_data"), "{\"n\":1}");
    http_client_response_release(&r);
    api("GET", "/subscribe/payments/schedule/s1", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "schedule_status"), "executed");
    ck_assert_str_eq(resp_str(&r, "imp_uid"), imp_uid);
    http_client_response_release(&r);

    /* executing again does not charge twice */
    ex = sandbox_ctl(&sb, "POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ex, "executed")), 0);
    cJSON_Delete(ex);
    ck_assert_double_eq(ledger_value("s1", "count"), 1);

    /* the second, declined, via "until" */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/decline",
                             "{\"customer_uid\":\"c1\",\"reason\":\"한도초과\"}"));
    char *until = xasprintf("{\"until\":%ld}", at + 86400);
    ex = sandbox_ctl(&sb, "POST", "/__sandbox/schedules/execute", until);
    s = cJSON_GetArrayItem(cJSON_GetObjectItem(ex, "executed"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "merchant_uid")->valuestring, "s2");
    ck_assert_str_eq(cJSON_GetObjectItem(s, "payment_status")->valuestring, "failed");
    ck_assert_str_eq(cJSON_GetObjectItem(s, "fail_reason")->valuestring, "한도초과");
    cJSON_Delete(ex);
    ck_assert_double_eq(ledger_value("s2", "count"), 1);
    ck_assert_double_eq(ledger_total_paid(), 9900);
    free(until);
    free(path);
    free(imp_uid);
}
END_TEST

START_TEST(schedule_form_brackets_equal_json)
{
    struct http_client_response j, f;
    sandbox_add_customer(&sb, "c1", NULL);
    long at = sandbox_now() + 600;
    char *json =
        xasprintf("{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"j1\","
                  "\"schedule_at\":%ld,\"amount\":100,\"name\":\"a b\","
                  "\"buyer_tel\":\"010-1234-5678\",\"extra\":{\"naverUseCfm\":\"20300101\"}}]}",
                  at);
    char *form = xasprintf("customer_uid=c1&schedules%%5B0%%5D%%5Bmerchant_uid%%5D=f1"
                           "&schedules[0][schedule_at]=%ld&schedules[0][amount]=100"
                           "&schedules[0][name]=a+b&schedules[0][buyer_tel]=010-1234-5678"
                           "&schedules[0][extra][naverUseCfm]=20300101",
                           at);
    api("POST", SCHEDULE, json, &j);
    api_form("POST", SCHEDULE, form, &f);
    assert_ok(&j);
    assert_ok(&f);
    cJSON *js = cJSON_Duplicate(cJSON_GetArrayItem(http_client_body_response(&j), 0), 1);
    cJSON *fs = cJSON_Duplicate(cJSON_GetArrayItem(http_client_body_response(&f), 0), 1);
    cJSON_ReplaceItemInObject(fs, "merchant_uid", cJSON_CreateString("j1"));
    ck_assert_msg(cJSON_Compare(js, fs, 1), "json %s vs form %s", j.body, f.body);
    ck_assert_str_eq(cJSON_GetObjectItem(fs, "buyer_tel")->valuestring, "010-1234-5678");
    cJSON_Delete(js);
    cJSON_Delete(fs);
    http_client_response_release(&j);
    http_client_response_release(&f);
    free(json);
    free(form);
}
END_TEST

START_TEST(schedule_in_the_past_refused)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    long now = sandbox_now();
    char *body = xasprintf("{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\","
                           "\"schedule_at\":%ld,\"amount\":100}]}",
                           now - 10);
    api("POST", SCHEDULE, body, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(http_client_code(&r), 1);
    ck_assert(
        matches("^schedules\\[0\\]\\[schedule_at\\] 은 현재 시각\\([0-9]+\\) 이후여야 합니다\\.$",
                http_client_message(&r)));
    http_client_response_release(&r);
    /* nothing was stored: s1 is still free */
    api("GET", "/subscribe/payments/schedule/s1", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    free(body);
}
END_TEST

START_TEST(unschedule_string_array_and_customer)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    long at = sandbox_now() + 3600;
    schedule_two(at);
    api("POST", "/subscribe/payments/unschedule",
        "{\"customer_uid\":\"c1\",\"merchant_uid\":\"s1\"}", &r);
    assert_ok(&r);
    const cJSON *s = cJSON_GetArrayItem(http_client_body_response(&r), 0);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 1);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "schedule_status")->valuestring, "revoked");
    ck_assert(cJSON_GetObjectItem(s, "revoked_at")->valuedouble > 0);
    http_client_response_release(&r);
    /* again: nothing left for s1 */
    api_form("POST", "/subscribe/payments/unschedule", "customer_uid=c1&merchant_uid[]=s1", &r);
    assert_error(&r, 200, 1, "취소할 예약결제 기록이 존재하지 않습니다.");
    http_client_response_release(&r);
    api_form("POST", "/subscribe/payments/unschedule",
             "customer_uid=c1&merchant_uid[0]=s1&merchant_uid[1]=s2", &r);
    assert_ok(&r);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 1);
    http_client_response_release(&r);
    /* revoked schedules are never executed */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":999999}"));
    cJSON *ex = sandbox_ctl(&sb, "POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ex, "executed")), 0);
    cJSON_Delete(ex);
}
END_TEST

START_TEST(unschedule_all_of_customer)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    schedule_two(sandbox_now() + 3600);
    api("POST", "/subscribe/payments/unschedule", "{\"customer_uid\":\"c1\"}", &r);
    assert_ok(&r);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 2);
    http_client_response_release(&r);
}
END_TEST

START_TEST(schedule_list_paged)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    long at = sandbox_now() + 3600;
    char *body = xstrdup("{\"customer_uid\":\"c1\",\"schedules\":[");
    for (int i = 0; i < 25; i++) {
        char *next =
            xasprintf("%s%s{\"merchant_uid\":\"s%02d\",\"schedule_at\":%ld,\"amount\":100}", body,
                      i ? "," : "", i, at + i);
        free(body);
        body = next;
    }
    char *full = xasprintf("%s]}", body);
    api("POST", SCHEDULE, full, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    api("POST", "/subscribe/payments/unschedule",
        "{\"customer_uid\":\"c1\",\"merchant_uid\":[\"s00\"]}", &r);
    assert_ok(&r);
    http_client_response_release(&r);

    char *q1 = xasprintf("/subscribe/payments/schedule/customers/c1?from=%ld&to=%ld", at, at + 100);
    api("GET", q1, NULL, &r);
    assert_ok(&r);
    ck_assert_double_eq(resp_num(&r, "total"), 25);
    ck_assert_double_eq(resp_num(&r, "previous"), 0);
    ck_assert_double_eq(resp_num(&r, "next"), 2);
    ck_assert_int_eq(cJSON_GetArraySize(resp_field(&r, "list")), 20);
    /* newest first */
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetArrayItem(resp_field(&r, "list"), 0), "merchant_uid")
            ->valuestring,
        "s24");
    http_client_response_release(&r);
    char *q2 = xasprintf("%s&page=2", q1);
    api("GET", q2, NULL, &r);
    ck_assert_double_eq(resp_num(&r, "previous"), 1);
    ck_assert_double_eq(resp_num(&r, "next"), 0);
    ck_assert_int_eq(cJSON_GetArraySize(resp_field(&r, "list")), 5);
    http_client_response_release(&r);
    char *q3 = xasprintf("%s&schedule-status=revoked", q1);
    api("GET", q3, NULL, &r);
    ck_assert_double_eq(resp_num(&r, "total"), 1);
    http_client_response_release(&r);
    /* `to` is exclusive */
    char *q4 = xasprintf("/subscribe/payments/schedule/customers/c1?from=%ld&to=%ld", at, at + 1);
    api("GET", q4, NULL, &r);
    ck_assert_double_eq(resp_num(&r, "total"), 1);
    http_client_response_release(&r);
    free(body);
    free(full);
    free(q1);
    free(q2);
    free(q3);
    free(q4);
}
END_TEST

START_TEST(escaped_path_ids)
{
    struct http_client_response r;
    cJSON_Delete(
        sandbox_ctl(&sb, "POST", "/__sandbox/customers", "{\"customer_uid\":\"a/b?c#d 한+\"}"));
    api("POST", AGAIN,
        "{\"customer_uid\":\"a/b?c#d 한+\",\"merchant_uid\":\"m/1?x#y 값+\",\"amount\":100}", &r);
    assert_ok(&r);
    http_client_response_release(&r);
    api("GET", "/payments/find/m%2F1%3Fx%23y%20%EA%B0%92+", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "merchant_uid"), "m/1?x#y 값+");
    http_client_response_release(&r);
    api("GET", "/payments/find/m%2F1%3Fx%23y%20%EA%B0%92+/paid", NULL, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    api("GET", "/subscribe/customers/a%2Fb%3Fc%23d%20%ED%95%9C%2B", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "customer_uid"), "a/b?c#d 한+");
    http_client_response_release(&r);
    /* the request log keeps the path as sent */
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *reqs = cJSON_GetObjectItem(log, "requests");
    const cJSON *last = cJSON_GetArrayItem(reqs, cJSON_GetArraySize(reqs) - 1);
    ck_assert_str_eq(cJSON_GetObjectItem(last, "path")->valuestring,
                     "/subscribe/customers/a%2Fb%3Fc%23d%20%ED%95%9C%2B");
    cJSON_Delete(log);
    api("GET", "/payments/find/a%00b", NULL, &r);
    assert_error(&r, 400, -1, "요청 경로를 해석할 수 없습니다: /payments/find/a%00b");
    http_client_response_release(&r);
}
END_TEST

/* ---- customers ---- */

START_TEST(customer_get_and_delete)
{
    struct http_client_response r;
    cJSON *c = sandbox_ctl(&sb, "POST", "/__sandbox/customers",
                           "{\"customer_uid\":\"고객 1\",\"pg_provider\":\"kicc.IMKICC001\","
                           "\"card_name\":\"국민카드\",\"card_number\":\"5409123456781234\"}");
    ck_assert_str_eq(cJSON_GetObjectItem(c, "pg_provider")->valuestring, "kicc");
    ck_assert_str_eq(cJSON_GetObjectItem(c, "pg_id")->valuestring, "IMKICC001");
    ck_assert_str_eq(cJSON_GetObjectItem(c, "card_number")->valuestring, "540912******1234");
    cJSON_Delete(c);
    api("GET", "/subscribe/customers/%EA%B3%A0%EA%B0%9D%201", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "customer_uid"), "고객 1");
    ck_assert_str_eq(resp_str(&r, "card_name"), "국민카드");
    ck_assert(resp_num(&r, "inserted") > 0);
    ck_assert(cJSON_IsFalse(resp_field(&r, "sandbox")));
    http_client_response_release(&r);
    api("DELETE", "/subscribe/customers/%EA%B3%A0%EA%B0%9D%201", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "customer_uid"), "고객 1");
    http_client_response_release(&r);
    api("GET", "/subscribe/customers/%EA%B3%A0%EA%B0%9D%201", NULL, &r);
    assert_error(&r, 404, -1, "요청하신 customer_uid(고객 1)로 등록된 정보를 찾을 수 없습니다.");
    http_client_response_release(&r);
    /* a deleted key cannot be charged */
    api("POST", AGAIN, "{\"customer_uid\":\"고객 1\",\"merchant_uid\":\"o1\",\"amount\":100}", &r);
    assert_error(&r, 200, 1, "등록되지 않은 구매자입니다.");
    http_client_response_release(&r);
}
END_TEST

/* ---- faults ---- */

static void add_fault(const char *json)
{
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/faults", json));
}

#define AGAIN_O1 "{\"customer_uid\":\"c1\",\"merchant_uid\":\"o1\",\"amount\":1000}"

START_TEST(fault_http500_before_processing)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    add_fault("{\"method\":\"POST\",\"path\":\"/subscribe/payments/again\",\"kind\":\"http500\"}");
    api("POST", AGAIN, AGAIN_O1, &r);
    assert_error(&r, 500, -1, "Internal Server Error (sandbox fault)");
    http_client_response_release(&r);
    ck_assert_double_eq(ledger_value("o1", "count"), -1); /* no charge happened */
    api("POST", AGAIN, AGAIN_O1, &r);                     /* count was 1: back to normal */
    assert_ok(&r);
    http_client_response_release(&r);
    ck_assert_double_eq(ledger_value("o1", "count"), 1);
}
END_TEST

START_TEST(fault_drop_before_processing)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    add_fault("{\"path\":\"/subscribe/payments/*\",\"kind\":\"drop\"}");
    api("POST", AGAIN, AGAIN_O1, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.curl_code, 52); /* CURLE_GOT_NOTHING */
    http_client_response_release(&r);
    ck_assert_double_eq(ledger_value("o1", "count"), -1);
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    const cJSON *last =
        cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"),
                           cJSON_GetArraySize(cJSON_GetObjectItem(log, "requests")) - 1);
    ck_assert_int_eq(cJSON_GetObjectItem(last, "status")->valueint, 0);
    cJSON_Delete(log);
}
END_TEST

START_TEST(fault_after_processing_charge_recorded)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    add_fault("{\"method\":\"POST\",\"path\":\"/subscribe/payments/again\",\"kind\":\"drop\","
              "\"after_processing\":true}");
    api("POST", AGAIN, AGAIN_O1, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.curl_code, 52);
    http_client_response_release(&r);
    /* the outcome is unknown to the client but the charge happened */
    ck_assert_double_eq(ledger_value("o1", "count"), 1);
    api("GET", "/payments/find/o1", NULL, &r);
    assert_ok(&r);
    ck_assert_str_eq(resp_str(&r, "status"), "paid");
    http_client_response_release(&r);
    /* a blind retry with the same merchant_uid is refused, not charged */
    api("POST", AGAIN, AGAIN_O1, &r);
    assert_error(&r, 200, 1, DUP_ORDER);
    http_client_response_release(&r);
    ck_assert_double_eq(ledger_value("o1", "count"), 1);
}
END_TEST

START_TEST(fault_after_processing_http500)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    add_fault(
        "{\"path\":\"/subscribe/payments/again\",\"kind\":\"http500\",\"after_processing\":true}");
    api("POST", AGAIN, AGAIN_O1, &r);
    assert_error(&r, 500, -1, "Internal Server Error (sandbox fault)");
    http_client_response_release(&r);
    ck_assert_double_eq(ledger_value("o1", "count"), 1);
}
END_TEST

START_TEST(fault_latency)
{
    struct http_client_response r;
    add_fault("{\"method\":\"GET\",\"path\":\"/payments/*\",\"kind\":\"latency\",\"delay_ms\":700,"
              "\"count\":2}");
    for (int i = 0; i < 3; i++) {
        api("GET", "/payments/imp_000000000000", NULL, &r);
        assert_error(&r, 404, -1, "존재하지 않는 결제정보입니다.");
        if (i < 2)
            ck_assert_msg(r.elapsed_ms >= 700, "call %d took %ld ms", i, r.elapsed_ms);
        else
            ck_assert_msg(r.elapsed_ms < 700, "call %d took %ld ms", i, r.elapsed_ms);
        http_client_response_release(&r);
    }
}
END_TEST

START_TEST(fault_hang_then_drop_and_client_timeout)
{
    struct http_client_response r;
    add_fault("{\"path\":\"/payments/imp_000000000000\",\"kind\":\"hang\",\"delay_ms\":400}");
    api("GET", "/payments/imp_000000000000", NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.curl_code, 52);
    ck_assert(r.elapsed_ms >= 400);
    http_client_response_release(&r);

    /* a long hang: the client gives up first; the sandbox still stops promptly */
    add_fault("{\"path\":\"/payments/imp_000000000000\",\"kind\":\"hang\"}");
    char *url = sandbox_url(&sb, "/payments/imp_000000000000");
    struct http_client_request rq = {.url = url, .timeout_ms = 300};
    http_client_do(&rq, &r);
    ck_assert_int_eq(r.curl_code, 28); /* CURLE_OPERATION_TIMEDOUT */
    http_client_response_release(&r);
    free(url);
}
END_TEST

START_TEST(fault_bad_json)
{
    struct http_client_response r;
    add_fault("{\"path\":\"/users/getToken\",\"kind\":\"bad_json\"}");
    sandbox_call(&sb, "POST", "/users/getToken", GOOD_CREDS, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(r.json);
    ck_assert_str_eq(r.content_type, "application/json");
    http_client_response_release(&r);
}
END_TEST

START_TEST(faults_listed_and_cleared)
{
    struct http_client_response r;
    add_fault("{\"path\":\"/payments/*\",\"kind\":\"http500\",\"count\":5}");
    cJSON *list = sandbox_ctl(&sb, "GET", "/__sandbox/faults", NULL);
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "faults"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(f, "kind")->valuestring, "http500");
    ck_assert_int_eq(cJSON_GetObjectItem(f, "count")->valueint, 5);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(f, "method")));
    cJSON_Delete(list);
    cJSON_Delete(sandbox_ctl(&sb, "DELETE", "/__sandbox/faults", NULL));
    api("GET", "/payments/imp_000000000000", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    /* control paths are never faulted, even by a catch-all */
    add_fault("{\"path\":\"/*\",\"kind\":\"drop\"}");
    cJSON_Delete(sandbox_ctl(&sb, "GET", "/__sandbox/ledger", NULL));
}
END_TEST

/* ---- control API validation ---- */

struct control_case {
    const char *method;
    const char *path;
    const char *json;
    long status;
    const char *error;
};

static const struct control_case control_cases[] = {
    {"POST", "/__sandbox/faults", "{\"path\":\"/x\",\"kind\":\"explode\"}", 400,
     "unknown fault kind 'explode' (latency, http500, drop, hang, bad_json)"},
    {"POST", "/__sandbox/faults", "{\"kind\":\"drop\"}", 400, "파라미터 누락: path"},
    {"POST", "/__sandbox/faults", "{\"path\":\"/__sandbox/ledger\",\"kind\":\"drop\"}", 400,
     "fault path '/__sandbox/ledger' must start with '/' and not be under /__sandbox/"},
    {"POST", "/__sandbox/faults", "{\"path\":\"/x\",\"kind\":\"drop\",\"count\":0}", 400,
     "count 는 1 이상 1000000 이하의 정수여야 합니다."},
    {"POST", "/__sandbox/config", "{\"issue_webhook_delay_ms\":-1}", 400,
     "issue_webhook_delay_ms must be an integer from 0 to 600000"},
    {"POST", "/__sandbox/config", "{\"issue_webhook_before_result\":\"yes\"}", 400,
     "issue_webhook_before_result must be true or false"},
    {"POST", "/__sandbox/config", "{\"issue_ready_without_key\":1}", 400,
     "issue_ready_without_key must be true or false"},
    {"POST", "/__sandbox/config", "{\"customer_not_found\":\"500\"}", 400,
     "customer_not_found must be \"404\" or \"200\""},
    {"POST", "/__sandbox/config", "{\"webhook_format\":\"xml\"}", 400,
     "webhook_format must be \"json\" or \"form\""},
    {"POST", "/__sandbox/config", "{\"issue_status\":{\"kakaopay\":\"done\"}}", 400,
     "issue_status['kakaopay'] must be \"paid\", \"ready\" or \"failed\""},
    {"POST", "/__sandbox/config", "{\"token_ttl_seconds\":0}", 400,
     "token_ttl_seconds must be an integer from 1 to 31536000"},
    {"POST", "/__sandbox/config", "{\"colour\":\"red\"}", 400, "unknown config key 'colour'"},
    {"POST", "/__sandbox/customers", "{}", 400, "파라미터 누락: customer_uid"},
    {"POST", "/__sandbox/decline", "{\"customer_uid\":\"c1\",\"count\":-1}", 400,
     "count 는 0 이상 1000000 이하의 정수여야 합니다."},
    {"POST", "/__sandbox/clock", "{}", 400, "파라미터 누락: advance_seconds"},
    {"POST", "/__sandbox/webhooks/send", "{\"imp_uid\":\"imp_1\"}", 404,
     "payment 'imp_1' not found"},
    {"POST", "/__sandbox/cancel", "{\"imp_uid\":\"imp_1\"}", 404, "payment 'imp_1' not found"},
    {"GET", "/__sandbox/payments/imp_1", NULL, 404, "payment 'imp_1' not found"},
    {"GET", "/__sandbox/nothing", NULL, 404, "no control endpoint 'GET /__sandbox/nothing'"},
    {"GET", "/__sandbox/reset", NULL, 405, "'/__sandbox/reset' accepts POST"},
    {"POST", "/__sandbox/reset", "{", 400, NULL},
};

START_TEST(control_errors)
{
    const struct control_case *c = &control_cases[_i];
    struct http_client_response r;
    sandbox_call(&sb, c->method, c->path, c->json, &r);
    ck_assert_msg(r.status == c->status, "%s %s: %ld %s", c->method, c->path, r.status, r.body);
    const cJSON *err = cJSON_GetObjectItem(r.json, "error");
    ck_assert(cJSON_IsString(err));
    if (c->error)
        ck_assert_str_eq(err->valuestring, c->error);
    http_client_response_release(&r);
}
END_TEST

START_TEST(reset_forgets_everything)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    free(charge("c1", "o1", 100));
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":100}"));
    add_fault("{\"path\":\"/x\",\"kind\":\"drop\"}");
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/reset", NULL));
    cJSON *clock = sandbox_ctl(&sb, "GET", "/__sandbox/clock", NULL);
    ck_assert_double_eq(cJSON_GetObjectItem(clock, "offset")->valuedouble, 0);
    cJSON_Delete(clock);
    ck_assert_double_eq(ledger_value("o1", "count"), -1);
    cJSON *faults = sandbox_ctl(&sb, "GET", "/__sandbox/faults", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(faults, "faults")), 0);
    cJSON_Delete(faults);
    api("GET", "/payments/find/o1", NULL, &r); /* the old token is gone too */
    assert_error(&r, 401, -1, "Unauthorized");
    http_client_response_release(&r);
    cJSON *tokens = sandbox_ctl(&sb, "GET", "/__sandbox/tokens", NULL);
    ck_assert_int_eq(cJSON_GetObjectItem(tokens, "issued")->valueint, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(tokens, "calls")->valueint, 0);
    cJSON_Delete(tokens);
}
END_TEST

/* ---- webhooks (the sandbox's own request log is the receiver: POST /hook is logged) ---- */

/* Waits until `count` deliveries are logged and none is pending; returns the log (caller deletes).
 */
static cJSON *wait_webhooks(int count)
{
    for (int i = 0; i < 500; i++) {
        cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/webhooks", NULL);
        if (cJSON_GetArraySize(cJSON_GetObjectItem(log, "webhooks")) >= count &&
            cJSON_GetObjectItem(log, "pending")->valueint == 0)
            return log;
        cJSON_Delete(log);
        usleep(10000);
    }
    ck_abort_msg("%d webhook deliveries did not happen within 5 s", count);
    return NULL;
}

/* Bodies of the requests the sandbox received on `path`, in order (new array, caller deletes). */
static cJSON *received(const char *path)
{
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach (e, cJSON_GetObjectItem(log, "requests")) {
        if (strcmp(cJSON_GetObjectItem(e, "path")->valuestring, path) == 0)
            cJSON_AddItemToArray(out, cJSON_Duplicate(cJSON_GetObjectItem(e, "body"), 1));
    }
    cJSON_Delete(log);
    return out;
}

static void set_hook(const char *path, const char *format)
{
    char *body = xasprintf("{\"webhook_url\":\"%s%s\",\"webhook_format\":\"%s\"}", sb.base_url,
                           path, format);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/config", body));
    free(body);
}

static void assert_hook(const cJSON *body, const char *imp_uid, const char *merchant_uid,
                        const char *status)
{
    ck_assert_str_eq(cJSON_GetObjectItem(body, "imp_uid")->valuestring, imp_uid);
    ck_assert_str_eq(cJSON_GetObjectItem(body, "merchant_uid")->valuestring, merchant_uid);
    ck_assert_str_eq(cJSON_GetObjectItem(body, "status")->valuestring, status);
}

START_TEST(webhook_on_again_paid_not_on_decline_or_api_cancel)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    set_hook("/hook", "json");
    char *paid = charge("c1", "o1", 1000);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/decline", "{\"customer_uid\":\"c1\"}"));
    api("POST", AGAIN, "{\"customer_uid\":\"c1\",\"merchant_uid\":\"o2\",\"amount\":1000}", &r);
    http_client_response_release(&r);
    char *cancel = xasprintf("{\"imp_uid\":\"%s\",\"amount\":100}", paid);
    api("POST", "/payments/cancel", cancel, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    cJSON_Delete(wait_webhooks(1));
    usleep(200000); /* give a wrongly queued second webhook the chance to show up */
    cJSON *hooks = received("/hook");
    ck_assert_int_eq(cJSON_GetArraySize(hooks), 1);
    assert_hook(cJSON_GetArrayItem(hooks, 0), paid, "o1", "paid");
    cJSON_Delete(hooks);
    cJSON *log = wait_webhooks(1);
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "webhooks"), 0);
    ck_assert_int_eq(cJSON_GetObjectItem(d, "http_status")->valueint, 404); /* our sink is a 404 */
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "error")));
    ck_assert_str_eq(cJSON_GetObjectItem(d, "format")->valuestring, "json");
    cJSON_Delete(log);
    free(cancel);
    free(paid);
}
END_TEST

START_TEST(webhook_on_api_cancel_with_enable_webhook_and_console_cancel)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    char *a = charge("c1", "o1", 1000);
    char *b = charge("c1", "o2", 1000);
    set_hook("/hook", "form");
    char *cancel = xasprintf("{\"imp_uid\":\"%s\",\"enable_webhook\":true}", a);
    api("POST", "/payments/cancel", cancel, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    char *console = xasprintf("{\"imp_uid\":\"%s\"}", b);
    cJSON *p = sandbox_ctl(&sb, "POST", "/__sandbox/cancel", console);
    ck_assert_str_eq(cJSON_GetObjectItem(p, "status")->valuestring, "cancelled");
    cJSON_Delete(p);
    cJSON_Delete(wait_webhooks(2));
    cJSON *hooks = received("/hook");
    ck_assert_int_eq(cJSON_GetArraySize(hooks), 2);
    /* deliveries run in parallel threads: find each by imp_uid */
    int seen = 0;
    const cJSON *h;
    cJSON_ArrayForEach (h, hooks) {
        const char *imp = cJSON_GetObjectItem(h, "imp_uid")->valuestring;
        assert_hook(h, imp, strcmp(imp, a) == 0 ? "o1" : "o2", "cancelled");
        ck_assert(cJSON_IsString(cJSON_GetObjectItem(h, "cancellation_id")));
        seen |= strcmp(imp, a) == 0 ? 1 : 2;
    }
    ck_assert_int_eq(seen, 3);
    cJSON_Delete(hooks);
    free(a);
    free(b);
    free(cancel);
    free(console);
}
END_TEST

START_TEST(webhook_on_schedule_execution_to_notice_url)
{
    struct http_client_response r;
    sandbox_add_customer(&sb, "c1", NULL);
    set_hook("/hook", "json");
    long at = sandbox_now() + 60;
    char *body = xasprintf("{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"s1\","
                           "\"schedule_at\":%ld,\"amount\":500,\"notice_url\":\"%s/notice\"},"
                           "{\"merchant_uid\":\"s2\",\"schedule_at\":%ld,\"amount\":500}]}",
                           at, sb.base_url, at);
    api("POST", SCHEDULE, body, &r);
    assert_ok(&r);
    http_client_response_release(&r);
    cJSON_Delete(
        sandbox_ctl(&sb, "POST", "/__sandbox/decline", "{\"customer_uid\":\"c1\",\"count\":2}"));
    char *until = xasprintf("{\"until\":%ld}", at);
    cJSON *ex = sandbox_ctl(&sb, "POST", "/__sandbox/schedules/execute", until);
    const cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItem(ex, "executed"), 0);
    char *imp1 = xstrdup(cJSON_GetObjectItem(s1, "imp_uid")->valuestring);
    cJSON_Delete(ex);
    cJSON_Delete(wait_webhooks(2));
    cJSON *notice = received("/notice");
    cJSON *hook = received("/hook");
    ck_assert_int_eq(cJSON_GetArraySize(notice), 1);
    ck_assert_int_eq(cJSON_GetArraySize(hook), 1);
    assert_hook(cJSON_GetArrayItem(notice, 0), imp1, "s1", "failed"); /* failed runs notify too */
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(hook, 0), "merchant_uid")->valuestring,
                     "s2");
    cJSON_Delete(notice);
    cJSON_Delete(hook);
    free(imp1);
    free(until);
    free(body);
}
END_TEST

START_TEST(webhook_send_times_delay_and_refusal)
{
    sandbox_add_customer(&sb, "c1", NULL);
    char *imp = charge("c1", "o1", 1000); /* no URL configured: no webhook */
    char *send =
        xasprintf("{\"imp_uid\":\"%s\",\"times\":3,\"delay_ms\":300,\"url\":\"%s/again-hook\"}",
                  imp, sb.base_url);
    cJSON *q = sandbox_ctl(&sb, "POST", "/__sandbox/webhooks/send", send);
    ck_assert_int_eq(cJSON_GetObjectItem(q, "queued")->valueint, 3);
    cJSON_Delete(q);
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/webhooks", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(log, "webhooks")), 0); /* delayed */
    ck_assert_int_eq(cJSON_GetObjectItem(log, "pending")->valueint, 3);
    cJSON_Delete(log);
    cJSON_Delete(wait_webhooks(3));
    cJSON *got = received("/again-hook");
    ck_assert_int_eq(cJSON_GetArraySize(got), 3);
    assert_hook(cJSON_GetArrayItem(got, 2), imp, "o1", "paid");
    cJSON_Delete(got);

    /* non-loopback targets are refused and logged, never contacted */
    cJSON_Delete(sandbox_ctl(&sb, "DELETE", "/__sandbox/webhooks", NULL));
    char *remote = xasprintf("{\"imp_uid\":\"%s\",\"url\":\"http://192.0.2.1/hook\"}", imp);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/webhooks/send", remote));
    log = wait_webhooks(1);
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "webhooks"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "error")->valuestring,
                     "refused: webhook url is not a loopback http(s) url");
    ck_assert_int_eq(cJSON_GetObjectItem(d, "http_status")->valueint, 0);
    cJSON_Delete(log);
    /* no URL anywhere: a clear error */
    struct http_client_response r;
    char *none = xasprintf("{\"imp_uid\":\"%s\"}", imp);
    sandbox_call(&sb, "POST", "/__sandbox/webhooks/send", none, &r);
    ck_assert_int_eq(r.status, 400);
    http_client_response_release(&r);
    free(none);
    free(remote);
    free(send);
    free(imp);
}
END_TEST

/* ---- checkout window (HTTP level: what the browser would request) ---- */

/* Decodes the HTML escapes sb_html_escape produces; returns a new string. */
static char *html_unescape(const char *s, size_t len)
{
    static const char *const from[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    static const char to[] = {'&', '<', '>', '"', '\''};
    char *out = xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        while (k < 5 && strncmp(s + i, from[k], strlen(from[k])) != 0)
            k++;
        if (k < 5) {
            out[n++] = to[k];
            i += strlen(from[k]);
        } else {
            out[n++] = s[i++];
        }
    }
    out[n] = '\0';
    return out;
}

/* The text between `start` and the next `end` in html, HTML-unescaped; NULL when absent. */
static char *between(const char *html, const char *start, const char *end)
{
    const char *a = strstr(html, start);
    if (!a)
        return NULL;
    a += strlen(start);
    const char *b = strstr(a, end);
    return b ? html_unescape(a, (size_t)(b - a)) : NULL;
}

/* GET /__sandbox/window for params (JSON) with mobile flag; fills *r. */
static void open_window(const char *params_json, int mobile, struct http_client_response *r)
{
    char *esc = curl_easy_escape(NULL, params_json, 0);
    char *path = xasprintf("/__sandbox/window?params=%s&mobile=%d"
                           "&origin=http%%3A%%2F%%2Flocalhost%%3A8080&code=imp00000000",
                           esc, mobile);
    sandbox_call(&sb, "GET", path, NULL, r);
    curl_free(esc);
    free(path);
}

/* Submits the window's approve or decline form exactly as the page carries it. */
static void press(const struct http_client_response *window, const char *button,
                  struct http_client_response *r)
{
    char *params = between(window->body, "name=\"params\" value=\"", "\"");
    char *mobile = between(window->body, "name=\"mobile\" value=\"", "\"");
    char *origin = between(window->body, "name=\"origin\" value=\"", "\"");
    ck_assert_msg(params && mobile && origin, "no form in: %s", window->body);
    ck_assert_msg(strstr(window->body, strcmp(button, "approve") == 0 ? "id=\"approve\""
                                                                      : "id=\"decline\"") != NULL,
                  "no #%s button", button);
    char *p = curl_easy_escape(NULL, params, 0);
    char *o = curl_easy_escape(NULL, origin, 0);
    char *body = xasprintf("params=%s&mobile=%s&origin=%s&code=imp00000000", p, mobile, o);
    char *path = xasprintf("/__sandbox/window/%s", button);
    sandbox_call_auth(&sb, "POST", path, NULL, NULL, body, r);
    curl_free(p);
    curl_free(o);
    free(params);
    free(mobile);
    free(origin);
    free(body);
    free(path);
}

/* The rsp object of a result page (caller deletes). */
static cJSON *result_rsp(const struct http_client_response *r)
{
    ck_assert_msg(r->status == 200 && strstr(r->body, "id=\"imp-result\""),
                  "not a result page: %ld %s", r->status, r->body);
    ck_assert_str_eq(r->content_type, "text/html; charset=utf-8");
    char *text = between(r->body, "<pre id=\"rsp\">", "</pre>");
    cJSON *rsp = cJSON_Parse(text);
    ck_assert_ptr_nonnull(rsp);
    char *attr = between(r->body, "data-rsp=\"", "\"");
    cJSON *from_attr = cJSON_Parse(attr);
    ck_assert(cJSON_Compare(rsp, from_attr, 1)); /* what window.js posts */
    cJSON_Delete(from_attr);
    free(attr);
    free(text);
    return rsp;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Opens the window and presses a button; returns the final response in *r. */
static void checkout(const char *params_json, int mobile, const char *button,
                     struct http_client_response *r)
{
    struct http_client_response w;
    open_window(params_json, mobile, &w);
    ck_assert_msg(w.status == 200 && strstr(w.body, "id=\"pg-window\""), "window: %ld %s", w.status,
                  w.body);
    press(&w, button, r);
    http_client_response_release(&w);
}

static long customer_status(const char *uid)
{
    struct http_client_response r;
    char *path = xasprintf("/subscribe/customers/%s", uid);
    long status = api("GET", path, NULL, &r);
    http_client_response_release(&r);
    free(path);
    return status;
}

/* The issuance webhook's timing against the window's answer: before it (the window waits for
 * the delivery), or late (delayed past it). */
START_TEST(checkout_webhook_timing)
{
    struct http_client_response r;
    set_hook("/hook-before", "json");
    cJSON_Delete(
        sandbox_ctl(&sb, "POST", "/__sandbox/config", "{\"issue_webhook_before_result\":true}"));
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"wt1\",\"merchant_uid\":\"wt-m1\","
             "\"amount\":0,\"name\":\"x\"}",
             0, "approve", &r);
    cJSON *rsp = result_rsp(&r);
    http_client_response_release(&r);
    /* the answer came only after the webhook was delivered */
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/webhooks", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(log, "webhooks")), 1);
    ck_assert_int_eq(cJSON_GetObjectItem(log, "pending")->valueint, 0);
    cJSON_Delete(log);
    cJSON *hooks = received("/hook-before");
    ck_assert_int_eq(cJSON_GetArraySize(hooks), 1);
    assert_hook(cJSON_GetArrayItem(hooks, 0), jstr(rsp, "imp_uid"), "wt-m1", "paid");
    cJSON_Delete(hooks);
    cJSON_Delete(rsp);

    set_hook("/hook-late", "json");
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/config",
                             "{\"issue_webhook_before_result\":false,"
                             "\"issue_webhook_delay_ms\":1500}"));
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"wt2\",\"merchant_uid\":\"wt-m2\","
             "\"amount\":0,\"name\":\"x\"}",
             0, "approve", &r);
    rsp = result_rsp(&r);
    http_client_response_release(&r);
    /* the answer is out, the webhook is still waiting */
    log = sandbox_ctl(&sb, "GET", "/__sandbox/webhooks", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(log, "webhooks")), 1);
    ck_assert_int_eq(cJSON_GetObjectItem(log, "pending")->valueint, 1);
    cJSON_Delete(log);
    hooks = received("/hook-late");
    ck_assert_int_eq(cJSON_GetArraySize(hooks), 0);
    cJSON_Delete(hooks);
    cJSON_Delete(wait_webhooks(2));
    hooks = received("/hook-late");
    ck_assert_int_eq(cJSON_GetArraySize(hooks), 1);
    assert_hook(cJSON_GetArrayItem(hooks, 0), jstr(rsp, "imp_uid"), "wt-m2", "paid");
    cJSON_Delete(hooks);
    cJSON_Delete(rsp);
}
END_TEST

START_TEST(checkout_kakaopay_key_only)
{
    struct http_client_response r;
    set_hook("/hook", "json");
    checkout("{\"pg\":\"kakaopay.TCSUBSCRIP\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\","
             "\"amount\":0,\"name\":\"최초인증결제\",\"buyer_name\":\"홍길동\","
             "\"custom_data\":{\"plan\":\"pro\"}}",
             0, "approve", &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "merchant_uid"), "iss1");
    ck_assert_str_eq(jstr(rsp, "status"), "paid");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(rsp, "error_msg")));
    ck_assert(matches("^imp_[0-9]{12}$", jstr(rsp, "imp_uid")));
    ck_assert_str_eq(jstr(rsp, "custom_data"), "{\"plan\":\"pro\"}");
    ck_assert_int_eq(customer_status("cu1"), 200);

    struct http_client_response p;
    char *path = xasprintf("/payments/%s", jstr(rsp, "imp_uid"));
    api("GET", path, NULL, &p);
    assert_ok(&p);
    assert_payment_shape(http_client_body_response(&p));
    ck_assert_str_eq(resp_str(&p, "customer_uid_usage"), "issue");
    ck_assert_str_eq(resp_str(&p, "customer_uid"), "cu1");
    ck_assert_str_eq(resp_str(&p, "pg_provider"), "kakaopay");
    ck_assert_str_eq(resp_str(&p, "pg_id"), "TCSUBSCRIP");
    ck_assert_str_eq(resp_str(&p, "channel"), "pc");
    ck_assert_str_eq(resp_str(&p, "status"), "paid");
    ck_assert_double_eq(resp_num(&p, "amount"), 0);
    ck_assert_double_eq(ledger_value("iss1", "count"), -1); /* no charge */
    cJSON_Delete(wait_webhooks(1));
    cJSON *hooks = received("/hook");
    assert_hook(cJSON_GetArrayItem(hooks, 0), jstr(rsp, "imp_uid"), "iss1", "paid");
    cJSON_Delete(hooks);
    /* the key is charged with again */
    free(charge("cu1", "after1", 5000));
    http_client_response_release(&p);
    http_client_response_release(&r);
    cJSON_Delete(rsp);
    free(path);
}
END_TEST

START_TEST(checkout_kakaopay_first_charge)
{
    struct http_client_response r;
    checkout("{\"pg\":\"kakaopay\",\"pay_method\":\"card\",\"customer_uid\":\"cu1\","
             "\"merchant_uid\":\"iss1\",\"amount\":1004}",
             0, "approve", &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_double_eq(cJSON_GetObjectItem(rsp, "paid_amount")->valuedouble, 1004);
    ck_assert_double_eq(ledger_value("iss1", "count"), 1);
    ck_assert_double_eq(ledger_value("iss1", "amount"), 1004);
    ck_assert_double_eq(ledger_total_paid(), 1004);
    cJSON_Delete(rsp);
    http_client_response_release(&r);

    /* a queued decline makes the first charge fail: no key */
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/decline",
                             "{\"customer_uid\":\"cu2\",\"reason\":\"한도초과\"}"));
    checkout(
        "{\"pg\":\"kakaopay\",\"customer_uid\":\"cu2\",\"merchant_uid\":\"iss2\",\"amount\":1004}",
        0, "approve", &r);
    rsp = result_rsp(&r);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "error_code"), "SANDBOX_CARD_DECLINED");
    ck_assert_str_eq(jstr(rsp, "error_msg"), "한도초과");
    ck_assert_int_eq(customer_status("cu2"), 404);
    ck_assert_double_eq(ledger_value("iss2", "count"), 1);
    cJSON_Delete(rsp);
    http_client_response_release(&r);
}
END_TEST

START_TEST(checkout_display_only_amounts)
{
    static const char *const cases[] = {
        "{\"pg\":\"payco\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":9900}",
        "{\"pg\":\"kicc.IMKICC\",\"pay_method\":\"card\",\"customer_uid\":\"cu2\","
        "\"merchant_uid\":\"iss2\",\"amount\":9900}",
        "{\"pg\":\"naverpay\",\"customer_uid\":\"cu3\",\"merchant_uid\":\"iss3\",\"amount\":9900,"
        "\"buyer_tel\":\"010-1234-5678\",\"naverPopupMode\":true}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_client_response w, r;
        open_window(cases[i], 0, &w);
        ck_assert_ptr_nonnull(strstr(w.body, "(표시용: 승인되지 않습니다)"));
        ck_assert_ptr_nonnull(strstr(w.body, "data-mode=\"callback\""));
        ck_assert_ptr_nonnull(strstr(w.body, "<span id=\"amount\">9900</span>"));
        press(&w, "approve", &r);
        cJSON *rsp = result_rsp(&r);
        ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
        ck_assert_double_eq(cJSON_GetObjectItem(rsp, "paid_amount")->valuedouble, 9900);
        cJSON_Delete(rsp);
        http_client_response_release(&w);
        http_client_response_release(&r);
    }
    ck_assert_double_eq(ledger_total_paid(), 0);
    ck_assert_double_eq(ledger_value("iss1", "count"), -1);
    ck_assert_int_eq(customer_status("cu1"), 200);
    ck_assert_int_eq(customer_status("cu2"), 200);
    ck_assert_int_eq(customer_status("cu3"), 200);
}
END_TEST

START_TEST(checkout_issue_status_config)
{
    struct http_client_response r;
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"kakaopay\":\"ready\",\"payco\":\"failed\"}}"));
    checkout(
        "{\"pg\":\"kakaopay\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":0}", 0,
        "approve", &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "status"), "ready");
    ck_assert_int_eq(customer_status("cu1"), 200);
    cJSON_Delete(rsp);
    http_client_response_release(&r);
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"cu2\",\"merchant_uid\":\"iss2\",\"amount\":0}",
             0, "approve", &r);
    rsp = result_rsp(&r);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "error_code"), "SANDBOX_ISSUE_FAILED");
    ck_assert_int_eq(customer_status("cu2"), 404);
    cJSON_Delete(rsp);
    http_client_response_release(&r);
}
END_TEST

/* issue_ready_without_key: a "ready" window stores no key (the buyer left before authorising);
 * the payment stays "ready" and the window answers like a closed one, with the imp_uid. Other
 * statuses are unaffected. */
START_TEST(checkout_ready_without_key_config)
{
    struct http_client_response r;
    cJSON *cfg = sandbox_ctl(&sb, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"kakaopay\":\"ready\"},"
                             "\"issue_ready_without_key\":true}");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cfg, "issue_ready_without_key")));
    cJSON_Delete(cfg);
    checkout(
        "{\"pg\":\"kakaopay\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":0}", 0,
        "approve", &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "error_code"), "SANDBOX_USER_CANCEL");
    ck_assert_str_eq(jstr(rsp, "status"), "ready");
    ck_assert_ptr_nonnull(jstr(rsp, "imp_uid"));
    ck_assert_int_eq(customer_status("cu1"), 404);
    char *path = xasprintf("/__sandbox/payments/%s", jstr(rsp, "imp_uid"));
    cJSON *pay = sandbox_ctl(&sb, "GET", path, NULL);
    ck_assert_str_eq(jstr(pay, "status"), "ready");
    ck_assert_str_eq(jstr(pay, "customer_uid_usage"), "issue");
    cJSON_Delete(pay);
    free(path);
    cJSON_Delete(rsp);
    http_client_response_release(&r);
    /* a paid window still stores its key */
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"cu2\",\"merchant_uid\":\"iss2\",\"amount\":0}",
             0, "approve", &r);
    rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_int_eq(customer_status("cu2"), 200);
    cJSON_Delete(rsp);
    http_client_response_release(&r);
    cJSON_Delete(
        sandbox_ctl(&sb, "POST", "/__sandbox/config", "{\"issue_ready_without_key\":false}"));
    checkout(
        "{\"pg\":\"kakaopay\",\"customer_uid\":\"cu3\",\"merchant_uid\":\"iss3\",\"amount\":0}", 0,
        "approve", &r);
    rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_int_eq(customer_status("cu3"), 200);
    cJSON_Delete(rsp);
    http_client_response_release(&r);
}
END_TEST

START_TEST(checkout_decline_callback)
{
    struct http_client_response r;
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":0}",
             0, "decline", &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "error_msg"), "사용자가 결제를 취소하셨습니다");
    ck_assert_str_eq(jstr(rsp, "error_code"), "SANDBOX_USER_CANCEL");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(rsp, "imp_uid")));
    ck_assert_str_eq(jstr(rsp, "merchant_uid"), "iss1");
    ck_assert_int_eq(customer_status("cu1"), 404);
    ck_assert_ptr_nonnull(strstr(r.body, "data-origin=\"http://localhost:8080\""));
    cJSON_Delete(rsp);
    http_client_response_release(&r);
}
END_TEST

/* Location of a 302 answer (asserted), borrowed from r. */
static const char *location_of(const struct http_client_response *r)
{
    ck_assert_msg(r->status == 302, "want a redirect, got %ld: %s", r->status, r->body);
    ck_assert_ptr_nonnull(r->location);
    return r->location;
}

START_TEST(checkout_chai_redirects)
{
    struct http_client_response w, r;
    open_window("{\"pg\":\"chai.pk_test\",\"pay_method\":\"trans\",\"customer_uid\":\"cu1\","
                "\"merchant_uid\":\"iss1\",\"amount\":0,"
                "\"m_redirect_url\":\"http://localhost:8080/done?utm_source=x#top\"}",
                0, &w);
    ck_assert_ptr_nonnull(strstr(w.body, "data-mode=\"redirect\""));
    press(&w, "approve", &r);
    const char *loc = location_of(&r);
    ck_assert_msg(matches("^http://localhost:8080/done\\?utm_source=x&imp_uid=imp_[0-9]{12}"
                          "&merchant_uid=iss1&imp_success=true#top$",
                          loc),
                  "location: %s", loc);
    http_client_response_release(&r);
    /* the same window again: merchant_uid is used now, and the failure redirects too */
    press(&w, "approve", &r);
    ck_assert_str_eq(
        location_of(&r),
        "http://localhost:8080/done?utm_source=x&merchant_uid=iss1&imp_success=false"
        "&error_code=SANDBOX_INVALID_REQUEST&error_msg=%EC%9D%B4%EB%AF%B8%20%EC%A3%BC"
        "%EB%AC%B8%EC%9D%B4%20%EC%9D%B4%EB%A3%A8%EC%96%B4%EC%A7%84%20%EA%B1%B4%EC%9E"
        "%85%EB%8B%88%EB%8B%A4.%20%28%EB%8F%99%EC%9D%BC%ED%95%9C%20merchant_uid%EB%A1"
        "%9C%20%EA%B2%B0%EC%A0%9C%20%EB%98%90%EB%8A%94%20%EC%B7%A8%EC%86%8C%EB%90%9C"
        "%20%EA%B8%B0%EB%A1%9D%EC%9D%B4%20%EC%9E%88%EC%8A%B5%EB%8B%88%EB%8B%A4%29#top");
    http_client_response_release(&r);
    http_client_response_release(&w);
}
END_TEST

START_TEST(checkout_kicc_redirects_only_on_mobile)
{
    struct http_client_response r;
    const char *params = "{\"pg\":\"kicc\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\","
                         "\"amount\":100,\"m_redirect_url\":\"http://127.0.0.1:9/back\"}";
    checkout(params, 1, "decline", &r);
    ck_assert_str_eq(location_of(&r),
                     "http://127.0.0.1:9/back?merchant_uid=iss1&imp_success=false"
                     "&error_code=SANDBOX_USER_CANCEL&error_msg=%EC%82%AC%EC%9A%A9%EC%9E%90%EA%B0"
                     "%80%20%EA%B2%B0%EC%A0%9C%EB%A5%BC%20%EC%B7%A8%EC%86%8C%ED%95%98%EC%85%A8%EC"
                     "%8A%B5%EB%8B%88%EB%8B%A4");
    http_client_response_release(&r);
    checkout(params, 0, "approve", &r); /* PC: callback */
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    cJSON_Delete(rsp);
    http_client_response_release(&r);
}
END_TEST

START_TEST(checkout_naverpay_redirect_mode)
{
    struct http_client_response r;
    checkout(
        "{\"pg\":\"naverpay\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":14000,"
        "\"buyer_tel\":\"010-1234-5678\",\"naverPopupMode\":false,"
        "\"m_redirect_url\":\"http://localhost:8080/naver?\"}",
        0, "approve", &r);
    ck_assert(matches("^http://localhost:8080/naver\\?imp_uid=imp_[0-9]{12}&merchant_uid=iss1"
                      "&imp_success=true$",
                      location_of(&r)));
    http_client_response_release(&r);
}
END_TEST

START_TEST(checkout_customer_uid_reuse_replaces_key)
{
    struct http_client_response r, c1, c2;
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":0}",
             0, "approve", &r);
    http_client_response_release(&r);
    api("GET", "/subscribe/customers/cu1", NULL, &c1);
    cJSON_Delete(sandbox_ctl(&sb, "POST", "/__sandbox/clock", "{\"advance_seconds\":60}"));
    free(token);
    token = sandbox_token(&sb);
    checkout(
        "{\"pg\":\"kakaopay\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss2\",\"amount\":0}", 0,
        "approve", &r);
    http_client_response_release(&r);
    api("GET", "/subscribe/customers/cu1", NULL, &c2);
    ck_assert_str_eq(resp_str(&c2, "pg_provider"), "kakaopay");
    ck_assert_double_eq(resp_num(&c2, "inserted"), resp_num(&c1, "inserted"));
    ck_assert(resp_num(&c2, "updated") >= resp_num(&c1, "updated") + 60);
    http_client_response_release(&c1);
    http_client_response_release(&c2);
}
END_TEST

/* Pre-validation failures: each answers the result page with success false and this message. */
static const char *const checkout_invalid[][2] = {
    {"{\"pg\":\"inicis\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0}",
     "지원하지 않는 pg 입니다: 'inicis' (payco, kakaopay[.CID], kicc[.MID], chai[.key], naverpay)"},
    {"{\"pg\":\"payco.X\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0}",
     "지원하지 않는 pg 입니다: 'payco.X' (payco, kakaopay[.CID], kicc[.MID], chai[.key], naverpay)"},
    {"{\"pg\":\"kakaopay.\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0}",
     "지원하지 않는 pg 입니다: 'kakaopay.' (payco, kakaopay[.CID], kicc[.MID], chai[.key], naverpay)"},
    {"{\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0}", "파라미터 누락: pg"},
    {"{\"pg\":\"kicc\",\"pay_method\":\"trans\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\","
     "\"amount\":0}",
     "KICC 빌링키 발급은 pay_method 'card' 만 지원합니다. (요청: 'trans')"},
    {"{\"pg\":\"chai\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0}",
     "CHAI 빌링키 발급은 pay_method 'trans' 만 지원합니다. (요청: 'card')"},
    {"{\"pg\":\"payco\",\"merchant_uid\":\"m\",\"amount\":0}", "파라미터 누락: customer_uid"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"" C81 "\",\"merchant_uid\":\"m\",\"amount\":0}",
     "customer_uid 는 최대 80자까지 입력할 수 있습니다. (입력: 81자)"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"amount\":0}", "파라미터 누락: merchant_uid"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"" M41 "\",\"amount\":0}",
     "merchant_uid 는 최대 40자까지 입력할 수 있습니다. (입력: 41자)"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\"}", "파라미터 누락: amount"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":-1}",
     "amount 는 0 이상 1000000000000 이하의 정수여야 합니다."},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":10.5}",
     "amount 는 0 이상 1000000000000 이하의 정수여야 합니다."},
    {"{\"pg\":\"naverpay\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0}",
     "파라미터 누락: buyer_tel"},
    {"{\"pg\":\"naverpay\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0,"
     "\"buyer_tel\":\"010\",\"naverPopupMode\":false}",
     "파라미터 누락: m_redirect_url (naverpay 는 리디렉션 방식으로 진행됩니다)"},
    {"{\"pg\":\"chai\",\"pay_method\":\"trans\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\","
     "\"amount\":0}",
     "파라미터 누락: m_redirect_url (chai 는 리디렉션 방식으로 진행됩니다)"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0,"
     "\"m_redirect_url\":\"https://evil.example/x\"}",
     "m_redirect_url 은 loopback 의 http(s) URL 이어야 합니다: 'https://evil.example/x'"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m\",\"amount\":0,"
     "\"m_redirect_url\":\"javascript:alert(1)\"}",
     "m_redirect_url 은 loopback 의 http(s) URL 이어야 합니다: 'javascript:alert(1)'"},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m_paid\",\"amount\":0}",
     DUP_ORDER},
    {"{\"pg\":\"payco\",\"customer_uid\":\"c\",\"merchant_uid\":\"m_prep\",\"amount\":999}",
     "사전등록된 결제금액(1000)과 요청 결제금액(999)이 일치하지 않습니다."},
    {"[1,2]", "결제 파라미터(params)는 JSON 객체여야 합니다."},
    {"not json", "결제 파라미터(params)는 JSON 객체여야 합니다."},
};

START_TEST(checkout_prevalidation)
{
    struct http_client_response r;
    seed(); /* m_paid is taken, m_prep is prepared with 1000 */
    open_window(checkout_invalid[_i][0], 0, &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(rsp, "success")));
    ck_assert_str_eq(jstr(rsp, "error_code"), "SANDBOX_INVALID_REQUEST");
    ck_assert_str_eq(jstr(rsp, "error_msg"), checkout_invalid[_i][1]);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(rsp, "imp_uid")));
    cJSON_Delete(rsp);
    http_client_response_release(&r);
    /* nothing was issued */
    ck_assert_int_eq(customer_status("c"), 404);
}
END_TEST

START_TEST(checkout_prepared_amount_matches)
{
    struct http_client_response r;
    api("POST", "/payments/prepare", "{\"merchant_uid\":\"iss1\",\"amount\":0}", &r);
    http_client_response_release(&r);
    checkout("{\"pg\":\"payco\",\"customer_uid\":\"cu1\",\"merchant_uid\":\"iss1\",\"amount\":0}",
             0, "approve", &r);
    cJSON *rsp = result_rsp(&r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rsp, "success")));
    cJSON_Delete(rsp);
    http_client_response_release(&r);
}
END_TEST

START_TEST(checkout_html_is_escaped_and_csp)
{
    struct http_client_response r;
    open_window("{\"pg\":\"payco\",\"customer_uid\":\"<b>c</b>\",\"merchant_uid\":\"m'\\\"1\","
                "\"amount\":0,\"name\":\"<script>alert(1)</script>\"}",
                0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "<script>alert"));
    ck_assert_ptr_null(strstr(r.body, "<b>c</b>"));
    ck_assert_ptr_nonnull(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_null(strstr(r.body, " onclick"));
    char *csp = http_client_header(&r, "content-security-policy");
    ck_assert_str_eq(csp,
                     "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'");
    free(csp);
    struct http_client_response a;
    press(&r, "approve", &a);
    cJSON *rsp = result_rsp(&a);
    ck_assert_str_eq(jstr(rsp, "merchant_uid"), "m'\"1");
    ck_assert_str_eq(jstr(rsp, "name"), "<script>alert(1)</script>");
    ck_assert_int_eq(customer_status("%3Cb%3Ec%3C%2Fb%3E"), 200);
    cJSON_Delete(rsp);
    http_client_response_release(&a);
    http_client_response_release(&r);
}
END_TEST

START_TEST(checkout_assets_served)
{
    struct http_client_response r;
    sandbox_call(&sb, "GET", "/v1/iamport.js", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/javascript; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r.body, "request_pay: function (params, callback)"));
    ck_assert_ptr_nonnull(strstr(r.body, "init: function (code)"));
    http_client_response_release(&r);
    sandbox_call(&sb, "GET", "/__sandbox/static/window.js", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "postMessage"));
    http_client_response_release(&r);
    sandbox_call(&sb, "GET", "/__sandbox/static/window.css", NULL, &r);
    ck_assert_str_eq(r.content_type, "text/css; charset=utf-8");
    http_client_response_release(&r);
    sandbox_call(&sb, "GET", "/__sandbox/static/..%2Fsb_main.c", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    sandbox_call(&sb, "GET", "/__sandbox/static/README.md", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    /* the SDK is not part of the REST request log */
    cJSON *log = sandbox_ctl(&sb, "GET", "/__sandbox/requests", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(log, "requests")), 1); /* getToken */
    cJSON_Delete(log);
}
END_TEST

/* ---- checkout in a real browser (headless Chromium through tests/lib/webdriver.h) ---- */

#define BROWSER_STEP_TIMEOUT_MS 20000
#define BROWSER_USER_CANCEL_MSG "사용자가 결제를 취소하셨습니다"

/* What the merchant page runs when #pay is clicked: request_pay with the JSON in #params, the
 * callback's rsp written into #out as JSON. */
static const char merchant_app_js[] =
    "document.getElementById('pay').addEventListener('click', function () {\n"
    "  IMP.init('imp00000000');\n"
    "  IMP.request_pay(JSON.parse(document.getElementById('params').value), function (rsp) {\n"
    "    document.getElementById('out').textContent = JSON.stringify(rsp);\n"
    "  });\n"
    "});\n";

static const char merchant_landing_html[] = "<!doctype html><p id=\"landed\">landed</p>";

/* The merchant's web server for the browser test, on 127.0.0.1 port 0 (MHD thread): GET /page
 * (under a strict CSP that allows only itself and the sandbox's origin; loads the sandbox's
 * /v1/iamport.js and /app.js), GET /app.js, GET /done... (where m_redirect_url lands), 404
 * otherwise. Everything is owned by the struct; merchant_site_stop frees it. */
struct merchant_site {
    struct MHD_Daemon *daemon;
    char origin[64]; /* "http://localhost:<port>": another origin than the sandbox's 127.0.0.1 */
    char *page;      /* owned: the /page HTML */
    char *csp;       /* owned: the /page Content-Security-Policy */
};

static enum MHD_Result merchant_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **req_cls)
{
    const struct merchant_site *site = cls;
    const char *body = "<!doctype html><p>not found</p>";
    const char *type = "text/html";
    const char *csp = NULL;
    unsigned status = MHD_HTTP_NOT_FOUND;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/page") == 0) {
        status = MHD_HTTP_OK;
        body = site->page;
        type = "text/html; charset=utf-8";
        csp = site->csp;
    } else if (strcmp(method, "GET") == 0 && strcmp(url, "/app.js") == 0) {
        status = MHD_HTTP_OK;
        body = merchant_app_js;
        type = "application/javascript";
    } else if (strcmp(method, "GET") == 0 && strncmp(url, "/done", 5) == 0) {
        status = MHD_HTTP_OK;
        body = merchant_landing_html;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    enum MHD_Result rc = MHD_add_response_header(resp, "Content-Type", type);
    if (rc == MHD_YES && csp)
        rc = MHD_add_response_header(resp, "Content-Security-Policy", csp);
    if (rc == MHD_YES)
        rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Starts the merchant site for the sandbox at sandbox_base_url; fails the test when it cannot. */
static void merchant_site_start(struct merchant_site *site, const char *sandbox_base_url)
{
    memset(site, 0, sizeof *site);
    site->page = xasprintf("<!doctype html><meta charset=\"utf-8\"><textarea id=\"params\">"
                           "</textarea><button id=\"pay\">pay</button><pre id=\"out\"></pre>"
                           "<script src=\"%s/v1/iamport.js\"></script>"
                           "<script src=\"/app.js\"></script>",
                           sandbox_base_url);
    site->csp = xasprintf("default-src 'self'; script-src 'self' %s; frame-src %s",
                          sandbox_base_url, sandbox_base_url);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    site->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         merchant_answer, site, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
    ck_assert_msg(site->daemon != NULL, "cannot start the merchant site on 127.0.0.1:0");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(site->daemon, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_msg(info && info->port > 0, "the merchant site has no port");
    snprintf(site->origin, sizeof site->origin, "http://localhost:%u", (unsigned)info->port);
}

static void merchant_site_stop(struct merchant_site *site)
{
    if (site->daemon)
        MHD_stop_daemon(site->daemon);
    free(site->page);
    free(site->csp);
    memset(site, 0, sizeof *site);
}

/* Fails the test with what the browser step was and what the driver said. */
static void browser_step(struct webdriver *wd, enum webdriver_status st, const char *what)
{
    ck_assert_msg(st == WEBDRIVER_OK, "browser: %s: %s", what, wd->error);
}

/* Opens the merchant page, puts params_json into #params and clicks #pay. */
static void browser_pay(struct webdriver *wd, const struct merchant_site *site,
                        const char *params_json)
{
    struct webdriver_element pay;
    char *url = xasprintf("%s/page", site->origin);
    cJSON *args = cJSON_CreateArray();
    cJSON_AddItemToArray(args, cJSON_CreateString(params_json));
    char *args_json = cJSON_PrintUnformatted(args);
    browser_step(wd, webdriver_navigate(wd, url), "open the merchant page");
    browser_step(wd,
                 webdriver_execute(wd, "document.getElementById('params').value = arguments[0];",
                                   args_json, NULL),
                 "fill #params");
    browser_step(wd, webdriver_find(wd, "#pay", &pay), "find #pay");
    browser_step(wd, webdriver_click(wd, &pay), "click #pay");
    cJSON_free(args_json);
    cJSON_Delete(args);
    free(url);
}

/* Waits for the SDK's iframe, clicks #<button> inside it and switches back to the page. */
static void browser_answer_in_frame(struct webdriver *wd, const char *button)
{
    struct webdriver_element el;
    char css[32];
    snprintf(css, sizeof css, "#%s", button);
    browser_step(wd, webdriver_wait_element(wd, "#imp-sandbox-frame", BROWSER_STEP_TIMEOUT_MS, &el),
                 "wait for the window's iframe #imp-sandbox-frame");
    browser_step(wd, webdriver_switch_to_frame(wd, &el), "switch into #imp-sandbox-frame");
    browser_step(wd, webdriver_wait_element(wd, css, BROWSER_STEP_TIMEOUT_MS, &el),
                 "wait for the window's button");
    browser_step(wd, webdriver_click(wd, &el), "click the window's button");
    browser_step(wd, webdriver_switch_to_top(wd), "switch back to the merchant page");
}

/* Waits until the callback wrote its rsp into #out; returns that text (caller frees) and the
 * parsed object in *rsp_out (caller deletes). */
static char *browser_callback_rsp(struct webdriver *wd, cJSON **rsp_out)
{
    cJSON *text = NULL;
    browser_step(wd,
                 webdriver_wait_script(wd, "return document.getElementById('out').textContent;",
                                       BROWSER_STEP_TIMEOUT_MS, &text),
                 "wait for the callback's rsp in #out");
    ck_assert_msg(cJSON_IsString(text), "#out is no text");
    char *out = xstrdup(text->valuestring);
    cJSON_Delete(text);
    *rsp_out = cJSON_Parse(out);
    ck_assert_msg(cJSON_IsObject(*rsp_out), "the callback's rsp is no JSON object: '%s'", out);
    return out;
}

/* The browser's SEVERE console entries so far (chromedriver's "browser" log), except a missing
 * favicon's 404, one message a line; "" when there were none. Caller frees. */
static char *browser_console_errors(struct webdriver *wd)
{
    struct http_client_response r;
    char *url = xasprintf("%s/session/%s/se/log", wd->base_url, wd->session_id);
    http_client_json("POST", url, "{\"type\":\"browser\"}", NULL, &r);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(r.json, "value");
    ck_assert_msg(r.status == 200 && cJSON_IsArray(entries),
                  "cannot read the browser's console log: %ld %s", r.status, r.body);
    char *errors = xstrdup("");
    const cJSON *entry;
    cJSON_ArrayForEach (entry, entries) {
        const char *level = jstr(entry, "level");
        const char *message = jstr(entry, "message");
        if (!level || strcmp(level, "SEVERE") != 0 || (message && strstr(message, "favicon")))
            continue;
        char *longer = xasprintf("%s%s\n", errors, message ? message : "(no message)");
        free(errors);
        errors = longer;
    }
    http_client_response_release(&r);
    free(url);
    return errors;
}

/* The whole checkout in headless Chromium, as a merchant page under a strict CSP uses it:
 * iframe + callback approve (kakaopay, first charge) and decline (payco), a pre-validation
 * failure (inicis), the CHAI redirect to m_redirect_url, and no console error on the way.
 * Needs chromium and chromium-driver (scripts/deps.sh test). */
START_TEST(checkout_in_a_real_browser)
{
    struct merchant_site site;
    struct webdriver wd;
    struct webdriver_element el;
    cJSON *rsp = NULL;
    char *text = NULL;
    merchant_site_start(&site, sb.base_url);
    struct webdriver_options pc = {.window_width = 1280, .window_height = 800};
    ck_assert_msg(webdriver_start(&wd, &pc) == WEBDRIVER_OK, "cannot start headless Chromium: %s",
                  wd.error);

    /* callback approve: the iframe answers, the SDK removes it and calls back */
    browser_pay(&wd, &site,
                "{\"pg\":\"kakaopay.TCSUBSCRIP\",\"customer_uid\":\"browser-c1\","
                "\"merchant_uid\":\"browser-m1\",\"amount\":1000,\"name\":\"first\"}");
    browser_answer_in_frame(&wd, "approve");
    text = browser_callback_rsp(&wd, &rsp);
    const cJSON *paid = cJSON_GetObjectItemCaseSensitive(rsp, "paid_amount");
    ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rsp, "success")) &&
                      jstr(rsp, "merchant_uid") &&
                      strcmp(jstr(rsp, "merchant_uid"), "browser-m1") == 0 &&
                      cJSON_IsNumber(paid) && paid->valuedouble == 1000,
                  "callback-approve: %s", text);
    ck_assert_msg(webdriver_find(&wd, "#imp-sandbox-frame", &el) == WEBDRIVER_E_NO_SUCH_ELEMENT,
                  "callback-approve: the iframe is still on the page (%s)", wd.error);
    cJSON_Delete(rsp);
    free(text);

    /* callback decline */
    browser_pay(&wd, &site,
                "{\"pg\":\"payco\",\"customer_uid\":\"browser-c2\","
                "\"merchant_uid\":\"browser-m2\",\"amount\":0}");
    browser_answer_in_frame(&wd, "decline");
    text = browser_callback_rsp(&wd, &rsp);
    ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rsp, "success")) &&
                      jstr(rsp, "error_msg") &&
                      strcmp(jstr(rsp, "error_msg"), BROWSER_USER_CANCEL_MSG) == 0,
                  "callback-decline: %s", text);
    cJSON_Delete(rsp);
    free(text);

    /* pre-validation: inicis cannot issue here; the callback says so without a window */
    browser_pay(&wd, &site,
                "{\"pg\":\"inicis\",\"customer_uid\":\"browser-c3\","
                "\"merchant_uid\":\"browser-m3\",\"amount\":0}");
    text = browser_callback_rsp(&wd, &rsp);
    ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rsp, "success")) &&
                      jstr(rsp, "error_msg") && strstr(jstr(rsp, "error_msg"), "inicis"),
                  "prevalidation: %s", text);
    cJSON_Delete(rsp);
    free(text);

    /* CHAI redirects: the page navigates to the window, approve lands on m_redirect_url */
    char *params = xasprintf("{\"pg\":\"chai\",\"pay_method\":\"trans\","
                             "\"customer_uid\":\"browser-c4\",\"merchant_uid\":\"browser-m4\","
                             "\"amount\":0,\"m_redirect_url\":\"%s/done?x=1\"}",
                             site.origin);
    browser_pay(&wd, &site, params);
    browser_step(&wd, webdriver_wait_element(&wd, "#approve", BROWSER_STEP_TIMEOUT_MS, &el),
                 "wait for the CHAI window's #approve");
    browser_step(&wd, webdriver_click(&wd, &el), "click #approve");
    browser_step(&wd, webdriver_wait_element(&wd, "#landed", BROWSER_STEP_TIMEOUT_MS, &el),
                 "wait for the landing page's #landed");
    browser_step(&wd, webdriver_current_url(&wd, &text), "read the landing URL");
    char *want_prefix = xasprintf("%s/done?x=1&imp_uid=imp_", site.origin);
    const char *want_suffix = "&merchant_uid=browser-m4&imp_success=true";
    size_t len = strlen(text);
    ck_assert_msg(strncmp(text, want_prefix, strlen(want_prefix)) == 0 &&
                      len >= strlen(want_suffix) &&
                      strcmp(text + len - strlen(want_suffix), want_suffix) == 0,
                  "chai-redirect: %s", text);
    free(text);

    /* nothing broke the CSP or threw on the way (the Chromium console) */
    text = browser_console_errors(&wd);
    ck_assert_msg(text[0] == '\0', "console: %s", text);
    free(text);

    webdriver_stop(&wd);
    merchant_site_stop(&site);
    ck_assert_double_eq(ledger_value("browser-m1", "count"), 1); /* the kakaopay first charge */
    ck_assert_int_eq(customer_status("browser-c1"), 200);
    ck_assert_int_eq(customer_status("browser-c2"), 404); /* declined: no key */
    ck_assert_int_eq(customer_status("browser-c4"), 200);
    free(want_prefix);
    free(params);
}
END_TEST

/* ---- the process ---- */

START_TEST(non_loopback_bind_refused)
{
    static const char *const addrs[] = {"0.0.0.0", "192.0.2.10", "::", "example.com"};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        const char *args[] = {"--listen", addrs[i], "--port", "0", NULL};
        char *out = NULL;
        ck_assert_int_eq(sandbox_run_once(args, &out), 2);
        ck_assert_msg(strstr(out, "refusing to listen on non-loopback address") != NULL, "%s", out);
        free(out);
    }
}
END_TEST

START_TEST(bad_options_rejected)
{
    const char *const *const cases[] = {
        (const char *const[]){"--port", "70000", NULL},
        (const char *const[]){"--port", "-1", NULL},
        (const char *const[]){"--port", NULL},
        (const char *const[]){"--bogus", NULL},
        (const char *const[]){"--webhook-format", "xml", NULL},
        (const char *const[]){"--imp-key", "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        ck_assert_int_eq(sandbox_run_once(cases[i], &out), 2);
        ck_assert_ptr_nonnull(strstr(out, "usage: iamport-sandbox"));
        free(out);
    }
}
END_TEST

START_TEST(custom_credentials_and_port_file)
{
    struct sandbox_proc other;
    const char *args[] = {"--imp-key", "k2", "--imp-secret", "s2-secret", "--listen",
                          "localhost", NULL};
    ck_assert_int_eq(sandbox_start(&other, args), 0);
    char *text = testlib_read_file(other.port_file, NULL);
    char *want = xasprintf("%d\n", other.port);
    ck_assert_str_eq(text, want);
    struct http_client_response r;
    sandbox_call(&other, "POST", "/users/getToken", GOOD_CREDS, &r);
    ck_assert_int_eq(r.status, 401);
    http_client_response_release(&r);
    sandbox_call(&other, "POST", "/users/getToken",
                 "{\"imp_key\":\"k2\",\"imp_secret\":\"s2-secret\"}", &r);
    assert_ok(&r);
    http_client_response_release(&r);
    char *log = sandbox_log(&other);
    ck_assert_ptr_nonnull(strstr(log, "\"msg\":\"listening\""));
    ck_assert_ptr_null(strstr(log, "s2-secret"));
    free(log);
    ck_assert_int_eq(sandbox_stop(&other), 0);
    free(text);
    free(want);
}
END_TEST

START_TEST(help_and_allow_non_loopback)
{
    const char *help[] = {"--help", NULL};
    char *out = NULL;
    ck_assert_int_eq(sandbox_run_once(help, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: iamport-sandbox"));
    free(out);

    /* with the flag a wildcard address is accepted (reached here through loopback) */
    struct sandbox_proc other;
    const char *args[] = {"--allow-non-loopback", "--listen", "0.0.0.0", NULL};
    ck_assert_int_eq(sandbox_start(&other, args), 0);
    struct http_client_response r;
    sandbox_call(&other, "GET", "/__sandbox/tokens", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    http_client_response_release(&r);
    ck_assert_int_eq(sandbox_stop(&other), 0);
}
END_TEST

START_TEST(sigint_exits_cleanly)
{
    struct sandbox_proc other;
    ck_assert_int_eq(sandbox_start(&other, NULL), 0);
    struct http_client_response r;
    sandbox_call(&other, "GET", "/__sandbox/ledger", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    http_client_response_release(&r);
    pid_t pid = other.pid;
    kill(pid, SIGINT);
    int status = 0;
    for (int i = 0; i < 2000 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(10000);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    other.pid = 0; /* reaped: sandbox_stop only frees the rest */
    ck_assert_int_eq(sandbox_stop(&other), -1);
}
END_TEST

static Suite *suite_sandbox_conformance(void)
{
    Suite *s = suite_create("sandbox_conformance");
    struct {
        const char *name;
        const TTest *const *tests[16];
    } groups[] = {
        {"tokens",
         {&token_same_until_expiry, &token_form_body_accepted, &token_bad_credentials,
          &token_missing_fields, &token_three_header_forms, &token_expired_by_control,
          &token_expires_after_30_minutes, &token_extended_in_last_minute, &token_ttl_configurable,
          &request_log_redacts_secret, NULL}},
        {"charges",
         {&again_approved, &again_declined, &again_concurrent_same_merchant_uid_charges_once,
          &again_form_equals_json, &cancel_partial_then_full_then_twice,
          &cancel_failed_payment_refused, &prepare_roundtrip, &customer_get_and_delete,
          &customer_not_found_200_config, &malformed_bodies, &escaped_path_ids, NULL}},
        {"schedules",
         {&schedule_execute_paid_and_failed, &schedule_form_brackets_equal_json,
          &schedule_in_the_past_refused, &unschedule_string_array_and_customer,
          &unschedule_all_of_customer, &schedule_list_paged, NULL}},
        {"faults",
         {&fault_http500_before_processing, &fault_drop_before_processing,
          &fault_after_processing_charge_recorded, &fault_after_processing_http500, &fault_latency,
          &fault_hang_then_drop_and_client_timeout, &fault_bad_json, &faults_listed_and_cleared,
          &reset_forgets_everything, NULL}},
        {"webhooks",
         {&webhook_on_again_paid_not_on_decline_or_api_cancel,
          &webhook_on_api_cancel_with_enable_webhook_and_console_cancel,
          &webhook_on_schedule_execution_to_notice_url, &webhook_send_times_delay_and_refusal,
          NULL}},
        {"checkout",
         {&checkout_kakaopay_key_only, &checkout_kakaopay_first_charge,
          &checkout_display_only_amounts, &checkout_issue_status_config,
          &checkout_ready_without_key_config, &checkout_decline_callback, &checkout_chai_redirects,
          &checkout_kicc_redirects_only_on_mobile, &checkout_naverpay_redirect_mode,
          &checkout_customer_uid_reuse_replaces_key, &checkout_prepared_amount_matches,
          &checkout_html_is_escaped_and_csp, &checkout_assets_served, &checkout_in_a_real_browser,
          &checkout_webhook_timing, NULL}},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        TCase *tc = tcase_create(groups[g].name);
        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, start_sandbox, stop_sandbox);
        for (size_t i = 0; groups[g].tests[i]; i++)
            tcase_add_test(tc, *groups[g].tests[i]);
        suite_add_tcase(s, tc);
    }
    TCase *tables = tcase_create("tables");
    tcase_set_timeout(tables, 60);
    tcase_add_checked_fixture(tables, start_sandbox, stop_sandbox);
    tcase_add_loop_test(tables, error_shapes, 0, (int)(sizeof error_cases / sizeof error_cases[0]));
    tcase_add_loop_test(tables, unauthorized_everywhere, 0,
                        (int)(sizeof authed_routes / sizeof authed_routes[0]));
    tcase_add_loop_test(tables, control_errors, 0,
                        (int)(sizeof control_cases / sizeof control_cases[0]));
    tcase_add_loop_test(tables, checkout_prevalidation, 0,
                        (int)(sizeof checkout_invalid / sizeof checkout_invalid[0]));
    suite_add_tcase(s, tables);

    TCase *process = tcase_create("process");
    tcase_set_timeout(process, 60);
    tcase_add_test(process, non_loopback_bind_refused);
    tcase_add_test(process, bad_options_rejected);
    tcase_add_test(process, custom_credentials_and_port_file);
    tcase_add_test(process, sigint_exits_cleanly);
    tcase_add_test(process, help_and_allow_non_loopback);
    suite_add_tcase(s, process);
    return s;
}

TESTLIB_MAIN(suite_sandbox_conformance)
