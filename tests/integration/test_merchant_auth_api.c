/* Merchant authentication over real HTTP: POST /users/getToken, tokens on merchant routes, expiry, removed keys, two instances. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/clock.h"
#include "server/core/xalloc.h"
#include "server/http/merchant_auth.h"
#include "server/http/merchant_token.h"
#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/http_client.h"
#include "tests/lib/testlib.h"

#define SHOP_KEY "shop_key_0123456789abcdef"
#define DOTTED_KEY "dotted_key_0123456789abcdef"
#define BOTH_KEYS "BILLKEY_API_KEYS=shop:" SHOP_KEY ",shop.v2:" DOTTED_KEY
#define SHOP_ONLY "BILLKEY_API_KEYS=shop:" SHOP_KEY
#define UNAUTHORIZED_ENVELOPE "{\"code\":-1,\"message\":\"Unauthorized\",\"response\":null}"
#define MISSING_MESSAGE "imp_key, imp_secret 파라메터가 누락되었습니다."
#define READY_WAIT_MS 20000

static const struct merchant_key shop = {(char *)"shop", (char *)SHOP_KEY};

/* Starts billkeyd on db with BILLKEY_API_KEYS as given and waits for /readyz. */
static void start(struct billkeyd_proc *p, const char *db, const char *api_keys_env)
{
    const char *env[] = {api_keys_env, NULL};
    ck_assert_int_eq(billkeyd_start(p, db, env), 0);
    char *url = xasprintf("%s/readyz", p->base_url);
    ck_assert_int_eq(testlib_wait_http_status(url, 200, READY_WAIT_MS, 50), 200);
    free(url);
}

/* Stops billkeyd, asserting a clean exit and that `secret` (may be NULL) never reached its log. */
static void stop(struct billkeyd_proc *p, const char *secret)
{
    if (secret) {
        char *log = billkeyd_log(p);
        ck_assert_msg(strstr(log, secret) == NULL, "'%s' was logged", secret);
        free(log);
    }
    ck_assert_int_eq(billkeyd_stop(p), 0);
}

/* A fresh database named after prefix with billkeyd started on it; returns the database URL
 * (the caller passes it to finish()). */
static char *start_fresh(struct billkeyd_proc *p, const char *prefix, const char *api_keys_env)
{
    char *db = testlib_create_database(prefix);
    start(p, db, api_keys_env);
    return db;
}

/* stop(), then frees db. */
static void finish(struct billkeyd_proc *p, char *db, const char *secret)
{
    stop(p, secret);
    free(db);
}

static char *url(const struct billkeyd_proc *p, const char *path)
{
    return xasprintf("%s%s", p->base_url, path);
}

/* POST /users/getToken with this body (JSON unless form). */
static void get_token_call(const struct billkeyd_proc *p, const char *body, int form,
                           struct http_client_response *r)
{
    char *u = url(p, "/users/getToken");
    if (form)
        http_client_form("POST", u, body, NULL, r);
    else
        http_client_json("POST", u, body, NULL, r);
    free(u);
}

/* Asserts a successful getToken reply and returns its access_token (caller frees). */
static char *token_from(const struct http_client_response *r)
{
    ck_assert_msg(r->status == 200, "getToken -> %ld: %s", r->status, r->body);
    ck_assert_int_eq(http_client_code(r), 0);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r->json, "message")));
    const cJSON *resp = http_client_body_response(r);
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(resp, "access_token");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(resp, "now");
    const cJSON *expired_at = cJSON_GetObjectItemCaseSensitive(resp, "expired_at");
    ck_assert(cJSON_IsString(token));
    ck_assert(cJSON_IsNumber(now) && cJSON_IsNumber(expired_at));
    /* integers in the text itself, never floats or null */
    ck_assert_ptr_null(strstr(r->body, "e+"));
    char want[64];
    snprintf(want, sizeof want, "\"now\":%.0f,", now->valuedouble);
    ck_assert_msg(strstr(r->body, want) != NULL, "%s", r->body);
    /* the key's current token: more than its last minute left, at most its 30 minutes */
    ck_assert(expired_at->valuedouble > now->valuedouble + MERCHANT_TOKEN_RENEW_S);
    ck_assert(expired_at->valuedouble <= now->valuedouble + MERCHANT_TOKEN_LIFETIME_S);
    int64_t real = clock_now_s(NULL);
    ck_assert(now->valuedouble >= (double)(real - 60) && now->valuedouble <= (double)real + 1);
    /* one piece: a Content-Length, no chunking */
    char *length = http_client_header(r, "Content-Length");
    char *encoding = http_client_header(r, "Transfer-Encoding");
    ck_assert_ptr_nonnull(length);
    ck_assert_int_eq(atol(length), (long)r->body_len);
    ck_assert_ptr_null(encoding);
    free(length);
    char *cache = http_client_header(r, "Cache-Control");
    ck_assert_str_eq(cache, "no-store");
    free(cache);
    return xstrdup(token->valuestring);
}

