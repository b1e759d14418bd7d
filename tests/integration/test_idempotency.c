/* Idempotency-Key over real HTTP on POST /api/checkouts, and in-process around iamport-style routes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/migrate.h"
#include "db/pool.h"
#include "routes/idempotency_wrap.h"
#include "server/billing/idempotency.h"
#include "server/http/merchant_keys.h"
#include "server/core/xalloc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define OTHER_KEY "other_test_key_0123456789abcdef"
#define PAYCO "{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":9900,\"name\":\"n\"}"
#define PAYCO_2 "{\"customer_id\":\"c\",\"pg\":\"payco\",\"amount\":9901,\"name\":\"n\"}"

/* POST /api/checkouts with this API key and Idempotency-Key (NULL: no header; "": the header
 * with an empty value). Returns the status; *r filled (caller releases). */
static long post(const struct fx *fx, const char *api_key, const char *idem, const char *body,
                 struct http_client_response *r)
{
    char *url = fx_url(fx, NULL, "/api/checkouts");
    char *auth = xasprintf("Authorization: Bearer %s", api_key);
    char *key = !idem     ? NULL
                : idem[0] ? xasprintf("Idempotency-Key: %s", idem)
                          : xstrdup("Idempotency-Key;");
    const char *headers[] = {auth, key, NULL};
    struct http_client_request rq = {
        .method = "POST", .url = url, .headers = headers, .body = body};
    http_client_do(&rq, r);
    free(key);
    free(auth);
    free(url);
    return r->status;
}

static long long stored_keys(const struct fx *fx)
{
    return fx_count(fx, "SELECT count(*) FROM idempotency_keys");
}

START_TEST(the_same_key_and_body_replay_the_first_answer)
{
    struct fx fx;
    struct http_client_response a, b;
    fx_start(&fx, NULL);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "order-1", PAYCO, &a), 201);
    ck_assert_int_eq(fx_replayed(&a), 0);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "order-1", PAYCO, &b), 201);
    ck_assert_int_eq(fx_replayed(&b), 1);
    ck_assert_str_eq(a.body, b.body);
    ck_assert_str_eq(a.content_type, b.content_type);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM idempotency_keys WHERE api_key_name = "
                                   "'shop' AND http_status = 201"),
                     1);
    http_client_response_release(&a);
    http_client_response_release(&b);

    /* A refusal (4xx) is an answer too: stored and replayed, the handler not run again. */
    static const char *const bad =
        "{\"customer_id\":\"c\",\"pg\":\"toss\",\"amount\":1,\"name\":\"n\"}";
    ck_assert_int_eq(post(&fx, FX_API_KEY, "order-2", bad, &a), 400);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "order-2", bad, &b), 400);
    ck_assert_int_eq(fx_replayed(&a) * 10 + fx_replayed(&b), 1);
    ck_assert_str_eq(a.body, b.body); /* the first answer's request_id included */
    http_client_response_release(&a);
    http_client_response_release(&b);

    /* No header: billkey behaves as before, nothing stored. */
    ck_assert_int_eq(post(&fx, FX_API_KEY, NULL, PAYCO, &a), 201);
    ck_assert_int_eq(post(&fx, FX_API_KEY, NULL, PAYCO, &b), 201);
    ck_assert_int_eq(fx_replayed(&a) + fx_replayed(&b), 0);
    ck_assert_str_ne(fx_str(a.json, "merchant_uid"), fx_str(b.json, "merchant_uid"));
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 3);
    ck_assert_int_eq(stored_keys(&fx), 2);
    http_client_response_release(&a);
    http_client_response_release(&b);
    fx_stop(&fx);
}
END_TEST

