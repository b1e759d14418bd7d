/* Group commit against a real PostgreSQL: batches form, each call gets its own rows, failures stay per call. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/batch.h"
#include "db/migrate.h"
#include "db/pool.h"
#include "db/statements.h"
#include "server/core/xalloc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/testlib.h"

#define WAIT_MS 20000L

/* One world: a migrated database, a pool of ONE connection (a test holds it to make callers
 * queue), a batcher over it and a plain connection for set-up and checks. */
struct world {
    char *url;
    struct db_pool *pool;
    struct db_batcher *batch;
    PGconn *admin;
};

static void world_start(struct world *w)
{
    char *err = NULL;
    int applied = -1;
    w->url = db_test_fresh_database("db_batch");
    enum db_status st = db_migrate(w->url, &applied, &err);
    ck_assert_msg(st == DB_OK, "db_migrate: %s: %s", db_status_name(st), err ? err : "");
    w->pool = db_pool_create(w->url, 1, 30000);
    ck_assert_ptr_nonnull(w->pool);
    w->batch = db_batcher_new(w->pool, 64);
    ck_assert_ptr_nonnull(w->batch);
    w->admin = db_test_connect(w->url);
}

static void world_stop(struct world *w)
{
    db_batcher_free(w->batch);
    db_pool_free(w->pool);
    PQfinish(w->admin);
    free(w->url);
}

/* A pending PAYCO registration without a first charge, merchant_uid mu, customer_uid cu_<mu>. */
static void add_registration(struct world *w, const char *mu)
{
    char *sql = xasprintf("INSERT INTO registrations (merchant_uid, customer_uid, customer_id, "
                          "pg_provider, pg, pay_method, amount, window_amount, name, charge_now, "
                          "created_by) VALUES ('%s', 'cu_%s', 'cust', 'payco', 'payco', 'card', "
                          "0, 0, 'plan', false, 'test')",
                          mu, mu);
    free(db_test_query(w->admin, sql, NULL));
    free(sql);
}

/* One concurrent call and what it got. */
struct call {
    struct world *w;
    enum db_stmt stmt;
    const char *params[7];
    char mu[16], imp_uid[24]; /* what pending() names them */
    enum db_status st;
    PGresult *res;
    pthread_t thread;
};

static void *call_run(void *arg)
{
    struct call *c = arg;
    c->st = db_batch_exec(c->w->pool, c->w->batch, c->stmt, c->params, &c->res);
    return NULL;
}

static void wait_waiting(struct world *w, enum db_stmt stmt, int want)
{
    struct db_batch_stats s;
    for (long waited = 0;; waited += 5) {
        db_batcher_stats(w->batch, stmt, &s);
        if (s.waiting == want)
            return;
        ck_assert_msg(waited < WAIT_MS, "%d callers waiting, want %d", s.waiting, want);
        testlib_sleep_ms(5);
    }
}

/* Runs the n calls at once as ONE batch: the test holds the pool's only connection until all
 * of them wait (the leader for the connection, the others in the queue), then lets go. */
static void run_as_one_batch(struct world *w, struct call *calls, int n)
{
    struct db_conn *held = NULL;
    ck_assert_int_eq(db_acquire(w->pool, &held), DB_OK);
    for (int i = 0; i < n; i++) {
        calls[i].w = w;
        ck_assert_int_eq(pthread_create(&calls[i].thread, NULL, call_run, &calls[i]), 0);
    }
    wait_waiting(w, calls[0].stmt, n);
    db_release(w->pool, held);
    for (int i = 0; i < n; i++)
        pthread_join(calls[i].thread, NULL);
}

static void calls_release(struct call *calls, int n)
{
    for (int i = 0; i < n; i++)
        PQclear(calls[i].res);
}

static void expect_stats(struct world *w, enum db_stmt stmt, uint64_t batches, uint64_t items,
                         uint64_t fallbacks)
{
    struct db_batch_stats s;
    db_batcher_stats(w->batch, stmt, &s);
    ck_assert_uint_eq(s.batches, batches);
    ck_assert_uint_eq(s.items, items);
    ck_assert_uint_eq(s.fallbacks, fallbacks);
    ck_assert_int_eq(s.waiting, 0);
}

/* An activation call: merchant_uid, imp_uid, card_name, card_number, actor, request_id, detail. */
static void activation(struct call *c, const char *mu, const char *imp_uid)
{
    *c = (struct call){.stmt = STMT_REGISTRATION_ACTIVATE,
                       .params = {mu, imp_uid, NULL, "5365-****-****-1234", "callback", NULL,
                                  "{\"q\":\"a \\\"quoted\\\" \\\\ back, {brace}\"}"}};
}

