/* Path ids with escapes over real HTTP: an escaped '/' stays inside its id, each route answers as iamport would. */
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
#define NOT_FOUND_SCHEDULE "존재하지 않는 예약결제 정보입니다."
#define NO_KEY_FMT "요청하신 customer_uid(%s)로 등록된 정보를 찾을 수 없습니다."
#define CARD_REFUSED                                                                                                  \
    "billkey는 카드번호를 받지 않습니다: 빌링키는 결제창(IMP.request_pay)으로 발급하세요. " \
    "(card data refused: issue billing keys through the checkout window)"

/* method + path with FX_API_KEY; asserts iamport's envelope (status, code, message when not
 * NULL) and returns the parsed body (caller deletes). */
static cJSON *call(const struct fx *fx, const char *method, const char *path, long status, int code,
                   const char *message)
{
    struct http_client_response r;
    fx_merchant(fx, NULL, method, path, NULL, NULL, &r);
    fx_expect_envelope(&r, status, code, message);
    cJSON *body = cJSON_Duplicate(r.json, 1);
    http_client_response_release(&r);
    return body;
}

/* The paths the sandbox was sent (percent-escapes as sent), oldest first; caller deletes. */
static cJSON *upstream_paths(const struct fx *fx)
{
    cJSON *log = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/requests", NULL);
    cJSON *paths = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        const char *path = fx_str(e, "path");
        if (strcmp(path, "/users/getToken") != 0)
            cJSON_AddItemToArray(paths, cJSON_CreateString(path));
    }
    cJSON_Delete(log);
    return paths;
}

/* Asserts the sandbox was sent exactly `want` (NULL: nothing) since the last clear, then clears. */
static void expect_upstream(const struct fx *fx, const char *want)
{
    cJSON *paths = upstream_paths(fx);
    if (!want) {
        ck_assert_msg(cJSON_GetArraySize(paths) == 0, "iamport was asked: %s",
                      cJSON_PrintUnformatted(paths));
    } else {
        ck_assert_int_eq(cJSON_GetArraySize(paths), 1);
        ck_assert_str_eq(cJSON_GetArrayItem(paths, 0)->valuestring, want);
    }
    cJSON_Delete(paths);
    fx_clear_requests(fx);
}

/* A paid payment at iamport whose merchant_uid has a '/', made by another system of the shop. */
static void pay_at_iamport(const struct fx *fx, const char *merchant_uid)
{
    struct http_client_response r;
    sandbox_add_customer(&fx->sandbox, "cu_elsewhere", "kakaopay");
    char *token = sandbox_token(&fx->sandbox);
    char *body = xasprintf("{\"customer_uid\":\"cu_elsewhere\",\"merchant_uid\":\"%s\","
                           "\"amount\":1000,\"name\":\"단건\"}",
                           merchant_uid);
    ck_assert_int_eq(
        sandbox_call_auth(&fx->sandbox, "POST", "/subscribe/payments/again", token, body, NULL, &r),
        200);
    ck_assert_str_eq(fx_str(http_client_body_response(&r), "status"), "paid");
    http_client_response_release(&r);
    free(body);
    free(token);
    fx_clear_requests(fx);
}

/* fx_start, one active kakaopay key (returned; caller frees) and an empty sandbox request log. */
static char *start_with_key(struct fx *fx)
{
    fx_start(fx, NULL);
    char *cu = fx_active_key(fx, "kakaopay", 0, NULL);
    fx_clear_requests(fx);
    return cu;
}

START_TEST(payment_ids_with_an_escaped_slash)
{
    struct fx fx;
    fx_start(&fx, NULL);
    pay_at_iamport(&fx, "ord/1");

    /* an imp_uid cannot hold a '/': iamport's 404 without asking it */
    cJSON_Delete(call(&fx, "GET", "/payments/imp_1%2F2", 404, -1, NOT_FOUND_PAYMENT));
    expect_upstream(&fx, NULL);
    /* decoded first, this was GET /payments/find/ord%2F1: now it is the imp_uid "find/ord/1" */
    cJSON_Delete(call(&fx, "GET", "/payments/find%2Ford%2F1", 404, -1, NOT_FOUND_PAYMENT));
    expect_upstream(&fx, NULL);

    /* a merchant_uid may hold one: looked up as that one id, sent escaped */
    cJSON *b = call(&fx, "GET", "/payments/find/ord%2F1", 200, 0, NULL);
    ck_assert_str_eq(fx_str(cJSON_GetObjectItem(b, "response"), "merchant_uid"), "ord/1");
    cJSON_Delete(b);
    expect_upstream(&fx, "/payments/find/ord%2F1");
    b = call(&fx, "GET", "/payments/find/ord%2F1/paid", 200, 0, NULL);
    ck_assert_str_eq(fx_str(cJSON_GetObjectItem(b, "response"), "merchant_uid"), "ord/1");
    cJSON_Delete(b);
    expect_upstream(&fx, "/payments/find/ord%2F1/paid");
    /* "ord/1/paid" is one merchant_uid, not a status filter */
    cJSON_Delete(call(&fx, "GET", "/payments/find/ord%2F1%2Fpaid", 404, -1, NOT_FOUND_PAYMENT));
    expect_upstream(&fx, "/payments/find/ord%2F1%2Fpaid");
    /* a status written with escapes is still that status */
    cJSON_Delete(call(&fx, "GET", "/payments/find/ord%2F1/p%61id", 200, 0, NULL));
    expect_upstream(&fx, "/payments/find/ord%2F1/paid");

    /* an escape that decodes to NUL: 400 in iamport's envelope, nothing sent */
    cJSON_Delete(call(&fx, "GET", "/payments/find/ord%001", 400, -1,
                      "요청 경로를 해석할 수 없습니다: '/payments/find/ord%001'"));
    expect_upstream(&fx, NULL);
    fx_stop(&fx);
}
END_TEST