START_TEST(the_same_key_with_another_request_is_422)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "k", PAYCO, &r), 201);
    http_client_response_release(&r);
    static const char *const others[] = {PAYCO_2, "{\"customer_id\":\"c\", \"pg\":\"payco\","
                                                  "\"amount\":9900,\"name\":\"n\"}"};
    for (size_t i = 0; i < 2; i++) {
        post(&fx, FX_API_KEY, "k", others[i], &r);
        fx_expect_error(&r, 422, "idempotency_key_reused");
        ck_assert_str_eq(testlib_error_field(r.json, "field"), "Idempotency-Key");
        ck_assert_ptr_nonnull(strstr(testlib_error_field(r.json, "message"), "different"));
        http_client_response_release(&r);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);
    fx_stop(&fx);
}
END_TEST

START_TEST(keys_of_different_api_keys_are_independent)
{
    struct fx fx;
    struct http_client_response a, b;
    const char *env[] = {"BILLKEY_API_KEYS=" FX_API_KEY_NAME ":" FX_API_KEY ",other:" OTHER_KEY,
                         NULL};
    fx_start(&fx, env);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "same", PAYCO, &a), 201);
    ck_assert_int_eq(post(&fx, OTHER_KEY, "same", PAYCO_2, &b), 201);
    ck_assert_int_eq(fx_replayed(&a) + fx_replayed(&b), 0);
    ck_assert_str_ne(fx_str(a.json, "merchant_uid"), fx_str(b.json, "merchant_uid"));
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 2);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(DISTINCT api_key_name) FROM idempotency_keys"), 2);
    http_client_response_release(&a);
    http_client_response_release(&b);
    fx_stop(&fx);
}
END_TEST

#define RACERS 8

struct racer {
    const struct fx *fx;
    pthread_barrier_t *start;
    struct http_client_response r;
};

static void *race(void *arg)
{
    struct racer *x = arg;
    pthread_barrier_wait(x->start);
    post(x->fx, FX_API_KEY, "race", PAYCO, &x->r);
    return NULL;
}

START_TEST(concurrent_requests_with_one_key_execute_once)
{
    struct fx fx;
    struct racer racers[RACERS];
    pthread_t threads[RACERS];
    pthread_barrier_t start;
    fx_start(&fx, NULL);
    pthread_barrier_init(&start, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.fx = &fx, .start = &start};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int executed = 0, replays = 0, busy = 0;
    const char *first = NULL;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        struct http_client_response *r = &racers[i].r;
        if (r->status == 409) {
            fx_expect_error(r, 409, "idempotency_key_in_progress");
            busy++;
            continue;
        }
        ck_assert_msg(r->status == 201, "racer %d -> %ld: %s", i, r->status, r->body);
        if (fx_replayed(r))
            replays++;
        else
            executed++;
        if (!first)
            first = r->body;
        ck_assert_str_eq(r->body, first);
    }
    ck_assert_int_eq(executed, 1);
    ck_assert_int_eq(executed + replays + busy, RACERS);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);
    for (int i = 0; i < RACERS; i++)
        http_client_response_release(&racers[i].r);
    pthread_barrier_destroy(&start);
    fx_stop(&fx);
}
END_TEST

START_TEST(bad_key_values_are_400_naming_the_header)
{
    struct fx fx;
    struct http_client_response r;
    char longest[IDEMPOTENCY_KEY_MAX + 2];
    memset(longest, 'k', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    const char *bad[] = {"", longest, "\xed\x82\xa4", "a\tb"};
    fx_start(&fx, NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post(&fx, FX_API_KEY, bad[i], PAYCO, &r);
        fx_expect_error(&r, 400, "invalid_idempotency_key");
        ck_assert_str_eq(testlib_error_field(r.json, "field"), "Idempotency-Key");
        ck_assert_ptr_nonnull(strstr(testlib_error_field(r.json, "message"), "Idempotency-Key"));
        http_client_response_release(&r);
    }
    longest[IDEMPOTENCY_KEY_MAX] = '\0'; /* 255 characters are fine */
    ck_assert_int_eq(post(&fx, FX_API_KEY, longest, PAYCO, &r), 201);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);
    ck_assert_int_eq(stored_keys(&fx), 1);
    fx_stop(&fx);
}
END_TEST