/* n pending registrations <prefix>1..n and an activation call for each, with imp_<mu>. */
static void pending(struct world *w, struct call *calls, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char mu[16];
        snprintf(mu, sizeof mu, "%s%d", prefix, i + 1);
        add_registration(w, mu);
        activation(&calls[i], NULL, NULL);
        memcpy(calls[i].mu, mu, sizeof mu);
        snprintf(calls[i].imp_uid, sizeof calls[i].imp_uid, "imp_%s", mu);
        calls[i].params[0] = calls[i].mu;
        calls[i].params[1] = calls[i].imp_uid;
    }
}

START_TEST(new_refuses_bad_arguments)
{
    ck_assert_ptr_null(db_batcher_new(NULL, 64));
    struct db_pool *pool = db_pool_create("host=127.0.0.1 port=1", 1, 10);
    ck_assert_ptr_nonnull(pool);
    ck_assert_ptr_null(db_batcher_new(pool, 1));
    ck_assert_ptr_null(db_batcher_new(pool, 1001));
    db_batcher_free(NULL);
    db_pool_free(pool);
}
END_TEST

/* 7 reads as one statement: each caller gets exactly the rows STMT_REGISTRATION_GET gives it
 * alone (same columns, same values; none for an unknown merchant_uid, its own for a repeated
 * one). */
START_TEST(concurrent_reads_run_as_one_statement_each_with_its_own_rows)
{
    static const char *const mus[] = {"r1", "r2", "r3", "nope", "r2", "r4", "r5"};
    enum { N = sizeof mus / sizeof mus[0] };
    struct world w;
    struct call calls[N];
    world_start(&w);
    for (int i = 1; i <= 5; i++) {
        char mu[8];
        snprintf(mu, sizeof mu, "r%d", i);
        add_registration(&w, mu);
    }
    free(db_test_query(w.admin,
                       "UPDATE registrations SET card_name = '신한카드' WHERE merchant_uid = 'r3'",
                       NULL));
    for (int i = 0; i < N; i++)
        calls[i] = (struct call){.stmt = STMT_REGISTRATION_GET, .params = {mus[i]}};
    run_as_one_batch(&w, calls, N);
    expect_stats(&w, STMT_REGISTRATION_GET, 1, N, 0);
    for (int i = 0; i < N; i++) {
        PGresult *alone = NULL;
        ck_assert_int_eq(calls[i].st, DB_OK);
        ck_assert_int_eq(
            db_batch_exec(w.pool, NULL, STMT_REGISTRATION_GET, calls[i].params, &alone), DB_OK);
        ck_assert_int_eq(PQntuples(calls[i].res), strcmp(mus[i], "nope") == 0 ? 0 : 1);
        ck_assert_int_eq(PQntuples(calls[i].res), PQntuples(alone));
        ck_assert_int_eq(PQnfields(calls[i].res), PQnfields(alone));
        for (int c = 0; c < PQnfields(alone); c++) {
            ck_assert_str_eq(PQfname(calls[i].res, c), PQfname(alone, c));
            ck_assert_uint_eq(PQftype(calls[i].res, c), PQftype(alone, c));
            for (int r = 0; r < PQntuples(alone); r++) {
                ck_assert_int_eq(PQgetisnull(calls[i].res, r, c), PQgetisnull(alone, r, c));
                ck_assert_str_eq(PQgetvalue(calls[i].res, r, c), PQgetvalue(alone, r, c));
            }
        }
        PQclear(alone);
    }
    ck_assert_str_eq(PQgetvalue(calls[2].res, 0, PQfnumber(calls[2].res, "card_name")), "신한카드");
    /* a batch of one is the single-row statement */
    PGresult *res = NULL;
    ck_assert_int_eq(db_batch_exec(w.pool, w.batch, STMT_REGISTRATION_GET, calls[0].params, &res),
                     DB_OK);
    ck_assert_int_eq(PQntuples(res), 1);
    PQclear(res);
    expect_stats(&w, STMT_REGISTRATION_GET, 2, N + 1, 0);
    calls_release(calls, N);
    world_stop(&w);
}
END_TEST

/* 5 accepts as one statement, one merchant_uid twice: every registration active once with one
 * billing key and one audit row, the repeated one activated by the call that queued first. */
