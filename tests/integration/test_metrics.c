/* GET /metrics against billkeyd + sandbox + PostgreSQL: the token, exact counter moves, the backlog, no ids in labels or access logs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "server/iamport/iamport_metrics.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define TOKEN "metrics_token_0123456789abcdef"
#define PRICE 9900
#define WAIT_MS 20000

static const char *const token_env[] = {"METRICS_TOKEN=" TOKEN, NULL};

/* GET /metrics with this bearer token (NULL: none); fills *r (caller releases). */
static long get_metrics(const struct fx *fx, const char *token, struct http_client_response *r)
{
    char *url = fx_url(fx, NULL, "/metrics");
    http_client_get(url, token, r);
    free(url);
    return r->status;
}

/* A scrape with the right token, asserted 200 in the text format. Caller frees. */
static char *scrape(const struct fx *fx)
{
    struct http_client_response r;
    ck_assert_int_eq(get_metrics(fx, TOKEN, &r), 200);
    ck_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    char *text = xstrdup(r.body);
    http_client_response_release(&r);
    return text;
}

/* The value of the series `key` (name and labels exactly as rendered); 0 when it is absent. */
static double value_of(const char *text, const char *key)
{
    char *needle = xasprintf("\n%s ", key);
    const char *at = strstr(text, needle);
    double v = at ? strtod(at + strlen(needle), NULL) : 0;
    free(needle);
    return v;
}

/* How much the series moved between two scrapes. */
static double moved(const char *before, const char *after, const char *key)
{
    return value_of(after, key) - value_of(before, key);
}

static char *http_key(const char *route, const char *method, int status)
{
    return xasprintf("billkey_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"}", route,
                     method, status);
}

static void expect_http_moved(const char *before, const char *after, const char *route,
                              const char *method, int status, double want)
{
    char *key = http_key(route, method, status);
    ck_assert_msg(moved(before, after, key) == want, "%s moved %g, want %g", key,
                  moved(before, after, key), want);
    free(key);
    key = xasprintf("billkey_http_request_duration_seconds_count{route=\"%s\"}", route);
    ck_assert_msg(moved(before, after, key) >= want, "%s moved %g", key, moved(before, after, key));
    free(key);
}

static void expect_iamport_moved(const char *before, const char *after, const char *endpoint,
                                 const char *outcome, double want)
{
    char *key =
        xasprintf("billkey_iamport_calls_total{endpoint=\"%s\",outcome=\"%s\"}", endpoint, outcome);
    ck_assert_msg(moved(before, after, key) == want, "%s moved %g, want %g", key,
                  moved(before, after, key), want);
    free(key);
    key = xasprintf("billkey_iamport_call_duration_seconds_count{endpoint=\"%s\"}", endpoint);
    ck_assert_msg(moved(before, after, key) == want, "%s moved %g, want %g", key,
                  moved(before, after, key), want);
    free(key);
}

/* Sum of every billkey_iamport_calls_total series of an endpoint pattern. */
static double iamport_calls(const char *text, const char *endpoint)
{
    char *prefix = xasprintf("\nbillkey_iamport_calls_total{endpoint=\"%s\",", endpoint);
    double sum = 0;
    for (const char *at = strstr(text, prefix); at; at = strstr(at + 1, prefix)) {
        const char *space = strchr(at + 1, ' ');
        sum += strtod(space + 1, NULL);
    }
    free(prefix);
    return sum;
}

/* Every call the sandbox saw, by endpoint pattern, equals what billkeyd counted. */
static void expect_iamport_matches_sandbox(const struct fx *fx, const char *before,
                                           const char *after)
{
    cJSON *log = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/requests", NULL);
    const cJSON *e;
    int checked = 0;
    cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        const char *endpoint = iamport_metrics_endpoint(fx_str(e, "path"));
        if (strcmp(endpoint, "other") == 0)
            continue;
        int seen = 0;
        const cJSON *o;
        cJSON_ArrayForEach (o, cJSON_GetObjectItemCaseSensitive(log, "requests"))
            seen += strcmp(iamport_metrics_endpoint(fx_str(o, "path")), endpoint) == 0;
        double counted = iamport_calls(after, endpoint) - iamport_calls(before, endpoint);
        ck_assert_msg(counted == seen, "%s: billkeyd counted %g calls, the sandbox saw %d",
                      endpoint, counted, seen);
        checked++;
    }
    ck_assert_int_gt(checked, 0);
    cJSON_Delete(log);
}

