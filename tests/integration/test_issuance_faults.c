/* Issuance under failure and concurrency: iamport 500/timeouts, unknown charge outcomes, duplicate completes. */
#include <check.h>
#include <libpq-fe.h>
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
#define THREADS 8

static const cJSON *first_payment(const struct http_client_response *r)
{
    return cJSON_GetObjectItemCaseSensitive(r->json, "first_payment");
}

/* iamport answers 500 to every attempt of the lookup: 502, still pending; then it recovers. */
/* iamport fails every attempt of the imp_uid lookup (fault_fmt, %s = imp_uid): complete answers
 * status/code and the registration stays pending; once the faults are used up it completes. */
static const struct lookup_fault {
    const char *name;
    const char *timeout_env; /* extra billkeyd env, or NULL */
    const char *pg;
    int charge_now;
    const char *fault_fmt;
    long status;
    const char *code;
    int check_landing_and_charge; /* also: the landing's HTML error, then the first charge paid */
} lookup_faults[] = {
    {"iamport 500 is 502", NULL, "payco", 1,
     "{\"method\":\"GET\",\"path\":\"/payments/%s\",\"kind\":\"http500\",\"count\":3}", 502,
     "iamport_unavailable", 1},
    {"iamport timeout is 504", "IAMPORT_TIMEOUT_MS=300", "kicc", 0,
     "{\"method\":\"GET\",\"path\":\"/payments/%s\",\"kind\":\"hang\",\"delay_ms\":2000,"
     "\"count\":3}",
     504, "iamport_timeout", 0},
};

START_TEST(iamport_lookup_failure_stays_pending)
{
    const struct lookup_fault *c = &lookup_faults[_i];
    const char *env[] = {c->timeout_env, NULL};
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, env);
    cJSON *co = fx_checkout_plan(&fx, c->pg, PRICE, c->charge_now);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    char *f = xasprintf(c->fault_fmt, w.imp_uid);
    fx_fault(&fx, f);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == c->status, "%s: -> %ld: %s", c->name, r.status, r.body);
    fx_expect_error(&r, c->status, c->code);
    http_client_response_release(&r);
    char *s = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(s, "pending");
    free(s);

    if (c->check_landing_and_charge) {
        ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);
        fx_fault(&fx, f); /* the landing says so in HTML */
        fx_landing(&fx, w.imp_uid, mu, &r);
        ck_assert_int_eq(r.status, c->status);
        char *marker = xasprintf("data-status=\"error\" data-code=\"%s\"", c->code);
        ck_assert_ptr_nonnull(strstr(r.body, marker));
        free(marker);
        ck_assert_ptr_nonnull(strstr(r.body, "새로고침"));
        http_client_response_release(&r);
    }

    fx_complete(&fx, NULL, w.imp_uid, mu, &r); /* faults used up: it completes */
    ck_assert_msg(r.status == 200, "%s", r.body);
    if (c->check_landing_and_charge)
        ck_assert_str_eq(fx_str(first_payment(&r), "status"), "paid");
    http_client_response_release(&r);
    free(f);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* A redirect with merchant_uid only: the landing looks the payment up by merchant_uid. When
 * that lookup times out the page says 504 iamport_timeout (as the imp_uid lookup does), not
 * 502, and nothing changes; once iamport answers the same landing completes. */
START_TEST(landing_lookup_by_merchant_uid_timeout_is_504)
{
    const char *env[] = {"IAMPORT_TIMEOUT_MS=300", NULL};
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, env);
    cJSON *co = fx_checkout_plan(&fx, "chai", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 1, 0, &w);
    char *f = xasprintf("{\"method\":\"GET\",\"path\":\"/payments/find/%s\",\"kind\":\"hang\","
                        "\"delay_ms\":2000,\"count\":3}",
                        mu);
    fx_fault(&fx, f);
    fx_landing(&fx, NULL, mu, &r);
    ck_assert_msg(r.status == 504, "-> %ld: %s", r.status, r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"error\" data-code=\"iamport_timeout\""));
    http_client_response_release(&r);
    char *s = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(s, "pending");
    free(s);

    fx_landing(&fx, NULL, mu, &r); /* faults used up */
    ck_assert_msg(r.status == 200, "-> %ld: %s", r.status, r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "data-status=\"active\""));
    http_client_response_release(&r);
    free(f);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* KakaoPay charge_now: payments/prepare failing means no checkout at all. */
