/* Checkout API: merchant key (401), every bad field (400 naming it), 415/413, demo route, config, customers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/testlib.h"

START_TEST(merchant_key_is_required)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    static const char *const bodies[] = {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":1,"
                                         "\"name\":\"n\"}",
                                         "{not json", NULL};
    static const char *const paths[] = {"/api/checkouts", "/api/customers/c"};
    static const char *const keys[] = {NULL, "wrong_key_0123456789abcdef", ""};
    for (size_t p = 0; p < 2; p++) {
        char *url = fx_url(&fx, NULL, paths[p]);
        for (size_t k = 0; k < 3; k++) {
            for (size_t b = 0; b < (p == 0 ? 2 : 1); b++) {
                if (p == 0)
                    http_client_json("POST", url, bodies[b], keys[k], &r);
                else
                    http_client_get(url, keys[k], &r);
                ck_assert_msg(r.status == 401, "%s key %zu -> %ld", paths[p], k, r.status);
                ck_assert_str_eq(testlib_error_field(r.json, "code"), "unauthorized");
                char *www = http_client_header(&r, "WWW-Authenticate");
                ck_assert_ptr_nonnull(www);
                ck_assert_int_eq(strncmp(www, "Bearer realm=\"billkey\"", 22), 0);
                free(www);
                http_client_response_release(&r);
            }
        }
        free(url);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 0);
    fx_stop(&fx);
}
END_TEST

struct field_case {
    const char *body;
    const char *field;
    const char *message; /* NULL: not compared */
};

#define OK_REST "\"pg\":\"payco\",\"amount\":9900,\"name\":\"n\""