static char *get_token(const struct billkeyd_proc *p, const char *name, const char *key)
{
    struct http_client_response r;
    char *body = xasprintf("{\"imp_key\":\"%s\",\"imp_secret\":\"%s\"}", name, key);
    get_token_call(p, body, 0, &r);
    char *token = token_from(&r);
    http_client_response_release(&r);
    free(body);
    return token;
}

enum form { AUTH_BARE, AUTH_BEARER, IMP_HEADER };

/* GET /api/customers/c1 with the token in one of iamport's forms; returns the status. */
static long customers_with(const struct billkeyd_proc *p, const char *token, enum form form)
{
    char *u = url(p, "/api/customers/c1");
    char *header = form == AUTH_BARE     ? xasprintf("Authorization: %s", token)
                   : form == AUTH_BEARER ? xasprintf("Authorization: Bearer %s", token)
                                         : xasprintf("X-ImpTokenHeader: %s", token);
    const char *headers[] = {header, NULL};
    struct http_client_request rq = {.url = u, .headers = headers};
    struct http_client_response r;
    http_client_do(&rq, &r);
    long status = r.status;
    if (status == 200) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r.json, "customer_id");
        ck_assert(cJSON_IsString(id) && strcmp(id->valuestring, "c1") == 0);
    } else {
        ck_assert_str_eq(testlib_error_field(r.json, "code"), "unauthorized");
        ck_assert_ptr_null(strstr(r.body, token));
    }
    http_client_response_release(&r);
    free(header);
    free(u);
    return status;
}

static void expect_every_form(const struct billkeyd_proc *p, const char *token, long status)
{
    for (enum form f = AUTH_BARE; f <= IMP_HEADER; f++)
        ck_assert_msg(customers_with(p, token, f) == status, "form %d", (int)f);
}

START_TEST(get_token_in_json_and_form)
{
    struct billkeyd_proc p;
    char *db = start_fresh(&p, "mauth_get", BOTH_KEYS);
    char *json_token = get_token(&p, "shop", SHOP_KEY);
    ck_assert_int_eq(strncmp(json_token, "bkt1.shop.", 10), 0);

    struct http_client_response r;
    get_token_call(&p, "imp_key=shop.v2&imp_secret=" DOTTED_KEY, 1, &r);
    char *form_token = token_from(&r);
    http_client_response_release(&r);
    ck_assert_int_eq(strncmp(form_token, "bkt1.shop.v2.", 13), 0);

    /* as iamport: the same token again until its last minute (get_token_renews_in_its_last_
     * minute) */
    char *again = get_token(&p, "shop", SHOP_KEY);
    ck_assert_str_eq(again, json_token);
    expect_every_form(&p, json_token, 200);
    expect_every_form(&p, again, 200);
    expect_every_form(&p, form_token, 200);
    /* and the API key itself still works */
    char *u = url(&p, "/api/customers/c1");
    http_client_get(u, SHOP_KEY, &r);
    ck_assert_int_eq(r.status, 200);
    http_client_response_release(&r);
    free(u);

    finish(&p, db, json_token);
    free(again);
    free(form_token);
    free(json_token);
}
END_TEST

START_TEST(wrong_credentials_get_401)
{
    struct billkeyd_proc p;
    char *db = start_fresh(&p, "mauth_bad", BOTH_KEYS);
    static const char *const bodies[] = {
        "{\"imp_key\":\"shop\",\"imp_secret\":\"shop_key_0123456789abcdeF\"}",
        "{\"imp_key\":\"nobody\",\"imp_secret\":\"" SHOP_KEY "\"}",
        "{\"imp_key\":\"shop\",\"imp_secret\":\"" DOTTED_KEY "\"}", /* another key's secret */
        "{\"imp_key\":\"shop.v2\",\"imp_secret\":\"" SHOP_KEY "\"}",
        "{\"imp_key\":\"shop\",\"imp_secret\":\"shop\"}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct http_client_response r;
        get_token_call(&p, bodies[i], 0, &r);
        ck_assert_msg(r.status == 401, "%s -> %ld", bodies[i], r.status);
        ck_assert_str_eq(r.body, UNAUTHORIZED_ENVELOPE);
        http_client_response_release(&r);
    }
    finish(&p, db, "shop_key_0123456789abcdeF");
}
END_TEST