START_TEST(concurrent_accepts_run_as_one_statement_and_a_repeat_activates_once)
{
    enum { N = 5 };
    struct world w;
    struct call calls[N];
    world_start(&w);
    pending(&w, calls, "a", 4);
    activation(&calls[4], "a2", "imp_a2");
    calls[2].params[5] = "req-3";
    run_as_one_batch(&w, calls, N);
    expect_stats(&w, STMT_REGISTRATION_ACTIVATE, 1, N, 0);
    /* the two calls of a2 queued in either order: whichever came first activated it */
    ck_assert_int_eq(PQntuples(calls[1].res) + PQntuples(calls[4].res), 1);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(calls[i].st, DB_OK);
        if (i != 1 && i != 4)
            ck_assert_int_eq(PQntuples(calls[i].res), 1);
        ck_assert_int_eq(PQnfields(calls[i].res), 1);
        ck_assert_str_eq(PQfname(calls[i].res, 0), "merchant_uid");
        if (PQntuples(calls[i].res))
            ck_assert_str_eq(PQgetvalue(calls[i].res, 0, 0), calls[i].params[0]);
    }
    db_test_assert_query(w.admin,
                         "SELECT string_agg(merchant_uid || '=' || status || '/' || imp_uid || '/' "
                         "|| (verify_lease_owner IS NULL), ',' ORDER BY merchant_uid) "
                         "FROM registrations",
                         "a1=active/imp_a1/true,a2=active/imp_a2/true,a3=active/imp_a3/true,"
                         "a4=active/imp_a4/true");
    db_test_assert_query(w.admin,
                         "SELECT string_agg(customer_uid || '/' || coalesce(card_name, '-') || '/' "
                         "|| card_number, ',' ORDER BY customer_uid) FROM billing_keys",
                         "cu_a1/-/5365-****-****-1234,cu_a2/-/5365-****-****-1234,"
                         "cu_a3/-/5365-****-****-1234,cu_a4/-/5365-****-****-1234");
    db_test_assert_query(w.admin,
                         "SELECT string_agg(subject || '/' || actor || '/' || "
                         "coalesce(request_id, '-') || '/' || (detail->>'q'), ',' ORDER BY "
                         "subject) FROM audit_events WHERE action = 'registration.active'",
                         "a1/callback/-/a \"quoted\" \\ back, {brace},"
                         "a2/callback/-/a \"quoted\" \\ back, {brace},"
                         "a3/callback/req-3/a \"quoted\" \\ back, {brace},"
                         "a4/callback/-/a \"quoted\" \\ back, {brace}");
    calls_release(calls, N);
    world_stop(&w);
}
END_TEST

/* One accept whose imp_uid is already taken (a unique violation) fails the batch statement:
 * the batch runs again call by call, so that one gets DB_CONFLICT as alone and the others are
 * recorded. */
START_TEST(a_failing_call_does_not_fail_its_batch_mates)
{
    enum { N = 4 };
    struct world w;
    struct call calls[N];
    world_start(&w);
    pending(&w, calls, "f", 3);
    add_registration(&w, "taken");
    free(db_test_query(w.admin,
                       "UPDATE registrations SET status = 'active', imp_uid = 'imp_dup' "
                       "WHERE merchant_uid = 'taken'",
                       NULL));
    /* imp_uid is unique on billing_keys (011): the key 'taken' recorded */
    free(db_test_query(w.admin,
                       "INSERT INTO billing_keys (customer_uid, customer_id, pg_provider, pg, "
                       "imp_uid) VALUES ('cu_taken', 'cust', 'payco', 'payco', 'imp_dup')",
                       NULL));
    calls[1].params[1] = "imp_dup";
    activation(&calls[3], "nope", "imp_nope");
    run_as_one_batch(&w, calls, N);
    expect_stats(&w, STMT_REGISTRATION_ACTIVATE, 1, N, 1);
    ck_assert_int_eq(calls[0].st, DB_OK);
    ck_assert_int_eq(PQntuples(calls[0].res), 1);
    ck_assert_int_eq(calls[1].st, DB_CONFLICT);
    ck_assert_ptr_null(calls[1].res);
    ck_assert_int_eq(calls[2].st, DB_OK);
    ck_assert_int_eq(PQntuples(calls[2].res), 1);
    ck_assert_int_eq(calls[3].st, DB_OK);
    ck_assert_int_eq(PQntuples(calls[3].res), 0);
    db_test_assert_query(w.admin,
                         "SELECT string_agg(merchant_uid || '=' || status, ',' ORDER BY "
                         "merchant_uid) FROM registrations",
                         "f1=active,f2=pending,f3=active,taken=active");
    ck_assert_int_eq(
        db_test_count(w.admin,
                      "SELECT count(*) FROM billing_keys WHERE customer_uid <> 'cu_taken'"),
        2);
    ck_assert_int_eq(db_test_count(w.admin, "SELECT count(*) FROM audit_events"), 2);
    calls_release(calls, N);
    world_stop(&w);
}
END_TEST