/* The access log lines of billkeyd, once one of them names this route. Caller frees. */
static char *access_log_with(const struct fx *fx, const char *route_name)
{
    char *needle = xasprintf("\"route\":\"%s\"", route_name);
    char *log = NULL;
    for (long waited = 0;; waited += 50) {
        free(log);
        log = billkeyd_log(&fx->billkeyd);
        if (strstr(log, needle) || waited >= WAIT_MS)
            break;
        testlib_sleep_ms(50);
    }
    ck_assert_msg(strstr(log, needle), "no access log line for %s", route_name);
    free(needle);
    return log;
}

/* Asserts that no access log line ("msg":"request") contains s. */
static void expect_not_in_access_log(const char *log, const char *s)
{
    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *copy = xstrndup(line, len);
        if (strstr(copy, "\"msg\":\"request\""))
            ck_assert_msg(!strstr(copy, s), "access log line carries '%s': %s", s, copy);
        free(copy);
        line += len + (end ? 1 : 0);
    }
}

/* None of the ids appears in the scrape or in an access log line. */
static void expect_no_ids(const char *scrape_text, const char *log, const char *const *ids,
                          size_t count)
{
    for (size_t i = 0; i < count; i++) {
        ck_assert_msg(!strstr(scrape_text, ids[i]), "the scrape carries '%s'", ids[i]);
        expect_not_in_access_log(log, ids[i]);
    }
}

START_TEST(counters_move_by_exactly_what_a_registration_and_a_charge_did)
{
    struct fx fx;
    fx_start(&fx, token_env);
    fx_clear_requests(&fx);
    char *before = scrape(&fx);

    /* checkout → window → complete, then one again charge */
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    const char *cu = fx_str(co, "customer_uid");
    struct fx_window w;
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_int_eq(w.success, 1);
    struct http_client_response r;
    ck_assert_int_eq(fx_complete(&fx, NULL, w.imp_uid, mu, &r), 200);
    http_client_response_release(&r);
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"metrics_again_1\","
                           "\"amount\":%d,\"name\":\"월 구독\"}",
                           cu, PRICE);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/again", FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_str_eq(fx_str(http_client_body_response(&r), "status"), "paid");
    const char *again_imp_uid = fx_str(http_client_body_response(&r), "imp_uid");
    char *again_imp = xstrdup(again_imp_uid);
    http_client_response_release(&r);

    char *after = scrape(&fx);

    /* requests by route pattern: exactly these, and the first scrape itself */
    expect_http_moved(before, after, "/api/checkouts", "POST", 201, 1);
    expect_http_moved(before, after, "/payments/complete", "POST", 200, 1);
    expect_http_moved(before, after, "/subscribe/payments/again", "POST", 200, 1);
    expect_http_moved(before, after, "/metrics", "GET", 200, 1);
    /* iamport: the verification reads the payment once (a plain accept is recorded by one
     * statement with no lease, so there is no second look under one) and the card once; the
     * charge is one again */
    expect_iamport_moved(before, after, "/payments/{imp_uid}", "ok", 1);
    expect_iamport_moved(before, after, "/subscribe/customers/{customer_uid}", "ok", 1);
    expect_iamport_moved(before, after, "/subscribe/payments/again", "ok", 1);
    expect_iamport_moved(before, after, "/payments/find/{merchant_uid}", "ok", 0);
    expect_iamport_matches_sandbox(&fx, before, after);
    double token_fetches = fx_sandbox_requests(&fx, "POST", "/users/getToken", NULL);
    ck_assert(token_fetches >= 1);
    ck_assert(moved(before, after, "billkey_iamport_token_refreshes_total{outcome=\"ok\"}") ==
              token_fetches);
    /* money: one paid charge of PRICE won, nothing else */
    ck_assert(moved(before, after, "billkey_charges_total{outcome=\"paid\"}") == 1);
    ck_assert(moved(before, after, "billkey_charges_total{outcome=\"failed\"}") == 0);
    ck_assert(moved(before, after, "billkey_charges_total{outcome=\"unknown\"}") == 0);
    ck_assert(moved(before, after, "billkey_charged_won_total") == PRICE);
    /* the pool: this scrape took its connection after reading the gauges */
    ck_assert(value_of(after, "billkey_db_pool_connections_in_use") == 0);
    ck_assert(value_of(after, "billkey_db_pool_waiting") == 0);
    ck_assert(value_of(after, "billkey_backlog_up") == 1);
    ck_assert(value_of(after, "billkey_backlog_pending{kind=\"registration\"}") == 0);
    ck_assert(value_of(after, "billkey_backlog_pending{kind=\"charge\"}") == 0);

    /* no id anywhere: not in the scrape, not in the access log */
    const char *ids[] = {mu, cu, w.imp_uid, again_imp, "metrics_again_1"};
    char *log = access_log_with(&fx, "subscribe_payments_again");
    ck_assert_ptr_nonnull(strstr(log, "\"path\":\"/subscribe/payments/again\""));
    expect_no_ids(after, log, ids, sizeof ids / sizeof ids[0]);
    free(log);

    free(again_imp);
    free(body);
    free(before);
    free(after);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