static const struct field_case field_cases[] = {
    {"{" OK_REST "}", "customer_id", "customer_id: required"},
    {"{\"customer_id\":\"\"," OK_REST "}", "customer_id", "customer_id: must not be empty"},
    {"{\"customer_id\":\"a/b\"," OK_REST "}", "customer_id", NULL},
    {"{\"customer_id\":\"x\\u0007y\"," OK_REST "}", "customer_id", NULL},
    {"{\"customer_id\":12," OK_REST "}", "customer_id", NULL},
    {"{\"customer_id\":\"12345678901234567890123456789012345678901234567890123456789012345\"," OK_REST
     "}",
     "customer_id", "customer_id: longer than 64 characters"},
    {"{\"customer_id\":\"c\",\"amount\":9900,\"name\":\"n\"}", "pg", "pg: required"},
    {"{\"customer_id\":\"c\",\"pg\":\"toss\",\"amount\":9900,\"name\":\"n\"}", "pg",
     "pg: 'toss' is not one of payco, kakaopay, kicc, chai, naverpay"},
    {"{\"customer_id\":\"c\",\"pg\":\"PAYCO\",\"amount\":9900,\"name\":\"n\"}", "pg", NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"kakaopay.TCSUBSCRIP\",\"amount\":9900,\"name\":\"n\"}", "pg",
     NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"<script>\",\"amount\":9900,\"name\":\"n\"}", "pg",
     "pg: '<script>' is not one of payco, kakaopay, kicc, chai, naverpay"},
    {"{\"customer_id\":\"c\",\"pg\":[\"payco\"],\"amount\":9900,\"name\":\"n\"}", "pg", NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"name\":\"n\"}", "amount", "amount: required"},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":-1,\"name\":\"n\"}", "amount",
     "amount: out of range 0..100000000"},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":100000001,\"name\":\"n\"}", "amount",
     "amount: out of range 0..100000000"},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":99.5,\"name\":\"n\"}", "amount", NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":\"9,900\",\"name\":\"n\"}", "amount",
     NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":true,\"name\":\"n\"}", "amount", NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":1e30,\"name\":\"n\"}", "amount", NULL},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":99,\"name\":\"n\",\"charge_now\":true}",
     "amount", "amount: must be at least 100 when charge_now is true"},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":0,\"name\":\"n\",\"charge_now\":true}",
     "amount", "amount: must be at least 100 when charge_now is true"},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":9900}", "name", "name: required"},
    {"{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":9900,\"name\":\"가나다라마바사아자차카타파하"
     "가나다라마바사아자차카타파하가나다라마바사아자차카타파\"}",
     "name", "name: longer than 40 characters"},
    {"{\"customer_id\":\"c\"," OK_REST ",\"charge_now\":\"yes\"}", "charge_now", NULL},
    {"{\"customer_id\":\"c\"," OK_REST ",\"buyer_name\":\"가나다라마바사아자차카타파하가나다\"}",
     "buyer_name", "buyer_name: longer than 16 characters"},
    {"{\"customer_id\":\"c\"," OK_REST ",\"buyer_email\":\""
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.kr\"}",
     "buyer_email", "buyer_email: longer than 64 characters"},
    {"{\"customer_id\":\"c\"," OK_REST ",\"buyer_tel\":\"<script>\"}", "buyer_tel",
     "buyer_tel: must be a phone number (digits, '+', '-', spaces)"},
    {"{\"customer_id\":\"c\"," OK_REST ",\"buyer_tel\":\"010-1234-5678-0000\"}", "buyer_tel",
     "buyer_tel: longer than 16 characters"},
    {"{\"customer_id\":\"c\",\"pg\":\"naverpay\",\"amount\":9900,\"name\":\"n\"}", "buyer_tel",
     "buyer_tel: required for naverpay"},
    {"{\"customer_id\":\"c\",\"pg\":\"naverpay\",\"amount\":9900,\"name\":\"n\","
     "\"buyer_tel\":\"\"}",
     "buyer_tel", "buyer_tel: required for naverpay"},
    {"{\"customer_id\":\"c\"," OK_REST ",\"naver_popup\":\"maybe\"}", "naver_popup", NULL},
    {"{\"customer_id\":\"c\"," OK_REST ",\"mobile\":2}", "mobile", NULL},
    {"{\"customer_id\":\"c\"," OK_REST ",\"naver_product_code\":\"plan-1\"}", "naver_product_code",
     "naver_product_code: only for pg naverpay"},
    {"{\"customer_id\":\"c\",\"pg\":\"naverpay\",\"amount\":9900,\"name\":\"n\","
     "\"buyer_tel\":\"010\",\"naver_product_code\":\""
     "012345678901234567890123456789012345678901234567890"
     "\"}",
     "naver_product_code", "naver_product_code: longer than 50 characters"},
    {"{\"customer_id\":\"c\",\"pg\":\"naverpay\",\"amount\":9900,\"name\":\"n\","
     "\"buyer_tel\":\"010\",\"naver_product_code\":7}",
     "naver_product_code", NULL},
};

START_TEST(every_bad_field_is_400_naming_it)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
        const struct field_case *c = &field_cases[i];
        fx_create_checkout(&fx, c->body, &r);
        ck_assert_msg(r.status == 400, "%s -> %ld: %s", c->body, r.status, r.body);
        ck_assert_str_eq(testlib_error_field(r.json, "code"), "invalid_field");
        ck_assert_msg(testlib_error_field(r.json, "field") &&
                          strcmp(testlib_error_field(r.json, "field"), c->field) == 0,
                      "%s: %s", c->body, r.body);
        if (c->message)
            ck_assert_str_eq(testlib_error_field(r.json, "message"), c->message);
        http_client_response_release(&r);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 0);
    fx_stop(&fx);
}
END_TEST

