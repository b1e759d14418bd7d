/* Slow iamport never starves the pool: verifications hold no connection across iamport, /readyz has its own, calls are capped. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900
#define VERIFICATIONS 50
#define LATENCY_MS 5000
/* a verification makes up to four 5 s iamport calls one after another */
#define SLOW_TIMEOUT_MS 90000

static const char *const pgs[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};

/* One checkout approved in the sandbox's window, still pending at billkey. */
struct pending {
    cJSON *co;
    char *merchant_uid; /* borrowed from co */
    char *imp_uid;      /* owned */
    int charge_now;
    long status; /* what POST /payments/complete answered */
    char *body;  /* owned: its body */
};

static void pending_open(const struct fx *fx, const char *pg, int charge_now, struct pending *p)
{
    struct fx_window w;
    memset(p, 0, sizeof *p);
    p->co = fx_checkout_plan(fx, pg, PRICE, charge_now);
    p->merchant_uid = (char *)fx_str(p->co, "merchant_uid");
    p->charge_now = charge_now;
    fx_window_submit(fx, fx_request_pay(p->co), 0, 0, &w);
    ck_assert_msg(w.success && w.imp_uid, "the %s window did not succeed", pg);
    p->imp_uid = xstrdup(w.imp_uid);
    fx_window_release(&w);
}

static void pending_close(struct pending *p)
{
    cJSON_Delete(p->co);
    free(p->imp_uid);
    free(p->body);
    memset(p, 0, sizeof *p);
}

/* POST /payments/complete with a timeout long enough for slow iamport. */
static long complete_slow(const struct fx *fx, const char *imp_uid, const char *merchant_uid,
                          struct http_client_response *out)
{
    char *url = fx_url(fx, NULL, "/payments/complete");
    char *body = xasprintf("{\"imp_uid\":\"%s\",\"merchant_uid\":\"%s\"}", imp_uid, merchant_uid);
    struct http_client_request rq = {
        .method = "POST", .url = url, .body = body, .timeout_ms = SLOW_TIMEOUT_MS};
    http_client_do(&rq, out);
    free(body);
    free(url);
    return out->status;
}

struct verifier {
    const struct fx *fx;
    struct pending *p;
};

static void *verify_thread(void *arg)
{
    struct verifier *v = arg;
    struct http_client_response r;
    v->p->status = complete_slow(v->fx, v->p->imp_uid, v->p->merchant_uid, &r);
    v->p->body = xstrdup(r.body);
    http_client_response_release(&r);
    return NULL;
}

/* What runs alongside: /readyz in a loop, and checkouts (one of them KakaoPay charge_now, whose
 * creation calls the slow payments/prepare). */
struct bystander {
    const struct fx *fx;
    atomic_int stop;
    int readyz_calls, readyz_not_ok;
    long readyz_bad_status;
    int checkouts, checkouts_not_created;
    long checkout_bad_status;
};

static void *readyz_thread(void *arg)
{
    struct bystander *b = arg;
    char *url = fx_url(b->fx, NULL, "/readyz");
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};
    while (!atomic_load(&b->stop)) {
        struct http_client_response r;
        http_client_get(url, NULL, &r);
        b->readyz_calls++;
        if (r.status != 200) {
            b->readyz_not_ok++;
            b->readyz_bad_status = r.status;
        }
        http_client_response_release(&r);
        nanosleep(&pause, NULL);
    }
    free(url);
    return NULL;
}

static void *checkout_thread(void *arg)
{
    struct bystander *b = arg;
    char *url = fx_url(b->fx, NULL, "/api/checkouts");
    for (int i = 0; i < 4; i++) {
        char *body = xasprintf("{\"customer_id\":\"bystander\",\"pg\":\"%s\",\"amount\":%d,"
                               "\"name\":\"월 구독\",\"charge_now\":%s,"
                               "\"buyer_tel\":\"010-1234-5678\"}",
                               i % 2 ? "kakaopay" : "payco", PRICE, i % 2 ? "true" : "false");
        const char *auth[] = {"Authorization: Bearer " FX_API_KEY, NULL};
        struct http_client_request rq = {.method = "POST",
                                         .url = url,
                                         .headers = auth,
                                         .body = body,
                                         .timeout_ms = SLOW_TIMEOUT_MS};
        struct http_client_response r;
        http_client_do(&rq, &r);
        b->checkouts++;
        if (r.status != 201) {
            b->checkouts_not_created++;
            b->checkout_bad_status = r.status;
        }
        http_client_response_release(&r);
        free(body);
    }
    free(url);
    return NULL;
}

static long long ledger_count(const struct fx *fx, const char *merchant_uid)
{
    struct fx_ledger l;
    fx_ledger(fx, merchant_uid, &l);
    long long n = l.count;
    fx_ledger_release(&l);
    return n;
}

/* Pool of 2, iamport answering in 5 s, 50 verifications of distinct registrations at once, with
 * /readyz and checkout creation alongside: /readyz stays 200, checkouts are created, and every
 * registration ends active with its billing key and (charge_now) exactly one first charge. The
 * 50 browsers all come from 127.0.0.1 here, so the per-address limits (which real browsers, each
 * on its own address, never share) are lifted. */