START_TEST(prepare_failure_creates_nothing)
{
    static const char *const faults[] = {
        "{\"method\":\"POST\",\"path\":\"/payments/prepare\",\"kind\":\"http500\"}",
        "{\"method\":\"POST\",\"path\":\"/payments/prepare\",\"kind\":\"drop\"}",
    };
    static const long statuses[] = {502, 504};
    static const char *const codes[] = {"iamport_unavailable", "iamport_timeout"};
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    fx_fault(&fx, faults[_i]);
    fx_create_checkout(&fx,
                       "{\"customer_id\":\"c\",\"pg\":\"kakaopay\",\"amount\":9900,"
                       "\"name\":\"n\",\"charge_now\":true}",
                       &r);
    fx_expect_error(&r, statuses[_i], codes[_i]);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), 0);
    fx_stop(&fx);
}
END_TEST

/* The first charge is declined: the key stays active, the ledger row failed, never retried. */
START_TEST(first_charge_declined)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    const char *env[] = {"NAVERPAY_USE_CFM=1", NULL}; /* the contract requires naverUseCfm */
    fx_start(&fx, env);
    cJSON *co = fx_checkout_plan(&fx, "naverpay", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid"), *cu = fx_str(co, "customer_uid");
    char *decline = xasprintf("{\"customer_uid\":\"%s\",\"reason\":\"잔액부족\"}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/decline", decline));
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    char first[64] = "";
    for (int i = 0; i < 2; i++) {
        fx_complete(&fx, NULL, w.imp_uid, mu, &r);
        ck_assert_msg(r.status == 200, "%s", r.body);
        ck_assert_str_eq(fx_str(r.json, "status"), "active");
        ck_assert_str_eq(fx_str(first_payment(&r), "status"), "failed");
        ck_assert_str_eq(fx_str(first_payment(&r), "fail_reason"), "잔액부족");
        if (i == 0)
            snprintf(first, sizeof first, "%s", fx_str(first_payment(&r), "merchant_uid"));
        ck_assert_str_eq(fx_str(first_payment(&r), "merchant_uid"), first);
        http_client_response_release(&r);
    }
    struct fx_ledger l;
    fx_ledger(&fx, first, &l);
    ck_assert_int_eq(l.merchant_uids, 1);
    ck_assert_int_eq(l.count, 1);
    ck_assert_str_eq(l.status, "failed");
    ck_assert_int_eq(l.total_paid, 0);
    fx_ledger_release(&l);
    /* NaverPay charges carry extra.naverUseCfm where the contract requires it */
    cJSON *log = sandbox_ctl(&fx.sandbox, "GET", "/__sandbox/requests", NULL);
    const cJSON *item;
    int found = 0;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        if (strcmp(fx_str(item, "path"), "/subscribe/payments/again") != 0)
            continue;
        const cJSON *extra = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(item, "body"), "extra");
        const char *cfm = fx_str(extra, "naverUseCfm");
        ck_assert_msg(cfm && strlen(cfm) == 8 && strspn(cfm, "0123456789") == 8, "naverUseCfm");
        found++;
    }
    ck_assert_int_eq(found, 1);
    cJSON_Delete(log);
    char *s = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(s, "active");
    free(s);
    free(decline);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* Approves a first charge on pg whose again answer is lost after iamport charged (with
 * lookups_fail, the lookups of its merchant_uid fail too), completes it once and asserts the
 * first payment's status. Returns its merchant_uid (caller frees); *co and *w as the checkout
 * and window (caller releases). */