START_TEST(a_path_with_an_id_is_counted_and_logged_by_its_pattern)
{
    struct fx fx;
    fx_start(&fx, token_env);
    char *before = scrape(&fx);
    struct http_client_response r;
    fx_merchant(&fx, NULL, "GET", "/subscribe/customers/cu_payco_secretish_0001", NULL, NULL, &r);
    http_client_response_release(&r);
    fx_merchant(&fx, NULL, "GET", "/payments/imp_notthere_0001", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    char *url = fx_url(&fx, NULL, "/no/such/imp_unrouted_0001");
    http_client_get(url, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_client_response_release(&r);
    free(url);
    char *after = scrape(&fx);

    expect_http_moved(before, after, "/subscribe/customers/{customer_uid}", "GET", 200, 1);
    expect_http_moved(before, after, "/payments/{imp_uid}", "GET", 404, 1);
    expect_http_moved(before, after, "unmatched", "GET", 404, 1);
    expect_iamport_moved(before, after, "/payments/{imp_uid}", "refused", 1);
    char *log = access_log_with(&fx, "payments_show");
    ck_assert_ptr_nonnull(strstr(log, "\"path\":\"/payments/{imp_uid}\""));
    const char *ids[] = {"cu_payco_secretish_0001", "imp_notthere_0001", "imp_unrouted_0001"};
    expect_no_ids(after, log, ids, sizeof ids / sizeof ids[0]);
    free(log);
    free(before);
    free(after);
    fx_stop(&fx);
}
END_TEST

START_TEST(metrics_need_the_token)
{
    struct fx fx;
    fx_start(&fx, token_env);
    static const char *const wrong[] = {NULL, "", "metrics_token_0123456789abcdeX", FX_API_KEY};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        struct http_client_response r;
        ck_assert_int_eq(get_metrics(&fx, wrong[i], &r), 401);
        fx_expect_error(&r, 401, "unauthorized");
        char *www = http_client_header(&r, "WWW-Authenticate");
        ck_assert_ptr_nonnull(www);
        free(www);
        ck_assert_ptr_null(strstr(r.body, "billkey_"));
        http_client_response_release(&r);
    }
    /* the token only as "Bearer <token>", not bare */
    struct http_client_request rq = {.method = "GET"};
    char *url = fx_url(&fx, NULL, "/metrics");
    const char *headers[] = {"Authorization: " TOKEN, NULL};
    rq.url = url;
    rq.headers = headers;
    struct http_client_response r;
    http_client_do(&rq, &r);
    ck_assert_int_eq(r.status, 401);
    http_client_response_release(&r);
    free(url);
    /* and the token never reaches the log */
    char *text = scrape(&fx);
    free(text);
    char *log = billkeyd_log(&fx.billkeyd);
    ck_assert_ptr_null(strstr(log, TOKEN));
    free(log);
    fx_stop(&fx);
}
END_TEST

START_TEST(metrics_are_not_found_without_a_token_configured)
{
    struct fx fx;
    fx_start(&fx, NULL);
    struct http_client_response r;
    ck_assert_int_eq(get_metrics(&fx, "anything", &r), 404);
    fx_expect_error(&r, 404, "not_found");
    http_client_response_release(&r);
    ck_assert_int_eq(get_metrics(&fx, NULL, &r), 404);
    http_client_response_release(&r);
    fx_stop(&fx);
}
END_TEST

START_TEST(backlog_gauges_come_from_the_database)
{
    struct fx fx;
    fx_start(&fx, token_env);
    /* a checkout left pending, a charge whose outcome is unknown, a schedule an hour overdue and a
     * webhook event received 90 s ago that no worker may claim yet */
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 0);
    free(fx_sql(&fx,
                "INSERT INTO payments (merchant_uid, customer_uid, kind, amount, status) "
                "VALUES ('m_unknown_1', 'cu_x', 'again', 100, 'unknown'), "
                "('m_sched_1', 'cu_x', 'scheduled', 100, 'scheduled') RETURNING 1",
                NULL));
    free(fx_sql(&fx,
                "INSERT INTO schedules (merchant_uid, customer_uid, schedule_at, amount, "
                "schedule_status, created_by) VALUES ('m_sched_1', 'cu_x', "
                "extract(epoch FROM now())::bigint - 3600, 100, 'scheduled', 'shop') RETURNING 1",
                NULL));
    free(fx_sql(
        &fx,
        "INSERT INTO webhook_events (imp_uid, merchant_uid, received_at, lease_until) "
        "VALUES ('imp_lag', 'm_lag', now() - interval '90 seconds', now() + interval '1 hour') "
        "RETURNING 1",
        NULL));
    char *text = scrape(&fx);
    ck_assert(value_of(text, "billkey_backlog_up") == 1);
    /* pending: waiting for an outcome, whatever the age; overdue: past the reconciler's grace
     * (registrations 30 min, charges 120 s, schedules 300 s by default) */
    ck_assert(value_of(text, "billkey_backlog_pending{kind=\"registration\"}") == 1);
    ck_assert(value_of(text, "billkey_backlog_overdue{kind=\"registration\"}") == 0);
    ck_assert(value_of(text, "billkey_backlog_pending{kind=\"refund\"}") == 0);
    ck_assert(value_of(text, "billkey_backlog_pending{kind=\"charge\"}") == 1);
    ck_assert(value_of(text, "billkey_backlog_overdue{kind=\"charge\"}") == 0);
    ck_assert(value_of(text, "billkey_backlog_pending{kind=\"schedule\"}") == 1);
    ck_assert(value_of(text, "billkey_backlog_overdue{kind=\"schedule\"}") == 1);
    ck_assert(value_of(text, "billkey_backlog_pending{kind=\"webhook\"}") == 1);
    ck_assert(value_of(text, "billkey_backlog_overdue{kind=\"webhook\"}") == 0);
    ck_assert_ptr_nonnull(strstr(text, "# TYPE billkey_backlog_pending gauge\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE billkey_backlog_overdue gauge\n"));
    double lag = value_of(text, "billkey_webhook_lag_seconds");
    ck_assert_msg(lag >= 90, "webhook lag %g", lag);
    ck_assert_ptr_nonnull(strstr(text, "# TYPE billkey_webhook_lag_seconds gauge\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE billkey_http_requests_total counter\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE billkey_iamport_call_duration_seconds histogram\n"));
    free(text);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_metrics(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("scrape");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, counters_move_by_exactly_what_a_registration_and_a_charge_did);
    tcase_add_test(tc, a_path_with_an_id_is_counted_and_logged_by_its_pattern);
    tcase_add_test(tc, metrics_need_the_token);
    tcase_add_test(tc, metrics_are_not_found_without_a_token_configured);
    tcase_add_test(tc, backlog_gauges_come_from_the_database);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_metrics)