START_TEST(slow_iamport_starves_neither_readyz_nor_checkouts)
{
    static const char *const env[] = {"DB_POOL_SIZE=2",
                                      "IAMPORT_TIMEOUT_MS=30000",
                                      "IAMPORT_MAX_CONCURRENT=500",
                                      "PER_IP_CONNECTION_LIMIT=0",
                                      "VERIFY_RATE_PER_MINUTE=0",
                                      NULL};
    struct fx fx;
    struct pending p[VERIFICATIONS];
    struct verifier v[VERIFICATIONS];
    pthread_t threads[VERIFICATIONS], ready_t, checkout_t;
    struct bystander b = {.fx = &fx};
    char fault[256];

    fx_start(&fx, env);
    for (int i = 0; i < VERIFICATIONS; i++)
        pending_open(&fx, pgs[i % 5], i % 10 == 0, &p[i]);
    /* every iamport call billkey makes from here on takes 5 s */
    static const char *const paths[] = {"/payments/*", "/subscribe/*"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(fault, sizeof fault,
                 "{\"path\":\"%s\",\"kind\":\"latency\",\"delay_ms\":%d,\"count\":100000}",
                 paths[i], LATENCY_MS);
        fx_fault(&fx, fault);
    }

    atomic_init(&b.stop, 0);
    ck_assert_int_eq(pthread_create(&ready_t, NULL, readyz_thread, &b), 0);
    for (int i = 0; i < VERIFICATIONS; i++) {
        v[i] = (struct verifier){.fx = &fx, .p = &p[i]};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, verify_thread, &v[i]), 0);
    }
    ck_assert_int_eq(pthread_create(&checkout_t, NULL, checkout_thread, &b), 0);
    pthread_join(checkout_t, NULL);
    for (int i = 0; i < VERIFICATIONS; i++)
        pthread_join(threads[i], NULL);
    atomic_store(&b.stop, 1);
    pthread_join(ready_t, NULL);

    ck_assert_int_gt(b.readyz_calls, 0);
    ck_assert_msg(b.readyz_not_ok == 0, "/readyz failed %d of %d times (last %ld)", b.readyz_not_ok,
                  b.readyz_calls, b.readyz_bad_status);
    ck_assert_msg(b.checkouts_not_created == 0, "%d of %d checkouts not created (last %ld)",
                  b.checkouts_not_created, b.checkouts, b.checkout_bad_status);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations "
                                   "WHERE customer_id = 'bystander' AND status = 'pending'"),
                     4);

    for (int i = 0; i < VERIFICATIONS; i++) {
        ck_assert_msg(p[i].status == 200, "verification %d (%s) -> %ld: %s", i, pgs[i % 5],
                      p[i].status, p[i].body);
        char *s = fx_registration_column(&fx, "status", p[i].merchant_uid);
        ck_assert_str_eq(s, "active");
        free(s);
        const char *params[] = {p[i].merchant_uid, NULL};
        ck_assert_int_eq(fx_sql_int(&fx,
                                    "SELECT count(*) FROM billing_keys b JOIN registrations r "
                                    "USING (customer_uid) WHERE r.merchant_uid = $1 "
                                    "AND r.verify_lease_owner IS NULL",
                                    params),
                         1);
        if (!p[i].charge_now)
            continue;
        char *first = fx_sql(&fx,
                             "SELECT merchant_uid FROM payments WHERE kind = 'first_charge' "
                             "AND status = 'paid' AND registration_merchant_uid = $1",
                             params);
        ck_assert_ptr_nonnull(first);
        ck_assert_int_eq(ledger_count(&fx, first), 1);
        free(first);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE kind = 'first_charge'"),
                     VERIFICATIONS / 10);
    for (int i = 0; i < VERIFICATIONS; i++)
        pending_close(&p[i]);
    fx_stop(&fx);
}
END_TEST

/* Holds the client's only slots: GET /payments/{imp_uid} through the merchant API while the
 * sandbox delays it. */
struct holder {
    const struct fx *fx;
    const char *imp_uid;
    long status;
};

static void *hold_thread(void *arg)
{
    struct holder *h = arg;
    char *path = xasprintf("/payments/%s", h->imp_uid);
    char *url = fx_url(h->fx, NULL, path);
    const char *auth[] = {"Authorization: Bearer " FX_API_KEY, NULL};
    struct http_client_request rq = {.url = url, .headers = auth, .timeout_ms = SLOW_TIMEOUT_MS};
    struct http_client_response r;
    http_client_do(&rq, &r);
    h->status = r.status;
    http_client_response_release(&r);
    free(url);
    free(path);
    return NULL;
}

static void expect_retry_after(const struct http_client_response *r)
{
    char *retry = http_client_header(r, "Retry-After");
    ck_assert_msg(retry != NULL, "no Retry-After on %ld: %s", r->status, r->body);
    ck_assert_str_eq(retry, "1");
    free(retry);
}