static char *complete_with_lost_charge_answer(struct fx *fx, const char *pg, int lookups_fail,
                                              const char *want_status, cJSON **co,
                                              struct fx_window *w)
{
    struct http_client_response r;
    *co = fx_checkout_plan(fx, pg, PRICE, 1);
    fx_fault(fx, "{\"method\":\"POST\",\"path\":\"/subscribe/payments/again\",\"kind\":\"drop\","
                 "\"after_processing\":true}");
    if (lookups_fail)
        fx_fault(fx, "{\"method\":\"GET\",\"path\":\"/payments/find/*\",\"kind\":\"http500\","
                     "\"count\":3}");
    fx_window_submit(fx, fx_request_pay(*co), 0, 0, w);
    fx_complete(fx, NULL, w->imp_uid, fx_str(*co, "merchant_uid"), &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(fx_str(first_payment(&r), "status"), want_status);
    char *first = xstrdup(fx_str(first_payment(&r), "merchant_uid"));
    http_client_response_release(&r);
    return first;
}

/* The again call is dropped after iamport charged: billkey looks it up and records it paid. */
START_TEST(first_charge_outcome_unknown_then_found)
{
    struct fx fx;
    struct fx_window w;
    cJSON *co = NULL;
    fx_start(&fx, NULL);
    char *first = complete_with_lost_charge_answer(&fx, "chai", 0, "paid", &co, &w);
    const char *p[] = {first, NULL};
    char *row = fx_sql(&fx,
                       "SELECT concat_ws('|', status, imp_uid IS NOT NULL, iamport->>'status') "
                       "FROM payments WHERE merchant_uid = $1",
                       p);
    ck_assert_str_eq(row, "paid|t|paid");
    free(row);
    struct fx_ledger l;
    fx_ledger(&fx, first, &l);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.total_paid, PRICE);
    fx_ledger_release(&l);
    free(first);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The again call is dropped before iamport processed it: 'unknown', and never charged again. */
START_TEST(first_charge_outcome_unknown_stays_unknown)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/subscribe/payments/again\",\"kind\":\"drop\"}");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    for (int i = 0; i < 2; i++) {
        fx_complete(&fx, NULL, w.imp_uid, mu, &r);
        ck_assert_msg(r.status == 200, "%s", r.body);
        ck_assert_str_eq(fx_str(first_payment(&r), "status"), "unknown");
        http_client_response_release(&r);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE status = 'unknown'"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'payment.unknown'"),
                     1);
    struct fx_ledger l;
    fx_ledger(&fx, NULL, &l);
    ck_assert_int_eq(l.merchant_uids, 0);
    fx_ledger_release(&l);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

struct racer {
    const struct fx *fx;
    const struct billkeyd_proc *instance;
    const char *imp_uid;
    const char *merchant_uid;
    int landing;
    long status;
    char first_mu[64];
    char first_status[16];
};

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static void *race(void *arg)
{
    struct racer *rc = arg;
    struct http_client_response r;
    char *url;
    if (rc->landing) {
        char *path = xasprintf("/payments/complete/mobile?imp_uid=%s&merchant_uid=%s", rc->imp_uid,
                               rc->merchant_uid);
        url = fx_url(rc->fx, rc->instance, path);
        http_client_get(url, NULL, &r);
        free(path);
        rc->status = r.status;
        static const char tag[] = "<dd id=\"first-payment-status\">";
        const char *p = strstr(r.body, tag);
        if (p) {
            p += strlen(tag);
            snprintf(rc->first_status, sizeof rc->first_status, "%.*s", (int)strcspn(p, "<"), p);
        }
    } else {
        url = NULL;
        fx_complete(rc->fx, rc->instance, rc->imp_uid, rc->merchant_uid, &r);
        rc->status = r.status;
        const cJSON *fp = cJSON_GetObjectItemCaseSensitive(r.json, "first_payment");
        snprintf(rc->first_mu, sizeof rc->first_mu, "%s", or_empty(fx_str(fp, "merchant_uid")));
        snprintf(rc->first_status, sizeof rc->first_status, "%s", or_empty(fx_str(fp, "status")));
    }
    http_client_response_release(&r);
    free(url);
    return NULL;
}

/* Starts the fixture (and a second billkeyd when second is not NULL) and a registration on pg
 * whose window is submitted into *w. Returns its checkout (caller deletes). */
