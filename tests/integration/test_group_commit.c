/* Group commit through billkeyd + sandbox + PostgreSQL: concurrent verifications recorded by one statement, exactly once each. */
#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900
#define TOKEN "metrics_token_0123456789abcdef"
#define WAIT_MS 30000L
#define MAX_REGS 8
#define MAX_RACERS 12

static const char *const batch_env[] = {"METRICS_TOKEN=" TOKEN, "DB_BATCH_MAX=64", NULL};
static const char *const off_env[] = {"METRICS_TOKEN=" TOKEN, "DB_BATCH_MAX=0", NULL};

/* A registration whose window was approved. */
struct reg {
    cJSON *co;
    struct fx_window w;
    const char *mu, *cu; /* borrowed from co */
};

/* One POST /payments/complete on its own thread. */
struct racer {
    const struct fx *fx;
    const struct reg *reg;
    long status;
    char code[64];
    char state[16];
    pthread_t thread;
};

static void regs_open(const struct fx *fx, struct reg *regs, int n)
{
    for (int i = 0; i < n; i++) {
        regs[i].co = fx_checkout_plan(fx, "payco", PRICE, 0);
        regs[i].mu = fx_str(regs[i].co, "merchant_uid");
        regs[i].cu = fx_str(regs[i].co, "customer_uid");
        fx_window_submit(fx, fx_request_pay(regs[i].co), 0, 0, &regs[i].w);
        ck_assert_ptr_nonnull(regs[i].w.imp_uid);
    }
}

static void regs_close(struct reg *regs, int n)
{
    for (int i = 0; i < n; i++) {
        fx_window_release(&regs[i].w);
        cJSON_Delete(regs[i].co);
    }
}

static void *race(void *arg)
{
    struct racer *rc = arg;
    struct http_client_response r;
    fx_complete(rc->fx, NULL, rc->reg->w.imp_uid, rc->reg->mu, &r);
    rc->status = r.status;
    const char *code = r.status == 200 ? NULL : testlib_error_field(r.json, "code");
    const char *state = fx_str(r.json, "status");
    snprintf(rc->code, sizeof rc->code, "%s", code ? code : "");
    snprintf(rc->state, sizeof rc->state, "%s", state ? state : "");
    http_client_response_release(&r);
    return NULL;
}

static void race_start(struct racer *rc, const struct fx *fx, const struct reg *reg)
{
    *rc = (struct racer){.fx = fx, .reg = reg};
    ck_assert_int_eq(pthread_create(&rc->thread, NULL, race, rc), 0);
}

/* The whole scrape (caller frees). */
static char *scrape(const struct fx *fx)
{
    struct http_client_response r;
    char *url = fx_url(fx, NULL, "/metrics");
    http_client_get(url, TOKEN, &r);
    free(url);
    ck_assert_int_eq(r.status, 200);
    char *text = xstrdup(r.body);
    http_client_response_release(&r);
    return text;
}

/* The value of the series `key` as rendered; 0 when absent. */
static long long metric(const struct fx *fx, const char *key)
{
    char *text = scrape(fx);
    char *needle = xasprintf("\n%s ", key);
    const char *at = strstr(text, needle);
    long long v = at ? strtoll(at + strlen(needle), NULL, 10) : 0;
    free(needle);
    free(text);
    return v;
}

static long long batch_metric(const struct fx *fx, const char *family, const char *statement)
{
    char *key = xasprintf("billkey_db_%s{statement=\"%s\"}", family, statement);
    long long v = metric(fx, key);
    free(key);
    return v;
}

/* Waits until every racer has had its card read from iamport (the last call before the accept)
 * and `want` calls wait for their batch: then all of them wait in the accept's queue. */