START_TEST(schedule_ids_with_an_escaped_slash)
{
    struct fx fx;
    char *cu = start_with_key(&fx);
    long long now = (long long)time(NULL);

    /* decoded first, this was the listing of customer "cu": now the schedule "customers/cu" */
    cJSON_Delete(call(&fx, "GET", "/subscribe/payments/schedule/customers%2Fcu", 404, -1,
                      NOT_FOUND_SCHEDULE));
    expect_upstream(&fx, "/subscribe/payments/schedule/customers%2Fcu");

    /* the listing of "cu/x" (both spellings) asks iamport about that one customer_uid */
    char *path = xasprintf("/subscribe/payments/schedule/customers/cu%%2Fx?from=%lld&to=%lld",
                           now - 3600, now + 3600);
    cJSON *b = call(&fx, "GET", path, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "response"), "total")->valueint, 0);
    cJSON_Delete(b);
    free(path);
    expect_upstream(&fx, "/subscribe/payments/schedule/customers/cu%2Fx");
    path = xasprintf("/subscribe/customers/cu%%2Fx/schedules?from=%lld&to=%lld", now - 3600,
                     now + 3600);
    cJSON_Delete(call(&fx, "GET", path, 200, 0, NULL));
    free(path);
    expect_upstream(&fx, "/subscribe/payments/schedule/customers/cu%2Fx");

    /* decoded first, "<key>%2Fschedules" was the key's schedule listing: now it is the key
     * "<key>/schedules", which billkey never issued */
    path = xasprintf("/subscribe/customers/%s%%2Fschedules", cu);
    char *uid = xasprintf("%s/schedules", cu);
    char *msg = xasprintf(NO_KEY_FMT, uid);
    cJSON_Delete(call(&fx, "GET", path, 200, 1, msg));
    expect_upstream(&fx, NULL);
    free(msg);
    free(uid);
    free(path);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(customer_uids_with_an_escaped_slash)
{
    struct fx fx;
    char *cu = start_with_key(&fx);
    char *msg = xasprintf(NO_KEY_FMT, "a/b");

    /* a customer_uid with '/' cannot exist at iamport (nor did billkey issue one) */
    cJSON_Delete(call(&fx, "GET", "/subscribe/customers/a%2Fb", 200, 1, msg));
    cJSON_Delete(call(&fx, "DELETE", "/subscribe/customers/a%2Fb?reason=x", 200, 1, msg));
    cJSON_Delete(call(&fx, "POST", "/subscribe/customers/a%2Fb", 200, 1, CARD_REFUSED));
    expect_upstream(&fx, NULL);
    /* the key next to it is untouched: "<key>/x" is not "<key>" */
    char *path = xasprintf("/subscribe/customers/%s%%2Fx", cu);
    char *other = xasprintf("%s/x", cu);
    char *other_msg = xasprintf(NO_KEY_FMT, other);
    cJSON_Delete(call(&fx, "DELETE", path, 200, 1, other_msg));
    expect_upstream(&fx, NULL);
    const char *p[] = {cu, NULL};
    char *status = fx_sql(&fx, "SELECT status FROM billing_keys WHERE customer_uid = $1", p);
    ck_assert_str_eq(status, "active");
    free(status);
    /* an escaped key of its own is found: the id is decoded after routing */
    free(path);
    path = xasprintf("/subscribe/customers/%%%02X%s", (unsigned char)cu[0], cu + 1);
    cJSON *b = call(&fx, "GET", path, 200, 0, NULL);
    ck_assert_str_eq(fx_str(cJSON_GetObjectItem(b, "response"), "customer_uid"), cu);
    cJSON_Delete(b);
    char *sent = xasprintf("/subscribe/customers/%s", cu);
    expect_upstream(&fx, sent);
    free(sent);

    /* billkey's own route: a customer_id never holds '/' (checkouts refuse one), so "cust/a" is
     * a customer without keys, like any other unknown one */
    struct http_client_response r;
    fx_merchant(&fx, NULL, "GET", "/api/customers/cust%2Fa", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(fx_str(r.json, "customer_id"), "cust/a");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "billing_keys")), 0);
    http_client_response_release(&r);
    fx_merchant(&fx, NULL, "GET", "/api/customers/cust%00a", NULL, NULL, &r);
    fx_expect_error(&r, 400, "bad_path");
    http_client_response_release(&r);
    expect_upstream(&fx, NULL);

    free(other_msg);
    free(other);
    free(path);
    free(msg);
    free(cu);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_path_ids(void)
{
    Suite *s = suite_create("path_ids");
    TCase *tc = tcase_create("path_ids");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, payment_ids_with_an_escaped_slash);
    tcase_add_test(tc, schedule_ids_with_an_escaped_slash);
    tcase_add_test(tc, customer_uids_with_an_escaped_slash);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_path_ids)