/* A 5xx is not an answer to keep: KakaoPay charge_now with payments/prepare failing (502) or
 * dropped (504) leaves no claim, and the retry with the same key runs again. */
START_TEST(a_5xx_gives_the_key_up_for_a_retry)
{
    static const char *const faults[] = {
        "{\"method\":\"POST\",\"path\":\"/payments/prepare\",\"kind\":\"http500\"}",
        "{\"method\":\"POST\",\"path\":\"/payments/prepare\",\"kind\":\"drop\"}",
    };
    static const long statuses[] = {502, 504};
    static const char *const body = "{\"customer_id\":\"c\",\"pg\":\"kakaopay\",\"amount\":9900,"
                                    "\"name\":\"n\",\"charge_now\":true}";
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    fx_fault(&fx, faults[_i]);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "kakao", body, &r), statuses[_i]);
    http_client_response_release(&r);
    ck_assert_int_eq(stored_keys(&fx), 0);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "kakao", body, &r), 201); /* fault used up */
    ck_assert_int_eq(fx_replayed(&r), 0);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM idempotency_keys WHERE http_status = 201"),
                     1);
    fx_stop(&fx);
}
END_TEST

/* A claim whose request never finished blocks its key with 409 for the lease, then a retry takes
 * it over (the process that held it died mid-request). */
START_TEST(an_abandoned_claim_expires_after_its_lease)
{
    struct fx fx;
    struct http_client_response r;
    char hash[IDEMPOTENCY_HASH_LEN + 1];
    idempotency_request_hash("POST", "/api/checkouts", PAYCO, strlen(PAYCO), hash);
    fx_start(&fx, NULL);
    const char *params[] = {hash, NULL};
    free(fx_sql(&fx,
                "INSERT INTO idempotency_keys (api_key_name, idempotency_key, request_hash, "
                "created_at) VALUES ('shop', 'fresh', $1, now() - interval '9 minutes'), "
                "('shop', 'stale', $1, now() - interval '11 minutes') RETURNING 1",
                params));
    post(&fx, FX_API_KEY, "fresh", PAYCO, &r);
    fx_expect_error(&r, 409, "idempotency_key_in_progress");
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 0);
    ck_assert_int_eq(post(&fx, FX_API_KEY, "stale", PAYCO, &r), 201);
    ck_assert_int_eq(fx_replayed(&r), 0);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 1);
    fx_stop(&fx);
}
END_TEST

/* ---- in process: the middleware around routes of both shapes, on a real database ---------- */

#define MERCHANT_KEY "merchant-key-0123456789abcdef"

static struct http_site ip_site;
static int handler_runs;
static struct reply nested[2]; /* what the handler saw for a second request while it ran */

static void dispatch_post(const char *path, const char *key, const char *body, struct reply *rep);

/* Counts its runs; {"mode":"fail"} answers 500, {"mode":"nested"} sends the same request and
 * one with another body while it runs (into nested[]). */
static void h_run(struct request *req, struct reply *rep)
{
    handler_runs++;
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(req->body, "mode");
    const char *m = cJSON_IsString(mode) ? mode->valuestring : "";
    if (strcmp(m, "fail") == 0) {
        reply_bytes(rep, 500, "application/json", "{}", 2);
        return;
    }
    if (strcmp(m, "nested") == 0) {
        dispatch_post(req->path, request_header(req, "Idempotency-Key"), req->raw_body, &nested[0]);
        dispatch_post(req->path, request_header(req, "Idempotency-Key"), "{\"mode\":\"other\"}",
                      &nested[1]);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "run", handler_runs);
    reply_json(rep, 200, o);
}