/* IAMPORT_MAX_CONCURRENT=2 with both slots taken by slow calls: the callback, the landing,
 * checkout creation (payments/prepare) and the merchant API answer 503 with Retry-After at once,
 * nothing sent and nothing changed; once the slots are free, the same requests succeed. */
START_TEST(past_the_iamport_cap_requests_get_503_and_a_retry_succeeds)
{
    static const char *const env[] = {"IAMPORT_MAX_CONCURRENT=2", NULL};
    struct fx fx;
    struct pending p;
    struct holder h[2];
    pthread_t threads[2];
    struct http_client_response r;

    fx_start(&fx, env);
    pending_open(&fx, "payco", 0, &p);
    long long registrations = fx_count(&fx, "SELECT count(*) FROM registrations");
    long long audits = fx_count(&fx, "SELECT count(*) FROM audit_events");
    fx_fault(&fx, "{\"method\":\"GET\",\"path\":\"/payments/*\",\"kind\":\"latency\","
                  "\"delay_ms\":4000,\"count\":2}");
    for (int i = 0; i < 2; i++) {
        h[i] = (struct holder){.fx = &fx, .imp_uid = p.imp_uid};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, hold_thread, &h[i]), 0);
    }
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 0}; /* both holders are in the sandbox */
    nanosleep(&pause, NULL);

    /* the checkout page's callback */
    ck_assert_int_eq(complete_slow(&fx, p.imp_uid, p.merchant_uid, &r), 503);
    fx_expect_error(&r, 503, "iamport_busy");
    expect_retry_after(&r);
    http_client_response_release(&r);
    /* the mobile landing */
    ck_assert_int_eq(fx_landing(&fx, p.imp_uid, p.merchant_uid, &r), 503);
    expect_retry_after(&r);
    http_client_response_release(&r);
    /* checkout creation that registers the amount (KakaoPay charge_now: payments/prepare) */
    ck_assert_int_eq(fx_create_checkout(&fx,
                                        "{\"customer_id\":\"cust-1\",\"pg\":\"kakaopay\","
                                        "\"amount\":9900,\"name\":\"월 구독\","
                                        "\"charge_now\":true}",
                                        &r),
                     503);
    fx_expect_error(&r, 503, "iamport_busy");
    expect_retry_after(&r);
    http_client_response_release(&r);
    /* a merchant API route: iamport's envelope, code -1 */
    char *path = xasprintf("/payments/%s", p.imp_uid);
    char *url = fx_url(&fx, NULL, path);
    http_client_get(url, FX_API_KEY, &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_int_eq(http_client_code(&r), -1);
    ck_assert_ptr_nonnull(strstr(http_client_message(&r), "iamport busy"));
    expect_retry_after(&r);
    http_client_response_release(&r);

    /* nothing changed for them */
    char *s = fx_registration_column(&fx, "status", p.merchant_uid);
    ck_assert_str_eq(s, "pending");
    free(s);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations"), registrations);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events"), audits);

    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(h[i].status, 200);
    }
    /* the retries succeed */
    ck_assert_int_eq(complete_slow(&fx, p.imp_uid, p.merchant_uid, &r), 200);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    http_client_response_release(&r);
    http_client_get(url, FX_API_KEY, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(http_client_code(&r), 0);
    http_client_response_release(&r);
    cJSON_Delete(fx_checkout_plan(&fx, "kakaopay", PRICE, 1));
    free(url);
    free(path);
    pending_close(&p);
    fx_stop(&fx);
}
END_TEST

/* A lease that stays held (a live holder stuck, or one that died with a long lease) makes a
 * duplicate give up after its bounded wait with 503 verification_in_progress and Retry-After,
 * changing nothing. */
START_TEST(a_lease_held_past_the_wait_answers_in_progress)
{
    struct fx fx;
    struct pending p;
    struct http_client_response r;
    fx_start(&fx, NULL);
    pending_open(&fx, "payco", 0, &p);
    const char *params[] = {p.merchant_uid, NULL};
    free(fx_sql(&fx,
                "UPDATE registrations SET verify_lease_owner = 'stuck', "
                "verify_lease_until = now() + interval '1 hour' WHERE merchant_uid = $1 "
                "RETURNING merchant_uid",
                params));
    ck_assert_int_eq(complete_slow(&fx, p.imp_uid, p.merchant_uid, &r), 503);
    fx_expect_error(&r, 503, "verification_in_progress");
    expect_retry_after(&r);
    http_client_response_release(&r);
    char *s = fx_registration_column(&fx, "status", p.merchant_uid);
    ck_assert_str_eq(s, "pending");
    free(s);
    s = fx_registration_column(&fx, "verify_lease_owner", p.merchant_uid);
    ck_assert_str_eq(s, "stuck");
    free(s);
    pending_close(&p);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_verify_starvation(void)
{
    Suite *s = suite_create("verify_starvation");
    TCase *tc = tcase_create("starvation");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, slow_iamport_starves_neither_readyz_nor_checkouts);
    tcase_add_test(tc, past_the_iamport_cap_requests_get_503_and_a_retry_succeeds);
    tcase_add_test(tc, a_lease_held_past_the_wait_answers_in_progress);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_verify_starvation)