START_TEST(body_shape_errors)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *url = fx_url(&fx, NULL, "/api/checkouts");
    const char *auth = "Authorization: Bearer " FX_API_KEY;
    const char *headers[] = {auth, NULL};

    struct http_client_request rq = {.method = "POST",
                                     .url = url,
                                     .headers = headers,
                                     .content_type = "text/plain",
                                     .body = "customer_id=c"};
    http_client_do(&rq, &r);
    ck_assert_int_eq(r.status, 415);
    ck_assert_str_eq(testlib_error_field(r.json, "code"), "unsupported_media_type");
    http_client_response_release(&r);

    http_client_json("POST", url, "{\"customer_id\":", FX_API_KEY, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(testlib_error_field(r.json, "code"), "malformed_body");
    http_client_response_release(&r);

    http_client_json("POST", url, "{\"customer_id\":\"a\",\"customer_id\":\"b\"}", FX_API_KEY, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(testlib_error_field(r.json, "code"), "malformed_body");
    http_client_response_release(&r);

    size_t n = 20 * 1024;
    char *big = xmalloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    http_client_json("POST", url, big, FX_API_KEY, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(testlib_error_field(r.json, "code"), "payload_too_large");
    http_client_response_release(&r);
    free(big);

    /* a form body is the same tree as JSON */
    http_client_form("POST", url,
                     "customer_id=form%20cust&pg=kicc&amount=1000&name=%ED%94%8C%EB%9E%9C"
                     "&charge_now=true",
                     FX_API_KEY, &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(r.json, "request_pay");
    ck_assert_str_eq(fx_str(rp, "name"), "플랜");
    ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rp, "amount")),
                     1000);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations WHERE customer_id = "
                                   "'form cust' AND charge_now AND created_by = 'shop'"),
                     1);
    free(url);
    fx_stop(&fx);
}
END_TEST

/* The 201 answer has exactly these members; the registration and its audit row are stored. */
START_TEST(created_checkout_is_stored)
{
    struct fx fx;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_ok(&fx, "{\"customer_id\":\"c-9\",\"pg\":\"kakaopay\",\"amount\":4900,"
                                    "\"name\":\"n\",\"charge_now\":true}");
    const char *names[] = {"merchant_uid", "customer_uid", "status", "request_pay"};
    ck_assert_int_eq(cJSON_GetArraySize(co), 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(co, names[i]));
    const char *p[] = {fx_str(co, "merchant_uid"), NULL};
    char *row = fx_sql(&fx,
                       "SELECT concat_ws('|', status, customer_id, pg_provider, amount, "
                       "window_amount, charge_now, created_by, imp_uid IS NULL) "
                       "FROM registrations WHERE merchant_uid = $1",
                       p);
    ck_assert_str_eq(row, "pending|c-9|kakaopay|4900|4900|t|shop|t");
    free(row);
    row = fx_sql(&fx,
                 "SELECT concat_ws('|', kind, amount, status) FROM payments "
                 "WHERE merchant_uid = $1",
                 p);
    ck_assert_str_eq(row, "issue|4900|requested"); /* the ledger row exists before the window */
    free(row);
    row = fx_sql(&fx,
                 "SELECT string_agg(actor || ':' || action, ',' ORDER BY id) "
                 "FROM audit_events WHERE subject = $1",
                 p);
    ck_assert_str_eq(row, "api:shop:registration.created,api:shop:payment.requested");
    free(row);
    /* iamport has the expected amount */
    char *path = xasprintf("/payments/prepare/%s", p[0]);
    char *token = sandbox_token(&fx.sandbox);
    struct http_client_response r;
    ck_assert_int_eq(sandbox_call_auth(&fx.sandbox, "GET", path, token, NULL, NULL, &r), 200);
    ck_assert_int_eq((int)cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(http_client_body_response(&r), "amount")),
                     4900);
    http_client_response_release(&r);
    free(token);
    free(path);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

START_TEST(demo_route_only_in_sandbox_mode)
{
    const char *env_off[] = {"SANDBOX_MODE=0", NULL};
    const char *body = "{\"customer_id\":\"d\",\"pg\":\"chai\",\"amount\":0,\"name\":\"n\"}";
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, _i ? NULL : env_off);
    char *url = fx_url(&fx, NULL, "/demo/checkouts");
    http_client_json("POST", url, body, NULL, &r);
    if (_i == 0) {
        ck_assert_int_eq(r.status, 404);
        ck_assert_str_eq(testlib_error_field(r.json, "code"), "not_found");
        ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 0);
    } else {
        ck_assert_msg(r.status == 201, "%s", r.body);
        ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations "
                                       "WHERE created_by = 'demo'"),
                         1);
        ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events WHERE actor = 'demo'"),
                         1);
    }
    http_client_response_release(&r);
    free(url);
    fx_stop(&fx);
}
END_TEST