/* The batch's connection is killed while its statement waits for a lock: every caller of the
 * batch gets DB_UNAVAILABLE, nothing is run again, nothing is written. */
START_TEST(a_lost_connection_fails_every_call_of_its_batch)
{
    enum { N = 3 };
    struct world w;
    struct call calls[N];
    world_start(&w);
    pending(&w, calls, "l", N);
    struct db_conn *held = NULL; /* first: a fresh connection prepares statements on INSERT */
    ck_assert_int_eq(db_acquire(w.pool, &held), DB_OK);
    PGconn *locker = db_test_connect(w.url);
    free(db_test_query(locker, "BEGIN; LOCK TABLE registrations IN EXCLUSIVE MODE", NULL));
    char pid[16];
    snprintf(pid, sizeof pid, "%d", db_conn_backend_pid(held));
    for (int i = 0; i < N; i++) {
        calls[i].w = &w;
        ck_assert_int_eq(pthread_create(&calls[i].thread, NULL, call_run, &calls[i]), 0);
    }
    wait_waiting(&w, STMT_REGISTRATION_ACTIVATE, N);
    db_release(w.pool, held);
    for (long waited = 0;; waited += 10) { /* the batch waits for the lock */
        char *n = db_test_query(w.admin,
                                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int "
                                "AND wait_event_type = 'Lock'",
                                pid);
        int blocked = strcmp(n, "1") == 0;
        free(n);
        if (blocked)
            break;
        ck_assert_msg(waited < WAIT_MS, "the batch never waited for the lock");
        testlib_sleep_ms(10);
    }
    free(db_test_query(w.admin, "SELECT pg_terminate_backend($1::int)", pid));
    for (int i = 0; i < N; i++)
        pthread_join(calls[i].thread, NULL);
    free(db_test_query(locker, "ROLLBACK", NULL));
    PQfinish(locker);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(calls[i].st, DB_UNAVAILABLE);
        ck_assert_ptr_null(calls[i].res);
    }
    expect_stats(&w, STMT_REGISTRATION_ACTIVATE, 1, N, 0);
    ck_assert_int_eq(
        db_test_count(w.admin, "SELECT count(*) FROM registrations WHERE status = 'pending'"), 3);
    /* the pool opens a new connection for the next caller */
    calls_release(calls, N);
    activation(&calls[0], "l1", "imp_l1");
    PGresult *res = NULL;
    ck_assert_int_eq(
        db_batch_exec(w.pool, w.batch, STMT_REGISTRATION_ACTIVATE, calls[0].params, &res), DB_OK);
    ck_assert_int_eq(PQntuples(res), 1);
    PQclear(res);
    world_stop(&w);
}
END_TEST

static void *free_batcher(void *arg)
{
    db_batcher_free(arg);
    return NULL;
}

/* Freeing the batcher while a caller waits for a connection lets that caller finish first. */
START_TEST(freeing_waits_for_the_callers_in_flight)
{
    struct world w;
    struct call call;
    pthread_t freer;
    world_start(&w);
    add_registration(&w, "s1");
    call = (struct call){.w = &w, .stmt = STMT_REGISTRATION_GET, .params = {"s1"}};
    struct db_conn *held = NULL;
    ck_assert_int_eq(db_acquire(w.pool, &held), DB_OK);
    ck_assert_int_eq(pthread_create(&call.thread, NULL, call_run, &call), 0);
    wait_waiting(&w, STMT_REGISTRATION_GET, 1);
    ck_assert_int_eq(pthread_create(&freer, NULL, free_batcher, w.batch), 0);
    testlib_sleep_ms(50); /* (not an assertion: gives the free a chance to run first) */
    db_release(w.pool, held);
    pthread_join(call.thread, NULL);
    pthread_join(freer, NULL);
    w.batch = NULL;
    ck_assert_int_eq(call.st, DB_OK);
    ck_assert_int_eq(PQntuples(call.res), 1);
    PQclear(call.res);
    world_stop(&w);
}
END_TEST

static Suite *suite_db_batch(void)
{
    Suite *s = suite_create("db_batch");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, new_refuses_bad_arguments);
    tcase_add_test(tc, concurrent_reads_run_as_one_statement_each_with_its_own_rows);
    tcase_add_test(tc, concurrent_accepts_run_as_one_statement_and_a_repeat_activates_once);
    tcase_add_test(tc, a_failing_call_does_not_fail_its_batch_mates);
    tcase_add_test(tc, a_lost_connection_fails_every_call_of_its_batch);
    tcase_add_test(tc, freeing_waits_for_the_callers_in_flight);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_db_batch)