START_TEST(missing_fields_are_refused_with_iamports_message)
{
    struct billkeyd_proc p;
    char *db = start_fresh(&p, "mauth_missing", SHOP_ONLY);
    static const struct {
        const char *body;
        int form;
    } cases[] = {
        {"{}", 0},
        {"{\"imp_key\":\"shop\"}", 0},
        {"{\"imp_secret\":\"" SHOP_KEY "\"}", 0},
        {"{\"imp_key\":null,\"imp_secret\":null}", 0},
        {"{\"imp_key\":\"\",\"imp_secret\":\"\"}", 0},
        {"{\"imp_key\":12,\"imp_secret\":\"" SHOP_KEY "\"}", 0},
        {"imp_key=shop", 1},
        {"imp_key=&imp_secret=", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_client_response r;
        get_token_call(&p, cases[i].body, cases[i].form, &r);
        ck_assert_msg(r.status == 200, "%s -> %ld", cases[i].body, r.status);
        ck_assert_int_eq(http_client_code(&r), 1);
        ck_assert_str_eq(http_client_message(&r), MISSING_MESSAGE);
        ck_assert(cJSON_IsNull(http_client_body_response(&r)));
        http_client_response_release(&r);
    }
    /* a body that is not JSON is the envelope too, with its HTTP status */
    struct http_client_response r;
    get_token_call(&p, "{not json", 0, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(http_client_code(&r), -1);
    http_client_response_release(&r);
    finish(&p, db, NULL);
}
END_TEST

START_TEST(unknown_and_expired_tokens_are_refused)
{
    struct billkeyd_proc p;
    char *db = start_fresh(&p, "mauth_expired", SHOP_ONLY);
    char expired[MERCHANT_TOKEN_SIZE], forged[MERCHANT_TOKEN_SIZE];
    /* minted half an hour in the past: its 30 minutes ended a second ago */
    struct clock past = clock_fixed((clock_now_s(NULL) - MERCHANT_TOKEN_LIFETIME_S - 1) * 1000);
    ck_assert_int_eq(
        merchant_token_issue(&shop, clock_now_s(&past) + MERCHANT_TOKEN_LIFETIME_S, expired), 0);
    expect_every_form(&p, expired, 401);
    /* a token nobody issued: the right shape, a made-up MAC */
    ck_assert_int_eq(merchant_token_issue(&shop, clock_now_s(NULL) + 600, forged), 0);
    size_t last = strlen(forged) - 1;
    forged[last] = forged[last] == '0' ? '1' : '0';
    expect_every_form(&p, forged, 401);
    expect_every_form(&p, "bkt1.shop.1.nonsense", 401);
    /* a key in the token-only forms is not accepted */
    ck_assert_int_eq(customers_with(&p, SHOP_KEY, AUTH_BARE), 401);
    ck_assert_int_eq(customers_with(&p, SHOP_KEY, IMP_HEADER), 401);
    finish(&p, db, expired);
}
END_TEST

START_TEST(removed_keys_lose_their_tokens)
{
    struct billkeyd_proc p;
    char *db = start_fresh(&p, "mauth_removed", BOTH_KEYS);
    char *shop_token = get_token(&p, "shop", SHOP_KEY);
    char *dotted_token = get_token(&p, "shop.v2", DOTTED_KEY);
    expect_every_form(&p, dotted_token, 200);
    stop(&p, dotted_token);

    start(&p, db, SHOP_ONLY);
    expect_every_form(&p, dotted_token, 401);
    expect_every_form(&p, shop_token, 200); /* the key that stayed keeps its tokens */
    stop(&p, shop_token);

    /* the same name with a new secret */
    start(&p, db, "BILLKEY_API_KEYS=shop:shop_key_rotated_0123456789");
    expect_every_form(&p, shop_token, 401);
    finish(&p, db, shop_token);
    free(shop_token);
    free(dotted_token);
}
END_TEST

START_TEST(a_second_instance_accepts_the_first_ones_token)
{
    struct billkeyd_proc a, b;
    char *db = testlib_create_database("mauth_two");
    start(&a, db, BOTH_KEYS);
    start(&b, db, BOTH_KEYS);
    char *from_a = get_token(&a, "shop", SHOP_KEY);
    char *from_b = get_token(&b, "shop.v2", DOTTED_KEY);
    expect_every_form(&b, from_a, 200);
    expect_every_form(&a, from_b, 200);
    /* and answers the same token for the same key */
    char *shop_from_b = get_token(&b, "shop", SHOP_KEY);
    ck_assert_str_eq(shop_from_b, from_a);
    free(shop_from_b);
    stop(&b, from_a);
    stop(&a, from_b);
    free(from_a);
    free(from_b);
    free(db);
}
END_TEST

/* Sets the stored expiry of key_name's token to `left` seconds from now (database clock). */
static void set_token_left(const char *db, const char *key_name, int left)
{
    PGconn *pg = db_test_connect(db);
    char *sql = xasprintf("UPDATE merchant_token_expiry SET expires_at = extract(epoch FROM "
                          "now())::bigint + %d WHERE key_name = $1 RETURNING 1",
                          left);
    char *one = db_test_query(pg, sql, key_name);
    ck_assert_str_eq(one, "1");
    free(one);
    free(sql);
    PQfinish(pg);
}

/* getToken's answer for shop: the token, *expired_at and *now. Caller frees. */
static char *shop_token(const struct billkeyd_proc *p, double *expired_at, double *now)
{
    struct http_client_response r;
    get_token_call(p, "{\"imp_key\":\"shop\",\"imp_secret\":\"" SHOP_KEY "\"}", 0, &r);
    char *token = token_from(&r);
    *expired_at = cJSON_GetObjectItem(http_client_body_response(&r), "expired_at")->valuedouble;
    *now = cJSON_GetObjectItem(http_client_body_response(&r), "now")->valuedouble;
    http_client_response_release(&r);
    return token;
}

/* Asserts that getToken answers token with expired_at again. */
static void expect_same_again(const struct billkeyd_proc *p, const char *token, double expired_at)
{
    double again_at, again_now;
    char *again = shop_token(p, &again_at, &again_now);
    ck_assert_str_eq(again, token);
    ck_assert(again_at == expired_at);
    free(again);
}

/* iamport answers the same token with the same expiry until its last minute; then billkey
 * answers a new 30-minute token (iamport extends the same one: a token that carries its expiry
 * cannot be extended), and the earlier one works until it expires. */
START_TEST(get_token_renews_in_its_last_minute)
{
    struct billkeyd_proc p;
    char *db = start_fresh(&p, "mauth_renew", SHOP_ONLY);
    double expired_at, now;
    char *first = shop_token(&p, &expired_at, &now);
    expect_same_again(&p, first, expired_at);

    /* two minutes left: still the current token, with its own expiry */
    set_token_left(db, "shop", 120);
    char *current = shop_token(&p, &expired_at, &now);
    ck_assert_str_ne(current, first);
    ck_assert(expired_at > now + 60 && expired_at <= now + 121);
    expect_same_again(&p, current, expired_at);

    /* its last minute: a new one for 30 minutes; the old one still works */
    set_token_left(db, "shop", 50);
    char *renewed = shop_token(&p, &expired_at, &now);
    ck_assert_str_ne(renewed, current);
    ck_assert(expired_at == now + MERCHANT_TOKEN_LIFETIME_S);
    expect_every_form(&p, current, 200);
    expect_every_form(&p, renewed, 200);
    finish(&p, db, renewed);
    free(renewed);
    free(current);
    free(first);
}
END_TEST

static Suite *suite_merchant_auth_api(void)
{
    Suite *s = suite_create("merchant_auth_api");
    TCase *tc = tcase_create("tokens");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, get_token_in_json_and_form);
    tcase_add_test(tc, wrong_credentials_get_401);
    tcase_add_test(tc, missing_fields_are_refused_with_iamports_message);
    tcase_add_test(tc, unknown_and_expired_tokens_are_refused);
    tcase_add_test(tc, removed_keys_lose_their_tokens);
    tcase_add_test(tc, a_second_instance_accepts_the_first_ones_token);
    tcase_add_test(tc, get_token_renews_in_its_last_minute);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_merchant_auth_api)