START_TEST(checkout_config_is_public)
{
    const char *env[] = {"IAMPORT_SDK_URL=http://127.0.0.1:1/v1/iamport.js", NULL};
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, env);
    char *url = fx_url(&fx, NULL, "/checkout/config");
    http_client_get(url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(
        r.body, "{\"imp_code\":\"imp_sandbox\","
                "\"sdk_url\":\"http://127.0.0.1:1/v1/iamport.js\","
                "\"sandbox_mode\":true,\"pgs\":["
                "{\"provider\":\"payco\",\"label\":\"PAYCO\",\"buyer_tel_required\":false},"
                "{\"provider\":\"kakaopay\",\"label\":\"카카오페이\",\"buyer_tel_required\":false},"
                "{\"provider\":\"kicc\",\"label\":\"KICC\",\"buyer_tel_required\":false},"
                "{\"provider\":\"chai\",\"label\":\"CHAI\",\"buyer_tel_required\":false},"
                "{\"provider\":\"naverpay\",\"label\":\"네이버페이\",\"buyer_tel_required\":true}"
                "]}");
    ck_assert_ptr_null(strstr(r.body, SANDBOX_IMP_SECRET));
    http_client_response_release(&r);
    free(url);
    fx_stop(&fx);
}
END_TEST

START_TEST(customer_view_rules)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    struct {
        const char *path;
        long status;
        const char *body;
    } cases[] = {
        {"/api/customers/nobody", 200, "{\"customer_id\":\"nobody\",\"billing_keys\":[]}"},
        {"/api/customers/%27%20OR%201%3D1%20--", 200,
         "{\"customer_id\":\"' OR 1=1 --\",\"billing_keys\":[]}"},
        {"/api/customers/%3Cscript%3E", 200, "{\"customer_id\":\"<script>\",\"billing_keys\":[]}"},
        {"/api/customers/12345678901234567890123456789012345678901234567890123456789012345", 400,
         NULL},
        {"/api/customers/a%01b", 400, NULL},
        {"/api/customers/%FF%FE", 400, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *url = fx_url(&fx, NULL, cases[i].path);
        http_client_get(url, FX_API_KEY, &r);
        ck_assert_msg(r.status == cases[i].status, "%s -> %ld: %s", cases[i].path, r.status,
                      r.body);
        if (cases[i].body)
            ck_assert_str_eq(r.body, cases[i].body);
        else
            ck_assert_str_eq(testlib_error_field(r.json, "field"), "customer_id");
        http_client_response_release(&r);
        free(url);
    }
    fx_stop(&fx);
}
END_TEST

/* NaverPay (issue #12): a phone gets the page redirect unless the checkout asks for the popup,
 * a PC the popup unless it asks for the redirect; naverProductCode is the checkout's when given,
 * else NAVERPAY_PRODUCT_CODE. */