static const struct route ip_routes[] = {
    {HTTP_POST, "/api/things", h_run, ROUTE_MERCHANT | ROUTE_BODY, 0, "things"},
    {HTTP_POST, "/subscribe/things", h_run, ROUTE_MERCHANT | ROUTE_BODY | ROUTE_IAMPORT, 0,
     "iamport_things"},
};
static struct merchant_key ip_keys[] = {{(char *)"shop", (char *)MERCHANT_KEY}};

static void dispatch_post(const char *path, const char *key, const char *body, struct reply *rep)
{
    struct request req;
    memset(&req, 0, sizeof req);
    req.method = xstrdup("POST");
    req.method_bit = HTTP_POST;
    req.path = xstrdup(path);
    request_add_header(&req, "Content-Type", "application/json");
    request_add_header(&req, "Authorization", "Bearer " MERCHANT_KEY);
    if (key)
        request_add_header(&req, "Idempotency-Key", key);
    request_set_body(&req, body, strlen(body));
    reply_init(rep);
    http_dispatch(&ip_site, &req, rep);
    request_release(&req);
}

/* A site with the middleware over a pool on url (NULL: a fresh migrated database). */
struct ip_world {
    char *url;
    struct db_pool *pool;
    struct billing_env env;
    struct http_middleware mw;
};

static void ip_start(struct ip_world *w, const char *url)
{
    memset(w, 0, sizeof *w);
    if (url) {
        w->url = xstrdup(url);
    } else {
        char *err = NULL;
        w->url = db_test_fresh_database("idem");
        ck_assert_int_eq(db_migrate(w->url, NULL, &err), DB_OK);
        free(err);
    }
    w->pool = db_pool_create(w->url, 4, 2000);
    w->env.db = w->pool;
    w->mw = route_idempotency_middleware(&w->env);
    ip_site = (struct http_site){.routes = ip_routes,
                                 .route_count = sizeof ip_routes / sizeof ip_routes[0],
                                 .max_body = 4096,
                                 .merchant_keys = ip_keys,
                                 .merchant_key_count = 1,
                                 .middleware = &w->mw};
    handler_runs = 0;
}

static void ip_stop(struct ip_world *w)
{
    db_pool_free(w->pool);
    free(w->url);
}

static cJSON *parsed(const struct reply *rep)
{
    cJSON *j = cJSON_ParseWithLength(rep->body, rep->body_len);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* iamport's envelope with code 1, a message naming the header and a null response. */
static void expect_envelope(const struct reply *rep, int status)
{
    ck_assert_msg(rep->status == status, "-> %d, want %d: %.*s", rep->status, status,
                  (int)rep->body_len, rep->body);
    cJSON *j = parsed(rep);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(j, "code")->valueint, 1);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    ck_assert(cJSON_IsString(m) && strstr(m->valuestring, "Idempotency-Key"));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "response")));
    cJSON_Delete(j);
}

static void expect_error(const struct reply *rep, int status, const char *code)
{
    ck_assert_msg(rep->status == status, "-> %d, want %d: %.*s", rep->status, status,
                  (int)rep->body_len, rep->body);
    cJSON *j = parsed(rep);
    ck_assert_str_eq(testlib_error_field(j, "code"), code);
    ck_assert_str_eq(testlib_error_field(j, "field"), "Idempotency-Key");
    cJSON_Delete(j);
}

/* While the first request runs, the same request is 409 and another one 422, in the shape of
 * the route; neither runs the handler. */