static cJSON *race_begin(struct fx *fx, struct billkeyd_proc *second, const char *pg,
                         int charge_now, struct fx_window *w)
{
    fx_start(fx, NULL);
    if (second)
        fx_start_billkeyd(fx, second, NULL);
    cJSON *co = fx_checkout_plan(fx, pg, PRICE, charge_now);
    fx_window_submit(fx, fx_request_pay(co), 0, 0, w);
    return co;
}

/* THREADS racers at once on imp_uid/merchant_uid, every fourth a landing, every other one on
 * second when it is not NULL; returns when all have answered. */
static void race_all(const struct fx *fx, const struct billkeyd_proc *second, const char *imp_uid,
                     const char *merchant_uid, struct racer *racers)
{
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        racers[i] = (struct racer){.fx = fx,
                                   .instance = second && i % 2 ? second : NULL,
                                   .imp_uid = imp_uid,
                                   .merchant_uid = merchant_uid,
                                   .landing = i % 4 == 3};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
}

/* 8 concurrent completes (callbacks and landings), on one or on two billkeyd instances sharing
 * the database: one billing key, one first charge, every caller told the same result. */
START_TEST(concurrent_completes_charge_once)
{
    int two_instances = _i;
    struct fx fx;
    struct fx_window w;
    struct billkeyd_proc second;
    struct racer racers[THREADS];
    cJSON *co = race_begin(&fx, two_instances ? &second : NULL, "kicc", 1, &w);
    const char *mu = fx_str(co, "merchant_uid");
    race_all(&fx, two_instances ? &second : NULL, w.imp_uid, mu, racers);
    const char *winner = NULL;
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(racers[i].status == 200, "racer %d -> %ld", i, racers[i].status);
        ck_assert_str_eq(racers[i].first_status, "paid");
        if (racers[i].landing)
            continue;
        if (!winner)
            winner = racers[i].first_mu;
        ck_assert_str_eq(racers[i].first_mu, winner);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action IN ('registration.active', 'payment.requested', "
                                   "'payment.paid')"),
                     3);
    struct fx_ledger l;
    fx_ledger(&fx, winner, &l);
    ck_assert_int_eq(l.merchant_uids, 1);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.total_paid, PRICE);
    fx_ledger_release(&l);
    if (two_instances)
        fx_stop_billkeyd(&second);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The same race without a first charge, where a verification records the key in one statement
 * with no lease: on one or two instances, every caller gets 200 and the registration is
 * recorded once (one key, one audit row), with no lease left behind. */
START_TEST(concurrent_plain_accepts_record_once)
{
    int two_instances = _i;
    struct fx fx;
    struct fx_window w;
    struct billkeyd_proc second;
    struct racer racers[THREADS];
    cJSON *co = race_begin(&fx, two_instances ? &second : NULL, "payco", 0, &w);
    const char *mu = fx_str(co, "merchant_uid");
    fx_clear_requests(&fx);
    race_all(&fx, two_instances ? &second : NULL, w.imp_uid, mu, racers);
    for (int i = 0; i < THREADS; i++)
        ck_assert_msg(racers[i].status == 200, "racer %d -> %ld", i, racers[i].status);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'registration.active'"),
                     1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations WHERE status = 'active' "
                                   "AND verify_lease_owner IS NULL"),
                     1);
    char *imp = fx_registration_column(&fx, "imp_uid", mu);
    ck_assert_str_eq(imp, w.imp_uid);
    /* no lease, so no second look: each verification asked iamport for the payment once */
    char *path = xasprintf("/payments/%s", w.imp_uid);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", path, NULL), THREADS);
    free(path);
    free(imp);
    if (two_instances)
        fx_stop_billkeyd(&second);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* The serialisation lives in PostgreSQL: while another verification's lease is live (its holder
 * died mid-way), a complete waits, holding no connection; once the lease runs out, the complete
 * takes it over and finishes. */