static void wait_queued(const struct fx *fx, const struct racer *racers, int n, int want)
{
    for (long waited = 0;; waited += 20) {
        int read = 0;
        for (int i = 0; i < n; i++) {
            char *path = xasprintf("/subscribe/customers/%s", racers[i].reg->cu);
            int mine = 0;
            for (int j = 0; j < n; j++)
                mine += racers[j].reg == racers[i].reg;
            read += fx_sandbox_requests(fx, "GET", path, NULL) >= mine;
            free(path);
        }
        if (read == n && metric(fx, "billkey_db_batch_waiting") == want)
            return;
        ck_assert_msg(waited < WAIT_MS, "%d of %d racers past iamport", read, n);
        testlib_sleep_ms(20);
    }
}

/* Locks the lead registration's row in a transaction of the test's own, so that the first batch
 * of accepts (the lead alone) waits for it while the others queue behind. Returns the
 * connection (COMMIT and PQfinish it to let go). */
static PGconn *hold_row(const struct fx *fx, const char *mu)
{
    PGconn *pg = db_test_connect(fx->db_url);
    free(db_test_query(pg, "BEGIN", NULL));
    free(db_test_query(pg,
                       "SELECT merchant_uid FROM registrations WHERE merchant_uid = $1 "
                       "FOR UPDATE",
                       mu));
    return pg;
}

/* Runs racers on regs: racer 0 (on regs[0]) first, alone in the first batch, held on its row;
 * then the others, all queued behind it; then lets go. racer i runs on regs[on[i]]. */
static void race_in_two_batches(const struct fx *fx, struct reg *regs, const int *on,
                                struct racer *racers, int n)
{
    PGconn *pg = hold_row(fx, regs[0].mu);
    race_start(&racers[0], fx, &regs[on[0]]);
    wait_queued(fx, racers, 1, 1);
    for (int i = 1; i < n; i++)
        race_start(&racers[i], fx, &regs[on[i]]);
    wait_queued(fx, racers, n, n);
    free(db_test_query(pg, "COMMIT", NULL));
    PQfinish(pg);
    for (int i = 0; i < n; i++)
        pthread_join(racers[i].thread, NULL);
}

static void expect_active(const struct fx *fx, const struct reg *reg)
{
    char *status = fx_registration_column(fx, "status", reg->mu);
    char *imp = fx_registration_column(fx, "imp_uid", reg->mu);
    ck_assert_str_eq(status, "active");
    ck_assert_str_eq(imp, reg->w.imp_uid);
    const char *p[] = {reg->cu, NULL};
    ck_assert_int_eq(fx_sql_int(fx, "SELECT count(*) FROM billing_keys WHERE customer_uid = $1", p),
                     1);
    ck_assert_int_eq(fx_audit_count(fx, "callback", "registration.active", reg->mu), 1);
    free(status);
    free(imp);
}

/* 10 verifications at once (7 registrations, one of them verified 3 times together): the
 * accepts after the first run as ONE statement; each registration is active once with one
 * billing key and one audit row, and every caller is told "active". */
START_TEST(concurrent_verifications_are_recorded_by_one_statement)
{
    enum { REGS = 7, N = 10 };
    static const int on[N] = {0, 1, 2, 3, 3, 4, 3, 5, 6, 2};
    struct fx fx;
    struct reg regs[REGS];
    struct racer racers[N];
    fx_start(&fx, batch_env);
    regs_open(&fx, regs, REGS);
    long long reads_before = batch_metric(&fx, "batch_items_total", "registration_get");

    race_in_two_batches(&fx, regs, on, racers, N);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(racers[i].status == 200, "racer %d -> %ld %s", i, racers[i].status,
                      racers[i].code);
        ck_assert_str_eq(racers[i].state, "active");
    }
    for (int i = 0; i < REGS; i++)
        expect_active(&fx, &regs[i]);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM billing_keys"), REGS);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'registration.active'"),
                     REGS);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM registrations WHERE status = 'active' "
                                   "AND verify_lease_owner IS NULL"),
                     REGS);
    /* the lead alone, then the 9 others together */
    ck_assert_int_eq(batch_metric(&fx, "batches_total", "registration_activate"), 2);
    ck_assert_int_eq(batch_metric(&fx, "batch_items_total", "registration_activate"), N);
    ck_assert_int_eq(batch_metric(&fx, "batch_fallbacks_total", "registration_activate"), 0);
    /* every verification read its registration through the read queue once */
    ck_assert_int_eq(batch_metric(&fx, "batch_items_total", "registration_get") - reads_before, N);
    ck_assert_int_eq(metric(&fx, "billkey_db_batch_waiting"), 0);
    regs_close(regs, REGS);
    fx_stop(&fx);
}
END_TEST