START_TEST(naverpay_mode_and_product_code_per_checkout)
{
    static const struct {
        const char *extra; /* members added to the body */
        int popup;
        const char *code;
    } cases[] = {
        {"", 1, "billkey"},
        {",\"mobile\":false", 1, "billkey"},
        {",\"mobile\":true", 0, "billkey"},
        {",\"mobile\":true,\"naver_popup\":true", 1, "billkey"},
        {",\"naver_popup\":false", 0, "billkey"},
        {",\"mobile\":true,\"naver_product_code\":\"plan-premium-12m\"", 0, "plan-premium-12m"},
        {",\"naver_product_code\":\"\"", 1, "billkey"}, /* "" counts as absent */
    };
    struct fx fx;
    fx_start(&fx, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = xasprintf("{\"customer_id\":\"nv-%zu\",\"pg\":\"naverpay\",\"amount\":9900,"
                               "\"name\":\"n\",\"buyer_tel\":\"010-1234-5678\"%s}",
                               i, cases[i].extra);
        cJSON *co = fx_checkout_ok(&fx, body);
        const cJSON *rp = fx_request_pay(co);
        const cJSON *popup = cJSON_GetObjectItemCaseSensitive(rp, "naverPopupMode");
        ck_assert_msg(cJSON_IsBool(popup) && cJSON_IsTrue(popup) == cases[i].popup,
                      "%s: naverPopupMode", body);
        ck_assert_str_eq(fx_str(rp, "naverProductCode"), cases[i].code);
        cJSON_Delete(co);
        free(body);
    }
    fx_stop(&fx);
}
END_TEST

#define OTHER_KEY "other_key_for_rotation_0123456789"

/* GET /api/customers/{id} with key, expecting `status` and (for 200) `billing_keys` entries. */
static void expect_customer(const struct fx *fx, const struct billkeyd_proc *p, const char *key,
                            long status, int billing_keys)
{
    struct http_client_response r;
    char *url = fx_url(fx, p, "/api/customers/cust-1");
    http_client_get(url, key, &r);
    ck_assert_msg(r.status == status, "%s -> %ld: %s", url, r.status, r.body);
    if (status == 200) {
        const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r.json, "billing_keys");
        ck_assert_int_eq(cJSON_GetArraySize(keys), billing_keys);
    } else {
        ck_assert_str_eq(testlib_error_field(r.json, "code"), "unauthorized");
        ck_assert_ptr_null(strstr(r.body, "cust-1"));
    }
    http_client_response_release(&r);
    free(url);
}

/* Issue #12, decided: every key of BILLKEY_API_KEYS belongs to the one merchant (keys exist for
 * rotation, not tenancy). A customer created under one key is visible with another; a key
 * removed from the list sees nothing. */
START_TEST(every_key_sees_the_merchants_customers)
{
    struct fx fx;
    const char *both[] = {"BILLKEY_API_KEYS=" FX_API_KEY_NAME ":" FX_API_KEY ",other:" OTHER_KEY,
                          NULL};
    fx_start(&fx, both);
    char *cu = fx_active_key(&fx, "payco", 0, NULL); /* created with FX_API_KEY */
    const char *params[] = {cu, NULL};
    char *created_by =
        fx_sql(&fx, "SELECT created_by FROM registrations WHERE customer_uid = $1", params);
    ck_assert_str_eq(created_by, FX_API_KEY_NAME);
    free(created_by);
    expect_customer(&fx, NULL, FX_API_KEY, 200, 1);
    expect_customer(&fx, NULL, OTHER_KEY, 200, 1);

    /* the next deployment drops the first key: it sees nothing, the other key everything */
    struct billkeyd_proc rotated;
    const char *other_only[] = {"BILLKEY_API_KEYS=other:" OTHER_KEY, NULL};
    fx_start_billkeyd(&fx, &rotated, other_only);
    expect_customer(&fx, &rotated, FX_API_KEY, 401, 0);
    expect_customer(&fx, &rotated, OTHER_KEY, 200, 1);
    fx_stop_billkeyd(&rotated);
    free(cu);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_issuance_api(void)
{
    Suite *s = suite_create("issuance_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, merchant_key_is_required);
    tcase_add_test(tc, every_bad_field_is_400_naming_it);
    tcase_add_test(tc, body_shape_errors);
    tcase_add_test(tc, created_checkout_is_stored);
    tcase_add_loop_test(tc, demo_route_only_in_sandbox_mode, 0, 2);
    tcase_add_test(tc, checkout_config_is_public);
    tcase_add_test(tc, customer_view_rules);
    tcase_add_test(tc, every_key_sees_the_merchants_customers);
    tcase_add_test(tc, naverpay_mode_and_product_code_per_checkout);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_issuance_api)