START_TEST(verification_waits_for_a_live_lease_and_takes_over_when_it_runs_out)
{
    struct fx fx;
    struct fx_window w;
    pthread_t thread;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 0);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);

    const char *params[] = {mu, NULL};
    free(fx_sql(&fx,
                "UPDATE registrations SET verify_lease_owner = 'a-dead-holder', "
                "verify_lease_until = now() + interval '2 seconds' WHERE merchant_uid = $1 "
                "RETURNING merchant_uid",
                params));

    struct racer rc = {.fx = &fx, .imp_uid = w.imp_uid, .merchant_uid = mu};
    ck_assert_int_eq(pthread_create(&thread, NULL, race, &rc), 0);
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 800 * 1000000L};
    nanosleep(&pause, NULL);
    char *s = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(s, "pending"); /* still waiting for the lease */
    free(s);
    ck_assert_int_eq(rc.status, 0);
    /* the waiting verification holds no connection of its own: only this probe's is open */
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                "current_database() AND state LIKE 'idle in transaction%'",
                                NULL),
                     0);

    pthread_join(thread, NULL);
    ck_assert_int_eq(rc.status, 200);
    s = fx_registration_column(&fx, "status", mu);
    ck_assert_str_eq(s, "active");
    free(s);
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM registrations WHERE merchant_uid = $1 "
                                "AND verify_lease_owner IS NULL AND verify_lease_until IS NULL",
                                params),
                     1);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* A first charge left 'requested' by a verification that died after iamport took the money is
 * looked up by its merchant_uid and recorded paid by the next verification: never charged twice. */
START_TEST(first_charge_left_requested_is_looked_up_not_charged_again)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    cJSON *co = NULL;
    fx_start(&fx, NULL);
    /* the charge happens, its answer is lost and every lookup fails: 'unknown' */
    char *first = complete_with_lost_charge_answer(&fx, "kicc", 1, "unknown", &co, &w);
    const char *mu = fx_str(co, "merchant_uid");
    /* as a holder that died before recording anything leaves it: 'requested', lease run out */
    const char *p[] = {first, mu, NULL};
    free(fx_sql(&fx,
                "WITH r AS (UPDATE registrations SET verify_lease_owner = 'a-dead-holder', "
                "verify_lease_until = now() - interval '1 second' WHERE merchant_uid = $2) "
                "UPDATE payments SET status = 'requested', imp_uid = NULL "
                "WHERE merchant_uid = $1 RETURNING merchant_uid",
                p));
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_str_eq(fx_str(first_payment(&r), "status"), "paid");
    ck_assert_str_eq(fx_str(first_payment(&r), "merchant_uid"), first);
    http_client_response_release(&r);
    char *row = fx_sql(&fx,
                       "SELECT concat_ws('|', status, imp_uid IS NOT NULL) FROM payments "
                       "WHERE merchant_uid = $1",
                       (const char *const[]){first, NULL});
    ck_assert_str_eq(row, "paid|t");
    free(row);
    struct fx_ledger l;
    fx_ledger(&fx, NULL, &l);
    ck_assert_int_eq(l.merchant_uids, 1);
    fx_ledger_release(&l);
    fx_ledger(&fx, first, &l);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.total_paid, PRICE);
    fx_ledger_release(&l);
    free(first);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_issuance_faults(void)
{
    Suite *s = suite_create("issuance_faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, iamport_lookup_failure_stays_pending, 0,
                        (int)(sizeof lookup_faults / sizeof lookup_faults[0]));
    tcase_add_loop_test(tc, prepare_failure_creates_nothing, 0, 2);
    tcase_add_test(tc, landing_lookup_by_merchant_uid_timeout_is_504);
    tcase_add_test(tc, first_charge_declined);
    tcase_add_test(tc, first_charge_outcome_unknown_then_found);
    tcase_add_test(tc, first_charge_outcome_unknown_stays_unknown);
    tcase_add_loop_test(tc, concurrent_completes_charge_once, 0, 2);
    tcase_add_loop_test(tc, concurrent_plain_accepts_record_once, 0, 2);
    tcase_add_test(tc, verification_waits_for_a_live_lease_and_takes_over_when_it_runs_out);
    tcase_add_test(tc, first_charge_left_requested_is_looked_up_not_charged_again);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_issuance_faults)