START_TEST(a_running_key_is_409_and_another_request_422_in_the_route_shape)
{
    struct ip_world w;
    struct reply first;
    ip_start(&w, NULL);
    static const char *const paths[] = {"/api/things", "/subscribe/things"};
    dispatch_post(paths[_i], "nest", "{\"mode\":\"nested\"}", &first);
    ck_assert_int_eq(first.status, 200);
    ck_assert_int_eq(handler_runs, 1);
    if (_i == 0) {
        expect_error(&nested[0], 409, "idempotency_key_in_progress");
        expect_error(&nested[1], 422, "idempotency_key_reused");
    } else {
        expect_envelope(&nested[0], 409);
        expect_envelope(&nested[1], 422);
    }
    /* Once it answered: the replay, and still 422 for the other body. */
    struct reply again, other, bad;
    dispatch_post(paths[_i], "nest", "{\"mode\":\"nested\"}", &again);
    ck_assert_int_eq(again.status, 200);
    ck_assert_str_eq(reply_header(&again, "Idempotent-Replayed"), "true");
    ck_assert_int_eq(again.body_len, first.body_len);
    ck_assert_int_eq(memcmp(again.body, first.body, first.body_len), 0);
    dispatch_post(paths[_i], "nest", "{\"mode\":\"other\"}", &other);
    dispatch_post(paths[_i], "", "{}", &bad);
    if (_i == 0) {
        expect_error(&other, 422, "idempotency_key_reused");
        expect_error(&bad, 400, "invalid_idempotency_key");
    } else {
        expect_envelope(&other, 422);
        expect_envelope(&bad, 400);
    }
    ck_assert_int_eq(handler_runs, 1);
    reply_release(&first);
    reply_release(&again);
    reply_release(&other);
    reply_release(&bad);
    reply_release(&nested[0]);
    reply_release(&nested[1]);
    ip_stop(&w);
}
END_TEST

/* A 500 gives the key up (the retry runs again); a database that cannot be asked is 503 and
 * runs nothing. */
START_TEST(a_failed_request_runs_again_and_no_database_runs_nothing)
{
    struct ip_world w;
    struct reply rep;
    ip_start(&w, NULL);
    for (int i = 1; i <= 2; i++) {
        dispatch_post("/subscribe/things", "f", "{\"mode\":\"fail\"}", &rep);
        ck_assert_int_eq(rep.status, 500);
        ck_assert_ptr_null(reply_header(&rep, "Idempotent-Replayed"));
        ck_assert_int_eq(handler_runs, i);
        reply_release(&rep);
    }
    PGconn *pg = db_test_connect(w.url);
    ck_assert_int_eq(db_test_count(pg, "SELECT count(*) FROM idempotency_keys"), 0);
    PQfinish(pg);
    ip_stop(&w);

    ip_start(&w, "postgresql:///nowhere?host=/nonexistent-socket-dir");
    dispatch_post("/api/things", "k", "{}", &rep);
    expect_error(&rep, 503, "database_unavailable");
    ck_assert_int_eq(handler_runs, 0);
    reply_release(&rep);
    dispatch_post("/api/things", NULL, "{}", &rep); /* without a key the handler runs */
    ck_assert_int_eq(rep.status, 200);
    reply_release(&rep);
    ip_stop(&w);
}
END_TEST

static Suite *suite_idempotency(void)
{
    Suite *s = suite_create("idempotency");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_same_key_and_body_replay_the_first_answer);
    tcase_add_test(tc, the_same_key_with_another_request_is_422);
    tcase_add_test(tc, keys_of_different_api_keys_are_independent);
    tcase_add_test(tc, concurrent_requests_with_one_key_execute_once);
    tcase_add_test(tc, bad_key_values_are_400_naming_the_header);
    tcase_add_loop_test(tc, a_5xx_gives_the_key_up_for_a_retry, 0, 2);
    tcase_add_test(tc, an_abandoned_claim_expires_after_its_lease);
    suite_add_tcase(s, tc);
    TCase *ip = tcase_create("in_process");
    tcase_add_loop_test(ip, a_running_key_is_409_and_another_request_422_in_the_route_shape, 0, 2);
    tcase_add_test(ip, a_failed_request_runs_again_and_no_database_runs_nothing);
    suite_add_tcase(s, ip);
    return s;
}

TESTLIB_MAIN(suite_idempotency)