/* One registration of the batch cannot be recorded (its customer_uid already has a billing key:
 * a unique violation): the batch runs again one by one, so that verification answers 500 as it
 * does alone (and again when retried alone) and the others are recorded. */
START_TEST(a_failing_verification_does_not_fail_its_batch_mates)
{
    enum { REGS = 5, N = 5, BROKEN = 3 };
    static const int on[N] = {0, 1, 2, 3, 4};
    struct fx fx;
    struct reg regs[REGS];
    struct racer racers[N];
    fx_start(&fx, batch_env);
    regs_open(&fx, regs, REGS);
    const char *p[] = {regs[BROKEN].cu, NULL};
    free(fx_sql(&fx,
                "INSERT INTO billing_keys (customer_uid, customer_id, pg_provider, pg) "
                "VALUES ($1, 'someone', 'payco', 'payco') RETURNING customer_uid",
                p));

    race_in_two_batches(&fx, regs, on, racers, N);
    for (int i = 0; i < N; i++) {
        if (on[i] == BROKEN) {
            ck_assert_int_eq(racers[i].status, 500);
            ck_assert_str_eq(racers[i].code, "internal");
            continue;
        }
        ck_assert_msg(racers[i].status == 200, "racer %d -> %ld %s", i, racers[i].status,
                      racers[i].code);
        expect_active(&fx, &regs[on[i]]);
    }
    char *status = fx_registration_column(&fx, "status", regs[BROKEN].mu);
    ck_assert_str_eq(status, "pending");
    free(status);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM audit_events "
                                   "WHERE action = 'registration.active'"),
                     REGS - 1);
    ck_assert_int_eq(batch_metric(&fx, "batches_total", "registration_activate"), 2);
    ck_assert_int_eq(batch_metric(&fx, "batch_items_total", "registration_activate"), N);
    ck_assert_int_eq(batch_metric(&fx, "batch_fallbacks_total", "registration_activate"), 1);

    /* alone, the same answer */
    struct racer again;
    race_start(&again, &fx, &regs[BROKEN]);
    pthread_join(again.thread, NULL);
    ck_assert_int_eq(again.status, 500);
    ck_assert_str_eq(again.code, "internal");
    regs_close(regs, REGS);
    fx_stop(&fx);
}
END_TEST

/* DB_BATCH_MAX=0: no queue at all, each verification runs its own statements. */
START_TEST(batching_off_runs_one_statement_per_verification)
{
    enum { REGS = 4, N = 6 };
    static const int on[N] = {0, 1, 2, 3, 1, 2};
    struct fx fx;
    struct reg regs[REGS];
    struct racer racers[N];
    fx_start(&fx, off_env);
    regs_open(&fx, regs, REGS);
    for (int i = 0; i < N; i++)
        race_start(&racers[i], &fx, &regs[on[i]]);
    for (int i = 0; i < N; i++) {
        pthread_join(racers[i].thread, NULL);
        ck_assert_msg(racers[i].status == 200, "racer %d -> %ld %s", i, racers[i].status,
                      racers[i].code);
    }
    for (int i = 0; i < REGS; i++)
        expect_active(&fx, &regs[i]);
    ck_assert_int_eq(batch_metric(&fx, "batches_total", "registration_activate"), 0);
    ck_assert_int_eq(batch_metric(&fx, "batch_items_total", "registration_get"), 0);
    regs_close(regs, REGS);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_group_commit(void)
{
    Suite *s = suite_create("group_commit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, concurrent_verifications_are_recorded_by_one_statement);
    tcase_add_test(tc, a_failing_verification_does_not_fail_its_batch_mates);
    tcase_add_test(tc, batching_off_runs_one_statement_per_verification);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_group_commit)
